"""What SEARCH, SORT and PREVIEW read from a message.

Text is decoded for matching: RFC 2047 words in headers, transfer encodings
and charsets in bodies (RFC 3501 6.4.4: matching is by substring, case-
insensitive).  Dates come from :func:`email.utils.parsedate_tz`; the base
subject follows RFC 5256 2.1; the preview follows RFC 8970 3.3.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from .._bodystructure import Address
from ._address import parse_address_list
from ._decode import decode_charset, decode_header_value
from ._headers import Header
from ._message import Message, MessagePart

__all__ = [
    "PREVIEW_LENGTH",
    "address_text",
    "base_subject",
    "body_text",
    "contains",
    "has_header",
    "header_text",
    "header_values",
    "preview",
    "sent_date",
    "sent_datetime",
    "subject",
    "text",
]


def contains(haystack: str, needle: str) -> bool:
    """SEARCH substring match: case-insensitive (Unicode case folding)."""
    return needle.casefold() in haystack.casefold()


def _field_name(name: str) -> bytes:
    return name.encode("ascii", "replace").lower()


def has_header(message: Message, name: str) -> bool:
    """The message has a field ``name`` (``SEARCH HEADER name ""``)."""
    return bool(message.header.get_all(_field_name(name)))


def header_values(message: Message, name: str) -> tuple[str, ...]:
    """The decoded values of every field ``name`` (SEARCH HEADER, SUBJECT).

    Unfolded, RFC 2047 words decoded; one string per field, in stored order.
    """
    header = message.header
    return tuple(decode_header_value(header.value(f)) for f in header.get_all(_field_name(name)))


def subject(message: Message) -> str:
    """The decoded Subject ("" if none)."""
    values = header_values(message, "subject")
    return values[0] if values else ""


def _render_address(addr: Address) -> str:
    name = decode_header_value(addr.name) if addr.name else ""
    spec = (addr.mailbox or b"").decode("utf-8", "replace")
    if addr.host:
        spec += "@" + addr.host.decode("utf-8", "replace")
    if addr.adl:
        spec = addr.adl.decode("utf-8", "replace") + ":" + spec
    return f"{name} <{spec}>" if name else spec


def address_text(message: Message, name: str) -> str:
    """The addresses of FROM/TO/CC/BCC as text, for SEARCH FROM "x" and the like.

    Each address is ``Name <mailbox@host>`` (name RFC 2047-decoded) or
    ``mailbox@host``, comments dropped; a group is ``group: a, b;``.
    Addresses are joined with ``", "``; "" when the field is absent.
    """
    header = message.header
    out: list[str] = []
    for f in header.get_all(_field_name(name)):
        items: list[str] = []
        group: list[str] | None = None
        group_name = ""
        for addr in parse_address_list(header.value(f)):
            if addr.host is None:  # group start or end
                if addr.mailbox is not None:
                    group_name, group = addr.mailbox.decode("utf-8", "replace"), []
                elif group is not None:
                    items.append(f"{group_name}: {', '.join(group)};")
                    group = None
            elif group is not None:
                group.append(_render_address(addr))
            else:
                items.append(_render_address(addr))
        if group is not None:
            items.append(f"{group_name}: {', '.join(group)};")
        out.extend(items)
    return ", ".join(out)


def header_text(header: Header) -> str:
    """A header block as decoded text, one ``Name: value`` line per field."""
    lines = []
    for f in header.fields:
        if f.name is None:
            continue
        name = header.data[f.start : f.value_start - 1].decode("utf-8", "replace")
        lines.append(f"{name}: {decode_header_value(header.value(f))}")
    return "\n".join(lines)


def _part_text(part: MessagePart) -> str:
    decoded = part.decoded_body()
    return decode_charset(part.body if decoded is None else decoded, part.charset)


def body_text(message: Message) -> str:
    """The decoded body text (SEARCH BODY).

    Every text/* part (HTML as is), transfer- and charset-decoded, and the
    header of each encapsulated message/rfc822, joined by newlines; other
    media types are skipped.
    """
    chunks: list[str] = []
    for part in message.root.walk():
        if part.message is not None:
            chunks.append(header_text(part.message.header))
        elif not part.children and part.type == b"TEXT":
            chunks.append(_part_text(part))
    return "\n".join(chunks)


def text(message: Message) -> str:
    """Header and body as decoded text (SEARCH TEXT)."""
    return header_text(message.header) + "\n" + body_text(message)


def sent_datetime(message: Message) -> datetime | None:
    """The Date: header as an aware datetime (SORT DATE), None if unreadable."""
    value = message.header.first(b"date")
    if value is None:
        return None
    # email.utils costs 8 ms of import (socket, calendar...): only SORT uses it.
    from email.utils import parsedate_tz  # noqa: PLC0415

    try:
        parsed = parsedate_tz(value.decode("ascii", "replace"))
        if parsed is None:
            return None
        offset = timezone(timedelta(seconds=parsed[9] or 0))
        return datetime(*parsed[:6], tzinfo=offset)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None


def sent_date(message: Message) -> date | None:
    """The date of the Date: header, in its own zone (SENTBEFORE/SENTON/SENTSINCE).

    RFC 3501 6.4.4: "disregarding time and timezone".
    """
    value = sent_datetime(message)
    return value.date() if value is not None else None


_WS = re.compile(r"\s+")
_TRAILER = re.compile(r"(?:\s*\(fwd\))+\s*$", re.IGNORECASE)
_BLOB = r"\[[^\[\]]*\]\s*"
_LEADER = re.compile(rf"^(?:\s+|(?:{_BLOB})*(?:re|fwd?)\s*(?:{_BLOB})?:)", re.IGNORECASE)
_LEADING_BLOB = re.compile(rf"^{_BLOB}")


def base_subject(subject: str) -> str:
    """The base subject of RFC 5256 2.1 (for SORT SUBJECT and THREAD).

    ``subject`` is already RFC 2047-decoded.  Case is kept: compare the
    results case-insensitively (the i;unicode-casemap or i;ascii-casemap rule).
    """
    s = _WS.sub(" ", subject).strip()  # step 1
    while True:
        s = _TRAILER.sub("", s).rstrip()  # step 2
        while True:  # steps 3 to 5
            before = s
            m = _LEADER.match(s)
            if m and m.end():
                s = s[m.end() :]
            m = _LEADING_BLOB.match(s)
            if m and s[m.end() :].strip():
                s = s[m.end() :]
            if s == before:
                break
        if s[:5].lower() == "[fwd:" and s.endswith("]"):  # step 6
            s = s[5:-1].strip()
            continue
        return s.strip()


_HTML_DROP = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]*>")
PREVIEW_LENGTH = 200


def preview(message: Message) -> str:
    """The PREVIEW text (RFC 8970 3.3): up to 200 characters, "" when none.

    From the first text/plain part that is not an attachment, else the first
    such text/html part with its markup removed; whitespace collapsed.
    """
    candidates = [
        part
        for part in message.root.walk()
        if not part.children
        and part.message is None
        and part.type == b"TEXT"
        and part.subtype in (b"PLAIN", b"HTML")
        and not (part.header.first(b"content-disposition") or b"").lower().startswith(b"attach")
    ]
    chosen = next((p for p in candidates if p.subtype == b"PLAIN"), None)
    if chosen is None:
        chosen = next(iter(candidates), None)
    if chosen is None:
        return ""
    content = _part_text(chosen)
    if chosen.subtype == b"HTML":
        import html  # noqa: PLC0415 - only HTML previews need it (and its table of entities)

        content = html.unescape(_HTML_TAG.sub(" ", _HTML_DROP.sub(" ", content)))
    return _WS.sub(" ", content).strip()[:PREVIEW_LENGTH].rstrip()
