"""The ``imap_server`` fixture of the pytest plugin, with a factory of its user."""

from __future__ import annotations

import subprocess
import sys
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


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    # pytest loads the entry point in every run wherever the package is
    # installed: beyond pytest it imports only its own packages, all else waits
    # for the fixture.
    code = (
        "import sys, pytest\n"
        "before = set(sys.modules)\n"
        "import imap_sansio.adapters.pytest_plugin\n"
        "print(*sorted(set(sys.modules) - before))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "imap_sansio",
        "imap_sansio._lazy",
        "imap_sansio.adapters",
        "imap_sansio.adapters.pytest_plugin",
    ]


def test_lazy_public_names_are_all_there() -> None:
    import imap_sansio.adapters
    import imap_sansio.adapters.pytest_plugin as plugin

    import imap_sansio

    for package in (imap_sansio, imap_sansio.adapters):
        assert set(package.__all__) == set(package._HOMES), package.__name__
        assert set(package.__all__) <= set(dir(package))
        for name in package.__all__:
            assert getattr(package, name) is not None
    assert plugin.IMAPTestServer.__name__ == "IMAPTestServer"
    with pytest.raises(AttributeError):
        imap_sansio.NoSuchName  # noqa: B018
