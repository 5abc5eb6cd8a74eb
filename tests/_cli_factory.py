"""A server for the CLI's ``--factory`` option (``_cli_factory:make_server``)
in ``test_adapters_cli.py``: the real server with one known account."""

from __future__ import annotations

from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, MemoryBackend


def make_server() -> IMAPServer:
    return IMAPServer(MemoryBackend(users={"alice": "wonderland"}), clock=wall_clock)
