"""Long commands leave nothing for the garbage collector (issue 11 goal 4).

What a command builds must go by reference counting when it ends: objects
left in reference cycles wait for a full collection, which holds every
session for as long as it walks them (tens of milliseconds for a THREAD of
20,000 messages).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend, Session

DATE = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _session() -> Session:
    backend = MemoryBackend(users={"u": "p"})
    for n in range(1, 61):
        # Threads of three, a minute apart: a message, a reply to it, and a
        # reply to the reply.
        first = n - (n - 1) % 3
        references = b"".join(b" <%d@x>" % r for r in range(first, n))
        data = (
            b"Subject: %stopic %d\r\nMessage-ID: <%d@x>\r\n" % (b"Re: " * (n - first), first, n)
            + (b"References:" + references + b"\r\n" if references else b"")
            + b"Date: Mon, 1 Jan 2024 10:%02d:00 +0000\r\n\r\nbody\r\n" % (n - 1)
        )
        backend.account("u").append("INBOX", data, internal_date=DATE)
    session = IMAPServer(backend, clock=lambda: DATE).connect()
    session.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    assert session.data_to_send().endswith(b"b OK [READ-WRITE] SELECT completed\r\n")
    return session


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        # RFC 5256 3: each reply under the message it refers to; threads in
        # the order of their first message's date.
        (
            b"t THREAD REFERENCES UTF-8 ALL\r\n",
            b"* THREAD " + b"".join(b"(%d %d %d)" % (n, n + 1, n + 2) for n in range(1, 61, 3)),
        ),
        # RFC 5256 3: one thread per base subject, the others the first's children.
        (
            b"t THREAD ORDEREDSUBJECT UTF-8 ALL\r\n",
            b"* THREAD " + b"".join(b"(%d (%d)(%d))" % (n, n + 1, n + 2) for n in range(1, 61, 3)),
        ),
        (b"t SORT (SUBJECT) UTF-8 ALL\r\n", b"* SORT 1 "),
        (b"t SEARCH TEXT topic\r\n", b"* SEARCH 1 2 3 "),
        (b"t FETCH 1:* (ENVELOPE BODYSTRUCTURE)\r\n", b"* 1 FETCH ("),
    ],
)
@pytest.mark.usefixtures("collector_off")
def test_a_long_command_leaves_no_reference_cycles(command: bytes, answer: bytes) -> None:
    session = _session()
    gc.collect()
    # Everything that exists now is held, so that what other tests left
    # behind cannot turn up as garbage: only what the command made can.
    existing = gc.get_objects()
    # From here on, what a collection finds unreachable stays in gc.garbage.
    gc.set_debug(gc.DEBUG_SAVEALL)
    session.receive_data(command)
    out = session.data_to_send()
    assert out.startswith(answer) and out.endswith(b" completed\r\n"), out[:200]
    gc.collect()
    assert sorted({type(o).__name__ for o in gc.garbage}) == []
    del existing
