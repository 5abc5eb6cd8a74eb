"""The Backend protocol on PostgreSQL: any number of server processes, one database.

``PostgresBackend(dsn)`` opens a :class:`~imap_sansio.adapters.postgres.PostgresStore`
(which migrates the schema) and a
:class:`~imap_sansio.adapters.postgres_notifier.PostgresNotifier`::

    backend = PostgresBackend("host=db dbname=mail user=imap")
    backend.add_user("alice", "secret")          # creates or updates the account
    server = IMAPServer(backend, clock=wall_clock)

The classes here translate between the server's protocol (names, UID
collections, :class:`~imap_sansio.server.StoreAction`) and the store's
primitives; the store holds every guarantee (UIDs and modseqs in commit
order, nothing acknowledged lost, statement timeouts).  What they add:

* ``StoreUnavailable`` (database gone, statement timed out, pool exhausted)
  becomes ``NO [UNAVAILABLE]`` (RFC 5530); nothing is cached that a later
  call would trust, so the next command after the database is back works.
* Change notices: this process's writes reach the listeners when they commit,
  in the writing thread (the store's commit listeners); other processes'
  arrive through LISTEN/NOTIFY on the notifier's thread, the notices of this
  process's own writes filtered out by the store's origin token.
* Thread-safe: the store takes a pooled connection per call; the objects here
  hold only the ids and names they looked up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime

from imap_sansio._secret import Secret
from imap_sansio.server._backend import (
    INDEXED_FLAGS,
    AppendResult,
    AuthenticationFailed,
    ChangeListener,
    ChangeNotice,
    Changes,
    CopyResult,
    ImapNo,
    MailboxExists,
    MailboxInfo,
    MailboxStatus,
    MessageInfo,
    MessageSource,
    NoSuchMailbox,
    QuotaResource,
    StoreAction,
    StoreResult,
    thread_keys,
)

from .postgres import (
    AccountRef,
    MailboxNotFound,
    MailboxRow,
    MessageGone,
    MessageMeta,
    NewMailbox,
    NewMessage,
    OverQuota,
    PostgresStore,
    Quota,
    StoreUnavailable,
    ranges_of,
)
from .postgres import MailboxExists as StoreMailboxExists
from .postgres_notifier import Notifier, PostgresNotifier

__all__ = ["PostgresAccount", "PostgresBackend", "PostgresMailbox", "PostgresMessageSource"]

INBOX = "INBOX"


@contextmanager
def _translated() -> Iterator[None]:
    """The store's errors as the server's (RFC 5530 response codes)."""
    try:
        yield
    except StoreUnavailable as exc:
        raise ImapNo("Mail store temporarily unavailable, try again", "UNAVAILABLE") from exc
    except MailboxNotFound as exc:
        raise NoSuchMailbox() from exc
    except StoreMailboxExists as exc:
        raise MailboxExists() from exc
    except OverQuota as exc:
        raise ImapNo(f"Quota exceeded ({exc})", "OVERQUOTA") from exc
    except MessageGone as exc:
        raise ImapNo("The message to replace no longer exists", "EXPUNGEISSUED") from exc


def _info(meta: MessageMeta) -> MessageInfo:
    return MessageInfo(
        uid=meta.uid,
        flags=meta.flags,
        internal_date=meta.internal_date,
        size=meta.size,
        modseq=meta.modseq,
        email_id=meta.email_id,
        thread_id=meta.thread_id,
        save_date=meta.save_date,
    )


def _status(row: MailboxRow) -> MailboxStatus:
    return MailboxStatus(
        messages=row.messages,
        uidnext=row.uidnext,
        uidvalidity=row.uidvalidity,
        unseen=row.unseen,
        highest_modseq=row.highest_modseq,
        size=row.size,
        deleted=row.deleted,
        recent=row.recent,
    )


class PostgresBackend:
    """The Backend over a PostgreSQL database shared by any number of processes.

    ``dsn``: a libpq connection string (or pass a ready ``store``).
    ``quota``: account limits (STORAGE in octets, MESSAGE) checked by APPEND
    and COPY; ``max_message_size``: APPENDLIMIT (RFC 7889).  ``notifier``:
    where other processes' changes come from (default: LISTEN/NOTIFY on
    ``dsn``, unless ``listen`` is False); the backend closes it.
    ``object_ids``: offer OBJECTID (RFC 8474; the ids are kept either way;
    off by default because it adds ``[MAILBOXID (...)]`` to every CREATE
    and SELECT); SAVEDATE (RFC 8514) is always offered.  Further
    keywords go to
    :class:`~imap_sansio.adapters.postgres.PostgresStore` (pool size,
    ``statement_timeout``, ``password_hasher``, ...).
    """

    #: Sessions may call it from many threads at once (the adapters read this).
    thread_safe = True

    def __init__(
        self,
        dsn: str | None = None,
        *,
        store: PostgresStore | None = None,
        notifier: Notifier | None = None,
        listen: bool = True,
        quota: Quota | None = None,
        max_message_size: int | None = None,
        object_ids: bool = False,
        **store_options: object,
    ) -> None:
        if store is None:
            if dsn is None:
                raise ValueError("PostgresBackend needs a dsn or a store")
            with _translated():
                store = PostgresStore(dsn, **store_options)  # type: ignore[arg-type]
        self.store = store
        self.quota = quota
        self.max_message_size = max_message_size
        self._account_class = _ObjectIdPostgresAccount if object_ids else PostgresAccount
        self._listeners: list[ChangeListener] = []
        self._lock = threading.Lock()
        #: Bumped by every change of any mailbox list: handles re-read their
        #: name and UIDVALIDITY only then.
        self.list_generation = 0
        store.add_commit_listener(self._committed)
        if notifier is None and listen:
            if dsn is None:
                raise ValueError("a default notifier needs the dsn")
            notifier = PostgresNotifier(dsn, ignore_origin=store.origin)
        self._notifier = notifier
        if notifier is not None:
            notifier.add_listener(self._heard)

    def __repr__(self) -> str:
        return f"PostgresBackend(origin={self.store.origin!r})"

    def close(self) -> None:
        """Stop listening and close the pool."""
        if self._notifier is not None:
            self._notifier.close()
        self.store.close()

    def __enter__(self) -> PostgresBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- administration --------------------------------------------------

    def add_user(self, username: str, password: str | Secret[str]) -> None:
        """Create the account (with its INBOX), or set its password if it exists."""
        secret = password if isinstance(password, Secret) else Secret(password)
        with _translated():
            ref = self.store.set_account(username, secret)
            self._ensure_inbox(ref)

    def _ensure_inbox(self, ref: AccountRef) -> None:
        try:
            self.store.mailbox(ref, INBOX)
        except MailboxNotFound:
            with suppress(StoreMailboxExists):  # another process made it meanwhile
                self.store.create_mailboxes(ref, [NewMailbox(name=INBOX)])

    def prune_changes(self, *, keep: int | None = None, before: datetime | None = None) -> None:
        """Forget old change-log entries of every mailbox (see
        :meth:`~imap_sansio.adapters.postgres.PostgresStore.prune_changes`)."""
        with _translated():
            self.store.prune_all_changes(keep=keep, before=before)

    # -- notices ---------------------------------------------------------

    def _committed(
        self,
        account: str,
        mailbox: str | None,
        metadata: tuple[str, ...] = (),
        private_to: str | None = None,
    ) -> None:
        self._heard(
            ChangeNotice(
                username=account, mailbox=mailbox, metadata=metadata, private_to=private_to
            )
        )

    def _heard(self, notice: ChangeNotice) -> None:
        with self._lock:
            if notice.mailbox is None:
                self.list_generation += 1
            listeners = list(self._listeners)
        for listener in listeners:
            listener(notice)

    # -- Backend ---------------------------------------------------------

    def authenticate(
        self, username: str, password: Secret[str], *, authzid: str | None = None
    ) -> PostgresAccount:
        with _translated():
            ref = self.store.authenticate(username, password)
            if ref is None:
                raise AuthenticationFailed()
            if authzid not in (None, "", username):
                raise ImapNo("Not authorized to act as that user", "AUTHORIZATIONFAILED")
            self._ensure_inbox(ref)
        return self._account_class(self, ref)

    def add_listener(self, callback: ChangeListener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return remove


class PostgresAccount:
    """An authenticated user of a :class:`PostgresBackend` (the Account protocol
    and every optional one)."""

    __slots__ = ("_backend", "_ref")

    def __init__(self, backend: PostgresBackend, ref: AccountRef) -> None:
        self._backend = backend
        self._ref = ref

    def __repr__(self) -> str:
        return f"PostgresAccount({self._ref.name!r})"

    @property
    def username(self) -> str:
        return self._ref.name

    def _row(self, name: str) -> MailboxRow:
        """The selectable mailbox ``name``, else :class:`NoSuchMailbox`."""
        row = self._backend.store.mailbox(self._ref, name)
        if not row.selectable:
            raise NoSuchMailbox()
        return row

    def list_mailboxes(self) -> list[MailboxInfo]:
        with _translated():
            rows = self._backend.store.list_mailboxes(self._ref)
        return [
            MailboxInfo(name=row.name, selectable=row.selectable, special_use=row.special_use)
            for row in rows
        ]

    def create_mailbox(self, name: str) -> None:
        self.create_special_use_mailbox(name, ())

    def create_special_use_mailbox(self, name: str, special_use: Collection[str]) -> None:
        with _translated():
            self._backend.store.create_mailboxes(
                self._ref, [NewMailbox(name=name, special_use=frozenset(special_use))]
            )

    def delete_mailbox(self, name: str, *, noselect: bool = False) -> None:
        with _translated():
            self._backend.store.delete_mailboxes(self._ref, [name], keep_as_noselect=noselect)

    def rename_mailboxes(self, renames: Mapping[str, str]) -> None:
        with _translated():
            self._backend.store.rename_mailboxes(self._ref, list(renames.items()))

    def subscribe(self, name: str) -> None:
        with _translated():
            self._backend.store.set_subscribed(self._ref, name, True)

    def unsubscribe(self, name: str) -> None:
        with _translated():
            self._backend.store.set_subscribed(self._ref, name, False)

    def subscriptions(self) -> frozenset[str]:
        with _translated():
            return self._backend.store.subscriptions(self._ref)

    def status(self, name: str) -> MailboxStatus:
        with _translated():
            return _status(self._row(name))

    def append(
        self,
        name: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        if not isinstance(data, bytes):
            # A spooled literal: the row takes the bytes whole (within
            # APPENDLIMIT), so read it once.
            data = data.read(0, data.size)
        message = NewMessage(
            data=data,
            flags=frozenset(flags),
            internal_date=internal_date,
            thread_keys=thread_keys(data),
        )
        with _translated():
            mailbox_id = self._row(name).id
            outcome = self._backend.store.append(mailbox_id, [message], quota=self._backend.quota)
        return AppendResult(uidvalidity=outcome.uidvalidity, uid=outcome.uids[0])

    def select(self, name: str) -> PostgresMailbox:
        with _translated():
            row = self._row(name)
        return PostgresMailbox(self, row)

    def logout(self) -> None:
        pass  # nothing is held between calls

    # -- optional protocols ----------------------------------------------

    def quota_roots(self, mailbox: str) -> tuple[str, ...]:
        """One root, ``""``, for the whole account (RFC 9208 3)."""
        with _translated():
            self._row(mailbox)
        return ("",)

    def quota(self, root: str) -> tuple[QuotaResource, ...]:
        if root != "":
            raise ImapNo("No such quota root", "NONEXISTENT")
        limits = self._backend.quota
        if limits is None:
            return ()
        with _translated():
            usage = self._backend.store.usage(self._ref)
        resources = []
        if limits.size is not None:
            # RFC 9208 5.1: STORAGE is in units of 1024 octets.
            resources.append(
                QuotaResource(
                    name="STORAGE", usage=-(-usage.size // 1024), limit=limits.size // 1024
                )
            )
        if limits.messages is not None:
            resources.append(
                QuotaResource(name="MESSAGE", usage=usage.messages, limit=limits.messages)
            )
        return tuple(resources)

    # -- ACL (RFC 4314) ------------------------------------------------------

    def get_acl(self, name: str) -> Mapping[str, str]:
        with _translated():
            return dict(self._backend.store.get_acl(self._ref, name))

    def set_acl(self, name: str, identifier: str, rights: str | None) -> None:
        with _translated():
            self._backend.store.set_acl(self._ref, name, identifier, rights)

    def shared_mailboxes(self, identifiers: Collection[str]) -> list[tuple[str, str]]:
        with _translated():
            return self._backend.store.shared_mailboxes(self._ref, identifiers)

    def other_account(self, owner: str) -> PostgresAccount:
        with _translated():
            ref = self._backend.store.account(owner)
        if ref is None:
            raise NoSuchMailbox()
        return PostgresAccount(self._backend, ref)

    def append_limit(self) -> int | None:
        return self._backend.max_message_size

    def enable_condstore(self) -> None:
        pass  # modseqs live in the database: persistent, never going back

    def urlauth_key(self, mailbox: str, new_key: bytes | None = None) -> bytes | None:
        with _translated():
            return self._backend.store.urlauth_key(self._ref, mailbox, new_key)

    def reset_urlauth_keys(self, mailbox: str | None = None) -> None:
        with _translated():
            self._backend.store.reset_urlauth_keys(self._ref, mailbox)

    def save_date_supported(self, name: str) -> bool:
        with _translated():
            self._row(name)
        return True  # saved_at, set by every INSERT of a message

    def _user_ref(self, user: str | None) -> AccountRef | None:
        """The account whose private annotations are meant (None: this one)."""
        if user is None or user == self._ref.name:
            return None
        with _translated():
            ref = self._backend.store.account(user)
        if ref is None:
            raise NoSuchMailbox("No such user")
        return ref

    def get_metadata(self, mailbox: str, *, user: str | None = None) -> dict[str, bytes]:
        viewer = self._user_ref(user)
        with _translated():
            return self._backend.store.get_metadata(self._ref, mailbox, viewer)

    def set_metadata(
        self,
        mailbox: str,
        entries: Mapping[str, bytes | None],
        *,
        max_entries: int,
        user: str | None = None,
    ) -> None:
        writer = self._user_ref(user)
        with _translated():
            done = self._backend.store.set_metadata(
                self._ref, mailbox, entries, max_entries=max_entries, user=writer
            )
        if done is None:
            raise ImapNo(f"At most {max_entries} annotations", "METADATA TOOMANY")


class _ObjectIdPostgresAccount(PostgresAccount):
    """An account that offers its object ids (ObjectIdAccount, RFC 8474)."""

    __slots__ = ()

    def mailbox_id(self, name: str) -> str:
        with _translated():
            return self._row(name).object_id


class PostgresMessageSource:
    """A stored message read by offset, one short statement per piece (no
    transaction held open while a client reads).  It reads the body row by
    its content hash, so a message expunged meanwhile can still be read
    while any message (a copy) refers to the same bytes; after that a read
    comes back short, which ends the connection (the size was announced)."""

    __slots__ = ("_digest", "_size", "_store")

    def __init__(self, store: PostgresStore, digest: bytes, size: int) -> None:
        self._store = store
        self._digest = digest
        self._size = size

    def __repr__(self) -> str:
        return f"PostgresMessageSource(<{self._size} bytes>)"

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._size - offset))
        if not length:
            return b""
        with _translated():
            data = self._store.read_body_range(self._digest, offset, length)
        return data or b""

    def close(self) -> None:
        pass  # nothing is held between reads


class PostgresMailbox:
    """A selected mailbox: bound to the mailbox row's id, so it follows renames
    made anywhere and sees a deletion (a re-created mailbox has a new id)."""

    __slots__ = ("_account", "_generation", "_id", "_name", "_uidvalidity")

    def __init__(self, account: PostgresAccount, row: MailboxRow) -> None:
        self._account = account
        self._id = row.id
        self._generation = -1  # read again on first use (a rename may be under way)
        self._name = row.name
        self._uidvalidity = row.uidvalidity

    def __repr__(self) -> str:
        return f"PostgresMailbox({self._id})"

    @property
    def _store(self) -> PostgresStore:
        return self._account._backend.store

    def _fresh(self) -> None:
        """Re-read name and UIDVALIDITY if any mailbox list changed since
        (a rename may change both, RFC 3501 2.3.1.1)."""
        generation = self._account._backend.list_generation
        if self._generation != generation:
            with _translated():
                row = self._store.status(self._id)
            self._generation, self._name, self._uidvalidity = generation, row.name, row.uidvalidity

    @property
    def name(self) -> str:
        self._fresh()
        return self._name

    @property
    def uidvalidity(self) -> int:
        self._fresh()
        return self._uidvalidity

    def status(self) -> MailboxStatus:
        with _translated():
            return _status(self._store.status(self._id))

    def keywords(self) -> tuple[str, ...]:
        with _translated():
            return self._store.status(self._id).keywords

    def messages(self, uids: Collection[int] | None = None) -> list[MessageInfo]:
        if uids is None:
            ranges = None
        else:
            ranges = ranges_of(uids)
            if ranges == []:
                return []
        with _translated():
            metas = self._store.messages(self._id, ranges)
        if uids is not None and ranges is None:
            # A collection that must not be iterated (``1:*``): filter.
            return [_info(m) for m in metas if m.uid in uids]
        return [_info(m) for m in metas]

    def uids_by_flag(self, flag: str, present: bool) -> Collection[int] | None:
        if flag not in INDEXED_FLAGS:
            return None
        with _translated():
            return self._store.uids_by_flag(self._id, flag, present)

    def message_bytes(self, uid: int) -> bytes | None:
        with _translated():
            return self._store.read_body(self._id, uid)

    def open_message(self, uid: int) -> PostgresMessageSource | None:
        """The message as a source read a piece at a time (``substring()``
        reads of its body row), or None if it does not exist."""
        with _translated():
            ref = self._store.body_ref(self._id, uid)
        return None if ref is None else PostgresMessageSource(self._store, *ref)

    def store_flags(
        self,
        uids: Collection[int],
        action: StoreAction,
        flags: Collection[str],
        *,
        unchanged_since: int | None = None,
    ) -> StoreResult:
        wanted = frozenset(flags)
        ranges = self._ranges(uids)
        if not ranges:
            return StoreResult(messages=(), changed=())
        with _translated():
            outcome = self._store.store_flags(
                self._id,
                ranges,
                lambda current: action.apply(current, wanted),
                unchanged_since=unchanged_since,
            )
        return StoreResult(
            messages=tuple(_info(m) for m in outcome.messages),
            changed=outcome.changed,
            modified=outcome.modified,
        )

    def copy(self, uids: Collection[int], destination: str) -> CopyResult:
        return self._copy(uids, destination, move=False)

    def move(self, uids: Collection[int], destination: str) -> CopyResult:
        return self._copy(uids, destination, move=True)

    def _copy(self, uids: Collection[int], destination: str, *, move: bool) -> CopyResult:
        account = self._account
        ranges = self._ranges(uids)
        with _translated():
            target = account._row(destination).id
            outcome = self._store.copy(
                self._id, ranges, target, move=move, quota=account._backend.quota
            )
        return CopyResult(uidvalidity=outcome.uidvalidity, uid_map=outcome.uid_map)

    def replace(
        self,
        uid: int,
        destination: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        """RFC 8508 3.4: one transaction appends and expunges."""
        if not isinstance(data, bytes):
            data = data.read(0, data.size)  # as APPEND: the row takes the bytes whole
        message = NewMessage(
            data=data,
            flags=frozenset(flags),
            internal_date=internal_date,
            thread_keys=thread_keys(data),
        )
        account = self._account
        with _translated():
            target = account._row(destination).id
            outcome = self._store.replace(
                self._id, uid, target, message, quota=account._backend.quota
            )
        return AppendResult(uidvalidity=outcome.uidvalidity, uid=outcome.uids[0])

    def _ranges(self, uids: Collection[int]) -> list[tuple[int, int]]:
        """The UID ranges of ``uids``; of a collection that must not be
        iterated (``1:*``), those of its existing messages."""
        ranges = ranges_of(uids)
        if ranges is None:
            ranges = ranges_of([m.uid for m in self.messages(uids)])
            assert ranges is not None
        return list(ranges)

    def expunge(self, uids: Collection[int] | None = None) -> tuple[int, ...]:
        ranges = None if uids is None else self._ranges(uids)
        if ranges == []:
            return ()
        with _translated():
            return self._store.expunge(self._id, ranges)

    def changes_since(self, modseq: int) -> Changes:
        with _translated():
            changes = self._store.changes_since(self._id, modseq)
        return Changes(
            new=tuple(_info(m) for m in changes.new),
            changed=tuple(_info(m) for m in changes.changed),
            expunged=changes.expunged,
            highest_modseq=changes.highest_modseq,
            uidvalidity=changes.uidvalidity,
            uidnext=changes.uidnext,
        )

    def claim_recent(self) -> tuple[int, ...]:
        with _translated():
            return self._store.claim_recent(self._id)
