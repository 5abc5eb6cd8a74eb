"""Change notices across processes through LISTEN/NOTIFY, on a real PostgreSQL.

Waits are bounded generously (CI machines are shared); the notices normally
arrive within milliseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from argon2 import PasswordHasher
from imap_sansio.adapters.postgres import AccountRef, NewMailbox, NewMessage, PostgresStore
from imap_sansio.adapters.postgres_notifier import PostgresNotifier

from imap_sansio._secret import Secret
from imap_sansio.server import ChangeNotice

_WAIT = 10.0
_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_MESSAGE = NewMessage(
    data=b"Subject: hi\r\n\r\nhello\r\n",
    flags=frozenset(),
    internal_date=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
)


class Recorder:
    """A listener that lets a test wait for one particular notice."""

    def __init__(self) -> None:
        self.notices: list[ChangeNotice] = []
        self._changed = threading.Condition()

    def __call__(self, notice: ChangeNotice) -> None:
        with self._changed:
            self.notices.append(notice)
            self._changed.notify_all()

    def wait_for(self, notice: ChangeNotice) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: notice in self.notices, timeout=_WAIT)


@pytest.fixture
def store(postgres_dsn: str) -> Iterator[PostgresStore]:
    with PostgresStore(postgres_dsn, password_hasher=_HASHER) as s:
        yield s


@pytest.fixture
def alice(store: PostgresStore) -> AccountRef:
    account = store.set_account("alice", Secret("pw"))
    store.create_mailboxes(account, [NewMailbox(name="INBOX"), NewMailbox(name="Marker")])
    return account


@pytest.fixture
def notifier(postgres_dsn: str, alice: AccountRef) -> Iterator[PostgresNotifier]:
    with PostgresNotifier(postgres_dsn, check_interval=3600) as n:
        assert n.listening.wait(_WAIT)
        yield n


def test_a_write_through_one_pool_reaches_a_listener_on_another_connection(
    postgres_dsn: str, alice: AccountRef, notifier: PostgresNotifier
) -> None:
    recorder = Recorder()
    remove = notifier.add_listener(recorder)
    # A second store: another pool, as another process would have.
    with PostgresStore(postgres_dsn, password_hasher=_HASHER) as other:
        inbox = other.mailbox(alice, "INBOX").id
        other.append(inbox, [_MESSAGE])
        assert recorder.wait_for(ChangeNotice(username="alice", mailbox="INBOX"))
        other.create_mailboxes(alice, [NewMailbox(name="New")])
        assert recorder.wait_for(ChangeNotice(username="alice", mailbox=None))
        remove()
        other.append(inbox, [_MESSAGE])
        other.append(other.mailbox(alice, "Marker").id, [_MESSAGE])
    assert recorder.notices == [
        ChangeNotice(username="alice", mailbox="INBOX"),
        ChangeNotice(username="alice", mailbox=None),
    ]


def test_one_transaction_gives_one_notice(
    store: PostgresStore, alice: AccountRef, notifier: PostgresNotifier
) -> None:
    recorder = Recorder()
    notifier.add_listener(recorder)
    store.append(store.mailbox(alice, "INBOX").id, [_MESSAGE, _MESSAGE, _MESSAGE])
    # Notices arrive in commit order: once the marker's is here, INBOX's is too.
    store.append(store.mailbox(alice, "Marker").id, [_MESSAGE])
    assert recorder.wait_for(ChangeNotice(username="alice", mailbox="Marker"))
    assert recorder.notices == [
        ChangeNotice(username="alice", mailbox="INBOX"),
        ChangeNotice(username="alice", mailbox="Marker"),
    ]


def test_the_periodic_check_finds_a_change_whose_notice_was_lost(
    postgres_dsn: str, store: PostgresStore, alice: AccountRef, notifier: PostgresNotifier
) -> None:
    recorder = Recorder()
    notifier.add_listener(recorder)
    # A change that sent no NOTIFY (as if the notice had been lost).
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE mailboxes SET highest_modseq = highest_modseq + 1, updated_at = now()"
            " WHERE name = 'INBOX'"
        )
    notifier.check_now()
    assert recorder.wait_for(ChangeNotice(username="alice", mailbox="INBOX"))


def test_the_listener_reconnects_and_catches_up(
    postgres_dsn: str, store: PostgresStore, alice: AccountRef, notifier: PostgresNotifier
) -> None:
    recorder = Recorder()
    notifier.add_listener(recorder)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database()"
            " AND application_name = 'imap-sansio-notifier'"
        ).fetchone()
        assert row == (True,)
    # Made while the listener may still be deaf: its NOTIFY can be lost, and
    # the check after reconnecting announces it then.
    store.append(store.mailbox(alice, "INBOX").id, [_MESSAGE])
    assert recorder.wait_for(ChangeNotice(username="alice", mailbox="INBOX"))
    assert notifier.listening.wait(_WAIT)
    store.append(store.mailbox(alice, "Marker").id, [_MESSAGE])
    assert recorder.wait_for(ChangeNotice(username="alice", mailbox="Marker"))


def test_a_failing_listener_does_not_stop_the_others(
    store: PostgresStore, alice: AccountRef, notifier: PostgresNotifier
) -> None:
    def broken(notice: ChangeNotice) -> None:
        raise RuntimeError("listener bug")

    recorder = Recorder()
    notifier.add_listener(broken)
    notifier.add_listener(recorder)
    store.append(store.mailbox(alice, "INBOX").id, [_MESSAGE])
    assert recorder.wait_for(ChangeNotice(username="alice", mailbox="INBOX"))
