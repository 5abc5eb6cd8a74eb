r"""Transcript tests: play ``C:``/``S:`` lines against pure server connections.

A transcript is the exchange as an RFC writes it: ``C:`` lines are sent to
the server, ``S:`` lines are what it must answer, line by line, in order.
:func:`play` drives ``server.connect()`` sessions (no sockets, no threads)
and raises :class:`TranscriptMismatch` (an ``AssertionError``) at the first
line that differs, saying which transcript line, which connection, what was
expected and what the server sent.

The syntax, one item per line (leading blanks are ignored):

``C: text``
    Sent to the server as ``text`` + CRLF.  A literal is written as on the
    wire: ``C: a APPEND INBOX {11}``, then (after the server's ``+``, which
    the transcript states like any other line) the literal's bytes as ``C:``
    lines, joined by CRLF; the CRLF after the last line ends the command.
    ``{n}`` counts the CRLFs inside the literal.
``S: text``
    The next line the server sends (without its CRLF) must match ``text``
    exactly, byte for byte, except for placeholders (below).  Literals the
    server sends are split into lines the same way.
``C2:`` / ``S2:``
    The same for connection 2 (any positive number; ``C:``/``S:`` mean
    connection 1).  Each connection is opened on first use; its greeting is
    skipped unless ``include_greeting=True``.
``P2:``
    Call ``poll()`` on connection 2 (what an adapter does when the backend
    tells it something changed: an IDLE session then sends its updates).
    Idling connections are also polled before an ``S`` line is read.
blank lines and lines starting with ``#``
    Ignored.

Placeholders, in ``S:`` lines (and ``C:`` lines, once bound):

``$ANY``
    Any text, possibly empty (never bound).
``$NUMBER``
    One or more digits (never bound).
``$NAME`` (``$`` and an upper-case name, e.g. ``$UIDVALIDITY``, ``$UID1``)
    In an ``S:`` line, the first time: any atom (a run of characters other
    than space, parentheses, brackets, quote, CR and LF), which is then
    bound; afterwards it must be the bound value.  In a ``C:`` line: the
    bound value (a transcript using an unbound name is an error).
``$$``
    A literal ``$`` (for a keyword such as ``$$HIGH`` that looks like a
    placeholder; ``$Forwarded`` or a lone ``$`` need no escape).

At the end every connection must have nothing left to send (unless
``check_end=False``).  :func:`play` returns the bound values.

Example (the doctest below is run by the test suite)::

    >>> from imap_sansio.server import IMAPServer, MemoryBackend
    >>> from imap_sansio.testing import fixed_clock, play
    >>> server = IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock())
    >>> play(server, '''
    ...     C1: a1 LOGIN alice secret
    ...     S1: a1 OK [CAPABILITY $ANY] LOGIN completed
    ...     C1: a2 SELECT INBOX
    ...     S1: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
    ...     S1: * 0 EXISTS
    ...     S1: * 0 RECENT
    ...     S1: * OK [UIDVALIDITY $UIDVALIDITY] UIDs valid
    ...     S1: * OK [UIDNEXT 1] Predicted next UID
    ...     S1: * OK [PERMANENTFLAGS ($ANY \\*)] Flags permitted
    ...     S1: a2 OK [READ-WRITE] SELECT completed
    ...     # A second session appends a message with a literal.
    ...     C2: b1 LOGIN alice secret
    ...     S2: b1 OK $ANY
    ...     C2: b2 APPEND INBOX (\\Seen) {18}
    ...     S2: + $ANY
    ...     C2: Subject: hi
    ...     C2:
    ...     C2: hi
    ...     S2: b2 OK [APPENDUID $UIDVALIDITY $UID] APPEND completed
    ...     # The first session hears of it at its next command.
    ...     C1: a3 NOOP
    ...     S1: * 1 EXISTS
    ...     S1: * 1 RECENT
    ...     S1: a3 OK NOOP completed
    ...     C1: a4 UID FETCH $UID (FLAGS)
    ...     S1: * 1 FETCH (UID $UID FLAGS (\\Seen \\Recent))
    ...     S1: a4 OK $ANY
    ... ''')
    {'UIDVALIDITY': '1', 'UID': '1'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["TranscriptError", "TranscriptMismatch", "play"]


class TranscriptError(ValueError):
    """The transcript itself is malformed (not a server failure)."""


class TranscriptMismatch(AssertionError):
    """The server did not answer as the transcript says."""


class _Connection(Protocol):
    def receive_data(self, data: bytes) -> None: ...
    def data_to_send(self) -> bytes: ...
    def poll(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def idling(self) -> bool: ...


class _Server(Protocol):
    def connect(self, secure: bool = True, tls_available: bool = False) -> _Connection: ...


_LINE = re.compile(r"([CSP])(\d*):(?: (.*)|$)")
_PLACEHOLDER = re.compile(r"\$\$|\$([A-Z][A-Z0-9_]*)(?![A-Za-z0-9_])")
_ATOM = r"[^ ()\[\]\"\r\n]+"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Step:
    number: int  # line number in the transcript (1-based)
    kind: str  # "C", "S" or "P"
    connection: int
    text: str


@dataclass(slots=True)
class _Session:
    conn: _Connection
    buffer: bytearray = field(default_factory=bytearray)

    def pull(self) -> None:
        # Big output comes a piece per call (streamed FETCH literals), and
        # commands held back while much output was queued (output drives
        # input) run once it is taken, as an adapter would let them.
        while True:
            if chunk := self.conn.data_to_send():
                self.buffer += chunk
            elif getattr(self.conn, "output_held", False):
                self.conn.pump()  # type: ignore[attr-defined]
            else:
                break

    def next_line(self) -> bytes | None:
        self.pull()
        if not self.buffer and self.conn.idling and not self.conn.closed:
            self.conn.poll()
            self.pull()
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return None
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        return line


def _parse(transcript: str) -> list[_Step]:
    steps: list[_Step] = []
    for number, raw in enumerate(transcript.splitlines(), 1):
        line = raw.lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            raise TranscriptError(
                f"transcript line {number}: expected 'C:', 'S:' or 'P:' (optionally "
                f"numbered, e.g. 'C2:'), got {line!r}"
            )
        kind, label, text = m.group(1), m.group(2), m.group(3) or ""
        connection = int(label) if label else 1
        if connection < 1:
            raise TranscriptError(f"transcript line {number}: connections are numbered from 1")
        steps.append(_Step(number=number, kind=kind, connection=connection, text=text))
    return steps


def _substitute(step: _Step, bound: dict[str, str]) -> str:
    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        if name is None:
            return "$"
        if name in bound:
            return bound[name]
        if name in ("ANY", "NUMBER"):
            raise TranscriptError(
                f"transcript line {step.number}: ${name} can only be used in S: lines"
            )
        raise TranscriptError(
            f"transcript line {step.number}: ${name} is used before an S: line bound it"
        )

    return _PLACEHOLDER.sub(replace, step.text)


def _pattern(text: str, bound: dict[str, str]) -> tuple[re.Pattern[str], list[str]]:
    """The regex for an S: line and the names it binds, in group order."""
    parts: list[str] = []
    binding: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        parts.append(re.escape(text[pos : m.start()]))
        pos = m.end()
        name = m.group(1)
        if name is None:
            parts.append(re.escape("$"))
        elif name == "ANY":
            parts.append(".*?")
        elif name == "NUMBER":
            parts.append("[0-9]+")
        elif name in bound:
            parts.append(re.escape(bound[name]))
        elif name in binding:
            parts.append(f"(?P={name})")
        else:
            parts.append(f"(?P<{name}>{_ATOM})")
            binding.append(name)
    parts.append(re.escape(text[pos:]))
    return re.compile("".join(parts), re.DOTALL), binding


def _render(text: str, bound: dict[str, str]) -> str:
    """An S: line with the values bound so far filled in (for messages)."""

    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        return bound.get(name, m.group()) if name is not None else "$"

    return _PLACEHOLDER.sub(replace, text)


def _show(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")


def play(
    server: _Server,
    transcript: str,
    *,
    secure: bool = True,
    include_greeting: bool = False,
    check_end: bool = True,
) -> dict[str, str]:
    """Play ``transcript`` against connections from ``server.connect(secure=...)``.

    Returns the values bound by ``$NAME`` placeholders.  Raises
    :class:`TranscriptMismatch` at the first line the server answers
    differently (or not at all), and :class:`TranscriptError` for a
    malformed transcript.
    """
    steps = _parse(transcript)
    sessions: dict[int, _Session] = {}
    bound: dict[str, str] = {}
    history: list[str] = []

    def session(step: _Step) -> _Session:
        current = sessions.get(step.connection)
        if current is None:
            current = _Session(server.connect(secure=secure))
            if not include_greeting:
                current.next_line()
            sessions[step.connection] = current
        return current

    def fail(step: _Step, message: str) -> TranscriptMismatch:
        context = "\n".join(f"    {line}" for line in history[-6:])
        label = f"{step.kind}{step.connection}"
        return TranscriptMismatch(
            f"transcript line {step.number} ({label}): {message}"
            + (f"\n  last lines played:\n{context}" if context else "")
        )

    for step in steps:
        current = session(step)
        if step.kind == "P":
            current.conn.poll()
            continue
        if step.kind == "C":
            if current.conn.closed:
                raise fail(step, "the server closed this connection; cannot send")
            text = _substitute(step, bound)
            current.conn.receive_data(text.encode("utf-8") + b"\r\n")
            history.append(f"C{step.connection}: {text}")
            continue
        line = current.next_line()
        regex, names = _pattern(step.text, bound)
        if line is None:
            pending = _show(bytes(current.buffer))
            raise fail(
                step,
                f"the server sent nothing more\n  expected: {step.text}"
                + (f"\n  pending (no CRLF yet): {pending!r}" if pending else ""),
            )
        got = _show(line)
        m = regex.fullmatch(got)
        if m is None:
            shown = _render(step.text, bound)
            raw = f"\n  (written:  {step.text})" if shown != step.text else ""
            raise fail(step, f"mismatch\n  expected: {shown}\n  got:      {got}{raw}")
        for name in names:
            bound[name] = m.group(name)
        history.append(f"S{step.connection}: {got}")

    if check_end:
        for number, current in sorted(sessions.items()):
            current.pull()
            if current.buffer:
                rest = _show(bytes(current.buffer)).rstrip("\r\n").split("\r\n")
                raise TranscriptMismatch(
                    f"after the transcript, connection {number} has unread output "
                    f"({len(rest)} line(s)), first: {rest[0]}"
                )
    return bound
