"""Exceptions raised by the engine."""

from __future__ import annotations

__all__ = ["LocalProtocolError"]


class LocalProtocolError(Exception):
    """The application misused the API (not the peer: peers get BAD/NO/BYE).

    Raised, for example, when the app answers a tag that is not pending,
    sends a continuation that no command is waiting for, or sends anything
    after the connection has closed.
    """
