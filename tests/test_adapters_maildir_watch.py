"""Changes made outside this process reach IDLE clients (issue 13, goal 3):
a delivery agent renaming a file into ``new/``, and an APPEND made through a
second ``imap-sansio serve`` process on the same Maildir tree."""

from __future__ import annotations

import imaplib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from _adapter_harness import Client, running_server
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.cli import wall_clock
from imap_sansio.adapters.maildir import MaildirBackend
from imap_sansio.adapters.maildir_watch import inotify_available

from imap_sansio.server import ChangeNotice, IMAPServer

TESTS = Path(__file__).parent
MESSAGE = b"From: mda@example.org\r\nSubject: delivered\r\n\r\nhello\r\n"
# Generous: inotify takes milliseconds, polling one second.
BOUND = 5.0

MODES = [pytest.param(True, id="inotify"), pytest.param(False, id="polling")]


def _backend(root: Path, inotify: bool) -> MaildirBackend:
    return MaildirBackend(root, users={"alice": "secret"}, fsync=False, inotify=inotify)


def _deliver(root: Path, name: str = "1700000000.M1P1.mda") -> None:
    """What a delivery agent does: write into tmp/, rename into new/."""
    tmp = root / "alice" / "tmp" / name
    tmp.write_bytes(MESSAGE)
    os.rename(tmp, root / "alice" / "new" / name)


def test_inotify_extra_is_installed_for_the_tests() -> None:
    assert inotify_available()


@pytest.mark.parametrize("inotify", MODES)
def test_a_delivery_into_new_sends_a_notice(tmp_path: Path, inotify: bool) -> None:
    backend = _backend(tmp_path, inotify)
    heard: list[ChangeNotice] = []
    arrived = threading.Event()

    def listener(notice: ChangeNotice) -> None:
        heard.append(notice)
        arrived.set()

    backend.add_listener(listener)
    unwatch = backend.watch("alice", "INBOX")
    try:
        backend.account("alice").select("INBOX").messages()
        _deliver(tmp_path)
        assert arrived.wait(BOUND)
        assert heard[0] == ChangeNotice(username="alice", mailbox="INBOX")
        assert [m.size for m in backend.account("alice").select("INBOX").messages()] == [
            len(MESSAGE)
        ]
    finally:
        unwatch()
        backend.close()


def _idle(port: int) -> Client:
    client = Client(port)
    client.line()
    assert client.command(b"a", b"LOGIN alice secret")[-1].startswith(b"a OK")
    assert b"* 0 EXISTS\r\n" in client.command(b"b", b"SELECT INBOX")
    client.send(b"c IDLE\r\n")
    assert client.line().startswith(b"+ ")
    return client


def _wait_exists(client: Client) -> None:
    while True:
        line = client.line(timeout=BOUND)
        if line == b"* 1 EXISTS\r\n":
            return
        assert line.startswith(b"* "), line


@pytest.mark.parametrize("inotify", MODES)
@pytest.mark.parametrize("runtime", ["asyncio", "threads"])
def test_a_delivery_reaches_an_idle_client(tmp_path: Path, runtime: str, inotify: bool) -> None:
    backend = _backend(tmp_path, inotify)
    try:
        with (
            running_server(runtime, IMAPServer(backend, clock=wall_clock)) as running,
            _idle(running.port) as client,
        ):
            # Whether the watch began before the delivery or not, it is found.
            _deliver(tmp_path)
            _wait_exists(client)
            client.send(b"DONE\r\n")
            assert client.until_tagged(b"c")[-1].startswith(b"c OK")
    finally:
        backend.close()


@pytest.fixture
def second_server(tmp_path: Path) -> Iterator[int]:
    """``imap-sansio serve --maildir`` on the same tree, in another process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "imap_sansio.adapters",
            "serve",
            "--port",
            "0",
            "--maildir",
            str(tmp_path),
            "--user",
            "alice:secret",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"IMAP on 127\.0\.0\.1:(\d+)", first)
        assert found, first + (process.stderr.read() if process.stderr else "")
        yield int(found[1])
    finally:
        process.terminate()
        process.wait(10)


def test_an_append_through_another_process_reaches_an_idle_client(
    tmp_path: Path, second_server: int
) -> None:
    backend = _backend(tmp_path, True)
    try:
        with (
            running_server("asyncio", IMAPServer(backend, clock=wall_clock)) as running,
            _idle(running.port) as client,
        ):
            other = imaplib.IMAP4("127.0.0.1", second_server)
            try:
                other.login("alice", "secret")
                status, _ = other.append("INBOX", "(\\Flagged)", None, MESSAGE)
                assert status == "OK"
            finally:
                other.logout()
            _wait_exists(client)
            client.send(b"DONE\r\n")
            lines = client.until_tagged(b"c")
            assert lines[-1].startswith(b"c OK")
            fetched = client.command(b"d", b"FETCH 1 (FLAGS)")
            # RFC 3501 2.3.2: this session is the first told of it.
            assert fetched[0] == b"* 1 FETCH (FLAGS (\\Flagged \\Recent))\r\n"
    finally:
        backend.close()


def test_the_idle_keepalive_looks_at_the_store_first(tmp_path: Path) -> None:
    # No inotify and a watcher that looks once an hour: only the keep-alive
    # can find the delivery, and it sends it before "Still here".
    backend = MaildirBackend(
        tmp_path, users={"alice": "secret"}, fsync=False, inotify=False, watch_interval=3600
    )
    options = ServerOptions(keepalive_interval=0.2)
    try:
        with (
            running_server("threads", IMAPServer(backend, clock=wall_clock), options=options) as s,
            _idle(s.port) as client,
        ):
            assert client.line(timeout=BOUND) == b"* OK Still here\r\n"
            _deliver(tmp_path)
            lines = [client.line(timeout=BOUND) for _ in range(2)]
            assert lines[0] == b"* 1 EXISTS\r\n"
            assert lines[1] in (b"* 1 RECENT\r\n", b"* OK Still here\r\n")
    finally:
        backend.close()
