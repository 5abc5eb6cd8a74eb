"""CONTEXT=SEARCH / CONTEXT=SORT (RFC 5267): its examples replayed.

The RFC's mailbox has 23765+ messages; ours has 12 (UIDs 1-12), so counts,
numbers and UIDs are ours, each example's shape and every other byte the
RFC's.  Other deviations, each a free choice: texts after the response codes
are ours; the RFC's examples run in one session, the ADDTO and REMOVEFROM
ones after changes it does not show ("[...]"): here another session makes
them.  The B02 example needs the limit on contexts reached first, and its
SORT command gets the sort criteria the RFC's line leaves out.
"""

from __future__ import annotations

from datetime import UTC, datetime

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.server._contexts import MAX_CONTEXTS
from imap_sansio.testing import fixed_clock, play

DATE = datetime(2008, 7, 1, tzinfo=UTC)


def _server() -> IMAPServer:
    """INBOX: 12 messages; 1-2 \\Deleted, 3 $Junk, 4 both, the rest neither."""
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    flags = {1: ["\\Deleted"], 2: ["\\Deleted"], 3: ["$Junk"], 4: ["\\Deleted", "$Junk"]}
    for n in range(1, 13):
        data = b"Date: %d Jul 2008 10:00:00 +0000\r\nSubject: %d\r\n\r\n." % (n, n)
        account.append("INBOX", data, flags=flags.get(n, []), internal_date=DATE)
    return IMAPServer(backend, clock=fixed_clock())


SELECT = """
    C: l LOGIN alice secret
    S: l OK $ANY
    C: s SELECT INBOX
    S: $ANY
    S: * 12 EXISTS
    S: $ANY
    S: $ANY
    S: $ANY
    S: $ANY
    S: $ANY
    S: s OK [READ-WRITE] SELECT completed
"""


def test_rfc5267_4_1_4_2_and_4_4_results_counts_and_partial() -> None:
    play(
        _server(),
        SELECT
        + """
        # 4.1: S: * ESEARCH (TAG "E01") UID ALL 23765,23764,23763,23761,[...]
        C: E01 UID SORT RETURN () (REVERSE DATE) UTF-8 UNDELETED UNKEYWORD $Junk
        S: * ESEARCH (TAG "E01") UID ALL 12,11,10,9,8,7,6,5
        S: E01 OK SORT completed
        # 4.2: S: * ESEARCH (TAG "A01") COUNT 23765
        C: A01 SEARCH RETURN (CONTEXT COUNT) UNDELETED UNKEYWORD $Junk
        S: * ESEARCH (TAG "A01") COUNT 8
        S: A01 OK SEARCH completed
        # 4.4: a window spanning the end, one at the start, one beyond the end.
        C: A02 UID SEARCH RETURN (PARTIAL 7:10) UNDELETED UNKEYWORD $Junk
        S: * ESEARCH (TAG "A02") UID PARTIAL (7:10 11:12)
        S: A02 OK SEARCH completed
        C: A03 UID SEARCH RETURN (PARTIAL 1:5) UNDELETED UNKEYWORD $Junk
        S: * ESEARCH (TAG "A03") UID PARTIAL (1:5 5:9)
        S: A03 OK SEARCH completed
        C: A04 UID SEARCH RETURN (PARTIAL 10:15) UNDELETED UNKEYWORD $Junk
        S: * ESEARCH (TAG "A04") UID PARTIAL (10:15 NIL)
        S: A04 OK SEARCH completed
        """,
    )


def test_rfc5267_4_3_updates_tag_reuse_and_cancelupdate() -> None:
    play(
        _server(),
        SELECT
        + """
        # 4.3: S: * ESEARCH (TAG "B01") COUNT 74
        # The RFC leaves out the UID indicator that RFC 4731 3.1 requires
        # ("An extended UID SEARCH command MUST cause an ESEARCH response
        # with the UID indicator present"); so for B02.
        C: B01 UID SEARCH RETURN (UPDATE COUNT) DELETED KEYWORD $Junk
        S: * ESEARCH (TAG "B01") UID COUNT 1
        S: B01 OK SEARCH completed
        # "Note that the following is rejected, and has no effect":
        # "S: B01 BAD Tag reuse".  As printed the SORT lacks its criteria and
        # charset (RFC 5256 3), which is BAD already; with them, the tag.
        C: B01 SORT RETURN (UPDATE) FLAGGED
        S: B01 BAD [CLIENTBUG] $ANY
        C: B01 SORT RETURN (UPDATE) (DATE) UTF-8 FLAGGED
        S: B01 BAD [CLIENTBUG] Tag reuse$ANY
        # 4.3.3: messages 5 and 6 (UIDs 5, 6) get \\Deleted and $Junk.
        #   S: * 23762 FETCH (FLAGS (\\Deleted \\Seen))
        #   S: * 23763 FETCH (FLAGS ($Junk \\Seen))
        #   S: * ESEARCH (TAG "B01") UID ADDTO (0 32768:32769)
        C2: l LOGIN alice secret
        S2: l OK $ANY
        C2: s SELECT INBOX
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: s OK [READ-WRITE] SELECT completed
        C2: f STORE 5:6 +FLAGS.SILENT (\\Deleted $Junk)
        S2: f OK STORE completed
        C: n NOOP
        # Ours name the UID too, and \\Recent (an IMAP4rev1 session).
        S: * 5 FETCH (FLAGS ($$Junk \\Deleted \\Recent) UID 5)
        S: * 6 FETCH (FLAGS ($$Junk \\Deleted \\Recent) UID 6)
        S: * ESEARCH (TAG "B01") UID ADDTO (0 5:6)
        S: n OK NOOP completed
        # 4.3.4: REMOVEFROM before the EXPUNGE (which B03's NOOP brings).
        #   S: * ESEARCH (TAG "B01") UID REMOVEFROM (0 32768)
        #   C: B03 NOOP
        #   S: * 23762 EXPUNGE
        C2: x UID EXPUNGE 5
        S2: * 5 EXPUNGE
        S2: x OK EXPUNGE completed
        C: B03 NOOP
        S: * ESEARCH (TAG "B01") UID REMOVEFROM (0 5)
        S: * 5 EXPUNGE
        S: B03 OK NOOP completed
        # 4.3.5
        C: B04 CANCELUPDATE "B01"
        S: B04 OK $ANY
        """,
    )


def test_rfc5267_4_3_1_noupdate() -> None:
    # S: * ESEARCH (TAG "B02") COUNT 74
    # S: * NO [NOUPDATE "B02"] Too many contexts
    # S: B02 OK Search completed, will not notify.
    fill = "".join(
        f"""
        C: T{n} UID SEARCH RETURN (UPDATE) DELETED
        S: * ESEARCH (TAG "T{n}") UID ALL 1:2,4
        S: T{n} OK SEARCH completed
        """
        for n in range(MAX_CONTEXTS)
    )
    play(
        _server(),
        SELECT
        + fill
        + """
        C: B02 UID SORT RETURN (UPDATE COUNT) (DATE) UTF-8 KEYWORD $Junk
        S: * ESEARCH (TAG "B02") UID COUNT 2
        S: * NO [NOUPDATE "B02"] Too many contexts
        S: B02 OK SORT completed
        """,
    )
