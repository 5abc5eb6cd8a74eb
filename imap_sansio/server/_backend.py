"""The Backend protocol: what the server layer asks of a mail store.

The protocol is grouped by IMAP state, in the manner of go-imap v2:

* :class:`Backend` is the not-authenticated state: it checks credentials and
  hands out an :class:`Account`; it also carries the change-notification hook.
* :class:`Account` is the authenticated state: mailbox hierarchy, subscriptions,
  STATUS, APPEND, and :meth:`Account.select`, which opens a
* :class:`Mailbox` handle: the selected state (message listing, bytes, STORE,
  COPY, MOVE, EXPUNGE and :meth:`Mailbox.changes_since`).

Everything speaks UIDs (never sequence numbers), mailbox names as ``str`` with
the hierarchy delimiter ``"/"``, flags as ``str`` (system flags in their
canonical spelling such as ``"\\Seen"``, and keywords), message bytes, and
aware :class:`~datetime.datetime` internal dates passed in by the caller
(nothing here reads the clock).

The server owns the IMAP rules; a backend stores.  What arrives at a
backend has been checked: names are normalised by
:func:`imap_sansio.server.names.normalize` (``"INBOX"`` upper case) and,
when they bring a mailbox into being, valid
(:func:`imap_sansio.server.names.name_error`); flags are validated and
canonical (:func:`normalize_flags`); messages are within
:meth:`AppendLimitAccount.append_limit`.  The hierarchy rules are the
server's: it computes what to do and calls primitives that each do exactly
one thing.  So a backend author:

* must make each call atomic on its own, and correct with other writers
  (other account objects, threads, processes) between any two calls;
* must compute STORE's new flags with :meth:`StoreAction.apply` (inside its
  own lock or transaction, together with the modseq bookkeeping);
* must raise :class:`NoSuchMailbox` for a name that is not a selectable
  mailbox (and from every call on a handle whose mailbox was deleted),
  :class:`MailboxExists` when creating or renaming onto a name that another
  writer made meanwhile, and ``ImapNo`` with ``OVERQUOTA``, ``LIMIT``,
  ``USEATTR`` or ``CANNOT`` (a valid name the store cannot hold) for what
  only the store can know;
* must not re-check names, flags, sizes or hierarchy rules, create superior
  names, turn a deleted parent into ``\\Noselect`` on its own, special-case
  INBOX beyond "it always exists", or answer ``TRYCREATE`` or
  ``HASCHILDREN``: the server does all of that (RFC 3501 6.3.3-6.3.5,
  6.3.11, 6.4.7) before or after calling it.

:class:`imap_sansio.testing.backend.BackendContract` is the test suite every
backend must pass.

Stores need not live in this process: a database shared by many server
processes is the design target.  So no method may assume the caller is the
only writer.  Every mailbox has a modification sequence that each change
bumps (append, flag change, expunge); expunges leave tombstones, so any
session can catch up with :meth:`Mailbox.changes_since`.  Backends push a
:class:`ChangeNotice` to every listener after a change (possibly from another
thread); the server then wakes the sessions concerned, which pull.

Optional protocols (:class:`QuotaAccount`, :class:`SpecialUseCreateAccount`,
:class:`AppendLimitAccount`, :class:`CondstoreAccount`,
:class:`ObjectIdAccount`, :class:`SaveDateAccount`,
:class:`MetadataAccount`, :class:`AclAccount`) mark optional
features; the server advertises a
capability only when the account object implements the matching protocol
(``isinstance`` checks, they are ``runtime_checkable``).
:class:`ReplaceMailbox` is a mailbox handle's: a store that implements it
does REPLACE (RFC 8508) in one change, any other gets the server's own
steps.

Errors meant for the client are :class:`ImapNo` and :class:`ImapBad`, carrying
the *name* of an IMAP response code (``"TRYCREATE"``, ``"NONEXISTENT"``, ...);
the server maps them to responses.  Any other exception is a server bug and
becomes ``NO [SERVERBUG]``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from imap_sansio._frozen import dataclass
from imap_sansio._secret import Secret
from imap_sansio._source import MessageSource
from imap_sansio.mime._headers import parse_header

__all__ = [
    "SPECIAL_USE_ATTRIBUTES",
    "SYSTEM_FLAGS",
    "Account",
    "AclAccount",
    "AppendLimitAccount",
    "AppendResult",
    "AuthenticationFailed",
    "Backend",
    "ChangeListener",
    "ChangeNotice",
    "Changes",
    "CondstoreAccount",
    "CopyResult",
    "ImapBad",
    "ImapNo",
    "Mailbox",
    "MailboxExists",
    "MailboxInfo",
    "MailboxStatus",
    "MessageInfo",
    "MessageSource",
    "MetadataAccount",
    "NoSuchMailbox",
    "ObjectIdAccount",
    "QuotaAccount",
    "QuotaResource",
    "ReplaceMailbox",
    "SaveDateAccount",
    "SpecialUseCreateAccount",
    "StoreAction",
    "StoreResult",
    "UrlAuthAccount",
    "normalize_flags",
    "thread_keys",
]


# ---------------------------------------------------------------------------
# Errors


class ImapNo(Exception):
    """A deliberate ``NO``: the server relays ``text`` with ``[code]``.

    ``code`` is a response-code name such as ``"TRYCREATE"`` (RFC 3501 7.1),
    ``"NONEXISTENT"``, ``"ALREADYEXISTS"``, ``"CANNOT"`` (RFC 5530),
    ``"OVERQUOTA"`` (RFC 9208), ``"USEATTR"`` (RFC 6154) or ``None``.
    """

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r}, code={self.code!r})"


class ImapBad(Exception):
    """A deliberate ``BAD`` (the arguments were invalid), relayed with ``[code]``."""

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r}, code={self.code!r})"


class NoSuchMailbox(ImapNo):
    """The store has no selectable mailbox of this name (``NO [NONEXISTENT]``).

    Also raised by every call on a :class:`Mailbox` handle whose mailbox was
    deleted.  The server answers ``NO [TRYCREATE]`` instead where RFC 3501
    6.3.11 and 6.4.7 ask for it (APPEND, COPY, MOVE).
    """

    def __init__(self, text: str = "Mailbox does not exist", code: str | None = "NONEXISTENT"):
        super().__init__(text, code)


class MailboxExists(ImapNo):
    """The name is a mailbox already (``NO [ALREADYEXISTS]``, RFC 5530).

    The server checks before it creates or renames; a backend raises this
    when another writer created the name meanwhile.
    """

    def __init__(self, text: str = "Mailbox already exists", code: str | None = "ALREADYEXISTS"):
        super().__init__(text, code)


class AuthenticationFailed(ImapNo):
    """Wrong user name or password (``NO [AUTHENTICATIONFAILED]``, RFC 5530).

    The text never says which of the two was wrong.
    """

    def __init__(
        self,
        text: str = "Authentication failed",
        code: str | None = "AUTHENTICATIONFAILED",
    ) -> None:
        super().__init__(text, code)


# ---------------------------------------------------------------------------
# Flags

#: RFC 3501 2.3.2 system flags a client may set (``\Recent`` is session
#: state, kept by the core, never stored).
SYSTEM_FLAGS: tuple[str, ...] = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
_SYSTEM_BY_LOWER = {f.lower(): f for f in SYSTEM_FLAGS}

#: RFC 6154 2: the special-use mailbox attributes.
SPECIAL_USE_ATTRIBUTES: frozenset[str] = frozenset(
    {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"}
)

# RFC 3501 9: flag-keyword = atom; atom-char = any CHAR except atom-specials
# ( "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / "]" ).
_ATOM_SPECIALS = frozenset('(){%*"\\]')


def normalize_flags(flags: Collection[str]) -> frozenset[str]:
    """Validate flags for STORE/APPEND and give system flags their canonical case.

    System flags are case-insensitive (RFC 3501 2.3.2, 9: ``"\\" atom``); a
    backslash name that is not a storable system flag (``\\Recent``, ``\\Foo``)
    or a keyword with characters outside ``atom`` raises :class:`ImapBad`.
    Keywords keep their spelling.
    """
    result: set[str] = set()
    for flag in flags:
        if flag.startswith("\\"):
            canonical = _SYSTEM_BY_LOWER.get(flag.lower())
            if canonical is None:
                raise ImapBad(f"Invalid system flag {flag}")
            result.add(canonical)
            continue
        if not flag or any(c in _ATOM_SPECIALS or not 0x20 < ord(c) < 0x7F for c in flag):
            raise ImapBad("Invalid flag keyword")
        result.add(flag)
    return frozenset(result)


# RFC 5322 3.6.4: msg-id = "<" id-left "@" id-right ">"
_MSG_ID = re.compile(rb"<([^<>\s]+)>")
#: The header of a message is looked for in its first this many octets.
_HEADER_WINDOW = 256 * 1024


def thread_keys(data: bytes) -> tuple[str, ...]:
    """The Message-IDs that tie a message to a thread, for THREADID (RFC 8474
    5.2 leaves the logic to the server): its own Message-ID, then those of
    In-Reply-To and References (RFC 5322 3.6.4), without repeats.

    A store gives a new message the THREADID of the first of these it has
    seen in the account, else a new one, and remembers every one of them
    for that THREADID: so a reply, its original and messages that cite the
    same original share a THREADID in any mailbox (and in any order of
    arrival), and a THREADID once given never changes.
    """
    # The top-level header only: the body's structure says nothing here.
    header = parse_header(data, 0, min(len(data), _HEADER_WINDOW))
    keys: dict[str, None] = {}
    for name in (b"message-id", b"in-reply-to", b"references"):
        value = header.first(name)
        for match in _MSG_ID.finditer(value or b""):
            keys.setdefault(match.group(1).decode("ascii", "replace"), None)
    return tuple(keys)


# ---------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageInfo:
    """One message's metadata (the FETCH data that is not its bytes)."""

    uid: int
    flags: frozenset[str]
    internal_date: datetime
    size: int  # RFC822.SIZE: the stored octet count
    modseq: int  # RFC 7162: mod-sequence of the last change to this message
    #: RFC 8474 5.1 EMAILID (a store that implements :class:`ObjectIdAccount`
    #: gives every message one; None otherwise).
    email_id: str | None = None
    #: RFC 8474 5.2 THREADID; None (NIL) when the store does not thread.
    thread_id: str | None = None
    #: RFC 8514 3: when the message was saved into this mailbox (a store
    #: that implements :class:`SaveDateAccount`); None: not kept.
    save_date: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MailboxInfo:
    """One name in an account's hierarchy, as LIST needs it.

    ``selectable`` is False for a name that exists only as a level of
    hierarchy (``\\Noselect``, e.g. the parent left when a mailbox with
    children was deleted, RFC 3501 6.3.4).  ``attributes`` are any further
    attributes the store knows (``\\Noinferiors``, ``\\Marked``, ...); the
    children attributes are computed by the server from the name set.
    """

    name: str
    selectable: bool = True
    special_use: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class MailboxStatus:
    """STATUS / SELECT data of a mailbox (RFC 3501 6.3.10, RFC 7162, RFC 9051)."""

    messages: int
    uidnext: int
    uidvalidity: int
    unseen: int  # messages without \Seen
    highest_modseq: int
    size: int  # RFC 8438 STATUS SIZE: total octets
    deleted: int  # RFC 9051 STATUS DELETED: messages with \Deleted
    recent: int = 0  # RFC 3501 STATUS RECENT: messages no session has claimed yet


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendResult:
    """What APPENDUID (RFC 4315 3) reports."""

    uidvalidity: int
    uid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyResult:
    """What COPYUID (RFC 4315 3) reports: ``(source uid, destination uid)`` pairs.

    ``uid_map`` is in ascending source-UID order; it is empty when none of the
    UIDs existed (then the server sends no COPYUID at all).
    """

    uidvalidity: int
    uid_map: tuple[tuple[int, int], ...]


class StoreAction(enum.Enum):
    """STORE FLAGS / +FLAGS / -FLAGS (RFC 3501 6.4.6)."""

    SET = "FLAGS"
    ADD = "+FLAGS"
    REMOVE = "-FLAGS"

    def apply(self, current: frozenset[str], flags: frozenset[str]) -> frozenset[str]:
        """The flags of a message after this STORE: the one place this is computed."""
        if self is StoreAction.SET:
            return flags
        if self is StoreAction.ADD:
            return current | flags
        return current - flags


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreResult:
    """Outcome of a STORE over a set of UIDs.

    ``messages``: the current state of every addressed message that exists
    (changed or not, ascending UID), for the untagged FETCH responses.
    ``changed``: the UIDs whose flags really changed (their modseq was bumped).
    ``modified``: UIDs refused because their modseq exceeded UNCHANGEDSINCE
    (RFC 7162 3.1.3, the ``[MODIFIED ...]`` response code).
    """

    messages: tuple[MessageInfo, ...]
    changed: tuple[int, ...]
    modified: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """Everything that happened in a mailbox after a given modseq.

    ``new``: messages appended after it (ascending UID; a session announces
    them with EXISTS).  ``changed``: messages that existed then and whose flags
    changed since (ascending UID; FETCH FLAGS).  ``expunged``: UIDs that
    existed then and are gone now (ascending; EXPUNGE or VANISHED).  Messages
    both appended and expunged after ``modseq`` appear nowhere.
    ``highest_modseq`` is the mailbox's modseq now: pass it to the next call.
    A ``uidvalidity`` different from the session's means the mailbox was
    replaced (deleted and re-created): the session must be closed
    (RFC 3501 2.3.1.1).

    A store keeps the expunge records (tombstones) of recent changes only
    (RFC 7162 5.3: keeping them forever costs without bound); ``forgotten``
    is the highest modseq whose records it dropped (0: none).  When asked
    about a modseq below it, ``expunged`` names only what it still knows:
    the caller then takes every UID it knew of that is absent now as
    expunged (RFC 7162 3.2.6: "report all expunged messages" of the set).
    """

    new: tuple[MessageInfo, ...]
    changed: tuple[MessageInfo, ...]
    expunged: tuple[int, ...]
    highest_modseq: int
    uidvalidity: int
    uidnext: int
    forgotten: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeNotice:
    """Pushed to listeners after a change.

    ``mailbox`` names the mailbox whose messages changed, or is None when the
    account's mailbox list changed (CREATE, DELETE, RENAME, SUBSCRIBE).

    A change of annotations (:class:`MetadataAccount`) names the entries
    that changed in ``metadata`` (set, changed or removed; RFC 5465 5.6,
    5.7): of ``mailbox``, a mailbox of ``username``, or of the server when
    ``mailbox`` is ``""`` (``username`` is then the writer).  Its
    ``/private`` entries are ``private_to``'s when that is set (a user
    annotating a mailbox that ``username`` shares, RFC 5464 3.3), else
    ``username``'s.
    """

    username: str
    mailbox: str | None = None
    metadata: tuple[str, ...] = ()
    private_to: str | None = None


ChangeListener = Callable[[ChangeNotice], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaResource:
    """One resource of a quota root (RFC 9208 5): STORAGE is in units of 1024 octets."""

    name: str  # "STORAGE", "MESSAGE", ...
    usage: int
    limit: int


# ---------------------------------------------------------------------------
# The protocols


@runtime_checkable
class Mailbox(Protocol):
    """A selected (or examined) mailbox: the selected state.

    The handle stays bound to the mailbox it opened, also when the mailbox
    is renamed (by this or any other account object or process).  After the
    mailbox is deleted every call raises :class:`NoSuchMailbox`.  UID
    arguments may name UIDs that do not exist (any more); they are skipped.
    Every call is atomic on its own: other writers may change the mailbox
    between two calls, never during one.
    """

    @property
    def name(self) -> str:
        """The mailbox's current name."""
        ...

    @property
    def uidvalidity(self) -> int: ...

    def status(self) -> MailboxStatus: ...

    def keywords(self) -> tuple[str, ...]:
        """Keywords defined in this mailbox (for the FLAGS response)."""
        ...

    def messages(self, uids: Collection[int] | None = None) -> list[MessageInfo]:
        """Metadata of the messages with these UIDs (all when None), ascending UID."""
        ...

    def message_bytes(self, uid: int) -> bytes | None:
        """The stored message, or None if it was expunged meanwhile.

        The server asks for it only to parse the message (ENVELOPE,
        BODYSTRUCTURE, sections, SEARCH); whole-message data goes out
        through :meth:`open_message`.
        """
        ...

    def open_message(self, uid: int) -> MessageSource | None:
        """The stored message as a :class:`MessageSource`, or None if it was
        expunged meanwhile.

        ``BODY[]``, ``RFC822``, ``BINARY[]`` and their partials are written
        from it a piece at a time as the client reads (a file for a disk
        store, ``substring()`` reads for a database), so it must not load
        the message whole.  Its ``size`` is the message's RFC822.SIZE and
        its bytes are those of :meth:`message_bytes`.  It may be read after
        this handle's later calls, also after the message was expunged; if
        the store cannot, ``read`` returns short and the connection ends.
        Opening holds nothing open: the first ``read`` may.
        """
        ...

    def store_flags(
        self,
        uids: Collection[int],
        action: StoreAction,
        flags: Collection[str],
        *,
        unchanged_since: int | None = None,
    ) -> StoreResult:
        """STORE: each message's new flags are ``action.apply(current, flags)``.

        ``flags`` are validated and canonical.  With ``unchanged_since``,
        a message whose modseq is greater is left alone and reported in
        ``modified`` (RFC 7162 3.1.3).  Messages whose flags change get one
        new modseq (the same for all of them); unchanged ones keep theirs.
        """
        ...

    def copy(self, uids: Collection[int], destination: str) -> CopyResult:
        """COPY (flags and internal dates kept): new UIDs in ascending order,
        also when ``destination`` is this mailbox; :class:`NoSuchMailbox` if
        there is no such (selectable) mailbox."""
        ...

    def move(self, uids: Collection[int], destination: str) -> CopyResult:
        """MOVE (RFC 6851): copy, then expunge the sources from this mailbox,
        as one change (no session sees both copies)."""
        ...

    def expunge(self, uids: Collection[int] | None = None) -> tuple[int, ...]:
        """Remove ``\\Deleted`` messages (only those among ``uids`` when given:
        UID EXPUNGE, RFC 4315 2.1); returns the expunged UIDs, ascending."""
        ...

    def changes_since(self, modseq: int) -> Changes:
        """What changed after ``modseq`` (see :class:`Changes`)."""
        ...

    def claim_recent(self) -> tuple[int, ...]:
        """Take the \\Recent messages for this session (RFC 3501 2.3.2).

        Returns the UIDs (ascending) that arrived since any session last
        claimed, and marks them claimed, atomically: exactly one session sees
        a message as \\Recent.  SELECT calls it, and so does each poll that
        announces new messages; EXAMINE never does (RFC 3501 6.3.2).
        """
        ...


@runtime_checkable
class Account(Protocol):
    """An authenticated user: the authenticated state.

    Several account objects of one user (two sessions, two processes) see
    each other's changes.  Names arrive normalised (see the module
    docstring); a name of no mailbox is :class:`NoSuchMailbox`.
    """

    @property
    def username(self) -> str: ...

    def list_mailboxes(self) -> list[MailboxInfo]:
        """Every name in the hierarchy, including ``\\Noselect`` levels.

        LIST pattern matching and children attributes are computed from this
        by the server.
        """
        ...

    def create_mailbox(self, name: str) -> None:
        """Make ``name`` a mailbox, empty, with a fresh UIDVALIDITY (RFC 3501 2.3.1.1:
        greater than any this name had before).

        Only that name: the server has created its superiors first (RFC 3501
        6.3.3).  A ``\\Noselect`` level of that name becomes a mailbox.
        :class:`MailboxExists` if it is a mailbox already.
        """
        ...

    def delete_mailbox(self, name: str, *, noselect: bool = False) -> None:
        """Remove mailbox ``name`` with its messages (or a ``\\Noselect`` level).

        With ``noselect`` the name stays as a ``\\Noselect`` level (the
        server asks for that when the mailbox has inferiors, RFC 3501
        6.3.4).  Open handles on it raise :class:`NoSuchMailbox` from then
        on.  :class:`NoSuchMailbox` if the name does not exist at all.
        """
        ...

    def rename_mailboxes(self, renames: Mapping[str, str]) -> None:
        """Rename each name (mailbox or ``\\Noselect`` level) ``old`` to ``renames[old]``,
        all at once.

        The server passes a whole subtree (RFC 3501 6.3.5) and has checked
        that no target exists; messages, UIDs and flags stay, open handles
        stay bound.  A target whose name had a UIDVALIDITY as large before
        gets a new, greater one (RFC 3501 2.3.1.1).  INBOX is never renamed
        this way (the server moves its messages instead).
        """
        ...

    def subscribe(self, name: str) -> None:
        """Add ``name`` to the subscriptions; it need not exist (RFC 3501 6.3.6)."""
        ...

    def unsubscribe(self, name: str) -> None:
        """Remove ``name`` from the subscriptions (nothing if it is not there)."""
        ...

    def subscriptions(self) -> frozenset[str]: ...

    def status(self, name: str) -> MailboxStatus: ...

    def append(
        self,
        name: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        """APPEND one message; :class:`NoSuchMailbox` when there is no such mailbox,
        ``NO [OVERQUOTA]`` when the store is full.  The UID is greater than
        every UID the mailbox ever had, also with other writers.

        ``data`` is bytes, or for a big literal a :class:`MessageSource`
        (the file the adapter spooled it to): read it a piece at a time, or
        all at once if the store holds messages in memory anyway.  The
        server closes it after the call."""
        ...

    def select(self, name: str) -> Mailbox:
        """Open a mailbox for SELECT/EXAMINE (read-only is the server's business)."""
        ...

    def logout(self) -> None:
        """The session ended: release whatever the account holds."""
        ...


@runtime_checkable
class Backend(Protocol):
    """A mail store: authentication and change notification.

    Two optional attributes, read by the adapters with ``getattr``:

    - ``thread_safe`` (bool, default False): the backend, its accounts and
      its mailboxes may be called from several threads at once.  Then each
      session's calls are serialised for that session only and run at once
      in worker threads; otherwise one lock serialises every call into the
      server.
    - ``watch(username, mailbox) -> Callable[[], None]``: watch ``mailbox``
      for changes made outside this process (deliveries into a maildir,
      other processes) and send their notices; the returned function stops.
      The adapters call it for every selected mailbox.
    """

    def authenticate(
        self, username: str, password: Secret[str], *, authzid: str | None = None
    ) -> Account:
        """Check credentials; raise :class:`AuthenticationFailed` if wrong.

        ``authzid`` is the SASL authorization identity (RFC 4616); a backend
        without proxy authorization refuses any value other than None, "" or
        ``username`` (``NO [AUTHORIZATIONFAILED]``).
        """
        ...

    def add_listener(self, callback: ChangeListener) -> Callable[[], None]:
        """Call ``callback`` after every change; returns a function that removes it.

        The callback may run in any thread; it must only wake sessions, which
        then pull with :meth:`Mailbox.changes_since`.
        """
        ...


# ---------------------------------------------------------------------------
# Optional protocols (capabilities follow from them)


@runtime_checkable
class QuotaAccount(Protocol):
    """QUOTA (RFC 9208)."""

    def quota_roots(self, mailbox: str) -> tuple[str, ...]: ...

    def quota(self, root: str) -> tuple[QuotaResource, ...]: ...


@runtime_checkable
class SpecialUseCreateAccount(Protocol):
    """CREATE-SPECIAL-USE (RFC 6154 3): CREATE with ``USE (\\Sent ...)``.

    As :meth:`Account.create_mailbox`, with special-use attributes; the
    server passes only attributes of :data:`SPECIAL_USE_ATTRIBUTES`; one the
    store does not support raises ``ImapNo(..., code="USEATTR")``.
    """

    def create_special_use_mailbox(self, name: str, special_use: Collection[str]) -> None: ...


@runtime_checkable
class AppendLimitAccount(Protocol):
    """APPENDLIMIT (RFC 7889): the largest message APPEND accepts (None: no limit)."""

    def append_limit(self) -> int | None: ...


@runtime_checkable
class CondstoreAccount(Protocol):
    """CONDSTORE/QRESYNC (RFC 7162): the store's modseqs are persistent.

    Every backend keeps modseqs for change tracking; implementing this says
    they survive restarts and never go backwards, so the server may advertise
    CONDSTORE and QRESYNC.  Called when a client enables them.
    """

    def enable_condstore(self) -> None: ...


@runtime_checkable
class AclAccount(Protocol):
    """ACL (RFC 4314): access control lists stored per mailbox and identifier,
    and the way to other users' mailboxes (shared mailboxes).

    The store keeps, for each mailbox of this account, a map of identifier
    (a user name, ``"anyone"``, a negative ``"-name"``, or any other string
    a client set) to a rights string; it interprets none of it: the server
    parses, validates and combines rights (RFC 4314 2), decides who may do
    what (section 4) and gives the owner every right implicitly.  What the
    store must do besides:

    * :meth:`Account.delete_mailbox` drops the ACL of the name (RFC 4314 4:
      "The DELETE command MUST delete the ACL associated with the deleted
      mailbox"), also when the name stays as a ``\\Noselect`` level;
    * :meth:`Account.rename_mailboxes` moves each ACL with its name (RFC 4314
      4: RENAME "SHOULD NOT change the ACLs");
    * :meth:`Account.create_mailbox` starts with an empty ACL (the server
      copies the parent's, RFC 4314 4 "SHOULD inherit").

    Implementing this makes the server advertise ``ACL``, ``RIGHTS=texk`` and
    ``LIST-MYRIGHTS`` and show other users' mailboxes shared with the user
    under the "Other Users" namespace (RFC 2342).
    """

    def get_acl(self, name: str) -> Mapping[str, str]:
        """The ACL of mailbox ``name`` (identifier -> rights, in the order set);
        :class:`NoSuchMailbox` when there is no such mailbox."""
        ...

    def set_acl(self, name: str, identifier: str, rights: str | None) -> None:
        """Store ``rights`` for ``identifier`` on mailbox ``name`` (replacing
        what it had; a new identifier goes last), or remove the entry when
        ``rights`` is None; :class:`NoSuchMailbox` when there is no such mailbox."""
        ...

    def shared_mailboxes(self, identifiers: Collection[str]) -> list[tuple[str, str]]:
        """``(owner, mailbox)`` of every mailbox of *other* users whose ACL has
        an entry for one of ``identifiers`` (the server passes the user name
        and ``"anyone"``), in any order."""
        ...

    def other_account(self, owner: str) -> Account:
        """The account of user ``owner``, to reach the mailboxes it shares
        (no password: the server checks the rights of every call);
        :class:`NoSuchMailbox` when there is no such user."""
        ...


@runtime_checkable
class UrlAuthAccount(Protocol):
    """URLAUTH (RFC 4467 3): the account keeps a mailbox access key per mailbox.

    A key is secret random bytes that the server signs URLs with (HMAC); the
    store only keeps them, the server makes them (randomness is passed in to
    the server, not read here).  Keys survive restarts and are shared by every
    server process over the same store, or URLs stop working.  Each call is
    atomic (two sessions asking for a missing key at once get the same key).
    """

    def urlauth_key(self, mailbox: str, new_key: bytes | None = None) -> bytes | None:
        """The access key of ``mailbox`` (a name as the server passes names;
        the mailbox need not exist any more).  When there is none: store
        ``new_key`` and return it, or return None when ``new_key`` is None."""
        ...

    def reset_urlauth_keys(self, mailbox: str | None = None) -> None:
        """Forget the key of ``mailbox`` (None: of every mailbox), so that the
        URLs made with it no longer verify (RESETKEY, RFC 4467 7)."""


@runtime_checkable
class ObjectIdAccount(Protocol):
    """OBJECTID (RFC 8474): the store keeps object identifiers.

    An ObjectID is 1 to 255 characters of ``A-Z a-z 0-9 _ -`` (RFC 8474
    8.1; start it with a letter, as the RFC advises).  Implementing this
    promises:

    * :meth:`mailbox_id`: a MAILBOXID per mailbox, new for every
      :meth:`Account.create_mailbox` (also of a name that existed before),
      never given to two mailboxes, and kept by
      :meth:`Account.rename_mailboxes` (RFC 8474 4);
    * every :class:`MessageInfo` of its mailboxes carries an ``email_id``,
      new for each APPEND (and REPLACE, RFC 8508 4.6) unless the store sees
      identical content, and the same as the source's for a COPY or MOVE
      (RFC 8474 5.1); ``thread_id`` may be None (THREADID NIL, 5.2), and
      a message's value never changes once reported.

    The server sends ``[MAILBOXID (...)]`` after CREATE and SELECT, and
    answers STATUS MAILBOXID, FETCH EMAILID/THREADID and SEARCH
    EMAILID/THREADID from them.
    """

    def mailbox_id(self, name: str) -> str:
        """The MAILBOXID of mailbox ``name`` (:class:`NoSuchMailbox` if none)."""
        ...


@runtime_checkable
class SaveDateAccount(Protocol):
    """SAVEDATE (RFC 8514): the store keeps each message's save date.

    The save date is when the message was saved into the mailbox it is in:
    APPEND, COPY, MOVE and REPLACE give the new message the current time
    (never the source's, nor the internal date APPEND was given); it never
    changes while the message stays (RFC 8514 3).  The store reads the time
    itself (an adapter's clock, the database's) and puts it in
    :attr:`MessageInfo.save_date` of the mailboxes for which
    :meth:`save_date_supported` is True.
    """

    def save_date_supported(self, name: str) -> bool:
        """Whether mailbox ``name`` keeps save dates (RFC 8514 4.3
        SAVEDATESUPPORTED); :class:`NoSuchMailbox` if there is none."""
        ...


@runtime_checkable
class ReplaceMailbox(Protocol):
    """REPLACE (RFC 8508) done by the store in one step.

    The server answers REPLACE for every store (an APPEND, then the old
    message flagged and expunged, undone if the second step fails); a store
    that implements this does both as one change, so that no other session
    ever sees both messages or neither, and only the net quota counts
    (RFC 8508 3.4).
    """

    def replace(
        self,
        uid: int,
        destination: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        """Append the message to ``destination`` (as :meth:`Account.append`:
        a new UID, new EMAILID, flags exactly ``flags``, nothing taken from
        the old message) and expunge ``uid`` from this mailbox whatever its
        flags, atomically.  :class:`NoSuchMailbox` for a missing
        ``destination``; ``ImapNo`` (and nothing changed) if ``uid`` is no
        longer here."""
        ...


@runtime_checkable
class MetadataAccount(Protocol):
    """METADATA (RFC 5464): annotations on the server and on mailboxes.

    ``mailbox`` is ``""`` for the server's annotations, else a mailbox name
    (normalised; a ``\\Noselect`` level counts, RFC 5464 4.1;
    :class:`NoSuchMailbox` for a name that is not in the hierarchy).  Entry
    names arrive checked and lower-cased (RFC 5464 3.2: case-insensitive);
    each starts with ``/private/`` or ``/shared/``.  A ``/private`` entry
    belongs to this user alone; a ``/shared`` one is seen and changed by
    every user who can see the mailbox (for the server: every user of the
    store) (RFC 5464 3.3).

    Mailbox annotations follow :meth:`Account.rename_mailboxes` and go with
    :meth:`Account.delete_mailbox` (also when it leaves a ``\\Noselect``
    level), so that a new mailbox of an old name starts with none (RFC 5464
    4.1).  The server checks names and value sizes, and computes DEPTH and
    MAXSIZE from what :meth:`get_metadata` returns.
    """

    def get_metadata(self, mailbox: str, *, user: str | None = None) -> dict[str, bytes]:
        """Every entry of ``mailbox`` this user can see: shared ones and the
        user's private ones, by name.

        ``user``: whose private entries, when not this account's user: the
        server reads a mailbox this account shares with ``user`` (RFC 5464
        3.3 with ACL, RFC 4314; the server has checked the rights).
        """
        ...

    def set_metadata(
        self,
        mailbox: str,
        entries: Mapping[str, bytes | None],
        *,
        max_entries: int,
        user: str | None = None,
    ) -> None:
        """Set each entry to its value, or remove it (None), all at once or
        none (RFC 5464 4.3); ``user`` as for :meth:`get_metadata` (the
        private entries set are that user's).

        Refuses with ``ImapNo(..., code="METADATA TOOMANY")``, changing
        nothing, when afterwards more than ``max_entries`` entries would be
        visible to this user on ``mailbox`` while the change adds entries
        (checked together with the change, against other writers).

        After a change, listeners hear a :class:`ChangeNotice` naming the
        entries whose value changed (``metadata``; ``private_to`` is
        ``user`` when given and not this account's user), so that NOTIFY
        can tell other sessions (RFC 5465 5.6, 5.7); a store shared by
        several processes sends it to them too, as for its other notices.
        """
        ...


#: The system flags a :class:`FlagIndexMailbox` is asked about.
INDEXED_FLAGS = frozenset({"\\Answered", "\\Deleted", "\\Draft", "\\Flagged", "\\Seen"})


@runtime_checkable
class FlagIndexMailbox(Protocol):
    """Searches on one flag without reading every message (no capability:
    a speed-up only).

    ``SEARCH UNSEEN``, ``DELETED``, ``FLAGGED``... would otherwise read the
    metadata of every message of the mailbox; a store that keeps an index of
    flags answers them in time that grows with the answer, not the mailbox.
    """

    def uids_by_flag(self, flag: str, present: bool) -> Collection[int] | None:
        """The UIDs of the messages that have (``present``) or lack the
        system flag ``flag`` (one of :data:`INDEXED_FLAGS`), in any order.

        None when the store has no quicker answer than reading every
        message's flags (the server then does): for instance for the flags
        most messages have (``\\Seen`` present).
        """
        ...
