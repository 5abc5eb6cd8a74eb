"""Modified UTF-7 (RFC 3501 5.1.3): round trip for all of Unicode, every invalid form rejected."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imap_sansio._mutf7 import MUTF7Error, decode_mutf7, encode_mutf7

# Any text without lone surrogates (they cannot be UTF-16 encoded).
unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(unicode_text)
def test_round_trip_for_all_of_unicode(name: str) -> None:
    encoded = encode_mutf7(name)
    assert encoded.isascii()
    assert decode_mutf7(encoded) == name


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=20))
def test_decoding_arbitrary_bytes_gives_text_that_encodes_back_or_an_error(data: bytes) -> None:
    try:
        name = decode_mutf7(data)
    except MUTF7Error:
        return
    # Strictness: only the canonical encoding of a name is accepted.
    assert encode_mutf7(name) == data


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        # RFC 3501 5.1.3 example and the usual suspects
        ("~peter/mail/台北/日本語", b"~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ("&", b"&-"),
        ("Entwürfe", b"Entw&APw-rfe"),
        ("a&b", b"a&-b"),
        ("😀", b"&2D3eAA-"),
        ("", b""),
        ("\x00", b"&AAA-"),
        ("~", b"~"),
    ],
)
def test_known_encodings(name: str, encoded: bytes) -> None:
    assert encode_mutf7(name) == encoded
    assert decode_mutf7(encoded) == name


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"&", "unterminated"),
        (b"&Jjo", "unterminated"),
        (b"&Jjo!", "unterminated / non-base64 character"),
        (b"&AGE-", "encodes printable ASCII 'a'"),
        (b"&ACY-", "encodes '&' (must be &-)"),
        (b"&U,BTFw-&ZeVnLIqe-", "adjacent encoded runs"),
        (b"&AOl-", "non-zero padding bits"),
        (b"&AOk", "unterminated"),
        (b"&A-", "partial UTF-16 unit (6 bits)"),
        (b"&AO-", "partial UTF-16 unit (12 bits)"),
        (b"&AOkA-", "partial UTF-16 unit (30 bits)"),
        (b"&2D0-", "lone high surrogate"),
        (b"&2D3YPQ-", "two high surrogates"),
        (b"&3gA-", "lone low surrogate"),
        (b"&Jjo/-", "'/' is not in modified BASE64"),
        (b"&Jjo=-", "padding '=' is not used"),
        (b"\xc3\xa9", "raw 8-bit bytes"),
        (b"a\tb", "control character"),
        (b"\x7f", "DEL"),
    ],
)
def test_invalid_forms_are_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(MUTF7Error):
        decode_mutf7(data)


def test_the_error_says_where() -> None:
    with pytest.raises(MUTF7Error) as info:
        decode_mutf7(b"abc&AGE-")
    assert info.value.offset == 3
    assert info.value.reason == "modified UTF-7 run encodes printable ASCII"
