"""A store that forgets everything at a stop must not reuse its UIDVALIDITY:
a client that kept the old UIDs would take new messages for old ones (RFC
3501 2.3.1.1).  mbsync, restarted against ``imap-sansio serve`` (in memory),
must neither delete local mail nor miss the new message."""

from __future__ import annotations

import imaplib
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from imap_sansio.adapters.cli import build_server, uidvalidity_base, wall_clock

from imap_sansio.server import IMAPServer, demo_backend

NEW_MESSAGE = (
    b"From: Bob <bob@example.org>\r\n"
    b"To: demo@example.com\r\n"
    b"Subject: after the restart\r\n"
    b"Message-ID: <after-restart@example.org>\r\n"
    b"\r\n"
    b"Sent while the client was away.\r\n"
)


LOCAL_MESSAGE = (
    b"From: demo <demo@example.com>\r\n"
    b"Subject: written offline\r\n"
    b"Message-ID: <offline@example.com>\r\n"
    b"\r\n"
    b"Synced up by mbsync.\r\n"
)


def _uidvalidity(port: int, mailbox: str = "INBOX") -> int:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login("demo", "demo")
    client.select(mailbox)
    value = client.untagged_responses["UIDVALIDITY"][0]
    client.logout()
    return int(value)


@contextmanager
def _cli_server() -> Iterator[int]:
    """``imap-sansio serve`` (in memory, demo account) as a process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "imap_sansio.adapters", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"IMAP on 127\.0\.0\.1:(\d+)", first)
        assert match, first
        yield int(match[1])
    finally:
        process.terminate()
        process.communicate(timeout=15)


def _status_uidvalidity(server: Any, mailbox: bytes) -> bytes:
    conn = server.connect(secure=True)
    conn.receive_data(b"a LOGIN demo demo\r\nb STATUS " + mailbox + b" (UIDVALIDITY)\r\n")
    out = conn.data_to_send()
    return re.search(rb"\* STATUS \S+ \(UIDVALIDITY (\d+)\)", out)[1]  # type: ignore[index]


def test_uidvalidity_base_comes_from_the_clock_and_starts_every_mailbox() -> None:
    assert uidvalidity_base(1_765_000_000.9) == 1_765_000_000
    server = build_server({}, demo=True, uidvalidity=1_765_000_000)
    # The first mailbox made (INBOX) gets the base, the others follow.
    assert _status_uidvalidity(server, b"INBOX") == b"1765000000"
    assert int(_status_uidvalidity(server, b"Sent")) > 1_765_000_000
    assert _status_uidvalidity(IMAPServer(demo_backend(), clock=wall_clock), b"INBOX") == b"1"


def test_memory_backend_refuses_a_base_outside_32_bits() -> None:
    from imap_sansio.server import MemoryBackend

    with pytest.raises(ValueError, match="uidvalidity_base"):
        MemoryBackend(uidvalidity_base=0)
    with pytest.raises(ValueError, match="uidvalidity_base"):
        MemoryBackend(uidvalidity_base=2**32)


def _wait_for_next_second(started: int) -> None:
    """The base is the time in seconds: a restart in the same second as the
    start before it would get the same one."""
    while int(time.time()) <= started:
        time.sleep(0.05)


def _mbsync_config(port: int, mail: Path) -> str:
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
Patterns *
Create Both
Expunge Both
SyncState *
"""


def _local_files(mail: Path) -> dict[str, set[bytes]]:
    """Message-IDs of the local messages, by folder."""
    found: dict[str, set[bytes]] = {}
    for path in mail.rglob("*"):
        if path.is_file() and path.parent.name in ("cur", "new"):
            folder = str(path.parent.parent.relative_to(mail))
            ids = re.findall(rb"(?im)^Message-ID: *(<[^>]+>)", path.read_bytes())
            found.setdefault(folder, set()).update(ids)
    return found


@pytest.mark.peers
@pytest.mark.skipif(
    shutil.which("mbsync") is None,
    reason="the mbsync program is not on PATH (Debian package isync, which .ci/run installs)",
)
def test_mbsync_after_a_restart_deletes_nothing_and_downloads_the_new_message(
    tmp_path: Path,
) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    rc = tmp_path / "mbsyncrc"

    def sync(port: int) -> subprocess.CompletedProcess[str]:
        # The port changes at each start; mbsync's state is kept per mailbox.
        rc.write_text(_mbsync_config(port, mail))
        return subprocess.run(
            ["mbsync", "-c", str(rc), "-a"],
            timeout=60,
            capture_output=True,
            text=True,
            check=False,
        )

    started = int(time.time())
    with _cli_server() as port:
        first_validity = _uidvalidity(port)
        assert sync(port).returncode == 0
        # Two messages written offline go up and get UIDs 8 and 9 there.
        for number in (1, 2):
            (mail / "INBOX" / "new" / f"offline.{number}").write_bytes(
                LOCAL_MESSAGE.replace(b"<offline@", b"<offline%d@" % number)
            )
        assert sync(port).returncode == 0
    before = _local_files(mail)
    assert sum(len(ids) for ids in before.values()) >= 9  # the demo messages and two
    assert {b"<offline1@example.com>", b"<offline2@example.com>"} <= before["INBOX"]

    _wait_for_next_second(started)
    with _cli_server() as port:
        assert _uidvalidity(port) > first_validity
        client = imaplib.IMAP4("127.0.0.1", port)
        client.login("demo", "demo")
        for mailbox in ("INBOX", "Archive"):
            assert client.append(mailbox, None, None, NEW_MESSAGE)[0] == "OK"
        client.logout()
        result = sync(port)
    after = _local_files(mail)
    # Nothing local is lost, although the server forgot the two messages
    # that went up: with the old UIDVALIDITY, mbsync took their absence for
    # an expunge and deleted offline2 here, and took the new message's UID 8
    # for offline1's.
    for folder, ids in before.items():
        assert ids <= after.get(folder, set()), (folder, result.stderr)
    # Where all UIDs mbsync knew still hold the same messages, it recovers
    # from the new UIDVALIDITY and downloads what is new; INBOX, whose
    # server side lost messages, it leaves alone and says why.
    assert b"<after-restart@example.org>" in after["Archive"], result.stderr
    assert "UIDVALIDITY" in result.stderr
