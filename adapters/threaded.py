"""A threaded server on blocking-style sockets (standard library only).

One thread per connection.  Each thread waits with a selector on its socket
and on its own wake-up socket pair, which a backend change notification or a
shutdown writes to; so IDLE push is event driven, never a polling loop.  A
change notice wakes only the sessions it concerns (its user, and the ones
with its mailbox selected).

Backpressure: output is written whole (each piece within ``send_timeout``)
before the socket is read again, so no output is ever left unsent while
reading, and the socket is not read at all while the connection is paused.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Sequence

from . import proxy
from ._driver import (
    BYE_TOO_MANY,
    BYE_UNAVAILABLE,
    BindError,
    ChangeNotice,
    ConnectionDriver,
    IMAPServerLike,
    LiteralReads,
    LoginGuard,
    ServerOptions,
    Step,
    WakeIndex,
    listen_address,
    logger,
    server_lock,
    sessions_run_at_once,
)

__all__ = ["ThreadedServer"]

_WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def _listen(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128, reuse_port=reuse_port)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise BindError(
            exc.errno, f"cannot listen on {listen_address(host, port)}: {reason}"
        ) from exc


class _Session:
    """One connection's thread and how to wake it."""

    __slots__ = ("changed", "shutdown_text", "sock", "thread", "wake_r", "wake_w")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.changed = False
        self.shutdown_text: str | None = None
        self.thread: threading.Thread | None = None

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending) or closed
            self.wake_w.send(b"\0")

    def drain(self) -> None:
        with contextlib.suppress(OSError):
            while self.wake_r.recv(4096):
                pass

    def close(self) -> None:
        self.wake_r.close()
        self.wake_w.close()


class ThreadedServer:
    """Serves an ``IMAPServer`` with one thread per connection.

    ``with ThreadedServer(server, port=0) as s:`` listens on ``s.port`` until
    the block ends; or ``start()`` / ``close()``; ``serve_forever()`` blocks.
    ``sockets``: listening sockets to serve instead of binding ``host`` and
    the ports (systemd's socket activation): the first is plain/STARTTLS, a
    second one implicit TLS.
    """

    def __init__(
        self,
        server: IMAPServerLike,
        *,
        host: str = "127.0.0.1",
        port: int = 1143,
        tls_port: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        options: ServerOptions | None = None,
        sockets: Sequence[socket.socket] = (),
    ) -> None:
        if tls_port is not None and ssl_context is None:
            raise ValueError("tls_port needs an ssl_context")
        self._server = server
        self._host = host
        self._sockets = tuple(sockets)
        self._requested_port = port
        self._requested_tls_port = tls_port
        self._ssl_context = ssl_context
        self._options = options or ServerOptions()
        # One lock for every call into the server, unless its backend is
        # thread-safe: then each connection takes a lock of its own.
        self._lock: threading.Lock | None = (
            None if sessions_run_at_once(server) else server_lock(server)
        )
        self._sessions: set[_Session] = set()
        self._sessions_lock = threading.Lock()
        self._index: WakeIndex[_Session] = WakeIndex()
        #: The login limits' accounting, shared by every connection.
        self._guard = LoginGuard(self._options.login_limits, lock=threading.Lock())
        self._listeners: list[tuple[socket.socket, bool]] = []
        self._accept_thread: threading.Thread | None = None
        self._stop_r, self._stop_w = socket.socketpair()
        self._closing = threading.Event()
        self._stopped = threading.Event()
        self._remove_listener: object = None
        self.port: int | None = None
        self.tls_port: int | None = None

    def __enter__(self) -> ThreadedServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        """Bind the ports and start accepting in a background thread."""
        if self._sockets:
            for sock, implicit_tls in zip(self._sockets, (False, True), strict=False):
                self._listeners.append((sock, implicit_tls))
            self.port = self._sockets[0].getsockname()[1]
            if len(self._sockets) > 1:
                self.tls_port = self._sockets[1].getsockname()[1]
        else:
            self._bind()
        self._remove_listener = self._server.add_change_listener(self._on_change)
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="imap-accept", daemon=True
        )
        self._accept_thread.start()
        logger.info(
            "listening on %s port %s%s",
            self._host,
            self.port,
            f" (TLS port {self.tls_port})" if self.tls_port is not None else "",
        )

    def _bind(self) -> None:
        reuse = self._options.reuse_port
        plain = _listen(self._host, self._requested_port, reuse_port=reuse)
        self._listeners.append((plain, False))
        self.port = plain.getsockname()[1]
        if self._requested_tls_port is not None:
            try:
                secure = _listen(self._host, self._requested_tls_port, reuse_port=reuse)
            except BindError:
                plain.close()
                raise
            self._listeners.append((secure, True))
            self.tls_port = secure.getsockname()[1]

    def serve_forever(self) -> None:
        """Start if needed and block until :meth:`close` (from another thread
        or a signal handler)."""
        if self._accept_thread is None:
            self.start()
        self._stopped.wait()

    def close(self) -> None:
        """Send ``* BYE Server shutting down`` everywhere, wait, and stop."""
        if self._closing.is_set():
            self._stopped.wait()
            return
        self._closing.set()
        with contextlib.suppress(OSError):
            self._stop_w.send(b"\0")
        if self._accept_thread is not None:
            self._accept_thread.join()
        with self._sessions_lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.shutdown_text = "Server shutting down"
            session.wake()
        deadline = time.monotonic() + self._options.shutdown_grace
        for session in sessions:
            if session.thread is not None:
                session.thread.join(max(0.0, deadline - time.monotonic()))
        for session in sessions:  # the stragglers: cut them off
            with contextlib.suppress(OSError):
                session.sock.shutdown(socket.SHUT_RDWR)
        for session in sessions:
            if session.thread is not None:
                session.thread.join(1.0)
        if callable(self._remove_listener):
            self._remove_listener()
        for listener, _ in self._listeners:
            listener.close()
        self._stop_r.close()
        self._stop_w.close()
        logger.info("stopped")
        self._stopped.set()

    def _on_change(self, notice: ChangeNotice) -> None:
        """The backend changed (called from any thread, maybe under the server
        lock): wake the sessions the notice concerns."""
        for session in self._index.select(notice):
            session.changed = True
            session.wake()

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._stop_r, selectors.EVENT_READ)
            for listener, implicit_tls in self._listeners:
                selector.register(listener, selectors.EVENT_READ, implicit_tls)
            while not self._closing.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._stop_r:
                        return
                    ready = key.fileobj
                    if not isinstance(ready, socket.socket):
                        continue
                    try:
                        sock, address = ready.accept()
                    except OSError as exc:
                        logger.warning("accept failed: %s", exc)
                        continue
                    self._admit(sock, address, bool(key.data))

    def _admit(self, sock: socket.socket, address: object, implicit_tls: bool) -> None:
        host, port = (address[0], address[1]) if isinstance(address, tuple) else (str(address), 0)
        peer = f"{host}:{port}"
        with self._sessions_lock:
            full = len(self._sessions) >= self._options.max_connections
        if full:
            logger.warning("%s refused: too many connections", peer)
            self._refuse(sock, BYE_TOO_MANY)
            return
        session = _Session(sock)
        driver: ConnectionDriver | None = None
        if self._options.proxy_protocol:
            # The client's address is in the PROXY header, read by the
            # connection's thread: the limits are applied there.
            if not proxy.trusted_source(host, self._options.proxy_from):
                self._proxy_refused(peer, "not a trusted proxy (see --proxy-from)")
                session.close()
                sock.close()
                return
        else:
            driver = self._driver(session, host, peer, implicit_tls)
            if not driver.admit():
                logger.warning("%s refused: too many connections not logged in from there", peer)
                session.close()
                self._refuse(sock, BYE_UNAVAILABLE)
                return
        with self._sessions_lock:
            self._sessions.add(session)
        with contextlib.suppress(OSError):  # responses go out whole; no Nagle delay
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session.thread = threading.Thread(
            target=self._serve_connection,
            args=(session, driver, peer, implicit_tls),
            name=f"imap-{peer}",
            daemon=True,
        )
        session.thread.start()

    def _driver(
        self, session: _Session, host: str, peer: str, implicit_tls: bool
    ) -> ConnectionDriver:
        return ConnectionDriver.for_peer(
            self._server,
            self._options,
            host=host,
            peer=peer,
            implicit_tls=implicit_tls,
            starttls_offered=self._ssl_context is not None,
            lock=self._lock,
            watch=functools.partial(self._index.update, session),
            guard=self._guard,
        )

    def _proxy_refused(self, peer: str, reason: str) -> None:
        logger.warning("%s refused: PROXY header: %s", peer, reason)
        if self._options.stats is not None:
            self._options.stats.add("proxy_rejected_total")

    def _read_proxy_header(self, sock: socket.socket) -> proxy.ProxyHeader:
        """The PROXY header, read exactly (nothing of the client's bytes),
        within ``proxy_timeout`` (raises ProxyError or TimeoutError)."""
        deadline = time.monotonic() + self._options.proxy_timeout
        data = b""
        while (needed := proxy.bytes_needed(data)) > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = sock.recv(needed)
            if not chunk:
                raise proxy.ProxyError("the connection closed before the header ended")
            data += chunk
        sock.settimeout(None)
        return proxy.parse(data)

    def _proxied_driver(
        self, session: _Session, peer: str, implicit_tls: bool
    ) -> ConnectionDriver | None:
        """Read the PROXY header and make the driver for the client it names;
        None: the connection was refused (and is to be closed)."""
        try:
            header = self._read_proxy_header(session.sock)
        except (proxy.ProxyError, TimeoutError) as exc:
            self._proxy_refused(peer, str(exc) or "timed out")
            return None
        host, via = peer.rsplit(":", 1)[0], peer
        if header.source is not None:
            host = header.source[0]
            peer = f"{listen_address(host, header.source[1])} via {via}"
        driver = self._driver(session, host, peer, implicit_tls)
        if not driver.admit():
            logger.warning("%s refused: too many connections not logged in from there", peer)
            self._refuse(session.sock, BYE_UNAVAILABLE)
            return None
        return driver

    @staticmethod
    def _refuse(sock: socket.socket, bye: bytes) -> None:
        """Greet a connection over a limit with ``bye`` and close it."""
        with contextlib.suppress(OSError):
            sock.settimeout(1.0)
            sock.sendall(bye)
        sock.close()

    def _serve_connection(
        self, session: _Session, driver: ConnectionDriver | None, peer: str, implicit_tls: bool
    ) -> None:
        try:
            if driver is None:
                driver = self._proxied_driver(session, peer, implicit_tls)
                if driver is None:
                    return
                peer = driver.peer
            if implicit_tls:
                session.sock = self._handshake(session.sock)
            session.sock.setblocking(False)
            self._run(session, driver, driver.open(time.monotonic()))
        except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
            logger.info("%s connection lost: %s", peer, exc.__class__.__name__)
        except Exception:  # a bug must cost one connection, not the server
            logger.exception("%s connection failed", peer)
            if self._options.stats is not None:
                self._options.stats.add("errors_total")
        finally:
            with self._sessions_lock:
                self._sessions.discard(session)
            self._index.discard(session)
            if driver is not None:
                driver.close(time.monotonic())
            with contextlib.suppress(OSError):
                session.sock.close()
            session.close()

    def _handshake(self, sock: socket.socket) -> ssl.SSLSocket:
        assert self._ssl_context is not None
        sock.setblocking(True)
        sock.settimeout(self._options.handshake_timeout)
        secure = self._ssl_context.wrap_socket(sock, server_side=True)
        secure.setblocking(False)
        return secure

    def _run(self, session: _Session, driver: ConnectionDriver, step: Step) -> None:
        plain = not isinstance(session.sock, ssl.SSLSocket)
        reads = LiteralReads(session.sock if plain else None, self._options)
        with selectors.DefaultSelector() as selector:
            selector.register(session.wake_r, selectors.EVENT_READ)
            selector.register(session.sock, selectors.EVENT_READ)
            while True:
                for chunk in step.chunks:
                    self._send(session.sock, chunk)
                if step.more:
                    # Streamed output: the next piece once this one is written.
                    step = driver.step(time.monotonic())
                    continue
                if step.closed:
                    break
                if step.more:
                    # Output drives input: run the commands that waited for
                    # this output before reading again.
                    step = driver.step(time.monotonic())
                    continue
                if step.starttls:
                    # Nothing read before the handshake is fed later: the
                    # engine already dropped what followed STARTTLS.
                    selector.unregister(session.sock)
                    session.sock = self._handshake(session.sock)
                    reads = LiteralReads(None, self._options)  # a TLS socket from now on
                    selector.register(session.sock, selectors.EVENT_READ)
                    step = driver.tls_started(time.monotonic())
                    continue
                self._set_reading(selector, session.sock, not step.paused)
                deadline, paused = step.deadline, step.paused
                size = reads.size(step.literal)
                del step  # its output is sent: an idle connection keeps none of it
                step = self._next_step(session, selector, driver, deadline, paused, size=size)
            if isinstance(session.sock, ssl.SSLSocket):
                # TLS close_notify (RFC 8446 6.1), so the client can tell
                # the end from a truncation.  The socket does not block:
                # the alert is sent, the client's is not waited for.
                with contextlib.suppress(OSError, ValueError):
                    session.sock.unwrap()
            with contextlib.suppress(OSError):
                session.sock.shutdown(socket.SHUT_RDWR)

    def _next_step(
        self,
        session: _Session,
        selector: selectors.BaseSelector,
        driver: ConnectionDriver,
        deadline: float,
        paused: bool,
        *,
        size: int,
    ) -> Step:
        sock = session.sock
        while True:
            now = time.monotonic()
            if session.changed or session.shutdown_text is not None or now >= deadline:
                changed, session.changed = session.changed, False
                return driver.step(now, changed=changed, shutdown=session.shutdown_text)
            readable = not paused and isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            if not readable:
                timeout = None if deadline == math.inf else deadline - now
                for key, _ in selector.select(timeout):
                    if key.fileobj is session.wake_r:
                        session.drain()
                    else:
                        readable = True
            if readable:
                try:
                    data = sock.recv(size)
                except _WOULD_BLOCK:
                    continue
                except OSError:
                    data = b""
                changed, session.changed = session.changed, False
                return driver.step(time.monotonic(), data=data, changed=changed)

    @staticmethod
    def _set_reading(selector: selectors.BaseSelector, sock: socket.socket, on: bool) -> None:
        """Watch the socket for input only while the connection reads."""
        try:
            selector.get_key(sock)
            registered = True
        except KeyError:
            registered = False
        if on and not registered:
            selector.register(sock, selectors.EVENT_READ)
        elif not on and registered:
            selector.unregister(sock)

    def _send(self, sock: socket.socket, data: bytes | memoryview) -> None:
        view = memoryview(data)
        size = self._options.write_size
        while view:
            deadline = time.monotonic() + self._options.send_timeout
            while True:
                try:
                    sent = sock.send(view[:size])
                    break
                except _WOULD_BLOCK as exc:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError("the client does not read") from None
                    wanted = (
                        selectors.EVENT_READ
                        if isinstance(exc, ssl.SSLWantReadError)
                        else selectors.EVENT_WRITE
                    )
                    with selectors.DefaultSelector() as selector:
                        selector.register(sock, wanted)
                        selector.select(remaining)
            view = view[sent:]
