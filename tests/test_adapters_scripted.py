"""What only an instrumented server shows about the adapters, on every runtime.

The scripted server (``_scripted_server.py``) raises when two calls into it
overlap, holds a connection paused on ``XHOLD`` until the next ``poll()``,
and counts polls; the real ``IMAPServer`` shows none of that from outside.
Everything else is tested against the real server in
``test_adapters_transport.py``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from _adapter_harness import RUNTIMES, Client, running_server
from _scripted_server import ScriptedServer
from imap_sansio.adapters import ServerOptions

from imap_sansio.server._backend import ChangeNotice

FAST = ServerOptions(shutdown_grace=2.0)


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    assert server.overlaps == 0, "two calls into the server overlapped: the lock failed"


def login(client: Client) -> None:
    assert client.command(b"L", b"LOGIN alice wonderland")[-1] == b"L OK LOGIN completed\r\n"


def test_many_concurrent_clients_share_one_lock(runtime: str, scripted: ScriptedServer) -> None:
    with running_server(runtime, scripted, options=FAST) as srv:
        errors: list[BaseException] = []

        def work() -> None:
            try:
                # 200 clients on a busy machine: this checks the lock, not
                # the latency, so a slow answer is no failure.
                with Client(srv.port, timeout=60) as client:
                    client.line()
                    login(client)
                    for i in range(5):
                        client.send(b"a APPEND INBOX {3+}\r\nabc\r\n")
                        assert client.until_tagged(b"a")[-1] == b"a OK APPEND completed\r\n"
                        assert client.command(b"n%d" % i, b"NOOP")[-1].endswith(
                            b"OK NOOP completed\r\n"
                        )
                    client.command(b"z", b"LOGOUT")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors[0]
    assert len(scripted.messages) == 1000


def test_change_notified_from_a_foreign_thread_wakes_idle(
    runtime: str, scripted: ScriptedServer
) -> None:
    # A store shared with other processes (e.g. PostgreSQL LISTEN/NOTIFY)
    # calls the listener from its own thread.
    with running_server(runtime, scripted, options=FAST) as srv, Client(srv.port) as idler:
        idler.line()
        login(idler)
        idler.send(b"i IDLE\r\n")
        assert idler.line() == b"+ idling\r\n"
        scripted.messages.append(b"from elsewhere")
        notice = ChangeNotice(username="alice", mailbox=None)
        threading.Thread(target=scripted.notify, args=(notice,)).start()
        assert idler.line(timeout=2) == b"* 1 EXISTS\r\n"


def test_paused_connection_is_not_read_from(runtime: str, scripted: ScriptedServer) -> None:
    options = ServerOptions(read_size=4096, shutdown_grace=2.0)
    with running_server(runtime, scripted, options=options) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        assert client.command(b"h", b"XHOLD") == [b"h OK holding\r\n"]
        # A small send buffer: the socket fills after fewer commands.
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        client.sock.setblocking(False)
        command = b"n NOOP\r\n"
        sent = 0
        for _ in range(100_000):
            try:
                sent += client.sock.send(command * 512)
            except BlockingIOError:
                break
        else:
            raise AssertionError("the server kept reading from a paused connection")
        connection = scripted.connections[0]
        assert len(connection.received) == 2  # LOGIN, XHOLD: nothing was processed
        # The application answers (the scripted server resumes on poll):
        # reading resumes.
        scripted.notify(ChangeNotice(username="alice", mailbox=None))
        client.sock.setblocking(True)
        commands = sent // len(command)
        for _ in range(commands):
            assert client.until_tagged(b"n")[-1] == b"n OK NOOP completed\r\n"
        assert client.command(b"z", b"LOGOUT")[-1] == b"z OK LOGOUT completed\r\n"
        assert len(connection.received) == 3 + commands


def test_change_notice_wakes_only_the_sessions_it_concerns(runtime: str) -> None:
    scripted = ScriptedServer({"alice": "wonderland", "bob": "builder"})
    with running_server(runtime, scripted, options=FAST) as srv:
        clients = [Client(srv.port) for _ in range(4)]
        try:
            setups = [
                (b"alice wonderland", b"INBOX"),
                (b"alice wonderland", b"Other"),
                (b"alice wonderland", None),
                (b"bob builder", b"INBOX"),
            ]
            for client, (credentials, mailbox) in zip(clients, setups, strict=True):
                client.line()
                assert client.command(b"L", b"LOGIN " + credentials)[-1].startswith(b"L OK")
                if mailbox is not None:
                    assert client.command(b"s", b"SELECT " + mailbox)[-1].startswith(b"s OK")
            # Accept order is not connect order: find each session by its scope.
            scopes = {
                (c.username, c.mailbox.name if c.mailbox else None): c for c in scripted.connections
            }
            connections = [
                scopes[("alice", "INBOX")],
                scopes[("alice", "Other")],
                scopes[("alice", None)],
                scopes[("bob", "INBOX")],
            ]

            def polls_after(notice: ChangeNotice, expected: list[int]) -> None:
                before = [c.polls for c in connections]
                scripted.notify(notice)
                with scripted.polled:  # woken by every poll(), no sleeping
                    assert scripted.polled.wait_for(
                        lambda: all(
                            c.polls - b >= e
                            for c, b, e in zip(connections, before, expected, strict=True)
                        ),
                        timeout=5,
                    )
                # A session's wake-up is filed before the first expected poll
                # (one notice wakes its sessions at once), and a woken session
                # polls before it answers its next command: after a NOOP round
                # trip on every session, a wrong wake-up would have shown.
                for client in clients:
                    assert client.command(b"n", b"NOOP")[-1] == b"n OK NOOP completed\r\n"
                woken = [c.polls - b for c, b in zip(connections, before, strict=True)]
                assert woken == expected

            polls_after(ChangeNotice(username="alice", mailbox="INBOX"), [1, 0, 0, 0])
            polls_after(ChangeNotice(username="alice", mailbox="Other"), [0, 1, 0, 0])
            polls_after(ChangeNotice(username="alice", mailbox=None), [1, 1, 1, 0])
            polls_after(ChangeNotice(username="bob", mailbox="INBOX"), [0, 0, 0, 1])
            polls_after(ChangeNotice(username="carol", mailbox=None), [0, 0, 0, 0])
        finally:
            for client in clients:
                client.close()
