"""UTF8=ACCEPT (RFC 6855): the rules test_server_rev2.py did not prove yet.

There: UTF-8 names after ENABLE and modified UTF-7 before (3), NFC names,
C1 controls and U+2028/U+2029 (3), ``APPEND ... UTF8 (~{n})`` (4) and the NO
for 8-bit headers without ENABLE (4).  Here: the BAD for malformed UTF-8 in
a quoted string, the C0 controls and DEL, SEARCH CHARSET, 8-bit strings in
responses only after ENABLE, and the UTF8 part of CATENATE (4).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from test_server_mailbox_hierarchy import Session, lines

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
GRUESSE = "Grüße".encode()
HEADER = b"Subject: " + GRUESSE + b"\r\n"


@pytest.fixture
def server() -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret"})
    backend.account("alice").append(
        "INBOX", HEADER + b"\r\nHallo\r\n", flags=frozenset(), internal_date=DATE
    )
    return IMAPServer(backend, clock=fixed_clock())


def utf8(session: Session) -> Session:
    assert session(b"e ENABLE UTF8=ACCEPT") == lines(
        "* ENABLED UTF8=ACCEPT", "e OK ENABLE completed"
    )
    return session


def test_malformed_utf8_in_a_quoted_string_is_bad(server: IMAPServer) -> None:
    # RFC 6855 3: "the server MUST reject, with a "BAD" response, any octet
    # sequences with the high bit set that fail to comply with ... UTF-8".
    alice = utf8(Session(server))
    alice(b"s SELECT INBOX")
    assert alice(b'c CREATE "bad\xff"') == lines(
        "c BAD [CLIENTBUG] CREATE: invalid UTF-8 in mailbox name at byte 9"
    )
    assert alice(b'x SEARCH SUBJECT "Gr\xc3"') == lines(
        "x BAD [CLIENTBUG] SEARCH: invalid UTF-8 in SUBJECT string at byte 17"
    )
    assert alice(b'y SEARCH SUBJECT "' + GRUESSE + b'"') == lines(
        "* SEARCH 1", "y OK SEARCH completed"
    )


@pytest.mark.parametrize(
    ("char", "answer"),
    [
        # NUL is no CHAR8 (RFC 3501 9), so not even a literal may carry it.
        ("\x00", "c BAD [CLIENTBUG] CREATE: NUL in literal (only literal8 may hold NUL) at byte 9"),
        ("\x01", "c NO [CANNOT] Invalid mailbox name: control character in mailbox name"),
        ("\x1f", "c NO [CANNOT] Invalid mailbox name: control character in mailbox name"),
        ("\x7f", "c NO [CANNOT] Invalid mailbox name: control character in mailbox name"),
    ],
)
def test_c0_controls_and_delete_make_no_mailbox_name(
    server: IMAPServer, char: str, answer: str
) -> None:
    # RFC 6855 3: "MUST NOT contain control characters (U+0000-U+001F ...),
    # a delete character (U+007F)", sent here in a literal.
    alice = utf8(Session(server))
    assert alice(b"c CREATE {3+}\r\n" + ("a" + char + "b").encode()) == lines(answer)
    assert alice(b'l LIST "" a*') == lines("l OK LIST completed")


def test_search_charset_after_enable_is_bad(server: IMAPServer) -> None:
    # RFC 6855 3: "it SHOULD reject the command with a "BAD" response".
    alice = Session(server)
    alice(b"s SELECT INBOX")
    assert alice(b"a SEARCH CHARSET UTF-8 SUBJECT Gr") == lines(
        "* SEARCH 1", "a OK SEARCH completed"
    )
    utf8(alice)
    assert alice(b"b SEARCH CHARSET UTF-8 SUBJECT Gr") == lines(
        "b BAD [CLIENTBUG] No CHARSET after ENABLE UTF8=ACCEPT"
    )


def test_8bit_strings_go_out_quoted_only_after_enable(server: IMAPServer) -> None:
    # RFC 6855 3: "The IMAP server MUST NOT send UTF-8 in quoted-strings to
    # the client unless the client has indicated support ... by using the
    # "ENABLE UTF8=ACCEPT" command": before it, a literal.
    alice = Session(server)
    alice(b"s SELECT INBOX")
    envelope = b"* 1 FETCH (ENVELOPE (NIL %s NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"
    assert alice(b"f FETCH 1 ENVELOPE") == (
        envelope % (b"{7}\r\n" + GRUESSE) + b"f OK FETCH completed\r\n"
    )
    utf8(alice)
    assert alice(b"g FETCH 1 ENVELOPE") == (
        envelope % (b'"' + GRUESSE + b'"') + b"g OK FETCH completed\r\n"
    )


def test_catenate_takes_a_utf8_part(server: IMAPServer) -> None:
    # RFC 6855 4: "cat-part =/ utf8-literal", the same data extension as
    # APPEND's, and like it only after ENABLE UTF8=ACCEPT.
    alice = Session(server)
    append = (
        b"a APPEND INBOX CATENATE (UTF8 (~{%d+}\r\n" % len(HEADER)
        + HEADER
        + b") TEXT {9+}\r\n\r\nHallo\r\n)"
    )
    assert alice(append) == lines("a BAD [CLIENTBUG] APPEND UTF8 needs ENABLE UTF8=ACCEPT")
    utf8(alice)
    assert alice(append.replace(b"a ", b"b ", 1)) == lines("b OK [APPENDUID 1 2] APPEND completed")
    alice(b"s SELECT INBOX")
    assert alice(b"f UID FETCH 1:2 BODY.PEEK[]") == (
        b"* 1 FETCH (UID 1 BODY[] {27}\r\n" + HEADER + b"\r\nHallo\r\n)\r\n"
        b"* 2 FETCH (UID 2 BODY[] {27}\r\n" + HEADER + b"\r\nHallo\r\n)\r\n"
        b"f OK FETCH completed\r\n"
    )
