"""SEARCH and UID SEARCH: every RFC 3501 6.4.4 / RFC 9051 6.4.4 key, exact bytes.

The fixture mailbox (UIDs 2 to 6, sequence numbers 1 to 5, because UID 1
was expunged before the session selected it):

=== === ============================== ==========================================
seq uid flags                          what it is
=== === ============================== ==========================================
1   2   \\Seen \\Answered                plain ASCII; Date: 5 Mar 2007 +0200
2   3   \\Flagged $Work                  RFC 2047 From/Subject, base64 UTF-8 body;
                                       Date: 6 Mar 2007 23:30 -0500 (7 Mar UTC)
3   4   \\Deleted \\Draft                multipart: QP latin-1 text, HTML, a base64
                                       attachment; Bcc and X-Priority; no Date:
4   5   (none)                         To: a group; a long body; a [list] subject
5   6   \\Seen                           HEADER only message, no body
=== === ============================== ==========================================
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend, Session, StoreAction

CET = timezone(timedelta(hours=1))

MSG1 = (
    b"From: Alice Example <alice@example.org>\r\n"
    b"To: bob@example.com\r\n"
    b"Cc: Carol <carol@example.net>\r\n"
    b"Subject: Meeting tomorrow\r\n"
    b"Date: Mon, 05 Mar 2007 10:00:00 +0200\r\n"
    b"Message-ID: <m1@example.org>\r\n"
    b"\r\n"
    b"Let us meet at noon.\r\n"
)
MSG2 = (
    b"From: =?iso-8859-1?q?J=F6rg_Stra=DFer?= <joerg@example.de>\r\n"
    b"To: Alice Example <alice@example.org>\r\n"
    b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
    b"Date: Tue, 06 Mar 2007 23:30:00 -0500\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"U2Now7ZuZSBHcsO8w59lIHZvbSBSaGVpbi4=\r\n"  # "Schöne Grüße vom Rhein."
)
MSG3 = (
    b"From: Bob <bob@example.com>\r\n"
    b"To: alice@example.org\r\n"
    b"Bcc: dave@example.org\r\n"
    b"Subject: Re: Meeting tomorrow\r\n"
    b"X-Priority: 1\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n'
    b"\r\n"
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n'
    b"\r\n"
    b"--inner\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"See you at the caf=E9.\r\n"
    b"--inner\r\n"
    b"Content-Type: text/html\r\n"
    b"\r\n"
    b"<p>See you at the <b>cafe</b>.</p>\r\n"
    b"--inner--\r\n"
    b"--outer\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"c2VjcmV0d29yZA==\r\n"  # "secretword"
    b"--outer--\r\n"
)
MSG4 = (
    b"From: carol@example.net\r\n"
    b"To: friends: erin@example.org, frank@example.org;\r\n"
    b"Subject: [list] Fwd: meeting TOMORROW\r\n"
    b"Date: Wed, 07 Mar 2007 08:00:00 +0000\r\n"
    b"\r\n" + b"long line of text\r\n" * 60
)
MSG5 = b"From: Alice Example <alice@example.org>\r\nSubject: header only\r\n\r\n"

MESSAGES: list[tuple[bytes, tuple[str, ...], datetime]] = [
    (MSG1, ("\\Seen", "\\Answered"), datetime(2007, 3, 5, 9, 0, tzinfo=UTC)),
    # 00:30 on 7 March in +0100 is 23:30 on 6 March in UTC: BEFORE/ON/SINCE
    # use the date in the internal date's own zone (7 March).
    (MSG2, ("\\Flagged", "$Work"), datetime(2007, 3, 7, 0, 30, tzinfo=CET)),
    (MSG3, ("\\Deleted", "\\Draft"), datetime(2007, 3, 8, 12, 0, tzinfo=UTC)),
    (MSG4, (), datetime(2007, 3, 9, 12, 0, tzinfo=UTC)),
    (MSG5, ("\\Seen",), datetime(2007, 3, 10, 12, 0, tzinfo=UTC)),
]

NOW = datetime(2007, 3, 10, 13, 0, tzinfo=UTC)


def make_backend() -> MemoryBackend:
    backend = MemoryBackend(users={"user": "pass"})
    account = backend.account("user")
    # UID 1 is appended and expunged, so UIDs and sequence numbers differ.
    account.append("INBOX", b"Subject: gone\r\n\r\n", flags=("\\Deleted",), internal_date=NOW)
    account.select("INBOX").expunge()
    for data, flags, when in MESSAGES:
        account.append("INBOX", data, flags=flags, internal_date=when)
    return backend


def connect(backend: MemoryBackend, *, select: str | None = "SELECT") -> Session:
    session = IMAPServer(backend, clock=lambda: NOW).connect()
    session.data_to_send()
    session.receive_data(b"L LOGIN user pass\r\n")
    assert session.data_to_send().startswith(b"L OK")
    if select:
        session.receive_data(f"S {select} INBOX\r\n".encode())
        assert b"S OK" in session.data_to_send()
    return session


def run(session: Session, line: bytes) -> bytes:
    session.receive_data(line + b"\r\n")
    return session.data_to_send()


@pytest.fixture
def session() -> Session:
    return connect(make_backend())


def search(session: Session, criteria: str) -> bytes:
    return run(session, b"A SEARCH " + criteria.encode())


def result(numbers: str) -> bytes:
    line = b"* SEARCH" + (b" " + numbers.encode() if numbers else b"")
    return line + b"\r\nA OK SEARCH completed\r\n"


# ---------------------------------------------------------------- flags


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("ALL", "1 2 3 4 5"),
        ("ANSWERED", "1"),
        ("UNANSWERED", "2 3 4 5"),
        ("DELETED", "3"),
        ("UNDELETED", "1 2 4 5"),
        ("DRAFT", "3"),
        ("UNDRAFT", "1 2 4 5"),
        ("FLAGGED", "2"),
        ("UNFLAGGED", "1 3 4 5"),
        ("SEEN", "1 5"),
        ("UNSEEN", "2 3 4"),
        ("KEYWORD $Work", "2"),
        ("KEYWORD $work", "2"),  # flags are atoms: case-insensitive
        ("UNKEYWORD $Work", "1 3 4 5"),
        ("KEYWORD $Other", ""),
        ("unseen undeleted", "2 4"),
    ],
)
def test_flag_keys_select_messages_by_flag(session: Session, criteria: str, expected: str) -> None:
    assert search(session, criteria) == result(expected)


def test_recent_new_old_follow_the_sessions_recent_set() -> None:
    backend = make_backend()
    first = connect(backend)
    # RFC 3501 2.3.2: the first session claimed \Recent for all five.
    assert search(first, "RECENT") == result("1 2 3 4 5")
    # RFC 3501 6.4.4: NEW = RECENT UNSEEN; OLD = NOT RECENT.
    assert search(first, "NEW") == result("2 3 4")
    assert search(first, "OLD") == result("")
    second = connect(backend)
    assert search(second, "RECENT") == result("")
    assert search(second, "NEW") == result("")
    assert search(second, "OLD") == result("1 2 3 4 5")


def test_flags_changed_by_another_session_are_searched_and_then_reported() -> None:
    backend = make_backend()
    session = connect(backend)
    backend.account("user").select("INBOX").store_flags([5], StoreAction.ADD, ["\\Seen"])
    out = search(session, "SEEN")
    # The search sees the new flag; the FETCH FLAGS update comes before the OK.
    assert out.startswith(b"* SEARCH 1 4 5\r\n* 4 FETCH (FLAGS (\\Seen \\Recent) UID 5)\r\n")


# ---------------------------------------------------------------- sizes


def test_larger_and_smaller_compare_rfc822_size_strictly(session: Session) -> None:
    size = len(MSG1)
    smaller = sorted(i for i, (d, _, _) in enumerate(MESSAGES, 1) if len(d) < size)
    larger = sorted(i for i, (d, _, _) in enumerate(MESSAGES, 1) if len(d) > size)
    assert smaller == [5]
    assert larger == [2, 3, 4]
    assert search(session, f"SMALLER {size}") == result("5")
    assert search(session, f"LARGER {size}") == result("2 3 4")
    assert search(session, f"NOT SMALLER {size} NOT LARGER {size}") == result("1")
    assert search(session, f"LARGER {size - 1} SMALLER {size + 1}") == result("1")


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("BEFORE 5-Mar-2007", ""),
        ("BEFORE 6-Mar-2007", "1"),
        ("ON 5-Mar-2007", "1"),
        # Message 2 was appended at 00:30 +0100 on 7 March (6 March in UTC).
        ("ON 6-Mar-2007", ""),
        ("ON 7-Mar-2007", "2"),
        ("SINCE 7-Mar-2007", "2 3 4 5"),
        ("SINCE 8-Mar-2007", "3 4 5"),
        ("SINCE 11-Mar-2007", ""),
        ("NOT BEFORE 8-Mar-2007", "3 4 5"),
    ],
)
def test_internal_date_keys_use_the_date_in_its_own_zone(
    session: Session, criteria: str, expected: str
) -> None:
    assert search(session, criteria) == result(expected)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("SENTBEFORE 6-Mar-2007", "1"),
        ("SENTON 5-Mar-2007", "1"),
        # Date: Tue, 06 Mar 2007 23:30:00 -0500 is 6 March in its own zone.
        ("SENTON 6-Mar-2007", "2"),
        ("SENTON 7-Mar-2007", "4"),
        ("SENTSINCE 6-Mar-2007", "2 4"),
        ("SENTSINCE 8-Mar-2007", ""),
        # Messages 3 and 5 have no Date: they match no SENT* key...
        ("SENTBEFORE 1-Jan-2100", "1 2 4"),
        # ... and so they match its NOT.
        ("NOT SENTON 6-Mar-2007", "1 3 4 5"),
    ],
)
def test_sent_date_keys_use_the_date_header(session: Session, criteria: str, expected: str) -> None:
    assert search(session, criteria) == result(expected)


def test_younger_and_older_count_seconds_back_from_the_clock(session: Session) -> None:
    # RFC 5032 (WITHIN): NOW is 10 March 13:00 UTC; message 5 arrived an hour before.
    assert search(session, "YOUNGER 3600") == result("5")
    assert search(session, "YOUNGER 3599") == result("")
    assert search(session, "OLDER 3600") == result("1 2 3 4")
    assert search(session, "OLDER 3599") == result("1 2 3 4 5")


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ('FROM "alice@example.org"', "1 5"),
        ("FROM ALICE", "1 5"),
        ("FROM example", "1 2 3 4 5"),
        ("FROM nobody", ""),
        ("TO bob", "1"),
        ("TO alice", "2 3"),
        ("TO friends", "4"),  # the group's name
        ("TO frank", "4"),
        ("CC carol", "1"),
        ("CC example", "1"),
        ("BCC dave", "3"),
        ("BCC nobody", ""),
    ],
)
def test_address_keys_match_the_address_text(
    session: Session, criteria: str, expected: str
) -> None:
    assert search(session, criteria) == result(expected)


def test_address_keys_do_not_match_every_message_having_the_field(
    session: Session,
) -> None:
    # The Net::IMAP::Server bug: FROM/TO/CC/BCC/HEADER with a non-empty string
    # matched every message that merely had the field.
    assert search(session, "FROM zzz") == result("")
    assert search(session, "TO zzz") == result("")
    assert search(session, "CC zzz") == result("")
    assert search(session, "BCC zzz") == result("")
    assert search(session, "HEADER From zzz") == result("")


def test_from_matches_rfc2047_display_names_with_utf8_charset(session: Session) -> None:
    needle = "jörg straßer".encode()
    line = b"A SEARCH CHARSET UTF-8 FROM {%d+}\r\n%s" % (len(needle), needle)
    assert run(session, line) == result("2")


# ---------------------------------------------------------------- header fields


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ('HEADER X-Priority ""', "3"),  # RFC 9051 6.4.4: the field is present
        ('HEADER x-priority "1"', "3"),
        ('HEADER X-Priority "2"', ""),
        ('NOT HEADER X-Priority ""', "1 2 4 5"),
        ('HEADER Date ""', "1 2 4"),
        ('HEADER Message-ID "<m1@example.org>"', "1"),
        ('HEADER Subject "meeting"', "1 3 4"),
        ('HEADER Content-Type "multipart/mixed"', "3"),
        ('HEADER X-Missing ""', ""),
    ],
)
def test_header_key(session: Session, criteria: str, expected: str) -> None:
    assert search(session, criteria) == result(expected)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("SUBJECT meeting", "1 3 4"),
        ('SUBJECT "re: meeting"', "3"),
        ("SUBJECT tomorrow", "1 3 4"),
        ('SUBJECT ""', "1 2 3 4 5"),
        ("SUBJECT nothing", ""),
    ],
)
def test_subject_key(session: Session, criteria: str, expected: str) -> None:
    assert search(session, criteria) == result(expected)


def test_subject_is_rfc2047_decoded_and_case_folded(session: Session) -> None:
    needle = "GRÜSSE AUS KÖLN".encode()  # case-folded: ß == ss
    line = b"A SEARCH CHARSET UTF-8 SUBJECT {%d}\r\n" % len(needle)
    session.receive_data(line)
    assert session.data_to_send().startswith(b"+ ")
    assert run(session, needle) == result("2")


# ---------------------------------------------------------------- bodies


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("BODY noon", "1"),
        ("BODY NOON", "1"),
        ('BODY "long line"', "4"),
        ("BODY meeting", ""),  # only in headers
        ("BODY secretword", ""),  # only in a non-text attachment
        ("BODY c2VjcmV0d29yZA", ""),  # nor its encoded form
        ("BODY cafe", "3"),  # the HTML alternative
        ("BODY rhein", "2"),  # base64
        ("TEXT meeting", "1 3 4"),
        ("TEXT noon", "1"),
        ("TEXT x-priority", "3"),  # header field names are header text
        ("TEXT nothing-here", ""),
    ],
)
def test_body_and_text_keys(session: Session, criteria: str, expected: str) -> None:
    assert search(session, criteria) == result(expected)


def test_body_is_decoded_from_quoted_printable_and_charset(session: Session) -> None:
    needle = "CAFÉ.".encode()
    assert run(session, b"A SEARCH CHARSET UTF-8 BODY {%d+}\r\n%s" % (len(needle), needle)) == (
        result("3")
    )
    needle = "schöne grüße".encode()
    assert run(session, b"A SEARCH CHARSET UTF-8 TEXT {%d+}\r\n%s" % (len(needle), needle)) == (
        result("2")
    )


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("2:3", "2 3"),
        ("4:2", "2 3 4"),
        ("1,3,5", "1 3 5"),
        ("*", "5"),
        ("*:4", "4 5"),
        # Numbers beyond the mailbox match nothing (RFC 9051 9 asks for BAD
        # only in COPY/FETCH/STORE; Dovecot's imaptest "esearch" expects OK).
        ("99", ""),
        ("4:99", "4 5"),
        ("UID 2", "1"),
        ("UID 3:4", "2 3"),
        ("UID 1", ""),  # expunged
        ("UID *", "5"),
        ("UID 100:*", "5"),  # RFC 9051 9: n:* includes the largest UID
        ("UID 4:4294967295", "3 4 5"),
        ("1:3 UID 3:6", "2 3"),
    ],
)
def test_sequence_set_and_uid_keys(session: Session, criteria: str, expected: str) -> None:
    assert search(session, criteria) == result(expected)


def test_uid_search_answers_with_uids(session: Session) -> None:
    assert run(session, b"U UID SEARCH 2:3") == b"* SEARCH 3 4\r\nU OK SEARCH completed\r\n"
    assert run(session, b"U UID SEARCH UID 3,5 SEEN") == b"* SEARCH\r\nU OK SEARCH completed\r\n"
    assert run(session, b"U UID SEARCH SEEN") == b"* SEARCH 2 6\r\nU OK SEARCH completed\r\n"


# ---------------------------------------------------------------- combinations


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("OR SEEN FLAGGED", "1 2 5"),
        ("OR SEEN OR FLAGGED DELETED", "1 2 3 5"),
        ("NOT SEEN", "2 3 4"),
        ("NOT NOT SEEN", "1 5"),
        ("(SEEN)", "1 5"),
        ("(SEEN ANSWERED)", "1"),
        ("OR (SEEN ANSWERED) (FLAGGED KEYWORD $Work)", "1 2"),
        ("NOT (SEEN ANSWERED)", "2 3 4 5"),
        ("OR 1 UID 4", "1 3"),
        ("NOT 2,4", "1 3 5"),
        ("(3) UID 4", "3"),
        ("3 (UID 5)", ""),
        ('OR FROM alice BODY "long line"', "1 4 5"),
        ('NOT FROM alice SUBJECT "meeting"', "3 4"),
    ],
)
def test_or_not_and_parenthesised_lists(session: Session, criteria: str, expected: str) -> None:
    assert search(session, criteria) == result(expected)


def test_rfc3501_example_flagged_since_not_from(session: Session) -> None:
    # RFC 3501 6.4.4: SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith".
    assert run(session, b'A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"') == (
        b"* SEARCH 2\r\nA282 OK SEARCH completed\r\n"
    )
    assert run(session, b'A283 SEARCH TEXT "string not in mailbox"') == (
        b"* SEARCH\r\nA283 OK SEARCH completed\r\n"
    )
    # The third example sends 8-bit UTF-8 in a synchronising literal.
    session.receive_data(b"A284 SEARCH CHARSET UTF-8 TEXT {5}\r\n")
    assert session.data_to_send().startswith(b"+ ")
    assert run(session, "Köln".encode()) == b"* SEARCH 2\r\nA284 OK SEARCH completed\r\n"


# ---------------------------------------------------------------- charsets


def test_us_ascii_and_utf8_charsets_are_accepted(session: Session) -> None:
    assert search(session, "CHARSET US-ASCII SEEN") == result("1 5")
    assert search(session, "CHARSET utf-8 FROM alice") == result("1 5")


def test_other_charsets_answer_no_badcharset(session: Session) -> None:
    # RFC 9051 6.4.4: NO (not BAD), with the supported charsets listed.
    assert run(session, b"A SEARCH CHARSET KOI8-R TEXT {4+}\r\nXXXX") == (
        b"A NO [BADCHARSET (US-ASCII UTF-8)] KOI8-R is not supported\r\n"
    )


def test_charset_after_enable_utf8_accept_is_bad() -> None:
    backend = make_backend()
    session = IMAPServer(backend, clock=lambda: NOW).connect()
    session.server.enableable.add("UTF8=ACCEPT")
    session.data_to_send()
    run(session, b"L LOGIN user pass")
    assert run(session, b"E ENABLE UTF8=ACCEPT") == (
        b"* ENABLED UTF8=ACCEPT\r\nE OK ENABLE completed\r\n"
    )
    run(session, b"S SELECT INBOX")
    out = run(session, b"A SEARCH CHARSET UTF-8 SEEN")
    assert out.startswith(b"A BAD ")  # RFC 6855 3
    assert search(session, "SEEN") == result("1 5")


# ---------------------------------------------------------------- MODSEQ


def test_modseq_key_adds_the_highest_modseq_to_the_result() -> None:
    backend = make_backend()
    session = connect(backend)
    mailbox = backend.account("user").select("INBOX")
    infos = {m.uid: m.modseq for m in mailbox.messages()}
    newest = max(infos.values())
    # RFC 7162 3.1.5: messages with a modseq >= the value, and "(MODSEQ n)".
    # RFC 7162 3.1: the first CONDSTORE enabling command reports HIGHESTMODSEQ.
    assert search(session, f"MODSEQ {newest}") == (
        b"* OK [HIGHESTMODSEQ %d] Highest\r\n" % newest
        + b"* SEARCH 5 (MODSEQ %d)\r\nA OK SEARCH completed\r\n" % newest
    )
    assert search(session, f"MODSEQ {newest + 1}") == result("")
    assert search(session, f'MODSEQ "/flags/\\\\seen" all {infos[5]}') == (
        b"* SEARCH 4 5 (MODSEQ %d)\r\nA OK SEARCH completed\r\n" % newest
    )


# ---------------------------------------------------------------- errors


def test_search_outside_the_selected_state_is_refused() -> None:
    session = connect(make_backend(), select=None)
    assert run(session, b"A SEARCH ALL").startswith(b"A BAD ")


def test_unsupported_extension_keys_are_bad(session: Session) -> None:
    out = search(session, "SAVEDBEFORE 1-Jan-2020")
    assert out.startswith(b"A BAD ")


def test_no_expunge_during_search_but_during_uid_search() -> None:
    backend = make_backend()
    session = connect(backend)
    mailbox = backend.account("user").select("INBOX")
    mailbox.expunge()  # message 3 (UID 4) is \Deleted
    # RFC 3501 7.4.1: no EXPUNGE while answering SEARCH; the gone message
    # matches nothing, and its number is not renumbered yet.
    assert search(session, "ALL") == result("1 2 4 5")
    assert run(session, b"U UID SEARCH ALL") == (
        b"* SEARCH 2 3 5 6\r\n* 3 EXPUNGE\r\nU OK SEARCH completed\r\n"
    )
    assert search(session, "ALL") == result("1 2 3 4")


# ---------------------------------------------------------------- efficiency


def test_cheap_keys_decide_before_any_message_is_read(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imap_sansio.server import _memory

    reads: list[int] = []
    original = _memory.MemoryMailbox.message_bytes

    def counting(self: _memory.MemoryMailbox, uid: int) -> bytes | None:
        reads.append(uid)
        return original(self, uid)

    monkeypatch.setattr(_memory.MemoryMailbox, "message_bytes", counting)
    # BODY comes first in the command, but SEEN is tried first.
    assert search(session, "BODY noon SEEN") == result("1")
    assert sorted(reads) == [2, 6]
    reads.clear()
    assert search(session, "UID 3 TEXT rhein SUBJECT aus") == result("2")
    assert reads == [3]
    reads.clear()
    # Several text keys on every message: each is read once, and only those
    # not parsed before (2, 3 and 6 are in the server's message cache).
    assert search(session, "OR BODY x TEXT y OR SUBJECT z FROM w") == result("")
    assert sorted(reads) == [4, 5]
    reads.clear()
    # Messages never change under their UID: a second text search reads nothing.
    assert search(session, "OR BODY x TEXT y OR SUBJECT z FROM w") == result("")
    assert reads == []
