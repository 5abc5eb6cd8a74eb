"""The selected-mailbox view: one session's numbering of one mailbox.

A session knows its mailbox through what it has been told: sequence number n
is the n-th UID the client has been told about, until an EXPUNGE (or
VANISHED) response renumbers it.  Changes made elsewhere (other sessions,
other processes) are queued here and become responses only at the moments
the RFCs allow:

- RFC 3501 5.2 / RFC 9051 5.2: size and flag updates go out while a command
  is in progress (before its tagged completion) or during IDLE.
- RFC 3501 7.4.1 / RFC 9051 7.5.1: an EXPUNGE response MUST NOT be sent when
  no command is in progress, nor while responding to a FETCH, STORE, or
  SEARCH command (nor SORT/THREAD, RFC 5256), because it renumbers messages
  under the client's feet.  UID versions of those commands are exempt.
- RFC 7162 3.2.10: with QRESYNC enabled, VANISHED replaces EXPUNGE.

The app never deals in sequence numbers: it tells the view UIDs, and the
view writes the session's numbers.  This module knows nothing about bytes.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from typing import Literal, TypeAlias

from ._responses import (
    ExistsData,
    ExpungeData,
    FetchData,
    FetchDataItem,
    FlagsData,
    FlagsItem,
    ModSeqItem,
    RecentData,
    Response,
    UidItem,
    VanishedData,
)
from ._sequence import STAR, SequenceSet, UidSet, _checked

__all__ = [
    "DrainHook",
    "DrainPhase",
    "InvalidSequenceNumber",
    "NewMessagesHook",
    "SelectedMailboxView",
    "UidRuns",
    "uid_set",
]

#: Where :meth:`SelectedMailboxView.drain` calls its hook: just before the
#: EXPUNGE/VANISHED responses (the view still numbers the messages that go,
#: see :meth:`SelectedMailboxView.is_expunged`), and last, after EXISTS.
DrainPhase: TypeAlias = Literal["before_expunge", "after_exists"]

#: ``hook(phase, view) -> responses`` to slot in at that point of the drain:
#: what an app derives from the mailbox state, such as the RFC 5267 4.3
#: ADDTO/REMOVEFROM updates of a ``SEARCH RETURN (UPDATE)``.  It must not
#: raise (it runs while the engine writes a completion) and must not feed the
#: view changes.
DrainHook: TypeAlias = Callable[[DrainPhase, "SelectedMailboxView"], Sequence[Response]]

#: ``hook(uids) -> responses`` written right after the EXISTS that announces
#: the messages ``uids`` (ascending): the FETCH responses a NOTIFY client
#: asked for with ``MessageNew (fetch-att ...)`` (RFC 5465 5.2: EXISTS
#: first, then FETCH).  The same rules as for :data:`DrainHook` apply.
NewMessagesHook: TypeAlias = Callable[[Sequence[int]], Sequence[Response]]


_NO_FLAGS: frozenset[str] = frozenset()
#: Array type codes for the per-message index into the table of flag sets,
#: narrowest first (one byte per message while a mailbox has at most 256
#: distinct flag combinations, as nearly all do).
_INDEX_CODES = ("B", "H", "I")
#: UIDs are 32-bit (RFC 3501 2.3.1.1); "I" is 4 bytes on every platform we run on.
_UID_CODE = "I" if array("I").itemsize >= 4 else "L"


class InvalidSequenceNumber(ValueError):
    """A sequence number beyond what the client has been told (a tagged BAD)."""


def _compact(uids: Iterable[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for uid in uids:
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], uid)
        else:
            ranges.append((uid, uid))
    return ranges


def uid_set(uids: Iterable[int]) -> UidSet | None:
    """A compact :class:`UidSet` (``1:3,7``) for sorted distinct ``uids``; None if empty."""
    ranges = _compact(uids)
    return UidSet(ranges=tuple(ranges)) if ranges else None


class UidRuns(Set[int]):
    """An immutable set of UIDs held as sorted, disjoint ``(low, high)`` runs.

    Membership is a bisection, so a set of a million consecutive UIDs costs
    one run, not a million entries.
    """

    __slots__ = ("_count", "_highs", "_lows")

    def __init__(self, runs: Iterable[tuple[int, int]] = ()) -> None:
        pairs = list(runs)
        self._lows = [low for low, _ in pairs]
        self._highs = [high for _, high in pairs]
        self._count = sum(high - low + 1 for low, high in pairs)

    def __contains__(self, uid: object) -> bool:
        if not isinstance(uid, int):
            return False
        index = bisect.bisect_right(self._lows, uid) - 1
        return index >= 0 and uid <= self._highs[index]

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        for low, high in zip(self._lows, self._highs, strict=True):
            yield from range(low, high + 1)

    def __repr__(self) -> str:
        pairs = zip(self._lows, self._highs, strict=True)
        runs = ",".join(str(lo) if lo == h else f"{lo}:{h}" for lo, h in pairs)
        return f"UidRuns({runs})"


class SelectedMailboxView:
    """What one session knows of its selected mailbox, and what it must be told.

    Build it from the mailbox as the SELECT/EXAMINE responses describe it,
    then feed it changes in UIDs (:meth:`add_messages`, :meth:`expunge`,
    :meth:`set_flags`, :meth:`set_mailbox_flags`); :meth:`drain` turns them
    into responses when the connection is allowed to send them.

    It costs a few bytes per message: the UIDs in an ``array`` (4 bytes
    each) and, beside them, an index (1 byte while the mailbox has at most
    256 distinct flag combinations) into a table of the flag sets the client
    has been told.  Everything else is kept per change, not per message:
    queued updates, \\Recent as runs of UIDs, and mod-sequences only where
    the session itself told the client one that a later sync will report
    again.  Every operation costs O(changes) or O(ranges) (times log n for a
    bisection), never O(messages), except the expunge of many messages,
    which moves the arrays once.
    """

    def __init__(
        self,
        *,
        uids: Iterable[int],
        uidvalidity: int,
        uidnext: int,
        flags: Mapping[int, Iterable[str]] | None = None,
        mailbox_flags: Iterable[str] = (),
        recent: Iterable[int] = (),
        modseqs: Mapping[int, int] | None = None,
    ) -> None:
        ordered = uids if isinstance(uids, range) and uids.step == 1 else sorted(set(uids))
        self._uids = array(_UID_CODE, ordered)
        self.uidvalidity = uidvalidity
        self.uidnext = max(uidnext, (self._uids[-1] + 1) if self._uids else 1)
        # The flag sets the client has been told, interned: _flag_ids[i] is
        # the index in _flagsets of message i+1's flags.
        self._flagsets: list[frozenset[str]] = [_NO_FLAGS]
        self._flagset_ids: dict[frozenset[str], int] = {_NO_FLAGS: 0}
        self._flag_ids = array("B", bytes(len(self._uids)))
        distinct = {frozenset(f) for f in flags.values()} if flags else set()
        if flags and 4 * len(flags) >= len(self._uids) and len(distinct) < 255:
            # Flags for most messages (a SELECT): the few flag sets interned
            # first (too few to renumber the table), then one pass in UID order.
            for key in distinct:
                self._intern(key)
            ids = self._flagset_ids
            self._flag_ids = array(
                self._flag_ids.typecode,
                [ids[frozenset(flags.get(uid, _NO_FLAGS))] for uid in self._uids],
            )
        elif flags:
            for uid, given in flags.items():
                seq = self.seq_of(uid)
                if seq is not None:
                    self._flag_ids[seq - 1] = self._intern(frozenset(given))
        # Every mod-sequence a later sync can report is above this one (the
        # session's syncs ask for changes after the highest they have seen).
        # The modseqs of a sync's changes raise it only at the next drain, so
        # that the other changes of the same sync are still measured against
        # the floor from before it.
        self._modseq_floor = max(modseqs.values(), default=0) if modseqs else 0
        self._modseq_seen = self._modseq_floor
        #: uid -> the mod-sequence the session itself told the client (its
        #: own FETCH or STORE), above the floor: the sync that reports it must
        #: not echo it.
        self._told_modseqs: dict[int, int] = {}
        self._mailbox_flags = tuple(mailbox_flags)
        self._mailbox_flags_changed = False
        self._recent: list[tuple[int, int]] = _compact(sorted(set(recent)))
        self._recent_count = sum(h - lo + 1 for lo, h in self._recent)
        #: :attr:`recent` as last made, until \Recent changes.
        self._recent_set: Set[int] | None = None
        self._recent_announced = self._recent_count
        # Queued changes, not yet told to the client.
        self._added: list[int] = []
        self._added_flags: dict[int, frozenset[str]] = {}
        self._expunged: set[int] = set()
        #: uid -> the mod-sequence to report with its FETCH (None: none known).
        self._flag_updates: dict[int, int | None] = {}
        #: The result of the last ``SEARCH RETURN (SAVE)`` (RFC 5182), as UIDs.
        self.saved_result: tuple[int, ...] = ()
        #: Extra responses for :meth:`drain` (see :data:`DrainHook`); None: none.
        self.drain_hook: DrainHook | None = None
        #: Responses for the messages an EXISTS announces (see
        #: :data:`NewMessagesHook`); None: none.
        self.new_messages_hook: NewMessagesHook | None = None

    # ----------------------------------------------------------- the numbering

    @property
    def exists(self) -> int:
        """How many messages the client believes the mailbox has."""
        return len(self._uids)

    @property
    def uids(self) -> Sequence[int]:
        """The UIDs the client knows, in sequence-number order."""
        return tuple(self._uids)

    @property
    def recent(self) -> Set[int]:
        """The messages that are \\Recent for this session (RFC 3501 2.3.2).

        A frozenset while there are few (membership without a Python call),
        runs of UIDs when there are many (a first SELECT may claim them all).
        """
        made = self._recent_set
        if made is None:
            if self._recent_count <= 256:
                made = frozenset(uid for low, high in self._recent for uid in range(low, high + 1))
            else:
                made = UidRuns(self._recent)
            self._recent_set = made
        return made

    @property
    def mailbox_flags(self) -> tuple[str, ...]:
        """The FLAGS list as the session knows it (see :attr:`mailbox_flags_pending`)."""
        return self._mailbox_flags

    @property
    def mailbox_flags_pending(self) -> bool:
        """:attr:`mailbox_flags` changed and the FLAGS response waits for the
        next drain: the client has not been told its new keywords yet."""
        return self._mailbox_flags_changed

    def uid_of(self, seq: int) -> int:
        if not 1 <= seq <= len(self._uids):
            raise InvalidSequenceNumber(f"no message {seq} (the mailbox has {len(self._uids)})")
        return self._uids[seq - 1]

    def seq_of(self, uid: int) -> int | None:
        """This session's sequence number for ``uid``, or None if it does not know it."""
        uids = self._uids
        index = bisect.bisect_left(uids, uid)
        if index < len(uids) and uids[index] == uid:
            return index + 1
        return None

    def known(self, uids: Iterable[int]) -> list[tuple[int, int]]:
        """(sequence number, UID) of those of ``uids`` the client knows and
        has not been told are expunged, in sequence order (a bisection each)."""
        mine, expunged = self._uids, self._expunged
        out: list[tuple[int, int]] = []
        end = len(mine)
        for uid in sorted(uids):
            index = bisect.bisect_left(mine, uid)
            if index < end and mine[index] == uid and uid not in expunged:
                out.append((index + 1, uid))
        return out

    def flags_of(self, uid: int) -> frozenset[str]:
        """The flags the client has been told ``uid`` has, or, while
        :meth:`has_flag_update` says so, those a sync took in since."""
        seq = self.seq_of(uid)
        if seq is not None:
            return self._flagsets[self._flag_ids[seq - 1]]
        return self._added_flags.get(uid, _NO_FLAGS)

    def has_flag_update(self, uid: int) -> bool:
        """A FETCH of ``uid``'s flags waits for the next drain: a sync took
        in a change the client has not been told (:meth:`flags_of` holds it)."""
        return uid in self._flag_updates

    def is_expunged(self, uid: int) -> bool:
        """Expunged elsewhere, but the client has not been told yet."""
        return uid in self._expunged

    def resolve_runs(self, messages: SequenceSet | UidSet) -> list[tuple[int, int]]:
        """The UIDs the client knows that ``messages`` names, as sorted runs.

        Per range of the set, not per message: a bisection finds where a UID
        range starts and ends, and a slice of consecutive UIDs is one run
        (checked by its two ends), so ``1:*`` over a mailbox without gaps
        costs O(log n).  See :meth:`resolve_sequence_set` and
        :meth:`resolve_uid_set` for the rules.
        """
        uids = self._uids
        count = len(uids)
        out: list[tuple[int, int]] = []
        if messages.saved:
            saved = sorted(self.saved_result)
            return _compact(uid for uid in saved if self.seq_of(uid) is not None)
        if isinstance(messages, UidSet):
            if count:
                # A range that reaches past either end (1:*) needs no search there.
                smallest, largest = uids[0], uids[-1]
                for low, high in messages.iter_ranges(largest):
                    start = 0 if low <= smallest else bisect.bisect_left(uids, low)
                    stop = count if high >= largest else bisect.bisect_right(uids, high, start)
                    if start < stop:
                        self._runs(start, stop, out)
            return out
        for low, high in self._sequence_spans(messages):
            self._runs(low - 1, high, out)
        return out

    def resolve_set(self, messages: SequenceSet | UidSet) -> UidSet:
        """:meth:`resolve_runs` as a :class:`UidSet` (empty if it names nothing)."""
        uids = self._uids
        ranges = messages.ranges
        if len(ranges) == 1 and uids and not messages.saved:
            # One range (1:*, 1:20) over UIDs without a gap, the commonest
            # case: resolve_runs's answer by arithmetic, without its calls.
            first, last = uids[0], uids[-1]
            count = len(uids)
            if last - first == count - 1:
                by_uid = isinstance(messages, UidSet)
                low, high = ranges[0]
                if high == STAR:  # as iter_ranges: * is the largest number
                    high = last if by_uid else count
                    if low == STAR:
                        low = high
                    elif low > high:
                        low, high = high, low
                if 1 <= low <= high:
                    if by_uid:  # UIDs that do not exist are ignored
                        low, high = max(low, first), min(high, last)
                        return _checked(UidSet, ((low, high),) if low <= high else (), False)
                    if high > count:  # as _sequence_spans
                        raise InvalidSequenceNumber(f"no message {high} (the mailbox has {count})")
                    return _checked(UidSet, ((first + low - 1, first + high - 1),), False)
        # Sorted, disjoint runs of UIDs: valid without UidSet's checks.
        return _checked(UidSet, tuple(self.resolve_runs(messages)), False)

    def resolve_sequence_set(self, messages: SequenceSet) -> list[int]:
        """The UIDs a sequence set names, in order.

        RFC 9051 6.4.4 / 9: ``*`` is the last message the client knows; a
        number beyond it is an error (:class:`InvalidSequenceNumber`).  On an
        empty mailbox even ``*`` is invalid (RFC 9051 9: "``*`` ... if the
        mailbox is empty, it is an error").
        """
        if messages.saved:
            return [uid for uid in self.saved_result if self.seq_of(uid) is not None]
        out: list[int] = []
        for low, high in self._sequence_spans(messages):
            out.extend(self._uids[low - 1 : high])
        return out

    def resolve_uid_set(self, messages: UidSet) -> list[int]:
        """The known UIDs a UID set names, in order.

        RFC 9051 6.4.9: UIDs that do not exist are ignored, so ``UID FETCH
        1:*`` on an empty mailbox names nothing.  ``*`` is the largest UID the
        client knows; ``n:*`` includes it even if n is larger (RFC 9051 9).
        """
        uids = self._uids
        if messages.saved:
            return [uid for uid in self.saved_result if self.seq_of(uid) is not None]
        if not uids:
            return []
        out: list[int] = []
        for low, high in messages.iter_ranges(uids[-1]):
            start = bisect.bisect_left(uids, low)
            stop = bisect.bisect_right(uids, high, start)
            out.extend(uids[start:stop])
        return out

    def resolve(self, messages: SequenceSet | UidSet) -> list[int]:
        if isinstance(messages, UidSet):
            return self.resolve_uid_set(messages)
        return self.resolve_sequence_set(messages)

    def _sequence_spans(self, messages: SequenceSet) -> list[tuple[int, int]]:
        count = len(self._uids)
        if count == 0:
            raise InvalidSequenceNumber("the mailbox is empty")
        spans = messages.iter_ranges(count)
        if spans and spans[-1][1] > count:
            raise InvalidSequenceNumber(f"no message {spans[-1][1]} (the mailbox has {count})")
        return spans

    def _runs(self, start: int, stop: int, out: list[tuple[int, int]]) -> None:
        """Append ``self._uids[start:stop]`` (not empty) to ``out`` as runs.

        UIDs ascend strictly, so a slice whose ends are ``stop - start - 1``
        apart holds consecutive UIDs; otherwise split it in halves.  The cost
        is O(runs * log n), whatever the size of the slice.
        """
        uids = self._uids
        first, last = uids[start], uids[stop - 1]
        if last - first == stop - 1 - start:
            # One run (no gap in the slice): the loop's first step, alone.
            if out and out[-1][1] + 1 == first:
                out[-1] = (out[-1][0], last)
            else:
                out.append((first, last))
            return
        pending = [(start, stop)]
        while pending:
            low, high = pending.pop()
            first, last = uids[low], uids[high - 1]
            if last - first == high - 1 - low:
                if out and out[-1][1] + 1 == first:
                    out[-1] = (out[-1][0], last)
                else:
                    out.append((first, last))
            else:
                middle = (low + high) // 2
                pending.append((middle, high))
                pending.append((low, middle))

    # ------------------------------------------------------ changes from the app

    def add_messages(
        self,
        uids: Iterable[int],
        *,
        flags: Mapping[int, Iterable[str]] | None = None,
        recent: bool | Iterable[int] = (),
        modseqs: Mapping[int, int] | None = None,
    ) -> None:
        """New messages (UIDs above every known one) to announce with EXISTS.

        ``recent``: True if all of them are \\Recent for this session, or the
        UIDs that are (RFC 3501 2.3.2: one session gets each).
        """
        recent_uids = recent if not isinstance(recent, bool) else ()
        recent_set = set(recent_uids)
        known_max = self._added[-1] if self._added else (self._uids[-1] if self._uids else 0)
        fresh = sorted(uid for uid in set(uids) if uid > known_max)
        for uid in fresh:
            self._added_flags[uid] = frozenset((flags or {}).get(uid, ()))
            if recent is True or uid in recent_set:
                self._add_recent(uid)
        if modseqs:
            self._modseq_seen = max(self._modseq_seen, *modseqs.values())
        self._added.extend(fresh)
        if fresh:
            self.uidnext = max(self.uidnext, fresh[-1] + 1)

    def expunge(self, uids: Iterable[int]) -> None:
        """Messages removed from the mailbox, to announce when allowed."""
        for uid in uids:
            if self.seq_of(uid) is not None:
                self._expunged.add(uid)
            elif self._added:
                # Added and expunged before the client heard of it: never tell.
                index = bisect.bisect_left(self._added, uid)
                if index < len(self._added) and self._added[index] == uid:
                    del self._added[index]
                    self._added_flags.pop(uid, None)
                    self._discard_recent(uid)

    def set_flags(
        self,
        uid: int,
        flags: Iterable[str],
        *,
        modseq: int | None = None,
        announce: bool = True,
    ) -> None:
        """A message's flags are now ``flags``.

        ``announce=False`` records a change the client already knows of (the
        session's own STORE, answered in its own FETCH responses or kept
        quiet by .SILENT, RFC 3501 6.4.6), so no FETCH is queued for it.
        """
        if uid in self._expunged:
            return
        new = frozenset(flags)
        uids = self._uids
        index = bisect.bisect_left(uids, uid)  # seq_of, inlined: FETCH calls this per message
        if index == len(uids) or uids[index] != uid:
            if uid in self._added_flags:
                self._added_flags[uid] = new
            return
        new_id = self._flagset_ids.get(new)
        if new_id is None:
            new_id = self._intern(new)  # before reading the array: it may widen it
        ids = self._flag_ids
        changed = ids[index] != new_id
        ids[index] = new_id
        if modseq is not None:
            told = self._told_modseqs.pop(uid, None)
            if not announce:
                if modseq > self._modseq_floor:
                    # A sync will report this change again; remember that
                    # the client knows it (a modseq at or below the floor is
                    # never reported again, so it needs no record).
                    self._told_modseqs[uid] = modseq
            else:
                # News if the client was told another modseq, or none and
                # this one is above the floor (a store that keeps no
                # modseqs reports the same one each time: flags decide).
                changed = changed or (
                    modseq > self._modseq_floor if told is None else told != modseq
                )
                self._modseq_seen = max(self._modseq_seen, modseq)
        if not announce:
            self._flag_updates.pop(uid, None)
        elif changed:
            self._flag_updates[uid] = modseq if modseq is not None else self._flag_updates.get(uid)

    def set_mailbox_flags(self, flags: Iterable[str], *, announce: bool = True) -> None:
        """The FLAGS list changed (a new keyword, RFC 3501 7.2.6).

        ``announce=False``: the session has just sent the FLAGS response itself.
        """
        new = tuple(flags)
        if new != self._mailbox_flags:
            self._mailbox_flags = new
            self._mailbox_flags_changed = announce
        elif not announce:
            # The list that waited for a drain has just been sent.
            self._mailbox_flags_changed = False

    # ------------------------------------------------------------------ output

    @property
    def has_updates(self) -> bool:
        return bool(
            self._added or self._expunged or self._flag_updates or self._mailbox_flags_changed
        )

    def drain(
        self,
        *,
        allow_expunge: bool,
        qresync: bool = False,
        condstore: bool = False,
        rev2: bool = False,
        flag_updates: bool = True,
    ) -> list[Response]:
        """The queued changes as responses, in an order that keeps numbers right.

        ``flag_updates=False`` keeps the FETCH FLAGS of changed messages
        queued for a later drain (a NOTIFY client that did not ask for
        FlagChange, RFC 5465 5.1, is not told between commands).

        FLAGS first (a FETCH may use a new keyword), then EXPUNGE or VANISHED
        when allowed, then FETCH FLAGS for changed messages, then EXISTS (and
        RECENT, not in IMAP4rev2) for new ones.

        With a :attr:`drain_hook`, its ``"before_expunge"`` responses go just
        before the EXPUNGEs (only when some are written) and its
        ``"after_exists"`` responses last (on every drain): RFC 5267 4.3.3 and
        4.3.4 want REMOVEFROM before the EXPUNGE and ADDTO after the EXISTS,
        so that the sequence numbers they carry are valid.
        """
        self._modseq_floor = self._modseq_seen
        hook = self.drain_hook
        if hook is None and not (
            self._added or self._expunged or self._flag_updates or self._mailbox_flags_changed
        ):
            # The common case: nothing happened since the last drain.
            # (ConnectionState._complete makes the same test and the same
            # assignment without calling this, once per command.)
            return []
        out: list[Response] = []
        if self._mailbox_flags_changed:
            out.append(FlagsData(flags=self._mailbox_flags))
            self._mailbox_flags_changed = False
        if allow_expunge and self._expunged:
            if hook is not None:
                out.extend(hook("before_expunge", self))
            out.extend(self._drain_expunged(qresync=qresync))
        if self._flag_updates and flag_updates:
            updates = sorted(
                (seq, uid, modseq)
                for uid, modseq in self._flag_updates.items()
                if uid not in self._expunged and (seq := self.seq_of(uid)) is not None
            )
            for seq, uid, modseq in updates:
                items: list[FetchDataItem] = [
                    FlagsItem(flags=self._flags_for_client(uid, seq)),
                    UidItem(uid=uid),
                ]
                if condstore and modseq is not None:
                    items.append(ModSeqItem(modseq=modseq))
                out.append(FetchData(number=seq, items=tuple(items)))
            self._flag_updates.clear()
        if self._added:
            added = self._added
            self._announce_added()
            out.append(ExistsData(count=len(self._uids)))
            if not rev2 and self._recent_count != self._recent_announced:
                out.append(RecentData(count=self._recent_count))
                self._recent_announced = self._recent_count
            if self.new_messages_hook is not None:
                out.extend(self.new_messages_hook(added))
        if hook is not None:
            out.extend(hook("after_exists", self))
        return out

    def fetch_data(self, uid: int, items: Iterable[FetchDataItem]) -> FetchData:
        """``* n FETCH (...)`` for ``uid`` with this session's sequence number."""
        uids = self._uids
        index = bisect.bisect_left(uids, uid)  # seq_of, inlined: once per message
        if index == len(uids) or uids[index] != uid:
            raise KeyError(f"UID {uid} is not in this session's view")
        return FetchData(number=index + 1, items=tuple(items))

    # --------------------------------------------------------------- internals

    def _intern(self, flags: frozenset[str]) -> int:
        """The index of ``flags`` in the table of flag sets (added if new)."""
        index = self._flagset_ids.get(flags)
        if index is not None:
            return index
        if len(self._flagsets) >= 256**self._flag_ids.itemsize:
            self._compact_flagsets()
        index = len(self._flagsets)
        self._flagsets.append(flags)
        self._flagset_ids[flags] = index
        if index >= 256**self._flag_ids.itemsize:
            code = _INDEX_CODES[_INDEX_CODES.index(self._flag_ids.typecode) + 1]
            self._flag_ids = array(code, self._flag_ids)
        return index

    def _compact_flagsets(self) -> None:
        """Drop the flag sets no message has any more (the table only grows
        otherwise), before the index array would have to widen."""
        used = sorted(set(self._flag_ids) | {0})
        remap = dict(zip(used, range(len(used)), strict=True))
        self._flagsets = [self._flagsets[i] for i in used]
        self._flagset_ids = {flags: i for i, flags in enumerate(self._flagsets)}
        self._flag_ids = array(self._flag_ids.typecode, map(remap.__getitem__, self._flag_ids))

    def _announce_added(self) -> None:
        base = len(self._uids)
        self._uids.extend(self._added)
        self._flag_ids.extend(bytes(len(self._added)))
        for offset, uid in enumerate(self._added):
            given = self._added_flags.get(uid, _NO_FLAGS)
            if given:
                # Interned one at a time and written at once: interning may
                # renumber the table (see _compact_flagsets).
                index = self._intern(given)
                self._flag_ids[base + offset] = index
        self._added = []
        self._added_flags = {}

    def _add_recent(self, uid: int) -> None:
        # New messages come in ascending UID order, above every recent one.
        self._recent_set = None
        runs = self._recent
        if runs and runs[-1][1] + 1 == uid:
            runs[-1] = (runs[-1][0], uid)
        else:
            runs.append((uid, uid))
        self._recent_count += 1

    def _is_recent(self, uid: int) -> bool:
        runs = self._recent
        index = bisect.bisect_right(runs, (uid, 2**63)) - 1
        return index >= 0 and uid <= runs[index][1]

    def _discard_recent(self, uid: int) -> bool:
        runs = self._recent
        index = bisect.bisect_right(runs, (uid, 2**63)) - 1
        if index < 0 or uid > runs[index][1]:
            return False
        self._recent_set = None
        low, high = runs[index]
        pieces = [(a, b) for a, b in ((low, uid - 1), (uid + 1, high)) if a <= b]
        runs[index : index + 1] = pieces
        self._recent_count -= 1
        return True

    def _flags_for_client(self, uid: int, seq: int) -> tuple[str, ...]:
        flags = sorted(self._flagsets[self._flag_ids[seq - 1]])
        if self._is_recent(uid):
            flags.append("\\Recent")
        return tuple(flags)

    def _drain_expunged(self, *, qresync: bool) -> list[Response]:
        gone = sorted(self._expunged)
        uids = self._uids
        # Every UID in _expunged is in the view (expunge() checks): its
        # position is a bisection, O(k log n) for k expunges.
        positions = [bisect.bisect_left(uids, uid) for uid in gone]
        out: list[Response]
        if qresync:
            vanished = uid_set(gone)
            out = [VanishedData(uids=vanished)] if vanished is not None else []
        else:
            # Ascending, each number counted after the ones before it are
            # gone: adjacent messages 3 and 4 give "* 3 EXPUNGE" twice
            # (RFC 3501 7.4.1 example).
            out = [ExpungeData(number=pos + 1 - done) for done, pos in enumerate(positions)]
        if len(positions) <= 8:
            for pos in reversed(positions):
                del uids[pos]
                del self._flag_ids[pos]
        else:
            # Many at once: rebuild both arrays from the slices between the
            # positions (each slice a C-level copy), not one delete each.
            kept_uids = array(uids.typecode)
            kept_ids = array(self._flag_ids.typecode)
            previous = 0
            for pos in positions:
                kept_uids += uids[previous:pos]
                kept_ids += self._flag_ids[previous:pos]
                previous = pos + 1
            kept_uids += uids[previous:]
            kept_ids += self._flag_ids[previous:]
            self._uids, self._flag_ids = kept_uids, kept_ids
        for uid in gone:
            self._told_modseqs.pop(uid, None)
            self._flag_updates.pop(uid, None)
            if self._discard_recent(uid):
                self._recent_announced -= 1
        self._expunged = set()
        return out
