"""imap-sansio: a sans-I/O IMAP server engine.

The public surface is re-exported here; the private modules each hold one
concern (framing, state table, config, events, grammar, responses).
"""

from __future__ import annotations

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
    "LocalProtocolError",
    "OversizePolicy",
    "ParseError",
    "Secret",
    "SelectedMailboxView",
    "State",
    "compute_capabilities",
    "parse_command",
]
