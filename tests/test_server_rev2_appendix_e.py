"""RFC 9051 appendix E, item by item, for a client that sent ENABLE IMAP4rev2.

test_server_rev2.py holds the items it already proved (named here beside
each number); this file proves the rest that a server can show on the wire.
Items about clients only (22, 23), TLS and deployment (25, 26, 28, 29, 30)
or the documents themselves (13: "doesn't need to send") have no server
bytes to assert.  Item 27 (SCRAM-SHA-256) is test_server_sasl.py's.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from test_encoder_rfc_examples import _LINES
from test_server_mailbox_hierarchy import Session, lines
from test_server_rev2 import rev2

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

# Appendix E items already proven in test_server_rev2.py:
#  2 NAMESPACE folded in: test_rev2_namespace; UNSELECT, UIDPLUS, SEARCHRES,
#    MOVE, BINARY: test_rev2_client_does_what_a_rev1_client_does;
#    LIST-EXTENDED and LIST-STATUS: test_rev2_list_*_example
#  3 STATUS DELETED and SIZE: test_rev2_status_deleted_and_size
#  8 TRYCREATE for COPY: test_rev2_response_codes
# 10 SELECT's LIST, 12 no RECENT: test_select_under_rev2_sends_list_and_no_recent
# 12 no \Recent: test_rev2_fetch_and_search_show_no_recent
# 16 UTF-8 names and headers: test_utf8_names_*, test_append_with_8bit_header_*
# 19 LIST (SUBSCRIBED) for LSUB: test_rev2_client_does_what_a_rev1_client_does
# 21 UID in unsolicited FETCH: test_rev2_unsolicited_fetch_carries_uid

MESSAGES = [b"Subject: message %d\r\n\r\nbody %d\r\n" % (n, n) for n in range(1, 6)]


@pytest.fixture
def backend() -> MemoryBackend:
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    for data in MESSAGES:
        account.append("INBOX", data, flags=frozenset(), internal_date=DATE)
    return backend


@pytest.fixture
def server(backend: MemoryBackend) -> IMAPServer:
    return IMAPServer(backend, clock=fixed_clock())


@pytest.fixture
def alice(server: IMAPServer) -> Session:
    session = rev2(Session(server))
    assert session(b"s SELECT INBOX").endswith(b"s OK [READ-WRITE] SELECT completed\r\n")
    return session


def test_e1_partial_and_sizes_are_number64(alice: Session) -> None:
    # RFC 9051 9: partial = "<" number64 "." nz-number64 ">"; a fetch past
    # the end "is truncated as appropriate" (6.4.5), here to nothing.
    assert alice(b"f FETCH 1 BODY.PEEK[]<4294967296.10>") == lines(
        "* 1 FETCH (BODY[]<4294967296> {0}", ")", "f OK FETCH completed"
    )
    assert alice(b"g FETCH 1 BINARY.PEEK[1]<0.4294967296>") == lines(
        "* 1 FETCH (BINARY[1]<0> {8}", "body 1", ")", "g OK FETCH completed"
    )
    # search-key =/ "LARGER" SP number64 / "SMALLER" SP number64
    assert alice(b"l SEARCH LARGER 4294967296") == lines(
        '* ESEARCH (TAG "l")', "l OK SEARCH completed"
    )
    assert alice(b"m SEARCH SMALLER 4294967296") == lines(
        '* ESEARCH (TAG "m") ALL 1:5', "m OK SEARCH completed"
    )
    # literal = "{" number64 ["+"] "}": a size past 32 bits is read as a
    # size (and refused as too big), not as a syntax error.
    assert alice(b"a APPEND INBOX {4294967296}") == lines(
        "a NO [TOOBIG] Message too big (the limit is 67108864 bytes)"
    )


def test_e2_folded_in_special_use_idle_and_uid_expunge(server: IMAPServer, alice: Session) -> None:
    # SPECIAL-USE's mailbox attributes (RFC 9051 7.3.1's list), IDLE
    # (6.3.13) and UIDPLUS's UID EXPUNGE (6.4.9) without naming them.
    assert alice(b"c CREATE Sent (USE (\\Sent))") == lines("c OK CREATE completed")
    assert alice(b'l LIST "" Sent') == lines(
        '* LIST (\\HasNoChildren \\Sent) "/" Sent', "l OK LIST completed"
    )
    assert alice(b"i IDLE") == lines("+ idling")
    bob = Session(server)
    bob(b"a APPEND INBOX {11+}\r\nSubject: x")
    alice.conn.poll()
    assert alice.conn.data_to_send() == lines("* 6 EXISTS")
    assert alice(b"DONE") == lines("i OK IDLE terminated")
    alice(b"d STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    assert alice(b"x UID EXPUNGE 2") == lines("* 2 EXPUNGE", "x OK EXPUNGE completed")


def test_e4_search_answers_esearch(alice: Session) -> None:
    # RFC 9051 6.4.4: SEARCH returns ESEARCH, UID only for UID SEARCH
    # (7.3.4), no result items when nothing matched, RETURN () is ALL.
    assert alice(b"a SEARCH 2:4") == lines('* ESEARCH (TAG "a") ALL 2:4', "a OK SEARCH completed")
    assert alice(b"b SEARCH DELETED") == lines('* ESEARCH (TAG "b")', "b OK SEARCH completed")
    assert alice(b"c SEARCH RETURN () 1,3") == lines(
        '* ESEARCH (TAG "c") ALL 1,3', "c OK SEARCH completed"
    )
    assert alice(b"d UID SEARCH RETURN (MIN MAX COUNT) ALL") == lines(
        '* ESEARCH (TAG "d") UID MIN 1 MAX 5 COUNT 5', "d OK SEARCH completed"
    )


def test_e5_substring_keys_and_exact_keywords(alice: Session) -> None:
    # RFC 9051 6.4.4: SUBJECT is a substring match; KEYWORD names a flag.
    assert alice(b'a SEARCH SUBJECT "SSAGE 3"') == lines(
        '* ESEARCH (TAG "a") ALL 3', "a OK SEARCH completed"
    )
    alice(b"s STORE 4 +FLAGS.SILENT ($Junk)")
    assert alice(b"b SEARCH KEYWORD $Jun") == lines('* ESEARCH (TAG "b")', "b OK SEARCH completed")
    assert alice(b"c SEARCH KEYWORD $junk") == lines(
        '* ESEARCH (TAG "c") ALL 4', "c OK SEARCH completed"
    )


def test_e6_rfc2231_continuations_are_decoded(backend: MemoryBackend, alice: Session) -> None:
    # RFC 9051 7.5.2 (BODYSTRUCTURE): parameter value continuations
    # (RFC 2231 3) are joined.
    backend.account("alice").append(
        "INBOX",
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; name*0="foo"; name*1="bar.txt"\r\n\r\nx\r\n',
        flags=frozenset(),
        internal_date=DATE,
    )
    alice(b"n NOOP")
    assert alice(b"f FETCH 6 BODYSTRUCTURE") == lines(
        '* 6 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" ("NAME" "foobar.txt") NIL NIL "7BIT" 3 1))',
        "f OK FETCH completed",
    )


def test_e7_e8_move_answers_copyuid_and_trycreate(alice: Session) -> None:
    # RFC 9051 6.4.8: COPYUID for MOVE as for UID MOVE (E 7); no target is
    # created, TRYCREATE says it can be (E 8).
    assert alice(b"m MOVE 1 nosuch") == lines("m NO [TRYCREATE] Mailbox does not exist")
    assert alice(b'l LIST "" nosuch') == lines("l OK LIST completed")
    assert alice(b"c CREATE Archive") == lines("c OK CREATE completed")
    assert alice(b"n MOVE 2:3 Archive") == lines(
        "* OK [COPYUID 2 2:3 1:2] Moved", "* 2 EXPUNGE", "* 2 EXPUNGE", "n OK MOVE completed"
    )


def test_e9_select_while_selected_says_closed(alice: Session) -> None:
    # RFC 9051 6.3.2: "the server MUST return an untagged OK response with
    # the "CLOSED" response code" before the new mailbox's responses.
    out = alice(b"x EXAMINE INBOX")
    assert out.startswith(b"* OK [CLOSED] Previous mailbox closed\r\n* FLAGS ")
    assert out.endswith(b"x OK [READ-ONLY] EXAMINE completed\r\n")


def test_e12_no_message_is_recent_for_search(alice: Session) -> None:
    # \Recent is gone for this client (E 12): NEW and RECENT find nothing,
    # OLD (NOT RECENT) everything.
    assert alice(b"a SEARCH NEW") == lines('* ESEARCH (TAG "a")', "a OK SEARCH completed")
    assert alice(b"b SEARCH RECENT") == lines('* ESEARCH (TAG "b")', "b OK SEARCH completed")
    assert alice(b"c SEARCH OLD") == lines('* ESEARCH (TAG "c") ALL 1:5', "c OK SEARCH completed")


def test_e12_status_recent_is_not_in_rev2(alice: Session) -> None:
    # RFC 9051 9: status-att = "MESSAGES" / "UIDNEXT" / "UIDVALIDITY" /
    # "UNSEEN" / "DELETED" / "SIZE"; appendix A: a server offering both
    # revisions returns removed items only when an IMAP4rev1 client asks.
    assert alice(b"s STATUS INBOX (MESSAGES RECENT)") == lines(
        "s BAD [CLIENTBUG] STATUS item RECENT is not in IMAP4rev2"
    )
    assert alice(b't LIST "" INBOX RETURN (STATUS (RECENT))') == lines(
        "t BAD [CLIENTBUG] STATUS item RECENT is not in IMAP4rev2"
    )
    assert alice(b"u STATUS INBOX (MESSAGES)") == lines(
        "* STATUS INBOX (MESSAGES 5)", "u OK STATUS completed"
    )


def test_e15_the_five_keywords_are_kept(alice: Session) -> None:
    # RFC 9051 2.3.2: "$MDNSent", "$Forwarded", "$Junk", "$NonJunk" and
    # "$Phishing" SHOULD be supported; PERMANENTFLAGS had \* so they stick.
    out = alice(b"k STORE 1 +FLAGS ($MDNSent $Forwarded $Junk $NonJunk $Phishing)")
    assert out.endswith(
        b"* 1 FETCH (FLAGS ($Forwarded $Junk $MDNSent $NonJunk $Phishing))\r\n"
        b"k OK STORE completed\r\n"
    )
    assert alice(b"f FETCH 1 FLAGS") == lines(
        "* 1 FETCH (FLAGS ($Forwarded $Junk $MDNSent $NonJunk $Phishing))", "f OK FETCH completed"
    )


def test_e20_idle_reports_another_mailbox(server: IMAPServer, alice: Session) -> None:
    # RFC 9051 6.3.13: "the server MAY send ... other untagged responses"
    # during IDLE, e.g., what NOTIFY (RFC 5465) asked for another mailbox.
    assert alice(b"c CREATE Lists") == lines("c OK CREATE completed")
    assert alice(b"n NOTIFY SET (mailboxes Lists (MessageNew MessageExpunge))") == lines(
        "n OK NOTIFY completed"
    )
    assert alice(b"i IDLE") == lines("+ idling")
    bob = Session(server)
    bob(b"a APPEND Lists {11+}\r\nSubject: x")
    alice.conn.poll()
    # RFC 5465 5.2: a new message in another mailbox is told by STATUS.
    assert alice.conn.data_to_send() == lines("* STATUS Lists (UIDNEXT 2 MESSAGES 1)")
    assert alice(b"DONE") == lines("i OK IDLE terminated")


def _rfc9051(line: int) -> bytes:
    """RFC 9051's example line at ``line`` (client or server), as bytes."""
    return _LINES[(9051, line)].encode()


def _code_part(line: bytes) -> bytes:
    """A status response up to the end of its response code."""
    return line[: line.index(b"]") + 1]


@pytest.mark.parametrize(
    ("setup", "command", "rfc_answer", "ours"),
    [
        # (the text after the code is the server's choice; ours differs)
        (["c CREATE this", "d CREATE that"], 4953, 4954, "Mailbox already exists"),
        ([], 5020, 5021, "Mailbox name has an empty level of hierarchy"),
        ([], 5144, 5145, "Mailbox does not exist"),
        # The RFC's answer is tagged o356 for the command m356 (a slip in
        # the example); ours answers the command's own tag.
        (
            ["c CREATE Notes/x", "d DELETE Notes"],
            5116,
            5117,
            "Mailbox has inferior hierarchical names",
        ),
    ],
)
def test_e2_section_7_1_examples(
    backend: MemoryBackend, setup: list[str], command: int, rfc_answer: int, ours: str
) -> None:
    # RFC 9051 7.1 (RFC 5530's codes folded in, appendix E 2), each example
    # command as printed, after ENABLE IMAP4rev2.
    session = rev2(Session(IMAPServer(backend, clock=fixed_clock())))
    for line in setup:
        assert session(line.encode()).endswith(
            b" OK " + line.split()[1].encode() + b" completed\r\n"
        )
    out = session(_rfc9051(command))
    tag = _rfc9051(command).split()[0]
    code = _code_part(_rfc9051(rfc_answer)).split(b" ", 1)[1]
    assert out == tag + b" " + code + b" " + ours.encode() + b"\r\n"


def test_e2_section_7_1_authentication_examples(server: IMAPServer) -> None:
    # RFC 9051 7.1 AUTHENTICATIONFAILED (word for word), AUTHORIZATIONFAILED
    # (the example hides the exchange as "[...]": here PLAIN with "bob" as
    # the authorization identity; the text is ours), PRIVACYREQUIRED (on a
    # connection without TLS; the text is ours).
    anonymous = Session(server, user="")
    assert anonymous(_rfc9051(4992)) == _rfc9051(4993) + b"\r\n"
    assert anonymous(_rfc9051(5002)) == b"+ \r\n"
    assert anonymous(base64.b64encode(b"bob\x00alice\x00secret")) == (
        _code_part(_rfc9051(5004)) + b" Not authorized to act as that user\r\n"
    )
    insecure = server.connect(secure=False)
    insecure.data_to_send()
    insecure.receive_data(_rfc9051(5061) + b"\r\n")
    assert insecure.data_to_send() == (
        b"e NO [PRIVACYREQUIRED] Plaintext authentication is disabled without TLS\r\n"
    )
    assert _code_part(_rfc9051(5201)).split(b" ", 1)[1] == b"NO [PRIVACYREQUIRED]"
