"""A long command runs a bounded number of steps per call (issue 11 goal 4).

With ``IMAPServer.steps_per_call`` set (the adapters set it), SEARCH, SORT,
THREAD and FETCH of many messages return to the caller with the command
still in progress (``output_held``); :meth:`Session.pump` goes on, and the
answer is the same bytes as when the command runs to its end at once
(RFC 3501 7.2.5 SEARCH, RFC 5256 4 SORT and THREAD, RFC 3501 7.4.2 FETCH).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend, Session
from imap_sansio.server._search import CHEAP_STEP

DATE = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
COUNT = 100


def _session(steps_per_call: int | None) -> Session:
    backend = MemoryBackend(users={"u": "p"})
    for n in range(1, COUNT + 1):
        # Subjects z, y, x, ... so that SORT reverses the mailbox; every
        # third message mentions "needle".
        body = b"needle\r\n" if n % 3 == 0 else b"hay\r\n"
        data = b"Subject: %c%03d\r\n\r\n" % (ord("z") - n // 10, 999 - n) + body
        backend.account("u").append("INBOX", data, internal_date=DATE)
    server = IMAPServer(backend, clock=lambda: DATE)
    server.steps_per_call = steps_per_call
    session = server.connect()
    session.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    assert session.data_to_send().endswith(b"b OK [READ-WRITE] SELECT completed\r\n")
    return session


def _answer(session: Session, command: bytes) -> tuple[bytes, int]:
    """The whole answer and how many calls it took."""
    session.receive_data(command)
    out, calls = session.data_to_send(), 1
    while session.output_held:
        session.pump()
        out += session.data_to_send()
        calls += 1
    return out, calls


SEARCH_ANSWER = (
    b"* SEARCH " + b" ".join(b"%d" % n for n in range(3, COUNT + 1, 3)) + b"\r\n"
    b"t OK SEARCH completed\r\n"
)
# Subject z999-n for n < 10, then y..., so SORT orders by descending n.
SORT_ANSWER = (
    b"* SORT " + b" ".join(b"%d" % n for n in range(COUNT, 0, -1)) + b"\r\nt OK SORT completed\r\n"
)
FETCH_ANSWER = (
    b"".join(b"* %d FETCH (UID %d)\r\n" % (n, n) for n in range(1, COUNT + 1))
    + b"t OK FETCH completed\r\n"
)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (b"t SEARCH BODY needle\r\n", SEARCH_ANSWER),
        (b"t SORT (SUBJECT) US-ASCII ALL\r\n", SORT_ANSWER),
        (b"t FETCH 1:* (UID)\r\n", FETCH_ANSWER),
    ],
)
def test_a_long_command_runs_in_several_calls_with_the_same_answer(
    command: bytes, expected: bytes
) -> None:
    whole, calls = _answer(_session(None), command)
    assert (whole, calls) == (expected, 1)
    stepped, calls = _answer(_session(2), command)
    assert stepped == expected
    assert calls > 5


def test_thread_in_steps_gives_the_same_answer() -> None:
    command = b"t THREAD REFERENCES US-ASCII ALL\r\n"
    whole, calls = _answer(_session(None), command)
    assert calls == 1
    # RFC 5256 4: no references, distinct base subjects: one thread per
    # message, by sent date (none: by sequence number).
    assert whole == (
        b"* THREAD " + b"".join(b"(%d)" % n for n in range(1, COUNT + 1)) + b"\r\n"
        b"t OK THREAD completed\r\n"
    )
    stepped, calls = _answer(_session(2), command)
    assert (stepped, calls > 5) == (whole, True)


def test_commands_pipelined_behind_a_long_one_wait_for_it() -> None:
    session = _session(1)
    session.receive_data(b"t SEARCH BODY needle\r\nn NOOP\r\n")
    first = session.data_to_send()
    assert first == b""  # the search is in progress; the NOOP waits (RFC 3501 5.5)
    assert session.output_held
    rest = b""
    while session.output_held:
        session.pump()
        rest += session.data_to_send()
    assert rest == SEARCH_ANSWER + b"n OK NOOP completed\r\n"


def test_a_search_on_flags_or_sizes_of_a_big_mailbox_runs_in_steps() -> None:
    # Decided without reading a message, but an item per message of
    # thousands (ALL before a SORT or THREAD): steps of CHEAP_STEP messages.
    count = CHEAP_STEP * 2 + 5
    backend = MemoryBackend(users={"u": "p"})
    for n in range(1, count + 1):
        backend.account("u").append("INBOX", b"Subject: s\r\n\r\n" + b"x" * n, internal_date=DATE)
    server = IMAPServer(backend, clock=lambda: DATE)
    server.steps_per_call = 1
    session = server.connect()
    other = server.connect()
    session.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    other.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\nc STORE 3 +FLAGS (\\Deleted)\r\n")
    other.receive_data(b"d EXPUNGE\r\n")  # message 3 goes; not announced to session yet
    session.data_to_send()
    assert other.data_to_send().endswith(b"d OK EXPUNGE completed\r\n")
    smallest = len(b"Subject: s\r\n\r\n")
    # RFC 3501 6.4.4: LARGER n, the size strictly greater than n; message 3,
    # expunged elsewhere, is no longer found (RFC 2180 4.1.2 allows either).
    out, calls = _answer(session, b"t SEARCH LARGER %d\r\n" % (smallest + 1))
    expected = [n for n in range(2, count + 1) if n != 3]
    assert out == (
        b"* SEARCH " + b" ".join(b"%d" % n for n in expected) + b"\r\nt OK SEARCH completed\r\n"
    )
    assert calls > 1
    out, calls = _answer(session, b"t SEARCH ALL\r\n")
    assert out.startswith(b"* SEARCH 1 2 4 5 ") and calls > 1
