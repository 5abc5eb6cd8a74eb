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
    CommandParser,
    CommandReader,
    ParseError,
    parse_command,
    register_command,
    unregister_command,
)
from ._secret import Secret
from ._state import State

__all__ = [
    "AuthenticateCancelled",
    "AuthenticateResponse",
    "CommandParser",
    "CommandReader",
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
    "State",
    "compute_capabilities",
    "parse_command",
    "register_command",
    "unregister_command",
]
