"""imap-codec's response vectors (tests/data/vectors/imap_codec_responses.txt).

Every vector that imap-codec decodes as a response is read by our strict
parser, and the encoder writes it back byte for byte, except for the listed
inputs that are not in our canonical form (we name our bytes for those, and
they read back to the same value).  Vectors that imap-codec rejects or finds
incomplete are rejected by our parser too, and the few valid inputs we do
not model are listed with the reason.
"""

from __future__ import annotations

import paths
import pytest
from response_parser import ResponseParseError, parse_response, parse_response_prefix

from imap_sansio._encoder import encode_response

VECTORS = paths.VECTORS / "imap_codec_responses.txt"

_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}


def _unescape(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\":
            out += char.encode("utf-8")
            i += 1
        elif text[i + 1] == "x":
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        else:
            out += _ESCAPES[text[i + 1]]
            i += 2
    return bytes(out)


def _load() -> list[tuple[bytes, str, str]]:
    rows = []
    seen = set()
    for line in VECTORS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        escaped, mode, source, *_ = line.split("\t")
        data = _unescape(escaped)
        if data in seen:
            continue
        seen.add(data)
        rows.append((data, mode, source))
    return rows


ROWS = _load()
_REJECTED_MODES = ("decode:Failed", "decode:Incomplete", "decode:LiteralFound")

# Valid for imap-codec, non-canonical for us: input -> the bytes we write.
NON_CANONICAL: dict[bytes, bytes] = {
    # response-code names and NIL are case-insensitive; we write them upper-case
    b"* OK [badcharset] ...\r\n": b"* OK [BADCHARSET] ...\r\n",
    b"* ID nil\r\n": b"* ID NIL\r\n",
    b"* ByE .\r\n": b"* BYE .\r\n",
    b"* preaUth x\r\n": b"* PREAUTH x\r\n",
    b"* OK [UnSEEN 12345] ...\r\n": b"* OK [UNSEEN 12345] ...\r\n",
    b"* OK [unseen 12345]  \r\n": b"* OK [UNSEEN 12345]  \r\n",
    b"* OK [metadata longentries 0] ...\r\n": b"* OK [METADATA longentries 0] ...\r\n",
    b"* OK [metadata longentries 4294967295] ...\r\n": (
        b"* OK [METADATA longentries 4294967295] ...\r\n"
    ),
    b"* OK [metadatA maxSIZE 0] ...\r\n": b"* OK [METADATA maxSIZE 0] ...\r\n",
    b"* OK [metadata maxSizE 4294967295] ...\r\n": b"* OK [METADATA maxSizE 4294967295] ...\r\n",
    b"* OK [metadata toOmaNy] ...\r\n": b"* OK [METADATA toOmaNy] ...\r\n",
    b"* OK [mEtadata noPRIvaTE] ...\r\n": b"* OK [METADATA noPRIvaTE] ...\r\n",
    # quota roots are written as strings, as in RFC 9208's examples
    b"* QUOTA INBOX (MESSAGE 1024 2048)\r\n": b'* QUOTA "INBOX" (MESSAGE 1024 2048)\r\n',
    b"* QUOTAROOT INBOX ROOT1 ROOT2\r\n": b'* QUOTAROOT INBOX "ROOT1" "ROOT2"\r\n',
}
# The BODYSTRUCTURE nest of empty literals: we quote short strings ("" for {0}).
_NESTED = next(data for data, _, _ in ROWS if data.startswith(b"* 3372220415 FETCH (BODYSTRUCTURE"))
NON_CANONICAL[_NESTED] = _NESTED.replace(b"{0}\r\n", b'""')

# Valid for imap-codec, refused by our strict parser, with the reason.
NOT_OURS: dict[bytes, str] = {
    b"* metadata INBOX /test /xxx\r\n": "METADATA responses (RFC 5464) are not modelled",
    b"* metadata INBOX (/test {4}\r\nABCD)\r\n": "METADATA responses (RFC 5464) are not modelled",
    b'* QUOTA "#user/alice" (STORAGE 54 111 MESSAGE 42  1000)\r\n': (
        "two spaces between numbers: not allowed by RFC 9208's ABNF"
    ),
    b"+ [READ-WRITE] hello\r\n": "continuation requests carry no response code here",
    b"+ [READ-WRITE] .\r\n": "continuation requests carry no response code here",
    b"* SEARCH \r\n": "a space with no number after it: not allowed by the ABNF",
    b"* search 1\n": "a bare LF ends no line",
    b'* LIST (\\Noselect) "aaa" bbb\r\n': "a delimiter is one QUOTED-CHAR",
    b"* 12345 FETCH (BODY[] {5}\r\n": "the head of a response up to its literal (a fragment)",
    b"* 12345 FETCH (BODY[] {5+}\r\n": "a fragment, and servers never send {n+} literals",
    b"* 12 FETCH (BODY[HEADER] {3}": "the head of a response up to its literal (a fragment)",
    b"* 1 fetch (BODY[] {17}\r\naaaaaaaaaaaaaaaa)\r\n": "the literal announces 17 bytes, 16 follow",
}
# imap-codec refuses these as a *greeting* only; as a response they are valid.
GREETING_ONLY = {b"* NO x\r\n"}


def _case_id(row: tuple[bytes, str, str]) -> str:
    return row[2].split(":", 1)[-1].replace("/", "_")


@pytest.mark.parametrize(("data", "mode", "source"), ROWS, ids=[_case_id(r) for r in ROWS])
def test_imap_codec_response_vector(data: bytes, mode: str, source: str) -> None:
    if data in NOT_OURS:
        with pytest.raises(ResponseParseError):
            parse_response(data)
        return
    if mode in _REJECTED_MODES and data not in GREETING_ONLY:
        with pytest.raises(ResponseParseError):
            parse_response(data)
        return
    value, used = parse_response_prefix(data)
    expected = NON_CANONICAL.get(data[:used], data[:used])
    assert encode_response(value) == expected
    assert parse_response(expected) == value
