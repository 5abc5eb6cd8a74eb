"""Parsed messages and their search texts, shared by every session of a server."""

from __future__ import annotations

import contextlib
import sys
from collections import OrderedDict
from collections.abc import Callable

from ..mime import Message

__all__ = ["MessageCache", "MessageKey"]

#: (user, mailbox, UIDVALIDITY, UID): what names one message for ever.
MessageKey = tuple[str, str, int, int]

#: What a parsed message holds beyond its bytes (the MIME tree, headers,
#: the objects around them), measured with tracemalloc on small messages.
_PARSED_OVERHEAD = 1536
#: A search text's entry beyond the string itself (key, dict, list).
_TEXT_OVERHEAD = 256


class MessageCache:
    """Parsed messages by :data:`MessageKey`, least recently used out, and
    beside them the case-folded texts SEARCH compares with.

    A message never changes under its UID (RFC 3501 2.3.1.1), so its parsed
    MIME tree and its search texts can serve every command and every
    session until memory bounds push them out.  Both parts are bounded by
    an estimate of the memory they hold, not by a count, so a mailbox of
    small messages fits whole and a search stays as cheap per message at
    100,000 messages as at 1,000.  The texts are kept apart from the parsed
    messages because they are far smaller: a search over a big mailbox
    reads them again without re-parsing anything.  ``max_messages`` (None:
    no limit) bounds the parsed messages by count as well.

    Sessions running at once in several threads share it: ``lock`` (a no-op
    unless the adapters set a real one, see
    :meth:`IMAPServer.share_between_threads`) guards each look-up and each
    insertion with its evictions.  Loading and parsing run outside it, so a
    slow store holds up nobody else; two sessions missing the same message
    at once both parse it and the first to finish keeps its copy.
    """

    def __init__(
        self,
        *,
        max_messages: int | None = None,
        max_bytes: int = 64 * 1024 * 1024,
        max_text_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.max_text_bytes = max_text_bytes
        self.lock: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
        self._entries: OrderedDict[MessageKey, Message] = OrderedDict()
        self._bytes = 0
        # A message's texts by name, in a plain dict of strings: the garbage
        # collector stops tracking such a dict, so a cache of tens of
        # thousands of entries adds nothing to a full collection's pause.
        self._texts: OrderedDict[MessageKey, dict[str, str]] = OrderedDict()
        self._text_bytes = 0

    @staticmethod
    def cost(size: int) -> int:
        """What a parsed message of ``size`` octets is charged against ``max_bytes``.

        The bytes, the decoded texts SEARCH and FETCH keep on the parsed
        message (about the size of the bytes each), and the tree.
        """
        return 3 * size + _PARSED_OVERHEAD

    def get(self, key: MessageKey, load: Callable[[], bytes | None]) -> Message | None:
        with self.lock:
            message = self._entries.get(key)
            if message is not None:
                self._entries.move_to_end(key)
                return message
        data = load()
        if data is None:
            return None
        message = Message(data)
        cost = self.cost(len(data))
        if (self.max_messages is not None and self.max_messages <= 0) or cost > self.max_bytes:
            return message
        with self.lock:
            if key in self._entries:  # parsed meanwhile by another session
                return self._entries[key]
            self._entries[key] = message
            self._bytes += cost
            while self._bytes > self.max_bytes or (
                self.max_messages is not None and len(self._entries) > self.max_messages
            ):
                _, old = self._entries.popitem(last=False)
                self._bytes -= self.cost(old.size)
        return message

    def text(self, key: MessageKey, what: str) -> str | None:
        """The search text ``what`` of a message, if it is kept."""
        with self.lock:
            entry = self._texts.get(key)
            if entry is None:
                return None
            self._texts.move_to_end(key)
            return entry.get(what)

    def keep_text(self, key: MessageKey, what: str, value: str) -> None:
        """Keep a search text of a message (within the text budget)."""
        cost = sys.getsizeof(value) + _TEXT_OVERHEAD
        if cost > self.max_text_bytes:
            return
        with self.lock:
            entry = self._texts.get(key)
            if entry is None:
                entry = self._texts[key] = {}
            else:
                self._texts.move_to_end(key)
            if what in entry:
                return
            entry[what] = value
            self._text_bytes += cost
            while self._text_bytes > self.max_text_bytes:
                _, old = self._texts.popitem(last=False)
                self._text_bytes -= sum(
                    sys.getsizeof(text) + _TEXT_OVERHEAD for text in old.values()
                )
