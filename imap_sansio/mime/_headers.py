"""Header blocks with byte offsets (RFC 5322 2.2, RFC 3501 6.4.5).

Hand-written because :mod:`email.parser` does not report where each field
lies in the stored bytes, and ``BODY[HEADER.FIELDS (...)]`` must return the
stored field lines exactly (folding kept).
"""

from __future__ import annotations

from collections.abc import Iterable

from .._frozen import dataclass, field

__all__ = ["Header", "HeaderField", "parse_header", "unfold"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HeaderField:
    """One header field: ``data[start:end]`` is the stored field, all its lines.

    ``name`` is lower-cased (field names are case-insensitive, RFC 5322 1.2.2);
    ``None`` marks a line that is not a field (no colon): it is kept so that
    ``HEADER.FIELDS.NOT`` returns it as stored.
    """

    name: bytes | None
    start: int
    value_start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    """The header block of an entity: ``data[start:end]``, blank line included.

    ``blank`` is the stored blank line that ends the header (``b"\\r\\n"`` or
    ``b"\\n"``), or ``b""`` when the header runs to the end of the entity.

    The fields are kept as two flat tuples (``names``, and ``offsets`` with
    three numbers per field: start, value start, end) rather than one object
    per field: tuples of bytes and ints are not tracked by the garbage
    collector, and a server caches tens of thousands of parsed headers, whose
    field objects made every full collection pause all sessions for tens of
    milliseconds.  :attr:`fields` builds the :class:`HeaderField` view.
    """

    data: bytes = field(repr=False, compare=False)
    start: int
    end: int
    blank: bytes
    names: tuple[bytes | None, ...]
    offsets: tuple[int, ...]

    @property
    def fields(self) -> tuple[HeaderField, ...]:
        o = self.offsets
        return tuple(
            HeaderField(name=name, start=o[3 * i], value_start=o[3 * i + 1], end=o[3 * i + 2])
            for i, name in enumerate(self.names)
        )

    def get_all(self, name: bytes) -> list[HeaderField]:
        """The fields called ``name`` (lower case), in stored order."""
        o = self.offsets
        return [
            HeaderField(name=name, start=o[3 * i], value_start=o[3 * i + 1], end=o[3 * i + 2])
            for i, n in enumerate(self.names)
            if n == name
        ]

    def first(self, name: bytes) -> bytes | None:
        """The unfolded, stripped value of the first field ``name``, or None."""
        names = self.names
        if name not in names:
            return None
        i = 3 * names.index(name)
        return unfold(self.data[self.offsets[i + 1] : self.offsets[i + 2]]).strip(b" \t\r\n")

    def value(self, f: HeaderField) -> bytes:
        """A field's value, unfolded (RFC 5322 2.2.3) and stripped of outer WSP."""
        return unfold(self.data[f.value_start : f.end]).strip(b" \t\r\n")

    def raw(self, f: HeaderField) -> bytes:
        return self.data[f.start : f.end]

    def select(self, names: Iterable[str | bytes], *, exclude: bool) -> bytes:
        """``HEADER.FIELDS`` / ``HEADER.FIELDS.NOT`` (RFC 3501 6.4.5).

        The stored lines of the fields named (or, with ``exclude``, of all the
        other lines), in stored order, followed by the blank line that ends a
        header.  Names compare case-insensitively.
        """
        wanted = _wanted(names)
        # (None, a line that is not a field, is never in ``wanted``.)
        if exclude:
            picked = [i for i, name in enumerate(self.names) if name not in wanted]
        else:
            picked = [i for i, name in enumerate(self.names) if name in wanted]
        out: list[bytes] = []
        data, o = self.data, self.offsets
        for i in picked:
            line = data[o[3 * i] : o[3 * i + 2]]
            out.append(line)
            if not line.endswith(b"\n"):
                out.append(b"\r\n")
        out.append(self.blank or b"\r\n")
        return b"".join(out)


#: Field-name lists of HEADER.FIELDS as lower-case sets, by the list (a
#: FETCH asks the same of every message).  Emptied when full.
_WANTED: dict[tuple[str | bytes, ...], frozenset[bytes | None]] = {}


def _wanted(names: Iterable[str | bytes]) -> frozenset[bytes | None]:
    key = names if isinstance(names, tuple) else None
    found = _WANTED.get(key) if key is not None else None
    if found is None:
        found = frozenset(
            (n.encode("utf-8", "replace") if isinstance(n, str) else n).lower() for n in names
        )
        if key is not None:
            if len(_WANTED) >= 64:
                _WANTED.clear()
            _WANTED[key] = found
    return found


def unfold(value: bytes) -> bytes:
    """Remove the line breaks of folding; the WSP that follows them stays."""
    if b"\n" not in value:
        return value
    return value.replace(b"\r\n", b"").replace(b"\n", b"")


def parse_header(data: bytes, start: int, end: int) -> Header:
    """Read the header block of ``data[start:end]``.

    The header ends after the first empty line; without one it runs to
    ``end`` (a message with no body).  Never raises.
    """
    names: list[bytes | None] = []
    offsets: list[int] = []
    pos = start
    blank = b""
    cur_name: bytes | None = None
    cur_start = cur_value = -1
    while pos < end:
        nl = data.find(b"\n", pos, end)
        line_end = end if nl < 0 else nl + 1
        first = data[pos]
        if first in (0x0D, 0x0A) and line_end - pos <= 2 and data[pos:line_end] in (b"\r\n", b"\n"):
            blank = data[pos:line_end]
            if cur_start >= 0:
                names.append(cur_name)
                offsets += (cur_start, cur_value, pos)
            return Header(
                data=data,
                start=start,
                end=line_end,
                blank=blank,
                names=tuple(names),
                offsets=tuple(offsets),
            )
        if first in (0x20, 0x09) and cur_start >= 0:
            pos = line_end  # a continuation line of the current field
            continue
        if cur_start >= 0:
            names.append(cur_name)
            offsets += (cur_start, cur_value, pos)
        colon = data.find(b":", pos, line_end)
        cur_start = pos
        if colon < 0:
            cur_name, cur_value = None, line_end
        else:
            name = data[pos:colon].rstrip(b" \t").lower()
            cur_name = name if name and b" " not in name and b"\t" not in name else None
            cur_value = colon + 1
        pos = line_end
    if cur_start >= 0:
        names.append(cur_name)
        offsets += (cur_start, cur_value, end)
    return Header(
        data=data, start=start, end=end, blank=blank, names=tuple(names), offsets=tuple(offsets)
    )
