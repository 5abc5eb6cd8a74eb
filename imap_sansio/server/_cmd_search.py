"""SEARCH, SORT and THREAD: the commands that select messages by criteria.

SEARCH and UID SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4) with every search key,
CHARSET US-ASCII and UTF-8, result options MIN MAX ALL COUNT (ESEARCH,
RFC 4731) and SAVE with ``$`` (SEARCHRES, RFC 5182), YOUNGER/OLDER (WITHIN,
RFC 5032) and MODSEQ (RFC 7162 3.1.5); SORT (RFC 5256 3) with ARRIVAL CC DATE
FROM SIZE SUBJECT TO and DISPLAYFROM DISPLAYTO (RFC 5957); THREAD
ORDEREDSUBJECT and REFERENCES (RFC 5256 3).

How a search runs: the criteria are compiled once into predicates, each with
a cost (0: flags, size, dates, numbers; 1: header fields; 2: body text);
an AND tries its cheap members first and an OR its cheaper side first, so a
message is parsed only when a cheap key has not already decided.  Message
metadata comes from one ``Mailbox.messages()`` call; each message's bytes are
fetched and parsed at most once per command (the parse is lazy and cached).

Decisions where the RFCs leave room:

* Sequence numbers beyond the mailbox inside search keys match nothing (the
  Dovecot behaviour, which the imaptest ``esearch`` script checks): RFC 9051
  9 asks for BAD only for the sequence sets of COPY, FETCH and STORE
  (``seq-number``'s comment); in SEARCH a set is a criterion, not an address.
* BEFORE/ON/SINCE compare the date of the internal date in its own time zone
  (the zone given by APPEND, as Dovecot does); SENTBEFORE/SENTON/SENTSINCE the
  date of the Date: header in its own zone.  A message without a readable
  Date: matches no SENT* key (and so matches its NOT).
* Messages expunged by another session but not yet announced match nothing;
  messages appended elsewhere and not yet announced are not searched.
* Keywords match case-insensitively, like system flags (RFC 3501 9: atoms
  are case-insensitive).
* Strings compare after Unicode case folding (RFC 9051 6.4.4 asks at least
  for ASCII case-insensitivity); SORT strings use i;unicode-casemap
  (RFC 5051: titlecase, then NFKD), as RFC 5256 7 suggests.
* SORT FROM/TO/CC and DISPLAYFROM/DISPLAYTO take the first ENVELOPE address
  even when it starts a group (its name is the group's), as the imaptest
  ``sort-addresses`` and ``sort-display-to`` scripts expect.
* THREAD=REFERENCES step 1.B breaks a message's earlier parent link before
  the loop check, so a link that would loop leaves the message a root (the
  imaptest ``thread`` script).

SORT RETURN (MIN MAX ALL COUNT SAVE) answers ``* ESEARCH`` (ESORT, RFC 5267
3): MIN and MAX are the first and last messages in sort order, ALL lists
them in sort order with ascending runs written as ranges (RFC 5267 3.2).
RETURN (PARTIAL a:b) (RFC 5267 4.4), the CONTEXT hint (4.2, ignored) and
UPDATE (4.3) are accepted when CONTEXT=SEARCH / CONTEXT=SORT is advertised
(PARTIAL also with PARTIAL), answered BAD otherwise.

UPDATE contexts (RFC 5267 4.3) live on the selected mailbox's view, as its
drain hook (:class:`_Contexts`): whenever the engine writes mailbox updates
(before a tagged completion, during IDLE) the searches are run again and the
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

Not implemented (answered BAD): negative PARTIAL ranges (RFC 9394), the
SAVEDATE, ANNOTATION, FILTER, FUZZY, EMAILID and THREADID keys.
``SEARCH_CAPABILITIES`` lists what these handlers justify advertising.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .._bodystructure import Address
from .._commands import (
    CancelUpdate,
    Search,
    SearchAge,
    SearchAnd,
    SearchDate,
    SearchFlag,
    SearchHeader,
    SearchKey,
    SearchKeyword,
    SearchMessages,
    SearchModSeq,
    SearchNot,
    SearchOr,
    SearchSize,
    SearchText,
    SearchUid,
    Sort,
    SortKey,
)
from .._commands import Thread as ThreadCommand
from .._responses import (
    BadCharsetCode,
    ESearchData,
    OtherCode,
    Response,
    SearchData,
    SortData,
    Status,
    StatusResponse,
    ThreadData,
)
from .._responses import Thread as ThreadNode
from .._sequence import SequenceSet, UidSet
from .._view import DrainPhase, SelectedMailboxView
from ..mime import (
    Message,
    address_text,
    base_subject,
    body_text,
    decode_header_value,
    has_header,
    header_values,
    sent_date,
    sent_datetime,
    subject,
    text,
)
from ._backend import ImapBad, Mailbox, MessageInfo
from ._server import Completion, Handler, ServerConnection, enable_condstore

__all__ = ["ENABLEABLE", "HANDLERS", "SEARCH_CAPABILITIES"]

#: What ENABLE can turn on because of these handlers.
ENABLEABLE: frozenset[str] = frozenset()

#: The capabilities these handlers justify (the server decides what to advertise).
SEARCH_CAPABILITIES: tuple[str, ...] = (
    "ESEARCH",
    "SEARCHRES",
    "WITHIN",
    "SORT",
    "SORT=DISPLAY",
    "ESORT",
    "THREAD=ORDEREDSUBJECT",
    "THREAD=REFERENCES",
    "CONTEXT=SEARCH",
    "CONTEXT=SORT",
)

#: RFC 5267 4.3.1: servers MUST offer at least one updating context; more
#: are refused with NOUPDATE.
MAX_CONTEXTS = 16

#: RFC 9051 6.4.4: servers MUST support US-ASCII and UTF-8.
CHARSETS: tuple[str, ...] = ("US-ASCII", "UTF-8")

_SYSTEM_FLAG_KEYS: dict[str, tuple[str, bool]] = {
    "ANSWERED": ("\\Answered", True),
    "DELETED": ("\\Deleted", True),
    "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True),
    "SEEN": ("\\Seen", True),
    "UNANSWERED": ("\\Answered", False),
    "UNDELETED": ("\\Deleted", False),
    "UNDRAFT": ("\\Draft", False),
    "UNFLAGGED": ("\\Flagged", False),
    "UNSEEN": ("\\Seen", False),
}

#: RFC 4731 3 / RFC 9051 6.4.4 result options (RFC 5182: SAVE).
_RETURN_OPTIONS = frozenset({"MIN", "MAX", "ALL", "COUNT", "SAVE"})
#: RFC 5267 4.2, 4.3: accepted with CONTEXT=SEARCH / CONTEXT=SORT.
_CONTEXT_OPTIONS = frozenset({"CONTEXT", "UPDATE"})

# Costs: what a key needs to be decided.
_CHEAP, _HEADER, _BODY = 0, 1, 2

_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------
# The messages a command looks at


class _Item:
    """One message of the selected mailbox, as a search sees it.

    The message bytes are fetched and parsed on first use only, then kept
    for the rest of the command (so several text keys, SORT and THREAD share
    one parse), together with case-folded texts.
    """

    __slots__ = ("_folded", "_load", "_message", "info", "memo", "recent", "seq", "uid")

    def __init__(
        self,
        load: Callable[[int], Message | None],
        seq: int,
        uid: int,
        info: MessageInfo,
        recent: bool,
    ) -> None:
        self._load = load
        self.seq = seq
        self.uid = uid
        self.info = info
        self.recent = recent
        self._message: Message | None = None
        self._folded: dict[str, str] = {}
        #: Sort keys computed once per command (sent date, base subject).
        self.memo: dict[str, Any] = {}

    @property
    def message(self) -> Message:
        if self._message is None:
            self._message = self._load(self.uid) or Message(b"")
        return self._message

    def folded(self, what: str) -> str:
        """The case-folded decoded text for BODY, TEXT, or an address/subject field."""
        value = self._folded.get(what)
        if value is None:
            message = self.message
            if what == "BODY":
                raw = body_text(message)
            elif what == "TEXT":
                raw = text(message)
            elif what == "SUBJECT":
                raw = subject(message)
            else:  # FROM TO CC BCC
                raw = address_text(message, what.lower())
            value = self._folded[what] = raw.casefold()
        return value


def _items(session: ServerConnection, mailbox: Mailbox, view: SelectedMailboxView) -> list[_Item]:
    """The messages the client knows, in sequence order, with current metadata.

    Flags, sizes and dates come from the backend (they may be newer than the
    view's; the session's sync before the tagged OK tells the client).
    """
    uids = view.uids
    infos = {info.uid: info for info in mailbox.messages(uids)} if uids else {}
    recent = view.recent

    def load(uid: int) -> Message | None:
        return session.parsed_message(mailbox, uid)

    return [
        _Item(load, seq, uid, infos[uid], uid in recent)
        for seq, uid in enumerate(uids, 1)
        if uid in infos
    ]


# ---------------------------------------------------------------------------
# Compiling the criteria

_Predicate = Callable[[_Item], bool]


class _Compiler:
    """Turns a search key tree into ``(cost, predicate)`` pairs."""

    def __init__(self, session: ServerConnection, view: SelectedMailboxView) -> None:
        self.view = view
        self.now = session.now()
        self.count = view.exists
        uids = view.uids
        self.largest_uid = uids[-1] if uids else 0
        self.uses_modseq = False

    def compile(self, key: SearchKey) -> tuple[int, _Predicate]:
        if isinstance(key, SearchAnd):
            return self._and([self.compile(k) for k in key.keys])
        if isinstance(key, SearchOr):
            return self._or(self.compile(key.left), self.compile(key.right))
        if isinstance(key, SearchNot):
            cost, inner = self.compile(key.key)
            return cost, lambda item: not inner(item)
        if isinstance(key, SearchFlag):
            return _CHEAP, self._flag(key.name)
        if isinstance(key, SearchKeyword):
            return _CHEAP, _keyword(key.keyword, negated=key.negated)
        if isinstance(key, SearchSize):
            return _CHEAP, _size(key.name, key.size)
        if isinstance(key, SearchDate):
            return self._date(key.name, key.date)
        if isinstance(key, SearchAge):
            return _CHEAP, self._age(key.name, key.seconds)
        if isinstance(key, SearchMessages):
            return _CHEAP, self._messages(key.messages)
        if isinstance(key, SearchUid):
            return _CHEAP, self._uids(key.uids)
        if isinstance(key, SearchModSeq):
            # RFC 7162 3.1.5: modseq >= the value (one modseq per message
            # here, so the entry name and type do not change the answer).
            self.uses_modseq = True
            modseq = key.modseq
            return _CHEAP, lambda item: item.info.modseq >= modseq
        if isinstance(key, SearchText):
            return self._text(key.name, key.value)
        if isinstance(key, SearchHeader):
            return _HEADER, _header(key.field, _needle(key.value))
        raise ImapBad(f"Search key {type(key).__name__} is not supported", "CLIENTBUG")

    @staticmethod
    def _and(parts: list[tuple[int, _Predicate]]) -> tuple[int, _Predicate]:
        if not parts:
            return _CHEAP, lambda item: True
        if len(parts) == 1:
            return parts[0]
        parts.sort(key=lambda part: part[0])  # stable: cheap keys first
        predicates = tuple(p for _, p in parts)
        return parts[-1][0], lambda item: all(p(item) for p in predicates)

    @staticmethod
    def _or(left: tuple[int, _Predicate], right: tuple[int, _Predicate]) -> tuple[int, _Predicate]:
        (c1, p1), (c2, p2) = sorted((left, right), key=lambda part: part[0])
        return max(c1, c2), lambda item: p1(item) or p2(item)

    def _flag(self, name: str) -> _Predicate:
        system = _SYSTEM_FLAG_KEYS.get(name)
        if system is not None:
            flag, wanted = system
            return lambda item: (flag in item.info.flags) is wanted
        if name == "ALL":
            return lambda item: True
        # RFC 3501 6.4.4: NEW = RECENT UNSEEN; OLD = NOT RECENT.  \Recent
        # belongs to the session (RFC 3501 2.3.2): the view's recent set.
        if name == "RECENT":
            return lambda item: item.recent
        if name == "OLD":
            return lambda item: not item.recent
        if name == "NEW":
            return lambda item: item.recent and "\\Seen" not in item.info.flags
        raise ImapBad(f"Search key {name} is not supported", "CLIENTBUG")

    def _date(self, name: str, day: date) -> tuple[int, _Predicate]:
        compare = _DATE_COMPARISONS.get(name.removeprefix("SENT"))
        if compare is None:  # SAVEDBEFORE/SAVEDON/SAVEDSINCE (RFC 8514): not kept
            raise ImapBad(f"Search key {name} is not supported", "CLIENTBUG")
        if name.startswith("SENT"):
            # RFC 3501 6.4.4: the Date: header, disregarding time and zone.
            def sent(item: _Item) -> bool:
                value = sent_date(item.message)
                return value is not None and compare(value, day)

            return _HEADER, sent
        # The internal date, disregarding time and zone: its date in the zone
        # it carries (the zone APPEND gave).
        return _CHEAP, lambda item: compare(item.info.internal_date.date(), day)

    def _age(self, name: str, seconds: int) -> _Predicate:
        # RFC 5032 3: OLDER n = internal date more than n seconds ago;
        # YOUNGER n = within the last n seconds (so the two are complements).
        limit = self.now - timedelta(seconds=seconds)
        if name == "OLDER":
            return lambda item: item.info.internal_date < limit
        return lambda item: item.info.internal_date >= limit

    def _saved(self) -> frozenset[int]:
        # RFC 5182 2.1: the saved result, less the messages expunged since.
        return frozenset(u for u in self.view.saved_result if self.view.seq_of(u) is not None)

    def _messages(self, messages: SequenceSet) -> _Predicate:
        if messages.saved:
            saved = self._saved()
            return lambda item: item.uid in saved
        # "*" is the last message; numbers beyond the mailbox match nothing.
        spans = messages.iter_ranges(self.count)
        return lambda item: _in_spans(spans, item.seq)

    def _uids(self, uids: UidSet) -> _Predicate:
        if uids.saved:
            saved = self._saved()
            return lambda item: item.uid in saved
        # RFC 9051 9: "*" is the largest UID in use; n:* includes it.
        spans = uids.iter_ranges(self.largest_uid)
        return lambda item: _in_spans(spans, item.uid)

    def _text(self, name: str, value: bytes) -> tuple[int, _Predicate]:
        needle = _needle(value)
        if name not in ("BODY", "TEXT", "SUBJECT", "FROM", "TO", "CC", "BCC"):
            raise ImapBad(f"Search key {name} is not supported", "CLIENTBUG")
        if not needle:
            # The empty string is a substring of every text (RFC 9051 6.4.4).
            return _CHEAP, lambda item: True
        cost = _BODY if name in ("BODY", "TEXT") else _HEADER
        # FROM/TO/CC/BCC match the addresses' text (display names decoded),
        # never the mere presence of the field (a Net::IMAP::Server bug).
        return cost, lambda item: needle in item.folded(name)


def _needle(value: bytes) -> str:
    # US-ASCII and UTF-8 both decode as UTF-8 (US-ASCII is a subset); stray
    # 8-bit octets are replaced rather than refused.
    return value.decode("utf-8", "replace").casefold()


def _in_spans(spans: list[tuple[int, int]], number: int) -> bool:
    index = bisect.bisect_right(spans, (number, 2**63)) - 1
    return index >= 0 and spans[index][0] <= number <= spans[index][1]


def _keyword(keyword: str, *, negated: bool) -> _Predicate:
    wanted = keyword.lower()

    def has(item: _Item) -> bool:
        return any(flag.lower() == wanted for flag in item.info.flags)

    if negated:
        return lambda item: not has(item)
    return has


def _size(name: str, size: int) -> _Predicate:
    # RFC 3501 6.4.4: RFC822.SIZE strictly larger / smaller.
    if name == "LARGER":
        return lambda item: item.info.size > size
    return lambda item: item.info.size < size


def _header(field: str, needle: str) -> _Predicate:
    if not needle:
        # RFC 9051 6.4.4: HEADER with an empty string matches the messages
        # that have the field, whatever its contents.
        return lambda item: has_header(item.message, field)

    def match(item: _Item) -> bool:
        return any(needle in value.casefold() for value in header_values(item.message, field))

    return match


_DATE_COMPARISONS: dict[str, Callable[[date, date], bool]] = {
    "BEFORE": lambda value, day: value < day,
    "ON": lambda value, day: value == day,
    "SINCE": lambda value, day: value >= day,
}


# ---------------------------------------------------------------------------
# Running a search


def _check_charset(session: ServerConnection, charset: str | None, *, search: bool) -> bool:
    """True if the charset is supported; False means NO [BADCHARSET]."""
    if charset is None:
        return True
    if search and session.conn.utf8:
        # RFC 6855 3: after ENABLE UTF8=ACCEPT a SEARCH must not name a charset.
        raise ImapBad("No CHARSET after ENABLE UTF8=ACCEPT", "CLIENTBUG")
    return charset.upper() in CHARSETS


def _bad_charset(session: ServerConnection, charset: str) -> None:
    # RFC 9051 6.4.4: NO (not BAD), with the supported charsets listed.
    # (ImapNo carries only a code name, so the list is sent through complete().)
    session.complete(
        Status.NO,
        f"{charset} is not supported",
        BadCharsetCode(charsets=CHARSETS),
    )


def _run(
    session: ServerConnection, criteria: SearchKey
) -> tuple[list[_Item], _Compiler, SelectedMailboxView]:
    mailbox, view = session.require_mailbox()
    compiler = _Compiler(session, view)
    _, predicate = compiler.compile(criteria)
    items = _items(session, mailbox, view)
    return [item for item in items if predicate(item)], compiler, view


def _highest_modseq(compiler: _Compiler, found: Sequence[_Item]) -> int | None:
    # RFC 7162 3.1.5: with a MODSEQ key, the highest modseq of the result.
    if not compiler.uses_modseq or not found:
        return None
    return max(1, *(item.info.modseq for item in found))


def _check_options(
    session: ServerConnection, command: Search | Sort, context: str
) -> tuple[str, ...] | None:
    options = command.return_options
    if options is None:
        return None
    known = _RETURN_OPTIONS
    if context in session.server.capabilities_after_auth(session.account):
        known = known | _CONTEXT_OPTIONS
    unknown = [o for o in options if o.upper() not in known]
    if unknown:
        # RFC 9051 6.4.4: unknown result options MUST be rejected with BAD
        # (CONTEXT and UPDATE, RFC 5267 4, only with the CONTEXT capability).
        raise ImapBad(f"Unknown result option {unknown[0]}", "CLIENTBUG")
    upper = tuple(o.upper() for o in options)
    if "UPDATE" in upper:
        contexts = session.require_mailbox()[1].drain_hook
        if isinstance(contexts, _Contexts) and command.tag in contexts.active:
            # RFC 5267 4.3: UPDATE with the tag of a live context SHALL be BAD.
            raise ImapBad("Tag reuse", "CLIENTBUG")
    return upper


def _check_partial(
    session: ServerConnection, partial: tuple[int, int] | None, context: str
) -> None:
    """BAD for a PARTIAL the server does not offer.

    PARTIAL comes with CONTEXT=SEARCH / CONTEXT=SORT (RFC 5267 4.4) or
    PARTIAL (RFC 9394); while none of them is advertised a PARTIAL is an
    unknown option (RFC 9051 6.4.4: BAD).
    """
    if partial is None:
        return
    offered = session.server.capabilities_after_auth(session.account)
    if context not in offered and "PARTIAL" not in offered:
        raise ImapBad("PARTIAL is not supported", "CLIENTBUG")
    if partial[0] < 0:
        # RFC 9394 3.1's ranges counted from the end: PARTIAL is not offered.
        raise ImapBad("Negative PARTIAL ranges are not supported", "CLIENTBUG")


def search(session: ServerConnection, command: Search) -> Completion | None:
    """SEARCH / UID SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4, RFC 4731, RFC 5182)."""
    _, view = session.require_mailbox()
    options = _check_options(session, command, "CONTEXT=SEARCH")
    _check_partial(session, command.partial, "CONTEXT=SEARCH")
    save = options is not None and "SAVE" in options
    if not _check_charset(session, command.charset, search=True):
        if save:
            view.saved_result = ()  # RFC 5182 2.1: a failed SAVE empties $
        _bad_charset(session, command.charset or "")
        return None
    found, compiler, view = _run(session, command.criteria)
    if compiler.uses_modseq:
        enable_condstore(session)  # RFC 7162 3.1: SEARCH MODSEQ enables CONDSTORE

    rev2 = "IMAP4REV2" in session.conn.enabled
    if options is None and not rev2:
        numbers = [item.uid if command.uid else item.seq for item in found]
        modseq = _highest_modseq(compiler, found)
        session.send(SearchData(numbers=tuple(numbers), modseq=modseq))
        return None
    # RFC 9051 6.4.4: IMAP4rev2 always answers with ESEARCH.
    result = _extended_result(
        session, command, options=options or (), found=found, compiler=compiler, view=view
    )
    _start_context(session, command, options, found, view)
    return result


def _extended_result(
    session: ServerConnection,
    command: Search | Sort,
    *,
    options: tuple[str, ...],
    found: Sequence[_Item],
    compiler: _Compiler,
    view: SelectedMailboxView,
) -> Completion | None:
    """The ``* ESEARCH`` of a SEARCH (RFC 4731) or an extended SORT (RFC 5267 3).

    ``found`` is in result order: ascending for SEARCH, the sort order for
    SORT, where MIN and MAX are the first and last messages of the sort
    order and ALL lists the messages in that order (RFC 5267 3.1).
    """
    tag, uid, partial, name = command.tag, command.uid, command.partial, command.name
    save = "SAVE" in options
    wanted = set(options) - {"SAVE"} - _CONTEXT_OPTIONS
    if not wanted and not save and partial is None:
        # RFC 4731 3.1 / RFC 9051 6.4.4: "RETURN ()" means ALL.
        wanted = {"ALL"}
    window: Sequence[_Item] = ()
    if partial is not None:
        # RFC 5267 4.4: positions low..high (1-based) of the result;
        # the parser already put the range in order (500:400 = 400:500).
        low, high = partial
        window = found[low - 1 : high]
    reported = _reported(wanted, found)
    if save:
        # RFC 5182 2.4, RFC 9051 6.4.4.1: $ holds what is reported (with
        # PARTIAL alone: the messages of the range).
        saved = window if partial is not None and not wanted else reported
        view.saved_result = tuple(sorted(item.uid for item in saved))
        if not wanted and partial is None:
            # RFC 9051 6.4.4: SAVE alone suppresses the ESEARCH response.
            return Completion(text=f"{name} completed, result saved")

    def number(item: _Item) -> int:
        return item.uid if uid else item.seq

    modseq_of = list(reported) if wanted else []
    if partial is not None:
        modseq_of.extend(window)
    session.send(
        ESearchData(
            tag=tag,
            uid=uid,
            min=number(found[0]) if "MIN" in wanted and found else None,
            max=number(found[-1]) if "MAX" in wanted and found else None,
            count=len(found) if "COUNT" in wanted else None,
            all=_ordered_set(map(number, found), uid) if "ALL" in wanted else None,
            partial_range=partial,
            partial=_ordered_set(map(number, window), uid) if partial is not None else None,
            # RFC 7162 3.1.10, RFC 4731 3.2: the highest modseq of what is reported.
            modseq=_highest_modseq(compiler, modseq_of),
        )
    )
    return None


def _ordered_set(numbers: Iterable[int], uid: bool) -> SequenceSet | UidSet | None:
    """The numbers as a set in the order given, ascending runs as ranges.

    RFC 5267 3.2: in an extended SORT result, a range stands for its
    numbers in ascending order and the set is read in the order written,
    so ``5,3:4,2,1`` is 5 3 4 2 1.  Ascending input (SEARCH) gives the usual
    compact set.  None when there are no numbers (the item is left out).
    """
    ranges: list[tuple[int, int]] = []
    for value in numbers:
        if ranges and ranges[-1][1] + 1 == value:
            ranges[-1] = (ranges[-1][0], value)
        else:
            ranges.append((value, value))
    if not ranges:
        return None
    return UidSet(ranges=tuple(ranges)) if uid else SequenceSet(ranges=tuple(ranges))


def _reported(wanted: set[str], found: Sequence[_Item]) -> Sequence[_Item]:
    """The messages a result reports: all of them, or just the MIN and/or MAX.

    This is also what ``$`` holds after SAVE (RFC 5182 2.4, RFC 9051 6.4.4.1
    table 4) and whose highest modseq the ESEARCH MODSEQ item gives
    (RFC 7162 3.1.5: the imaptest ``esearch-condstore`` script).
    """
    if not found or "ALL" in wanted or "COUNT" in wanted or not wanted:
        return found
    chosen: list[_Item] = []
    if "MIN" in wanted:
        chosen.append(found[0])
    if "MAX" in wanted and (not chosen or chosen[0] is not found[-1]):
        chosen.append(found[-1])
    return chosen


# ---------------------------------------------------------------------------
# UPDATE contexts (RFC 5267 4.3) and CANCELUPDATE (4.3.5)


class _Context:
    """One ``RETURN (UPDATE)`` search: the command and its last result (UIDs, in order)."""

    __slots__ = ("command", "result")

    def __init__(self, command: Search | Sort, result: list[int]) -> None:
        self.command = command
        self.result = result


class _Contexts:
    """The live UPDATE contexts of one selected mailbox: the view's drain hook.

    Called by :meth:`SelectedMailboxView.drain`: ``"before_expunge"`` gives
    the REMOVEFROM of the messages about to be expunged, numbered as before
    the EXPUNGE (RFC 5267 4.3.4); ``"after_exists"`` runs each search again
    and gives the rest of the differences, numbered after EXISTS (4.3.3).
    """

    __slots__ = ("active", "session")

    def __init__(self, session: ServerConnection) -> None:
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
            found, _, _ = _run(self.session, command.criteria)
            if isinstance(command, Sort):
                found = _sort_items(found, command.sort_keys)
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
            found = _ordered_set(numbers, uid)
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
                found = _ordered_set(run, uid)
                if found is not None:
                    position = start + 1 - done if pairs is removefrom else start + 1
                    pairs.append((position, found))
                if pairs is removefrom:
                    done += index - start
    return ESearchData(tag=command.tag, uid=uid, removefrom=tuple(removefrom), addto=tuple(addto))


def _start_context(
    session: ServerConnection,
    command: Search | Sort,
    options: tuple[str, ...] | None,
    found: Sequence[_Item],
    view: SelectedMailboxView,
) -> None:
    """Keep a ``RETURN (UPDATE)`` search up to date (RFC 5267 4.3)."""
    if options is None or "UPDATE" not in options:
        return
    contexts = view.drain_hook
    if not isinstance(contexts, _Contexts):
        if contexts is not None:  # someone else's hook: no updates
            _refuse_update(session, command.tag)
            return
        contexts = _Contexts(session)
        view.drain_hook = contexts
    if len(contexts.active) >= MAX_CONTEXTS:
        _refuse_update(session, command.tag)
        return
    contexts.active[command.tag] = _Context(command, [item.uid for item in found])


def _refuse_update(session: ServerConnection, tag: str) -> None:
    # RFC 5267 4.3.1: an untagged NO [NOUPDATE "tag"]; the rest is answered.
    session.send(
        StatusResponse(
            status=Status.NO,
            text="Too many contexts",
            code=OtherCode(name="NOUPDATE", text=f'"{tag}"'),
        )
    )


def cancel_update(session: ServerConnection, command: CancelUpdate) -> None:
    """CANCELUPDATE (RFC 5267 4.3.5): no more updates for these contexts.

    A tag with no live context is ignored (the result is the same: no
    updates for it).
    """
    _, view = session.require_mailbox()
    contexts = view.drain_hook
    if isinstance(contexts, _Contexts):
        for tag in command.tags:
            contexts.active.pop(tag, None)


# ---------------------------------------------------------------------------
# SORT (RFC 5256 3, RFC 5957)


def _casemap(value: str) -> str:
    """The i;unicode-casemap key (RFC 5051 2): titlecase each character, then NFKD."""
    return unicodedata.normalize("NFKD", "".join(c.title() for c in value))


def _first_address(addresses: tuple[Address, ...] | None) -> Address | None:
    # The first address of the ENVELOPE field, a group start included (its
    # addr-mailbox is the group name), as Dovecot's imaptest scripts expect.
    return addresses[0] if addresses else None


def _decode(value: bytes | None) -> str:
    return decode_header_value(value) if value else ""


def _envelope_addresses(item: _Item, field: str) -> tuple[Address, ...] | None:
    envelope = item.message.envelope
    if field == "FROM":
        return envelope.from_
    if field == "TO":
        return envelope.to
    return envelope.cc


def _mailbox_key(item: _Item, field: str) -> str:
    # RFC 5256 3: the addr-mailbox of the first address; absent = "".
    address = _first_address(_envelope_addresses(item, field))
    if address is None or address.mailbox is None:
        return ""
    return _casemap(address.mailbox.decode("utf-8", "replace"))


def _display_key(item: _Item, field: str) -> str:
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
    return _casemap(name)


def _arrival(item: _Item) -> datetime:
    return item.info.internal_date


def _sent(item: _Item) -> datetime:
    # RFC 5256 2.2: the Date: header normalised to UTC; the internal date
    # when it is missing or unreadable.
    value: datetime | None = item.memo.get("sent")
    if value is None:
        value = sent_datetime(item.message) or item.info.internal_date
        item.memo["sent"] = value
    return value


def _subject_key(item: _Item) -> str:
    # RFC 5256 2.1 base subject, compared with i;unicode-casemap.
    value: str | None = item.memo.get("subject")
    if value is None:
        value = item.memo["subject"] = _casemap(base_subject(subject(item.message)))
    return value


def _sort_function(key: SortKey) -> Callable[[_Item], Any]:
    name = key.key
    if name == "ARRIVAL":
        return _arrival
    if name == "DATE":
        return _sent
    if name == "SIZE":
        return lambda item: item.info.size
    if name == "SUBJECT":
        return _subject_key
    if name in ("FROM", "TO", "CC"):
        return lambda item: _mailbox_key(item, name)
    if name in ("DISPLAYFROM", "DISPLAYTO"):
        field = name.removeprefix("DISPLAY")
        return lambda item: _display_key(item, field)
    raise ImapBad(f"Sort criterion {name} is not supported", "CLIENTBUG")


def _sort_items(items: list[_Item], keys: Sequence[SortKey]) -> list[_Item]:
    """RFC 5256 3: by each criterion in priority order, then by sequence number.

    REVERSE reverses its criterion only, never the implicit sequence-number
    tie-break: successive stable sorts, last criterion first (Python keeps
    equal elements in order also with ``reverse=True``).
    """
    functions = [(_sort_function(k), k.reverse) for k in keys]
    result = sorted(items, key=lambda item: item.seq)
    for function, reverse in reversed(functions):
        result.sort(key=function, reverse=reverse)
    return result


def sort(session: ServerConnection, command: Sort) -> Completion | None:
    """SORT / UID SORT (RFC 5256 3), with RETURN (ESORT, RFC 5267 3)."""
    options = _check_options(session, command, "CONTEXT=SORT")
    _check_partial(session, command.partial, "CONTEXT=SORT")
    for key in command.sort_keys:
        _sort_function(key)  # BAD for an unknown criterion before searching
    if not _check_charset(session, command.charset, search=False):
        if options is not None and "SAVE" in options:
            session.require_mailbox()[1].saved_result = ()  # as SEARCH (RFC 5182 2.1)
        _bad_charset(session, command.charset)
        return None
    found, compiler, _ = _run(session, command.criteria)
    if compiler.uses_modseq:
        enable_condstore(session)  # RFC 7162 3.1 (a SEARCH MODSEQ), 3.1.9
    ordered = _sort_items(found, command.sort_keys)
    if options is not None:
        _, view = session.require_mailbox()
        result = _extended_result(
            session, command, options=options, found=ordered, compiler=compiler, view=view
        )
        _start_context(session, command, options, ordered, view)
        return result
    numbers = tuple(item.uid if command.uid else item.seq for item in ordered)
    session.send(SortData(numbers=numbers, modseq=_highest_modseq(compiler, found)))
    return None


# ---------------------------------------------------------------------------
# THREAD (RFC 5256 3)


def _ordered_subject(found: list[_Item]) -> list[tuple[_Item, list[_Item]]]:
    """ORDEREDSUBJECT: group by base subject, each by sent date; threads by
    the sent date of their first message (ties: sequence number)."""
    groups: dict[str, list[_Item]] = {}
    for item in sorted(found, key=lambda i: (_sent(i), i.seq)):
        groups.setdefault(_subject_key(item), []).append(item)
    threads = [(members[0], members[1:]) for members in groups.values()]
    threads.sort(key=lambda thread: (_sent(thread[0]), thread[0].seq))
    return threads


def _ordered_subject_nodes(
    threads: list[tuple[_Item, list[_Item]]], number: Callable[[_Item], int]
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


def thread(session: ServerConnection, command: ThreadCommand) -> None:
    """THREAD / UID THREAD (RFC 5256 3)."""
    algorithm = command.algorithm.upper()
    if algorithm not in ("ORDEREDSUBJECT", "REFERENCES"):
        raise ImapBad(f"Threading algorithm {command.algorithm} is not supported", "CLIENTBUG")
    if not _check_charset(session, command.charset, search=False):
        _bad_charset(session, command.charset)
        return None
    found, _, _ = _run(session, command.criteria)

    def number(item: _Item) -> int:
        return item.uid if command.uid else item.seq

    if algorithm == "ORDEREDSUBJECT":
        nodes = _ordered_subject_nodes(_ordered_subject(found), number)
    else:
        nodes = _references(found, number)
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


class _Container:
    """A node of the REFERENCES tree: a message, or a dummy (``item`` None)."""

    __slots__ = ("children", "item", "parent")

    def __init__(self, item: _Item | None = None) -> None:
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


def _is_reply(item: _Item) -> bool:
    """RFC 5256 3: base-subject extraction removes a subj-refwd, a "(fwd)"
    trailer, or a subj-fwd-hdr/subj-fwd-trl pair."""
    return bool(_REPLY.search(subject(item.message)))


def _references(found: list[_Item], number: Callable[[_Item], int]) -> tuple[ThreadNode, ...]:
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
    for item in sorted(found, key=lambda i: i.seq):
        header = item.message.header
        ids = _message_ids(header.first(b"message-id"))
        own = ids[0] if ids else None
        if own is None or (own in by_id and by_id[own].item is not None):
            unique += 1
            own = b"\0unique-%d" % unique
        node = container_for(own)
        node.item = item
        containers.append(node)
        references = _message_ids(header.first(b"references"))
        if not references:
            references = _message_ids(header.first(b"in-reply-to"))[:1]
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
    roots = [node for node in by_id.values() if node.parent is None]

    # Step 3: prune dummies.
    roots = _prune(roots)

    # Step 4: sort the roots by sent date (a dummy by its first child).
    def first_date(node: _Container) -> tuple[datetime, int]:
        if node.item is not None:
            return (_sent(node.item), node.item.seq)
        node.children.sort(key=first_date)
        return first_date(node.children[0]) if node.children else (_EPOCH, 0)

    roots.sort(key=first_date)

    # Step 5: gather roots with the same base subject.
    def thread_subject(node: _Container) -> str:
        source = node.item if node.item is not None else node.children[0].item
        return "" if source is None else _subject_key(source)

    table: dict[str, _Container] = {}
    for node in roots:  # 5.B
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
    for node in roots:
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

    # Step 6: sort every set of siblings by sent date, deepest first.
    for node in _descendants_bottom_up(roots):
        node.children.sort(key=first_date)
    roots.sort(key=first_date)
    return tuple(_to_thread(node, number) for node in roots)


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


def _prune(roots: list[_Container]) -> list[_Container]:
    """RFC 5256 3 step 3: remove dummies, promoting their children."""
    for node in _descendants_bottom_up(roots):
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


def _to_thread(node: _Container, number: Callable[[_Item], int]) -> ThreadNode:
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


HANDLERS: dict[type, Handler] = {
    CancelUpdate: cancel_update,
    Search: search,
    Sort: sort,
    ThreadCommand: thread,
}
