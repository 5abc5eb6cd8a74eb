"""Run any adapter runtime in a background thread, and a blocking test client."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
from imap_sansio.adapters import ServerOptions, ThreadedServer
from imap_sansio.adapters.anyio_server import AnyIOServer

__all__ = ["RUNTIMES", "Client", "LogWatch", "Running", "running_server", "watch_log"]

#: (runtime, offload): asyncio and trio through worker threads, asyncio on the
#: loop (in-memory backend), and the threaded server.
RUNTIMES = ["asyncio", "asyncio-direct", "trio", "threads"]


@dataclass
class Running:
    port: int
    tls_port: int | None
    stop: Any


@contextlib.contextmanager
def running_server(
    runtime: str,
    server: Any,
    *,
    options: ServerOptions | None = None,
    ssl_context: ssl.SSLContext | None = None,
    tls: bool = False,
) -> Iterator[Running]:
    options = options or ServerOptions()
    tls_port = 0 if tls else None
    if runtime == "threads":
        threaded = ThreadedServer(
            server, port=0, tls_port=tls_port, ssl_context=ssl_context, options=options
        )
        threaded.start()
        assert threaded.port is not None
        running = Running(threaded.port, threaded.tls_port, threaded.close)
        try:
            yield running
        finally:
            threaded.close()
        return

    backend = runtime.split("-", maxsplit=1)[0]
    if runtime.endswith("-direct"):
        options = _replace(options, offload=False)
    started = threading.Event()
    stop = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        async with AnyIOServer(
            server, port=0, tls_port=tls_port, ssl_context=ssl_context, options=options
        ) as srv:
            box["port"], box["tls_port"] = srv.port, srv.tls_port
            started.set()
            await anyio.to_thread.run_sync(stop.wait)

    def run() -> None:
        try:
            anyio.run(main, backend=backend)
        except BaseException as exc:  # surfaced in the test thread
            box["error"] = exc
            started.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    if "error" in box:
        raise box["error"]

    def close() -> None:
        stop.set()
        thread.join(15)

    try:
        yield Running(box["port"], box["tls_port"], close)
    finally:
        close()
        assert not thread.is_alive()
        if "error" in box:
            raise box["error"]


def _replace(options: ServerOptions, **changes: Any) -> ServerOptions:
    return dataclasses.replace(options, **changes)


class Client:
    """A line-oriented blocking IMAP client for the tests."""

    def __init__(
        self,
        port: int,
        *,
        context: ssl.SSLContext | None = None,
        timeout: float = 5.0,
    ) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if context is not None:
            sock = context.wrap_socket(sock, server_hostname="localhost")
        self.sock: socket.socket = sock
        self.buffer = bytearray()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self, timeout: float | None = None) -> bytes:
        if timeout is not None:
            self.sock.settimeout(timeout)
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(bytes(self.buffer))
            self.buffer += chunk
        end = self.buffer.index(b"\r\n") + 2
        line = bytes(self.buffer[:end])
        del self.buffer[:end]
        return line

    def until_tagged(self, tag: bytes) -> list[bytes]:
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines

    def command(self, tag: bytes, text: bytes) -> list[bytes]:
        self.send(tag + b" " + text + b"\r\n")
        return self.until_tagged(tag)

    def at_eof(self, timeout: float = 5.0) -> bool:
        """True when the server closed (after any remaining lines)."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                return True
            if not chunk:
                return True
            self.buffer += chunk
        return False

    def quiet_for(self, seconds: float) -> bool:
        """True when the server sends nothing (and does not close) for ``seconds``."""
        if self.buffer:
            return False
        readable, _, _ = select.select([self.sock], [], [], seconds)
        return not readable

    @property
    def peer(self) -> str:
        """How the server names this client in its log ("127.0.0.1:port")."""
        host, port = self.sock.getsockname()[:2]
        return f"{host}:{port}"

    def start_tls(self, context: ssl.SSLContext) -> None:
        assert not self.buffer, self.buffer
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LogWatch(logging.Handler):
    """The adapters' log lines, and a wait for one that is woken by the line
    itself: the tests wait for what the server did, never for a time."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.lines.append(record.getMessage())
            self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 10.0) -> str:
        """The first line that ``pattern`` matches (re.search), once logged."""
        regex = re.compile(pattern)
        found: list[str] = []

        def seen() -> bool:
            found[:] = [line for line in self.lines if regex.search(line)]
            return bool(found)

        with self._changed:
            if not self._changed.wait_for(seen, timeout):
                raise AssertionError(f"no log line matched {pattern!r} in {timeout} s")
        return found[0]


@contextlib.contextmanager
def watch_log() -> Iterator[LogWatch]:
    """Collect the ``imap_sansio.adapters`` log (INFO and up) while in the block."""
    logger = logging.getLogger("imap_sansio.adapters")
    watch = LogWatch()
    previous = logger.level
    logger.addHandler(watch)
    if not logger.isEnabledFor(logging.INFO):
        logger.setLevel(logging.INFO)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.setLevel(previous)
