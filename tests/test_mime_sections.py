"""FETCH sections from hand-built messages: every expected value is written out by hand."""

from __future__ import annotations

import pytest

from imap_sansio.mime import Message, UnknownTransferEncoding, encode_binary_parts, partial

PLAIN = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Subject: hello\r\n"
    b"X-Folded: one\r\n"
    b" two\r\n"
    b"\r\n"
    b"Hi Bob,\r\n"
    b"bye.\r\n"
)

MIXED = (
    b"From: alice@example.org\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n'
    b"\r\n"
    b"preamble\r\n"
    b"--XX\r\n"
    b"Content-Type: multipart/alternative; boundary=YY\r\n"
    b"\r\n"
    b"--YY\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"plain\r\n"
    b"--YY\r\n"
    b"Content-Type: text/html\r\n"
    b"\r\n"
    b"<b>html</b>\r\n"
    b"--YY--\r\n"
    b"--XX\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment; filename=a.bin\r\n"
    b"\r\n"
    b"AAEC\r\n"
    b"--XX\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"Subject: inner\r\n"
    b"From: carol@example.org\r\n"
    b"\r\n"
    b"inner body\r\n"
    b"--XX--\r\n"
    b"epilogue\r\n"
)


def test_whole_message_header_and_text() -> None:
    m = Message(PLAIN)
    assert m.size == len(PLAIN) == 114
    assert m.section() == PLAIN
    assert m.section((), "HEADER") == PLAIN[:99]
    assert m.section((), "HEADER").endswith(b"two\r\n\r\n")  # type: ignore[union-attr]
    assert m.section((), "TEXT") == b"Hi Bob,\r\nbye.\r\n"


def test_part_one_of_a_non_multipart_message_is_its_body() -> None:
    m = Message(PLAIN)
    assert m.section((1,)) == b"Hi Bob,\r\nbye.\r\n"
    assert m.binary((1,)) == b"Hi Bob,\r\nbye.\r\n"
    assert m.section((2,)) is None
    assert m.section((1, 1)) is None
    assert m.section((1,), "HEADER") is None  # not a message/rfc822 part


def test_header_fields_keep_folding_order_and_end_with_the_blank_line() -> None:
    m = Message(PLAIN)
    assert m.section((), "HEADER.FIELDS", ("x-folded", "FROM")) == (
        b"From: Alice <alice@example.org>\r\nX-Folded: one\r\n two\r\n\r\n"
    )
    assert m.section((), "header.fields.not", ("From", "to", "x-FOLDED")) == (
        b"Subject: hello\r\n\r\n"
    )
    assert m.section((), "HEADER.FIELDS", ("nothere",)) == b"\r\n"


def test_nested_multipart_sections() -> None:
    m = Message(MIXED)
    assert m.section((1,)) == (
        b"--YY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n"
        b"--YY\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n--YY--"
    )
    assert m.section((1, 1)) == b"plain"
    assert m.section((1, 1), "MIME") == b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    assert m.section((1, 2)) == b"<b>html</b>"
    assert m.section((1, 3)) is None
    assert m.section((2,)) == b"AAEC"
    assert m.binary((2,)) == b"\x00\x01\x02"
    assert m.section((3,)) == b"Subject: inner\r\nFrom: carol@example.org\r\n\r\ninner body"
    assert m.section((3,), "HEADER") == b"Subject: inner\r\nFrom: carol@example.org\r\n\r\n"
    assert m.section((3,), "TEXT") == b"inner body"
    assert m.section((3,), "HEADER.FIELDS", ("subject",)) == b"Subject: inner\r\n\r\n"
    assert m.section((3,), "MIME") == b"Content-Type: message/rfc822\r\n\r\n"
    assert m.section((3, 1)) == b"inner body"
    assert m.section((4,)) is None
    assert m.section((0,)) is None
    assert m.section((), "MIME") is None
    assert m.section((2,), "TEXT") is None
    assert m.section((), "BOGUS") is None


def test_text_of_a_multipart_message_is_everything_after_the_header() -> None:
    m = Message(MIXED)
    assert m.section((), "TEXT") == MIXED[MIXED.index(b"preamble") :]


def test_binary_of_unknown_encoding_raises_unknown_cte() -> None:
    m = Message(
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n"
    )
    with pytest.raises(UnknownTransferEncoding) as info:
        m.binary((1,))
    assert info.value.encoding == b"X-UUENCODE"
    assert m.section((1,)) == b"begin\r\n"  # BODY[] is never decoded


def test_binary_of_the_whole_message_and_of_missing_parts() -> None:
    m = Message(MIXED)
    assert m.binary(()) == MIXED
    assert m.binary((9,)) is None


def test_lf_only_message() -> None:
    data = (
        b"Subject: lf\n"
        b"Content-Type: multipart/mixed; boundary=b\n"
        b"\n"
        b"--b\n"
        b"Content-Type: text/plain\n"
        b"\n"
        b"one\n"
        b"\n"
        b"--b\n"
        b"\n"
        b"two\n"
        b"--b--\n"
    )
    m = Message(data)
    assert m.section((), "HEADER") == b"Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n"
    assert m.section((1,)) == b"one\n"
    assert m.section((1,), "MIME") == b"Content-Type: text/plain\n\n"
    assert m.section((2,)) == b"two"
    assert m.section((2,), "MIME") == b"\n"
    assert m.section((), "HEADER.FIELDS", ("subject",)) == b"Subject: lf\n\n"


def test_no_final_crlf_and_no_close_delimiter() -> None:
    data = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nlast part"
    m = Message(data)
    assert m.section((1,)) == b"last part"
    assert m.section((1,), "MIME") == b"\r\n"


def test_header_without_body() -> None:
    m = Message(b"Subject: only a header\r\nFrom: a@b")
    assert m.section((), "HEADER") == b"Subject: only a header\r\nFrom: a@b"
    assert m.section((), "TEXT") == b""
    assert m.section((), "HEADER.FIELDS", ("from",)) == b"From: a@b\r\n\r\n"


def test_empty_message() -> None:
    m = Message(b"")
    assert m.size == 0
    assert m.section() == b""
    assert m.section((), "HEADER") == b""
    assert m.section((), "TEXT") == b""
    assert m.section((1,)) == b""


def test_message_starting_with_blank_line_has_empty_header() -> None:
    m = Message(b"\r\nbody\r\n")
    assert m.section((), "HEADER") == b"\r\n"
    assert m.section((), "TEXT") == b"body\r\n"


def test_delimiter_with_transport_padding_and_prefix_lookalikes() -> None:
    data = (
        b"Content-Type: multipart/mixed; boundary=ab\r\n\r\n"
        b"--ab \t\r\n\r\none\r\n--abc\r\nstill one\r\n"
        b"--ab--  \r\n"
    )
    m = Message(data)
    assert m.section((1,)) == b"one\r\n--abc\r\nstill one"
    assert m.section((2,)) is None


def test_partial() -> None:
    assert partial(b"0123456789", 2, 3) == b"234"
    assert partial(b"0123456789", 8, 10) == b"89"
    assert partial(b"0123456789", 10, 1) == b""
    assert partial(b"0123456789", 3) == b"3456789"
    assert partial(b"0123456789", 0, 0) == b""
    view = partial(memoryview(b"0123456789"), 4, 2)
    assert isinstance(view, memoryview) and bytes(view) == b"45"


def test_sections_share_the_stored_bytes() -> None:
    m = Message(MIXED)
    part = m.part((1, 2))
    assert part is not None
    assert part.data is m.data
    assert (part.start, part.body_start, part.end) == (
        MIXED.index(b"Content-Type: text/html"),
        MIXED.index(b"<b>"),
        MIXED.index(b"<b>") + len(b"<b>html</b>"),
    )


APPEND_BINARY = (  # the message of imaptest's append-binary script
    b"From: user@domain.org\r\n"
    b"Date: Sat, 24 Mar 2007 23:00:00 +0200\r\n"
    b"Mime-Version: 1.0\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: binary\r\n"
    b"\r\n"
    b"\x00-\xe4\n\r\n\n"
)


def test_binary_size_without_decoding_and_with() -> None:
    m = Message(APPEND_BINARY)
    assert m.binary_size((1,)) == 7
    assert m.binary_size(()) == len(APPEND_BINARY)
    assert m.binary_size((2,)) is None
    assert Message(MIXED).binary_size((2,)) == 3  # base64 "AAEC"


def test_encode_binary_parts_makes_nul_parts_base64() -> None:
    # RFC 3516 4.4; base64 of 00 2D E4 0A 0D 0A 0A worked out by hand.
    converted = encode_binary_parts(APPEND_BINARY)
    assert converted == APPEND_BINARY.replace(
        b"Encoding: binary\r\n\r\n\x00-\xe4\n\r\n\n", b"Encoding: base64\r\n\r\nAC3kCg0KCg=="
    )
    m = Message(converted)
    assert m.section((1,)) == b"AC3kCg0KCg=="
    assert m.binary((1,)) == b"\x00-\xe4\n\r\n\n"
    assert m.binary_size((1,)) == 7


def test_encode_binary_parts_adds_the_field_in_multiparts() -> None:
    data = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nkeep\r\n"
        b"--b\r\nContent-Type: application/x\r\n\r\n" + b"\x00" * 60 + b"\r\n--b--\r\n"
    )
    converted = encode_binary_parts(data)
    assert converted == (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nkeep\r\n"
        b"--b\r\nContent-Type: application/x\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b"A" * 76
        + b"\r\nAAAA\r\n--b--\r\n"
    )
    assert Message(converted).binary((2,)) == b"\x00" * 60
    assert encode_binary_parts(MIXED) is MIXED


def test_section_view_is_a_view_of_the_stored_bytes() -> None:
    m = Message(MIXED)
    view = m.section_view((1, 1))
    assert isinstance(view, memoryview)
    assert view.obj is m.data
    assert bytes(view) == b"plain"
    assert m.section_view((), "HEADER.FIELDS", (b"FROM",)) == b"From: alice@example.org\r\n\r\n"
    assert m.section_view((7,)) is None
