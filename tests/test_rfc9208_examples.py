"""QUOTA (RFC 9208) 4.3.1: the OVERQUOTA example replayed (the others are in
``test_server_mailbox_append``).

Deviation: the text after the response code is ours (RFC: "APPEND Failed").
The second example (an untagged ``NO [OVERQUOTA]`` for a soft quota the
APPEND and COPY still pass) has no counterpart: this server's limits are
hard.
"""

from __future__ import annotations

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play


def test_rfc9208_4_3_1_example_1_append_over_the_quota() -> None:
    backend = MemoryBackend(users={"alice": "secret"}, message_quota=0)
    backend.account("alice").create_mailbox("saved-messages")
    play(
        IMAPServer(backend, clock=fixed_clock()),
        """
        C: l LOGIN alice secret
        S: l OK $ANY
        C: A003 APPEND saved-messages (\\Seen) {326}
        S: + Ready for literal data
        C: Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)
        C: From: Fred Foobar <foobar@Blurdybloop.example>
        C: Subject: afternoon meeting
        C: To: mooch@owatagu.siam.edu.example
        C: Message-Id: <B27397-0100000@Blurdybloop.example>
        C: MIME-Version: 1.0
        C: Content-Type: TEXT/PLAIN; CHARSET=US-ASCII
        C:
        C: Hello Joe, do you think we can meet at 3:30 tomorrow?
        C:
        S: A003 NO [OVERQUOTA] Quota exceeded (messages)
        """,
    )
    assert backend.account("alice").status("saved-messages").messages == 0
