"""SAVEDATE (RFC 8514): FETCH SAVEDATE and the SAVED* search keys.

The save dates come from the clock the store is given (``MemoryBackend(clock=...)``):
the transcripts move that clock between deliveries, so the RFC's examples
(4.2 and 4.3, messages 993-1001 of a big mailbox) come out as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play


class Clock:
    """A clock the test sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


CET = timezone(timedelta(hours=1))
OLD = datetime(2010, 5, 5, 12, 0, tzinfo=UTC)  # the internal date of every message

SELECT = """
    C: 1 LOGIN alice secret
    S: 1 OK [CAPABILITY $ANY SAVEDATE $ANY] LOGIN completed
    C: 2 SELECT INBOX
    S: * FLAGS ($ANY)
    S: * $NUMBER EXISTS
    S: * $NUMBER RECENT
    S: * OK [UNSEEN 1] First unseen: 1
    S: * OK [UIDVALIDITY $UIDVALIDITY] UIDs valid
    S: * OK [UIDNEXT $NUMBER] Predicted next UID
    S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
    S: 2 OK [READ-WRITE] SELECT completed
"""


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2014, 12, 27, 9, 0, tzinfo=UTC))


@pytest.fixture
def server(clock: Clock) -> Iterator[IMAPServer]:
    backend = MemoryBackend(users={"alice": "secret"}, clock=clock)
    account = backend.account("alice")
    # Messages 1-992 saved on 27 Dec 2014, 993-994 on the 28th, 995-1001
    # later; 998 at the moment of RFC 8514 4.2's example.
    for n in range(1, 1002):
        if n == 993:
            clock.now = datetime(2014, 12, 28, 23, 30, tzinfo=UTC)
        elif n == 995:
            clock.now = datetime(2014, 12, 29, 8, 0, tzinfo=UTC)
        clock.now = datetime(2015, 1, 1, 18, 50, 53, tzinfo=CET) if n == 998 else clock.now
        account.append("INBOX", b"Subject: %d\r\n\r\n%d\r\n" % (n, n), internal_date=OLD)
        if n == 998:
            clock.now = datetime(2015, 1, 2, tzinfo=UTC)
    yield IMAPServer(backend, clock=fixed_clock())


def test_rfc8514_4_2_and_4_3_examples(server: IMAPServer) -> None:
    play(
        server,
        SELECT
        + """
        # RFC 8514 4.2 (RFC 3501 date-time writes the day " 1", as INTERNALDATE;
        # the RFC's "01-Jan-2015" is the same date-day-fixed).
        C: A101 FETCH 998 (SAVEDATE)
        S: * 998 FETCH (SAVEDATE " 1-Jan-2015 18:50:53 +0100")
        S: A101 OK FETCH completed
        # RFC 8514 4.3: by the save date, disregarding time and zone.
        C: A102 SEARCH SAVEDON 28-Dec-2014
        S: * SEARCH 993 994
        S: A102 OK SEARCH completed
        C: A103 SEARCH SAVEDSINCE 28-Dec-2014
        S: * SEARCH 993 994 995 996 997 998 999 1000 1001
        S: A103 OK SEARCH completed
        C: A104 SEARCH SAVEDBEFORE 28-Dec-2014 NOT 1:990
        S: * SEARCH 991 992
        S: A104 OK SEARCH completed
        # The internal date plays no part (every message has 5 May 2010).
        C: A105 SEARCH ON 5-May-2010 SAVEDSINCE 1-Jan-2015
        S: * SEARCH 998 999 1000 1001
        S: A105 OK SEARCH completed
        C: A106 SEARCH SAVEDATESUPPORTED 999:*
        S: * SEARCH 999 1000 1001
        S: A106 OK SEARCH completed
        """,
    )


def test_copy_and_move_give_the_copy_a_new_save_date(server: IMAPServer, clock: Clock) -> None:
    # RFC 8514 3: "the save date attribute is not copied from the source
    # message"; the source keeps its own.
    clock.now = datetime(2015, 2, 3, 4, 5, 6, tzinfo=UTC)
    play(
        server,
        SELECT
        + """
        C: 3 CREATE Trash
        S: 3 OK CREATE completed
        C: 4 COPY 998 Trash
        S: 4 OK [COPYUID $V 998 1] COPY completed
        C: 5 MOVE 1 Trash
        S: * OK [COPYUID $V 1 2] Moved
        S: * 1 EXPUNGE
        S: 5 OK MOVE completed
        C: 6 FETCH 997 (SAVEDATE)
        S: * 997 FETCH (SAVEDATE " 1-Jan-2015 18:50:53 +0100")
        S: 6 OK FETCH completed
        C: 7 EXAMINE Trash
        S: * OK [CLOSED] Previous mailbox closed
        S: * FLAGS ($ANY)
        S: * 2 EXISTS
        S: * 2 RECENT
        S: * OK [UNSEEN 1] First unseen: 1
        S: * OK [UIDVALIDITY $V] UIDs valid
        S: * OK [UIDNEXT 3] Predicted next UID
        S: * OK [PERMANENTFLAGS ()] Read-only mailbox
        S: 7 OK [READ-ONLY] EXAMINE completed
        C: 8 FETCH 1:* (SAVEDATE)
        S: * 1 FETCH (SAVEDATE " 3-Feb-2015 04:05:06 +0000")
        S: * 2 FETCH (SAVEDATE " 3-Feb-2015 04:05:06 +0000")
        S: 8 OK FETCH completed
        # The internal date comes along (RFC 3501 6.4.7).
        C: 9 FETCH 1 (INTERNALDATE)
        S: * 1 FETCH (INTERNALDATE " 5-May-2010 12:00:00 +0000")
        S: 9 OK FETCH completed
        """,
    )


def test_without_a_clock_savedate_is_not_offered() -> None:
    server = IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock())
    session = server.connect()
    session.receive_data(
        b"1 LOGIN alice secret\r\n2 SELECT INBOX\r\n3 SEARCH SAVEDON 1-Jan-2015\r\n"
    )
    out = session.data_to_send()
    capabilities = out.split(b"1 OK [CAPABILITY ", 1)[1].split(b"]", 1)[0].split()
    assert b"SAVEDATE" not in capabilities
    assert out.endswith(b"3 BAD [CLIENTBUG] The SAVEDATE search keys are not supported\r\n")
    session.receive_data(b"4 FETCH 1:* (SAVEDATE)\r\n5 SEARCH SAVEDATESUPPORTED\r\n")
    assert session.data_to_send() == (
        b"4 BAD [CLIENTBUG] Invalid message sequence number: the mailbox is empty\r\n"
        b"5 BAD [CLIENTBUG] The SAVEDATE search keys are not supported\r\n"
    )


def test_multisearch_judges_each_mailbox_by_its_own_save_dates() -> None:
    # RFC 8514 4.3: with MULTISEARCH (RFC 7377) the keys apply "to each
    # mailbox individually", also with no mailbox selected.
    clock = Clock(datetime(2015, 1, 2, tzinfo=UTC))
    backend = MemoryBackend(users={"alice": "secret"}, clock=clock)
    backend.account("alice").append("INBOX", b"Subject: x\r\n\r\nx\r\n", internal_date=OLD)
    play(
        IMAPServer(backend, clock=fixed_clock()),
        """
        C: 1 LOGIN alice secret
        S: 1 OK $ANY
        C: 2 ESEARCH IN (personal) SAVEDSINCE 1-Jan-2015
        S: * ESEARCH (TAG "2" MAILBOX "INBOX" UIDVALIDITY $V) UID ALL 1
        S: 2 OK ESEARCH completed
        C: 3 ESEARCH IN (personal) SAVEDBEFORE 1-Jan-2015
        S: 3 OK ESEARCH completed
        """,
    )
