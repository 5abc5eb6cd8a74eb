"""An anyio server: one implementation for asyncio and trio.

Per connection, one task loops: write what the driver returned, then wait
for input, a backend change or the driver's deadline, and call the driver
again.  On plain TCP that task reads itself (a wake-up cancels the
``receive``, which loses nothing on a socket stream): it reads nothing while
it writes or while the connection is paused, so a client that floods or
stops reading stops being read from, and an idle connection costs one task.
On TLS (implicit, or after STARTTLS) a ``receive`` may be writing TLS
records and must not be cancelled, so a reader task puts at most one chunk
into an inbox, and does not read while the connection is paused or while
more than ``max_unsent_output`` bytes wait to be written.  A change notice
wakes only the sessions it concerns (its user, and the ones with its mailbox
selected).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import os
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

try:
    import anyio
    import anyio.abc
    import anyio.lowlevel
    import sniffio
    from anyio.streams.tls import TLSStream
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the anyio adapter needs anyio: pip install imap-sansio[anyio] "
        "(or imap-sansio[trio] for trio)"
    ) from exc

from . import proxy
from ._asyncio_stream import AsyncioSocketStream, accept_loop
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

__all__ = ["AnyIOServer"]

T = TypeVar("T")

_EOF_ERRORS = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    ssl.SSLError,
    OSError,
)


def _threadsafe_caller() -> Callable[[Callable[[], None]], None]:
    """A function that runs ``fn`` soon on the current event loop, from any
    thread, without blocking (a change listener may be called while the
    caller holds the server lock)."""
    loop_thread = threading.get_ident()
    if sniffio.current_async_library() == "trio":
        import trio  # noqa: PLC0415 - only there when the trio extra is installed

        token = trio.lowlevel.current_trio_token()

        def call_trio(fn: Callable[[], None]) -> None:
            if threading.get_ident() == loop_thread:
                fn()
                return
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(fn)

        return call_trio

    loop = asyncio.get_running_loop()

    def call_asyncio(fn: Callable[[], None]) -> None:
        if threading.get_ident() == loop_thread:
            fn()
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed
            loop.call_soon_threadsafe(fn)

    return call_asyncio


class _Session:
    """The wake-up state of one connection, touched only on the event loop."""

    __slots__ = (
        "changed",
        "event",
        "inbox",
        "paused",
        "scope",
        "shutdown_text",
        "space",
        "unsent",
        "waker",
    )

    def __init__(self) -> None:
        #: The one chunk read and not fed yet (``b""``: end of stream).
        self.inbox: bytes | None = None
        self.changed = False
        self.shutdown_text: str | None = None
        #: What the connection task waits on (set while it waits).
        self.event: anyio.Event | None = None
        #: What the reader waits on for room to read (set while it waits).
        self.space: anyio.Event | None = None
        #: A plain connection's wait for input or a wake-up (see _run_plain).
        self.scope: anyio.CancelScope | None = None
        #: Backpressure: the connection is paused / output not written yet.
        self.paused = False
        self.unsent = 0
        #: Ends the wait of a plain connection on AsyncioSocketStream.
        self.waker: Callable[[], None] | None = None

    def wake(self) -> None:
        if self.waker is not None:
            self.waker()
        if self.scope is not None:
            self.scope.cancel()
        if self.event is not None:
            self.event.set()

    def may_read(self, max_unsent: int) -> bool:
        """Whether the reader may read another chunk from the socket."""
        return self.inbox is None and not self.paused and self.unsent <= max_unsent

    def free_space(self) -> None:
        """Wake the reader if it waits for room to read."""
        if self.space is not None:
            self.space.set()
            self.space = None


class AnyIOServer:
    """Serves an ``IMAPServer`` on TCP with anyio (asyncio or trio).

    Use ``async with AnyIOServer(server) as s:`` (listening on ``s.port``), or
    ``await s.serve()`` in a task and ``await s.aclose()`` to stop.
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
        self._port = port
        self._tls_port = tls_port
        self._ssl_context = ssl_context
        self._options = options or ServerOptions()
        # One lock for every call into the server, unless its backend is
        # thread-safe: then each connection takes a lock of its own.
        self._lock: threading.Lock | None = (
            None if sessions_run_at_once(server) else server_lock(server)
        )
        # Quick calls on the event loop, the others in worker threads (see
        # ServerOptions.inline), for a thread-safe backend that names them;
        # the flushes they leave are made in a worker thread before their
        # answers go out.
        backend = getattr(server, "backend", None)
        self._inline = (
            self._options.offload
            and self._options.inline
            and self._lock is None
            and getattr(backend, "inline_commands", None) is not None
        )
        self._batch: Callable[[], contextlib.AbstractContextManager[Any]] | None = (
            getattr(backend, "batch", None) if self._inline else None
        )
        self._flush: Callable[[Any], None] | None = getattr(backend, "flush", None)
        self._sessions: set[_Session] = set()
        self._index: WakeIndex[_Session] = WakeIndex()
        #: The login limits' accounting, shared by every connection.
        self._guard = LoginGuard(self._options.login_limits, lock=threading.Lock())
        self._closing: anyio.Event | None = None
        self._stopped: anyio.Event | None = None
        self._call_soon: Callable[[Callable[[], None]], None] | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._exit_stack: list[Any] = []
        #: The bound ports, known once serving started.
        self.port: int | None = None
        self.tls_port: int | None = None

    # -- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> AnyIOServer:
        listeners = await self._bind()  # a taken port raises a plain OSError here
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._exit_stack.append(task_group)
        await task_group.start(self._serve_bound, listeners)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        task_group = self._exit_stack.pop()
        await task_group.__aexit__(None, None, None)

    async def aclose(self) -> None:
        """Send ``* BYE Server shutting down`` everywhere, then stop."""
        if self._closing is not None:
            self._closing.set()
        if self._stopped is not None:
            await self._stopped.wait()

    async def serve(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Listen and serve until :meth:`aclose`."""
        await self._serve_bound(await self._bind(), task_status=task_status)

    async def _bind(self) -> list[tuple[anyio.abc.Listener[anyio.abc.SocketStream], bool]]:
        listeners: list[tuple[anyio.abc.Listener[anyio.abc.SocketStream], bool]] = []
        try:
            if self._sockets:
                for sock, implicit_tls in zip(self._sockets, (False, True), strict=False):
                    passed = await anyio.abc.SocketListener.from_socket(sock)
                    listeners.append((passed, implicit_tls))
                self.port = listeners[0][0].extra(anyio.abc.SocketAttribute.local_port)
                if len(listeners) > 1:
                    self.tls_port = listeners[1][0].extra(anyio.abc.SocketAttribute.local_port)
                return listeners
            plain = await self._listen(self._port)
            listeners.append((plain, False))
            self.port = plain.extra(anyio.abc.SocketAttribute.local_port)
            if self._tls_port is not None:
                secure = await self._listen(self._tls_port)
                listeners.append((secure, True))
                self.tls_port = secure.extra(anyio.abc.SocketAttribute.local_port)
        except BaseException:
            for listener, _ in listeners:
                await anyio.aclose_forcefully(listener)
            raise
        return listeners

    async def _listen(self, port: int) -> anyio.abc.Listener[anyio.abc.SocketStream]:
        try:
            return await anyio.create_tcp_listener(
                local_host=self._host, local_port=port, reuse_port=self._options.reuse_port
            )
        except OSError as exc:
            where = listen_address(self._host, port)
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise BindError(exc.errno, f"cannot listen on {where}: {reason}") from exc

    async def _serve_bound(
        self,
        listeners: list[tuple[anyio.abc.Listener[anyio.abc.SocketStream], bool]],
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        self._closing = anyio.Event()
        self._stopped = anyio.Event()
        self._call_soon = _threadsafe_caller()
        self._limiter = anyio.CapacityLimiter(self._options.worker_threads)
        remove_listener: Callable[[], None] | None = None
        try:
            remove_listener = self._server.add_change_listener(self._on_change)
            logger.info(
                "listening on %s port %s%s",
                self._host,
                self.port,
                f" (TLS port {self.tls_port})" if self.tls_port is not None else "",
            )
            async with anyio.create_task_group() as connections:
                async with anyio.create_task_group() as acceptors:
                    for listener, implicit_tls in listeners:
                        handler = functools.partial(self._handle, implicit_tls=implicit_tls)
                        raw = _raw_listeners(listener)
                        if raw is None:
                            acceptors.start_soon(listener.serve, handler, connections)
                            continue
                        for sock in raw:
                            acceptors.start_soon(
                                accept_loop,
                                sock,
                                handler,
                                connections,
                                self._options.read_size,
                                self._options.write_size,
                            )
                    task_status.started()
                    await self._closing.wait()
                    acceptors.cancel_scope.cancel()
                for session in self._sessions:
                    session.shutdown_text = "Server shutting down"
                    session.wake()
                with anyio.move_on_after(self._options.shutdown_grace):
                    while self._sessions:
                        await anyio.sleep(0.01)
                connections.cancel_scope.cancel()
        finally:
            if remove_listener is not None:
                remove_listener()
            for listener, _ in listeners:
                with anyio.CancelScope(shield=True):
                    await listener.aclose()
            logger.info("stopped")
            self._stopped.set()

    def _on_change(self, notice: ChangeNotice) -> None:
        """The backend changed (called from any thread, maybe under the server
        lock): wake the sessions the notice concerns."""
        if self._call_soon is None:
            return
        sessions = self._index.select(notice)
        if sessions:
            self._call_soon(functools.partial(self._wake, sessions))

    def _wake(self, sessions: list[_Session]) -> None:
        for session in sessions:
            if session in self._sessions:
                session.changed = True
                session.wake()

    # -- calls into the server -------------------------------------------------

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._options.offload:
            return await anyio.to_thread.run_sync(
                lambda: fn(*args, **kwargs), limiter=self._limiter
            )
        return fn(*args, **kwargs)

    async def _drive(
        self, driver: ConnectionDriver, now: float, *, offload: bool = False, **kwargs: Any
    ) -> Step:
        """``driver.step``: on the event loop where it may run there (see
        ``ServerOptions.inline``; ``offload``: the last step said it may
        not), else in a worker thread."""
        if not self._inline or offload:
            return await self._call(driver.step, now, **kwargs)
        batch = self._batch
        if batch is None or self._flush is None:
            return driver.step(now, inline=True, **kwargs)
        with batch() as pending:
            step = driver.step(now, inline=True, **kwargs)
        if pending:
            # On disk before the answers say so.
            await anyio.to_thread.run_sync(self._flush, list(pending), limiter=self._limiter)
        return step

    # -- connections -----------------------------------------------------------

    async def _handle(self, raw: anyio.abc.SocketStream, *, implicit_tls: bool) -> None:
        stream: anyio.abc.ByteStream = raw
        remote = raw.extra(anyio.abc.SocketAttribute.remote_address)
        host = remote[0] if isinstance(remote, tuple) else str(remote)
        peer = f"{host}:{remote[1]}" if isinstance(remote, tuple) else host
        if len(self._sessions) >= self._options.max_connections:
            logger.warning("%s refused: too many connections", peer)
            await self._refuse(raw, BYE_TOO_MANY)
            return
        if self._options.proxy_protocol:
            found = await self._read_proxy_header(raw, host, peer)
            if found is None:
                await anyio.aclose_forcefully(raw)
                return
            host, peer = found
        session = _Session()
        driver = ConnectionDriver.for_peer(
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
        if not driver.admit():
            logger.warning("%s refused: too many connections not logged in from there", peer)
            await self._refuse(raw, BYE_UNAVAILABLE)
            return
        self._sessions.add(session)
        try:
            if implicit_tls:
                assert self._ssl_context is not None
                with anyio.fail_after(self._options.handshake_timeout):
                    stream = await TLSStream.wrap(
                        raw,
                        server_side=True,
                        ssl_context=self._ssl_context,
                        standard_compatible=False,
                    )
            # The first step goes straight in: nothing here keeps its output.
            await self._run(
                session, stream, driver, await self._call(driver.open, anyio.current_time())
            )
        except* (*_EOF_ERRORS, TimeoutError) as group:
            logger.info("%s connection lost: %r", peer, group.exceptions[0])
        except* Exception:  # a bug must cost one connection, not the server
            logger.exception("%s connection failed", peer)
            if self._options.stats is not None:
                self._options.stats.add("errors_total")
        finally:
            self._sessions.discard(session)
            self._index.discard(session)
            with anyio.CancelScope(shield=True):
                await self._call(driver.close, anyio.current_time())
            await anyio.aclose_forcefully(stream)

    async def _read_proxy_header(
        self, raw: anyio.abc.SocketStream, host: str, peer: str
    ) -> tuple[str, str] | None:
        """The client's address and peer text from the PROXY header, read
        exactly (none of the client's bytes) within ``proxy_timeout``; None:
        refused (an untrusted sender, an invalid or late header)."""
        reason = "not a trusted proxy (see --proxy-from)"
        if proxy.trusted_source(host, self._options.proxy_from):
            data = b""
            try:
                with anyio.fail_after(self._options.proxy_timeout):
                    while (needed := proxy.bytes_needed(data)) > 0:
                        data += await raw.receive(needed)
                header = proxy.parse(data)
            except proxy.ProxyError as exc:
                reason = str(exc)
            except TimeoutError:
                reason = "timed out"
            except _EOF_ERRORS:
                reason = "the connection closed before the header ended"
            else:
                if header.source is None:  # LOCAL: the proxy itself
                    return host, peer
                client, port = header.source
                return client, f"{listen_address(client, port)} via {peer}"
        logger.warning("%s refused: PROXY header: %s", peer, reason)
        if self._options.stats is not None:
            self._options.stats.add("proxy_rejected_total")
        return None

    @staticmethod
    async def _refuse(raw: anyio.abc.SocketStream, bye: bytes) -> None:
        """Greet a connection over a limit with ``bye`` and close it."""
        with anyio.move_on_after(1):
            with contextlib.suppress(*_EOF_ERRORS):
                await raw.send(bye)
        await anyio.aclose_forcefully(raw)

    async def _run(
        self,
        session: _Session,
        stream: anyio.abc.ByteStream,
        driver: ConnectionDriver,
        step: Step,
    ) -> None:
        if not isinstance(stream, TLSStream):
            step, stream = await self._run_plain(session, stream, driver, step)
        if not step.closed:
            await self._run_with_reader(session, stream, driver, step)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s closing", driver.peer)
        with anyio.move_on_after(1):
            if isinstance(stream, TLSStream):
                # TLS close_notify (RFC 8446 6.1), so the client can tell the
                # end from a truncation (the streams are wrapped without
                # standard_compatible, whose aclose would send it).
                with contextlib.suppress(*_EOF_ERRORS):
                    await stream.unwrap()
            await stream.aclose()

    async def _run_plain(
        self,
        session: _Session,
        stream: anyio.abc.ByteStream,
        driver: ConnectionDriver,
        step: Step,
    ) -> tuple[Step, anyio.abc.ByteStream]:
        """A plain TCP connection, in this one task: it reads only while it
        waits, so a wake-up cancels a ``receive`` (which loses nothing on a
        socket stream) and no reader task is needed.  Returns the closed
        step, or the first step after STARTTLS and the TLS stream."""
        raw = stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        reads = LiteralReads(raw, self._options)
        fast = stream if isinstance(stream, AsyncioSocketStream) else None
        session.waker = fast.wake if fast is not None else None
        while True:
            session.paused = step.paused or step.more
            if fast is not None:
                await self._write(fast, step.chunks)
            else:
                await self._send(stream, step.chunks, session)
            if step.more:
                # Streamed output: the next piece once this one is written.
                if not step.chunks or fast is not None:
                    # A long command paused for fairness: let the other
                    # sessions run before its next steps (a write to the
                    # asyncio stream does not wait unless its buffer is full,
                    # so a command whose output the client reads as fast as
                    # it comes would otherwise never give the loop back).
                    await anyio.lowlevel.checkpoint()
                step = await self._drive(driver, anyio.current_time(), offload=step.offload)
                continue
            if step.closed:
                return step, stream
            if step.more:
                # Output drives input: run what waited for this output first.
                step = await self._drive(driver, anyio.current_time(), offload=step.offload)
                continue
            if step.starttls:
                # Nothing more was read: the client's handshake is in the
                # socket (the engine dropped what followed STARTTLS, RFC 3501
                # 6.2.1).
                session.waker = None
                if fast is not None:
                    fast.discard_input()
                stream = await self._wrap_tls(stream)
                return await self._call(driver.tls_started, anyio.current_time()), stream
            deadline, paused = step.deadline, step.paused
            size = reads.size(step.literal)
            del step  # its output is sent: an idle connection keeps none of it
            if fast is not None:
                step = await self._next_fast_step(
                    session, fast, driver, deadline, paused, size=size
                )
            else:
                step = await self._next_plain_step(
                    session, stream, driver, deadline, paused, size=size
                )

    async def _next_plain_step(
        self,
        session: _Session,
        stream: anyio.abc.ByteStream,
        driver: ConnectionDriver,
        deadline: float,
        paused: bool,
        *,
        size: int,
    ) -> Step:
        while True:
            now = anyio.current_time()
            if session.changed or session.shutdown_text is not None or now >= deadline:
                changed, session.changed = session.changed, False
                return await self._drive(
                    driver, now, changed=changed, shutdown=session.shutdown_text
                )
            # No await between the checks above and this scope: wake-ups run
            # on the loop, so none is lost.  Not reading while paused.
            data: bytes | None = None
            with anyio.CancelScope(deadline=deadline) as scope:
                session.scope = scope
                try:
                    if paused:
                        await anyio.sleep_forever()
                    else:
                        try:
                            data = await stream.receive(size)
                        except _EOF_ERRORS:
                            data = b""
                finally:
                    session.scope = None
            if data is not None:
                return await self._feed(session, driver, anyio.current_time(), data)

    async def _next_fast_step(
        self,
        session: _Session,
        stream: AsyncioSocketStream,
        driver: ConnectionDriver,
        deadline: float,
        paused: bool,
        *,
        size: int,
    ) -> Step:
        """:meth:`_next_plain_step` on an :class:`AsyncioSocketStream`: the
        same wait on one future, without a cancel scope."""
        while True:
            now = anyio.current_time()
            if session.changed or session.shutdown_text is not None or now >= deadline:
                changed, session.changed = session.changed, False
                return await self._call(
                    driver.step, now, changed=changed, shutdown=session.shutdown_text
                )
            if not paused:
                data = stream.take(size)
                if data is not None:
                    return await self._feed(session, driver, now, data)
            # No await between the checks above and the wait's future:
            # wake-ups run on the loop, so none is lost.
            await stream.wait(deadline, data=not paused)

    async def _write(self, stream: AsyncioSocketStream, chunks: list[bytes | memoryview]) -> None:
        """:meth:`_send` on an :class:`AsyncioSocketStream`: through its
        buffer, waiting (each wait under ``send_timeout``) only while more
        than ``write_size`` bytes are not written yet."""
        for chunk in chunks:
            if stream.write(chunk):
                with anyio.fail_after(self._options.send_timeout):
                    await stream.drain()

    async def _feed(
        self, session: _Session, driver: ConnectionDriver, now: float, data: bytes
    ) -> Step:
        if self._options.offload and not session.changed:
            # A piece inside a big literal only goes to its spool file (a
            # write to the page cache): done here, since a worker thread
            # per piece cost more than the write (measured: about 1 ms of
            # CPU per MiB of APPEND on Maildir).
            step = driver.feed_literal(now, data)
            if step is not None:
                return step
        changed, session.changed = session.changed, False
        return await self._drive(driver, now, data=data, changed=changed)

    async def _wrap_tls(self, stream: anyio.abc.ByteStream) -> anyio.abc.ByteStream:
        assert self._ssl_context is not None
        with anyio.fail_after(self._options.handshake_timeout):
            return await TLSStream.wrap(
                stream,
                server_side=True,
                ssl_context=self._ssl_context,
                standard_compatible=False,
            )

    async def _run_with_reader(
        self,
        session: _Session,
        stream: anyio.abc.ByteStream,
        driver: ConnectionDriver,
        step: Step,
    ) -> None:
        """A TLS connection: a receive may be busy writing TLS records, so it
        is never cancelled; a reader task reads and this one waits for input
        or a wake-up."""
        async with anyio.create_task_group() as tasks:
            reader = await tasks.start(self._reader, stream, session)
            while True:
                if step.starttls:
                    # Stop reading plaintext before the OK goes out, so the
                    # client's handshake stays in the socket; what was read
                    # and not fed is dropped (the engine drops what it was fed
                    # after STARTTLS): nothing from before the handshake is used.
                    reader.scope.cancel()
                    await reader.wait()
                    session.inbox = None
                session.paused = step.paused or step.more
                await self._send(stream, step.chunks, session)
                if step.more:
                    if not step.chunks:
                        # A long command paused for fairness: let the
                        # other sessions run before its next steps.
                        await anyio.lowlevel.checkpoint()
                    step = await self._drive(driver, anyio.current_time(), offload=step.offload)
                    continue
                if step.closed:
                    break
                if step.more:
                    step = await self._drive(driver, anyio.current_time(), offload=step.offload)
                    continue
                if step.starttls:
                    stream = await self._wrap_tls(stream)
                    step = await self._call(driver.tls_started, anyio.current_time())
                    reader = await tasks.start(self._reader, stream, session)
                    continue
                deadline = step.deadline
                del step  # its output is sent: an idle connection keeps none of it
                step = await self._next_step(session, driver, deadline)
            tasks.cancel_scope.cancel()

    async def _next_step(
        self, session: _Session, driver: ConnectionDriver, deadline: float
    ) -> Step:
        while True:
            now = anyio.current_time()
            data = session.inbox
            if data is not None:
                session.inbox = None
                session.free_space()
                return await self._feed(session, driver, now, data)
            if session.changed or session.shutdown_text is not None or now >= deadline:
                changed, session.changed = session.changed, False
                return await self._drive(
                    driver, now, changed=changed, shutdown=session.shutdown_text
                )
            # No await between the checks above and this: wake-ups run on the
            # loop, so none is lost.
            event = session.event = anyio.Event()
            with anyio.move_on_after(deadline - now if deadline != math.inf else None):
                await event.wait()
            session.event = None

    async def _send(
        self,
        stream: anyio.abc.ByteStream,
        chunks: list[bytes | memoryview],
        session: _Session,
    ) -> None:
        size = self._options.write_size
        limit = self._options.max_unsent_output
        session.unsent = sum(map(len, chunks))
        for chunk in chunks:
            # Views, not slices of bytes: a body is not copied on its way out.
            view = memoryview(chunk)
            for start in range(0, len(view), size):
                piece = view[start : start + size]
                with anyio.fail_after(self._options.send_timeout):
                    await stream.send(piece)  # type: ignore[arg-type]  # bytes-like
                session.unsent = max(0, session.unsent - len(piece))
                if session.may_read(limit):
                    session.free_space()
        session.unsent = 0
        if session.may_read(limit):
            session.free_space()

    async def _reader(
        self,
        stream: anyio.abc.ByteStream,
        session: _Session,
        *,
        task_status: anyio.abc.TaskStatus[_Reader] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        with anyio.CancelScope() as scope:
            reader = _Reader(scope)
            task_status.started(reader)
            try:
                while True:
                    # One unprocessed chunk at most; nothing while paused or
                    # while much output waits to be written.
                    while not session.may_read(self._options.max_unsent_output):
                        space = session.space = anyio.Event()
                        await space.wait()
                    try:
                        data = await stream.receive(self._options.read_size)
                    except _EOF_ERRORS:
                        data = b""
                    session.inbox = data
                    session.wake()
                    if not data:
                        return
            finally:
                reader.finish()


def _raw_listeners(listener: anyio.abc.Listener[Any]) -> list[socket.socket] | None:
    """The listening TCP sockets to serve with :func:`accept_loop` (on
    asyncio); None: serve ``listener`` as anyio does."""
    if sniffio.current_async_library() != "asyncio":
        return None
    found: list[socket.socket] = []
    for part in getattr(listener, "listeners", None) or [listener]:
        if not isinstance(part, anyio.abc.SocketListener):
            return None
        sock = part.extra(anyio.abc.SocketAttribute.raw_socket)
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        found.append(sock)
    return found


class _Reader:
    """A reader task: how to stop it and wait until it stopped."""

    __slots__ = ("_done", "finished", "scope")

    def __init__(self, scope: anyio.CancelScope) -> None:
        self.scope = scope
        self.finished = False
        #: Created only when someone waits (STARTTLS), not per connection.
        self._done: anyio.Event | None = None

    def finish(self) -> None:
        self.finished = True
        if self._done is not None:
            self._done.set()

    async def wait(self) -> None:
        if not self.finished:
            if self._done is None:
                self._done = anyio.Event()
            await self._done.wait()
