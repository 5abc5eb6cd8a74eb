"""Big APPEND literals go to temporary files, not into memory.

The engine hands each APPEND literal over ``Limits.spool_literal_above`` to
the sink that ``Config.literal_sink_factory`` gives (see
:class:`imap_sansio.LiteralSink`), piece by piece as it arrives; the APPEND
event then carries the file as a :class:`imap_sansio.MessageSource`, which
the backend reads a piece at a time and the server closes after the APPEND.
The adapters pass :func:`temporary_file_sink` unless told otherwise
(``ServerOptions.literal_sink_factory``).
"""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO

__all__ = ["FileSink", "FileSource", "temporary_file_sink"]


class FileSource:
    """A spooled literal: ``read`` by offset (``pread``, no shared file
    position), ``close`` deletes it (the file has no name)."""

    __slots__ = ("_file", "_size")

    def __init__(self, file: BinaryIO, size: int) -> None:
        self._file = file
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._size - offset))
        fd = self._file.fileno()
        pieces: list[bytes] = []
        while length:
            piece = os.pread(fd, length, offset)
            if not piece:
                break
            pieces.append(piece)
            offset += len(piece)
            length -= len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def close(self) -> None:
        self._file.close()

    def __repr__(self) -> str:
        return f"FileSource(<{self._size} bytes>)"


class FileSink:
    """Writes a literal into an anonymous temporary file in ``directory``
    (the system's temporary directory by default)."""

    __slots__ = ("_file", "_size")

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._file: BinaryIO = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self._size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._size += len(data)

    def finish(self) -> FileSource:
        self._file.flush()
        return FileSource(self._file, self._size)

    def discard(self) -> None:
        self._file.close()


def temporary_file_sink(size: int) -> FileSink:
    """The default ``literal_sink_factory``: one temporary file per literal."""
    return FileSink()
