"""SEARCHRES (RFC 5182) 2.2 and 2.3: examples 3-9 replayed (1, 2 and 10 are
in ``test_server_search_esearch``).

The RFC's mailbox has thousands of messages; ours has 8 (UIDs 11-18, so
that message numbers and UIDs differ), and the RFC's "3000:3021" becomes
"7:8" (the RFC's point: ``$`` combined with other numbers in an OR).
Other deviations, each a free choice: texts after the response codes are
ours; pipelined commands are answered in the order received (2.3 lets the
server reorder independent ones, as example 8 shows).  "YYYYYYYY" is the
RFC's placeholder for 8 octets of UTF-8: ours are "Grüße!".
"""

from __future__ import annotations

from datetime import UTC, datetime

from imap_sansio.server import IMAPServer, MemoryBackend, StoreAction
from imap_sansio.testing import fixed_clock, play

#: (From, INTERNALDATE year, size padding, $Junk, body)
MESSAGES = [
    ("Smith", 2005, 0, False, "hello"),  # 1  UID 11
    ("Eric", 2007, 0, True, "spam"),  # 2  UID 12
    ("Bob", 2003, 0, False, "old"),  # 3  UID 13
    ("Bob", 2005, 5000, False, "big"),  # 4  UID 14
    ("Eric", 2007, 0, False, "Grüße!"),  # 5  UID 15
    ("Alice", 2006, 0, True, "junk"),  # 6  UID 16
    ("Smith", 2007, 0, False, "Grüße!"),  # 7  UID 17
    ("Alice", 1993, 0, False, "ancient"),  # 8  UID 18
]


def _server() -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    account.create_mailbox("Other Messages")
    account.create_mailbox("Junk")
    for _ in range(10):  # UIDs 1-10 come and go
        account.append(
            "INBOX", b"Subject: gone\r\n\r\n.", internal_date=datetime(2000, 1, 1, tzinfo=UTC)
        )
    inbox = account.select("INBOX")
    inbox.store_flags(range(1, 11), StoreAction.ADD, ["\\Deleted"])
    inbox.expunge()
    for sender, year, padding, junk, body in MESSAGES:
        data = (
            f"From: {sender} <{sender.lower()}@example.com>\r\n"
            f"Subject: {body}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        ).encode() + b"x" * padding
        account.append(
            "INBOX",
            data,
            flags=["$Junk"] if junk else [],
            internal_date=datetime(year, 11, 1, tzinfo=UTC),
        )
    return IMAPServer(backend, clock=fixed_clock())


SELECT = """
    C: l LOGIN alice secret
    S: l OK $ANY
    C: s SELECT INBOX
    S: $ANY
    S: * 8 EXISTS
    S: $ANY
    S: $ANY
    S: $ANY
    S: $ANY
    S: $ANY
    S: s OK [READ-WRITE] SELECT completed
"""


def test_rfc5182_2_2_examples_3_to_6() -> None:
    play(
        _server(),
        SELECT
        + """
        # Example 3: one SEARCH's result as another's input.
        C: A300 SEARCH RETURN (SAVE) SINCE 1-Jan-2004 NOT FROM "Smith"
        S: A300 OK SEARCH completed, result saved
        C: A301 UID SEARCH UID $ SMALLER 4096
        S: * SEARCH 12 15 16
        S: A301 OK SEARCH completed
        # "can be replaced with ... and the result of the command would be the same"
        C: A301 UID SEARCH $ SMALLER 4096
        S: * SEARCH 12 15 16
        S: A301 OK SEARCH completed
        # Example 4: "$" with other message numbers in an OR.
        C: P282 SEARCH RETURN (SAVE) SINCE 1-Feb-1994 NOT FROM "Smith"
        S: P282 OK SEARCH completed, result saved
        # The RFC leaves out the "+" its synchronizing literals get.
        C: P283 SEARCH CHARSET UTF-8 (OR $ 1,7:8) TEXT {8}
        S: + Ready for literal data
        C: Grüße!
        S: * SEARCH 5 7
        S: P283 OK SEARCH completed
        # Example 5: a failed SEARCH leaves "$" empty.
        C: B282 SEARCH RETURN (SAVE) SINCE 1-Feb-1994 NOT FROM "Smith"
        S: B282 OK SEARCH completed, result saved
        C: B283 SEARCH CHARSET KOI8-R (OR $ 1,7:8) TEXT {4}
        S: + Ready for literal data
        C: XXXX
        # RFC: "B283 NO [BADCHARSET UTF-8] KOI8-R is not supported": RFC 3501
        # 9 wants the charsets in parentheses ("BADCHARSET" [SP "(" ...]).
        S: B283 NO [BADCHARSET (US-ASCII UTF-8)] KOI8-R is not supported
        # The RFC's comment says "$" is empty now, but B283 has no SAVE, and
        # 2.1 says "a SEARCH command with no SAVE result option that caused
        # the server to return NO tagged response" "MUST NOT change the
        # search result variable": the normative text wins.
        C: B284 SEARCH $
        S: * SEARCH 2 3 4 5 6
        S: B284 OK SEARCH completed
        # With SAVE, the NO empties it (2.1: "sets the value of the search
        # result variable to the empty sequence").
        C: B285 SEARCH RETURN (SAVE) CHARSET KOI8-R (OR $ 1,7:8) TEXT {4}
        S: + Ready for literal data
        C: XXXX
        S: B285 NO [BADCHARSET (US-ASCII UTF-8)] KOI8-R is not supported
        C: B286 SEARCH $
        S: * SEARCH
        S: B286 OK SEARCH completed
        # Example 6: "$" with no messages is no error (two NOT FROM added so
        # that nothing of ours matches; RFC: "E283 OK COPY completed, nothing
        # copied").
        C: E282 SEARCH RETURN (SAVE) SINCE 28-Oct-2006 NOT FROM "Eric" NOT FROM "Smith" NOT FROM "Alice"
        C: E283 COPY $ "Other Messages"
        S: E282 OK SEARCH completed, result saved
        S: E283 OK COPY completed
        """,  # noqa: E501
    )


def test_rfc5182_2_3_examples_7_to_9_pipelined() -> None:
    play(
        _server(),
        SELECT
        + """
        # Example 7
        C: F282 SEARCH RETURN (SAVE) KEYWORD $$Junk
        C: F283 COPY $ "Junk"
        C: F284 STORE $ +FLAGS.Silent (\\Deleted)
        S: F282 OK SEARCH completed, result saved
        S: F283 OK [COPYUID $V 12,16 1:2] COPY completed
        S: F284 OK STORE completed
        # Example 8 (RFC: G283's ESEARCH and OK come before G282's OK).
        C: G282 SEARCH RETURN (SAVE) KEYWORD $$Junk
        C: G283 SEARCH RETURN (ALL) SINCE 28-Oct-2006 FROM "Eric"
        S: G282 OK SEARCH completed, result saved
        S: * ESEARCH (TAG "G283") ALL 2,5
        S: G283 OK SEARCH completed
        # Example 9: "the result of the second SEARCH always overrides".
        C: H282 SEARCH RETURN (SAVE) KEYWORD $$Junk
        C: H283 SEARCH RETURN (SAVE) SINCE 28-Oct-2006 FROM "Eric"
        S: H282 OK SEARCH completed, result saved
        S: H283 OK SEARCH completed, result saved
        C: H284 SEARCH $
        S: * SEARCH 2 5
        S: H284 OK SEARCH completed
        """,
    )
