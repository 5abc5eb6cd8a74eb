"""The server's cache of parsed messages: bounded, keyed by what never changes."""

from __future__ import annotations

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
    two = 2 * MessageCache.cost(30)  # room for two 30-octet messages
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
