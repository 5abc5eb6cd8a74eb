"""Typed responses: validation at construction, and the string output rules."""

from __future__ import annotations

import datetime
import typing
from pathlib import Path

import pytest
from response_parser import parse_response

from imap_sansio import _encoder, _responses
from imap_sansio._bodystructure import BodyFields, MultiPart, SinglePart
from imap_sansio._commands import Section
from imap_sansio._encoder import CHUNK_MIN, QUOTED_MAX, encode_response, encode_response_chunks
from imap_sansio._responses import (
    AtomCode,
    BinarySectionItem,
    BodyItem,
    BodySectionItem,
    BodyStructureItem,
    CapabilityCode,
    ContinuationRequest,
    CopyUidCode,
    ESearchData,
    FetchData,
    FlagsData,
    IdData,
    InternalDateItem,
    ListData,
    OtherCode,
    Status,
    StatusData,
    StatusResponse,
    Thread,
    UidItem,
    UidNextCode,
)
from imap_sansio._sequence import STAR, SequenceSet, UidSet
from imap_sansio.testing import _response_strategies

OK = Status.OK


def _list(mailbox: str, *, utf8: bool = False) -> bytes:
    return encode_response(ListData(attributes=(), delimiter="/", mailbox=mailbox), utf8=utf8)


# -- validation --------------------------------------------------------------


@pytest.mark.parametrize("text", ["a\r\nb", "a\nb", "a\rb", "nul\x00"])
def test_status_text_with_cr_lf_or_nul_is_an_app_bug(text: str) -> None:
    with pytest.raises(ValueError, match="CR, LF"):
        StatusResponse(status=OK, text=text)


def test_text_starting_with_bracket_needs_a_code() -> None:
    # RFC 9051 resp-text: a reader would take "[x]" for a response code
    with pytest.raises(ValueError, match=r"'\['"):
        StatusResponse(status=OK, tag="a", text="[not a code] done")
    coded = StatusResponse(status=OK, tag="a", text="[x] fine", code=AtomCode(name="ALERT"))
    assert encode_response(coded) == b"a OK [ALERT] [x] fine\r\n"
    with pytest.raises(ValueError):
        ContinuationRequest(text="[ALERT] x")


@pytest.mark.parametrize("tag", ["", "a b", "a+", "a{", "a\r", "tag*", "t\u00e9"])
def test_invalid_tags_are_refused(tag: str) -> None:
    with pytest.raises(ValueError, match="tag"):
        StatusResponse(status=OK, tag=tag, text="x")


@pytest.mark.parametrize("status", [Status.PREAUTH, Status.BYE])
def test_preauth_and_bye_are_never_tagged(status: Status) -> None:
    with pytest.raises(ValueError, match="untagged"):
        StatusResponse(status=status, tag="a1", text="x")


def test_codes_with_data_have_one_typed_form() -> None:
    with pytest.raises(ValueError, match="UidNextCode"):
        AtomCode(name="uidnext")
    with pytest.raises(ValueError, match="CapabilityCode"):
        OtherCode(name="CAPABILITY", text="IMAP4rev1")
    assert AtomCode(name="toobig").name == "TOOBIG"
    with pytest.raises(ValueError):
        AtomCode(name="TWO WORDS")
    with pytest.raises(ValueError):
        OtherCode(name="X", text="has ] bracket")


def test_numbers_are_range_checked() -> None:
    with pytest.raises(ValueError):
        UidNextCode(uid=0)
    with pytest.raises(ValueError):
        UidItem(uid=2**32)
    with pytest.raises(ValueError):
        FetchData(number=0, items=(UidItem(uid=1),))
    with pytest.raises(ValueError):
        StatusData(mailbox="x", highestmodseq=2**63)


def test_server_sets_never_hold_star_or_dollar() -> None:
    with pytest.raises(ValueError, match=r"'\*'"):
        CopyUidCode(
            uidvalidity=1, source=UidSet(ranges=((1, STAR),)), destination=UidSet.from_ranges(1)
        )
    with pytest.raises(ValueError):
        ESearchData(all=SequenceSet(saved=True))
    with pytest.raises(ValueError, match="UidSet"):
        ESearchData(uid=True, all=SequenceSet.from_ranges(1))


def test_other_value_errors() -> None:
    with pytest.raises(ValueError, match="both"):
        ContinuationRequest(text="x", data=b"y")
    with pytest.raises(ValueError, match="timezone"):
        InternalDateItem(date=datetime.datetime(2020, 1, 1))
    with pytest.raises(ValueError, match="two"):
        Thread(members=(1,), children=(Thread(members=(2,)),))
    with pytest.raises(ValueError):
        FlagsData(flags=("\\Seen", "bad flag"))
    with pytest.raises(ValueError):
        ListData(attributes=("NoBackslash",), delimiter="/", mailbox="x")
    with pytest.raises(ValueError):
        ListData(attributes=(), delimiter="//", mailbox="x")
    with pytest.raises(ValueError, match="MIME"):
        BodySectionItem(section=Section(text="MIME"), data=b"")
    with pytest.raises(ValueError):
        IdData(params=())


# -- strings -----------------------------------------------------------------


def test_mailbox_names_are_atoms_quoted_or_literals_by_content() -> None:
    assert _list("INBOX") == b'* LIST () "/" INBOX\r\n'
    assert _list("") == b'* LIST () "/" ""\r\n'
    assert _list("a b") == b'* LIST () "/" "a b"\r\n'
    assert _list('q"u\\o') == b'* LIST () "/" "q\\"u\\\\o"\r\n'
    assert _list("NIL") == b'* LIST () "/" "NIL"\r\n'  # never read as nil
    assert _list("a]b") == b'* LIST () "/" a]b\r\n'  # ASTRING-CHAR includes "]"
    assert _list("%") == b'* LIST () "/" "%"\r\n'


def test_mailbox_names_are_modified_utf7_unless_utf8() -> None:
    # RFC 3501 5.1.3 example: "~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e"
    name = "~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e"
    assert _list(name) == b'* LIST () "/" ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n'
    assert _list("Entw\u00fcrfe") == b'* LIST () "/" Entw&APw-rfe\r\n'
    assert _list("Entw\u00fcrfe", utf8=True) == b'* LIST () "/" "Entw\xc3\xbcrfe"\r\n'
    assert _list("a&b") == b'* LIST () "/" a&-b\r\n'


def test_strings_needing_a_literal() -> None:
    lf = _list("a\nb", utf8=True)
    assert lf == b'* LIST () "/" {3}\r\na\nb\r\n'
    long_name = "x" * (QUOTED_MAX + 1)
    spaced = long_name[:-1] + " "
    assert _list(spaced) == b'* LIST () "/" {%d}\r\n%s\r\n' % (len(spaced), spaced.encode())
    # 8-bit header bytes: a literal, or quoted UTF-8 after UTF8=ACCEPT
    value = IdData(params=(("name", "caf\u00e9"),))
    assert encode_response(value) == b'* ID ("name" {5}\r\ncaf\xc3\xa9)\r\n'
    assert encode_response(value, utf8=True) == b'* ID ("name" "caf\xc3\xa9")\r\n'


def test_empty_text_keeps_the_space_the_abnf_needs() -> None:
    assert encode_response(StatusResponse(status=OK, tag="a1", text="")) == b"a1 OK \r\n"
    coded = StatusResponse(status=OK, text="", code=UidNextCode(uid=5))
    assert encode_response(coded) == b"* OK [UIDNEXT 5] \r\n"
    assert parse_response(encode_response(coded)) == coded
    assert encode_response(ContinuationRequest()) == b"+ \r\n"
    assert encode_response(ContinuationRequest(data=b"")) == b"+ \r\n"


def test_text_is_utf8_only_when_enabled() -> None:
    value = StatusResponse(
        status=Status.OK,
        text="Gr\u00fc\u00dfe",
        code=CapabilityCode(capabilities=("IMAP4rev2", "AUTH=PLAIN")),
    )
    assert encode_response(value, utf8=True) == (
        b"* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN] Gr\xc3\xbc\xc3\x9fe\r\n"
    )
    # RFC 9051 9: non-ASCII text only after ENABLE IMAP4rev2 (or UTF8=ACCEPT)
    assert encode_response(value) == b"* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN] Gr??e\r\n"
    assert encode_response(ContinuationRequest(text="\u00e9t\u00e9")) == b"+ ?t?\r\n"


# -- FETCH data --------------------------------------------------------------


def test_internaldate_pads_the_day_with_a_space() -> None:
    # date-day-fixed = (SP DIGIT) / 2DIGIT
    zone = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    item = InternalDateItem(date=datetime.datetime(2024, 3, 7, 9, 5, 1, tzinfo=zone))
    data = encode_response(FetchData(number=1, items=(item,)))
    assert data == b'* 1 FETCH (INTERNALDATE " 7-Mar-2024 09:05:01 +0530")\r\n'


def test_big_bodies_are_their_own_chunk_and_not_copied() -> None:
    body = b"x" * (CHUNK_MIN + 10)
    view = memoryview(body)[5:]
    value = FetchData(
        number=3,
        items=(
            UidItem(uid=9),
            BodySectionItem(section=Section(part=(1,), text="MIME"), data=view, origin=5),
        ),
    )
    chunks = encode_response_chunks(value)
    assert len(chunks) == 3
    assert chunks[0] == b"* 3 FETCH (UID 9 BODY[1.MIME]<5> {%d}\r\n" % len(view)
    assert chunks[1] is view
    assert chunks[2] == b")\r\n"
    assert encode_response(value) == b"".join(bytes(c) for c in chunks)


def test_message_data_is_always_a_literal() -> None:
    value = FetchData(number=1, items=(BodySectionItem(section=Section(), data=b"hi"),))
    assert encode_response(value) == b"* 1 FETCH (BODY[] {2}\r\nhi)\r\n"
    empty = FetchData(number=1, items=(BodySectionItem(section=Section(), data=None),))
    assert encode_response(empty) == b"* 1 FETCH (BODY[] NIL)\r\n"


def test_binary_with_nul_is_a_literal8() -> None:
    # RFC 3516 4.2
    value = FetchData(number=1, items=(BinarySectionItem(part=(2,), data=b"a\x00b"),))
    assert encode_response(value) == b"* 1 FETCH (BINARY[2] ~{3}\r\na\x00b)\r\n"
    assert parse_response(encode_response(value)) == value


def test_header_fields_section() -> None:
    section = Section(part=(4, 2), text="HEADER.FIELDS.NOT", fields=("Subject", "X-Y"))
    value = FetchData(number=1, items=(BodySectionItem(section=section, data=b""),))
    assert (
        encode_response(value)
        == b"* 1 FETCH (BODY[4.2.HEADER.FIELDS.NOT (Subject X-Y)] {0}\r\n)\r\n"
    )


def test_bodystructure_writes_extension_data_and_body_leaves_it_out() -> None:
    # RFC 3501 7.4.2's multipart example, with extension data added
    text = SinglePart(
        type=b"TEXT",
        subtype=b"PLAIN",
        fields=BodyFields(
            params=((b"CHARSET", b"US-ASCII"),),
            id=None,
            description=None,
            encoding=b"7BIT",
            size=1152,
        ),
        lines=23,
    )
    attachment = SinglePart(
        type=b"TEXT",
        subtype=b"PLAIN",
        fields=BodyFields(
            params=((b"CHARSET", b"US-ASCII"), (b"NAME", b"cc.diff")),
            id=b"<960723163407.20117h@cac.washington.edu>",
            description=b"Compiler diff",
            encoding=b"BASE64",
            size=4554,
        ),
        lines=73,
        disposition=(b"attachment", ((b"filename", b"cc.diff"),)),
    )
    structure = MultiPart(parts=(text, attachment), subtype=b"MIXED", params=((b"BOUNDARY", b"x"),))
    body = encode_response(FetchData(number=1, items=(BodyItem(structure=structure),)))
    assert body == (
        b'* 1 FETCH (BODY (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)'
        b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff")'
        b' "<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73)'
        b' "MIXED"))\r\n'
    )
    full = encode_response(FetchData(number=1, items=(BodyStructureItem(structure=structure),)))
    assert full == (
        b'* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)'
        b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff")'
        b' "<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73'
        b' NIL ("attachment" ("filename" "cc.diff")))'
        b' "MIXED" ("BOUNDARY" "x")))\r\n'
    )
    assert parse_response(full) == FetchData(
        number=1, items=(BodyStructureItem(structure=structure),)
    )


def test_text_part_without_lines_cannot_be_written() -> None:
    part = SinglePart(
        type=b"text",
        subtype=b"plain",
        fields=BodyFields(params=None, id=None, description=None, encoding=b"7BIT", size=1),
    )
    with pytest.raises(ValueError, match="lines"):
        encode_response(FetchData(number=1, items=(BodyItem(structure=part),)))


def test_status_items_in_a_fixed_order() -> None:
    value = StatusData(
        mailbox="INBOX", highestmodseq=7, messages=3, appendlimit=StatusData.NO_LIMIT, size=10
    )
    assert encode_response(value) == (
        b"* STATUS INBOX (MESSAGES 3 SIZE 10 HIGHESTMODSEQ 7 APPENDLIMIT NIL)\r\n"
    )


def test_every_typed_value_has_a_writer_and_a_strategy() -> None:
    response_types = set(typing.get_args(_responses.Response))
    assert response_types == set(_encoder._WRITERS)
    codes = {
        cls
        for name in _responses.__all__
        if isinstance(cls := getattr(_responses, name), type)
        and issubclass(cls, _responses.ResponseCode)
        and cls is not _responses.ResponseCode
    }
    assert codes == set(_encoder._CODE_WRITERS)
    items = {
        cls
        for name in _responses.__all__
        if isinstance(cls := getattr(_responses, name), type)
        and issubclass(cls, _responses.FetchDataItem)
        and cls is not _responses.FetchDataItem
    }
    assert items == set(_encoder._ITEM_WRITERS)
    source = Path(_response_strategies.__file__).read_text()
    for cls in response_types | codes | items:
        assert cls.__name__ in source, f"no strategy builds {cls.__name__}"


def test_status_items_follow_the_given_order() -> None:
    """RFC 3501 6.3.10: any order is valid; the server may keep the client's."""
    from imap_sansio._responses import StatusData

    data = StatusData(mailbox="INBOX", messages=3, uidnext=4, order=("UIDNEXT", "MESSAGES"))
    assert encode_response(data) == b"* STATUS INBOX (UIDNEXT 4 MESSAGES 3)\r\n"
    assert encode_response(StatusData(mailbox="INBOX", messages=3, uidnext=4)) == (
        b"* STATUS INBOX (MESSAGES 3 UIDNEXT 4)\r\n"
    )
    with pytest.raises(ValueError, match="must name each item"):
        StatusData(mailbox="INBOX", messages=3, order=("MESSAGES", "UIDNEXT"))
