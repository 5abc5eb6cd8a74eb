"""The adapters with the real ``IMAPServer`` over the demo ``MemoryBackend``.

Raw IMAP on every runtime: greeting, login, STARTTLS, IDLE push of a change
made through another connection, timeouts and shutdown, and the CLI's default
(demo) server.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from _adapter_harness import RUNTIMES, Client, running_server
from imap_sansio.adapters import ServerOptions, server_ssl_context
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, demo_backend

FAST = ServerOptions(shutdown_grace=2.0)


def demo_server() -> object:
    return IMAPServer(demo_backend(), clock=wall_clock)


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def login(client: Client) -> None:
    client.line()
    lines = client.command(b"L", b"LOGIN demo demo")
    assert lines[-1].startswith(b"L OK"), lines


def test_login_select_and_logout(runtime: str) -> None:
    with running_server(runtime, demo_server(), options=FAST) as srv, Client(srv.port) as client:
        login(client)
        lines = client.command(b"s", b"SELECT INBOX")
        assert b"* 7 EXISTS\r\n" in lines
        assert lines[-1].startswith(b"s OK [READ-WRITE]")
        lines = client.command(b"z", b"LOGOUT")
        assert lines[0].startswith(b"* BYE")
        assert lines[-1].startswith(b"z OK")
        assert client.at_eof()


def test_idle_push_of_a_store_from_another_connection(runtime: str) -> None:
    with (
        running_server(runtime, demo_server(), options=FAST) as srv,
        Client(srv.port) as idler,
        Client(srv.port) as writer,
    ):
        login(idler)
        login(writer)
        idler.command(b"s", b"SELECT INBOX")
        writer.command(b"s", b"SELECT INBOX")
        idler.send(b"i IDLE\r\n")
        assert idler.line().startswith(b"+ ")
        latencies = []
        for n in range(3):
            flag = b"$Pushed%d" % n  # a new keyword each time: a real change
            started = time.perf_counter()
            writer.send(b"w%d STORE 5 +FLAGS.SILENT (%s)\r\n" % (n, flag))
            pushed = idler.line(timeout=2)
            latencies.append(time.perf_counter() - started)
            # RFC 3501 7.2.6: the new keyword's FLAGS list comes first.
            assert pushed.startswith(b"* FLAGS (") and flag in pushed, pushed
            pushed = idler.line(timeout=2)
            assert pushed.startswith(b"* 5 FETCH (FLAGS ("), pushed
            assert flag in pushed
            writer.until_tagged(b"w%d" % n)
        print(f"\n{runtime}: real IDLE push latency ms:", [round(x * 1000, 2) for x in latencies])
        assert max(latencies) < 1.0
        idler.send(b"DONE\r\n")
        assert idler.until_tagged(b"i")[-1].startswith(b"i OK")


def test_idle_push_follows_a_renamed_mailbox(runtime: str) -> None:
    # Wake-ups are filed by the selected mailbox's name: after another
    # session renames it, changes under the new name still reach the idler.
    with (
        running_server(runtime, demo_server(), options=FAST) as srv,
        Client(srv.port) as idler,
        Client(srv.port) as writer,
    ):
        login(idler)
        login(writer)
        assert writer.command(b"c", b"CREATE Work")[-1].startswith(b"c OK")
        assert idler.command(b"s", b"SELECT Work")[-1].startswith(b"s OK")
        idler.send(b"i IDLE\r\n")
        assert idler.line().startswith(b"+ ")
        assert writer.command(b"r", b"RENAME Work Play")[-1].startswith(b"r OK")
        for n in (1, 2):
            writer.send(b"a%d APPEND Play {5+}\r\nhello\r\n" % n)
            assert writer.until_tagged(b"a%d" % n)[-1].startswith(b"a%d OK" % n)
            assert idler.line(timeout=2) == b"* %d EXISTS\r\n" % n
            assert idler.line(timeout=2) == b"* %d RECENT\r\n" % n  # all are \\Recent here
        assert writer.command(b"d", b"DELETE Play")[-1].startswith(b"d OK")
        assert idler.line(timeout=2).startswith(b"* BYE ")
        assert idler.at_eof()


def test_starttls_then_login(runtime: str, tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "both.pem"))
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with (
        running_server(
            runtime,
            demo_server(),
            options=FAST,
            ssl_context=server_ssl_context(tmp_path / "both.pem"),
        ) as srv,
        Client(srv.port) as client,
    ):
        assert b"STARTTLS" in client.line()
        client.send(b"t STARTTLS\r\nx LOGIN demo demo\r\n")  # x must be dropped
        assert client.line().startswith(b"t OK")
        client.start_tls(client_context)
        lines = client.command(b"c", b"CAPABILITY")
        assert b"STARTTLS" not in lines[0]
        assert lines[-1].startswith(b"c OK")
        assert client.command(b"L", b"LOGIN demo demo")[-1].startswith(b"L OK")


def test_login_timeout_and_shutdown(runtime: str) -> None:
    options = ServerOptions(login_timeout=0.3, shutdown_grace=2.0)
    with running_server(runtime, demo_server(), options=options) as srv:
        with Client(srv.port) as slow:
            slow.line()
            assert slow.line(timeout=3) == b"* BYE Timed out waiting for login\r\n"
            assert slow.at_eof()
        with Client(srv.port) as client:
            login(client)
            srv.stop()
            assert client.line() == b"* BYE Server shutting down\r\n"
            assert client.at_eof()


@pytest.fixture
def demo_cli() -> Iterator[tuple[subprocess.Popen[str], int, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "imap_sansio.adapters", "serve", "--port", "0", "-v"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout is not None
        banner = ""
        while "stop with" not in banner:
            line = process.stdout.readline()
            assert line, banner + (process.stderr.read() if process.stderr else "")
            banner += line
        found = re.search(r"IMAP on 127\.0\.0\.1:(\d+)", banner)
        assert found, banner
        yield process, int(found[1]), banner
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_cli_demo_server(demo_cli: tuple[subprocess.Popen[str], int, str]) -> None:
    process, port, banner = demo_cli
    assert "log in as demo / demo" in banner
    with Client(port) as client:
        login(client)
        assert b"* 7 EXISTS\r\n" in client.command(b"s", b"EXAMINE INBOX")
        process.send_signal(signal.SIGINT)
        assert client.line() == b"* BYE Server shutting down\r\n"
    assert process.wait(10) == 0


def test_debug_log_has_commands_but_no_credentials(
    runtime: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="imap_sansio.adapters")
    plain = base64.b64encode(b"\0demo\0demo").decode()
    with running_server(runtime, demo_server(), options=FAST) as srv:
        with Client(srv.port) as client:
            client.line()
            client.send(b"a AUTHENTICATE PLAIN\r\n")
            assert client.line().startswith(b"+")
            client.send(plain.encode() + b"\r\n")
            assert client.until_tagged(b"a")[-1].startswith(b"a OK")
        with Client(srv.port) as client:
            client.line()
            lines = client.command(b"b", b"AUTHENTICATE PLAIN " + plain.encode())
            assert lines[-1].startswith(b"b OK")
        with Client(srv.port) as client:
            client.line()
            assert client.command(b"c", b"LOGIN demo {4+}\r\ndemo")[-1].startswith(b"c OK")
    text = caplog.text
    assert "command a AUTHENTICATE" in text
    assert "command b AUTHENTICATE" in text
    assert "command c LOGIN" in text
    assert plain not in text
    assert "demo demo" not in text
    assert text.count("logged in") == 3


def test_refused_literal_does_not_start_the_literal_timer(runtime: str) -> None:
    options = ServerOptions(literal_timeout=0.3, shutdown_grace=2)
    with running_server(runtime, demo_server(), options=options) as srv, Client(srv.port) as client:
        login(client)
        client.send(b"a APPEND INBOX {999999999}\r\n")
        assert client.line().startswith(b"a NO [TOOBIG]")
        # Twice the literal timeout without a word from the server: no BYE.
        assert client.quiet_for(0.6)
        assert client.command(b"b", b"NOOP")[-1].startswith(b"b OK")
        client.send(b"c APPEND INBOX {10}\r\n")
        assert client.line().startswith(b"+")
        client.send(b"12345")  # half the literal, then silence
        assert client.line(timeout=3) == b"* BYE Timed out waiting for the rest of the command\r\n"
        assert client.at_eof()
