"""LITERAL+ / LITERAL- (RFC 7888) section 3: its example replayed.

Deviation: the tagged OK carries the CAPABILITY response code after login
(RFC 3501 6.2.3 lets it); the text is the RFC's.  Both LOGIN forms name the
same user and password, as the RFC says ("semantically equivalent").
"""

from __future__ import annotations

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play


def test_rfc7888_3_non_synchronizing_literals_and_the_quoted_equivalent() -> None:
    server = IMAPServer(MemoryBackend(users={"FRED FOOBAR": "fat man"}), clock=fixed_clock())
    play(
        server,
        """
        C1: A001 LOGIN {11+}
        C1: FRED FOOBAR {7+}
        C1: fat man
        S1: A001 OK [CAPABILITY $ANY] LOGIN completed
        C2: A001 LOGIN "FRED FOOBAR" "fat man"
        S2: A001 OK [CAPABILITY $ANY] LOGIN completed
        """,
    )
