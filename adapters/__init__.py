"""Transports for the pure IMAP server: anyio (asyncio, trio), threads, TLS, CLI.

This package is installed as ``imap_sansio.adapters``.  All I/O of the
project lives here; the engine under ``imap_sansio`` stays pure, and so
does ``MaildirBackend``'s contract: it is the Backend protocol on disk.
The names below are imported on first use: the threaded server and the CLI
work without anyio installed, and loading the pytest plugin (a submodule)
costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imap_sansio._lazy import lazy_exports

if TYPE_CHECKING:
    from ._driver import (
        ConnectionDriver,
        IMAPServerLike,
        LoginLimits,
        ServerOptions,
        SessionLike,
        is_loopback,
    )
    from .accounts import PasswordFile, scram_mechanisms
    from .anyio_server import AnyIOServer
    from .maildir import MaildirBackend
    from .postgres_backend import PostgresBackend
    from .threaded import ThreadedServer
    from .tls import server_ssl_context

__all__ = [
    "AnyIOServer",
    "ConnectionDriver",
    "IMAPServerLike",
    "LoginLimits",
    "MaildirBackend",
    "PasswordFile",
    "PostgresBackend",
    "ServerOptions",
    "SessionLike",
    "ThreadedServer",
    "is_loopback",
    "scram_mechanisms",
    "server_ssl_context",
]

#: The module each public name comes from.
_HOMES = {
    "AnyIOServer": ".anyio_server",
    "ConnectionDriver": "._driver",
    "IMAPServerLike": "._driver",
    "LoginLimits": "._driver",
    "MaildirBackend": ".maildir",
    "PasswordFile": ".accounts",
    "scram_mechanisms": ".accounts",
    "PostgresBackend": ".postgres_backend",
    "SessionLike": "._driver",
    "ServerOptions": "._driver",
    "ThreadedServer": ".threaded",
    "is_loopback": "._driver",
    "server_ssl_context": ".tls",
}

if not TYPE_CHECKING:  # mypy sees the imports above, and no catch-all
    __getattr__, __dir__ = lazy_exports(globals(), _HOMES)
