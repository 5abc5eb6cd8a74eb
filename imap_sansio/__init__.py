"""imap-sansio: a sans-I/O IMAP server engine.

The public surface is re-exported here, each name imported on first use (so
that importing a submodule, such as the pytest plugin, builds nothing it does
not need); the private modules each hold one concern (framing, state table,
config, events, grammar, responses).
"""

from __future__ import annotations

from ._lazy import lazy_exports

# typing.TYPE_CHECKING without importing typing (mypy reads any name
# TYPE_CHECKING so), so that ``import imap_sansio`` loads two small modules.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from ._capabilities import compute_capabilities
    from ._config import Config, GreetingStatus, Limits, OversizePolicy
    from ._connection import ConnectionState
    from ._errors import LocalProtocolError
    from ._events import (
        AuthenticateCancelled,
        AuthenticateResponse,
        ConnectionClosed,
        Event,
        IdleDone,
    )
    from ._parser import (
        COMMANDS,
        CommandParser,
        CommandReader,
        CommandSpec,
        ParseError,
        parse_command,
    )
    from ._secret import Secret
    from ._source import BytesSource, LiteralSink, MessageSource, SourceSlice
    from ._state import ANY_STATE, LOGGED_IN, NOT_LOGGED_IN, SELECTED_ONLY, State
    from ._view import SelectedMailboxView

__all__ = [
    "ANY_STATE",
    "COMMANDS",
    "LOGGED_IN",
    "NOT_LOGGED_IN",
    "SELECTED_ONLY",
    "AuthenticateCancelled",
    "AuthenticateResponse",
    "BytesSource",
    "CommandParser",
    "CommandReader",
    "CommandSpec",
    "Config",
    "ConnectionClosed",
    "ConnectionState",
    "Event",
    "GreetingStatus",
    "IdleDone",
    "Limits",
    "LiteralSink",
    "LocalProtocolError",
    "MessageSource",
    "OversizePolicy",
    "ParseError",
    "Secret",
    "SelectedMailboxView",
    "SourceSlice",
    "State",
    "compute_capabilities",
    "parse_command",
]

#: The module each public name comes from.
_HOMES = {
    "ANY_STATE": "._state",
    "AuthenticateCancelled": "._events",
    "AuthenticateResponse": "._events",
    "BytesSource": "._source",
    "CommandParser": "._parser",
    "CommandReader": "._parser",
    "COMMANDS": "._parser",
    "CommandSpec": "._parser",
    "compute_capabilities": "._capabilities",
    "Config": "._config",
    "ConnectionClosed": "._events",
    "ConnectionState": "._connection",
    "Event": "._events",
    "GreetingStatus": "._config",
    "IdleDone": "._events",
    "Limits": "._config",
    "LiteralSink": "._source",
    "MessageSource": "._source",
    "LocalProtocolError": "._errors",
    "LOGGED_IN": "._state",
    "NOT_LOGGED_IN": "._state",
    "OversizePolicy": "._config",
    "parse_command": "._parser",
    "ParseError": "._parser",
    "Secret": "._secret",
    "SELECTED_ONLY": "._state",
    "SelectedMailboxView": "._view",
    "SourceSlice": "._source",
    "State": "._state",
}

if not TYPE_CHECKING:  # mypy sees the imports above, and no catch-all
    __getattr__, __dir__ = lazy_exports(globals(), _HOMES)
