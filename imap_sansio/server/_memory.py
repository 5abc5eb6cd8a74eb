"""MemoryBackend: the embedded, in-process implementation of the Backend protocol.

Data structures, chosen so that a mailbox of 100k messages stays fast:

* ``messages``: dict UID -> :class:`MessageInfo` (immutable; replaced on change)
  and a parallel dict UID -> bytes;
* ``uids``: the UIDs in ascending order.  New UIDs are always the largest, so
  appends are ``list.append``; UID ranges are found with :mod:`bisect`;
  expunging many messages rebuilds the list once (O(n)), expunging a few
  deletes by bisection;
* ``log``: an append-only list of ``(modseq, uid)`` written on every append and
  flag change, in modseq order, so :meth:`changes_since` bisects to the first
  entry after the asked modseq and reads only what changed.  Entries made
  stale by a later change are skipped (the message's modseq no longer equals
  the entry's) and dropped when the log grows past twice the live count;
* ``tombstones``: ``(modseq, uid, born)`` per expunged message, in modseq
  order, so expunges are found the same way (RFC 7162 QRESYNC needs them).
  Only the last ``max_tombstones`` are kept (RFC 7162 5.3: keeping them all
  grows without bound); ``forgotten`` is the modseq up to which they were
  dropped, and older questions are answered as RFC 7162 3.2.6 says for
  them (see :class:`Changes`);
* counters for STATUS (unseen, \\Deleted, total size) kept up to date on each
  change, so STATUS is O(1).

Object identifiers (OBJECTID, RFC 8474) come from what is unique already:
a MAILBOXID is ``F`` and the hexadecimal UIDVALIDITY the mailbox was
created with (UIDVALIDITYs are never given twice, also across restarts when
``uidvalidity_base`` grows), an EMAILID ``M`` and the mailbox's UIDVALIDITY
and UID at the APPEND (a COPY or MOVE keeps it); a THREADID ``T`` and the
same of the first message of its thread, found by :func:`thread_keys` in a
per-user index of Message-IDs.  They are kept and offered (the OBJECTID
capability, MAILBOXID after SELECT) with ``object_ids=True``.  Save dates
(SAVEDATE, RFC 8514) are kept and offered when the backend is given a
``clock``.

Locking: this module is pure and imports no threads, so the lock is
injected.  ``MemoryBackend(lock=threading.RLock())`` makes every call of the
backend, its accounts and its mailboxes hold that lock for the whole call
(it must be re-entrant: public methods call each other), and sets
``thread_safe``, which tells the adapters to run sessions concurrently.
Without a lock (the default, for single-threaded pure use) the lock is a
no-op, ``thread_safe`` is False and the adapters serialise every call.  One
lock per backend is enough: every call is in-memory work of microseconds, so
finer locks would buy nothing but deadlock risk.  Listeners are called with
the lock held (the adapters' listeners only schedule a wake-up).
"""

from __future__ import annotations

import contextlib
import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from imap_sansio._encoder import read_source
from imap_sansio._secret import Secret
from imap_sansio._source import BytesSource, MessageSource
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
    NoSuchMailbox,
    QuotaResource,
    StoreAction,
    StoreResult,
    thread_keys,
)
from imap_sansio.server._metadata import (
    MetadataTable,
    apply_metadata,
    metadata_notice,
    visible_metadata,
)
from imap_sansio.server._sasl import ClearPasswords, PasswordDatabase

__all__ = ["MemoryAccount", "MemoryBackend", "MemoryMailbox"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Locked(Protocol):
    @property
    def _lock(self) -> contextlib.AbstractContextManager[object]: ...


_L = TypeVar("_L", bound=_Locked)

#: The lock of a backend made without one (``MemoryBackend(lock=None)``).
_NO_LOCK: contextlib.AbstractContextManager[object] = contextlib.nullcontext()


def _locked(method: Callable[Concatenate[_L, _P], _R]) -> Callable[Concatenate[_L, _P], _R]:
    """Run ``method`` holding the backend's lock (a no-op lock by default)."""

    @functools.wraps(method)
    def call(self: _L, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        lock = self._lock
        if lock is _NO_LOCK:
            # The default: no context manager to enter (two Python calls
            # saved on every backend call).
            return method(self, *args, **kwargs)
        with lock:
            return method(self, *args, **kwargs)

    return call


_SEEN = "\\Seen"
_DELETED = "\\Deleted"
# Below this many UIDs an expunge deletes by bisection; above, it rebuilds.
_FEW = 32


def _whole_changes(tombstones: list[tuple[int, int, int]], drop: int) -> int:
    """How many of the oldest ``drop`` tombstones to drop without splitting
    one change (one modseq): a change is remembered whole or not at all."""
    while drop and tombstones[drop - 1][0] == tombstones[drop][0]:
        drop -= 1
    return drop


class _Store:
    """One mailbox's messages and change history (or a \\Noselect level)."""

    __slots__ = (
        "_flagsets",
        "born",
        "by_flag",
        "data",
        "deleted",
        "forgotten",
        "gone",
        "keep_tombstones",
        "keywords",
        "log",
        "mailbox_id",
        "messages",
        "metadata",
        "modseq",
        "object_ids",
        "quiet",
        "recent_from",
        "selectable",
        "size",
        "special_use",
        "tombstones",
        "uidnext",
        "uids",
        "uidvalidity",
        "unseen",
    )

    def __init__(
        self,
        uidvalidity: int,
        *,
        selectable: bool = True,
        special_use: frozenset[str] = frozenset(),
        keep_tombstones: int = 10_000,
        object_ids: bool = False,
    ) -> None:
        self.uidvalidity = uidvalidity
        self.object_ids = object_ids  # EMAILIDs are made only when offered
        # RFC 8474 4: kept across RENAME, never given to another mailbox.
        self.mailbox_id = f"F{uidvalidity:x}"
        self.uidnext = 1
        self.recent_from = 1  # UIDs from here on are \Recent (unclaimed)
        self.quiet: Changes | None = None  # see changes_since
        self.selectable = selectable
        self.special_use = special_use
        self.gone = False
        self.messages: dict[int, MessageInfo] = {}
        self.data: dict[int, bytes] = {}
        self.born: dict[int, int] = {}  # uid -> modseq of its arrival
        self.uids: list[int] = []
        self.log: list[tuple[int, int]] = []
        self.tombstones: list[tuple[int, int, int]] = []
        self.keep_tombstones = keep_tombstones
        self.forgotten = 0  # tombstones up to this modseq were dropped
        self.modseq = 1
        self.keywords: dict[str, None] = {}
        #: The mailbox's annotations (RFC 5464): they move with the store on
        #: RENAME and go with it on DELETE.
        self.metadata: MetadataTable = {}
        #: One frozenset per distinct combination of flags, shared by the
        #: messages that have it: sets are always tracked by the garbage
        #: collector, and one per message made every full collection of a big
        #: mailbox pause all sessions longer.
        self._flagsets: dict[frozenset[str], frozenset[str]] = {}
        self.unseen = 0
        self.deleted = 0
        self.size = 0
        # UIDs by flag, for uids_by_flag: those that lack \Seen (few, as a
        # rule) and those that have each other system flag.
        self.by_flag: dict[tuple[str, bool], set[int]] = {
            (flag, flag != _SEEN): set() for flag in INDEXED_FLAGS
        }

    def bump(self) -> int:
        self.modseq += 1
        return self.modseq

    def _count(self, info: MessageInfo, sign: int) -> None:
        flags, uid = info.flags, info.uid
        if _SEEN not in flags:
            self.unseen += sign
            if sign > 0:
                self.by_flag[_SEEN, False].add(uid)
            else:
                self.by_flag[_SEEN, False].discard(uid)
        if _DELETED in flags:
            self.deleted += sign
        self.size += sign * info.size
        for flag in flags:
            if flag != _SEEN and flag in INDEXED_FLAGS:
                if sign > 0:
                    self.by_flag[flag, True].add(uid)
                else:
                    self.by_flag[flag, True].discard(uid)

    def _shared(self, flags: frozenset[str]) -> frozenset[str]:
        shared = self._flagsets.get(flags)
        if shared is None:
            if len(self._flagsets) >= 4096:  # keywords in many combinations
                self._flagsets.clear()
            shared = self._flagsets[flags] = flags
        return shared

    def _log(self, uid: int, modseq: int) -> None:
        self.log.append((modseq, uid))
        if len(self.log) > 2 * len(self.messages) + 64:
            self.log = sorted((m.modseq, m.uid) for m in self.messages.values())

    def add(
        self,
        data: bytes,
        flags: frozenset[str],
        internal_date: datetime,
        modseq: int,
        *,
        email_id: str | None = None,
        thread_id: str | None = None,
        save_date: datetime | None = None,
    ) -> int:
        uid = self.uidnext
        self.uidnext += 1
        flags = self._shared(flags)
        info = MessageInfo(
            uid=uid,
            flags=flags,
            internal_date=internal_date,
            size=len(data),
            modseq=modseq,
            # RFC 8474 5.1: a new message gets a new EMAILID; a copy keeps its own.
            email_id=email_id or (f"M{self.uidvalidity:x}_{uid:x}" if self.object_ids else None),
            thread_id=thread_id,
            save_date=save_date,
        )
        self.messages[uid] = info
        self.data[uid] = data
        self.born[uid] = modseq
        self.uids.append(uid)
        self._count(info, 1)
        self._log(uid, modseq)
        for flag in flags:
            if not flag.startswith("\\"):
                self.keywords[flag] = None
        return uid

    def set_flags(self, uid: int, flags: frozenset[str], modseq: int) -> MessageInfo:
        old = self.messages[uid]
        self._count(old, -1)
        flags = self._shared(flags)
        info = MessageInfo(
            uid=uid,
            flags=flags,
            internal_date=old.internal_date,
            size=old.size,
            modseq=modseq,
            email_id=old.email_id,
            thread_id=old.thread_id,
            save_date=old.save_date,
        )
        self.messages[uid] = info
        self._count(info, 1)
        self._log(uid, modseq)
        for flag in flags:
            if not flag.startswith("\\"):
                self.keywords[flag] = None
        return info

    def remove(self, uids: list[int], modseq: int) -> None:
        """Expunge ``uids`` (ascending, all present), leaving tombstones."""
        for uid in uids:
            info = self.messages.pop(uid)
            del self.data[uid]
            self._count(info, -1)
            self.tombstones.append((modseq, uid, self.born.pop(uid)))
        if len(self.tombstones) > 2 * self.keep_tombstones:
            # Dropped in batches, so each expunge costs O(1) amortised.
            drop = _whole_changes(self.tombstones, len(self.tombstones) - self.keep_tombstones)
            if drop:
                self.forgotten = self.tombstones[drop - 1][0]
                del self.tombstones[:drop]
        if len(uids) <= _FEW:
            for uid in uids:
                del self.uids[bisect_left(self.uids, uid)]
        else:
            present = self.messages
            self.uids = [uid for uid in self.uids if uid in present]

    def select(self, uids: Collection[int] | None) -> list[int]:
        """The existing UIDs among ``uids`` (all when None), ascending."""
        if uids is None:
            return list(self.uids)
        if isinstance(uids, range) and uids.step == 1:
            return self.uids[bisect_left(self.uids, uids.start) : bisect_left(self.uids, uids.stop)]
        if len(uids) < len(self.uids) // 4:
            present = self.messages
            return sorted({uid for uid in uids if uid in present})
        # Many UIDs: filter the mailbox by membership.  Lists and tuples are
        # turned into a set; any other collection (a set, a range, the core's
        # UID set, whose len() may be huge for "1:4294967295") is trusted to
        # answer ``in`` quickly and is never materialised.
        wanted = set(uids) if isinstance(uids, list | tuple) else uids
        return [uid for uid in self.uids if uid in wanted]

    def status(self) -> MailboxStatus:
        return MailboxStatus(
            messages=len(self.uids),
            uidnext=self.uidnext,
            uidvalidity=self.uidvalidity,
            unseen=self.unseen,
            highest_modseq=self.modseq,
            size=self.size,
            deleted=self.deleted,
            recent=len(self.uids) - bisect_left(self.uids, self.recent_from),
        )

    def claim_recent(self) -> tuple[int, ...]:
        start = bisect_left(self.uids, self.recent_from)
        self.recent_from = self.uidnext
        return tuple(self.uids[start:])

    def changes_since(self, since: int) -> Changes:
        quiet = self.quiet
        if (
            quiet is not None
            and since >= self.modseq
            and quiet.highest_modseq == self.modseq
            and quiet.uidnext == self.uidnext
            and quiet.forgotten == self.forgotten
        ):
            # Nothing happened since: the answer of the last such call (a
            # session asks this after every command).
            return quiet
        new: list[MessageInfo] = []
        changed: list[MessageInfo] = []
        expunged: list[int] = []
        if since < self.modseq:
            messages, born = self.messages, self.born
            seen: set[int] = set()
            for modseq, uid in self.log[bisect_right(self.log, since, key=lambda e: e[0]) :]:
                info = messages.get(uid)
                if info is None or info.modseq != modseq or uid in seen:
                    continue  # expunged, or changed again later (a later entry has it)
                seen.add(uid)
                (new if born[uid] > since else changed).append(info)
            start = bisect_right(self.tombstones, since, key=lambda e: e[0])
            # A message that arrived after ``since`` was never known: skip it.
            expunged = sorted(uid for _, uid, b in self.tombstones[start:] if b <= since)
            new.sort(key=lambda i: i.uid)
            changed.sort(key=lambda i: i.uid)
        changes = Changes(
            new=tuple(new),
            changed=tuple(changed),
            expunged=tuple(expunged),
            highest_modseq=self.modseq,
            uidvalidity=self.uidvalidity,
            uidnext=self.uidnext,
            forgotten=self.forgotten,
        )
        if since >= self.modseq:
            self.quiet = changes
        return changes


class _User:
    __slots__ = (
        "acls",
        "mailboxes",
        "subscriptions",
        "threads",
        "uidvalidity_history",
        "urlauth_keys",
    )

    def __init__(self) -> None:
        self.mailboxes: dict[str, _Store] = {}
        # mailbox name -> identifier -> rights (RFC 4314; the server reads them)
        self.acls: dict[str, dict[str, str]] = {}
        # Message-ID -> THREADID (RFC 8474 5.2), over all the user's mailboxes.
        self.threads: dict[str, str] = {}
        self.subscriptions: set[str] = set()
        # mailbox name -> URLAUTH mailbox access key (RFC 4467 3)
        self.urlauth_keys: dict[str, bytes] = {}
        # name -> the largest UIDVALIDITY that name ever had (RFC 3501 2.3.1.1).
        self.uidvalidity_history: dict[str, int] = {}


class MemoryBackend:
    """The in-memory Backend: ``MemoryBackend(users={"alice": "secret"})``.

    ``users`` is a dict of clear passwords or a :class:`PasswordDatabase`
    (a password file, ``adapters.accounts.PasswordFile``); a user of the
    database gets an empty INBOX when first logged in.

    Options:
      ``max_message_size``: APPENDLIMIT in octets (RFC 7889), larger messages
      get ``NO [TOOBIG]``;
      ``storage_quota`` (KiB, RFC 9208 STORAGE) and ``message_quota`` per user,
      exceeding either gives ``NO [OVERQUOTA]``;
      ``uidvalidity_source``: called for each new UIDVALIDITY (a counter or a
      clock in seconds); values are forced to increase strictly, so a deleted
      and re-created mailbox always gets a greater one.  Default: a counter
      from ``uidvalidity_base``;
      ``uidvalidity_base``: the smallest UIDVALIDITY this store gives out
      (default 1).  A store that does not persist must get a greater base
      at each start (the CLI passes the time in seconds), or a client that
      kept the old UIDs would take new messages for old ones (RFC 3501
      2.3.1.1).  The store reads no clock itself;
      ``max_tombstones``: expunge records kept per mailbox for QRESYNC (up
      to twice as many between compactions); a client that resynchronises
      from before them is told every absent UID of its set (RFC 7162 3.2.6);
      ``lock``: a re-entrant lock (``threading.RLock()``) held by every call,
      which makes the backend thread-safe (``thread_safe`` is then True; see
      the module docstring).  Default: none, for single-threaded use;
      ``clock``: returns the current aware datetime, the save date of each
      message saved (SAVEDATE, RFC 8514, is offered only with it: this
      module reads no clock itself);
      ``object_ids``: offer OBJECTID (RFC 8474); off by default because it
      adds a ``* OK [MAILBOXID (...)]`` to every SELECT.
    """

    def __init__(
        self,
        users: Mapping[str, str] | PasswordDatabase | None = None,
        *,
        max_message_size: int | None = None,
        storage_quota: int | None = None,
        message_quota: int | None = None,
        uidvalidity_source: Callable[[], int] | None = None,
        uidvalidity_base: int = 1,
        lock: contextlib.AbstractContextManager[object] | None = None,
        max_tombstones: int = 10_000,
        clock: Callable[[], datetime] | None = None,
        object_ids: bool = False,
    ) -> None:
        if not 1 <= uidvalidity_base < 2**32:  # RFC 3501 9: nz-number, 32-bit
            raise ValueError("uidvalidity_base must be from 1 to 2**32 - 1")
        #: Whether calls from several threads at once are safe (the adapters
        #: read it to decide whether sessions may run concurrently).
        self.thread_safe = lock is not None
        self._lock: contextlib.AbstractContextManager[object] = (
            lock if lock is not None else _NO_LOCK
        )
        self._users: dict[str, _User] = {}
        self.max_tombstones = max_tombstones
        self.clock = clock
        self.object_ids = object_ids
        # The capabilities follow the account's class (its optional protocols).
        self._account_class = _ACCOUNT_CLASSES[object_ids, clock is not None]
        self._listeners: list[ChangeListener] = []
        self._uidvalidity_source = uidvalidity_source
        self._last_uidvalidity = uidvalidity_base - 1
        self.max_message_size = max_message_size
        self.storage_quota = storage_quota
        self.message_quota = message_quota
        self._passwords: PasswordDatabase = ClearPasswords()
        #: The server's annotations (RFC 5464 3.2.1.1), of every user.
        self._server_metadata: MetadataTable = {}
        if isinstance(users, PasswordDatabase):
            self._passwords = users
        else:
            for username, password in (users or {}).items():
                self.add_user(username, password)

    def __repr__(self) -> str:
        return f"MemoryBackend(users={sorted(self._users)!r})"

    @property
    def passwords(self) -> PasswordDatabase:
        """Where the accounts and their credentials are."""
        return self._passwords

    # -- administration --------------------------------------------------

    @_locked
    def add_user(self, username: str, password: str | Secret[str] | None = None) -> None:
        """Create an account with an empty INBOX (with a password database
        given, ``password`` stays None: the database holds the accounts)."""
        if username in self._users:
            raise ValueError(f"user {username!r} exists")
        if password is not None:
            if not isinstance(self._passwords, ClearPasswords):
                raise ValueError("the password database holds the passwords")
            self._passwords.add(username, password)
        self._create_user(username)

    def _create_user(self, username: str) -> _User:
        user = _User()
        self._users[username] = user
        user.mailboxes["INBOX"] = self._new_store(user, "INBOX")
        user.subscriptions.add("INBOX")
        return user

    @_locked
    def account(self, username: str) -> MemoryAccount:
        """The account of ``username`` without a password (for set-up and tests)."""
        return self._account_class(self, username, self._users[username])

    def _new_uidvalidity(self) -> int:
        candidate = (
            self._uidvalidity_source()
            if self._uidvalidity_source is not None
            else self._last_uidvalidity + 1
        )
        value = max(candidate, self._last_uidvalidity + 1)
        if value >= 2**32:  # RFC 3501 9: nz-number is 32-bit
            raise ImapNo("UIDVALIDITY space exhausted", "SERVERBUG")
        self._last_uidvalidity = value
        return value

    def _new_store(
        self, user: _User, name: str, *, special_use: frozenset[str] = frozenset()
    ) -> _Store:
        uidvalidity = self._new_uidvalidity()
        user.uidvalidity_history[name] = uidvalidity
        return _Store(
            uidvalidity,
            special_use=special_use,
            keep_tombstones=self.max_tombstones,
            object_ids=self.object_ids,
        )

    def _save_date(self) -> datetime | None:
        clock = self.clock
        return clock() if clock is not None else None

    def _notify(self, notice: ChangeNotice) -> None:
        for listener in list(self._listeners):
            listener(notice)

    # -- Backend ---------------------------------------------------------

    def authenticate(
        self, username: str, password: Secret[str], *, authzid: str | None = None
    ) -> MemoryAccount:
        # Checked without the lock: a password hash may take milliseconds
        # of CPU on purpose, and other sessions need the lock meanwhile.
        if not self._passwords.verify(username, password):
            raise AuthenticationFailed()
        return self.open_account(username, authzid=authzid)

    @_locked
    def open_account(self, username: str, *, authzid: str | None = None) -> MemoryAccount:
        """The account of a user whose identity SASL proved (VerifiedLoginBackend)."""
        if username not in self._passwords:
            raise AuthenticationFailed()
        if authzid not in (None, "", username):
            raise ImapNo("Not authorized to act as that user", "AUTHORIZATIONFAILED")
        user = self._users.get(username)
        if user is None:
            user = self._create_user(username)
        return self._account_class(self, username, user)

    @_locked
    def add_listener(self, callback: ChangeListener) -> Callable[[], None]:
        self._listeners.append(callback)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return remove


class MemoryAccount:
    """An authenticated user of a :class:`MemoryBackend` (the Account protocol)."""

    __slots__ = ("_backend", "_lock", "_user", "_username")

    def __init__(self, backend: MemoryBackend, username: str, user: _User) -> None:
        self._backend = backend
        self._lock = backend._lock
        self._username = username
        self._user = user

    def __repr__(self) -> str:
        return f"MemoryAccount({self._username!r})"

    @property
    def username(self) -> str:
        return self._username

    # -- helpers -----------------------------------------------------------

    def _changed(self, mailbox: str | None) -> None:
        self._backend._notify(ChangeNotice(username=self._username, mailbox=mailbox))

    def _existing(self, name: str) -> _Store:
        store = self._user.mailboxes.get(name)
        if store is None or not store.selectable:
            raise NoSuchMailbox()
        return store

    def _check_quota(self, extra_size: int, extra_count: int) -> None:
        backend = self._backend
        if backend.storage_quota is None and backend.message_quota is None:
            return
        size, count = self._usage()
        if backend.storage_quota is not None and (
            -(-(size + extra_size) // 1024) > backend.storage_quota
        ):
            raise ImapNo("Quota exceeded (storage)", "OVERQUOTA")
        if backend.message_quota is not None and count + extra_count > backend.message_quota:
            raise ImapNo("Quota exceeded (messages)", "OVERQUOTA")

    def _thread_id(self, store: _Store, data: bytes) -> str | None:
        """The THREADID of a new message of ``store`` (see :func:`thread_keys`)."""
        if not store.object_ids:
            return None
        keys = thread_keys(data)
        threads = self._user.threads
        thread_id = next((threads[k] for k in keys if k in threads), None)
        if thread_id is None:
            thread_id = f"T{store.uidvalidity:x}_{store.uidnext:x}"
        for key in keys:
            threads.setdefault(key, thread_id)
        return thread_id

    def _usage(self) -> tuple[int, int]:
        stores = self._user.mailboxes.values()
        return sum(s.size for s in stores), sum(len(s.uids) for s in stores)

    # -- hierarchy -----------------------------------------------------------

    @_locked
    def list_mailboxes(self) -> list[MailboxInfo]:
        return [
            MailboxInfo(name=name, selectable=store.selectable, special_use=store.special_use)
            for name, store in self._user.mailboxes.items()
        ]

    def create_mailbox(self, name: str) -> None:
        self.create_special_use_mailbox(name, ())

    @_locked
    def create_special_use_mailbox(self, name: str, special_use: Collection[str]) -> None:
        existing = self._user.mailboxes.get(name)
        if existing is not None and existing.selectable:
            raise MailboxExists()
        # A \Noselect level becomes a real mailbox (with a fresh UIDVALIDITY).
        self._user.mailboxes[name] = self._backend._new_store(
            self._user, name, special_use=frozenset(special_use)
        )
        self._changed(None)

    @_locked
    def delete_mailbox(self, name: str, *, noselect: bool = False) -> None:
        store = self._user.mailboxes.get(name)
        if store is None:
            raise NoSuchMailbox()
        store.gone = True
        self._user.acls.pop(name, None)  # RFC 4314 4: DELETE deletes the ACL
        if noselect:
            self._user.mailboxes[name] = _Store(0, selectable=False)
        else:
            del self._user.mailboxes[name]
        self._changed(None)
        self._changed(name)

    @_locked
    def rename_mailboxes(self, renames: Mapping[str, str]) -> None:
        mailboxes = self._user.mailboxes
        if any(old not in mailboxes for old in renames):
            raise NoSuchMailbox()
        if any(new in mailboxes and new not in renames for new in renames.values()):
            raise MailboxExists()
        history = self._user.uidvalidity_history
        stores = {old: mailboxes.pop(old) for old in renames}
        acls = self._user.acls
        moved = {renames[old]: acls.pop(old) for old in renames if old in acls}
        acls.update(moved)  # RFC 4314 4: the ACLs go with the names
        for old, store in stores.items():
            target = renames[old]
            if store.selectable and history.get(target, 0) >= store.uidvalidity:
                # RFC 3501 2.3.1.1: a name's UIDVALIDITY only ever grows.
                store.uidvalidity = self._backend._new_uidvalidity()
            if store.selectable:
                history[target] = store.uidvalidity
            mailboxes[target] = store
        self._changed(None)
        for old, new in renames.items():
            self._changed(old)
            self._changed(new)

    # -- subscriptions ---------------------------------------------------------

    @_locked
    def subscribe(self, name: str) -> None:
        self._user.subscriptions.add(name)
        self._changed(None)

    @_locked
    def unsubscribe(self, name: str) -> None:
        self._user.subscriptions.discard(name)
        self._changed(None)

    @_locked
    def subscriptions(self) -> frozenset[str]:
        return frozenset(self._user.subscriptions)

    # -- messages --------------------------------------------------------

    @_locked
    def status(self, name: str) -> MailboxStatus:
        return self._existing(name).status()

    def append(
        self,
        name: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        if not isinstance(data, bytes):
            with self._lock:  # refused before a spooled literal is read
                self._existing(name)
                self._check_quota(data.size, 1)
            # Held in memory anyway: one read, one bytes object; read without
            # the lock, which other sessions need meanwhile.
            data = read_source(data)
        return self._append(name, data, flags, internal_date)

    @_locked
    def _append(
        self, name: str, data: bytes, flags: Collection[str], internal_date: datetime
    ) -> AppendResult:
        store = self._existing(name)
        self._check_quota(len(data), 1)
        save_date = self._backend._save_date()
        uid = store.add(
            data,
            frozenset(flags),
            internal_date,
            store.bump(),
            thread_id=self._thread_id(store, data),
            save_date=save_date,
        )
        self._changed(name)
        return AppendResult(uidvalidity=store.uidvalidity, uid=uid)

    @_locked
    def select(self, name: str) -> MemoryMailbox:
        return MemoryMailbox(self, self._existing(name))

    def logout(self) -> None:
        pass

    # -- optional protocols ----------------------------------------------

    @_locked
    def quota_roots(self, mailbox: str) -> tuple[str, ...]:
        self._existing(mailbox)
        return ("",)

    @_locked
    def quota(self, root: str) -> tuple[QuotaResource, ...]:
        if root != "":
            raise ImapNo("No such quota root", "NONEXISTENT")
        backend = self._backend
        size, count = self._usage()
        resources = []
        if backend.storage_quota is not None:
            resources.append(
                QuotaResource(name="STORAGE", usage=-(-size // 1024), limit=backend.storage_quota)
            )
        if backend.message_quota is not None:
            resources.append(
                QuotaResource(name="MESSAGE", usage=count, limit=backend.message_quota)
            )
        return tuple(resources)

    def append_limit(self) -> int | None:
        return self._backend.max_message_size

    @_locked
    def get_acl(self, name: str) -> Mapping[str, str]:
        self._existing(name)
        return dict(self._user.acls.get(name, {}))

    @_locked
    def set_acl(self, name: str, identifier: str, rights: str | None) -> None:
        self._existing(name)
        acl = self._user.acls.setdefault(name, {})
        if rights is None:
            acl.pop(identifier, None)
        else:
            acl[identifier] = rights
        if not acl:
            del self._user.acls[name]
        # Whoever it is shared with sees the hierarchy change.
        self._changed(None)

    @_locked
    def shared_mailboxes(self, identifiers: Collection[str]) -> list[tuple[str, str]]:
        wanted = set(identifiers)
        return [
            (owner, name)
            for owner, user in self._backend._users.items()
            if owner != self._username
            for name, acl in user.acls.items()
            if wanted.intersection(acl)
        ]

    @_locked
    def other_account(self, owner: str) -> MemoryAccount:
        user = self._backend._users.get(owner)
        if user is None:
            raise NoSuchMailbox("No such user")
        return self._backend._account_class(self._backend, owner, user)

    def urlauth_key(self, mailbox: str, new_key: bytes | None = None) -> bytes | None:
        keys = self._user.urlauth_keys
        if mailbox not in keys and new_key is not None:
            keys[mailbox] = new_key
        return keys.get(mailbox)

    @_locked
    def reset_urlauth_keys(self, mailbox: str | None = None) -> None:
        if mailbox is None:
            self._user.urlauth_keys.clear()
        else:
            self._user.urlauth_keys.pop(mailbox, None)

    def _metadata_table(self, mailbox: str) -> MetadataTable:
        if mailbox == "":
            return self._backend._server_metadata
        store = self._user.mailboxes.get(mailbox)
        if store is None:  # a \Noselect level has annotations too (RFC 5464 4.1)
            raise NoSuchMailbox()
        return store.metadata

    @_locked
    def get_metadata(self, mailbox: str, *, user: str | None = None) -> dict[str, bytes]:
        return visible_metadata(self._metadata_table(mailbox), user or self._username)

    @_locked
    def set_metadata(
        self,
        mailbox: str,
        entries: Mapping[str, bytes | None],
        *,
        max_entries: int,
        user: str | None = None,
    ) -> None:
        writer = user or self._username
        changed = apply_metadata(
            self._metadata_table(mailbox), writer, entries, max_entries=max_entries
        )
        notice = metadata_notice(self._username, mailbox, writer, changed)
        if notice is not None:
            self._backend._notify(notice)  # RFC 5465 5.6, 5.7

    def enable_condstore(self) -> None:
        pass  # modseqs are always kept


class _ObjectIdMemoryAccount(MemoryAccount):
    """An account that offers its object ids (ObjectIdAccount, RFC 8474)."""

    __slots__ = ()

    @_locked
    def mailbox_id(self, name: str) -> str:
        return self._existing(name).mailbox_id


class _SaveDateMemoryAccount(MemoryAccount):
    """An account of a backend with a clock: save dates are kept (SaveDateAccount)."""

    __slots__ = ()

    @_locked
    def save_date_supported(self, name: str) -> bool:
        self._existing(name)
        return True


class _FullMemoryAccount(_ObjectIdMemoryAccount, _SaveDateMemoryAccount):
    __slots__ = ()


#: The account class by (object_ids, clock given).
_ACCOUNT_CLASSES: dict[tuple[bool, bool], type[MemoryAccount]] = {
    (False, False): MemoryAccount,
    (True, False): _ObjectIdMemoryAccount,
    (False, True): _SaveDateMemoryAccount,
    (True, True): _FullMemoryAccount,
}


class MemoryMailbox:
    """A selected mailbox of a :class:`MemoryBackend` (the Mailbox protocol)."""

    __slots__ = ("_account", "_lock", "_store")

    def __init__(self, account: MemoryAccount, store: _Store) -> None:
        self._account = account
        self._lock = account._lock
        self._store = store

    def __repr__(self) -> str:
        return f"MemoryMailbox({self._store.uidvalidity})"

    def _live(self) -> _Store:
        if self._store.gone:
            raise NoSuchMailbox("Mailbox has been deleted")
        return self._store

    @property
    @_locked
    def name(self) -> str:
        store = self._live()
        for name, other in self._account._user.mailboxes.items():
            if other is store:
                return name
        raise NoSuchMailbox("Mailbox has been deleted")  # pragma: no cover

    @property
    @_locked
    def uidvalidity(self) -> int:
        return self._live().uidvalidity

    @_locked
    def status(self) -> MailboxStatus:
        return self._live().status()

    @_locked
    def keywords(self) -> tuple[str, ...]:
        return tuple(self._live().keywords)

    @_locked
    def messages(self, uids: Collection[int] | None = None) -> list[MessageInfo]:
        store = self._live()
        infos = store.messages
        return [infos[uid] for uid in store.select(uids)]

    @_locked
    def uids_by_flag(self, flag: str, present: bool) -> Collection[int] | None:
        uids = self._live().by_flag.get((flag, present))
        return tuple(uids) if uids is not None else None

    @_locked
    def message_bytes(self, uid: int) -> bytes | None:
        return self._live().data.get(uid)

    @_locked
    def open_message(self, uid: int) -> MessageSource | None:
        data = self._live().data.get(uid)
        return BytesSource(data) if data is not None else None

    @_locked
    def store_flags(
        self,
        uids: Collection[int],
        action: StoreAction,
        flags: Collection[str],
        *,
        unchanged_since: int | None = None,
    ) -> StoreResult:
        wanted = frozenset(flags)
        store = self._live()
        result: list[MessageInfo] = []
        changed: list[int] = []
        modified: list[int] = []
        modseq: int | None = None
        for uid in store.select(uids):
            info = store.messages[uid]
            if unchanged_since is not None and info.modseq > unchanged_since:
                # RFC 7162 3.1.3: not stored; reported in [MODIFIED].
                modified.append(uid)
                result.append(info)
                continue
            new = action.apply(info.flags, wanted)
            if new != info.flags:
                if modseq is None:
                    modseq = store.bump()
                info = store.set_flags(uid, new, modseq)
                changed.append(uid)
            result.append(info)
        if changed:
            self._account._changed(self.name)
        return StoreResult(messages=tuple(result), changed=tuple(changed), modified=tuple(modified))

    def copy(self, uids: Collection[int], destination: str) -> CopyResult:
        return self._copy(uids, destination, move=False)

    def move(self, uids: Collection[int], destination: str) -> CopyResult:
        return self._copy(uids, destination, move=True)

    @_locked
    def _copy(self, uids: Collection[int], destination: str, *, move: bool) -> CopyResult:
        source = self._live()
        target = self._account._existing(destination)
        selected = source.select(uids)
        if not selected:
            return CopyResult(uidvalidity=target.uidvalidity, uid_map=())
        if not move:  # a MOVE adds nothing to the account's usage
            self._account._check_quota(
                sum(source.messages[u].size for u in selected), len(selected)
            )
        source_name = self.name
        modseq = target.bump()
        # RFC 8514 3: the copy is saved now, whatever the source's save date.
        save_date = self._account._backend._save_date()
        uid_map = []
        for uid in selected:
            info = source.messages[uid]
            new_uid = target.add(
                source.data[uid],
                info.flags,
                info.internal_date,
                modseq,
                email_id=info.email_id,  # RFC 8474 5.1: the same EMAILID
                thread_id=info.thread_id,  # and so the same THREADID (5.2)
                save_date=save_date,
            )
            uid_map.append((uid, new_uid))
        if move:
            # RFC 6851 3.3: the source messages are expunged.
            source.remove(selected, source.bump())
            self._account._changed(source_name)
        self._account._changed(destination)
        return CopyResult(uidvalidity=target.uidvalidity, uid_map=tuple(uid_map))

    def replace(
        self,
        uid: int,
        destination: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        if not isinstance(data, bytes):
            data = read_source(data)  # read before the lock, as APPEND does
        return self._replace(uid, destination, data, frozenset(flags), internal_date)

    @_locked
    def _replace(
        self,
        uid: int,
        destination: str,
        data: bytes,
        flags: frozenset[str],
        internal_date: datetime,
    ) -> AppendResult:
        """RFC 8508 3.4: the append and the expunge as one change."""
        source = self._live()
        target = self._account._existing(destination)
        old = source.messages.get(uid)
        if old is None:
            raise ImapNo("The message to replace no longer exists", "EXPUNGEISSUED")
        # Only the net change counts against the quota (RFC 8508 3.4).
        self._account._check_quota(len(data) - old.size, 0)
        source_name = self.name
        save_date = self._account._backend._save_date()
        new_uid = target.add(
            data,
            flags,
            internal_date,
            target.bump(),
            thread_id=self._account._thread_id(target, data),
            save_date=save_date,
        )
        source.remove([uid], source.bump())
        self._account._changed(destination)
        if source_name != destination:
            self._account._changed(source_name)
        return AppendResult(uidvalidity=target.uidvalidity, uid=new_uid)

    @_locked
    def expunge(self, uids: Collection[int] | None = None) -> tuple[int, ...]:
        store = self._live()
        messages = store.messages
        doomed = [uid for uid in store.select(uids) if _DELETED in messages[uid].flags]
        if doomed:
            store.remove(doomed, store.bump())
            self._account._changed(self.name)
        return tuple(doomed)

    @_locked
    def changes_since(self, modseq: int) -> Changes:
        return self._live().changes_since(modseq)

    @_locked
    def claim_recent(self) -> tuple[int, ...]:
        return self._live().claim_recent()
