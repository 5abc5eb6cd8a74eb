"""No global lock: a slow backend serves many clients at once (issue 13, goal 1).

The store is a ``MemoryBackend`` behind a proxy that waits 5 ms in every
call of its accounts and mailboxes (as a database on the network would:
the wait holds no lock), served by ``imap-sansio serve --factory`` (asyncio and
trio: calls in worker threads; threads: a thread per connection) in a
process of its own, so that the clients'
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
1-client rate: close to 20 without the lock, 1 with it.  It is taken round
by round (both rates from one server process, seconds apart) and reported
with its spread over the rounds.

The thread-safe store runs under the three runtimes, the one-lock store
under asyncio and threads.  What bounds the 20-client rate is
the hand-off, not the locks: ``--runtime threads`` (a thread per connection
that calls the server itself) reaches about 20x at 0.3 core of server CPU,
while asyncio and trio, which pass every step of a connection to a worker
thread (``anyio.to_thread``) and take the answer back on the event loop,
reach 13-15x at half a core and more: each command then waits for the loop
thread, which all 20 connections share, and for the GIL, twice more.  The
rows record the server's and the clients' CPU (cores busy) so that this can
be checked: the clients stay near 0.1 core, the worker threads (40)
outnumber the clients, and ``time.sleep`` holds no lock.
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
def _serving(thread_safe: bool, runtime: str = "asyncio") -> Iterator[tuple[int, int]]:
    factory = "thread_safe_server" if thread_safe else "one_lock_server"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "imap_sansio.adapters", "serve", "--port", "0"),
            *("--runtime", runtime, "--factory", f"benchmarks.bench_concurrency:{factory}"),
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


def _rate(port: int, clients: int, seconds: float) -> tuple[float, float]:
    """Commands per second of ``clients`` clients sending NOOP after NOOP,
    and the CPU share of this (the client) process meanwhile: near 1.0, the
    clients' own Python, not the server, would set the rate."""
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
    cpu = time.process_time()
    deadline[0] = started + seconds
    go.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    client_share = (time.process_time() - cpu) / elapsed
    for client in connected:
        client.sock.close()
    return sum(counts) / elapsed, client_share


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4)
    return q1, median, q3


def run(quick: bool = False) -> list[Result]:
    seconds, rounds = (1.0, 1) if quick else (2.0, 7)
    Config = tuple[bool, str]
    configs: list[Config] = [
        (True, "asyncio"),
        (True, "trio"),
        (True, "threads"),
        (False, "asyncio"),
        (False, "threads"),
    ]
    rates: dict[tuple[Config, int], list[float]] = {}
    # The server's CPU share while serving (1.0 = one core busy): near 1,
    # the interpreter, not waiting, limits the rate.  Likewise the client's.
    busy: dict[tuple[Config, int], list[float]] = {}
    client_busy: dict[tuple[Config, int], list[float]] = {}
    # The 20-client rate over the 1-client rate of the same server process in
    # the same round: the spread of this ratio is the benchmark's own.
    speedups: dict[Config, list[float]] = {}
    for _ in range(rounds):
        for config in configs:
            thread_safe, runtime = config
            with _serving(thread_safe, runtime) as (port, pid):
                for clients in (1, 20):
                    cpu, wall = _cpu_seconds(pid), time.monotonic()
                    rate, client_share = _rate(port, clients, seconds)
                    share = (_cpu_seconds(pid) - cpu) / (time.monotonic() - wall)
                    rates.setdefault((config, clients), []).append(rate)
                    busy.setdefault((config, clients), []).append(share)
                    client_busy.setdefault((config, clients), []).append(client_share)
                    print(
                        f"  concurrency {runtime} thread_safe={thread_safe} clients={clients}: "
                        f"{rate:,.0f} commands/s, server CPU {share:.2f} cores, "
                        f"client CPU {client_share:.2f} cores",
                        file=sys.stderr,
                        flush=True,
                    )
                one, many = rates[(config, 1)][-1], rates[(config, 20)][-1]
                speedups.setdefault(config, []).append(many / one)
    results = []
    for config in configs:
        thread_safe, runtime = config
        label = "per-connection locks" if thread_safe else "one server lock"
        label = f"{label}, --runtime {runtime}"
        q1, median, q3 = _quartiles(speedups[config])
        for clients in (1, 20):
            samples = rates[(config, clients)]
            r_q1, r_median, r_q3 = _quartiles(samples)
            result = Result(
                name=f"concurrency: 5 ms backend, {clients} client(s), {label}",
                median=1 / r_median,
                q1=1 / r_q3,
                q3=1 / r_q1,
                runs=len(samples),
                units=1,
                unit="command",
                extra={
                    "clients": clients,
                    "thread_safe": thread_safe,
                    "runtime": runtime,
                    "rates": samples,
                    "server_cpu_cores": statistics.median(busy[(config, clients)]),
                    "client_cpu_cores": statistics.median(client_busy[(config, clients)]),
                },
            )
            row = {
                "store (5 ms a call)": label,
                "clients": str(clients),
                "commands/s (median)": f"{r_median:,.0f}",
                "commands/s (q1-q3)": f"{r_q1:,.0f} - {r_q3:,.0f}",
                "server cores": f"{result.extra['server_cpu_cores']:.2f}",
                "client cores": f"{result.extra['client_cpu_cores']:.2f}",
                "20 clients / 1 client, per round (median)": "",
                "(q1-q3, min-max)": "",
            }
            if clients == 20:
                runs = speedups[config]
                result.extra["speedup_vs_one_client"] = median
                result.extra["speedup_rounds"] = runs
                row["20 clients / 1 client, per round (median)"] = f"**{median:.1f}x**"
                row["(q1-q3, min-max)"] = (
                    f"{q1:.1f} - {q3:.1f}, {min(runs):.1f} - {max(runs):.1f} ({len(runs)} rounds)"
                )
            result.extra["table_row"] = row
            results.append(result)
    return results
