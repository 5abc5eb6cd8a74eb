"""UIDONLY (RFC 9586) transcripts around the server lines of the RFC's examples.

The RFC's text is not among ../shared/rfc/ and could not be fetched here
whole; its example responses are the ones other implementations' test
suites quote as RFC 9586's own (ruby/net-imap's response-parser fixtures
"RFC9586 UIDONLY 3. UIDREQUIRED response code" and "3.3 UIDFETCH
response"): ``07 BAD [UIDREQUIRED] Message numbers are not allowed once
UIDONLY is enabled``, ``* 25996 UIDFETCH (FLAGS (\\Seen))``, ``* 25997
UIDFETCH (FLAGS (\\Flagged \\Answered))`` and ``* VANISHED 405,407``.  The
client lines around them are ours; where the server's bytes differ from the
quoted ones, the test says why.
"""

from __future__ import annotations

from datetime import UTC, datetime

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play

DATE = datetime(2024, 5, 1, tzinfo=UTC)
SEEN, FLAGGED, ANSWERED, DELETED = "\\Seen", "\\Flagged", "\\Answered", "\\Deleted"


def server_with(messages: dict[int, frozenset[str]]) -> IMAPServer:
    """INBOX holding these UIDs (ascending) with these flags, none \\Recent."""
    backend = MemoryBackend(users={"alice": "secret"})
    store = backend.account("alice")._existing("INBOX")
    for uid, flags in sorted(messages.items()):
        store.uidnext = uid
        store.add(b"Subject: %d\r\n\r\nbody\r\n" % uid, flags, DATE, 1)
    store.recent_from = store.uidnext
    return IMAPServer(backend, clock=fixed_clock())


SELECT = """
    C: a LOGIN alice secret
    S: a OK $ANY
    C: e ENABLE UIDONLY
    S: * ENABLED UIDONLY
    S: e OK ENABLE completed
    C: s SELECT INBOX
    S: * FLAGS $ANY
    S: * $NUMBER EXISTS
    S: * 0 RECENT
    S: * OK [UIDVALIDITY $ANY
    S: * OK [UIDNEXT $ANY
    S: * OK [PERMANENTFLAGS $ANY
    S: s OK [READ-WRITE] SELECT completed
"""


def test_rfc9586_3_message_numbers_are_uidrequired() -> None:
    play(
        server_with({25996: frozenset({SEEN})}),
        SELECT
        + r"""
        C: 07 FETCH 1 (FLAGS)
        S: 07 BAD [UIDREQUIRED] Message numbers are not allowed once UIDONLY is enabled
        C: 08 STORE 1:* +FLAGS (\Seen)
        S: 08 BAD [UIDREQUIRED] Message numbers are not allowed once UIDONLY is enabled
        """,
    )


def test_rfc9586_3_3_uidfetch_is_numbered_by_uid() -> None:
    # The quoted line reads "(FLAGS (\Flagged \Answered))": a flag list is a
    # set, and this server writes system flags in a fixed order.
    play(
        server_with({25996: frozenset({SEEN}), 25997: frozenset({FLAGGED, ANSWERED})}),
        SELECT
        + r"""
        C: 09 UID FETCH 25996:25997 (FLAGS)
        S: * 25996 UIDFETCH (FLAGS (\Seen))
        S: * 25997 UIDFETCH (FLAGS (\Answered \Flagged))
        S: 09 OK FETCH completed
        C: 10 UID STORE 25997 -FLAGS.SILENT (\Answered)
        S: 10 OK STORE completed
        C: 11 UID FETCH 25997 (FLAGS)
        S: * 25997 UIDFETCH (FLAGS (\Flagged))
        S: 11 OK FETCH completed
        """,
    )


def test_rfc9586_3_expunges_are_vanished_uids() -> None:
    play(
        server_with({uid: frozenset({DELETED}) for uid in (405, 407)} | {406: frozenset()}),
        SELECT
        + """
        C: 12 EXPUNGE
        S: * VANISHED 405,407
        S: 12 OK EXPUNGE completed
        C: 13 UID SEARCH ALL
        S: * SEARCH 406
        S: 13 OK SEARCH completed
        """,
    )
