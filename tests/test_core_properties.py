"""Properties of the engine that hold for every input (hypothesis)."""

from __future__ import annotations

import re

import paths
from core_app import feed, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imap_sansio import Config, ConnectionState, Limits, State
from imap_sansio._framing import literal_at_end, read_tag_and_name
from imap_sansio._parser import COMMANDS

VECTORS = paths.VECTORS

# Lines that exercise every path: valid and invalid commands, literals of
# every form, sub-flows, limits.
LINES = [
    b"a NOOP\r\n",
    b"a LOGIN alice secret\r\n",
    b"a LOGIN {5}\r\nalice {6+}\r\nsecret\r\n",
    b"a LOGIN alice wrong\r\n",
    b"b SELECT INBOX\r\n",
    b"b EXAMINE {5+}\r\nINBOX\r\n",
    b"c BOGUS {9+}\r\nz NOOP\r\n\r\n",
    b"c BOGUS {3}\r\n",
    b"d APPEND INBOX {5+}\r\nhello\r\n",
    b"d APPEND INBOX (\\Seen) ~{3+}\r\na\0b\r\n",
    b"d APPEND INBOX {99999999}\r\n",
    b"e AUTHENTICATE PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n",
    b"e AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n",
    b"e AUTHENTICATE PLAIN\r\n*\r\n",
    b"f IDLE\r\nDONE\r\n",
    b"f IDLE\r\nnope\r\n",
    b"g UID FETCH 1:* (FLAGS)\r\n",
    b"h SEARCH TEXT {4+}\r\ntext\r\n",
    b"i CLOSE\r\n",
    b"* NOOP\r\n",
    b"\r\n",
    b"j\r\n",
    b"k SELECT\r\n",
    b"l " + b"x" * 300 + b" {4+}\r\n1234\r\n",
    b"m ENABLE UTF8=ACCEPT\r\n",
    b"n CAPABILITY\r\n",
    b"o LOGOUT\r\n",
]

SMALL = Config(
    limits=Limits(max_line_before_auth=200, max_line=256, max_literal=64, max_append_literal=128)
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces = []
    last = 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return [p for p in pieces if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(LINES), min_size=1, max_size=12),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
)
def test_any_split_gives_the_same_events_and_bytes(lines: list[bytes], cuts: list[int]) -> None:
    data = b"".join(lines)
    whole = run([data], conn=ConnectionState(SMALL, secure=True))
    split = run(_split(data, cuts), conn=ConnectionState(SMALL, secure=True))
    assert whole == split


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=8))
def test_one_byte_at_a_time_is_the_same_as_all_at_once(lines: list[bytes]) -> None:
    data = b"".join(lines)
    whole = run([data], conn=ConnectionState(SMALL, secure=True))
    bytewise = run(
        [data[i : i + 1] for i in range(len(data))], conn=ConnectionState(SMALL, secure=True)
    )
    assert whole == bytewise


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=300), st.sampled_from(LINES)), max_size=10))
def test_arbitrary_bytes_never_raise_and_stay_bounded(chunks: list[bytes]) -> None:
    conn = ConnectionState(SMALL, secure=True)
    conn.send_greeting()
    for chunk in chunks:
        feed(conn, chunk)
        out = conn.data_to_send()
        # Every line the engine writes is a complete response line.
        assert out == b"" or out.endswith(b"\r\n")
        assert len(conn._buffer) <= SMALL.limits.max_buffered_input
        assert len(conn._literal) <= SMALL.limits.max_append_literal
        if conn.closed:
            break


_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|(.))")
_SIMPLE = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}


def unescape(text: str) -> bytes:
    """The vectors' escapes (SOURCES.md): \\r \\n \\t \\\\ \\xNN; other text is UTF-8."""
    out = bytearray()
    last = 0
    for m in _ESCAPE.finditer(text):
        out += text[last : m.start()].encode("utf-8")
        out += bytes([int(m.group(1), 16)]) if m.group(1) else _SIMPLE[m.group(2)]
        last = m.end()
    out += text[last:].encode("utf-8")
    return bytes(out)


def _client_lines() -> list[bytes]:
    rows = []
    for raw in (VECTORS / "client_lines.txt").read_text(encoding="utf-8").splitlines():
        if not raw or raw.startswith("#"):
            continue
        escaped = raw.split("\t")[0]
        data = unescape(escaped)
        if data.startswith(b"<tag> "):
            data = b"T1 " + data[len(b"<tag> ") :]
        rows.append(data)
    return rows


def _connection_for(name: str) -> ConnectionState:
    conn = ConnectionState(secure=True)
    conn.send_greeting()
    if name not in COMMANDS or State.NOT_AUTHENTICATED not in COMMANDS[name].states:
        feed(conn, b"L LOGIN alice secret\r\nS SELECT INBOX\r\n")
        assert conn.state is State.SELECTED
    conn.data_to_send()
    return conn


def test_real_client_lines_are_framed() -> None:
    """Every real client line: tag and name found, literals consumed or awaited."""
    lines = _client_lines()
    assert len(lines) > 400
    # Single-token rows are sub-flow lines (SASL responses, IDLE's DONE), not commands.
    subflow = [d for d in lines if b" " not in d.rstrip(b"\r\n")]
    assert len(subflow) == 7
    for data in lines:
        if data in subflow:
            continue
        tag, name, _ = read_tag_and_name(data)
        assert tag is not None and name is not None, data
        conn = _connection_for(name)
        events = conn.receive_data(data)
        out = conn.data_to_send()
        last_line = data[data.rfind(b"\n", 0, len(data) - 1) + 1 :]
        announcement = literal_at_end(last_line)
        if events:
            # Framed whole: one command with this tag.
            assert [getattr(e, "tag", None) for e in events] == [tag], data
        elif announcement is not None and announcement.synchronizing:
            # The row stops where the client waits for "+" before the literal.
            assert out.endswith(b"+ Ready for literal data\r\n"), (data, out)
        elif announcement is not None:
            # The row stops at a {n+} literal that the next row carries.
            assert out == b"" and conn._framed is not None, (data, out)
        elif conn._framed is not None:
            # The command is not over yet: one MailKit row announces {13+}
            # for "Comunicação" in UTF-8 but carries its 11 Latin-1 bytes, so
            # the literal takes the CRLF too and the engine waits for more.
            assert b"Comunica" in data, data
        else:
            # Rejected by the grammar: a tagged BAD, never an untagged one.
            assert out.startswith(tag.encode() + b" BAD "), (data, out)
