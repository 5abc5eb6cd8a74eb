"""Parsed messages shared by every session of a server."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from ..mime import Message

__all__ = ["MessageCache"]


class MessageCache:
    """Parsed messages by (user, mailbox, UIDVALIDITY, UID), least recently used out.

    A message never changes under its UID (RFC 3501 2.3.1.1), so its parsed
    MIME tree (and the decoded text SEARCH builds on it) can serve every
    command and every session until memory bounds push it out.
    """

    def __init__(self, *, max_messages: int = 2000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str, int, int], Message] = OrderedDict()
        self._bytes = 0

    def get(
        self, key: tuple[str, str, int, int], load: Callable[[], bytes | None]
    ) -> Message | None:
        message = self._entries.get(key)
        if message is not None:
            self._entries.move_to_end(key)
            return message
        data = load()
        if data is None:
            return None
        message = Message(data)
        if self.max_messages <= 0 or len(data) > self.max_bytes:
            return message
        self._entries[key] = message
        self._bytes += len(data)
        while len(self._entries) > self.max_messages or self._bytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self._bytes -= old.size
        return message
