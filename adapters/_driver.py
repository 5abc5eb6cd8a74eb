"""What every adapter shares: options, the server lock, and the per-connection driver.

The driver is the only place that calls into a pure server connection.  It is
synchronous and takes the server's lock for every call, so the anyio adapter
can run it in a worker thread and the threaded adapter can call it directly.
It owns the timers (login, inactivity, literal, IDLE keep-alive), so both
adapters only have to move bytes and sleep until input, a change or the
deadline it returns.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from imap_sansio._state import State

__all__ = [
    "BYE_TOO_MANY",
    "ConnectionDriver",
    "IMAPServerLike",
    "ServerConnection",
    "ServerOptions",
    "Step",
    "is_loopback",
    "logger",
    "server_lock",
    "transport_is_secure",
]

logger = logging.getLogger("imap_sansio.adapters")

#: Sent as the greeting to a connection over the limit (RFC 3501 7.1.5: a
#: server may greet with BYE), written by the adapter without a connection.
BYE_TOO_MANY = b"* BYE Too many connections\r\n"


class ServerConnection(Protocol):
    """One pure connection, as "Contract: server connections" describes it."""

    @property
    def closed(self) -> bool: ...
    @property
    def state(self) -> State: ...
    @property
    def idling(self) -> bool: ...
    @property
    def starttls_pending(self) -> bool: ...
    def receive_data(self, data: bytes) -> None: ...
    def data_to_send(self) -> bytes: ...
    def tls_started(self) -> None: ...
    def poll(self) -> None: ...
    def keepalive(self) -> None: ...
    def shutdown(self, text: str = ...) -> None: ...


class IMAPServerLike(Protocol):
    """``imap_sansio.server.IMAPServer`` as far as the adapters use it."""

    def connect(self, secure: bool = ..., tls_available: bool = ...) -> ServerConnection: ...
    def add_change_listener(self, callback: Callable[[], None]) -> Callable[[], None]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerOptions:
    """Timeouts (seconds), bounds and policy shared by every runtime."""

    #: From connect to a successful login (absolute, so a client cannot stay
    #: unauthenticated by sending NOOPs).
    login_timeout: float = 60.0
    #: Inactivity after login.  RFC 3501 5.4: at least 30 minutes.
    idle_timeout: float = 30 * 60.0
    #: Inactivity while a command is incomplete (inside a literal).
    literal_timeout: float = 60.0
    #: ``* OK Still here`` this often during IDLE.
    keepalive_interval: float = 2 * 60.0
    #: A client must accept each piece of output within this time.
    send_timeout: float = 60.0
    #: TLS handshakes (implicit TLS and STARTTLS) must finish within this time.
    handshake_timeout: float = 30.0
    #: Connections beyond this get ``* BYE Too many connections``.
    max_connections: int = 1000
    #: Bytes read from a socket at a time; one chunk is all that is held
    #: unprocessed per connection, so this bounds input memory too.
    read_size: int = 64 * 1024
    #: Output is written in pieces of this size, each under ``send_timeout``.
    write_size: int = 64 * 1024
    #: Treat every peer as secure (plaintext LOGIN without TLS); loopback
    #: peers and TLS connections are secure anyway.
    allow_plaintext: bool = False
    #: anyio only: call into the server in a worker thread (for backends that
    #: block).  False runs the calls on the event loop (in-memory backends).
    offload: bool = True
    #: How long a shutdown waits for BYE to reach the clients.
    shutdown_grace: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """What an adapter must do after one driver call."""

    output: bytes
    closed: bool
    starttls: bool
    #: Monotonic time at which the driver wants to be called again.
    deadline: float


_locks: weakref.WeakKeyDictionary[object, threading.Lock] = weakref.WeakKeyDictionary()
_strong_locks: dict[int, tuple[object, threading.Lock]] = {}
_locks_guard = threading.Lock()


def server_lock(server: object) -> threading.Lock:
    """The one lock that serialises every call into ``server``.

    The pure server is not thread-safe; every adapter serving the same server
    object shares this lock.
    """
    with _locks_guard:
        try:
            lock = _locks.get(server)
            if lock is None:
                lock = _locks[server] = threading.Lock()
        except TypeError:  # not weak-referenceable
            entry = _strong_locks.get(id(server))
            if entry is None or entry[0] is not server:
                entry = _strong_locks[id(server)] = (server, threading.Lock())
            lock = entry[1]
        return lock


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (as Dovecot does)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def transport_is_secure(peer_host: str, *, tls: bool, allow_plaintext: bool) -> bool:
    """The ``secure`` flag for ``connect()``: TLS, a loopback peer, or the
    operator's explicit permission for plaintext logins."""
    return tls or allow_plaintext or is_loopback(peer_host)


# Commands that are logged by name at debug level.  Only a line that starts a
# command is looked at, and only a known name is logged, never the rest of the
# line: arguments may be passwords.
_KNOWN_COMMANDS = frozenset(
    {
        "APPEND",
        "AUTHENTICATE",
        "CAPABILITY",
        "CHECK",
        "CLOSE",
        "COMPRESS",
        "COPY",
        "CREATE",
        "DELETE",
        "ENABLE",
        "EXAMINE",
        "EXPUNGE",
        "FETCH",
        "GETACL",
        "GETMETADATA",
        "GETQUOTA",
        "GETQUOTAROOT",
        "ID",
        "IDLE",
        "LIST",
        "LOGIN",
        "LOGOUT",
        "LSUB",
        "MOVE",
        "MYRIGHTS",
        "NAMESPACE",
        "NOOP",
        "RENAME",
        "SEARCH",
        "SELECT",
        "SETACL",
        "SETMETADATA",
        "SETQUOTA",
        "SORT",
        "STARTTLS",
        "STATUS",
        "STORE",
        "SUBSCRIBE",
        "THREAD",
        "UID",
        "UNAUTHENTICATE",
        "UNSELECT",
        "UNSUBSCRIBE",
        "XLIST",
    }
)
_COMMAND_START = re.compile(rb"([!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|~]{1,64}) (UID )?([A-Za-z]{2,20})")
_LITERAL_END = re.compile(rb"~?\{([0-9]{1,20})([+-]?)\}\r?\n\Z")
_CONTINUATION = re.compile(rb"(?:\A|\n)\+")


class _InputTap:
    """Follows the client's framing just enough to log command names and to
    know whether a command is incomplete (for the literal timeout).

    It never keeps more than a line's first and last few bytes, and skips
    literal bytes entirely, so message bodies and passwords in literals are
    never looked at.
    """

    __slots__ = ("_awaiting_plus", "_continuation", "_head", "_literal_left", "_tail")

    def __init__(self) -> None:
        self._literal_left = 0
        self._head = bytearray()  # first bytes of the current line
        self._tail = bytearray()  # last bytes of the current line
        self._continuation = False  # the current line continues a command
        self._awaiting_plus = False  # a synchronising literal was announced

    @property
    def busy(self) -> bool:
        return bool(self._literal_left or self._head or self._continuation)

    def server_output(self, output: bytes) -> None:
        """A synchronising literal that the server refused (a tagged NO/BAD
        instead of ``+``) will never come: stop waiting for it."""
        if self._awaiting_plus:
            self._awaiting_plus = False
            if not _CONTINUATION.search(output):
                self._literal_left = 0
                self._continuation = False

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        commands: list[tuple[str, str]] = []
        view = memoryview(data)
        i = 0
        while i < len(view):
            if self._literal_left:
                n = min(self._literal_left, len(view) - i)
                self._literal_left -= n
                i += n
                continue
            j = data.find(b"\n", i)
            end = len(view) if j < 0 else j + 1
            piece = view[i:end]
            if len(self._head) < 100:
                self._head += piece[: 100 - len(self._head)]
            self._tail = (self._tail + piece)[-32:]
            i = end
            if j < 0:
                break
            if not self._continuation:
                match = _COMMAND_START.match(bytes(self._head))
                name = match[3].decode().upper() if match else ""
                if match and name in _KNOWN_COMMANDS:
                    commands.append((match[1].decode(), "UID " + name if match[2] else name))
            literal = _LITERAL_END.search(bytes(self._tail))
            self._head.clear()
            self._tail.clear()
            if literal:
                self._literal_left = int(literal[1])
                self._continuation = True
                self._awaiting_plus = not literal[2] and i == len(view)
            else:
                self._continuation = False
        return commands


class ConnectionDriver:
    """Drives one pure connection: the only code that calls into it."""

    def __init__(
        self,
        server: IMAPServerLike,
        options: ServerOptions,
        *,
        peer: str,
        secure: bool,
        tls_available: bool,
        lock: threading.Lock | None = None,
    ) -> None:
        self._server = server
        self._options = options
        self._lock = lock if lock is not None else server_lock(server)
        self.peer = peer
        self._secure = secure
        self._tls_available = tls_available
        self._conn: ServerConnection | None = None
        self._tap = _InputTap()
        self._connected_at = 0.0
        self._last_input = 0.0
        self._next_keepalive = math.inf
        self._was_idling = False
        self._state = State.NOT_AUTHENTICATED
        self._eof = False

    def open(self, now: float) -> Step:
        """Create the connection; its greeting is in the returned output."""
        with self._lock:
            self._conn = self._server.connect(
                secure=self._secure, tls_available=self._tls_available
            )
            self._connected_at = self._last_input = now
            logger.info("%s connected (secure=%s)", self.peer, self._secure)
            return self._finish(now)

    def step(
        self,
        now: float,
        *,
        data: bytes | None = None,
        changed: bool = False,
        shutdown: str | None = None,
    ) -> Step:
        """Feed input, a change notification, a shutdown, and run the timers."""
        conn = self._require()
        with self._lock:
            if data is not None and not conn.closed and not conn.starttls_pending:
                self._last_input = now
                if logger.isEnabledFor(logging.DEBUG):
                    for tag, name in self._tap.feed(data):
                        logger.debug("%s command %s %s", self.peer, tag, name)
                else:
                    self._tap.feed(data)
                if not data:
                    logger.info("%s closed the connection", self.peer)
                    self._eof = True
                conn.receive_data(data)
            if changed and not conn.closed:
                conn.poll()
            if shutdown is not None and not conn.closed:
                conn.shutdown(shutdown)
            if not conn.closed:
                self._run_timers(conn, now)
            return self._finish(now)

    def tls_started(self, now: float) -> Step:
        conn = self._require()
        with self._lock:
            conn.tls_started()
            self._tap = _InputTap()
            self._last_input = now
            logger.info("%s TLS started", self.peer)
            return self._finish(now)

    def close(self) -> None:
        """The transport is gone: tell the connection if it does not know."""
        conn = self._conn
        if conn is None:
            return
        with self._lock:
            if not conn.closed:
                conn.receive_data(b"")
                conn.data_to_send()
        logger.info("%s disconnected", self.peer)

    def _require(self) -> ServerConnection:
        if self._conn is None:
            raise RuntimeError("ConnectionDriver.open() was not called")
        return self._conn

    def _inactivity_deadline(self, conn: ServerConnection) -> tuple[float, str]:
        if self._tap.busy:
            return (
                self._last_input + self._options.literal_timeout,
                "Timed out waiting for the rest of the command",
            )
        if conn.state is State.NOT_AUTHENTICATED:
            return self._connected_at + self._options.login_timeout, "Timed out waiting for login"
        return self._last_input + self._options.idle_timeout, "Autologout; idle for too long"

    def _run_timers(self, conn: ServerConnection, now: float) -> None:
        deadline, text = self._inactivity_deadline(conn)
        if now >= deadline:
            logger.info("%s timed out: %s", self.peer, text)
            conn.shutdown(text)
            return
        idling = conn.idling
        if idling and not self._was_idling:
            self._next_keepalive = now + self._options.keepalive_interval
        elif idling and now >= self._next_keepalive:
            conn.keepalive()
            self._next_keepalive = now + self._options.keepalive_interval
        elif not idling:
            self._next_keepalive = math.inf
        self._was_idling = idling

    def _finish(self, now: float) -> Step:
        conn = self._require()
        state = conn.state
        if state is not self._state:
            if self._state is State.NOT_AUTHENTICATED and state in (
                State.AUTHENTICATED,
                State.SELECTED,
            ):
                logger.info("%s logged in", self.peer)
            self._state = state
        output = conn.data_to_send()
        self._tap.server_output(output)
        closed = conn.closed or self._eof  # nothing more can come after EOF
        if closed:
            deadline = math.inf
        else:
            deadline, _ = self._inactivity_deadline(conn)
            if conn.idling:
                if not self._was_idling:
                    self._next_keepalive = now + self._options.keepalive_interval
                    self._was_idling = True
                deadline = min(deadline, self._next_keepalive)
        return Step(
            output=output,
            closed=closed,
            starttls=conn.starttls_pending and not closed,
            deadline=deadline,
        )
