"""QRESYNC (RFC 7162 3.2): VANISHED, SELECT (QRESYNC ...), UID FETCH VANISHED.

The mailbox is the one of RFC 7162 3.2.10.2's example: eleven messages with
UIDs 500 504 505 507 508 509 510 600 601 602 625 (UIDVALIDITY 67890007),
left of 625 appended messages, the others expunged beforehand.  504, 508 and
600 are \\Seen.  ``M0`` is the mailbox's mod-sequence once it is set up; the
memory store bumps it by one for each APPEND, STORE and EXPUNGE, so later
values are ``M0 + k``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.server._backend import StoreAction
from imap_sansio.testing import fixed_clock

DATE = datetime(2026, 1, 1, tzinfo=UTC)
UIDS = (500, 504, 505, 507, 508, 509, 510, 600, 601, 602, 625)
SEEN = (504, 508, 600)


class Client:
    def __init__(self, server: IMAPServer) -> None:
        self.conn = server.connect()
        self.conn.data_to_send()

    def __call__(self, line: bytes) -> bytes:
        self.conn.receive_data(line + b"\r\n")
        return self.conn.data_to_send()


@pytest.fixture
def backend() -> MemoryBackend:
    backend = MemoryBackend(
        users={"alex": "pw"}, uidvalidity_source=itertools.count(67890007).__next__
    )
    account = backend.account("alex")
    for uid in range(1, 626):
        flags = ("\\Seen",) if uid in SEEN else ()
        account.append("INBOX", b"Subject: %d\r\n\r\nx\r\n" % uid, flags=flags, internal_date=DATE)
    account.create_mailbox("Archive")
    mailbox = account.select("INBOX")
    mailbox.store_flags([u for u in range(1, 626) if u not in UIDS], StoreAction.ADD, ["\\Deleted"])
    mailbox.expunge()
    mailbox.claim_recent()
    return backend


def m0(backend: MemoryBackend) -> int:
    return backend.account("alex").select("INBOX").status().highest_modseq


@pytest.fixture
def login(backend: MemoryBackend) -> Callable[[], Client]:
    server = IMAPServer(backend, clock=fixed_clock())

    def connect() -> Client:
        client = Client(server)
        assert client(b"a LOGIN alex pw").startswith(b"a OK")
        return client

    return connect


def selected(login: Callable[[], Client], *, qresync: bool) -> Client:
    client = login()
    if qresync:
        assert client(b"e ENABLE QRESYNC") == b"* ENABLED QRESYNC\r\ne OK ENABLE completed\r\n"
    assert client(b"s SELECT INBOX").endswith(b"s OK [READ-WRITE] SELECT completed\r\n")
    return client


def select_lines(exists: int, highest: int, *, unseen: int = 1) -> bytes:
    return (
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
        b"* %d EXISTS\r\n"
        b"* 0 RECENT\r\n"
        b"* OK [UNSEEN %d] First unseen: %d\r\n"
        b"* OK [UIDVALIDITY 67890007] UIDs valid\r\n"
        b"* OK [UIDNEXT 626] Predicted next UID\r\n"
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] "
        b"Flags permitted\r\n"
        b"* OK [HIGHESTMODSEQ %d] Highest\r\n"
    ) % (exists, unseen, unseen, highest)


# ------------------------------------------------ VANISHED replaces EXPUNGE


def test_expunge_answers_vanished_with_highestmodseq(
    login: Callable[[], Client], backend: MemoryBackend
) -> None:
    """RFC 7162 3.2.10.2's example (and 3.2.7: with QRESYNC the tagged OK
    carries the new HIGHESTMODSEQ); the session without QRESYNC gets the
    EXPUNGE form of the same example."""
    base = m0(backend)
    a = selected(login, qresync=True)
    b = selected(login, qresync=False)
    assert a(b"s STORE 3,4,7,11 +FLAGS.SILENT (\\Deleted)") == (
        b"* 3 FETCH (UID 505 MODSEQ (%d))\r\n" % (base + 1)
        + b"* 4 FETCH (UID 507 MODSEQ (%d))\r\n" % (base + 1)
        + b"* 7 FETCH (UID 510 MODSEQ (%d))\r\n" % (base + 1)
        + b"* 11 FETCH (UID 625 MODSEQ (%d))\r\n" % (base + 1)
        + b"s OK STORE completed\r\n"
    )
    assert a(b"A202 EXPUNGE") == (
        b"* VANISHED 505,507,510,625\r\n"
        b"A202 OK [HIGHESTMODSEQ %d] EXPUNGE completed\r\n" % (base + 2)
    )
    assert b(b"A202 NOOP") == (
        b"* 3 EXPUNGE\r\n* 3 EXPUNGE\r\n* 5 EXPUNGE\r\n* 8 EXPUNGE\r\nA202 OK NOOP completed\r\n"
    )
    # "(Continuing from the previous example.)"
    a(b"s STORE 2:3 +FLAGS.SILENT (\\Deleted)")  # now 500 504 508 509 600 601 602
    assert a(b"A210 EXPUNGE") == (
        b"* VANISHED 504,508\r\nA210 OK [HIGHESTMODSEQ %d] EXPUNGE completed\r\n" % (base + 4)
    )


def test_other_sessions_expunges_arrive_as_vanished(
    login: Callable[[], Client], backend: MemoryBackend
) -> None:
    """RFC 7162 3.2.10.2: "messages expunged in other connections" too; the
    flag changes come with UID and MODSEQ (3.2.4), numbered after the VANISHED."""
    base = m0(backend)
    a = selected(login, qresync=True)
    b = selected(login, qresync=False)
    b(b"s STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    b(b"s STORE 3 +FLAGS.SILENT (\\Flagged)")
    b(b"x UID EXPUNGE 500")
    assert a(b"n NOOP") == (
        b"* VANISHED 500\r\n"
        + b"* 1 FETCH (FLAGS (\\Deleted \\Seen) UID 504 MODSEQ (%d))\r\n" % (base + 1)
        + b"* 2 FETCH (FLAGS (\\Flagged) UID 505 MODSEQ (%d))\r\n" % (base + 2)
        + b"n OK NOOP completed\r\n"
    )


def test_uid_expunge_and_close(login: Callable[[], Client], backend: MemoryBackend) -> None:
    """RFC 7162 3.2.9: UID EXPUNGE like EXPUNGE; 3.2.8: CLOSE sends neither
    VANISHED nor HIGHESTMODSEQ; nothing expunged, no HIGHESTMODSEQ."""
    base = m0(backend)
    a = selected(login, qresync=True)
    a(b"s UID STORE 600:602 +FLAGS.SILENT (\\Deleted)")
    assert a(b". UID EXPUNGE 600:601") == (
        b"* VANISHED 600:601\r\n. OK [HIGHESTMODSEQ %d] EXPUNGE completed\r\n" % (base + 2)
    )
    assert a(b". UID EXPUNGE 500") == b". OK EXPUNGE completed\r\n"
    assert a(b"A202 CLOSE") == b"A202 OK CLOSE completed\r\n"


def test_move_reports_vanished_and_highestmodseq(
    login: Callable[[], Client], backend: MemoryBackend
) -> None:
    """RFC 6851 4.4: with QRESYNC, VANISHED and the new HIGHESTMODSEQ."""
    base = m0(backend)
    a = selected(login, qresync=True)
    assert a(b"m UID MOVE 504:505 Archive") == (
        b"* OK [COPYUID 67890008 504:505 1:2] Moved\r\n"
        b"* VANISHED 504:505\r\n"
        b"m OK [HIGHESTMODSEQ %d] MOVE completed\r\n" % (base + 1)
    )


def test_store_and_implicit_seen_include_uid(
    login: Callable[[], Client], backend: MemoryBackend
) -> None:
    """RFC 7162 3.2.4: once QRESYNC is on, the FETCH responses of STORE and of
    a FETCH that set \\Seen carry UID and MODSEQ."""
    base = m0(backend)
    a = selected(login, qresync=True)
    assert a(b"s STORE 1 +FLAGS (\\Answered)") == (
        b"* 1 FETCH (FLAGS (\\Answered) UID 500 MODSEQ (%d))\r\ns OK STORE completed\r\n"
        % (base + 1)
    )
    assert a(b"f FETCH 3 BODY[TEXT]") == (
        b"* 3 FETCH (UID 505 MODSEQ (%d) BODY[TEXT] {3}\r\nx\r\n FLAGS (\\Seen))\r\n" % (base + 2)
        + b"f OK FETCH completed\r\n"
    )
    # A FETCH that changes nothing is left as asked (3.2.4's last sentence).
    assert a(b"f FETCH 3 FLAGS") == (
        b"* 3 FETCH (MODSEQ (%d) FLAGS (\\Seen))\r\nf OK FETCH completed\r\n" % (base + 2)
    )


# ------------------------------------------------- SELECT (QRESYNC ...)


def test_qresync_select_without_enable_is_bad(login: Callable[[], Client]) -> None:
    """RFC 7162 3.2.5: "MUST respond with a tagged BAD response"; the mailbox
    selected before is closed (CLOSED says so, 3.2.11)."""
    c = login()
    assert c(b"A02 SELECT INBOX (QRESYNC (67890007 1))") == (
        b"A02 BAD [CLIENTBUG] QRESYNC needs ENABLE QRESYNC first\r\n"
    )
    c(b"s SELECT INBOX")
    assert c(b"A03 EXAMINE INBOX (QRESYNC (67890007 1))") == (
        b"* OK [CLOSED] Previous mailbox closed\r\n"
        b"A03 BAD [CLIENTBUG] QRESYNC needs ENABLE QRESYNC first\r\n"
    )
    assert c(b"f FETCH 1 FLAGS").startswith(b"f BAD ")


def test_qresync_select_with_another_uidvalidity_is_a_plain_select(
    login: Callable[[], Client], backend: MemoryBackend
) -> None:
    """RFC 7162 3.2.5 (the "UIDVALIDITY mismatch" example): the remaining
    parameters are ignored."""
    c = login()
    c(b"e ENABLE QRESYNC")
    assert c(b"A02 SELECT INBOX (QRESYNC (67890006 1 41,43:211,214:541))") == (
        select_lines(11, m0(backend)) + b"A02 OK [READ-WRITE] SELECT completed\r\n"
    )


def _changes_elsewhere(login: Callable[[], Client]) -> None:
    """Another client expunges 505, 507 and 510 and flags 600 and 625."""
    other = selected(login, qresync=False)
    other(b"s UID STORE 505,507,510 +FLAGS.SILENT (\\Deleted)")
    other(b"x EXPUNGE")
    other(b"s UID STORE 600,625 +FLAGS.SILENT (\\Flagged)")


def test_qresync_select_reports_vanished_then_changed_flags(
    login: Callable[[], Client], backend: MemoryBackend
) -> None:
    """RFC 7162 3.2.5.1's example: CLOSED, the usual responses, VANISHED
    (EARLIER) for the known UIDs expunged since the modseq, then FETCH (UID
    FLAGS MODSEQ) for the known messages changed since."""
    base = m0(backend)
    c = selected(login, qresync=True)
    _changes_elsewhere(login)
    assert c(b"A03 SELECT INBOX (QRESYNC (67890007 %d 500:600))" % base) == (
        b"* OK [CLOSED] Previous mailbox closed\r\n"
        + select_lines(8, base + 3)
        + b"* VANISHED (EARLIER) 505,507,510\r\n"
        + b"* 5 FETCH (UID 600 FLAGS (\\Flagged \\Seen) MODSEQ (%d))\r\n" % (base + 3)
        + b"A03 OK [READ-WRITE] SELECT completed\r\n"
    )
    # Without known UIDs: "1:<maxuid>", so 625's change is reported too.
    assert c(b"A04 EXAMINE INBOX (QRESYNC (67890007 %d))" % base).endswith(
        b"* VANISHED (EARLIER) 505,507,510\r\n"
        + b"* 5 FETCH (UID 600 FLAGS (\\Flagged \\Seen) MODSEQ (%d))\r\n" % (base + 3)
        + b"* 8 FETCH (UID 625 FLAGS (\\Flagged) MODSEQ (%d))\r\n" % (base + 3)
        + b"A04 OK [READ-ONLY] EXAMINE completed\r\n"
    )
    # Up to date: nothing to report.
    assert c(b"A05 SELECT INBOX (QRESYNC (67890007 %d 1:625))" % (base + 3)).endswith(
        b"* OK [HIGHESTMODSEQ %d] Highest\r\nA05 OK [READ-WRITE] SELECT completed\r\n" % (base + 3)
    )


def test_qresync_select_with_sequence_match_data(
    login: Callable[[], Client], backend: MemoryBackend
) -> None:
    """RFC 7162 3.2.5.2: each matching (number, UID) pair says the client knows
    the expunges up to that UID; the first pair that does not match ends it.
    Now 1:4 are 500 504 508 509: the pairs for 1:3 match, (4, 510) does not."""
    base = m0(backend)
    c = selected(login, qresync=True)
    _changes_elsewhere(login)
    assert c(b"B04 SELECT INBOX (QRESYNC (67890007 %d 500:625 (1:4 500,504,508,510)))" % base) == (
        b"* OK [CLOSED] Previous mailbox closed\r\n"
        + select_lines(8, base + 3)
        + b"* VANISHED (EARLIER) 510\r\n"
        + b"* 5 FETCH (UID 600 FLAGS (\\Flagged \\Seen) MODSEQ (%d))\r\n" % (base + 3)
        + b"* 8 FETCH (UID 625 FLAGS (\\Flagged) MODSEQ (%d))\r\n" % (base + 3)
        + b"B04 OK [READ-WRITE] SELECT completed\r\n"
    )


def test_qresync_select_reports_a_message_that_came_and_went(
    login: Callable[[], Client], backend: MemoryBackend
) -> None:
    """A message that arrived after the client's modseq and is gone again: the
    client may know it (it saw the EXISTS), so it is VANISHED too (3.2.5.1:
    "expunges ... that have occurred in this mailbox since the provided
    modification sequence")."""
    base = m0(backend)
    c = selected(login, qresync=True)
    account = backend.account("alex")
    account.append("INBOX", b"Subject: new\r\n\r\nx\r\n", internal_date=DATE)  # UID 626
    assert c(b"n NOOP") == b"* 12 EXISTS\r\n* 1 RECENT\r\nn OK NOOP completed\r\n"
    c(b"s UID STORE 626 +FLAGS.SILENT (\\Deleted)")
    c(b"x UID EXPUNGE 626")
    assert c(b"A03 SELECT INBOX (QRESYNC (67890007 %d 500:626))" % base).endswith(
        b"* OK [HIGHESTMODSEQ %d] Highest\r\n" % (base + 3)
        + b"* VANISHED (EARLIER) 626\r\n"
        + b"A03 OK [READ-WRITE] SELECT completed\r\n"
    )


# ------------------------------------------- UID FETCH (CHANGEDSINCE VANISHED)


def test_uid_fetch_vanished(login: Callable[[], Client], backend: MemoryBackend) -> None:
    """RFC 7162 3.2.6's example: VANISHED (EARLIER) first, then the FETCHes.
    Expunges this session has not been told of yet go out as a plain VANISHED
    before the OK (a UID command may see them, 3.2.10.2), not as EARLIER."""
    base = m0(backend)
    c = selected(login, qresync=True)
    _changes_elsewhere(login)
    assert c(b"s100 UID FETCH 500:610 (FLAGS) (CHANGEDSINCE %d VANISHED)" % base) == (
        b"* 8 FETCH (UID 600 MODSEQ (%d) FLAGS (\\Flagged \\Seen))\r\n" % (base + 3)
        + b"* VANISHED 505,507,510\r\n"
        + b"* 8 FETCH (FLAGS (\\Flagged) UID 625 MODSEQ (%d))\r\n" % (base + 3)
        + b"s100 OK FETCH completed\r\n"
    )
    assert c(b"s101 UID FETCH 500:610 (FLAGS) (CHANGEDSINCE %d VANISHED)" % base) == (
        b"* VANISHED (EARLIER) 505,507,510\r\n"
        + b"* 5 FETCH (UID 600 MODSEQ (%d) FLAGS (\\Flagged \\Seen))\r\n" % (base + 3)
        + b"s101 OK FETCH completed\r\n"
    )
    # Nothing that exists is named: still the VANISHED (EARLIER).
    assert c(b"s102 UID FETCH 505:507 (FLAGS) (CHANGEDSINCE %d VANISHED)" % base) == (
        b"* VANISHED (EARLIER) 505,507\r\ns102 OK FETCH completed\r\n"
    )
    assert c(b"s103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % (base + 3)) == (
        b"s103 OK FETCH completed\r\n"
    )


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (
            b"t FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)",
            b"VANISHED is only valid with UID FETCH",
        ),
        (b"t UID FETCH 1:* (FLAGS) (VANISHED)", b"VANISHED needs CHANGEDSINCE"),
    ],
)
def test_vanished_modifier_misuse_is_bad(
    login: Callable[[], Client], command: bytes, text: bytes
) -> None:
    """RFC 7162 3.2.6: each is a "MUST ... tagged BAD"."""
    c = selected(login, qresync=True)
    assert c(command) == b"t BAD [CLIENTBUG] " + text + b"\r\n"


def test_vanished_modifier_needs_enable_qresync(login: Callable[[], Client]) -> None:
    c = selected(login, qresync=False)
    assert c(b"t UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)") == (
        b"t BAD [CLIENTBUG] VANISHED needs ENABLE QRESYNC first\r\n"
    )
