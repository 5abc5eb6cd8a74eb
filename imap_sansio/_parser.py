"""The command grammar: one framed command (literals inline) -> a typed Command.

The parser is a recursive descent over ``bytes`` with a cursor; every token
is read by a compiled regex anchored at the cursor (``pattern.match(data,
pos)``) and literals are taken by slicing, so no Python loop walks bytes.
The ABNF each reader implements is quoted beside it (RFC 3501 9 unless said).

:func:`parse_command` raises only :class:`ParseError`, whose ``message``
says what was expected and ``offset`` where (a byte index into the command).

The command table :data:`COMMANDS` holds a :class:`CommandSpec` per command
(its parser, states, and whether it pauses or names messages); extension
commands are records added to a table of one's own (``Config.commands``,
passed on as ``commands=``), never to a table shared by the process.
Unknown command names are a ParseError ``unknown command XFOO``; there is
no generic fallback.
"""

from __future__ import annotations

import binascii
import datetime
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Literal, NoReturn

from imap_sansio import _frozen
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
    InvalidName,
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
    XList,
)
from imap_sansio._frozen import dataclass
from imap_sansio._mutf7 import MUTF7Error, decode_mutf7
from imap_sansio._secret import Secret
from imap_sansio._sequence import MAX_NUMBER, STAR, SequenceSet, UidSet, _checked
from imap_sansio._state import ANY_STATE, LOGGED_IN, NOT_LOGGED_IN, SELECTED_ONLY, State

__all__ = [
    "COMMANDS",
    "CommandParser",
    "CommandReader",
    "CommandSpec",
    "ParseError",
    "parse_command",
    "parse_section_spec",
]

MAX_MODSEQ = 2**63 - 1
#: number64 (RFC 9051 9): an unsigned 63-bit integer.
MAX_NUMBER64 = 2**63 - 1
#: The default of ``Limits.max_search_nesting``: SEARCH keys inside this many
#: parentheses, NOT, OR (clients chain OR for each term: "OR OR OR a b c d").
MAX_SEARCH_NESTING = 100


class ParseError(Exception):
    """A command that does not follow the grammar.

    ``message`` says what was expected (``expected SP after mailbox name``);
    ``offset`` is the byte index in the command where it was expected;
    ``str(error)`` joins both (``expected SP after mailbox name at byte 17``).
    ``tag`` is the command's tag when it could be read (for a tagged BAD),
    else None.  ``code`` is the response code for the BAD: ``LIMIT`` (RFC
    5530) when a list is over ``max_items``, else None (a client bug).
    """

    def __init__(
        self, message: str, offset: int, tag: str | None = None, *, code: str | None = None
    ) -> None:
        super().__init__(f"{message} at byte {offset}")
        self.message = message
        self.offset = offset
        self.tag = tag
        self.code = code


def _char_class(chars: bytes) -> bytes:
    return b"[" + b"".join(re.escape(bytes([c])) for c in sorted(set(chars))) + b"]"


_CHAR = bytes(range(0x21, 0x7F))
# ATOM-CHAR = <any CHAR except atom-specials>
# atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
_ATOM_CHARS = bytes(c for c in _CHAR if c not in b'(){%*"\\]')
_ASTRING_CHARS = _ATOM_CHARS + b"]"  # ASTRING-CHAR = ATOM-CHAR / resp-specials
_TAG_CHARS = bytes(c for c in _ASTRING_CHARS if c != 0x2B)  # tag = 1*<ASTRING-CHAR except "+">
_LIST_CHARS = _ASTRING_CHARS + b"%*"  # list-char = ATOM-CHAR / list-wildcards / resp-specials

_ATOM = re.compile(_char_class(_ATOM_CHARS) + b"+")
_ASTRING_ATOM = re.compile(_char_class(_ASTRING_CHARS) + b"+")
_TAG = re.compile(_char_class(_TAG_CHARS) + b"+")
_LIST_ATOM = re.compile(_char_class(_LIST_CHARS) + b"+")
# quoted = DQUOTE *QUOTED-CHAR DQUOTE
# QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials
_QUOTED = re.compile(rb'"((?:[\x01-\x09\x0b\x0c\x0e-\x21\x23-\x5b\x5d-\x7f]|\\["\\])*)"')
# RFC 6855 3: with UTF8=ACCEPT, QUOTED-CHAR =/ UTF8-2 / UTF8-3 / UTF8-4 (validated after)
_QUOTED_8BIT = re.compile(rb'"((?:[\x01-\x09\x0b\x0c\x0e-\x21\x23-\x5b\x5d-\xff]|\\["\\])*)"')
_QUOTED_ESCAPE = re.compile(rb"\\([\"\\])")
# literal = "{" number64 ["+"] "}" CRLF *CHAR8 (RFC 7888 for "+"); literal8 = "~{" ... (RFC 3516)
_URLAUTH_MECHANISM = re.compile(rb"[A-Za-z0-9\-.]+")
_LITERAL = re.compile(rb"(~?)\{([0-9]{1,20})(\+?)\}\r?\n")
_NUMBER = re.compile(rb"[0-9]+")
_SEQ_SET = re.compile(rb"[0-9*:,]+|\$")
_SEQ_VALID = re.compile(
    rb"(?:[1-9][0-9]{0,9}|\*)(?::(?:[1-9][0-9]{0,9}|\*))?"
    rb"(?:,(?:[1-9][0-9]{0,9}|\*)(?::(?:[1-9][0-9]{0,9}|\*))?)*\Z"
)
_SEQ_ZERO = re.compile(rb"(?:^|[:,])0+(?:[:,]|$)")
# The ranges of a valid set, as (first, last or b"") pairs
_SEQ_ITEM = re.compile(rb"([0-9]+|\*)(?::([0-9]+|\*))?")
# A set of one range (the commonest): seq-number [":" seq-number], where
# _SEQ_SET's token ends.
_SEQ_ONE = re.compile(rb"([1-9][0-9]{0,9}|\*)(?::([1-9][0-9]{0,9}|\*))?(?![0-9*:,])")
# flag = "\Answered" / ... / flag-keyword / flag-extension ("\" atom); "\*" (flag-perm)
# appears only in server responses, so it is not a flag here.
_FLAG = re.compile(rb"\\?" + _char_class(_ATOM_CHARS) + b"+")
_TOKEN = re.compile(rb"[^ \r\n]+")
_BASE64 = re.compile(rb"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_FETCH_ATT = re.compile(rb"[A-Za-z0-9.\-]+")
# section-part = nz-number *("." nz-number); read whole, then range-checked.
_SECTION_PART = re.compile(rb"[0-9]+(?:\.[0-9]+)*")
_SECTION_TEXT = re.compile(rb"HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME", re.IGNORECASE)
_PARTIAL = re.compile(rb"<([0-9]+)\.([0-9]+)>")
_DATE = re.compile(rb"([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})")
# date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
# (a one-digit day without the space is accepted too, as real clients send it)
_DATE_TIME = re.compile(
    rb'"([ 0-9]?[0-9])-([A-Za-z]{3})-([0-9]{4}) '
    rb'([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"'
)
_CRLF = re.compile(rb"\r?\n\Z")


def _range_of(first: bytes, second: bytes | None) -> tuple[int, int]:
    """One range of a sequence set from its two matched ends: RFC 3501 9,
    "4:2" is 2:4 and "*" the highest whichever end it is."""
    low = STAR if first == b"*" else int(first)
    if second is None:
        return low, low
    high = STAR if second == b"*" else int(second)
    if low == STAR or (high != STAR and low > high):
        return high, low
    return low, high


def _number_ranges(token: bytes) -> tuple[tuple[int, int], ...] | None:
    """The ranges of a set of numbers without "*" (``1:3,5,7:9``), as the
    general reader gives them; None for anything else it must judge (an
    empty range, 0, a leading zero, a number above 2^32-1, "1:2:3")."""
    ranges: list[tuple[int, int]] = []
    append = ranges.append
    try:
        for item in token.split(b","):
            low_s, colon, high_s = item.partition(b":")
            low = int(low_s)
            if low_s[0] == 0x30:
                return None
            if colon:
                high = int(high_s)
                if high_s[0] == 0x30:
                    return None
                if low > high:
                    low, high = high, low
            else:
                high = low
            if high > MAX_NUMBER:
                return None
            append((low, high))
    except ValueError:
        return None
    return tuple(ranges)


_MONTHS = {
    b"JAN": 1,
    b"FEB": 2,
    b"MAR": 3,
    b"APR": 4,
    b"MAY": 5,
    b"JUN": 6,
    b"JUL": 7,
    b"AUG": 8,
    b"SEP": 9,
    b"OCT": 10,
    b"NOV": 11,
    b"DEC": 12,
}

# RFC 3501 2.3.2: system flags are case-insensitive; we write them as the RFC does.
_SYSTEM_FLAGS = {
    f.upper(): f for f in ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent")
}

_STATUS_ITEMS = frozenset(
    {
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
        "DELETED-STORAGE",
    }
)


def _flag_text(value: str) -> str:
    """A flag as read: system flags spelled as the RFC does."""
    if value[0] == "\\":
        return _SYSTEM_FLAGS.get(value.upper(), value)
    return value


class CommandReader:
    """A cursor over one command; the methods read one grammar element each.

    Public so that extension command parsers (see :func:`parse_command`) can
    read their arguments.  Every method raises :class:`ParseError` on a
    mismatch; ``pos`` is the cursor (byte index).
    """

    __slots__ = (
        "data",
        "depth",
        "invalid_names",
        "items",
        "max_depth",
        "max_items",
        "max_ranges",
        "max_search_depth",
        "pos",
        "ranges",
        "tag",
        "utf8",
    )

    def __init__(
        self,
        data: bytes,
        *,
        utf8: bool = False,
        max_depth: int = 16,
        max_search_depth: int = MAX_SEARCH_NESTING,
        max_items: int = 10_000,
        max_ranges: int = 100_000,
    ) -> None:
        self.data = data
        self.pos = 0
        self.utf8 = utf8
        self.max_depth = max_depth
        self.max_search_depth = max_search_depth
        self.max_items = max_items
        self.items = 0
        self.max_ranges = max_ranges
        self.ranges = 0
        self.tag: str | None = None
        self.depth = 0
        # A tuple, grown by the rare invalid name: no list made per command.
        self.invalid_names: tuple[InvalidName, ...] = ()

    # -- basics ----------------------------------------------------------------

    def error(self, message: str, pos: int | None = None) -> ParseError:
        """A ParseError at ``pos`` (default: the cursor)."""
        return ParseError(message, self.pos if pos is None else pos, self.tag)

    def expected(self, what: str, pos: int | None = None) -> ParseError:
        return self.error(f"expected {what}", pos)

    # The readers of one byte index ``data`` (cheaper than startswith, and
    # called several times per command); the end of the data is IndexError.

    def peek(self) -> int:
        """The next byte, or -1 at the end."""
        try:
            return self.data[self.pos]
        except IndexError:
            return -1

    def accept(self, token: bytes) -> bool:
        """Consume ``token`` if it is next (case-sensitive)."""
        if self.data.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: bytes, what: str) -> None:
        if not self.data.startswith(token, self.pos):
            raise self.expected(what)
        self.pos += len(token)

    def sp(self, after: str) -> None:
        """SP, explained as ``expected SP after <after>``."""
        try:
            if self.data[self.pos] == 0x20:
                self.pos += 1
                return
        except IndexError:
            pass
        raise self.expected(f"SP after {after}")

    def at_line_end(self) -> bool:
        return self.data.startswith(b"\r\n", self.pos) or self.data.startswith(b"\n", self.pos)

    def end(self, after: str = "command") -> None:
        """The final CRLF, with nothing after it."""
        if _CRLF.match(self.data, self.pos) is None:
            raise self.expected(f"CRLF after {after}")

    def open_paren(self, what: str) -> None:
        try:
            opened = self.data[self.pos] == 0x28
        except IndexError:
            opened = False
        if not opened:
            raise self.expected(f'"(" to start {what}')
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.error("parenthesis nesting too deep")
        self.pos += 1

    def count(self, what: str, n: int = 1) -> None:
        """Count ``n`` more list items (search keys, ranges, attributes...)
        against ``max_items``, which bounds them over the whole command."""
        self.items += n
        if self.items > self.max_items:
            raise ParseError(
                f"too many {what} (at most {self.max_items} list items in a command)",
                self.pos,
                self.tag,
                code="LIMIT",
            )

    def close_paren(self, what: str) -> None:
        try:
            closed = self.data[self.pos] == 0x29
        except IndexError:
            closed = False
        if not closed:
            raise self.expected(f'")" to end {what}')
        self.depth -= 1
        self.pos += 1

    def _match(self, pattern: re.Pattern[bytes], what: str) -> re.Match[bytes]:
        m = pattern.match(self.data, self.pos)
        if m is None:
            raise self.expected(what)
        self.pos = m.end()
        return m

    # -- atoms and strings -----------------------------------------------------

    def atom(self, what: str = "atom") -> bytes:
        """atom = 1*ATOM-CHAR"""
        return self._match(_ATOM, what).group()

    def keyword(self, what: str = "atom") -> str:
        """An atom, upper-cased as str (command names, options, item names)."""
        return self._match(_ATOM, what).group().decode("ascii").upper()

    def literal(self, what: str = "literal", *, allow8: bool = False) -> tuple[bytes, bool]:
        """literal / literal8 -> (bytes, is_literal8).  NUL only in a literal8."""
        start = self.pos
        m = _LITERAL.match(self.data, start)
        if m is None:
            raise self.expected(what)
        binary = bool(m.group(1))
        if binary and not allow8:
            raise self.error(f"literal8 not allowed in {what}", start)
        size = int(m.group(2))
        begin = m.end()
        stop = begin + size
        if stop > len(self.data):
            raise self.error(f"literal of {size} bytes is truncated", start)
        value = self.data[begin:stop]
        if not binary and b"\x00" in value:
            raise self.error("NUL in literal (only literal8 may hold NUL)", start)
        self.pos = stop
        return value, binary

    def quoted(self, what: str = "quoted string") -> bytes:
        m = (_QUOTED_8BIT if self.utf8 else _QUOTED).match(self.data, self.pos)
        if m is None:
            raise self.expected(what)
        value = m.group(1)
        if b"\\" in value:
            value = _QUOTED_ESCAPE.sub(rb"\1", value)
        if self.utf8 and not value.isascii():
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                raise self.error(f"invalid UTF-8 in {what}") from None
        self.pos = m.end()
        return value

    def string(self, what: str = "string") -> bytes:
        """string = quoted / literal"""
        c = self.peek()
        if c == 0x22:
            return self.quoted(what)
        if c == 0x7B:
            return self.literal(what)[0]
        raise self.expected(what)

    def astring(self, what: str = "astring") -> bytes:
        """astring = 1*ASTRING-CHAR / string"""
        c = self.peek()
        if c == 0x22:
            return self.quoted(what)
        if c == 0x7B:
            return self.literal(what)[0]
        return self._match(_ASTRING_ATOM, what).group()

    def nstring(self, what: str = "nstring") -> bytes | None:
        """nstring = string / nil"""
        c = self.peek()
        if c in (0x4E, 0x6E) and self.data[self.pos : self.pos + 3].upper() == b"NIL":
            self.pos += 3
            return None
        return self.string(what)

    def text(self, value: bytes) -> str:
        """Bytes as str: UTF-8, other bytes kept as surrogate escapes."""
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("utf-8", "surrogateescape")

    def ascii(self, value: bytes, what: str, pos: int) -> str:
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            raise self.error(f"expected ASCII {what}", pos) from None

    # -- numbers ---------------------------------------------------------------

    def number(self, what: str = "number", *, low: int = 0, high: int = MAX_NUMBER) -> int:
        """number (0..2^32-1); nz-number with ``low=1``; number64 with ``high=2^63-1``."""
        start = self.pos
        m = _NUMBER.match(self.data, start)
        if m is None:
            raise self.expected(what)
        digits = m.group()
        if len(digits) > 20:
            raise self.error(f"{what} out of range", start)
        value = int(digits)
        if not low <= value <= high:
            raise self.error(f"{what} out of range ({low}..{high})", start)
        self.pos = m.end()
        return value

    def nz_number(self, what: str = "nz-number") -> int:
        return self.number(what, low=1)

    def number64(self, what: str = "number64") -> int:
        return self.number(what, high=MAX_MODSEQ)

    def modseq(self, what: str = "mod-sequence-value", *, low: int = 1) -> int:
        """mod-sequence-value = 1*DIGIT (1..2^63-1, RFC 7162 7); valzer allows 0."""
        return self.number(what, low=low, high=MAX_MODSEQ)

    # -- sequence sets ---------------------------------------------------------

    def _ranges(self, what: str) -> tuple[tuple[tuple[int, int], ...], bool]:
        start = self.pos
        one = _SEQ_ONE.match(self.data, start)
        if one is not None and self.ranges < self.max_ranges:
            # One range (the commonest set): the general way below, at once.
            self.ranges += 1
            low, high = _range_of(*one.groups())
            if low > MAX_NUMBER or high > MAX_NUMBER:
                raise self.error(f"{what} out of range (1..{MAX_NUMBER})", start)
            self.pos = one.end()
            return ((low, high),), False
        m = _SEQ_SET.match(self.data, start)
        if m is None:
            raise self.expected(what)
        token = m.group()
        if token == b"$":
            self.pos = m.end()
            return (), True
        self.ranges += token.count(b",") + 1
        if self.ranges > self.max_ranges:
            raise ParseError(
                f"too many ranges (at most {self.max_ranges} in a command's sequence sets)",
                start,
                self.tag,
                code="LIMIT",
            )
        if 0x2A not in token:
            fast = _number_ranges(token)
            if fast is not None:
                self.pos = m.end()
                return fast, False
        if _SEQ_VALID.match(token) is None:
            if _SEQ_ZERO.search(token):
                raise self.error(
                    f"{'UID' if 'UID' in what else 'sequence number'} 0 is invalid", start
                )
            raise self.expected(what, start)
        ranges: list[tuple[int, int]] = []
        for low_s, high_s in _SEQ_ITEM.findall(token):  # valid: one match per range
            low = STAR if low_s == b"*" else int(low_s)
            if not high_s:
                if low > MAX_NUMBER:
                    raise self.error(f"{what} out of range (1..{MAX_NUMBER})", start)
                ranges.append((low, low))
                continue
            high = STAR if high_s == b"*" else int(high_s)
            if low == STAR:
                low, high = high, low
            if low > MAX_NUMBER or high > MAX_NUMBER:
                raise self.error(f"{what} out of range (1..{MAX_NUMBER})", start)
            if high != STAR and low > high:
                low, high = high, low
            ranges.append((low, high))
        self.pos = m.end()
        return tuple(ranges), False

    def sequence_set(self, what: str = "sequence set") -> SequenceSet:
        """sequence-set, or "$" (RFC 5182)"""
        ranges, saved = self._ranges(what)
        return _checked(SequenceSet, ranges, saved)  # _ranges checked them

    def uid_set(self, what: str = "UID set") -> UidSet:
        ranges, saved = self._ranges(what)
        return _checked(UidSet, ranges, saved)

    # -- mailboxes -------------------------------------------------------------

    def mailbox_name(self, value: bytes, pos: int, what: str) -> str:
        """Decode a mailbox name: modified UTF-7 (RFC 3501 5.1.3), or UTF-8 with UTF8=ACCEPT.

        RFC 6855 3: after ENABLE UTF8=ACCEPT names are UTF-8 and ``&`` is an
        ordinary character (as in Dovecot); invalid UTF-8 is a syntax error.

        A name that is not valid modified UTF-7 (or holds 8-bit bytes without
        UTF8=ACCEPT, or control characters) is not a syntax error: RFC 3501
        5.1.3 makes it a matter for the server (CREATE SHOULD refuse it), and
        Dovecot answers NO.  It is returned as sent and recorded in
        ``invalid_names`` (the command's field of that name).
        """
        if _PRINTABLE.match(value):
            # Printable ASCII without "&" is the same in both encodings.
            return value.decode("ascii")
        if self.utf8:
            try:
                name = value.decode("utf-8")
            except UnicodeDecodeError:
                raise self.error(f"invalid UTF-8 in {what}", pos) from None
            if _CONTROL.search(name):
                return self._invalid(name, "control character in mailbox name")
            return name
        try:
            return decode_mutf7(value)
        except MUTF7Error as exc:
            text = value.decode("utf-8", "surrogateescape")
            return self._invalid(text, f"invalid modified UTF-7: {exc}")

    def _invalid(self, text: str, reason: str) -> str:
        self.invalid_names += (InvalidName(text=text, reason=reason),)
        return text

    def mailbox(self, what: str = "mailbox name") -> str:
        """mailbox = "INBOX" / astring (INBOX in any case -> "INBOX", RFC 3501 5.1)"""
        m = _PLAIN_MAILBOX.match(self.data, self.pos)
        if m is not None:
            # What astring and mailbox_name read from it, at once.
            self.pos = m.end()
            name = m.group(m.lastindex).decode("ascii")  # type: ignore[arg-type]  # one matched
        else:
            start = self.pos
            name = self.mailbox_name(self.astring(what), start, what)
        if len(name) == 5 and name.upper() == "INBOX":
            return "INBOX"
        return name

    def list_mailbox(self, what: str = "mailbox pattern") -> str:
        """list-mailbox = 1*list-char / string (no INBOX folding: patterns match later)"""
        m = _PLAIN_PATTERN.match(self.data, self.pos)
        if m is not None:
            self.pos = m.end()
            return m.group(m.lastindex).decode("ascii")  # type: ignore[arg-type]  # one matched
        start = self.pos
        c = self.peek()
        value = self.string(what) if c in (34, 123) else self._match(_LIST_ATOM, what).group()
        return self.mailbox_name(value, start, what)

    # -- flags and dates -------------------------------------------------------

    def flag(self, what: str = "flag") -> str:
        """flag = "\\Answered" / ... / flag-keyword / flag-extension (and "\\*" where allowed)"""
        return _flag_text(self._match(_FLAG, what).group().decode("ascii"))

    def flag_list(self, what: str = "flag list") -> tuple[str, ...]:
        """``flag-list = "(" [flag *(SP flag)] ")"``"""
        self.open_paren(what)
        flags: list[str] = []
        if not self.accept(b")"):
            self.count("flags")
            flags.append(self.flag())
            while self.accept(b" "):
                self.count("flags")
                flags.append(self.flag())
            self.close_paren(what)
        else:
            self.depth -= 1
        return tuple(flags)

    def label(self, what: str = "label") -> str:
        """A Gmail label (X-GM-LABELS): a backslash flag or an astring."""
        if self.peek() == 0x5C:
            return self.flag(what)
        return self.text(self.astring(what))

    def date(self, what: str = "date") -> datetime.date:
        """date = date-text / DQUOTE date-text DQUOTE

        date-text = date-day "-" date-month "-" date-year
        """
        start = self.pos
        quoted = self.accept(b'"')
        m = _DATE.match(self.data, self.pos)
        if m is None:
            raise self.expected(what, start)
        self.pos = m.end()
        if quoted:
            self.expect(b'"', f"closing quote of {what}")
        month = _MONTHS.get(m.group(2).upper())
        if month is None:
            raise self.error(f"invalid month in {what}", start)
        try:
            return datetime.date(int(m.group(3)), month, int(m.group(1)))
        except ValueError:
            raise self.error(f"invalid {what}", start) from None

    def date_time(self, what: str = "date-time") -> datetime.datetime:
        """date-time -> an aware datetime (zone = ("+" / "-") 4DIGIT)"""
        start = self.pos
        m = _DATE_TIME.match(self.data, start)
        if m is None:
            raise self.expected(what)
        day, mon, year, hh, mm, ss, sign, zh, zm = m.groups()
        month = _MONTHS.get(mon.upper())
        if month is None:
            raise self.error(f"invalid month in {what}", start)
        minutes = int(zh) * 60 + int(zm)
        if int(zm) >= 60 or minutes >= 24 * 60:
            raise self.error(f"invalid zone in {what}", start)
        try:
            zone = datetime.timezone(
                datetime.timedelta(minutes=-minutes if sign == b"-" else minutes)
            )
            value = datetime.datetime(
                int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=zone
            )
        except ValueError:
            raise self.error(f"invalid {what}", start) from None
        self.pos = m.end()
        return value


_PRINTABLE = re.compile(rb"[\x20-\x25\x27-\x7e]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# The commonest mailbox names and patterns, read in one match: a quoted
# string without escapes or an atom, of printable ASCII without "&" (the
# same in modified UTF-7 and in UTF-8, so mailbox_name would return it as
# it is).  An atom that goes on with "&" is the general reader's.
_PLAIN_QUOTED = rb'"([\x20\x21\x23-\x25\x27-\x5b\x5d-\x7e]*+)"'
_PLAIN_MAILBOX = re.compile(
    _PLAIN_QUOTED + b"|(" + _char_class(_ASTRING_CHARS.replace(b"&", b"")) + b"++)(?!&)"
)
_PLAIN_PATTERN = re.compile(
    _PLAIN_QUOTED + b"|(" + _char_class(_LIST_CHARS.replace(b"&", b"")) + b"++)(?!&)"
)


# -- commands --------------------------------------------------------------------

CommandParser = Callable[[str, CommandReader, bool], Command]
"""An extension command parser: ``(tag, reader, uid) -> Command``."""


#: The parsers of commands without arguments, with the class each makes
#: (parse_command's whole-line match makes the command itself).
_NO_ARGS: dict[CommandParser, type[Command]] = {}


def _no_args(cls: type[Command]) -> CommandParser:
    def parse(tag: str, r: CommandReader, uid: bool) -> Command:
        return cls(tag=tag)

    _NO_ARGS[parse] = cls
    return parse


def _login(tag: str, r: CommandReader, uid: bool) -> Command:
    # login = "LOGIN" SP userid SP password
    r.sp("LOGIN")
    user = r.text(r.astring("user name"))
    r.sp("user name")
    password = r.text(r.astring("password"))
    return Login(tag=tag, username=user, password=Secret(password))


def _authenticate(tag: str, r: CommandReader, uid: bool) -> Command:
    # authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]  (RFC 4959)
    r.sp("AUTHENTICATE")
    # auth-type = atom; RFC 4616's own examples quote it ("PLAIN"), so a quoted
    # mechanism name is accepted too.
    if r.peek() == 0x22:
        pos = r.pos
        mechanism = r.ascii(r.quoted("SASL mechanism"), "SASL mechanism", pos).upper()
    else:
        mechanism = r.keyword("SASL mechanism")
    initial: Secret[bytes] | None = None
    if r.accept(b" "):
        if r.accept(b"="):
            initial = Secret(b"")
        else:
            start = r.pos
            m = _TOKEN.match(r.data, start)
            if m is None or _BASE64.fullmatch(m.group()) is None:
                raise r.expected('base64 initial response or "="')
            r.pos = m.end()
            initial = Secret(binascii.a2b_base64(m.group()))
    return _make_authenticate(tag, mechanism, initial)


_make_authenticate = _frozen.maker(Authenticate, "tag", "mechanism", "initial_response")


def _enable(tag: str, r: CommandReader, uid: bool) -> Command:
    # enable = "ENABLE" 1*(SP capability)
    r.sp("ENABLE")
    caps = [r.keyword("capability")]
    while r.accept(b" "):
        r.count("capabilities")
        caps.append(r.keyword("capability"))
    return Enable(tag=tag, capabilities=tuple(caps))


def _compress(tag: str, r: CommandReader, uid: bool) -> Command:
    # compress = "COMPRESS" SP algorithm (RFC 4978)
    r.sp("COMPRESS")
    return Compress(tag=tag, mechanism=r.keyword("compression algorithm"))


def _select_params(r: CommandReader) -> tuple[bool, QResync | None, bool]:
    # select-params = SP "(" select-param *(SP select-param) ")"  (RFC 4466, 7162, 5257)
    condstore = False
    annotate = False
    qresync: QResync | None = None
    if not r.accept(b" "):
        return condstore, qresync, annotate
    r.open_paren("select parameters")
    while True:
        start = r.pos
        param = r.keyword("select parameter")
        if param == "CONDSTORE":
            condstore = True
        elif param == "ANNOTATE":
            annotate = True
        elif param == "QRESYNC":
            # "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
            #     [SP seq-match-data] ")"
            r.sp("QRESYNC")
            r.open_paren("QRESYNC parameters")
            uidvalidity = r.nz_number("UIDVALIDITY")
            r.sp("UIDVALIDITY")
            modseq = r.modseq("mod-sequence-value")
            known: UidSet | None = None
            match: tuple[SequenceSet, UidSet] | None = None
            if r.accept(b" "):
                if r.peek() != 0x28:
                    pos = r.pos
                    known = r.uid_set("known UIDs")
                    # RFC 7162 7: known-uids = sequence-set; "*" is not allowed
                    if known.saved or known.uses_star:
                        raise r.error("known UIDs cannot use * or $", pos)
                    if r.accept(b" "):
                        match = _seq_match(r)
                else:
                    match = _seq_match(r)
            r.close_paren("QRESYNC parameters")
            qresync = QResync(
                uidvalidity=uidvalidity, modseq=modseq, known_uids=known, seq_match=match
            )
        else:
            raise r.error(f"unknown select parameter {param}", start)
        if not r.accept(b" "):
            break
    r.close_paren("select parameters")
    return condstore, qresync, annotate


def _seq_match(r: CommandReader) -> tuple[SequenceSet, UidSet]:
    # seq-match-data = "(" known-sequence-set SP known-uid-set ")"
    r.open_paren("sequence match data")
    seqs = r.sequence_set("known sequence set")
    r.sp("known sequence set")
    uids = r.uid_set("known UID set")
    r.close_paren("sequence match data")
    return seqs, uids


def _select(tag: str, r: CommandReader, uid: bool) -> Command:
    r.sp("SELECT")
    mailbox = r.mailbox()
    condstore, qresync, annotate = _select_params(r)
    return _make_select(tag, mailbox, condstore, qresync, annotate)


_make_select = _frozen.maker(Select, "tag", "mailbox", "condstore", "qresync", "annotate")


def _examine(tag: str, r: CommandReader, uid: bool) -> Command:
    r.sp("EXAMINE")
    mailbox = r.mailbox()
    condstore, qresync, annotate = _select_params(r)
    return Examine(
        tag=tag, mailbox=mailbox, condstore=condstore, qresync=qresync, annotate=annotate
    )


def _create(tag: str, r: CommandReader, uid: bool) -> Command:
    # create = "CREATE" SP mailbox [create-params]
    # create-param =/ "USE" SP "(" [use-attr *(SP use-attr)] ")"   (RFC 6154 6)
    r.sp("CREATE")
    mailbox = r.mailbox()
    special: list[str] = []
    if r.accept(b" "):
        r.open_paren("CREATE parameters")
        while True:
            start = r.pos
            param = r.keyword("CREATE parameter")
            if param != "USE":
                raise r.error(f"unknown CREATE parameter {param}", start)
            r.sp("USE")
            special.extend(r.flag_list("special-use attributes"))
            if not r.accept(b" "):
                break
        r.close_paren("CREATE parameters")
    return _make_create(tag, mailbox, tuple(special))


_make_create = _frozen.maker(Create, "tag", "mailbox", "special_use")


def _mailbox_command(
    cls: type[Delete | Subscribe | Unsubscribe | GetQuotaRoot | GetAcl | MyRights],
) -> CommandParser:
    def parse(tag: str, r: CommandReader, uid: bool) -> Command:
        r.sp(cls.name)
        return cls(tag=tag, mailbox=r.mailbox())

    return parse


def _rename(tag: str, r: CommandReader, uid: bool) -> Command:
    r.sp("RENAME")
    old = r.mailbox("existing mailbox name")
    r.sp("existing mailbox name")
    return Rename(tag=tag, mailbox=old, new_mailbox=r.mailbox("new mailbox name"))


# A parenthesised list of words made of the characters most lists use
# (status items, LIST and SEARCH options, header field names, flags): read
# in one match; any other list goes the general way, one item at a time.
_WORD_LIST = re.compile(rb"\(([A-Za-z0-9.\-]+(?: [A-Za-z0-9.\-]+)*)\)")
_FLAG_LIST = re.compile(rb"\((\\?[A-Za-z0-9.\-$_]+(?: \\?[A-Za-z0-9.\-$_]+)*)\)")


def _word_list(
    r: CommandReader,
    pattern: re.Pattern[bytes] = _WORD_LIST,
    *,
    counted: bool = True,
    upper: bool = True,
) -> tuple[list[str], int] | None:
    """The words of the list at the cursor and where it ends, or None when
    the general reader must decide: other characters, an empty list, or a
    list that would go over ``max_items`` (when its items are ``counted``)
    or nest deeper than ``max_depth`` (where the general reader says so).
    The words are upper-cased unless ``upper`` is False.  The caller
    checks them, then moves the cursor and counts them."""
    m = pattern.match(r.data, r.pos)
    if m is None or r.depth >= r.max_depth:
        return None
    text = m.group(1).decode("ascii")  # the patterns match ASCII only
    words = (text.upper() if upper else text).split(" ")
    if counted and r.items + len(words) > r.max_items:
        return None
    return words, m.end()


_LIST_SELECT = frozenset({"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"})
_LIST_RETURN = frozenset({"SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "MYRIGHTS"})


def _reference(r: CommandReader) -> str:
    m = _PLAIN_MAILBOX.match(r.data, r.pos)
    if m is not None:  # as in CommandReader.mailbox, without INBOX folding
        r.pos = m.end()
        return m.group(m.lastindex).decode("ascii")  # type: ignore[arg-type]  # one matched
    start = r.pos
    return r.mailbox_name(r.astring("reference name"), start, "reference name")


def _list(tag: str, r: CommandReader, uid: bool) -> Command:
    # list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
    r.sp("LIST")
    extended = False
    selection: list[str] = []
    if r.peek() == 0x28:
        extended = True
        r.open_paren("list selection options")
        if not r.accept(b")"):
            while True:
                start = r.pos
                r.count("list selection options")
                opt = r.keyword("list selection option")
                if opt not in _LIST_SELECT:
                    raise r.error(f"unknown LIST selection option {opt}", start)
                selection.append(opt)
                if not r.accept(b" "):
                    break
            r.close_paren("list selection options")
            # RFC 5258 3.1: RECURSIVEMATCH alone (or with only REMOTE) is a BAD.
            if "RECURSIVEMATCH" in selection and not set(selection) - {"RECURSIVEMATCH", "REMOTE"}:
                raise r.error("RECURSIVEMATCH needs another selection option", r.pos - 1)
        else:
            r.depth -= 1
        r.sp("list selection options")
    reference = _reference(r)
    r.sp("reference name")
    patterns: list[str] = []
    if r.peek() == 0x28:
        extended = True
        r.open_paren("mailbox patterns")
        patterns.append(r.list_mailbox())
        while r.accept(b" "):
            r.count("mailbox patterns")
            patterns.append(r.list_mailbox())
        r.close_paren("mailbox patterns")
    else:
        patterns.append(r.list_mailbox())
    options: list[str] = []
    status: tuple[str, ...] | None = None
    if r.accept(b" "):
        extended = True
        start = r.pos
        if r.keyword("RETURN") != "RETURN":
            raise r.expected("RETURN", start)
        r.sp("RETURN")
        fast = _word_list(r)
        names = [] if fast is None else fast[0]
        if fast is not None and _LIST_RETURN.issuperset(names):
            # Options without STATUS (SUBSCRIBED CHILDREN): read at once.
            r.pos = fast[1]
            r.items += len(names)
            options = names
        else:
            status = _list_return_options(r, options)
    return _make_list(
        tag, reference, tuple(patterns), tuple(selection), tuple(options), status, extended
    )


_make_list = _frozen.maker(
    List, "tag", "reference", "patterns", "selection", "return_options", "return_status", "extended"
)


def _list_return_options(r: CommandReader, options: list[str]) -> tuple[str, ...] | None:
    """The options of RETURN (...) into ``options``; its STATUS items, if any."""
    status: tuple[str, ...] | None = None
    r.open_paren("list return options")
    if not r.accept(b")"):
        while True:
            start = r.pos
            r.count("list return options")
            opt = r.keyword("list return option")
            if opt == "STATUS":
                r.sp("STATUS")
                status = _status_items(r)
            elif opt in _LIST_RETURN:
                options.append(opt)
            else:
                raise r.error(f"unknown LIST return option {opt}", start)
            if not r.accept(b" "):
                break
        r.close_paren("list return options")
    else:
        r.depth -= 1
    return status


def _lsub(tag: str, r: CommandReader, uid: bool) -> Command:
    r.sp("LSUB")
    reference = _reference(r)
    r.sp("reference name")
    return Lsub(tag=tag, reference=reference, pattern=r.list_mailbox())


def _xlist(tag: str, r: CommandReader, uid: bool) -> Command:
    r.sp("XLIST")
    reference = _reference(r)
    r.sp("reference name")
    return XList(tag=tag, reference=reference, pattern=r.list_mailbox())


def _status_items(r: CommandReader) -> tuple[str, ...]:
    # "(" status-att *(SP status-att) ")"
    fast = _word_list(r)
    if fast is not None:
        names = fast[0]
        if _STATUS_ITEMS.issuperset(names):
            r.pos = fast[1]
            r.items += len(names)
            return tuple(names)
    r.open_paren("status items")
    items: list[str] = []
    while True:
        start = r.pos
        r.count("status items")
        item = r.keyword("status item")
        if item not in _STATUS_ITEMS:
            raise r.error(f"unknown status item {item}", start)
        items.append(item)
        if not r.accept(b" "):
            break
    r.close_paren("status items")
    return tuple(items)


def _status(tag: str, r: CommandReader, uid: bool) -> Command:
    # status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
    r.sp("STATUS")
    mailbox = r.mailbox()
    r.sp("mailbox name")
    return _make_status(tag, mailbox, _status_items(r))


_make_status = _frozen.maker(Status, "tag", "mailbox", "items")


def _append(tag: str, r: CommandReader, uid: bool) -> Command:
    # append = "APPEND" SP mailbox 1*append-message            (RFC 3502)
    # append-message = [SP flag-list] [SP date-time] SP append-data
    # append-data = literal / literal8 / "UTF8" SP "(" literal8 ")"   (RFC 3516, 6855)
    r.sp("APPEND")
    mailbox = r.mailbox()
    messages: list[AppendMessage] = []
    while r.accept(b" "):
        r.count("messages")
        messages.append(_append_message(r))
    if not messages:
        raise r.expected("SP after mailbox name")
    return Append(tag=tag, mailbox=mailbox, messages=tuple(messages))


def _append_message(r: CommandReader) -> AppendMessage:
    # append-message = [SP flag-list] [SP date-time] SP append-data, read
    # after its first SP (RFC 4466); append-data =/ CATENATE (RFC 4469 5),
    # in APPEND and in REPLACE (RFC 8508 4.2)
    flags: tuple[str, ...] = ()
    when: datetime.datetime | None = None
    if r.peek() == 0x28:
        flags = r.flag_list()
        r.sp("flag list")
    if r.peek() == 0x22:
        when = r.date_time()
        r.sp("date-time")
    utf8 = False
    if r.peek() in (0x43, 0x63):  # "CATENATE" (RFC 4469 5)
        return AppendMessage(flags=flags, internal_date=when, data=b"", catenate=_catenate(r))
    if r.peek() in (0x55, 0x75):  # "UTF8"
        start = r.pos
        if r.keyword("UTF8") != "UTF8":
            raise r.expected("message literal", start)
        r.sp("UTF8")
        r.open_paren("UTF8 message")
        data, binary = r.literal("literal8", allow8=True)
        if not binary:
            raise r.expected("literal8 in UTF8 (...)", start)
        r.close_paren("UTF8 message")
        utf8 = True
    else:
        data, binary = r.literal("message literal", allow8=True)
    return AppendMessage(flags=flags, internal_date=when, data=data, binary=binary, utf8=utf8)


def _replace(tag: str, r: CommandReader, uid: bool) -> Command:
    # replace = "REPLACE" SP seq-number SP mailbox append-message   (RFC 8508 5)
    # uid =/ "UID" SP replace; seq-number = nz-number / "*"
    r.sp("REPLACE")
    number = STAR if r.accept(b"*") else r.nz_number("message number")
    messages: SequenceSet | UidSet = (UidSet if uid else SequenceSet)(ranges=((number, number),))
    r.sp("message number")
    mailbox = r.mailbox()
    r.sp("mailbox name")
    # RFC 8508 4.2: append-message may be CATENATE's (RFC 4469 5).
    message = _append_message(r)
    return Replace(tag=tag, messages=messages, mailbox=mailbox, message=message, uid=uid)


def _catenate(r: CommandReader) -> tuple[CatenatePart, ...]:
    # append-data =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")"   (RFC 4469 5)
    # cat-part = text-literal / url;  text-literal = "TEXT" SP literal
    # url = "URL" SP astring   (literal8 in TEXT with BINARY, RFC 4469 5.1)
    # cat-part =/ utf8-literal; utf8-literal = "UTF8" SP "(" literal8 ")"  (RFC 6855 4)
    start = r.pos
    if r.keyword("CATENATE") != "CATENATE":
        raise r.expected("message literal", start)
    r.sp("CATENATE")
    r.open_paren("CATENATE parts")
    parts: list[CatenatePart] = []
    while True:
        r.count("CATENATE parts")
        pos = r.pos
        kind = r.keyword("TEXT, URL or UTF8")
        r.sp(kind)
        if kind == "TEXT":
            data, binary = r.literal("TEXT literal", allow8=True)
            parts.append(CatenatePart(data=data, binary=binary))
        elif kind == "URL":
            parts.append(CatenatePart(url=r.text(r.astring("URL"))))
        elif kind == "UTF8":
            r.open_paren("UTF8 part")
            data, binary = r.literal("literal8", allow8=True)
            if not binary:
                raise r.expected("literal8 in UTF8 (...)", pos)
            r.close_paren("UTF8 part")
            parts.append(CatenatePart(data=data, binary=True, utf8=True))
        else:
            raise r.expected("TEXT, URL or UTF8", pos)
        if not r.accept(b" "):
            break
    r.close_paren("CATENATE parts")
    return tuple(parts)


def _mechanism(r: CommandReader) -> str:
    # mechanism = "INTERNAL" / 1*(ALPHA / DIGIT / "-" / ".")   (RFC 4467 9)
    m = _URLAUTH_MECHANISM.match(r.data, r.pos)
    if m is None:
        raise r.expected("URLAUTH mechanism")
    r.pos = m.end()
    return m.group().decode("ascii").upper()


def _genurlauth(tag: str, r: CommandReader, uid: bool) -> Command:
    # genurlauth = "GENURLAUTH" 1*(SP url-rump SP mechanism)   (RFC 4467 9)
    requests: list[tuple[str, str]] = []
    while r.accept(b" "):
        r.count("URLs")
        url = r.text(r.astring("URL"))
        r.sp("URL")
        requests.append((url, _mechanism(r)))
    if not requests:
        raise r.expected("SP and a URL")
    return GenUrlAuth(tag=tag, requests=tuple(requests))


def _resetkey(tag: str, r: CommandReader, uid: bool) -> Command:
    # resetkey = "RESETKEY" [SP mailbox *(SP mechanism)]   (RFC 4467 9)
    if not r.accept(b" "):
        return ResetKey(tag=tag)
    mailbox = r.mailbox()
    mechanisms: list[str] = []
    while r.accept(b" "):
        r.count("mechanisms")
        mechanisms.append(_mechanism(r))
    return ResetKey(tag=tag, mailbox=mailbox, mechanisms=tuple(mechanisms))


_URLFETCH_PARAMS = frozenset({"BODY", "BINARY", "BODYPARTSTRUCTURE"})


def _urlfetch(tag: str, r: CommandReader, uid: bool) -> Command:
    # urlfetch = "URLFETCH" 1*(SP url-fetch-arg)                 (RFC 4467 9)
    # url-fetch-arg = url-full / "(" url-full *(SP url-fetch-param) ")"
    # url-fetch-param = "BODY" / "BINARY" / "BODYPARTSTRUCTURE"  (RFC 5524 4)
    requests: list[UrlFetchRequest] = []
    while r.accept(b" "):
        r.count("URLs")
        if r.peek() != 0x28:
            requests.append(UrlFetchRequest(url=r.text(r.astring("URL"))))
            continue
        r.open_paren("URLFETCH parameters")
        url = r.text(r.astring("URL"))
        params: list[str] = []
        while r.accept(b" "):
            r.count("URLFETCH parameters")
            pos = r.pos
            param = r.keyword("URLFETCH parameter")
            if param not in _URLFETCH_PARAMS or param in params:
                raise r.expected("BODY, BINARY or BODYPARTSTRUCTURE (once each)", pos)
            params.append(param)
        if "BODY" in params and "BINARY" in params:
            raise r.error("BODY and BINARY exclude each other (RFC 5524 4)")
        r.close_paren("URLFETCH parameters")
        requests.append(UrlFetchRequest(url=url, params=tuple(params), extended=True))
    if not requests:
        raise r.expected("SP and a URL")
    return UrlFetch(tag=tag, requests=tuple(requests))


def parse_section_spec(text: str) -> Section:
    """A section-spec as an IMAP URL's ``;SECTION=`` carries it (RFC 5092 11,
    ``1.2.MIME``, ``HEADER.FIELDS (FROM)``); raises :class:`ParseError`."""
    r = CommandReader(b"[" + text.encode("utf-8", "surrogateescape") + b"]")
    try:
        section = _section(r)
    except ParseError:
        raise
    except Exception as exc:
        raise r.error(f"invalid section ({type(exc).__name__})") from None
    if r.pos != len(r.data):
        raise r.expected("end of section")
    return section


def _expunge(tag: str, r: CommandReader, uid: bool) -> Command:
    if uid:
        r.sp("UID EXPUNGE")
        return Expunge(tag=tag, uid=True, uids=r.uid_set())
    return Expunge(tag=tag)


def _messages(r: CommandReader, uid: bool) -> SequenceSet | UidSet:
    if uid:
        ranges, saved = r._ranges("UID set")
        return _checked(UidSet, ranges, saved)
    ranges, saved = r._ranges("sequence set")
    return _checked(SequenceSet, ranges, saved)


def _copy_move(cls: type[Copy | Move]) -> CommandParser:
    def parse(tag: str, r: CommandReader, uid: bool) -> Command:
        r.sp(cls.name)
        messages = _messages(r, uid)
        r.sp("UID set" if uid else "sequence set")
        return cls(tag=tag, messages=messages, mailbox=r.mailbox(), uid=uid)

    return parse


# -- SEARCH ----------------------------------------------------------------------

_SEARCH_FLAGS = frozenset(
    {
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
        "SAVEDATESUPPORTED",
    }
)
_SEARCH_FLAG_KEYS = {name: SearchFlag(name=name) for name in _SEARCH_FLAGS}
_SEARCH_TEXT = frozenset(
    {
        "BCC",
        "BODY",
        "CC",
        "FROM",
        "SUBJECT",
        "TEXT",
        "TO",
        "EMAILID",
        "THREADID",
        # Gmail's extension keys (X-GM-EXT-1), values as sent
        "X-GM-RAW",
        "X-GM-MSGID",
        "X-GM-THRID",
        "X-GM-LABELS",
    }
)
_SEARCH_DATES = frozenset(
    {
        "BEFORE",
        "ON",
        "SINCE",
        "SENTBEFORE",
        "SENTON",
        "SENTSINCE",
        "SAVEDBEFORE",
        "SAVEDON",
        "SAVEDSINCE",
    }
)
# RFC 4731, 5182 (SAVE), 5267 (CONTEXT, UPDATE), 6203 (RELEVANCY);
# PARTIAL (RFC 9394) takes a range.
_SEARCH_RETURN = frozenset({"MIN", "MAX", "ALL", "COUNT", "SAVE", "CONTEXT", "UPDATE", "RELEVANCY"})
# partial-range = partial-range-first / partial-range-last   (RFC 9394)
_PARTIAL_RANGE = re.compile(rb"(-?)([0-9]+):(-?)([0-9]+)")
_ENTRY_TYPES = frozenset({"PRIV", "SHARED", "ALL"})
# SP and an atom value of a text key, in one match (astring's atom).
_SP_VALUE = re.compile(b" (" + _ASTRING_ATOM.pattern + b")")
# A search key is read as an atom, or starts a sequence set / "(".
_SEARCH_ATOM = re.compile(rb"[A-Za-z][A-Za-z0-9\-]*")


def _search_key(r: CommandReader, level: int) -> SearchKey:
    # ``level``: the parentheses, NOT, OR and FUZZY this key is inside;
    # ``Limits.max_search_nesting`` bounds them together (and so the
    # recursion here and in the server's search).
    if level > r.max_search_depth:
        raise r.error(f"search key nesting too deep (the limit is {r.max_search_depth})")
    r.items += 1  # r.count("search keys"), inline (once per key)
    if r.items > r.max_items:
        r.items -= 1
        r.count("search keys")
    try:
        c = r.data[r.pos]
    except IndexError:
        c = -1
    if c == 0x28:  # "(" search-key *(SP search-key) ")"
        r.pos += 1
        keys = [_search_key(r, level + 1)]
        while r.accept(b" "):
            keys.append(_search_key(r, level + 1))
        if not r.accept(b")"):
            raise r.expected('")" to end search key list')
        return _make_and(tuple(keys))
    if c in {36, 42} or 48 <= c <= 57:
        return _make_messages(r.sequence_set())
    start = r.pos
    m = _SEARCH_ATOM.match(r.data, start)
    if m is None:
        raise r.expected("search key")
    r.pos = m.end()
    key = m.group().decode("ascii").upper()
    flag = _SEARCH_FLAG_KEYS.get(key)
    if flag is not None:
        return flag
    if key in _SEARCH_TEXT:
        text = _SP_VALUE.match(r.data, r.pos)
        if text is not None:
            # SP and an atom value ("FROM alice"): what the two reads below read.
            r.pos = text.end()
            return _make_text(key, text.group(1))
        r.sp(key)
        return _make_text(key, r.astring(f"{key} string"))
    if key in _SEARCH_DATES:
        r.sp(key)
        return _make_date(key, r.date())
    if key == "NOT":
        r.sp("NOT")
        return _make_not(_search_key(r, level + 1))
    if key == "OR":
        r.sp("OR")
        left = _search_key(r, level + 1)
        r.sp("first OR key")
        return _make_or(left, _search_key(r, level + 1))
    if key in ("KEYWORD", "UNKEYWORD"):
        # "KEYWORD" SP flag-keyword; real clients (MailKit) also send a quoted
        # keyword or a backslash flag, which we accept as the keyword given.
        r.sp(key)
        if r.peek() in (0x22, 0x7B):
            keyword = r.text(r.string("flag keyword"))
        else:
            keyword = r.flag("flag keyword")
        return SearchKeyword(keyword=keyword, negated=key == "UNKEYWORD")
    if key == "ANNOTATION":
        # "ANNOTATION" SP entry-match SP attrib-match SP value   (RFC 5257 4.3)
        r.sp("ANNOTATION")
        entry_match = _annotation_name(r, "entry")
        r.sp("entry")
        attribute = _annotation_name(r, "attribute")
        r.sp("attribute")
        return SearchAnnotation(entry=entry_match, attribute=attribute, value=r.astring("value"))
    if key == "FUZZY":
        r.sp("FUZZY")  # RFC 6203
        return SearchFuzzy(key=_search_key(r, level + 1))
    if key == "FILTER":
        r.sp("FILTER")  # RFC 5466: "FILTER" SP filter-name (1*<ATOM-CHAR except "/">)
        pos = r.pos
        return SearchFilter(filter=r.ascii(r.atom("filter name"), "filter name", pos))
    if key == "HEADER":
        r.sp("HEADER")
        pos = r.pos
        field = r.ascii(r.astring("header field name"), "header field name", pos)
        r.sp("header field name")
        return _make_header(field, r.astring("header value"))
    if key in ("LARGER", "SMALLER"):
        r.sp(key)
        return SearchSize(name=key, size=r.number64("size"))
    if key in ("YOUNGER", "OLDER"):
        r.sp(key)
        return SearchAge(name=key, seconds=r.nz_number("interval"))
    if key == "UID":
        r.sp("UID")
        return _make_uid(r.uid_set())
    if key == "MODSEQ":
        # "MODSEQ" [search-modsequence-ext] SP mod-sequence-valzer
        # search-modsequence-ext = SP entry-name SP entry-type-req   (RFC 7162 7)
        r.sp("MODSEQ")
        entry: tuple[str, str] | None = None
        if r.peek() == 0x22:
            pos = r.pos
            entry_name = r.ascii(r.quoted("entry name"), "entry name", pos)
            r.sp("entry name")
            pos = r.pos
            entry_type = r.keyword("entry type")
            if entry_type not in _ENTRY_TYPES:
                raise r.expected("entry type priv, shared or all", pos)
            r.sp("entry type")
            entry = (entry_name, entry_type)
        return SearchModSeq(modseq=r.modseq(low=0), entry=entry)
    raise r.error(f"unknown search key {key}", start)


def _search_program(r: CommandReader, *, charset_required: bool) -> tuple[str | None, SearchKey]:
    # search-program = ["CHARSET" SP charset SP] search-key *(SP search-key)
    charset: str | None = None
    start = r.pos
    if charset_required:
        charset = r.ascii(r.astring("charset"), "charset", start).upper()
        r.sp("charset")
    elif r.data[start : start + 8].upper() == b"CHARSET ":
        r.pos += 8
        pos = r.pos
        charset = r.ascii(r.astring("charset"), "charset", pos).upper()
        r.sp("charset")
    keys = [_search_key(r, 0)]
    while r.accept(b" "):
        keys.append(_search_key(r, 0))
    return charset, _make_and(tuple(keys))


# The search keys made most often, made without a keyword call (_frozen.maker).
_make_and = _frozen.maker(SearchAnd, "keys")
_make_or = _frozen.maker(SearchOr, "left", "right")
_make_not = _frozen.maker(SearchNot, "key")
_make_text = _frozen.maker(SearchText, "name", "value")
_make_messages = _frozen.maker(SearchMessages, "messages")
_make_date = _frozen.maker(SearchDate, "name", "date")
_make_header = _frozen.maker(SearchHeader, "field", "value")
_make_uid = _frozen.maker(SearchUid, "uids")


def _partial_range(r: CommandReader) -> tuple[int, int]:
    start = r.pos
    m = _PARTIAL_RANGE.match(r.data, start)
    if m is None or m.group(1) != m.group(3):
        raise r.expected("partial range", start)
    # partial-range-first/-last = ["-"] nz-number (RFC 9394 5): below 2^32.
    for digits in (m.group(2), m.group(4)):
        if digits[0] == 0x30 or len(digits) > 10 or int(digits) > MAX_NUMBER:
            raise r.error(f"partial range out of range (1..{MAX_NUMBER})", start)
    low, high = int(m.group(2)), int(m.group(4))
    r.pos = m.end()
    if low > high:
        low, high = high, low
    return (-low, -high) if m.group(1) else (low, high)


def _return_options(r: CommandReader) -> tuple[tuple[str, ...] | None, tuple[int, int] | None]:
    # search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"
    if r.data[r.pos : r.pos + 7].upper() != b"RETURN ":
        return None, None
    r.pos += 7
    opts: list[str] = []
    partial: tuple[int, int] | None = None
    fast = _word_list(r, counted=False)
    if fast is not None:
        names = fast[0]
        if _SEARCH_RETURN.issuperset(names):
            r.pos = fast[1]
            r.sp("return options")
            return tuple(names), None
    r.open_paren("return options")
    if r.accept(b")"):
        r.depth -= 1
    else:
        while True:
            start = r.pos
            opt = r.keyword("return option")
            if opt == "PARTIAL":
                r.sp("PARTIAL")
                partial = _partial_range(r)
            elif opt not in _SEARCH_RETURN:
                raise r.error(f"unknown search return option {opt}", start)
            else:
                opts.append(opt)
            if not r.accept(b" "):
                break
        r.close_paren("return options")
    r.sp("return options")
    return tuple(opts), partial


# Search keys that are all flag words up to the end of the command
# ("UNSEEN", "UNDELETED SEEN"): the commonest searches.
_FLAG_WORDS = re.compile(rb"([A-Za-z]+(?: [A-Za-z]+)*)(?=\r?\n\Z)")


def _flag_search(r: CommandReader) -> SearchAnd | None:
    """A search program of flag keys only, read at once (what _search_key
    reads for each); None for the general reader."""
    m = _FLAG_WORDS.match(r.data, r.pos)
    if m is None or r.max_search_depth < 0:
        return None
    keys = []
    for word in m.group(1).decode("ascii").upper().split(" "):
        key = _SEARCH_FLAG_KEYS.get(word)
        if key is None:
            return None
        keys.append(key)
    if r.items + len(keys) > r.max_items:
        return None
    r.items += len(keys)
    r.pos = m.end()
    return SearchAnd(keys=tuple(keys))


def _search(tag: str, r: CommandReader, uid: bool) -> Command:
    r.sp("SEARCH")
    opts, partial = _return_options(r)
    flags = _flag_search(r)
    if flags is None:
        charset, criteria = _search_program(r, charset_required=False)
    else:
        charset, criteria = None, flags
    return _make_search(tag, criteria, charset, opts, partial, uid)


_make_search = _frozen.maker(
    Search, "tag", "criteria", "charset", "return_options", "partial", "uid"
)


_SORT_KEYS = frozenset(
    {"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"}
)


# Frozen values can be shared: one per plain sort key and direction.
_SORT_KEY_VALUES = {
    (key, reverse): SortKey(key=key, reverse=reverse)
    for key in _SORT_KEYS
    for reverse in (False, True)
}


def _plain_sort_keys(r: CommandReader) -> list[SortKey] | None:
    """Sort criteria that are words only ("(REVERSE DATE SUBJECT)"), read at
    once; None for the general reader (ANNOTATION, an unknown key...)."""
    fast = _word_list(r, counted=False)
    if fast is None:
        return None
    keys: list[SortKey] = []
    reverse = False
    for name in fast[0]:
        if name == "REVERSE" and not reverse:
            reverse = True
            continue
        key = _SORT_KEY_VALUES.get((name, reverse))
        if key is None:
            return None
        keys.append(key)
        reverse = False
    if reverse or r.items + len(keys) > r.max_items:
        return None
    r.items += len(keys)  # a key with its REVERSE counts once
    r.pos = fast[1]
    return keys


def _sort(tag: str, r: CommandReader, uid: bool) -> Command:
    # sort = ["UID" SP] "SORT" SP sort-criteria SP search-criteria   (RFC 5256)
    # RFC 5267 (ESORT): "SORT" [search-return-opts] SP sort-criteria SP search-criteria
    r.sp("SORT")
    opts, partial = _return_options(r)
    keys = _plain_sort_keys(r)
    if keys is None:
        keys = _sort_keys(r)
    r.sp("sort criteria")
    charset, criteria = _search_program(r, charset_required=True)
    assert charset is not None
    return Sort(
        tag=tag,
        sort_keys=tuple(keys),
        charset=charset,
        criteria=criteria,
        return_options=opts,
        partial=partial,
        uid=uid,
    )


def _sort_keys(r: CommandReader) -> list[SortKey]:
    # sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
    # sort-criterion = ["REVERSE" SP] sort-key
    r.open_paren("sort criteria")
    keys: list[SortKey] = []
    while True:
        r.count("sort keys")
        start = r.pos
        word = r.keyword("sort key")
        reverse = False
        if word == "REVERSE":
            r.sp("REVERSE")
            reverse = True
            start = r.pos
            word = r.keyword("sort key")
        annotation: tuple[str, str] | None = None
        if word == "ANNOTATION":
            # "ANNOTATION" SP entry SP attrib   (RFC 5257 4.3)
            r.sp("ANNOTATION")
            entry = _annotation_name(r, "entry")
            r.sp("entry")
            annotation = (entry, _annotation_name(r, "attribute"))
        elif word not in _SORT_KEYS:
            raise r.error(f"unknown sort key {word}", start)
        keys.append(SortKey(key=word, reverse=reverse, annotation=annotation))
        if not r.accept(b" "):
            break
    r.close_paren("sort criteria")
    return keys


def _thread(tag: str, r: CommandReader, uid: bool) -> Command:
    # thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria   (RFC 5256)
    r.sp("THREAD")
    algorithm = r.keyword("thread algorithm")
    r.sp("thread algorithm")
    charset, criteria = _search_program(r, charset_required=True)
    assert charset is not None
    return Thread(tag=tag, algorithm=algorithm, charset=charset, criteria=criteria, uid=uid)


# -- FETCH -----------------------------------------------------------------------

_FETCH_SIMPLE = frozenset(
    {
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
        "X-GM-MSGID",
        "X-GM-THRID",
        "X-GM-LABELS",
    }
)
# Frozen values can be shared: one instance per simple attribute.
_FETCH_ATTRIBUTES = {name: FetchAttribute(name=name) for name in _FETCH_SIMPLE}


# The items that need no reading beyond their name, by their upper-case
# bytes: the simple attributes and the whole message, its header and its
# text (BODY[], BODY.PEEK[HEADER], BINARY.PEEK[]...).  _fetch looks an item
# up here when _FETCH_SIMPLE_ITEM matches it, and reads it otherwise.
def _whole_items() -> dict[bytes, FetchItem]:
    items: dict[bytes, FetchItem] = {b"BINARY.SIZE[]": FetchBinarySize()}
    for peek, suffix in ((False, ""), (True, ".PEEK")):
        for text in (None, "HEADER", "TEXT"):
            body = FetchBody(section=Section(text=text), peek=peek)
            items[f"BODY{suffix}[{text or ''}]".encode()] = body
        items[f"BINARY{suffix}[]".encode()] = FetchBinary(peek=peek)
    return items


_FETCH_ITEMS: dict[bytes, FetchItem] = {
    name.encode(): item for name, item in _FETCH_ATTRIBUTES.items()
}
_FETCH_ITEMS.update(_whole_items())
# " (CHANGEDSINCE n)" or " (CHANGEDSINCE n VANISHED)" (RFC 7162 3.1.4, 3.2.6)
_CHANGEDSINCE = re.compile(rb" \((?i:CHANGEDSINCE) ([0-9]{1,19})( (?i:VANISHED))?\)")
# A name, with an empty or named section, that ends where the item ends.
_FETCH_SIMPLE_ITEM = re.compile(rb"[A-Za-z0-9.\-]+(?:\[[A-Za-z]*\])?(?=[ )])")
_MACROS: dict[str, tuple[FetchItem, ...]] = {
    # RFC 3501 6.4.5
    "ALL": (
        FetchAttribute(name="FLAGS"),
        FetchAttribute(name="INTERNALDATE"),
        FetchAttribute(name="RFC822.SIZE"),
        FetchAttribute(name="ENVELOPE"),
    ),
    "FAST": (
        FetchAttribute(name="FLAGS"),
        FetchAttribute(name="INTERNALDATE"),
        FetchAttribute(name="RFC822.SIZE"),
    ),
    "FULL": (
        FetchAttribute(name="FLAGS"),
        FetchAttribute(name="INTERNALDATE"),
        FetchAttribute(name="RFC822.SIZE"),
        FetchAttribute(name="ENVELOPE"),
        FetchAttribute(name="BODY"),
    ),
}


def _section(r: CommandReader) -> Section:
    # section = "[" [section-spec] "]"
    # section-spec = section-msgtext / (section-part ["." section-text])
    r.pos += 1  # "["
    part: tuple[int, ...] = ()
    m = _SECTION_PART.match(r.data, r.pos)
    if m is not None:
        part = _part_numbers(r, m.group())
        r.pos = m.end()
        if not r.accept(b"."):
            r.expect(b"]", '"]" after section part')
            return Section(part=part)
    elif r.accept(b"]"):
        return Section()
    start = r.pos
    t = _SECTION_TEXT.match(r.data, start)
    if t is None:
        raise r.expected("section text (HEADER, HEADER.FIELDS, TEXT or MIME)")
    r.pos = t.end()
    text = t.group().decode("ascii").upper()
    if text == "MIME" and not part:
        raise r.error("MIME needs a section part", start)
    fields: list[str] = []
    if text.startswith("HEADER.FIELDS"):
        # header-list = "(" header-fld-name *(SP header-fld-name) ")"
        r.sp(text)
        fast = _word_list(r, upper=False)  # field names as sent
        if fast is not None:
            fields = fast[0]
            r.pos = fast[1]
            r.items += len(fields)
        else:
            r.open_paren("header list")
            while True:
                r.count("header field names")
                pos = r.pos
                fields.append(r.ascii(r.astring("header field name"), "header field name", pos))
                if not r.accept(b" "):
                    break
            r.close_paren("header list")
    r.expect(b"]", '"]" to end section')
    return _make_section(part, text, tuple(fields))


_make_section = _frozen.maker(Section, "part", "text", "fields")
_make_body = _frozen.maker(FetchBody, "section", "peek", "partial")


def _part_numbers(r: CommandReader, digits: bytes) -> tuple[int, ...]:
    """section-part = nz-number *("." nz-number); nz-number < 2^32 (RFC 3501 9)."""
    numbers = digits.split(b".")
    r.count("section part numbers", len(numbers))
    part: list[int] = []
    for number in numbers:
        if number[0] == 0x30 or len(number) > 10 or int(number) > MAX_NUMBER:
            raise r.error(f"section part out of range (1..{MAX_NUMBER})")
        part.append(int(number))
    return tuple(part)


def _binary_part(r: CommandReader) -> tuple[int, ...]:
    # section-binary = "[" [section-part] "]"
    if not r.accept(b"["):
        raise r.expected('"[" after BINARY')
    part: tuple[int, ...] = ()
    m = _SECTION_PART.match(r.data, r.pos)
    if m is not None:
        part = _part_numbers(r, m.group())
        r.pos = m.end()
    r.expect(b"]", '"]" to end binary section')
    return part


def _partial(r: CommandReader) -> tuple[int, int] | None:
    if r.peek() != 0x3C:
        return None
    start = r.pos
    m = _PARTIAL.match(r.data, start)
    if m is None:
        raise r.expected("partial <offset.length>")
    # RFC 9051 9 (appendix E 1): partial = "<" number64 "." nz-number64 ">",
    # a superset of RFC 3501's 32-bit numbers, so one rule serves both.
    if len(m.group(1)) > 19 or int(m.group(1)) > MAX_NUMBER64:
        raise r.error(f"partial offset out of range (0..{MAX_NUMBER64})", start)
    if len(m.group(2)) > 19 or not 1 <= int(m.group(2)) <= MAX_NUMBER64:
        raise r.error(f"partial length out of range (1..{MAX_NUMBER64})", start)
    offset, length = int(m.group(1)), int(m.group(2))
    r.pos = m.end()
    return offset, length


def _fetch_att(r: CommandReader) -> FetchItem:
    r.count("fetch attributes")
    start = r.pos
    m = _FETCH_ATT.match(r.data, start)
    if m is None:
        raise r.expected("fetch attribute")
    r.pos = m.end()
    name = m.group().decode("ascii").upper()
    if name in ("BODY", "BODY.PEEK") and r.peek() == 0x5B:
        section = _section(r)
        return _make_body(section, name == "BODY.PEEK", _partial(r))
    if name in ("BINARY", "BINARY.PEEK"):
        part = _binary_part(r)
        return FetchBinary(part=part, peek=name == "BINARY.PEEK", partial=_partial(r))
    if name == "BINARY.SIZE":
        return FetchBinarySize(part=_binary_part(r))
    simple = _FETCH_ATTRIBUTES.get(name)
    if simple is not None:
        return simple
    if name == "ANNOTATION":
        # "ANNOTATION" SP "(" entries SP attribs ")"   (RFC 5257 4.2)
        r.sp("ANNOTATION")
        r.open_paren("annotation fetch")
        entries = _annotation_names(r, "entry")
        r.sp("entries")
        attributes = _annotation_names(r, "attribute")
        r.close_paren("annotation fetch")
        return FetchAnnotation(entries=entries, attributes=attributes)
    if name == "PREVIEW":
        # "PREVIEW" [SP "(" "LAZY" ")"]  (RFC 8970; only LAZY is defined)
        if r.data[r.pos : r.pos + 7].upper() == b" (LAZY)":
            r.pos += 7
            return FetchPreview(lazy=True)
        return FetchPreview()
    raise r.error(f"unknown fetch attribute {name}", start)


def _fetch_item(r: CommandReader) -> FetchItem:
    """A fetch-att in a list: an item that is all name looked up, as in
    _fetch's loop; the others, and any error, are _fetch_att's."""
    m = _FETCH_SIMPLE_ITEM.match(r.data, r.pos)
    if m is not None and r.items < r.max_items:
        item = _FETCH_ITEMS.get(m.group().upper())
        if item is not None:
            r.items += 1  # r.count, which cannot fail here
            r.pos = m.end()
            return item
    return _fetch_att(r)


def _fetch(tag: str, r: CommandReader, uid: bool) -> Command:
    # fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
    #         "(" fetch-att *(SP fetch-att) ")") [fetch-modifiers]
    r.sp("FETCH")
    messages = _messages(r, uid)
    r.sp("UID set" if uid else "sequence set")
    macro: str | None = None
    items: list[FetchItem] = []
    data = r.data
    if r.peek() == 0x28:
        r.open_paren("fetch attributes")
        simple = _FETCH_SIMPLE_ITEM.match
        known = _FETCH_ITEMS.get
        while True:
            # An item that is all name (FLAGS, BODY.PEEK[]) is looked up;
            # the others, and any error, are _fetch_att's.
            m = simple(data, r.pos)
            if (
                m is not None
                and r.items < r.max_items
                and (item := known(m.group().upper())) is not None
            ):
                r.items += 1  # r.count, which cannot fail here
                r.pos = m.end()
            else:
                item = _fetch_att(r)
            items.append(item)
            if not data.startswith(b" ", r.pos):
                break
            r.pos += 1
        r.close_paren("fetch attributes")
    else:
        m = _FETCH_ATT.match(data, r.pos)
        if m is not None and m.group().upper() in (b"ALL", b"FAST", b"FULL"):
            r.pos = m.end()
            macro = m.group().decode("ascii").upper()
            items.extend(_MACROS[macro])
        else:
            items.append(_fetch_att(r))
    changedsince: int | None = None
    vanished = False
    partial: tuple[int, int] | None = None
    resync = _CHANGEDSINCE.match(data, r.pos)
    if resync is not None and r.depth < r.max_depth and int(resync.group(1)) <= MAX_MODSEQ:
        # The commonest modifiers (a CONDSTORE / QRESYNC resync), at once.
        changedsince = int(resync.group(1))
        vanished = resync.group(2) is not None
        r.pos = resync.end()
    elif r.accept(b" "):
        # fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"   (RFC 4466, 7162)
        r.open_paren("fetch modifiers")
        while True:
            start = r.pos
            mod = r.keyword("fetch modifier")
            if mod == "CHANGEDSINCE":
                r.sp("CHANGEDSINCE")
                changedsince = r.modseq(low=0)
            elif mod == "VANISHED":
                vanished = True
            elif mod == "PARTIAL":
                r.sp("PARTIAL")
                partial = _partial_range(r)
            else:
                raise r.error(f"unknown fetch modifier {mod}", start)
            if not r.accept(b" "):
                break
        r.close_paren("fetch modifiers")
    return _make_fetch(tag, messages, tuple(items), macro, changedsince, vanished, partial, uid)


# The events made most often, made without a keyword call (_frozen.maker).
_make_fetch = _frozen.maker(
    Fetch, "tag", "messages", "items", "macro", "changedsince", "vanished", "partial", "uid"
)


_STORE_ATT = re.compile(rb"([+-]?)(FLAGS|X-GM-LABELS)(\.SILENT)?", re.IGNORECASE)
_ANNOTATION_NAME = re.compile(_char_class(_LIST_CHARS) + b"+")


def _annotation_name(r: CommandReader, what: str) -> str:
    """An entry or attribute name (or pattern, with ``*`` and ``%``): atom-like or a string."""
    pos = r.pos
    if r.peek() in (0x22, 0x7B):
        return r.text(r.string(what))
    return r.ascii(r._match(_ANNOTATION_NAME, what).group(), what, pos)


def _annotation_names(r: CommandReader, what: str) -> tuple[str, ...]:
    # entries = entry-match / "(" entry-match *(SP entry-match) ")"
    if r.peek() != 0x28:
        return (_annotation_name(r, what),)
    r.open_paren(f"{what} list")
    names = [_annotation_name(r, what)]
    while r.accept(b" "):
        r.count(f"{what} names")
        names.append(_annotation_name(r, what))
    r.close_paren(f"{what} list")
    return tuple(names)


def _store_annotations(
    r: CommandReader,
) -> tuple[tuple[str, tuple[tuple[str, bytes | None], ...]], ...]:
    # store-att-annotate = "ANNOTATION" SP "(" entry-att *(SP entry-att) ")"
    # entry-att = entry SP "(" att-value *(SP att-value) ")"; att-value = attrib SP value
    r.open_paren("annotations")
    out: list[tuple[str, tuple[tuple[str, bytes | None], ...]]] = []
    while True:
        entry = _annotation_name(r, "entry")
        r.sp("entry")
        r.open_paren("attribute values")
        values: list[tuple[str, bytes | None]] = []
        while True:
            attribute = _annotation_name(r, "attribute")
            r.sp("attribute")
            if r.data.startswith(b"~{", r.pos):
                values.append((attribute, r.literal("value", allow8=True)[0]))
            else:
                values.append((attribute, r.nstring("value")))
            if not r.accept(b" "):
                break
        r.close_paren("attribute values")
        out.append((entry, tuple(values)))
        if not r.accept(b" "):
            break
    r.close_paren("annotations")
    return tuple(out)


def _store(tag: str, r: CommandReader, uid: bool) -> Command:
    # store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
    # store-modifiers = SP "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"   (RFC 7162)
    # store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
    r.sp("STORE")
    messages = _messages(r, uid)
    r.sp("UID set" if uid else "sequence set")
    unchangedsince: int | None = None
    if r.peek() == 0x28:
        r.open_paren("store modifiers")
        start = r.pos
        if r.keyword("store modifier") != "UNCHANGEDSINCE":
            raise r.expected("UNCHANGEDSINCE", start)
        r.sp("UNCHANGEDSINCE")
        unchangedsince = r.modseq(low=0)
        r.close_paren("store modifiers")
        r.sp("store modifiers")
    start = r.pos
    if r.data[start : start + 11].upper() == b"ANNOTATION ":
        r.pos += 11
        return Store(
            tag=tag,
            messages=messages,
            mode="replace",
            attribute="ANNOTATION",
            annotations=_store_annotations(r),
            unchangedsince=unchangedsince,
            uid=uid,
        )
    m = _STORE_ATT.match(r.data, start)
    if m is None:
        raise r.expected('"FLAGS", "+FLAGS" or "-FLAGS"')
    attribute = m.group(2).decode("ascii").upper()
    r.pos = m.end()
    mode: Literal["replace", "add", "remove"] = (
        "add" if m.group(1) == b"+" else "remove" if m.group(1) == b"-" else "replace"
    )
    r.sp(attribute)
    read = r.flag if attribute == "FLAGS" else r.label
    fast = _word_list(r, _FLAG_LIST, upper=False) if attribute == "FLAGS" else None
    items: list[str]
    if fast is not None:
        items = [_flag_text(word) for word in fast[0]]
        r.pos = fast[1]
        r.items += len(items)
    elif r.peek() == 0x28:
        r.open_paren(f"{attribute} list")
        items = []
        if r.accept(b")"):
            r.depth -= 1
        else:
            r.count(f"{attribute} items")
            items.append(read())
            while r.accept(b" "):
                r.count(f"{attribute} items")
                items.append(read())
            r.close_paren(f"{attribute} list")
    else:
        items = [read()]
        while r.accept(b" "):
            items.append(read())
    flags = tuple(items)
    return _make_store(
        tag, messages, mode, m.group(3) is not None, flags, attribute, unchangedsince, uid
    )


_make_store = _frozen.maker(
    Store, "tag", "messages", "mode", "silent", "flags", "attribute", "unchangedsince", "uid"
)


def _cancelupdate(tag: str, r: CommandReader, uid: bool) -> Command:
    # cancelupdate = "CANCELUPDATE" 1*(SP quoted)   (RFC 5267 4.3)
    tags: list[str] = []
    while r.accept(b" "):
        pos = r.pos
        tags.append(r.ascii(r.quoted("tag of the search"), "tag", pos))
    if not tags:
        raise r.expected("SP after CANCELUPDATE")
    return CancelUpdate(tag=tag, tags=tuple(tags))


# -- ID, QUOTA -------------------------------------------------------------------


def _id(tag: str, r: CommandReader, uid: bool) -> Command:
    # id = "ID" SP id-params-list; id-params-list = "(" *(string SP nstring) ")" / nil
    r.sp("ID")
    if r.data[r.pos : r.pos + 3].upper() == b"NIL":
        r.pos += 3
        return Id(tag=tag, parameters=None)
    r.open_paren("ID parameters")
    params: list[tuple[str, str | None]] = []
    if r.accept(b")"):
        r.depth -= 1
        return Id(tag=tag, parameters=())
    while True:
        key = r.text(r.string("ID field name"))
        r.sp("ID field name")
        raw = r.nstring("ID field value")
        params.append((key, None if raw is None else r.text(raw)))
        if not r.accept(b" "):
            break
    r.close_paren("ID parameters")
    return Id(tag=tag, parameters=tuple(params))


def _getquota(tag: str, r: CommandReader, uid: bool) -> Command:
    # getquota = "GETQUOTA" SP quota-root-name; quota-root-name = astring
    r.sp("GETQUOTA")
    return GetQuota(tag=tag, root=r.text(r.astring("quota root")))


def _setquota(tag: str, r: CommandReader, uid: bool) -> Command:
    # setquota = "SETQUOTA" SP quota-root-name SP setquota-list
    # setquota-list = "(" [setquota-resource *(SP setquota-resource)] ")"
    r.sp("SETQUOTA")
    root = r.text(r.astring("quota root"))
    r.sp("quota root")
    r.open_paren("quota limits")
    limits: list[tuple[str, int]] = []
    if r.accept(b")"):
        r.depth -= 1
    else:
        while True:
            resource = r.keyword("quota resource")
            r.sp("quota resource")
            limits.append((resource, r.number64("quota limit")))
            if not r.accept(b" "):
                break
        r.close_paren("quota limits")
    return SetQuota(tag=tag, root=root, limits=tuple(limits))


# -- NOTIFY (RFC 5465) -------------------------------------------------------------

_NOTIFY_FILTERS = frozenset(
    {"SELECTED", "SELECTED-DELAYED", "INBOXES", "PERSONAL", "SUBSCRIBED", "SUBTREE", "MAILBOXES"}
)


def _notify(tag: str, r: CommandReader, uid: bool) -> Command:
    # notify = "NOTIFY" SP (notify-set / notify-none)
    # notify-set = "SET" [status-indicator] SP event-groups; status-indicator = SP "STATUS"
    r.sp("NOTIFY")
    start = r.pos
    word = r.keyword('"SET" or "NONE"')
    if word == "NONE":
        return Notify(tag=tag, none=True)
    if word != "SET":
        raise r.expected('"SET" or "NONE"', start)
    r.sp("SET")
    status = False
    if r.data[r.pos : r.pos + 7].upper() == b"STATUS ":
        r.pos += 7
        status = True
    groups = [_notify_group(r)]
    while r.accept(b" "):
        r.count("event groups")
        groups.append(_notify_group(r))
    return Notify(tag=tag, status=status, groups=tuple(groups))


def _one_or_more_mailbox(r: CommandReader) -> list[str]:
    """one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
    (RFC 5465 8, also MULTISEARCH's source list, RFC 7377 4)."""
    if r.peek() != 0x28:
        return [r.mailbox()]
    r.open_paren("mailbox list")
    mailboxes = [r.mailbox()]
    while r.accept(b" "):
        r.count("mailboxes")
        mailboxes.append(r.mailbox())
    r.close_paren("mailbox list")
    return mailboxes


def _notify_group(r: CommandReader) -> NotifyGroup:
    # event-group = "(" filter-mailboxes SP events ")"
    r.open_paren("event group")
    start = r.pos
    filt = r.keyword("filter-mailboxes")
    if filt not in _NOTIFY_FILTERS:
        raise r.error(f"unknown NOTIFY mailbox filter {filt}", start)
    mailboxes: list[str] = []
    if filt in ("SUBTREE", "MAILBOXES"):
        r.sp(filt)
        mailboxes = _one_or_more_mailbox(r)
    r.sp("filter-mailboxes")
    events: tuple[NotifyEvent, ...] | None = None
    if r.peek() == 0x28:
        # events = ( "(" event *(SP event) ")" ) / "NONE"
        r.open_paren("events")
        found: list[NotifyEvent] = []
        while True:
            r.count("events")
            pos = r.pos
            name = r.ascii(r.atom("event"), "event", pos)
            fetch: tuple[FetchItem, ...] = ()
            if name.upper() == "MESSAGENEW" and r.data[r.pos : r.pos + 2] == b" (":
                r.pos += 1
                r.open_paren("MessageNew fetch attributes")
                items = [_fetch_item(r)]
                while r.accept(b" "):
                    items.append(_fetch_item(r))
                r.close_paren("MessageNew fetch attributes")
                fetch = tuple(items)
            found.append(_make_event(name, fetch))
            if not r.accept(b" "):
                break
        r.close_paren("events")
        events = tuple(found)
    else:
        pos = r.pos
        if r.keyword("events") != "NONE":
            raise r.expected('events or "NONE"', pos)
    r.close_paren("event group")
    return _make_group(filt, tuple(mailboxes), events)


_make_event = _frozen.maker(NotifyEvent, "name", "fetch")
_make_group = _frozen.maker(NotifyGroup, "filter", "mailboxes", "events")


# -- MULTISEARCH (RFC 7377) ---------------------------------------------------------

_SEARCH_SOURCES = frozenset(
    {"SELECTED", "INBOXES", "PERSONAL", "SUBSCRIBED", "SUBTREE", "SUBTREE-ONE", "MAILBOXES"}
)


def _esearch(tag: str, r: CommandReader, uid: bool) -> Command:
    # esearch = "ESEARCH" [SP esearch-source-opts] [SP search-return-opts] SP search-program
    # esearch-source-opts = "IN" SP "(" source-mbox [SP "(" scope-options ")"] ")"
    # source-mbox = filter-mailboxes *(SP filter-mailboxes)   (RFC 7377 4)
    r.sp("ESEARCH")
    sources: list[SearchSource] = []
    if r.data[r.pos : r.pos + 4].upper() == b"IN (":
        r.pos += 3
        r.open_paren("source options")
        while True:
            sources.append(_search_source(r))
            if not r.accept(b" "):
                break
            if r.peek() == 0x28:
                # scope-options: RFC 7377 defines none, so any is unknown.
                raise r.error("unknown ESEARCH scope option")
            r.count("source options")
        r.close_paren("source options")
        r.sp("source options")
    opts, partial = _return_options(r)
    charset, criteria = _search_program(r, charset_required=False)
    return ESearch(
        tag=tag,
        sources=tuple(sources),
        criteria=criteria,
        charset=charset,
        return_options=opts,
        partial=partial,
        uid=uid,
    )


def _search_source(r: CommandReader) -> SearchSource:
    # filter-mailboxes = "selected" / "inboxes" / "personal" / "subscribed" /
    #     ("subtree" / "subtree-one" / "mailboxes") SP one-or-more-mailbox
    # (RFC 5465 6 as RFC 7377 4 amends it: no "selected-delayed")
    start = r.pos
    filt = r.keyword("filter-mailboxes")
    if filt not in _SEARCH_SOURCES:
        raise r.error(f"unknown ESEARCH source {filt}", start)
    mailboxes: list[str] = []
    if filt in ("SUBTREE", "SUBTREE-ONE", "MAILBOXES"):
        r.sp(filt)
        mailboxes = _one_or_more_mailbox(r)
    return SearchSource(filter=filt, mailboxes=tuple(mailboxes))


# -- METADATA (RFC 5464), ACL (RFC 4314) ---------------------------------------------


def _getmetadata(tag: str, r: CommandReader, uid: bool) -> Command:
    # getmetadata = "GETMETADATA" [SP getmetadata-options] SP mailbox SP entries
    # getmetadata-option = "MAXSIZE" SP number / "DEPTH" SP ("0" / "1" / "infinity")
    # RFC 5464's examples put the options after the mailbox, as MailKit does:
    # both orders are accepted.
    r.sp("GETMETADATA")
    maxsize: int | None = None
    depth: str | None = None
    if r.peek() == 0x28:
        maxsize, depth = _metadata_options(r)
        r.sp("GETMETADATA options")
    mailbox = r.mailbox()  # "" is the server itself
    r.sp("mailbox name")
    if _METADATA_OPTION.match(r.data, r.pos):
        maxsize, depth = _metadata_options(r)
        r.sp("GETMETADATA options")
    entries: list[str] = []
    if r.peek() == 0x28:
        # entries = entry / "(" entry *(SP entry) ")"
        r.open_paren("entries")
        entries.append(_entry(r))
        while r.accept(b" "):
            r.count("entries")
            entries.append(_entry(r))
        r.close_paren("entries")
    else:
        entries.append(_entry(r))
        # MailKit sends several bare entries; accept them as a list.
        while r.accept(b" "):
            r.count("entries")
            entries.append(_entry(r))
    return GetMetadata(
        tag=tag, mailbox=mailbox, entries=tuple(entries), maxsize=maxsize, depth=depth
    )


_METADATA_OPTION = re.compile(rb"\((?:MAXSIZE|DEPTH) ", re.IGNORECASE)


def _metadata_options(r: CommandReader) -> tuple[int | None, str | None]:
    maxsize: int | None = None
    depth: str | None = None
    r.open_paren("GETMETADATA options")
    while True:
        start = r.pos
        opt = r.keyword("GETMETADATA option")
        r.sp(opt)
        if opt == "MAXSIZE":
            maxsize = r.number("MAXSIZE")
        elif opt == "DEPTH":
            pos = r.pos
            depth = r.keyword("depth")
            if depth not in ("0", "1", "INFINITY"):
                raise r.expected('depth "0", "1" or "infinity"', pos)
        else:
            raise r.error(f"unknown GETMETADATA option {opt}", start)
        if not r.accept(b" "):
            break
    r.close_paren("GETMETADATA options")
    return maxsize, depth


def _entry(r: CommandReader) -> str:
    return r.text(r.astring("entry name"))


def _setmetadata(tag: str, r: CommandReader, uid: bool) -> Command:
    # setmetadata = "SETMETADATA" SP mailbox SP entry-values
    # entry-values = "(" entry-value *(SP entry-value) ")"; entry-value = entry SP value
    # value = nstring / literal8
    r.sp("SETMETADATA")
    mailbox = r.mailbox()
    r.sp("mailbox name")
    r.open_paren("entry values")
    values: list[tuple[str, bytes | None]] = []
    while True:
        r.count("entry values")
        entry = _entry(r)
        r.sp("entry name")
        value: bytes | None
        if r.data.startswith(b"~{", r.pos):
            value = r.literal("literal8", allow8=True)[0]
        else:
            value = r.nstring("entry value")
        values.append((entry, value))
        if not r.accept(b" "):
            break
    r.close_paren("entry values")
    return SetMetadata(tag=tag, mailbox=mailbox, entries=tuple(values))


def _identifier(r: CommandReader) -> str:
    return r.text(r.astring("identifier"))


def _setacl(tag: str, r: CommandReader, uid: bool) -> Command:
    # setacl = "SETACL" SP mailbox SP identifier SP mod-rights; mod-rights = astring
    r.sp("SETACL")
    mailbox = r.mailbox()
    r.sp("mailbox name")
    identifier = _identifier(r)
    r.sp("identifier")
    pos = r.pos
    rights = r.ascii(r.astring("rights"), "rights", pos)
    mode: Literal["replace", "add", "remove"] = "replace"
    if rights[:1] == "+":
        mode, rights = "add", rights[1:]
    elif rights[:1] == "-":
        mode, rights = "remove", rights[1:]
    return SetAcl(tag=tag, mailbox=mailbox, identifier=identifier, rights=rights, mode=mode)


def _acl_identifier(cls: type[DeleteAcl | ListRights]) -> CommandParser:
    def parse(tag: str, r: CommandReader, uid: bool) -> Command:
        r.sp(cls.name)
        mailbox = r.mailbox()
        r.sp("mailbox name")
        return cls(tag=tag, mailbox=mailbox, identifier=_identifier(r))

    return parse


_COMMAND_NAME = re.compile(rb"[A-Za-z0-9][A-Za-z0-9\-_.]*")


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """What the core knows of one command: the one record that the grammar,
    the state table, the pausing rules and the selected-mailbox view read.

    ``parser(tag, reader, uid)`` reads the arguments with the
    :class:`CommandReader` methods, starting just after the command name,
    and returns a Command; the CRLF at the end is checked afterwards.
    ``states``: where the command is valid (RFC 3501 6.1-6.4).  ``pauses``:
    the engine reads no further input until the app has answered, because
    what follows is read in the state or mode (SASL, IDLE, TLS, UTF-8,
    DEFLATE) that the answer sets.  ``names_messages``: the command names
    messages by number (or ``*``, ``$``), so it is read against the
    numbering the earlier commands leave (RFC 3501 5.5), and it has a
    ``UID`` form (RFC 3501 6.4.8); a set in its ``messages`` field is
    resolved to UIDs by the engine.  ``no_expunge``: while its non-UID form
    is pending no EXPUNGE may go out, because its answers use sequence
    numbers (RFC 3501 7.4.1, RFC 5256 for SORT and THREAD).
    """

    name: str
    parser: CommandParser
    states: frozenset[State]
    pauses: bool = False
    names_messages: bool = False
    no_expunge: bool = False

    def __post_init__(self) -> None:
        if self.name != self.name.upper() or _COMMAND_NAME.fullmatch(self.name.encode()) is None:
            raise ValueError(f"{self.name!r} is not an upper-case command name")


def _table(*specs: CommandSpec) -> Mapping[str, CommandSpec]:
    # Read-only: a table shared by every connection must not grow by accident.
    return MappingProxyType({spec.name: spec for spec in specs})


#: Every command the grammar knows, RFC 3501 6.1-6.4 and the extensions
#: (RFC numbers beside their parsers).  A server that does not implement one
#: (XLIST, ACL, METADATA, NOTIFY) answers it BAD.  ``Config.commands``
#: starts from this table; an application adds its own records there.
COMMANDS: Mapping[str, CommandSpec] = _table(
    CommandSpec("CAPABILITY", _no_args(Capability), ANY_STATE),
    CommandSpec("NOOP", _no_args(Noop), ANY_STATE),
    CommandSpec("LOGOUT", _no_args(Logout), ANY_STATE, pauses=True),
    CommandSpec("ID", _id, ANY_STATE),  # RFC 2971 3.1
    CommandSpec("STARTTLS", _no_args(StartTLS), NOT_LOGGED_IN, pauses=True),
    CommandSpec("LOGIN", _login, NOT_LOGGED_IN, pauses=True),
    CommandSpec("AUTHENTICATE", _authenticate, NOT_LOGGED_IN, pauses=True),
    CommandSpec("ENABLE", _enable, LOGGED_IN, pauses=True),
    CommandSpec("COMPRESS", _compress, LOGGED_IN, pauses=True),
    CommandSpec("SELECT", _select, LOGGED_IN, pauses=True),
    CommandSpec("EXAMINE", _examine, LOGGED_IN, pauses=True),
    CommandSpec("CREATE", _create, LOGGED_IN),
    CommandSpec("DELETE", _mailbox_command(Delete), LOGGED_IN),
    CommandSpec("RENAME", _rename, LOGGED_IN),
    CommandSpec("SUBSCRIBE", _mailbox_command(Subscribe), LOGGED_IN),
    CommandSpec("UNSUBSCRIBE", _mailbox_command(Unsubscribe), LOGGED_IN),
    CommandSpec("LIST", _list, LOGGED_IN),
    CommandSpec("XLIST", _xlist, LOGGED_IN),
    CommandSpec("LSUB", _lsub, LOGGED_IN),
    CommandSpec("NAMESPACE", _no_args(Namespace), LOGGED_IN),
    CommandSpec("STATUS", _status, LOGGED_IN),
    CommandSpec("APPEND", _append, LOGGED_IN),
    CommandSpec("IDLE", _no_args(Idle), LOGGED_IN, pauses=True),
    CommandSpec("GETQUOTA", _getquota, LOGGED_IN),
    CommandSpec("GETQUOTAROOT", _mailbox_command(GetQuotaRoot), LOGGED_IN),
    CommandSpec("SETQUOTA", _setquota, LOGGED_IN),
    CommandSpec("NOTIFY", _notify, LOGGED_IN),
    CommandSpec("GETMETADATA", _getmetadata, LOGGED_IN),
    CommandSpec("SETMETADATA", _setmetadata, LOGGED_IN),
    CommandSpec("SETACL", _setacl, LOGGED_IN),
    CommandSpec("DELETEACL", _acl_identifier(DeleteAcl), LOGGED_IN),
    CommandSpec("LISTRIGHTS", _acl_identifier(ListRights), LOGGED_IN),
    CommandSpec("GETACL", _mailbox_command(GetAcl), LOGGED_IN),
    CommandSpec("MYRIGHTS", _mailbox_command(MyRights), LOGGED_IN),
    CommandSpec("GENURLAUTH", _genurlauth, LOGGED_IN),  # RFC 4467 7
    CommandSpec("RESETKEY", _resetkey, LOGGED_IN),
    CommandSpec("URLFETCH", _urlfetch, LOGGED_IN),  # RFC 5524 4
    CommandSpec("CHECK", _no_args(Check), SELECTED_ONLY),
    CommandSpec("CLOSE", _no_args(Close), SELECTED_ONLY, pauses=True),
    CommandSpec("UNSELECT", _no_args(Unselect), SELECTED_ONLY, pauses=True),
    # RFC 8437 3: valid after login; what follows is read before login again.
    CommandSpec("UNAUTHENTICATE", _no_args(Unauthenticate), LOGGED_IN, pauses=True),
    CommandSpec("EXPUNGE", _expunge, SELECTED_ONLY, names_messages=True),
    CommandSpec("SEARCH", _search, SELECTED_ONLY, names_messages=True, no_expunge=True),
    CommandSpec("SORT", _sort, SELECTED_ONLY, names_messages=True, no_expunge=True),
    CommandSpec("THREAD", _thread, SELECTED_ONLY, names_messages=True, no_expunge=True),
    CommandSpec("FETCH", _fetch, SELECTED_ONLY, names_messages=True, no_expunge=True),
    CommandSpec("STORE", _store, SELECTED_ONLY, names_messages=True, no_expunge=True),
    CommandSpec("COPY", _copy_move(Copy), SELECTED_ONLY, names_messages=True),
    CommandSpec("MOVE", _copy_move(Move), SELECTED_ONLY, names_messages=True),
    # RFC 8508 3.5: selected state only, also the UID form.
    CommandSpec("REPLACE", _replace, SELECTED_ONLY, names_messages=True),
    # RFC 7377 4: command-auth =/ esearch; command-select =/ esearch.  Its
    # criteria may name messages by number ("UID ESEARCH" appears in 2).
    CommandSpec("ESEARCH", _esearch, LOGGED_IN, names_messages=True),
    # RFC 5267 5: command-select =/ "CANCELUPDATE" 1*(SP quoted)
    CommandSpec("CANCELUPDATE", _cancelupdate, SELECTED_ONLY),
)


# tag SP command-name, the start of every command, in one match, with the
# name after "UID SP" in the second group (else in the third).  "UID" not
# followed by SP and a name is the third group's, which says what is wrong.
_HEAD = re.compile(
    b"("
    + _TAG.pattern
    + b") (?:[Uu][Ii][Dd] ("
    + _COMMAND_NAME.pattern
    + b")|("
    + _COMMAND_NAME.pattern
    + b"))"
)


_ITEM = rb"[A-Za-z0-9.\-]++(?:\[[A-Za-z]*+\])?+"
# The commonest command lines whole, in one match (issue 16): a FETCH of
# one range, items that are all name and the CONDSTORE modifiers; a SEARCH
# of flag keys; a command without arguments.  What each group holds is
# checked as the general readers check it (a name that is no item or key,
# a number out of range, a limit) and anything else, or any doubt, goes to
# the general reader, which then decides, and words, every rejection.
# Possessive quantifiers: a line that is not of these shapes fails at once
# instead of trying every shorter word (the general reader pays for it).
# A line of no such shape matches _HEAD's alternatives (the last two
# groups): the general reader starts from there, without a second match.
_LINE = re.compile(
    b"("
    + _TAG.pattern
    + rb"+) (?:(?:((?i:UID) )?+(?:(?i:FETCH) ([1-9][0-9]{0,9}+|\*)(?::([1-9][0-9]{0,9}+|\*))?+ \(("
    + _ITEM
    + b"(?: "
    + _ITEM
    + rb")*+)\)(?: \((?i:CHANGEDSINCE) ([0-9]{1,19}+)( (?i:VANISHED))?+\))?+"
    + rb"|(?i:SEARCH) ([A-Za-z]++(?: [A-Za-z]++)*+))|([A-Za-z]++))\r?\n\Z"
    + b"|[Uu][Ii][Dd] ("
    + _COMMAND_NAME.pattern
    + b")|("
    + _COMMAND_NAME.pattern
    + b"))"
)
#: _LINE's first group of _HEAD's alternatives: a smaller lastindex is a whole line.
_LINE_HEAD = 10
#: What the whole-line FETCH and SEARCH made of an item or key list, by
#: its bytes as sent: a client sends the same few lists again and again.
#: The values are frozen, so commands share them; at most _REMEMBERED lists
#: of each, of at most _REMEMBERED_LENGTH bytes, are kept, whatever the
#: clients send (the cache is the process's, so its size must not be theirs).
_FETCH_LISTS: dict[bytes, tuple[FetchItem, ...]] = {}
_SEARCH_LISTS: dict[bytes, SearchAnd] = {}
_REMEMBERED = 256
_REMEMBERED_LENGTH = 256


def _whole_line(
    m: re.Match[bytes],
    commands: Mapping[str, CommandSpec],
    *,
    max_depth: int,
    max_search_depth: int,
    max_items: int,
    max_ranges: int,
) -> Command | None:
    """The command on a line that _LINE matched whole, made at once; None
    for the general reader (which would read the same command or raise)."""
    tag, uid_word, first, second, names, modseq, vanished, keys, bare = m.groups()[:9]
    if bare is not None:
        name = bare.decode("ascii").upper()
        # commands[...] costs a third of a mapping proxy's get (issue 16).
        try:
            spec = commands[name]
        except KeyError:
            spec = None
        cls = None if spec is None else _NO_ARGS.get(spec.parser)
        if cls is None or cls.name != name:
            return None
        return cls(tag=tag.decode("ascii"))
    uid = uid_word is not None
    if keys is not None:
        try:
            spec = commands["SEARCH"]
        except KeyError:
            spec = None
        if spec is None or spec.parser is not _search or max_search_depth < 0:
            return None
        if uid and not spec.names_messages:
            return None
        criteria = _SEARCH_LISTS.get(keys)
        if criteria is None:
            found = []
            for word in keys.decode("ascii").upper().split(" "):
                key = _SEARCH_FLAG_KEYS.get(word)
                if key is None:
                    return None
                found.append(key)
            criteria = SearchAnd(keys=tuple(found))
            if len(_SEARCH_LISTS) < _REMEMBERED and len(keys) <= _REMEMBERED_LENGTH:
                _SEARCH_LISTS[keys] = criteria
        if len(criteria.keys) > max_items:
            return None
        return _make_search(tag.decode("ascii"), criteria, None, None, None, uid)
    try:
        spec = commands["FETCH"]
    except KeyError:
        spec = None
    if spec is None or spec.parser is not _fetch or max_depth < 1 or max_ranges < 1:
        return None
    if uid and not spec.names_messages:
        return None
    low, high = _range_of(first, second)
    if low > MAX_NUMBER or high > MAX_NUMBER:
        return None
    items = _FETCH_LISTS.get(names)
    if items is None:
        known = _FETCH_ITEMS.get
        listed = []
        for name in names.upper().split(b" "):
            item = known(name)
            if item is None:
                return None
            listed.append(item)
        items = tuple(listed)
        if len(_FETCH_LISTS) < _REMEMBERED and len(names) <= _REMEMBERED_LENGTH:
            _FETCH_LISTS[names] = items
    if len(items) > max_items:
        return None
    changedsince = None
    if modseq is not None:
        changedsince = int(modseq)
        if changedsince > MAX_MODSEQ:
            return None
    return _make_fetch(
        tag.decode("ascii"),
        (
            _checked(UidSet, ((low, high),), False)
            if uid
            else _checked(SequenceSet, ((low, high),), False)
        ),
        items,
        None,
        changedsince,
        vanished is not None,
        None,
        uid,
    )


_new_reader = object.__new__


def _diagnose_head(r: CommandReader) -> NoReturn:
    """Say what is wrong at the start of a command (the slow path)."""
    m = _TAG.match(r.data)
    if m is None:
        raise r.expected("tag")
    r.tag = m.group().decode("ascii")
    r.pos = m.end()
    r.sp("tag")
    raise r.expected("command name")


def parse_command(
    data: bytes,
    *,
    utf8: bool = False,
    commands: Mapping[str, CommandSpec] = COMMANDS,
    max_depth: int = 16,
    max_search_depth: int = MAX_SEARCH_NESTING,
    max_items: int = 10_000,
    max_ranges: int = 100_000,
) -> Command:
    """Parse one complete command (``tag SP name [args] CRLF``, literals inline).

    ``utf8`` is True once the client enabled UTF8=ACCEPT (RFC 6855).
    ``commands``: the command table (``Config.commands``, with what the
    application added); a name not in it is ``unknown command``.
    ``max_depth`` bounds parenthesis nesting, ``max_search_depth`` the
    nesting of SEARCH keys (parentheses, NOT, OR); ``max_items`` and
    ``max_ranges`` the list items and sequence-set ranges of the whole
    command (``Limits.max_list_items``, ``Limits.max_set_ranges``).
    Raises :class:`ParseError` and nothing else.
    """
    m = _LINE.match(data)
    if m is not None and m.lastindex < _LINE_HEAD:  # type: ignore[operator]  # a group matched
        command = _whole_line(
            m,
            commands,
            max_depth=max_depth,
            max_search_depth=max_search_depth,
            max_items=max_items,
            max_ranges=max_ranges,
        )
        if command is not None:
            return command
        m = None
    # CommandReader.__init__'s assignments without its call (which costs
    # as much again, for every command the general reader reads).
    r = _new_reader(CommandReader)
    r.data = data
    r.pos = 0
    r.utf8 = utf8
    r.max_depth = max_depth
    r.max_search_depth = max_search_depth
    r.max_items = max_items
    r.items = 0
    r.max_ranges = max_ranges
    r.ranges = 0
    r.tag = None
    r.depth = 0
    r.invalid_names = ()
    try:
        if m is None:
            m = _HEAD.match(data)
            if m is None:
                _diagnose_head(r)
            tag, uid_name, plain_name = m.groups()
        else:
            tag = m.group(1)
            uid_name, plain_name = m.group(_LINE_HEAD, _LINE_HEAD + 1)
        r.tag = tag.decode("ascii")
        name_end = r.pos = m.end()
        if uid_name is None:
            start = len(tag) + 1
            name = plain_name.upper().decode("ascii")
            uid = False
        else:
            start = m.end() - len(uid_name)
            name = uid_name.upper().decode("ascii")
            uid = True
        if name == "UID" and not uid:
            r.sp("UID")
            start = r.pos
            m = _COMMAND_NAME.match(data, start)
            if m is None:
                raise r.expected("command name after UID")
            name_end = r.pos = m.end()
            name = m.group().upper().decode("ascii")
            uid = True
        try:
            spec = commands[name]
        except KeyError:
            spec = None
        if spec is None:
            raise r.error(f"unknown command {name}", start)
        if uid and not spec.names_messages:
            raise r.error(f"UID {name} is not a UID command", start)
        parser = spec.parser
        command = parser(r.tag, r, uid)
        if command.name != name:
            # The engine looks the command up again by its event's name.
            raise r.error(f"the {name} parser returned a {command.name} command", start)
        end = data[r.pos :]
        if end not in {b"\r\n", b"\n"}:  # _CRLF, without a match
            raise r.expected(
                f"CRLF after {name} arguments" if r.pos > name_end else f"CRLF after {name}"
            )
        if r.invalid_names:
            command = _frozen.replace(command, invalid_names=r.invalid_names)
        return command
    except ParseError:
        raise
    except RecursionError:
        raise r.error("nesting too deep") from None
    except Exception as exc:  # the contract: nothing but ParseError escapes
        raise r.error(f"invalid command ({type(exc).__name__})") from None
