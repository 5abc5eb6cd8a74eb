"""SORT keys (RFC 5256 3, RFC 5957) and the sort itself, for SORT, THREAD
and the UPDATE contexts of SORT.

* SORT strings use i;unicode-casemap (RFC 5051: titlecase, then NFKD), as
  RFC 5256 7 suggests.
* SORT FROM/TO/CC and DISPLAYFROM/DISPLAYTO take the first ENVELOPE address
  even when it starts a group (its name is the group's), as the imaptest
  ``sort-addresses`` and ``sort-display-to`` scripts expect.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Generator, Sequence
from datetime import datetime
from typing import Any

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

__all__ = ["casemap", "sent_key", "sort_function", "sort_items", "sort_steps", "subject_key"]

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
    tie-break: successive stable sorts, last criterion first (Python keeps
    equal elements in order also with ``reverse=True``).  The keys (which
    parse the messages) are computed first, :data:`SEARCH_STEP` messages a
    step, so a big SORT lets the adapter serve other sessions in between.
    """
    functions = [(sort_function(k), k.reverse) for k in keys]
    keyed: list[tuple[Item, list[Any]]] = []
    for start in range(0, len(items), SEARCH_STEP):
        if start:
            yield
        for item in items[start : start + SEARCH_STEP]:
            keyed.append((item, [function(item) for function, _ in functions]))
            item.release()  # the keys are all the sort needs
    keyed.sort(key=lambda pair: pair[0].seq)
    for index in reversed(range(len(functions))):
        keyed.sort(key=lambda pair: pair[1][index], reverse=functions[index][1])
    return [item for item, _ in keyed]
