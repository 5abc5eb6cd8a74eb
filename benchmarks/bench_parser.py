"""Parser command mix: real client lines through ``receive_data``, beside pymap.

Two of ours: the grammar alone (``parse_command``, what pymap's number
measures) and the whole engine (``receive_data``: framing, state table,
events, and the answers that pausing commands need).

The lines are every complete command in ``tests/data/vectors/client_lines.txt``
(MailKit, Thunderbird for Android, go-imap) that our grammar accepts; the
same byte strings are given to pymap's command parser
(``pymap.parsing.commands.Commands.parse``) in the same run.  Our number
includes framing, the state table and event delivery; pymap's is its parser
alone.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Callable

from imap_sansio import Config, ConnectionState, Limits, ParseError, parse_command
from imap_sansio._parser import COMMANDS
from imap_sansio._responses import Status, StatusResponse
from imap_sansio._state import ANY_STATE

from ._harness import Result, compare

__all__ = ["client_commands", "run"]

VECTORS = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "vectors"
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|(.))")
_SIMPLE = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}


def _unescape(text: str) -> bytes:
    out = bytearray()
    last = 0
    for m in _ESCAPE.finditer(text):
        out += text[last : m.start()].encode()
        out += bytes([int(m.group(1), 16)]) if m.group(1) else _SIMPLE[m.group(2)]
        last = m.end()
    out += text[last:].encode()
    return bytes(out)


def client_commands() -> list[bytes]:
    """The complete real-client commands our grammar accepts."""
    path = VECTORS / "client_lines.txt"
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw or raw.startswith("#"):
            continue
        data = _unescape(raw.split("\t")[0])
        if data.startswith(b"<tag> "):
            data = b"T1 " + data[6:]
        if b" " not in data.rstrip(b"\r\n") or not data.endswith(b"\r\n"):
            continue
        # LITERAL+ so that no "+" round trip is needed inside the stream.
        data = re.sub(rb"\{(\d+)\}\r\n", rb"{\1+}\r\n", data)
        try:
            parse_command(data)
        except ParseError:
            continue
        out.append(data)
    return out


def _ours(stream: bytes, count: int) -> Callable[[], object]:
    # Every command allowed in every state, so that all of them are parsed;
    # no pipelining limit, so that only commands that pause need an answer.
    config = Config(
        commands={n: dataclasses.replace(s, states=ANY_STATE) for n, s in COMMANDS.items()},
        limits=Limits(max_pipelined=count + 1, max_buffered_input=len(stream) + 1),
        max_commands_before_auth=count + 1,
    )

    def run() -> object:
        conn = ConnectionState(config, secure=True)
        seen = 0
        events = conn.receive_data(stream)
        while events:
            for event in events:
                name = getattr(event, "name", "")
                if name in COMMANDS and COMMANDS[name].pauses:
                    # OK keeps the session logged in; NO keeps it open and in plaintext.
                    plain = ("LOGOUT", "STARTTLS", "COMPRESS")
                    status = Status.NO if name in plain else Status.OK
                    conn.send(StatusResponse(status=status, tag=event.tag, text="x"))  # type: ignore[union-attr]
                seen += 1
            events = conn.next_events()
        assert seen == count, (seen, count)
        return conn.data_to_send()

    return run


def _pymap(lines: list[bytes]) -> Callable[[], object] | None:
    try:
        from pymap.parsing import Params
        from pymap.parsing.commands import Commands
    except ImportError:
        return None
    commands = Commands()
    params = Params()
    views = [memoryview(line) for line in lines]

    def run() -> object:
        parse = commands.parse
        return [parse(view, params) for view in views]

    return run


def run(quick: bool = False) -> list[Result]:
    lines = client_commands()
    copies = 20 if quick else 100
    # Unique tags: a session answers commands by tag.
    batch = [b"T%d %s" % (i, line.split(b" ", 1)[1]) for i, line in enumerate(lines * copies)]
    stream = b"".join(batch)
    repeat = 3 if quick else 7
    sides: list[tuple[str, Callable[[], object]]] = [
        ("parser: real client command mix, imap-sansio receive_data", _ours(stream, len(batch))),
        (
            "parser: real client command mix, imap-sansio parse_command alone",
            lambda: [parse_command(line) for line in batch],
        ),
    ]
    peer = _pymap(batch)
    if peer is not None:
        sides.append(("parser: real client command mix, pymap Commands.parse", peer))
    # Interleaved rounds: ours and pymap's alternate, so drift hits both.
    results = compare(sides, rounds=repeat, units=len(batch), unit="command")
    if peer is not None:
        theirs = results[-1]
        for mine in results[:-1]:
            mine.extra["peer"] = theirs.name
            mine.extra["ratio_vs_peer"] = theirs.median / mine.median
    return results
