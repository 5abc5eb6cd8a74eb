"""The transport work of the adapters on every runtime, with the real server.

Framing across reads, TLS (STARTTLS and implicit), timeouts, keepalives,
IDLE push, connection limits, shutdown, back-pressure and logging, against
``IMAPServer(MemoryBackend)``.  What only an instrumented server can show
(the adapters' lock, pausing, which sessions a change wakes) is in
``test_adapters_scripted.py``.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import time

import anyio
import pytest
import trustme
from _adapter_harness import RUNTIMES, Client, running_server, watch_log
from imap_sansio.adapters import AnyIOServer, ServerOptions, is_loopback, server_ssl_context
from imap_sansio.adapters._driver import WakeIndex, transport_is_secure
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, MemoryBackend
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
def server() -> IMAPServer:
    return IMAPServer(MemoryBackend(users={"alice": "wonderland"}), clock=wall_clock)


def login(client: Client) -> None:
    assert client.command(b"L", b"LOGIN alice wonderland")[-1].startswith(b"L OK ")


def stored_messages(server: IMAPServer) -> bytes:
    """Every message of alice's INBOX as FETCH BODY.PEEK[] answers it, read
    through a socket-free session once the adapter has stopped."""
    session = server.connect()
    session.receive_data(
        b"L LOGIN alice wonderland\r\nE EXAMINE INBOX\r\nF FETCH 1:* BODY.PEEK[]\r\n"
    )
    return session.data_to_send()


def test_greeting_and_capability_loopback_is_secure(runtime: str, server: IMAPServer) -> None:
    with running_server(runtime, server, options=FAST) as srv, Client(srv.port) as client:
        greeting = client.line()
        assert greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
        # Loopback counts as secure, and no TLS is configured.
        assert b"LOGINDISABLED" not in greeting
        assert b"STARTTLS" not in greeting
        capability, done = client.command(b"a", b"CAPABILITY")
        assert capability.startswith(b"* CAPABILITY IMAP4rev1 ")
        assert done == b"a OK CAPABILITY completed\r\n"
        assert client.command(b"z", b"LOGOUT") == [
            b"* BYE Logging out\r\n",
            b"z OK LOGOUT completed\r\n",
        ]
        assert client.at_eof()


def test_pipelined_commands_answered_in_order(runtime: str, server: IMAPServer) -> None:
    with running_server(runtime, server, options=FAST) as srv, Client(srv.port) as client:
        client.line()
        client.send(b"a NOOP\r\nb LOGIN alice wonderland\r\nc LOGOUT\r\n")
        lines = client.until_tagged(b"c")
        assert lines[0] == b"a OK NOOP completed\r\n"
        assert lines[1].startswith(b"b OK [CAPABILITY IMAP4rev1 ")
        assert lines[2:] == [b"* BYE Logging out\r\n", b"c OK LOGOUT completed\r\n"]


def test_large_literal_in_small_chunks(runtime: str, server: IMAPServer) -> None:
    # 200 KiB, every byte but NUL (literal8 only) in the body; the header is
    # 7-bit (RFC 6855 4: 8-bit header fields need ENABLE UTF8=ACCEPT).
    message = b"Subject: bytes\r\n\r\n" + bytes(range(1, 256)) * 800
    with running_server(runtime, server, options=FAST) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        client.send(b"a APPEND INBOX {%d}\r\n" % len(message))
        assert client.line().startswith(b"+ ")
        for start in range(0, len(message), 997):
            client.send(message[start : start + 997])
        client.send(b"\r\n")
        assert client.until_tagged(b"a") == [b"a OK [APPENDUID 1 1] APPEND completed\r\n"]
    assert b"* 1 FETCH (BODY[] {%d}\r\n" % len(message) + message + b")\r\n" in (
        stored_messages(server)
    )


def test_starttls_drops_bytes_sent_before_the_handshake(
    runtime: str,
    server: IMAPServer,
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    with (
        running_server(runtime, server, options=FAST, ssl_context=server_context) as srv,
        Client(srv.port) as client,
    ):
        assert b"STARTTLS" in client.line()
        # The injection attack (CVE-2011-0411 class): a command pipelined
        # after STARTTLS in plaintext must never be executed.
        client.send(b"a STARTTLS\r\nb LOGIN alice wonderland\r\n")
        assert client.line() == b"a OK Begin TLS negotiation now\r\n"
        client.start_tls(client_context)
        # Still not authenticated, and no answer to "b" ever comes.
        assert client.command(b"c", b"SELECT INBOX") == [
            b"c BAD [CLIENTBUG] SELECT is not valid in the not authenticated state\r\n"
        ]
        capability, done = client.command(b"d", b"CAPABILITY")
        assert b"STARTTLS" not in capability
        assert done == b"d OK CAPABILITY completed\r\n"


def test_implicit_tls_port(
    runtime: str,
    server: IMAPServer,
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    with (
        running_server(runtime, server, options=FAST, ssl_context=server_context, tls=True) as srv,
        Client(srv.tls_port or 0, context=client_context) as client,
    ):
        greeting = client.line()
        # No STARTTLS on the TLS port; secure, so no LOGINDISABLED either.
        assert greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
        assert b"STARTTLS" not in greeting
        assert b"LOGINDISABLED" not in greeting
        login(client)


def test_failed_tls_handshake_closes_quietly(
    runtime: str, server: IMAPServer, server_context: ssl.SSLContext
) -> None:
    with (
        running_server(runtime, server, options=FAST, ssl_context=server_context, tls=True) as srv,
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
    runtime: str, server: IMAPServer, options: ServerOptions, prelude: bytes, bye: bytes
) -> None:
    with running_server(runtime, server, options=options) as srv:
        # The login timeout counts from the connection, not from the
        # greeting's arrival (which a loaded machine may delay).
        connecting = time.monotonic()
        with Client(srv.port) as client:
            client.line()
            started = time.monotonic() if prelude else connecting
            client.send(prelude)
            while (line := client.line()).startswith(b"L "):
                pass
            assert line == bye
            assert 0.2 < time.monotonic() - started < 3
            assert client.at_eof()


def test_idle_timeout_counts_from_the_last_command(server: IMAPServer) -> None:
    # The asyncio stream keeps one deadline timer while deadlines move later
    # (each command moves the idle deadline): the session outlives the
    # first deadline and still ends one idle timeout after its last command.
    # (Commands 0.4 s apart for 2 s: a worker descheduled for a second
    # between two of them still makes it.)
    options = ServerOptions(idle_timeout=1.5)
    with running_server("asyncio-direct", server, options=options) as srv, Client(srv.port) as c:
        c.line()
        login(c)
        for n in range(5):
            time.sleep(0.4)
            assert c.command(b"N%d" % n, b"NOOP") == [b"N%d OK NOOP completed\r\n" % n]
        last = time.monotonic()
        assert c.line(timeout=10) == b"* BYE Autologout; idle for too long\r\n"
        assert time.monotonic() - last > 0.5
        assert c.at_eof()


def test_idle_gets_keepalives(runtime: str, server: IMAPServer) -> None:
    options = ServerOptions(keepalive_interval=0.2)
    with running_server(runtime, server, options=options) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        client.send(b"i IDLE\r\n")
        assert client.line() == b"+ idling\r\n"
        assert client.line(timeout=2) == b"* OK Still here\r\n"
        assert client.line(timeout=2) == b"* OK Still here\r\n"
        client.send(b"DONE\r\n")
        assert client.line() == b"i OK IDLE terminated\r\n"


def test_idle_push_is_event_driven(runtime: str, server: IMAPServer) -> None:
    with (
        running_server(runtime, server, options=FAST) as srv,
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
            assert idler.line(timeout=2) == b"* %d RECENT\r\n" % n
            latencies.append(time.perf_counter() - started)
            writer.until_tagged(b"a")
        print(f"\n{runtime}: IDLE push latency ms:", [round(x * 1000, 2) for x in latencies])


def test_too_many_connections_get_bye(runtime: str, server: IMAPServer) -> None:
    options = ServerOptions(max_connections=2)
    with (
        watch_log() as log,
        running_server(runtime, server, options=options) as srv,
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
        # The server has let go of the session once it says so.
        log.wait_for(re.escape(first.peer) + " disconnected")
        with Client(srv.port) as fourth:  # a slot is free again
            assert fourth.line().startswith(b"* OK")


def test_shutdown_says_bye_to_everyone(runtime: str, server: IMAPServer) -> None:
    with running_server(runtime, server, options=FAST) as srv:
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
    runtime: str, server: IMAPServer
) -> None:
    options = ServerOptions(send_timeout=1.0, read_size=4096, write_size=4096)
    with (
        watch_log() as log,
        running_server(runtime, server, options=options) as srv,
        Client(srv.port) as client,
    ):
        client.line()
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.sock.setblocking(False)
        command = b"a CAPABILITY\r\n" * 512  # ~7 KiB in, ~50 KiB out
        deadline = time.monotonic() + 10
        blocked = False
        while time.monotonic() < deadline:
            try:
                client.sock.send(command)
            except BlockingIOError:
                blocked = True
                break
            except OSError:  # the server already gave up on us
                blocked = True
                break
        assert blocked, "the server kept reading from a client that never reads"
        # ...and it then drops the connection after send_timeout (reading
        # before that would drain what it waits to send).
        log.wait_for(re.escape(client.peer) + " disconnected")
        client.sock.setblocking(True)
        assert client.at_eof(timeout=5)


def test_logs_commands_but_never_passwords(
    runtime: str, server: IMAPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="imap_sansio.adapters")
    with running_server(runtime, server, options=FAST) as srv, Client(srv.port) as client:
        client.line()
        client.command(b"b", b"LOGIN alice {10+}\r\nwonderlanx")
        login(client)
        client.command(b"c", b"NOOP")
        client.command(b"d", b"LOGOUT")
        client.at_eof()
    text = caplog.text
    assert "wonderlan" not in text
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


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_server_reports_a_taken_port(backend: str, server: IMAPServer) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]

    async def main() -> None:
        async with AnyIOServer(server, port=port):
            raise AssertionError("the port was taken")

    try:
        with pytest.raises(OSError):
            anyio.run(main, backend=backend)
    finally:
        taken.close()


def test_logging_hooks_keep_the_applications_hooks(runtime: str) -> None:
    seen: list[tuple[str, str]] = []
    logins: list[tuple[str, bool]] = []
    server = IMAPServer(
        MemoryBackend(users={"alice": "wonderland"}),
        clock=wall_clock,
        on_command=lambda session, command: seen.append((command.tag, command.name)),
        on_login=lambda session, username, ok: logins.append((username, ok)),
    )
    with running_server(runtime, server, options=FAST) as srv, Client(srv.port) as client:
        client.line()
        login(client)
        client.command(b"s", b"SELECT INBOX")
        client.command(b"u", b"UID FETCH 1 (FLAGS)")
        client.command(b"z", b"LOGOUT")
        assert client.at_eof()
    assert seen == [("L", "LOGIN"), ("s", "SELECT"), ("u", "FETCH"), ("z", "LOGOUT")]
    assert logins == [("alice", True)]


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


def test_an_imap4rev2_client_over_sockets(runtime: str, server: IMAPServer) -> None:
    """IMAP4rev2, UTF8=ACCEPT, UIDONLY and UNAUTHENTICATE through an adapter
    (RFC 9051 appendix A, RFC 6855, RFC 9586, RFC 8437)."""
    name = "Entwürfe".encode()
    with running_server(runtime, server, options=FAST) as srv, Client(srv.port) as client:
        assert client.line().startswith(b"* OK [CAPABILITY IMAP4rev1 IMAP4rev2 ")
        login(client)
        assert client.command(b"e", b"ENABLE IMAP4rev2 UTF8=ACCEPT UIDONLY") == [
            b"* ENABLED IMAP4rev2 UTF8=ACCEPT UIDONLY\r\n",
            b"e OK ENABLE completed\r\n",
        ]
        assert client.command(b"c", b'CREATE "' + name + b'"') == [b"c OK CREATE completed\r\n"]
        message = "Subject: Grüße\r\n\r\nHallo\r\n".encode()
        client.send(b'a APPEND "' + name + b'" {%d+}\r\n' % len(message) + message + b"\r\n")
        assert client.until_tagged(b"a") == [b"a OK [APPENDUID 2 1] APPEND completed\r\n"]
        selected = client.command(b"s", b'SELECT "' + name + b'"')
        assert b'* LIST () "/" "' + name + b'"\r\n' in selected
        assert not any(line.endswith(b" RECENT\r\n") for line in selected)
        assert client.command(b"f", b"FETCH 1 FLAGS")[-1].startswith(b"f BAD [UIDREQUIRED] ")
        assert client.command(b"g", b"UID FETCH 1 FLAGS") == [
            b"* 1 UIDFETCH (FLAGS ())\r\n",
            b"g OK FETCH completed\r\n",
        ]
        assert client.command(b"h", b"SEARCH ALL")[-1].startswith(b"h BAD [UIDREQUIRED] ")
        assert client.command(b"i", b"UID SEARCH ALL") == [
            b'* ESEARCH (TAG "i") UID ALL 1\r\n',
            b"i OK SEARCH completed\r\n",
        ]
        assert client.command(b"u", b"UNAUTHENTICATE")[-1].startswith(
            b"u OK [CAPABILITY IMAP4rev1 IMAP4rev2 "
        )
        assert client.command(b"n", b"NOOP") == [b"n OK NOOP completed\r\n"]
        assert client.command(b"l", b'LIST "" *')[-1].startswith(b"l BAD ")
        login(client)
        assert client.command(b"m", b'LIST "" "Entw*"') == [
            b'* LIST (\\HasNoChildren) "/" Entw&APw-rfe\r\n',
            b"m OK LIST completed\r\n",
        ]
