"""Message data read in pieces: what big literals are made of, both ways.

A :class:`MessageSource` is a message (or a part of one) that the engine
reads a piece at a time: the encoder writes a FETCH literal from it as the
transport drains (so a 10 MB body is never one bytes object of the output),
and an APPEND literal that was spooled to a :class:`LiteralSink` is handed
to the backend as one.  The core never opens files: adapters and backends
implement these protocols over files, database rows or memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = [
    "BytesSource",
    "LiteralSink",
    "LiteralSinkFactory",
    "MessageSource",
    "SourceSlice",
    "has_nul",
]

#: Bytes read from a source at a time when scanning it.
_SCAN_PIECE = 64 * 1024


@runtime_checkable
class MessageSource(Protocol):
    """Bytes of a known size, read by offset (a Maildir file, a memory slice,
    a database row read with ``substring()``).

    ``read(offset, length)`` returns exactly ``min(length, size - offset)``
    bytes; fewer (or an exception) means the store lost the message, and the
    engine then ends the connection (the literal's size was already sent).
    ``close()`` releases what reading holds open (a file); it may be called
    more than once, and a later ``read()`` may open it again.
    """

    @property
    def size(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes: ...

    def close(self) -> None: ...


class BytesSource:
    """A :class:`MessageSource` over bytes held in memory (no copy is made
    until a piece is read)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes | memoryview) -> None:
        self._data = memoryview(data)

    @property
    def size(self) -> int:
        return len(self._data)

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self._data[offset : offset + length])

    def view(self, offset: int, length: int) -> memoryview:
        """Like :meth:`read`, without a copy: what the engine writes out."""
        return self._data[offset : offset + length]

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"BytesSource(<{len(self._data)} bytes>)"


class SourceSlice:
    """``length`` bytes of another source from ``offset`` (a FETCH partial,
    RFC 3501 6.4.5 ``<origin.count>``), clipped to the source's end."""

    __slots__ = ("_length", "_offset", "_source")

    def __init__(self, source: MessageSource, offset: int, length: int) -> None:
        start = min(offset, source.size)
        self._source = source
        self._offset = start
        self._length = max(0, min(length, source.size - start))

    @property
    def size(self) -> int:
        return self._length

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._length - offset))
        return self._source.read(self._offset + offset, length) if length else b""

    def close(self) -> None:
        self._source.close()

    def __repr__(self) -> str:
        return f"SourceSlice({self._source!r}, {self._offset}, {self._length})"


def has_nul(data: bytes | memoryview | MessageSource) -> bool:
    """Does the data hold a NUL octet?  A source is read a piece at a time."""
    if isinstance(data, bytes | memoryview):
        return b"\x00" in data
    return any(
        b"\x00" in data.read(offset, _SCAN_PIECE) for offset in range(0, data.size, _SCAN_PIECE)
    )


class LiteralSink(Protocol):
    """Where the engine writes a big APPEND literal as it arrives (a file).

    ``write`` takes each piece in order; ``finish()`` returns the whole as a
    :class:`MessageSource` once the last piece is in; ``discard()`` drops it
    (the command failed or the connection ended).
    """

    def write(self, data: bytes) -> None: ...

    def finish(self) -> MessageSource: ...

    def discard(self) -> None: ...


#: Called with the announced size; returns a fresh sink (see ``Config``).
LiteralSinkFactory = Callable[[int], LiteralSink]
