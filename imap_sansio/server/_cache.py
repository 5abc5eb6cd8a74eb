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

# What a kept message holds besides its bytes, measured with tracemalloc
# (the test of the cache compares the estimate with it, hostile shapes
# included): per message the Message, its key and slot, and the ENVELOPE
# kept after a FETCH (about 700 bytes for an ordinary header; one of more
# than 16 addresses is not kept); per MIME part its MessagePart, Header and
# kept BODYSTRUCTURE; per header field its name and three offsets.
_PER_MESSAGE = 1024
_PER_PART = 768
_PER_FIELD = 136
#: A search text's entry beyond the string itself: its key and slot.
_TEXT_OVERHEAD = 160


class MessageCache:
    """Parsed messages by :data:`MessageKey`, least recently used out, and
    beside them the case-folded texts SEARCH compares with.

    A message never changes under its UID (RFC 3501 2.3.1.1), so its parsed
    MIME tree and its search texts can serve every command and every
    session until memory bounds push them out.  Both parts are bounded by
    the memory they hold, not by a count: a message is parsed when it is
    loaded and charged its bytes plus what its tree, envelope and body
    structure hold (:meth:`cost`: between 0.75 and 1.5 times what
    tracemalloc measures, hostile shapes such as thousands of header fields
    included); a text, its string plus its entry.  The texts are kept apart from the
    parsed messages because they are far smaller: a search over a big
    mailbox reads them again without re-parsing anything, and SEARCH TEXT
    stays as cheap per message at 100,000 messages as at 1,000.
    ``max_messages`` (None: no limit) bounds the parsed messages by count
    as well.

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
        max_bytes: int = 16 * 1024 * 1024,
        max_text_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.max_text_bytes = max_text_bytes
        self.lock: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
        self._entries: OrderedDict[MessageKey, Message] = OrderedDict()
        self._bytes = 0
        # One string per (message, text name), under a flat key: tuples of
        # strings and numbers and the strings themselves are not tracked by
        # the garbage collector, so tens of thousands of texts add nothing
        # to a full collection's pause (a dict per message would cost
        # another 170 bytes each).
        self._texts: OrderedDict[tuple[str, str, int, int, str], str] = OrderedDict()
        self._text_bytes = 0

    @staticmethod
    def cost(message: Message) -> int:
        """What ``message`` is charged against ``max_bytes``: an estimate of
        the memory it holds once parsed (it is parsed here if it was not)."""
        parts = fields = 0
        for part in message.root.walk():
            parts += 1
            fields += len(part.header.names)
        return sys.getsizeof(message.data) + _PER_MESSAGE + parts * _PER_PART + fields * _PER_FIELD

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
        cost = self.cost(message)
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
                self._bytes -= self.cost(old)
        return message

    def text(self, key: MessageKey, what: str) -> str | None:
        """The search text ``what`` of a message, if it is kept."""
        return self.text_of((*key, what))

    def text_of(self, entry: tuple[str, str, int, int, str]) -> str | None:
        """:meth:`text` by the key with the text's name at its end (a search
        builds it once per message)."""
        with self.lock:
            value = self._texts.get(entry)
            if value is not None:
                self._texts.move_to_end(entry)
            return value

    def keep_text(self, key: MessageKey, what: str, value: str) -> None:
        """Keep a search text of a message (within the text budget)."""
        cost = sys.getsizeof(value) + _TEXT_OVERHEAD
        if cost > self.max_text_bytes:
            return
        entry = (*key, what)
        with self.lock:
            if entry in self._texts:
                self._texts.move_to_end(entry)
                return
            self._texts[entry] = value
            self._text_bytes += cost
            while self._text_bytes > self.max_text_bytes:
                _, old = self._texts.popitem(last=False)
                self._text_bytes -= sys.getsizeof(old) + _TEXT_OVERHEAD
