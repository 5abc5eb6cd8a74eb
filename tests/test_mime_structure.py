"""BODYSTRUCTURE and ENVELOPE values of hand-built messages (RFC 3501 7.4.2, RFC 9051 7.5.2)."""

from __future__ import annotations

from test_mime_sections import MIXED

from imap_sansio._bodystructure import Address, BodyFields, Envelope, MultiPart, SinglePart
from imap_sansio.mime import Message, decode_param

US_ASCII = ((b"CHARSET", b"us-ascii"),)


def fields(
    size: int, params: tuple[tuple[bytes, bytes], ...] | None = None, **kw: object
) -> BodyFields:
    values: dict[str, object] = {"id": None, "description": None, "encoding": b"7BIT"}
    values.update(kw)
    return BodyFields(params=params, size=size, **values)  # type: ignore[arg-type]


def addr(
    name: bytes | None, mailbox: bytes | None, host: bytes | None, adl: bytes | None = None
) -> Address:
    return Address(name=name, adl=adl, mailbox=mailbox, host=host)


def test_no_content_type_is_text_plain_us_ascii() -> None:
    # RFC 2045 5.2
    m = Message(b"Subject: x\r\n\r\nline one\r\nline two\r\n")
    assert m.bodystructure == SinglePart(
        type=b"TEXT", subtype=b"PLAIN", fields=fields(20, US_ASCII), lines=2
    )


def test_last_line_without_line_break_counts() -> None:
    m = Message(b"Content-Type: text/plain; charset=utf-8\r\n\r\none\r\ntwo")
    assert m.bodystructure == SinglePart(
        type=b"TEXT", subtype=b"PLAIN", fields=fields(8, ((b"CHARSET", b"utf-8"),)), lines=2
    )


def test_all_single_part_fields_and_extension_data() -> None:
    m = Message(
        b'Content-Type: Image/PNG; Name="a \\"b\\".png" (comment)\r\n'
        b"Content-ID: <id@x>\r\n"
        b"Content-Description: =?utf-8?q?Bild?=\r\n"
        b"Content-Transfer-Encoding: Base64\r\n"
        b"Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
        b"Content-Disposition: inline\r\n"
        b"Content-Language: en, de (German)\r\n"
        b"Content-Location: http://example.org/\r\n"
        b"  a.png\r\n"
        b"\r\n"
        b"iVBORw==\r\n"
    )
    assert m.bodystructure == SinglePart(
        type=b"IMAGE",
        subtype=b"PNG",
        fields=fields(
            10,
            ((b"NAME", b'a "b".png'),),
            id=b"<id@x>",
            description=b"=?utf-8?q?Bild?=",
            encoding=b"BASE64",
        ),
        md5=b"Q2hlY2sgSW50ZWdyaXR5IQ==",
        disposition=(b"INLINE", None),
        language=(b"en", b"de"),
        location=b"http://example.org/  a.png",
    )


def test_multipart_mixed_with_alternative_attachment_and_message() -> None:
    inner_envelope = Envelope(
        date=None,
        subject=b"inner",
        from_=(addr(None, b"carol", b"example.org"),),
        sender=(addr(None, b"carol", b"example.org"),),
        reply_to=(addr(None, b"carol", b"example.org"),),
        to=None,
        cc=None,
        bcc=None,
        in_reply_to=None,
        message_id=None,
    )
    assert Message(MIXED).bodystructure == MultiPart(
        parts=(
            MultiPart(
                parts=(
                    SinglePart(
                        type=b"TEXT",
                        subtype=b"PLAIN",
                        fields=fields(5, ((b"CHARSET", b"utf-8"),)),
                        lines=1,
                    ),
                    SinglePart(type=b"TEXT", subtype=b"HTML", fields=fields(11), lines=1),
                ),
                subtype=b"ALTERNATIVE",
                params=((b"BOUNDARY", b"YY"),),
            ),
            SinglePart(
                type=b"APPLICATION",
                subtype=b"OCTET-STREAM",
                fields=fields(4, encoding=b"BASE64"),
                disposition=(b"ATTACHMENT", ((b"FILENAME", b"a.bin"),)),
            ),
            SinglePart(
                type=b"MESSAGE",
                subtype=b"RFC822",
                fields=fields(53),
                lines=4,
                envelope=inner_envelope,
                body=SinglePart(
                    type=b"TEXT", subtype=b"PLAIN", fields=fields(10, US_ASCII), lines=1
                ),
            ),
        ),
        subtype=b"MIXED",
        params=((b"BOUNDARY", b"XX"),),
    )


def test_rfc2231_continuations_and_charsets() -> None:
    m = Message(
        b'Content-Type: application/pdf; name*0="long"; name*1="name.pdf"\r\n'
        b"Content-Disposition: attachment;\r\n"
        b" filename*0*=utf-8''%E2%82%AC; filename*1=\" rates.pdf\"\r\n"
        b"\r\n"
        b"x"
    )
    body = m.bodystructure
    assert isinstance(body, SinglePart)
    assert body.fields.params == ((b"NAME", b"longname.pdf"),)
    assert body.disposition == (b"ATTACHMENT", ((b"FILENAME*", b"utf-8''%E2%82%AC%20rates.pdf"),))
    assert decode_param(body.disposition[1], b"FILENAME") == "\u20ac rates.pdf"
    assert decode_param(body.fields.params, b"NAME") == "longname.pdf"


def test_rfc2231_single_extended_parameter() -> None:
    m = Message(b"Content-Type: text/plain; charset*=us-ascii'en'utf%2D8\r\n\r\n")
    body = m.bodystructure
    assert isinstance(body, SinglePart)
    assert body.fields.params == ((b"CHARSET*", b"us-ascii'en'utf%2D8"),)
    assert decode_param(body.fields.params, b"CHARSET") == "utf-8"


def test_multipart_without_boundary_is_text_plain() -> None:
    m = Message(b"Content-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n")
    assert m.bodystructure == SinglePart(
        type=b"TEXT", subtype=b"PLAIN", fields=fields(12, US_ASCII), lines=2
    )
    assert m.section((1,)) == b"--x\r\nhello\r\n"


def test_multipart_without_delimiters_has_one_empty_text_part() -> None:
    m = Message(b"Content-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\n")
    assert m.bodystructure == MultiPart(
        parts=(SinglePart(type=b"TEXT", subtype=b"PLAIN", fields=fields(0, US_ASCII), lines=0),),
        subtype=b"MIXED",
        params=((b"BOUNDARY", b"zz"),),
    )
    assert m.section((1,)) == b""


def test_digest_parts_default_to_message_rfc822() -> None:
    # RFC 2046 5.1.5
    m = Message(
        b"Content-Type: multipart/digest; boundary=d\r\n\r\n"
        b"--d\r\n\r\nSubject: one\r\n\r\nbody\r\n--d--\r\n"
    )
    body = m.bodystructure
    assert isinstance(body, MultiPart)
    part = body.parts[0]
    assert isinstance(part, SinglePart)
    assert (part.type, part.subtype, part.fields.params) == (b"MESSAGE", b"RFC822", None)
    assert part.envelope is not None and part.envelope.subject == b"one"
    assert part.lines == 3


def test_invalid_content_type_falls_back_to_text_plain() -> None:
    m = Message(b"Content-Type: garbage\r\n\r\nx\r\n")
    assert m.bodystructure == SinglePart(
        type=b"TEXT", subtype=b"PLAIN", fields=fields(3, US_ASCII), lines=1
    )


def test_nested_message_rfc822_twice() -> None:
    data = (
        b"Content-Type: message/rfc822\r\n\r\n"
        b"Subject: mid\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Subject: deep\r\n\r\nhi\r\n"
    )
    body = Message(data).bodystructure
    assert isinstance(body, SinglePart) and body.envelope is not None
    assert body.envelope.subject == b"mid"
    assert body.lines == 6
    assert isinstance(body.body, SinglePart) and body.body.envelope is not None
    assert body.body.envelope.subject == b"deep"
    assert body.body.fields.size == len(b"Subject: deep\r\n\r\nhi\r\n")
    assert body.body.body == SinglePart(
        type=b"TEXT", subtype=b"PLAIN", fields=fields(4, US_ASCII), lines=1
    )


# -- ENVELOPE ---------------------------------------------------------------------


def test_envelope_values_are_raw_and_unfolded() -> None:
    m = Message(
        b"Date: Mon, 7 Feb 1994 21:52:25\r\n -0800 (PST)\r\n"
        b"Subject: =?iso-8859-1?q?caf=E9?=\r\n\tand more\r\n"
        b"From: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\r\n"
        b'To: "Smith, \\"John\\"" <john@example.org>, plain@example.org\r\n'
        b"Message-ID: <a@b>\r\n"
        b"In-Reply-To: <x@y> <z@w>\r\n"
        b"\r\n"
    )
    joerg = (addr(b"=?utf-8?q?J=C3=B6rg?=", b"joerg", b"example.org"),)
    assert m.envelope == Envelope(
        date=b"Mon, 7 Feb 1994 21:52:25 -0800 (PST)",
        subject=b"=?iso-8859-1?q?caf=E9?=\tand more",
        from_=joerg,
        sender=joerg,
        reply_to=joerg,
        to=(
            addr(b'Smith, "John"', b"john", b"example.org"),
            addr(None, b"plain", b"example.org"),
        ),
        cc=None,
        bcc=None,
        in_reply_to=b"<x@y> <z@w>",
        message_id=b"<a@b>",
    )


def test_envelope_of_message_without_header() -> None:
    assert Message(b"").envelope == Envelope(
        date=None,
        subject=None,
        from_=None,
        sender=None,
        reply_to=None,
        to=None,
        cc=None,
        bcc=None,
        in_reply_to=None,
        message_id=None,
    )


def test_envelope_odd_addresses() -> None:
    m = Message(
        b"From: localonly\r\n"
        b"To: undisclosed-recipients:;\r\n"
        b"Cc: <@a.org,@b.org:x@c.org>, , y@d.org (Why Not)\r\n"
        b"Bcc: \r\n"
        b"\r\n"
    )
    env = m.envelope
    assert env.from_ == (addr(None, b"localonly", b""),)
    assert env.to == (addr(None, b"undisclosed-recipients", None), addr(None, None, None))
    assert env.cc == (
        addr(None, b"x", b"c.org", adl=b"@a.org,@b.org"),
        addr(b"Why Not", b"y", b"d.org"),
    )
    assert env.bcc is None


def test_envelope_survives_8bit_junk() -> None:
    m = Message(b"From: \xff\xfe <\x80@\x81>\r\nSubject: \xe9t\xe9\r\n\r\n")
    assert m.envelope.subject == b"\xe9t\xe9"
    assert m.envelope.from_ == (addr(b"\xff\xfe", b"\x80", b"\x81"),)


def test_envelope_with_stray_parenthesis() -> None:
    # A regression: a ")" outside a comment once stopped the address scanner.
    m = Message(b"From: a) b@c.org\r\nTo: )\r\n\r\n")
    assert m.envelope.from_ == (addr(None, b"a)b", b"c.org"),)
    assert m.envelope.to == (addr(None, b")", b""),)


def test_parameter_comments_and_unquoted_tspecials() -> None:
    # RFC 2045 5.1: the comment is not part of the value.
    m = Message(
        b"Content-Type: text/plain; charset=us-ascii (Plain text)\r\n"
        b"Content-Disposition: attachment; filename=a/b c.txt;size=3\r\n\r\nabc"
    )
    body = m.bodystructure
    assert isinstance(body, SinglePart)
    assert body.fields.params == ((b"CHARSET", b"us-ascii"),)
    assert body.disposition == (b"ATTACHMENT", ((b"FILENAME", b"a/b c.txt"), (b"SIZE", b"3")))


def test_lf_only_message_structure() -> None:
    m = Message(
        b"From: a@b.org\nSubject: lf\nContent-Type: multipart/alternative; boundary=q\n\n"
        b"--q\nContent-Type: text/plain\n\nline 1\nline 2\n\n--q\n"
        b"Content-Type: text/html\n\n<p>x</p>\n--q--\n"
    )
    assert m.envelope.subject == b"lf"
    assert m.bodystructure == MultiPart(
        parts=(
            SinglePart(type=b"TEXT", subtype=b"PLAIN", fields=fields(14), lines=2),
            SinglePart(type=b"TEXT", subtype=b"HTML", fields=fields(8), lines=1),
        ),
        subtype=b"ALTERNATIVE",
        params=((b"BOUNDARY", b"q"),),
    )
