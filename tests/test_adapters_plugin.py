"""The ``imap_server`` fixture of the pytest plugin, with a factory of its user."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _adapter_harness import Client
from imap_sansio.adapters import IMAPServerLike
from imap_sansio.adapters.cli import wall_clock
from imap_sansio.adapters.pytest_plugin import IMAPTestServer

from imap_sansio.server import IMAPServer, MemoryBackend


@pytest.fixture
def imap_server_users() -> dict[str, str]:
    return {"alice": "wonderland"}


@pytest.fixture
def imap_server_factory(imap_server_users: dict[str, str]) -> Callable[[], IMAPServerLike]:
    return lambda: IMAPServer(MemoryBackend(users=imap_server_users), clock=wall_clock)


def test_fixture_serves_on_a_loopback_port(imap_server: IMAPTestServer) -> None:
    assert imap_server.host == "127.0.0.1"
    assert imap_server.user == "alice"
    assert imap_server.password == "wonderland"
    with Client(imap_server.port) as client:
        assert client.line().startswith(b"* OK")
        client.command(b"a", b"LOGIN alice wonderland")
        client.command(b"b", b"NOOP")
        client.command(b"c", b"LOGOUT")
        assert client.at_eof()
    assert imap_server.commands() == ["LOGIN", "NOOP", "LOGOUT"]


def test_helper_clients_are_not_counted(imap_server: IMAPTestServer) -> None:
    client = imap_server.client()
    client.noop()
    client.logout()
    assert imap_server.commands() == []
