"""Big messages over loopback: APPEND and FETCH of 10 and 50 MiB, beside pymap.

Each server runs in its own process (ours: the threaded runtime, on the
in-memory store and on Maildir; pymap: its ``dict`` store).  One client
APPENDs a message of the size (LITERAL+), then FETCHes it back with
``BODY.PEEK[]`` reading everything; the rows give MiB/s and, in ``extra``,
the server's peak RSS growth during the command (``VmHWM`` reset through
``/proc/PID/clear_refs`` before it).  An in-memory store keeps the message
in memory, so its APPEND grows by at least the message; what differs is the
transient memory on top (a literal spooled to a file, a body streamed from
the store) and, for Maildir, everything.
"""

from __future__ import annotations

import contextlib
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from ._harness import Result
from .bench_e2e import _free_port, _Server, _start_pymap, _wait_listening

__all__ = ["run"]

MiB = 1024 * 1024
_LINE = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv\r\n"


def _message(size: int) -> bytes:
    head = b"From: a@example.org\r\nSubject: big\r\n\r\n"
    body = _LINE * ((size - len(head)) // len(_LINE) + 1)
    return head + body[: size - len(head)]


def _start_ours(store: str, tmp: str) -> _Server:
    port = _free_port()
    args = ["--demo"] if store == "memory" else ["--maildir", tmp]
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "imap_sansio.adapters", "serve", "--port", str(port)),
            *("--runtime", "threads", *args),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = _Server(f"imap-sansio threads {store}", proc, port, b"demo", b"demo")
    try:
        _wait_listening(proc, port)
    except BaseException:
        server.stop()
        raise
    return server


class _Client:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.buf = bytearray()
        self.counter = 0
        while b"\r\n" not in self.buf:  # the greeting
            self._recv()
        # Each answer is read after a CRLF, so a tagged line is "\r\n" + tag.
        self.buf[:] = b"\r\n"

    def _recv(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def _until(self, marker: bytes) -> bytes:
        """Everything up to the end of the line that starts with ``marker``."""
        start = 0
        while (index := self.buf.find(marker, start)) < 0:
            start = max(0, len(self.buf) - len(marker))
            self._recv()
        while (end := self.buf.find(b"\r\n", index + len(marker))) < 0:
            self._recv()
        out = bytes(self.buf[: end + 2])
        self.buf[: end + 2] = b"\r\n"
        return out

    def command(self, text: bytes, literal: bytes | None = None) -> bytes:
        self.counter += 1
        tag = b"t%d" % self.counter
        if literal is None:
            self.sock.sendall(tag + b" " + text + b"\r\n")
        else:
            self.sock.sendall(tag + b" " + text + b" {%d+}\r\n" % len(literal))
            self.sock.sendall(literal)
            self.sock.sendall(b"\r\n")
        out = self._until(b"\r\n" + tag + b" ")
        if not out.split(b"\r\n" + tag + b" ", 1)[1].startswith(b"OK"):
            raise RuntimeError(out[-300:])
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _peak_growth_kib(server: _Server, action: object) -> tuple[float, int]:
    """Run ``action``; its seconds and the server's peak RSS growth (KiB)."""
    clear = pathlib.Path(f"/proc/{server.proc.pid}/clear_refs")
    with contextlib.suppress(OSError):
        clear.write_text("5")  # resets VmHWM to the current RSS
    before = server.status_kib("VmRSS")
    start = time.perf_counter()
    action()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    return seconds, server.status_kib("VmHWM") - before


def _measure(server: _Server, size: int, repeat: int) -> dict[str, list[tuple[float, int]]]:
    data = _message(size)
    client = _Client(server.port)
    out: dict[str, list[tuple[float, int]]] = {"APPEND": [], "FETCH": []}
    try:
        client.command(b'LOGIN "%s" "%s"' % (server.user, server.password))
        for _ in range(repeat):
            out["APPEND"].append(
                _peak_growth_kib(server, lambda: client.command(b"APPEND INBOX", data))
            )
        selected = client.command(b"SELECT INBOX")
        exists = int(re.search(rb"\* (\d+) EXISTS", selected).group(1))  # type: ignore[union-attr]
        answers: list[bytes] = []
        for i in range(repeat):
            command = b"FETCH %d BODY.PEEK[]" % (exists - i)
            out["FETCH"].append(
                _peak_growth_kib(server, lambda c=command: answers.append(client.command(c)))
            )
            if data not in answers.pop():
                raise RuntimeError(f"{server.name}: FETCH did not return the message")
    finally:
        client.close()
    return out


def _result(name: str, samples: list[tuple[float, int]], size: int) -> Result:
    times = sorted(s for s, _ in samples)
    quartiles = statistics.quantiles(times, n=4) if len(times) >= 2 else [times[0]] * 3
    peak = max(k for _, k in samples) / 1024
    return Result(
        name=f"{name}: peak RSS growth {peak:.0f} MiB",
        median=statistics.median(times),
        q1=quartiles[0],
        q3=quartiles[2],
        runs=len(times),
        units=size / MiB,
        unit="MiB",
        extra={"peak_rss_growth_mib": peak},
    )


def run(quick: bool = False) -> list[Result]:
    sizes = [10 * MiB] if quick else [10 * MiB, 50 * MiB]
    repeat = 2 if quick else 3
    results: list[Result] = []
    for size in sizes:
        rows: dict[str, dict[str, Result]] = {}
        for label in ("memory", "maildir", "pymap"):
            with tempfile.TemporaryDirectory(prefix="bench-big-") as tmp:
                server = _start_pymap() if label == "pymap" else _start_ours(label, tmp)
                if server is None:
                    print("  big: pymap skipped (not installed)", file=sys.stderr)
                    continue
                try:
                    samples = _measure(server, size, repeat)
                finally:
                    server.stop()
            for command, group in samples.items():
                what = f"big: {command} {size // MiB} MiB, {server.name}"
                rows.setdefault(command, {})[label] = _result(what, group, size)
        for by_label in rows.values():
            peer = by_label.get("pymap")
            for label, result in by_label.items():
                if peer is not None and label != "pymap":
                    result.extra["peer"] = peer.name.split(": peak")[0]
                    result.extra["ratio_vs_peer"] = result.rate / peer.rate
                results.append(result)
    return results
