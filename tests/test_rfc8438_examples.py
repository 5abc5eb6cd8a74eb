"""STATUS=SIZE (RFC 8438) section 3: its three examples replayed.

"frop" holds 8 messages of the sizes the FETCH example shows (44421 octets
in all) and has the RFC's UIDNEXT, INBOX 17 messages of 16234 octets.
Deviations, each a free choice: the separator is "/" and atom names go
unquoted; texts after the response codes are ours; the SELECT responses are
the server's (the RFC abbreviates them).
"""

from __future__ import annotations

from datetime import UTC, datetime

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play

DATE = datetime(2018, 8, 1, tzinfo=UTC)
FROP_SIZES = (3224, 1222, 444, 4516, 544, 922, 31126, 2423)


def _message(size: int) -> bytes:
    head = b"Subject: sized\r\n\r\n"
    return head + b"x" * (size - len(head))


def _server() -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    account.create_mailbox("frop")
    frop = account._existing("frop")  # as test_server_multisearch: the RFC's UIDs
    frop.uidnext = 242344 - len(FROP_SIZES)
    for size in FROP_SIZES:
        account.append("frop", _message(size), internal_date=DATE)
    inbox_sizes = [955] * 16 + [16234 - 955 * 16]
    for size in inbox_sizes:
        account.append("INBOX", _message(size), internal_date=DATE)
    return IMAPServer(backend, clock=fixed_clock())


def test_rfc8438_examples() -> None:
    assert sum(FROP_SIZES) == 44421
    play(
        _server(),
        """
        C: l LOGIN alice secret
        S: l OK [CAPABILITY $ANY STATUS=SIZE $ANY] LOGIN completed
        C: A01 STATUS frop (MESSAGES SIZE UIDNEXT)
        S: * STATUS frop (MESSAGES 8 SIZE 44421 UIDNEXT 242344)
        S: A01 OK STATUS completed
        # "albeit less efficiently":
        C: A02 SELECT "frop"
        S: $ANY
        S: * 8 EXISTS
        S: $ANY
        S: $ANY
        S: $ANY
        S: * OK [UIDNEXT 242344] Predicted next UID
        S: $ANY
        S: A02 OK [READ-WRITE] SELECT completed
        C: A03 FETCH 1:* (RFC822.SIZE)
        S: * 1 FETCH (RFC822.SIZE 3224)
        S: * 2 FETCH (RFC822.SIZE 1222)
        S: * 3 FETCH (RFC822.SIZE 444)
        S: * 4 FETCH (RFC822.SIZE 4516)
        S: * 5 FETCH (RFC822.SIZE 544)
        S: * 6 FETCH (RFC822.SIZE 922)
        S: * 7 FETCH (RFC822.SIZE 31126)
        S: * 8 FETCH (RFC822.SIZE 2423)
        S: A03 OK FETCH completed
        # RFC: * LIST () "." "INBOX" / * STATUS "INBOX" (MESSAGES 17 SIZE 16234)
        #      * LIST () "." "frop" / * STATUS "frop" (MESSAGES 8 SIZE 44421)
        C: A04 LIST "" % RETURN (STATUS (MESSAGES SIZE))
        S: * LIST () "/" INBOX
        S: * STATUS INBOX (MESSAGES 17 SIZE 16234)
        S: * LIST () "/" frop
        S: * STATUS frop (MESSAGES 8 SIZE 44421)
        S: A04 OK LIST completed
        """,
    )
