"""STORE (RFC 3501 6.4.6, RFC 7162 3.1.3), COPY (6.4.7, RFC 4315 3) and MOVE (RFC 6851).

Demo INBOX flags: 1 \\Seen, 2 \\Seen \\Flagged, 3 \\Seen \\Answered $Work,
4 $Forwarded, 5 none, 6 \\Flagged $Important, 7 none; the first session to
SELECT has all seven as \\Recent.
"""

from __future__ import annotations

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend, demo_backend
from imap_sansio.testing import fixed_clock


class Client:
    def __init__(self, server: IMAPServer) -> None:
        self.conn = server.connect()
        self.conn.data_to_send()

    def __call__(self, line: bytes) -> bytes:
        self.conn.receive_data(line + b"\r\n")
        return self.conn.data_to_send()


@pytest.fixture
def backend() -> MemoryBackend:
    return demo_backend()


@pytest.fixture
def server(backend: MemoryBackend) -> IMAPServer:
    return IMAPServer(backend, clock=fixed_clock())


def session(server: IMAPServer, how: bytes = b"SELECT", mailbox: bytes = b"INBOX") -> Client:
    c = Client(server)
    assert c(b"a LOGIN demo demo").startswith(b"a OK")
    assert b"b OK [READ-" in c(b"b " + how + b" " + mailbox)
    return c


STORED = b"s OK STORE completed\r\n"
NOOP = b"n OK NOOP completed\r\n"


# ------------------------------------------------------------------- STORE


def test_store_answers_the_new_flags(server: IMAPServer) -> None:
    """RFC 3501 6.4.6 example: the new value of the flags for each message."""
    c = session(server)
    assert c(b"s STORE 4:5 +FLAGS (\\Deleted)") == (
        b"* 4 FETCH (FLAGS ($Forwarded \\Deleted \\Recent))\r\n"
        b"* 5 FETCH (FLAGS (\\Deleted \\Recent))\r\n" + STORED
    )
    assert c(b"s STORE 4 -FLAGS ($Forwarded \\Deleted)") == (
        b"* 4 FETCH (FLAGS (\\Recent))\r\n" + STORED
    )
    assert c(b"n NOOP") == NOOP


def test_store_flags_keeps_recent(server: IMAPServer) -> None:
    """Seed defect: STORE FLAGS cleared \\Recent, which is session state (RFC 3501 2.3.2)."""
    c = session(server)
    assert (
        c(b"s STORE 6 FLAGS (\\Answered)")
        == b"* 6 FETCH (FLAGS (\\Answered \\Recent))\r\n" + STORED
    )
    assert (
        c(b"t FETCH 6 FLAGS")
        == b"* 6 FETCH (FLAGS (\\Answered \\Recent))\r\nt OK FETCH completed\r\n"
    )


def test_uid_store_includes_uid(server: IMAPServer) -> None:
    c = session(server)
    assert c(b"s UID STORE 5 +FLAGS (\\Seen)") == (
        b"* 5 FETCH (FLAGS (\\Seen \\Recent) UID 5)\r\n" + STORED
    )


def test_system_flags_are_case_insensitive(server: IMAPServer) -> None:
    c = session(server)
    assert c(b"s STORE 7 FLAGS (\\sEEN \\flagged)") == (
        b"* 7 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\n" + STORED
    )


def test_silent_store_sends_nothing_to_itself_and_the_change_to_others(
    server: IMAPServer,
) -> None:
    a = session(server)
    b = session(server)
    assert a(b"s STORE 1 +FLAGS.SILENT (\\Flagged)") == STORED
    assert a(b"n NOOP") == NOOP
    assert b(b"n NOOP") == b"* 1 FETCH (FLAGS (\\Flagged \\Seen) UID 1)\r\n" + NOOP
    assert b(b"n NOOP") == NOOP


def test_store_is_echoed_to_other_sessions_only(server: IMAPServer) -> None:
    a = session(server)
    b = session(server)
    assert (
        a(b"s STORE 3 -FLAGS ($Work)")
        == b"* 3 FETCH (FLAGS (\\Answered \\Seen \\Recent))\r\n" + STORED
    )
    assert a(b"n NOOP") == NOOP
    assert b(b"n NOOP") == b"* 3 FETCH (FLAGS (\\Answered \\Seen) UID 3)\r\n" + NOOP


def test_silent_store_after_a_change_elsewhere_still_tells_the_other_change(
    server: IMAPServer,
) -> None:
    """.SILENT hides only what the client asked for: a change another session
    made in between is still reported (RFC 3501 7.4.1 unsolicited FETCH)."""
    a = session(server)
    b = session(server)
    b(b"s STORE 5 +FLAGS.SILENT (\\Flagged)")
    assert a(b"s STORE 5 +FLAGS.SILENT (\\Seen)") == (
        b"* 5 FETCH (FLAGS (\\Flagged \\Seen \\Recent) UID 5)\r\n" + STORED
    )


def test_store_recent_is_bad(server: IMAPServer) -> None:
    c = session(server)
    assert c(b"s STORE 1 +FLAGS (\\Recent)") == b"s BAD [CLIENTBUG] \\Recent cannot be stored\r\n"
    assert c(b"s STORE 1 +FLAGS (\\Bogus)").startswith(b"s BAD ")


def test_store_in_examined_mailbox_is_no_read_only(server: IMAPServer) -> None:
    c = session(server, b"EXAMINE")
    assert c(b"s STORE 1 +FLAGS (\\Flagged)") == b"s NO [READ-ONLY] Mailbox is read-only\r\n"


def test_new_keyword_extends_the_flags_list(server: IMAPServer) -> None:
    """RFC 3501 7.2.6: a FLAGS response when the defined flags change."""
    c = session(server)
    # The FLAGS list (and PERMANENTFLAGS) go out before the FETCH that uses
    # the new keyword, so the client knows it when it reads the FETCH.
    assert c(b"s STORE 5 +FLAGS ($Todo)") == (
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft"
        b" $Forwarded $Important $Todo $Work)\r\n"
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft"
        b" $Forwarded $Important $Todo $Work \\*)] Flags permitted\r\n"
        b"* 5 FETCH (FLAGS ($Todo \\Recent))\r\n" + STORED
    )
    # Known keywords do not repeat it.
    assert (
        c(b"s STORE 4 +FLAGS ($Todo)")
        == b"* 4 FETCH (FLAGS ($Forwarded $Todo \\Recent))\r\n" + STORED
    )


def test_store_to_a_message_expunged_elsewhere_is_a_no_op(server: IMAPServer) -> None:
    a = session(server)
    b = session(server)
    b(b"s STORE 2 +FLAGS.SILENT (\\Deleted)")
    b(b"e EXPUNGE")
    # RFC 3501 7.4.1: no EXPUNGE during STORE; RFC 5530 EXPUNGEISSUED.
    assert a(b"s STORE 1:3 +FLAGS (\\Draft)") == (
        b"* 1 FETCH (FLAGS (\\Draft \\Seen \\Recent))\r\n"
        b"* 3 FETCH (FLAGS ($Work \\Answered \\Draft \\Seen \\Recent))\r\n"
        b"s OK [EXPUNGEISSUED] Some messages were expunged meanwhile\r\n"
    )
    assert a(b"n NOOP") == b"* 2 EXPUNGE\r\n" + NOOP


def test_unchangedsince_modified(server: IMAPServer, backend: MemoryBackend) -> None:
    """RFC 7162 3.1.3: failed messages are named in [MODIFIED]; stored ones get MODSEQ."""
    modseq = {m.uid: m.modseq for m in backend.account("demo").select("INBOX").messages()}
    c = session(server)
    reply = c(b"s STORE 1,2 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Deleted)" % modseq[1])
    new = max(modseq.values()) + 1
    assert reply == (
        # RFC 7162 3.1 / Example 5: the first CONDSTORE enabling command.
        b"* OK [HIGHESTMODSEQ %d] Highest\r\n" % (new - 1)
        + b"* 1 FETCH (MODSEQ (%d))\r\n" % new
        + b"* 2 FETCH (FLAGS (\\Flagged \\Seen \\Recent) MODSEQ (%d))\r\n" % modseq[2]
        + b"s OK [MODIFIED 2] Conditional STORE failed\r\n"
    )
    # RFC 7162 Example 8: UNCHANGEDSINCE 0 always fails.
    assert c(b"s UID STORE 3 (UNCHANGEDSINCE 0) +FLAGS ($X)") == (
        b"* 3 FETCH (FLAGS ($Work \\Answered \\Seen \\Recent) UID 3 MODSEQ (%d))\r\n" % modseq[3]
        + b"s OK [MODIFIED 3] Conditional STORE failed\r\n"
    )


# -------------------------------------------------------------------- COPY


def _uidvalidity(backend: MemoryBackend, name: str) -> int:
    return backend.account("demo").status(name).uidvalidity


def test_copy_answers_copyuid(server: IMAPServer, backend: MemoryBackend) -> None:
    """RFC 4315 3: COPYUID uidvalidity source-uids destination-uids."""
    c = session(server)
    trash = _uidvalidity(backend, "Trash")
    assert c(b"c COPY 2:3 Trash") == b"c OK [COPYUID %d 2:3 1:2] COPY completed\r\n" % trash
    assert c(b"c UID COPY 5,7 Trash") == b"c OK [COPYUID %d 5,7 3:4] COPY completed\r\n" % trash
    # Flags travel with the copy (RFC 3501 6.4.7); \Recent is new in Trash.
    t = session(server, mailbox=b"Trash")
    assert t(b"t FETCH 1:4 FLAGS") == (
        b"* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\n"
        b"* 2 FETCH (FLAGS ($Work \\Answered \\Seen \\Recent))\r\n"
        b"* 3 FETCH (FLAGS (\\Recent))\r\n"
        b"* 4 FETCH (FLAGS (\\Recent))\r\n"
        b"t OK FETCH completed\r\n"
    )


def test_copy_of_an_empty_set_has_no_copyuid(server: IMAPServer) -> None:
    """Seed defect: COPY of an empty set answered a malformed COPYUID."""
    c = session(server)
    assert c(b"c UID COPY 100:200 Trash") == b"c OK COPY completed\r\n"


def test_copy_to_a_missing_mailbox_is_trycreate(server: IMAPServer) -> None:
    """RFC 3501 6.4.7: NO [TRYCREATE]."""
    c = session(server)
    assert c(b"c COPY 1 Nowhere").startswith(b"c NO [TRYCREATE] ")
    assert c(b"c MOVE 1 Nowhere").startswith(b"c NO [TRYCREATE] ")


def test_copy_from_an_examined_mailbox_works(server: IMAPServer, backend: MemoryBackend) -> None:
    c = session(server, b"EXAMINE")
    trash = _uidvalidity(backend, "Trash")
    assert c(b"c COPY 1 Trash") == b"c OK [COPYUID %d 1 1] COPY completed\r\n" % trash


def test_copy_of_a_message_expunged_elsewhere_fails_whole(
    server: IMAPServer, backend: MemoryBackend
) -> None:
    """RFC 2180 4.4.1 / RFC 3501 6.4.7: no partial copy; NO [EXPUNGEISSUED]."""
    c = session(server)
    other = session(server)
    other(b"s STORE 1 +FLAGS.SILENT (\\Deleted)")
    other(b"e EXPUNGE")
    # A non-UID FETCH: the view learns of the expunge, the client is not told.
    assert c(b"t FETCH 1 UID").startswith(b"* 1 FETCH (UID 1)\r\nt OK [EXPUNGEISSUED]")
    assert c(b"c COPY 1:2 Trash") == (
        b"* 1 EXPUNGE\r\nc NO [EXPUNGEISSUED] Some of the messages no longer exist\r\n"
    )
    assert backend.account("demo").status("Trash").messages == 0


# -------------------------------------------------------------------- MOVE


def test_move_sends_copyuid_before_the_expunges(server: IMAPServer, backend: MemoryBackend) -> None:
    """RFC 6851 4.3: ``* OK [COPYUID ...]`` then the EXPUNGEs, then the OK."""
    c = session(server)
    trash = _uidvalidity(backend, "Trash")
    assert c(b"m MOVE 2:3 Trash") == (
        b"* OK [COPYUID %d 2:3 1:2] Moved\r\n" % trash
        + b"* 2 EXPUNGE\r\n* 2 EXPUNGE\r\nm OK MOVE completed\r\n"
    )
    assert c(b"m UID MOVE 7 Trash") == (
        b"* OK [COPYUID %d 7 3] Moved\r\n" % trash + b"* 5 EXPUNGE\r\nm OK MOVE completed\r\n"
    )


def test_move_of_an_empty_set(server: IMAPServer) -> None:
    c = session(server)
    assert c(b"m UID MOVE 100 Trash") == b"m OK MOVE completed\r\n"


def test_move_within_the_same_mailbox(server: IMAPServer, backend: MemoryBackend) -> None:
    c = session(server)
    inbox = _uidvalidity(backend, "INBOX")
    # The copy is a new message: EXISTS (and RECENT, RFC 3501 7.3.2) after the EXPUNGE.
    assert c(b"m MOVE 1 INBOX") == (
        b"* OK [COPYUID %d 1 8] Moved\r\n" % inbox
        + b"* 1 EXPUNGE\r\n* 7 EXISTS\r\n* 7 RECENT\r\nm OK MOVE completed\r\n"
    )


def test_move_in_an_examined_mailbox_is_no_read_only(server: IMAPServer) -> None:
    c = session(server, b"EXAMINE")
    assert c(b"m MOVE 1 Trash") == b"m NO [READ-ONLY] Mailbox is read-only\r\n"


def test_move_is_seen_by_other_sessions(server: IMAPServer) -> None:
    a = session(server)
    b = session(server)
    a(b"m MOVE 1 Trash")
    assert b(b"n NOOP") == b"* 1 EXPUNGE\r\n" + NOOP
