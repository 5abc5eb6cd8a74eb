"""UNAUTHENTICATE (RFC 8437) as transcripts.

RFC 8437 has no C:/S: example; these replay what its sections 3 and 4.1
require, in exact bytes.  Texts after the response codes are the server's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play

DATE = datetime(2018, 8, 1, tzinfo=UTC)
# base64("\0bob\0b"), RFC 4616 PLAIN for bob (password "b").
BOB_PLAIN = "AGJvYgBi"


def _server() -> IMAPServer:
    backend = MemoryBackend(users={"alice": "a", "bob": "b"})
    alice = backend.account("alice")
    alice.append("INBOX", b"Subject: one\r\n\r\n1\r\n", internal_date=DATE)
    alice.append("INBOX", b"Subject: two\r\n\r\n2\r\n", internal_date=DATE)
    return IMAPServer(backend, clock=fixed_clock())


def test_rfc8437_3_pipelined_with_sasl_ir_and_no_expunge() -> None:
    # RFC 8437 3: "If a mailbox was selected, the mailbox ceases to be
    # selected, but no expunge event is generated"; "the client is permitted
    # to pipeline the UNAUTHENTICATE command with a subsequent AUTHENTICATE
    # command" (with SASL-IR, one round trip).
    play(
        _server(),
        f"""
        C: l LOGIN alice a
        S: l OK [CAPABILITY $ANY SASL-IR UNAUTHENTICATE $ANY] LOGIN completed
        C: s SELECT INBOX
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: s OK [READ-WRITE] SELECT completed
        C: f STORE 1 +FLAGS.SILENT (\\Deleted)
        S: f OK STORE completed
        C: u UNAUTHENTICATE
        C: a AUTHENTICATE PLAIN {BOB_PLAIN}
        S: u OK [CAPABILITY $ANY] UNAUTHENTICATE completed
        S: a OK [CAPABILITY $ANY] AUTHENTICATE completed
        C: u2 UNAUTHENTICATE
        S: u2 OK [CAPABILITY $ANY] UNAUTHENTICATE completed
        C: l2 LOGIN alice a
        S: l2 OK $ANY
        C: t STATUS INBOX (MESSAGES)
        S: * STATUS INBOX (MESSAGES 2)
        S: t OK STATUS completed
        """,
    )


def test_rfc8437_4_1_enabled_extensions_searchres_and_notify_are_reset() -> None:
    # RFC 8437 4.1: "Any extensions enabled by the IMAP ENABLE [RFC5161]
    # command cease to be enabled" (CONDSTORE, METADATA among them); "A
    # server advertising SEARCHRES ... discards any saved search results so
    # that '$' subsequently represents the empty set"; "the UNAUTHENTICATE
    # command cancels the server state related to the NOTIFY command".
    play(
        _server(),
        """
        C: l LOGIN alice a
        S: l OK $ANY
        C: e ENABLE CONDSTORE METADATA
        S: * ENABLED CONDSTORE METADATA
        S: e OK ENABLE completed
        C: n NOTIFY SET (personal (MailboxName))
        S: n OK NOTIFY completed
        C: s SELECT INBOX
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: s OK [READ-WRITE] SELECT completed
        C: r SEARCH RETURN (SAVE) ALL
        S: r OK SEARCH completed, result saved
        C: u UNAUTHENTICATE
        S: u OK [CAPABILITY $ANY] UNAUTHENTICATE completed
        C: l LOGIN alice a
        S: l OK $ANY
        C: s SELECT INBOX
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: s OK [READ-WRITE] SELECT completed
        C: f FETCH $ (FLAGS)
        S: f OK FETCH completed
        # No MODSEQ: CONDSTORE is off (RFC 7162 3.1.4 would add it).
        C: g FETCH 1 (FLAGS)
        S: * 1 FETCH (FLAGS ())
        S: g OK FETCH completed
        C2: l LOGIN alice a
        S2: l OK $ANY
        C2: c CREATE Another
        S2: c OK CREATE completed
        C2: m SETMETADATA INBOX (/private/comment "x")
        S2: m OK SETMETADATA complete
        # Neither NOTIFY's MailboxName nor ENABLE METADATA's responses.
        C: n NOOP
        S: n OK NOOP completed
        """,
    )
