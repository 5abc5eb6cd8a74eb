"""The command table: every handler module's HANDLERS, merged."""

from __future__ import annotations

from . import _cmd_mailbox, _cmd_message, _cmd_search, _cmd_session
from ._cmd_session import continue_subflow
from ._server import Handler

__all__ = ["ENABLEABLE", "HANDLERS", "continue_subflow"]

HANDLERS: dict[type, Handler] = {
    **_cmd_session.HANDLERS,
    **_cmd_mailbox.HANDLERS,
    **_cmd_message.HANDLERS,
    **_cmd_search.HANDLERS,
}

ENABLEABLE: frozenset[str] = (
    _cmd_session.ENABLEABLE
    | _cmd_mailbox.ENABLEABLE
    | _cmd_message.ENABLEABLE
    | _cmd_search.ENABLEABLE
)
