"""IMAP URLs (RFC 5092): the examples of RFC 5092 9, CATENATE's and URLAUTH's
forms (RFC 4469, RFC 4467), what is refused, and the canonical round trip."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings

from imap_sansio._commands import Section
from imap_sansio._imapurl import ImapUrl, ImapUrlError, parse_imap_url
from imap_sansio._parser import ParseError, parse_section_spec
from imap_sansio.testing.strategies import imap_urls


def test_rfc5092_example_a_partial_of_a_message() -> None:
    url = parse_imap_url(
        "imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024"
    )
    assert url == ImapUrl(
        host="minbari.example.org",
        mailbox="gray-council",
        uidvalidity=385759045,
        uid=20,
        partial=(0, 1024),
    )


def test_rfc5092_example_a_mailbox_named_in_utf8() -> None:
    url = parse_imap_url(
        "imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97"
    )
    assert url == ImapUrl(host="psicorp.example.org", mailbox="~peter/日本語/台北")
    assert str(url) == (
        "imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97"
    )


def test_rfc5092_example_an_auth_type_and_a_section() -> None:
    url = parse_imap_url(
        "imap://;AUTH=GSSAPI@minbari.example.org/gray-council/;uid=20/;section=1.2"
    )
    assert url == ImapUrl(
        host="minbari.example.org", auth="GSSAPI", mailbox="gray-council", uid=20, section="1.2"
    )


def test_rfc5092_example_a_search() -> None:
    url = parse_imap_url("imap://;AUTH=*@minbari.example.org/gray%20council?SUBJECT%20shadows")
    assert url == ImapUrl(
        host="minbari.example.org", auth="*", mailbox="gray council", search="SUBJECT shadows"
    )


def test_rfc5092_example_a_search_with_a_literal() -> None:
    url = parse_imap_url(
        "imap://john;AUTH=*@minbari.example.org/babylon5/personel?charset%20UTF-8%20SUBJECT"
        "%20%7B14+%7D%0D%0A%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0"
    )
    assert url.user == "john"
    assert url.auth == "*"
    assert url.mailbox == "babylon5/personel"
    # "Ivanova" in Cyrillic, 14 octets of UTF-8
    assert url.search == "charset UTF-8 SUBJECT {14+}\r\n\u0418\u0432\u0430\u043d\u043e\u0432\u0430"


def test_rfc4469_catenate_urls_are_relative_to_the_server() -> None:
    # RFC 4469 5's example URL parts.
    url = parse_imap_url("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME")
    assert url == ImapUrl(mailbox="Drafts", uidvalidity=385759045, uid=20, section="1.MIME")
    assert str(url) == "/Drafts;UIDVALIDITY=385759045/;UID=20/;SECTION=1.MIME"


def test_rfc4467_urlauth_rump_and_full_url() -> None:
    rump = "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred"
    url = parse_imap_url(rump + ":internal:91354a473744909de610943775f92038")
    assert url == ImapUrl(
        host="example.com",
        user="joe",
        mailbox="INBOX",
        uid=20,
        section="1.2",
        access="submit",
        access_user="fred",
        mechanism="INTERNAL",
        token="91354a473744909de610943775f92038",
    )
    assert url.rump == "imap://joe@example.com/INBOX/;UID=20/;SECTION=1.2;URLAUTH=submit+fred"
    assert parse_imap_url(rump).rump == url.rump


def test_an_expiry_is_an_rfc3339_date_time() -> None:
    url = parse_imap_url(
        "imap://joe@example.com/INBOX/;uid=20;expire=2006-04-10T20:00:00Z;urlauth=anonymous"
    )
    assert url.expire == datetime.datetime(2006, 4, 10, 20, tzinfo=datetime.UTC)
    assert str(url).endswith(";EXPIRE=2006-04-10T20:00:00Z;URLAUTH=anonymous")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "imap:",
        "http://example.com/INBOX",
        "imap://example.com/INBOX;UID=20",  # ;UID= needs "/"
        "imap://example.com/INBOX/;UID=1;UIDVALIDITY=1",  # out of order, no "/"
        "imap://example.com/INBOX/;UID=0",  # nz-number
        "imap://example.com/INBOX/;UID=4294967296",
        "imap://example.com/INBOX/;SECTION=1",  # a section needs a UID
        "imap://example.com/INBOX/;UID=1/;PARTIAL=1.0",  # a length is nz-number
        "imap://example.com/IN BOX/;UID=1",
        "imap://example.com/INBOX/;UID=1?ALL",  # a search is for a list
        "/INBOX/;UID=1;URLAUTH=anonymous",  # URLAUTH needs an absolute URL
        "imap://example.com/INBOX/;UID=1;URLAUTH=someone",
        "imap://example.com/INBOX/;UID=1;URLAUTH=user+",
        "imap://example.com/INBOX/;UID=1;URLAUTH=anonymous:internal:abc",  # token < 32
        "imap://example.com/INBOX/;UID=1;EXPIRE=yesterday;URLAUTH=anonymous",
        "imap://example.com/INBOX/;UID=1;EXPIRE=2006-04-10T20:00:00;URLAUTH=anonymous",
        "imap://example.com/%FF/;UID=1",  # not UTF-8
        "imap://example.com/INBOX/;UID=1/;PARTIAL=x",
    ],
)
def test_what_is_not_an_imap_url_is_refused(text: str) -> None:
    with pytest.raises(ImapUrlError):
        parse_imap_url(text)


def test_the_section_spec_reads_as_fetch_reads_it() -> None:
    assert parse_section_spec("1.2.MIME") == Section(part=(1, 2), text="MIME")
    assert parse_section_spec("header.fields (from to)") == Section(
        text="HEADER.FIELDS", fields=("from", "to")
    )
    with pytest.raises(ParseError):
        parse_section_spec("1.0")
    with pytest.raises(ParseError):
        parse_section_spec("TEXT]x")


@settings(max_examples=300, deadline=None)
@given(imap_urls())
def test_a_url_written_and_read_again_is_the_same_url(url: ImapUrl) -> None:
    text = str(url)
    assert parse_imap_url(text) == url
    assert str(parse_imap_url(text)) == text
