"""No global lock (issue 13, goal 1): with a thread-safe backend, one
session waiting for the store does not hold up the others; each session's
own calls stay in order; a backend that is not thread-safe keeps the one
server lock."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from _adapter_harness import Client, running_server
from imap_sansio.adapters._driver import server_lock, session_lock, sessions_run_at_once
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, MemoryBackend


class _Gate:
    """Wraps accounts and mailboxes: ``store_flags`` waits until released."""

    def __init__(self, inner: object, entered: threading.Event, release: threading.Event) -> None:
        self._inner = inner
        self._entered = entered
        self._release = release

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            if name == "store_flags":
                self._entered.set()
                assert self._release.wait(30)
            result = value(*args, **kwargs)
            if type(result).__name__ in ("MemoryAccount", "MemoryMailbox"):
                return _Gate(result, self._entered, self._release)
            return result

        return call


class _GatedBackend:
    def __init__(self, *, thread_safe: bool) -> None:
        self.inner = MemoryBackend(users={"alice": "secret"}, lock=threading.RLock())
        self.thread_safe = thread_safe
        self.entered = threading.Event()
        self.release = threading.Event()

    def authenticate(self, *args: Any, **kwargs: Any) -> Any:
        return _Gate(self.inner.authenticate(*args, **kwargs), self.entered, self.release)

    def add_listener(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        return self.inner.add_listener(callback)


def _login(port: int) -> Client:
    client = Client(port, timeout=30)
    client.line()
    assert client.command(b"a", b"LOGIN alice secret")[-1].startswith(b"a OK")
    assert client.command(b"b", b"SELECT INBOX")[-1].startswith(b"b OK")
    return client


@pytest.mark.parametrize("runtime", ["asyncio", "trio", "threads"])
def test_a_session_waiting_for_the_store_does_not_hold_up_another(runtime: str) -> None:
    backend = _GatedBackend(thread_safe=True)
    backend.inner.account("alice").append(
        "INBOX", b"Subject: x\r\n\r\n", internal_date=wall_clock()
    )
    server = IMAPServer(backend, clock=wall_clock)  # type: ignore[arg-type]
    with (
        running_server(runtime, server) as running,
        _login(running.port) as a,
        _login(running.port) as b,
    ):
        a.send(b"s STORE 1 +FLAGS (\\Seen)\r\nn NOOP\r\n")
        assert backend.entered.wait(30)
        # A's STORE is inside the store; B is answered meanwhile.
        assert b.command(b"c", b"NOOP")[-1].startswith(b"c OK")
        assert b.command(b"d", b"FETCH 1 (UID)")[-1].startswith(b"d OK")
        backend.release.set()
        # A's calls stayed in order: the STORE, then its NOOP.
        lines = a.until_tagged(b"s") + a.until_tagged(b"n")
        # A selected first, so the message is \Recent in A (RFC 3501 2.3.2).
        assert lines[0] == b"* 1 FETCH (FLAGS (\\Seen \\Recent))\r\n"
        assert lines[1].startswith(b"s OK")
        assert lines[-1].startswith(b"n OK")


def test_which_lock_a_connection_takes() -> None:
    plain = IMAPServer(MemoryBackend(), clock=wall_clock)
    assert not sessions_run_at_once(plain)
    assert session_lock(plain) is server_lock(plain)
    assert session_lock(plain) is session_lock(plain)
    shared = IMAPServer(MemoryBackend(lock=threading.RLock()), clock=wall_clock)
    assert sessions_run_at_once(shared)
    first, second = session_lock(shared), session_lock(shared)
    assert first is not second
    assert server_lock(shared) not in (first, second)
    # What the sessions share got a real lock.
    assert not isinstance(shared.message_cache.lock, type(plain.message_cache.lock))


def test_the_message_cache_is_safe_from_many_threads() -> None:
    server = IMAPServer(MemoryBackend(lock=threading.RLock()), clock=wall_clock)
    assert sessions_run_at_once(server)
    cache = server.message_cache
    cache.max_messages = 8
    errors: list[BaseException] = []

    def reader(n: int) -> None:
        try:
            for i in range(2000):
                uid = (i * 7 + n) % 24
                message = cache.get(("alice", "INBOX", 1, uid), lambda uid=uid: b"%d\r\n" % uid)
                assert message is not None
                assert message.size == len(b"%d\r\n" % uid)
        except BaseException as exc:
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=reader, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(cache._entries) == 8
    assert cache._bytes == sum(cache.cost(m) for m in cache._entries.values())
