"""Command handlers (being written)."""

from __future__ import annotations

from ._server import Handler

__all__ = ["ENABLEABLE", "HANDLERS"]

#: What ENABLE can turn on because of these handlers.
ENABLEABLE: frozenset[str] = frozenset()

HANDLERS: dict[type, Handler] = {}
