"""The adapters on every runtime, against the toy server of the contract."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import anyio
import pytest
import trustme
from _adapter_harness import RUNTIMES, Client, running_server
from _fake_imap_server import FakeServer
from imap_sansio.adapters import AnyIOServer, ServerOptions, is_loopback, server_ssl_context
from imap_sansio.adapters._driver import WakeIndex, transport_is_secure

from imap_sansio.server._backend import ChangeNotice

FAST = ServerOptions(shutdown_grace=2.0)


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    cert = ca.issue_cert("localhost", "127.0.0.1")
    directory = tmp_path_factory.mktemp("tls")
    chain = directory / "chain.pem"
    key = directory / "key.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    key.write_bytes(cert.private_key_pem.bytes())
    return server_ssl_context(chain, key)


@pytest.fixture(scope="module")
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    assert server.overlaps == 0, "two calls into the server overlapped: the lock failed"


def login(client: Client) -> None:
    assert client.command(b"L", b"LOGIN alice wonderland")[-1] == b"L OK LOGIN completed\r\n"


def test_greeting_and_capability_loopback_is_secure(runtime: str, fake: FakeServer) -> None:
    with running_server(runtime, fake, options=FAST) as srv, Client(srv.port) as client:
        assert client.line() == b"* OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] fake ready\r\n"
        assert client.command(b"a", b"CAPABILITY") == [
            b"* CAPABILITY IMAP4rev1 IDLE LITERAL+\r\n",
            b"a OK CAPABILITY completed\r\n",
        ]
        assert fake.connections[0].secure is True
        assert fake.connections[0].tls_available is False
        assert client.command(b"z", b"LOGOUT") == [
            b"* BYE Logging out\r\n",
            b"z OK LOGOUT completed\r\n",
        ]
        assert client.at_eof()


def test_pipelined_commands_answered_in_order(runtime: str, fake: FakeServer) -> None:
    with running_server(runtime, fake, options=FAST) as srv, Client(srv.port) as client:
        client.line()
        client.send(b"a NOOP\r\nb LOGIN alice wonderland\r\nc CAPABILITY\r\nd NOOP\r\n")
        assert client.until_tagged(b"d") == [
            b"a OK NOOP completed\r\n",
            b"b OK LOGIN completed\r\n",
            b"* CAPABILITY IMAP4rev1 IDLE LITERAL+\r\n",
            b"c OK CAPABILITY completed\r\n",
            b"d OK NOOP completed\r\n",
        ]


def test_large_literal_in_small_chunks(runtime: str, fake: FakeServer) -> None:
    message = bytes(range(256)) * 800  # 200 KiB, every byte value
    with running_server(runtime, fake, options=FAST) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        client.send(b"a APPEND INBOX {%d}\r\n" % len(message))
        assert client.line() == b"+ Ready for literal data\r\n"
        for start in range(0, len(message), 997):
            client.send(message[start : start + 997])
        client.send(b"\r\n")
        assert client.until_tagged(b"a") == [b"* 1 EXISTS\r\n", b"a OK APPEND completed\r\n"]
    assert fake.messages == [message]


def test_starttls_drops_bytes_sent_before_the_handshake(
    runtime: str,
    fake: FakeServer,
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    with (
        running_server(runtime, fake, options=FAST, ssl_context=server_context) as srv,
        Client(srv.port) as client,
    ):
        assert b"STARTTLS" in client.line()
        assert fake.connections[0].tls_available is True
        # The injection attack (CVE-2011-0411 class): a command pipelined
        # after STARTTLS in plaintext must never be executed.
        client.send(b"a STARTTLS\r\nb NOOP\r\n")
        assert client.line() == b"a OK Begin TLS negotiation now\r\n"
        client.start_tls(client_context)
        assert client.command(b"c", b"NOOP") == [b"c OK NOOP completed\r\n"]
        assert fake.connections[0].received == [b"a STARTTLS", b"c NOOP"]
        assert fake.connections[0].tls is True


def test_implicit_tls_port(
    runtime: str,
    fake: FakeServer,
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    with (
        running_server(runtime, fake, options=FAST, ssl_context=server_context, tls=True) as srv,
        Client(srv.tls_port or 0, context=client_context) as client,
    ):
        # No STARTTLS on the TLS port; secure, so no LOGINDISABLED either.
        assert client.line() == b"* OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] fake ready\r\n"
        login(client)
        assert fake.connections[0].tls_available is False


def test_failed_tls_handshake_closes_quietly(
    runtime: str, fake: FakeServer, server_context: ssl.SSLContext
) -> None:
    with (
        running_server(runtime, fake, options=FAST, ssl_context=server_context, tls=True) as srv,
        Client(srv.tls_port or 0) as client,
    ):
        client.send(b"a CAPABILITY\r\n")  # plaintext to the TLS port
        assert client.at_eof()
        with Client(srv.port) as other:  # the server is still fine
            assert other.line().startswith(b"* OK")


@pytest.mark.parametrize(
    ("options", "prelude", "bye"),
    [
        (
            ServerOptions(login_timeout=0.3),
            b"",
            b"* BYE Timed out waiting for login\r\n",
        ),
        (
            ServerOptions(idle_timeout=0.3),
            b"L LOGIN alice wonderland\r\n",
            b"* BYE Autologout; idle for too long\r\n",
        ),
        (
            ServerOptions(literal_timeout=0.3),
            b"L LOGIN alice wonderland\r\na APPEND INBOX {100+}\r\nonly part",
            b"* BYE Timed out waiting for the rest of the command\r\n",
        ),
    ],
    ids=["login", "idle", "literal"],
)
def test_timeouts_end_with_bye_and_close(
    runtime: str, fake: FakeServer, options: ServerOptions, prelude: bytes, bye: bytes
) -> None:
    with running_server(runtime, fake, options=options) as srv, Client(srv.port) as client:
        client.line()
        started = time.monotonic()
        client.send(prelude)
        lines = []
        while (line := client.line()).startswith(b"L "):
            lines.append(line)
        assert line == bye
        assert 0.2 < time.monotonic() - started < 3
        assert client.at_eof()


def test_idle_gets_keepalives(runtime: str, fake: FakeServer) -> None:
    options = ServerOptions(keepalive_interval=0.2)
    with running_server(runtime, fake, options=options) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        client.send(b"i IDLE\r\n")
        assert client.line() == b"+ idling\r\n"
        assert client.line(timeout=2) == b"* OK Still here\r\n"
        assert client.line(timeout=2) == b"* OK Still here\r\n"
        client.send(b"DONE\r\n")
        assert client.line() == b"i OK IDLE terminated\r\n"


def test_idle_push_is_event_driven(runtime: str, fake: FakeServer) -> None:
    with (
        running_server(runtime, fake, options=FAST) as srv,
        Client(srv.port) as idler,
        Client(srv.port) as writer,
    ):
        idler.line()
        writer.line()
        login(idler)
        login(writer)
        assert idler.command(b"s", b"SELECT INBOX")[-1].startswith(b"s OK")
        idler.send(b"i IDLE\r\n")
        assert idler.line() == b"+ idling\r\n"
        latencies = []
        for n in range(1, 6):
            writer.send(b"a APPEND INBOX {5+}\r\n")
            started = time.perf_counter()
            writer.send(b"hello\r\n")
            assert idler.line(timeout=2) == b"* %d EXISTS\r\n" % n
            latencies.append(time.perf_counter() - started)
            writer.until_tagged(b"a")
        print(f"\n{runtime}: IDLE push latency ms:", [round(x * 1000, 2) for x in latencies])
        assert max(latencies) < 1.0  # the goal is < 0.1 s: see the printed values


def test_too_many_connections_get_bye(runtime: str, fake: FakeServer) -> None:
    options = ServerOptions(max_connections=2)
    with (
        running_server(runtime, fake, options=options) as srv,
        Client(srv.port) as first,
        Client(srv.port) as second,
    ):
        first.line()
        second.line()
        with Client(srv.port) as third:
            assert third.line() == b"* BYE Too many connections\r\n"
            assert third.at_eof()
        first.command(b"z", b"LOGOUT")
        assert first.at_eof()
        time.sleep(0.2)
        with Client(srv.port) as fourth:  # a slot is free again
            assert fourth.line().startswith(b"* OK")


def test_shutdown_says_bye_to_everyone(runtime: str, fake: FakeServer) -> None:
    with running_server(runtime, fake, options=FAST) as srv:
        clients = [Client(srv.port) for _ in range(3)]
        for client in clients:
            client.line()
        login(clients[0])
        clients[0].send(b"i IDLE\r\n")
        assert clients[0].line() == b"+ idling\r\n"
        started = time.monotonic()
        srv.stop()
        assert time.monotonic() - started < 5  # nobody waits for the grace period
        for client in clients:
            assert client.line() == b"* BYE Server shutting down\r\n"
            assert client.at_eof()
            client.close()


def test_client_that_stops_reading_is_not_buffered_without_bound(
    runtime: str, fake: FakeServer
) -> None:
    options = ServerOptions(send_timeout=1.0, read_size=4096, write_size=4096)
    with running_server(runtime, fake, options=options) as srv, Client(srv.port) as client:
        client.line()
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.sock.setblocking(False)
        command = b"a CAPABILITY\r\n" * 512  # ~7 KiB in, ~30 KiB out
        sent = 0
        deadline = time.monotonic() + 10
        blocked = False
        while time.monotonic() < deadline:
            try:
                sent += client.sock.send(command)
            except BlockingIOError:
                blocked = True
                break
            except OSError:  # the server already gave up on us
                blocked = True
                break
        assert blocked, "the server kept reading from a client that never reads"
        commands = sent // 14
        assert len(fake.connections[0].received) < commands
        # ...and it then drops the connection after send_timeout.
        time.sleep(2.5)
        client.sock.setblocking(True)
        assert client.at_eof(timeout=5)


def test_many_concurrent_clients_share_one_lock(runtime: str, fake: FakeServer) -> None:
    with running_server(runtime, fake, options=FAST) as srv:
        errors: list[BaseException] = []

        def work() -> None:
            try:
                with Client(srv.port) as client:
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
            thread.join(30)
        assert not errors, errors[0]
    assert len(fake.messages) == 1000


def test_logs_commands_but_never_passwords(
    runtime: str, fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="imap_sansio.adapters")
    with running_server(runtime, fake, options=FAST) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        client.command(b"b", b"LOGIN alice {10+}\r\nwonderland")
        client.command(b"c", b"NOOP")
        client.command(b"d", b"LOGOUT")
        client.at_eof()
    text = caplog.text
    assert "wonderland" not in text
    assert "command L LOGIN" in text
    assert "command b LOGIN" in text
    assert "command c NOOP" in text
    assert text.count("logged in as 'alice'") == 1
    assert text.count("login failed for 'alice'") == 1


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("127.8.9.10")
    assert is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.1")
    assert not is_loopback("::ffff:192.0.2.1")
    assert not is_loopback("example.org")


def test_only_tls_loopback_or_explicit_permission_is_secure() -> None:
    assert transport_is_secure("127.0.0.1", tls=False, allow_plaintext=False)
    assert transport_is_secure("192.0.2.7", tls=True, allow_plaintext=False)
    assert transport_is_secure("192.0.2.7", tls=False, allow_plaintext=True)
    assert not transport_is_secure("192.0.2.7", tls=False, allow_plaintext=False)
    assert not transport_is_secure("2001:db8::1", tls=False, allow_plaintext=False)


def test_change_notified_from_a_foreign_thread_wakes_idle(runtime: str, fake: FakeServer) -> None:
    # A store shared with other processes (e.g. PostgreSQL LISTEN/NOTIFY)
    # calls the listener from its own thread.
    with running_server(runtime, fake, options=FAST) as srv, Client(srv.port) as idler:
        idler.line()
        login(idler)
        idler.send(b"i IDLE\r\n")
        assert idler.line() == b"+ idling\r\n"
        fake.messages.append(b"from elsewhere")
        started = time.perf_counter()
        notice = ChangeNotice(username="alice", mailbox=None)
        threading.Thread(target=fake.notify, args=(notice,)).start()
        assert idler.line(timeout=2) == b"* 1 EXISTS\r\n"
        assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_server_reports_a_taken_port(backend: str, fake: FakeServer) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]

    async def main() -> None:
        async with AnyIOServer(fake, port=port):
            raise AssertionError("the port was taken")

    try:
        with pytest.raises(OSError):
            anyio.run(main, backend=backend)
    finally:
        taken.close()


def test_logging_hooks_keep_the_applications_hooks(runtime: str, fake: FakeServer) -> None:
    seen: list[tuple[str, str]] = []
    logins: list[tuple[str, bool]] = []
    fake.on_command = lambda session, command: seen.append((command.tag, command.name))
    fake.on_login = lambda session, username, ok: logins.append((username, ok))
    with running_server(runtime, fake, options=FAST) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        client.command(b"u", b"UID FETCH 1 (FLAGS)")
        client.command(b"z", b"LOGOUT")
        assert client.at_eof()
    assert seen == [("L", "LOGIN"), ("u", "FETCH"), ("z", "LOGOUT")]
    assert logins == [("alice", True)]


def test_paused_connection_is_not_read_from(runtime: str, fake: FakeServer) -> None:
    options = ServerOptions(read_size=4096, shutdown_grace=2.0)
    with running_server(runtime, fake, options=options) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        assert client.command(b"h", b"XHOLD") == [b"h OK holding\r\n"]
        client.sock.setblocking(False)
        command = b"n NOOP\r\n"
        sent = 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                sent += client.sock.send(command * 512)
            except BlockingIOError:
                break
        else:
            raise AssertionError("the server kept reading from a paused connection")
        connection = fake.connections[0]
        assert len(connection.received) == 2  # LOGIN, XHOLD: nothing was processed
        # The application answers (the fake resumes on poll): reading resumes.
        fake.notify(ChangeNotice(username="alice", mailbox=None))
        client.sock.setblocking(True)
        commands = sent // len(command)
        for _ in range(commands):
            assert client.until_tagged(b"n")[-1] == b"n OK NOOP completed\r\n"
        assert client.command(b"z", b"LOGOUT")[-1] == b"z OK LOGOUT completed\r\n"
        assert len(connection.received) == 3 + commands


def test_change_notice_wakes_only_the_sessions_it_concerns(runtime: str) -> None:
    fake = FakeServer({"alice": "wonderland", "bob": "builder"})
    with running_server(runtime, fake, options=FAST) as srv:
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
                (c.username, c.mailbox.name if c.mailbox else None): c for c in fake.connections
            }
            connections = [
                scopes[("alice", "INBOX")],
                scopes[("alice", "Other")],
                scopes[("alice", None)],
                scopes[("bob", "INBOX")],
            ]

            def polls_after(notice: ChangeNotice, expected: list[int]) -> None:
                before = [c.polls for c in connections]
                fake.notify(notice)
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    woken = [c.polls - b for c, b in zip(connections, before, strict=True)]
                    if all(w >= e for w, e in zip(woken, expected, strict=True)):
                        break
                    time.sleep(0.01)
                time.sleep(0.2)  # room for wrong wake-ups to show
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


def test_wake_index_files_sessions_by_user_and_mailbox() -> None:
    index: WakeIndex[str] = WakeIndex()
    index.update("a1", "alice", "INBOX")
    index.update("a2", "alice", None)
    index.update("b1", "bob", "INBOX")
    index.update("anonymous", None, None)
    assert index.select(ChangeNotice(username="alice", mailbox="INBOX")) == ["a1"]
    assert sorted(index.select(ChangeNotice(username="alice", mailbox=None))) == ["a1", "a2"]
    assert index.select(ChangeNotice(username="alice", mailbox="Sent")) == []
    index.update("a1", "alice", "Sent")  # selected another mailbox
    assert index.select(ChangeNotice(username="alice", mailbox="INBOX")) == []
    assert index.select(ChangeNotice(username="alice", mailbox="Sent")) == ["a1"]
    index.discard("a1")
    index.discard("a2")
    index.discard("never filed")
    assert index.select(ChangeNotice(username="alice", mailbox=None)) == []
    assert index.select(ChangeNotice(username="bob", mailbox="INBOX")) == ["b1"]
