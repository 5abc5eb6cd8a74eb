"""The public surface: what the README and users import stays importable."""

from __future__ import annotations

import inspect

import imap_sansio
import imap_sansio._commands
import imap_sansio._responses
import imap_sansio.commands
import imap_sansio.responses
import imap_sansio.server
import imap_sansio.testing


def test_every_command_and_response_is_public() -> None:
    assert set(imap_sansio._commands.__all__) <= set(imap_sansio.commands.__all__)
    assert set(imap_sansio._responses.__all__) <= set(imap_sansio.responses.__all__)
    for module in (imap_sansio, imap_sansio.commands, imap_sansio.responses, imap_sansio.server):
        for name in module.__all__:
            assert getattr(module, name) is not None, (module.__name__, name)


def test_the_testing_helpers_are_public() -> None:
    assert {"play", "run_script", "parse_script", "TranscriptMismatch"} <= set(
        imap_sansio.testing.__all__
    )


def test_what_users_pass_in_is_public() -> None:
    """Every type a public call takes is importable from a public module."""
    signature = inspect.signature(imap_sansio.ConnectionState.set_view)
    assert signature.parameters["view"].annotation == "SelectedMailboxView"
    assert "SelectedMailboxView" in imap_sansio.__all__
    # The command table: a core record for Config.commands, the server's
    # record (with its handler) for IMAPServer.add_command.
    assert {"CommandSpec", "COMMANDS"} <= set(imap_sansio.__all__)
    assert {"Session", "ServerCommand", "Handler", "demo_backend"} <= set(
        imap_sansio.server.__all__
    )
    assert "fixed_clock" in imap_sansio.testing.__all__
    # One name per concept: the session is not called a connection.
    assert "ServerConnection" not in imap_sansio.server.__all__
    assert inspect.signature(imap_sansio.server.IMAPServer).parameters["clock"].default is (
        inspect.Parameter.empty
    )
