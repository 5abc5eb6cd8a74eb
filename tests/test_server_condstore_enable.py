"""CONDSTORE (RFC 7162 3.1): advertising, enabling, HIGHESTMODSEQ, CLOSED.

The mailbox is the RFC's shape with our numbers: UIDVALIDITY 67890007 (the
QRESYNC examples' value), seven messages appended one by one, so message n
has UID n and mod-sequence n + 1 (the mailbox starts at 1 and every append
bumps it); odd messages are \\Seen.  Their \\Recent is claimed beforehand, so
FLAGS read as in the RFC's examples.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

DATE = datetime(2026, 1, 1, tzinfo=UTC)


class Client:
    def __init__(self, server: IMAPServer) -> None:
        self.conn = server.connect()
        self.conn.data_to_send()

    def __call__(self, line: bytes) -> bytes:
        self.conn.receive_data(line + b"\r\n")
        return self.conn.data_to_send()


def make_backend(count: int = 7) -> MemoryBackend:
    backend = MemoryBackend(
        users={"alex": "pw"}, uidvalidity_source=itertools.count(67890007).__next__
    )
    account = backend.account("alex")
    for n in range(1, count + 1):
        flags = ("\\Seen",) if n % 2 else ()
        account.append(
            "INBOX", b"Subject: %d\r\n\r\nbody %d\r\n" % (n, n), flags=flags, internal_date=DATE
        )
    account.create_mailbox("Other")
    account.select("INBOX").claim_recent()
    return backend


@pytest.fixture
def backend() -> MemoryBackend:
    return make_backend()


@pytest.fixture
def login(backend: MemoryBackend) -> Callable[[], Client]:
    server = IMAPServer(backend, clock=fixed_clock())

    def connect() -> Client:
        client = Client(server)
        assert client(b"a LOGIN alex pw").startswith(b"a OK")
        return client

    return connect


SELECT_INBOX = (
    b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    b"* 7 EXISTS\r\n"
    b"* 0 RECENT\r\n"
    b"* OK [UNSEEN 2] First unseen: 2\r\n"
    b"* OK [UIDVALIDITY 67890007] UIDs valid\r\n"
    b"* OK [UIDNEXT 8] Predicted next UID\r\n"
    b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\r\n"
)
HIGHEST = b"* OK [HIGHESTMODSEQ %d] Highest\r\n"


# ---------------------------------------------------------------- advertising


def test_condstore_and_qresync_are_advertised_after_login(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.1, 3.2.2 (and CONDSTORE beside QRESYNC, as 3.2.2 advises)."""
    reply = login()(b"c CAPABILITY")
    caps = reply.split(b"\r\n")[0].split()
    assert b"CONDSTORE" in caps
    assert b"QRESYNC" in caps
    assert b"ENABLE" in caps  # RFC 7162 3.2.3: QRESYNC needs ENABLE


class _PlainAccount:
    """An account without the CondstoreAccount protocol (modseqs not persistent)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "enable_condstore":
            raise AttributeError(name)
        return getattr(self._inner, name)


class _PlainBackend:
    def __init__(self, inner: MemoryBackend) -> None:
        self._inner = inner

    def authenticate(self, username: str, password: Any, *, authzid: str | None = None) -> Any:
        return _PlainAccount(self._inner.authenticate(username, password, authzid=authzid))

    def add_listener(self, callback: Any) -> Any:
        return self._inner.add_listener(callback)


def test_a_store_without_persistent_modseqs_offers_neither(backend: MemoryBackend) -> None:
    """RFC 7162 3.1.2.2: such a mailbox answers SELECT (CONDSTORE) with NOMODSEQ;
    the CondstoreAccount protocol is what lets the server advertise them."""
    client = Client(IMAPServer(_PlainBackend(backend), clock=fixed_clock()))
    login = client(b"a LOGIN alex pw")
    assert b"CONDSTORE" not in login
    assert b"QRESYNC" not in login
    assert client(b"e ENABLE CONDSTORE QRESYNC") == b"* ENABLED\r\ne OK ENABLE completed\r\n"
    assert client(b"s SELECT INBOX (CONDSTORE)") == (
        SELECT_INBOX
        + b"* OK [NOMODSEQ] No mod-sequences here\r\n"
        + b"s OK [READ-WRITE] SELECT completed\r\n"
    )


# ---------------------------------------------------------------- ENABLE


def test_enable_condstore_then_select_reports_highestmodseq(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.2.1 Example 1: OK [HIGHESTMODSEQ n] with every SELECT after
    a CONDSTORE enabling command (the highest modseq of the mailbox: 8)."""
    c = login()
    assert c(b"A141 ENABLE CONDSTORE") == b"* ENABLED CONDSTORE\r\nA141 OK ENABLE completed\r\n"
    assert c(b"A142 SELECT INBOX") == (
        SELECT_INBOX + HIGHEST % 8 + b"A142 OK [READ-WRITE] SELECT completed\r\n"
    )
    assert c(b"A143 EXAMINE INBOX") == (
        b"* OK [CLOSED] Previous mailbox closed\r\n"
        + SELECT_INBOX.replace(
            b"[PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
            b"[PERMANENTFLAGS ()] Read-only mailbox",
        )
        + HIGHEST % 8
        + b"A143 OK [READ-ONLY] EXAMINE completed\r\n"
    )


def test_select_without_condstore_reports_no_highestmodseq(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.2: only "after a CONDSTORE enabling command"."""
    c = login()
    assert c(b"A142 SELECT INBOX") == SELECT_INBOX + b"A142 OK [READ-WRITE] SELECT completed\r\n"


def test_enable_answers_only_what_it_turned_on(login: Callable[[], Client]) -> None:
    """RFC 5161 3.1: ENABLED lists what this command enabled; RFC 7162 3.2.3:
    "ENABLE QRESYNC" and "ENABLE QRESYNC CONDSTORE" have identical results."""
    c = login()
    assert c(b"e ENABLE QRESYNC") == b"* ENABLED QRESYNC\r\ne OK ENABLE completed\r\n"
    assert c(b"e ENABLE CONDSTORE QRESYNC") == b"* ENABLED\r\ne OK ENABLE completed\r\n"
    d = login()
    assert c(b"e ENABLE QRESYNC") == b"* ENABLED\r\ne OK ENABLE completed\r\n"
    assert d(b"e ENABLE QRESYNC CONDSTORE") == (
        b"* ENABLED QRESYNC CONDSTORE\r\ne OK ENABLE completed\r\n"
    )
    e = login()
    assert e(b"e ENABLE CONDSTORE") == b"* ENABLED CONDSTORE\r\ne OK ENABLE completed\r\n"
    assert e(b"e ENABLE CONDSTORE QRESYNC") == b"* ENABLED QRESYNC\r\ne OK ENABLE completed\r\n"


# ------------------------------------------------- SELECT/EXAMINE (CONDSTORE)


def test_select_condstore_parameter(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.8 Example 18, then Example 14: the other session's change
    arrives with its MODSEQ (and UID, as our view always sends it)."""
    a, b = login(), login()
    assert a(b"A142 SELECT INBOX (CONDSTORE)") == (
        SELECT_INBOX + HIGHEST % 8 + b"A142 OK [READ-WRITE] SELECT completed\r\n"
    )
    assert b(b"b SELECT INBOX").endswith(b"b OK [READ-WRITE] SELECT completed\r\n")
    # Session 2 is not CONDSTORE-aware: no MODSEQ for its .SILENT STORE.
    assert b(b"A160 STORE 7 +FLAGS.SILENT (\\Deleted)") == b"A160 OK STORE completed\r\n"
    assert a(b"C180 NOOP") == (
        b"* 7 FETCH (FLAGS (\\Deleted \\Seen) UID 7 MODSEQ (9))\r\nC180 OK NOOP completed\r\n"
    )
    assert b(b"A240 STORE 7 -FLAGS.SILENT (\\Seen)") == b"A240 OK STORE completed\r\n"
    assert a(b"C270 NOOP") == (
        b"* 7 FETCH (FLAGS (\\Deleted) UID 7 MODSEQ (10))\r\nC270 OK NOOP completed\r\n"
    )


def test_examine_condstore_parameter(login: Callable[[], Client]) -> None:
    c = login()
    reply = c(b"A142 EXAMINE INBOX (CONDSTORE)")
    assert reply.endswith(HIGHEST % 8 + b"A142 OK [READ-ONLY] EXAMINE completed\r\n")
    # Enabled for the rest of the session (RFC 7162 3.1): a later SELECT too.
    assert c(b"A143 SELECT Other") == (
        b"* OK [CLOSED] Previous mailbox closed\r\n"
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
        b"* 0 EXISTS\r\n"
        b"* 0 RECENT\r\n"
        b"* OK [UIDVALIDITY 67890008] UIDs valid\r\n"
        b"* OK [UIDNEXT 1] Predicted next UID\r\n"
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] "
        b"Flags permitted\r\n" + HIGHEST % 1 + b"A143 OK [READ-WRITE] SELECT completed\r\n"
    )


# ------------------------------------------ the implicit enabling commands


def test_first_unchangedsince_store_reports_highestmodseq(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.3 Example 5: the first CONDSTORE enabling command with a
    mailbox selected gets ``* OK [HIGHESTMODSEQ n]`` before its FETCH."""
    c = login()
    c(b"s SELECT INBOX")
    assert c(b"c101 STORE 5 (UNCHANGEDSINCE 8) -FLAGS.SILENT (\\Seen)") == (
        HIGHEST % 8 + b"* 5 FETCH (MODSEQ (9))\r\nc101 OK STORE completed\r\n"
    )
    # Only the first one (RFC 7162 3.1: "A first CONDSTORE enabling command").
    assert c(b"c102 STORE 5 (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Seen)") == (
        b"* 5 FETCH (MODSEQ (10))\r\nc102 OK STORE completed\r\n"
    )


def test_first_fetch_modseq_reports_highestmodseq(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.4.2 Example 13, after the HIGHESTMODSEQ of 3.1."""
    c = login()
    c(b"s SELECT INBOX")
    assert c(b"a FETCH 1:3 (MODSEQ)") == (
        HIGHEST % 8
        + b"* 1 FETCH (MODSEQ (2))\r\n* 2 FETCH (MODSEQ (3))\r\n* 3 FETCH (MODSEQ (4))\r\n"
        + b"a OK FETCH completed\r\n"
    )
    assert c(b"a FETCH 1 (MODSEQ)") == b"* 1 FETCH (MODSEQ (2))\r\na OK FETCH completed\r\n"


def test_changedsince_enables_condstore(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.4.1 Example 12: MODSEQ implied, only messages above the value;
    afterwards every FETCH response carries MODSEQ (RFC 7162 3.1)."""
    c = login()
    c(b"s SELECT INBOX")
    assert c(b"s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 6)") == (
        HIGHEST % 8
        + b"* 6 FETCH (UID 6 MODSEQ (7) FLAGS ())\r\n"
        + b"* 7 FETCH (UID 7 MODSEQ (8) FLAGS (\\Seen))\r\n"
        + b"s100 OK FETCH completed\r\n"
    )
    assert c(b"f FETCH 2 FLAGS") == b"* 2 FETCH (MODSEQ (3) FLAGS ())\r\nf OK FETCH completed\r\n"


def test_search_modseq_enables_condstore(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.5 Examples 15 and 16, 3.1.6; the first reports HIGHESTMODSEQ."""
    c = login()
    c(b"s SELECT INBOX")
    assert c(b'a SEARCH MODSEQ "/flags/\\\\draft" all 7') == (
        HIGHEST % 8 + b"* SEARCH 6 7 (MODSEQ 8)\r\na OK SEARCH completed\r\n"
    )
    assert c(b"t SEARCH OR NOT MODSEQ 1 LARGER 50000") == (b"* SEARCH\r\nt OK SEARCH completed\r\n")


def test_sort_modseq_enables_condstore(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.9: SORT with MODSEQ appends the highest modseq."""
    c = login()
    c(b"s SELECT INBOX")
    assert c(b"a SORT (ARRIVAL) UTF-8 MODSEQ 6") == (
        HIGHEST % 8 + b"* SORT 5 6 7 (MODSEQ 8)\r\na OK SORT completed\r\n"
    )


def test_status_highestmodseq_enables_condstore(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1.7 Example 17 (items asked in the order of its answer);
    STATUS (HIGHESTMODSEQ) is an enabling command (3.1), so the SELECT after it
    reports HIGHESTMODSEQ."""
    c = login()
    assert c(b"A042 STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)") == (
        b"* STATUS INBOX (MESSAGES 7 UIDNEXT 8 HIGHESTMODSEQ 8)\r\nA042 OK STATUS completed\r\n"
    )
    assert c(b"A142 SELECT INBOX") == (
        SELECT_INBOX + HIGHEST % 8 + b"A142 OK [READ-WRITE] SELECT completed\r\n"
    )


def test_status_highestmodseq_while_selected_reports_the_selected_one(
    login: Callable[[], Client],
) -> None:
    c = login()
    c(b"s SELECT INBOX")
    assert c(b"A042 STATUS Other (HIGHESTMODSEQ)") == (
        HIGHEST % 8 + b"* STATUS Other (HIGHESTMODSEQ 1)\r\nA042 OK STATUS completed\r\n"
    )


def test_commands_that_do_not_enable_condstore(login: Callable[[], Client]) -> None:
    """STATUS without HIGHESTMODSEQ, FETCH without MODSEQ: no MODSEQ appears."""
    c = login()
    c(b"s SELECT INBOX")
    assert c(b"A STATUS Other (MESSAGES)") == (
        b"* STATUS Other (MESSAGES 0)\r\nA OK STATUS completed\r\n"
    )
    assert c(b"f FETCH 2 FLAGS") == b"* 2 FETCH (FLAGS ())\r\nf OK FETCH completed\r\n"


# ------------------------------------------- the session's own mod-sequences


def test_own_store_modseqs_increase_and_are_not_echoed(login: Callable[[], Client]) -> None:
    """RFC 7162 3.1: each STORE gets a new, greater mod-sequence; the session's
    own change is not repeated by the next NOOP; the other session gets it."""
    a, b = login(), login()
    a(b"e ENABLE CONDSTORE")
    b(b"e ENABLE CONDSTORE")
    a(b"s SELECT INBOX")
    b(b"s SELECT INBOX")
    assert a(b"s STORE 1 +FLAGS (\\Flagged)") == (
        b"* 1 FETCH (FLAGS (\\Flagged \\Seen) MODSEQ (9))\r\ns OK STORE completed\r\n"
    )
    assert a(b"s STORE 1 -FLAGS (\\Seen)") == (
        b"* 1 FETCH (FLAGS (\\Flagged) MODSEQ (10))\r\ns OK STORE completed\r\n"
    )
    assert a(b"n NOOP") == b"n OK NOOP completed\r\n"
    assert a(b"f FETCH 1 (MODSEQ)") == b"* 1 FETCH (MODSEQ (10))\r\nf OK FETCH completed\r\n"
    assert b(b"n NOOP") == (
        b"* 1 FETCH (FLAGS (\\Flagged) UID 1 MODSEQ (10))\r\nn OK NOOP completed\r\n"
    )


# ---------------------------------------------------------------- CLOSED


def test_select_while_selected_sends_closed_first(login: Callable[[], Client]) -> None:
    """RFC 7162 3.2.11: a server advertising CONDSTORE or QRESYNC MUST send the
    CLOSED code when SELECT/EXAMINE closes the selected mailbox, whether or not
    CONDSTORE was enabled; not for the first SELECT, nor after CLOSE."""
    c = login()
    first = c(b"a SELECT INBOX")
    assert b"CLOSED" not in first
    assert c(b"b SELECT Other").startswith(
        b"* OK [CLOSED] Previous mailbox closed\r\n* FLAGS (\\Answered"
    )
    assert c(b"c EXAMINE INBOX").startswith(b"* OK [CLOSED] Previous mailbox closed\r\n* FLAGS")
    assert c(b"d CLOSE") == b"d OK CLOSE completed\r\n"
    assert b"CLOSED" not in c(b"e SELECT INBOX")
    assert c(b"f UNSELECT") == b"f OK UNSELECT completed\r\n"


def test_failed_select_while_selected_closes_the_old_mailbox(login: Callable[[], Client]) -> None:
    """RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected; CLOSED says so."""
    c = login()
    c(b"a SELECT INBOX")
    reply = c(b"b SELECT Nonexistent")
    assert reply.startswith(b"* OK [CLOSED] Previous mailbox closed\r\nb NO ")
    assert c(b"f FETCH 1 FLAGS").startswith(b"f BAD ")
