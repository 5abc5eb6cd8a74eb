"""Parsed messages shared by every session of a server."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable

from ..mime import Message

__all__ = ["MessageCache"]


class MessageCache:
    """Parsed messages by (user, mailbox, UIDVALIDITY, UID), least recently used out.

    A message never changes under its UID (RFC 3501 2.3.1.1), so its parsed
    MIME tree (and the decoded text SEARCH builds on it) can serve every
    command and every session until memory bounds push it out.

    Sessions running at once in several threads share it: ``lock`` (a no-op
    unless the adapters set a real one, see
    :meth:`IMAPServer.share_between_threads`) guards each look-up and each
    insertion with its evictions.  Loading and parsing run outside it, so a
    slow store holds up nobody else; two sessions missing the same message
    at once both parse it and the first to finish keeps its copy.
    """

    def __init__(self, *, max_messages: int = 2000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.lock: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
        self._entries: OrderedDict[tuple[str, str, int, int], Message] = OrderedDict()
        self._bytes = 0

    def get(
        self, key: tuple[str, str, int, int], load: Callable[[], bytes | None]
    ) -> Message | None:
        with self.lock:
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
        with self.lock:
            if key in self._entries:  # parsed meanwhile by another session
                return self._entries[key]
            self._entries[key] = message
            self._bytes += message.size
            while len(self._entries) > self.max_messages or self._bytes > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self._bytes -= old.size
        return message
