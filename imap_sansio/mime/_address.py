"""RFC 5322 address lists to ENVELOPE addresses (RFC 3501 7.4.2).

Hand-written: :func:`email.utils.getaddresses` works on ``str``, drops group
names and routes, and re-quotes names, while ENVELOPE needs the stored bytes
and the group markers.  Tolerant of the obsolete syntax (RFC 5322 4.4) and of
junk: whatever cannot be read as an address still yields one, never an
exception.

- ``a@b (Real Name)``: the comment becomes the name when there is no phrase.
- ``<@route,@other:a@b>``: the route goes to ``adl`` (``"@route,@other"``).
- ``group: a@b, c@d;``: ``(NIL NIL "group" NIL)`` ... ``(NIL NIL NIL NIL)``.
- an address without ``@`` gets the host ``""`` (never NIL, which would mark
  a group); text that is no address at all becomes the mailbox, host ``""``.
"""

from __future__ import annotations

from .._bodystructure import Address

__all__ = ["GROUP_END", "parse_address_list"]

GROUP_END = Address(name=None, adl=None, mailbox=None, host=None)

# Token kinds.
_ATOM, _QUOTED, _COMMENT, _SPECIAL = range(4)
_SPECIALS = frozenset(b"<>@,;:")
_ATOM_STOP = frozenset(b' \t\r\n()<>@,;:"')

_Token = tuple[int, bytes]


def _tokenize(value: bytes) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c in (0x20, 0x09, 0x0D, 0x0A):
            i += 1
        elif c == 0x28:  # comment, nested
            depth, j, text = 0, i, bytearray()
            while j < n:
                d = value[j]
                j += 1
                if d == 0x5C and j < n:
                    text.append(value[j])
                    j += 1
                    continue
                if d == 0x28:
                    depth += 1
                    if depth == 1:
                        continue
                elif d == 0x29:
                    depth -= 1
                    if depth == 0:
                        break
                text.append(d)
            tokens.append((_COMMENT, bytes(text).strip()))
            i = j
        elif c == 0x22:  # quoted-string
            j, text = i + 1, bytearray()
            while j < n and value[j] != 0x22:
                if value[j] == 0x5C and j + 1 < n:
                    j += 1
                text.append(value[j])
                j += 1
            tokens.append((_QUOTED, bytes(text)))
            i = j + 1
        elif c in _SPECIALS:
            tokens.append((_SPECIAL, value[i : i + 1]))
            i += 1
        else:
            j = i + 1  # a stray ")" is read as an atom too, so the scan always moves on
            while j < n and value[j] not in _ATOM_STOP:
                j += 1
            tokens.append((_ATOM, value[i:j]))
            i = j
    return tokens


def _words(tokens: list[_Token]) -> bytes | None:
    words = [v for k, v in tokens if k in (_ATOM, _QUOTED)]
    return b" ".join(words) if words else None


def _addr_spec(tokens: list[_Token]) -> tuple[bytes | None, bytes]:
    """(mailbox, host) from ``local-part @ domain`` tokens (comments ignored)."""
    toks = [(k, v) for k, v in tokens if k != _COMMENT]
    at = max((i for i, (k, v) in enumerate(toks) if k == _SPECIAL and v == b"@"), default=-1)
    if at < 0:
        local = b"".join(v for k, v in toks if k != _SPECIAL)
        return (local or None), b""
    local = b"".join(v for k, v in toks[:at] if k != _SPECIAL)
    host = b"".join(v for k, v in toks[at + 1 :] if k != _SPECIAL)
    return (local or None), host


def _mailbox(item: list[_Token]) -> Address | None:
    if not item:
        return None
    lt = next((i for i, (k, v) in enumerate(item) if k == _SPECIAL and v == b"<"), -1)
    if lt >= 0:
        gt = next(
            (i for i, (k, v) in enumerate(item) if i > lt and k == _SPECIAL and v == b">"),
            len(item),
        )
        inner = item[lt + 1 : gt]
        adl: bytes | None = None
        colon = next((i for i, (k, v) in enumerate(inner) if k == _SPECIAL and v == b":"), -1)
        if colon >= 0:  # obs-route: "@a,@b:"
            adl = b"".join(v for k, v in inner[:colon] if k != _COMMENT) or None
            inner = inner[colon + 1 :]
        mailbox, host = _addr_spec(inner)
        name = _words(item[:lt])
        if name is None:
            name = next((v for k, v in item[gt:] if k == _COMMENT and v), None)
        if mailbox is None and not host and adl is None and name is None:
            return None
        return Address(name=name, adl=adl, mailbox=mailbox, host=host)
    mailbox, host = _addr_spec(item)
    name = next((v for k, v in item if k == _COMMENT and v), None)
    if mailbox is None and not host:
        return None
    return Address(name=name, adl=None, mailbox=mailbox, host=host)


def parse_address_list(value: bytes) -> tuple[Address, ...]:
    """The ENVELOPE addresses of an unfolded header value (may be empty)."""
    tokens = _tokenize(value)
    result: list[Address] = []
    in_group = False
    i, n = 0, len(tokens)
    while i < n:
        item: list[_Token] = []
        in_angle = False
        while i < n:
            kind, v = tokens[i]
            if kind == _SPECIAL:
                if v == b"<":
                    in_angle = True
                elif v == b">":
                    in_angle = False
                elif not in_angle and v in (b",", b";", b":"):
                    break
            item.append(tokens[i])
            i += 1
        sep = tokens[i][1] if i < n else b""
        i += 1
        if sep == b":" and not in_group:
            result.append(Address(name=None, adl=None, mailbox=_words(item) or b"", host=None))
            in_group = True
            continue
        addr = _mailbox(item)
        if addr is not None:
            result.append(addr)
        if sep == b";" and in_group:
            result.append(GROUP_END)
            in_group = False
    if in_group:
        result.append(GROUP_END)
    return tuple(result)
