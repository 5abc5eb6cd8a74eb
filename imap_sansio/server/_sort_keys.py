"""SORT keys (RFC 5256 3, RFC 5957) and the sort itself, for SORT, THREAD
and the UPDATE contexts of SORT.

* SORT strings use i;unicode-casemap (RFC 5051: titlecase, then NFKD), as
  RFC 5256 7 suggests.
* SORT FROM/TO/CC and DISPLAYFROM/DISPLAYTO take the first ENVELOPE address
  even when it starts a group (its name is the group's), as the imaptest
  ``sort-addresses`` and ``sort-display-to`` scripts expect.
"""

from __future__ import annotations

import heapq
import unicodedata
from collections.abc import Callable, Generator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from .._bodystructure import Address
from .._commands import (
    SortKey,
)
from ..mime import (
    base_subject,
    decode_header_value,
    sent_datetime,
    subject,
)
from ._backend import ImapBad
from ._search import SEARCH_STEP, Item, drain

__all__ = [
    "casemap",
    "sent_key",
    "sort_function",
    "sort_items",
    "sort_steps",
    "sorted_steps",
    "subject_key",
]

# ---------------------------------------------------------------------------
# SORT (RFC 5256 3, RFC 5957)


def casemap(value: str) -> str:
    """The i;unicode-casemap key (RFC 5051 2): titlecase each character, then NFKD."""
    return unicodedata.normalize("NFKD", "".join(c.title() for c in value))


def _first_address(addresses: tuple[Address, ...] | None) -> Address | None:
    # The first address of the ENVELOPE field, a group start included (its
    # addr-mailbox is the group name), as Dovecot's imaptest scripts expect.
    return addresses[0] if addresses else None


def _decode(value: bytes | None) -> str:
    return decode_header_value(value) if value else ""


def _envelope_addresses(item: Item, field: str) -> tuple[Address, ...] | None:
    envelope = item.message.envelope
    if field == "FROM":
        return envelope.from_
    if field == "TO":
        return envelope.to
    return envelope.cc


def _mailbox_key(item: Item, field: str) -> str:
    # RFC 5256 3: the addr-mailbox of the first address; absent = "".
    address = _first_address(_envelope_addresses(item, field))
    if address is None or address.mailbox is None:
        return ""
    return casemap(address.mailbox.decode("utf-8", "replace"))


def _display_key(item: Item, field: str) -> str:
    # RFC 5957 3: the (decoded) display name of the first address if it has
    # one, else its addr-spec (a group's name for a group); "" when there is
    # no address.
    address = _first_address(_envelope_addresses(item, field))
    if address is None:
        return ""
    name = _decode(address.name).strip()
    if not name and address.host is None:
        name = (address.mailbox or b"").decode("utf-8", "replace")
    if not name:
        mailbox = (address.mailbox or b"").decode("utf-8", "replace")
        host = (address.host or b"").decode("utf-8", "replace")
        name = f"{mailbox}@{host}" if host else mailbox
    return casemap(name)


def _arrival(item: Item) -> datetime:
    return item.info.internal_date


def sent_key(item: Item) -> datetime:
    # RFC 5256 2.2: the Date: header normalised to UTC; the internal date
    # when it is missing or unreadable.
    value: datetime | None = item.memo.get("sent")
    if value is None:
        value = sent_datetime(item.message) or item.info.internal_date
        item.memo["sent"] = value
    return value


def subject_key(item: Item) -> str:
    # RFC 5256 2.1 base subject, compared with i;unicode-casemap.
    value: str | None = item.memo.get("subject")
    if value is None:
        value = item.memo["subject"] = casemap(base_subject(subject(item.message)))
    return value


def sort_function(key: SortKey) -> Callable[[Item], Any]:
    name = key.key
    if name == "ARRIVAL":
        return _arrival
    if name == "DATE":
        return sent_key
    if name == "SIZE":
        return lambda item: item.info.size
    if name == "SUBJECT":
        return subject_key
    if name in ("FROM", "TO", "CC"):
        return lambda item: _mailbox_key(item, name)
    if name in ("DISPLAYFROM", "DISPLAYTO"):
        field = name.removeprefix("DISPLAY")
        return lambda item: _display_key(item, field)
    raise ImapBad(f"Sort criterion {name} is not supported", "CLIENTBUG")


def sort_items(items: list[Item], keys: Sequence[SortKey]) -> list[Item]:
    """:func:`sort_steps` run to the end at once."""
    return drain(sort_steps(items, keys))


def sort_steps(items: list[Item], keys: Sequence[SortKey]) -> Generator[None, None, list[Item]]:
    """RFC 5256 3: by each criterion in priority order, then by sequence number.

    REVERSE reverses its criterion only, never the implicit sequence-number
    tie-break.  The keys (which parse the messages) are computed first,
    :data:`SEARCH_STEP` messages a step, then sorted by :func:`sorted_steps`,
    so a big SORT lets the adapter serve other sessions in between.
    """
    functions = [(sort_function(k), k.reverse) for k in keys]
    keyed: list[tuple[tuple[Any, ...], Item]] = []
    for start in range(0, len(items), SEARCH_STEP):
        if start:
            yield
        for item in items[start : start + SEARCH_STEP]:
            key = tuple(
                _Reversed(function(item)) if reverse else function(item)
                for function, reverse in functions
            )
            keyed.append(((*key, item.seq), item))
            item.release()  # the keys are all the sort needs
    ordered = yield from sorted_steps(keyed, _first)
    return [item for _, item in ordered]


def _first(pair: tuple[tuple[Any, ...], Item]) -> tuple[Any, ...]:
    return pair[0]


class _Reversed:
    """A sort key that orders the other way (a criterion with REVERSE)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.value == other.value)

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)

    __hash__ = None  # type: ignore[assignment]


_T = TypeVar("_T")
#: Items :func:`sorted_steps` sorts (or merges) per step.
SORT_CHUNK = 1024


def sorted_steps(items: Sequence[_T], key: Callable[[_T], Any]) -> Generator[None, None, list[_T]]:
    """``sorted(items, key=key)``, stable, in steps of :data:`SORT_CHUNK` items.

    One ``list.sort`` of 100,000 keys holds the server for tens of
    milliseconds; here each chunk is sorted in a step of its own and the
    sorted runs are merged a chunk of items per step.  The position breaks
    ties, so the merge is stable and never compares the items themselves.
    """
    if len(items) <= SORT_CHUNK:
        return sorted(items, key=key)
    runs: list[list[tuple[Any, int, _T]]] = []
    for start in range(0, len(items), SORT_CHUNK):
        yield
        run = [
            (key(item), index, item)
            for index, item in enumerate(items[start : start + SORT_CHUNK], start)
        ]
        run.sort(key=_key_and_position)
        runs.append(run)
    ordered: list[_T] = []
    for count, entry in enumerate(heapq.merge(*runs, key=_key_and_position), 1):
        ordered.append(entry[2])
        if count % SORT_CHUNK == 0:
            yield
    return ordered


def _key_and_position(entry: tuple[Any, int, Any]) -> tuple[Any, int]:
    return entry[0], entry[1]
