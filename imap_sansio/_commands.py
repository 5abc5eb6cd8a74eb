"""Typed client commands: one frozen event class per IMAP command.

Every command carries the client's ``tag`` and a class-level ``name`` (the
upper-case command name; ``UID FETCH`` is ``Fetch`` with ``uid=True``).
Values are decoded where the grammar says what they mean: mailbox names
are ``str`` (modified UTF-7 decoded, ``INBOX`` upper-cased), flags are
``str`` (system flags in their RFC spelling, keywords as sent), sequence sets
are :class:`~imap_sansio._sequence.SequenceSet` / ``UidSet``, dates are
``datetime.date`` and date-times aware ``datetime.datetime``.  Search strings
are ``bytes`` because their charset (``CHARSET``) is only known to the backend.

Conventions, so that readers of these events need not know the grammar:

- A mailbox name or pattern that is not valid modified UTF-7 (RFC 3501
  5.1.3) is kept as sent and listed in the command's ``invalid_names``
  (:class:`InvalidName`); it names no mailbox, so a server answers NO or
  matches nothing.
- Mailbox names: ``INBOX`` in any case becomes ``"INBOX"``.  RFC 3501 5.1
  makes only the name INBOX itself case-insensitive, so ``"inbox/sub"`` is
  kept as sent (a server whose delimiter is ``/`` may fold that prefix).
- LIST / LSUB patterns and references are decoded but never case-folded.
- Fetch macros (``ALL``, ``FAST``, ``FULL``) are expanded into their items
  (RFC 3501 6.4.5) and the macro name is kept in ``Fetch.macro``.
- Capability names (ENABLE), STATUS items, fetch attribute names, search key
  names, sort keys and mechanisms are upper-cased.
"""

from __future__ import annotations

import datetime
from typing import ClassVar, Literal

from imap_sansio._frozen import dataclass, field
from imap_sansio._secret import Secret
from imap_sansio._sequence import SequenceSet, UidSet
from imap_sansio._source import MessageSource

__all__ = [
    "Append",
    "AppendMessage",
    "Authenticate",
    "CancelUpdate",
    "Capability",
    "CatenatePart",
    "Check",
    "Close",
    "Command",
    "Compress",
    "Copy",
    "Create",
    "Delete",
    "DeleteAcl",
    "ESearch",
    "Enable",
    "Examine",
    "Expunge",
    "Fetch",
    "FetchAnnotation",
    "FetchAttribute",
    "FetchBinary",
    "FetchBinarySize",
    "FetchBody",
    "FetchItem",
    "FetchPreview",
    "GenUrlAuth",
    "GetAcl",
    "GetMetadata",
    "GetQuota",
    "GetQuotaRoot",
    "Id",
    "Idle",
    "InvalidName",
    "List",
    "ListRights",
    "Login",
    "Logout",
    "Lsub",
    "Move",
    "MyRights",
    "Namespace",
    "Noop",
    "Notify",
    "NotifyEvent",
    "NotifyGroup",
    "QResync",
    "Rename",
    "Replace",
    "ResetKey",
    "Search",
    "SearchAge",
    "SearchAnd",
    "SearchAnnotation",
    "SearchDate",
    "SearchFilter",
    "SearchFlag",
    "SearchFuzzy",
    "SearchHeader",
    "SearchKey",
    "SearchKeyword",
    "SearchMessages",
    "SearchModSeq",
    "SearchNot",
    "SearchOr",
    "SearchSize",
    "SearchSource",
    "SearchText",
    "SearchUid",
    "Section",
    "Select",
    "SetAcl",
    "SetMetadata",
    "SetQuota",
    "Sort",
    "SortKey",
    "StartTLS",
    "Status",
    "Store",
    "Subscribe",
    "Thread",
    "Unauthenticate",
    "Unselect",
    "Unsubscribe",
    "UrlFetch",
    "UrlFetchRequest",
    "XList",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidName:
    """A mailbox name or pattern as sent that is not valid modified UTF-7 (RFC 3501 5.1.3).

    Not a syntax error: RFC 3501 leaves such names to the server (CREATE
    SHOULD refuse them; Dovecot answers NO), so the grammar keeps ``text``
    (the bytes as sent, non-UTF-8 bytes as surrogate escapes) in the
    command's field and says here why it names nothing.  ``reason`` is for
    people.
    """

    text: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """Base of every command event.

    ``invalid_names``: the mailbox names and patterns of this command that
    did not decode (see :class:`InvalidName`); their fields hold the text as
    sent.  A consumer refuses the command or lets those names match nothing.
    """

    tag: str
    # Empty for nearly every command, so left out of the repr.
    invalid_names: tuple[InvalidName, ...] = field(default=(), repr=False)
    name: ClassVar[str] = ""


# --- any state (RFC 3501 6.1) -------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Capability(Command):
    name: ClassVar[str] = "CAPABILITY"


@dataclass(frozen=True, slots=True, kw_only=True)
class Noop(Command):
    name: ClassVar[str] = "NOOP"


@dataclass(frozen=True, slots=True, kw_only=True)
class Logout(Command):
    name: ClassVar[str] = "LOGOUT"


@dataclass(frozen=True, slots=True, kw_only=True)
class Id(Command):
    """ID (RFC 2971): ``parameters`` is None for ``ID NIL``; values may be NIL (None)."""

    name: ClassVar[str] = "ID"
    parameters: tuple[tuple[str, str | None], ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Compress(Command):
    """COMPRESS (RFC 4978); ``mechanism`` upper-cased, e.g. ``"DEFLATE"``."""

    name: ClassVar[str] = "COMPRESS"
    mechanism: str


# --- not authenticated (RFC 3501 6.2) -----------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StartTLS(Command):
    name: ClassVar[str] = "STARTTLS"


@dataclass(frozen=True, slots=True, kw_only=True)
class Login(Command):
    """LOGIN.  Non-UTF-8 bytes survive as surrogate escapes (``"surrogateescape"``)."""

    name: ClassVar[str] = "LOGIN"
    username: str
    password: Secret[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Authenticate(Command):
    """AUTHENTICATE; ``initial_response`` is the decoded SASL-IR (RFC 4959), ``=`` -> b""."""

    name: ClassVar[str] = "AUTHENTICATE"
    mechanism: str
    initial_response: Secret[bytes] | None = None


# --- authenticated (RFC 3501 6.3) ---------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Enable(Command):
    """ENABLE (RFC 5161); capability names upper-cased."""

    name: ClassVar[str] = "ENABLE"
    capabilities: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QResync:
    """The QRESYNC select parameter (RFC 7162 3.2.5)."""

    uidvalidity: int
    modseq: int
    known_uids: UidSet | None = None
    #: ``(known sequence numbers, their UIDs)``, the optional seq-match-data
    seq_match: tuple[SequenceSet, UidSet] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Select(Command):
    """SELECT with its parameters: ``(CONDSTORE)`` (RFC 7162 3.1.8), ``(QRESYNC (...))``."""

    name: ClassVar[str] = "SELECT"
    mailbox: str
    condstore: bool = False
    qresync: QResync | None = None
    #: the ANNOTATE select parameter (RFC 5257 4.1)
    annotate: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Examine(Command):
    name: ClassVar[str] = "EXAMINE"
    mailbox: str
    condstore: bool = False
    qresync: QResync | None = None
    annotate: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Create(Command):
    """CREATE, with ``USE (\\Drafts ...)`` of RFC 6154 as ``special_use``."""

    name: ClassVar[str] = "CREATE"
    mailbox: str
    special_use: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete(Command):
    name: ClassVar[str] = "DELETE"
    mailbox: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Rename(Command):
    name: ClassVar[str] = "RENAME"
    mailbox: str
    new_mailbox: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscribe(Command):
    name: ClassVar[str] = "SUBSCRIBE"
    mailbox: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Unsubscribe(Command):
    name: ClassVar[str] = "UNSUBSCRIBE"
    mailbox: str


@dataclass(frozen=True, slots=True, kw_only=True)
class List(Command):
    """LIST (RFC 3501 6.3.8) and LIST-EXTENDED (RFC 5258).

    ``selection`` holds the upper-cased selection options (SUBSCRIBED, REMOTE,
    RECURSIVEMATCH, SPECIAL-USE); ``return_options`` the upper-cased return
    options other than STATUS (SUBSCRIBED, CHILDREN, SPECIAL-USE, MYRIGHTS);
    ``return_status`` the STATUS items of ``RETURN (STATUS (...))`` (RFC 5819).
    ``extended`` is True when the client used the extended syntax (selection
    options, several patterns or RETURN), which changes the reply (RFC 5258 3).
    """

    name: ClassVar[str] = "LIST"
    reference: str
    patterns: tuple[str, ...]
    selection: tuple[str, ...] = ()
    return_options: tuple[str, ...] = ()
    return_status: tuple[str, ...] | None = None
    extended: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class XList(Command):
    """Gmail's pre-SPECIAL-USE ``XLIST`` (still sent by some clients)."""

    name: ClassVar[str] = "XLIST"
    reference: str
    pattern: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Lsub(Command):
    name: ClassVar[str] = "LSUB"
    reference: str
    pattern: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Namespace(Command):
    name: ClassVar[str] = "NAMESPACE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Status(Command):
    """STATUS; items upper-cased: MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE
    HIGHESTMODSEQ APPENDLIMIT MAILBOXID DELETED-STORAGE."""

    name: ClassVar[str] = "STATUS"
    mailbox: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendMessage:
    """One message of APPEND (several with MULTIAPPEND, RFC 3502).

    ``binary`` is True for a ``~{n}`` literal8 (BINARY, RFC 3516); ``utf8`` is
    True for the ``UTF8 (~{n})`` form of RFC 6855 4.  A ``CATENATE (...)``
    message (RFC 4469) has its parts in ``catenate`` and ``data == b""``.
    """

    flags: tuple[str, ...] = ()
    internal_date: datetime.datetime | None = None
    #: The message; a :class:`~imap_sansio.MessageSource` (a spool file)
    #: for a literal over ``Limits.spool_literal_above`` when the config has
    #: a ``literal_sink_factory``.
    data: bytes | MessageSource
    binary: bool = False
    utf8: bool = False
    catenate: tuple[CatenatePart, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CatenatePart:
    """One part of ``CATENATE (...)`` (RFC 4469 5): ``TEXT`` with ``data``
    (a literal, or literal8 with BINARY: ``binary``), or ``URL`` with ``url``
    (the IMAP URL as sent; the server reads it with ``parse_imap_url``).
    ``utf8`` is True for RFC 6855 4's ``UTF8 (~{n})`` part (``binary`` too).
    """

    data: bytes | MessageSource | None = None
    url: str | None = None
    binary: bool = False
    utf8: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Append(Command):
    name: ClassVar[str] = "APPEND"
    mailbox: str
    messages: tuple[AppendMessage, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Idle(Command):
    name: ClassVar[str] = "IDLE"


@dataclass(frozen=True, slots=True, kw_only=True)
class GetQuota(Command):
    """GETQUOTA (RFC 9208); ``root`` is the quota root name as sent (astring, UTF-8)."""

    name: ClassVar[str] = "GETQUOTA"
    root: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GetQuotaRoot(Command):
    name: ClassVar[str] = "GETQUOTAROOT"
    mailbox: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetQuota(Command):
    """SETQUOTA (RFC 9208); ``limits`` are ``(upper-cased resource, limit)`` pairs."""

    name: ClassVar[str] = "SETQUOTA"
    root: str
    limits: tuple[tuple[str, int], ...]


# --- selected (RFC 3501 6.4) --------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Check(Command):
    name: ClassVar[str] = "CHECK"


@dataclass(frozen=True, slots=True, kw_only=True)
class Close(Command):
    name: ClassVar[str] = "CLOSE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unselect(Command):
    name: ClassVar[str] = "UNSELECT"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unauthenticate(Command):
    """UNAUTHENTICATE (RFC 8437): back to the not-authenticated state."""

    name: ClassVar[str] = "UNAUTHENTICATE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Expunge(Command):
    """EXPUNGE, or UID EXPUNGE (RFC 4315 / 9051) with ``uid=True`` and ``uids``."""

    name: ClassVar[str] = "EXPUNGE"
    uid: bool = False
    uids: UidSet | None = None


# Search keys (RFC 3501 6.4.4, RFC 9051 6.4.4 and extensions).


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchKey:
    """Base of the search key tree."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchAnd(SearchKey):
    """All of ``keys`` (a parenthesised list, or the top level of SEARCH)."""

    keys: tuple[SearchKey, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchOr(SearchKey):
    left: SearchKey
    right: SearchKey


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchNot(SearchKey):
    key: SearchKey


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchFlag(SearchKey):
    """A key without arguments: ALL ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN
    UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN SAVEDATESUPPORTED."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchKeyword(SearchKey):
    """KEYWORD flag, or UNKEYWORD flag when ``negated``."""

    keyword: str
    negated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchText(SearchKey):
    """BCC BODY CC FROM SUBJECT TEXT TO (substring match), EMAILID THREADID (RFC 8474)."""

    name: str
    value: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHeader(SearchKey):
    """HEADER field-name string."""

    field: str
    value: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchDate(SearchKey):
    """BEFORE ON SINCE SENTBEFORE SENTON SENTSINCE SAVEDBEFORE SAVEDON SAVEDSINCE."""

    name: str
    date: datetime.date


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchSize(SearchKey):
    """LARGER or SMALLER n."""

    name: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchAge(SearchKey):
    """YOUNGER or OLDER seconds (RFC 5032)."""

    name: str
    seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchMessages(SearchKey):
    """A bare sequence set (or ``$``) as a key."""

    messages: SequenceSet


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchUid(SearchKey):
    """UID set (or ``UID $``)."""

    uids: UidSet


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchModSeq(SearchKey):
    """MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162 3.1.5).

    ``entry`` is ``(entry name as sent, "PRIV" | "SHARED" | "ALL")``.
    """

    modseq: int
    entry: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchFuzzy(SearchKey):
    """FUZZY search-key (RFC 6203)."""

    key: SearchKey


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchAnnotation(SearchKey):
    """ANNOTATION entry-match attrib-match value (RFC 5257 4.3)."""

    entry: str
    attribute: str
    value: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchFilter(SearchKey):
    """FILTER filter-name (RFC 5466)."""

    filter: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Search(Command):
    """SEARCH / UID SEARCH.

    ``return_options`` is None for the RFC 3501 form; with ``RETURN (...)``
    (ESEARCH, RFC 4731 / 9051) it holds the upper-cased options MIN MAX ALL
    COUNT SAVE (and CONTEXT UPDATE of RFC 5267, RELEVANCY of RFC 6203);
    ``RETURN ()`` gives ``()``, which means ALL.
    """

    name: ClassVar[str] = "SEARCH"
    criteria: SearchKey
    charset: str | None = None
    return_options: tuple[str, ...] | None = None
    #: ``RETURN (PARTIAL a:b)`` (RFC 9394); negative numbers for ``-a:-b``
    partial: tuple[int, int] | None = None
    uid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchSource:
    """One mailbox filter of ``ESEARCH IN (...)`` (RFC 7377 2.2: the
    filter-mailboxes of RFC 5465 6, less ``selected-delayed``, plus
    ``subtree-one``).  ``filter`` is upper-cased: SELECTED, INBOXES, PERSONAL,
    SUBSCRIBED, SUBTREE, SUBTREE-ONE or MAILBOXES; ``mailboxes`` are the
    names the last three take."""

    filter: str
    mailboxes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ESearch(Command):
    """ESEARCH (MULTISEARCH, RFC 7377 2): a SEARCH over the mailboxes of
    ``sources`` (empty: the selected mailbox), answered in UIDs whatever
    ``uid`` says (2.1); the other fields are as in :class:`Search`."""

    name: ClassVar[str] = "ESEARCH"
    sources: tuple[SearchSource, ...] = ()
    criteria: SearchKey
    charset: str | None = None
    return_options: tuple[str, ...] | None = None
    partial: tuple[int, int] | None = None
    uid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelUpdate(Command):
    """CANCELUPDATE (RFC 5267 4.3): stop the updates of the searches with these tags."""

    name: ClassVar[str] = "CANCELUPDATE"
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SortKey:
    """A sort criterion (RFC 5256): ARRIVAL CC DATE FROM SIZE SUBJECT TO DISPLAYFROM DISPLAYTO,
    or ANNOTATION with ``annotation = (entry, attribute)`` (RFC 5257 4.3)."""

    key: str
    reverse: bool = False
    annotation: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Sort(Command):
    name: ClassVar[str] = "SORT"
    sort_keys: tuple[SortKey, ...]
    charset: str
    criteria: SearchKey
    return_options: tuple[str, ...] | None = None
    partial: tuple[int, int] | None = None
    uid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Thread(Command):
    """THREAD (RFC 5256); ``algorithm`` upper-cased (ORDEREDSUBJECT, REFERENCES, REFS)."""

    name: ClassVar[str] = "THREAD"
    algorithm: str
    charset: str
    criteria: SearchKey
    uid: bool = False


# Fetch items (RFC 3501 6.4.5, RFC 9051 6.4.5 and extensions).


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchItem:
    """Base of the fetch items."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchAttribute(FetchItem):
    """An item without a section: ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER
    RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE UID MODSEQ SAVEDATE EMAILID THREADID."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A body section: ``part`` numbers then an optional ``text`` specifier.

    ``text`` is None (the whole part), ``"HEADER"``, ``"HEADER.FIELDS"``,
    ``"HEADER.FIELDS.NOT"``, ``"TEXT"`` or ``"MIME"`` (MIME only after a part
    number); ``fields`` are the header field names as sent for HEADER.FIELDS.
    """

    part: tuple[int, ...] = ()
    text: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchBody(FetchItem):
    """BODY[section]<partial> or BODY.PEEK[...]; ``partial`` is (offset, length)."""

    section: Section
    peek: bool = False
    partial: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchBinary(FetchItem):
    """BINARY[part]<partial> or BINARY.PEEK (RFC 3516)."""

    part: tuple[int, ...] = ()
    peek: bool = False
    partial: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchBinarySize(FetchItem):
    """BINARY.SIZE[part] (RFC 3516)."""

    part: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchAnnotation(FetchItem):
    """ANNOTATION (entries attributes) (RFC 5257 4.2); patterns as sent (``*``, ``%``)."""

    entries: tuple[str, ...]
    attributes: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPreview(FetchItem):
    """PREVIEW or PREVIEW (LAZY) (RFC 8970)."""

    lazy: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetch(Command):
    """FETCH / UID FETCH.

    ``messages`` is a SequenceSet, or a UidSet when ``uid``.  Macros are
    expanded into ``items`` and named in ``macro``.  ``changedsince`` and
    ``vanished`` are the CONDSTORE / QRESYNC modifiers (RFC 7162).
    """

    name: ClassVar[str] = "FETCH"
    messages: SequenceSet | UidSet
    items: tuple[FetchItem, ...]
    macro: str | None = None
    changedsince: int | None = None
    vanished: bool = False
    #: the PARTIAL fetch modifier (RFC 9394); negative numbers for ``-a:-b``
    partial: tuple[int, int] | None = None
    uid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Store(Command):
    """STORE / UID STORE: ``mode`` is "replace" (FLAGS), "add" (+FLAGS) or "remove" (-FLAGS).

    ``attribute`` is "FLAGS", or "X-GM-LABELS" for Gmail's label store (then
    ``flags`` holds the labels as sent, decoded from astrings), or "ANNOTATION"
    (RFC 5257 4.4; then ``annotations`` holds ``(entry, ((attribute, value),
    ...))`` pairs, value None for NIL, and ``mode`` is "replace").
    """

    name: ClassVar[str] = "STORE"
    messages: SequenceSet | UidSet
    mode: Literal["replace", "add", "remove"]
    silent: bool = False
    flags: tuple[str, ...] = ()
    attribute: str = "FLAGS"
    annotations: tuple[tuple[str, tuple[tuple[str, bytes | None], ...]], ...] = ()
    unchangedsince: int | None = None
    uid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Copy(Command):
    name: ClassVar[str] = "COPY"
    messages: SequenceSet | UidSet
    mailbox: str
    uid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Move(Command):
    name: ClassVar[str] = "MOVE"
    messages: SequenceSet | UidSet
    mailbox: str
    uid: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Replace(Command):
    """REPLACE / UID REPLACE (RFC 8508): ``message`` is appended to ``mailbox``
    and the message named by ``messages`` (one number, or ``*``) is expunged
    from the selected mailbox, as one action."""

    name: ClassVar[str] = "REPLACE"
    messages: SequenceSet | UidSet
    mailbox: str
    message: AppendMessage
    uid: bool = False


# --- NOTIFY (RFC 5465) --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyEvent:
    """An event name as sent (``MessageNew``, ...); MessageNew may carry fetch items."""

    name: str
    fetch: tuple[FetchItem, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyGroup:
    """``(filter-mailboxes events)``: ``filter`` upper-cased (SELECTED, SELECTED-DELAYED,
    INBOXES, PERSONAL, SUBSCRIBED, SUBTREE, MAILBOXES); ``mailboxes`` for SUBTREE and
    MAILBOXES; ``events`` is None for ``NONE``."""

    filter: str
    mailboxes: tuple[str, ...] = ()
    events: tuple[NotifyEvent, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify(Command):
    """NOTIFY NONE (``groups`` empty, ``none`` True) or NOTIFY SET [STATUS] groups."""

    name: ClassVar[str] = "NOTIFY"
    none: bool = False
    status: bool = False
    groups: tuple[NotifyGroup, ...] = ()


# --- METADATA (RFC 5464) ------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GetMetadata(Command):
    """GETMETADATA; ``mailbox`` "" means server annotations; ``depth`` "0", "1" or "INFINITY"."""

    name: ClassVar[str] = "GETMETADATA"
    mailbox: str
    entries: tuple[str, ...]
    maxsize: int | None = None
    depth: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetMetadata(Command):
    """SETMETADATA; values are bytes, None for NIL (remove the entry)."""

    name: ClassVar[str] = "SETMETADATA"
    mailbox: str
    entries: tuple[tuple[str, bytes | None], ...]


# --- ACL (RFC 4314) -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SetAcl(Command):
    """SETACL; ``mode`` from the +/- prefix of the rights."""

    name: ClassVar[str] = "SETACL"
    mailbox: str
    identifier: str
    rights: str
    mode: Literal["replace", "add", "remove"] = "replace"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteAcl(Command):
    name: ClassVar[str] = "DELETEACL"
    mailbox: str
    identifier: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GetAcl(Command):
    name: ClassVar[str] = "GETACL"
    mailbox: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListRights(Command):
    name: ClassVar[str] = "LISTRIGHTS"
    mailbox: str
    identifier: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MyRights(Command):
    name: ClassVar[str] = "MYRIGHTS"
    mailbox: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GenUrlAuth(Command):
    """GENURLAUTH (RFC 4467 7): ``(rump URL, mechanism)`` pairs, mechanisms upper-cased."""

    name: ClassVar[str] = "GENURLAUTH"
    requests: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetKey(Command):
    """RESETKEY (RFC 4467 7): every key (``mailbox`` None), or one mailbox's
    keys for ``mechanisms`` (upper-cased; empty: all of them)."""

    name: ClassVar[str] = "RESETKEY"
    mailbox: str | None = None
    mechanisms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlFetchRequest:
    """One URL of URLFETCH; ``params`` (upper-cased ``BODY``, ``BINARY``,
    ``BODYPARTSTRUCTURE``) come from the parenthesised form of RFC 5524 4,
    ``extended`` says that form was used (even with no parameter)."""

    url: str
    params: tuple[str, ...] = ()
    extended: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlFetch(Command):
    """URLFETCH (RFC 4467 7, with RFC 5524's parameters)."""

    name: ClassVar[str] = "URLFETCH"
    requests: tuple[UrlFetchRequest, ...]
