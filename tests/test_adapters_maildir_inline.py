"""The Maildir store under anyio (issue 16, the store beside Dovecot): the
commands that only read or rename run on the event loop, the others (APPEND
flushes its message before the rename that shows it) in worker threads, and
the flushes of the ones on the loop are made before their answers go out."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _adapter_harness import Client, running_server
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters._driver import ConnectionDriver
from imap_sansio.adapters.maildir import UIDLIST, MaildirAccount, MaildirBackend, MaildirMailbox

from imap_sansio.server import IMAPServer, StoreAction
from imap_sansio.testing import fixed_clock

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _login(conn: Any) -> None:
    conn.data_to_send()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    assert conn.data_to_send().endswith(b"] LOGIN completed\r\n")


def test_a_command_the_gate_refuses_waits_with_what_follows_until_pump(tmp_path: Path) -> None:
    backend = MaildirBackend(tmp_path, {"alice": "secret"}, fsync=False)
    server = IMAPServer(backend, clock=fixed_clock())
    conn = server.connect(secure=True)
    _login(conn)
    allowed = {"NOOP"}
    conn.command_gate = lambda command: command.name in allowed
    conn.receive_data(b"b NOOP\r\nc CREATE Sent\r\nd NOOP\r\n")
    assert conn.data_to_send() == b"b OK NOOP completed\r\n"
    assert conn.output_held
    allowed.add("CREATE")
    conn.pump()
    assert conn.data_to_send() == b"c OK CREATE completed\r\nd OK NOOP completed\r\n"
    assert not conn.output_held


def test_an_inline_step_stops_before_append_and_the_next_call_runs_it(tmp_path: Path) -> None:
    backend = MaildirBackend(tmp_path, {"alice": "secret"}, fsync=False)
    driver = ConnectionDriver(
        IMAPServer(backend, clock=fixed_clock()),
        ServerOptions(),
        peer="test",
        secure=True,
        tls_available=False,
    )
    driver.open(0.0)
    step = driver.step(0.0, data=b"a LOGIN alice secret\r\n", inline=False)
    assert step.output.endswith(b"] LOGIN completed\r\n")
    message = b"Subject: hi\r\n\r\nhello\r\n"
    data = b"b NOOP\r\nc APPEND INBOX {%d+}\r\n%s\r\n" % (len(message), message)
    step = driver.step(1.0, data=data, inline=True)
    assert step.output == b"b OK NOOP completed\r\n"
    assert step.more and step.offload
    step = driver.step(1.0)
    assert step.output.startswith(b"c OK [APPENDUID ")
    assert not step.more and not step.offload


def test_a_batch_leaves_the_flushes_to_its_caller(tmp_path: Path) -> None:
    backend = MaildirBackend(tmp_path, {"alice": "secret"})
    account = backend.account("alice")
    account.append("INBOX", b"Subject: 1\r\n\r\n", internal_date=DATE)
    inbox = account.select("INBOX")
    flushed: list[str] = []
    flush = backend.flush

    def recording(paths: Iterable[str]) -> None:
        flushed.extend(paths)
        flush(paths)

    backend.flush = recording  # type: ignore[method-assign]
    with backend.batch() as pending:
        inbox.store_flags([1], StoreAction.ADD, ["\\Seen"])
        assert flushed == []
    assert list(pending) == [str(tmp_path / "alice" / UIDLIST)]
    # Outside a batch, the call flushes before it returns.
    inbox.store_flags([1], StoreAction.ADD, ["\\Flagged"])
    assert flushed == [str(tmp_path / "alice" / UIDLIST)]


def test_another_programs_change_is_found_by_the_next_batch(tmp_path: Path) -> None:
    backend = MaildirBackend(tmp_path, {"alice": "secret"}, fsync=False)
    account = backend.account("alice")
    account.append("INBOX", b"Subject: 1\r\n\r\n", internal_date=DATE)
    inbox = account.select("INBOX")
    cur = tmp_path / "alice" / "cur"
    with backend.batch():
        assert inbox.messages()[0].flags == frozenset()
        [name] = os.listdir(cur)
        os.rename(cur / name, cur / (name.partition(":")[0] + ":2,F"))
        # Looked at once per batch (one command), as Dovecot syncs once per command.
        assert inbox.messages()[0].flags == frozenset()
    with backend.batch():
        assert inbox.messages()[0].flags == frozenset({"\\Flagged"})


def _recording(monkeypatch: pytest.MonkeyPatch, backend: MaildirBackend) -> list[tuple[str, str]]:
    """Notes the thread of each APPEND, STORE and flush of ``backend``."""
    events: list[tuple[str, str]] = []

    def wrap(owner: Any, name: str) -> None:
        method = getattr(owner, name)

        def recorded(*args: Any, **kwargs: Any) -> Any:
            events.append((name, threading.current_thread().name))
            return method(*args, **kwargs)

        monkeypatch.setattr(owner, name, recorded)

    wrap(MaildirAccount, "append")
    wrap(MaildirMailbox, "store_flags")
    wrap(backend, "flush")
    return events


def test_under_asyncio_append_runs_in_a_worker_and_store_on_the_loop_flushed_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MaildirBackend(tmp_path, {"alice": "secret"})
    events = _recording(monkeypatch, backend)
    with (
        running_server("asyncio", IMAPServer(backend, clock=fixed_clock())) as srv,
        Client(srv.port) as client,
    ):
        client.line()
        client.command(b"a", b"LOGIN alice secret")
        message = b"Subject: hi\r\n\r\nhello\r\n"
        client.send(b"b APPEND INBOX {%d+}\r\n%s\r\n" % (len(message), message))
        assert client.until_tagged(b"b")[-1].startswith(b"b OK [APPENDUID ")
        client.command(b"c", b"SELECT INBOX")
        assert client.command(b"d", b"STORE 1 +FLAGS (\\Seen)")[-1] == b"d OK STORE completed\r\n"
        when_answered = list(events)
    [(_, append_thread)] = [e for e in events if e[0] == "append"]
    store_at = events.index(next(e for e in events if e[0] == "store_flags"))
    loop_thread = events[store_at][1]
    assert append_thread != loop_thread
    # The STORE's UID list flushed after it, in a worker thread, before its OK.
    assert when_answered[store_at + 1][0] == "flush"
    assert when_answered[store_at + 1][1] != loop_thread


def test_an_authenticate_response_is_gated_as_its_command(tmp_path: Path) -> None:
    # The password is checked (maybe hashed) at the client's response: that
    # step waits for the pump as AUTHENTICATE itself did.
    backend = MaildirBackend(tmp_path, {"alice": "secret"}, fsync=False)
    conn = IMAPServer(backend, clock=fixed_clock()).connect(secure=True)
    conn.data_to_send()
    allowed: set[str] = set()
    asked: list[str] = []

    def gate(command: Any) -> bool:
        asked.append(command.name)
        return command.name in allowed

    conn.command_gate = gate
    conn.receive_data(b"a AUTHENTICATE PLAIN\r\n")
    assert conn.data_to_send() == b""
    allowed.add("AUTHENTICATE")
    conn.pump()
    assert conn.data_to_send() == b"+ \r\n"
    allowed.clear()
    conn.receive_data(base64.b64encode(b"\0alice\0secret") + b"\r\n")
    assert conn.data_to_send() == b""
    assert asked == ["AUTHENTICATE", "AUTHENTICATE", "AUTHENTICATE"]
    allowed.add("AUTHENTICATE")
    conn.pump()
    assert conn.data_to_send().endswith(b"] AUTHENTICATE completed\r\n")
