"""Real IMAP clients against the real server on every runtime, on loopback.

imaplib (standard library), imapclient, aioimaplib and imap-tools log in,
list, select, fetch, search, store, append, copy, move, expunge, IDLE and log
out against ``IMAPServer(MemoryBackend)`` served by each adapter.
"""

from __future__ import annotations

import asyncio
import imaplib
import socket
import time
from collections.abc import Iterator
from typing import Any

import aioimaplib
import imap_tools
import imapclient
import pytest
from _adapter_harness import running_server
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, MemoryBackend

USER, PASSWORD = "alice", "wonderland"
MESSAGE = (
    b"From: Bob <bob@example.org>\r\n"
    b"To: Alice <alice@example.org>\r\n"
    b"Subject: Lunch?\r\n"
    b"Date: Thu, 26 Nov 2026 12:00:00 +0000\r\n"
    b"Message-ID: <lunch@example.org>\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Noon at the usual place?\r\n"
)
RUNTIMES = ["asyncio", "trio", "threads"]


def _message(n: int) -> bytes:
    return MESSAGE.replace(b"Lunch?", b"Lunch %d?" % n)


@pytest.fixture(params=RUNTIMES)
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    server = IMAPServer(MemoryBackend(users={USER: PASSWORD}), clock=wall_clock)
    with running_server(request.param, server, options=ServerOptions(shutdown_grace=2)) as srv:
        yield srv.port


def test_imaplib_full_session(port: int) -> None:
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    assert client.login(USER, PASSWORD)[0] == "OK"
    status, folders = client.list()
    assert status == "OK"
    assert any(b"INBOX" in line for line in folders if isinstance(line, bytes))
    assert client.create("Archive")[0] == "OK"
    for n in range(1, 4):
        assert client.append("INBOX", None, None, _message(n))[0] == "OK"
    status, data = client.select("INBOX")
    assert (status, data) == ("OK", [b"3"])
    assert client.search(None, "SUBJECT", '"Lunch 2?"') == ("OK", [b"2"])
    status, items = client.fetch("2", "(ENVELOPE BODY.PEEK[])")
    assert status == "OK"
    head, body = items[0]
    assert b'"Lunch 2?"' in head
    assert body == _message(2)
    assert client.store("1", "+FLAGS", "(\\Seen)")[0] == "OK"
    status, items = client.fetch("1", "(FLAGS)")
    assert b"\\Seen" in items[0]
    assert client.copy("1", "Archive")[0] == "OK"
    assert client.store("1", "+FLAGS", "(\\Deleted)")[0] == "OK"
    status, expunged = client.expunge()
    assert (status, expunged) == ("OK", [b"1"])
    assert client.status("Archive", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 1)")
    assert client.close()[0] == "OK"
    assert client.logout()[0] == "BYE"


def test_imapclient_move_and_idle_push(port: int) -> None:
    with (
        imapclient.IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as watcher,
        imapclient.IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as writer,
    ):
        watcher.login(USER, PASSWORD)
        writer.login(USER, PASSWORD)
        # imapclient writes an APPEND literal and its CRLF separately: without
        # this, Nagle's algorithm adds ~40 ms on the client side.
        writer.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.create_folder("Archive")
        writer.append("INBOX", _message(1), flags=[imapclient.SEEN])
        watcher.select_folder("INBOX")
        watcher.idle()
        started = time.perf_counter()
        writer.append("INBOX", _message(2))
        responses = watcher.idle_check(timeout=5)
        latency = time.perf_counter() - started
        watcher.idle_done()
        print(f"\nimapclient IDLE push after APPEND: {latency * 1000:.1f} ms")
        assert (2, b"EXISTS") in responses
        assert latency < 1.0
        uids = watcher.search(["ALL"])
        assert len(uids) == 2
        fetched = watcher.fetch(uids, ["ENVELOPE", "FLAGS", "BODY[]"])
        assert fetched[uids[0]][b"ENVELOPE"].subject == b"Lunch 1?"
        assert imapclient.SEEN in fetched[uids[0]][b"FLAGS"]
        assert fetched[uids[1]][b"BODY[]"] == _message(2)
        watcher.add_flags(uids[1], [imapclient.FLAGGED])
        watcher.move([uids[0]], "Archive")
        assert watcher.folder_status("Archive", ["MESSAGES"])[b"MESSAGES"] == 1
        assert len(watcher.search(["ALL"])) == 1


def test_aioimaplib_idle(port: int) -> None:
    async def session() -> None:
        client = aioimaplib.IMAP4(host="127.0.0.1", port=port, timeout=10)
        await client.wait_hello_from_server()
        assert (await client.login(USER, PASSWORD)).result == "OK"
        assert (await client.append(_message(1), mailbox="INBOX")).result == "OK"
        assert (await client.select("INBOX")).result == "OK"
        response = await client.fetch("1", "(BODY.PEEK[])")
        assert response.result == "OK"
        assert bytes(response.lines[1]) == _message(1)
        idle = await client.idle_start(timeout=5)
        other = aioimaplib.IMAP4(host="127.0.0.1", port=port, timeout=10)
        await other.wait_hello_from_server()
        await other.login(USER, PASSWORD)
        await other.append(_message(2), mailbox="INBOX")
        pushed = await asyncio.wait_for(client.wait_server_push(), 5)
        assert b"2 EXISTS" in pushed
        client.idle_done()
        await asyncio.wait_for(idle, 5)
        assert (await client.search("ALL")).lines[0] == b"1 2"
        await other.logout()
        await client.logout()

    asyncio.run(session())


def test_imap_tools_flags_and_move(port: int) -> None:
    with imap_tools.MailBoxUnencrypted("127.0.0.1", port).login(USER, PASSWORD) as mailbox:
        mailbox.folder.create("Archive")
        for n in range(1, 3):
            mailbox.append(_message(n), "INBOX")
        messages = list(mailbox.fetch(mark_seen=False))
        assert [m.subject for m in messages] == ["Lunch 1?", "Lunch 2?"]
        assert messages[0].text == "Noon at the usual place?\r\n"
        mailbox.flag(messages[0].uid, imap_tools.MailMessageFlags.FLAGGED, True)
        mailbox.move(messages[1].uid, "Archive")
        remaining = list(mailbox.fetch())
        assert len(remaining) == 1
        assert imap_tools.MailMessageFlags.FLAGGED in remaining[0].flags
        mailbox.folder.set("Archive")
        assert [m.subject for m in mailbox.fetch()] == ["Lunch 2?"]


def test_plugin_fixture_with_the_real_server(imap_server: Any) -> None:
    imap_server.append("INBOX", _message(1), flags=["\\Flagged"])
    client = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    client.login(imap_server.user, imap_server.password)
    client.select("INBOX")
    client.store("1", "+FLAGS", "(\\Seen)")
    client.logout()
    assert imap_server.messages("INBOX") == [_message(1)]
    assert imap_server.flags("INBOX") == [{"\\Flagged", "\\Seen"}]
    assert imap_server.commands() == ["CAPABILITY", "LOGIN", "SELECT", "STORE", "LOGOUT"]
