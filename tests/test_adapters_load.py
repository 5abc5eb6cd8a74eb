"""200 concurrent connections with a mixed workload against the real server."""

from __future__ import annotations

import re
import threading
import time

import pytest
from _adapter_harness import Client, running_server
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, demo_backend

CLIENTS = 200
APPENDS = 2


def _message(client: int, n: int) -> bytes:
    return b"From: load@example.org\r\nSubject: load %d-%d\r\n\r\nbody %d %d\r\n" % (
        client,
        n,
        client,
        n,
    )


@pytest.mark.parametrize(
    "runtime",
    [
        pytest.param("asyncio", marks=pytest.mark.slow),
        pytest.param("trio", marks=pytest.mark.slow),
        "threads",
    ],
)
def test_200_clients_mixed_workload(runtime: str) -> None:
    server = IMAPServer(demo_backend(), clock=wall_clock)
    errors: list[BaseException] = []
    start = threading.Barrier(CLIENTS + 1)

    def work(number: int) -> None:
        try:
            with Client(srv.port, timeout=30) as client:
                client.line()
                assert client.command(b"L", b"LOGIN demo demo")[-1].startswith(b"L OK")
                start.wait(30)
                assert client.command(b"s", b"SELECT INBOX")[-1].startswith(b"s OK")
                for n in range(APPENDS):
                    message = _message(number, n)
                    lines = client.command(
                        b"a%d" % n, b"APPEND INBOX {%d+}\r\n%s" % (len(message), message)
                    )
                    assert lines[-1].startswith(b"a%d OK" % n), lines
                    found = re.search(rb"APPENDUID \d+ (\d+)", lines[-1])
                    assert found, lines
                    uid = found[1]
                    lines = client.command(b"f%d" % n, b"UID FETCH %s (FLAGS BODY.PEEK[])" % uid)
                    assert lines[-1].startswith(b"f%d OK" % n), lines
                    lines = client.command(b"t%d" % n, b"UID STORE %s +FLAGS (\\Seen)" % uid)
                    assert lines[-1].startswith(b"t%d OK" % n), lines
                lines = client.command(b"q", b'SEARCH SUBJECT "load %d-"' % number)
                assert lines[-1].startswith(b"q OK"), lines
                assert client.command(b"n", b"NOOP")[-1].startswith(b"n OK")
                assert client.command(b"z", b"LOGOUT")[-1].startswith(b"z OK")
        except BaseException as exc:
            errors.append(exc)
            start.abort()

    options = ServerOptions(shutdown_grace=2)
    with running_server(runtime, server, options=options) as srv:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        start.wait(30)
        began = time.perf_counter()
        for thread in threads:
            thread.join(60)
        elapsed = time.perf_counter() - began
        assert not errors, errors[0]
        print(
            f"\n{runtime}: {CLIENTS} clients, {CLIENTS * (3 * APPENDS + 4)} commands in "
            f"{elapsed:.2f} s"
        )
        with Client(srv.port) as check:
            check.line()
            check.command(b"L", b"LOGIN demo demo")
            lines = check.command(b"s", b"EXAMINE INBOX")
            assert b"* %d EXISTS\r\n" % (7 + CLIENTS * APPENDS) in lines
            unseen = check.command(b"u", b'SEARCH UNSEEN SUBJECT "load "')
            assert unseen[0] == b"* SEARCH\r\n"
            for number in (0, CLIENTS - 1):
                found = check.command(b"x", b'SEARCH SUBJECT "load %d-1"' % number)
                assert len(found[0].split()) == 3, found  # exactly one match
