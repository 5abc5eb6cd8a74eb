"""No global lock: a slow backend serves many clients at once (issue 13, goal 1).

The store is a ``MemoryBackend`` behind a proxy that waits 5 ms in every
call of its accounts and mailboxes (as a database on the network would:
the wait holds no lock), served by ``imap-sansio serve --factory`` (asyncio,
calls in worker threads) in a process of its own, so that the clients'
Python does not compete with the server's for one interpreter.  Clients on
loopback (threads of this process) log in, select INBOX and send
``NOOP`` (one backend call: the changes since the session's modseq) as fast
as the answers come, for a fixed time; the row is commands per second with
1 and with 20 clients.

Two stores, in the same run: one that says it is thread-safe (each
connection's calls are serialised for that connection only, and run in
worker threads at once), and the same store saying it is not, which keeps
the one server lock of before (every call of every connection waits for
the one before it).  The headline is the ratio of the 20-client rate to the
1-client rate: close to 20 without the lock, 1 with it.
"""

from __future__ import annotations

import os
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

from ._harness import Result

__all__ = ["one_lock_server", "run", "thread_safe_server"]

ROOT = pathlib.Path(__file__).resolve().parents[1]

LATENCY = 0.005


class _Slow:
    """Every method call of the wrapped object waits ``LATENCY`` first; what
    it returns is wrapped too when it is an account or a mailbox."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            time.sleep(LATENCY)
            result = value(*args, **kwargs)
            if type(result).__name__ in ("MemoryAccount", "MemoryMailbox"):
                return _Slow(result)
            return result

        return call


class _SlowBackend:
    """A MemoryBackend whose accounts and mailboxes answer after 5 ms."""

    def __init__(self, *, thread_safe: bool) -> None:
        self._inner = MemoryBackend(users={"alice": "secret"}, lock=threading.RLock())
        self.thread_safe = thread_safe

    def authenticate(self, *args: Any, **kwargs: Any) -> Any:
        return _Slow(self._inner.authenticate(*args, **kwargs))

    def add_listener(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        return self._inner.add_listener(callback)


def thread_safe_server() -> IMAPServer:
    """``--factory`` target: the slow store, thread-safe."""
    return IMAPServer(_SlowBackend(thread_safe=True), clock=fixed_clock())  # type: ignore[arg-type]


def one_lock_server() -> IMAPServer:
    """``--factory`` target: the same store saying it is not thread-safe."""
    return IMAPServer(_SlowBackend(thread_safe=False), clock=fixed_clock())  # type: ignore[arg-type]


@contextmanager
def _serving(thread_safe: bool) -> Iterator[tuple[int, int]]:
    factory = "thread_safe_server" if thread_safe else "one_lock_server"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "imap_sansio.adapters", "serve", "--port", "0"),
            *("--runtime", "asyncio", "--factory", f"benchmarks.bench_concurrency:{factory}"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        found = re.search(r"IMAP on 127\.0\.0\.1:(\d+)", process.stdout.readline())
        if found is None:
            raise RuntimeError("the server did not start")
        yield int(found[1]), process.pid
    finally:
        process.terminate()
        process.wait(15)


class _Client:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.line()
        self.command(b"a LOGIN alice secret")
        self.command(b"b SELECT INBOX")

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def command(self, line: bytes) -> None:
        tag = line.split(b" ", 1)[0] + b" "
        self.sock.sendall(line + b"\r\n")
        while not self.line().startswith(tag):
            pass


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` (Linux), 0 elsewhere."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rate(port: int, clients: int, seconds: float) -> float:
    """Commands per second of ``clients`` clients sending NOOP after NOOP."""
    connected = [_Client(port) for _ in range(clients)]
    counts = [0] * clients
    go = threading.Barrier(clients + 1)
    deadline = [0.0]

    def work(index: int) -> None:
        client = connected[index]
        go.wait()
        while time.monotonic() < deadline[0]:
            client.command(b"n NOOP")
            counts[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    deadline[0] = started + seconds
    go.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for client in connected:
        client.sock.close()
    return sum(counts) / elapsed


def run(quick: bool = False) -> list[Result]:
    seconds, rounds = (1.0, 1) if quick else (2.0, 3)
    rates: dict[tuple[bool, int], list[float]] = {}
    # The server's CPU share while serving (1.0 = one core busy): near 1,
    # the interpreter, not waiting, limits the rate.
    busy: dict[tuple[bool, int], list[float]] = {}
    for _ in range(rounds):
        for thread_safe in (True, False):
            with _serving(thread_safe) as (port, pid):
                for clients in (1, 20):
                    cpu, wall = _cpu_seconds(pid), time.monotonic()
                    rate = _rate(port, clients, seconds)
                    share = (_cpu_seconds(pid) - cpu) / (time.monotonic() - wall)
                    rates.setdefault((thread_safe, clients), []).append(rate)
                    busy.setdefault((thread_safe, clients), []).append(share)
                    print(
                        f"  concurrency thread_safe={thread_safe} clients={clients}: "
                        f"{rate:,.0f} commands/s, server CPU {share:.2f} cores",
                        file=sys.stderr,
                        flush=True,
                    )
    results = []
    for thread_safe in (True, False):
        one = statistics.median(rates[(thread_safe, 1)])
        many = statistics.median(rates[(thread_safe, 20)])
        label = "per-connection locks" if thread_safe else "one server lock"
        for clients, rate in ((1, one), (20, many)):
            samples = sorted(rates[(thread_safe, clients)])
            result = Result(
                name=f"concurrency: 5 ms backend, {clients} client(s), {label}",
                median=1 / rate,
                q1=1 / samples[-1],
                q3=1 / samples[0],
                runs=len(samples),
                units=1,
                unit="command",
                extra={
                    "clients": clients,
                    "thread_safe": thread_safe,
                    "server_cpu_cores": statistics.median(busy[(thread_safe, clients)]),
                },
            )
            if clients == 20:
                result.extra["speedup_vs_one_client"] = many / one
            results.append(result)
    return results
