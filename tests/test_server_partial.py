"""PARTIAL (RFC 9394): paged SEARCH results and the UID FETCH modifier.

The RFC 9394 3.3 and 3.4 examples run as transcripts over mailboxes built to
hold the messages they show (each example has its own mailbox: the three are
not one mailbox state, e.g. 12888 is UID 25996 in one and 25997 in another).
The client lines are the RFC's bytes; the responses carry the RFC's data,
with the FETCH items in the order this server writes them (the requested
order, MODSEQ first), which RFC 3501 7.4.2 leaves to the server.  The 3.1
examples elide their results ("..."); their shape is checked on a mailbox of
known contents instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play

DATE = datetime(2023, 6, 1, tzinfo=UTC)


def server_with(messages: list[tuple[int, frozenset[str], int]]) -> IMAPServer:
    """A server whose INBOX holds messages with these (UID, flags, modseq),
    ascending UIDs, none \\Recent (as for a client that has seen them)."""
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    store = account._existing("INBOX")
    for uid, flags, modseq in messages:
        store.uidnext = uid
        store.add(b"Subject: %d\r\n\r\nbody\r\n" % uid, flags, DATE, modseq)
    store.modseq = max((m for _, _, m in messages), default=1)
    store.recent_from = store.uidnext
    return IMAPServer(backend, clock=fixed_clock())


LOGIN = """
    C: a LOGIN alice secret
    S: a OK $ANY
    C: s EXAMINE INBOX
    S: * FLAGS $ANY
    S: * $NUMBER EXISTS
    S: * 0 RECENT
    S: * OK [UNSEEN $NUMBER] $ANY
    S: * OK [UIDVALIDITY $ANY
    S: * OK [UIDNEXT $ANY
    S: * OK [PERMANENTFLAGS ()] $ANY
    S: s OK [READ-ONLY] EXAMINE completed
"""

SEEN, FLAGGED, ANSWERED = "\\Seen", "\\Flagged", "\\Answered"


def test_rfc9394_3_3_last_three_messages_of_a_uid_range() -> None:
    # Messages 1..12887 lie below the range; 12888..12890 are in it.
    below = [(uid, frozenset(), 1) for uid in range(1, 12888)]
    inside = [
        (25996, frozenset({SEEN}), 1),
        (25997, frozenset({FLAGGED, ANSWERED}), 1),
        (26600, frozenset(), 1),
    ]
    play(
        server_with(below + inside),
        LOGIN
        + r"""
        C: 10 UID FETCH 25900:26600 (UID FLAGS) (PARTIAL -1:-3)
        S: * 12888 FETCH (UID 25996 FLAGS (\Seen))
        S: * 12889 FETCH (UID 25997 FLAGS (\Answered \Flagged))
        S: * 12890 FETCH (UID 26600 FLAGS ())
        S: 10 OK FETCH completed
        """,
    )


def test_rfc9394_3_3_first_five_messages_of_a_uid_range() -> None:
    below = [(uid, frozenset(), 1) for uid in range(1, 12591)]
    inside = [
        (25900, frozenset({SEEN}), 1),
        (25902, frozenset({FLAGGED}), 1),
        (26310, frozenset({ANSWERED}), 1),
        (26311, frozenset(), 1),
        (26498, frozenset({ANSWERED}), 1),
        (26500, frozenset(), 1),
        (26600, frozenset(), 1),
    ]
    play(
        server_with(below + inside),
        LOGIN
        + r"""
        C: 11 UID FETCH 25900:26600 (UID FLAGS) (PARTIAL 1:5)
        S: * 12591 FETCH (UID 25900 FLAGS (\Seen))
        S: * 12592 FETCH (UID 25902 FLAGS (\Flagged))
        S: * 12593 FETCH (UID 26310 FLAGS (\Answered))
        S: * 12594 FETCH (UID 26311 FLAGS ())
        S: * 12595 FETCH (UID 26498 FLAGS (\Answered))
        S: 11 OK FETCH completed
        """,
    )


def test_rfc9394_3_4_partial_then_changedsince() -> None:
    # The last 30 messages of the range are 12861..12890; of them only
    # 25997 and 26600 changed after modseq 98305.  An older change (25900,
    # modseq 98310) lies outside the last 30 and is not reported.
    below = [(uid, frozenset(), 1) for uid in range(1, 12860)]
    inside = [(25900, frozenset({SEEN}), 98310)]
    inside += [(uid, frozenset(), 98300) for uid in range(25970, 25997)]
    inside += [
        (25997, frozenset({FLAGGED, ANSWERED}), 98306),
        (25998, frozenset(), 98301),
        (26600, frozenset(), 98312),
    ]
    transcript = (
        LOGIN
        + r"""
        C: 101 UID FETCH 25900:26600 (UID FLAGS) (PARTIAL -1:-30 CHANGEDSINCE 98305)
        # RFC 7162 3.1: the session's first CONDSTORE command (the RFC's
        # client had enabled CONDSTORE before).
        S: * OK [HIGHESTMODSEQ 98312] $ANY
        S: * 12888 FETCH (MODSEQ (98306) UID 25997 FLAGS (\Answered \Flagged))
        S: * 12890 FETCH (MODSEQ (98312) UID 26600 FLAGS ())
        S: 101 OK FETCH completed
        """
    )
    play(server_with(below + inside), transcript)
    # 3.4: "the order of PARTIAL and CHANGEDSINCE FETCH modifiers ... is not important".
    play(
        server_with(below + inside),
        transcript.replace(
            "(PARTIAL -1:-30 CHANGEDSINCE 98305)", "(CHANGEDSINCE 98305 PARTIAL -1:-30)"
        ),
    )


def small_server() -> IMAPServer:
    """UIDs 1..10; the odd ones \\Seen."""
    return server_with(
        [(uid, frozenset({SEEN}) if uid % 2 else frozenset(), 1) for uid in range(1, 11)]
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # RFC 9394 3.1 A01: the most recent results.
        (
            "A01 UID SEARCH RETURN (PARTIAL -1:-100) UNSEEN",
            '* ESEARCH (TAG "A01") UID PARTIAL (-1:-100 2,4,6,8,10)',
        ),
        (
            "A01 UID SEARCH RETURN (PARTIAL -1:-2) UNSEEN",
            '* ESEARCH (TAG "A01") UID PARTIAL (-1:-2 8,10)',
        ),
        # A02: a range that spans the end of the results.
        (
            "A02 UID SEARCH RETURN (PARTIAL 4:10) UNSEEN",
            '* ESEARCH (TAG "A02") UID PARTIAL (4:10 8,10)',
        ),
        # A03: the first page.
        (
            "A03 UID SEARCH RETURN (PARTIAL 1:2) UNSEEN",
            '* ESEARCH (TAG "A03") UID PARTIAL (1:2 2,4)',
        ),
        # A04: beyond the end of the results: NIL.
        (
            "A04 UID SEARCH RETURN (PARTIAL 24000:24500) UNSEEN",
            '* ESEARCH (TAG "A04") UID PARTIAL (24000:24500 NIL)',
        ),
        # Message numbers, and COUNT over the whole result (3.2).
        (
            "A05 SEARCH RETURN (COUNT PARTIAL -2:-1) SEEN",
            '* ESEARCH (TAG "A05") COUNT 5 PARTIAL (-1:-2 7,9)',
        ),
    ],
)
def test_rfc9394_3_1_partial_results(command: str, expected: str) -> None:
    tag = command.split(maxsplit=1)[0]
    play(small_server(), LOGIN + f"C: {command}\nS: {expected}\nS: {tag} OK SEARCH completed\n")


def test_rfc9394_3_2_save_with_partial_and_min() -> None:
    # Table 1: SAVE PARTIAL MIN -> $ is the PARTIAL results and the MIN.
    play(
        small_server(),
        LOGIN
        + """
        C: A UID SEARCH RETURN (SAVE MIN PARTIAL -1:-2) UNSEEN
        S: * ESEARCH (TAG "A") UID MIN 2 PARTIAL (-1:-2 8,10)
        S: A OK SEARCH completed
        C: B UID SEARCH UID $
        S: * SEARCH 2 8 10
        S: B OK SEARCH completed
        C: C UID SEARCH RETURN (SAVE COUNT PARTIAL 1:1) UNSEEN
        S: * ESEARCH (TAG "C") UID COUNT 5 PARTIAL (1:1 2)
        S: C OK SEARCH completed
        C: D UID SEARCH UID $
        S: * SEARCH 2 4 6 8 10
        S: D OK SEARCH completed
        """,
    )


def test_partial_with_all_is_bad() -> None:
    # RFC 9394 3.1: "either one PARTIAL, one ALL, or neither".
    play(
        small_server(),
        LOGIN
        + """
        C: A UID SEARCH RETURN (ALL PARTIAL 1:5) UNSEEN
        S: A BAD $ANY
        """,
    )


def test_partial_is_advertised() -> None:
    play(small_server(), "C: a LOGIN alice secret\nS: a OK [CAPABILITY $ANY PARTIAL $ANY] $ANY")
