"""The grammar of ESEARCH (RFC 7377 4), PARTIAL (RFC 9394 4) and the METADATA
response (RFC 5464 5): exact events from the RFCs' command lines, exact
bytes from typed responses, and the strict parser reading them back."""

from __future__ import annotations

import pytest
from response_parser import ResponseParseError, parse_response

from imap_sansio._encoder import encode_response
from imap_sansio._parser import ParseError, parse_command
from imap_sansio._responses import ESearchData, MetadataData
from imap_sansio._sequence import SequenceSet, UidSet
from imap_sansio.commands import (
    ESearch,
    Fetch,
    FetchAttribute,
    SearchAnd,
    SearchFlag,
    SearchMessages,
    SearchSource,
    SearchText,
)


def test_rfc7377_esearch_lines_parse() -> None:
    # RFC 7377 3 (the second line joined as on the wire)
    assert parse_command(
        b'tag2 ESEARCH IN (mailboxes "folder1" subtree-one "folder2") subject "chad"\r\n'
    ) == ESearch(
        tag="tag2",
        sources=(
            SearchSource(filter="MAILBOXES", mailboxes=("folder1",)),
            SearchSource(filter="SUBTREE-ONE", mailboxes=("folder2",)),
        ),
        criteria=SearchAnd(keys=(SearchText(name="SUBJECT", value=b"chad"),)),
    )
    # RFC 7377 2: "UID ESEARCH" without sources (the selected mailbox)
    assert parse_command(b'tag1 UID ESEARCH FROM "frobozz" 1:100\r\n') == ESearch(
        tag="tag1",
        criteria=SearchAnd(
            keys=(
                SearchText(name="FROM", value=b"frobozz"),
                SearchMessages(messages=SequenceSet(ranges=((1, 100),))),
            )
        ),
        uid=True,
    )
    # one-or-more-mailbox as a list; INBOX in any case is INBOX
    command = parse_command(
        b"t ESEARCH IN (mailboxes (a inbox) personal) RETURN (COUNT PARTIAL -1:-9) ALL\r\n"
    )
    assert command == ESearch(
        tag="t",
        sources=(
            SearchSource(filter="MAILBOXES", mailboxes=("a", "INBOX")),
            SearchSource(filter="PERSONAL"),
        ),
        criteria=SearchAnd(keys=(SearchFlag(name="ALL"),)),
        return_options=("COUNT",),
        partial=(-1, -9),
    )


@pytest.mark.parametrize(
    "line",
    [
        b"t ESEARCH IN (selected-delayed) ALL\r\n",  # RFC 7377 4: not allowed
        b"t ESEARCH IN () ALL\r\n",
        b"t ESEARCH IN (subtree) ALL\r\n",  # subtree needs mailboxes
        b"t ESEARCH IN (personal (x)) ALL\r\n",  # no scope options are defined
        b"t ESEARCH IN (personal)\r\n",  # the search program is required
        b"t ESEARCH RETURN (PARTIAL -1:5) ALL\r\n",  # RFC 9394 4: one sign per range
        b"t ESEARCH RETURN (PARTIAL 0:5) ALL\r\n",  # nz-number
    ],
)
def test_invalid_esearch_is_a_parse_error(line: bytes) -> None:
    with pytest.raises(ParseError):
        parse_command(line)


def test_rfc9394_uid_fetch_partial_modifier_parses() -> None:
    # RFC 9394 3.4: the modifiers in either order
    for line in (
        b"101 UID FETCH 25900:26600 (UID FLAGS) (PARTIAL -1:-30 CHANGEDSINCE 98305)\r\n",
        b"101 UID FETCH 25900:26600 (UID FLAGS) (CHANGEDSINCE 98305 PARTIAL -1:-30)\r\n",
    ):
        command = parse_command(line)
        assert isinstance(command, Fetch)
        assert command.items == (FetchAttribute(name="UID"), FetchAttribute(name="FLAGS"))
        assert (command.partial, command.changedsince, command.uid) == ((-1, -30), 98305, True)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # RFC 5464 4.4.1 / 4.2.2
        (
            MetadataData(mailbox="", entries=(("/shared/comment", b"My comment"),)),
            b'* METADATA "" (/shared/comment "My comment")\r\n',
        ),
        (
            MetadataData(
                mailbox="INBOX",
                entries=(
                    ("/private/filters/values/small", b"SMALLER 5000"),
                    ("/private/filters/values/boss", b'FROM "boss@example.com"'),
                ),
            ),
            b'* METADATA "INBOX" (/private/filters/values/small "SMALLER 5000" '
            b'/private/filters/values/boss "FROM \\"boss@example.com\\"")\r\n',
        ),
        # RFC 5464 4.4.2: names only
        (
            MetadataData(mailbox="INBOX", names=("/shared/comment", "/private/comment")),
            b'* METADATA "INBOX" /shared/comment /private/comment\r\n',
        ),
        # multi-line values are literals, values with NUL literal8 (RFC 5464 5)
        (
            MetadataData(mailbox="INBOX", entries=(("/private/c", b"a\r\nb"),)),
            b'* METADATA "INBOX" (/private/c {4}\r\na\r\nb)\r\n',
        ),
        (
            MetadataData(
                mailbox="INBOX", entries=(("/private/c", b"a\x00b"), ("/private/d", None))
            ),
            b'* METADATA "INBOX" (/private/c ~{3}\r\na\x00b /private/d NIL)\r\n',
        ),
        # RFC 7377 3: the correlators
        (
            ESearchData(
                tag="tag1",
                mailbox="folder2/banana",
                uidvalidity=503,
                uid=True,
                all=UidSet(ranges=((3002, 3002), (4004, 4004))),
            ),
            b'* ESEARCH (TAG "tag1" MAILBOX "folder2/banana" UIDVALIDITY 503) UID ALL 3002,4004\r\n',  # noqa: E501
        ),
        # RFC 9394 3.1: a PARTIAL counted from the end, and NIL
        (
            ESearchData(tag="A04", uid=True, partial_range=(24000, 24500)),
            b'* ESEARCH (TAG "A04") UID PARTIAL (24000:24500 NIL)\r\n',
        ),
        (
            ESearchData(
                tag="A01", uid=True, partial_range=(-1, -100), partial=UidSet(ranges=((5, 9),))
            ),
            b'* ESEARCH (TAG "A01") UID PARTIAL (-1:-100 5:9)\r\n',
        ),
    ],
)
def test_responses_encode_to_the_rfc_bytes(response: object, expected: bytes) -> None:
    assert encode_response(response) == expected  # type: ignore[arg-type]
    assert parse_response(expected) == response


@pytest.mark.parametrize(
    "data",
    [
        b'* METADATA "INBOX" ()\r\n',
        b'* METADATA "INBOX" (/private/a)\r\n',
        b'* METADATA "INBOX" (/other/a "x")\r\n',
        b'* METADATA "INBOX" (/private/a* "x")\r\n',
        b'* ESEARCH (TAG "a" MAILBOX "x") ALL 1\r\n',  # MAILBOX without UIDVALIDITY
        b'* ESEARCH (TAG "a" TAG "b") ALL 1\r\n',
    ],
)
def test_the_strict_parser_refuses_malformed_responses(data: bytes) -> None:
    with pytest.raises(ResponseParseError):
        parse_response(data)


def test_invalid_typed_responses_are_refused() -> None:
    with pytest.raises(ValueError, match="either"):
        MetadataData(mailbox="INBOX")
    with pytest.raises(ValueError, match="together"):
        ESearchData(tag="a", mailbox="INBOX")
    with pytest.raises(ValueError, match="entry name"):
        MetadataData(mailbox="", names=("/private//x",))
