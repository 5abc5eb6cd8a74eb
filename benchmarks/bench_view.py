"""The selected-mailbox view: many messages, half expunged at once.

Cost per message at three sizes 10x apart (10k, 100k, 1M; quick: up to 100k):
build the view, expunge every other message, drain the EXPUNGE responses,
one expunge at a time in a mailbox that keeps its size, resolve ``1:*`` to a
list of UIDs (O(messages): the list is the answer), and
resolve ``1:*`` to a UID set, as the engine does for every command (per range
of UIDs: the mailbox has one gap every 1,000 messages).
"""

from __future__ import annotations

from collections.abc import Callable

from imap_sansio._encoder import encode_response
from imap_sansio._sequence import STAR, SequenceSet
from imap_sansio._view import SelectedMailboxView

from ._harness import Result, measure

__all__ = ["run"]


def _expunge_half(count: int) -> Callable[[], object]:
    uids = list(range(1, count + 1))
    gone = uids[::2]

    def run() -> object:
        view = SelectedMailboxView(uids=uids, uidvalidity=1, uidnext=count + 1)
        view.expunge(gone)
        out = b"".join(encode_response(r) for r in view.drain(allow_expunge=True))
        assert view.exists == count - len(gone)
        return out

    return run


def _expunge_one(count: int) -> Callable[[], object]:
    """100 single expunges, each drained: the cost a busy mailbox pays per
    change (O(log n) each, not O(messages))."""
    view = SelectedMailboxView(uids=range(1, count + 1), uidvalidity=1, uidnext=count + 1)
    next_uid = [count + 1]

    def run() -> object:
        out = []
        for _ in range(100):
            view.expunge([view.uid_of(view.exists // 2)])
            view.add_messages([next_uid[0]])  # keep the size
            next_uid[0] += 1
            out.extend(view.drain(allow_expunge=True))
        return out

    return run


def _resolve_all(count: int) -> Callable[[], object]:
    view = SelectedMailboxView(uids=range(1, count + 1), uidvalidity=1, uidnext=count + 1)
    everything = SequenceSet.from_ranges((1, STAR))

    def run() -> object:
        return view.resolve(everything)

    return run


def _resolve_set(count: int) -> Callable[[], object]:
    uids = [uid for uid in range(1, count + count // 1000 + 1) if uid % 1001]
    view = SelectedMailboxView(uids=uids, uidvalidity=1, uidnext=uids[-1] + 1)
    everything = SequenceSet.from_ranges((1, STAR))

    def run() -> object:
        return view.resolve_set(everything)

    return run


def run(quick: bool = False) -> list[Result]:
    sizes = (1_000, 10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    repeat = 3 if quick else 5
    results = []
    for count in sizes:
        result = measure(
            f"view: {count:,} messages, half expunged at once",
            _expunge_half(count),
            repeat=repeat,
            units=count,
            unit="message",
        )
        result.extra.update(size=count, series="view: expunge half")
        results.append(result)
    for count in sizes:
        result = measure(
            f"view: resolve 1:* over {count:,} messages",
            _resolve_all(count),
            repeat=repeat,
            units=count,
            unit="message",
        )
        result.extra.update(size=count, series="view: resolve 1:*")
        results.append(result)
    for count in sizes:
        result = measure(
            f"view: one expunge and one new message in {count:,} messages, 100 times",
            _expunge_one(count),
            repeat=repeat,
            units=100,
            unit="change",
        )
        result.extra.update(size=count, series="view: one expunge and drain")
        results.append(result)
    for count in sizes:
        result = measure(
            f"view: 1:* to a UID set over {count:,} messages",
            _resolve_set(count),
            repeat=repeat,
            units=count,
            unit="message",
        )
        result.extra.update(size=count, series="view: 1:* to a UID set")
        results.append(result)
    return results
