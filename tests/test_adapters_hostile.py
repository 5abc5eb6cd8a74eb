"""Hostile clients over real sockets (issue 11): output that is never read
must not grow the server, also inside COMPRESS, and other users go on.

The server runs in this process, so its memory is this process's RSS
(``/proc/self/status``); the bound is generous (64 MB, where the flood
grew the server by over 500 MB before output drove input).  Another
client's NOOP must be answered during the attack; how fast is a figure for
``python -m benchmarks --only hostile``, not for a test.
"""

from __future__ import annotations

import pathlib
import socket
import time
import zlib
from collections.abc import Iterator

import pytest
from _adapter_harness import Client, Running, running_server
from imap_sansio.adapters import ServerOptions

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

BODY = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 200  # 200 KB
MB = 1 << 20


def rss() -> int:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(params=["asyncio-direct", "threads"])
def serving(request: pytest.FixtureRequest) -> Iterator[Running]:
    server = IMAPServer(
        MemoryBackend(users={"alice": "secret", "bob": "secret"}), clock=fixed_clock()
    )
    conn = server.connect()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    conn.receive_data(b"b APPEND INBOX {%d+}\r\n" % len(BODY) + BODY + b"\r\n")
    assert conn.data_to_send().endswith(b"b OK [APPENDUID 1 1] APPEND completed\r\n")
    options = ServerOptions(send_timeout=30.0)
    with running_server(request.param, server, options=options) as running:
        yield running


def attacker(port: int) -> Client:
    client = Client(port, timeout=10)
    client.line()
    assert client.command(b"a", b"LOGIN alice secret")[-1].startswith(b"a OK")
    assert client.command(b"b", b"SELECT INBOX")[-1].startswith(b"b OK")
    return client


def other_user_noop(port: int) -> None:
    with Client(port, timeout=20) as other:
        other.line()
        assert other.command(b"a", b"LOGIN bob secret")[-1].startswith(b"a OK")
        assert other.command(b"n", b"NOOP") == [b"n OK NOOP completed\r\n"]


def send_all(sock: socket.socket, data: bytes) -> None:
    """Send what the server takes within a few seconds (it may stop reading)."""
    sock.settimeout(5)
    view = memoryview(data)
    while view:
        try:
            view = view[sock.send(view) :]
        except TimeoutError:
            return


def grow_during(port: int, attack: bytes, client: Client) -> int:
    before = rss()
    send_all(client.sock, attack)
    growth = 0
    for _ in range(10):
        time.sleep(0.1)
        growth = max(growth, rss() - before)
    other_user_noop(port)
    return max(growth, rss() - before)


def test_a_pipelined_fetch_flood_that_is_never_read(serving: Running) -> None:
    """2,849 FETCHes of a 200 KB message in one send (570 MB of answers)."""
    client = attacker(serving.port)
    try:
        growth = grow_during(serving.port, b"f FETCH 1 BODY.PEEK[]\r\n" * 2849, client)
    finally:
        client.close()
    assert growth < 64 * MB, growth


def test_a_compressed_fetch_flood_that_is_never_read(serving: Running) -> None:
    """RFC 4978: 5,000 FETCHes deflate to a few hundred bytes (1 GB of answers)."""
    client = attacker(serving.port)
    try:
        assert client.command(b"z", b"COMPRESS DEFLATE") == [b"z OK DEFLATE active\r\n"]
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        bomb = deflater.compress(b"f FETCH 1 BODY.PEEK[]\r\n" * 5000)
        bomb += deflater.flush(zlib.Z_SYNC_FLUSH)
        assert len(bomb) < 1000
        growth = grow_during(serving.port, bomb, client)
    finally:
        client.close()
    assert growth < 64 * MB, growth
