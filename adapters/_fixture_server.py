"""The live server behind the ``imap_server`` fixture (see ``pytest_plugin``).

Kept apart from the plugin module so that loading the plugin, which pytest
does in every run wherever imap-sansio is installed, imports none of this.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator, Sequence

from ._driver import IMAPServerLike, ServerOptions
from .threaded import ThreadedServer

__all__ = ["IMAPTestServer", "running"]

_COMMAND_RECORD = re.compile(r"(\S+) command (\S+) (.+)")


class _CommandRecorder(logging.Handler):
    """Collects the command names the adapters log (never arguments)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str, str]] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        match = _COMMAND_RECORD.fullmatch(record.getMessage())
        if match:
            with self._guard:
                self.records.append((match[1], match[2], match[3]))


class IMAPTestServer:
    """A running server and helpers to set it up and inspect it."""

    def __init__(
        self,
        server: IMAPServerLike,
        running: ThreadedServer,
        users: dict[str, str],
        recorder: _CommandRecorder,
        helper_ports: set[str],
    ) -> None:
        self.server = server
        self.host = "127.0.0.1"
        assert running.port is not None
        self.port: int = running.port
        self.users = dict(users)
        self._running = running
        self._recorder = recorder
        self._helper_peers = helper_ports

    @property
    def user(self) -> str:
        """The first account's name."""
        return next(iter(self.users))

    @property
    def password(self) -> str:
        return self.users[self.user]

    def client(self, user: str | None = None) -> imaplib.IMAP4:
        """An :mod:`imaplib` client, logged in (as the first account by default)."""
        name = user or self.user
        client = _HelperClient(self.host, self.port, self._helper_peers)
        client.login(name, self.users[name])
        return client

    def append(
        self,
        mailbox: str,
        message: bytes,
        *,
        flags: Sequence[str] = (),
        user: str | None = None,
    ) -> None:
        """Put a message into a mailbox (created if missing)."""
        client = self.client(user)
        try:
            client.create(_quote(mailbox))  # NO [ALREADYEXISTS] is fine
            flag_list = "(" + " ".join(flags) + ")" if flags else None
            status, data = client.append(_quote(mailbox), flag_list, None, message)
            if status != "OK":
                raise AssertionError(f"APPEND failed: {data!r}")
        finally:
            client.logout()

    def messages(self, mailbox: str = "INBOX", *, user: str | None = None) -> list[bytes]:
        """The full bytes of every message in a mailbox, in order."""
        return [body for body, _ in self._fetch(mailbox, user)]

    def flags(self, mailbox: str = "INBOX", *, user: str | None = None) -> list[set[str]]:
        """The flags of every message in a mailbox, in order."""
        return [flags for _, flags in self._fetch(mailbox, user)]

    def commands(self) -> list[str]:
        """The commands clients sent (names only, e.g. "LOGIN", "UID FETCH"),
        not counting the helpers' own."""
        return [name for peer, _, name in self._recorder.records if peer not in self._helper_peers]

    def _fetch(self, mailbox: str, user: str | None) -> list[tuple[bytes, set[str]]]:
        client = self.client(user)
        try:
            status, data = client.select(_quote(mailbox), readonly=True)
            if status != "OK":
                raise AssertionError(f"EXAMINE {mailbox} failed: {data!r}")
            if int(data[0] or b"0") == 0:
                return []
            status, items = client.fetch("1:*", "(FLAGS BODY.PEEK[])")
            result = []
            for item in items:
                if isinstance(item, tuple):
                    found = re.search(rb"FLAGS \(([^)]*)\)", item[0])
                    flags = set(found[1].decode().split()) if found else set()
                    result.append((item[1], flags))
            return result
        finally:
            client.logout()


class _HelperClient(imaplib.IMAP4):
    """An imaplib client whose commands :meth:`IMAPTestServer.commands` skips."""

    def __init__(self, host: str, port: int, peers: set[str]) -> None:
        self._peers = peers
        super().__init__(host, port, timeout=10)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = super()._create_socket(timeout)  # type: ignore[misc]
        self._peers.add(f"127.0.0.1:{sock.getsockname()[1]}")
        return sock  # type: ignore[no-any-return]


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def running(
    factory: Callable[[], IMAPServerLike], users: dict[str, str], options: ServerOptions
) -> Iterator[IMAPTestServer]:
    """A server from ``factory`` on a free loopback port, its commands
    recorded from the adapters' log, until the block ends."""
    server = factory()
    recorder = _CommandRecorder()
    adapters_logger = logging.getLogger("imap_sansio.adapters")
    previous_level = adapters_logger.level
    adapters_logger.addHandler(recorder)
    if not adapters_logger.isEnabledFor(logging.DEBUG):
        adapters_logger.setLevel(logging.DEBUG)
    threaded = ThreadedServer(server, port=0, options=options)
    threaded.start()
    try:
        yield IMAPTestServer(server, threaded, users, recorder, set())
    finally:
        threaded.close()
        adapters_logger.removeHandler(recorder)
        adapters_logger.setLevel(previous_level)
