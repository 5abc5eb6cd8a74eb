"""The PostgreSQL store: throughput with one and two server processes, and
the cost per command as a mailbox grows.

Needs PostgreSQL: a throwaway cluster is started as the tests do
(tests/_postgres.py: initdb in a temporary folder, loopback, a free port,
``fsync=off``), or set ``IMAP_SANSIO_BENCH_POSTGRES`` to the DSN of a
server where this may create databases.  Without either the suite is
skipped with a message.

1. Throughput: the command mix of bench_e2e (20 clients; quick: 5) against
   ``imap-sansio serve --postgres DSN`` with one process, and with two
   processes sharing one port through ``--reuse-port`` (SO_REUSEPORT: the
   kernel spreads the connections), beside the in-memory server in the same
   run.  Each round gets a fresh database.
2. Growth: an ``IMAPServer`` over a ``PostgresBackend`` in this process
   (pure connections, no sockets), one mailbox each of 1,000, 10,000 and
   100,000 messages (quick: 1,000 and 10,000), selected by one session
   each; the time per command of NOOP, UID FETCH of flags and of a header,
   UID STORE, APPEND and APPEND + UID EXPUNGE on random messages, the sizes
   timed in alternation (a machine that gets busier weighs on all alike).
   SELECT and SEARCH read every message by nature and are left out;
   everything else must stay flat (index probes, no scan per command):
   ``extra["ratio_to_smallest"]`` says how flat.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import bench_e2e as e2e
from ._harness import Result

__all__ = ["run"]

DSN_ENV = "IMAP_SANSIO_BENCH_POSTGRES"
ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
DATE = datetime(2025, 1, 1, tzinfo=UTC)


# -- a database ------------------------------------------------------------


@contextlib.contextmanager
def _databases() -> Iterator[Callable[[], str] | None]:
    """Yield a function returning the DSN of a fresh database (None: no PostgreSQL)."""
    import psycopg

    dsn = os.environ.get(DSN_ENV)
    if dsn:
        counter = iter(range(1, 10**6))

        def fresh() -> str:
            name = f"bench_{os.getpid()}_{next(counter)}"
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            return f"{dsn} dbname={name}"

        yield fresh
        return
    sys.path.insert(0, str(TESTS))
    try:
        from _postgres import PostgresCluster, find_bin_dir
    finally:
        sys.path.remove(str(TESTS))
    bin_dir = find_bin_dir()
    if bin_dir is None:
        yield None
        return
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    cluster = PostgresCluster(bin_dir, folder)
    try:
        cluster.start()
        yield cluster.new_database
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)


# -- 1. throughput ------------------------------------------------------------


@dataclass
class _Group:
    """Several server processes behind one port (SO_REUSEPORT), seen as one."""

    name: str
    servers: list[e2e._Server]
    port: int
    user: bytes = b"bench"
    password: bytes = b"bench"

    def cpu_seconds(self) -> float:
        return sum(s.cpu_seconds() for s in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def _start_postgres(dsn: str, processes: int) -> _Group:
    port = e2e._free_port()
    servers = []
    try:
        for _ in range(processes):
            proc = subprocess.Popen(
                [
                    *(e2e.PYTHON, "-m", "imap_sansio.adapters", "serve", "--port", str(port)),
                    *("--runtime", "asyncio", "--postgres", dsn, "--user", "bench:bench"),
                    *("--reuse-port", "--max-connections", "5000"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            server = e2e._Server("postgres", proc, port, b"bench", b"bench")
            servers.append(server)
            # The banner, printed once this process listens: with a shared
            # port, a connection could not tell which process answered.
            assert proc.stdout is not None
            if "IMAP on" not in proc.stdout.readline().decode():
                raise RuntimeError(f"server exited with {proc.wait()}")
    except BaseException:
        for server in servers:
            server.stop()
        raise
    label = "1 process" if processes == 1 else f"{processes} processes, --reuse-port"
    return _Group(f"imap-sansio PostgreSQL, {label}", servers, port)


def one_lock_memory() -> Any:
    """``--factory`` target: the in-memory store without a lock, so it says it
    is not thread-safe and the server keeps its one lock over every call of
    every connection (the behaviour before issue 13), calls in worker threads."""
    from imap_sansio.adapters.cli import wall_clock

    from imap_sansio.server import IMAPServer, MemoryBackend

    return IMAPServer(MemoryBackend(users={"demo": "demo"}), clock=wall_clock)


def locked_memory() -> Any:
    """``--factory`` target: the same store thread-safe (its own lock): per-
    connection locks, calls in the same worker threads as ``one_lock_memory``."""
    import threading

    from imap_sansio.adapters.cli import wall_clock

    from imap_sansio.server import IMAPServer, MemoryBackend

    backend = MemoryBackend(users={"demo": "demo"}, lock=threading.RLock())
    return IMAPServer(backend, clock=wall_clock)


def _start_maildir() -> e2e._Server:
    import tempfile

    tmp = tempfile.TemporaryDirectory(prefix="bench-maildir-")
    return e2e.start_cli(
        "imap-sansio Maildir", "--maildir", tmp.name, "--user", "demo:demo", tmp=tmp
    )


#: The servers of the load table, in the order they run in each round:
#: label -> how to start one (None: not available, e.g. pymap not installed).
_LOAD_SERVERS: dict[str, Callable[[Callable[[], str]], Any]] = {
    "memory (calls on the event loop)": lambda fresh: e2e._start_ours("asyncio"),
    "memory, worker threads, per-connection locks": lambda fresh: e2e.start_cli(
        "memory, worker threads", "--factory", "benchmarks.bench_postgres:locked_memory"
    ),
    "memory, worker threads, one server lock (before issue 13)": lambda fresh: e2e.start_cli(
        "memory, one lock", "--factory", "benchmarks.bench_postgres:one_lock_memory"
    ),
    "Maildir": lambda fresh: _start_maildir(),
    "PostgreSQL, 1 process": lambda fresh: _start_postgres(fresh(), 1),
    "PostgreSQL, 2 processes (--reuse-port)": lambda fresh: _start_postgres(fresh(), 2),
    "pymap dict": lambda fresh: e2e._start_pymap(),
}

ONE_LOCK = "memory, worker threads, one server lock (before issue 13)"


def _throughput(fresh: Callable[[], str], clients: int, quick: bool) -> list[Result]:
    """The imaptest-like load of bench_e2e on every store, beside pymap and
    the one-lock server, the servers interleaved round by round."""
    rounds, warmup, duration = (1, 0.5, 2.0) if quick else (5, 1.0, 4.0)
    samples: dict[str, list[e2e._Round]] = {}
    for _ in range(rounds):
        for label, start in _LOAD_SERVERS.items():
            server = start(fresh)
            if server is None:
                continue
            try:
                sample = asyncio.run(e2e._throughput(server, clients, warmup, duration))
            finally:
                server.stop()
            samples.setdefault(label, []).append(sample)
            print(
                f"  postgres load {label}: {sample.commands / sample.seconds:,.0f} commands/s, "
                f"server {1000 * sample.server_cpu / max(sample.commands, 1):.2f} ms CPU/command, "
                f"client {sample.client_cpu / sample.seconds:.2f} cores",
                file=sys.stderr,
                flush=True,
            )
    results = {
        label: e2e._summary(f"load: {clients} clients, command mix, imap-sansio {label}", group)
        for label, group in samples.items()
    }
    if "pymap dict" in results:
        results["pymap dict"].name = f"load: {clients} clients, command mix, pymap dict"

    def wall(label: str) -> float:
        return statistics.median(results[label].extra["commands_per_second_rounds"])

    def per_round(label: str, peer: str) -> list[float]:
        """Wall-clock rate ratios round by round (the sides ran in the same round)."""
        return [
            (a.commands / a.seconds) / (b.commands / b.seconds)
            for a, b in zip(samples[label], samples[peer], strict=False)
        ]

    for label, result in results.items():
        rates = sorted(result.extra["commands_per_second_rounds"])
        quartiles = statistics.quantiles(rates, n=4) if len(rates) >= 2 else [rates[0]] * 3
        row = {
            f"server ({clients} clients)": result.name.split("command mix, ", 1)[1],
            "commands/s (median)": f"{wall(label):,.0f}",
            "commands/s (q1-q3)": f"{quartiles[0]:,.0f} - {quartiles[2]:,.0f}",
            "server CPU per command": f"{result.median:.2f} ms",
            "server cores": f"{result.extra['server_cpu_cores']:.2f}",
            "client cores": f"{result.extra['client_cpu_cores']:.2f}",
        }
        for peer, column in (("pymap dict", "vs pymap"), (ONE_LOCK, "vs one lock")):
            if peer in results and peer != label:
                ratios = per_round(label, peer)
                cpu = results[peer].median / result.median
                row[f"commands/s {column}"] = f"{statistics.median(ratios):.2f}x"
                row[f"CPU/command {column}"] = f"{cpu:.2f}x"
                key = "pymap" if peer == "pymap dict" else "one_lock"
                result.extra[f"wall_ratio_vs_{key}_rounds"] = ratios
                result.extra[f"cpu_ratio_vs_{key}"] = cpu
            else:
                row[f"commands/s {column}"] = row[f"CPU/command {column}"] = ""
        result.extra["table_row"] = row
        if label != "pymap dict" and "pymap dict" in results:
            result.extra["peer"] = "pymap dict, same load, same rounds (server CPU per command)"
            result.extra["ratio_vs_peer"] = result.extra["cpu_ratio_vs_pymap"]
    return list(results.values())


# -- 2. cost per command as the mailbox grows ----------------------------------


def _fill(backend: Any, mailbox: str, count: int) -> None:
    """Create ``mailbox`` with ``count`` messages, appended in batches
    (store-level, fast), as if a client had seen them (no session claims
    100,000 messages as \\Recent, a set each FETCH would copy)."""
    from imap_sansio.adapters.postgres import NewMailbox, NewMessage

    store = backend.store
    account = store.account("bench")
    (box,) = store.create_mailboxes(account, [NewMailbox(name=mailbox)])
    for start in range(0, count, 2000):
        store.append(
            box.id,
            [
                NewMessage(
                    data=b"From: a@example.org\r\nSubject: message %d\r\n\r\nbody %d\r\n" % (i, i),
                    flags=frozenset({"\\Seen"} if i % 3 else ()),
                    internal_date=DATE,
                )
                for i in range(start, min(start + 2000, count))
            ],
        )
    store.claim_recent(box.id)


def _growth(fresh: Callable[[], str], quick: bool) -> list[Result]:
    import psycopg
    from argon2 import PasswordHasher
    from imap_sansio.adapters.postgres_backend import PostgresBackend

    from imap_sansio.server import IMAPServer

    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    rounds = 5
    per_run = 50 if quick else 100
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    dsn = fresh()
    times: dict[tuple[str, int], list[float]] = {}
    with PostgresBackend(dsn, password_hasher=hasher, listen=False) as backend:
        backend.add_user("bench", "bench")
        for size in sizes:
            _fill(backend, f"Box{size}", size)
        # The steady state: vacuumed, statistics fresh, not autovacuum busy
        # on what was just written while the timing runs.
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        server = IMAPServer(backend, clock=lambda: DATE)
        sessions = {size: _growth_commands(server, size) for size in sizes}
        # Sizes in alternation, round after round: a machine that gets busier
        # during the run weighs on every size alike.
        for _ in range(rounds):
            for size, commands in sessions.items():
                for name, command in commands.items():
                    gc.collect()
                    gc.disable()
                    started = time.perf_counter()
                    for _ in range(per_run):
                        command()
                    times.setdefault((name, size), []).append(time.perf_counter() - started)
                    gc.enable()
    results: list[Result] = []
    for (name, size), runs in times.items():
        runs.sort()
        q1, _, q3 = statistics.quantiles(runs, n=4)
        result = Result(
            name=f"postgres growth: {name}, mailbox of {size:,} messages",
            median=statistics.median(runs),
            q1=q1,
            q3=q3,
            runs=rounds,
            units=per_run,
            unit="command",
            extra={"mailbox_size": size},
        )
        smallest = statistics.median(times[name, sizes[0]]) / per_run
        result.extra["ratio_to_smallest"] = result.per_unit / smallest
        results.append(result)
    return results


def _growth_commands(server: Any, size: int) -> dict[str, Callable[[], object]]:
    """A logged-in session with ``Box<size>`` selected, and the commands timed on it."""
    conn = server.connect(secure=True)
    conn.data_to_send()
    for line in (b"a LOGIN bench bench\r\n", b"b SELECT Box%d\r\n" % size):
        conn.receive_data(line)
        conn.data_to_send()
    rng = random.Random(size)
    counter = iter(range(10**9))

    def say(line: bytes) -> bytes:
        conn.receive_data(b"t%d " % next(counter) + line + b"\r\n")
        out: bytes = conn.data_to_send()
        assert b" OK " in out.rsplit(b"\r\n", 2)[-2], out[-200:]
        return out

    def uid() -> int:
        return rng.randint(1, size)

    box = b"Box%d" % size
    return {
        "NOOP": lambda: say(b"NOOP"),
        "UID FETCH flags": lambda: say(b"UID FETCH %d (FLAGS)" % uid()),
        "UID FETCH header": lambda: say(b"UID FETCH %d (BODY.PEEK[HEADER])" % uid()),
        "UID STORE": lambda: say(b"UID STORE %d +FLAGS.SILENT (\\Flagged)" % uid()),
        "APPEND": lambda: say(b"APPEND " + box + b" {18+}\r\nSubject: new\r\n\r\nx"),
        # Its own message each time: the mailbox keeps its size.
        "APPEND + UID EXPUNGE": lambda: _append_expunge(say, box),
    }


def _append_expunge(say: Callable[[bytes], bytes], box: bytes) -> None:
    out = say(b"APPEND " + box + b" (\\Deleted) {18+}\r\nSubject: tmp\r\n\r\nx")
    found = re.search(rb"\[APPENDUID \d+ (\d+)\]", out)
    assert found is not None, out
    say(b"UID EXPUNGE " + found[1])


# -- the suite -----------------------------------------------------------------


def run(quick: bool = False) -> list[Result]:
    with _databases() as fresh:
        if fresh is None:
            print(
                "  postgres: skipped (no PostgreSQL: apt-get install postgresql, "
                f"or set {DSN_ENV})",
                file=sys.stderr,
            )
            return []
        started = time.perf_counter()
        results = _throughput(fresh, 5 if quick else 20, quick)
        results += _growth(fresh, quick)
        print(f"  postgres: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        return results


if __name__ == "__main__":  # pragma: no cover
    with contextlib.suppress(KeyboardInterrupt):
        for r in run(quick="--quick" in sys.argv):
            print(f"{r.name}: {r.per_unit * 1e3:.3f} ms/{r.unit}", r.extra)
