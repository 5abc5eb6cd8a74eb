"""ENVELOPE and BODYSTRUCTURE as pure values (RFC 3501 7.4.2, RFC 9051 7.5.2).

These classes hold no parsing logic: :mod:`imap_sansio.mime` builds them from
stored message bytes and :mod:`imap_sansio._encoder` writes them.  Strings are
``bytes`` (``None`` is NIL) because header bytes are passed through as stored:
RFC 3501 7.4.2 says the ENVELOPE and BODYSTRUCTURE strings are not decoded.

The encoder writes ``BODY`` (no extension data) and ``BODYSTRUCTURE`` (with
it) from the same value:

- a :class:`SinglePart` has the basic fields (type, subtype, :class:`BodyFields`),
  then ``lines`` for ``text/*`` and, for ``message/rfc822`` (also
  ``message/global``, RFC 6532), ``envelope``, ``body`` and ``lines``; the
  extension data is ``md5``, ``disposition``, ``language``, ``location`` and any
  further ``extensions``.
- a :class:`MultiPart` has its parts and subtype; the extension data is
  ``params``, ``disposition``, ``language``, ``location`` and ``extensions``.
"""

from __future__ import annotations

from typing import TypeAlias

from ._frozen import dataclass

__all__ = [
    "Address",
    "BodyExtension",
    "BodyFields",
    "BodyStructure",
    "Disposition",
    "Envelope",
    "MultiPart",
    "Params",
    "SinglePart",
]

#: ``body-fld-param``: ``(("NAME" "value") ...)`` flattened in the order given, or NIL.
Params: TypeAlias = tuple[tuple[bytes, bytes], ...]

#: ``body-fld-dsp``: ``("ATTACHMENT" ("FILENAME" "x"))`` or NIL.
Disposition: TypeAlias = tuple[bytes, Params | None]

#: ``body-extension = nstring / number / "(" body-extension *(SP body-extension) ")"``.
BodyExtension: TypeAlias = bytes | int | tuple["BodyExtension", ...] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """One ``address`` of an ENVELOPE (RFC 3501 7.4.2).

    A group start is ``Address(name=None, adl=None, mailbox=b"group", host=None)``
    and a group end is all four None.
    """

    name: bytes | None
    adl: bytes | None
    mailbox: bytes | None
    host: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """The ENVELOPE of a message: header values as stored, only unfolded."""

    date: bytes | None
    subject: bytes | None
    from_: tuple[Address, ...] | None
    sender: tuple[Address, ...] | None
    reply_to: tuple[Address, ...] | None
    to: tuple[Address, ...] | None
    cc: tuple[Address, ...] | None
    bcc: tuple[Address, ...] | None
    in_reply_to: bytes | None
    message_id: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyFields:
    """``body-fields``: parameters, id, description, encoding, size in octets."""

    params: Params | None
    id: bytes | None
    description: bytes | None
    encoding: bytes
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SinglePart:
    """A non-multipart body part (``body-type-1part``)."""

    type: bytes
    subtype: bytes
    fields: BodyFields
    #: Line count: set for ``text/*`` and ``message/rfc822`` only.
    lines: int | None = None
    #: ``message/rfc822`` only: the encapsulated message's ENVELOPE and body.
    envelope: Envelope | None = None
    body: BodyStructure | None = None
    md5: bytes | None = None
    disposition: Disposition | None = None
    language: tuple[bytes, ...] | None = None
    location: bytes | None = None
    extensions: tuple[BodyExtension, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiPart:
    """A multipart body (``body-type-mpart``)."""

    parts: tuple[BodyStructure, ...]
    subtype: bytes
    params: Params | None = None
    disposition: Disposition | None = None
    language: tuple[bytes, ...] | None = None
    location: bytes | None = None
    extensions: tuple[BodyExtension, ...] = ()


BodyStructure: TypeAlias = SinglePart | MultiPart
