"""MaildirBackend keeps annotations (RFC 5464) on disk: a new backend over the
same directories, as after a restart, sees what the last one stored."""

from __future__ import annotations

from pathlib import Path

from imap_sansio.adapters.maildir import MaildirBackend

from imap_sansio.server import IMAPServer
from imap_sansio.testing import fixed_clock, play


def test_annotations_survive_a_restart(tmp_path: Path) -> None:
    users = {"alice": "secret"}
    first = MaildirBackend(tmp_path, users, fsync=False)
    first.account("alice").set_metadata("", {"/shared/comment": b"motd"}, max_entries=10)
    play(
        IMAPServer(first, clock=fixed_clock()),
        """
        C: a LOGIN alice secret
        S: a OK [CAPABILITY $ANY METADATA$ANY] $ANY
        C: b SETMETADATA INBOX (/private/comment "My own comment")
        S: b OK SETMETADATA complete
        C: c CREATE Work
        S: c OK $ANY
        C: d SETMETADATA Work (/shared/comment "team")
        S: d OK SETMETADATA complete
        """,
    )
    second = MaildirBackend(tmp_path, users, fsync=False)
    play(
        IMAPServer(second, clock=fixed_clock()),
        """
        C: a LOGIN alice secret
        S: a OK $ANY
        C: b GETMETADATA "INBOX" /private/comment
        S: * METADATA "INBOX" (/private/comment "My own comment")
        S: b OK GETMETADATA complete
        C: c GETMETADATA "" /shared/comment
        S: * METADATA "" (/shared/comment "motd")
        S: c OK GETMETADATA complete
        C: r RENAME Work Play
        S: r OK $ANY
        C: d GETMETADATA "Play" /shared/comment
        S: * METADATA "Play" (/shared/comment "team")
        S: d OK GETMETADATA complete
        """,
    )
