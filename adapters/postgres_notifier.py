"""Change notices between processes through PostgreSQL LISTEN/NOTIFY.

The store sends ``pg_notify`` inside each writing transaction: PostgreSQL
delivers it only when that transaction commits, and folds identical payloads
of one transaction into one.  The payload is ``[account, mailbox, origin]``
(mailbox null for a change of the mailbox list; origin the writing
:class:`~imap_sansio.adapters.postgres.PostgresStore`'s token, so that a
process can skip the notices of its own writes, which it heard at once),
followed for a change of annotations by the entries and whose private ones
they are (``[..., origin, entries, private_to]``, RFC 5465 5.6): a
hint only.  Sessions that hear it
read the store's change log, so a duplicate or spurious notice costs one
query and a lost one is covered by the periodic check.

:class:`PostgresNotifier` runs one listener thread per process on a
connection of its own.  It coalesces the notices that arrive together,
reconnects when the connection drops, and every ``check_interval`` seconds
(and after every reconnect) compares the counters of the recently changed
mailboxes and accounts with what it last saw, announcing any difference: a
notice lost in a reconnect, or a change made while it was deaf, still reaches
the sessions.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Protocol

import psycopg

from imap_sansio.server import ChangeNotice

from .postgres import NOTIFY_CHANNEL

__all__ = ["Notifier", "PostgresNotifier"]

logger = logging.getLogger("imap_sansio.adapters.postgres")

ChangeCallback = Callable[[ChangeNotice], None]


class Notifier(Protocol):
    """Where change notices come from (``Backend.add_listener`` delegates here)."""

    def add_listener(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call ``callback`` (from any thread) for each notice; returns the remover."""
        ...

    def close(self) -> None: ...


def _parse(payload: str, ignore_origin: str | None = None) -> ChangeNotice | None:
    try:
        account, mailbox, *rest = json.loads(payload)
    except (ValueError, TypeError):
        return None
    if not isinstance(account, str) or not (mailbox is None or isinstance(mailbox, str)):
        return None
    if ignore_origin is not None and rest and rest[0] == ignore_origin:
        return None
    metadata: tuple[str, ...] = ()
    private_to = None
    if len(rest) >= 3:  # annotations: [..., origin, entries, private_to]
        entries, private_to = rest[1], rest[2]
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            return None
        if not (private_to is None or isinstance(private_to, str)):
            return None
        metadata = tuple(entries)
    return ChangeNotice(username=account, mailbox=mailbox, metadata=metadata, private_to=private_to)


class PostgresNotifier:
    """``PostgresNotifier(dsn)``: start listening at once; :meth:`close` stops.

    ``coalesce``: after a first notice, further ones arriving within this
    many seconds are delivered with it, each distinct one once.
    ``check_interval``: seconds between periodic checks.  ``margin``: how far
    back a check looks beyond the previous one (a transaction's timestamp is
    its start, so it must exceed the longest write transaction).
    ``ignore_origin``: notices sent by the store with this
    :attr:`~imap_sansio.adapters.postgres.PostgresStore.origin` are dropped
    (its process heard them when they committed).
    """

    def __init__(
        self,
        dsn: str,
        *,
        channel: str = NOTIFY_CHANNEL,
        coalesce: float = 0.02,
        check_interval: float = 30.0,
        margin: float = 60.0,
        reconnect_delay: float = 1.0,
        ignore_origin: str | None = None,
    ) -> None:
        self._ignore_origin = ignore_origin
        self._dsn = dsn
        self._channel = channel
        self._coalesce = coalesce
        self._check_interval = check_interval
        self._margin = margin
        self._reconnect_delay = reconnect_delay
        self._listeners: list[ChangeCallback] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        #: Set while LISTEN is active (tests wait for it before writing).
        self.listening = threading.Event()
        self._seen: dict[tuple[str, int], Any] = {}  # ("m", id) / ("a", id) -> version
        self._checked_once = False
        self._last_check: Any = None  # the database's now() at the last check
        self._force_check = False
        self._thread = threading.Thread(target=self._loop, name="imap-sansio-notify", daemon=True)
        self._thread.start()

    def add_listener(self, callback: ChangeCallback) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return remove

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> PostgresNotifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_now(self) -> None:
        """Ask the thread to run the periodic check at its next wake-up."""
        self._force_check = True

    # -- the thread ------------------------------------------------------

    def _dispatch(self, notices: Iterable[ChangeNotice]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for notice in notices:
            for callback in listeners:
                try:
                    callback(notice)
                except Exception:
                    logger.exception("change listener failed")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._dsn,
                    autocommit=True,
                    connect_timeout=5,
                    application_name="imap-sansio-notifier",
                    options="-c statement_timeout=10000",
                    keepalives=1,
                    keepalives_idle=10,
                    keepalives_interval=5,
                    keepalives_count=2,
                ) as conn:
                    conn.execute(f'LISTEN "{self._channel}"')
                    # Anything that changed while this process was deaf.
                    self._check(conn)
                    self.listening.set()
                    self._listen(conn)
            except psycopg.Error as exc:
                self.listening.clear()
                logger.warning("change listener lost its connection (%s)", type(exc).__name__)
                self._stop.wait(self._reconnect_delay)
        self.listening.clear()

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        next_check = time.monotonic() + self._check_interval
        while not self._stop.is_set():
            wait = max(0.0, min(0.5, next_check - time.monotonic()))
            pending: dict[ChangeNotice, None] = {}
            for note in conn.notifies(timeout=wait, stop_after=1):
                if (notice := _parse(note.payload, self._ignore_origin)) is not None:
                    pending[notice] = None
            if pending:
                for note in conn.notifies(timeout=self._coalesce):
                    if (notice := _parse(note.payload, self._ignore_origin)) is not None:
                        pending[notice] = None
                self._dispatch(pending)
            if self._force_check or time.monotonic() >= next_check:
                self._force_check = False
                self._check(conn)
                next_check = time.monotonic() + self._check_interval

    def _check(self, conn: psycopg.Connection[Any]) -> None:
        """Announce every recently changed mailbox or list whose counter moved."""
        now_row = conn.execute("SELECT now()").fetchone()
        assert now_row is not None
        since = (now_row[0] if self._last_check is None else self._last_check) - timedelta(
            seconds=self._margin
        )
        found: dict[tuple[str, int], tuple[Any, ChangeNotice]] = {}
        if conn.execute("SELECT to_regclass('mailboxes')").fetchone() != (None,):
            for mid, account, name, modseq, uidvalidity in conn.execute(
                "SELECT m.id, a.name, m.name, m.highest_modseq, m.uidvalidity"
                " FROM mailboxes m JOIN accounts a ON a.id = m.account_id"
                " WHERE m.updated_at > %s",
                (since,),
            ):
                notice = ChangeNotice(username=account, mailbox=name)
                found[("m", mid)] = ((modseq, name, uidvalidity), notice)
            for aid, account, changed in conn.execute(
                "SELECT id, name, list_changed_at FROM accounts WHERE list_changed_at > %s",
                (since,),
            ):
                found[("a", aid)] = (changed, ChangeNotice(username=account))
        notices: dict[ChangeNotice, None] = {}
        for key, (version, notice) in found.items():
            if self._checked_once and self._seen.get(key) != version:
                notices[notice] = None
        # Forget what left the window: it is older than any transaction open now.
        self._seen = {key: version for key, (version, _) in found.items()}
        self._checked_once = True
        self._last_check = now_row[0]
        if notices:
            self._dispatch(notices)
