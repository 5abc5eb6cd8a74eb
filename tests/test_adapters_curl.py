"""curl (a non-Python client, from Debian) against the real server on loopback."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _adapter_harness import Client, running_server
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, demo_backend

pytestmark = [
    pytest.mark.peers,
    pytest.mark.skipif(
        shutil.which("curl") is None,
        reason="the curl program is not on PATH (Debian package curl, which .ci/run installs)",
    ),
]

MESSAGE = (
    b"From: curl <curl@example.org>\r\n"
    b"To: demo@example.com\r\n"
    b"Subject: uploaded by curl\r\n"
    b"\r\n"
    b"Hello from curl.\r\n"
)


@pytest.fixture(params=["asyncio", "trio", "threads"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    server = IMAPServer(demo_backend(), clock=wall_clock)
    options = ServerOptions(shutdown_grace=2)
    with running_server(request.param, server, options=options) as srv:
        yield f"imap://127.0.0.1:{srv.port}"


def curl(*args: str) -> bytes:
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "10", "-u", "demo:demo", *args],
        capture_output=True,
        check=True,
    )
    return result.stdout


def test_curl_lists_fetches_uploads_searches_and_flags(url: str, tmp_path: Path) -> None:
    listing = curl(url + "/").decode()
    assert '"INBOX"' in listing or " INBOX" in listing
    assert "Archive" in listing
    body = curl(url + "/INBOX;UID=1")
    assert b"\r\n\r\n" in body  # a whole message, header and body
    (tmp_path / "message.eml").write_bytes(MESSAGE)
    curl("-T", str(tmp_path / "message.eml"), url + "/INBOX")
    assert curl(url + "/INBOX", "-X", "SEARCH SUBJECT curl").strip() == b"* SEARCH 8"
    assert curl(url + "/INBOX;UID=8") == MESSAGE
    curl(url + "/INBOX", "-X", "STORE 8 +FLAGS (\\Flagged)")
    port = int(url.rsplit(":", 1)[1])
    with Client(port) as client:
        client.line()
        client.command(b"L", b"LOGIN demo demo")
        client.command(b"s", b"EXAMINE INBOX")
        lines = client.command(b"f", b"FETCH 8 (FLAGS)")
        assert b"\\Flagged" in lines[0], lines
