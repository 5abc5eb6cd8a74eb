"""The strict test parser refuses what the ABNF does not allow (so round trips mean something)."""

from __future__ import annotations

import pytest
from response_parser import ResponseParseError, parse_response

INVALID = [
    b"* OK [UIDNEXT 0] zero is not an nz-number\r\n",
    b"* OK [UIDVALIDITY 1]\r\n",  # no SP after "]": it would be text starting with "["
    b"a1 PREAUTH tagged\r\n",
    b"a+1 OK plus in a tag\r\n",
    b"* 1 FETCH ()\r\n",
    b"* 0 EXPUNGE\r\n",
    b"* SEARCH 0\r\n",
    b"* SEARCH 1 \r\n",
    b'* LIST (Noselect) "/" foo\r\n',
    b'* LIST () "/" &Jjo\r\n',  # invalid modified UTF-7
    b'* LIST () "/" "a\\b"\r\n',  # backslash escapes only " and \
    b"* 1 FETCH (BODY[] {2+}\r\nhi)\r\n",  # servers never send {n+}
    b"* 1 FETCH (BODY[] {2}\r\na\x00)\r\n",  # NUL only in literal8
    b"* 1 FETCH (BODY[MIME] NIL)\r\n",  # MIME needs a part number
    b"* THREAD (1 (2))\r\n",  # thread-nested is 2*thread-list
    b"* OK [COPYUID 1 1:* 2] star\r\n",
    b'* 1 FETCH (INTERNALDATE "7-Mar-2024 09:05:01 +0000")\r\n',  # day is SP-padded
    b"* STATUS x (MESSAGES 1 MESSAGES 2)\r\n",
    b"* OK text\n",
    b"* OK text\r\nextra",
    b"* NAMESPACE () NIL NIL\r\n",
    b"* 1 FETCH (ENVELOPE (NIL NIL () NIL NIL NIL NIL NIL NIL NIL))\r\n",
    b'* 1 FETCH (BODY ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 3))\r\n',  # text needs lines
]


@pytest.mark.parametrize("data", INVALID, ids=[repr(d)[2:40] for d in INVALID])
def test_strict_parser_refuses(data: bytes) -> None:
    with pytest.raises(ResponseParseError):
        parse_response(data)
