"""Hypothesis strategies for typed IMAP commands, and an encoder to bytes.

For fuzzing servers and clients built on imap_sansio::

    from hypothesis import given
    from imap_sansio.testing.strategies import commands, encode_command

    @given(commands())
    def test_server_survives(command):
        conn.receive_data(encode_command(command))

Every strategy generates values in the canonical form the parser produces
(``INBOX`` upper-cased, system flags in RFC spelling, normalised sequence
ranges, upper-cased item names), so ``parse_command(encode_command(c)) == c``
for every generated command ``c`` (parsed with ``utf8=False``).

Public names: :func:`commands` (any command), one strategy per value type
(:func:`tags`, :func:`atoms`, :func:`mailbox_names`, :func:`flags`,
:func:`sequence_sets`, :func:`uid_sets`, :func:`search_keys`,
:func:`fetch_items`, :func:`date_times`), and :func:`encode_command`.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from imap_sansio._commands import (
    Append,
    AppendMessage,
    Authenticate,
    CancelUpdate,
    Capability,
    CatenatePart,
    Check,
    Close,
    Command,
    Compress,
    Copy,
    Create,
    Delete,
    DeleteAcl,
    Enable,
    ESearch,
    Examine,
    Expunge,
    Fetch,
    FetchAnnotation,
    FetchAttribute,
    FetchBinary,
    FetchBinarySize,
    FetchBody,
    FetchItem,
    FetchPreview,
    GenUrlAuth,
    GetAcl,
    GetMetadata,
    GetQuota,
    GetQuotaRoot,
    Id,
    Idle,
    List,
    ListRights,
    Login,
    Logout,
    Lsub,
    Move,
    MyRights,
    Namespace,
    Noop,
    Notify,
    NotifyEvent,
    NotifyGroup,
    QResync,
    Rename,
    Replace,
    ResetKey,
    Search,
    SearchAge,
    SearchAnd,
    SearchAnnotation,
    SearchDate,
    SearchFilter,
    SearchFlag,
    SearchFuzzy,
    SearchHeader,
    SearchKey,
    SearchKeyword,
    SearchMessages,
    SearchModSeq,
    SearchNot,
    SearchOr,
    SearchSize,
    SearchSource,
    SearchText,
    SearchUid,
    Section,
    Select,
    SetAcl,
    SetMetadata,
    SetQuota,
    Sort,
    SortKey,
    StartTLS,
    Status,
    Store,
    Subscribe,
    Thread,
    Unauthenticate,
    Unselect,
    Unsubscribe,
    UrlFetch,
    UrlFetchRequest,
)
from imap_sansio._encoder import read_source
from imap_sansio._imapurl import ImapUrl
from imap_sansio._mutf7 import encode_mutf7
from imap_sansio._secret import Secret
from imap_sansio._sequence import MAX_NUMBER, STAR, SequenceSet, UidSet

__all__ = [
    "atoms",
    "commands",
    "date_times",
    "encode_command",
    "fetch_items",
    "flags",
    "imap_urls",
    "mailbox_names",
    "notify_groups",
    "search_keys",
    "sequence_sets",
    "tags",
    "uid_sets",
]

_ATOM_ALPHABET = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '(){%*"\\]')
_TAG_ALPHABET = _ATOM_ALPHABET.replace("+", "") + "]"
_MAX_MODSEQ = 2**63 - 1
_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)


def tags() -> st.SearchStrategy[str]:
    """Command tags (1*<ASTRING-CHAR except "+">)."""
    return st.text(_TAG_ALPHABET, min_size=1, max_size=8)


def atoms(upper: bool = False) -> st.SearchStrategy[str]:
    """Atoms; ``upper=True`` for the upper-cased names the parser returns."""
    s = st.text(_ATOM_ALPHABET, min_size=1, max_size=10)
    return s.map(str.upper) if upper else s


def mailbox_names() -> st.SearchStrategy[str]:
    """Mailbox names as the parser returns them (any INBOX spelling is "INBOX")."""
    return st.one_of(
        st.just("INBOX"),
        st.sampled_from(["Sent", "Drafts", "&", "a&b", "Trash/Old", "", "~peter/日本語"]),
        _TEXT,
    ).map(lambda name: "INBOX" if name.upper() == "INBOX" else name)


def _patterns() -> st.SearchStrategy[str]:
    return st.one_of(mailbox_names(), st.sampled_from(["*", "%", "INBOX/%", "a*b"]))


def flags() -> st.SearchStrategy[str]:
    """Message flags: system flags in their RFC spelling, or keywords."""
    return st.one_of(
        st.sampled_from(["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]),
        atoms(),
    )


def _number_sets(cls: type[SequenceSet] | type[UidSet]) -> st.SearchStrategy[SequenceSet | UidSet]:
    number = st.one_of(st.integers(1, 100), st.integers(1, MAX_NUMBER), st.just(STAR))
    pair = st.tuples(number, number)
    ranges = st.lists(st.one_of(number, pair), min_size=1, max_size=5)
    return st.one_of(
        ranges.map(lambda items: cls.from_ranges(*items)),
        st.just(cls(saved=True)),
    )


def sequence_sets() -> st.SearchStrategy[SequenceSet]:
    """Sequence sets, including ``*``, ranges and ``$``."""
    return _number_sets(SequenceSet)  # type: ignore[return-value]


def uid_sets() -> st.SearchStrategy[UidSet]:
    """UID sets, including ``*``, ranges and ``$``."""
    return _number_sets(UidSet)  # type: ignore[return-value]


def date_times() -> st.SearchStrategy[datetime.datetime]:
    """Aware date-times with whole seconds and a zone of whole minutes."""
    zone = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
        lambda m: datetime.timezone(datetime.timedelta(minutes=m))
    )
    return st.builds(
        lambda naive, tz: naive.replace(tzinfo=tz),
        st.datetimes(datetime.datetime(1000, 1, 1), datetime.datetime(9999, 12, 31)).map(
            lambda d: d.replace(microsecond=0)
        ),
        zone,
    )


_ANNOTATION_NAMES = st.sampled_from(["/comment", "/altsubject", "/*", "/%", "/a b"])
_ATTRIBUTES = st.sampled_from(["value", "value.shared", "size.priv", "*"])
_DATES = st.dates(datetime.date(1000, 1, 1), datetime.date(9999, 12, 31))
_BYTES = st.binary(max_size=30).map(lambda b: b.replace(b"\x00", b""))
_ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)


def _leaf_keys() -> st.SearchStrategy[SearchKey]:
    return st.one_of(
        st.sampled_from(
            [
                "ALL",
                "ANSWERED",
                "DELETED",
                "DRAFT",
                "FLAGGED",
                "NEW",
                "OLD",
                "RECENT",
                "SEEN",
                "UNANSWERED",
                "UNDELETED",
                "UNDRAFT",
                "UNFLAGGED",
                "UNSEEN",
                "SAVEDATESUPPORTED",  # RFC 8514 4.3
            ]
        ).map(lambda n: SearchFlag(name=n)),
        st.builds(SearchKeyword, keyword=atoms(), negated=st.booleans()),
        st.builds(
            SearchText,
            name=st.sampled_from(["BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"]),
            value=_BYTES,
        ),
        # RFC 8474 6: EMAILID / THREADID objectid
        st.builds(
            SearchText,
            name=st.sampled_from(["EMAILID", "THREADID"]),
            value=st.from_regex(rb"[A-Za-z0-9_-]{1,20}", fullmatch=True),
        ),
        st.builds(SearchHeader, field=_ASCII, value=_BYTES),
        st.builds(
            SearchDate,
            name=st.sampled_from(
                [
                    "BEFORE",
                    "ON",
                    "SINCE",
                    "SENTBEFORE",
                    "SENTON",
                    "SENTSINCE",
                    "SAVEDBEFORE",  # RFC 8514 4.3
                    "SAVEDON",
                    "SAVEDSINCE",
                ]
            ),
            date=_DATES,
        ),
        st.builds(
            SearchSize,
            name=st.sampled_from(["LARGER", "SMALLER"]),
            size=st.integers(0, _MAX_MODSEQ),
        ),
        st.builds(
            SearchAge,
            name=st.sampled_from(["YOUNGER", "OLDER"]),
            seconds=st.integers(1, MAX_NUMBER),
        ),
        st.builds(SearchMessages, messages=sequence_sets()),
        st.builds(SearchUid, uids=uid_sets()),
        st.builds(
            SearchModSeq,
            modseq=st.integers(0, _MAX_MODSEQ),
            entry=st.none()
            | st.tuples(
                st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=10),
                st.sampled_from(["PRIV", "SHARED", "ALL"]),
            ),
        ),
        st.builds(SearchFilter, filter=atoms()),
        st.builds(SearchAnnotation, entry=_ANNOTATION_NAMES, attribute=_ATTRIBUTES, value=_BYTES),
    )


def search_keys(max_depth: int = 4) -> st.SearchStrategy[SearchKey]:
    """Search key trees (AND lists, OR, NOT, FUZZY over the leaf keys)."""

    def extend(children: st.SearchStrategy[SearchKey]) -> st.SearchStrategy[SearchKey]:
        return st.one_of(
            st.builds(SearchNot, key=children),
            st.builds(SearchOr, left=children, right=children),
            st.builds(SearchFuzzy, key=children),
            st.lists(children, min_size=1, max_size=3).map(lambda ks: SearchAnd(keys=tuple(ks))),
        )

    return st.recursive(_leaf_keys(), extend, max_leaves=8).filter(
        lambda k: _paren_depth(k) <= max_depth
    )


def _paren_depth(key: SearchKey) -> int:
    if isinstance(key, SearchAnd):
        return 1 + max(_paren_depth(k) for k in key.keys)
    if isinstance(key, SearchOr):
        return max(_paren_depth(key.left), _paren_depth(key.right))
    if isinstance(key, SearchNot | SearchFuzzy):
        return _paren_depth(key.key)
    return 0


_PARTS = st.lists(st.integers(1, MAX_NUMBER), max_size=3).map(tuple)
_PARTIAL = st.none() | st.tuples(st.integers(0, MAX_NUMBER), st.integers(1, MAX_NUMBER))
_FIELD_NAMES = st.lists(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=10),
    min_size=1,
    max_size=3,
).map(tuple)


@st.composite
def _sections(draw: st.DrawFn) -> Section:
    part = draw(_PARTS)
    texts: list[str | None] = [None, "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT"]
    if part:
        texts.append("MIME")
    text = draw(st.sampled_from(texts))
    fields = draw(_FIELD_NAMES) if text and text.startswith("HEADER.FIELDS") else ()
    return Section(part=part, text=text, fields=fields)


def fetch_items() -> st.SearchStrategy[FetchItem]:
    """Every kind of fetch item."""
    return st.one_of(
        st.sampled_from(
            [
                "ENVELOPE",
                "FLAGS",
                "INTERNALDATE",
                "RFC822",
                "RFC822.HEADER",
                "RFC822.SIZE",
                "RFC822.TEXT",
                "BODY",
                "BODYSTRUCTURE",
                "UID",
                "MODSEQ",
                "SAVEDATE",
                "EMAILID",
                "THREADID",
            ]
        ).map(lambda n: FetchAttribute(name=n)),
        st.builds(FetchBody, section=_sections(), peek=st.booleans(), partial=_PARTIAL),
        st.builds(FetchBinary, part=_PARTS, peek=st.booleans(), partial=_PARTIAL),
        st.builds(FetchBinarySize, part=_PARTS),
        st.builds(FetchPreview, lazy=st.booleans()),
        st.builds(
            FetchAnnotation,
            entries=st.lists(_ANNOTATION_NAMES, min_size=1, max_size=2).map(tuple),
            attributes=st.lists(_ATTRIBUTES, min_size=1, max_size=2).map(tuple),
        ),
    )


_STATUS_ITEMS = st.lists(
    st.sampled_from(
        [
            "MESSAGES",
            "RECENT",
            "UIDNEXT",
            "UIDVALIDITY",
            "UNSEEN",
            "DELETED",
            "SIZE",
            "HIGHESTMODSEQ",
            "APPENDLIMIT",
            "MAILBOXID",
        ]
    ),
    min_size=1,
    max_size=4,
).map(tuple)


# RFC 3501 6.4.5: what the macros stand for.
_MACRO_ITEMS: dict[str, tuple[FetchItem, ...]] = {
    name: tuple(FetchAttribute(name=n) for n in names)
    for name, names in {
        "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
        "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
        "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
    }.items()
}


@st.composite
def _fetch(draw: st.DrawFn, tag: str) -> Fetch:
    uid = draw(st.booleans())
    messages: SequenceSet | UidSet = draw(uid_sets()) if uid else draw(sequence_sets())
    macro = draw(st.none() | st.sampled_from(["ALL", "FAST", "FULL"]))
    if macro is not None:
        items = _MACRO_ITEMS[macro]
    else:
        items = tuple(draw(st.lists(fetch_items(), min_size=1, max_size=4)))
    return Fetch(
        tag=tag,
        messages=messages,
        items=items,
        macro=macro,
        changedsince=draw(st.none() | st.integers(0, _MAX_MODSEQ)),
        vanished=draw(st.booleans()) if uid else False,
        partial=draw(_partial_ranges),
        uid=uid,
    )


@st.composite
def _search(draw: st.DrawFn, tag: str) -> Search:
    criteria = SearchAnd(keys=tuple(draw(st.lists(search_keys(), min_size=1, max_size=3))))
    opts = draw(
        st.none()
        | st.lists(
            st.sampled_from(["MIN", "MAX", "ALL", "COUNT", "SAVE", "CONTEXT", "UPDATE"]), max_size=3
        ).map(tuple)
    )
    return Search(
        tag=tag,
        criteria=criteria,
        charset=draw(st.none() | st.sampled_from(["UTF-8", "US-ASCII"])),
        return_options=opts,
        partial=draw(_partial_ranges) if opts is not None else None,
        uid=draw(st.booleans()),
    )


# partial-range (RFC 9394 4), kept in the order the parser gives: |low| <= |high|
_partial_ranges = st.none() | st.tuples(
    st.integers(1, MAX_NUMBER), st.integers(1, MAX_NUMBER), st.booleans()
).map(lambda t: (-min(t[:2]), -max(t[:2])) if t[2] else (min(t[:2]), max(t[:2])))

_search_sources = st.one_of(
    st.builds(
        SearchSource, filter=st.sampled_from(["SELECTED", "INBOXES", "PERSONAL", "SUBSCRIBED"])
    ),
    st.builds(
        SearchSource,
        filter=st.sampled_from(["SUBTREE", "SUBTREE-ONE", "MAILBOXES"]),
        mailboxes=st.lists(mailbox_names(), min_size=1, max_size=3).map(tuple),
    ),
)


@st.composite
def _esearch(draw: st.DrawFn, tag: str) -> ESearch:
    """ESEARCH (RFC 7377): a SEARCH with source options."""
    search = draw(_search(tag))
    return ESearch(
        tag=tag,
        sources=tuple(draw(st.lists(_search_sources, max_size=3))),
        criteria=search.criteria,
        charset=search.charset,
        return_options=search.return_options,
        partial=search.partial,
        uid=search.uid,
    )


@st.composite
def _qresync(draw: st.DrawFn) -> QResync:
    known = draw(st.none() | uid_sets().filter(lambda s: not (s.saved or s.uses_star)))
    match = draw(st.none() | st.tuples(sequence_sets(), uid_sets())) if known else None
    return QResync(
        uidvalidity=draw(st.integers(1, MAX_NUMBER)),
        modseq=draw(st.integers(1, _MAX_MODSEQ)),
        known_uids=known,
        seq_match=match,
    )


@st.composite
def _list(draw: st.DrawFn, tag: str) -> List:
    extended = draw(st.booleans())
    if not extended:
        return List(tag=tag, reference=draw(_TEXT), patterns=(draw(_patterns()),))
    return List(
        tag=tag,
        reference=draw(_TEXT),
        patterns=tuple(draw(st.lists(_patterns(), min_size=1, max_size=3))),
        selection=tuple(
            draw(
                st.lists(
                    st.sampled_from(["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH"]), max_size=2
                ).filter(lambda s: "RECURSIVEMATCH" not in s or "SUBSCRIBED" in s)
            )
        ),
        return_options=tuple(
            draw(st.lists(st.sampled_from(["SUBSCRIBED", "CHILDREN", "SPECIAL-USE"]), max_size=2))
        ),
        return_status=draw(st.none() | _STATUS_ITEMS),
        extended=True,
    )


_URL_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=8)


@st.composite
def imap_urls(draw: st.DrawFn) -> ImapUrl:
    """IMAP URLs (RFC 5092) in their canonical values: absolute or
    server-relative, message lists and parts, with URLAUTH's fields."""
    host = draw(st.none() | st.sampled_from(["example.com", "minbari.example.org", "[::1]"]))
    mailbox: str | None = draw(_URL_TEXT.filter(lambda m: not m.startswith("/")))
    if host is not None and draw(st.booleans()):
        mailbox = None
    fields: dict[str, Any] = {"host": host, "mailbox": mailbox}
    if host is not None:
        fields["port"] = draw(st.none() | st.integers(0, 65535))
        fields["user"] = draw(st.none() | _URL_TEXT)
        fields["auth"] = draw(st.none() | st.sampled_from(["*", "GSSAPI", "PLAIN"]))
    if mailbox is None:
        return ImapUrl(**fields)
    fields["uidvalidity"] = draw(st.none() | st.integers(1, MAX_NUMBER))
    if not draw(st.booleans()):
        fields["search"] = draw(st.none() | _URL_TEXT)
        return ImapUrl(**fields)
    fields["uid"] = draw(st.integers(1, MAX_NUMBER))
    fields["section"] = draw(
        st.none() | st.sampled_from(["1", "1.2", "HEADER", "TEXT", "2.MIME", "HEADER.FIELDS (TO)"])
    )
    fields["partial"] = draw(
        st.none() | st.tuples(st.integers(0, MAX_NUMBER), st.none() | st.integers(1, MAX_NUMBER))
    )
    if host is not None and draw(st.booleans()):
        access = draw(st.sampled_from(["authuser", "anonymous", "user", "submit"]))
        fields["access"] = access
        if access in ("user", "submit"):
            fields["access_user"] = draw(_URL_TEXT)
        fields["expire"] = draw(
            st.none()
            | st.datetimes(timezones=st.just(datetime.UTC)).map(lambda d: d.replace(microsecond=0))
        )
        if draw(st.booleans()):
            fields["mechanism"] = "INTERNAL"
            fields["token"] = draw(st.binary(min_size=16, max_size=20)).hex()
    return ImapUrl(**fields)


@st.composite
def _catenate(draw: st.DrawFn) -> tuple[CatenatePart, ...]:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            parts.append(CatenatePart(url=str(draw(imap_urls()))))
        else:
            kind = draw(st.sampled_from(["text", "binary", "utf8"]))
            data = draw(st.binary(max_size=20))
            if kind == "text":
                parts.append(CatenatePart(data=data.replace(b"\x00", b"")))
            else:
                parts.append(CatenatePart(data=data, binary=True, utf8=kind == "utf8"))
    return tuple(parts)


@st.composite
def _urlfetch(draw: st.DrawFn, tag: str) -> UrlFetch:
    requests = []
    for _ in range(draw(st.integers(1, 3))):
        url = str(draw(imap_urls()))
        if draw(st.booleans()):
            requests.append(UrlFetchRequest(url=url))
            continue
        params = draw(
            st.sampled_from(
                [
                    (),
                    ("BODY",),
                    ("BINARY",),
                    ("BODYPARTSTRUCTURE",),
                    ("BODYPARTSTRUCTURE", "BINARY"),
                ]
            )
        )
        requests.append(UrlFetchRequest(url=url, params=params, extended=True))
    return UrlFetch(tag=tag, requests=tuple(requests))


@st.composite
def _append_message(draw: st.DrawFn) -> AppendMessage:
    kind = draw(st.sampled_from(["literal", "literal8", "utf8"]))
    data = draw(st.binary(max_size=40))
    if kind == "literal":
        data = data.replace(b"\x00", b"")
    return AppendMessage(
        flags=tuple(draw(st.lists(flags(), max_size=3))),
        internal_date=draw(st.none() | date_times()),
        data=data,
        binary=kind != "literal",
        utf8=kind == "utf8",
    )


@st.composite
def _message_or_catenate(draw: st.DrawFn) -> AppendMessage:
    """An APPEND or REPLACE message: a literal, or CATENATE's parts (RFC
    4469 5, RFC 8508 4.2) one time in four."""
    if draw(st.integers(0, 3)) == 0:
        return AppendMessage(
            flags=tuple(draw(st.lists(flags(), max_size=3))),
            internal_date=draw(st.none() | date_times()),
            data=b"",
            catenate=draw(_catenate()),
        )
    return draw(_append_message())


@st.composite
def _append(draw: st.DrawFn, tag: str) -> Append:
    messages = draw(st.lists(_message_or_catenate(), min_size=1, max_size=3))
    return Append(tag=tag, mailbox=draw(mailbox_names()), messages=tuple(messages))


@st.composite
def _replace(draw: st.DrawFn, tag: str) -> Replace:
    # RFC 8508 5: "REPLACE" SP seq-number SP mailbox append-message
    uid = draw(st.booleans())
    number = draw(st.just(STAR) | st.integers(1, MAX_NUMBER))
    messages = (UidSet if uid else SequenceSet)(ranges=((number, number),))
    return Replace(
        tag=tag,
        messages=messages,
        mailbox=draw(mailbox_names()),
        message=draw(_message_or_catenate()),
        uid=uid,
    )


#: RFC 5465 8: the event names (any atom parses; the server judges).
_NOTIFY_EVENTS = (
    "MessageNew",
    "MessageExpunge",
    "FlagChange",
    "AnnotationChange",
    "MailboxName",
    "SubscriptionChange",
    "MailboxMetadataChange",
    "ServerMetadataChange",
)


def notify_groups() -> st.SearchStrategy[NotifyGroup]:
    """NOTIFY event groups (RFC 5465 8): every mailbox filter, events or NONE,
    MessageNew with fetch attributes."""
    event = st.one_of(
        st.sampled_from(_NOTIFY_EVENTS).map(lambda n: NotifyEvent(name=n)),
        st.builds(
            NotifyEvent,
            name=st.just("MessageNew"),
            fetch=st.lists(fetch_items(), min_size=1, max_size=3).map(tuple),
        ),
    )
    events = st.none() | st.lists(event, min_size=1, max_size=4).map(tuple)
    plain = st.builds(
        NotifyGroup,
        filter=st.sampled_from(
            ["SELECTED", "SELECTED-DELAYED", "INBOXES", "PERSONAL", "SUBSCRIBED"]
        ),
        events=events,
    )
    named = st.builds(
        NotifyGroup,
        filter=st.sampled_from(["SUBTREE", "MAILBOXES"]),
        mailboxes=st.lists(mailbox_names(), min_size=1, max_size=3).map(tuple),
        events=events,
    )
    return plain | named


def _with_tag(
    build: Callable[[str], st.SearchStrategy[Command]],
) -> st.SearchStrategy[Command]:
    return tags().flatmap(build)


def commands() -> st.SearchStrategy[Command]:
    """Any command the parser knows, with canonical values."""
    simple = st.sampled_from(
        [
            Capability,
            Noop,
            Logout,
            StartTLS,
            Idle,
            Check,
            Close,
            Unselect,
            Namespace,
            Unauthenticate,
        ]
    )
    text = _TEXT
    return st.one_of(
        st.builds(lambda cls, tag: cls(tag=tag), simple, tags()),
        st.builds(Login, tag=tags(), username=text, password=text.map(Secret)),
        st.builds(
            Authenticate,
            tag=tags(),
            mechanism=atoms(upper=True).filter(lambda m: not m.startswith("=")),
            initial_response=st.none() | st.binary(max_size=20).map(Secret),
        ),
        st.builds(Enable, tag=tags(), capabilities=st.lists(atoms(True), min_size=1).map(tuple)),
        st.builds(Notify, tag=tags(), none=st.just(True)),
        st.builds(
            Notify,
            tag=tags(),
            status=st.booleans(),
            groups=st.lists(notify_groups(), min_size=1, max_size=3).map(tuple),
        ),
        st.builds(Compress, tag=tags(), mechanism=atoms(upper=True)),
        st.builds(
            Select,
            tag=tags(),
            mailbox=mailbox_names(),
            condstore=st.booleans(),
            qresync=st.none() | _qresync(),
            annotate=st.booleans(),
        ),
        st.builds(Examine, tag=tags(), mailbox=mailbox_names(), condstore=st.booleans()),
        st.builds(
            Create,
            tag=tags(),
            mailbox=mailbox_names(),
            special_use=st.lists(
                st.sampled_from(["\\Drafts", "\\Sent", "\\Trash", "\\Junk", "\\Archive"]),
                max_size=2,
            ).map(tuple),
        ),
        st.builds(Delete, tag=tags(), mailbox=mailbox_names()),
        st.builds(Rename, tag=tags(), mailbox=mailbox_names(), new_mailbox=mailbox_names()),
        st.builds(Subscribe, tag=tags(), mailbox=mailbox_names()),
        st.builds(Unsubscribe, tag=tags(), mailbox=mailbox_names()),
        _with_tag(_list),
        st.builds(Lsub, tag=tags(), reference=text, pattern=_patterns()),
        st.builds(Status, tag=tags(), mailbox=mailbox_names(), items=_STATUS_ITEMS),
        _with_tag(_append),
        _with_tag(_replace),
        st.builds(Expunge, tag=tags()),
        st.builds(Expunge, tag=tags(), uid=st.just(True), uids=uid_sets()),
        _with_tag(_search),
        _with_tag(_esearch),
        st.builds(
            Sort,
            tag=tags(),
            sort_keys=st.lists(
                st.builds(
                    SortKey,
                    key=st.sampled_from(["ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO"]),
                    reverse=st.booleans(),
                )
                | st.builds(
                    SortKey,
                    key=st.just("ANNOTATION"),
                    reverse=st.booleans(),
                    annotation=st.tuples(_ANNOTATION_NAMES, _ATTRIBUTES),
                ),
                min_size=1,
                max_size=3,
            ).map(tuple),
            charset=st.sampled_from(["UTF-8", "US-ASCII"]),
            criteria=st.lists(search_keys(), min_size=1, max_size=2).map(
                lambda ks: SearchAnd(keys=tuple(ks))
            ),
            uid=st.booleans(),
        ),
        st.builds(
            Thread,
            tag=tags(),
            algorithm=st.sampled_from(["ORDEREDSUBJECT", "REFERENCES", "REFS"]),
            charset=st.sampled_from(["UTF-8", "US-ASCII"]),
            criteria=search_keys().map(lambda k: SearchAnd(keys=(k,))),
            uid=st.booleans(),
        ),
        _with_tag(_fetch),
        st.booleans().flatmap(
            lambda uid: st.builds(
                Store,
                tag=tags(),
                messages=uid_sets() if uid else sequence_sets(),
                mode=st.sampled_from(["replace", "add", "remove"]),
                silent=st.booleans(),
                flags=st.lists(flags(), max_size=3).map(tuple),
                unchangedsince=st.none() | st.integers(0, _MAX_MODSEQ),
                uid=st.just(uid),
            )
        ),
        st.builds(
            Store,
            tag=tags(),
            messages=sequence_sets(),
            mode=st.just("replace"),
            attribute=st.just("ANNOTATION"),
            annotations=st.lists(
                st.tuples(
                    _ANNOTATION_NAMES,
                    st.lists(
                        st.tuples(_ATTRIBUTES, st.none() | _BYTES), min_size=1, max_size=2
                    ).map(tuple),
                ),
                min_size=1,
                max_size=2,
            ).map(tuple),
            unchangedsince=st.none() | st.integers(0, _MAX_MODSEQ),
        ),
        st.tuples(st.sampled_from([Copy, Move]), st.booleans()).flatmap(
            lambda pair: st.builds(
                pair[0],
                tag=tags(),
                messages=uid_sets() if pair[1] else sequence_sets(),
                mailbox=mailbox_names(),
                uid=st.just(pair[1]),
            )
        ),
        st.builds(
            Id,
            tag=tags(),
            parameters=st.none()
            | st.lists(st.tuples(text, st.none() | text), max_size=3).map(tuple),
        ),
        st.builds(GetQuota, tag=tags(), root=text),
        st.builds(GetQuotaRoot, tag=tags(), mailbox=mailbox_names()),
        st.builds(
            SetQuota,
            tag=tags(),
            root=text,
            limits=st.lists(
                st.tuples(
                    st.sampled_from(["STORAGE", "MESSAGE", "MAILBOX"]), st.integers(0, _MAX_MODSEQ)
                ),
                max_size=3,
            ).map(tuple),
        ),
        st.builds(
            GetMetadata,
            tag=tags(),
            mailbox=mailbox_names(),
            entries=st.lists(st.sampled_from(["/private/comment", "/shared/x"]), min_size=1).map(
                tuple
            ),
            maxsize=st.none() | st.integers(0, MAX_NUMBER),
            depth=st.none() | st.sampled_from(["0", "1", "INFINITY"]),
        ),
        st.builds(
            SetMetadata,
            tag=tags(),
            mailbox=mailbox_names(),
            entries=st.lists(
                st.tuples(st.just("/private/comment"), st.none() | _BYTES), min_size=1, max_size=2
            ).map(tuple),
        ),
        st.builds(
            SetAcl,
            tag=tags(),
            mailbox=mailbox_names(),
            identifier=text,
            rights=st.sampled_from(["lrswida", "r", ""]),
            mode=st.sampled_from(["replace", "add", "remove"]),
        ),
        st.builds(DeleteAcl, tag=tags(), mailbox=mailbox_names(), identifier=text),
        st.builds(ListRights, tag=tags(), mailbox=mailbox_names(), identifier=text),
        st.builds(GetAcl, tag=tags(), mailbox=mailbox_names()),
        st.builds(MyRights, tag=tags(), mailbox=mailbox_names()),
        st.builds(
            CancelUpdate, tag=tags(), tags=st.lists(tags(), min_size=1, max_size=3).map(tuple)
        ),
        st.builds(
            GenUrlAuth,
            tag=tags(),
            requests=st.lists(
                st.tuples(imap_urls().map(str), st.sampled_from(["INTERNAL", "X-OTHER.1"])),
                min_size=1,
                max_size=3,
            ).map(tuple),
        ),
        st.builds(
            ResetKey,
            tag=tags(),
            mailbox=st.none(),
        ),
        st.builds(
            ResetKey,
            tag=tags(),
            mailbox=mailbox_names(),
            mechanisms=st.lists(st.sampled_from(["INTERNAL", "X-OTHER"]), max_size=2).map(tuple),
        ),
        _with_tag(_urlfetch),
    )


# -- the encoder --------------------------------------------------------------------

_QUOTABLE = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x7f]*\Z")
_ATOMIC = re.compile(rb"[!#$&\'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+\Z")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _string(value: bytes) -> bytes:
    if _QUOTABLE.match(value):
        return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b"{%d}\r\n" % len(value) + value


def _astring(value: bytes) -> bytes:
    if _ATOMIC.match(value) and value.upper() != b"NIL":
        return value
    return _string(value)


def _text(value: str) -> bytes:
    return _astring(value.encode("utf-8", "surrogateescape"))


def _mailbox(name: str) -> bytes:
    return _astring(encode_mutf7(name))


def _pattern(name: str) -> bytes:
    return _string(encode_mutf7(name))


def _date(value: datetime.date) -> bytes:
    return f"{value.day}-{_MONTHS[value.month - 1]}-{value.year:04d}".encode()


def _date_time(value: datetime.datetime) -> bytes:
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return (
        f'"{value.day:2d}-{_MONTHS[value.month - 1]}-{value.year:04d} '
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d} "
        f'{sign}{minutes // 60:02d}{minutes % 60:02d}"'
    ).encode()


def _paren(items: list[bytes]) -> bytes:
    return b"(" + b" ".join(items) + b")"


def _search_key(key: SearchKey) -> bytes:
    if isinstance(key, SearchAnd):
        return _paren([_search_key(k) for k in key.keys])
    if isinstance(key, SearchOr):
        return b"OR " + _search_key(key.left) + b" " + _search_key(key.right)
    if isinstance(key, SearchNot):
        return b"NOT " + _search_key(key.key)
    if isinstance(key, SearchFuzzy):
        return b"FUZZY " + _search_key(key.key)
    if isinstance(key, SearchFlag):
        return key.name.encode()
    if isinstance(key, SearchKeyword):
        return (b"UNKEYWORD " if key.negated else b"KEYWORD ") + key.keyword.encode()
    if isinstance(key, SearchText):
        return key.name.encode() + b" " + _astring(key.value)
    if isinstance(key, SearchHeader):
        return b"HEADER " + _astring(key.field.encode()) + b" " + _astring(key.value)
    if isinstance(key, SearchDate):
        return key.name.encode() + b" " + _date(key.date)
    if isinstance(key, SearchSize):
        return f"{key.name} {key.size}".encode()
    if isinstance(key, SearchAge):
        return f"{key.name} {key.seconds}".encode()
    if isinstance(key, SearchMessages):
        return str(key.messages).encode()
    if isinstance(key, SearchUid):
        return b"UID " + str(key.uids).encode()
    if isinstance(key, SearchModSeq):
        entry = b""
        if key.entry is not None:
            entry = _string(key.entry[0].encode()) + b" " + key.entry[1].encode() + b" "
        return b"MODSEQ " + entry + str(key.modseq).encode()
    if isinstance(key, SearchFilter):
        return b"FILTER " + key.filter.encode()
    if isinstance(key, SearchAnnotation):
        return (
            b"ANNOTATION "
            + _annotation_name(key.entry)
            + b" "
            + _annotation_name(key.attribute)
            + b" "
            + _astring(key.value)
        )
    raise TypeError(f"cannot encode search key {key!r}")


_LIST_ATOMIC = re.compile(rb"[!#$%&'*+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~\]]+\Z")


def _annotation_name(name: str) -> bytes:
    data = name.encode()
    return data if _LIST_ATOMIC.match(data) else _string(data)


def _search_program(charset: str | None, criteria: SearchKey, *, keyword: bool = True) -> bytes:
    # SEARCH writes "CHARSET x"; SORT and THREAD write the charset alone (RFC 5256).
    prefix = b""
    if charset is not None:
        prefix = (b"CHARSET " if keyword else b"") + charset.encode() + b" "
    keys = criteria.keys if isinstance(criteria, SearchAnd) else (criteria,)
    return prefix + b" ".join(_search_key(k) for k in keys)


def _return(opts: tuple[str, ...] | None, partial: tuple[int, int] | None = None) -> bytes:
    if opts is None:
        return b""
    words = [o.encode() for o in opts]
    if partial is not None:
        words.append(b"PARTIAL %d:%d" % partial)  # RFC 9394 4
    return b"RETURN " + _paren(words) + b" "


def _source(source: SearchSource) -> bytes:
    # filter-mailboxes (RFC 5465 6, RFC 7377 4)
    if not source.mailboxes:
        return source.filter.encode()
    return source.filter.encode() + b" " + _paren([_mailbox(m) for m in source.mailboxes])


def _partial(partial: tuple[int, int] | None) -> bytes:
    return b"" if partial is None else b"<%d.%d>" % partial


def _part(part: tuple[int, ...]) -> bytes:
    return ".".join(str(p) for p in part).encode()


def _fetch_item(item: FetchItem) -> bytes:
    if isinstance(item, FetchAttribute):
        return item.name.encode()
    if isinstance(item, FetchBody):
        sec = item.section
        spec = _part(sec.part)
        if sec.text is not None:
            spec += (b"." if sec.part else b"") + sec.text.encode()
            if sec.fields:
                spec += b" " + _paren([_astring(f.encode()) for f in sec.fields])
        name = b"BODY.PEEK" if item.peek else b"BODY"
        return name + b"[" + spec + b"]" + _partial(item.partial)
    if isinstance(item, FetchBinary):
        name = b"BINARY.PEEK" if item.peek else b"BINARY"
        return name + b"[" + _part(item.part) + b"]" + _partial(item.partial)
    if isinstance(item, FetchBinarySize):
        return b"BINARY.SIZE[" + _part(item.part) + b"]"
    if isinstance(item, FetchAnnotation):
        entries = _paren([_annotation_name(e) for e in item.entries])
        attributes = _paren([_annotation_name(a) for a in item.attributes])
        return b"ANNOTATION (" + entries + b" " + attributes + b")"
    if isinstance(item, FetchPreview):
        return b"PREVIEW (LAZY)" if item.lazy else b"PREVIEW"
    raise TypeError(f"cannot encode fetch item {item!r}")


def _sort_key(key: SortKey) -> bytes:
    out = (b"REVERSE " if key.reverse else b"") + key.key.encode()
    if key.annotation is not None:
        out += b" " + _annotation_name(key.annotation[0])
        out += b" " + _annotation_name(key.annotation[1])
    return out


def _flags(values: tuple[str, ...]) -> bytes:
    return _paren([f.encode() for f in values])


def _append_message_bytes(m: AppendMessage) -> bytes:
    """``append-message`` (RFC 4466), with its leading SP."""
    out = b""
    if m.flags:
        out += b" " + _flags(m.flags)
    if m.internal_date is not None:
        out += b" " + _date_time(m.internal_date)
    if m.catenate:
        return out + b" CATENATE " + _paren([_cat_part(p) for p in m.catenate])
    data = m.data if isinstance(m.data, bytes) else read_source(m.data)
    literal = (b"~" if m.binary else b"") + b"{%d}\r\n" % len(data) + data
    return out + b" " + (b"UTF8 (" + literal + b")" if m.utf8 else literal)


def _body(command: Command) -> bytes:
    if isinstance(
        command,
        Capability
        | Noop
        | Logout
        | StartTLS
        | Idle
        | Check
        | Close
        | Unselect
        | Namespace
        | Unauthenticate,
    ):
        return b""
    if isinstance(command, Login):
        return _text(command.username) + b" " + _text(command.password.reveal())
    if isinstance(command, Authenticate):
        out = command.mechanism.encode()
        if command.initial_response is not None:
            response = command.initial_response.reveal()
            out += b" " + (base64.b64encode(response) if response else b"=")
        return out
    if isinstance(command, Enable):
        return " ".join(command.capabilities).encode()
    if isinstance(command, Compress):
        return command.mechanism.encode()
    if isinstance(command, Select | Examine):
        params: list[bytes] = []
        if command.condstore:
            params.append(b"CONDSTORE")
        if command.annotate:
            params.append(b"ANNOTATE")
        q = command.qresync
        if q is not None:
            parts = [str(q.uidvalidity).encode(), str(q.modseq).encode()]
            if q.known_uids is not None:
                parts.append(str(q.known_uids).encode())
            if q.seq_match is not None:
                parts.append(_paren([str(q.seq_match[0]).encode(), str(q.seq_match[1]).encode()]))
            params.append(b"QRESYNC " + _paren(parts))
        return _mailbox(command.mailbox) + (b" " + _paren(params) if params else b"")
    if isinstance(command, Create):
        use = b" (USE " + _flags(command.special_use) + b")" if command.special_use else b""
        return _mailbox(command.mailbox) + use
    if isinstance(command, Delete | Subscribe | Unsubscribe | GetQuotaRoot | GetAcl | MyRights):
        return _mailbox(command.mailbox)
    if isinstance(command, Rename):
        return _mailbox(command.mailbox) + b" " + _mailbox(command.new_mailbox)
    if isinstance(command, List):
        ref = _string(encode_mutf7(command.reference))
        if not command.extended:
            return ref + b" " + _pattern(command.patterns[0])
        sel = _paren([s.encode() for s in command.selection]) + b" "
        pats = _paren([_pattern(p) for p in command.patterns])
        ret = [o.encode() for o in command.return_options]
        if command.return_status is not None:
            ret.append(b"STATUS " + _paren([s.encode() for s in command.return_status]))
        return sel + ref + b" " + pats + b" RETURN " + _paren(ret)
    if isinstance(command, Lsub):
        return _string(encode_mutf7(command.reference)) + b" " + _pattern(command.pattern)
    if isinstance(command, Status):
        return _mailbox(command.mailbox) + b" " + _paren([i.encode() for i in command.items])
    if isinstance(command, Append):
        return _mailbox(command.mailbox) + b"".join(map(_append_message_bytes, command.messages))
    if isinstance(command, Replace):
        return (
            str(command.messages).encode()
            + b" "
            + _mailbox(command.mailbox)
            + _append_message_bytes(command.message)
        )
    if isinstance(command, GenUrlAuth):
        return b" ".join(_text(url) + b" " + mech.encode() for url, mech in command.requests)
    if isinstance(command, ResetKey):
        if command.mailbox is None:
            return b""
        return b" ".join([_mailbox(command.mailbox), *(m.encode() for m in command.mechanisms)])
    if isinstance(command, UrlFetch):
        return b" ".join(
            _paren([_text(r.url), *(p.encode() for p in r.params)]) if r.extended else _text(r.url)
            for r in command.requests
        )
    if isinstance(command, Expunge):
        return str(command.uids).encode() if command.uids is not None else b""
    if isinstance(command, Search):
        return _return(command.return_options, command.partial) + _search_program(
            command.charset, command.criteria
        )
    if isinstance(command, ESearch):
        sources = b""
        if command.sources:
            sources = b"IN " + _paren([_source(src) for src in command.sources]) + b" "
        return (
            sources
            + _return(command.return_options, command.partial)
            + _search_program(command.charset, command.criteria)
        )
    if isinstance(command, Sort):
        keys = _paren([_sort_key(k) for k in command.sort_keys])
        return (
            _return(command.return_options)
            + keys
            + b" "
            + _search_program(command.charset, command.criteria, keyword=False)
        )
    if isinstance(command, Thread):
        program = _search_program(command.charset, command.criteria, keyword=False)
        return command.algorithm.encode() + b" " + program
    if isinstance(command, Fetch):
        items = (
            command.macro.encode()
            if command.macro
            else _paren([_fetch_item(i) for i in command.items])
        )
        mods: list[bytes] = []
        if command.changedsince is not None:
            mods.append(b"CHANGEDSINCE %d" % command.changedsince)
        if command.vanished:
            mods.append(b"VANISHED")
        if command.partial is not None:
            mods.append(b"PARTIAL %d:%d" % command.partial)  # RFC 9394 3.3
        return (
            str(command.messages).encode() + b" " + items + (b" " + _paren(mods) if mods else b"")
        )
    if isinstance(command, Store):
        mod = (
            b""
            if command.unchangedsince is None
            else b"(UNCHANGEDSINCE %d) " % command.unchangedsince
        )
        if command.attribute == "ANNOTATION":
            entries = []
            for entry, values in command.annotations:
                atts = [
                    _annotation_name(a) + b" " + (b"NIL" if v is None else _string(v))
                    for a, v in values
                ]
                entries.append(_annotation_name(entry) + b" " + _paren(atts))
            return str(command.messages).encode() + b" " + mod + b"ANNOTATION " + _paren(entries)
        sign = {"replace": b"", "add": b"+", "remove": b"-"}[command.mode]
        return (
            str(command.messages).encode()
            + b" "
            + mod
            + sign
            + command.attribute.encode()
            + (b".SILENT" if command.silent else b"")
            + b" "
            + _flags(command.flags)
        )
    if isinstance(command, Copy | Move):
        return str(command.messages).encode() + b" " + _mailbox(command.mailbox)
    if isinstance(command, Id):
        if command.parameters is None:
            return b"NIL"
        fields: list[bytes] = []
        for key, field in command.parameters:
            fields.append(_string(key.encode()))
            fields.append(b"NIL" if field is None else _string(field.encode()))
        return _paren(fields)
    if isinstance(command, GetQuota):
        return _text(command.root)
    if isinstance(command, SetQuota):
        return _text(command.root) + b" " + _paren([f"{r} {n}".encode() for r, n in command.limits])
    if isinstance(command, GetMetadata):
        opts: list[bytes] = []
        if command.maxsize is not None:
            opts.append(b"MAXSIZE %d" % command.maxsize)
        if command.depth is not None:
            opts.append(b"DEPTH " + command.depth.encode())
        prefix = _paren(opts) + b" " if opts else b""
        return (
            prefix + _mailbox(command.mailbox) + b" " + _paren([_text(e) for e in command.entries])
        )
    if isinstance(command, SetMetadata):
        pairs: list[bytes] = []
        for entry, entry_value in command.entries:
            value = b"NIL" if entry_value is None else _string(entry_value)
            pairs.append(_text(entry) + b" " + value)
        return _mailbox(command.mailbox) + b" " + _paren(pairs)
    if isinstance(command, SetAcl):
        mode = {"replace": "", "add": "+", "remove": "-"}[command.mode]
        return (
            _mailbox(command.mailbox)
            + b" "
            + _text(command.identifier)
            + b" "
            + _string((mode + command.rights).encode())
        )
    if isinstance(command, Notify):
        return _notify(command)
    if isinstance(command, CancelUpdate):
        return b" ".join(_string(t.encode()) for t in command.tags)
    if isinstance(command, DeleteAcl | ListRights):
        return _mailbox(command.mailbox) + b" " + _text(command.identifier)
    raise TypeError(f"cannot encode {type(command).__name__}")


def _cat_part(part: CatenatePart) -> bytes:
    if part.url is not None:
        return b"URL " + _text(part.url)
    assert part.data is not None
    data = part.data if isinstance(part.data, bytes) else read_source(part.data)
    literal = (b"~" if part.binary else b"") + b"{%d}\r\n" % len(data) + data
    return b"UTF8 (" + literal + b")" if part.utf8 else b"TEXT " + literal


def _notify(command: Notify) -> bytes:
    # notify = "NOTIFY" SP (notify-set / notify-none) (RFC 5465 8)
    if command.none:
        return b"NONE"
    parts = [b"SET STATUS" if command.status else b"SET"]
    for group in command.groups:
        mailboxes = group.filter.encode()
        if group.mailboxes:
            mailboxes += b" " + _paren([_mailbox(m) for m in group.mailboxes])
        if group.events is None:
            events = b"NONE"
        else:
            events = _paren(
                [
                    e.name.encode()
                    + (b" " + _paren([_fetch_item(i) for i in e.fetch]) if e.fetch else b"")
                    for e in group.events
                ]
            )
        parts.append(b"(" + mailboxes + b" " + events + b")")
    return b" ".join(parts)


def encode_command(command: Command) -> bytes:
    """The command as a client writes it (synchronising literals inline, final CRLF)."""
    name = command.name.encode()
    if getattr(command, "uid", False):
        name = b"UID " + name
    body = _body(command)
    return command.tag.encode() + b" " + name + (b" " + body if body else b"") + b"\r\n"
