"""Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3).

Printable US-ASCII (0x20-0x7E) other than ``&`` stands for itself; ``&`` is
written ``&-``; every other character is written as UTF-16BE in a modified
BASE64 (``,`` instead of ``/``, no ``=`` padding) between ``&`` and ``-``.

Decoding is strict: every form that a conforming encoder cannot produce is
rejected with :class:`ValueError` (the parser turns it into a ParseError):
an unterminated ``&``, characters outside the modified BASE64 alphabet,
non-zero padding bits or a partial UTF-16 unit, an encoded run that is empty
or holds printable ASCII, two encoded runs next to each other (they must be
one run), unpaired UTF-16 surrogates, and raw bytes outside 0x20-0x7E.
"""

from __future__ import annotations

import binascii
import re

__all__ = ["MUTF7Error", "decode_mutf7", "encode_mutf7"]


class MUTF7Error(ValueError):
    """An invalid modified UTF-7 name; ``offset`` is the byte index in the name."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at byte {offset}")
        self.reason = reason
        self.offset = offset


# A plain name (printable ASCII without "&") needs no work: the common case.
_PLAIN = re.compile(rb"[\x20-\x25\x27-\x7e]*\Z")
_PLAIN_STR = re.compile(r"[\x20-\x25\x27-\x7e]*\Z")
# One token: a run of direct characters, "&-", or "&" base64 "-".
_TOKEN = re.compile(rb"([\x20-\x25\x27-\x7e]+)|&-|&([A-Za-z0-9+,]+)-")
_ENCODED_ASCII = re.compile(r"[\x20-\x7e]")
_NON_DIRECT = re.compile(r"[^\x20-\x7e]+|&")


def decode_mutf7(data: bytes) -> str:
    """Decode a modified UTF-7 mailbox name, rejecting every invalid form."""
    if _PLAIN.match(data):
        return data.decode("ascii")
    out: list[str] = []
    pos = 0
    end = len(data)
    previous_encoded = False
    while pos < end:
        m = _TOKEN.match(data, pos)
        if m is None:
            byte = data[pos]
            if byte == 0x26:  # "&"
                raise MUTF7Error("invalid modified UTF-7 shift sequence", pos)
            raise MUTF7Error(f"byte 0x{byte:02x} must be encoded", pos)
        direct, b64 = m.group(1), m.group(2)
        if direct is not None:
            out.append(direct.decode("ascii"))
            previous_encoded = False
        elif b64 is None:
            out.append("&")
            previous_encoded = False
        else:
            if previous_encoded:
                # RFC 3501 5.1.3: a run of non-ASCII characters is one encoded run.
                raise MUTF7Error("adjacent modified UTF-7 encoded runs", pos)
            out.append(_decode_run(b64, pos))
            previous_encoded = True
        pos = m.end()
    return "".join(out)


def _decode_run(b64: bytes, pos: int) -> str:
    nbits = len(b64) * 6
    if len(b64) % 4 == 1 or nbits % 16 >= 6:
        raise MUTF7Error("modified UTF-7 run has a partial UTF-16 unit", pos)
    padded = b64.replace(b",", b"/") + b"=" * (-len(b64) % 4)
    try:
        raw = binascii.a2b_base64(padded, strict_mode=True)
    except binascii.Error as exc:  # pragma: no cover - the token regex admits only base64
        raise MUTF7Error("invalid modified BASE64", pos) from exc
    if len(raw) % 2:
        raise MUTF7Error("modified UTF-7 run has a partial UTF-16 unit", pos)
    # Padding bits must be zero: re-encoding must give the same characters.
    if binascii.b2a_base64(raw, newline=False).rstrip(b"=").replace(b"/", b",") != b64:
        raise MUTF7Error("modified UTF-7 run has non-zero padding bits", pos)
    try:
        text = raw.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise MUTF7Error("modified UTF-7 run is not valid UTF-16", pos) from exc
    if _ENCODED_ASCII.search(text):
        raise MUTF7Error("modified UTF-7 run encodes printable ASCII", pos)
    return text


def _encode_run(match: re.Match[str]) -> str:
    if match.group(0) == "&":
        return "&-"
    raw = match.group(0).encode("utf-16-be", "surrogatepass")
    b64 = binascii.b2a_base64(raw, newline=False).rstrip(b"=").replace(b"/", b",")
    return "&" + b64.decode("ascii") + "-"


def encode_mutf7(name: str) -> bytes:
    """Encode a mailbox name in modified UTF-7 (the only form :func:`decode_mutf7` accepts)."""
    if _PLAIN_STR.match(name):
        return name.encode("ascii")
    return _NON_DIRECT.sub(_encode_run, name).encode("ascii")
