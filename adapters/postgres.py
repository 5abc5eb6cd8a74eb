"""A mail store on PostgreSQL, shared by any number of server processes.

This is the storage layer only: it keeps accounts, mailboxes, messages,
bodies and the change log, and knows no IMAP rule about names or flags (the
server hands it normalised mailbox names and computes new flags itself; see
:meth:`PostgresStore.store_flags`).  Install with the ``postgres`` extra.

Guarantees:

* UIDs and mod-sequences are allocated under the mailbox row's lock, which
  is held until commit, so they become visible in ascending order with no gap
  a reader could see (never a SEQUENCE, which hands numbers out of commit
  order).
* Every write returns only after its commit: nothing acknowledged is lost.
* Every statement is bounded by ``statement_timeout``; a lost connection, a
  timeout or an exhausted pool raises :class:`StoreUnavailable` (the server
  answers ``NO [UNAVAILABLE]``); the pool replaces broken connections, and a
  call that finds a pooled connection dead before sending anything (the
  database restarted meanwhile) takes another, so the next call works once
  the database is back.
* Each committed write is told at once to this process's commit listeners
  (:meth:`PostgresStore.add_commit_listener`), in the writing thread.
* Each write sends ``pg_notify`` in its own transaction, which PostgreSQL
  delivers only on commit and coalesces within it; see
  :mod:`imap_sansio.adapters.postgres_notifier`.

Mailboxes are addressed by their row id after lookup: a handle stays bound to
its mailbox across renames, and a deleted mailbox raises
:class:`MailboxNotFound` (a re-created one has a new id).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, LiteralString, TypeVar

try:
    import psycopg
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError
    from psycopg import errors as pg_errors
    from psycopg.rows import TupleRow
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "the PostgreSQL store needs psycopg and argon2-cffi: pip install 'imap-sansio[postgres]'"
    ) from exc

from imap_sansio._secret import Secret

from .postgres_schema import migrate

__all__ = [
    "NOTIFY_CHANNEL",
    "AccountRef",
    "AppendOutcome",
    "ChangeSet",
    "CopyOutcome",
    "MailboxExists",
    "MailboxNotFound",
    "MailboxRow",
    "MessageGone",
    "MessageMeta",
    "NewMailbox",
    "NewMessage",
    "OverQuota",
    "PostgresStore",
    "Quota",
    "StoreError",
    "StoreOutcome",
    "StoreUnavailable",
    "UidRanges",
    "Usage",
    "ranges_of",
]

logger = logging.getLogger("imap_sansio.adapters.postgres")

#: The LISTEN/NOTIFY channel the store writes to and the notifier listens on.
NOTIFY_CHANNEL = "imap_sansio_changes"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
_MAX_PAYLOAD = 7900
#: ``callback(account, mailbox, metadata, private_to)`` (see add_commit_listener).
CommitListener = Callable[[str, str | None, tuple[str, ...], str | None], None]

_DELETED = "\\Deleted"
_SEEN = "\\Seen"

#: UID ranges, inclusive at both ends: ``((1, 5), (9, 9))``.  None means all.
UidRanges = Sequence[tuple[int, int]]

Conn = psycopg.Connection[TupleRow]
_REPEATABLE_READ = psycopg.IsolationLevel.REPEATABLE_READ
T = TypeVar("T")


# ---------------------------------------------------------------------------
# Errors


class _TooMany(Exception):
    """Rolls back a SETMETADATA that would leave too many entries."""


#: ``pg_advisory_xact_lock`` key serialising changes to the server's
#: annotations ("imapmeta" in ASCII).
_SERVER_METADATA_LOCK = 0x696D61706D657461


class StoreError(Exception):
    """Base of the store's errors."""


class StoreUnavailable(StoreError):
    """The database cannot be reached, or a statement ran out of time.

    Nothing was committed by the call that raised it, unless the connection
    broke during COMMIT itself (then the outcome is unknown, and the client,
    answered ``NO [UNAVAILABLE]``, was not told it succeeded).
    """


#: The system flags ``uids_by_flag`` answers, as SQL literals (the schema's
#: partial indexes are written with these literals).
_INDEXED_FLAG_SQL = {
    flag: "'" + flag + "'" for flag in ("\\Answered", "\\Deleted", "\\Draft", "\\Flagged", "\\Seen")
}


class MailboxNotFound(StoreError):
    """No such mailbox (or it was deleted since it was looked up)."""


class MessageGone(StoreError):
    """The message to replace is no longer there."""


class MailboxExists(StoreError):
    """A mailbox of that name already exists."""


class OverQuota(StoreError):
    """The account's limit would be exceeded (RFC 9208: ``NO [OVERQUOTA]``)."""


# ---------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MailboxRow:
    """A mailbox's row: its counters are exact at the time of reading."""

    id: int
    name: str
    selectable: bool
    special_use: frozenset[str]
    uidvalidity: int
    uidnext: int
    highest_modseq: int
    messages: int
    unseen: int
    deleted: int
    size: int
    keywords: tuple[str, ...]
    recent: int  # messages no session has claimed as \Recent yet
    object_id: str = ""  # RFC 8474 MAILBOXID (kept by RENAME)


@dataclass(frozen=True, slots=True, kw_only=True)
class NewMailbox:
    name: str
    selectable: bool = True
    special_use: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class NewMessage:
    data: bytes
    flags: frozenset[str]
    internal_date: datetime  # timezone-aware
    #: Message-IDs that tie it to a thread (``imap_sansio.server.thread_keys``).
    thread_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageMeta:
    uid: int
    modseq: int
    flags: frozenset[str]
    internal_date: datetime
    size: int
    email_id: str | None = None  # RFC 8474 EMAILID
    save_date: datetime | None = None  # RFC 8514; None for rows from before it was kept
    thread_id: str | None = None  # RFC 8474 THREADID


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendOutcome:
    uidvalidity: int
    uids: tuple[int, ...]
    modseq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyOutcome:
    uidvalidity: int  # the destination's
    uid_map: tuple[tuple[int, int], ...]  # (source uid, destination uid), ascending


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreOutcome:
    """``messages``: every addressed message that exists, after the change;
    ``changed``: UIDs whose flags changed; ``modified``: UIDs refused by
    UNCHANGEDSINCE (RFC 7162 3.1.3)."""

    messages: tuple[MessageMeta, ...]
    changed: tuple[int, ...]
    modified: tuple[int, ...]
    modseq: int  # the mailbox's highest modseq after the call


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSet:
    """What happened after a modseq (the same shape as the server's ``Changes``)."""

    new: tuple[MessageMeta, ...]
    changed: tuple[MessageMeta, ...]
    expunged: tuple[int, ...]
    highest_modseq: int
    uidvalidity: int
    uidnext: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """An account's totals over all its mailboxes (RFC 9208 STORAGE is size / 1024)."""

    messages: int
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Quota:
    """Account limits checked by APPEND and COPY (None: no limit).

    ``size`` is in octets (RFC 9208 STORAGE limit x 1024).
    """

    messages: int | None = None
    size: int | None = None


# ---------------------------------------------------------------------------
# Helpers


def _merge(uids: UidRanges) -> tuple[list[int], list[int]]:
    """Sorted, non-overlapping ranges as two arrays (so no message comes twice)."""
    merged: list[list[int]] = []
    for lo, hi in sorted(uids):
        if lo > hi:
            continue
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [r[0] for r in merged], [r[1] for r in merged]


def ranges_of(uids: Collection[int]) -> UidRanges | None:
    """The UID ranges of a collection, without iterating a huge one.

    A ``range`` becomes one range, a list, tuple or set its runs of
    consecutive UIDs; any other collection (the core's set for
    ``1:4294967295`` answers ``in`` but must not be iterated) gives None:
    read all and filter with ``in``.
    """
    if isinstance(uids, range) and uids.step == 1:
        return [(uids.start, uids.stop - 1)] if uids else []
    if not isinstance(uids, list | tuple | set | frozenset):
        return None
    runs: list[tuple[int, int]] = []
    for uid in sorted(uids):
        if runs and uid <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(uid, runs[-1][1]))
        else:
            runs.append((uid, uid))
    return runs


_MAILBOX_COLUMNS = (
    "id, name, selectable, special_use, uidvalidity, uidnext, highest_modseq,"
    " messages, unseen, deleted, size, keywords, recent, object_id"
)


def _mailbox(row: Sequence[Any]) -> MailboxRow:
    return MailboxRow(
        id=row[0],
        name=row[1],
        selectable=row[2],
        special_use=frozenset(row[3]),
        uidvalidity=row[4],
        uidnext=row[5],
        highest_modseq=row[6],
        messages=row[7],
        unseen=row[8],
        deleted=row[9],
        size=row[10],
        keywords=tuple(row[11]),
        recent=row[12],
        object_id=row[13],
    )


_MESSAGE_COLUMNS = (
    "uid, modseq, flags, internal_date, date_offset, size, email_id, saved_at, thread_id"
)
#: Where a query's extra columns start, after ``_MESSAGE_COLUMNS``.
_EXTRA = 9


@functools.lru_cache(maxsize=256)
def _zone(offset: int) -> timezone:
    return timezone(timedelta(seconds=offset))


def _message(row: Sequence[Any]) -> MessageMeta:
    return MessageMeta(
        uid=row[0],
        modseq=row[1],
        flags=frozenset(row[2]),
        internal_date=row[3].astimezone(_zone(row[4])),
        size=row[5],
        email_id=row[6],
        save_date=row[7],
        thread_id=row[8],
    )


def _counts(flags: Collection[str]) -> tuple[int, int]:
    """(unseen, deleted) contributions of one message."""
    return int(_SEEN not in flags), int(_DELETED in flags)


def _new_keywords(flag_sets: Collection[Collection[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for flags in flag_sets:
        for flag in sorted(flags):
            if not flag.startswith("\\"):
                seen[flag] = None
    return list(seen)


# Appends keywords not yet in the mailbox's list, keeping its order.
_ADD_KEYWORDS = (
    "keywords = keywords || ARRAY(SELECT k FROM unnest(%s::text[]) k WHERE k <> ALL (keywords))"
)


class PostgresStore:
    """The store: ``PostgresStore(dsn)`` opens a pool and migrates the schema.

    ``statement_timeout`` (seconds) bounds every statement, lock waits
    included; ``pool_timeout`` bounds the wait for a free connection.
    ``password_hasher`` is an ``argon2.PasswordHasher`` (default parameters
    when None).  ``keep_changes``: the change log of a mailbox (every
    append, flag change and expunge, for CONDSTORE/QRESYNC) is cut back to
    its newest ``keep_changes`` entries once per ``keep_changes`` modseqs,
    in the writing transaction, as the other stores keep their last
    ``max_tombstones`` (RFC 7162 3.2.5.1 lets a server forget); None keeps
    everything (then :meth:`prune_changes` is the operator's job).
    Thread-safe: every call takes its own pooled connection.
    """

    def __init__(
        self,
        dsn: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        statement_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 10.0,
        password_hasher: PasswordHasher | None = None,
        auto_migrate: bool = True,
        name: str | None = None,
        keep_changes: int | None = 10_000,
    ) -> None:
        if keep_changes is not None and keep_changes < 1:
            raise ValueError("keep_changes must be at least 1 (or None)")
        self.keep_changes = keep_changes
        self._hasher = password_hasher
        self._dummy_hash: str | None = None
        #: Sent with every notice, so a process can tell its own from others'.
        self.origin = secrets.token_hex(8)
        self._commit_listeners: list[CommitListener] = []
        self._pending = threading.local()  # the notices of the running transaction
        options = (
            f"-c statement_timeout={int(statement_timeout * 1000)}"
            f" -c idle_in_transaction_session_timeout={int(statement_timeout * 3000)}"
            " -c timezone=UTC"
        )
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=pool_timeout,
            name=name,
            open=False,
            # No check per checkout (a round trip per call): a connection
            # that died while idle fails its first statement, and _run and
            # _read then take another.
            kwargs={
                "autocommit": True,
                "application_name": "imap-sansio",
                "options": options,
                "connect_timeout": max(1, int(connect_timeout)),
                # A dead peer is noticed within ~20 s even mid-statement.
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 2,
            },
        )
        self._pool.open()
        if auto_migrate:
            self.migrate()

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self) -> int:
        """Create or upgrade the schema; returns the version found."""
        with self._errors(), self._pool.connection() as conn:
            return migrate(conn)

    # -- plumbing --------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # Connection lost, statement or lock timeout, pool exhausted.
            # The text names the kind only: a DSN may hold a password.
            raise StoreUnavailable(f"mail store unavailable ({type(exc).__name__})") from exc

    def add_commit_listener(self, callback: CommitListener) -> None:
        """Call ``callback(account, mailbox, metadata, private_to)`` in the
        writing thread after each commit of this store object, once per
        notice the transaction sent (in order): this process's own writes,
        heard at once.  ``metadata`` and ``private_to`` are those of
        :class:`~imap_sansio.server.ChangeNotice` (annotations)."""
        self._commit_listeners.append(callback)

    def _run(self, work: Callable[[Conn], T], *, read_only: bool = False) -> T:
        """Run ``work`` in one transaction, retried on deadlock or serialisation failure.

        Read-only work runs in REPEATABLE READ so that several statements see
        one snapshot (a mailbox row and the changes it counts).
        """
        with self._errors():
            conflicts = stale = 0
            while True:
                notes: dict[tuple[str, str | None, tuple[str, ...], str | None], None] = {}
                self._pending.notes = notes
                began = False
                conn: Conn | None = None
                try:
                    with self._pool.connection() as conn:
                        # Sent with the BEGIN, not as a statement of its own.
                        conn.isolation_level = _REPEATABLE_READ if read_only else None
                        conn.read_only = read_only
                        with conn.transaction():
                            began = True
                            result = work(conn)
                except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                    conflicts += 1
                    if conflicts == 3:
                        raise
                    continue
                except psycopg.OperationalError:
                    if began or conn is None or not conn.broken or stale > self._pool.max_size:
                        raise
                    # A pooled connection the server dropped while it sat idle
                    # (a restart): its BEGIN failed, nothing was sent, so the
                    # work goes to another connection.
                    stale += 1
                    continue
                finally:
                    self._pending.notes = None
                for account, mailbox, metadata, private_to in notes:
                    for callback in self._commit_listeners:
                        try:
                            callback(account, mailbox, metadata, private_to)
                        except Exception:  # the write is committed: say so anyway
                            logger.exception("commit listener failed")
                return result

    def _read(self, work: Callable[[Conn], T]) -> T:
        """Run read-only ``work`` outside a transaction: each statement is its
        own snapshot, which is all a single-statement read needs (and saves
        the BEGIN and COMMIT round trips).  A read is repeated on another
        connection when its pooled one turns out to be dead."""
        with self._errors():
            for stale in range(self._pool.max_size + 1):
                conn: Conn | None = None
                try:
                    with self._pool.connection() as conn:
                        return work(conn)
                except psycopg.OperationalError:
                    if conn is None or not conn.broken or stale == self._pool.max_size:
                        raise
            raise AssertionError("unreachable")

    def _one(self, query: LiteralString, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """One row of a read-only statement."""
        return self._read(lambda conn: conn.execute(query, params).fetchone())

    def _notify(
        self,
        conn: Conn,
        account: str,
        mailbox: str | None,
        metadata: tuple[str, ...] = (),
        private_to: str | None = None,
    ) -> None:
        """A hint for other processes, delivered on commit (and coalesced there);
        the payload is ``[account, mailbox, origin]``, and for a change of
        annotations ``[account, mailbox, origin, entries, private_to]``."""
        fields: list[Any] = [account, mailbox, self.origin]
        if metadata:
            fields += [list(metadata), private_to]
        payload = json.dumps(fields)
        if len(payload.encode()) > _MAX_PAYLOAD:
            if len(metadata) > 1:
                # Too many long entry names for one notice: the mailbox's
                # entries are told one notice each (RFC 5465 5.6 wants them
                # all named, unlike a message change, which a list change covers).
                for entry in metadata:
                    self._notify(conn, account, mailbox, (entry,), private_to)
                return
            mailbox, metadata, private_to = None, (), None  # "something in this account"
            payload = json.dumps([account, mailbox, self.origin])
        conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, payload))
        notes = getattr(self._pending, "notes", None)
        if notes is not None:
            notes[(account, mailbox, metadata, private_to)] = None

    @staticmethod
    def _lock_mailbox(conn: Conn, mailbox_id: int) -> tuple[Any, ...]:
        """Lock the mailbox row; returns (highest_modseq, uidvalidity, uidnext, account, name)."""
        row = conn.execute(
            "SELECT m.highest_modseq, m.uidvalidity, m.uidnext, a.name, m.name"
            " FROM mailboxes m JOIN accounts a ON a.id = m.account_id"
            " WHERE m.id = %s AND m.selectable FOR UPDATE OF m",
            (mailbox_id,),
        ).fetchone()
        if row is None:
            raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
        return row

    @staticmethod
    def _add_bodies(conn: Conn, counts: Counter[bytes], data: dict[bytes, bytes]) -> None:
        """Reference bodies (inserting new ones), in hash order against deadlocks."""
        for digest in sorted(counts):
            if digest in data:
                conn.execute(
                    "INSERT INTO bodies (sha256, refs, data) VALUES (%s, %s, %s)"
                    " ON CONFLICT (sha256) DO UPDATE SET refs = bodies.refs + EXCLUDED.refs",
                    (digest, counts[digest], data[digest]),
                )
            else:
                conn.execute(
                    "UPDATE bodies SET refs = refs + %s WHERE sha256 = %s",
                    (counts[digest], digest),
                )

    @staticmethod
    def _drop_bodies(conn: Conn, counts: Counter[bytes]) -> None:
        digests = sorted(counts)
        for digest in digests:
            conn.execute(
                "UPDATE bodies SET refs = refs - %s WHERE sha256 = %s", (counts[digest], digest)
            )
        if digests:
            conn.execute("DELETE FROM bodies WHERE sha256 = ANY(%s) AND refs <= 0", (digests,))

    # -- accounts --------------------------------------------------------

    def _password_hasher(self) -> PasswordHasher:
        if self._hasher is None:
            self._hasher = PasswordHasher()
        return self._hasher

    def set_account(self, name: str, password: Secret[str]) -> AccountRef:
        """Create the account, or set its password if it exists."""
        hashed = self._password_hasher().hash(password.reveal())

        def work(conn: Conn) -> AccountRef:
            row = conn.execute(
                "INSERT INTO accounts (name, password_hash) VALUES (%s, %s)"
                " ON CONFLICT (name) DO UPDATE SET password_hash = EXCLUDED.password_hash"
                " RETURNING id",
                (name, hashed),
            ).fetchone()
            assert row is not None
            return AccountRef(row[0], name)

        return self._run(work)

    def authenticate(self, name: str, password: Secret[str]) -> AccountRef | None:
        """The account if the password is right, else None (which one was wrong is not said)."""
        hasher = self._password_hasher()
        row = self._read(
            lambda conn: conn.execute(
                "SELECT id, password_hash FROM accounts WHERE name = %s", (name,)
            ).fetchone(),
        )
        # An unknown user costs a hash too, so timing does not tell users apart.
        if row is None:
            if self._dummy_hash is None:
                self._dummy_hash = hasher.hash("not anyone's password")
            stored: str = self._dummy_hash
        else:
            stored = row[1]
        try:
            hasher.verify(stored, password.reveal())
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if hasher.check_needs_rehash(stored):
            rehashed = hasher.hash(password.reveal())
            self._run(
                lambda conn: conn.execute(
                    "UPDATE accounts SET password_hash = %s WHERE id = %s", (rehashed, row[0])
                )
            )
        return AccountRef(row[0], name)

    def account(self, name: str) -> AccountRef | None:
        row = self._read(
            lambda conn: conn.execute(
                "SELECT id FROM accounts WHERE name = %s", (name,)
            ).fetchone(),
        )
        return AccountRef(row[0], name) if row else None

    # -- the mailbox list -------------------------------------------------

    def list_mailboxes(self, account: AccountRef) -> list[MailboxRow]:
        """Every mailbox row of the account, by name."""
        return self._read(
            lambda conn: [
                _mailbox(row)
                for row in conn.execute(
                    f"SELECT {_MAILBOX_COLUMNS} FROM mailboxes WHERE account_id = %s ORDER BY name",
                    (account.id,),
                )
            ],
        )

    def mailbox(self, account: AccountRef, name: str) -> MailboxRow:
        """Look a mailbox up by name (selectable or not)."""

        def work(conn: Conn) -> MailboxRow:
            row = conn.execute(
                f"SELECT {_MAILBOX_COLUMNS} FROM mailboxes WHERE account_id = %s AND name = %s",
                (account.id, name),
            ).fetchone()
            if row is None:
                raise MailboxNotFound(f"no mailbox {name!r}")
            return _mailbox(row)

        return self._read(work)

    @staticmethod
    def _lock_account(conn: Conn, account: AccountRef) -> None:
        # Hierarchy changes of one account are serialised: a CREATE racing a
        # RENAME of the same names sees the other's result, not half of it.
        conn.execute("UPDATE accounts SET list_changed_at = now() WHERE id = %s", (account.id,))

    @staticmethod
    def _remember_name(conn: Conn, account: AccountRef, name: str, uidvalidity: int) -> None:
        conn.execute(
            "INSERT INTO mailbox_names AS n VALUES (%s, %s, %s) ON CONFLICT (account_id, name)"
            " DO UPDATE SET uidvalidity = greatest(n.uidvalidity, EXCLUDED.uidvalidity)",
            (account.id, name, uidvalidity),
        )

    def create_mailboxes(
        self, account: AccountRef, specs: Sequence[NewMailbox]
    ) -> list[MailboxRow]:
        """Create mailboxes atomically (all or none).

        A name that exists raises :class:`MailboxExists`, except a
        non-selectable one that a selectable spec replaces (with a new
        UIDVALIDITY).
        """

        def work(conn: Conn) -> list[MailboxRow]:
            self._lock_account(conn, account)
            created = []
            for spec in specs:
                old = conn.execute(
                    "SELECT id, selectable FROM mailboxes WHERE account_id = %s AND name = %s",
                    (account.id, spec.name),
                ).fetchone()
                if old is not None:
                    if old[1] or not spec.selectable:
                        raise MailboxExists(f"mailbox {spec.name!r} exists")
                    conn.execute("DELETE FROM mailboxes WHERE id = %s", (old[0],))
                row = conn.execute(
                    "WITH v AS (UPDATE accounts SET next_uidvalidity = next_uidvalidity + 1"
                    "  WHERE id = %s RETURNING next_uidvalidity - 1 AS uidvalidity)"
                    " INSERT INTO mailboxes"
                    " (account_id, name, selectable, special_use, uidvalidity)"
                    f" SELECT %s, %s, %s, %s, uidvalidity FROM v RETURNING {_MAILBOX_COLUMNS}",
                    (account.id, account.id, spec.name, spec.selectable, sorted(spec.special_use)),
                ).fetchone()
                assert row is not None
                created.append(_mailbox(row))
                self._remember_name(conn, account, spec.name, created[-1].uidvalidity)
            self._notify(conn, account.name, None)
            return created

        return self._run(work)

    def delete_mailboxes(
        self, account: AccountRef, names: Collection[str], *, keep_as_noselect: bool = False
    ) -> None:
        """Delete mailboxes and their messages atomically.

        With ``keep_as_noselect`` each name stays as a non-selectable row
        (RFC 3501 6.3.4: a mailbox with inferiors); handles on the old
        mailbox see it gone either way.
        """

        def work(conn: Conn) -> None:
            self._lock_account(conn, account)
            for name in sorted(names):
                row = conn.execute(
                    "SELECT id FROM mailboxes WHERE account_id = %s AND name = %s FOR UPDATE",
                    (account.id, name),
                ).fetchone()
                if row is None:
                    raise MailboxNotFound(f"no mailbox {name!r}")
                counts: Counter[bytes] = Counter(
                    {
                        bytes(digest): n
                        for digest, n in conn.execute(
                            "SELECT body, count(*) FROM messages WHERE mailbox_id = %s"
                            " GROUP BY body",
                            (row[0],),
                        )
                    }
                )
                conn.execute("DELETE FROM mailboxes WHERE id = %s", (row[0],))
                self._drop_bodies(conn, counts)
                if keep_as_noselect:
                    kept = conn.execute(
                        "WITH v AS (UPDATE accounts SET next_uidvalidity = next_uidvalidity + 1"
                        "  WHERE id = %s RETURNING next_uidvalidity - 1 AS uidvalidity)"
                        " INSERT INTO mailboxes (account_id, name, selectable, uidvalidity)"
                        " SELECT %s, %s, false, uidvalidity FROM v RETURNING uidvalidity",
                        (account.id, account.id, name),
                    ).fetchone()
                    assert kept is not None
                    self._remember_name(conn, account, name, kept[0])
                self._notify(conn, account.name, name)
            self._notify(conn, account.name, None)

        self._run(work)

    def rename_mailboxes(self, account: AccountRef, pairs: Sequence[tuple[str, str]]) -> None:
        """Rename a set of mailboxes atomically (a subtree is the caller's list).

        Mailboxes keep their id, UIDVALIDITY and messages, except that a
        target name that once had a larger UIDVALIDITY gives the mailbox a
        new one (RFC 3501 2.3.1.1: the client's cached UIDs of that name
        must not be taken for this mailbox's).  A target name held
        by a non-selectable row that is not itself renamed away replaces it;
        any other clash raises :class:`MailboxExists` and nothing changes.
        """
        olds = [old for old, _ in pairs]

        def work(conn: Conn) -> None:
            self._lock_account(conn, account)
            for old, new in pairs:
                conn.execute(
                    "DELETE FROM mailboxes WHERE account_id = %s AND name = %s"
                    " AND NOT selectable AND name <> ALL(%s)",
                    (account.id, new, olds),
                )
                # A name whose past UIDVALIDITY is larger than the mailbox's
                # (another mailbox had it) needs a new one (RFC 3501 2.3.1.1).
                row = conn.execute(
                    "WITH v AS (UPDATE accounts SET next_uidvalidity = next_uidvalidity + 1"
                    "  WHERE id = %s AND EXISTS (SELECT 1 FROM mailbox_names n, mailboxes m"
                    "   WHERE n.account_id = %s AND n.name = %s AND m.account_id = %s"
                    "   AND m.name = %s AND n.uidvalidity > m.uidvalidity)"
                    "  RETURNING next_uidvalidity - 1 AS uidvalidity)"
                    " UPDATE mailboxes SET name = %s, updated_at = now(),"
                    "  uidvalidity = coalesce((SELECT uidvalidity FROM v), uidvalidity)"
                    " WHERE account_id = %s AND name = %s RETURNING uidvalidity",
                    (account.id, account.id, new, account.id, old, new, account.id, old),
                ).fetchone()
                if row is None:
                    raise MailboxNotFound(f"no mailbox {old!r}")
                self._remember_name(conn, account, new, row[0])
                # Sessions that know the mailbox by its old name hear of it too.
                self._notify(conn, account.name, old)
                self._notify(conn, account.name, new)
            self._notify(conn, account.name, None)

        try:
            self._run(work)
        except pg_errors.UniqueViolation as exc:  # the deferred name check, at commit
            raise MailboxExists("a target mailbox name exists") from exc

    def set_subscribed(self, account: AccountRef, name: str, subscribed: bool) -> None:
        """SUBSCRIBE / UNSUBSCRIBE: any name, existing or not (RFC 3501 6.3.6)."""

        def work(conn: Conn) -> None:
            self._lock_account(conn, account)
            if subscribed:
                conn.execute(
                    "INSERT INTO subscriptions VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (account.id, name),
                )
            else:
                conn.execute(
                    "DELETE FROM subscriptions WHERE account_id = %s AND name = %s",
                    (account.id, name),
                )
            self._notify(conn, account.name, None)

        self._run(work)

    def subscriptions(self, account: AccountRef) -> frozenset[str]:
        return self._read(
            lambda conn: frozenset(
                row[0]
                for row in conn.execute(
                    "SELECT name FROM subscriptions WHERE account_id = %s", (account.id,)
                )
            ),
        )

    # -- ACLs (RFC 4314) ---------------------------------------------------

    @staticmethod
    def _selectable_id(conn: Conn, account: AccountRef, name: str, *, lock: bool) -> int:
        row = conn.execute(
            "SELECT id FROM mailboxes WHERE account_id = %s AND name = %s AND selectable"
            + (" FOR SHARE" if lock else ""),
            (account.id, name),
        ).fetchone()
        if row is None:
            raise MailboxNotFound(f"no mailbox {name!r}")
        return int(row[0])

    def get_acl(self, account: AccountRef, name: str) -> list[tuple[str, str]]:
        """The ACL entries of a mailbox, in the order first set."""

        def work(conn: Conn) -> list[tuple[str, str]]:
            mailbox_id = self._selectable_id(conn, account, name, lock=False)
            return [
                (row[0], row[1])
                for row in conn.execute(
                    "SELECT identifier, rights FROM acl WHERE mailbox_id = %s ORDER BY position",
                    (mailbox_id,),
                )
            ]

        return self._read(work)

    def set_acl(self, account: AccountRef, name: str, identifier: str, rights: str | None) -> None:
        """Set (or with None remove) one entry; a new identifier goes last."""

        def work(conn: Conn) -> None:
            mailbox_id = self._selectable_id(conn, account, name, lock=True)
            if rights is None:
                conn.execute(
                    "DELETE FROM acl WHERE mailbox_id = %s AND identifier = %s",
                    (mailbox_id, identifier),
                )
            else:
                conn.execute(
                    "INSERT INTO acl (mailbox_id, identifier, rights) VALUES (%s, %s, %s)"
                    " ON CONFLICT (mailbox_id, identifier) DO UPDATE SET rights = EXCLUDED.rights",
                    (mailbox_id, identifier, rights),
                )
            self._notify(conn, account.name, None)

        self._run(work)

    def shared_mailboxes(
        self, account: AccountRef, identifiers: Collection[str]
    ) -> list[tuple[str, str]]:
        """``(owner, mailbox)`` of other accounts' mailboxes with an entry for
        one of ``identifiers``."""
        return self._read(
            lambda conn: [
                (row[0], row[1])
                for row in conn.execute(
                    "SELECT DISTINCT a.name, m.name FROM acl"
                    " JOIN mailboxes m ON m.id = acl.mailbox_id"
                    " JOIN accounts a ON a.id = m.account_id"
                    " WHERE acl.identifier = ANY(%s) AND m.account_id <> %s AND m.selectable",
                    (list(identifiers), account.id),
                )
            ],
        )

    def urlauth_key(self, account: AccountRef, mailbox: str, new_key: bytes | None) -> bytes | None:
        """URLAUTH's access key of ``mailbox``; ``new_key`` is stored first when
        there is none (the first of two racing writers wins, both read it)."""
        query: LiteralString = "SELECT key FROM urlauth_keys WHERE account_id = %s AND mailbox = %s"
        if new_key is None:
            row = self._one(query, (account.id, mailbox))
            return None if row is None else bytes(row[0])

        def work(conn: Conn) -> bytes:
            conn.execute(
                "INSERT INTO urlauth_keys VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (account.id, mailbox, new_key),
            )
            row = conn.execute(query, (account.id, mailbox)).fetchone()
            assert row is not None
            return bytes(row[0])

        return self._run(work)

    def reset_urlauth_keys(self, account: AccountRef, mailbox: str | None) -> None:
        """RESETKEY: forget one mailbox's key, or all of the account's."""

        def work(conn: Conn) -> None:
            if mailbox is None:
                conn.execute("DELETE FROM urlauth_keys WHERE account_id = %s", (account.id,))
            else:
                conn.execute(
                    "DELETE FROM urlauth_keys WHERE account_id = %s AND mailbox = %s",
                    (account.id, mailbox),
                )

        self._run(work)

    def usage(self, account: AccountRef) -> Usage:
        """Quota usage: O(mailboxes), from the mailbox rows' counters."""
        row = self._read(
            lambda conn: conn.execute(
                "SELECT coalesce(sum(messages), 0), coalesce(sum(size), 0)"
                " FROM mailboxes WHERE account_id = %s",
                (account.id,),
            ).fetchone(),
        )
        assert row is not None
        return Usage(messages=int(row[0]), size=int(row[1]))

    # -- one mailbox -----------------------------------------------------

    def status(self, mailbox_id: int) -> MailboxRow:
        """The mailbox row: STATUS and SELECT data in one indexed read."""
        row = self._one(f"SELECT {_MAILBOX_COLUMNS} FROM mailboxes WHERE id = %s", (mailbox_id,))
        if row is None:
            raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
        return _mailbox(row)

    def first_unseen(self, mailbox_id: int) -> int | None:
        """The lowest UID without ``\\Seen`` (SELECT's ``[UNSEEN n]``), by index."""
        row = self._read(
            lambda conn: conn.execute(
                "SELECT min(uid) FROM messages"
                " WHERE mailbox_id = %s AND NOT ('\\Seen' = ANY (flags))",
                (mailbox_id,),
            ).fetchone(),
        )
        return row[0] if row else None

    @staticmethod
    def _lock_usage(conn: Conn, mailbox_id: int) -> tuple[int, int]:
        """Lock the account owning the mailbox; returns its (messages, size).

        The account row is locked before any mailbox row (the order every
        writer keeps), so two quota-checked writes to two mailboxes of one
        account cannot both pass.
        """
        row = conn.execute(
            "SELECT a.id FROM accounts a JOIN mailboxes m ON m.account_id = a.id"
            " WHERE m.id = %s FOR NO KEY UPDATE OF a",
            (mailbox_id,),
        ).fetchone()
        if row is None:
            raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
        used = conn.execute(
            "SELECT coalesce(sum(messages), 0), coalesce(sum(size), 0)"
            " FROM mailboxes WHERE account_id = %s",
            (row[0],),
        ).fetchone()
        assert used is not None
        return int(used[0]), int(used[1])

    @staticmethod
    def _check_quota(quota: Quota, used: tuple[int, int], messages: int, size: int) -> None:
        if quota.messages is not None and used[0] + messages > quota.messages:
            raise OverQuota("message count limit reached")
        if quota.size is not None and used[1] + size > quota.size:
            raise OverQuota("storage limit reached")

    def append(
        self, mailbox_id: int, messages: Sequence[NewMessage], *, quota: Quota | None = None
    ) -> AppendOutcome:
        """Store messages atomically (MULTIAPPEND, RFC 3502), consecutive UIDs, one modseq.

        With ``quota``, the account's totals are checked under its row lock.
        """
        if not messages:
            raise ValueError("nothing to append")
        for message in messages:
            if message.internal_date.utcoffset() is None:
                raise ValueError("internal dates must be timezone-aware datetimes")
        size = sum(len(m.data) for m in messages)
        n = len(messages)

        def work(conn: Conn) -> AppendOutcome:
            if quota is not None:
                self._check_quota(quota, self._lock_usage(conn, mailbox_id), n, size)
            return self._insert(conn, mailbox_id, messages)

        return self._run(work)

    def _insert(self, conn: Conn, mailbox_id: int, messages: Sequence[NewMessage]) -> AppendOutcome:
        """APPEND's work in a transaction: new UIDs, one new modseq."""
        digests = [hashlib.sha256(m.data).digest() for m in messages]
        data = dict(zip(digests, (m.data for m in messages), strict=True))
        unseen = sum(_counts(m.flags)[0] for m in messages)
        deleted = sum(_counts(m.flags)[1] for m in messages)
        size = sum(len(m.data) for m in messages)
        keywords = _new_keywords([m.flags for m in messages])
        n = len(messages)
        # The row lock, held to commit, orders UIDs and modseqs as commits.
        row = conn.execute(
            "UPDATE mailboxes m SET uidnext = m.uidnext + %s,"
            " highest_modseq = m.highest_modseq + 1, messages = m.messages + %s,"
            " recent = m.recent + %s,"
            " unseen = m.unseen + %s, deleted = m.deleted + %s, size = m.size + %s,"
            f" {_ADD_KEYWORDS}, updated_at = now()"
            " FROM accounts a WHERE m.id = %s AND m.selectable AND a.id = m.account_id"
            " RETURNING m.uidvalidity, m.uidnext - %s, m.highest_modseq, a.name, m.name, a.id",
            (n, n, n, unseen, deleted, size, keywords, mailbox_id, n),
        ).fetchone()
        if row is None:
            raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
        uidvalidity, first, modseq, account, name, account_id = row
        self._add_bodies(conn, Counter(digests), data)
        uids = list(range(first, first + n))
        threads = [self._thread(conn, account_id, m.thread_keys) for m in messages]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO messages (mailbox_id, uid, modseq, born, flags, internal_date,"
                " date_offset, size, thread_id, body)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        mailbox_id,
                        uid,
                        modseq,
                        modseq,
                        sorted(m.flags),
                        m.internal_date,
                        int(m.internal_date.utcoffset().total_seconds()),  # type: ignore[union-attr]
                        len(m.data),
                        thread,
                        digest,
                    )
                    for uid, m, digest, thread in zip(uids, messages, digests, threads, strict=True)
                ],
            )
        self._log(conn, mailbox_id, modseq, uids, "new")
        self._notify(conn, account, name)
        return AppendOutcome(uidvalidity=uidvalidity, uids=tuple(uids), modseq=modseq)

    @staticmethod
    def _thread(conn: Conn, account_id: int, keys: Sequence[str]) -> str:
        """The THREADID of a new message with these thread keys (RFC 8474 5.2):
        that of the first key the account knows, else a new one; every key
        then names it (a key another writer took meanwhile keeps its own)."""
        row = None
        if keys:
            row = conn.execute(
                "SELECT thread_id FROM message_threads WHERE account_id = %s"
                " AND message_id = ANY(%s) ORDER BY array_position(%s, message_id) LIMIT 1",
                (account_id, list(keys), list(keys)),
            ).fetchone()
        if row is None:
            row = conn.execute("SELECT 'T' || to_hex(nextval('object_ids'))").fetchone()
        assert row is not None
        thread_id: str = row[0]
        if keys:
            conn.execute(
                "INSERT INTO message_threads (account_id, message_id, thread_id)"
                " SELECT %s, k, %s FROM unnest(%s::text[]) k ON CONFLICT DO NOTHING",
                (account_id, thread_id, list(keys)),
            )
        return thread_id

    def replace(
        self,
        mailbox_id: int,
        uid: int,
        destination_id: int,
        message: NewMessage,
        *,
        quota: Quota | None = None,
    ) -> AppendOutcome:
        """REPLACE (RFC 8508 3.4): append ``message`` to the destination and
        remove message ``uid`` of the mailbox (whatever its flags), in one
        transaction; only the net size counts against ``quota``.
        :class:`MessageGone` if ``uid`` is not there."""
        if message.internal_date.utcoffset() is None:
            raise ValueError("internal dates must be timezone-aware datetimes")

        def work(conn: Conn) -> AppendOutcome:
            used = self._lock_usage(conn, destination_id) if quota is not None else None
            locked = {
                mid: self._lock_mailbox(conn, mid) for mid in sorted({mailbox_id, destination_id})
            }
            old = conn.execute(
                "SELECT size FROM messages WHERE mailbox_id = %s AND uid = %s",
                (mailbox_id, uid),
            ).fetchone()
            if old is None:
                raise MessageGone(f"no message {uid} in mailbox {mailbox_id}")
            if quota is not None and used is not None:
                self._check_quota(quota, used, 0, len(message.data) - old[0])
            outcome = self._insert(conn, destination_id, [message])
            # Same mailbox: the expunge takes the modseq after the append's.
            modseq = outcome.modseq + 1 if mailbox_id == destination_id else None
            modseq = modseq or locked[mailbox_id][0] + 1
            self._drop_bodies(conn, self._remove(conn, mailbox_id, [uid], modseq))
            self._notify(conn, locked[mailbox_id][3], locked[mailbox_id][4])
            return outcome

        return self._run(work)

    @staticmethod
    def _select(
        conn: Conn, mailbox_id: int, uids: UidRanges | None, extra: str = ""
    ) -> list[tuple[Any, ...]]:
        """Message rows (``_MESSAGE_COLUMNS`` + ``extra``) in the ranges, ascending UID.

        One index range scan per range: the cost follows the answer, not the
        mailbox.  (``OFFSET 0`` keeps the subquery a per-range probe; flattened
        into a join it may be planned as a scan of the whole mailbox.)
        """
        if uids is None:
            return conn.execute(
                f"SELECT {_MESSAGE_COLUMNS}{extra} FROM messages WHERE mailbox_id = %s"
                " ORDER BY uid",
                (mailbox_id,),
            ).fetchall()
        lows, highs = _merge(uids)
        return conn.execute(
            f"SELECT {_MESSAGE_COLUMNS}{extra} FROM unnest(%s::bigint[], %s::bigint[]) r(lo, hi)"
            " CROSS JOIN LATERAL (SELECT * FROM messages WHERE mailbox_id = %s"
            " AND uid BETWEEN r.lo AND r.hi OFFSET 0) m ORDER BY uid",
            (lows, highs, mailbox_id),
        ).fetchall()

    def messages(self, mailbox_id: int, uids: UidRanges | None = None) -> list[MessageMeta]:
        """Metadata of the existing messages in ``uids`` (all when None), ascending."""

        def work(conn: Conn) -> list[MessageMeta]:
            rows = self._select(conn, mailbox_id, uids)
            if not rows and not self._exists(conn, mailbox_id):
                raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
            return [_message(row) for row in rows]

        return self._read(work)

    def uids_by_flag(self, mailbox_id: int, flag: str, present: bool) -> list[int]:
        """UIDs of the messages that have (``present``) or lack the system
        flag ``flag`` (a name of ``INDEXED_FLAGS``), ascending.  The partial
        indexes ``messages_unseen`` and ``messages_deleted`` answer UNSEEN
        and DELETED without reading the other rows; the flag is written into
        the SQL, so the planner can match them."""
        if flag not in _INDEXED_FLAG_SQL:
            raise ValueError(f"not an indexed flag: {flag!r}")
        test = f"{_INDEXED_FLAG_SQL[flag]} = ANY (flags)"
        where = test if present else f"NOT ({test})"

        def work(conn: Conn) -> list[int]:
            rows = conn.execute(
                f"SELECT uid FROM messages WHERE mailbox_id = %s AND {where} ORDER BY uid",
                (mailbox_id,),
            ).fetchall()
            if not rows and not self._exists(conn, mailbox_id):
                raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
            return [int(row[0]) for row in rows]

        return self._read(work)

    @staticmethod
    def _exists(conn: Conn, mailbox_id: int) -> bool:
        row = conn.execute("SELECT 1 FROM mailboxes WHERE id = %s", (mailbox_id,)).fetchone()
        return row is not None

    def read_body(self, mailbox_id: int, uid: int) -> bytes | None:
        """The whole message, or None if it does not exist (any more)."""
        return self.read_body_chunk(mailbox_id, uid, 0, None)

    def read_body_chunk(
        self, mailbox_id: int, uid: int, offset: int, length: int | None
    ) -> bytes | None:
        """``length`` octets from ``offset`` (to the end when None); reads only those chunks."""
        row = self._read(
            lambda conn: conn.execute(
                "SELECT substring(b.data FROM %s FOR %s) FROM messages m"
                " JOIN bodies b ON b.sha256 = m.body WHERE m.mailbox_id = %s AND m.uid = %s",
                (offset + 1, length if length is not None else 2**31 - 1, mailbox_id, uid),
            ).fetchone(),
        )
        return bytes(row[0]) if row else None

    def body_ref(self, mailbox_id: int, uid: int) -> tuple[bytes, int] | None:
        """The message's body key and size, for :meth:`read_body_range`
        (None if the message does not exist)."""
        row = self._one(
            "SELECT body, size FROM messages WHERE mailbox_id = %s AND uid = %s",
            (mailbox_id, uid),
        )
        return (bytes(row[0]), int(row[1])) if row else None

    def read_body_range(self, digest: bytes, offset: int, length: int) -> bytes | None:
        """``length`` octets of a body from ``offset`` (None once no message
        refers to it any more): one statement, reading only those chunks."""
        row = self._one(
            "SELECT substring(data FROM %s FOR %s) FROM bodies WHERE sha256 = %s",
            (offset + 1, length, digest),
        )
        return bytes(row[0]) if row else None

    def iter_body(self, mailbox_id: int, uid: int, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The message in chunks, one short statement each (no transaction held
        open while the client reads).  Yields nothing if the message does not
        exist; raises :class:`StoreError` if its bytes vanish mid-stream (an
        EXPUNGE elsewhere freed the last reference), never a short stream.
        """
        row = self._read(
            lambda conn: conn.execute(
                "SELECT body, size FROM messages WHERE mailbox_id = %s AND uid = %s",
                (mailbox_id, uid),
            ).fetchone(),
        )
        if row is None:
            return
        digest, size = bytes(row[0]), row[1]
        for offset in range(0, size, chunk_size):
            chunk = self._one(
                "SELECT substring(data FROM %s FOR %s) FROM bodies WHERE sha256 = %s",
                (offset + 1, chunk_size, digest),
            )
            if chunk is None:
                raise StoreError(f"message {uid} was removed while being read")
            yield bytes(chunk[0])

    def store_flags(
        self,
        mailbox_id: int,
        uids: UidRanges | None,
        compute: Callable[[frozenset[str]], frozenset[str]],
        *,
        unchanged_since: int | None = None,
    ) -> StoreOutcome:
        """Set each message's flags to ``compute(old flags)``; one new modseq for all.

        ``compute`` runs under the mailbox lock, on the current flags, so
        concurrent +FLAGS/-FLAGS compose.  With ``unchanged_since``, messages
        whose modseq exceeds it are left alone and reported in ``modified``
        (RFC 7162 3.1.3).
        """

        def work(conn: Conn) -> StoreOutcome:
            highest, _, _, account, name = self._lock_mailbox(conn, mailbox_id)
            modseq = highest + 1
            result: list[MessageMeta] = []
            changed: list[tuple[int, list[str]]] = []
            modified: list[int] = []
            unseen = deleted = 0
            new_flag_sets = []
            for row in self._select(conn, mailbox_id, uids):
                old = _message(row)
                if unchanged_since is not None and old.modseq > unchanged_since:
                    modified.append(old.uid)
                    result.append(old)
                    continue
                flags = compute(old.flags)
                if flags == old.flags:
                    result.append(old)
                    continue
                (u0, d0), (u1, d1) = _counts(old.flags), _counts(flags)
                unseen += u1 - u0
                deleted += d1 - d0
                changed.append((old.uid, sorted(flags)))
                new_flag_sets.append(flags)
                result.append(
                    MessageMeta(
                        uid=old.uid,
                        modseq=modseq,
                        flags=flags,
                        internal_date=old.internal_date,
                        size=old.size,
                        email_id=old.email_id,
                        save_date=old.save_date,
                        thread_id=old.thread_id,
                    )
                )
            if changed:
                with conn.cursor() as cur:
                    cur.executemany(
                        "UPDATE messages SET flags = %s, modseq = %s"
                        " WHERE mailbox_id = %s AND uid = %s",
                        [(flags, modseq, mailbox_id, uid) for uid, flags in changed],
                    )
                self._log(conn, mailbox_id, modseq, [uid for uid, _ in changed], "flags")
                conn.execute(
                    "UPDATE mailboxes SET highest_modseq = %s, unseen = unseen + %s,"
                    f" deleted = deleted + %s, {_ADD_KEYWORDS}, updated_at = now() WHERE id = %s",
                    (modseq, unseen, deleted, _new_keywords(new_flag_sets), mailbox_id),
                )
                self._notify(conn, account, name)
            return StoreOutcome(
                messages=tuple(result),
                changed=tuple(uid for uid, _ in changed),
                modified=tuple(modified),
                modseq=modseq if changed else highest,
            )

        return self._run(work)

    def _remove(
        self, conn: Conn, mailbox_id: int, uids: Sequence[int], modseq: int
    ) -> Counter[bytes]:
        """Delete messages (existing, locked mailbox), write tombstones, fix counters."""
        rows = conn.execute(
            "DELETE FROM messages WHERE mailbox_id = %s AND uid = ANY(%s)"
            " RETURNING uid, flags, size, body",
            (mailbox_id, list(uids)),
        ).fetchall()
        unseen = sum(_counts(r[1])[0] for r in rows)
        deleted = sum(_counts(r[1])[1] for r in rows)
        self._log(conn, mailbox_id, modseq, [r[0] for r in rows], "expunge")
        conn.execute(
            "UPDATE mailboxes SET highest_modseq = %s, messages = messages - %s,"
            " unseen = unseen - %s, deleted = deleted - %s, size = size - %s,"
            " recent = recent - (SELECT count(*) FROM unnest(%s::bigint[]) u"
            "  WHERE u >= recent_from), updated_at = now() WHERE id = %s",
            (
                modseq,
                len(rows),
                unseen,
                deleted,
                sum(r[2] for r in rows),
                [r[0] for r in rows],
                mailbox_id,
            ),
        )
        return Counter(bytes(r[3]) for r in rows)

    def expunge(
        self, mailbox_id: int, uids: UidRanges | None = None, *, only_deleted: bool = True
    ) -> tuple[int, ...]:
        """Remove messages (those flagged ``\\Deleted`` unless told otherwise) among
        ``uids`` (all when None); returns the removed UIDs, ascending.

        The ``\\Deleted`` messages are found by a partial index: the cost
        follows their number, not the mailbox's.
        """

        def work(conn: Conn) -> tuple[int, ...]:
            highest, _, _, account, name = self._lock_mailbox(conn, mailbox_id)
            if only_deleted:
                lows, highs = _merge(uids) if uids is not None else ([0], [2**62])
                targets = [
                    row[0]
                    for row in conn.execute(
                        "SELECT uid FROM messages m WHERE mailbox_id = %s"
                        " AND '\\Deleted' = ANY (flags) AND EXISTS (SELECT 1 FROM"
                        " unnest(%s::bigint[], %s::bigint[]) r(lo, hi)"
                        " WHERE m.uid BETWEEN r.lo AND r.hi) ORDER BY uid",
                        (mailbox_id, lows, highs),
                    )
                ]
            else:
                targets = [row[0] for row in self._select(conn, mailbox_id, uids)]
            if not targets:
                return ()
            self._drop_bodies(conn, self._remove(conn, mailbox_id, targets, highest + 1))
            self._notify(conn, account, name)
            return tuple(targets)

        return self._run(work)

    def copy(
        self,
        mailbox_id: int,
        uids: UidRanges,
        destination_id: int,
        *,
        move: bool = False,
        quota: Quota | None = None,
    ) -> CopyOutcome:
        """COPY (or MOVE, RFC 6851) the existing messages among ``uids``.

        Flags and internal dates are kept; bodies are shared, not copied.
        Both mailbox rows are locked in id order, so two opposite copies
        cannot deadlock.
        """

        def work(conn: Conn) -> CopyOutcome:
            # MOVE within an account adds nothing to its totals.
            used = self._lock_usage(conn, destination_id) if quota and not move else None
            locked = {}
            for mid in sorted({mailbox_id, destination_id}):
                locked[mid] = self._lock_mailbox(conn, mid)
            rows = self._select(conn, mailbox_id, uids, ", body")
            if quota is not None and used is not None:
                self._check_quota(quota, used, len(rows), sum(row[5] for row in rows))
            dest = locked[destination_id]
            if not rows:
                return CopyOutcome(uidvalidity=dest[1], uid_map=())
            n = len(rows)
            dest_modseq = dest[0] + 1
            pairs = [(row[0], dest[2] + i) for i, row in enumerate(rows)]
            with conn.cursor() as cur:
                cur.executemany(
                    # RFC 8474 5.1: the copy keeps its EMAILID; RFC 8514 3:
                    # it is saved now (saved_at's default).
                    "INSERT INTO messages (mailbox_id, uid, modseq, born, flags, internal_date,"
                    " date_offset, size, email_id, thread_id, body)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (
                            destination_id,
                            new,
                            dest_modseq,
                            dest_modseq,
                            *row[2:7],
                            row[8],
                            row[_EXTRA],
                        )
                        for (_, new), row in zip(pairs, rows, strict=True)
                    ],
                )
            self._log(conn, destination_id, dest_modseq, [new for _, new in pairs], "new")
            flag_sets = [frozenset(row[2]) for row in rows]
            conn.execute(
                "UPDATE mailboxes SET uidnext = uidnext + %s, highest_modseq = %s,"
                " messages = messages + %s, recent = recent + %s, unseen = unseen + %s,"
                " deleted = deleted + %s,"
                f" size = size + %s, {_ADD_KEYWORDS}, updated_at = now() WHERE id = %s",
                (
                    n,
                    dest_modseq,
                    n,
                    n,
                    sum(_counts(f)[0] for f in flag_sets),
                    sum(_counts(f)[1] for f in flag_sets),
                    sum(row[5] for row in rows),
                    _new_keywords(flag_sets),
                    destination_id,
                ),
            )
            self._notify(conn, dest[3], dest[4])
            if move:
                # Same mailbox: the expunge takes the modseq after the copy's.
                source_modseq = dest_modseq + 1 if mailbox_id == destination_id else None
                modseq = source_modseq or locked[mailbox_id][0] + 1
                self._remove(conn, mailbox_id, [old for old, _ in pairs], modseq)
                self._notify(conn, locked[mailbox_id][3], locked[mailbox_id][4])
            else:
                self._add_bodies(conn, Counter(bytes(row[_EXTRA]) for row in rows), {})
            return CopyOutcome(uidvalidity=dest[1], uid_map=tuple(pairs))

        return self._run(work)

    def changes_since(self, mailbox_id: int, modseq: int) -> ChangeSet:
        """What changed after ``modseq``: O(changes) through the ``changes`` index.

        ``new``: appended after it (and still there); ``changed``: existed
        then, flags changed since; ``expunged``: existed then, gone now.
        One snapshot: the counters and the log agree.

        A ``modseq`` older than the log's pruned part (see
        :meth:`prune_changes`) gets what is still known, in the spirit of
        RFC 7162 3.2.5.1 and 3.2.10: ``new`` and ``changed`` stay exact
        (each message keeps the modseq it was born with and its last one),
        while ``expunged`` names every UID below UIDNEXT that is absent now,
        a superset the client reconciles with what it holds (VANISHED
        (EARLIER) may name UIDs the client never saw).  This reads the whole
        mailbox, once, for a client that was away for that long.
        """

        def work(conn: Conn) -> ChangeSet:
            box = conn.execute(
                "SELECT highest_modseq, uidvalidity, uidnext, forgotten_modseq"
                " FROM mailboxes WHERE id = %s",
                (mailbox_id,),
            ).fetchone()
            if box is None:
                raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
            new: list[MessageMeta] = []
            changed: list[MessageMeta] = []
            expunged: list[int] = []
            if modseq < box[3]:
                new, changed, expunged = self._changes_from_messages(
                    conn, mailbox_id, modseq, box[2]
                )
            elif modseq < box[0]:
                rows = conn.execute(
                    "WITH c AS (SELECT uid, bool_or(kind = 'new') AS born,"
                    "  bool_or(kind = 'expunge') AS gone FROM changes"
                    "  WHERE mailbox_id = %s AND modseq > %s GROUP BY uid)"
                    " SELECT c.born, c.gone, c.uid, m.modseq, m.flags, m.internal_date,"
                    " m.date_offset, m.size, m.email_id, m.saved_at, m.thread_id"
                    # LIMIT keeps the lookup a per-change index probe: a plain
                    # join may be planned as a scan of the whole mailbox.
                    " FROM c LEFT JOIN LATERAL (SELECT * FROM messages"
                    "  WHERE mailbox_id = %s AND uid = c.uid LIMIT 1) m ON true"
                    " ORDER BY c.uid",
                    (mailbox_id, modseq, mailbox_id),
                ).fetchall()
                for born, gone, *message in rows:
                    if gone:
                        if not born:
                            expunged.append(message[0])
                    else:
                        (new if born else changed).append(_message(message))
            return ChangeSet(
                new=tuple(new),
                changed=tuple(changed),
                expunged=tuple(expunged),
                highest_modseq=box[0],
                uidvalidity=box[1],
                uidnext=box[2],
            )

        return self._run(work, read_only=True)

    @staticmethod
    def _changes_from_messages(
        conn: Conn, mailbox_id: int, modseq: int, uidnext: int
    ) -> tuple[list[MessageMeta], list[MessageMeta], list[int]]:
        """(new, changed, every absent UID below ``uidnext``) from the
        messages themselves, for a ``modseq`` the log no longer covers."""
        new: list[MessageMeta] = []
        changed: list[MessageMeta] = []
        gaps: list[int] = []
        previous = 0
        for row in conn.execute(
            f"SELECT {_MESSAGE_COLUMNS}, coalesce(born, 0) FROM messages"
            " WHERE mailbox_id = %s ORDER BY uid",
            (mailbox_id,),
        ):
            uid = row[0]
            gaps += range(previous + 1, uid)
            previous = uid
            if row[1] > modseq:
                (new if row[_EXTRA] > modseq else changed).append(_message(row))
        gaps += range(previous + 1, uidnext)
        return new, changed, gaps

    def prune_changes(
        self,
        mailbox_id: int,
        *,
        keep: int | None = None,
        before: datetime | None = None,
    ) -> int:
        """Forget old entries of the mailbox's change log; returns the modseq
        up to which it is now forgotten (0: nothing ever was).

        An entry is kept while it is among the ``keep`` newest or was written
        at or after ``before`` (either alone when the other is None); the
        rest, always a run of the oldest modseqs, goes.  ``changes_since``
        from a forgotten modseq then answers what is still known (see there).
        The store does this by itself with ``keep_changes`` (see the class);
        this is for a tighter bound or a cut by age.
        """
        if keep is None and before is None:
            raise ValueError("prune_changes needs keep or before")
        return self._run(lambda conn: self._prune(conn, mailbox_id, keep, before))

    def _log(self, conn: Conn, mailbox_id: int, modseq: int, uids: list[int], kind: str) -> None:
        """Write ``uids``' entries of one change to the log and, once per
        ``keep_changes`` modseqs, cut the log back (amortised O(1) per change:
        the log of a long-lived mailbox stays bounded without a maintenance job)."""
        conn.execute(
            "INSERT INTO changes (mailbox_id, modseq, uid, kind)"
            " SELECT %s, %s, u, %s FROM unnest(%s::bigint[]) u",
            (mailbox_id, modseq, kind, uids),
        )
        if self.keep_changes is not None and modseq % self.keep_changes == 0:
            self._prune(conn, mailbox_id, self.keep_changes, None)

    @staticmethod
    def _prune(conn: Conn, mailbox_id: int, keep: int | None, before: datetime | None) -> int:
        """:meth:`prune_changes`' work in the caller's transaction."""
        row = conn.execute(
            "SELECT forgotten_modseq FROM mailboxes WHERE id = %s FOR UPDATE",
            (mailbox_id,),
        ).fetchone()
        if row is None:
            raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
        limit: int | None = None  # entries below this modseq are not among the newest
        if keep is not None:
            nth = conn.execute(
                "SELECT modseq FROM changes WHERE mailbox_id = %s"
                " ORDER BY modseq DESC, uid DESC OFFSET %s LIMIT 1",
                (mailbox_id, max(keep - 1, 0)),
            ).fetchone()
            if nth is None:
                return int(row[0])  # fewer than ``keep`` entries
            limit = nth[0] if keep > 0 else nth[0] + 1
        found = conn.execute(
            "SELECT max(modseq) FROM changes WHERE mailbox_id = %s"
            " AND (%s::bigint IS NULL OR modseq < %s)"
            " AND (%s::timestamptz IS NULL OR created_at < %s)",
            (mailbox_id, limit, limit, before, before),
        ).fetchone()
        if found is None or found[0] is None:
            return int(row[0])
        # Everything up to the newest entry that goes, so that the log
        # stays complete after the recorded point.
        forgotten = max(int(row[0]), int(found[0]))
        conn.execute(
            "DELETE FROM changes WHERE mailbox_id = %s AND modseq <= %s",
            (mailbox_id, forgotten),
        )
        conn.execute(
            "UPDATE mailboxes SET forgotten_modseq = %s WHERE id = %s",
            (forgotten, mailbox_id),
        )
        return forgotten

    def prune_all_changes(self, *, keep: int | None = None, before: datetime | None = None) -> int:
        """:meth:`prune_changes` on every mailbox of every account, each in its
        own transaction; returns how many mailboxes were looked at."""
        ids = self._read(
            lambda conn: [r[0] for r in conn.execute("SELECT id FROM mailboxes WHERE selectable")],
        )
        for mailbox_id in ids:
            try:
                self.prune_changes(mailbox_id, keep=keep, before=before)
            except MailboxNotFound:
                continue  # deleted meanwhile
        return len(ids)

    # -- annotations (RFC 5464) ---------------------------------------------

    @staticmethod
    def _metadata_target(conn: Conn, account: AccountRef, mailbox: str) -> int | None:
        """The id of mailbox ``mailbox`` ("": None, the server), locked for
        the transaction; the server's annotations by an advisory lock."""
        if mailbox == "":
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SERVER_METADATA_LOCK,))
            return None
        row = conn.execute(
            "SELECT id FROM mailboxes WHERE account_id = %s AND name = %s FOR UPDATE",
            (account.id, mailbox),
        ).fetchone()
        if row is None:
            raise MailboxNotFound(f"no mailbox {mailbox!r}")
        return int(row[0])

    def get_metadata(
        self, account: AccountRef, mailbox: str, user: AccountRef | None = None
    ) -> dict[str, bytes]:
        """The shared entries of ``mailbox`` ("" the server) of ``account``
        and the private ones of ``user`` (default: ``account``)."""
        viewer = user or account

        def work(conn: Conn) -> dict[str, bytes]:
            target: int | None = None
            if mailbox != "":
                row = conn.execute(
                    "SELECT id FROM mailboxes WHERE account_id = %s AND name = %s",
                    (account.id, mailbox),
                ).fetchone()
                if row is None:
                    raise MailboxNotFound(f"no mailbox {mailbox!r}")
                target = int(row[0])
            return {
                entry: bytes(value)
                for entry, value in conn.execute(
                    "SELECT entry, value FROM metadata WHERE mailbox_id IS NOT DISTINCT FROM %s"
                    " AND (owner_id IS NULL OR owner_id = %s)",
                    (target, viewer.id),
                )
            }

        return self._run(work, read_only=True)

    def set_metadata(
        self,
        account: AccountRef,
        mailbox: str,
        entries: Mapping[str, bytes | None],
        *,
        max_entries: int,
        user: AccountRef | None = None,
    ) -> tuple[str, ...] | None:
        """Set or remove (None) entries, all or none, the private ones for
        ``user`` (default: ``account``); the entries whose value changed, or
        None (and nothing changed) when more than ``max_entries`` would then
        be visible to that user and the change adds entries (RFC 5464 4.3
        TOOMANY).  A change sends a notice naming the entries (RFC 5465 5.6)."""
        writer = user or account

        def count(conn: Conn, target: int | None) -> int:
            row = conn.execute(
                "SELECT count(*) FROM metadata WHERE mailbox_id IS NOT DISTINCT FROM %s"
                " AND (owner_id IS NULL OR owner_id = %s)",
                (target, writer.id),
            ).fetchone()
            return int(row[0]) if row else 0

        def work(conn: Conn) -> tuple[str, ...]:
            target = self._metadata_target(conn, account, mailbox)
            before = count(conn, target)
            changed: list[str] = []
            for entry, value in entries.items():
                owner = writer.id if entry.startswith("/private/") else None
                old = conn.execute(
                    "SELECT value FROM metadata WHERE mailbox_id IS NOT DISTINCT FROM %s"
                    " AND owner_id IS NOT DISTINCT FROM %s AND entry = %s",
                    (target, owner, entry),
                ).fetchone()
                if (None if old is None else bytes(old[0])) != value:
                    changed.append(entry)
                if value is None:
                    conn.execute(
                        "DELETE FROM metadata WHERE mailbox_id IS NOT DISTINCT FROM %s"
                        " AND owner_id IS NOT DISTINCT FROM %s AND entry = %s",
                        (target, owner, entry),
                    )
                else:
                    conn.execute(
                        "INSERT INTO metadata VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT ((coalesce(mailbox_id, 0)), (coalesce(owner_id, 0)), entry)"
                        " DO UPDATE SET value = EXCLUDED.value",
                        (target, owner, entry, value),
                    )
            after = count(conn, target)
            if after > before and after > max_entries:
                raise _TooMany
            if changed:
                if mailbox == "":
                    self._notify(conn, writer.name, "", tuple(changed))
                else:
                    private_to = writer.name if writer.id != account.id else None
                    self._notify(conn, account.name, mailbox, tuple(changed), private_to)
            return tuple(changed)

        try:
            return self._run(work)
        except _TooMany:
            return None

    def claim_recent(self, mailbox_id: int) -> tuple[int, ...]:
        """Take the ``\\Recent`` messages: exactly one caller gets each (RFC 3501 2.3.2)."""

        def work(conn: Conn) -> tuple[int, ...]:
            row = conn.execute(
                "UPDATE mailboxes m SET recent_from = m.uidnext, recent = 0 FROM"
                " (SELECT id, recent_from FROM mailboxes WHERE id = %s FOR UPDATE) old"
                " WHERE m.id = old.id RETURNING old.recent_from",
                (mailbox_id,),
            ).fetchone()
            if row is None:
                raise MailboxNotFound(f"mailbox {mailbox_id} does not exist")
            return tuple(
                r[0]
                for r in conn.execute(
                    "SELECT uid FROM messages WHERE mailbox_id = %s AND uid >= %s ORDER BY uid",
                    (mailbox_id, row[0]),
                )
            )

        return self._run(work)
