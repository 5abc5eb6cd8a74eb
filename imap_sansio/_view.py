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
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from ._sequence import SequenceSet, UidSet

__all__ = ["DrainHook", "DrainPhase", "InvalidSequenceNumber", "SelectedMailboxView", "uid_set"]

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


_NO_FLAGS: frozenset[str] = frozenset()


class InvalidSequenceNumber(ValueError):
    """A sequence number beyond what the client has been told (a tagged BAD)."""


def uid_set(uids: Iterable[int]) -> UidSet | None:
    """A compact :class:`UidSet` (``1:3,7``) for sorted distinct ``uids``; None if empty."""
    ranges: list[tuple[int, int]] = []
    for uid in uids:
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], uid)
        else:
            ranges.append((uid, uid))
    return UidSet(ranges=tuple(ranges)) if ranges else None


class SelectedMailboxView:
    """What one session knows of its selected mailbox, and what it must be told.

    Build it from the mailbox as the SELECT/EXAMINE responses describe it,
    then feed it changes in UIDs (:meth:`add_messages`, :meth:`expunge`,
    :meth:`set_flags`, :meth:`set_mailbox_flags`); :meth:`drain` turns them
    into responses when the connection is allowed to send them.
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
        self._uids: list[int] = sorted(set(uids))
        self.uidvalidity = uidvalidity
        self.uidnext = max(uidnext, (self._uids[-1] + 1) if self._uids else 1)
        self._flags: dict[int, frozenset[str]] = dict.fromkeys(self._uids, _NO_FLAGS)
        for uid, given in (flags or {}).items():
            if uid in self._flags:
                self._flags[uid] = frozenset(given)
        self._modseqs: dict[int, int] = dict(modseqs or {})
        self._mailbox_flags = tuple(mailbox_flags)
        self._mailbox_flags_changed = False
        self._recent: set[int] = set(recent)
        self._recent_announced = len(self._recent)
        # Queued changes, not yet told to the client.
        self._added: list[int] = []
        self._expunged: set[int] = set()
        self._flag_updates: dict[int, None] = {}
        #: The result of the last ``SEARCH RETURN (SAVE)`` (RFC 5182), as UIDs.
        self.saved_result: tuple[int, ...] = ()
        #: Extra responses for :meth:`drain` (see :data:`DrainHook`); None: none.
        self.drain_hook: DrainHook | None = None

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
    def recent(self) -> frozenset[int]:
        return frozenset(self._recent)

    @property
    def mailbox_flags(self) -> tuple[str, ...]:
        return self._mailbox_flags

    def uid_of(self, seq: int) -> int:
        if not 1 <= seq <= len(self._uids):
            raise InvalidSequenceNumber(f"no message {seq} (the mailbox has {len(self._uids)})")
        return self._uids[seq - 1]

    def seq_of(self, uid: int) -> int | None:
        """This session's sequence number for ``uid``, or None if it does not know it."""
        index = bisect.bisect_left(self._uids, uid)
        if index < len(self._uids) and self._uids[index] == uid:
            return index + 1
        return None

    def flags_of(self, uid: int) -> frozenset[str]:
        return self._flags.get(uid, frozenset())

    def is_expunged(self, uid: int) -> bool:
        """Expunged elsewhere, but the client has not been told yet."""
        return uid in self._expunged

    def resolve_sequence_set(self, messages: SequenceSet) -> list[int]:
        """The UIDs a sequence set names, in order.

        RFC 9051 6.4.4 / 9: ``*`` is the last message the client knows; a
        number beyond it is an error (:class:`InvalidSequenceNumber`).  On an
        empty mailbox even ``*`` is invalid (RFC 9051 9: "``*`` ... if the
        mailbox is empty, it is an error").
        """
        count = len(self._uids)
        if messages.saved:
            return [uid for uid in self.saved_result if self.seq_of(uid) is not None]
        if count == 0:
            raise InvalidSequenceNumber("the mailbox is empty")
        spans = messages.iter_ranges(count)
        if spans and spans[-1][1] > count:
            raise InvalidSequenceNumber(f"no message {spans[-1][1]} (the mailbox has {count})")
        out: list[int] = []
        for low, high in spans:
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
            stop = bisect.bisect_right(uids, high)
            out.extend(uids[start:stop])
        return out

    def resolve(self, messages: SequenceSet | UidSet) -> list[int]:
        if isinstance(messages, UidSet):
            return self.resolve_uid_set(messages)
        return self.resolve_sequence_set(messages)

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
            self._flags[uid] = frozenset((flags or {}).get(uid, ()))
            if modseqs and uid in modseqs:
                self._modseqs[uid] = modseqs[uid]
            if recent is True or uid in recent_set:
                self._recent.add(uid)
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
                    self._flags.pop(uid, None)
                    self._recent.discard(uid)

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
        if uid not in self._flags or uid in self._expunged:
            return
        new = frozenset(flags)
        changed = new != self._flags[uid]
        self._flags[uid] = new
        if modseq is not None:
            changed = changed or self._modseqs.get(uid) != modseq
            self._modseqs[uid] = modseq
        if not announce:
            self._flag_updates.pop(uid, None)
        elif changed and self.seq_of(uid) is not None:
            self._flag_updates[uid] = None

    def set_mailbox_flags(self, flags: Iterable[str], *, announce: bool = True) -> None:
        """The FLAGS list changed (a new keyword, RFC 3501 7.2.6).

        ``announce=False``: the session has just sent the FLAGS response itself.
        """
        new = tuple(flags)
        if new != self._mailbox_flags:
            self._mailbox_flags = new
            self._mailbox_flags_changed = announce

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
    ) -> list[Response]:
        """The queued changes as responses, in an order that keeps numbers right.

        FLAGS first (a FETCH may use a new keyword), then EXPUNGE or VANISHED
        when allowed, then FETCH FLAGS for changed messages, then EXISTS (and
        RECENT, not in IMAP4rev2) for new ones.

        With a :attr:`drain_hook`, its ``"before_expunge"`` responses go just
        before the EXPUNGEs (only when some are written) and its
        ``"after_exists"`` responses last (on every drain): RFC 5267 4.3.3 and
        4.3.4 want REMOVEFROM before the EXPUNGE and ADDTO after the EXISTS,
        so that the sequence numbers they carry are valid.
        """
        out: list[Response] = []
        hook = self.drain_hook
        if self._mailbox_flags_changed:
            out.append(FlagsData(flags=self._mailbox_flags))
            self._mailbox_flags_changed = False
        if allow_expunge and self._expunged:
            if hook is not None:
                out.extend(hook("before_expunge", self))
            out.extend(self._drain_expunged(qresync=qresync))
        if self._flag_updates:
            updates = sorted(
                (seq, uid)
                for uid in self._flag_updates
                if uid not in self._expunged and (seq := self.seq_of(uid)) is not None
            )
            for seq, uid in updates:
                items: list[FetchDataItem] = [
                    FlagsItem(flags=self._flags_for_client(uid)),
                    UidItem(uid=uid),
                ]
                if condstore and uid in self._modseqs:
                    items.append(ModSeqItem(modseq=self._modseqs[uid]))
                out.append(FetchData(number=seq, items=tuple(items)))
            self._flag_updates.clear()
        if self._added:
            self._uids.extend(self._added)
            self._added.clear()
            out.append(ExistsData(count=len(self._uids)))
            if not rev2 and len(self._recent) != self._recent_announced:
                out.append(RecentData(count=len(self._recent)))
                self._recent_announced = len(self._recent)
        if hook is not None:
            out.extend(hook("after_exists", self))
        return out

    def fetch_data(self, uid: int, items: Iterable[FetchDataItem]) -> FetchData:
        """``* n FETCH (...)`` for ``uid`` with this session's sequence number."""
        seq = self.seq_of(uid)
        if seq is None:
            raise KeyError(f"UID {uid} is not in this session's view")
        return FetchData(number=seq, items=tuple(items))

    def _flags_for_client(self, uid: int) -> tuple[str, ...]:
        flags = sorted(self._flags.get(uid, ()))
        if uid in self._recent:
            flags.append("\\Recent")
        return tuple(flags)

    def _drain_expunged(self, *, qresync: bool) -> list[Response]:
        gone = self._expunged
        uids = self._uids
        # UIDs ascend with sequence numbers: find each by bisection, so an
        # EXPUNGE of a few messages costs no pass over a huge mailbox.
        positions = []
        for uid in sorted(gone):
            index = bisect.bisect_left(uids, uid)
            if index < len(uids) and uids[index] == uid:
                positions.append(index)
        out: list[Response]
        if qresync:
            vanished = uid_set(self._uids[i] for i in positions)
            out = [VanishedData(uids=vanished)] if vanished is not None else []
        else:
            # Ascending, each number counted after the ones before it are
            # gone: adjacent messages 3 and 4 give "* 3 EXPUNGE" twice
            # (RFC 3501 7.4.1 example).
            out = [ExpungeData(number=pos + 1 - done) for done, pos in enumerate(positions)]
        if len(positions) > 64:
            self._uids = [uid for uid in uids if uid not in gone]
        else:
            for index in reversed(positions):
                del uids[index]
        for uid in gone:
            self._flags.pop(uid, None)
            self._modseqs.pop(uid, None)
            self._flag_updates.pop(uid, None)
            if uid in self._recent:
                self._recent.discard(uid)
                self._recent_announced -= 1
        self._expunged = set()
        return out
