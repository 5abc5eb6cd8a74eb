"""IMAP4rev2 beside IMAP4rev1 (RFC 9051), UTF8=ACCEPT (RFC 6855),
UNAUTHENTICATE (RFC 8437), UIDONLY (RFC 9586) and INPROGRESS (RFC 9585).

Exact bytes: RFC 9051's examples where our store can hold the same data
(section numbers beside them), the RFCs' ABNF and rules otherwise.  Two
sessions on one server for what another session's changes look like.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from imap_sansio.adapters.spool import temporary_file_sink
from test_server_mailbox_hierarchy import Session, lines, make

from imap_sansio import Config, Limits
from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def message(n: int, header: bytes = b"") -> bytes:
    return b"Subject: message %d\r\n%s\r\nbody %d\r\n" % (n, header, n)


@pytest.fixture
def backend() -> MemoryBackend:
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    for n in range(1, 6):
        account.append("INBOX", message(n), flags=frozenset(), internal_date=DATE)
    return backend


@pytest.fixture
def server(backend: MemoryBackend) -> IMAPServer:
    return IMAPServer(backend, clock=fixed_clock())


@pytest.fixture
def alice(server: IMAPServer) -> Session:
    return Session(server)


def rev2(session: Session) -> Session:
    assert session(b"e ENABLE IMAP4rev2") == lines("* ENABLED IMAP4rev2", "e OK ENABLE completed")
    return session


# ------------------------------------------------------------ capabilities


def test_both_versions_are_advertised_before_and_after_login(server: IMAPServer) -> None:
    # RFC 9051 appendix A: "advertise both IMAP4rev1 and IMAP4rev2".
    conn = server.connect()
    assert conn.data_to_send().startswith(b"* OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL+ ")
    alice = Session(server)
    caps = alice(b"c CAPABILITY").split(b"\r\n")[0].split()
    assert caps[:4] == [b"*", b"CAPABILITY", b"IMAP4rev1", b"IMAP4rev2"]
    for name in (b"UNAUTHENTICATE", b"UTF8=ACCEPT", b"UIDONLY", b"ENABLE", b"ESEARCH"):
        assert name in caps
    # INPROGRESS only where the server sends progress (RFC 9585 2).
    assert b"INPROGRESS" not in caps


def test_enable_imap4rev2_is_reported_as_advertised(alice: Session) -> None:
    # RFC 9051 6.3.1 (RFC 5161 example): only what the server knows is
    # ENABLED, and a second ENABLE of it reports nothing new.
    assert alice(b"t2 ENABLE IMAP4rev2 X-GOOD-IDEA") == lines(
        "* ENABLED IMAP4rev2", "t2 OK ENABLE completed"
    )
    assert alice(b"t3 ENABLE imap4rev2") == lines("* ENABLED", "t3 OK ENABLE completed")


# ------------------------------------------------------------ IMAP4rev2


def test_select_under_rev2_sends_list_and_no_recent(alice: Session) -> None:
    # RFC 9051 6.3.2: FLAGS, EXISTS, LIST required ("* LIST () "/" INBOX" as
    # in the section's example); no RECENT (appendix E 12).
    rev2(alice)
    assert alice(b"A142 SELECT INBOX") == lines(
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* 5 EXISTS",
        "* OK [UNSEEN 1] First unseen: 1",
        "* OK [UIDVALIDITY 1] UIDs valid",
        "* OK [UIDNEXT 6] Predicted next UID",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
        '* LIST () "/" INBOX',
        "A142 OK [READ-WRITE] SELECT completed",
    )


def test_rev1_select_is_unchanged(alice: Session) -> None:
    out = alice(b"A142 SELECT INBOX")
    assert b"* 5 RECENT\r\n" in out
    assert b"* LIST" not in out


def test_rev2_fetch_and_search_show_no_recent(alice: Session) -> None:
    # RFC 9051 appendix E 12: no \Recent flag; 6.4.4: SEARCH answers ESEARCH.
    rev2(alice)
    alice(b"s SELECT INBOX")
    assert alice(b"f FETCH 1 FLAGS") == lines("* 1 FETCH (FLAGS ())", "f OK FETCH completed")
    assert alice(b"g UID SEARCH ALL") == lines(
        '* ESEARCH (TAG "g") UID ALL 1:5', "g OK SEARCH completed"
    )


def test_rev2_unsolicited_fetch_carries_uid(server: IMAPServer, alice: Session) -> None:
    # RFC 9051 appendix E 21: "All unsolicited FETCH updates are required to
    # include UID."
    rev2(alice)
    alice(b"s SELECT INBOX")
    bob = Session(server)
    bob(b"s SELECT INBOX")
    bob(b"t STORE 2 +FLAGS.SILENT (\\Flagged)")
    assert alice(b"n NOOP") == lines("* 2 FETCH (FLAGS (\\Flagged) UID 2)", "n OK NOOP completed")


def test_rev2_status_deleted_and_size(alice: Session) -> None:
    # RFC 9051 6.3.11 (example "A042 STATUS blurdybloop (UIDNEXT MESSAGES)";
    # the items come back in the order asked), with DELETED and SIZE
    # (appendix E 3).
    rev2(alice)
    alice(b"s SELECT INBOX")
    alice(b"t STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    size = sum(len(message(n)) for n in range(1, 6))
    assert alice(b"A042 STATUS INBOX (UIDNEXT MESSAGES DELETED SIZE)") == lines(
        f"* STATUS INBOX (UIDNEXT 6 MESSAGES 5 DELETED 2 SIZE {size})",
        "A042 OK STATUS completed",
    )


def test_rev2_list_reports_missing_levels_as_nonexistent(
    backend: MemoryBackend, alice: Session
) -> None:
    # RFC 9051 6.3.9.8 example 10: only music/rock exists.
    account = backend.account("alice")
    account.create_mailbox("music/rock")
    assert "music" not in {info.name for info in account.list_mailboxes()}
    assert alice(b'a2 LIST () "" %') == lines(
        '* LIST () "/" INBOX',
        '* LIST (\\NonExistent \\HasChildren) "/" music',
        "a2 OK LIST completed",
    )
    # IMAP4rev1's basic LIST says \Noselect (RFC 3501 6.3.8) ...
    assert alice(b'a3 LIST "" music') == lines(
        '* LIST (\\Noselect \\HasChildren) "/" music', "a3 OK LIST completed"
    )
    # ... IMAP4rev2's LIST is the extended one (RFC 9051 6.3.9).
    rev2(alice)
    assert alice(b'a4 LIST "" music') == lines(
        '* LIST (\\NonExistent \\HasChildren) "/" music', "a4 OK LIST completed"
    )


def test_rev2_list_subscribed_example(backend: MemoryBackend, alice: Session) -> None:
    # RFC 9051 6.3.9.8 example 6 (a2): a subscribed name that does not exist.
    make(backend, "foo", subscribed=["foo/bar"])
    rev2(alice)
    assert alice(b'a2 LIST (SUBSCRIBED) "" "foo/*"') == lines(
        '* LIST (\\Subscribed \\NonExistent) "/" foo/bar', "a2 OK LIST completed"
    )
    assert alice(b'a3 LIST (SUBSCRIBED RECURSIVEMATCH) "" foo RETURN (CHILDREN)') == lines(
        '* LIST (\\HasNoChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))', "a3 OK LIST completed"
    )


def test_rev2_list_status_example(backend: MemoryBackend, alice: Session) -> None:
    # RFC 9051 6.3.9.8 example 12 (A01), with "/" as the delimiter: no
    # STATUS for a mailbox that is not selectable.
    make(backend, "foo", "bar/x")
    rev2(alice)
    assert alice(b"d DELETE bar") == lines("d OK DELETE completed")  # keeps \Noselect bar
    assert alice(b'A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))') == lines(
        '* LIST () "/" INBOX',
        "* STATUS INBOX (MESSAGES 5 UNSEEN 5)",
        '* LIST (\\Noselect) "/" bar',
        '* LIST () "/" foo',
        "* STATUS foo (MESSAGES 0 UNSEEN 0)",
        "A01 OK LIST completed",
    )


def test_rev2_response_codes(backend: MemoryBackend, alice: Session) -> None:
    # RFC 9051 7.1: ALREADYEXISTS, NONEXISTENT, HASCHILDREN, TRYCREATE.
    make(backend, "foo/bar")
    rev2(alice)
    assert alice(b"c CREATE foo") == lines("c NO [ALREADYEXISTS] Mailbox already exists")
    assert alice(b"d SELECT nosuch") == lines("d NO [NONEXISTENT] Mailbox does not exist")
    assert alice(b"e RENAME nosuch other") == lines("e NO [NONEXISTENT] Mailbox does not exist")
    # RFC 9051 6.3.4: foo keeps its inferior as a \Noselect name; then it
    # cannot be deleted while it has children.
    assert alice(b"f DELETE foo") == lines("f OK DELETE completed")
    assert alice(b"g DELETE foo") == lines(
        "g NO [HASCHILDREN] Mailbox has inferior hierarchical names"
    )
    alice(b"s SELECT INBOX")
    assert alice(b"m COPY 1 nosuch") == lines("m NO [TRYCREATE] Mailbox does not exist")


def test_rev2_namespace(alice: Session) -> None:
    # RFC 9051 6.3.10 (NAMESPACE folded in, appendix E 2).
    rev2(alice)
    assert alice(b"n NAMESPACE") == lines(
        '* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL', "n OK NAMESPACE completed"
    )


def test_rev2_client_does_what_a_rev1_client_does(alice: Session) -> None:
    # A rev2-only client: LIST (SUBSCRIBED) instead of LSUB, NOOP instead of
    # CHECK, UID MOVE/EXPUNGE, SEARCH SAVE and $, BINARY, UNSELECT.
    rev2(alice)
    assert alice(b"c CREATE Archive") == lines("c OK CREATE completed")
    assert alice(b"d SUBSCRIBE Archive") == lines("d OK SUBSCRIBE completed")
    assert alice(b'l LIST (SUBSCRIBED) "" *') == lines(
        '* LIST (\\Subscribed) "/" INBOX',
        '* LIST (\\Subscribed) "/" Archive',
        "l OK LIST completed",
    )
    alice(b"s SELECT INBOX")
    assert alice(b"v UID SEARCH RETURN (SAVE) UID 4:5").startswith(b"v OK SEARCH completed")
    assert alice(b"w UID FETCH $ (BINARY.SIZE[1])") == lines(
        "* 4 FETCH (UID 4 BINARY.SIZE[1] 8)",
        "* 5 FETCH (UID 5 BINARY.SIZE[1] 8)",
        "w OK FETCH completed",
    )
    assert alice(b"x UID MOVE $ Archive") == lines(
        "* OK [COPYUID 2 4:5 1:2] Moved",
        "* 4 EXPUNGE",
        "* 4 EXPUNGE",
        "x OK MOVE completed",
    )
    assert alice(b"y STATUS Archive (MESSAGES)") == lines(
        "* STATUS Archive (MESSAGES 2)", "y OK STATUS completed"
    )
    assert alice(b"z UNSELECT") == lines("z OK UNSELECT completed")


# ------------------------------------------------------------ UTF8=ACCEPT


NAME = "Entwürfe"
MUTF7 = b"Entw&APw-rfe"


def test_utf8_names_after_enable_and_mutf7_before(server: IMAPServer, alice: Session) -> None:
    # RFC 6855 3: after ENABLE UTF8=ACCEPT quoted strings carry UTF-8 names;
    # a client that did not enable sees modified UTF-7 (RFC 3501 5.1.3).
    assert alice(b"e ENABLE UTF8=ACCEPT") == lines("* ENABLED UTF8=ACCEPT", "e OK ENABLE completed")
    assert alice(b'c CREATE "' + NAME.encode() + b'"') == lines("c OK CREATE completed")
    assert alice(b'l LIST "" "Entw*"') == (
        b'* LIST (\\HasNoChildren) "/" "' + NAME.encode() + b'"\r\nl OK LIST completed\r\n'
    )
    bob = Session(server)
    assert bob(b'l LIST "" "Entw*"') == (
        b'* LIST (\\HasNoChildren) "/" ' + MUTF7 + b"\r\nl OK LIST completed\r\n"
    )
    assert bob(b"s STATUS " + MUTF7 + b" (MESSAGES)") == (
        b"* STATUS " + MUTF7 + b" (MESSAGES 0)\r\ns OK STATUS completed\r\n"
    )


def test_denormalized_utf8_name_opens_the_nfc_mailbox(alice: Session) -> None:
    # RFC 9051 5.1: "SELECT <name> must open the same mailbox that was
    # successfully created with CREATE <name>, even if <name> is a
    # denormalized UTF-8 mailbox name."
    rev2(alice)
    decomposed = unicodedata.normalize("NFD", NAME).encode()
    assert decomposed != NAME.encode()
    assert alice(b'c CREATE "' + decomposed + b'"').endswith(b"c OK CREATE completed\r\n")
    out = alice(b'x EXAMINE "' + decomposed + b'"')
    assert out.endswith(b"x OK [READ-ONLY] EXAMINE completed\r\n")
    # RFC 9051 6.3.2: "the server MUST return LIST with the OLDNAME extended
    # data item" when the supplied name was not the normalized one.
    listed = b'* LIST () "/" "' + NAME.encode() + b'" ("OLDNAME" ("' + decomposed + b'"))\r\n'
    assert listed in out
    assert b"OLDNAME" not in alice(b'y EXAMINE "' + NAME.encode() + b'"')
    # A LIST pattern is normalised as the names are.
    assert alice(b'l LIST "" "' + decomposed + b'"') == (
        b'* LIST (\\HasNoChildren) "/" "' + NAME.encode() + b'"\r\nl OK LIST completed\r\n'
    )


def test_c1_controls_and_separators_make_no_mailbox_name(alice: Session) -> None:
    # RFC 6855 3: no U+0080-U+009F, U+2028 or U+2029 in mailbox names.
    rev2(alice)
    for char in ("\u0085", "\u2028", "\u2029"):
        name = ("a" + char + "b").encode()
        assert alice(b'c CREATE "' + name + b'"').startswith(b"c NO [CANNOT] ")


def test_append_utf8_literal8_after_enable(alice: Session) -> None:
    # RFC 6855 4: append-data =/ "UTF8" SP "(" literal8 ")".
    data = "Subject: Grüße\r\n\r\nHallo\r\n".encode()
    assert alice(b"e ENABLE UTF8=ACCEPT").endswith(b"e OK ENABLE completed\r\n")
    out = alice(b"a APPEND INBOX UTF8 (~{%d+}\r\n" % len(data) + data + b")")
    assert out == lines("a OK [APPENDUID 1 6] APPEND completed")
    alice(b"s SELECT INBOX")
    assert alice(b"f UID FETCH 6 BODY.PEEK[HEADER.FIELDS (SUBJECT)]") == (
        b"* 6 FETCH (UID 6 BODY[HEADER.FIELDS (SUBJECT)] {20}\r\n"
        + "Subject: Grüße\r\n\r\n".encode()
        + b")\r\nf OK FETCH completed\r\n"
    )


def test_append_with_8bit_header_needs_utf8_accept(alice: Session) -> None:
    # RFC 6855 4: "the server MUST reject, with a "NO" response, an "APPEND"
    # command that includes any 8-bit character in message header fields".
    data = "Subject: Grüße\r\n\r\nHallo\r\n".encode()
    append = b"a APPEND INBOX {%d+}\r\n" % len(data) + data
    assert alice(append) == lines("a NO 8-bit header fields need ENABLE UTF8=ACCEPT")
    # 8-bit in the body only is fine, and so is a header after ENABLE IMAP4rev2
    # (RFC 9051 appendix E 16).
    body_only = b"Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n"
    assert alice(b"b APPEND INBOX {%d+}\r\n" % len(body_only) + body_only).startswith(b"b OK ")
    rev2(alice)
    assert alice(append.replace(b"a ", b"c ", 1)).startswith(b"c OK [APPENDUID ")


# ------------------------------------------------------------ UNAUTHENTICATE


def test_unauthenticate_returns_to_not_authenticated(server: IMAPServer, alice: Session) -> None:
    # RFC 8437 3: the account is released, the mailbox closed, and what
    # follows is read as before login; the OK carries those capabilities.
    greeting_caps = server.connect().data_to_send().split(b"]")[0].split(b"[", 1)[1]
    alice(b"s SELECT INBOX")
    assert (
        alice(b"u UNAUTHENTICATE") == b"u OK [" + greeting_caps + b"] UNAUTHENTICATE completed\r\n"
    )
    assert alice(b"f FETCH 1 FLAGS") == lines(
        "f BAD [CLIENTBUG] FETCH is not valid in the not authenticated state"
    )
    assert alice(b"t SELECT INBOX") == lines(
        "t BAD [CLIENTBUG] SELECT is not valid in the not authenticated state"
    )
    assert alice(b"l LOGIN alice secret").startswith(b"l OK [CAPABILITY IMAP4rev1 ")
    assert alice(b"s SELECT INBOX").endswith(b"s OK [READ-WRITE] SELECT completed\r\n")


def test_unauthenticate_turns_enabled_extensions_off(alice: Session) -> None:
    rev2(alice)
    alice(b"u UNAUTHENTICATE")
    alice(b"l LOGIN alice secret")
    alice(b"s SELECT INBOX")
    assert alice(b"g SEARCH 1") == lines("* SEARCH 1", "g OK SEARCH completed")


def test_unauthenticate_releases_the_account(alice: Session) -> None:
    alice(b"s SELECT INBOX")
    assert alice.conn.account is not None
    alice(b"u UNAUTHENTICATE")
    assert alice.conn.account is None
    assert alice.conn.mailbox is None
    assert alice.conn.conn.view is None
    assert alice.conn.conn.enabled == frozenset()


def test_unauthenticate_is_not_valid_before_login(server: IMAPServer) -> None:
    anonymous = Session(server, user="")
    assert anonymous(b"u UNAUTHENTICATE") == lines(
        "u BAD [CLIENTBUG] UNAUTHENTICATE is not valid in the not authenticated state"
    )


# ------------------------------------------------------------ UIDONLY


def uidonly(session: Session) -> Session:
    assert session(b"e ENABLE UIDONLY") == lines("* ENABLED UIDONLY", "e OK ENABLE completed")
    session(b"s SELECT INBOX")
    return session


@pytest.mark.parametrize(
    "command",
    [
        b"FETCH 1 FLAGS",
        b"STORE 1 +FLAGS (\\Seen)",
        b"COPY 1 INBOX",
        b"MOVE 1 INBOX",
        b"SEARCH ALL",
        b"SORT (DATE) UTF-8 ALL",
        b"THREAD REFERENCES UTF-8 ALL",
        b"UID SEARCH 1:2",
        b"UID SEARCH OR UID 1 NOT 3",
        b"UID FETCH 1:* FLAGS",
    ],
)
def test_uidonly_refuses_sequence_numbers(alice: Session, command: bytes) -> None:
    # RFC 9586 3: any command that uses message sequence numbers is BAD
    # [UIDREQUIRED]; the last one names none (it is accepted).
    uidonly(alice)
    out = alice(b"x " + command)
    if command.startswith(b"UID FETCH"):
        assert out.endswith(b"x OK FETCH completed\r\n")
    else:
        assert out == lines(
            "x BAD [UIDREQUIRED] Message numbers are not allowed once UIDONLY is enabled"
        )


def test_uidonly_fetch_responses_are_uidfetch(alice: Session) -> None:
    # RFC 9586 3.3: "* uid UIDFETCH (...)", with a UID item only when the
    # client asks for one (UID FETCH implies none here).
    uidonly(alice)
    assert alice(b"f UID FETCH 4:5 FLAGS") == lines(
        "* 4 UIDFETCH (FLAGS (\\Recent))",
        "* 5 UIDFETCH (FLAGS (\\Recent))",
        "f OK FETCH completed",
    )
    assert alice(b"f UID FETCH 4 (FLAGS UID)") == lines(
        "* 4 UIDFETCH (FLAGS (\\Recent) UID 4)", "f OK FETCH completed"
    )
    assert alice(b"g UID FETCH 2 UID") == lines("* 2 UIDFETCH (UID 2)", "g OK FETCH completed")
    assert alice(b"h UID STORE 3 +FLAGS (\\Seen)") == lines(
        "* 3 UIDFETCH (FLAGS (\\Seen \\Recent))", "h OK STORE completed"
    )
    assert alice(b"i UID SEARCH UID 2:4 SEEN") == lines("* SEARCH 3", "i OK SEARCH completed")


def test_uidonly_expunges_are_vanished(server: IMAPServer, alice: Session) -> None:
    # RFC 9586 3: VANISHED instead of EXPUNGE, also for another session's.
    uidonly(alice)
    alice(b"d UID STORE 2:3 +FLAGS.SILENT (\\Deleted)")
    assert alice(b"x EXPUNGE") == lines("* VANISHED 2:3", "x OK EXPUNGE completed")
    bob = Session(server)
    bob(b"s SELECT INBOX")
    bob(b"t UID STORE 5 +FLAGS.SILENT (\\Deleted \\Flagged)")
    bob(b"u UID STORE 4 +FLAGS.SILENT (\\Answered)")
    bob(b"v EXPUNGE")
    assert alice(b"n NOOP") == lines(
        "* VANISHED 5", "* 4 UIDFETCH (FLAGS (\\Answered \\Recent))", "n OK NOOP completed"
    )


# ------------------------------------------------------------ INPROGRESS


def test_inprogress_every_n_messages_of_a_search(backend: MemoryBackend) -> None:
    # RFC 9585 3: "* OK [INPROGRESS ("tag" done goal)]" while the command runs.
    server = IMAPServer(backend, clock=fixed_clock(), progress_interval=2)
    alice = Session(server)
    assert b" INPROGRESS " in alice(b"c CAPABILITY")
    alice(b"s SELECT INBOX")
    assert alice(b"A001 SEARCH ALL") == lines(
        '* OK [INPROGRESS ("A001" 2 5)] SEARCH in progress: 2 of 5 done',
        '* OK [INPROGRESS ("A001" 4 5)] SEARCH in progress: 4 of 5 done',
        "* SEARCH 1 2 3 4 5",
        "A001 OK SEARCH completed",
    )
    assert alice(b"A002 UID COPY 1:* INBOX") == lines(
        '* OK [INPROGRESS ("A002" 0 5)] COPY in progress: 0 of 5 done',
        "* 10 EXISTS",
        "* 10 RECENT",
        "A002 OK [COPYUID 1 1:5 6:10] COPY completed",
    )


def test_inprogress_names_no_tag_that_holds_a_bracket(backend: MemoryBackend) -> None:
    # "]" is a valid tag character (RFC 3501 9), but a client that reads an
    # unknown code by the generic rule (no "]" inside) would lose the line.
    server = IMAPServer(backend, clock=fixed_clock(), progress_interval=4)
    alice = Session(server)
    alice(b"s SELECT INBOX")
    assert alice(b"a]1 SEARCH ALL") == lines(
        "* OK [INPROGRESS (NIL 4 5)] SEARCH in progress: 4 of 5 done",
        "* SEARCH 1 2 3 4 5",
        "a]1 OK SEARCH completed",
    )


def test_no_inprogress_for_short_commands(backend: MemoryBackend) -> None:
    server = IMAPServer(backend, clock=fixed_clock(), progress_interval=5)
    alice = Session(server)
    alice(b"s SELECT INBOX")
    assert alice(b"A001 SEARCH ALL") == lines("* SEARCH 1 2 3 4 5", "A001 OK SEARCH completed")


def test_progress_interval_must_be_positive(backend: MemoryBackend) -> None:
    with pytest.raises(ValueError, match="progress_interval"):
        IMAPServer(backend, clock=fixed_clock(), progress_interval=0)


def test_uidonly_refuses_qresync_sequence_match_data(alice: Session) -> None:
    # RFC 9586 3: SELECT's QRESYNC sequence match data names sequence numbers.
    alice(b"e ENABLE QRESYNC UIDONLY")
    assert alice(b"s SELECT INBOX (QRESYNC (1 1 1:5 (1:2 1:2)))") == lines(
        "s BAD [UIDREQUIRED] No sequence match data after ENABLE UIDONLY"
    )
    assert alice(b"t SELECT INBOX (QRESYNC (1 1 1:5))").endswith(
        b"t OK [READ-WRITE] SELECT completed\r\n"
    )


def test_uidonly_idle_reports_uidfetch_and_vanished(server: IMAPServer, alice: Session) -> None:
    uidonly(alice)
    assert alice(b"i IDLE") == lines("+ idling")
    bob = Session(server)
    bob(b"s SELECT INBOX")
    bob(b"t STORE 1 +FLAGS.SILENT (\\Deleted \\Seen)")
    bob(b"u STORE 2 +FLAGS.SILENT (\\Seen)")
    bob(b"v EXPUNGE")
    alice.conn.poll()
    assert alice.conn.data_to_send() == lines(
        "* VANISHED 1", "* 2 UIDFETCH (FLAGS (\\Seen \\Recent))"
    )
    assert alice(b"DONE") == lines("i OK IDLE terminated")


def test_inprogress_before_a_long_expunge(backend: MemoryBackend) -> None:
    server = IMAPServer(backend, clock=fixed_clock(), progress_interval=2)
    alice = Session(server)
    alice(b"s SELECT INBOX")
    alice(b"d STORE 1:* +FLAGS.SILENT (\\Deleted)")
    assert alice(b"x UID EXPUNGE 1:3") == lines(
        '* OK [INPROGRESS ("x" 0 3)] EXPUNGE in progress: 0 of 3 done',
        "* 1 EXPUNGE",
        "* 1 EXPUNGE",
        "* 1 EXPUNGE",
        "x OK EXPUNGE completed",
    )
    assert alice(b"y EXPUNGE") == lines("* 1 EXPUNGE", "* 1 EXPUNGE", "y OK EXPUNGE completed")
    alice(b"a APPEND INBOX {11+}\r\nSubject: x")
    alice(b"b APPEND INBOX {11+}\r\nSubject: y")
    alice(b"c APPEND INBOX {11+}\r\nSubject: z")
    assert alice(b"z EXPUNGE") == lines(
        '* OK [INPROGRESS ("z" 0 NIL)] EXPUNGE in progress: 0 done', "z OK EXPUNGE completed"
    )


def test_uidonly_qresync_select_reports_uidfetch(server: IMAPServer, alice: Session) -> None:
    # RFC 7162 3.2.5's FETCHes of a resync are UIDFETCH too (RFC 9586 3.3).
    bob = Session(server)
    bob(b"s SELECT INBOX")
    bob(b"t UID STORE 3 +FLAGS.SILENT (\\Answered)")
    alice(b"e ENABLE QRESYNC UIDONLY")
    out = alice(b"s SELECT INBOX (QRESYNC (1 6))")
    assert b"* 3 UIDFETCH (FLAGS (\\Answered) MODSEQ (7))\r\n" in out
    assert b" FETCH " not in out


# ------------------------------------------------------------ OLDNAME


def test_create_delete_rename_of_denormalized_names_report_oldname(alice: Session) -> None:
    # RFC 9051 6.3.4 example: "A005 CREATE NonNormalized" / "* LIST () "/"
    # "Normalized" ("OLDNAME" ("NonNormalized"))"; 6.3.5 (with \NonExistent)
    # and 6.3.6 likewise.
    rev2(alice)
    nfc, nfd = NAME.encode(), unicodedata.normalize("NFD", NAME).encode()
    assert alice(b'A005 CREATE "' + nfd + b'"') == (
        b'* LIST () "/" "' + nfc + b'" ("OLDNAME" ("' + nfd + b'"))\r\nA005 OK CREATE completed\r\n'
    )
    assert alice(b'r RENAME "' + nfd + b'" Drafts') == (
        b'* LIST () "/" Drafts ("OLDNAME" ("' + nfd + b'"))\r\nr OK RENAME completed\r\n'
    )
    # DELETE by the NFD name deletes the NFC mailbox and says so.
    assert alice(b'c CREATE "' + nfc + b'"') == lines("c OK CREATE completed")
    assert alice(b'd DELETE "' + nfd + b'"') == (
        b'* LIST (\\NonExistent) "/" "' + nfc + b'" ("OLDNAME" ("' + nfd + b'"))\r\n'
        b"d OK DELETE completed\r\n"
    )


def test_no_oldname_for_an_imap4rev1_client(alice: Session) -> None:
    assert alice(b"e ENABLE UTF8=ACCEPT").endswith(b"e OK ENABLE completed\r\n")
    nfd = unicodedata.normalize("NFD", NAME).encode()
    assert alice(b'c CREATE "' + nfd + b'"') == lines("c OK CREATE completed")


def test_a_spooled_literal_with_8bit_header_needs_utf8_accept() -> None:
    # RFC 6855 4 for a literal the engine spooled: its header is read a piece
    # at a time (here the 8-bit octet lies past the first 64 KiB piece).
    backend = MemoryBackend(users={"alice": "secret"})
    config = Config(limits=Limits(spool_literal_above=10), literal_sink_factory=temporary_file_sink)
    alice = Session(IMAPServer(backend, clock=fixed_clock(), config=config))
    header = b"X-Long: " + b"a" * 70_000 + b"\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nbody\r\n"
    assert alice(b"a APPEND INBOX {%d+}\r\n" % len(header) + header) == lines(
        "a NO 8-bit header fields need ENABLE UTF8=ACCEPT"
    )
    body_only = b"Subject: x\r\n\r\n" + b"\xc3\xbc" * 40_000 + b"\r\n"
    assert alice(b"b APPEND INBOX {%d+}\r\n" % len(body_only) + body_only).startswith(b"b OK ")
    rev2(alice)
    assert alice(b"c APPEND INBOX {%d+}\r\n" % len(header) + header).startswith(b"c OK ")
