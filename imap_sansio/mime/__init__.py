"""The message model: MIME structure with byte offsets, FETCH sections, SEARCH text.

Pure: no I/O, no clock.  Build a :class:`Message` from the stored bytes once
per FETCH/SEARCH and read every item from it:

========================  ===========================================================
FETCH item                call
========================  ===========================================================
RFC822.SIZE               ``msg.size``
ENVELOPE                  ``msg.envelope``
BODY, BODYSTRUCTURE       ``msg.bodystructure``
BODY[...] / RFC822.*      ``msg.section(path, text, fields)`` or ``msg.section_view(...)``
BINARY[...]               ``msg.binary(path)`` (raises UnknownTransferEncoding)
BINARY.SIZE[...]          ``msg.binary_size(path)`` (same)
<origin.count>            ``partial(data, origin, count)``
PREVIEW                   ``preview(msg)``
========================  ===========================================================

SEARCH: :func:`header_values`, :func:`has_header`, :func:`address_text`,
:func:`body_text`, :func:`text`, :func:`contains`, :func:`sent_date`; SORT:
:func:`sent_datetime`, :func:`subject`, :func:`base_subject`.  APPEND of
binary data (RFC 3516 4.4): :func:`encode_binary_parts` before storing.

What is hand-written and why: the structure parser (:mod:`._message`,
:mod:`._headers`) because the stdlib :mod:`email` parser keeps no byte
offsets; address lists (:mod:`._address`) because ENVELOPE needs the stored
bytes, routes and group markers; MIME parameters (:mod:`._params`) for the
stored bytes and RFC 2231 merging; lenient base64/quoted-printable/RFC 2047
loops (:mod:`._decode`) around :mod:`binascii` and :mod:`codecs`, because the
stdlib helpers raise or keep padding whitespace.  Dates use
:mod:`email.utils`.
"""

from __future__ import annotations

from ._decode import decode_charset, decode_header_value, decode_transfer
from ._message import (
    MAX_DEPTH,
    Message,
    MessagePart,
    UnknownTransferEncoding,
    bodystructure_of,
    encode_binary_parts,
    envelope_of,
    partial,
)
from ._params import decode_param
from ._search import (
    PREVIEW_LENGTH,
    address_text,
    base_subject,
    body_text,
    contains,
    has_header,
    header_text,
    header_values,
    preview,
    sent_date,
    sent_datetime,
    subject,
    text,
)

__all__ = [
    "MAX_DEPTH",
    "PREVIEW_LENGTH",
    "Message",
    "MessagePart",
    "UnknownTransferEncoding",
    "address_text",
    "base_subject",
    "body_text",
    "bodystructure_of",
    "contains",
    "decode_charset",
    "decode_header_value",
    "decode_param",
    "decode_transfer",
    "encode_binary_parts",
    "envelope_of",
    "has_header",
    "header_text",
    "header_values",
    "partial",
    "preview",
    "sent_date",
    "sent_datetime",
    "subject",
    "text",
]
