"""The server's cache of parsed messages: bounded, keyed by what never changes."""

from __future__ import annotations

from imap_sansio.server._cache import MessageCache


def test_cache_loads_once_and_evicts_the_least_recently_used() -> None:
    cache = MessageCache(max_messages=2, max_bytes=1000)
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
    cache = MessageCache(max_messages=100, max_bytes=50)
    assert cache.get(("u", "INBOX", 1, 9), lambda: None) is None
    big = cache.get(("u", "INBOX", 1, 1), lambda: b"x" * 60)
    assert big is not None and big.size == 60  # served, not kept
    cache.get(("u", "INBOX", 1, 2), lambda: b"y" * 30)
    cache.get(("u", "INBOX", 1, 3), lambda: b"z" * 30)  # 60 bytes: evicts uid 2
    reloaded: list[bytes] = []
    cache.get(("u", "INBOX", 1, 2), lambda: reloaded.append(b"2") or b"y" * 30)  # type: ignore[func-returns-value]
    assert reloaded == [b"2"]


def test_a_new_uidvalidity_is_a_different_message() -> None:
    cache = MessageCache()
    old = cache.get(("u", "INBOX", 1, 1), lambda: b"Subject: old\r\n\r\n")
    new = cache.get(("u", "INBOX", 2, 1), lambda: b"Subject: new\r\n\r\n")
    assert old is not new and new is not None and new.size == len(b"Subject: new\r\n\r\n")
