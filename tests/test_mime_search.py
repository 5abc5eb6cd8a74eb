"""Decoding and the SEARCH/SORT/PREVIEW helpers, with hand-derived expected values."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from imap_sansio.mime import (
    Message,
    address_text,
    base_subject,
    body_text,
    contains,
    decode_charset,
    decode_header_value,
    decode_transfer,
    has_header,
    header_values,
    preview,
    sent_date,
    sent_datetime,
    subject,
    text,
)


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        # RFC 2047 section 8, the examples table
        (b"(=?ISO-8859-1?Q?a?=)", "(a)"),
        (b"(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        (b"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        (b"(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        (b"(=?ISO-8859-1?Q?a?=    =?ISO-8859-1?Q?b?=)", "(ab)"),
        (b"(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        (b"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
        (b"=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"),
        (b"=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\u00e9 Pirard"),
        # RFC 2231 section 5: a language in the charset field
        (b"=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"),
        (b"=?utf-8?B?w6l0w6k=?=", "\u00e9t\u00e9"),
        (b"=?utf-8?b?w6l0w6k?=", "\u00e9t\u00e9"),  # missing padding
        (b"=?x-no-such-charset?q?abc?=", "abc"),
        (b"plain \xc3\xa9", "plain \u00e9"),
        (b"bad \xff", "bad \ufffd"),
        (b"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"),
    ],
)
def test_decode_header_value(encoded: bytes, decoded: str) -> None:
    assert decode_header_value(encoded) == decoded


def test_decode_transfer() -> None:
    assert decode_transfer(b"aGVs\r\nbG8=\r\n", b"BASE64") == b"hello"
    assert decode_transfer(b"aGVsbG", b"BASE64") == b"hell"  # partial quantum: whole octets only
    assert (
        decode_transfer(b"a=C3=A9 =\r\nb  \r\nc=3d=ZZ", b"QUOTED-PRINTABLE")
        == b"a\xc3\xa9 b\r\nc==ZZ"
    )
    assert decode_transfer(b"x\ny", b"8BIT") == b"x\ny"
    assert decode_transfer(b"x", b"X-UUENCODE") is None


def test_decode_charset() -> None:
    assert decode_charset(b"caf\xe9", "ISO-8859-1") == "caf\u00e9"
    assert decode_charset(b"caf\xc3\xa9", "us-ascii") == "caf\u00e9"
    assert decode_charset(b"x", "base64") == "x"  # not a text encoding: UTF-8
    assert decode_charset(b"\xff", None) == "\ufffd"


SEARCHABLE = (
    b"From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>\r\n"
    b"To: team: a@example.org, b@example.org;, boss@example.org\r\n"
    b"Subject: =?iso-8859-1?q?Gr=FC=DFe?= aus\r\n"
    b" Berlin\r\n"
    b"X-Twice: one\r\n"
    b"X-Twice: two\r\n"
    b"Date: Sat, 24 Mar 2007 23:30:00 -0500\r\n"
    b"Content-Type: multipart/mixed; boundary=B\r\n"
    b"\r\n"
    b"--B\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Sch=F6ne Stra=DFe, soft=\r\n"
    b"break\r\n"
    b"--B\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"PHA+w6lsw6hWZTwvcD4=\r\n"
    b"--B\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"\r\n"
    b"secretword\r\n"
    b"--B\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"Subject: attached mail\r\n"
    b"\r\n"
    b"attached text\r\n"
    b"--B--\r\n"
)


def test_header_search_helpers() -> None:
    m = Message(SEARCHABLE)
    assert subject(m) == "Gr\u00fc\u00dfe aus Berlin"
    assert header_values(m, "x-twice") == ("one", "two")
    assert header_values(m, "X-None") == ()
    assert has_header(m, "X-TWICE")
    assert not has_header(m, "cc")
    assert address_text(m, "from") == "J\u00f6rg M\u00fcller <joerg@example.org>"
    assert address_text(m, "TO") == ("team: a@example.org, b@example.org;, boss@example.org")
    assert address_text(m, "cc") == ""


def test_body_text_decodes_text_parts_only() -> None:
    m = Message(SEARCHABLE)
    body = body_text(m)
    assert body == (
        "Sch\u00f6ne Stra\u00dfe, softbreak"
        "\n<p>\u00e9l\u00e8Ve</p>"
        "\nSubject: attached mail"
        "\nattached text"
    )
    assert "secretword" not in body
    assert contains(body, "STRASSE")  # case folding: sz folds to ss
    assert contains(body, "\u00c9L\u00c8ve")
    assert contains(text(m), "berlin")
    assert contains(text(m), "softbreak")


def test_contains() -> None:
    assert contains("Hello World", "o w")
    assert contains("anything", "")
    assert not contains("abc", "abd")


def test_dates() -> None:
    m = Message(SEARCHABLE)
    # RFC 3501 6.4.4: the date in the header's own zone, time disregarded.
    assert sent_date(m) == date(2007, 3, 24)
    assert sent_datetime(m) == datetime(2007, 3, 24, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert sent_date(Message(b"Date: not a date\r\n\r\n")) is None
    assert sent_date(Message(b"Subject: no date\r\n\r\n")) is None
    assert sent_date(Message(b"Date: 99 Foo 2007 99:99:99 +0000\r\n\r\n")) is None


@pytest.mark.parametrize(
    ("subject_", "base"),
    [
        ("Re: hello", "hello"),
        ("Re: Re: RE: hello", "hello"),
        ("Fwd: Fw: re: hello", "hello"),
        ("Re: [list] Fwd: hello (fwd)", "hello"),
        ("[list] hello", "hello"),
        ("[list]", "[list]"),
        ("Re[2]: hello", "hello"),
        ("[Fwd: Re: hello]", "hello"),
        ("hello (fwd) (FWD)  ", "hello"),
        ("  many\t spaces \r\n here ", "many spaces here"),
        ("Re:", ""),
        ("Request: no", "Request: no"),
    ],
)
def test_base_subject_rfc5256(subject_: str, base: str) -> None:
    assert base_subject(subject_) == base


def test_preview_prefers_plain_text() -> None:
    assert preview(Message(SEARCHABLE)) == "Sch\u00f6ne Stra\u00dfe, softbreak"


def test_preview_of_html_removes_markup() -> None:
    m = Message(
        b"Content-Type: text/html\r\n\r\n"
        b"<html><head><title>t</title><style>p {}</style></head>"
        b"<body><p>Hello&nbsp;&amp; <b>welcome</b></p>\r\n\r\n<p>bye</p></body></html>\r\n"
    )
    assert preview(m) == "Hello & welcome bye"  # NBSP is whitespace too


def test_preview_is_at_most_200_characters_and_empty_without_text() -> None:
    long = Message(b"\r\n" + b"word " * 100)
    assert preview(long) == ("word " * 40).strip()
    assert len(("word " * 40).strip()) == 199
    attachment_only = Message(
        b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw==\r\n"
    )
    assert preview(attachment_only) == ""
