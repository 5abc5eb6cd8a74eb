"""mbsync (isync, from Debian) syncing a Maildir with the server both ways."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from _adapter_harness import Client, running_server
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, demo_backend

pytestmark = [
    pytest.mark.peers,
    pytest.mark.skipif(
        shutil.which("mbsync") is None,
        reason="the mbsync program is not on PATH (Debian package isync, which .ci/run installs)",
    ),
]

LOCAL_MESSAGE = (
    b"From: me <demo@example.com>\r\n"
    b"To: you@example.org\r\n"
    b"Subject: written offline\r\n"
    b"Message-ID: <offline@example.com>\r\n"
    b"\r\n"
    b"Synced up by mbsync.\r\n"
)


def _config(port: int, mail: Path) -> str:
    return f"""\
IMAPAccount demo
Host 127.0.0.1
Port {port}
User demo
Pass demo
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account demo

MaildirStore local
Path {mail}/
Inbox {mail}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns INBOX
Create Both
Expunge Both
SyncState *
"""


def _messages(mail: Path) -> dict[str, Path]:
    """Local messages of INBOX by server UID (or file name when new)."""
    found = {}
    for path in (mail / "INBOX").glob("*/*"):
        if path.parent.name in ("cur", "new"):
            uid = path.name.split(",U=")[1].split(":")[0] if ",U=" in path.name else path.name
            found[uid] = path
    return found


def _flags(path: Path) -> str:
    return path.name.rsplit(":2,", 1)[1] if ":2," in path.name else ""


@pytest.mark.parametrize("runtime", ["asyncio", "threads"])
def test_mbsync_both_ways_without_duplicates(runtime: str, tmp_path: Path) -> None:
    server = IMAPServer(demo_backend(), clock=wall_clock)
    mail = tmp_path / "mail"
    mail.mkdir()
    with running_server(runtime, server, options=ServerOptions(shutdown_grace=2)) as srv:
        (tmp_path / "mbsyncrc").write_text(_config(srv.port, mail))

        def sync() -> None:
            subprocess.run(
                ["mbsync", "-c", str(tmp_path / "mbsyncrc"), "-a", "-q"],
                check=True,
                timeout=30,
                capture_output=True,
            )

        def imap(command: bytes) -> list[bytes]:
            with Client(srv.port) as client:
                client.line()
                client.command(b"L", b"LOGIN demo demo")
                client.command(b"s", b"SELECT INBOX")
                return client.command(b"c", command)

        sync()  # down: the 7 demo messages
        local = _messages(mail)
        assert sorted(local) == [str(uid) for uid in range(1, 8)]
        assert "F" not in _flags(local["5"])

        # Local changes: a new message and a flag; a server change: \Seen.
        (mail / "INBOX" / "new" / "offline.1").write_bytes(LOCAL_MESSAGE)
        local["5"].rename(local["5"].with_name(local["5"].name.split(":2,")[0] + ":2,F"))
        imap(b"UID STORE 7 +FLAGS.SILENT (\\Seen)")
        sync()

        assert imap(b"UID SEARCH SUBJECT offline")[0] == b"* SEARCH 8\r\n"
        assert b"\\Flagged" in imap(b"UID FETCH 5 (FLAGS)")[0]
        local = _messages(mail)
        assert "S" in _flags(local["7"])

        sync()  # nothing changes, nothing is duplicated
        assert sorted(_messages(mail)) == [str(uid) for uid in range(1, 9)]
        assert imap(b"SEARCH ALL")[0] == b"* SEARCH 1 2 3 4 5 6 7 8\r\n"
