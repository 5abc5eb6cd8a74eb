"""The annotations of one mailbox or of the server, as the stores keep them.

A :data:`MetadataTable` maps an owner to that owner's entries: ``""`` owns
the ``/shared`` entries, a user name that user's ``/private`` ones (RFC 5464
3.3), so a mailbox another user can see shows that user its shared entries
and only their own private ones.  MemoryBackend keeps one per mailbox (and
one for the server); MaildirBackend writes the same shape to a file.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._frozen import dataclass
from ._backend import ChangeNotice, ImapNo

__all__ = [
    "MetadataLimits",
    "MetadataTable",
    "apply_metadata",
    "metadata_notice",
    "visible_metadata",
]


@dataclass(frozen=True, slots=True)
class MetadataLimits:
    """What SETMETADATA accepts: the largest value in octets and the most
    entries one user sees on a mailbox (or on the server).  RFC 5464 4.1: at
    least 1024 octets and 10 entries."""

    max_size: int = 64 * 1024
    max_entries: int = 100

    def __post_init__(self) -> None:
        if self.max_size < 1024 or self.max_entries < 10:
            raise ValueError("RFC 5464 4.1: at least 1024 octets and 10 entries")


#: owner ("" for shared entries, else a user name) -> entry name -> value
MetadataTable = dict[str, dict[str, bytes]]


def _owner(entry: str, user: str) -> str:
    return user if entry.startswith("/private/") else ""


def visible_metadata(table: Mapping[str, Mapping[str, bytes]], user: str) -> dict[str, bytes]:
    """The entries ``user`` sees: the shared ones and their own private ones."""
    return {**table.get("", {}), **table.get(user, {})}


def apply_metadata(
    table: MetadataTable, user: str, entries: Mapping[str, bytes | None], *, max_entries: int
) -> tuple[str, ...]:
    """Set or remove (None) ``entries`` for ``user``, all or none; the
    entries whose value changed, in the order given (empty: nothing changed).

    ``NO [METADATA TOOMANY]`` (RFC 5464 4.3), with ``table`` untouched, when
    the change adds entries and leaves more than ``max_entries`` visible.
    """
    owners = {_owner(entry, user) for entry in entries}
    new = {owner: dict(table.get(owner, {})) for owner in owners}
    for entry, value in entries.items():
        bucket = new[_owner(entry, user)]
        if value is None:
            bucket.pop(entry, None)
        else:
            bucket[entry] = value
    before = len(visible_metadata(table, user))
    after = len(visible_metadata({**table, **new}, user))
    if after > before and after > max_entries:
        raise ImapNo(f"At most {max_entries} annotations", "METADATA TOOMANY")
    changed = tuple(
        entry
        for entry in entries
        if new[_owner(entry, user)].get(entry) != table.get(_owner(entry, user), {}).get(entry)
    )
    for owner, bucket in new.items():
        if bucket:
            table[owner] = bucket
        else:
            table.pop(owner, None)
    return changed


def metadata_notice(
    owner: str, mailbox: str, user: str, changed: tuple[str, ...]
) -> ChangeNotice | None:
    """The notice of annotations ``user`` changed on ``mailbox`` ("": the
    server's) of ``owner``'s account (see :class:`ChangeNotice`); None when
    nothing changed."""
    if not changed:
        return None
    if mailbox == "":
        return ChangeNotice(username=user, mailbox="", metadata=changed)
    private_to = user if user != owner else None
    return ChangeNotice(username=owner, mailbox=mailbox, metadata=changed, private_to=private_to)
