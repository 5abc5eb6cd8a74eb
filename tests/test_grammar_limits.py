"""Every number is range-checked where it is parsed, and every list a command
can grow is counted while parsing (issue 11, goals 4 and 6).

RFC 3501 9: number and nz-number are below 2^32 (section parts, partials,
sequence numbers, UIDs); RFC 7162 7: mod-sequence-value is below 2^63.  A
number out of range is a tagged BAD that says so, before anything happens
(no \\Seen is set by a FETCH that fails).  RFC 5530 3: LIMIT is the code for
a command over a server limit.
"""

from __future__ import annotations

import tracemalloc

import pytest

from imap_sansio import Config, Limits
from imap_sansio.server import IMAPServer, MemoryBackend, Session
from imap_sansio.testing import fixed_clock

MESSAGE = b"Subject: x\r\n\r\nhello\r\n"


def selected(limits: Limits | None = None) -> Session:
    config = Config(limits=limits) if limits is not None else None
    server = IMAPServer(
        MemoryBackend(users={"alice": "secret"}), config=config, clock=fixed_clock()
    )
    conn = server.connect()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    conn.receive_data(b"b APPEND INBOX {%d+}\r\n" % len(MESSAGE) + MESSAGE + b"\r\n")
    conn.receive_data(b"c SELECT INBOX\r\n")
    assert conn.data_to_send().endswith(b"c OK [READ-WRITE] SELECT completed\r\n")
    return conn


def answer(conn: Session, command: bytes) -> bytes:
    conn.receive_data(command + b"\r\n")
    return conn.data_to_send()


PART = b"section part out of range (1..4294967295)"


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (b"f FETCH 1 BODY[4294967296]", b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 15"),
        (b"f FETCH 1 BODY[9999999999]", b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 15"),
        (b"f FETCH 1 BODY[123456789012]", b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 15"),
        (b"f FETCH 1 BODY[0]", b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 15"),
        (b"f FETCH 1 BODY[1.0.TEXT]", b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 15"),
        (
            b"f FETCH 1 BODY[1.4294967296.MIME]",
            b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 15",
        ),
        (b"f FETCH 1 BODY[4294967296.MIME]", b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 15"),
        (b"f FETCH 1 BINARY[4294967296]", b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 17"),
        (
            b"f FETCH 1 BINARY.PEEK[4294967296]",
            b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 22",
        ),
        (
            b"f FETCH 1 BINARY.SIZE[4294967296]",
            b"f BAD [CLIENTBUG] FETCH: " + PART + b" at byte 22",
        ),
        # partial = "<" number64 "." nz-number64 ">" (RFC 9051 9, appendix E 1)
        (
            b"f FETCH 1 BODY.PEEK[]<9223372036854775808.1>",
            b"f BAD [CLIENTBUG] FETCH: partial offset out of range (0..9223372036854775807) "
            b"at byte 21",
        ),
        (
            b"f FETCH 1 BODY.PEEK[]<99999999999999999999999.1>",
            b"f BAD [CLIENTBUG] FETCH: partial offset out of range (0..9223372036854775807) "
            b"at byte 21",
        ),
        (
            b"f FETCH 1 BINARY.PEEK[1]<0.9223372036854775808>",
            b"f BAD [CLIENTBUG] FETCH: partial length out of range (1..9223372036854775807) "
            b"at byte 24",
        ),
        (
            b"f FETCH 1 BODY.PEEK[]<0.0>",
            b"f BAD [CLIENTBUG] FETCH: partial length out of range (1..9223372036854775807) "
            b"at byte 21",
        ),
        (
            b"f SEARCH RETURN (PARTIAL 1:4294967296) ALL",
            b"f BAD [CLIENTBUG] SEARCH: partial range out of range (1..4294967295) at byte 25",
        ),
        (
            b"f FETCH 4294967296 FLAGS",
            b"f BAD [CLIENTBUG] FETCH: sequence set out of range (1..4294967295) at byte 8",
        ),
        (
            b"f UID FETCH 1:4294967296 FLAGS",
            b"f BAD [CLIENTBUG] UID: UID set out of range (1..4294967295) at byte 12",
        ),
        (
            b"f SEARCH YOUNGER 4294967296",
            b"f BAD [CLIENTBUG] SEARCH: interval out of range (1..4294967295) at byte 17",
        ),
        (
            b"f SEARCH LARGER 9223372036854775808",
            b"f BAD [CLIENTBUG] SEARCH: size out of range (0..9223372036854775807) at byte 16",
        ),
        (
            b"f SEARCH MODSEQ 9223372036854775808",
            b"f BAD [CLIENTBUG] SEARCH: mod-sequence-value out of range"
            b" (0..9223372036854775807) at byte 16",
        ),
        (
            b"f STORE 1 (UNCHANGEDSINCE 9223372036854775808) +FLAGS (x)",
            b"f BAD [CLIENTBUG] STORE: mod-sequence-value out of range"
            b" (0..9223372036854775807) at byte 26",
        ),
        (
            b"f FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)",
            b"f BAD [CLIENTBUG] FETCH: mod-sequence-value out of range"
            b" (0..9223372036854775807) at byte 30",
        ),
        (
            b"f SELECT INBOX (QRESYNC (4294967296 1))",
            b"f BAD [CLIENTBUG] SELECT: UIDVALIDITY out of range (1..4294967295) at byte 25",
        ),
    ],
)
def test_a_number_out_of_range_is_a_tagged_bad_before_anything_happens(
    command: bytes, reply: bytes
) -> None:
    conn = selected()
    assert answer(conn, command) == reply + b"\r\n"
    # Nothing happened: the message is still unseen and the session goes on.
    assert answer(conn, b"g FETCH 1 FLAGS") == (
        b"* 1 FETCH (FLAGS (\\Recent))\r\ng OK FETCH completed\r\n"
    )


def test_the_largest_section_number_is_valid_and_names_no_part() -> None:
    """4294967295 is a valid nz-number: a part that does not exist is empty
    (RFC 3501 6.4.5 leaves it to the server; never an error)."""
    conn = selected()
    assert answer(conn, b"f FETCH 1 BODY.PEEK[4294967295]") == (
        b"* 1 FETCH (BODY[4294967295] {0}\r\n)\r\nf OK FETCH completed\r\n"
    )


def test_search_with_more_keys_than_the_limit_is_bad_limit() -> None:
    conn = selected(Limits(max_list_items=100))
    assert answer(conn, b"f SEARCH " + b"ALL " * 100 + b"ALL") == (
        b"f BAD [LIMIT] SEARCH: too many search keys"
        b" (at most 100 list items in a command) at byte 409\r\n"
    )
    assert answer(conn, b"g SEARCH " + b"ALL " * 99 + b"ALL") == (
        b"* SEARCH 1\r\ng OK SEARCH completed\r\n"
    )


def test_nested_search_keys_count_too() -> None:
    conn = selected(Limits(max_list_items=10))
    assert answer(conn, b"f SEARCH NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT ALL") == (
        b"f BAD [LIMIT] SEARCH: too many search keys"
        b" (at most 10 list items in a command) at byte 49\r\n"
    )


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (
            b"f FETCH 1 (FLAGS UID RFC822.SIZE INTERNALDATE)",
            b"f BAD [LIMIT] FETCH: too many fetch attributes"
            b" (at most 3 list items in a command) at byte 33",
        ),
        (
            b"f STORE 1 +FLAGS (a b c d)",
            b"f BAD [LIMIT] STORE: too many FLAGS items"
            b" (at most 3 list items in a command) at byte 24",
        ),
        (
            b"f SORT (DATE SUBJECT FROM SIZE) UTF-8 ALL",
            b"f BAD [LIMIT] SORT: too many sort keys"
            b" (at most 3 list items in a command) at byte 26",
        ),
        (
            b"f STATUS INBOX (MESSAGES UIDNEXT UNSEEN RECENT)",
            b"f BAD [LIMIT] STATUS: too many status items"
            b" (at most 3 list items in a command) at byte 40",
        ),
        (
            b"f FETCH 1 BODY.PEEK[HEADER.FIELDS (A B C D)]",
            b"f BAD [LIMIT] FETCH: too many header field names"
            b" (at most 3 list items in a command) at byte 39",
        ),
        (
            # RFC 5464 4.3: entry-values, each an entry and its value
            b"f SETMETADATA INBOX (/private/a NIL /private/b NIL /private/c NIL /private/d NIL)",
            b"f BAD [LIMIT] SETMETADATA: too many entry values"
            b" (at most 3 list items in a command) at byte 66",
        ),
        (
            # RFC 5465 8: events = "(" event *(SP event) ")"
            b"f NOTIFY SET (selected (MessageNew MessageExpunge FlagChange MailboxName))",
            b"f BAD [LIMIT] NOTIFY: too many events (at most 3 list items in a command) at byte 61",
        ),
        (
            b"f NOTIFY SET (selected (MessageNew (UID FLAGS ENVELOPE BODY) MessageExpunge))",
            b"f BAD [LIMIT] NOTIFY: too many fetch attributes"
            b" (at most 3 list items in a command) at byte 46",
        ),
        (
            b"f GETMETADATA INBOX /private/a /private/b /private/c /private/d /private/e",
            b"f BAD [LIMIT] GETMETADATA: too many entries"
            b" (at most 3 list items in a command) at byte 64",
        ),
    ],
)
def test_every_list_counts_against_the_limit(command: bytes, reply: bytes) -> None:
    conn = selected(Limits(max_list_items=3))
    assert answer(conn, command) == reply + b"\r\n"


def test_sequence_set_ranges_have_their_own_limit() -> None:
    conn = selected(Limits(max_set_ranges=4))
    assert answer(conn, b"f FETCH 1,1,1,1,1 FLAGS") == (
        b"f BAD [LIMIT] FETCH: too many ranges"
        b" (at most 4 in a command's sequence sets) at byte 8\r\n"
    )
    assert answer(conn, b"g FETCH 1,1:1,1,1 FLAGS") == (
        b"* 1 FETCH (FLAGS (\\Recent))\r\ng OK FETCH completed\r\n"
    )


def test_multiappend_messages_and_their_flags_count() -> None:
    conn = selected(Limits(max_list_items=3))
    one = b" (x) {%d+}\r\n" % len(MESSAGE) + MESSAGE
    assert answer(conn, b"f APPEND INBOX" + one * 2) == (
        b"f BAD [LIMIT] APPEND: too many flags (at most 3 list items in a command) at byte 49\r\n"
    )
    # The messages of a MULTIAPPEND are literals: the framing count meets
    # them first (and a client that does not wait for it is ended).
    assert answer(conn, b"g APPEND INBOX" + one * 4) == (
        b"g BAD [LIMIT] Too many literals in one command (the limit is 3)\r\n"
        b"* BYE [LIMIT] Too many literals in one command (the limit is 3)\r\n"
    )


def test_a_million_keys_in_literals_are_refused_while_framing_in_bounded_memory() -> None:
    """Literals keep each line short, so one SEARCH can carry a million keys:
    the engine counts literals while framing and answers BAD [LIMIT] at the
    first one over the limit; a client that goes on sending literals
    without waiting for an answer is ended (RFC 7888 4), holding none of it."""
    conn = selected()
    conn.receive_data(b"f SEARCH")
    chunk = b" SUBJECT {1+}\r\nx" * 1000
    replies = b""
    tracemalloc.start()
    try:
        for _ in range(1000):  # a million keys, 14 MB
            conn.receive_data(chunk)
            replies += conn.data_to_send()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert replies == (
        b"f BAD [LIMIT] Too many literals in one command (the limit is 10000)\r\n"
        b"* BYE [LIMIT] Too many literals in one command (the limit is 10000)\r\n"
    )
    assert conn.closed
    assert peak < 4 << 20, peak


def test_a_synchronising_literal_over_the_count_gets_no_continuation() -> None:
    conn = selected(Limits(max_list_items=2))
    conn.receive_data(b"f SEARCH HEADER {1+}\r\nx {1+}\r\ny HEADER {1}\r\n")
    assert conn.data_to_send() == (
        b"f BAD [LIMIT] Too many literals in one command (the limit is 2)\r\n"
    )
    assert answer(conn, b"g NOOP") == b"g OK NOOP completed\r\n"
