"""Typed server responses (RFC 3501 7, RFC 9051 7 and the extensions).

Every response the server can send is a frozen, slotted, keyword-only value,
validated when it is constructed: a value that could not be written as valid
IMAP (a CR in a status text, a flag that is not an atom, a UID of 0) raises
``ValueError`` at once, because that is a bug in the application, not
something to discover on the wire.  :mod:`imap_sansio._encoder` turns these
values into bytes.

Decisions worth knowing:

- Status text may be empty.  It is then written as RFC 9051's
  ``resp-text = ["[" resp-text-code "]" SP] [text]`` allows: ``A1 OK`` plus a
  space (``A1 OK \\r\\n``), or ``* OK [CODE] \\r\\n`` (the space after ``]`` is
  required by the ABNF; without it the code would parse as plain text).
- The text of a response *without* a code must not start with ``[``: a reader
  would take it for a response code (RFC 9051 ``resp-text``).  Such text is
  rejected with ``ValueError``, like CR and LF; put the text after a code or
  reword it.
- Status text (and continuation text, and the text of an ``OtherCode``) is
  written as UTF-8 when the encoder is called with ``utf8=True`` (UTF8=ACCEPT
  or IMAP4rev2 enabled); otherwise each non-ASCII character is written as
  ``?`` (RFC 9051 9: "Non-ASCII text can only be returned after ENABLE
  IMAP4rev2"; RFC 3501 TEXT-CHAR is 7-bit).
- RFC 3501 requires status text (``1*TEXT-CHAR``); RFC 9051 allows it empty.
  Give text always if RFC 3501 clients matter: strict IMAP4rev1 parsers
  reject ``* OK [UIDNEXT 5] `` with nothing after the code.
"""

from __future__ import annotations

import datetime
import enum
import re
from typing import ClassVar, Literal, TypeAlias

from imap_sansio._bodystructure import BodyStructure, Envelope
from imap_sansio._commands import Section
from imap_sansio._frozen import dataclass
from imap_sansio._sequence import STAR, SequenceSet, UidSet
from imap_sansio._source import MessageSource

__all__ = [
    "ATOM_CODES",
    "AclData",
    "AppendUidCode",
    "AtomCode",
    "BadCharsetCode",
    "BinarySectionItem",
    "BinarySizeItem",
    "BodyItem",
    "BodySectionItem",
    "BodyStructureItem",
    "CapabilityCode",
    "CapabilityData",
    "ContinuationRequest",
    "CopyUidCode",
    "ESearchData",
    "EmailIdItem",
    "EnabledData",
    "EnvelopeItem",
    "ExistsData",
    "ExpungeData",
    "FetchData",
    "FetchDataItem",
    "FlagsData",
    "FlagsItem",
    "GenUrlAuthData",
    "HighestModSeqCode",
    "IdData",
    "InProgressCode",
    "InternalDateItem",
    "ListData",
    "ListRightsData",
    "LsubData",
    "MailboxIdCode",
    "MetadataData",
    "ModSeqItem",
    "ModifiedCode",
    "MyRightsData",
    "Namespace",
    "NamespaceData",
    "OtherCode",
    "PermanentFlagsCode",
    "PreviewItem",
    "QuotaData",
    "QuotaResource",
    "QuotaRootData",
    "RecentData",
    "Response",
    "ResponseCode",
    "Rfc822HeaderItem",
    "Rfc822Item",
    "Rfc822SizeItem",
    "Rfc822TextItem",
    "SaveDateItem",
    "SearchData",
    "SortData",
    "Status",
    "StatusData",
    "StatusResponse",
    "Thread",
    "ThreadData",
    "ThreadIdItem",
    "UidFetchData",
    "UidItem",
    "UidNextCode",
    "UidValidityCode",
    "UnseenCode",
    "UrlFetchData",
    "UrlFetchItem",
    "VanishedData",
]

# ---------------------------------------------------------------------------
# Grammar fragments used for validation (RFC 9051 9)

# atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
# ATOM-CHAR = <any CHAR except atom-specials>, spelled as the ASCII it allows
# (a negated class up to U+10FFFF costs milliseconds to compile).
_ATOM_RE = re.compile(r"[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+")
# tag = 1*<any ASTRING-CHAR except "+">; ASTRING-CHAR = ATOM-CHAR / "]"
_TAG_RE = re.compile(r"[!#$&',\-./0-9:;<=>?@A-Z\[\]^_`a-z|}~]+")
# flag = "\Answered" / ... / flag-keyword / flag-extension ("\" atom)
_FLAG_RE = re.compile(r"\\?[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+")
# resp-text-code's generic form: atom [SP 1*<any TEXT-CHAR except "]">]
_CODE_TEXT_RE = re.compile(r"[^\x00\r\n\]]+")
_BAD_TEXT_RE = re.compile(r"[\x00\r\n]")

_MAX_NZ = 2**32 - 1  # nz-number = digit-nz *DIGIT ; Unsigned 32-bit integer (0 < n < 4,294,967,296)
_MAX_MODSEQ = 2**63 - 1  # mod-sequence-value: 1*DIGIT, 63-bit (RFC 7162 7)


def _check_atom(value: str, what: str) -> None:
    if not isinstance(value, str) or _ATOM_RE.fullmatch(value) is None:
        raise ValueError(f"{what} must be an IMAP atom, got {value!r}")


def _check_atoms(values: tuple[str, ...], what: str) -> None:
    if not isinstance(values, tuple):
        raise ValueError(f"{what} must be a tuple, got {type(values).__name__}")
    for value in values:
        _check_atom(value, what)


def _check_text(value: str, what: str) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be str, got {type(value).__name__}")
    if _BAD_TEXT_RE.search(value) is not None:
        raise ValueError(f"{what} must not contain CR, LF or NUL: {value!r}")


def _check_number(value: int, what: str, *, low: int = 0, high: int = _MAX_NZ) -> None:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"{what} must be an integer in [{low}, {high}], got {value!r}")


def _check_flag(value: str, what: str = "flag") -> None:
    if not isinstance(value, str) or _FLAG_RE.fullmatch(value) is None:
        raise ValueError(f"{what} must be an atom or a backslash and an atom, got {value!r}")


# ---------------------------------------------------------------------------
# Status responses


class Status(enum.Enum):
    """The condition of a status response (RFC 9051 7.1)."""

    OK = "OK"
    NO = "NO"
    BAD = "BAD"
    PREAUTH = "PREAUTH"
    BYE = "BYE"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseCode:
    """Base of every response code (the bracketed part of ``resp-text``).

    Do not instantiate it directly; use a subclass.  Every subclass has a
    ``name``: the code's upper-case atom.
    """

    def __post_init__(self) -> None:
        if type(self) is ResponseCode:
            raise TypeError("ResponseCode is a base class; use a subclass")


@dataclass(frozen=True, slots=True, kw_only=True)
class AtomCode(ResponseCode):
    """A response code that carries no data: ``[TOOBIG]``, ``[READ-ONLY]``, ...

    ``name`` is stored upper-cased.  Codes that have their own class (such
    as ``CAPABILITY`` or ``UIDNEXT``) are refused here, so that every code has
    exactly one typed form.
    """

    name: str

    def __post_init__(self) -> None:
        _check_atom(self.name, "response code name")
        upper = self.name.upper()
        if upper != self.name:
            object.__setattr__(self, "name", upper)
        if upper in _DATA_CODES and upper not in _OPTIONAL_DATA_CODES:
            raise ValueError(f"[{upper}] carries data: use {_DATA_CODES[upper]}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityCode(ResponseCode):
    """``[CAPABILITY IMAP4rev1 ...]`` (RFC 9051 7.1)."""

    name: ClassVar[str] = "CAPABILITY"
    capabilities: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_atoms(self.capabilities, "capability")


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusResponse:
    """``tag OK/NO/BAD text`` or, when ``tag`` is None, ``* OK/NO/BAD/PREAUTH/BYE``.

    PREAUTH and BYE are always untagged (RFC 9051 7.1.4, 7.1.5).
    """

    status: Status
    text: str
    tag: str | None = None
    code: ResponseCode | None = None

    def __post_init__(self) -> None:
        # One of these per command: the common values are accepted by str
        # methods (an Enum with members has no subclasses, printable text
        # has no CR, LF or NUL, an ASCII alphanumeric tag is a valid tag)
        # before the regular expressions decide the rest.
        status, text, tag = self.status, self.text, self.tag
        if type(status) is not Status:
            raise ValueError(f"status must be a Status, got {status!r}")
        if type(text) is not str or not text.isprintable():
            _check_text(text, "status text")
        if self.code is None:
            if text.startswith("["):
                raise ValueError(
                    "the text of a response without a code must not start with '[' "
                    f"(it would be read as a response code): {text!r}"
                )
        elif not isinstance(self.code, ResponseCode) or type(self.code) is ResponseCode:
            raise ValueError(f"code must be a ResponseCode subclass, got {self.code!r}")
        if tag is not None:
            if (type(tag) is not str or not (tag.isalnum() and tag.isascii())) and (
                not isinstance(tag, str) or _TAG_RE.fullmatch(tag) is None
            ):
                raise ValueError(f"invalid tag {tag!r}")
            if status is _PREAUTH or status is _BYE:
                raise ValueError(f"{status.value} is always untagged")


# Plain globals for __post_init__ (once per response): an Enum class's
# attribute costs a hook call on Python 3.11.
_PREAUTH, _BYE = Status.PREAUTH, Status.BYE


@dataclass(frozen=True, slots=True, kw_only=True)
class ContinuationRequest:
    """``+ text`` or, with ``data``, ``+ <base64 of data>`` (a SASL challenge).

    Give ``text`` or ``data``, not both.  Text follows the same rules as
    status text (no CR/LF, no leading ``[``).  ``data=b""`` and ``text=""``
    are both ``+ `` on the wire.  During AUTHENTICATE the client reads the
    line as base64, so send challenges as ``data`` there and avoid text that
    is valid base64 (``+ abcd``) elsewhere.
    """

    text: str = ""
    data: bytes | None = None

    def __post_init__(self) -> None:
        _check_text(self.text, "continuation text")
        if self.data is not None:
            if not isinstance(self.data, bytes):
                raise ValueError("continuation data must be bytes")
            if self.text:
                raise ValueError("a continuation request has text or data, not both")
        if self.text.startswith("["):
            raise ValueError(f"continuation text must not start with '[': {self.text!r}")


# ---------------------------------------------------------------------------
# Untagged data


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityData:
    """``* CAPABILITY IMAP4rev1 ...`` (RFC 9051 7.2.2)."""

    capabilities: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_atoms(self.capabilities, "capability")


@dataclass(frozen=True, slots=True, kw_only=True)
class EnabledData:
    """``* ENABLED CONDSTORE ...`` (RFC 5161 3.2); the list may be empty."""

    capabilities: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_atoms(self.capabilities, "capability")


# ---------------------------------------------------------------------------
# Response codes with data


def _check_concrete_set(value: object, kinds: tuple[type, ...], what: str) -> None:
    """A set the server sends names real numbers: no ``*`` and no ``$``."""
    if not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ValueError(f"{what} must be a {names}, got {value!r}")
    assert isinstance(value, SequenceSet | UidSet)
    if value.saved or value.uses_star or any(low == STAR for low, _ in value.ranges):
        raise ValueError(f"{what} sent by a server must not use '*' or '$': {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BadCharsetCode(ResponseCode):
    """``[BADCHARSET]`` or ``[BADCHARSET (UTF-8 US-ASCII)]`` (RFC 9051 7.1).

    ``charsets`` (atoms) are the supported charsets; empty writes the bare code.
    """

    name: ClassVar[str] = "BADCHARSET"
    charsets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_atoms(self.charsets, "charset")


@dataclass(frozen=True, slots=True, kw_only=True)
class PermanentFlagsCode(ResponseCode):
    """``[PERMANENTFLAGS (\\Deleted \\Seen \\*)]`` (RFC 9051 7.1); ``\\*`` is allowed."""

    name: ClassVar[str] = "PERMANENTFLAGS"
    flags: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.flags, tuple):
            raise ValueError("flags must be a tuple")
        for flag in self.flags:
            if flag != "\\*":
                _check_flag(flag)


@dataclass(frozen=True, slots=True, kw_only=True)
class UidNextCode(ResponseCode):
    """``[UIDNEXT 4392]`` (RFC 9051 7.1)."""

    name: ClassVar[str] = "UIDNEXT"
    uid: int

    def __post_init__(self) -> None:
        _check_number(self.uid, "UIDNEXT", low=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class UidValidityCode(ResponseCode):
    """``[UIDVALIDITY 3857529045]`` (RFC 9051 7.1)."""

    name: ClassVar[str] = "UIDVALIDITY"
    uidvalidity: int

    def __post_init__(self) -> None:
        _check_number(self.uidvalidity, "UIDVALIDITY", low=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnseenCode(ResponseCode):
    """``[UNSEEN 12]``: the first unseen message's sequence number (RFC 3501 7.1)."""

    name: ClassVar[str] = "UNSEEN"
    number: int

    def __post_init__(self) -> None:
        _check_number(self.number, "UNSEEN", low=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendUidCode(ResponseCode):
    """``[APPENDUID 38505 3955]`` (RFC 4315 3; a UID set with MULTIAPPEND)."""

    name: ClassVar[str] = "APPENDUID"
    uidvalidity: int
    uids: UidSet

    def __post_init__(self) -> None:
        _check_number(self.uidvalidity, "UIDVALIDITY", low=1)
        _check_concrete_set(self.uids, (UidSet,), "APPENDUID uids")


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyUidCode(ResponseCode):
    """``[COPYUID 38505 304,319:320 3956:3958]`` (RFC 4315 3).

    ``source`` and ``destination`` are written in the order given: their
    members correspond one to one in that order.
    """

    name: ClassVar[str] = "COPYUID"
    uidvalidity: int
    source: UidSet
    destination: UidSet

    def __post_init__(self) -> None:
        _check_number(self.uidvalidity, "UIDVALIDITY", low=1)
        _check_concrete_set(self.source, (UidSet,), "COPYUID source")
        _check_concrete_set(self.destination, (UidSet,), "COPYUID destination")


@dataclass(frozen=True, slots=True, kw_only=True)
class HighestModSeqCode(ResponseCode):
    """``[HIGHESTMODSEQ 715194045007]`` (RFC 7162 3.1.2.1)."""

    name: ClassVar[str] = "HIGHESTMODSEQ"
    modseq: int

    def __post_init__(self) -> None:
        _check_number(self.modseq, "HIGHESTMODSEQ", low=1, high=_MAX_MODSEQ)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModifiedCode(ResponseCode):
    """``[MODIFIED 7,9]`` (RFC 7162 3.1.3): sequence numbers, or UIDs after UID STORE."""

    name: ClassVar[str] = "MODIFIED"
    numbers: SequenceSet | UidSet

    def __post_init__(self) -> None:
        _check_concrete_set(self.numbers, (SequenceSet, UidSet), "MODIFIED set")


_OBJECTID_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")


def _check_objectid(value: str, what: str) -> None:
    # objectid = 1*255(ALPHA / DIGIT / "_" / "-") (RFC 8474 7)
    if not isinstance(value, str) or _OBJECTID_RE.fullmatch(value) is None:
        raise ValueError(f"{what} must be 1 to 255 of A-Z a-z 0-9 _ -, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class MailboxIdCode(ResponseCode):
    """``[MAILBOXID (F2212ea87-6097-4256-9d51-71338625)]`` (RFC 8474 4.1)."""

    name: ClassVar[str] = "MAILBOXID"
    mailbox_id: str

    def __post_init__(self) -> None:
        _check_objectid(self.mailbox_id, "MAILBOXID")


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherCode(ResponseCode):
    """Any other code with data: ``atom SP 1*<any TEXT-CHAR except "]">`` (RFC 9051 7.1).

    For example ``OtherCode(name="METADATA", text="LONGENTRIES 2000")``.  Codes
    with a class of their own are refused; codes without data are
    :class:`AtomCode`.
    """

    name: str
    text: str

    def __post_init__(self) -> None:
        _check_atom(self.name, "response code name")
        upper = self.name.upper()
        if upper != self.name:
            object.__setattr__(self, "name", upper)
        if upper in _DATA_CODES:
            raise ValueError(f"[{upper}] has its own class: use {_DATA_CODES[upper]}")
        if not isinstance(self.text, str) or _CODE_TEXT_RE.fullmatch(self.text) is None:
            raise ValueError(
                f"code text must be non-empty, without CR, LF, NUL or ']': {self.text!r}"
            )
        if self.text.isspace() or self.text.startswith(" "):
            raise ValueError("code text must not start with a space")


@dataclass(frozen=True, slots=True, kw_only=True)
class InProgressCode(ResponseCode):
    """``[INPROGRESS ("A001" 100 500)]`` (RFC 9585 3): progress of the command
    tagged ``tag``, ``done`` of ``total`` units.

    Each of the three may be unknown (None, written NIL); with all three
    unknown the code is written bare, ``[INPROGRESS]``.  ``total`` is at
    least 1 and ``done`` at most ``total`` when both are known.
    """

    name: ClassVar[str] = "INPROGRESS"
    tag: str | None = None
    done: int | None = None
    total: int | None = None

    def __post_init__(self) -> None:
        if self.tag is not None and (
            not isinstance(self.tag, str) or _TAG_RE.fullmatch(self.tag) is None
        ):
            raise ValueError(f"INPROGRESS tag must be a command tag, got {self.tag!r}")
        if self.done is not None:
            _check_number(self.done, "INPROGRESS progress")
        if self.total is not None:
            _check_number(self.total, "INPROGRESS goal", low=1)
            if self.done is not None and self.done > self.total:
                raise ValueError("INPROGRESS progress beyond its goal")


# Codes that have their own class: AtomCode and OtherCode refuse these names.
_DATA_CODES: dict[str, str] = {
    "CAPABILITY": "CapabilityCode",
    "BADCHARSET": "BadCharsetCode",
    "PERMANENTFLAGS": "PermanentFlagsCode",
    "UIDNEXT": "UidNextCode",
    "UIDVALIDITY": "UidValidityCode",
    "UNSEEN": "UnseenCode",
    "APPENDUID": "AppendUidCode",
    "COPYUID": "CopyUidCode",
    "HIGHESTMODSEQ": "HighestModSeqCode",
    "MODIFIED": "ModifiedCode",
    "MAILBOXID": "MailboxIdCode",
    "INPROGRESS": "InProgressCode",
}
# Codes whose data is optional: none (BADCHARSET without charsets is BadCharsetCode()).
_OPTIONAL_DATA_CODES: frozenset[str] = frozenset()

#: Response codes without data defined by RFC 3501, 9051, 5530 and the extensions;
#: write them as ``AtomCode(name=...)``.  (Any other atom is allowed too.)
ATOM_CODES: tuple[str, ...] = (
    "ALERT", "PARSE", "READ-ONLY", "READ-WRITE", "TRYCREATE", "UIDNOTSTICKY",
    "NOMODSEQ", "CLOSED", "UNAVAILABLE", "AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED",
    "EXPIRED", "PRIVACYREQUIRED", "CONTACTADMIN", "NOPERM", "INUSE", "EXPUNGEISSUED",
    "CORRUPTION", "SERVERBUG", "CLIENTBUG", "CANNOT", "LIMIT", "OVERQUOTA",
    "ALREADYEXISTS", "NONEXISTENT", "NOTSAVED", "HASCHILDREN", "UNKNOWN-CTE",
    "TOOBIG", "USEATTR", "COMPRESSIONACTIVE", "NOTIFICATIONOVERFLOW", "BADEVENT",
    "NOUPDATE", "URLMECH", "UIDREQUIRED",
)  # fmt: skip


# ---------------------------------------------------------------------------
# Mailbox data (RFC 9051 7.3)


def _check_mailbox(value: str, what: str = "mailbox name") -> None:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be str, got {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"{what} must not contain NUL: {value!r}")


def _check_delimiter(value: str | None) -> None:
    # QUOTED-CHAR / nil: one printable ASCII character (RFC 3501 9)
    if value is not None and (
        not isinstance(value, str) or len(value) != 1 or not " " <= value <= "~"
    ):
        raise ValueError(f"a hierarchy delimiter is one printable ASCII character, not {value!r}")


def _check_mailbox_attributes(values: tuple[str, ...]) -> None:
    if not isinstance(values, tuple):
        raise ValueError("mailbox attributes must be a tuple")
    for value in values:
        # mbx-list-flags are all "\" atom (RFC 9051 9: flag-extension)
        if not value.startswith("\\"):
            raise ValueError(f"a mailbox attribute starts with a backslash: {value!r}")
        _check_atom(value[1:], "mailbox attribute")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListData:
    """``* LIST (\\HasNoChildren) "/" INBOX`` (RFC 9051 7.3.1, RFC 5258).

    ``childinfo`` writes the LIST-EXTENDED ``("CHILDINFO" ("SUBSCRIBED"))``
    item and ``old_name`` the ``("OLDNAME" ("old"))`` item (RFC 9051 6.3.9);
    with neither, no extended data is written.
    """

    attributes: tuple[str, ...]
    delimiter: str | None
    mailbox: str
    childinfo: tuple[str, ...] | None = None
    old_name: str | None = None

    def __post_init__(self) -> None:
        _check_mailbox_attributes(self.attributes)
        _check_delimiter(self.delimiter)
        _check_mailbox(self.mailbox)
        if self.childinfo is not None:
            _check_atoms(self.childinfo, "CHILDINFO item")
            if not self.childinfo:
                raise ValueError("CHILDINFO needs at least one item")
        if self.old_name is not None:
            _check_mailbox(self.old_name, "OLDNAME")


@dataclass(frozen=True, slots=True, kw_only=True)
class LsubData:
    """``* LSUB () "." #news.comp.mail.misc`` (RFC 3501 7.2.3)."""

    attributes: tuple[str, ...]
    delimiter: str | None
    mailbox: str

    def __post_init__(self) -> None:
        _check_mailbox_attributes(self.attributes)
        _check_delimiter(self.delimiter)
        _check_mailbox(self.mailbox)


@dataclass(frozen=True, slots=True, kw_only=True)
class Namespace:
    """One namespace: a prefix, its delimiter and extension data (RFC 2342 5).

    ``extensions`` are ``(name, (value, ...))`` pairs, written
    ``"name" ("value" ...)``.
    """

    prefix: str
    delimiter: str | None
    extensions: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        _check_mailbox(self.prefix, "namespace prefix")
        _check_delimiter(self.delimiter)
        for name, values in self.extensions:
            _check_text(name, "namespace extension name")
            if not values:
                raise ValueError("a namespace extension needs at least one value")
            for value in values:
                _check_text(value, "namespace extension value")


@dataclass(frozen=True, slots=True, kw_only=True)
class NamespaceData:
    """``* NAMESPACE (("" "/")) NIL NIL`` (RFC 9051 7.3.2); None is NIL."""

    personal: tuple[Namespace, ...] | None
    other: tuple[Namespace, ...] | None
    shared: tuple[Namespace, ...] | None

    def __post_init__(self) -> None:
        for group in (self.personal, self.other, self.shared):
            if group is not None and not group:
                raise ValueError("an empty namespace group is written as None (NIL)")


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusData:
    """``* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)`` (RFC 9051 7.3.3).

    Items that are None are left out; the others are written in ``order``
    (item names, e.g. the order the client asked for them) or, without it,
    in this order: MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED
    DELETED-STORAGE (RFC 9208) SIZE HIGHESTMODSEQ APPENDLIMIT MAILBOXID.
    ``appendlimit`` may be ``NO_LIMIT`` to write ``APPENDLIMIT NIL`` (RFC 7889 3).
    """

    mailbox: str
    messages: int | None = None
    recent: int | None = None
    uidnext: int | None = None
    uidvalidity: int | None = None
    unseen: int | None = None
    deleted: int | None = None
    deleted_storage: int | None = None
    size: int | None = None
    highestmodseq: int | None = None
    appendlimit: int | None = None
    mailbox_id: str | None = None
    order: tuple[str, ...] | None = None

    NO_LIMIT: ClassVar[int] = -1

    def __post_init__(self) -> None:
        _check_mailbox(self.mailbox)
        for what, value, low, high in (
            ("MESSAGES", self.messages, 0, _MAX_NZ),
            ("RECENT", self.recent, 0, _MAX_NZ),
            ("UIDNEXT", self.uidnext, 1, _MAX_NZ),
            ("UIDVALIDITY", self.uidvalidity, 1, _MAX_NZ),
            ("UNSEEN", self.unseen, 0, _MAX_NZ),
            ("DELETED", self.deleted, 0, _MAX_NZ),
            ("DELETED-STORAGE", self.deleted_storage, 0, _MAX_MODSEQ),
            ("SIZE", self.size, 0, _MAX_MODSEQ),
            # RFC 7162 3.1.2.1: 0 when the mailbox does not support mod-sequences
            ("HIGHESTMODSEQ", self.highestmodseq, 0, _MAX_MODSEQ),
            ("APPENDLIMIT", self.appendlimit, -1, _MAX_MODSEQ),
        ):
            if value is not None:
                _check_number(value, what, low=low, high=high)
        if self.mailbox_id is not None:
            _check_objectid(self.mailbox_id, "MAILBOXID")
        if self.order is not None:
            present = {name for name, value in self.items() if value is not None}
            if set(self.order) != present or len(self.order) != len(present):
                raise ValueError(f"STATUS order {self.order} must name each item given once")

    def items(self) -> tuple[tuple[str, int | str | None], ...]:
        """``(name, value)`` for every item, present or not, in the default order."""
        return (
            ("MESSAGES", self.messages),
            ("RECENT", self.recent),
            ("UIDNEXT", self.uidnext),
            ("UIDVALIDITY", self.uidvalidity),
            ("UNSEEN", self.unseen),
            ("DELETED", self.deleted),
            ("DELETED-STORAGE", self.deleted_storage),
            ("SIZE", self.size),
            ("HIGHESTMODSEQ", self.highestmodseq),
            ("APPENDLIMIT", self.appendlimit),
            ("MAILBOXID", self.mailbox_id),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchData:
    """``* SEARCH 2 84 882`` with an optional ``(MODSEQ n)`` (RFC 7162 3.1.5)."""

    numbers: tuple[int, ...]
    modseq: int | None = None

    def __post_init__(self) -> None:
        _check_numbers(self.numbers, "SEARCH result")
        if self.modseq is not None:
            _check_number(self.modseq, "MODSEQ", low=1, high=_MAX_MODSEQ)
            if not self.numbers:
                raise ValueError("MODSEQ in a SEARCH result needs at least one number")


@dataclass(frozen=True, slots=True, kw_only=True)
class SortData:
    """``* SORT 2 3 6`` with an optional ``(MODSEQ n)`` (RFC 5256 4, RFC 7162 3.1.5)."""

    numbers: tuple[int, ...]
    modseq: int | None = None

    def __post_init__(self) -> None:
        _check_numbers(self.numbers, "SORT result")
        if self.modseq is not None:
            _check_number(self.modseq, "MODSEQ", low=1, high=_MAX_MODSEQ)
            if not self.numbers:
                raise ValueError("MODSEQ in a SORT result needs at least one number")


def _check_numbers(values: tuple[int, ...], what: str) -> None:
    if not isinstance(values, tuple):
        raise ValueError(f"{what} must be a tuple")
    # A long answer (a SORT of 20,000 messages is checked in one step of the
    # command) in C first; one by one when short, or to name a wrong value.
    if len(values) < 16 or (
        set(map(type, values)) != {int} or min(values) < 1 or max(values) > _MAX_NZ
    ):
        for value in values:
            _check_number(value, what, low=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ESearchData:
    """``* ESEARCH (TAG "A282") UID MIN 2 COUNT 3`` (RFC 4731, RFC 9051 7.3.4).

    Returned items that are None are left out; the others are written in the
    order MIN MAX COUNT ALL MODSEQ (the order of the RFC 4731 and 9051
    examples).  ``all`` holds UIDs when ``uid`` is set.
    """

    tag: str | None = None
    #: The MAILBOX and UIDVALIDITY correlators of a multi-mailbox ESEARCH
    #: (RFC 7377 2.1, 4): given together, written after TAG.
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: bool = False
    min: int | None = None
    max: int | None = None
    all: SequenceSet | UidSet | None = None
    count: int | None = None
    modseq: int | None = None
    #: ``PARTIAL (2:4 2,4:5)`` (RFC 5267 4.4, RFC 9394 3.1): the range the
    #: client asked for (negative numbers for ``-a:-b``) and the messages in
    #: it, None for ``NIL``; written after ALL.  Left out when the range is None.
    partial_range: tuple[int, int] | None = None
    partial: SequenceSet | UidSet | None = None
    #: ``REMOVEFROM (0 3:5)`` and ``ADDTO (1 7 4 9:10)`` (RFC 5267 4.3.3,
    #: 4.3.4): pairs of a context position (0 allowed for a SEARCH context)
    #: and the messages, each pair applied in turn; written after PARTIAL,
    #: REMOVEFROM before ADDTO.  Empty: left out.
    removefrom: tuple[tuple[int, SequenceSet | UidSet], ...] = ()
    addto: tuple[tuple[int, SequenceSet | UidSet], ...] = ()

    def __post_init__(self) -> None:
        if self.tag is not None and (
            not isinstance(self.tag, str) or _TAG_RE.fullmatch(self.tag) is None
        ):
            raise ValueError(f"invalid tag {self.tag!r}")
        if (self.mailbox is None) != (self.uidvalidity is None):
            raise ValueError("MAILBOX and UIDVALIDITY correlators go together")
        if self.mailbox is not None:
            _check_mailbox(self.mailbox)
        if self.uidvalidity is not None:
            _check_number(self.uidvalidity, "UIDVALIDITY", low=1)
        if self.min is not None:
            _check_number(self.min, "MIN", low=1)
        if self.max is not None:
            _check_number(self.max, "MAX", low=1)
        if self.all is not None:
            _check_concrete_set(self.all, (UidSet,) if self.uid else (SequenceSet,), "ALL")
        if self.count is not None:
            _check_number(self.count, "COUNT")
        if self.modseq is not None:
            _check_number(self.modseq, "MODSEQ", low=1, high=_MAX_MODSEQ)
        if self.partial_range is not None:
            low, high = self.partial_range
            for value in (low, high):
                _check_number(abs(value), "PARTIAL range", low=1)
            if (low < 0) != (high < 0):
                raise ValueError(f"PARTIAL range mixes signs: {self.partial_range}")
        elif self.partial is not None:
            raise ValueError("PARTIAL results need a PARTIAL range")
        if self.partial is not None:
            kinds = (UidSet,) if self.uid else (SequenceSet,)
            _check_concrete_set(self.partial, kinds, "PARTIAL")
        for what, pairs in (("REMOVEFROM", self.removefrom), ("ADDTO", self.addto)):
            for position, messages in pairs:
                _check_number(position, f"{what} context position")
                kinds = (UidSet,) if self.uid else (SequenceSet,)
                _check_concrete_set(messages, kinds, what)


@dataclass(frozen=True, slots=True, kw_only=True)
class Thread:
    """One ``thread-list`` of a THREAD response (RFC 5256 4).

    ``members`` is a chain of messages, each the parent of the next; the
    last has ``children``: no child threads, or at least two (one child
    would just continue the chain).  A thread whose root is missing has no
    members and at least two children: ``((3)(5))``.
    """

    members: tuple[int, ...]
    children: tuple[Thread, ...] = ()

    def __post_init__(self) -> None:
        _check_numbers(self.members, "thread member")
        if len(self.children) == 1:
            raise ValueError("a thread has no child threads or at least two")
        if not self.members and not self.children:
            raise ValueError("an empty thread")


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadData:
    """``* THREAD (2)(3 6 (4 23)(44 7 96))`` (RFC 5256 4)."""

    threads: tuple[Thread, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagsData:
    """``* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)`` (RFC 9051 7.3.5)."""

    flags: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_flags(self.flags)


#: Flag lists already found valid: a mailbox has few distinct ones, and a
#: FETCH FLAGS response per message would otherwise check each flag again.
_VALID_FLAG_LISTS: set[tuple[str, ...]] = set()


def _check_flags(values: tuple[str, ...]) -> None:
    if not isinstance(values, tuple):
        raise ValueError("flags must be a tuple")
    for value in values:
        _check_flag(value)
    if len(_VALID_FLAG_LISTS) >= 4096:
        _VALID_FLAG_LISTS.clear()  # bounded whatever the peers' keywords
    _VALID_FLAG_LISTS.add(values)


# ---------------------------------------------------------------------------
# Mailbox size and message status (RFC 9051 7.4, 7.5)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExistsData:
    """``* 23 EXISTS`` (RFC 9051 7.4.1)."""

    count: int

    def __post_init__(self) -> None:
        _check_number(self.count, "EXISTS")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecentData:
    """``* 5 RECENT`` (RFC 3501 7.3.2)."""

    count: int

    def __post_init__(self) -> None:
        _check_number(self.count, "RECENT")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpungeData:
    """``* 44 EXPUNGE`` (RFC 9051 7.5.1)."""

    number: int

    def __post_init__(self) -> None:
        _check_number(self.number, "EXPUNGE", low=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class VanishedData:
    """``* VANISHED (EARLIER) 300:310,405`` (RFC 7162 3.2.10)."""

    uids: UidSet
    earlier: bool = False

    def __post_init__(self) -> None:
        _check_concrete_set(self.uids, (UidSet,), "VANISHED uids")


# ---------------------------------------------------------------------------
# FETCH (RFC 9051 7.5.2 and extensions)


def _check_datetime(value: datetime.datetime, what: str) -> None:
    if not isinstance(value, datetime.datetime):
        raise ValueError(f"{what} must be a datetime, got {value!r}")
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{what} must be timezone-aware: {value!r}")
    if offset.total_seconds() % 60 or abs(offset) >= datetime.timedelta(hours=100):
        raise ValueError(f"{what} needs a zone offset in whole minutes: {value!r}")
    if not 1 <= value.year <= 9999:
        raise ValueError(f"{what} year out of range")


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchDataItem:
    """Base of the items of a FETCH response."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FlagsItem(FetchDataItem):
    """``FLAGS (\\Seen)``; ``\\Recent`` allowed."""

    flags: tuple[str, ...]

    def __post_init__(self) -> None:
        # Only a tuple of str can be equal to a tuple in the set (a str
        # subclass with its own __eq__ is not a flag anyone sends).
        flags = self.flags
        if type(flags) is not tuple or flags not in _VALID_FLAG_LISTS:
            _check_flags(flags)


@dataclass(frozen=True, slots=True, kw_only=True)
class UidItem(FetchDataItem):
    """``UID 4827313``."""

    uid: int

    def __post_init__(self) -> None:
        uid = self.uid
        if type(uid) is not int or not 1 <= uid <= _MAX_NZ:  # _check_number, inlined
            _check_number(uid, "UID", low=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class InternalDateItem(FetchDataItem):
    """``INTERNALDATE "17-Jul-1996 02:44:25 -0700"`` (a timezone-aware datetime)."""

    date: datetime.datetime

    def __post_init__(self) -> None:
        _check_datetime(self.date, "INTERNALDATE")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rfc822SizeItem(FetchDataItem):
    """``RFC822.SIZE 4286``."""

    size: int

    def __post_init__(self) -> None:
        _check_number(self.size, "RFC822.SIZE", high=_MAX_MODSEQ)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeItem(FetchDataItem):
    """``ENVELOPE (...)`` from an :class:`~imap_sansio._bodystructure.Envelope`."""

    envelope: Envelope


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyItem(FetchDataItem):
    """``BODY (...)``: the body structure without extension data."""

    structure: BodyStructure


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyStructureItem(FetchDataItem):
    """``BODYSTRUCTURE (...)``: the body structure with extension data."""

    structure: BodyStructure


#: Sections found valid lately, by id (the section kept with it, so that
#: its id is not reused meanwhile): a FETCH answers with the same one for
#: every message.  Emptied when full (a client may name many).
_VALID_SECTIONS: dict[int, Section] = {}


def _check_section(section: Section) -> None:
    if not isinstance(section, Section):
        raise ValueError(f"section must be a Section, got {section!r}")
    if _VALID_SECTIONS.get(id(section)) is section:
        return
    for part in section.part:
        _check_number(part, "section part", low=1)
    text = section.text
    if text not in (None, "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"):
        raise ValueError(f"unknown section text {text!r}")
    if text == "MIME" and not section.part:
        raise ValueError("MIME needs a part number")
    if text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        if not section.fields:
            raise ValueError(f"{text} needs at least one field name")
        for field in section.fields:
            # header-fld-name = astring; field names are printable ASCII without ":"
            if not field or not field.isascii() or _BAD_TEXT_RE.search(field):
                raise ValueError(f"invalid header field name {field!r}")
    elif section.fields:
        raise ValueError("only HEADER.FIELDS [.NOT] have field names")
    if len(_VALID_SECTIONS) >= 64:
        _VALID_SECTIONS.clear()
    _VALID_SECTIONS[id(section)] = section


#: Message data in a FETCH response: bytes, a view of them, or a source
#: read a piece at a time (see :mod:`imap_sansio._source`).
MessageData: TypeAlias = bytes | memoryview | MessageSource


def _check_body_data(value: MessageData | None, what: str) -> None:
    if value is None or isinstance(value, bytes | memoryview):
        return
    if not (hasattr(value, "read") and hasattr(value, "size")):
        raise ValueError(f"{what} must be bytes, memoryview, a MessageSource or None")


@dataclass(frozen=True, slots=True, kw_only=True)
class BodySectionItem(FetchDataItem):
    """``BODY[section]<origin> data`` (RFC 9051 7.5.2).

    ``data`` may be a ``memoryview`` of the stored message, which is written
    without copying, or a :class:`~imap_sansio.MessageSource`, which is read
    a piece at a time as the output is taken; None is NIL.  ``origin`` is
    the start of a partial fetch.
    """

    section: Section
    data: MessageData | None
    origin: int | None = None

    def __post_init__(self) -> None:
        _check_section(self.section)
        _check_body_data(self.data, "BODY[] data")
        if self.origin is not None:
            # The request's partial is number64 (RFC 9051 9, appendix E 1);
            # its echo here follows it, though 9051's msg-att-static says number.
            _check_number(self.origin, "origin", high=_MAX_MODSEQ)


@dataclass(frozen=True, slots=True, kw_only=True)
class BinarySectionItem(FetchDataItem):
    """``BINARY[part]<origin> data`` (RFC 3516 4.2); data with NUL is a ``~{n}`` literal8.

    ``origin`` follows RFC 9051 7.5.2's prose (``BINARY[<section-binary>]<<number>>``);
    the ABNF of RFC 3516 and 9051 has no origin, so strict IMAP4rev1 parsers
    may refuse it.
    """

    part: tuple[int, ...]
    data: MessageData | None
    origin: int | None = None

    def __post_init__(self) -> None:
        for part in self.part:
            _check_number(part, "section part", low=1)
        _check_body_data(self.data, "BINARY[] data")
        if self.origin is not None:
            _check_number(self.origin, "origin", high=_MAX_MODSEQ)  # as BODY[]'s


@dataclass(frozen=True, slots=True, kw_only=True)
class BinarySizeItem(FetchDataItem):
    """``BINARY.SIZE[part] size`` (RFC 3516 4.2)."""

    part: tuple[int, ...]
    size: int

    def __post_init__(self) -> None:
        for part in self.part:
            _check_number(part, "section part", low=1)
        _check_number(self.size, "BINARY.SIZE")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModSeqItem(FetchDataItem):
    """``MODSEQ (12121231000)`` (RFC 7162 3.1.4.1)."""

    modseq: int

    def __post_init__(self) -> None:
        _check_number(self.modseq, "MODSEQ", low=1, high=_MAX_MODSEQ)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rfc822Item(FetchDataItem):
    """``RFC822 data`` (RFC 3501 7.4.2)."""

    data: MessageData | None

    def __post_init__(self) -> None:
        _check_body_data(self.data, "RFC822 data")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rfc822HeaderItem(FetchDataItem):
    """``RFC822.HEADER data`` (RFC 3501 7.4.2)."""

    data: MessageData | None

    def __post_init__(self) -> None:
        _check_body_data(self.data, "RFC822.HEADER data")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rfc822TextItem(FetchDataItem):
    """``RFC822.TEXT data`` (RFC 3501 7.4.2)."""

    data: MessageData | None

    def __post_init__(self) -> None:
        _check_body_data(self.data, "RFC822.TEXT data")


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailIdItem(FetchDataItem):
    """``EMAILID (M6d99ac3275bb4e)`` (RFC 8474 5.1)."""

    email_id: str

    def __post_init__(self) -> None:
        _check_objectid(self.email_id, "EMAILID")


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadIdItem(FetchDataItem):
    """``THREADID (T64b478a75b7ea9)`` or ``THREADID NIL`` (RFC 8474 5.2)."""

    thread_id: str | None

    def __post_init__(self) -> None:
        if self.thread_id is not None:
            _check_objectid(self.thread_id, "THREADID")


@dataclass(frozen=True, slots=True, kw_only=True)
class SaveDateItem(FetchDataItem):
    """``SAVEDATE "..."`` or ``SAVEDATE NIL`` (RFC 8514 4.3)."""

    date: datetime.datetime | None

    def __post_init__(self) -> None:
        if self.date is not None:
            _check_datetime(self.date, "SAVEDATE")


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewItem(FetchDataItem):
    """``PREVIEW "text"`` or ``PREVIEW NIL`` (RFC 8970 3.2); the text is UTF-8."""

    text: str | None

    def __post_init__(self) -> None:
        if self.text is not None and not isinstance(self.text, str):
            raise ValueError("PREVIEW text must be str or None")


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchData:
    """``* 12 FETCH (FLAGS (\\Seen) UID 4827313)``: items written in the order given."""

    number: int
    items: tuple[FetchDataItem, ...]

    def __post_init__(self) -> None:
        number = self.number
        if type(number) is not int or not 1 <= number <= _MAX_NZ:  # _check_number, inlined
            _check_number(number, "FETCH sequence number", low=1)
        if not self.items:
            raise ValueError("a FETCH response needs at least one item")
        for item in self.items:
            if not isinstance(item, FetchDataItem) or type(item) is FetchDataItem:
                raise ValueError(f"not a fetch item: {item!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class UidFetchData:
    """``* 25996 UIDFETCH (FLAGS (\\Seen))`` (RFC 9586 3.3): a FETCH response
    numbered by UID, which replaces FETCH after ``ENABLE UIDONLY``."""

    uid: int
    items: tuple[FetchDataItem, ...]

    def __post_init__(self) -> None:
        _check_number(self.uid, "UIDFETCH UID", low=1)
        if not self.items:
            raise ValueError("a UIDFETCH response needs at least one item")
        for item in self.items:
            if not isinstance(item, FetchDataItem) or type(item) is FetchDataItem:
                raise ValueError(f"not a fetch item: {item!r}")


# ---------------------------------------------------------------------------
# ID, QUOTA


@dataclass(frozen=True, slots=True, kw_only=True)
class IdData:
    """``* ID ("name" "Cyrus" "version" "1.5")`` or ``* ID NIL`` (RFC 2971 3.2)."""

    params: tuple[tuple[str, str | None], ...] | None

    def __post_init__(self) -> None:
        if self.params is not None:
            if not self.params:
                raise ValueError("an empty ID parameter list is written as None (NIL)")
            for key, value in self.params:
                _check_mailbox(key, "ID field name")
                if value is not None:
                    _check_mailbox(value, "ID field value")


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaResource:
    """``STORAGE 10 512``: a resource name (atom), its usage and limit (RFC 9208 5.1)."""

    name: str
    usage: int
    limit: int

    def __post_init__(self) -> None:
        _check_atom(self.name, "quota resource name")
        _check_number(self.usage, "quota usage", high=_MAX_MODSEQ)
        _check_number(self.limit, "quota limit", high=_MAX_MODSEQ)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaData:
    """``* QUOTA "" (STORAGE 10 512)`` (RFC 9208 5.1)."""

    root: str
    resources: tuple[QuotaResource, ...]

    def __post_init__(self) -> None:
        _check_mailbox(self.root, "quota root")
        if not self.resources:
            raise ValueError("a QUOTA response needs at least one resource")


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaRootData:
    """``* QUOTAROOT INBOX ""`` (RFC 9208 5.2)."""

    mailbox: str
    roots: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_mailbox(self.mailbox)
        for root in self.roots:
            _check_mailbox(root, "quota root")


# rights = astring; "only lowercase ASCII letters and digits are allowed" (RFC 4314 7)
_RIGHTS_RE = re.compile(r"[a-z0-9]*")


def _check_rights(value: str, what: str = "rights") -> None:
    if not isinstance(value, str) or _RIGHTS_RE.fullmatch(value) is None:
        raise ValueError(f"{what} are lower-case ASCII letters and digits, got {value!r}")


def _check_identifier(value: str) -> None:
    # identifier = astring, a UTF-8 string (RFC 4314 2, 7)
    if not isinstance(value, str) or not value or "\x00" in value:
        raise ValueError(f"an ACL identifier is a non-empty string without NUL, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class AclData:
    """``* ACL INBOX/Drafts Fred lrswikxtecda`` (RFC 4314 3.6): the mailbox and
    its identifier/rights pairs, in order."""

    mailbox: str
    entries: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        _check_mailbox(self.mailbox)
        if not isinstance(self.entries, tuple):
            raise ValueError("ACL entries must be a tuple of (identifier, rights)")
        for identifier, rights in self.entries:
            _check_identifier(identifier)
            _check_rights(rights)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListRightsData:
    """``* LISTRIGHTS archive anyone "" l r s w i p k x t e c d a`` (RFC 4314 3.7):
    the rights always granted, then each set of rights that can be granted
    (rights in one string are tied together)."""

    mailbox: str
    identifier: str
    required: str
    optional: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_mailbox(self.mailbox)
        _check_identifier(self.identifier)
        _check_rights(self.required, "required rights")
        if not isinstance(self.optional, tuple):
            raise ValueError("optional rights must be a tuple")
        for rights in self.optional:
            _check_rights(rights, "optional rights")


@dataclass(frozen=True, slots=True, kw_only=True)
class MyRightsData:
    """``* MYRIGHTS INBOX lrswipkxtecda`` (RFC 4314 3.8; also after LIST
    RETURN (MYRIGHTS), RFC 8440 3)."""

    mailbox: str
    rights: str

    def __post_init__(self) -> None:
        _check_mailbox(self.mailbox)
        _check_rights(self.rights)


@dataclass(frozen=True, slots=True, kw_only=True)
class GenUrlAuthData:
    """``* GENURLAUTH "imap://...:internal:<token>"`` (RFC 4467 7): the
    authorized URLs, one per URL of the command, in its order."""

    urls: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError("GENURLAUTH data carries at least one URL")
        for url in self.urls:
            if not url.isascii() or not url.isprintable():
                raise ValueError(f"a URL is printable ASCII: {url!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlFetchItem:
    """One item of the RFC 5524 form of URLFETCH data: ``(BODYPARTSTRUCTURE
    ...)`` with ``structure``, or ``(BODY nstring)`` / ``(BINARY nstring8)``
    with ``data`` (None: NIL, e.g. BINARY of an unknown encoding)."""

    name: Literal["BODYPARTSTRUCTURE", "BODY", "BINARY"]
    data: MessageData | None = None
    structure: BodyStructure | None = None

    def __post_init__(self) -> None:
        if (self.name == "BODYPARTSTRUCTURE") != (self.structure is not None):
            raise ValueError("BODYPARTSTRUCTURE (only) carries a structure")
        if self.name == "BODYPARTSTRUCTURE" and self.data is not None:
            raise ValueError("BODYPARTSTRUCTURE carries no data")
        _check_body_data(self.data, f"{self.name} data")


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlFetchData:
    """``* URLFETCH url nstring`` (RFC 4467 7), one per URL: ``data`` None is
    NIL (a URL that does not resolve).  With ``items`` (RFC 5524 4: the
    client asked with parameters) the items follow the URL instead of the
    nstring."""

    url: str
    data: MessageData | None = None
    items: tuple[UrlFetchItem, ...] | None = None

    def __post_init__(self) -> None:
        if not self.url.isascii() or not self.url.isprintable():
            raise ValueError(f"a URL is printable ASCII: {self.url!r}")
        _check_body_data(self.data, "URLFETCH data")
        if self.items is not None and self.data is not None:
            raise ValueError("URLFETCH data is an nstring or items, not both")


_ENTRY_BAD = re.compile(r"[^\x20-\x7e]|[*%]|//|/$")


def metadata_entry_error(name: object) -> str | None:
    """Why ``name`` is not a METADATA entry name (RFC 5464 3.2, 6), or None.

    An entry starts with ``/private/`` or ``/shared/`` (any case), has no
    ``//``, no trailing ``/``, no ``*`` or ``%``, and only ASCII characters
    from 0x20 on (RFC 5464 3.2 forbids 0x00-0x19; DEL is left out too).
    """
    if not isinstance(name, str):
        return "an entry name is a str"
    if _ENTRY_BAD.search(name) is not None:
        return f"invalid entry name {name!r}"
    prefix = name[: name.find("/", 1) + 1].lower()
    if prefix not in ("/private/", "/shared/") or len(name) == len(prefix):
        return f"entry name {name!r} is not under /private or /shared"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataData:
    """``* METADATA "INBOX" (/private/comment "My comment")`` (RFC 5464 4.4.1).

    ``entries`` are (name, value) pairs, a value None being ``NIL``; or, for
    the unsolicited form that only names changed entries (4.4.2,
    ``* METADATA "" /shared/comment``), ``names``.  Exactly one of the two
    is given.  ``mailbox`` "" means the server.
    """

    mailbox: str
    entries: tuple[tuple[str, bytes | None], ...] = ()
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_mailbox(self.mailbox)
        if bool(self.entries) == bool(self.names):
            raise ValueError("a METADATA response has either entries with values or names")
        for entry in (*(name for name, _ in self.entries), *self.names):
            error = metadata_entry_error(entry)
            if error is not None:
                raise ValueError(error)
        for _, value in self.entries:
            if value is not None and not isinstance(value, bytes):
                raise ValueError("METADATA values are bytes or None")


Response: TypeAlias = (
    StatusResponse
    | ContinuationRequest
    | CapabilityData
    | EnabledData
    | ListData
    | LsubData
    | NamespaceData
    | StatusData
    | SearchData
    | ESearchData
    | SortData
    | ThreadData
    | FlagsData
    | ExistsData
    | RecentData
    | ExpungeData
    | VanishedData
    | FetchData
    | UidFetchData
    | IdData
    | QuotaData
    | QuotaRootData
    | AclData
    | ListRightsData
    | MyRightsData
    | GenUrlAuthData
    | UrlFetchData
    | MetadataData
)
