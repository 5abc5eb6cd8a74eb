"""Login limits over real sockets, against the real server on every runtime.

A password guesser pays for each failure: the failed answer to its address
is held back (LoginLimits' delays, reading nothing more from that connection
meanwhile) while everybody else goes on; it cannot open more than a few
connections that are not logged in (``* BYE [UNAVAILABLE]``, RFC 5530), and
one user's sessions from one address are bounded (``NO [LIMIT]``, RFC 5530).
Loopback is trusted by default, so these tests give the server limits that
trust nothing and use 127.0.0.2 as a second address (Linux routes all of
127/8 to loopback).

The timing assertions are lower bounds that the server guarantees by
construction (N failed answers to one address are spaced by at least the
sum of the configured delays), never a machine-speed measurement.
"""

from __future__ import annotations

import base64
import logging
import re
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
import trustme
from _adapter_harness import RUNTIMES, Client, running_server, watch_log
from imap_sansio.adapters import LoginLimits, ServerOptions, server_ssl_context
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, MemoryBackend

FAILED = b"NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
UNAVAILABLE = b"* BYE [UNAVAILABLE] Too many connections from your address\r\n"
LIMIT = b"NO [LIMIT] Too many sessions of this user from your address\r\n"
OTHER = "127.0.0.2"


class From(Client):
    """A test client connecting from a chosen loopback address."""

    def __init__(self, port: int, source: str = "127.0.0.1", timeout: float = 20.0) -> None:
        sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout, source_address=(source, 0)
        )
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buffer = bytearray()


def make_server() -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret", "bob": "hunter2"})
    return IMAPServer(backend, clock=wall_clock)


def options(**limits: object) -> ServerOptions:
    limits.setdefault("trusted_networks", ())
    return ServerOptions(login_limits=LoginLimits(**limits))  # type: ignore[arg-type]


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def greeted(client: Client) -> Client:
    assert client.line().startswith(b"* OK ")
    return client


def test_failed_logins_wait_at_least_the_configured_delays(runtime: str) -> None:
    """Six wrong passwords in a row on one connection: each answer waits for
    the previous one plus its delay (0.05, 0.1, 0.2, 0.4, 0.4, 0.4 s), so
    after the first few the address gets fewer than 20 answers a second."""
    delays = [0.05, 0.1, 0.2, 0.4, 0.4, 0.4]
    limits = options(failure_delay=0.05, failure_delay_growth=2.0, max_failure_delay=0.4)
    with (
        running_server(runtime, make_server(), options=limits) as running,
        greeted(From(running.port)) as client,
    ):
        answered = []
        start = time.monotonic()
        for index in range(len(delays)):
            tag = b"f%d" % index
            assert client.command(tag, b"LOGIN alice wrong") == [tag + b" " + FAILED]
            answered.append(time.monotonic())
        # The right password is answered at once, and works.
        assert client.command(b"ok", b"LOGIN alice secret")[-1].startswith(b"ok OK ")
    gaps = [b - a for a, b in zip([start, *answered], answered, strict=False)]
    # Each answer left no earlier than its delay after the previous one (the
    # server's release time is at least its delay after the request arrived).
    assert all(gap >= delay - 0.005 for gap, delay in zip(gaps, delays, strict=True)), gaps
    assert answered[-1] - start >= sum(delays) - 0.005
    after_the_first_few = answered[-1] - answered[2]
    assert 3 / after_the_first_few <= 20


def test_parallel_connections_from_one_address_share_its_delays(runtime: str) -> None:
    """Three connections failing at once gain nothing: nine failed answers to
    one address take at least nine delays of 0.2 s."""
    limits = options(failure_delay=0.2, failure_delay_growth=1.0, max_failure_delay=0.2)
    errors: list[BaseException] = []
    with running_server(runtime, make_server(), options=limits) as running:
        clients = [greeted(From(running.port)) for _ in range(3)]

        def guess(client: Client, name: int) -> None:
            try:
                for index in range(3):
                    tag = b"c%dg%d" % (name, index)
                    assert client.command(tag, b"LOGIN bob guess") == [tag + b" " + FAILED]
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [
            threading.Thread(target=guess, args=(client, index))
            for index, client in enumerate(clients)
        ]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        elapsed = time.monotonic() - start
        for client in clients:
            client.close()
    assert errors == []
    assert elapsed >= 9 * 0.2 - 0.005


def test_a_held_failure_slows_neither_another_address_nor_a_right_password(
    runtime: str,
) -> None:
    """While one address waits 30 s for its failed answer, a user logs in
    from another address and from the same one, and a wrong password from
    the other address waits only its own first delay."""
    limits = options(failure_delay=30.0, max_failure_delay=30.0)
    with (
        running_server(runtime, make_server(), options=limits) as running,
        greeted(From(running.port)) as guesser,
    ):
        guesser.send(b"g1 LOGIN alice wrong\r\n")
        with greeted(From(running.port, OTHER)) as user:
            ok = user.command(b"u1", b"LOGIN alice secret")
            assert ok[-1].startswith(b"u1 OK [CAPABILITY ")
            assert user.command(b"u2", b"NOOP") == [b"u2 OK NOOP completed\r\n"]
        with greeted(From(running.port)) as same_address:
            ok = same_address.command(b"s1", b"LOGIN bob hunter2")
            assert ok[-1].startswith(b"s1 OK [CAPABILITY ")
        # The guesser's answer is still held: nothing has arrived.
        guesser.sock.setblocking(False)
        with pytest.raises(BlockingIOError):
            guesser.sock.recv(1)
        assert not guesser.buffer


def test_the_connection_waiting_for_its_answer_is_not_read(runtime: str) -> None:
    """Pipelined guesses behind a held failure are not even tried until the
    answer goes out: two guesses cost two delays, whatever came with them."""
    limits = options(failure_delay=0.3, failure_delay_growth=1.0, max_failure_delay=0.3)
    tried: list[float] = []
    server = make_server()
    server.on_login = lambda session, username, ok: tried.append(time.monotonic())
    with (
        running_server(runtime, server, options=limits) as running,
        greeted(From(running.port)) as client,
    ):
        start = time.monotonic()
        client.send(b"p1 LOGIN alice one\r\np2 LOGIN alice two\r\np3 NOOP\r\n")
        assert client.line() == b"p1 " + FAILED
        first = time.monotonic()
        assert client.line() == b"p2 " + FAILED
        second = time.monotonic()
        assert client.line() == b"p3 OK NOOP completed\r\n"
    assert len(tried) == 2
    # The second guess ran only once the first answer was due (not as it came).
    assert tried[1] - start >= 0.3 - 0.005
    assert first - start >= 0.3 - 0.005
    assert second - start >= 0.6 - 0.005


def test_a_failed_login_over_tls_is_held_too(runtime: str, tmp_path: Path) -> None:
    """After STARTTLS the anyio adapter reads in a task of its own: the held
    answer pauses that reader as well."""
    ca = trustme.CA()
    ca.issue_cert("localhost", "127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(tmp_path / "both.pem")
    )
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    limits = options(failure_delay=0.3, failure_delay_growth=1.0, max_failure_delay=0.3)
    with (
        running_server(
            runtime,
            make_server(),
            options=limits,
            ssl_context=server_ssl_context(tmp_path / "both.pem"),
        ) as running,
        greeted(From(running.port)) as client,
    ):
        assert client.command(b"t", b"STARTTLS")[-1].startswith(b"t OK ")
        client.start_tls(client_context)
        start = time.monotonic()
        client.send(b"a LOGIN alice wrong\r\nb LOGIN alice secret\r\n")
        assert client.line() == b"a " + FAILED
        assert time.monotonic() - start >= 0.3 - 0.005
        assert client.until_tagged(b"b")[-1].startswith(b"b OK [CAPABILITY ")


def test_connections_over_the_per_address_limit_are_told_unavailable(runtime: str) -> None:
    limits = options(max_unauthenticated_per_address=2)
    with running_server(runtime, make_server(), options=limits) as running:
        first = greeted(From(running.port))
        second = greeted(From(running.port))
        with From(running.port) as third:
            assert third.line() == UNAVAILABLE
            assert third.at_eof()
        with greeted(From(running.port, OTHER)) as elsewhere:
            assert elsewhere.command(b"n", b"NOOP") == [b"n OK NOOP completed\r\n"]
        # A login frees its connection's place before its OK goes out.
        assert first.command(b"l", b"LOGIN alice secret")[-1].startswith(b"l OK ")
        with greeted(From(running.port)) as fourth:
            assert fourth.command(b"n", b"NOOP") == [b"n OK NOOP completed\r\n"]
        first.close()
        second.close()


def test_sessions_over_the_per_user_limit_are_refused_with_limit(runtime: str) -> None:
    limits = options(max_sessions_per_user=2)
    with (
        running_server(runtime, make_server(), options=limits) as running,
        watch_log() as log,
    ):
        sessions = [greeted(From(running.port)) for _ in range(2)]
        for session in sessions:
            assert session.command(b"a", b"LOGIN alice secret")[-1].startswith(b"a OK ")
        with greeted(From(running.port)) as third:
            assert third.command(b"b", b"LOGIN alice secret") == [b"b " + LIMIT]
            # Still not logged in, and another user is not limited by alice.
            assert third.command(b"c", b"LOGIN bob hunter2")[-1].startswith(b"c OK ")
        with greeted(From(running.port, OTHER)) as elsewhere:
            assert elsewhere.command(b"d", b"LOGIN alice secret")[-1].startswith(b"d OK ")
        # A session that ends gives its place back (before the server logs
        # that it disconnected).
        peer = sessions[0].peer
        sessions[0].command(b"z", b"LOGOUT")
        assert sessions[0].at_eof()
        sessions[0].close()
        log.wait_for(re.escape(f"{peer} disconnected"))
        with greeted(From(running.port)) as again:
            assert again.command(b"e", b"LOGIN alice secret")[-1].startswith(b"e OK ")
        sessions[1].close()


def test_unauthenticate_gives_the_users_place_back(runtime: str) -> None:
    # RFC 8437: after UNAUTHENTICATE the session no longer counts as alice's.
    limits = options(max_sessions_per_user=1)
    with (
        running_server(runtime, make_server(), options=limits) as running,
        greeted(From(running.port)) as first,
        greeted(From(running.port)) as second,
    ):
        assert first.command(b"a", b"LOGIN alice secret")[-1].startswith(b"a OK ")
        assert second.command(b"b", b"LOGIN alice secret") == [b"b " + LIMIT]
        assert first.command(b"c", b"UNAUTHENTICATE")[-1].startswith(b"c OK ")
        assert second.command(b"d", b"LOGIN alice secret")[-1].startswith(b"d OK ")
        assert first.command(b"e", b"LOGIN alice secret") == [b"e " + LIMIT]
        assert first.command(b"f", b"LOGIN bob hunter2")[-1].startswith(b"f OK ")


@pytest.mark.parametrize(
    "exchange",
    [
        [b"a LOGIN alice {7}\r\n", b"secr\xfft\r\n"],
        [b"a AUTHENTICATE PLAIN " + base64.b64encode(b"\0alice\0secr\xff") + b"\r\n"],
        [b"a AUTHENTICATE PLAIN\r\n", base64.b64encode(b"\0alice\0\xc3\x28") + b"\r\n"],
        [
            b"a AUTHENTICATE LOGIN\r\n",
            base64.b64encode(b"alice") + b"\r\n",
            base64.b64encode(b"\xffsecret") + b"\r\n",
        ],
    ],
    ids=["login-literal", "sasl-ir-plain", "plain", "login-mechanism"],
)
def test_passwords_that_are_not_utf8_are_answered_authenticationfailed(
    exchange: list[bytes], caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[BaseException] = []
    server = make_server()
    server.on_error = errors.append
    caplog.set_level(logging.DEBUG, logger="imap_sansio")
    with running_server("threads", server) as running, greeted(From(running.port)) as client:
        for part in exchange[:-1]:
            client.send(part)
            assert client.line().startswith(b"+")
        client.send(exchange[-1])
        assert client.line() == b"a " + FAILED
        assert client.command(b"b", b"LOGIN alice secret")[-1].startswith(b"b OK ")
    assert errors == []
    text = caplog.text
    assert "login failed for 'alice'" in text
    for shown in ("\\xff", "\\udcff", "\xff", "secr", "\\udcc3"):
        assert shown not in text
