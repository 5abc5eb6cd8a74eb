"""End-to-end throughput on loopback, per runtime, beside pymap's server.

Each server runs in its own subprocess (one core of its own; the client
has the other):

- ours: ``python -m imap_sansio.adapters serve --runtime asyncio|trio|threads``
  (in-memory backend, demo account);
- pymap: ``pymap --no-tls dict --demo-data`` (its in-memory ``dict`` backend).
  pymap hashes passwords with PBKDF2 (about 0.1 s a login); it runs with
  pysasl's ``Cleartext`` hash instead, so that logins cost what ours cost and
  the idle-connection test does not spend its time hashing.

The same client code drives every server: one asyncio process with N
connections (20; quick: 5), each logging in once and then looping over a
realistic mix for a bounded time, one command in flight per connection:
SELECT, FETCH of a page of headers, FETCH of a whole message, SEARCH
(UNSEEN, or FROM text), STORE (+/-FLAGS \\Seen) and APPEND (LITERAL+, to
another mailbox so that the selected one keeps its size).  The selected
mailbox holds the same 200 messages on every server (the demo corpus of
imap_sansio.server._demo, cycled), appended by the client in the setup.

The client is a small asyncio Protocol that only looks for the tagged
completion; its CPU time and the server's (from /proc/<pid>/stat) are
recorded in ``extra``, so a reader can check that the server, not the
client, is the bottleneck (server CPU near 1.0 core, client CPU below it).

Memory: peak RSS (VmHWM) and RSS of a fresh server process before and after
200 (quick: 100) idle, logged-in connections; the delta per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from imap_sansio.server._demo import DEMO_MESSAGES

from ._harness import Result

__all__ = ["run"]

PYTHON = sys.executable
MAILBOX_SIZE = 200
_CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- servers ---------------------------------------------------------------


@dataclass
class _Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    user: bytes
    password: bytes
    tmp: tempfile.TemporaryDirectory[str] | None = None

    def cpu_seconds(self) -> float:
        fields = pathlib.Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK

    def status_kib(self, key: str) -> int:
        for line in pathlib.Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.tmp is not None:
            self.tmp.cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_listening(proc: subprocess.Popen[bytes], port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(100)  # the greeting
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def start_cli(
    name: str,
    *arguments: str,
    tmp: tempfile.TemporaryDirectory[str] | None = None,
    port: int | None = None,
) -> _Server:
    """``imap-sansio serve`` (asyncio) on ``port`` (default: a free one) with
    these options; the demo account's credentials; ``tmp`` is removed when it
    stops."""
    port = _free_port() if port is None else port
    proc = subprocess.Popen(
        [
            *(PYTHON, "-m", "imap_sansio.adapters", "serve", "--port", str(port)),
            *("--runtime", "asyncio", "--max-connections", "5000", *arguments),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=pathlib.Path(__file__).resolve().parents[1],
    )
    server = _Server(name, proc, port, b"demo", b"demo", tmp)
    try:
        _wait_listening(proc, port)
    except BaseException:
        server.stop()
        raise
    return server


def _start_ours(runtime: str) -> _Server:
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(PYTHON, "-m", "imap_sansio.adapters", "serve", "--port", str(port)),
            *("--runtime", runtime, "--demo", "--max-connections", "5000"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = _Server(f"imap-sansio {runtime}", proc, port, b"demo", b"demo")
    try:
        _wait_listening(proc, port)
    except BaseException:
        server.stop()
        raise
    return server


#: pymap's command line, with password hashing replaced by pysasl's Cleartext
#: (pymap's default, PBKDF2 with 500,000 rounds, makes each LOGIN cost about
#: 0.1 s of CPU, which is not what this benchmark is about).
_PYMAP_MAIN = (
    "from pysasl.hashing import Cleartext; import pymap.config as c; "
    "c.IMAPConfig._get_hash_context = classmethod(lambda cls, cfg: Cleartext()); "
    "from pymap.main import main; main()"
)


def _start_pymap() -> _Server | None:
    try:
        import pymap  # noqa: F401
    except ImportError:
        return None
    tmp = tempfile.TemporaryDirectory(prefix="bench-pymap-")
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(PYTHON, "-c", _PYMAP_MAIN, "--host", "127.0.0.1", "--port", str(port)),
            *("--no-tls", "dict", "--demo-data"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp.name,
    )
    server = _Server("pymap dict", proc, port, b"demouser", b"demopass", tmp)
    try:
        _wait_listening(proc, port)
    except BaseException:
        server.stop()
        raise
    return server


# -- the client -----------------------------------------------------------


class _Conn(asyncio.Protocol):
    """One IMAP connection: send a command, wait for its tagged completion."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None
        self.marker = b"\r\n"  # the greeting: its first line end
        self.counter = 0
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.waiter = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        start = max(0, len(self.buf) - len(self.marker) - 2)
        self.buf += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        marker = self.marker
        index = self.buf.find(marker, start)
        if index < 0 and self.buf.startswith(marker[2:]):
            index = -2
        if index == -1:
            return
        end = self.buf.find(b"\r\n", index + len(marker))
        if end < 0 and marker != b"\r\n":
            return
        out = bytes(self.buf)
        self.buf.clear()
        waiter.set_result(out)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    async def greeting(self) -> bytes:
        assert self.waiter is not None
        return await self.waiter

    async def command(self, text: bytes) -> bool:
        """Send ``TAG text`` (a complete command, literals LITERAL+); True for OK."""
        self.counter += 1
        tag = b"c%d" % self.counter
        self.marker = b"\r\n" + tag + b" "
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(tag + b" " + text)
        out = await self.waiter
        index = out.find(self.marker)
        status = (
            out[index + len(self.marker) : index + len(self.marker) + 2]
            if index >= 0
            else (out[len(tag) + 1 : len(tag) + 3])
        )
        return status == b"OK"


async def _connect(port: int) -> _Conn:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(_Conn, "127.0.0.1", port)
    await conn.greeting()
    return conn


async def _login(server: _Server) -> _Conn:
    conn = await _connect(server.port)
    ok = await conn.command(b'LOGIN "%s" "%s"\r\n' % (server.user, server.password))
    if not ok:
        raise RuntimeError(f"{server.name}: LOGIN failed")
    return conn


def _corpus() -> list[bytes]:
    return [data for _, data, _, _ in DEMO_MESSAGES]


def _append(mailbox: bytes, data: bytes, flags: bytes = b"") -> bytes:
    return b"APPEND %s (%s) {%d+}\r\n%s\r\n" % (mailbox, flags, len(data), data)


async def _setup(server: _Server) -> None:
    conn = await _login(server)
    for name in (b"Bench", b"BenchSent"):
        await conn.command(b"CREATE %s\r\n" % name)
    corpus = _corpus()
    for i in range(MAILBOX_SIZE):
        flags = b"\\Seen" if i % 3 else b""
        if not await conn.command(_append(b"Bench", corpus[i % len(corpus)], flags)):
            raise RuntimeError(f"{server.name}: APPEND failed in setup")
    await conn.command(b"LOGOUT\r\n")


@dataclass
class _Tally:
    commands: int = 0
    errors: int = 0
    by_name: dict[str, int] = field(default_factory=dict)


def _mix(rng: random.Random, corpus: list[bytes]) -> Iterator[tuple[str, bytes]]:
    """One client's endless command stream (a mail client's sync loop)."""
    n = MAILBOX_SIZE
    while True:
        yield "SELECT", b"SELECT Bench\r\n"
        first = rng.randint(1, n - 19)
        yield (
            "FETCH headers",
            b"FETCH %d:%d (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])"
            b"\r\n" % (first, first + 19),
        )
        for _ in range(2):
            yield "FETCH body", b"FETCH %d BODY.PEEK[]\r\n" % rng.randint(1, n)
        yield "SEARCH", b"SEARCH UNSEEN\r\n"
        yield "SEARCH", b'SEARCH FROM "alice"\r\n'
        seq = rng.randint(1, n)
        sign = b"+" if rng.random() < 0.5 else b"-"
        yield "STORE", b"STORE %d %sFLAGS (\\Seen)\r\n" % (seq, sign)
        yield "APPEND", _append(b"BenchSent", corpus[rng.randrange(len(corpus))], b"\\Seen")


async def _worker(
    conn: _Conn, rng: random.Random, tally: _Tally, stop: asyncio.Event, counting: list[bool]
) -> None:
    corpus = _corpus()
    for name, text in _mix(rng, corpus):
        if stop.is_set():
            return
        ok = await conn.command(text)
        if counting[0]:
            tally.commands += 1
            tally.by_name[name] = tally.by_name.get(name, 0) + 1
            if not ok:
                tally.errors += 1


def _client_cpu() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class _Round:
    commands: int
    seconds: float
    server_cpu: float
    client_cpu: float
    tally: _Tally


async def _throughput(server: _Server, clients: int, warmup: float, duration: float) -> _Round:
    await _setup(server)
    conns = [await _login(server) for _ in range(clients)]
    tally = _Tally()
    stop = asyncio.Event()
    counting = [False]
    tasks = [
        asyncio.create_task(_worker(c, random.Random(i), tally, stop, counting))
        for i, c in enumerate(conns)
    ]
    await asyncio.sleep(warmup)
    counting[0] = True
    server_cpu0, client_cpu0, t0 = server.cpu_seconds(), _client_cpu(), time.perf_counter()
    await asyncio.sleep(duration)
    counting[0] = False
    elapsed = time.perf_counter() - t0
    server_cpu = server.cpu_seconds() - server_cpu0
    client_cpu = _client_cpu() - client_cpu0
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for c in conns:
        if c.transport is not None:
            c.transport.close()
    return _Round(tally.commands, elapsed, server_cpu, client_cpu, tally)


def _summary(name: str, rounds: list[_Round]) -> Result:
    """Median over rounds; the row's time is the server's CPU time per 1,000
    commands (the headline: the servers need not saturate a core, and wall
    clock would then time the client); wall-clock rates are in ``extra``."""
    per_k = sorted(1000 * r.server_cpu / max(r.commands, 1) for r in rounds)
    quartiles = statistics.quantiles(per_k, n=4) if len(per_k) >= 2 else [per_k[0]] * 3
    commands = sum(r.commands for r in rounds)
    seconds = sum(r.seconds for r in rounds)
    server_cpu = sum(r.server_cpu for r in rounds)
    by_name: dict[str, int] = {}
    for r in rounds:
        for key, value in r.tally.by_name.items():
            by_name[key] = by_name.get(key, 0) + value
    return Result(
        name=name,
        median=statistics.median(per_k),
        q1=quartiles[0],
        q3=quartiles[2],
        runs=len(rounds),
        units=1000,
        unit="command",
        extra={
            "commands_per_second_rounds": [r.commands / r.seconds for r in rounds],
            # Robust to a busy machine and to a client bottleneck: commands
            # per second of the server process's own CPU time.
            "commands_per_server_cpu_second": commands / server_cpu if server_cpu else 0.0,
            "server_cpu_cores": server_cpu / seconds,
            "client_cpu_cores": sum(r.client_cpu for r in rounds) / seconds,
            "errors": sum(r.tally.errors for r in rounds),
            "by_command": by_name,
        },
    )


async def _idle_memory(server: _Server, count: int) -> dict[str, float]:
    warm = await _login(server)  # imports, demo data, first session
    await warm.command(b"NOOP\r\n")
    await asyncio.sleep(0.2)
    rss0 = server.status_kib("VmRSS")
    conns: list[_Conn] = []
    t0 = time.perf_counter()
    for start in range(0, count, 50):
        conns += await asyncio.gather(*(_login(server) for _ in range(min(50, count - start))))
    login_seconds = time.perf_counter() - t0
    await asyncio.sleep(0.3)
    rss1 = server.status_kib("VmRSS")
    peak = server.status_kib("VmHWM")
    for c in [warm, *conns]:
        if c.transport is not None:
            c.transport.close()
    return {
        "connections": count,
        "rss_before_kib": rss0,
        "rss_after_kib": rss1,
        "peak_rss_kib": peak,
        "kib_per_connection": (rss1 - rss0) / count,
        "login_seconds": login_seconds,
    }


# -- the suite --------------------------------------------------------------


def _servers() -> list[tuple[str, str | None]]:
    return [("asyncio", "asyncio"), ("trio", "trio"), ("threads", "threads"), ("pymap", None)]


def _start(kind: str | None) -> _Server | None:
    return _start_pymap() if kind is None else _start_ours(kind)


def run(quick: bool = False) -> list[Result]:
    clients = 5 if quick else 20
    # Rounds alternate between the servers, so that a machine that gets
    # busier during the run penalises all of them alike.
    rounds, warmup, duration = (1, 0.5, 2.0) if quick else (3, 1.0, 4.0)
    idle = 100 if quick else 200
    names: dict[str, str] = {}
    samples: dict[str, list[_Round]] = {}
    memory: dict[str, dict[str, float]] = {}
    for round_number in range(rounds):
        for label, kind in _servers():
            server = _start(kind)
            if server is None:
                if round_number == 0:
                    print(f"  e2e: {label} skipped (not installed)", file=sys.stderr)
                continue
            names[label] = server.name
            try:
                sample = asyncio.run(_throughput(server, clients, warmup, duration))
            finally:
                server.stop()
            samples.setdefault(label, []).append(sample)
            if round_number == 0:
                server = _start(kind)
                assert server is not None
                try:
                    memory[label] = asyncio.run(_idle_memory(server, idle))
                finally:
                    server.stop()
    results: list[Result] = []
    throughput = {
        label: _summary(f"e2e: {clients} clients, command mix, {names[label]}, server CPU", group)
        for label, group in samples.items()
    }
    peer = throughput.get("pymap")
    for label, result in throughput.items():
        if peer is not None and label != "pymap":
            result.extra["peer"] = peer.name
            result.extra["ratio_vs_peer"] = peer.median / result.median
            wall = statistics.median(result.extra["commands_per_second_rounds"])
            peer_wall = statistics.median(peer.extra["commands_per_second_rounds"])
            result.extra["wall_ratio_vs_peer"] = wall / peer_wall
        results.append(result)
    peer_memory = memory.get("pymap")
    for label, mem in memory.items():
        per = mem["kib_per_connection"]
        who = "pymap dict" if label == "pymap" else f"imap-sansio {label}"
        # The timed quantity is opening and logging in the connections; the
        # memory (the point of this row) is in the name and in extra.
        result = Result(
            name=f"e2e: {int(mem['connections'])} idle logged-in connections, {who}: "
            f"{per:.1f} KiB RSS each",
            median=mem["login_seconds"],
            q1=mem["login_seconds"],
            q3=mem["login_seconds"],
            runs=1,
            units=mem["connections"],
            unit="login",
            extra=dict(mem),
        )
        if peer_memory is not None and label != "pymap" and per > 0:
            result.extra["peer"] = "pymap dict (memory: x less RSS per connection)"
            result.extra["ratio_vs_peer"] = peer_memory["kib_per_connection"] / per
        results.append(result)
    return results


if __name__ == "__main__":  # pragma: no cover
    with contextlib.suppress(KeyboardInterrupt):
        for r in run(quick="--quick" in sys.argv):
            print(r.name, r.extra)
