"""SEARCH agrees with a simple Python model over random flag/size/date data.

Random messages (sizes, internal dates in random zones, flags, keywords,
gaps in the UIDs, some \\Recent for the session and some not) and random
search trees of flag, keyword, size, date, UID and sequence-set keys with
AND (parenthesised lists), OR and NOT: ``SEARCH`` and ``UID SEARCH`` give
what the model computes straight from RFC 3501 6.4.4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from imap_sansio.server import IMAPServer, MemoryBackend, StoreAction
from imap_sansio.testing import fixed_clock

FLAGS = ("\\Answered", "\\Deleted", "\\Draft", "\\Flagged", "\\Seen")
KEYWORDS = ("$Work", "$Junk", "todo")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FIRST_DAY = date(2020, 2, 27)
FILLER_DATE = datetime(2020, 1, 1, tzinfo=UTC)
DAYS = 5


@dataclass(frozen=True)
class Model:
    seq: int
    uid: int
    flags: frozenset[str]
    size: int
    internal_date: datetime
    recent: bool


@dataclass(frozen=True)
class Spec:
    """One message to create."""

    size: int
    day: int
    hour: int
    zone: int
    flags: frozenset[str]
    stored: frozenset[str]  # flags set afterwards with STORE (backend)
    gap: bool  # an expunged message before it
    recent: bool


Predicate = Callable[[Model], bool]
Key = tuple[str, Predicate]


specs = st.builds(
    Spec,
    size=st.integers(min_value=30, max_value=36),
    day=st.integers(min_value=0, max_value=DAYS - 1),
    hour=st.integers(min_value=0, max_value=23),
    zone=st.sampled_from([-12, -5, 0, 1, 14]),
    flags=st.frozensets(st.sampled_from(FLAGS + KEYWORDS)),
    stored=st.frozensets(st.sampled_from(FLAGS + KEYWORDS)),
    gap=st.booleans(),
    recent=st.booleans(),
)


def imap_date(day: date) -> str:
    return f"{day.day}-{MONTHS[day.month - 1]}-{day.year}"


def flag_key(name: str) -> Key:
    simple = {
        "ANSWERED": "\\Answered",
        "DELETED": "\\Deleted",
        "DRAFT": "\\Draft",
        "FLAGGED": "\\Flagged",
        "SEEN": "\\Seen",
    }
    if name in simple:
        flag = simple[name]
        return name, lambda m: flag in m.flags
    if name.startswith("UN") and name[2:] in simple:
        flag = simple[name[2:]]
        return name, lambda m: flag not in m.flags
    if name == "ALL":
        return name, lambda m: True
    if name == "RECENT":
        return name, lambda m: m.recent
    if name == "OLD":
        return name, lambda m: not m.recent
    assert name == "NEW"
    return name, lambda m: m.recent and "\\Seen" not in m.flags


def keyword_key(negated: bool, keyword: str) -> Key:
    if negated:
        return f"UNKEYWORD {keyword}", lambda m: keyword not in m.flags
    return f"KEYWORD {keyword}", lambda m: keyword in m.flags


def size_key(larger: bool, size: int) -> Key:
    if larger:
        return f"LARGER {size}", lambda m: m.size > size
    return f"SMALLER {size}", lambda m: m.size < size


def date_key(name: str, offset: int) -> Key:
    day = FIRST_DAY + timedelta(days=offset)
    # The internal date's own day (the zone APPEND gave): see _cmd_search.
    tests: dict[str, Predicate] = {
        "BEFORE": lambda m: m.internal_date.date() < day,
        "ON": lambda m: m.internal_date.date() == day,
        "SINCE": lambda m: m.internal_date.date() >= day,
    }
    return f"{name} {imap_date(day)}", tests[name]


def _range_text(low: int | None, high: int | None) -> str:
    first = "*" if low is None else str(low)
    return first if high == low else first + ":" + ("*" if high is None else str(high))


def set_key(uid: bool, ranges: list[tuple[int | None, int | None]]) -> Callable[[int, int], Key]:
    """A sequence or UID set; None is "*". Needs the mailbox to resolve "*"."""

    def build(count: int, largest_uid: int) -> Key:
        star = largest_uid if uid else count
        spans = []
        for low, high in ranges:
            a = star if low is None else low
            b = star if high is None else high
            spans.append((min(a, b), max(a, b)))
        text = ",".join(_range_text(low, high) for low, high in ranges)

        def member(m: Model) -> bool:
            number = m.uid if uid else m.seq
            return any(a <= number <= b for a, b in spans)

        return ("UID " if uid else "") + text, member

    return build


# A key is built once the mailbox is known (for "*").
Builder = Callable[[int, int], Key]


def fixed(key: Key) -> Builder:
    return lambda count, largest: key


number = st.one_of(st.none(), st.integers(min_value=1, max_value=14))
leaves: st.SearchStrategy[Builder] = st.one_of(
    st.sampled_from(
        [
            "ALL",
            "ANSWERED",
            "DELETED",
            "DRAFT",
            "FLAGGED",
            "SEEN",
            "UNANSWERED",
            "UNDELETED",
            "UNDRAFT",
            "UNFLAGGED",
            "UNSEEN",
            "NEW",
            "OLD",
            "RECENT",
        ]
    ).map(lambda name: fixed(flag_key(name))),
    st.builds(keyword_key, st.booleans(), st.sampled_from(KEYWORDS)).map(fixed),
    st.builds(size_key, st.booleans(), st.integers(min_value=29, max_value=37)).map(fixed),
    st.builds(
        date_key,
        st.sampled_from(["BEFORE", "ON", "SINCE"]),
        st.integers(min_value=-1, max_value=DAYS),
    ).map(fixed),
    st.builds(
        set_key,
        st.booleans(),
        st.lists(st.tuples(number, number), min_size=1, max_size=3),
    ),
)


def _not(inner: Builder) -> Builder:
    def build(count: int, largest: int) -> Key:
        text, predicate = inner(count, largest)
        return f"NOT {text}", lambda m: not predicate(m)

    return build


def _or(left: Builder, right: Builder) -> Builder:
    def build(count: int, largest: int) -> Key:
        (t1, p1), (t2, p2) = left(count, largest), right(count, largest)
        return f"OR {t1} {t2}", lambda m: p1(m) or p2(m)

    return build


def _and(parts: list[Builder]) -> Builder:
    def build(count: int, largest: int) -> Key:
        keys = [part(count, largest) for part in parts]
        text = "(" + " ".join(t for t, _ in keys) + ")"
        return text, lambda m: all(p(m) for _, p in keys)

    return build


trees: st.SearchStrategy[Builder] = st.recursive(
    leaves,
    lambda children: st.one_of(
        children.map(_not),
        st.builds(_or, children, children),
        st.lists(children, min_size=1, max_size=3).map(_and),
    ),
    max_leaves=8,
)


def build_mailbox(messages: list[Spec]) -> tuple[MemoryBackend, list[Model]]:
    backend = MemoryBackend(users={"u": "p"})
    account = backend.account("u")
    handle = account.select("INBOX")
    models: list[Model] = []
    # The messages that are not \Recent for the session are claimed first by
    # "another session"; the rest stay \Recent for the session that selects.
    for spec in sorted(messages, key=lambda s: s.recent):
        if spec.gap:
            gone = account.append("INBOX", b"x: y\r\n\r\n", internal_date=FILLER_DATE)
            handle.store_flags([gone.uid], StoreAction.ADD, ["\\Deleted"])
            handle.expunge([gone.uid])
        zone = timezone(timedelta(hours=spec.zone))
        when = datetime(2020, 2, 27, spec.hour, tzinfo=zone) + timedelta(days=spec.day)
        data = b"Subject: m\r\n\r\n" + b"x" * (spec.size - 16) + b"\r\n"
        uid = account.append("INBOX", data, flags=spec.flags, internal_date=when).uid
        if not spec.recent:
            handle.claim_recent()
        handle.store_flags([uid], StoreAction.SET, spec.stored)
        flags = frozenset(f for f in spec.stored)
        models.append(Model(len(models) + 1, uid, flags, len(data), when, spec.recent))
    return backend, models


@settings(max_examples=200, deadline=None)
@given(st.lists(specs, max_size=8), st.lists(trees, min_size=1, max_size=4))
def test_search_agrees_with_the_model(messages: list[Spec], queries: list[Builder]) -> None:
    backend, models = build_mailbox(messages)
    session = IMAPServer(backend, clock=fixed_clock()).connect()
    session.data_to_send()
    session.receive_data(b"L LOGIN u p\r\nS SELECT INBOX\r\n")
    assert b"S OK" in session.data_to_send()
    largest = models[-1].uid if models else 0
    for query in queries:
        text, predicate = query(len(models), largest)
        seqs = " ".join(str(m.seq) for m in models if predicate(m))
        uids = " ".join(str(m.uid) for m in models if predicate(m))
        session.receive_data(f"A SEARCH {text}\r\n".encode())
        assert session.data_to_send() == (
            f"* SEARCH{' ' if seqs else ''}{seqs}\r\nA OK SEARCH completed\r\n".encode()
        ), text
        session.receive_data(f"B UID SEARCH {text}\r\n".encode())
        assert session.data_to_send() == (
            f"* SEARCH{' ' if uids else ''}{uids}\r\nB OK SEARCH completed\r\n".encode()
        ), text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=4))
def test_any_message_bytes_can_be_searched_sorted_and_threaded(blobs: list[bytes]) -> None:
    backend = MemoryBackend(users={"u": "p"})
    account = backend.account("u")
    for blob in blobs:
        account.append("INBOX", blob, internal_date=FILLER_DATE)
    errors: list[BaseException] = []
    session = IMAPServer(backend, on_error=errors.append, clock=fixed_clock()).connect()
    session.data_to_send()
    session.receive_data(b"L LOGIN u p\r\nS SELECT INBOX\r\n")
    session.data_to_send()
    for query in (
        b"SEARCH CHARSET UTF-8 OR TEXT x OR BODY y OR HEADER Z z OR FROM a SENTON 1-Jan-2000",
        b"SORT (DATE SUBJECT FROM DISPLAYTO CC) UTF-8 ALL",
        b"THREAD REFERENCES UTF-8 ALL",
        b"THREAD ORDEREDSUBJECT UTF-8 ALL",
    ):
        session.receive_data(b"T " + query + b"\r\n")
        assert session.data_to_send().splitlines()[-1].startswith(b"T OK "), query
    assert errors == []
