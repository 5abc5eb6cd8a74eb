"""The message model: MIME structure with byte offsets, sections, ENVELOPE, BODYSTRUCTURE.

Hand-written because the stdlib :mod:`email` parser does not keep byte
offsets: FETCH ``BODY[1.2]``, ``BODY[1.2.MIME]``, ``BODY[TEXT]`` and partials
must return exactly the stored bytes, and a re-serialised
:class:`email.message.Message` differs from them (folding, line endings,
boundaries).  The parser reads the stored bytes once, builds a tree of
:class:`MessagePart` regions (offsets into the one stored ``bytes``; no part
copies the message) and every section is a slice of it.

Multipart bodies are split on delimiter lines (RFC 2046 5.1.1): a line that
is ``--boundary``, optionally ``--`` (close delimiter), then only whitespace.
The line break before a delimiter belongs to it, so ``hello\\r\\n\\r\\n--b``
gives the part body ``hello\\r\\n``.  Best effort for broken input, never an
exception:

- no Content-Type, or one that does not parse: text/plain; charset=us-ascii
  (RFC 2045 5.2), or message/rfc822 inside multipart/digest (RFC 2046 5.1.5);
- multipart without a boundary: treated as text/plain, as Dovecot does;
- multipart and message/rfc822 nested deeper than :data:`MAX_DEPTH`: text/plain;
- multipart without any delimiter line: one empty text/plain part (the
  BODYSTRUCTURE grammar needs at least one, Dovecot does the same);
- no close delimiter: the last part runs to the end of the enclosing body;
- a header without the empty line: the header runs to the end, the body is empty;
- LF-only line endings work as CRLF does.

Sections (RFC 3501 6.4.5) are addressed as in :meth:`Message.section`; a
non-existent part gives None: we recommend the server answer it as an empty
string ``""`` as Dovecot does (``nstring`` also allows NIL, but some clients
treat NIL as an error).
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator, Sequence
from typing import TypeVar

from .._bodystructure import (
    Address,
    BodyFields,
    BodyStructure,
    Envelope,
    MultiPart,
    Params,
    SinglePart,
)
from .._frozen import dataclass, field
from ._address import parse_address_list
from ._decode import IDENTITY_ENCODINGS, decode_transfer
from ._headers import Header, parse_header
from ._params import (
    decode_param,
    get_param,
    parse_content_type,
    parse_disposition,
    parse_language,
)

__all__ = [
    "MAX_DEPTH",
    "Message",
    "MessagePart",
    "UnknownTransferEncoding",
    "bodystructure_of",
    "encode_binary_parts",
    "envelope_of",
    "partial",
]

#: Nesting limit for multipart and message/rfc822 parts; deeper ones are text/plain.
MAX_DEPTH = 64

_DEFAULT_TEXT_PARAMS: Params = ((b"CHARSET", b"us-ascii"),)
_SECTION_TEXTS = frozenset({"HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"})


class UnknownTransferEncoding(Exception):
    """BINARY of a part whose Content-Transfer-Encoding we cannot decode.

    The server answers ``NO [UNKNOWN-CTE]`` (RFC 3516 4.3).  ``encoding`` is
    the stored value, upper-cased.
    """

    def __init__(self, encoding: bytes) -> None:
        super().__init__(f"unknown Content-Transfer-Encoding {encoding!r}")
        self.encoding = encoding


@dataclass(frozen=True, slots=True, kw_only=True)
class MessagePart:
    """One MIME entity: header ``data[start:body_start]``, body ``data[body_start:end]``.

    For the message itself (and a message/rfc822 part's encapsulated
    message) the header is the message header; for a body part of a
    multipart it is the part's MIME header.
    """

    data: bytes = field(repr=False, compare=False)
    start: int
    body_start: int
    end: int
    header: Header = field(repr=False)
    type: bytes
    subtype: bytes
    params: Params
    encoding: bytes
    #: The body parts of a multipart (never empty for one).
    children: tuple[MessagePart, ...] = ()
    #: message/rfc822 and message/global: the encapsulated message.
    message: MessagePart | None = None

    @property
    def is_multipart(self) -> bool:
        return bool(self.children)

    @property
    def header_bytes(self) -> bytes:
        return self.data[self.start : self.body_start]

    @property
    def body(self) -> bytes:
        """The body as stored (still transfer-encoded)."""
        return self.data[self.body_start : self.end]

    @property
    def charset(self) -> str | None:
        """The charset parameter (RFC 2231 form decoded), None if absent."""
        return decode_param(self.params, b"CHARSET")

    def decoded_body(self) -> bytes | None:
        """The body with its Content-Transfer-Encoding undone, None if unknown."""
        return decode_transfer(self.body, self.encoding)

    def walk(self) -> Iterator[MessagePart]:
        """This part and every part below it, depth first, in order."""
        yield self
        for child in self.children:
            yield from child.walk()
        if self.message is not None:
            yield from self.message.walk()


def _line_count(data: bytes, start: int, end: int) -> int:
    """Lines of ``data[start:end]``; a last line without a line break counts."""
    if end <= start:
        return 0
    return data.count(b"\n", start, end) + (data[end - 1] != 0x0A)


def _delimiters(data: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int, bool]]:
    """(line start, line end, is close) of each delimiter line in ``data[start:end]``."""
    dash = b"--" + boundary
    line_dash = b"\n" + dash
    found: list[tuple[int, int, bool]] = []
    pos = start
    while pos < end:
        if pos == start and data.startswith(dash, start, end):
            p = start
        else:
            p = data.find(line_dash, pos, end)
            if p < 0:
                break
            p += 1
        nl = data.find(b"\n", p, end)
        line_end = end if nl < 0 else nl + 1
        rest = data[p + len(dash) : line_end].rstrip(b" \t\r\n")
        if rest in (b"", b"--"):
            found.append((p, line_end, rest == b"--"))
            if rest == b"--":
                break
        pos = max(p + 1, line_end if rest in (b"", b"--") else p + 1)
    return found


def _parse(
    data: bytes,
    start: int,
    end: int,
    depth: int,
    in_digest: bool,
    *,
    header: Header | None = None,
) -> MessagePart:
    if header is None:
        header = parse_header(data, start, end)
    body_start = header.end
    ct_value = header.first(b"content-type")
    ct = parse_content_type(ct_value) if ct_value is not None else None
    params: Params
    if ct is None:
        if in_digest:
            mtype, subtype, params = b"MESSAGE", b"RFC822", ()
        else:
            mtype, subtype, params = b"TEXT", b"PLAIN", _DEFAULT_TEXT_PARAMS
    else:
        mtype, subtype, params = ct
    if depth >= MAX_DEPTH and (
        mtype == b"MULTIPART" or (mtype == b"MESSAGE" and subtype in (b"RFC822", b"GLOBAL"))
    ):
        mtype, subtype, params = b"TEXT", b"PLAIN", _DEFAULT_TEXT_PARAMS  # too deep: a leaf
    cte = header.first(b"content-transfer-encoding")
    encoding = b"7BIT"
    if cte:
        token = cte.split(b"(", 1)[0].strip(b" \t").upper()
        encoding = token or b"7BIT"

    def leaf(
        mtype: bytes = mtype, subtype: bytes = subtype, params: Params = params
    ) -> MessagePart:
        return MessagePart(
            data=data,
            start=start,
            body_start=body_start,
            end=end,
            header=header,
            type=mtype,
            subtype=subtype,
            params=params,
            encoding=encoding,
        )

    if mtype == b"MULTIPART":
        boundary = get_param(params, b"BOUNDARY")
        if boundary is None:  # RFC 2231 form, rare but legal
            decoded = decode_param(params, b"BOUNDARY")
            boundary = decoded.encode("utf-8") if decoded is not None else None
        if not boundary:
            return leaf(b"TEXT", b"PLAIN", _DEFAULT_TEXT_PARAMS)
        children: list[MessagePart] = []
        delims = _delimiters(data, body_start, end, boundary)
        digest = subtype == b"DIGEST"
        for i, (_, line_end, close) in enumerate(delims):
            if close:
                break
            if i + 1 < len(delims):
                p = delims[i + 1][0]
                if p - 2 >= line_end and data[p - 2 : p] == b"\r\n":
                    part_end = p - 2
                elif p - 1 >= line_end and data[p - 1] == 0x0A:
                    part_end = p - 1
                else:
                    part_end = p
            else:
                part_end = end
            children.append(_parse(data, line_end, part_end, depth + 1, digest))
        if not children:
            children.append(
                MessagePart(
                    data=data,
                    start=end,
                    body_start=end,
                    end=end,
                    header=parse_header(data, end, end),
                    type=b"TEXT",
                    subtype=b"PLAIN",
                    params=_DEFAULT_TEXT_PARAMS,
                    encoding=b"7BIT",
                )
            )
        return MessagePart(
            data=data,
            start=start,
            body_start=body_start,
            end=end,
            header=header,
            type=mtype,
            subtype=subtype,
            params=params,
            encoding=encoding,
            children=tuple(children),
        )
    # A message/rfc822 part is parsed even when (against RFC 2046 5.2.1) it has
    # a transfer encoding, so that BODYSTRUCTURE keeps the shape clients expect.
    if mtype == b"MESSAGE" and subtype in (b"RFC822", b"GLOBAL"):
        inner = _parse(data, body_start, end, depth + 1, False)
        return MessagePart(
            data=data,
            start=start,
            body_start=body_start,
            end=end,
            header=header,
            type=mtype,
            subtype=subtype,
            params=params,
            encoding=encoding,
            message=inner,
        )
    return leaf()


_Data = TypeVar("_Data", bytes, memoryview)


def partial(data: _Data, origin: int, count: int | None = None) -> _Data:
    """``<origin.count>`` of a section (RFC 3501 6.4.5): a slice, empty past the end."""
    origin = max(origin, 0)
    if count is None:
        return data[origin:]
    return data[origin : origin + max(count, 0)]


def _addresses(header: Header, name: bytes) -> tuple[Address, ...] | None:
    value = header.first(name)  # RFC 5322 3.6: one field each; the first counts
    return (parse_address_list(value) or None) if value is not None else None


#: An envelope with more addresses than this is not kept on its message.
_MEMO_ADDRESSES = 16


def _address_count(envelope: Envelope) -> int:
    # An absent Sender or Reply-To is From's own tuple: counted once.
    fields = (envelope.from_, envelope.sender, envelope.reply_to, envelope.to, envelope.cc)
    held = {id(addresses): addresses for addresses in (*fields, envelope.bcc) if addresses}
    return sum(map(len, held.values()))


def _structure_addresses(structure: BodyStructure) -> int:
    if isinstance(structure, MultiPart):
        return sum(_structure_addresses(part) for part in structure.parts)
    if structure.envelope is None or structure.body is None:
        return 0
    return _address_count(structure.envelope) + _structure_addresses(structure.body)


def envelope_of(header: Header) -> Envelope:
    """The ENVELOPE of a message header (RFC 3501 7.4.2, RFC 9051 7.5.2).

    Values as stored, unfolded, outer whitespace stripped, not decoded.  An
    absent or empty Sender or Reply-To is set to From (RFC 3501 7.4.2).
    """
    from_ = _addresses(header, b"from")
    return Envelope(
        date=header.first(b"date"),
        subject=header.first(b"subject"),
        from_=from_,
        sender=_addresses(header, b"sender") or from_,
        reply_to=_addresses(header, b"reply-to") or from_,
        to=_addresses(header, b"to"),
        cc=_addresses(header, b"cc"),
        bcc=_addresses(header, b"bcc"),
        in_reply_to=header.first(b"in-reply-to"),
        message_id=header.first(b"message-id"),
    )


def bodystructure_of(part: MessagePart) -> BodyStructure:
    """The BODYSTRUCTURE of an entity (RFC 3501 7.4.2, RFC 9051 7.5.2)."""
    header = part.header
    disposition = None
    dsp_value = header.first(b"content-disposition")
    if dsp_value is not None:
        dsp = parse_disposition(dsp_value)
        if dsp is not None:
            disposition = (dsp[0], dsp[1] or None)
    lang_value = header.first(b"content-language")
    language = parse_language(lang_value) if lang_value is not None else None
    location = header.first(b"content-location")
    if part.children:
        return MultiPart(
            parts=tuple(bodystructure_of(child) for child in part.children),
            subtype=part.subtype,
            params=part.params or None,
            disposition=disposition,
            language=language,
            location=location,
        )
    size = part.end - part.body_start
    lines: int | None = None
    envelope: Envelope | None = None
    body: BodyStructure | None = None
    if part.message is not None:
        lines = _line_count(part.data, part.body_start, part.end)
        envelope = envelope_of(part.message.header)
        body = bodystructure_of(part.message)
    elif part.type == b"TEXT":
        lines = _line_count(part.data, part.body_start, part.end)
    return SinglePart(
        type=part.type,
        subtype=part.subtype,
        fields=BodyFields(
            params=part.params or None,
            id=header.first(b"content-id"),
            description=header.first(b"content-description"),
            encoding=part.encoding,
            size=size,
        ),
        lines=lines,
        envelope=envelope,
        body=body,
        md5=header.first(b"content-md5"),
        disposition=disposition,
        language=language,
        location=location,
    )


class Message:
    """A stored message, parsed once and lazily: FETCH reads every item from it.

    ``Message(data)`` costs nothing; the MIME tree is built on first use and
    kept, as are the ENVELOPE and BODYSTRUCTURE once asked for (unless they
    hold more than 16 addresses).  All sections are slices of ``data``
    (except HEADER.FIELDS[.NOT], which joins the stored field lines).
    """

    __slots__ = ("_bodystructure", "_envelope", "_header", "_root", "data")

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self._root: MessagePart | None = None
        #: The top-level header, read alone when it was asked for first.
        self._header: Header | None = None
        self._envelope: Envelope | None = None
        self._bodystructure: BodyStructure | None = None

    def __repr__(self) -> str:
        return f"<Message {len(self.data)} octets>"

    @property
    def size(self) -> int:
        """RFC822.SIZE: the stored size in octets."""
        return len(self.data)

    @property
    def root(self) -> MessagePart:
        """The MIME tree of the whole message."""
        if self._root is None:
            self._root = _parse(self.data, 0, len(self.data), 0, False, header=self._header)
        return self._root

    @property
    def header(self) -> Header:
        """The top-level header (read without building the MIME tree: what a
        THREADID or a search on an address field needs)."""
        if self._root is not None:
            return self._root.header
        if self._header is None:
            self._header = parse_header(self.data, 0, len(self.data))
        return self._header

    @property
    def envelope(self) -> Envelope:
        """FETCH ENVELOPE."""
        envelope = self._envelope
        if envelope is None:
            envelope = envelope_of(self.root.header)
            # Kept for the next FETCH ENVELOPE (it costs more than the parse)
            # unless a hostile header made it big: thousands of addresses
            # hold 13 times their bytes in Address objects, far beyond what
            # the server's message cache charges for a kept envelope.
            if _address_count(envelope) <= _MEMO_ADDRESSES:
                self._envelope = envelope
        return envelope

    @property
    def bodystructure(self) -> BodyStructure:
        """FETCH BODYSTRUCTURE (with extension data) and BODY (the encoder drops it)."""
        structure = self._bodystructure
        if structure is None:
            structure = bodystructure_of(self.root)
            # Kept, as the envelope is, unless its encapsulated messages'
            # envelopes hold many addresses.
            if _structure_addresses(structure) <= _MEMO_ADDRESSES:
                self._bodystructure = structure
        return structure

    def part(self, path: Sequence[int]) -> MessagePart | None:
        """The body part ``path`` (``(1, 2)`` for ``1.2``); ``()`` is the message.

        RFC 3501 6.4.5: in a non-multipart message, part 1 is the message body
        (the entity itself); the parts of a message/rfc822 part are those of
        the encapsulated message.  None when there is no such part.
        """
        node = self.root
        for i, n in enumerate(path):
            if node.children:
                pass
            elif i == 0:  # the body of a non-multipart message is part 1
                if n != 1:
                    return None
                continue
            elif node.message is not None:
                node = node.message
                if not node.children:
                    if n != 1:
                        return None
                    continue
            else:
                return None
            if not 1 <= n <= len(node.children):
                return None
            node = node.children[n - 1]
        return node

    def section(
        self,
        path: Sequence[int] = (),
        text: str | None = None,
        fields: Sequence[str | bytes] = (),
    ) -> bytes | None:
        """The bytes of ``BODY[<path>.<text> (<fields>)]`` (RFC 3501 6.4.5).

        The arguments are those of the grammar's ``Section(part, text,
        fields)``: ``text`` is None (the part itself: ``BODY[]``,
        ``BODY[1.2]``), ``"HEADER"``, ``"HEADER.FIELDS"``,
        ``"HEADER.FIELDS.NOT"`` (with ``fields``, case-insensitive), ``"TEXT"``
        or ``"MIME"`` (needs a path).  HEADER/TEXT with a path need a
        message/rfc822 part.  None when the part or the specifier does not
        exist (answer ``""``, see the module note).  RFC822 = ``section()``,
        RFC822.HEADER = ``section((), "HEADER")``, RFC822.TEXT =
        ``section((), "TEXT")``.
        """
        found = self._section(path, text, fields)
        if isinstance(found, tuple):
            return self.data[found[0] : found[1]]
        return found

    def section_view(
        self,
        path: Sequence[int] = (),
        text: str | None = None,
        fields: Sequence[str | bytes] = (),
    ) -> memoryview | bytes | None:
        """:meth:`section` without copying: a ``memoryview`` of the stored bytes.

        HEADER.FIELDS[.NOT] are built, so they come as ``bytes``.
        """
        found = self._section(path, text, fields)
        if isinstance(found, tuple):
            return memoryview(self.data)[found[0] : found[1]]
        return found

    def _section(
        self, path: Sequence[int], text: str | None, fields: Sequence[str | bytes]
    ) -> tuple[int, int] | bytes | None:
        spec = text.upper() if text is not None else None
        if spec is not None and spec not in _SECTION_TEXTS:
            return None
        node = self.part(path)
        if node is None:
            return None
        if spec is None:
            return (0, len(self.data)) if not path else (node.body_start, node.end)
        if spec == "MIME":
            return (node.start, node.body_start) if path else None
        msg = node if not path else node.message
        if msg is None:
            return None
        if spec == "HEADER":
            return (msg.start, msg.body_start)
        if spec == "TEXT":
            return (msg.body_start, msg.end)
        return msg.header.select(fields, exclude=spec == "HEADER.FIELDS.NOT")

    def binary(self, path: Sequence[int] = ()) -> bytes | None:
        """``BINARY[<path>]`` (RFC 3516): the part with its transfer encoding undone.

        ``BINARY[]`` is the whole message as stored.  None when the part does
        not exist; raises :class:`UnknownTransferEncoding` when its encoding is
        not one we know (the server answers ``NO [UNKNOWN-CTE]``).
        ``BINARY.SIZE`` is ``len()`` of it.
        """
        node = self.part(path)
        if node is None:
            return None
        if not path:
            return self.data
        if node.children:
            return node.body
        decoded = node.decoded_body()
        if decoded is None:
            raise UnknownTransferEncoding(node.encoding)
        return decoded

    def binary_size(self, path: Sequence[int] = ()) -> int | None:
        """``BINARY.SIZE[<path>]`` (RFC 3516 4.2); same rules as :meth:`binary`."""
        node = self.part(path)
        if node is None:
            return None
        if not path:
            return len(self.data)
        if node.children or node.encoding in IDENTITY_ENCODINGS:
            return node.end - node.body_start  # no decoding: no copy
        decoded = node.decoded_body()
        if decoded is None:
            raise UnknownTransferEncoding(node.encoding)
        return len(decoded)


def encode_binary_parts(data: bytes) -> bytes:
    """Re-encode in base64 every body part that holds NUL octets.

    For APPEND of binary data (RFC 3516 4.4: "The server MAY modify the CTE
    of the appended data, however any such transformation MUST NOT result in
    a loss of data"): a NUL can be sent in no IMAP string, so such parts could
    be fetched with BINARY only.  After this, ``BODY[n]`` is base64 text and
    ``BINARY[n]`` still gives the original octets.  The part's
    Content-Transfer-Encoding field is replaced (or added); everything else
    stays as stored.  Data without NUL is returned unchanged.
    """
    if b"\0" not in data:
        return data
    edits: list[tuple[int, int, bytes]] = []
    for part in Message(data).root.walk():
        if part.children or part.message is not None or part.end == part.body_start:
            continue
        body = data[part.body_start : part.end]
        if b"\0" not in body:
            continue
        decoded = decode_transfer(body, part.encoding)
        if decoded is None:
            continue  # unknown encoding: leave the part as stored
        eol = part.header.blank or b"\r\n"
        new_field = b"Content-Transfer-Encoding: base64" + eol
        ctes = part.header.get_all(b"content-transfer-encoding")
        if ctes:
            edits.append((ctes[0].start, ctes[0].end, new_field))
        else:
            blank_at = part.body_start - len(part.header.blank)
            edits.append((blank_at, blank_at, new_field))
        lines = [
            binascii.b2a_base64(decoded[i : i + 57], newline=False) + eol
            for i in range(0, len(decoded), 57)
        ]
        edits.append((part.body_start, part.end, b"".join(lines).removesuffix(eol)))
    out = bytearray(data)
    for start, end, replacement in sorted(edits, reverse=True):
        out[start:end] = replacement
    return bytes(out)
