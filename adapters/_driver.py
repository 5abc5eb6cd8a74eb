"""What every adapter shares: options, the locks, and the per-connection driver.

The driver is the only place that calls into a pure server connection.  It is
synchronous and takes a lock for every call, so the anyio adapter can run it
in a worker thread and the threaded adapter can call it directly.  Which
lock (see :func:`session_lock`): when the backend says it is thread-safe
(``backend.thread_safe``), each connection has its own, so sessions run at
once and each one's calls stay in order; otherwise every connection of the
server shares one (:func:`server_lock`), as a plain data structure needs.
It owns the timers (login, inactivity, literal, IDLE keep-alive) and the
time part of the login limits (a failed login's answer is held back until
the shared :class:`LoginGuard` allows it), so both adapters only have to
move bytes and sleep until input, a change or the deadline it returns.

Nothing here reads the protocol: whether a command is incomplete (the
literal timeout) and whether to stop reading come from the connection
(``command_in_progress``, ``paused``), command names and logins from the
server's ``on_command`` / ``on_login`` hooks, and who a change concerns from
the backend's :class:`ChangeNotice`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import math
import socket
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Protocol, TypeVar

from imap_sansio._source import LiteralSinkFactory
from imap_sansio._state import State
from imap_sansio.server._backend import ChangeNotice, ImapNo
from imap_sansio.server._login_guard import LoginGuard, LoginLimits

from .spool import temporary_file_sink

__all__ = [
    "BYE_TOO_MANY",
    "BYE_UNAVAILABLE",
    "BindError",
    "ChangeNotice",
    "ConnectionDriver",
    "IMAPServerLike",
    "LiteralReads",
    "LoginGuard",
    "LoginLimits",
    "ServerOptions",
    "ServerStats",
    "SessionLike",
    "Step",
    "WakeIndex",
    "describe_transport",
    "is_loopback",
    "listen_address",
    "logger",
    "server_lock",
    "session_lock",
    "sessions_run_at_once",
    "transport_is_secure",
]

logger = logging.getLogger("imap_sansio.adapters")

#: Sent as the greeting to a connection over the limit (RFC 3501 7.1.5: a
#: server may greet with BYE), written by the adapter without a connection.
BYE_TOO_MANY = b"* BYE Too many connections\r\n"
#: Sent the same way to a connection over the per-address limit of
#: connections not logged in (RFC 5530 UNAVAILABLE: try again later).
BYE_UNAVAILABLE = b"* BYE [UNAVAILABLE] Too many connections from your address\r\n"


class SelectedMailbox(Protocol):
    """The selected mailbox, as far as wake-ups need it (its current name)."""

    @property
    def name(self) -> str: ...


class SessionLike(Protocol):
    """``imap_sansio.server.Session`` (one pure connection) as far as the adapters use it."""

    @property
    def closed(self) -> bool: ...
    @property
    def state(self) -> State: ...
    @property
    def idling(self) -> bool: ...
    @property
    def starttls_pending(self) -> bool: ...
    @property
    def paused(self) -> bool: ...
    @property
    def command_in_progress(self) -> bool: ...
    @property
    def output_held(self) -> bool: ...
    @property
    def username(self) -> str | None: ...
    @property
    def mailbox(self) -> SelectedMailbox | None: ...
    def receive_data(self, data: bytes) -> None: ...
    def data_to_send(self) -> bytes: ...
    @property
    def has_output(self) -> bool: ...
    def pump(self) -> None: ...
    def tls_started(self) -> None: ...
    def set_channel_binding(self, kind: str, data: bytes) -> None: ...
    def poll(self) -> None: ...
    def keepalive(self) -> None: ...
    def shutdown(self, text: str = ...) -> None: ...
    def defer_answer(self) -> None: ...
    def release_answer(self) -> None: ...


class IMAPServerLike(Protocol):
    """``imap_sansio.server.IMAPServer`` as far as the adapters use it."""

    #: ``on_command(session, command)``: the adapters log ``command.tag`` and
    #: ``command.name`` (never arguments) and call what was set before.
    on_command: Callable[[Any, Any], None] | None
    #: ``on_login(session, username, ok)``: a failure is held back by the
    #: login limits, then the application's hook is called.
    on_login: Callable[[Any, str, bool], None] | None
    #: ``Config.literal_sink_factory`` of new connections (optional).
    literal_sink_factory: LiteralSinkFactory | None
    #: ``admit_login(session, username)``: the per-user session limit.
    admit_login: Callable[[Any, str], None] | None
    #: ``on_error(exception)``: what a handler raised (the CLI logs it).
    on_error: Callable[[BaseException], None] | None

    def connect(self, secure: bool = ..., tls_available: bool = ...) -> SessionLike: ...
    def add_change_listener(
        self, callback: Callable[[ChangeNotice], None]
    ) -> Callable[[], None]: ...


class BindError(OSError):
    """A listening socket could not be bound; the text names the address."""


def listen_address(host: str, port: int) -> str:
    """``host:port`` with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(slots=True)
class ServerStats:
    """Counters a monitoring system reads (all since the start), updated by
    every connection of the servers given it through :class:`ServerOptions`.

    Sessions run in several threads at once: counters change only through
    :meth:`add`, under the object's own lock; a reader may see one a step
    behind another.
    """

    sessions_total: int = 0
    sessions_active: int = 0
    commands_total: int = 0
    logins_total: int = 0
    auth_failures_total: int = 0
    #: Command handlers that failed (``NO [SERVERBUG]``) and connections
    #: ended by an unexpected error in the adapter.
    errors_total: int = 0
    proxy_rejected_total: int = 0
    bytes_in_total: int = 0
    bytes_out_total: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to the counter ``name``."""
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def counters(self) -> dict[str, int]:
        """Every counter by name, read at once."""
        with self._lock:
            return {
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(self)
                if not f.name.startswith("_")
            }


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
    #: ``* OK Still here`` this often during IDLE, after a look at the store
    #: (so a change whose notice was lost still arrives).  Under the 300 s of
    #: mutt's ``imap_keepalive`` and the idle timeout of common NAT gateways.
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
    #: While a literal is arriving (a big APPEND), bytes read at a time, and
    #: how many the socket collects before it wakes the server (Linux
    #: ``SO_RCVLOWAT``), so that a message costs a few steps per MiB rather
    #: than one per TCP segment; never more than the literal still lacks.
    literal_read_size: int = 256 * 1024
    #: Output is written in pieces of this size, each under ``send_timeout``.
    write_size: int = 64 * 1024
    #: Treat every peer as secure (plaintext LOGIN without TLS); loopback
    #: peers and TLS connections are secure anyway.
    allow_plaintext: bool = False
    #: anyio only: call into the server in a worker thread (for backends that
    #: block).  False runs the calls on the event loop (in-memory backends).
    offload: bool = True
    #: anyio with ``offload`` only: run on the event loop what the backend
    #: says never waits for the disk (its ``inline_commands``, as
    #: ``MaildirBackend`` has them, with the flushes those leave to the
    #: caller made in a worker thread before the answer goes out), and the
    #: other commands in worker threads: a hand-off to a thread costs more
    #: CPU than a command that only reads.
    inline: bool = True
    #: anyio only: at most this many calls run in worker threads at once
    #: (the others wait for a thread); with a thread-safe backend, this is
    #: how many slow backend calls can be waited for at the same time.
    worker_threads: int = 40
    #: Steps of a long command (a FETCH message, a few messages of a SEARCH,
    #: SORT or THREAD) run per call into a session before the others get a
    #: turn (given to a server whose ``steps_per_call`` is None): with the
    #: calls on the event loop (``offload`` False) or under one lock, this is
    #: what keeps one big SEARCH from stalling every other session.  Two:
    #: 99% of the calls of a 20,000-message SORT or THREAD then take under
    #: 2 ms (eight took 7 ms; the command as a whole takes no longer), so a
    #: NOOP on the same event loop waits little even on a loaded machine.
    steps_per_call: int = 2
    #: A call into a session goes on with the next steps of a long command
    #: (or the next pipelined commands) while it has run for less than this
    #: (seconds) and under ``write_size`` bytes
    #: of output wait: a FETCH of 20 headers or a SEARCH of a few hundred
    #: messages is then one call and one write rather than ten, while a
    #: long one still lets the other sessions in at this pace.  0: one
    #: ``steps_per_call`` per call.
    call_slice: float = 0.001
    #: How long a shutdown waits for BYE to reach the clients.
    shutdown_grace: float = 5.0
    #: Backpressure: stop reading from a client while more output than this
    #: waits to be sent to it (and while the connection is paused).  The
    #: engine's ``Limits.max_unsent_output`` bounds what is produced before
    #: it is written (``Step.more``).
    max_unsent_output: int = 256 * 1024
    #: Where APPEND literals over ``Limits.spool_literal_above`` go, for a
    #: server whose config names no ``literal_sink_factory``: temporary files
    #: by default (see :mod:`imap_sansio.adapters.spool`); None keeps them
    #: in memory.
    literal_sink_factory: LiteralSinkFactory | None = temporary_file_sink
    #: Delays of failed logins and limits on connections per address and
    #: sessions per user (see :class:`LoginLimits`; loopback is exempt
    #: unless ``trusted_networks`` says otherwise).
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    #: Every connection starts with a PROXY protocol v1 or v2 header, whose
    #: source address is the client's (for logs, limits and whether the
    #: transport counts as secure).  Accepted only from loopback and
    #: ``proxy_from``; any other peer, or a missing or invalid header,
    #: closes the connection.
    proxy_protocol: bool = False
    #: Networks besides loopback that may send PROXY headers (CIDR strings).
    proxy_from: tuple[str, ...] = ()
    #: The PROXY header must arrive whole within this time.
    proxy_timeout: float = 10.0
    #: Counters for monitoring (see :class:`ServerStats`), or None.
    stats: ServerStats | None = None
    #: TLS channel binding (type, data) for SCRAM -PLUS (RFC 5929): the
    #: ``tls-server-end-point`` hash of the server certificate, see
    #: ``accounts.tls_server_end_point``; given to the sessions once TLS is up.
    channel_binding: tuple[str, bytes] | None = None
    #: Bind with SO_REUSEPORT, so that several server processes on one
    #: machine share the port and the kernel spreads connections over them.
    reuse_port: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """What an adapter must do after one driver call."""

    #: What to write, in order: a message body held in memory is a view of
    #: the store's bytes, written as it is (``output`` joins them).
    chunks: list[bytes | memoryview]
    closed: bool
    starttls: bool
    #: The engine reads nothing more until the app answers: stop reading
    #: from the socket (what was read already may still be fed).
    paused: bool
    #: Monotonic time at which the driver wants to be called again.
    deadline: float
    #: More output waits (a big FETCH streams a piece per step), or commands
    #: wait for this output to be written (output drives input): once it
    #: is, call ``step()`` again before reading from the socket or closing.
    more: bool = False
    #: Bytes of a literal that the peer has yet to send: the adapter may
    #: read up to that much at once (``ServerOptions.literal_read_size``).
    literal: int = 0
    #: A call made with ``inline`` stopped before a command that may wait
    #: for the disk (``more`` is True): make the next call off the event loop.
    offload: bool = False

    @property
    def output(self) -> bytes:
        """The chunks as one bytes object."""
        return b"".join(self.chunks)


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


def sessions_run_at_once(server: object) -> bool:
    """Whether the sessions of ``server`` may call into it at the same time:
    its backend says it is thread-safe (``backend.thread_safe``) and the
    server can lock what its sessions share (``share_between_threads``,
    given real locks here).  Otherwise one lock serialises every call."""
    backend = getattr(server, "backend", None)
    share = getattr(server, "share_between_threads", None)
    if getattr(backend, "thread_safe", False) is not True or share is None:
        return False
    with _locks_guard:
        share(threading.Lock)
    return True


def session_lock(server: object) -> threading.Lock:
    """The lock one connection's calls take: a lock of its own when the
    sessions may run at once (:func:`sessions_run_at_once`), so its calls
    stay in order and other sessions do not wait for them; else the one
    lock of the server (:func:`server_lock`)."""
    if sessions_run_at_once(server):
        return threading.Lock()
    return server_lock(server)


class LiteralReads:
    """How one plain socket is read while a literal arrives: in pieces of
    up to ``ServerOptions.literal_read_size``, and (Linux, BSD, macOS)
    with ``SO_RCVLOWAT`` raised to that piece, so that the loop wakes once
    a piece is there rather than per TCP segment.  Never more than the
    literal still lacks (the peer owes those bytes: no wait for more than
    it sends; the end of the stream wakes a reader whatever the mark)."""

    __slots__ = ("_mark", "_options", "_sock")

    def __init__(self, sock: socket.socket | None, options: ServerOptions) -> None:
        # Without the option (Windows), only the read size grows.
        self._sock = sock if hasattr(socket, "SO_RCVLOWAT") else None
        self._options = options
        self._mark = 1

    def size(self, literal: int) -> int:
        """Bytes to ask for next, after a step that reported ``literal``;
        sets the socket's low-water mark to match."""
        options = self._options
        piece = min(literal, options.literal_read_size)
        mark = piece if piece > options.read_size else 1
        if mark != self._mark and self._sock is not None:
            try:
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, mark)
            except OSError:
                self._sock = None  # not supported here: read as it comes
            else:
                self._mark = mark
        return max(options.read_size, piece)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (as Dovecot does)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def describe_transport(peer_host: str, *, tls: bool, allow_plaintext: bool) -> str:
    """What the ``secure`` flag rests on, for the log: ``tls=yes``, or
    ``tls=no`` with why passwords are accepted anyway or not."""
    if tls:
        return "tls=yes"
    if is_loopback(peer_host):
        return "tls=no, trusted-loopback"
    if allow_plaintext:
        return "tls=no, plaintext-allowed"
    return "tls=no, LOGINDISABLED"


def transport_is_secure(peer_host: str, *, tls: bool, allow_plaintext: bool) -> bool:
    """The ``secure`` flag for ``connect()``: TLS, a loopback peer, or the
    operator's explicit permission for plaintext logins."""
    return tls or allow_plaintext or is_loopback(peer_host)


class _LogHooks:
    """The ``on_command`` / ``on_login`` / ``admit_login`` hooks of one server.

    They log with the peer of the session, let the session's driver apply
    the login limits, and then call the hooks the application had set.  The
    command event's repr hides secrets, but only its tag and name are logged
    anyway.
    """

    __slots__ = ("drivers", "previous_admit", "previous_command", "previous_login")

    def __init__(
        self,
        previous_command: Callable[[Any, Any], None] | None,
        previous_login: Callable[[Any, str, bool], None] | None,
        previous_admit: Callable[[Any, str], None] | None,
    ) -> None:
        self.previous_command = previous_command
        self.previous_login = previous_login
        self.previous_admit = previous_admit
        #: session -> its driver; touched under the server lock only.
        self.drivers: dict[object, ConnectionDriver] = {}

    def _peer(self, session: object) -> str:
        driver = self.drivers.get(session)
        return driver.peer if driver is not None else "?"

    def on_command(self, session: Any, command: Any) -> None:
        driver = self.drivers.get(session)
        if driver is not None:
            driver.command_seen()
        if logger.isEnabledFor(logging.DEBUG):
            name = str(command.name)
            if getattr(command, "uid", False) is True:
                name = "UID " + name
            logger.debug("%s command %s %s", self._peer(session), command.tag, name)
        if command.name == "UNAUTHENTICATE":
            # RFC 8437: the session ends its login (the engine's state table
            # lets the command run only when logged in, and it cannot fail).
            driver = self.drivers.get(session)
            if driver is not None:
                driver.unauthenticated()
        if self.previous_command is not None:
            self.previous_command(session, command)

    def on_login(self, session: Any, username: str, ok: bool) -> None:
        driver = self.drivers.get(session)
        if driver is not None:
            driver.login_seen(username, ok)
        if ok:
            logger.info("%s logged in as %r", self._peer(session), username)
        else:
            logger.info("%s login failed for %r", self._peer(session), username)
            driver = self.drivers.get(session)
            if driver is not None:
                driver.login_failed()
        if self.previous_login is not None:
            self.previous_login(session, username, ok)

    def admit_login(self, session: Any, username: str) -> None:
        if self.previous_admit is not None:
            self.previous_admit(session, username)
        driver = self.drivers.get(session)
        if driver is not None:
            driver.admit_login(username)


_hooks: weakref.WeakKeyDictionary[object, _LogHooks] = weakref.WeakKeyDictionary()


def _install_hooks(server: IMAPServerLike) -> _LogHooks:
    """The logging hooks of ``server``, installed once (call under its lock)."""
    with _locks_guard:
        hooks = _hooks.get(server)
        # A server of another kind may have no admission hook (never called).
        admit = getattr(server, "admit_login", None)
        if (
            hooks is not None
            and server.on_command == hooks.on_command
            and server.on_login == hooks.on_login
            and admit == hooks.admit_login
        ):
            return hooks
        # First use, or the application replaced a hook since: wrap what is
        # set (without wrapping our own hooks twice).
        command, login = server.on_command, server.on_login
        if hooks is not None:
            if command == hooks.on_command:
                command = hooks.previous_command
            if login == hooks.on_login:
                login = hooks.previous_login
            if admit == hooks.admit_login:
                admit = hooks.previous_admit
        fresh = _LogHooks(command, login, admit)
        if hooks is not None:
            fresh.drivers = hooks.drivers
        server.on_command = fresh.on_command
        server.on_login = fresh.on_login
        server.admit_login = fresh.admit_login
        _hooks[server] = fresh
        return fresh


K = TypeVar("K", bound=Hashable)

#: ``watch(username, mailbox, owners)``: file a session (see :class:`WakeIndex`).
WatchCallback = Callable[[str | None, str | None, frozenset[str]], None]

#: What a session is filed under in place of its selected mailbox when it
#: wants every change of its user (NOTIFY, RFC 5465: other mailboxes, the
#: mailbox list); no mailbox name holds a NUL.
ALL_MAILBOXES: Final = "\0*"


class WakeIndex(Generic[K]):
    """Which sessions a change notice concerns (thread-safe).

    A session is filed under its user and selected mailbox; a notice wakes
    the sessions of its user that have its mailbox selected, or all of the
    user's sessions when it names no mailbox (the mailbox list changed).
    A session filed under :data:`ALL_MAILBOXES` hears every notice of its
    user, the notices of the ``owners`` it was filed with (other users whose
    shared mailboxes its NOTIFY watches, RFC 5465 with RFC 4314), annotation
    notices about its user's private entries on such mailboxes, and those of
    the server's annotations (RFC 5465 5.7).
    Sessions not logged in are never woken: they have nothing to update.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, dict[K, str | None]] = {}
        self._scopes: dict[K, str] = {}
        #: Owner -> sessions of other users filed with that owner.
        self._owners: dict[str, set[K]] = {}
        self._owned: dict[K, frozenset[str]] = {}
        #: Sessions filed under ALL_MAILBOXES, of any user.
        self._listening: set[K] = set()

    def update(
        self,
        key: K,
        username: str | None,
        mailbox: str | None,
        owners: frozenset[str] = frozenset(),
    ) -> None:
        with self._lock:
            self._remove(key)
            if username is not None:
                self._scopes[key] = username
                self._users.setdefault(username, {})[key] = mailbox
                if mailbox == ALL_MAILBOXES:
                    self._listening.add(key)
                    if owners:
                        self._owned[key] = owners
                        for owner in owners:
                            self._owners.setdefault(owner, set()).add(key)

    def discard(self, key: K) -> None:
        with self._lock:
            self._remove(key)

    def select(self, notice: ChangeNotice) -> list[K]:
        with self._lock:
            sessions = self._users.get(notice.username, {})
            if notice.mailbox is None:
                found = list(sessions)
            else:
                found = [
                    key
                    for key, mailbox in sessions.items()
                    if mailbox in (notice.mailbox, ALL_MAILBOXES)
                ]
            extra: set[K] = set(self._owners.get(notice.username, ()))
            if notice.metadata:
                if notice.mailbox == "":
                    extra |= self._listening  # the server's annotations
                elif notice.private_to is not None:
                    mine = self._users.get(notice.private_to, {})
                    extra.update(k for k, m in mine.items() if m == ALL_MAILBOXES)
            if extra:
                found.extend(extra.difference(found))
            return found

    def _remove(self, key: K) -> None:
        username = self._scopes.pop(key, None)
        if username is not None:
            sessions = self._users[username]
            del sessions[key]
            if not sessions:
                del self._users[username]
        self._listening.discard(key)
        for owner in self._owned.pop(key, ()):
            keys = self._owners[owner]
            keys.discard(key)
            if not keys:
                del self._owners[owner]


class ConnectionDriver:
    """Drives one pure connection: the only code that calls into it.

    ``watch(username, mailbox)`` (optional) is called, under the server lock,
    whenever the user or the selected mailbox of the session changed: the
    adapter files the session in its :class:`WakeIndex` with it.

    With a ``guard`` (shared by the adapter's connections), the adapter calls
    :meth:`admit` before anything else and refuses the connection if it
    returns False; a failed login's answer then waits for the guard (the
    connection is paused meanwhile: nothing more is read from it, while
    every other connection goes on), and a login over the per-user limit
    gets ``NO [LIMIT]``.  ``address`` is the peer's IP address (the client's
    from a PROXY header, when there is one).

    ``transport`` describes what ``secure`` rests on, for the log (see
    :func:`describe_transport`).  When the connection ends, one line at INFO
    sums the session up: user, address, duration, bytes in and out, commands.
    """

    # One driver per connection, idle ones included: no instance dict.
    __slots__ = (
        "__weakref__",
        "_address",
        "_admitted",
        "_bytes_in",
        "_bytes_out",
        "_commands",
        "_conn",
        "_connected_at",
        "_eof",
        "_failures",
        "_guard",
        "_hold_until",
        "_hooks",
        "_inline",
        "_inline_commands",
        "_last_input",
        "_listening",
        "_lock",
        "_mailbox",
        "_mailbox_name",
        "_next_keepalive",
        "_now",
        "_offload",
        "_options",
        "_owner",
        "_owners_filed",
        "_secure",
        "_server",
        "_session_user",
        "_stats",
        "_store_watched",
        "_tls",
        "_tls_available",
        "_transport",
        "_unwatch",
        "_user",
        "_username",
        "_was_idling",
        "_watch",
        "_watch_store",
        "peer",
    )

    def __init__(
        self,
        server: IMAPServerLike,
        options: ServerOptions,
        *,
        peer: str,
        secure: bool,
        tls_available: bool,
        lock: threading.Lock | None = None,
        watch: WatchCallback | None = None,
        address: str = "",
        guard: LoginGuard | None = None,
        transport: str = "",
        tls: bool = False,
    ) -> None:
        self._server = server
        self._tls = tls
        self._options = options
        self._lock = lock if lock is not None else session_lock(server)
        self.peer = peer
        self._secure = secure
        self._tls_available = tls_available
        self._watch = watch
        self._conn: SessionLike | None = None
        self._hooks: _LogHooks | None = None
        self._connected_at = 0.0
        self._last_input = 0.0
        self._next_keepalive = math.inf
        self._was_idling = False
        self._eof = False
        #: What the session is filed under (see ``watch``).
        self._username: str | None = None
        self._mailbox: SelectedMailbox | None = None
        self._mailbox_name: str | None = None
        self._owner: str | None = None
        #: ``backend.watch(user, mailbox)`` of a store that must watch for
        #: changes made outside this process (Maildir), and what stops it.
        self._watch_store: Callable[[str, str], Callable[[], None]] | None = getattr(
            getattr(server, "backend", None), "watch", None
        )
        #: What the store watches for this session, by mailbox: the selected
        #: one and those a NOTIFY asked about; each with what stops it.
        self._unwatch: dict[str, Callable[[], None]] = {}
        #: What the store was last asked to watch: NOTIFY's set, the selected name.
        self._store_watched: tuple[frozenset[str], str | None, str | None] = (
            frozenset(),
            None,
            None,
        )
        #: Filed under ALL_MAILBOXES (a NOTIFY asked about more than the
        #: selected mailbox), and with the owners of the shared mailboxes
        #: that NOTIFY watches.
        self._listening = False
        self._owners_filed: frozenset[str] = frozenset()
        # The login limits (see the class docstring).
        self._address = address
        self._guard = guard
        self._admitted = False
        #: The user whose session the guard counts for this connection.
        self._session_user: str | None = None
        self._failures = 0
        #: A failed login's answer waits until then (monotonic time).
        self._hold_until: float | None = None
        #: The time of the call in progress (for the login hooks).
        self._now = 0.0
        # For the session's summary line and the server's statistics.
        self._transport = transport
        self._stats = options.stats
        self._bytes_in = self._bytes_out = self._commands = 0
        self._user: str | None = None
        #: The commands a call made with ``inline`` runs (see
        #: ``ServerOptions.inline``); None: every command.
        self._inline_commands: frozenset[str] | None = (
            getattr(getattr(server, "backend", None), "inline_commands", None)
            if options.offload and options.inline
            else None
        )
        #: The call in progress runs on an event loop / stopped before a
        #: command that may wait for the disk.
        self._inline = self._offload = False

    @classmethod
    def for_peer(
        cls,
        server: IMAPServerLike,
        options: ServerOptions,
        *,
        host: str,
        peer: str,
        implicit_tls: bool,
        starttls_offered: bool,
        lock: threading.Lock | None,
        watch: WatchCallback | None,
        guard: LoginGuard | None,
    ) -> ConnectionDriver:
        """A driver for a connection from ``host`` (the address the PROXY
        header named, if any): how secure it is and how it is logged follow
        from the address, the TLS in use and ``options.allow_plaintext``."""
        allow = options.allow_plaintext
        return cls(
            server,
            options,
            peer=peer,
            secure=transport_is_secure(host, tls=implicit_tls, allow_plaintext=allow),
            tls_available=starttls_offered and not implicit_tls,
            lock=lock,
            watch=watch,
            address=host,
            guard=guard,
            transport=describe_transport(host, tls=implicit_tls, allow_plaintext=allow),
            tls=implicit_tls,
        )

    def command_seen(self) -> None:
        """A command was read (server lock held)."""
        self._commands += 1
        if self._stats is not None:
            self._stats.add("commands_total")

    def login_seen(self, username: str, ok: bool) -> None:
        """A login succeeded or failed (server lock held)."""
        if ok:
            self._user = username
        if self._stats is not None:
            if ok:
                self._stats.add("logins_total")
            else:
                self._stats.add("auth_failures_total")

    def admit(self) -> bool:
        """Count this connection against its address's limit of connections
        not logged in; False: refuse it (send :data:`BYE_UNAVAILABLE`)."""
        if self._guard is None or self._admitted:
            return True
        self._admitted = self._guard.connect(self._address)
        return self._admitted

    def login_failed(self) -> None:
        """A LOGIN/AUTHENTICATE failed in the call in progress (server lock
        held): hold its answer back as long as the guard says."""
        conn, guard = self._conn, self._guard
        if conn is None or guard is None:
            return
        self._failures += 1
        release = guard.login_failed(self._address, self._now, connection_failures=self._failures)
        if release > self._now:
            conn.defer_answer()
            self._hold_until = release
            logger.info("%s failed login answered after %.2f s", self.peer, release - self._now)

    def admit_login(self, username: str) -> None:
        """Credentials were accepted (server lock held): refuse the login if
        the user has too many sessions from this address."""
        if self._guard is None:
            return
        if not self._guard.login(self._address, username):
            logger.warning("%s refused login as %r: too many sessions", self.peer, username)
            raise ImapNo("Too many sessions of this user from your address", "LIMIT")
        self._session_user = username

    def unauthenticated(self) -> None:
        """UNAUTHENTICATE is running (server lock held): the user's session
        ends and the connection counts as not logged in again."""
        guard, user = self._guard, self._session_user
        if guard is None or user is None:
            return
        guard.logout(self._address, user)
        self._session_user = None
        # Not refused at the limit (it was admitted once), only not counted
        # then; its next login is limited as ever.
        self._admitted = guard.connect(self._address)

    def open(self, now: float) -> Step:
        """Create the connection; its greeting is in the returned output."""
        with self._lock:
            self._hooks = _install_hooks(self._server)
            spool = self._options.literal_sink_factory
            if spool is not None and getattr(self._server, "literal_sink_factory", spool) is None:
                # Big APPEND literals go to files, never into memory; into
                # the store's own spool when it has one (Maildir: written
                # once, then linked into place).
                if spool is temporary_file_sink:
                    backend = getattr(self._server, "backend", None)
                    spool = getattr(backend, "literal_sink", None) or spool
                self._server.literal_sink_factory = spool
            if getattr(self._server, "steps_per_call", 0) is None:
                self._server.steps_per_call = self._options.steps_per_call  # type: ignore[attr-defined]
            self._conn = self._server.connect(
                secure=self._secure, tls_available=self._tls_available
            )
            self._hooks.drivers[self._conn] = self
            if self._inline_commands is not None and hasattr(self._conn, "command_gate"):
                self._conn.command_gate = self._gate
            if self._tls:
                self._bind_channel(self._conn)
            self._connected_at = self._last_input = self._now = now
            if self._stats is not None:
                self._stats.add("sessions_total")
                self._stats.add("sessions_active")
            logger.info(
                "%s connected (%s)",
                self.peer,
                self._transport or ("secure" if self._secure else "not secure"),
            )
            return self._finish(now)

    def step(
        self,
        now: float,
        *,
        data: bytes | None = None,
        changed: bool = False,
        shutdown: str | None = None,
        inline: bool = False,
    ) -> Step:
        """Feed input, a change notification, a shutdown, and run the timers.

        ``inline``: the call runs on an event loop; it stops before a
        command that may wait for the disk (see ``ServerOptions.inline``),
        and the step says so (``Step.offload``)."""
        with self._lock:
            self._inline, self._offload = inline, False
            try:
                return self._step(now, data, changed, shutdown, began=time.perf_counter())
            finally:
                self._inline = False

    def _gate(self, command: Any) -> bool:
        """The session's ``command_gate``: whether ``command`` may run in this call."""
        if not self._inline or self._inline_commands is None:
            return True
        if command.name in self._inline_commands:
            return True
        self._offload = True
        return False

    def _go_on(self, conn: SessionLike, began: float) -> list[bytes | memoryview]:
        """The output of the next steps of a long command (or of pipelined
        commands that waited for output to be taken), run at once for up to
        ``call_slice`` and while under ``write_size`` bytes wait: otherwise
        each step costs the adapter a write and a turn of its loop (a FETCH
        of 20 headers or a SEARCH of 200 messages is one call, not ten)."""
        options = self._options
        take = getattr(conn, "data_to_send_chunks", None)
        if options.call_slice <= 0 or take is None:
            return []
        chunks: list[bytes | memoryview] = []
        if not conn.output_held:
            return chunks
        size = 0
        done = time.perf_counter()
        last = done - began  # how long the last step took (the call's first)
        # As _step would on the adapter's next call (see _finish's ``more``).
        # A command the gate held back (``Step.offload``) runs in the next call.
        while conn.output_held and not (
            conn.closed or conn.starttls_pending or self._eof or self._offload
        ):
            taken = take()
            chunks += taken
            size += sum(map(len, taken))
            # Another step, if it takes as long as the last, must fit.
            if size >= options.write_size or done - began + last >= options.call_slice:
                break
            conn.pump()
            clock = time.perf_counter()
            last, done = clock - done, clock
        return chunks

    def feed_literal(self, now: float, data: bytes) -> Step | None:
        """Feed bytes that lie wholly inside the literal being read (a big
        APPEND) on the caller's thread: they only go to the literal's sink,
        no command completes and no backend is called, so an adapter that
        runs :meth:`step` off its event loop need not for these.  None
        (nothing done: call :meth:`step`) when the bytes reach the literal's
        end, when output waits, or when another call holds the lock."""
        conn = self._require()
        if not self._lock.acquire(blocking=False):
            return None
        try:
            expected = getattr(conn, "literal_expected", 0)
            if not 0 < len(data) < expected or conn.output_held or conn.closed:
                return None
            self._offload = False
            return self._step(now, data, False, None)
        finally:
            self._lock.release()

    def _step(
        self,
        now: float,
        data: bytes | None,
        changed: bool,
        shutdown: str | None,
        *,
        began: float | None = None,
    ) -> Step:
        conn = self._require()
        self._now = now
        if conn.output_held and not conn.closed:
            # The adapter wrote the last step's output: run what waited.
            conn.pump()
        if self._hold_until is not None and (conn.closed or now >= self._hold_until):
            self._hold_until = None
            conn.release_answer()
        if data is not None and not conn.closed and not conn.starttls_pending:
            self._last_input = now
            self._bytes_in += len(data)
            if self._stats is not None:
                self._stats.add("bytes_in_total", len(data))
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
        # ``began``: the call's start, when the next steps may go on in it.
        before = self._go_on(conn, began) if began is not None else None
        return self._finish(now, renamed=changed, before=before)

    def tls_started(self, now: float) -> Step:
        conn = self._require()
        with self._lock:
            conn.tls_started()
            self._bind_channel(conn)
            self._last_input = self._now = now
            logger.info("%s TLS started", self.peer)
            return self._finish(now)

    def _bind_channel(self, conn: SessionLike) -> None:
        binding = self._options.channel_binding
        if binding is not None:
            conn.set_channel_binding(*binding)

    def close(self, now: float | None = None) -> None:
        """The transport is gone: tell the connection if it does not know,
        and give back what the guard counted for it.  ``now`` (the clock of
        :meth:`open`) ends the session's duration; default: the last call."""
        self._release_guard()
        conn = self._conn
        if conn is None:
            return
        with self._lock:
            if not conn.closed:
                conn.receive_data(b"")
                conn.data_to_send()
            if self._hooks is not None:
                self._hooks.drivers.pop(conn, None)
            if self._stats is not None:
                self._stats.add("sessions_active", -1)
            duration = (self._now if now is None else now) - self._connected_at
            self._store_watch(None, frozenset())
        self._conn = None
        # One line per session, in key=value form that log tools can parse;
        # the user name is quoted (repr) since a client chose it.
        logger.info(
            "%s disconnected user=%s duration=%.3f bytes_in=%d bytes_out=%d commands=%d",
            self.peer,
            repr(self._user) if self._user is not None else "-",
            max(0.0, duration),
            self._bytes_in,
            self._bytes_out,
            self._commands,
        )

    def _release_guard(self) -> None:
        guard = self._guard
        if guard is None:
            return
        if self._session_user is not None:
            guard.logout(self._address, self._session_user)
        elif self._admitted:
            guard.disconnect(self._address)
        self._session_user = None
        self._admitted = False

    def _require(self) -> SessionLike:
        if self._conn is None:
            raise RuntimeError("ConnectionDriver.open() was not called")
        return self._conn

    def _inactivity_deadline(self, conn: SessionLike) -> tuple[float, str]:
        if conn.command_in_progress:
            return (
                self._last_input + self._options.literal_timeout,
                "Timed out waiting for the rest of the command",
            )
        if conn.state is State.NOT_AUTHENTICATED:
            return self._connected_at + self._options.login_timeout, "Timed out waiting for login"
        return self._last_input + self._options.idle_timeout, "Autologout; idle for too long"

    def _run_timers(self, conn: SessionLike, now: float) -> None:
        deadline, text = self._inactivity_deadline(conn)
        if now >= deadline:
            logger.info("%s timed out: %s", self.peer, text)
            conn.shutdown(text)
            return
        idling = conn.idling
        if idling and not self._was_idling:
            self._next_keepalive = now + self._options.keepalive_interval
        elif idling and now >= self._next_keepalive:
            # Look at the store first: a change whose notice was lost (or a
            # store that sends none) reaches an IDLE client by the next
            # keep-alive, within ``keepalive_interval``.
            conn.poll()
            conn.keepalive()
            self._next_keepalive = now + self._options.keepalive_interval
        elif not idling:
            self._next_keepalive = math.inf
        self._was_idling = idling

    def _file(self, conn: SessionLike, *, renamed: bool) -> None:
        """Keep the session filed under its user and selected mailbox.

        The mailbox's name is read again when another one is selected, and
        after a change notice (a rename sends notices for the old name and
        for the mailbox list, so the session is woken under the old name).
        """
        if self._watch is None and self._watch_store is None:
            return
        username = conn.username
        mailbox = conn.mailbox if username is not None and not conn.closed else None
        name = self._mailbox_name
        owner = self._owner
        if mailbox is not self._mailbox or renamed:
            self._mailbox = mailbox
            owner = None
            if mailbox is None:
                name = None
            else:
                try:
                    # Another user's shared mailbox (RFC 4314) says whose it
                    # is: its changes are announced under the owner's names.
                    origin = getattr(mailbox, "origin", None)
                    if origin is None:
                        name = mailbox.name
                    else:
                        owner, name = origin
                except Exception:  # deleted: the session's next poll ends it
                    name = None
            self._owner = owner
        # NOTIFY (RFC 5465): a session that asked about other mailboxes is
        # woken by every notice of its user, and the store watches those too.
        watcher = getattr(conn, "notify", None) if username is not None else None
        listening = watcher is not None and not conn.closed and bool(watcher.listening)
        others: frozenset[str] = (
            watcher.mailboxes if watcher is not None and listening else frozenset()
        )
        owners: frozenset[str] = (
            watcher.owners if watcher is not None and listening else frozenset()
        )
        if owner is not None and name is not None:
            if listening:
                # Filed under the user for NOTIFY, and with the owner of the
                # selected shared mailbox, whose notices wake it too.
                name = None
                owners = owners | {owner}
            else:
                username = owner
        if (
            username != self._username
            or name != self._mailbox_name
            or listening != self._listening
            or owners != self._owners_filed
        ):
            self._username, self._mailbox_name = username, name
            self._listening, self._owners_filed = listening, owners
            if self._watch is not None:
                self._watch(username, ALL_MAILBOXES if listening else name, owners)
        if self._watch_store is not None and (others, name, username) != self._store_watched:
            # (A NOTIFY's set is kept by the session: unchanged, it is the
            # same object, so a step costs no set arithmetic.)
            if self._store_watched[2] != username:
                self._store_watch(None, frozenset())  # another owner's names
            self._store_watched = (others, name, username)
            wanted = others | {name} if name is not None else others
            if wanted.symmetric_difference(self._unwatch):
                self._store_watch(username, wanted)

    def _store_watch(self, username: str | None, mailboxes: frozenset[str]) -> None:
        """Have the store watch ``mailboxes`` (the selected one and what a
        NOTIFY asked about) for outside changes (deliveries, other
        processes), so that they wake this session too."""
        keep = mailboxes if username is not None else frozenset()
        for name in [n for n in self._unwatch if n not in keep]:
            self._unwatch.pop(name)()
        if self._watch_store is None or username is None:
            return
        for name in sorted(keep):
            if name in self._unwatch:
                continue
            try:
                self._unwatch[name] = self._watch_store(username, name)
            except Exception:  # the session still works; only pushes are lost
                logger.exception("%s cannot watch %r", self.peer, name)

    def _finish(
        self, now: float, *, renamed: bool = False, before: list[bytes | memoryview] | None = None
    ) -> Step:
        conn = self._require()
        self._file(conn, renamed=renamed)
        # Optional for a SessionLike (older ones have data_to_send only).
        take = getattr(conn, "data_to_send_chunks", None)
        if take is not None:
            chunks: list[bytes | memoryview] = take()
        else:
            output = conn.data_to_send()
            chunks = [output] if output else []
        if before:
            # Output taken by _go_on, then this: one write when it is small.
            chunks = before + chunks
            if len(chunks) > 1 and sum(map(len, chunks)) <= 2 * self._options.write_size:
                chunks = [b"".join(chunks)]
        size = sum(map(len, chunks))
        self._bytes_out += size
        if self._stats is not None:
            self._stats.add("bytes_out_total", size)
        streaming = conn.has_output
        # Nothing more can come after EOF; what is queued still goes out.
        closed = (conn.closed or self._eof) and not streaming
        starttls = conn.starttls_pending and not closed
        if closed:
            deadline = math.inf
        else:
            deadline, _ = self._inactivity_deadline(conn)
            if self._hold_until is not None:
                deadline = min(deadline, self._hold_until)
            if conn.idling:
                if not self._was_idling:
                    self._next_keepalive = now + self._options.keepalive_interval
                    self._was_idling = True
                deadline = min(deadline, self._next_keepalive)
        return Step(
            chunks=chunks,
            closed=closed,
            starttls=starttls,
            paused=conn.paused and not closed and not starttls,
            deadline=deadline,
            more=streaming or (conn.output_held and not closed and not starttls),
            # Optional for a SessionLike (older ones lack it: read as usual).
            literal=0 if closed else getattr(conn, "literal_expected", 0),
            offload=self._offload,
        )
