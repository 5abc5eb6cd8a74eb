"""The search engine behind SEARCH, SORT and THREAD: criteria to messages.

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
  for ASCII case-insensitivity).

The extended result (``* ESEARCH``, RFC 4731, RFC 5267 3) is written here
for SEARCH and SORT alike.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence, Set
from datetime import date, timedelta
from typing import Any, TypeAlias, TypeVar, cast

from .._commands import (
    ESearch,
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
)
from .._responses import (
    BadCharsetCode,
    ESearchData,
    Status,
)
from .._sequence import SequenceSet, UidSet
from .._view import SelectedMailboxView
from ..mime import (
    Message,
    address_text,
    body_text,
    has_header,
    header_values,
    sent_date,
    subject,
    text,
)
from ._backend import (
    FlagIndexMailbox,
    ImapBad,
    Mailbox,
    MessageInfo,
    ObjectIdAccount,
    SaveDateAccount,
)
from ._session import Completion, Session

__all__ = [
    "CHARSETS",
    "CONTEXT_OPTIONS",
    "Compiler",
    "Item",
    "bad_charset",
    "check_charset",
    "check_options",
    "check_partial",
    "drain",
    "extended_result",
    "highest_modseq",
    "ordered_set",
    "partial_window",
    "run_search",
    "search_steps",
]

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
CONTEXT_OPTIONS = frozenset({"CONTEXT", "UPDATE"})

# Costs: what a key needs to be decided.
_CHEAP, _HEADER, _BODY = 0, 1, 2

# ---------------------------------------------------------------------------
# The messages a command looks at


class _Source:
    """Where a search's items get their bytes and texts: the server's cache,
    under keys that share the user, mailbox and UIDVALIDITY of the search."""

    __slots__ = ("_cache", "_mailbox", "_prefix", "_session")

    def __init__(self, session: Session, mailbox: Mailbox) -> None:
        self._session = session
        self._mailbox = mailbox
        self._cache = session.server.message_cache
        self._prefix = session.message_key(mailbox, 0)[:3]

    def message(self, uid: int) -> Message | None:
        return self._session.parsed_message(self._mailbox, uid, prefix=self._prefix)

    def folded(self, item: Item, what: str) -> str:
        user, name, uidvalidity = self._prefix
        value = self._cache.text_of((user, name, uidvalidity, item.uid, what))
        if value is None:
            key = (user, name, uidvalidity, item.uid)
            message = item.message
            if what == "BODY":
                raw = body_text(message)
            elif what == "TEXT":
                raw = text(message)
            elif what == "SUBJECT":
                raw = subject(message)
            else:  # FROM TO CC BCC
                raw = address_text(message, what.lower())
            value = raw.casefold()
            self._cache.keep_text(key, what, value)
        return value


class Item:
    """One message of the selected mailbox, as a search sees it.

    The message bytes are fetched and parsed on first use only, then kept
    for the rest of the command (so several text keys, SORT and THREAD share
    one parse); the case-folded texts are kept in the server's cache beside
    the parsed message, so the next search reads them without parsing.
    """

    __slots__ = ("_memo", "_message", "_recent", "_source", "info", "seq", "uid")

    def __init__(
        self, source: _Source, seq: int, uid: int, info: MessageInfo, recent: Set[int]
    ) -> None:
        self._source = source
        self.seq = seq
        self.uid = uid
        self.info = info
        #: The session's \Recent set, asked only by RECENT/NEW/OLD.
        self._recent = recent
        self._message: Message | None = None
        self._memo: dict[str, Any] | None = None

    @property
    def recent(self) -> bool:
        return self.uid in self._recent

    @property
    def memo(self) -> dict[str, Any]:
        """Sort keys computed once per command (sent date, base subject)."""
        if self._memo is None:
            self._memo = {}
        return self._memo

    def release(self) -> None:
        """Drop the parsed message (its sort keys in ``memo`` stay): a SORT
        of a big mailbox holds only the keys."""
        self._message = None

    @property
    def message(self) -> Message:
        if self._message is None:
            self._message = self._source.message(self.uid) or Message(b"")
        return self._message

    def folded(self, what: str) -> str:
        """The case-folded decoded text for BODY, TEXT, or an address/subject field."""
        return self._source.folded(self, what)


def _matching(
    session: Session,
    mailbox: Mailbox,
    view: SelectedMailboxView,
    criteria: SearchKey,
    predicate: Callable[[Item], bool],
) -> list[Item]:
    """The messages the client knows that match, in sequence order.

    Flags, sizes and dates come from the backend (they may be newer than the
    view's; the session's sync before the tagged OK tells the client).
    Messages expunged elsewhere but not yet announced are left out.  One
    :class:`Item` is reused while messages fail the predicate, so a search
    on flags creates an object per match, not per message.
    """
    count = view.exists
    if not count:
        return []
    recent = view.recent
    source = _Source(session, mailbox)
    every = session.server.progress_interval
    while isinstance(criteria, SearchAnd) and len(criteria.keys) == 1:
        criteria = criteria.keys[0]
    flag_key = _SYSTEM_FLAG_KEYS.get(criteria.name) if isinstance(criteria, SearchFlag) else None
    if (
        flag_key is not None
        and (every is None or count <= every)  # else INPROGRESS counts every message
    ):
        indexed = _by_flag_index(mailbox, view, flag_key, source, recent)
        if indexed is not None:
            return indexed
    uids = view.uids
    # The view's UIDs ascend and new messages come after them: the range
    # from the first to the last is all the store needs to look at.
    infos = mailbox.messages(range(uids[0], uids[-1] + 1))
    if every is not None and len(infos) > every:
        # RFC 9585 3: progress every ``every`` messages (none after the
        # last: the result says that much), so the messages are paired up
        # first and each counted once.
        rows = _by_uid(uids, infos)
        return _with_progress(session, source, recent, rows, predicate, every=every)
    if len(infos) == len(uids):
        # Usually the store holds exactly the view's messages: pair them up
        # in order, and check the pairing as the messages go by.
        if flag_key is not None:
            # The commonest search (UNSEEN, DELETED, ...): decided by the
            # flags alone, in one comprehension, no Python call per message.
            # A misaligned pair is always kept, so one check finds it.
            flag, wanted = flag_key
            matched = [
                Item(source, seq, uid, info, recent)
                for seq, (uid, info) in enumerate(zip(uids, infos, strict=True), 1)
                if info.uid != uid or (flag in info.flags) is wanted
            ]
            if all(item.info.uid == item.uid for item in matched):
                return matched
        else:
            paired = zip(range(1, len(uids) + 1), uids, infos, strict=True)
            found = _filter(source, recent, paired, predicate)
            if found is not None:
                return found
    return _filter(source, recent, _by_uid(uids, infos), predicate) or []


#: Mailbox classes -> whether they implement FlagIndexMailbox.
_FLAG_INDEX_TYPES: dict[type, bool] = {}


def _by_flag_index(
    mailbox: Mailbox,
    view: SelectedMailboxView,
    flag_key: tuple[str, bool],
    source: _Source,
    recent: Set[int],
) -> list[Item] | None:
    """A search on one system flag answered from the store's flag index
    (time that grows with the answer, not the mailbox); None if it has none."""
    kind = type(mailbox)
    indexed = _FLAG_INDEX_TYPES.get(kind)
    if indexed is None:
        # A Protocol isinstance check costs ~16 us (Python 3.11): once per class.
        indexed = _FLAG_INDEX_TYPES[kind] = isinstance(mailbox, FlagIndexMailbox)
    if not indexed:
        return None
    found = cast(FlagIndexMailbox, mailbox).uids_by_flag(*flag_key)
    if found is None:
        return None
    # Not announced yet (new) or expunged elsewhere: not searched.
    known = view.known(found)
    if not known:
        return []
    infos = {info.uid: info for info in mailbox.messages([uid for _, uid in known])}
    flag, wanted = flag_key
    return [
        Item(source, seq, uid, info, recent)
        for seq, uid in known
        # The flags as the store has them now (the index may lag behind).
        if (info := infos.get(uid)) is not None and (flag in info.flags) is wanted
    ]


def _by_uid(
    uids: Sequence[int], infos: Sequence[MessageInfo]
) -> list[tuple[int, int, MessageInfo]]:
    """(seq, uid, info) of the view's messages the store still has (some
    may be expunged elsewhere and not announced yet)."""
    by_uid = {info.uid: info for info in infos}
    return [(seq, uid, by_uid[uid]) for seq, uid in enumerate(uids, 1) if uid in by_uid]


def _with_progress(
    session: Session,
    source: _Source,
    recent: Set[int],
    rows: list[tuple[int, int, MessageInfo]],
    predicate: Callable[[Item], bool],
    *,
    every: int,
) -> list[Item]:
    total = len(rows)
    done = 0

    def counting(item: Item) -> bool:
        nonlocal done
        matched = predicate(item)
        done += 1
        if done % every == 0 and done < total:
            session.progress(done, total)
        return matched

    return _filter(source, recent, rows, counting) or []


def _filter(
    source: _Source,
    recent: Set[int],
    rows: Iterable[tuple[int, int, MessageInfo]],
    predicate: Callable[[Item], bool],
) -> list[Item] | None:
    """The items that match among (seq, uid, info) rows; None if a row's
    message is not its UID's."""
    found: list[Item] = []
    item: Item | None = None
    for seq, uid, info in rows:
        if info.uid != uid:
            return None
        if item is None:
            item = Item(source, seq, uid, info, recent)
        else:
            item.seq = seq
            item.uid = uid
            item.info = info
        if predicate(item):
            found.append(item)
            item = None
        elif item._message is not None:
            item._message = None
            item._memo = None
    return found


# ---------------------------------------------------------------------------
# Compiling the criteria

Predicate = Callable[[Item], bool]


class Compiler:
    """Turns a search key tree into ``(cost, predicate)`` pairs."""

    def __init__(
        self, session: Session, view: SelectedMailboxView, mailbox: Mailbox | None = None
    ) -> None:
        self.session = session
        #: The mailbox searched (the selected one, or ESEARCH's, RFC 7377).
        self.mailbox = mailbox if mailbox is not None else session.mailbox
        self.view = view
        self.now = session.now()
        self.count = view.exists
        self.largest_uid = view.uid_of(self.count) if self.count else 0
        self.uses_modseq = False

    def compile(self, key: SearchKey) -> tuple[int, Predicate]:
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
    def _and(parts: list[tuple[int, Predicate]]) -> tuple[int, Predicate]:
        if not parts:
            return _CHEAP, lambda item: True
        if len(parts) == 1:
            return parts[0]
        parts.sort(key=lambda part: part[0])  # stable: cheap keys first
        predicates = tuple(p for _, p in parts)
        return parts[-1][0], lambda item: all(p(item) for p in predicates)

    @staticmethod
    def _or(left: tuple[int, Predicate], right: tuple[int, Predicate]) -> tuple[int, Predicate]:
        (c1, p1), (c2, p2) = sorted((left, right), key=lambda part: part[0])
        return max(c1, c2), lambda item: p1(item) or p2(item)

    def _flag(self, name: str) -> Predicate:
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
        if name == "SAVEDATESUPPORTED":
            # RFC 8514 4.3: all messages when the mailbox keeps save dates, else none.
            supported = self._save_dates()
            return lambda item: supported
        raise ImapBad(f"Search key {name} is not supported", "CLIENTBUG")

    def _save_dates(self) -> bool:
        """Whether the mailbox searched keeps save dates (RFC 8514 4.3: for
        MULTISEARCH, each mailbox on its own); BAD when the account does not
        offer SAVEDATE at all."""
        account, mailbox = self.session.account, self.mailbox
        if not isinstance(account, SaveDateAccount) or mailbox is None:
            raise ImapBad("The SAVEDATE search keys are not supported", "CLIENTBUG")
        return account.save_date_supported(mailbox.name)

    def _date(self, name: str, day: date) -> tuple[int, Predicate]:
        if name.startswith("SAVED"):
            return _CHEAP, self._saved_date(_DATE_COMPARISONS[name.removeprefix("SAVED")], day)
        compare = _DATE_COMPARISONS[name.removeprefix("SENT")]
        if name.startswith("SENT"):
            # RFC 3501 6.4.4: the Date: header, disregarding time and zone.
            def sent(item: Item) -> bool:
                value = sent_date(item.message)
                return value is not None and compare(value, day)

            return _HEADER, sent
        # The internal date, disregarding time and zone: its date in the zone
        # it carries (the zone APPEND gave).
        return _CHEAP, lambda item: compare(item.info.internal_date.date(), day)

    def _saved_date(self, compare: Callable[[date, date], bool], day: date) -> Predicate:
        # RFC 8514 4.3: the save date disregarding time and zone; a mailbox
        # that keeps none "MUST use the internal date attribute instead".
        if not self._save_dates():
            return lambda item: compare(item.info.internal_date.date(), day)

        def saved(item: Item) -> bool:
            when = item.info.save_date or item.info.internal_date
            return compare(when.date(), day)

        return saved

    def _age(self, name: str, seconds: int) -> Predicate:
        # RFC 5032 3: OLDER n = internal date more than n seconds ago;
        # YOUNGER n = within the last n seconds (so the two are complements).
        limit = self.now - timedelta(seconds=seconds)
        if name == "OLDER":
            return lambda item: item.info.internal_date < limit
        return lambda item: item.info.internal_date >= limit

    def _saved(self) -> frozenset[int]:
        # RFC 5182 2.1: the saved result, less the messages expunged since.
        return frozenset(u for u in self.view.saved_result if self.view.seq_of(u) is not None)

    def _messages(self, messages: SequenceSet) -> Predicate:
        if messages.saved:
            saved = self._saved()
            return lambda item: item.uid in saved
        # "*" is the last message; numbers beyond the mailbox match nothing.
        spans = messages.iter_ranges(self.count)
        return lambda item: _in_spans(spans, item.seq)

    def _uids(self, uids: UidSet) -> Predicate:
        if uids.saved:
            saved = self._saved()
            return lambda item: item.uid in saved
        # RFC 9051 9: "*" is the largest UID in use; n:* includes it.
        spans = uids.iter_ranges(self.largest_uid)
        return lambda item: _in_spans(spans, item.uid)

    def _text(self, name: str, value: bytes) -> tuple[int, Predicate]:
        if name in ("EMAILID", "THREADID"):
            return _CHEAP, self._object_id(name, value)
        needle = _needle(value)
        if name not in ("BODY", "TEXT", "SUBJECT", "FROM", "TO", "CC", "BCC"):
            raise ImapBad(f"Search key {name} is not supported", "CLIENTBUG")
        if not needle:
            # The empty string is a substring of every text (RFC 9051 6.4.4).
            return _CHEAP, lambda item: True
        cost = _BODY if name in ("BODY", "TEXT") else _HEADER
        # FROM/TO/CC/BCC match the addresses' text (display names decoded),
        # never the mere presence of the field (a Net::IMAP::Server bug).
        return cost, lambda item: needle in item._source.folded(item, name)  # Item.folded

    def _object_id(self, name: str, value: bytes) -> Predicate:
        # RFC 8474 6: the messages whose EMAILID / THREADID "is exactly the
        # specified ObjectID" (case-sensitive, 7); none for a THREADID when
        # the store does not thread (5.2: NIL matches nothing).
        if not isinstance(self.session.account, ObjectIdAccount):
            raise ImapBad(f"Search key {name} is not supported", "CLIENTBUG")
        wanted = value.decode("ascii", "replace")
        if name == "EMAILID":
            return lambda item: item.info.email_id == wanted
        return lambda item: item.info.thread_id == wanted


def _needle(value: bytes) -> str:
    # US-ASCII and UTF-8 both decode as UTF-8 (US-ASCII is a subset); stray
    # 8-bit octets are replaced rather than refused.
    return value.decode("utf-8", "replace").casefold()


def _in_spans(spans: list[tuple[int, int]], number: int) -> bool:
    index = bisect.bisect_right(spans, (number, 2**63)) - 1
    return index >= 0 and spans[index][0] <= number <= spans[index][1]


def _keyword(keyword: str, *, negated: bool) -> Predicate:
    wanted = keyword.lower()

    def has(item: Item) -> bool:
        return any(flag.lower() == wanted for flag in item.info.flags)

    if negated:
        return lambda item: not has(item)
    return has


def _size(name: str, size: int) -> Predicate:
    # RFC 3501 6.4.4: RFC822.SIZE strictly larger / smaller.
    if name == "LARGER":
        return lambda item: item.info.size > size
    return lambda item: item.info.size < size


def _header(field: str, needle: str) -> Predicate:
    if not needle:
        # RFC 9051 6.4.4: HEADER with an empty string matches the messages
        # that have the field, whatever its contents.
        return lambda item: has_header(item.message, field)

    def match(item: Item) -> bool:
        return any(needle in value.casefold() for value in header_values(item.message, field))

    return match


_DATE_COMPARISONS: dict[str, Callable[[date, date], bool]] = {
    "BEFORE": lambda value, day: value < day,
    "ON": lambda value, day: value == day,
    "SINCE": lambda value, day: value >= day,
}


# ---------------------------------------------------------------------------
# Running a search


def check_charset(session: Session, charset: str | None, *, search: bool) -> bool:
    """True if the charset is supported; False means NO [BADCHARSET]."""
    if charset is None:
        return True
    if search and session.conn.utf8:
        # RFC 6855 3: after ENABLE UTF8=ACCEPT a SEARCH must not name a charset.
        raise ImapBad("No CHARSET after ENABLE UTF8=ACCEPT", "CLIENTBUG")
    return charset.upper() in CHARSETS


def bad_charset(session: Session, charset: str) -> None:
    # RFC 9051 6.4.4: NO (not BAD), with the supported charsets listed.
    # (ImapNo carries only a code name, so the list is sent through complete().)
    session.complete(
        Status.NO,
        f"{charset} is not supported",
        BadCharsetCode(charsets=CHARSETS),
    )


#: Messages a search works through per step (see :data:`._session.Steps`):
#: a step stays far under a millisecond for flag and date keys and a few
#: milliseconds for text keys on small messages.
SEARCH_STEP = 8

_UID = operator.attrgetter("uid")

#: Messages per step of a search decided without reading them.
CHEAP_STEP = 1024

SearchResult: TypeAlias = tuple[list[Item], "Compiler", SelectedMailboxView]


def _one_flag(criteria: SearchKey) -> bool:
    """One system flag key: the store's flag index answers it, or one
    comprehension that makes an item per match only."""
    while isinstance(criteria, SearchAnd) and len(criteria.keys) == 1:
        criteria = criteria.keys[0]
    return isinstance(criteria, SearchFlag) and criteria.name in _SYSTEM_FLAG_KEYS


def search_steps(
    session: Session,
    criteria: SearchKey,
    target: tuple[Mailbox, SelectedMailboxView] | None = None,
) -> Generator[None, None, SearchResult]:
    """The search as steps of :data:`SEARCH_STEP` messages (the handlers of
    SEARCH, SORT and THREAD ``yield from`` it, so a search of a big mailbox
    lets the adapter serve other sessions in between).

    ``target``: a mailbox other than the selected one, with a view of all
    its messages (ESEARCH, RFC 7377); default: the selected mailbox.
    """
    mailbox, view = target if target is not None else session.require_mailbox()
    compiler = Compiler(session, view, mailbox)
    cost, predicate = compiler.compile(criteria)
    step = SEARCH_STEP
    if cost == _CHEAP:
        # Decided by flags, sizes, dates, numbers: fast enough at once,
        # unless it makes an item for each of many messages (ALL before a
        # SORT or THREAD of 20,000 messages took 15 ms in one step).
        if view.exists <= CHEAP_STEP or _one_flag(criteria):
            return _matching(session, mailbox, view, criteria, predicate), compiler, view
        step = CHEAP_STEP
    # The messages are read: a few at a time, a step each.
    uids = view.uids
    infos = mailbox.messages(range(uids[0], uids[-1] + 1)) if uids else []
    rows: Iterator[tuple[int, int, MessageInfo]]
    if len(infos) == len(uids) and list(map(_UID, infos)) == list(uids):
        # Usually the store holds exactly the view's messages: paired in
        # order as the steps go (not 20,000 rows made in the first step).
        rows, total = zip(itertools.count(1), uids, infos), len(uids)
    else:
        listed = _by_uid(uids, infos)
        rows, total = iter(listed), len(listed)
    source = _Source(session, mailbox)
    recent = view.recent
    every = session.server.progress_interval
    done = 0

    def counting(item: Item) -> bool:
        # RFC 9585 3: progress every ``every`` messages (none after the
        # last: the result says that much).
        nonlocal done
        matched = predicate(item)
        done += 1
        if every is not None and done % every == 0 and done < total:
            session.progress(done, total)
        return matched

    found: list[Item] = []
    # Counted only for progress reports (a call per message saved otherwise).
    test = predicate if every is None else counting
    for start in range(0, total, step):
        if start:
            yield
        found.extend(_filter(source, recent, itertools.islice(rows, step), test) or [])
    return found, compiler, view


def run_search(session: Session, criteria: SearchKey) -> SearchResult:
    """:func:`search_steps` run to the end at once."""
    return drain(search_steps(session, criteria))


_T = TypeVar("_T")


def drain(steps: Generator[None, None, _T]) -> _T:
    """Run a generator of steps to its end; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            result: _T = stop.value
            return result


def highest_modseq(compiler: Compiler, found: Sequence[Item]) -> int | None:
    # RFC 7162 3.1.5: with a MODSEQ key, the highest modseq of the result.
    if not compiler.uses_modseq or not found:
        return None
    return max(1, *(item.info.modseq for item in found))


def check_options(
    session: Session, command: Search | Sort | ESearch, context: str
) -> tuple[str, ...] | None:
    options = command.return_options
    if options is None:
        return None
    known = _RETURN_OPTIONS
    if context in session.server.capabilities_after_auth(session.account):
        known = known | CONTEXT_OPTIONS
    unknown = [o for o in options if o.upper() not in known]
    if unknown:
        # RFC 9051 6.4.4: unknown result options MUST be rejected with BAD
        # (CONTEXT and UPDATE, RFC 5267 4, only with the CONTEXT capability).
        raise ImapBad(f"Unknown result option {unknown[0]}", "CLIENTBUG")
    return tuple(o.upper() for o in options)


def check_partial(command: Search | Sort | ESearch, options: tuple[str, ...] | None) -> None:
    """BAD for a PARTIAL that RFC 9394 forbids: together with ALL (3.1: "either
    one PARTIAL, one ALL, or neither")."""
    if command.partial is not None and options is not None and "ALL" in options:
        raise ImapBad("PARTIAL and ALL cannot be combined", "CLIENTBUG")


_T_item = TypeVar("_T_item")


def partial_window(found: Sequence[_T_item], partial: tuple[int, int]) -> Sequence[_T_item]:
    """The results at positions ``partial`` of ``found`` (RFC 9394 3.1).

    ``(low, high)`` counts from 1 at the first result; ``(-a, -b)`` (the
    parser keeps a <= b) counts from -1 at the last one.  Positions beyond
    the results select nothing.
    """
    low, high = partial
    if low > 0:
        return found[low - 1 : high]
    stop = len(found) + low + 1
    if stop <= 0:
        return found[:0]
    return found[max(len(found) + high, 0) : stop]


def extended_result(
    session: Session,
    command: Search | Sort | ESearch,
    *,
    options: tuple[str, ...],
    found: Sequence[Item],
    compiler: Compiler,
    view: SelectedMailboxView,
    correlators: tuple[str, int] | None = None,
) -> Completion | None:
    """The ``* ESEARCH`` of a SEARCH (RFC 4731) or an extended SORT (RFC 5267 3).

    ``found`` is in result order: ascending for SEARCH, the sort order for
    SORT, where MIN and MAX are the first and last messages of the sort
    order and ALL lists the messages in that order (RFC 5267 3.1).
    ``correlators``: the mailbox name and UIDVALIDITY of an ESEARCH result,
    which is always in UIDs (RFC 7377 2.1).
    """
    tag, uid, partial, name = command.tag, command.uid, command.partial, command.name
    if correlators is not None:
        uid = True
    save = "SAVE" in options
    wanted = set(options) - {"SAVE"} - CONTEXT_OPTIONS
    if not wanted and not save and partial is None:
        # RFC 4731 3.1 / RFC 9051 6.4.4: "RETURN ()" means ALL.
        wanted = {"ALL"}
    window: Sequence[Item] = ()
    if partial is not None:
        # RFC 5267 4.4: positions low..high (1-based) of the result;
        # the parser already put the range in order (500:400 = 400:500).
        window = partial_window(found, partial)
    reported = _reported(wanted, found)
    if save:
        # RFC 5182 2.4, RFC 9051 6.4.4.1: $ holds what is reported; RFC
        # 9394 3.2 table 1: with PARTIAL, the range and MIN/MAX, unless
        # COUNT is asked for (then every message found).
        saved = reported
        if partial is not None and "COUNT" not in wanted:
            chosen = {item.uid: item for item in window}
            if wanted:
                chosen.update((item.uid, item) for item in reported)
            saved = list(chosen.values())
        view.saved_result = tuple(sorted(item.uid for item in saved))
        if not wanted and partial is None:
            # RFC 9051 6.4.4: SAVE alone suppresses the ESEARCH response.
            return Completion(text=f"{name} completed, result saved")

    def number(item: Item) -> int:
        return item.uid if uid else item.seq

    modseq_of = list(reported) if wanted else []
    if partial is not None:
        modseq_of.extend(window)
    session.send(
        ESearchData(
            tag=tag,
            mailbox=correlators[0] if correlators is not None else None,
            uidvalidity=correlators[1] if correlators is not None else None,
            uid=uid,
            min=number(found[0]) if "MIN" in wanted and found else None,
            max=number(found[-1]) if "MAX" in wanted and found else None,
            count=len(found) if "COUNT" in wanted else None,
            all=ordered_set(map(number, found), uid) if "ALL" in wanted else None,
            partial_range=partial,
            partial=ordered_set(map(number, window), uid) if partial is not None else None,
            # RFC 7162 3.1.10, RFC 4731 3.2: the highest modseq of what is reported.
            modseq=highest_modseq(compiler, modseq_of),
        )
    )
    return None


def ordered_set(numbers: Iterable[int], uid: bool) -> SequenceSet | UidSet | None:
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


def _reported(wanted: set[str], found: Sequence[Item]) -> Sequence[Item]:
    """The messages a result reports: all of them, or just the MIN and/or MAX.

    This is also what ``$`` holds after SAVE (RFC 5182 2.4, RFC 9051 6.4.4.1
    table 4) and whose highest modseq the ESEARCH MODSEQ item gives
    (RFC 7162 3.1.5: the imaptest ``esearch-condstore`` script).
    """
    if not found or "ALL" in wanted or "COUNT" in wanted or not wanted:
        return found
    chosen: list[Item] = []
    if "MIN" in wanted:
        chosen.append(found[0])
    if "MAX" in wanted and (not chosen or chosen[0] is not found[-1]):
        chosen.append(found[-1])
    return chosen
