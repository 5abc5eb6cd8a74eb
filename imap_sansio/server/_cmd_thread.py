"""THREAD and UID THREAD (RFC 5256 3): ORDEREDSUBJECT and REFERENCES.

THREAD=REFERENCES step 1.B breaks a message's earlier parent link before
the loop check, so a link that would loop leaves the message a root (the
imaptest ``thread`` script).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import Any

from .._commands import Thread as ThreadCommand
from .._responses import Thread as ThreadNode
from .._responses import (
    ThreadData,
)
from ..mime import (
    subject,
)
from ._backend import ImapBad
from ._search import SEARCH_STEP, Item, bad_charset, check_charset, search_steps
from ._session import ServerCommand, Session, Steps, serve
from ._sort_keys import sent_key, sorted_steps, subject_key

__all__ = ["COMMANDS", "ENABLEABLE"]

_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------
# THREAD (RFC 5256 3)


def _ordered_subject(found: list[Item]) -> list[tuple[Item, list[Item]]]:
    """ORDEREDSUBJECT: group by base subject, each by sent date; threads by
    the sent date of their first message (ties: sequence number)."""
    groups: dict[str, list[Item]] = {}
    for item in sorted(found, key=lambda i: (sent_key(i), i.seq)):
        groups.setdefault(subject_key(item), []).append(item)
    threads = [(members[0], members[1:]) for members in groups.values()]
    threads.sort(key=lambda thread: (sent_key(thread[0]), thread[0].seq))
    return threads


def _ordered_subject_nodes(
    threads: list[tuple[Item, list[Item]]], number: Callable[[Item], int]
) -> tuple[ThreadNode, ...]:
    out: list[ThreadNode] = []
    for root, rest in threads:
        if len(rest) <= 1:
            # "(9 10)": one child continues the chain.
            out.append(ThreadNode(members=(number(root), *(number(r) for r in rest))))
        else:
            children = tuple(ThreadNode(members=(number(r),)) for r in rest)
            out.append(ThreadNode(members=(number(root),), children=children))
    return tuple(out)


def thread(session: Session, command: ThreadCommand) -> Steps:
    """THREAD / UID THREAD (RFC 5256 3)."""
    algorithm = command.algorithm.upper()
    if algorithm not in ("ORDEREDSUBJECT", "REFERENCES"):
        raise ImapBad(f"Threading algorithm {command.algorithm} is not supported", "CLIENTBUG")
    if not check_charset(session, command.charset, search=False):
        bad_charset(session, command.charset)
        return None
    found, _, _ = yield from search_steps(session, command.criteria)
    references = algorithm == "REFERENCES"
    for start in range(0, len(found), SEARCH_STEP):
        # Read what the threading needs (subject, date, message ids) a few
        # messages a step, so that a big THREAD lets others run meanwhile,
        # and let each parsed message go: the keys are all the threading
        # holds (as SORT does), not 20,000 parsed messages at once.
        yield
        for item in found[start : start + SEARCH_STEP]:
            subject_key(item)
            sent_key(item)
            _is_reply(item)
            if references:
                _links(item)
            item.release()

    def number(item: Item) -> int:
        return item.uid if command.uid else item.seq

    if algorithm == "ORDEREDSUBJECT":
        nodes = _ordered_subject_nodes(_ordered_subject(found), number)
    else:
        nodes = yield from _references(found, number)
    session.send(ThreadData(threads=nodes))
    return None


# REFERENCES ----------------------------------------------------------------

_MSG_ID = re.compile(rb"<([^<>]*)>")
_QUOTED_PAIR = re.compile(rb"\\(.)")


def _normalise_id(raw: bytes) -> bytes | None:
    """A msg-id without quoting (RFC 5256 3: "id" and id are the same), or None."""
    value = raw.replace(b" ", b"").replace(b"\t", b"")
    if b"@" not in value:
        return None
    local, _, domain = value.rpartition(b"@")
    if local.startswith(b'"') and local.endswith(b'"') and len(local) >= 2:
        local = _QUOTED_PAIR.sub(rb"\1", local[1:-1])
    if not local or not domain:
        return None
    return local + b"@" + domain


def _message_ids(value: bytes | None) -> list[bytes]:
    if not value:
        return []
    out = []
    for match in _MSG_ID.finditer(value):
        normalised = _normalise_id(match.group(1))
        if normalised is not None:
            out.append(normalised)
    return out


def _links(item: Item) -> tuple[bytes | None, tuple[bytes, ...]]:
    """A message's own Message-ID and the ids it refers to (RFC 5256 3 step
    1.A: References, else the first id of In-Reply-To)."""
    links: tuple[bytes | None, tuple[bytes, ...]] | None = item.memo.get("links")
    if links is None:
        header = item.message.header
        ids = _message_ids(header.first(b"message-id"))
        references = _message_ids(header.first(b"references"))
        if not references:
            references = _message_ids(header.first(b"in-reply-to"))[:1]
        links = item.memo["links"] = (ids[0] if ids else None, tuple(references))
    return links


class _Container:
    """A node of the REFERENCES tree: a message, or a dummy (``item`` None)."""

    __slots__ = ("children", "item", "parent")

    def __init__(self, item: Item | None = None) -> None:
        self.item = item
        self.parent: _Container | None = None
        self.children: list[_Container] = []

    def is_ancestor_of(self, other: _Container) -> bool:
        node: _Container | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False

    def detach(self) -> None:
        if self.parent is not None:
            self.parent.children.remove(self)
            self.parent = None

    def attach(self, parent: _Container) -> None:
        self.parent = parent
        parent.children.append(self)


_REPLY = re.compile(
    r"^\s*(?:\[[^\[\]]*\]\s*)*(?:re|fwd?)\s*(?:\[[^\[\]]*\]\s*)?:"
    r"|\(fwd\)\s*$|^\s*\[fwd:.*\]\s*$",
    re.IGNORECASE,
)


def _is_reply(item: Item) -> bool:
    """RFC 5256 3: base-subject extraction removes a subj-refwd, a "(fwd)"
    trailer, or a subj-fwd-hdr/subj-fwd-trl pair."""
    reply: bool | None = item.memo.get("reply")
    if reply is None:
        reply = item.memo["reply"] = bool(_REPLY.search(subject(item.message)))
    return reply


#: Messages linked per step of REFERENCES (as many as a search step).
_LINKS_PER_STEP = SEARCH_STEP
#: Nodes a step where the work per node is a few dictionary look-ups.
_NODES_PER_STEP = 512


def _references(
    found: list[Item], number: Callable[[Item], int]
) -> Generator[None, None, tuple[ThreadNode, ...]]:
    """RFC 5256 3 REFERENCES, as steps of a few hundred messages (the
    containers of a big mailbox take a while to link)."""
    by_id: dict[bytes, _Container] = {}
    containers: list[_Container] = []
    unique = 0

    def container_for(message_id: bytes) -> _Container:
        node = by_id.get(message_id)
        if node is None:
            node = by_id[message_id] = _Container()
        return node

    # Step 1: link messages and their references (in sequence order, so the
    # first message keeps a duplicated Message-ID).
    for index, item in enumerate(sorted(found, key=lambda i: i.seq)):
        if index % _LINKS_PER_STEP == _LINKS_PER_STEP - 1:
            yield
        own, references = _links(item)
        if own is None or (own in by_id and by_id[own].item is not None):
            unique += 1
            own = b"\0unique-%d" % unique
        node = container_for(own)
        node.item = item
        containers.append(node)
        # 1.A: chain the references, keeping existing links and avoiding loops.
        previous: _Container | None = None
        for ref in references:
            current = container_for(ref)
            if (
                previous is not None
                and current.parent is None
                and current is not previous
                and not current.is_ancestor_of(previous)
            ):
                current.attach(previous)
            previous = current
        # 1.B: the last reference becomes the parent: break any earlier link
        # (none is left when there are no references), then link unless that
        # makes a loop (Dovecot's reading; its imaptest "thread" script).
        if node.parent is not previous:
            node.detach()
            if previous is not None and not node.is_ancestor_of(previous):
                node.attach(previous)

    # Step 2: the roots.
    yield
    roots = [node for node in by_id.values() if node.parent is None]

    # Step 3: prune dummies.
    roots = yield from _prune(roots)

    # Step 4: sort the roots by sent date (a dummy by its first child).
    roots = yield from sorted_steps(roots, _first_date)

    # Step 5: gather roots with the same base subject.
    def thread_subject(node: _Container) -> str:
        source = node.item if node.item is not None else node.children[0].item
        return "" if source is None else subject_key(source)

    yield
    table: dict[str, _Container] = {}
    for index, node in enumerate(roots):  # 5.B
        if index % _NODES_PER_STEP == _NODES_PER_STEP - 1:
            yield
        key = thread_subject(node)
        if not key:
            continue
        held = table.get(key)
        if held is None or (
            held.item is not None
            and (node.item is None or (_is_reply(held.item) and not _is_reply(node.item)))
        ):
            table[key] = node
    # 5.C: what becomes of each root: kept (absent), merged away (None), or
    # replaced by a new dummy that holds it.
    fate: dict[int, _Container | None] = {}
    for index, node in enumerate(roots):
        if index % _NODES_PER_STEP == _NODES_PER_STEP - 1:
            yield
        key = thread_subject(node)
        held = table.get(key) if key else None
        if held is None or held is node:
            continue
        fate[id(node)] = None
        if held.item is None and node.item is None:
            for child in list(node.children):
                child.detach()
                child.attach(held)
        elif held.item is None or (
            node.item is not None and _is_reply(node.item) and not _is_reply(held.item)
        ):
            node.attach(held)
        else:
            # held is a message, hence one of the roots.
            dummy = _Container()
            fate[id(held)] = dummy
            held.attach(dummy)
            node.attach(dummy)
            table[key] = dummy
    top: list[_Container] = []
    for node in roots:
        replaced = fate.get(id(node), node)
        if replaced is not None:
            top.append(replaced)
    roots = top

    yield
    # Step 6: sort every set of siblings by sent date, deepest first.
    for index, node in enumerate(_descendants_bottom_up(roots)):
        if index % _LINKS_PER_STEP == _LINKS_PER_STEP - 1:
            yield
        node.children.sort(key=_first_date)
    yield
    roots = yield from sorted_steps(roots, _first_date)
    threads: list[ThreadNode] = []
    nodes = 0
    for node in roots:
        # Steps of a few hundred answer nodes, however the threads are shaped.
        if nodes >= _NODES_PER_STEP:
            nodes = 0
            yield
        threads.append(_to_thread(node, number))
        nodes += _size(threads[-1])
    # Every cycle of the tree runs through a child's parent link: cut them,
    # so that the tree (and the items it holds) goes when the command ends
    # instead of waiting for a full collection, whose pause grows with it.
    for index, node in enumerate(by_id.values()):
        if index % _NODES_PER_STEP == _NODES_PER_STEP - 1:
            yield
        node.parent = None
    return tuple(threads)


def _size(thread: ThreadNode) -> int:
    return len(thread.members) + sum(map(_size, thread.children))


def _first_date(node: _Container) -> tuple[datetime, int]:
    """A node's sent date (a dummy's: its first child's), sequence number for ties.

    A module function, not a closure: a closure that calls itself is a
    reference cycle, left behind for the collector by every THREAD.
    """
    if node.item is not None:
        return (sent_key(node.item), node.item.seq)
    node.children.sort(key=_first_date)
    return _first_date(node.children[0]) if node.children else (_EPOCH, 0)


def _descendants_bottom_up(roots: list[_Container]) -> list[_Container]:
    """Every node under ``roots`` (included), children before their parents.

    Iterative, so that a thread thousands of replies deep does not exhaust
    Python's recursion limit.
    """
    order: list[_Container] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children)
    order.reverse()
    return order


def _prune(roots: list[_Container]) -> Generator[None, None, list[_Container]]:
    """RFC 5256 3 step 3: remove dummies, promoting their children."""
    for index, node in enumerate(_descendants_bottom_up(roots)):
        if index % _NODES_PER_STEP == _NODES_PER_STEP - 1:
            yield
        kept: list[_Container] = []
        for child in node.children:
            if child.item is not None:
                kept.append(child)
            else:  # a dummy below the root: its (pruned) children move up
                kept.extend(child.children)
        node.children = kept
        for child in kept:
            child.parent = node
    out: list[_Container] = []
    for node in roots:
        if node.item is not None or len(node.children) > 1:
            out.append(node)
        elif node.children:
            # Promoted to the root only when it is the only child.
            node.children[0].parent = None
            out.append(node.children[0])
    return out


def _to_thread(node: _Container, number: Callable[[Item], int]) -> ThreadNode:
    members: list[int] = []
    while node.item is not None and len(node.children) == 1:
        members.append(number(node.item))
        node = node.children[0]
    if node.item is not None:
        members.append(number(node.item))
    children = tuple(_to_thread(child, number) for child in node.children)
    if node.item is None and len(children) == 1:
        # Cannot happen after pruning, kept safe: splice the lone child.
        only = children[0]
        return ThreadNode(members=(*members, *only.members), children=only.children)
    return ThreadNode(members=tuple(members), children=children)


#: What ENABLE can turn on because of these handlers.
ENABLEABLE: frozenset[str] = frozenset()

COMMANDS: tuple[ServerCommand[Any], ...] = (
    serve("THREAD", thread, "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES"),  # RFC 5256
)
