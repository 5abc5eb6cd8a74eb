"""The server's cache of parsed messages: bounded, keyed by what never changes."""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable

import pytest

from imap_sansio.mime import Message
from imap_sansio.server._cache import MessageCache


def test_cache_loads_once_and_evicts_the_least_recently_used() -> None:
    cache = MessageCache(max_messages=2)
    loads: list[int] = []

    def loader(uid: int) -> object:
        def load() -> bytes:
            loads.append(uid)
            return b"Subject: %d\r\n\r\nbody\r\n" % uid

        return load

    first = cache.get(("u", "INBOX", 1, 1), loader(1))  # type: ignore[arg-type]
    assert cache.get(("u", "INBOX", 1, 1), loader(1)) is first  # type: ignore[arg-type]
    cache.get(("u", "INBOX", 1, 2), loader(2))  # type: ignore[arg-type]
    cache.get(("u", "INBOX", 1, 1), loader(1))  # type: ignore[arg-type]  # 1 is now newest
    cache.get(("u", "INBOX", 1, 3), loader(3))  # type: ignore[arg-type]  # evicts 2
    cache.get(("u", "INBOX", 1, 2), loader(2))  # type: ignore[arg-type]
    assert loads == [1, 2, 3, 2]


def test_cache_is_bounded_by_bytes_and_skips_gone_messages() -> None:
    two = 2 * MessageCache.cost(Message(b"y" * 30))  # room for two 30-octet messages
    cache = MessageCache(max_bytes=two)
    assert cache.get(("u", "INBOX", 1, 9), lambda: None) is None
    big = cache.get(("u", "INBOX", 1, 1), lambda: b"x" * two)
    assert big is not None and big.size == two  # served, not kept
    cache.get(("u", "INBOX", 1, 2), lambda: b"y" * 30)
    cache.get(("u", "INBOX", 1, 3), lambda: b"z" * 30)
    cache.get(("u", "INBOX", 1, 4), lambda: b"w" * 30)  # a third: evicts uid 2
    reloaded: list[bytes] = []
    cache.get(("u", "INBOX", 1, 3), lambda: reloaded.append(b"3") or b"z" * 30)  # type: ignore[func-returns-value]
    cache.get(("u", "INBOX", 1, 2), lambda: reloaded.append(b"2") or b"y" * 30)  # type: ignore[func-returns-value]
    assert reloaded == [b"2"]


def test_search_texts_are_kept_beside_the_messages_within_their_own_budget() -> None:
    cache = MessageCache(max_text_bytes=1000)
    key = ("u", "INBOX", 1, 1)
    assert cache.text(key, "TEXT") is None
    cache.keep_text(key, "TEXT", "hello")
    cache.keep_text(key, "SUBJECT", "hi")
    assert (cache.text(key, "TEXT"), cache.text(key, "SUBJECT")) == ("hello", "hi")
    for uid in range(2, 10):  # more than 1000 bytes of texts: the oldest go
        cache.keep_text(("u", "INBOX", 1, uid), "TEXT", "x" * 100)
    assert cache.text(key, "TEXT") is None
    assert cache.text(("u", "INBOX", 1, 9), "TEXT") == "x" * 100
    cache.keep_text(key, "TEXT", "y" * 2000)  # bigger than the budget: not kept
    assert cache.text(key, "TEXT") is None


def test_a_new_uidvalidity_is_a_different_message() -> None:
    cache = MessageCache()
    old = cache.get(("u", "INBOX", 1, 1), lambda: b"Subject: old\r\n\r\n")
    new = cache.get(("u", "INBOX", 2, 1), lambda: b"Subject: new\r\n\r\n")
    assert old is not new and new is not None and new.size == len(b"Subject: new\r\n\r\n")


def _plain(n: int) -> bytes:
    return (
        b"From: Sender %d <s%d@example.org>\r\nTo: r@example.net\r\n"
        b"Subject: message %d\r\nMessage-ID: <%d@example.org>\r\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n" % (n, n, n, n)
    ) + b"a line of body text\r\n" * 20


def _alternative(n: int) -> bytes:
    return (
        b"Received: from mx.example.net\r\n"
        b"\tby mail.example.org; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        b"From: News <news@example.net>\r\nTo: r%d@example.org, s@example.org\r\n"
        b"Subject: =?UTF-8?Q?issue_%d?=\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        % (n, n)
        + b"news =C3=A9\r\n" * 50
        + b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + b"<p>news</p>\r\n" * 50
        + b"--b--\r\n"
    )


def _many_fields(n: int) -> bytes:
    return b"".join(b"X-F%d: v\r\n" % i for i in range(5000)) + b"Subject: %d\r\n\r\nx\r\n" % n


def _many_parts(n: int) -> bytes:
    part = b"--x\r\nContent-Type: text/plain\r\n\r\npart\r\n"
    return b"Subject: %d\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" % n + (
        part * 500 + b"--x--\r\n"
    )


def _many_addresses(n: int) -> bytes:
    to = b", ".join(b"user%d@example.org" % i for i in range(1000))
    return b"To: " + to + b"\r\nSubject: %d\r\n\r\nx\r\n" % n


@pytest.mark.parametrize(
    ("make", "count"),
    [(_plain, 40), (_alternative, 40), (_many_fields, 2), (_many_parts, 2), (_many_addresses, 2)],
)
def test_a_kept_message_is_charged_about_what_it_holds(
    make: Callable[[int], bytes], count: int
) -> None:
    # The budget bounds memory only if the charge is what a parsed message
    # really holds once FETCH asked for its envelope and body structure:
    # hostile shapes (thousands of fields, parts or addresses) included.
    cache = MessageCache(max_bytes=1 << 40)
    stored = [make(n) for n in range(count)]

    def fresh_copy(n: int) -> Callable[[], bytes]:
        # The bytes as a store on disk hands them out: a copy of their own.
        return lambda: bytes(bytearray(stored[n]))

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(count):
            message = cache.get(("u", "INBOX", 1, 1000 + n), fresh_copy(n))
            assert message is not None
            assert message.envelope.subject is not None
            assert message.bodystructure is not None
        del message
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(cache._entries) == count
    assert 0.75 * held < cache._bytes < 1.5 * held


def test_an_envelope_of_many_addresses_is_not_kept_on_its_message() -> None:
    def envelope_kept(addresses: int) -> bool:
        to = b", ".join(b"u%d@example.org" % i for i in range(addresses - 1))
        message = Message(b"From: a@example.org\r\nTo: " + to + b"\r\n\r\nx\r\n")
        return message.envelope is message.envelope

    assert envelope_kept(16)
    assert not envelope_kept(17)


def test_search_texts_are_charged_about_what_they_hold() -> None:
    cache = MessageCache(max_text_bytes=1 << 40)
    texts = [f"subject: message {n}\nhello.\n" for n in range(5000)]
    uids = list(range(1000, 6000))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for uid, text in zip(uids, texts, strict=True):
            cache.keep_text(("u", "INBOX", 1, uid), "TEXT", text)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    held += sum(map(sys.getsizeof, texts))  # the strings were made before
    assert 0.75 * held < cache._text_bytes < 1.5 * held
