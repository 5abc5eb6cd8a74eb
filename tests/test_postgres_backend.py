"""PostgresBackend: the Backend contract and the server over a real PostgreSQL."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from _postgres import PostgresCluster
from argon2 import PasswordHasher
from imap_sansio.adapters import PostgresBackend
from imap_sansio.adapters.postgres import Quota

from imap_sansio._secret import Secret
from imap_sansio.server import ChangeNotice, IMAPServer, Session, StoreAction
from imap_sansio.testing.backend import BackendContract

# Cheap parameters: the tests check the backend, not Argon2's cost.
HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class TestPostgresContract(BackendContract):
    @pytest.fixture
    def backend(self, postgres_dsn: str) -> Iterator[PostgresBackend]:
        with PostgresBackend(postgres_dsn, password_hasher=HASHER, object_ids=True) as backend:
            backend.add_user("alice", "secret")
            yield backend


# -- the server over the backend --------------------------------------------

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _say(conn: Session, line: bytes) -> bytes:
    conn.receive_data(line + b"\r\n")
    return conn.data_to_send()


def _session(server: IMAPServer, *commands: bytes) -> Session:
    conn = server.connect(secure=True)
    conn.data_to_send()
    for command in commands:
        assert b"OK" in _say(conn, command).splitlines()[-1]
    return conn


class _Proxy:
    """A TCP relay to PostgreSQL that the test can cut and restore (a real
    network failure between the server and its database, no mock)."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self._target))
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            for s in self._open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self._listener.close()


def test_a_lost_database_is_no_unavailable_and_the_session_recovers(
    postgres_cluster: PostgresCluster,
) -> None:
    dsn = postgres_cluster.new_database()
    proxy = _Proxy(postgres_cluster.port)
    proxied = dsn.replace(f"port={postgres_cluster.port}", f"port={proxy.port}")
    backend = PostgresBackend(
        proxied,
        password_hasher=HASHER,
        listen=False,
        pool_timeout=1.0,
        connect_timeout=1.0,
        statement_timeout=2.0,
    )
    try:
        backend.add_user("alice", "secret")
        server = IMAPServer(backend, clock=lambda: DATE)
        conn = _session(server, b"a LOGIN alice secret", b"b SELECT INBOX")
        assert _say(conn, b"c APPEND INBOX {3+}\r\nhi\n").endswith(
            b"c OK [APPENDUID 1 1] APPEND completed\r\n"
        )
        proxy.cut()
        # RFC 5530: the tagged NO says the store is out of reach; the session stays.
        assert _say(conn, b"d APPEND INBOX {3+}\r\nho\n").endswith(
            b"d NO [UNAVAILABLE] Mail store temporarily unavailable, try again\r\n"
        )
        assert _say(conn, b"e UID FETCH 1 FLAGS").endswith(
            b"e NO [UNAVAILABLE] Mail store temporarily unavailable, try again\r\n"
        )
        assert _say(conn, b"f NOOP") == b"f OK NOOP completed\r\n"
        proxy.restore()
        # The pool reconnects in the background, with backoff: a client
        # retries until the store answers again (a bound, not a timing).
        for _ in range(120):
            answer = _say(conn, b"s STATUS INBOX (MESSAGES)")
            if answer.endswith(b"s OK STATUS completed\r\n"):
                break
            assert answer.endswith(
                b"s NO [UNAVAILABLE] Mail store temporarily unavailable, try again\r\n"
            )
            time.sleep(0.5)
        assert answer == b"* STATUS INBOX (MESSAGES 1)\r\ns OK STATUS completed\r\n"
        assert _say(conn, b"g APPEND INBOX {3+}\r\nhu\n").endswith(
            b"g OK [APPENDUID 1 2] APPEND completed\r\n"
        )
        assert _say(conn, b"h UID FETCH 1:* FLAGS") == (
            b"* 1 FETCH (UID 1 FLAGS (\\Recent))\r\n"
            b"* 2 FETCH (UID 2 FLAGS (\\Recent))\r\n"
            b"h OK FETCH completed\r\n"
        )
    finally:
        backend.close()
        proxy.close()


def test_changes_forgotten_by_pruning_still_reach_a_session(postgres_dsn: str) -> None:
    with PostgresBackend(postgres_dsn, password_hasher=HASHER, listen=False) as backend:
        backend.add_user("alice", "secret")
        server = IMAPServer(backend, clock=lambda: DATE)
        one = _session(server, b"a LOGIN alice secret")
        for _ in range(3):
            _say(one, b"b APPEND INBOX {3+}\r\nhi\n")
        assert _say(one, b"c SELECT INBOX").endswith(b"c OK [READ-WRITE] SELECT completed\r\n")
        two = _session(server, b"a LOGIN alice secret", b"b SELECT INBOX")
        _say(two, b"c STORE 1 +FLAGS (\\Deleted)")
        _say(two, b"d EXPUNGE")
        _say(two, b"e STORE 2 +FLAGS ($Work)")
        _say(two, b"f APPEND INBOX {3+}\r\nho\n")
        # Only the newest entry (UID 4's arrival) is kept: the expunge of
        # UID 1 and the flag change of UID 3 are no longer in the log, yet
        # the session learns them as if nothing had been forgotten.
        backend.prune_changes(keep=1)
        assert _say(one, b"g NOOP") == (
            b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
            b"* 1 EXPUNGE\r\n"
            b"* 2 FETCH (FLAGS ($Work \\Recent) UID 3)\r\n"
            b"* 3 EXISTS\r\n"
            b"g OK NOOP completed\r\n"
        )
        assert _say(one, b"h UID FETCH 1:* FLAGS") == (
            b"* 1 FETCH (UID 2 FLAGS (\\Recent))\r\n"
            b"* 2 FETCH (UID 3 FLAGS ($Work \\Recent))\r\n"
            b"* 3 FETCH (UID 4 FLAGS ())\r\n"
            b"h OK FETCH completed\r\n"
        )


def test_quota_and_appendlimit_reach_the_client(postgres_dsn: str) -> None:
    with PostgresBackend(
        postgres_dsn,
        password_hasher=HASHER,
        listen=False,
        quota=Quota(messages=2, size=10 * 1024),
        max_message_size=1000,
    ) as backend:
        backend.add_user("alice", "secret")
        server = IMAPServer(backend, clock=lambda: DATE)
        conn = _session(server, b"a LOGIN alice secret")
        # RFC 7889 3.2: the account's limit, through STATUS.
        assert _say(conn, b"b STATUS INBOX (APPENDLIMIT)") == (
            b"* STATUS INBOX (APPENDLIMIT 1000)\r\nb OK STATUS completed\r\n"
        )
        for tag in (b"c", b"d"):
            assert b"%s OK [APPENDUID" % tag in _say(conn, tag + b" APPEND INBOX {3+}\r\nhi\n")
        # RFC 9208 5.2, 4.3.1: the limit is the account's, over every mailbox.
        assert _say(conn, b"e APPEND INBOX {3+}\r\nho\n") == (
            b"e NO [OVERQUOTA] Quota exceeded (message count limit reached)\r\n"
        )
        assert _say(conn, b"f GETQUOTAROOT INBOX") == (
            b'* QUOTAROOT INBOX ""\r\n'
            b'* QUOTA "" (STORAGE 1 10 MESSAGE 2 2)\r\n'
            b"f OK GETQUOTAROOT completed\r\n"
        )


def test_listeners_hear_this_process_once_and_others_through_notify(postgres_dsn: str) -> None:
    with PostgresBackend(postgres_dsn, password_hasher=HASHER, listen=False) as setup:
        setup.add_user("alice", "secret")  # before anyone listens
    with (
        PostgresBackend(postgres_dsn, password_hasher=HASHER) as one,
        PostgresBackend(postgres_dsn, password_hasher=HASHER) as two,
    ):
        heard_by_one: list[ChangeNotice] = []
        heard_by_two: queue.Queue[ChangeNotice] = queue.Queue()
        one.add_listener(heard_by_one.append)
        two.add_listener(heard_by_two.put)
        for backend in (one, two):
            assert backend._notifier is not None
            assert backend._notifier.listening.wait(30)  # type: ignore[attr-defined]
        inbox = ChangeNotice(username="alice", mailbox="INBOX")
        one.authenticate("alice", Secret("secret")).append("INBOX", b"x\r\n", internal_date=DATE)
        assert heard_by_one == [inbox]  # at once, in the writing thread
        assert heard_by_two.get(timeout=30) == inbox  # through NOTIFY
        two.authenticate("alice", Secret("secret")).create_mailbox("Later")
        assert heard_by_two.get(timeout=30) == ChangeNotice(username="alice")
        # One's listener connection delivers in commit order: its own
        # append's NOTIFY came before two's and was dropped as its own.
        deadline = time.monotonic() + 30
        while len(heard_by_one) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert heard_by_one == [inbox, ChangeNotice(username="alice")]


def test_open_message_reads_pieces_and_outlives_an_expunge_while_a_copy_remains(
    postgres_dsn: str,
) -> None:
    with PostgresBackend(postgres_dsn, password_hasher=HASHER, listen=False) as backend:
        backend.add_user("alice", "secret")
        alice = backend.authenticate("alice", Secret("secret"))
        data = b"Subject: big\r\n\r\n" + bytes(range(256)) * 8192  # 2 MiB + header
        alice.append("INBOX", data, flags=["\\Deleted"], internal_date=DATE)
        alice.create_mailbox("Copy")
        inbox = alice.select("INBOX")
        assert inbox.open_message(2) is None
        source = inbox.open_message(1)
        assert source is not None and source.size == len(data)
        pieces = [source.read(offset, 65536) for offset in range(0, source.size, 65536)]
        assert b"".join(pieces) == data
        assert source.read(len(data) - 3, 10) == data[-3:]
        inbox.copy([1], "Copy")
        assert inbox.expunge() == (1,)
        assert source.read(5, 7) == data[5:12]  # the copy keeps the bytes
        copy = alice.select("Copy")
        copy.store_flags([1], StoreAction.ADD, ["\\Deleted"])
        copy.expunge()
        assert source.read(5, 7) == b""  # gone: short, and the connection ends
