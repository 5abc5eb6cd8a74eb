"""Content-transfer decoding, charsets, and RFC 2047 encoded words.

The stdlib does the arithmetic (:mod:`binascii` for base64, :mod:`codecs` for
charsets); the loops around it are ours because IMAP needs lenient decoders
that never raise:

- base64 ignores characters outside the alphabet and stops at the padding,
  as Dovecot does (RFC 2045 6.8: "ignore ... characters not in the alphabet").
- quoted-printable strips trailing whitespace on each line and treats ``=``
  at the end of a line (before any transport padding) as a soft line break
  (RFC 2045 6.7 rules 3 and 5); :func:`binascii.a2b_qp` keeps the trailing
  whitespace, which the Dovecot BINARY tests reject.
- RFC 2047 words: :func:`email.header.decode_header` works on ``str`` only,
  raises on unknown charsets and bad base64, and mangles raw 8-bit bytes,
  so a small regex decoder is used instead.
"""

from __future__ import annotations

import binascii
import codecs
import re

__all__ = [
    "IDENTITY_ENCODINGS",
    "KNOWN_ENCODINGS",
    "decode_base64",
    "decode_charset",
    "decode_header_value",
    "decode_quoted_printable",
    "decode_transfer",
]

IDENTITY_ENCODINGS = frozenset({b"7BIT", b"8BIT", b"BINARY"})
KNOWN_ENCODINGS = IDENTITY_ENCODINGS | {b"BASE64", b"QUOTED-PRINTABLE"}

_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/=]+")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")


def decode_base64(data: bytes) -> bytes:
    """Lenient base64: non-alphabet bytes skipped, stops at padding."""
    clean = _NOT_B64.sub(b"", data)
    pad = clean.find(b"=")
    if pad >= 0:
        clean = clean[:pad]
    if len(clean) % 4 == 1:  # a lone sextet carries no whole octet
        clean = clean[:-1]
    clean += b"=" * (-len(clean) % 4)
    try:
        return binascii.a2b_base64(clean)
    except binascii.Error:  # pragma: no cover - the input is normalised above
        return b""


def _qp_unescape(m: re.Match[bytes]) -> bytes:
    return bytes((int(m.group(1), 16),))


def decode_quoted_printable(data: bytes) -> bytes:
    """Quoted-printable (RFC 2045 6.7); hard line breaks keep their stored form."""
    out: list[bytes] = []
    for line in data.splitlines(keepends=True):
        if line.endswith(b"\r\n"):
            text, eol = line[:-2], b"\r\n"
        elif line.endswith((b"\n", b"\r")):
            text, eol = line[:-1], line[-1:]
        else:
            text, eol = line, b""
        text = text.rstrip(b" \t")  # rule 3: trailing whitespace is padding
        if text.endswith(b"="):  # rule 5: soft line break
            text, eol = text[:-1], b""
        out.append(_QP_ESCAPE.sub(_qp_unescape, text))
        out.append(eol)
    return b"".join(out)


def decode_transfer(data: bytes, encoding: bytes) -> bytes | None:
    """Undo the Content-Transfer-Encoding ``encoding`` (upper case).

    None when the encoding is not one of RFC 2045's: the server answers
    ``NO [UNKNOWN-CTE]`` to BINARY (RFC 3516 4.3).
    """
    if encoding in IDENTITY_ENCODINGS:
        return data
    if encoding == b"BASE64":
        return decode_base64(data)
    if encoding == b"QUOTED-PRINTABLE":
        return decode_quoted_printable(data)
    return None


def decode_charset(data: bytes, charset: str | None) -> str:
    """Bytes in ``charset`` to text; unknown charsets and bad bytes never raise.

    ASCII, unknown and missing charsets are read as UTF-8 (8-bit text mislabelled
    as US-ASCII is common, and RFC 6532 allows UTF-8 headers).
    """
    name = (charset or "").strip().lower()
    if name and name not in ("us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        try:
            if codecs.lookup(name).name not in ("ascii",):
                return data.decode(name, "replace")
        except (LookupError, ValueError, TypeError):
            pass
    return data.decode("utf-8", "replace")


def _decode_word(m: re.Match[bytes]) -> str:
    charset = m.group(1).split(b"*", 1)[0].decode("ascii", "replace")  # RFC 2231 5: *lang
    text = m.group(3)
    if m.group(2) in (b"B", b"b"):
        raw = decode_base64(text)
    else:
        raw = _QP_ESCAPE.sub(_qp_unescape, text.replace(b"_", b" "))
    return decode_charset(raw, charset)


def decode_header_value(value: bytes) -> str:
    """An unfolded header value with RFC 2047 encoded words decoded.

    Whitespace between two adjacent encoded words is dropped (RFC 2047 6.2);
    other bytes are read as UTF-8.
    """
    if b"=?" not in value:
        return value.decode("utf-8", "replace")
    out: list[str] = []
    pos = 0
    last_was_word = False
    for m in _ENCODED_WORD.finditer(value):
        between = value[pos : m.start()]
        if not (last_was_word and between.strip(b" \t\r\n") == b""):
            out.append(between.decode("utf-8", "replace"))
        out.append(_decode_word(m))
        pos = m.end()
        last_was_word = True
    out.append(value[pos:].decode("utf-8", "replace"))
    return "".join(out)
