"""Structured MIME header values: Content-Type, Content-Disposition, parameters.

Hand-written (the stdlib :mod:`email` header registry works on ``str`` and
re-renders values; IMAP needs the stored bytes).  Tolerant: a value the RFC
2045 grammar rejects gives ``None`` or as much as could be read, never an
exception.

RFC 2231 parameters (section 3 continuations ``name*0``, ``name*1``; section
4 charsets ``name*=utf-8'en'%E2%82%AC``) are merged into one parameter.  We
present them as Dovecot and Cyrus do: a merged value that used the extended
syntax keeps it, under the name with one trailing ``*`` and the value
``charset'language'percent-encoded`` (literal segments percent-encoded where
needed), so the BODYSTRUCTURE stays ASCII and a client decodes it with its
RFC 2231 code; :func:`decode_param` gives the decoded text.
"""

from __future__ import annotations

import re
import urllib.parse

from .._bodystructure import Params
from ._decode import decode_charset

__all__ = [
    "decode_param",
    "get_param",
    "parse_content_type",
    "parse_disposition",
    "parse_language",
    "strip_comments",
]

_TSPECIALS = frozenset(b'()<>@,;:\\"/[]?= \t\r\n')
_SECTION_RE = re.compile(rb"^(.*?)\*(\d+)(\*?)$", re.DOTALL)
# RFC 2231 7: attribute-char, the characters that need no percent-encoding.
_ATTRIBUTE_SAFE = b"!#$&+-.^_`{|}~"


class _Scanner:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def peek(self) -> int:
        return self.data[self.pos] if self.pos < len(self.data) else -1

    def skip_cfws(self) -> None:
        data = self.data
        while self.pos < len(data):
            c = data[self.pos]
            if c in (0x20, 0x09, 0x0D, 0x0A):
                self.pos += 1
            elif c == 0x28:  # "(" comment, nested, with quoted-pairs
                depth = 0
                while self.pos < len(data):
                    c = data[self.pos]
                    self.pos += 1
                    if c == 0x5C:
                        self.pos += 1
                    elif c == 0x28:
                        depth += 1
                    elif c == 0x29:
                        depth -= 1
                        if depth == 0:
                            break
            else:
                return

    def token(self) -> bytes:
        start = self.pos
        data = self.data
        while self.pos < len(data) and data[self.pos] not in _TSPECIALS and data[self.pos] > 0x20:
            self.pos += 1
        return data[start : self.pos]

    def quoted(self) -> bytes:
        """A quoted-string (the opening quote is current); quoted-pairs resolved."""
        out = bytearray()
        data = self.data
        self.pos += 1
        while self.pos < len(data):
            c = data[self.pos]
            self.pos += 1
            if c == 0x22:
                break
            if c == 0x5C and self.pos < len(data):
                c = data[self.pos]
                self.pos += 1
            out.append(c)
        return bytes(out)

    def value(self) -> bytes:
        if self.peek() == 0x22:
            return self.quoted()
        # Tolerate unquoted values with tspecials (name=a/b.txt): up to ";",
        # comments dropped (RFC 2045 5.1: "charset=us-ascii (Plain text)").
        end = self.data.find(b";", self.pos)
        end = len(self.data) if end < 0 else end
        raw = self.data[self.pos : end]
        self.pos = end
        return strip_comments(raw).strip(b" \t\r\n")


def _parse_params(sc: _Scanner) -> list[tuple[bytes, bytes]]:
    params: list[tuple[bytes, bytes]] = []
    while True:
        sc.skip_cfws()
        if sc.at_end():
            break
        if sc.peek() != 0x3B:  # junk before the next ";": skip it
            nxt = sc.data.find(b";", sc.pos)
            if nxt < 0:
                break
            sc.pos = nxt
        sc.pos += 1
        sc.skip_cfws()
        name = sc.token()
        sc.skip_cfws()
        if not name or sc.peek() != 0x3D:  # "="
            continue
        sc.pos += 1
        sc.skip_cfws()
        params.append((name, sc.value()))
    return _merge_rfc2231(params)


def _pct(value: bytes) -> bytes:
    return urllib.parse.quote_from_bytes(value, safe=_ATTRIBUTE_SAFE).encode("ascii")


def _merge_rfc2231(params: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Merge RFC 2231 continuations; upper-case the names."""
    if not any(b"*" in name for name, _ in params):
        return [(name.upper(), value) for name, value in params]
    out: list[tuple[bytes, bytes] | bytes] = []  # bytes = placeholder for a merged group
    groups: dict[bytes, dict[int, tuple[bool, bytes]]] = {}
    for name, value in params:
        m = _SECTION_RE.match(name)
        if m is None:
            if name.endswith(b"*"):  # name*=charset'lang'value, one section
                base = name[:-1].upper()
                if base not in groups:
                    groups[base] = {}
                    out.append(base)
                groups[base].setdefault(0, (True, value))
            else:
                out.append((name.upper(), value))
            continue
        base = m.group(1).upper()
        if base not in groups:
            groups[base] = {}
            out.append(base)
        groups[base].setdefault(int(m.group(2)), (bool(m.group(3)), value))
    result: list[tuple[bytes, bytes]] = []
    for item in out:
        if isinstance(item, tuple):
            result.append(item)
            continue
        sections = [groups[item][n] for n in sorted(groups[item])]
        if not any(ext for ext, _ in sections):
            result.append((item, b"".join(v for _, v in sections)))
            continue
        first_ext, first = sections[0]
        parts = [first if first_ext else b"''" + _pct(first)]
        parts.extend(v if ext else _pct(v) for ext, v in sections[1:])
        result.append((item + b"*", b"".join(parts)))
    return result


def parse_content_type(value: bytes) -> tuple[bytes, bytes, Params] | None:
    """``type/subtype; params`` -> (TYPE, SUBTYPE, params), or None if invalid.

    Type, subtype and parameter names are upper-cased (they are
    case-insensitive, RFC 2045 5.1); values are kept as stored.
    """
    sc = _Scanner(value)
    sc.skip_cfws()
    mtype = sc.token()
    sc.skip_cfws()
    if not mtype or sc.peek() != 0x2F:  # "/"
        return None
    sc.pos += 1
    sc.skip_cfws()
    subtype = sc.token()
    if not subtype:
        return None
    return mtype.upper(), subtype.upper(), tuple(_parse_params(sc))


def parse_disposition(value: bytes) -> tuple[bytes, Params] | None:
    """``Content-Disposition`` (RFC 2183) -> (TYPE, params), or None."""
    sc = _Scanner(value)
    sc.skip_cfws()
    dtype = sc.token()
    if not dtype:
        return None
    return dtype.upper(), tuple(_parse_params(sc))


def strip_comments(value: bytes) -> bytes:
    """Remove RFC 5322 comments (outside quoted strings) from a value."""
    if b"(" not in value:
        return value
    out = bytearray()
    depth = 0
    quoted = False
    i = 0
    while i < len(value):
        c = value[i]
        if c == 0x5C and i + 1 < len(value):
            if depth == 0:
                out += value[i : i + 2]
            i += 2
            continue
        if quoted:
            quoted = c != 0x22
            out.append(c)
        elif c == 0x28:
            depth += 1
        elif c == 0x29 and depth:
            depth -= 1
        elif depth == 0:
            quoted = c == 0x22
            out.append(c)
        i += 1
    return bytes(out)


def parse_language(value: bytes) -> tuple[bytes, ...] | None:
    """``Content-Language`` (RFC 3282): the language tags, or None if none."""
    tags = tuple(t.strip(b" \t") for t in strip_comments(value).split(b","))
    tags = tuple(t for t in tags if t)
    return tags or None


def get_param(params: Params | None, name: bytes) -> bytes | None:
    """The value of parameter ``name`` (upper case), as presented, or None."""
    for key, value in params or ():
        if key == name:
            return value
    return None


def decode_param(params: Params | None, name: bytes) -> str | None:
    """The decoded text of parameter ``name`` (upper case, without ``*``).

    An RFC 2231 extended value is percent-decoded and decoded from its
    charset; a plain one is decoded as UTF-8 (RFC 2047 words are left alone).
    """
    plain = get_param(params, name)
    if plain is not None:
        return plain.decode("utf-8", "replace")
    ext = get_param(params, name + b"*")
    if ext is None:
        return None
    charset, _, rest = ext.partition(b"'")
    _, _, encoded = rest.partition(b"'")
    raw = urllib.parse.unquote_to_bytes(encoded)
    return decode_charset(raw, charset.decode("ascii", "replace") or None)
