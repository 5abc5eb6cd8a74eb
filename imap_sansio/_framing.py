"""Framing: the receive buffer and the lexical facts read before any grammar.

The engine splits the stream into command lines and literals here, and reads
only what it needs to decide about a literal before the grammar sees the
command: the tag, the command name, and a literal announcement at the end of
a line (RFC 3501 4.3, RFC 7888 for ``{n+}``, RFC 3516 for ``~{n}``).
"""

from __future__ import annotations

import re

from ._frozen import dataclass

__all__ = [
    "LiteralAnnouncement",
    "ReceiveBuffer",
    "literal_at_end",
    "read_tag_and_name",
]


class ReceiveBuffer:
    """A ``bytearray`` with a search cursor, so that a line split over many
    chunks is found in linear time (each byte is searched once)."""

    __slots__ = ("_data", "_searched")

    def __init__(self) -> None:
        self._data = bytearray()
        self._searched = 0

    def __len__(self) -> int:
        return len(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def feed(self, data: bytes) -> None:
        self._data += data

    def take_line(self) -> bytes | None:
        """Remove and return one line including its LF, or None if incomplete."""
        index = self._data.find(b"\n", self._searched)
        if index < 0:
            self._searched = len(self._data)
            return None
        line = self._copy(index + 1)
        # bytearray deletes from the front in O(1) amortised (ob_start).
        del self._data[: index + 1]
        self._searched = 0
        return line

    def take(self, count: int) -> bytes:
        """Remove and return up to ``count`` bytes."""
        if count >= len(self._data):
            data = bytes(self._data)
            self._data.clear()
        else:
            data = self._copy(count)
            del self._data[:count]
        self._searched = 0
        return data

    def _copy(self, count: int) -> bytes:
        # Through a view: ``bytes(data[:count])`` would copy twice (a
        # bytearray slice first).  Released before the caller resizes.
        with memoryview(self._data) as view:
            return view[:count].tobytes()

    def discard(self, count: int) -> int:
        """Drop up to ``count`` bytes; return how many were dropped."""
        dropped = min(count, len(self._data))
        del self._data[:dropped]
        self._searched = 0
        return dropped

    def peek(self, count: int) -> bytes:
        return bytes(self._data[:count])

    def tail(self, count: int) -> bytes:
        return bytes(self._data[-count:]) if count else b""

    def clear(self) -> None:
        self._data.clear()
        self._searched = 0


@dataclass(frozen=True, slots=True)
class LiteralAnnouncement:
    #: Announced size; None when the number is absurdly long (over 19 digits).
    size: int | None
    #: ``{n}``: the client waits for ``+``.  ``{n+}``: it does not (RFC 7888).
    synchronizing: bool
    #: ``~{n}``: literal8 (RFC 3516).
    binary: bool
    #: Index of the ``{`` (or ``~``) in the line.
    start: int


# literal = "{" number64 ["+"] "}" CRLF  (RFC 9051 9, RFC 7888 8)
# literal8 = "~{" number64 ["+"] "}" CRLF  (RFC 3516 4.1)
_LITERAL_END = re.compile(rb"(~?)\{([0-9]+)(\+?)\}\r?\n\Z")


def literal_at_end(line: bytes) -> LiteralAnnouncement | None:
    """The literal a command line announces at its end, if any."""
    if not line.endswith((b"}\r\n", b"}\n")):
        return None
    brace = line.rfind(b"{")
    if brace < 0:
        return None
    start = brace - 1 if brace > 0 and line[brace - 1] == 0x7E else brace
    m = _LITERAL_END.match(line, start)
    if m is None:
        return None
    digits = m.group(2)
    size = int(digits) if len(digits) <= 19 else None
    return LiteralAnnouncement(
        size=size, synchronizing=not m.group(3), binary=bool(m.group(1)), start=start
    )


# tag = 1*<any ASTRING-CHAR except "+">  (RFC 3501 9).  ASTRING-CHAR is
# ATOM-CHAR or "]"; ATOM-CHAR excludes "(" ")" "{" SP CTL "%" "*" DQUOTE "\".
_TAG = rb"[^\x00-\x20\x7f(){%*\"\\+\x80-\xff]+"
# Command names are atoms (letters, digits, "-", "." in practice).
_NAME = rb"[A-Za-z][A-Za-z0-9._-]*"
_TAG_AND_NAME = re.compile(
    rb"(" + _TAG + rb")(?: (" + _NAME + rb")(?: (" + _NAME + rb"))?)?(?=[ \r\n]|\Z)"
)
_TAG_ONLY = re.compile(_TAG + rb"(?= )")


def read_tag_and_name(line: bytes) -> tuple[str | None, str | None, str | None]:
    """Read ``(tag, NAME, SUBNAME)`` from the start of a command line.

    ``SUBNAME`` is the word after the name (used for ``UID FETCH``).  Any part
    that cannot be read is None; names are upper-cased.
    """
    m = _TAG_AND_NAME.match(line)
    if m is None:
        t = _TAG_ONLY.match(line)
        return (t.group().decode("ascii") if t else None), None, None
    tag = m.group(1).decode("ascii")
    name = m.group(2).decode("ascii").upper() if m.group(2) else None
    sub = m.group(3).decode("ascii").upper() if m.group(3) else None
    return tag, name, sub
