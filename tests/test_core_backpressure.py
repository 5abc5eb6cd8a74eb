"""Output drives input (issue 11, goal 1).

The engine delivers no further pipelined command while
``Limits.max_unsent_output`` bytes wait in ``data_to_send()``; the server
session keeps what was delivered and not run, and ``pump()`` runs it once
the output has been taken.  Inside COMPRESS (RFC 4978) the engine inflates
only as far as the commands it runs.  Properties: the output held never
exceeds the limit plus one command's answer, with COMPRESS on and off, and
any split of the input gives the same output once drained.
"""

from __future__ import annotations

import itertools
import tracemalloc
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imap_sansio import Config, ConnectionState, Limits
from imap_sansio.commands import Command, Noop
from imap_sansio.responses import Status, StatusResponse
from imap_sansio.server import IMAPServer, MemoryBackend, Session, demo_backend
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.strategies import commands, encode_command

BODY = b"Subject: big\r\n\r\n" + b"0123456789abcdef" * 200 + b"\r\n"
LIMIT = 4096
#: One answer: the FETCH data and its tagged OK.
ANSWER = len(b"* 1 FETCH (BODY[] {%d}\r\n" % len(BODY)) + len(BODY) + len(b")\r\n") + 40


class Deflate:
    def __init__(self) -> None:
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.inflater = zlib.decompressobj(-15)

    def pack(self, data: bytes) -> bytes:
        return self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)

    def unpack(self, data: bytes) -> bytes:
        return self.inflater.decompress(data)


def session(limit: int = LIMIT, *, compress: bool = False) -> tuple[Session, Deflate | None]:
    server = IMAPServer(
        MemoryBackend(users={"alice": "secret"}),
        config=Config(limits=Limits(max_unsent_output=limit)),
        clock=fixed_clock(),
    )
    conn = server.connect()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    conn.receive_data(b"b APPEND INBOX {%d+}\r\n" % len(BODY) + BODY + b"\r\n")
    conn.receive_data(b"c SELECT INBOX\r\n")
    assert conn.data_to_send().endswith(b"c OK [READ-WRITE] SELECT completed\r\n")
    if not compress:
        return conn, None
    conn.receive_data(b"z COMPRESS DEFLATE\r\n")
    assert conn.data_to_send() == b"z OK DEFLATE active\r\n"
    return conn, Deflate()


def drain(conn: Session, codec: Deflate | None, bound: int) -> bytes:
    """Write out everything, as an adapter does, checking what is held."""
    out = b""
    while True:
        data = conn.data_to_send()
        plain = codec.unpack(data) if codec is not None else data
        assert len(plain) <= bound, (len(plain), bound)
        out += plain
        if conn.has_output:
            continue  # the rest of a streamed answer, a piece per call
        if not conn.output_held:
            return out
        conn.pump()


def pipelined(count: int) -> bytes:
    return b"".join(b"f%d FETCH 1 BODY.PEEK[]\r\n" % i for i in range(count))


def expected(count: int) -> bytes:
    answer = b"* 1 FETCH (BODY[] {%d}\r\n" % len(BODY) + BODY + b")\r\n"
    return b"".join(answer + b"f%d OK FETCH completed\r\n" % i for i in range(count))


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(1, 40),
    cuts=st.lists(st.integers(0, 10_000), max_size=6),
    compress=st.booleans(),
)
def test_output_held_never_exceeds_the_limit_plus_one_answer(
    count: int, cuts: list[int], compress: bool
) -> None:
    conn, codec = session(compress=compress)
    stream = pipelined(count)
    if codec is not None:
        stream = codec.pack(stream)  # one deflate blob, split anywhere
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    out = b""
    for start, stop in itertools.pairwise(points):
        conn.receive_data(stream[start:stop])
        out += drain(conn, codec, LIMIT + ANSWER)
    assert out == expected(count)


def test_no_command_runs_until_the_output_is_taken() -> None:
    conn, _ = session()
    conn.receive_data(pipelined(10))
    # Two answers cross the 4 KiB limit; the other eight wait.
    first = conn.data_to_send()
    assert first == expected(2)
    assert conn.output_held
    assert conn.data_to_send() == b""
    conn.pump()
    assert conn.data_to_send() == expected(4)[len(expected(2)) :]


def test_a_command_held_back_sees_the_mailbox_when_it_runs() -> None:
    """Commands run in order (RFC 3501 5.5): a STORE after held FETCHes runs
    after them, and its answer follows theirs."""
    conn, _ = session()
    conn.receive_data(pipelined(3) + b"s STORE 1 +FLAGS (\\Flagged)\r\n")
    out = drain(conn, None, LIMIT + ANSWER)
    assert out == expected(3) + (
        b"* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\ns OK STORE completed\r\n"
    )


def test_the_engine_alone_stops_delivering_and_reports_input_waiting() -> None:
    conn = ConnectionState(Config(limits=Limits(max_unsent_output=100)), secure=True)
    conn.send_greeting()
    events = conn.receive_data(b"a NOOP\r\nb NOOP\r\n")
    assert events == [Noop(tag="a"), Noop(tag="b")]
    conn.send(StatusResponse(status=Status.OK, tag="a", text="x" * 100))
    conn.send(StatusResponse(status=Status.OK, tag="b", text="done"))
    assert conn.output_full
    assert conn.receive_data(b"c NOOP\r\n") == []
    assert conn.input_waiting
    assert conn.next_events() == []  # still full: nothing runs
    conn.data_to_send()
    assert not conn.output_full
    assert conn.next_events() == [Noop(tag="c")]
    assert not conn.input_waiting


def test_a_compressed_flood_is_inflated_only_as_commands_run() -> None:
    """5,000 FETCHes deflate to a few hundred bytes; the engine must not
    inflate them all (nor answer them all) while the output is not taken."""
    conn, codec = session(limit=256 * 1024, compress=True)
    assert codec is not None
    bomb = codec.pack(b"f FETCH 1 BODY.PEEK[]\r\n" * 5000)
    assert len(bomb) < 1000
    tracemalloc.start()
    try:
        conn.receive_data(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    first = b""
    while conn.has_output:  # data_to_send returns it a piece at a time
        first += codec.unpack(conn.data_to_send())
    assert conn.output_held
    answers = first.count(b" OK FETCH completed\r\n")
    # 256 KiB of 3.3 KB answers: 80 of them, not 5,000 (16 MB).
    assert answers == 256 * 1024 // (len(BODY) + 53) + 1
    assert peak < 2 << 20, peak
    total = answers
    while conn.output_held:
        conn.pump()
        total += codec.unpack(conn.data_to_send()).count(b" OK FETCH completed\r\n")
    assert total == 5000


def _run_whole(stream: bytes, limit: int) -> bytes:
    errors: list[BaseException] = []
    server = IMAPServer(
        demo_backend(),
        config=Config(limits=Limits(max_unsent_output=limit)),
        clock=fixed_clock(),
        on_error=errors.append,
    )
    conn = server.connect()
    conn.receive_data(b"L LOGIN demo demo\r\nS SELECT INBOX\r\n" + stream)
    out = b""
    while True:
        out += conn.data_to_send()
        if not conn.output_held:
            break
        conn.pump()
    assert errors == []
    return out


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(commands().filter(lambda c: c.name != "COMPRESS"), min_size=1, max_size=8))
def test_random_pipelines_answer_the_same_whatever_the_output_limit(cmds: list[Command]) -> None:
    """With a 1-byte limit every command waits for the previous answer to be
    taken; the answers, their order and the state they leave are the same."""
    stream = b"".join(encode_command(c) for c in cmds)
    assert _run_whole(stream, 1) == _run_whole(stream, 1 << 30)
