"""A long command does not stall the other sessions (issue 11, goal 4).

User A runs SEARCHes that parse every message of a big mailbox, pipelined,
which take seconds; user B's NOOP, sent meanwhile, must be answered while
they still run.  The bound is generous (2 s; the benchmark's figure is in
the milliseconds): before the searches yielded, the calls ran on the event
loop (``offload=False``) or under the server's one lock and B waited for
all of them.  How fast B is answered is a figure for
``python -m benchmarks --only hostile``, not for a test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from _adapter_harness import Client, Running, running_server

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

MESSAGES = 30_000
SEARCHES = 10


def _message(n: int) -> bytes:
    return (
        b"From: a%d@example.org\r\nSubject: message %d\r\n\r\n" % (n, n)
        + b"a line of body text that no search below finds\r\n" * 20
    )


@pytest.fixture(
    params=["asyncio-direct", "trio-direct", "asyncio", "threads", "threads-thread-safe"]
)
def serving(request: pytest.FixtureRequest) -> Iterator[Running]:
    runtime: str = request.param
    lock = threading.RLock() if runtime.endswith("thread-safe") else None
    backend = MemoryBackend(users={"alice": "secret", "bob": "secret"}, lock=lock)
    account = backend.account("alice")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(MESSAGES):
        account.append("INBOX", _message(n), internal_date=when)
    server = IMAPServer(backend, clock=fixed_clock())
    with running_server(runtime.removesuffix("-thread-safe"), server) as running:
        yield running


def received_so_far(client: Client) -> bytes:
    """What the server has sent to ``client`` so far (without waiting)."""
    client.sock.setblocking(False)
    try:
        while chunk := client.sock.recv(65536):
            client.buffer += chunk
    except BlockingIOError:
        pass
    finally:
        client.sock.setblocking(True)
    return bytes(client.buffer)


def test_another_users_noop_is_answered_while_long_searches_run(serving: Running) -> None:
    with Client(serving.port, timeout=10) as bob, Client(serving.port, timeout=60) as alice:
        for client, user in ((alice, b"alice"), (bob, b"bob")):
            client.line()
            assert client.command(b"a", b"LOGIN " + user + b" secret")[-1].startswith(b"a OK")
        assert alice.command(b"b", b"SELECT INBOX")[-1].startswith(b"b OK")
        # Each SEARCH parses the header of every message (30,000 of them;
        # only 2,000 parsed messages stay cached), half a second or more each.
        alice.send(
            b"".join(b"s%d SEARCH HEADER X-Needle n%d\r\n" % (i, i) for i in range(SEARCHES))
        )
        first = alice.line()
        assert first == b"* SEARCH\r\n"  # the first search is done: the rest run
        bob.sock.settimeout(2.0)
        assert bob.command(b"n", b"NOOP") == [b"n OK NOOP completed\r\n"]
        # The searches were still running when B was answered.
        assert b"s%d OK" % (SEARCHES - 1) not in received_so_far(alice)
        alice.sock.settimeout(60)
        lines = [first]
        while not lines[-1].startswith(b"s%d " % (SEARCHES - 1)):
            lines.append(alice.line())
        assert lines == [
            line
            for i in range(SEARCHES)
            for line in (b"* SEARCH\r\n", b"s%d OK SEARCH completed\r\n" % i)
        ]


def test_another_users_noop_is_answered_while_a_long_fetch_streams(serving: Running) -> None:
    """The same for a long command whose every step has output that the
    client reads at once: the output going out without a wait must not keep
    the other sessions from their turn (the asyncio stream writes through
    its buffer and waits only when it fills)."""
    with Client(serving.port, timeout=10) as bob, Client(serving.port, timeout=60) as alice:
        for client, user in ((alice, b"alice"), (bob, b"bob")):
            client.line()
            assert client.command(b"a", b"LOGIN " + user + b" secret")[-1].startswith(b"a OK")
        assert alice.command(b"b", b"SELECT INBOX")[-1].startswith(b"b OK")
        finished = threading.Event()
        lines: list[bytes] = []

        def read_alice() -> None:
            while not (line := alice.line()).startswith(b"f "):
                lines.append(line)
            lines.append(line)
            finished.set()

        alice.send(b"f FETCH 1:* (ENVELOPE BODY.PEEK[TEXT])\r\n")
        reader = threading.Thread(target=read_alice)
        reader.start()
        try:
            while not lines:  # the FETCH has begun to stream
                if finished.wait(0.001):
                    break
            bob.sock.settimeout(2.0)
            assert bob.command(b"n", b"NOOP") == [b"n OK NOOP completed\r\n"]
            # The FETCH was still streaming when B was answered.
            assert not finished.is_set()
        finally:
            reader.join(60)
        assert lines[-1] == b"f OK FETCH completed\r\n"
        assert sum(line.startswith(b"* ") for line in lines) == MESSAGES
