"""Transports for the pure IMAP server: anyio (asyncio, trio), threads, TLS, CLI.

This package is installed as ``imap_sansio.adapters``.  All I/O of the
project lives here; the engine under ``imap_sansio`` stays pure, and so
does ``MaildirBackend``'s contract: it is the Backend protocol on disk.
``AnyIOServer`` is imported lazily, so the threaded server and the CLI work
without anyio installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._driver import (
    ConnectionDriver,
    IMAPServerLike,
    LoginLimits,
    ServerConnection,
    ServerOptions,
    is_loopback,
)
from .maildir import MaildirBackend
from .threaded import ThreadedServer
from .tls import server_ssl_context

if TYPE_CHECKING:
    from .anyio_server import AnyIOServer

__all__ = [
    "AnyIOServer",
    "ConnectionDriver",
    "IMAPServerLike",
    "LoginLimits",
    "MaildirBackend",
    "ServerConnection",
    "ServerOptions",
    "ThreadedServer",
    "is_loopback",
    "server_ssl_context",
]


def __getattr__(name: str) -> Any:
    if name == "AnyIOServer":
        from .anyio_server import AnyIOServer  # noqa: PLC0415 - anyio is optional

        return AnyIOServer
    raise AttributeError(name)
