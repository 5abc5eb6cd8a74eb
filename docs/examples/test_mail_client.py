"""What the testing guide shows: a mail client tested against a live server.

``imap_server`` comes from the pytest plugin that installing imap-sansio
registers; nothing here imports it.
"""

from __future__ import annotations

import email
import imaplib

from imap_sansio.adapters.pytest_plugin import IMAPTestServer


def unread_subjects(host: str, port: int, user: str, password: str) -> list[str]:
    """The code under test: the subjects of unread mail, which it marks read."""
    with imaplib.IMAP4(host, port) as client:
        client.login(user, password)
        client.select("INBOX")
        _, found = client.search(None, "UNSEEN")
        subjects = []
        for number in found[0].split():
            _, data = client.fetch(number, "(RFC822)")
            assert isinstance(data[0], tuple)
            subjects.append(str(email.message_from_bytes(data[0][1])["Subject"]))
        return subjects


def test_unread_subjects_reads_only_unread_mail(imap_server: IMAPTestServer) -> None:
    imap_server.append("INBOX", b"Subject: old\r\n\r\nseen before\r\n", flags=["\\Seen"])
    imap_server.append("INBOX", b"Subject: new\r\n\r\nnot yet read\r\n")

    subjects = unread_subjects(
        imap_server.host, imap_server.port, imap_server.user, imap_server.password
    )

    assert subjects == ["new"]
    assert imap_server.flags("INBOX") == [{"\\Seen"}, {"\\Seen"}]  # FETCH RFC822 sets it
    # imaplib asks for the capabilities first; the ``with`` block ends with LOGOUT.
    assert imap_server.commands() == ["CAPABILITY", "LOGIN", "SELECT", "SEARCH", "FETCH", "LOGOUT"]
