"""An anyio server: one implementation for asyncio and trio.

Per connection: a reader task puts at most one chunk into an inbox (so a
client that floods is simply not read from), and the connection task loops:
write what the driver returned, then wait for input, a backend change or the
driver's deadline, and call the driver again.  Writing finishes before more
input is processed, and the reader does not read while the connection is
paused or while more than ``max_unsent_output`` bytes wait to be written, so
a client that stops reading stops being read from.  A change notice wakes
only the sessions it concerns (its user, and the ones with its mailbox
selected).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import ssl
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

try:
    import anyio
    import anyio.abc
    import sniffio
    from anyio.streams.tls import TLSStream
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the anyio adapter needs anyio: pip install imap-sansio[anyio] "
        "(or imap-sansio[trio] for trio)"
    ) from exc

from ._driver import (
    BYE_TOO_MANY,
    ChangeNotice,
    ConnectionDriver,
    IMAPServerLike,
    ServerOptions,
    Step,
    WakeIndex,
    logger,
    server_lock,
    transport_is_secure,
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

    __slots__ = ("changed", "event", "inbox", "paused", "shutdown_text", "space", "unsent")

    def __init__(self) -> None:
        self.inbox: deque[bytes] = deque()
        self.changed = False
        self.shutdown_text: str | None = None
        self.event = anyio.Event()
        self.space = anyio.Event()
        #: Backpressure: the connection is paused / output not written yet.
        self.paused = False
        self.unsent = 0

    def wake(self) -> None:
        self.event.set()

    def may_read(self, max_unsent: int) -> bool:
        """Whether the reader may read another chunk from the socket."""
        return not self.inbox and not self.paused and self.unsent <= max_unsent


class AnyIOServer:
    """Serves an ``IMAPServer`` on TCP with anyio (asyncio or trio).

    Use ``async with AnyIOServer(server) as s:`` (listening on ``s.port``), or
    ``await s.serve()`` in a task and ``await s.aclose()`` to stop.
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
    ) -> None:
        if tls_port is not None and ssl_context is None:
            raise ValueError("tls_port needs an ssl_context")
        self._server = server
        self._host = host
        self._port = port
        self._tls_port = tls_port
        self._ssl_context = ssl_context
        self._options = options or ServerOptions()
        self._lock = server_lock(server)
        self._sessions: set[_Session] = set()
        self._index: WakeIndex[_Session] = WakeIndex()
        self._closing: anyio.Event | None = None
        self._stopped: anyio.Event | None = None
        self._call_soon: Callable[[Callable[[], None]], None] | None = None
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
            plain = await anyio.create_tcp_listener(local_host=self._host, local_port=self._port)
            listeners.append((plain, False))
            self.port = plain.extra(anyio.abc.SocketAttribute.local_port)
            if self._tls_port is not None:
                secure = await anyio.create_tcp_listener(
                    local_host=self._host, local_port=self._tls_port
                )
                listeners.append((secure, True))
                self.tls_port = secure.extra(anyio.abc.SocketAttribute.local_port)
        except BaseException:
            for listener, _ in listeners:
                await anyio.aclose_forcefully(listener)
            raise
        return listeners

    async def _serve_bound(
        self,
        listeners: list[tuple[anyio.abc.Listener[anyio.abc.SocketStream], bool]],
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        self._closing = anyio.Event()
        self._stopped = anyio.Event()
        self._call_soon = _threadsafe_caller()
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
                        acceptors.start_soon(listener.serve, handler, connections)
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
            return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
        return fn(*args, **kwargs)

    # -- connections -----------------------------------------------------------

    async def _handle(self, raw: anyio.abc.SocketStream, *, implicit_tls: bool) -> None:
        stream: anyio.abc.ByteStream = raw
        remote = raw.extra(anyio.abc.SocketAttribute.remote_address)
        host = remote[0] if isinstance(remote, tuple) else str(remote)
        peer = f"{host}:{remote[1]}" if isinstance(remote, tuple) else host
        if len(self._sessions) >= self._options.max_connections:
            logger.warning("%s refused: too many connections", peer)
            with anyio.move_on_after(1):
                with contextlib.suppress(*_EOF_ERRORS):
                    await raw.send(BYE_TOO_MANY)
            await anyio.aclose_forcefully(raw)
            return
        session = _Session()
        self._sessions.add(session)
        driver: ConnectionDriver | None = None
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
            driver = ConnectionDriver(
                self._server,
                self._options,
                peer=peer,
                secure=transport_is_secure(
                    host, tls=implicit_tls, allow_plaintext=self._options.allow_plaintext
                ),
                tls_available=self._ssl_context is not None and not implicit_tls,
                lock=self._lock,
                watch=functools.partial(self._index.update, session),
            )
            step = await self._call(driver.open, anyio.current_time())
            await self._run(session, stream, driver, step)
        except* (*_EOF_ERRORS, TimeoutError) as group:
            logger.info("%s connection lost: %r", peer, group.exceptions[0])
        except* Exception:  # a bug must cost one connection, not the server
            logger.exception("%s connection failed", peer)
        finally:
            self._sessions.discard(session)
            self._index.discard(session)
            if driver is not None:
                with anyio.CancelScope(shield=True):
                    await self._call(driver.close)
            await anyio.aclose_forcefully(stream)

    async def _run(
        self,
        session: _Session,
        stream: anyio.abc.ByteStream,
        driver: ConnectionDriver,
        step: Step,
    ) -> None:
        async with anyio.create_task_group() as tasks:
            reader = await tasks.start(self._reader, stream, session)
            while True:
                if step.starttls:
                    # Stop reading plaintext before the OK goes out, so the
                    # client's handshake stays in the socket; what was read
                    # and not fed is dropped (the engine drops what it was fed
                    # after STARTTLS): nothing from before the handshake is used.
                    reader.scope.cancel()
                    await reader.done.wait()
                    session.inbox.clear()
                session.paused = step.paused
                await self._send(stream, step.output, session)
                if step.closed:
                    break
                if step.starttls:
                    assert self._ssl_context is not None
                    with anyio.fail_after(self._options.handshake_timeout):
                        stream = await TLSStream.wrap(
                            stream,
                            server_side=True,
                            ssl_context=self._ssl_context,
                            standard_compatible=False,
                        )
                    step = await self._call(driver.tls_started, anyio.current_time())
                    reader = await tasks.start(self._reader, stream, session)
                    continue
                step = await self._next_step(session, driver, step)
            tasks.cancel_scope.cancel()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s closing", driver.peer)
        with anyio.move_on_after(1):
            await stream.aclose()

    async def _next_step(self, session: _Session, driver: ConnectionDriver, step: Step) -> Step:
        while True:
            now = anyio.current_time()
            if session.inbox:
                data = session.inbox.popleft()
                session.space.set()
                changed, session.changed = session.changed, False
                return await self._call(driver.step, now, data=data, changed=changed)
            if session.changed or session.shutdown_text is not None or now >= step.deadline:
                changed, session.changed = session.changed, False
                return await self._call(
                    driver.step, now, changed=changed, shutdown=session.shutdown_text
                )
            # No await between the checks above and this: wake-ups run on the
            # loop, so none is lost.
            session.event = anyio.Event()
            timeout = step.deadline - now if step.deadline != math.inf else None
            with anyio.move_on_after(timeout):
                await session.event.wait()

    async def _send(self, stream: anyio.abc.ByteStream, data: bytes, session: _Session) -> None:
        size = self._options.write_size
        limit = self._options.max_unsent_output
        session.unsent = len(data)
        for start in range(0, len(data), size):
            with anyio.fail_after(self._options.send_timeout):
                await stream.send(data[start : start + size])
            session.unsent = max(0, len(data) - start - size)
            if session.may_read(limit):
                session.space.set()
        session.unsent = 0
        if session.may_read(limit):
            session.space.set()

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
                        session.space = anyio.Event()
                        await session.space.wait()
                    try:
                        data = await stream.receive(self._options.read_size)
                    except _EOF_ERRORS:
                        data = b""
                    session.inbox.append(data)
                    session.wake()
                    if not data:
                        return
            finally:
                reader.done.set()


class _Reader:
    __slots__ = ("done", "scope")

    def __init__(self, scope: anyio.CancelScope) -> None:
        self.scope = scope
        self.done = anyio.Event()
