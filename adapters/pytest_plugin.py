"""A pytest plugin: the ``imap_server`` fixture, a live IMAP server on loopback.

Installed through the ``pytest11`` entry point, so any project that installs
imap-sansio can write::

    def test_my_mail_code(imap_server):
        imap_server.append("INBOX", b"Subject: hi\\r\\n\\r\\nhello\\r\\n")
        fetch_mail(host=imap_server.host, port=imap_server.port,
                   user=imap_server.user, password=imap_server.password)
        assert imap_server.commands()[-1] == "LOGOUT"

The server runs the threaded runtime on a free port with an in-memory backend.
Override the ``imap_server_users`` fixture for other accounts, or
``imap_server_factory`` for another server object.  The helpers speak IMAP to
the live server with :mod:`imaplib`, so they see exactly what clients see.

pytest loads this module in every run wherever the package is installed, so
it imports nothing but pytest: the server, the adapters and imaplib are
imported by the fixtures, when a test uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._concurrency import Threads
    from ._driver import IMAPServerLike, ServerOptions
    from ._fixture_server import IMAPTestServer

__all__ = [
    "IMAPTestServer",
    "backend_threads",
    "imap_server",
    "imap_server_factory",
    "imap_server_options",
    "imap_server_users",
]


if not TYPE_CHECKING:  # mypy sees the import above, and no catch-all

    def __getattr__(name: str) -> Any:
        # For annotations in users' tests: ``imap_server: IMAPTestServer``.
        if name == "IMAPTestServer":
            from ._fixture_server import IMAPTestServer  # noqa: PLC0415 - kept off plugin load

            return IMAPTestServer
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@pytest.fixture
def imap_server_users() -> dict[str, str]:
    """The accounts of ``imap_server`` (override to change)."""
    return {"user": "password", "other": "other-password"}


@pytest.fixture
def imap_server_options() -> ServerOptions:
    """The adapter options of ``imap_server`` (override for timeouts etc.)."""
    from ._driver import ServerOptions  # noqa: PLC0415 - kept off plugin load

    return ServerOptions(shutdown_grace=2.0)


@pytest.fixture
def imap_server_factory(imap_server_users: dict[str, str]) -> Callable[[], IMAPServerLike]:
    """Builds the server object (override to use another backend)."""
    from .cli import build_server  # noqa: PLC0415 - kept off plugin load

    return lambda: build_server(imap_server_users, demo=False)


@pytest.fixture
def imap_server(
    imap_server_factory: Callable[[], IMAPServerLike],
    imap_server_users: dict[str, str],
    imap_server_options: ServerOptions,
) -> Iterator[IMAPTestServer]:
    """A live IMAP server on a free loopback port, stopped after the test."""
    from ._fixture_server import running  # noqa: PLC0415 - kept off plugin load

    with running(imap_server_factory, imap_server_users, imap_server_options) as server:
        yield server


@pytest.fixture
def backend_threads() -> Threads:
    """Threads for ``imap_sansio.testing.backend.BackendContract`` (the pure
    testing package starts none itself)."""
    from ._concurrency import Threads  # noqa: PLC0415 - kept off plugin load

    return Threads()
