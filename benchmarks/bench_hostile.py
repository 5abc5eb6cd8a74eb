"""Hostile clients on loopback: what an attack costs the server and the others.

Each attack runs against a fresh server process (ours as in bench_e2e, with
the CLI's default limits; pymap's ``dict`` backend beside it), servers
interleaved within each round.  During the attack a sampler reads the
server's VmRSS every 10 ms, and another client, logged in before the attack
began, sends NOOP after NOOP (10 ms apart) and records how long each answer
took.  Reported per attack and server: RSS growth over the RSS just before
the attack (peak), the other client's NOOP latency (median and worst), and
what the attacker got.

The attacks (issue 11):

- ``fetch flood``: 2,849 pipelined ``FETCH n BODY.PEEK[]`` of a 200 KB
  message in one send, never read;
- ``compress bomb``: after ``COMPRESS DEFLATE`` (RFC 4978), 5,000 such
  FETCHes deflated into a few hundred bytes, never read;
- ``million-key search``: one SEARCH of 1,000,000 ``SUBJECT {1+} x`` keys
  (LITERAL+, 14 MB), answer awaited;
- ``wrong logins``: one address guessing passwords as fast as the server
  answers, reconnecting when it is thrown out;
- ``connection flood``: one address opens 1,100 connections and holds them;
  then a client from another loopback address (127.0.0.2) tries to log in;
- ``long commands``: a mailbox of 20,000 small messages (appended over the
  socket before the watch starts), then ``SEARCH BODY``, ``SORT (SUBJECT)``,
  ``FETCH 1:* (ENVELOPE)`` and ``THREAD REFERENCES``, each answer read in
  full before the next; also on trio.

Ours runs with the login limits a public server has: ``--trusted-networks
''`` (loopback is trusted by default, which would exempt the attackers here
from the failed-login delays and the per-address limits).

A row's time is the other client's worst NOOP latency; ``extra`` has the
rest, and ``results/hostile.md`` the table of numbers and ratios to pymap.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import socket
import statistics
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from . import bench_e2e
from ._harness import Result

__all__ = ["run"]

HERE = pathlib.Path(__file__).resolve().parent
BODY = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 200
MB = 1 << 20


def _start_ours(runtime: str) -> bench_e2e._Server:
    """Ours with the CLI's defaults (bench_e2e raises --max-connections),
    loopback not trusted."""
    port = bench_e2e._free_port()
    proc = bench_e2e.subprocess.Popen(
        [
            *(bench_e2e.PYTHON, "-m", "imap_sansio.adapters", "serve", "--port", str(port)),
            *("--runtime", runtime, "--demo", "--trusted-networks", ""),
        ],
        stdout=bench_e2e.subprocess.DEVNULL,
        stderr=bench_e2e.subprocess.DEVNULL,
    )
    server = bench_e2e._Server(f"imap-sansio {runtime}", proc, port, b"demo", b"demo")
    try:
        bench_e2e._wait_listening(proc, port)
    except BaseException:
        server.stop()
        raise
    return server


class _Client:
    """A blocking line client; ``compressed`` after COMPRESS DEFLATE."""

    def __init__(self, port: int, *, source: str = "127.0.0.1", timeout: float = 20.0) -> None:
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout, source_address=(source, 0)
        )
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.greeting = self.line()

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line + b"\r\n"

    def command(self, tag: bytes, text: bytes) -> bytes:
        self.sock.sendall(tag + b" " + text + b"\r\n")
        while True:
            line = self.line()
            if line.startswith(tag + b" "):
                return line

    def login(self, server: bench_e2e._Server) -> None:
        reply = self.command(b"l", b"LOGIN " + server.user + b" " + server.password)
        assert reply.startswith(b"l OK"), reply

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _rss_kib(server: bench_e2e._Server) -> int:
    return server.status_kib("VmRSS")


class _Watch:
    """The RSS sampler and the other client's NOOP loop, around one attack."""

    def __init__(self, server: bench_e2e._Server) -> None:
        self.server = server
        self.other = _Client(server.port)
        self.other.login(server)
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.failed = 0
        self.baseline = _rss_kib(server)
        self.peak = self.baseline
        self.threads = [
            threading.Thread(target=self._sample, daemon=True),
            threading.Thread(target=self._noop, daemon=True),
        ]

    def _sample(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(OSError, KeyError, ValueError):
                self.peak = max(self.peak, _rss_kib(self.server))
            time.sleep(0.01)

    def _noop(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            start = time.perf_counter()
            try:
                self.other.command(b"n%d" % n, b"NOOP")
            except (OSError, EOFError):
                self.failed += 1
                return
            self.latencies.append(time.perf_counter() - start)
            time.sleep(0.01)

    def __enter__(self) -> _Watch:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        self.other.close()

    def summary(self) -> dict[str, Any]:
        latencies = sorted(self.latencies) or [float("nan")]
        return {
            "rss_growth_mb": (self.peak - self.baseline) / 1024,
            "rss_before_mb": self.baseline / 1024,
            "noop_median_ms": statistics.median(latencies) * 1e3,
            "noop_p99_ms": latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1e3,
            "noop_max_ms": latencies[-1] * 1e3,
            "noops": len(self.latencies),
            "noop_failed": self.failed,
        }


def _send_for(sock: socket.socket, data: bytes, seconds: float) -> int:
    """Send what the server takes within ``seconds``; the bytes sent."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    view = memoryview(data)
    sent = 0
    while view and time.monotonic() < deadline:
        try:
            n = sock.send(view)
        except TimeoutError:
            continue
        except OSError:
            break
        view = view[n:]
        sent += n
    return sent


def _selected_with_big_message(server: bench_e2e._Server) -> tuple[_Client, int]:
    client = _Client(server.port)
    client.login(server)
    client.sock.sendall(b"a APPEND INBOX {%d}\r\n" % len(BODY))
    assert client.line().startswith(b"+"), "no continuation"
    client.sock.sendall(BODY + b"\r\n")
    while not (line := client.line()).startswith(b"a "):
        pass
    assert line.startswith(b"a OK"), line
    client.sock.sendall(b"s SELECT INBOX\r\n")
    exists = 0
    while not (line := client.line()).startswith(b"s "):
        if line.endswith(b" EXISTS\r\n"):
            exists = int(line.split()[1])
    return client, exists


def _fetch_flood(server: bench_e2e._Server, seconds: float) -> dict[str, Any]:
    client, n = _selected_with_big_message(server)
    try:
        with _Watch(server) as watch:
            sent = _send_for(client.sock, b"f FETCH %d BODY.PEEK[]\r\n" % n * 2849, seconds)
            time.sleep(max(0.0, seconds - 0.5))
        return watch.summary() | {"attack_bytes_sent": sent}
    finally:
        client.close()


def _compress_bomb(server: bench_e2e._Server, seconds: float) -> dict[str, Any]:
    client, n = _selected_with_big_message(server)
    try:
        reply = client.command(b"z", b"COMPRESS DEFLATE")
        if not reply.startswith(b"z OK"):
            return {"unsupported": reply.decode("ascii", "replace").strip()}
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        bomb = deflater.compress(b"f FETCH %d BODY.PEEK[]\r\n" % n * 5000)
        bomb += deflater.flush(zlib.Z_SYNC_FLUSH)
        with _Watch(server) as watch:
            _send_for(client.sock, bomb, seconds)
            time.sleep(seconds)
        return watch.summary() | {"bomb_bytes": len(bomb)}
    finally:
        client.close()


def _search_keys(server: bench_e2e._Server, seconds: float) -> dict[str, Any]:
    client = _Client(server.port, timeout=120)
    try:
        client.login(server)
        client.command(b"s", b"SELECT INBOX")
        command = b"q SEARCH" + b" SUBJECT {1+}\r\nx" * 1_000_000 + b"\r\n"
        answer: list[bytes] = []
        with _Watch(server) as watch:
            start = time.perf_counter()

            def read() -> None:
                with contextlib.suppress(OSError, EOFError):
                    while not (line := client.line()).startswith(b"q "):
                        pass
                    answer.append(line)

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            _send_for(client.sock, command, 30)
            reader.join(30)
            elapsed = time.perf_counter() - start
            time.sleep(0.2)
        text = answer[0].decode("ascii", "replace").strip()[:80] if answer else "no answer"
        return watch.summary() | {"answer": text, "answer_seconds": elapsed}
    finally:
        client.close()


def _wrong_logins(server: bench_e2e._Server, seconds: float) -> dict[str, Any]:
    attempts = 0
    connections = 0
    with _Watch(server) as watch:
        deadline = time.monotonic() + seconds
        client: _Client | None = None
        while time.monotonic() < deadline:
            try:
                if client is None:
                    client = _Client(server.port)
                    connections += 1
                reply = client.command(b"l%d" % attempts, b"LOGIN " + server.user + b" wrong")
                attempts += 1
                if reply.split()[1] == b"OK":
                    raise AssertionError("a wrong password was accepted")
            except (OSError, EOFError):
                if client is not None:
                    client.close()
                client = None
        if client is not None:
            client.close()
    return watch.summary() | {
        "failed_logins_per_s": attempts / seconds,
        "attacker_connections": connections,
    }


def _connection_flood(server: bench_e2e._Server, seconds: float) -> dict[str, Any]:
    held: list[socket.socket] = []
    refused = 0
    try:
        with _Watch(server) as watch:
            for _ in range(1100):
                try:
                    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                    greeting = sock.recv(200)
                except OSError:
                    refused += 1
                    continue
                held.append(sock)
                if greeting.startswith(b"* BYE"):
                    refused += 1
            # A user from another address (127.0.0.2, loopback on Linux).
            start = time.perf_counter()
            try:
                newcomer = _Client(server.port, source="127.0.0.2", timeout=10)
                try:
                    if newcomer.greeting.startswith(b"* BYE"):
                        outcome = "refused: " + newcomer.greeting.decode().strip()[:60]
                    else:
                        newcomer.login(server)
                        newcomer.command(b"n", b"NOOP")
                        outcome = "logged in"
                finally:
                    newcomer.close()
            except (OSError, EOFError) as exc:
                outcome = f"failed: {type(exc).__name__}"
            newcomer_seconds = time.perf_counter() - start
            time.sleep(max(0.0, seconds - 1))
        return watch.summary() | {
            "held_connections": len(held) - refused,
            "refused_connections": refused,
            "other_address": outcome,
            "other_address_seconds": newcomer_seconds,
        }
    finally:
        for sock in held:
            sock.close()


LONG_MESSAGES = 20_000
LONG_COMMANDS = (
    ("search", b"SEARCH BODY needle"),
    ("sort", b"SORT (SUBJECT) UTF-8 ALL"),
    ("fetch", b"FETCH 1:* (ENVELOPE)"),
    ("thread", b"THREAD REFERENCES UTF-8 ALL"),
)


def _small_message(n: int) -> bytes:
    return (
        b"From: Sender %d <s%d@example.org>\r\nTo: r@example.net\r\n"
        b"Subject: message %d about things\r\nMessage-ID: <%d@example.org>\r\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n" % (n, n, n % 977, n)
    ) + b"a line of body text that no search finds\r\n" * 20


def _fill(client: _Client, count: int) -> None:
    """``count`` messages into INBOX: pipelined APPENDs with LITERAL+."""

    def send() -> None:
        for start in range(0, count, 500):
            client.sock.sendall(
                b"".join(
                    b"A%d APPEND INBOX {%d+}\r\n%s\r\n" % (i, len(m), m)
                    for i in range(start, min(count, start + 500))
                    for m in (_small_message(i),)
                )
            )

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    done = 0
    while done < count:
        line = client.line()
        if line.startswith(b"A"):
            if line.split()[1] != b"OK":
                raise RuntimeError(line.decode("ascii", "replace").strip()[:80])
            done += 1
    sender.join()


def _long_commands(server: bench_e2e._Server, seconds: float) -> dict[str, Any]:
    client = _Client(server.port, timeout=300)
    try:
        client.login(server)
        _fill(client, LONG_MESSAGES)
        client.command(b"s", b"SELECT INBOX")
        answers: dict[str, Any] = {}
        with _Watch(server) as watch:
            for name, command in LONG_COMMANDS:
                start = time.perf_counter()
                reply = client.command(name.encode(), command)
                ok = reply.split()[1] == b"OK"
                answers[f"{name}_s" if ok else f"{name}"] = (
                    time.perf_counter() - start if ok else reply.decode().strip()[:40]
                )
            time.sleep(0.2)
        return watch.summary() | {"messages": LONG_MESSAGES} | answers
    finally:
        client.close()


ATTACKS: dict[str, Callable[[bench_e2e._Server, float], dict[str, Any]]] = {
    "fetch flood": _fetch_flood,
    "compress bomb": _compress_bomb,
    "million-key search": _search_keys,
    "wrong logins": _wrong_logins,
    "connection flood": _connection_flood,
    "long commands": _long_commands,
}
#: Attacks also run on these runtimes of ours.
MORE_RUNTIMES = {"long commands": [("trio", "trio")]}


def _servers(quick: bool, attack: str) -> list[tuple[str, str | None]]:
    ours = [("asyncio", "asyncio")] if quick else [("asyncio", "asyncio"), ("threads", "threads")]
    return [*ours, *MORE_RUNTIMES.get(attack, []), ("pymap", None)]


@contextlib.contextmanager
def _server(kind: str | None) -> Iterator[bench_e2e._Server | None]:
    server = bench_e2e._start_pymap() if kind is None else _start_ours(kind)
    try:
        yield server
    finally:
        if server is not None:
            server.stop()


def _median_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Numbers: the median over rounds; anything else: the first round's."""
    merged = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = statistics.median(r[key] for r in rows if key in r)
    return merged


def run(quick: bool = False) -> list[Result]:
    rounds, seconds = (1, 2.0) if quick else (2, 3.0)
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for _ in range(rounds):
        for attack, func in ATTACKS.items():
            for label, kind in _servers(quick, attack):
                with _server(kind) as server:
                    if server is None:
                        continue
                    names[label] = server.name
                    try:
                        row = func(server, seconds)
                    except Exception as exc:  # a peer that cannot serve it
                        row = {"unsupported": f"{type(exc).__name__}: {exc}"[:120]}
                samples.setdefault((attack, label), []).append(row)
                print(f"  hostile {attack}, {label}: {row}", file=sys.stderr, flush=True)
    results: list[Result] = []
    table: list[dict[str, Any]] = []
    for (attack, label), rows in samples.items():
        row = _median_of(rows)
        table.append({"attack": attack, "server": names.get(label, label)} | row)
        if "unsupported" in row:
            continue
        worst = row["noop_max_ms"] / 1e3
        result = Result(
            name=f"hostile: {attack}, {names[label]}: +{row['rss_growth_mb']:.1f} MB RSS, "
            f"others' NOOP worst {row['noop_max_ms']:.1f} ms, p99 {row['noop_p99_ms']:.1f} ms",
            median=worst,
            q1=row["noop_median_ms"] / 1e3,
            q3=worst,
            runs=len(rows),
            units=1,
            unit="NOOP",
            extra=dict(row),
        )
        peer = samples.get((attack, "pymap"))
        if label != "pymap" and peer is not None:
            ratios = _ratios(row, _median_of(peer))
            if ratios is not None:
                result.extra["peer"] = "pymap dict (others' worst NOOP: x faster than pymap's)"
                result.extra["ratio_vs_peer"], result.extra["rss_ratio_vs_peer"] = ratios
        results.append(result)
    _write(table, quick)
    return results


def _ratios(row: dict[str, Any], peer: dict[str, Any]) -> tuple[float, float] | None:
    """(pymap's worst NOOP / ours, pymap's RSS growth / ours); above 1 we do better.

    A growth under 0.1 MB counts as 0.1 MB (sampling noise).
    """
    if "unsupported" in row or "unsupported" in peer:
        return None
    latency = peer["noop_max_ms"] / max(row["noop_max_ms"], 1e-3)
    return latency, max(peer["rss_growth_mb"], 0.1) / max(row["rss_growth_mb"], 0.1)


def _write(table: list[dict[str, Any]], quick: bool) -> None:
    """results/hostile.md and .json: the numbers side by side."""
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "hostile.json").write_text(json.dumps({"quick": quick, "rows": table}, indent=2))
    lines = [
        f"# Hostile clients ({'quick' if quick else 'full'} run of "
        "`python -m benchmarks --only hostile`)",
        "",
        "RSS growth: the server's peak VmRSS during the attack over its RSS just before.",
        "NOOP: another logged-in client's NOOP round trips during the attack.",
        "",
        "Ratios: pymap's figure / ours, above 1 we do better (RSS growth under 0.1 MB",
        "counts as 0.1 MB).  noop_failed: the other client's NOOP got no answer in 20 s.",
        "",
        "| attack | server | RSS growth | NOOP median | NOOP p99 | NOOP worst "
        "| vs pymap: NOOP worst, RSS | attacker got |",
        "|---|---|---|---|---|---|---|---|",
    ]
    peers = {row["attack"]: row for row in table if row["server"].startswith("pymap")}
    for row in table:
        if "unsupported" in row:
            lines.append(
                f"| {row['attack']} | {row['server']} | - | - | - | - | - | "
                f"cannot run: {row['unsupported']} |"
            )
            continue
        got = ", ".join(
            f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in row.items()
            if k
            not in (
                "attack",
                "server",
                "rss_growth_mb",
                "rss_before_mb",
                "noop_median_ms",
                "noop_p99_ms",
                "noop_max_ms",
            )
        )
        peer = peers.get(row["attack"])
        ratios = None if peer is None or peer is row else _ratios(row, peer)
        versus = f"{ratios[0]:.2f}x, {ratios[1]:.2f}x" if ratios is not None else "-"
        lines.append(
            f"| {row['attack']} | {row['server']} | {row['rss_growth_mb']:.1f} MB | "
            f"{row['noop_median_ms']:.1f} ms | {row['noop_p99_ms']:.1f} ms | "
            f"{row['noop_max_ms']:.1f} ms | {versus} | {got} |"
        )
    (out / "hostile.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick="--quick" in sys.argv):
        print(r.name, r.extra)
