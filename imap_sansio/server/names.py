"""Mailbox names: the one place that knows their rules (RFC 3501 5.1).

Names are ``str`` (the grammar has decoded modified UTF-7, or UTF-8 after
``ENABLE UTF8=ACCEPT``) with the hierarchy delimiter :data:`DELIMITER`.  The
server normalises every name a client sends with :func:`normalize` before it
reaches a backend, and checks the names it brings into being (CREATE, the
target of RENAME, SUBSCRIBE) with :func:`name_error`.  A backend therefore
receives names that are normalised; it may use :func:`levels`,
:func:`superiors` and :func:`is_inferior` to map them onto its storage.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = [
    "DELIMITER",
    "INBOX",
    "is_inferior",
    "levels",
    "name_error",
    "normalize",
    "rename_map",
    "superiors",
]

#: The hierarchy delimiter (RFC 3501 6.3.8 reports it in every LIST response).
DELIMITER = "/"

#: The one name that is case-insensitive (RFC 3501 5.1).
INBOX = "INBOX"


def normalize(name: str) -> str:
    """Spell the INBOX root in upper case (RFC 3501 5.1: INBOX is case-insensitive).

    ``"inbox"`` -> ``"INBOX"``, ``"Inbox/Sub"`` -> ``"INBOX/Sub"``; every other
    name is case-sensitive.  A name that is not ASCII is brought to Unicode
    Normalization Form C (RFC 9051 5.1, RFC 5198 2: SELECT of a denormalized
    UTF-8 name opens the mailbox CREATE made of it), whether it came as UTF-8
    or modified UTF-7.
    """
    if not name.isascii():
        name = unicodedata.normalize("NFC", name)
    head, sep, rest = name.partition(DELIMITER)
    if head != INBOX and head.upper() == INBOX:
        return INBOX + sep + rest
    return name


def _not_net_unicode(char: str) -> bool:
    # RFC 6855 3: no C1 controls (U+0080-U+009F), LINE SEPARATOR or
    # PARAGRAPH SEPARATOR either; their encodings are valid UTF-8.
    return 0x80 <= ord(char) <= 0x9F or char in "\u2028\u2029"


def name_error(name: str, *, for_create: bool = False) -> str | None:
    """Why ``name`` cannot name a mailbox, or None if it can.

    Refused: the empty name, a delimiter at the start or end or doubled (an
    empty level of hierarchy), control characters (NUL, CR, LF, ..., and
    RFC 6855 3's C1 controls and line and paragraph separators), and
    for CREATE/RENAME targets the LIST wildcards ``%`` and ``*`` (RFC 3501
    5.1: they would make the mailbox impossible to LIST alone).  CREATE's
    trailing delimiter (RFC 3501 6.3.3) is stripped before checking.
    """
    if not name:
        return "Empty mailbox name"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name) or (
        not name.isascii() and any(_not_net_unicode(c) for c in name)
    ):
        return "Mailbox name contains control characters"
    if name.startswith(DELIMITER) or name.endswith(DELIMITER) or DELIMITER * 2 in name:
        return "Mailbox name has an empty level of hierarchy"
    if for_create and ("%" in name or "*" in name):
        return "Mailbox name contains a wildcard"
    return None


def levels(name: str) -> list[str]:
    """The levels of hierarchy of ``name``: ``a/b/c`` -> ``[a, b, c]``."""
    return name.split(DELIMITER)


def superiors(name: str) -> list[str]:
    """The superior names of ``name``, outermost first: ``a/b/c`` -> ``[a, a/b]``."""
    parts = name.split(DELIMITER)
    return [DELIMITER.join(parts[:i]) for i in range(1, len(parts))]


def is_inferior(name: str, of: str) -> bool:
    """True when ``name`` lies strictly below ``of`` in the hierarchy."""
    return name.startswith(of + DELIMITER)


def rename_map(existing: Iterable[str], old: str, new: str) -> dict[str, str]:
    """RENAME ``old`` to ``new``: every name of the subtree, mapped to its new name.

    RFC 3501 6.3.5: the inferior hierarchical names of ``old`` are renamed
    too (``old/x`` -> ``new/x``).  ``old`` itself comes first.
    """
    moving = {old: new}
    for name in existing:
        if is_inferior(name, old):
            moving[name] = new + name[len(old) :]
    return moving
