"""UPDATE contexts (RFC 5267 4.3) of SEARCH and SORT, and what CANCELUPDATE (4.3.5) ends.

UPDATE contexts live on the selected mailbox's view, as its drain hook
(:class:`Contexts`): whenever the engine writes mailbox updates (before a
tagged completion, during IDLE) the searches are run again and the
differences with the last result go out as ``* ESEARCH (TAG "t") ADDTO`` /
``REMOVEFROM``: removals of expunged messages just before the EXPUNGEs (their
old numbers), everything else after EXISTS.  Positions are 0 for SEARCH
(4.3.3 allows it; one set in mailbox order) and real positions for SORT,
each pair applied in turn (removals first, then additions in result order).
Updates stop with CANCELUPDATE or when the mailbox is closed (a new view).
Decisions: ``RETURN (UPDATE)`` alone also answers ALL (the client needs the
initial result to apply updates to; RFC 4731 3.1 implies ALL when no result
option is given); a message expunged elsewhere but not yet announced stays in
the result until its EXPUNGE may be written; CANCELUPDATE of an unknown tag
is not an error; at most ``MAX_CONTEXTS`` contexts per mailbox, beyond that
``* NO [NOUPDATE "t"]`` (4.3.1) and the search is answered without updates.
Each active context costs one search per completed command.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._commands import (
    Search,
    Sort,
)
from .._responses import (
    ESearchData,
    OtherCode,
    Response,
    Status,
    StatusResponse,
)
from .._sequence import SequenceSet, UidSet
from .._view import DrainPhase, SelectedMailboxView
from ._backend import ImapBad
from ._search import Item, ordered_set, run_search
from ._session import Session
from ._sort_keys import sort_items

__all__ = ["MAX_CONTEXTS", "Contexts", "check_update", "start_context"]

#: RFC 5267 4.3.1: servers MUST offer at least one updating context; more
#: are refused with NOUPDATE.
MAX_CONTEXTS = 16


# ---------------------------------------------------------------------------
# UPDATE contexts (RFC 5267 4.3) and CANCELUPDATE (4.3.5)


class _Context:
    """One ``RETURN (UPDATE)`` search: the command and its last result (UIDs, in order)."""

    __slots__ = ("command", "result")

    def __init__(self, command: Search | Sort, result: list[int]) -> None:
        self.command = command
        self.result = result


class Contexts:
    """The live UPDATE contexts of one selected mailbox: the view's drain hook.

    Called by :meth:`SelectedMailboxView.drain`: ``"before_expunge"`` gives
    the REMOVEFROM of the messages about to be expunged, numbered as before
    the EXPUNGE (RFC 5267 4.3.4); ``"after_exists"`` runs each search again
    and gives the rest of the differences, numbered after EXISTS (4.3.3).
    """

    __slots__ = ("active", "session")

    def __init__(self, session: Session) -> None:
        self.session = session
        self.active: dict[str, _Context] = {}

    def __call__(self, phase: DrainPhase, view: SelectedMailboxView) -> list[Response]:
        if not self.active or self.session.conn.view is not view:
            return []
        try:
            if phase == "before_expunge":
                return self._expunging(view)
            return self._recompute(view)
        except Exception as exc:  # never break the engine's completion
            if self.session.server.on_error is not None:
                self.session.server.on_error(exc)
            return []

    def _expunging(self, view: SelectedMailboxView) -> list[Response]:
        out: list[Response] = []
        for context in self.active.values():
            gone = {uid for uid in context.result if view.is_expunged(uid)}
            if gone:
                kept = [uid for uid in context.result if uid not in gone]
                out.append(_update(context, view, context.result, kept, kept))
                context.result = kept
        return out

    def _recompute(self, view: SelectedMailboxView) -> list[Response]:
        out: list[Response] = []
        for context in self.active.values():
            command = context.command
            found, _, _ = run_search(self.session, command.criteria)
            if isinstance(command, Sort):
                found = sort_items(found, command.sort_keys)
            target = [item.uid for item in found]
            # Expunged elsewhere, not yet announced: keep them until the
            # EXPUNGE goes out (their REMOVEFROM comes just before it).
            pending = [uid for uid in context.result if view.is_expunged(uid)]
            if pending:
                target = _keep_pending(context.result, target, pending)
            if target == context.result:
                continue
            wanted = set(target)
            kept = [uid for uid in context.result if uid in wanted]
            out.append(_update(context, view, context.result, kept, target))
            context.result = target
        return out


def _keep_pending(old: list[int], target: list[int], pending: list[int]) -> list[int]:
    """``target`` with the ``pending`` UIDs of ``old`` put back where they were:
    after the nearest earlier member of ``old`` that is in the result."""
    out = list(target)
    present = set(out)
    for index, uid in enumerate(old):
        if uid not in pending or uid in present:
            continue
        at = 0
        for before in reversed(old[:index]):
            if before in present:
                at = out.index(before) + 1
                break
        out.insert(at, uid)
        present.add(uid)
    return out


def _update(
    context: _Context,
    view: SelectedMailboxView,
    old: list[int],
    kept: list[int],
    target: list[int],
) -> ESearchData:
    """``* ESEARCH (TAG "t") [UID] REMOVEFROM (...) ADDTO (...)`` turning
    ``old`` into ``target`` (``kept``: the members of ``old`` that stay).

    SEARCH: position 0 and one set in mailbox order (RFC 5267 4.3.3, 4.3.4:
    "the context position MAY be zero"; sequence numbers and UIDs are both
    ascending).  SORT: the runs removed from ``old`` then the runs inserted
    into ``target``, each with the position of its first message in the list
    as it is when the pair is applied (4.3.3: "each pair is processed in the
    order that it appears").
    """
    command = context.command
    uid = command.uid

    def number(message: int) -> int | None:
        return message if uid else view.seq_of(message)

    kept_set, old_set = set(kept), set(old)
    removed = [m for m in old if m not in kept_set]
    added = [m for m in target if m not in old_set]
    if isinstance(command, Sort) and kept != [m for m in target if m in kept_set]:
        # The order of kept messages changed (sort keys do not depend on
        # anything that changes, but stay correct): remove and add them all.
        removed, added = list(old), list(target)
    removefrom: list[tuple[int, SequenceSet | UidSet]] = []
    addto: list[tuple[int, SequenceSet | UidSet]] = []
    if isinstance(command, Search):
        for pairs, messages in ((removefrom, removed), (addto, added)):
            numbers = sorted(n for m in messages if (n := number(m)) is not None)
            found = ordered_set(numbers, uid)
            if found is not None:
                pairs.append((0, found))
    else:
        removed_set = set(removed)
        for pairs, sequence, chosen in (
            (removefrom, old, removed_set),
            (addto, target, set(added)),
        ):
            done = 0  # removals applied so far shift the positions down
            index = 0
            while index < len(sequence):
                if sequence[index] not in chosen:
                    index += 1
                    continue
                start = index
                while index < len(sequence) and sequence[index] in chosen:
                    index += 1
                run = [n for m in sequence[start:index] if (n := number(m)) is not None]
                found = ordered_set(run, uid)
                if found is not None:
                    position = start + 1 - done if pairs is removefrom else start + 1
                    pairs.append((position, found))
                if pairs is removefrom:
                    done += index - start
    return ESearchData(tag=command.tag, uid=uid, removefrom=tuple(removefrom), addto=tuple(addto))


def check_update(session: Session, command: Search | Sort, options: tuple[str, ...] | None) -> None:
    """RFC 5267 4.3: UPDATE with the tag of a live context SHALL be BAD."""
    if options is not None and "UPDATE" in options:
        contexts = session.require_mailbox()[1].drain_hook
        if isinstance(contexts, Contexts) and command.tag in contexts.active:
            raise ImapBad("Tag reuse", "CLIENTBUG")


def start_context(
    session: Session,
    command: Search | Sort,
    options: tuple[str, ...] | None,
    found: Sequence[Item],
    view: SelectedMailboxView,
) -> None:
    """Keep a ``RETURN (UPDATE)`` search up to date (RFC 5267 4.3)."""
    if options is None or "UPDATE" not in options:
        return
    contexts = view.drain_hook
    if not isinstance(contexts, Contexts):
        if contexts is not None:  # someone else's hook: no updates
            _refuse_update(session, command.tag)
            return
        contexts = Contexts(session)
        view.drain_hook = contexts
    if len(contexts.active) >= MAX_CONTEXTS:
        _refuse_update(session, command.tag)
        return
    contexts.active[command.tag] = _Context(command, [item.uid for item in found])


def _refuse_update(session: Session, tag: str) -> None:
    # RFC 5267 4.3.1: an untagged NO [NOUPDATE "tag"]; the rest is answered.
    session.send(
        StatusResponse(
            status=Status.NO,
            text="Too many contexts",
            code=OtherCode(name="NOUPDATE", text=f'"{tag}"'),
        )
    )
