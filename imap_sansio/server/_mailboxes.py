"""LIST and LSUB: pattern matching and the attributes of each name.

The hierarchy delimiter is ``"/"``.  Names are ``str`` (decoded from modified
UTF-7 by the grammar).  Nothing here knows about a store: LIST and LSUB take
the set of names an :class:`~imap_sansio.server._backend.Account` reports.

Pattern matching (RFC 3501 6.3.8): ``*`` matches zero or more characters,
``%`` the same except the delimiter.  A pattern is compiled into a small
non-deterministic automaton and run over the name by state-set simulation,
which costs at most ``len(name) * len(pattern)`` steps whatever the pattern:
backtracking regexes take polynomial or exponential time on patterns such as
``*a*a*a*a*b`` (``re`` has no linear-time mode), so they are not used.
Runs of adjacent wildcards are collapsed first (``*%*`` is ``*``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Sequence

from imap_sansio._frozen import dataclass
from imap_sansio.server._backend import MailboxInfo
from imap_sansio.server.names import DELIMITER, superiors

__all__ = [
    "ListEntry",
    "ListPattern",
    "canonical_pattern",
    "list_entries",
    "lsub_entries",
]

_STAR = -1
_PERCENT = -2


def canonical_pattern(reference: str, pattern: str) -> str:
    """Interpret a LIST reference and mailbox pattern (RFC 3501 6.3.8).

    With no break-out characters (we have no namespaces beyond the personal
    one), "the canonical form is normally the reference name appended with
    the mailbox name": ``("archive/", "%")`` -> ``"archive/%"``.  Names are
    kept in Unicode Normalization Form C (:func:`names.normalize`), so a
    pattern is brought to it too.
    """
    pattern = reference + pattern
    return pattern if pattern.isascii() else unicodedata.normalize("NFC", pattern)


class ListPattern:
    """A compiled LIST pattern; :meth:`match` runs in O(len(name) * len(pattern))."""

    __slots__ = ("_inbox_tokens", "_tokens", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._tokens = _compile(pattern)
        # RFC 3501 6.3.8: INBOX is listed if "the uppercase string INBOX"
        # matches.  Names rooted at INBOX are matched against the pattern
        # whose literal prefix (up to five characters, before any wildcard)
        # is upper-cased when it spells the start of INBOX in any case, so
        # LIST "" inbox, "Inbox/%" and "in*" find INBOX while the rest of
        # the name stays case-sensitive.
        prefix_len = 0
        while prefix_len < min(5, len(pattern)) and pattern[prefix_len] not in "*%":
            prefix_len += 1
        if pattern[:prefix_len].upper() == "INBOX"[:prefix_len]:
            self._inbox_tokens = _compile("INBOX"[:prefix_len] + pattern[prefix_len:])
        else:
            self._inbox_tokens = self._tokens

    def __repr__(self) -> str:
        return f"ListPattern({self.pattern!r})"

    def match(self, name: str) -> bool:
        if name == "INBOX" or name.startswith("INBOX" + DELIMITER):
            return _run(self._inbox_tokens, name)
        return _run(self._tokens, name)


def _compile(pattern: str) -> tuple[int, ...]:
    """Tokens: code points for literals, _STAR, _PERCENT; wildcard runs collapsed."""
    tokens: list[int] = []
    for char in pattern:
        if char in "*%":
            token = _STAR if char == "*" else _PERCENT
            if tokens and tokens[-1] < 0:
                # "*%", "%*", "**" all match what "*" matches; "%%" is "%".
                tokens[-1] = _STAR if _STAR in (token, tokens[-1]) else _PERCENT
            else:
                tokens.append(token)
        else:
            tokens.append(ord(char))
    return tuple(tokens)


def _run(tokens: tuple[int, ...], name: str) -> bool:
    end = len(tokens)
    if not any(t < 0 for t in tokens):  # no wildcard: plain comparison
        return len(name) == end and all(ord(c) == t for c, t in zip(name, tokens, strict=False))

    def closure(states: Iterable[int]) -> set[int]:
        # A wildcard may match nothing, so being before it is also being after it
        # (runs are collapsed, so one step suffices).
        result = set(states)
        for state in list(result):
            if state < end and tokens[state] < 0:
                result.add(state + 1)
        return result

    delimiter = ord(DELIMITER)
    states = closure((0,))
    for char in name:
        code = ord(char)
        step: set[int] = set()
        for state in states:
            if state == end:
                continue
            token = tokens[state]
            if token == _STAR or (token == _PERCENT and code != delimiter):
                step.add(state)
            elif token == code:
                step.add(state + 1)
        if not step:
            return False
        states = closure(step)
    return end in states


@dataclass(frozen=True, slots=True, kw_only=True)
class ListEntry:
    """One LIST/LSUB response: ``* LIST (attributes) "/" name [extended data]``.

    ``child_info`` is the CHILDINFO extended data item (RFC 5258 3.5), e.g.
    ``("SUBSCRIBED",)``, empty when absent.
    """

    name: str
    attributes: tuple[str, ...]
    child_info: tuple[str, ...] = ()


def _order(names: Iterable[str]) -> list[str]:
    """INBOX first, then by name (parents precede their children)."""
    return sorted(names, key=lambda n: (n != "INBOX" and not n.startswith("INBOX/"), n))


def list_entries(
    mailboxes: Iterable[MailboxInfo],
    reference: str,
    patterns: Sequence[str],
    *,
    subscriptions: Collection[str] = frozenset(),
    extended: bool = False,
    select_subscribed: bool = False,
    select_special_use: bool = False,
    recursive_match: bool = False,
    return_subscribed: bool = False,
    return_children: bool = True,
    return_special_use: bool = True,
) -> list[ListEntry]:
    """The LIST responses for ``reference`` and one or more ``patterns``.

    RFC 3501 6.3.8 for the base command; RFC 5258 (LIST-EXTENDED) for the
    selection options (``select_subscribed``, ``recursive_match``) and return
    options; RFC 6154 for special-use.  ``extended`` says the client used the
    extended syntax, which decides between ``\\NonExistent`` (RFC 5258) and
    ``\\Noselect`` for hierarchy levels that do not exist.

    An empty single pattern asks for the delimiter and root (RFC 3501 6.3.8):
    the answer is one ``(\\Noselect) "/" ""`` entry.
    """
    if list(patterns) == [""]:
        return [ListEntry(name="", attributes=("\\Noselect",))]
    compiled = [ListPattern(canonical_pattern(reference, p)) for p in patterns if p]

    def matches(name: str) -> bool:
        return any(p.match(name) for p in compiled)

    infos = {info.name: info for info in mailboxes}
    subscribed = frozenset(subscriptions)
    has_children: set[str] = set()
    for name in infos:
        has_children.update(superiors(name))

    # The names that meet the selection criteria (RFC 5258 3.3).
    selected = set(subscribed) if select_subscribed else set(infos)
    if select_special_use:
        selected = {n for n in selected if n in infos and infos[n].special_use}

    results: dict[str, ListEntry] = {}
    child_info: dict[str, tuple[str, ...]] = {}
    if select_subscribed and recursive_match:
        # RFC 5258 3.5: CHILDINFO on a name with a descendant that meets the
        # criteria but does not itself match the pattern.
        criteria = ("SUBSCRIBED",)
        for name in selected:
            if matches(name):
                continue
            for parent in superiors(name):
                if matches(parent):
                    child_info[parent] = criteria
    elif not select_subscribed:
        # RFC 3501 6.3.8: a level of hierarchy that matches while a name
        # under it does not is returned too (as \Noselect when it does not
        # exist), e.g. "foo" for LIST "" % when only "foo/bar" exists.
        for name in selected:
            if matches(name):
                continue
            for parent in superiors(name):
                if parent not in selected and matches(parent):
                    child_info[parent] = ()

    for name in _order(set(child_info) | {n for n in selected if matches(n)}):
        info = infos.get(name)
        attributes: list[str] = []
        if info is None:
            attributes.append("\\NonExistent" if extended else "\\Noselect")
        elif not info.selectable:
            attributes.append("\\Noselect")
        if info is not None:
            attributes.extend(sorted(info.attributes))
        # RFC 9051 6.3.9.6 (and its example 11): a level listed only for a
        # descendant that matches, without RECURSIVEMATCH, is "\NonExistent
        # \HasChildren" even when CHILDREN was not asked for.
        only_for_child = info is None and child_info.get(name) == () and extended
        if (return_children or only_for_child) and "\\Noinferiors" not in attributes:
            attributes.append("\\HasChildren" if name in has_children else "\\HasNoChildren")
        if (return_subscribed or select_subscribed) and name in subscribed:
            # "(\Subscribed \NonExistent)" as RFC 9051 and RFC 5258 write it.
            attributes.insert(0 if info is None else len(attributes), "\\Subscribed")
        if (return_special_use or select_special_use) and info is not None:
            attributes.extend(sorted(info.special_use))
        results[name] = ListEntry(
            name=name, attributes=tuple(attributes), child_info=child_info.get(name, ())
        )
    return list(results.values())


def lsub_entries(
    subscriptions: Collection[str],
    mailboxes: Iterable[MailboxInfo],
    reference: str,
    pattern: str,
) -> list[ListEntry]:
    """The LSUB responses (RFC 3501 6.3.9).

    Subscribed names that match are returned whether they exist or not
    (the server "MUST NOT unilaterally remove" them).  A name that is not
    subscribed but matches while a subscribed name under it does not is
    returned with ``\\Noselect``: with ``foo/bar`` subscribed, LSUB "" "%"
    returns ``(\\Noselect) "/" foo``.
    """
    if pattern == "":
        return [ListEntry(name="", attributes=("\\Noselect",))]
    compiled = ListPattern(canonical_pattern(reference, pattern))
    infos = {info.name: info for info in mailboxes}
    subscribed = set(subscriptions)
    levels: set[str] = set()
    for name in subscribed:
        if compiled.match(name):
            continue
        levels.update(
            parent
            for parent in superiors(name)
            if parent not in subscribed and compiled.match(parent)
        )
    entries = []
    for name in _order(levels | {n for n in subscribed if compiled.match(n)}):
        info = infos.get(name)
        if name in levels or (info is not None and not info.selectable):
            attributes: tuple[str, ...] = ("\\Noselect",)
        else:
            attributes = ()
        entries.append(ListEntry(name=name, attributes=attributes))
    return entries
