"""A clock for tests: the server's "now" never moves unless a test moves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["fixed_clock"]


def fixed_clock(now: datetime | None = None) -> Callable[[], datetime]:
    """A clock for ``IMAPServer(clock=...)`` that always returns ``now``
    (by default 2026-01-01 00:00 UTC), so APPEND dates and SEARCH
    YOUNGER/OLDER give the same answers on every run."""
    moment = now or datetime(2026, 1, 1, tzinfo=UTC)
    return lambda: moment
