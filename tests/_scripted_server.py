"""An instrumented stand-in for ``IMAPServer``, for the adapter tests that
must see inside the server (``test_adapters_scripted.py``).

It speaks just enough IMAP for those tests (CAPABILITY, LOGIN, SELECT, NOOP,
IDLE/DONE, STARTTLS, APPEND with one literal, LOGOUT) and shows what the real
server cannot show from outside:

- it raises, and counts in ``overlaps``, when two calls into it overlap:
  the proof that the adapters serialise calls into one server;
- ``XHOLD`` keeps the connection ``paused`` until the next ``poll()``, as a
  command waiting for the application would;
- each connection counts its ``poll()`` calls (``polls``, with the
  ``polled`` condition notified on each): the proof that a change notice
  wakes only the sessions it concerns.

APPEND calls the change listeners synchronously with a ``ChangeNotice``, as
the real server does from inside ``receive_data``.  Everything else about
the adapters is tested against the real server.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imap_sansio._state import State
from imap_sansio.server._backend import ChangeNotice

__all__ = ["ScriptedCommand", "ScriptedConnection", "ScriptedMailbox", "ScriptedServer"]

_LITERAL = re.compile(rb"\{([0-9]+)(\+?)\}\r\n\Z")


class ScriptedServer:
    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = users if users is not None else {"alice": "wonderland"}
        self.messages: list[bytes] = []
        self.listeners: list[Callable[[ChangeNotice], None]] = []
        self.connections: list[ScriptedConnection] = []
        self._busy = threading.Lock()
        #: Notified after every ``poll()`` of any connection.
        self.polled = threading.Condition()
        self.overlaps = 0
        self.on_command: Callable[[Any, Any], None] | None = None
        self.on_login: Callable[[Any, str, bool], None] | None = None

    def connect(self, secure: bool = True, tls_available: bool = False) -> ScriptedConnection:
        with self._guard():
            conn = ScriptedConnection(self, secure=secure, tls_available=tls_available)
            self.connections.append(conn)
            return conn

    def add_change_listener(self, callback: Callable[[ChangeNotice], None]) -> Callable[[], None]:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback)

    def notify(self, notice: ChangeNotice) -> None:
        for callback in list(self.listeners):
            callback(notice)

    def _guard(self) -> _Guard:
        return _Guard(self)


class _Guard:
    def __init__(self, server: ScriptedServer) -> None:
        self.server = server

    def __enter__(self) -> None:
        if not self.server._busy.acquire(blocking=False):
            self.server.overlaps += 1
            raise RuntimeError("two calls into the server at once")

    def __exit__(self, *exc: object) -> None:
        self.server._busy.release()


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptedCommand:
    tag: str
    name: str
    uid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptedMailbox:
    name: str


class ScriptedConnection:
    def __init__(self, server: ScriptedServer, *, secure: bool, tls_available: bool) -> None:
        self.server = server
        self.secure = secure
        self.tls_available = tls_available
        self.tls = False
        self.closed = False
        self.state = State.NOT_AUTHENTICATED
        self._idle_tag: bytes | None = None
        self.starttls_pending = False
        self.username: str | None = None
        self.mailbox: ScriptedMailbox | None = None
        self.held = False  # XHOLD: paused until the next poll()
        self.polls = 0
        self.seen = len(server.messages)
        self.received: list[bytes] = []  # every command line, for assertions
        self._buffer = bytearray()
        self._out = bytearray()
        self._literal: tuple[bytes, int] | None = None  # (command line, size)
        self._out += b"* OK [CAPABILITY " + self._capabilities() + b"] scripted ready\r\n"

    # contract ---------------------------------------------------------------

    @property
    def idling(self) -> bool:
        return self._idle_tag is not None

    @property
    def paused(self) -> bool:
        return self.closed or self.starttls_pending or self.held

    @property
    def command_in_progress(self) -> bool:
        return self._literal is not None

    @property
    def output_held(self) -> bool:
        return False  # answers every command it reads

    def pump(self) -> None:
        pass

    @property
    def has_output(self) -> bool:
        return False  # data_to_send hands out everything at once

    def receive_data(self, data: bytes) -> None:
        with self.server._guard():
            if self.closed or self.starttls_pending:
                return  # dropped: bytes from before the TLS handshake
            if not data:
                self.closed = True
                return
            self._buffer += data
            if not self.held:
                self._process()

    def data_to_send(self) -> bytes:
        with self.server._guard():
            out = bytes(self._out)
            self._out.clear()
            return out

    def tls_started(self) -> None:
        with self.server._guard():
            self.starttls_pending = False
            self.tls = True
            self.secure = True

    def poll(self) -> None:
        with self.server._guard():
            self.polls += 1
            self._updates()
            if self.held:  # the application answered
                self.held = False
                self._process()
        with self.server.polled:
            self.server.polled.notify_all()

    def keepalive(self) -> None:
        with self.server._guard():
            self._out += b"* OK Still here\r\n"

    def shutdown(self, text: str = "Server shutting down") -> None:
        with self.server._guard():
            self._out += b"* BYE " + text.encode() + b"\r\n"
            self.closed = True

    # the scripted protocol ----------------------------------------------------

    def _capabilities(self) -> bytes:
        caps = [b"IMAP4rev1", b"IDLE", b"LITERAL+"]
        if self.tls_available and not self.tls and self.state is State.NOT_AUTHENTICATED:
            caps.append(b"STARTTLS")
        if not self.secure:
            caps.append(b"LOGINDISABLED")
        return b" ".join(caps)

    def _updates(self) -> None:
        if self.state is not State.NOT_AUTHENTICATED and len(self.server.messages) != self.seen:
            self.seen = len(self.server.messages)
            self._out += b"* %d EXISTS\r\n" % self.seen

    def _process(self) -> None:
        while not self.closed and not self.starttls_pending and not self.held:
            if self._literal is not None:
                line, size = self._literal
                if len(self._buffer) < size + 2:
                    return
                body = bytes(self._buffer[:size])
                del self._buffer[: size + 2]
                self._literal = None
                self._command(line, body)
                continue
            end = self._buffer.find(b"\r\n")
            if end < 0:
                return
            line = bytes(self._buffer[: end + 2])
            del self._buffer[: end + 2]
            literal = _LITERAL.search(line)
            if literal and self._idle_tag is None:
                self._literal = (line[: literal.start()], int(literal[1]))
                if not literal[2]:
                    self._out += b"+ Ready for literal data\r\n"
                continue
            self._command(line[:-2], None)

    def _command(self, line: bytes, literal: bytes | None) -> None:
        if self._idle_tag is not None:
            if line.upper() == b"DONE":
                self._out += self._idle_tag + b" OK IDLE terminated\r\n"
                self._idle_tag = None
            return
        self.received.append(line)
        parts = line.split(b" ")
        authenticated = self.state is not State.NOT_AUTHENTICATED
        tag, name = parts[0], parts[1].upper() if len(parts) > 1 else b""
        uid = name == b"UID" and len(parts) > 2
        if uid:
            name = parts[2].upper()
        if self.server.on_command is not None:
            command = ScriptedCommand(tag=tag.decode(), name=name.decode(), uid=uid)
            self.server.on_command(self, command)
        if name == b"CAPABILITY":
            self._out += b"* CAPABILITY " + self._capabilities() + b"\r\n"
            self._out += tag + b" OK CAPABILITY completed\r\n"
        elif name == b"NOOP":
            self._updates()
            self._out += tag + b" OK NOOP completed\r\n"
        elif name == b"LOGIN" and len(parts) == 4:
            if not self.secure:
                self._out += tag + b" NO [PRIVACYREQUIRED] Use TLS first\r\n"
            elif self.server.users.get(parts[2].decode()) == parts[3].decode().strip('"'):
                self.state = State.AUTHENTICATED
                self.username = parts[2].decode()
                self.seen = len(self.server.messages)
                self._out += tag + b" OK LOGIN completed\r\n"
                if self.server.on_login is not None:
                    self.server.on_login(self, self.username, True)
            else:
                self._out += tag + b" NO [AUTHENTICATIONFAILED] Invalid credentials\r\n"
                if self.server.on_login is not None:
                    self.server.on_login(self, parts[2].decode(), False)
        elif name == b"SELECT" and authenticated and len(parts) == 3:
            self.state = State.SELECTED
            self.mailbox = ScriptedMailbox(name=parts[2].decode())
            self._out += b"* %d EXISTS\r\n" % self.seen
            self._out += tag + b" OK [READ-WRITE] SELECT completed\r\n"
        elif name == b"XHOLD" and authenticated:
            self.held = True
            self._out += tag + b" OK holding\r\n"
        elif name == b"IDLE" and authenticated:
            self._idle_tag = tag
            self._out += b"+ idling\r\n"
        elif (
            name == b"APPEND" and literal is not None and self.state is not State.NOT_AUTHENTICATED
        ):
            self.server.messages.append(literal)
            self._updates()
            self._out += tag + b" OK APPEND completed\r\n"
            assert self.username is not None
            self.server.notify(ChangeNotice(username=self.username, mailbox="INBOX"))
        elif name == b"STARTTLS" and self.tls_available and not self.tls:
            self._out += tag + b" OK Begin TLS negotiation now\r\n"
            self.starttls_pending = True
            self._buffer.clear()  # RFC 3501 6.2.1: nothing from before the handshake
        elif name == b"LOGOUT":
            self._out += b"* BYE Logging out\r\n" + tag + b" OK LOGOUT completed\r\n"
            self.closed = True
        else:
            self._out += tag + b" BAD Unknown command\r\n"
