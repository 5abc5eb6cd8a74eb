"""A strict parser for server responses, used only by the tests.

It reads exactly one response (its CRLF and any literals included) into the
typed values of :mod:`imap_sansio._responses`, following the ABNF of RFC 9051
section 9 (and RFC 3501, 4315, 4731, 5256, 5258, 7162, 8474, 8970, 9208,
2971, 2342, 3516) and rejecting everything the ABNF does not allow, or that
the typed values cannot hold.  Keywords are case-insensitive as in the RFC.

It is deliberately independent of the encoder: it shares no code with it, so
that a round trip (encode, then parse) really checks the encoder.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re

from imap_sansio._bodystructure import (
    Address,
    BodyExtension,
    BodyFields,
    BodyStructure,
    Disposition,
    Envelope,
    MultiPart,
    Params,
    SinglePart,
)
from imap_sansio._commands import Section
from imap_sansio._mutf7 import decode_mutf7
from imap_sansio._responses import (
    AclData,
    AppendUidCode,
    AtomCode,
    BadCharsetCode,
    BinarySectionItem,
    BinarySizeItem,
    BodyItem,
    BodySectionItem,
    BodyStructureItem,
    CapabilityCode,
    CapabilityData,
    ContinuationRequest,
    CopyUidCode,
    EmailIdItem,
    EnabledData,
    EnvelopeItem,
    ESearchData,
    ExistsData,
    ExpungeData,
    FetchData,
    FetchDataItem,
    FlagsData,
    FlagsItem,
    GenUrlAuthData,
    HighestModSeqCode,
    IdData,
    InProgressCode,
    InternalDateItem,
    ListData,
    ListRightsData,
    LsubData,
    MailboxIdCode,
    MetadataData,
    ModifiedCode,
    ModSeqItem,
    MyRightsData,
    Namespace,
    NamespaceData,
    OtherCode,
    PermanentFlagsCode,
    PreviewItem,
    QuotaData,
    QuotaResource,
    QuotaRootData,
    RecentData,
    Response,
    ResponseCode,
    Rfc822HeaderItem,
    Rfc822Item,
    Rfc822SizeItem,
    Rfc822TextItem,
    SaveDateItem,
    SearchData,
    SortData,
    Status,
    StatusData,
    StatusResponse,
    Thread,
    ThreadData,
    ThreadIdItem,
    UidFetchData,
    UidItem,
    UidNextCode,
    UidValidityCode,
    UnseenCode,
    UrlFetchData,
    UrlFetchItem,
    VanishedData,
)
from imap_sansio._sequence import SequenceSet, UidSet

__all__ = ["ResponseParseError", "parse_response", "parse_response_prefix"]


class ResponseParseError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at byte {offset}")
        self.message = message
        self.offset = offset


# ATOM-CHAR = <any CHAR except atom-specials>
_ATOM = re.compile(rb"[^(){ \x00-\x1f\x7f%*\"\\\]\x80-\xff]+")
# ASTRING-CHAR = ATOM-CHAR / resp-specials
_ASTRING_ATOM = re.compile(rb"[^(){ \x00-\x1f\x7f%*\"\\\x80-\xff]+")
# tag = 1*<any ASTRING-CHAR except "+">
_TAG = re.compile(rb"[^(){ \x00-\x1f\x7f%*\"\\+\x80-\xff]+")
_NUMBER = re.compile(rb"[0-9]+")
# flag = "\" atom / atom (the system flags are "\" atom too); flag-perm adds "\*"
_FLAG = re.compile(rb"\\?[^(){ \x00-\x1f\x7f%*\"\\\]\x80-\xff]+")
_TEXT = re.compile(rb"[^\x00\r\n]*")
_CODE_TEXT = re.compile(rb"[^\x00\r\n\]]+")
_OBJECTID = re.compile(rb"[A-Za-z0-9_-]{1,255}")
_BASE64 = re.compile(rb"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_QUOTED_BODY = re.compile(rb'(?:[^\x00\r\n"\\]|\\["\\])*')
_QUOTED_BODY_ASCII = re.compile(rb'(?:[\x01-\x09\x0b\x0c\x0e-\x21\x23-\x5b\x5d-\x7f]|\\["\\])*')
_DATE_TIME = re.compile(
    rb'"([ 0-9][0-9])-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-([0-9]{4}) '
    rb'([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"'
)
_MONTHS = {
    m: i for i, m in enumerate(b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)
}

_MAX_NZ = 2**32 - 1
_MAX_64 = 2**63 - 1


class _Parser:
    def __init__(self, data: bytes, utf8: bool, prefix: bool = False) -> None:
        self.data = data
        self.pos = 0
        self.utf8 = utf8
        self.prefix = prefix

    # -- primitives ---------------------------------------------------------

    def fail(self, message: str) -> ResponseParseError:
        return ResponseParseError(message, self.pos)

    def peek(self, n: int = 1) -> bytes:
        return self.data[self.pos : self.pos + n]

    def at(self, literal: bytes) -> bool:
        return self.data[self.pos : self.pos + len(literal)].upper() == literal

    def take(self, literal: bytes) -> bool:
        if self.at(literal):
            self.pos += len(literal)
            return True
        return False

    def expect(self, literal: bytes) -> None:
        if not self.take(literal):
            raise self.fail(f"expected {literal!r}")

    def sp(self) -> None:
        self.expect(b" ")

    def match(self, pattern: re.Pattern[bytes], what: str) -> bytes:
        m = pattern.match(self.data, self.pos)
        if m is None or (m.end() == self.pos and what != "text"):
            raise self.fail(f"expected {what}")
        self.pos = m.end()
        return m.group(0)

    def number(self, low: int = 0, high: int = _MAX_NZ) -> int:
        digits = self.match(_NUMBER, "number")
        value = int(digits)
        if not low <= value <= high:
            raise ResponseParseError(f"number {value} out of range", self.pos)
        return value

    def nz_number(self) -> int:
        return self.number(1)

    def atom(self) -> bytes:
        return self.match(_ATOM, "atom")

    def atom_str(self) -> str:
        return self.atom().decode("ascii")

    def quoted(self) -> bytes:
        self.expect(b'"')
        body = self.match(_QUOTED_BODY if self.utf8 else _QUOTED_BODY_ASCII, "text")
        self.expect(b'"')
        if self.utf8 and not body.isascii():
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("quoted string is not UTF-8") from None
        return re.sub(rb"\\([\"\\])", rb"\1", body)

    def literal(self, *, allow_nul: bool = False) -> bytes:
        self.expect(b"{")
        size = self.number(0, _MAX_64)
        # a server never sends a non-synchronising "{n+}" literal
        self.expect(b"}\r\n")
        end = self.pos + size
        if end > len(self.data):
            raise self.fail("literal runs past the end")
        value = self.data[self.pos : end]
        if not allow_nul and b"\x00" in value:
            raise self.fail("NUL in a literal (CHAR8 excludes it)")
        self.pos = end
        return value

    def string(self) -> bytes:
        if self.peek() == b'"':
            return self.quoted()
        if self.peek() == b"{":
            return self.literal()
        raise self.fail("expected a string")

    def nstring(self) -> bytes | None:
        if self.take(b"NIL"):
            return None
        return self.string()

    def astring(self) -> bytes:
        if self.peek() in (b'"', b"{"):
            return self.string()
        return self.match(_ASTRING_ATOM, "astring")

    def mailbox(self) -> str:
        raw = self.astring()
        if self.utf8:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("mailbox name is not UTF-8") from None
        try:
            return decode_mutf7(raw)
        except ValueError as exc:
            raise self.fail(f"invalid modified UTF-7: {exc}") from None

    def utf8_text(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("text is not UTF-8") from None

    def crlf(self) -> None:
        self.expect(b"\r\n")
        if self.pos != len(self.data) and not self.prefix:
            raise self.fail("bytes after the response")

    def number_set(self, kind: type[SequenceSet] | type[UidSet]) -> SequenceSet | UidSet:
        # sequence-set / uid-set without "*": the server names real numbers
        ranges: list[tuple[int, int] | int] = []
        while True:
            low = self.nz_number()
            if self.take(b":"):
                ranges.append((low, self.nz_number()))
            else:
                ranges.append(low)
            if not self.take(b","):
                break
        return kind.from_ranges(*ranges)

    def uid_set(self) -> UidSet:
        value = self.number_set(UidSet)
        assert isinstance(value, UidSet)
        return value

    def seq_set(self) -> SequenceSet:
        value = self.number_set(SequenceSet)
        assert isinstance(value, SequenceSet)
        return value

    def flag_list(self, *, perm: bool = False) -> tuple[str, ...]:
        self.expect(b"(")
        flags: list[str] = []
        while not self.take(b")"):
            if flags:
                self.sp()
            if perm and self.take(b"\\*"):
                flags.append("\\*")
            else:
                flags.append(self.match(_FLAG, "flag").decode("ascii"))
        return tuple(flags)

    def datetime(self) -> datetime.datetime:
        m = _DATE_TIME.match(self.data, self.pos)
        if m is None:
            raise self.fail("expected date-time")
        self.pos = m.end()
        day, month, year, hh, mm, ss, sign, zh, zm = m.groups()
        minutes = int(zh) * 60 + int(zm)
        zone = datetime.timezone(datetime.timedelta(minutes=-minutes if sign == b"-" else minutes))
        try:
            return datetime.datetime(
                int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss), tzinfo=zone
            )
        except ValueError as exc:
            raise self.fail(f"invalid date-time: {exc}") from None

    # -- responses ----------------------------------------------------------

    def response(self) -> Response:
        if self.take(b"+"):
            return self.continuation()
        if self.take(b"* "):
            return self.untagged()
        tag = self.match(_TAG, "tag").decode("ascii")
        self.sp()
        for status in (Status.OK, Status.NO, Status.BAD):
            if self.take(status.value.encode()):
                self.sp()
                return self.status_response(status, tag)
        raise self.fail("expected OK, NO or BAD")

    def continuation(self) -> ContinuationRequest:
        self.sp()
        if self.peek() == b"[":
            raise self.fail("a continuation request with a response code")
        line = self.match(_TEXT, "text")
        self.crlf()
        if line and _BASE64.fullmatch(line):
            # continue-req = "+" SP (resp-text / base64): base64 when it can be base64
            try:
                return ContinuationRequest(data=base64.b64decode(line, validate=True))
            except binascii.Error:
                pass
        return ContinuationRequest(text=self.utf8_text(line))

    def status_response(self, status: Status, tag: str | None) -> StatusResponse:
        code: ResponseCode | None = None
        if self.take(b"["):
            code = self.response_code()
            self.expect(b"]")
            self.sp()  # RFC 9051: "[" resp-text-code "]" SP
        text = self.utf8_text(self.match(_TEXT, "text"))
        self.crlf()
        try:
            return StatusResponse(status=status, text=text, tag=tag, code=code)
        except ValueError as exc:
            raise self.fail(str(exc)) from None

    def response_code(self) -> ResponseCode:
        name = self.atom_str().upper()
        if name == "CAPABILITY":
            caps: list[str] = []
            while self.take(b" "):
                caps.append(self.atom_str())
            return CapabilityCode(capabilities=tuple(caps))
        if name == "BADCHARSET":
            charsets: list[str] = []
            if self.take(b" ("):
                charsets.append(self.charset())
                while self.take(b" "):
                    charsets.append(self.charset())
                self.expect(b")")
            return BadCharsetCode(charsets=tuple(charsets))
        if name == "PERMANENTFLAGS":
            self.sp()
            return PermanentFlagsCode(flags=self.flag_list(perm=True))
        if name == "UIDNEXT":
            self.sp()
            return UidNextCode(uid=self.nz_number())
        if name == "UIDVALIDITY":
            self.sp()
            return UidValidityCode(uidvalidity=self.nz_number())
        if name == "UNSEEN":
            self.sp()
            return UnseenCode(number=self.nz_number())
        if name == "APPENDUID":
            self.sp()
            validity = self.nz_number()
            self.sp()
            return AppendUidCode(uidvalidity=validity, uids=self.uid_set())
        if name == "COPYUID":
            self.sp()
            validity = self.nz_number()
            self.sp()
            source = self.uid_set()
            self.sp()
            return CopyUidCode(uidvalidity=validity, source=source, destination=self.uid_set())
        if name == "HIGHESTMODSEQ":
            self.sp()
            return HighestModSeqCode(modseq=self.number(1, _MAX_64))
        if name == "MODIFIED":
            self.sp()
            return ModifiedCode(numbers=self.seq_set())
        if name == "INPROGRESS":
            # RFC 9585 3: ["(" progress-tag SP progress-state SP progress-goal ")"]
            if not self.take(b" ("):
                return InProgressCode()
            tag = None if self.take(b"NIL") else self.quoted().decode("ascii")
            self.sp()
            done = None if self.take(b"NIL") else self.number()
            self.sp()
            total = None if self.take(b"NIL") else self.nz_number()
            self.expect(b")")
            try:
                return InProgressCode(tag=tag, done=done, total=total)
            except ValueError as exc:
                raise self.fail(str(exc)) from None
        if name == "MAILBOXID":
            self.expect(b" (")
            value = self.match(_OBJECTID, "objectid").decode("ascii")
            self.expect(b")")
            return MailboxIdCode(mailbox_id=value)
        if self.take(b" "):
            text = self.match(_CODE_TEXT, "code text")
            try:
                return OtherCode(name=name, text=self.utf8_text(text))
            except ValueError as exc:
                raise self.fail(str(exc)) from None
        return AtomCode(name=name)

    def charset(self) -> str:
        # charset = atom / quoted
        if self.peek() == b'"':
            return self.quoted().decode("ascii")
        return self.atom_str()

    def untagged(self) -> Response:
        if self.peek().isdigit():
            number = self.number()
            self.sp()
            if self.take(b"EXISTS"):
                self.crlf()
                return ExistsData(count=number)
            if self.take(b"RECENT"):
                self.crlf()
                return RecentData(count=number)
            if number == 0:
                raise self.fail("message number 0")
            if self.take(b"EXPUNGE"):
                self.crlf()
                return ExpungeData(number=number)
            if self.take(b"FETCH "):
                return self.fetch(number)
            if self.take(b"UIDFETCH "):  # RFC 9586 3.3: the number is a UID
                fetched = self.fetch(number)
                return UidFetchData(uid=number, items=fetched.items)
            raise self.fail("expected EXISTS, RECENT, EXPUNGE, FETCH or UIDFETCH")
        for status in Status:
            if self.take(status.value.encode() + b" "):
                return self.status_response(status, None)
        keyword = self.atom().upper()
        handler = getattr(self, "data_" + keyword.decode("ascii").replace(".", "_"), None)
        if handler is None:
            raise self.fail(f"unknown response {keyword!r}")
        result: Response = handler()
        self.crlf()
        return result

    def data_CAPABILITY(self) -> CapabilityData:
        caps: list[str] = []
        while self.take(b" "):
            caps.append(self.atom_str())
        return CapabilityData(capabilities=tuple(caps))

    def data_ENABLED(self) -> EnabledData:
        caps: list[str] = []
        while self.take(b" "):
            caps.append(self.atom_str())
        return EnabledData(capabilities=tuple(caps))

    def mailbox_list(self) -> tuple[tuple[str, ...], str | None, str]:
        self.sp()
        self.expect(b"(")
        attributes: list[str] = []
        while not self.take(b")"):
            if attributes:
                self.sp()
            self.expect(b"\\")
            attributes.append("\\" + self.atom_str())
        self.sp()
        delimiter: str | None = None
        if not self.take(b"NIL"):
            raw = self.quoted()
            if len(raw) != 1:
                raise self.fail("a delimiter is one character")
            delimiter = raw.decode("ascii")
        self.sp()
        return tuple(attributes), delimiter, self.mailbox()

    def data_LIST(self) -> ListData:
        attributes, delimiter, mailbox = self.mailbox_list()
        childinfo: tuple[str, ...] | None = None
        old_name: str | None = None
        if self.take(b" ("):
            first = True
            while not self.take(b")"):
                if not first:
                    self.sp()
                first = False
                tag = self.astring().upper()
                self.sp()
                if tag == b"CHILDINFO" and childinfo is None:
                    self.expect(b"(")
                    items = [self.string().decode("ascii")]
                    while self.take(b" "):
                        items.append(self.string().decode("ascii"))
                    self.expect(b")")
                    childinfo = tuple(items)
                elif tag == b"OLDNAME" and old_name is None:
                    self.expect(b"(")
                    old_name = self.mailbox()
                    self.expect(b")")
                else:
                    raise self.fail(f"unsupported LIST extended item {tag!r}")
        return ListData(
            attributes=attributes,
            delimiter=delimiter,
            mailbox=mailbox,
            childinfo=childinfo,
            old_name=old_name,
        )

    def data_LSUB(self) -> LsubData:
        attributes, delimiter, mailbox = self.mailbox_list()
        return LsubData(attributes=attributes, delimiter=delimiter, mailbox=mailbox)

    def namespaces(self) -> tuple[Namespace, ...] | None:
        if self.take(b"NIL"):
            return None
        self.expect(b"(")
        group: list[Namespace] = []
        while self.take(b"("):
            raw = self.string()
            prefix = self.utf8_text(raw) if self.utf8 else decode_mutf7(raw)
            self.sp()
            delimiter: str | None = None
            if not self.take(b"NIL"):
                char = self.quoted()
                if len(char) != 1:
                    raise self.fail("a delimiter is one character")
                delimiter = char.decode("ascii")
            extensions: list[tuple[str, tuple[str, ...]]] = []
            while self.take(b" "):
                name = self.utf8_text(self.string())
                self.expect(b" (")
                values = [self.utf8_text(self.string())]
                while self.take(b" "):
                    values.append(self.utf8_text(self.string()))
                self.expect(b")")
                extensions.append((name, tuple(values)))
            self.expect(b")")
            group.append(
                Namespace(prefix=prefix, delimiter=delimiter, extensions=tuple(extensions))
            )
        if not group:
            raise self.fail("an empty namespace list")
        self.expect(b")")
        return tuple(group)

    def data_NAMESPACE(self) -> NamespaceData:
        self.sp()
        personal = self.namespaces()
        self.sp()
        other = self.namespaces()
        self.sp()
        shared = self.namespaces()
        return NamespaceData(personal=personal, other=other, shared=shared)

    def data_STATUS(self) -> StatusData:
        self.sp()
        mailbox = self.mailbox()
        self.expect(b" (")
        values: dict[str, int | str | None] = {}
        while not self.take(b")"):
            if values:
                self.sp()
            name = self.atom_str().upper()
            self.sp()
            key = name.lower().replace("-", "_").replace("mailboxid", "mailbox_id")
            if key in values or key not in _STATUS_ITEMS:
                raise self.fail(f"unknown or repeated STATUS item {name}")
            if name == "MAILBOXID":
                self.expect(b"(")
                values[key] = self.match(_OBJECTID, "objectid").decode("ascii")
                self.expect(b")")
            elif name == "APPENDLIMIT" and self.take(b"NIL"):
                values[key] = StatusData.NO_LIMIT
            else:
                values[key] = self.number(0, _MAX_64)
        return StatusData(mailbox=mailbox, **values)  # type: ignore[arg-type]

    def numbers_and_modseq(self) -> tuple[tuple[int, ...], int | None]:
        numbers: list[int] = []
        modseq: int | None = None
        while self.take(b" "):
            if self.take(b"(MODSEQ "):
                modseq = self.number(1, _MAX_64)
                self.expect(b")")
                break
            numbers.append(self.nz_number())
        return tuple(numbers), modseq

    def data_SEARCH(self) -> SearchData:
        numbers, modseq = self.numbers_and_modseq()
        return SearchData(numbers=numbers, modseq=modseq)

    def data_SORT(self) -> SortData:
        numbers, modseq = self.numbers_and_modseq()
        return SortData(numbers=numbers, modseq=modseq)

    def data_ESEARCH(self) -> ESearchData:
        tag: str | None = None
        mailbox: str | None = None
        uidvalidity: int | None = None
        uid = False
        if self.take(b" ("):
            # search-correlator: TAG (RFC 4731), MAILBOX and UIDVALIDITY (RFC 7377 4),
            # each at most once
            seen: set[bytes] = set()
            while True:
                name = self.atom().upper()
                if name in seen:
                    raise self.fail(f"repeated correlator {name!r}")
                seen.add(name)
                self.sp()
                if name == b"TAG":
                    tag = self.astring().decode("ascii")
                elif name == b"MAILBOX":
                    mailbox = self.mailbox()
                elif name == b"UIDVALIDITY":
                    uidvalidity = self.nz_number()
                else:
                    raise self.fail(f"unknown correlator {name!r}")
                if not self.take(b" "):
                    break
            self.expect(b")")
        if self.at(b" UID") and self.peek(5)[4:] in (b"", b" ", b"\r"):
            self.pos += 4
            uid = True
        values: dict[str, object] = {}
        while self.take(b" "):
            name = self.atom_str().upper()
            self.sp()
            if name.lower() in values:
                raise self.fail(f"repeated ESEARCH item {name}")
            if name in ("MIN", "MAX"):
                values[name.lower()] = self.nz_number()
            elif name == "COUNT":
                values["count"] = self.number()
            elif name == "ALL":
                values["all"] = self.uid_set() if uid else self.seq_set()
            elif name == "MODSEQ":
                values["modseq"] = self.number(1, _MAX_64)
            elif name == "PARTIAL":
                # ret-data-partial = "PARTIAL" SP "(" partial-range SP partial-results ")"
                # partial-results = sequence-set / "NIL"   (RFC 9394 4)
                self.expect(b"(")
                low_negative = self.take(b"-")
                low = self.nz_number()
                self.expect(b":")
                high_negative = self.take(b"-")
                high = self.nz_number()
                if low_negative != high_negative:
                    raise self.fail("PARTIAL range mixes signs")
                sign = -1 if low_negative else 1
                values["partial_range"] = (sign * low, sign * high)
                self.sp()
                if not self.take(b"NIL"):
                    values["partial"] = self.uid_set() if uid else self.seq_set()
                self.expect(b")")
            else:
                raise self.fail(f"unsupported ESEARCH item {name}")
        try:
            return ESearchData(
                tag=tag,
                mailbox=mailbox,
                uidvalidity=uidvalidity,
                uid=uid,
                **values,  # type: ignore[arg-type]
            )
        except ValueError as exc:
            raise self.fail(str(exc)) from None

    def thread_list(self) -> Thread:
        self.expect(b"(")
        members: list[int] = []
        children: list[Thread] = []
        if self.peek() != b"(":
            members.append(self.nz_number())
            while self.take(b" "):
                if self.peek() == b"(":
                    break
                members.append(self.nz_number())
        while self.peek() == b"(":
            children.append(self.thread_list())
        if len(children) == 1:
            raise self.fail("thread-nested needs two thread lists")
        self.expect(b")")
        return Thread(members=tuple(members), children=tuple(children))

    def data_THREAD(self) -> ThreadData:
        threads: list[Thread] = []
        if self.take(b" "):
            threads.append(self.thread_list())
            while self.peek() == b"(":
                threads.append(self.thread_list())
        return ThreadData(threads=tuple(threads))

    def data_FLAGS(self) -> FlagsData:
        self.sp()
        return FlagsData(flags=self.flag_list())

    def data_VANISHED(self) -> VanishedData:
        self.sp()
        earlier = self.take(b"(EARLIER) ")
        return VanishedData(uids=self.uid_set(), earlier=earlier)

    def data_ID(self) -> IdData:
        self.sp()
        if self.take(b"NIL"):
            return IdData(params=None)
        self.expect(b"(")
        params: list[tuple[str, str | None]] = []
        while not self.take(b")"):
            if params:
                self.sp()
            key = self.utf8_text(self.string())
            self.sp()
            value = self.nstring()
            params.append((key, None if value is None else self.utf8_text(value)))
        if not params:
            raise self.fail("empty ID list (written NIL)")
        return IdData(params=tuple(params))

    def data_QUOTA(self) -> QuotaData:
        self.sp()
        root = self.utf8_text(self.astring())
        self.expect(b" (")
        resources: list[QuotaResource] = []
        while True:
            name = self.atom_str()
            self.sp()
            usage = self.number(0, _MAX_64)
            self.sp()
            limit = self.number(0, _MAX_64)
            resources.append(QuotaResource(name=name, usage=usage, limit=limit))
            if not self.take(b" "):
                break
        self.expect(b")")
        return QuotaData(root=root, resources=tuple(resources))

    def rights(self) -> str:
        # rights = astring of lower-case ASCII letters and digits (RFC 4314 7)
        raw = self.astring()
        if re.fullmatch(rb"[a-z0-9]*", raw) is None:
            raise self.fail("rights are lower-case letters and digits")
        return raw.decode("ascii")

    def data_ACL(self) -> AclData:
        self.sp()
        mailbox = self.mailbox()
        entries: list[tuple[str, str]] = []
        while self.take(b" "):
            identifier = self.utf8_text(self.astring())
            self.sp()
            entries.append((identifier, self.rights()))
        return AclData(mailbox=mailbox, entries=tuple(entries))

    def data_LISTRIGHTS(self) -> ListRightsData:
        self.sp()
        mailbox = self.mailbox()
        self.sp()
        identifier = self.utf8_text(self.astring())
        self.sp()
        required = self.rights()
        optional: list[str] = []
        while self.take(b" "):
            optional.append(self.rights())
        return ListRightsData(
            mailbox=mailbox, identifier=identifier, required=required, optional=tuple(optional)
        )

    def data_MYRIGHTS(self) -> MyRightsData:
        self.sp()
        mailbox = self.mailbox()
        self.sp()
        return MyRightsData(mailbox=mailbox, rights=self.rights())

    def data_QUOTAROOT(self) -> QuotaRootData:
        self.sp()
        mailbox = self.mailbox()
        roots: list[str] = []
        while self.take(b" "):
            roots.append(self.utf8_text(self.astring()))
        return QuotaRootData(mailbox=mailbox, roots=tuple(roots))

    def data_GENURLAUTH(self) -> GenUrlAuthData:
        # genurlauth-data = "*" SP "GENURLAUTH" 1*(SP url-full)   (RFC 4467 9)
        urls: list[str] = []
        while self.take(b" "):
            urls.append(self.astring().decode("ascii"))
        return GenUrlAuthData(urls=tuple(urls))

    def data_URLFETCH(self) -> UrlFetchData:
        # urlfetch-data = "*" SP "URLFETCH" SP url-full SP nstring (RFC 4467 9),
        # or the url-full followed by "(" item SP value ")"s (RFC 5524 4)
        self.sp()
        url = self.astring().decode("ascii")
        if not self.take(b" "):
            return UrlFetchData(url=url, items=())
        if self.peek() != b"(":
            return UrlFetchData(url=url, data=self.nstring())
        items: list[UrlFetchItem] = []
        while True:
            self.expect(b"(")
            if self.take(b"BODYPARTSTRUCTURE "):
                items.append(UrlFetchItem(name="BODYPARTSTRUCTURE", structure=self.body()))
            elif self.take(b"BINARY "):
                data = self.literal(allow_nul=True) if self.take(b"~") else self.nstring()
                items.append(UrlFetchItem(name="BINARY", data=data))
            else:
                self.expect(b"BODY ")
                items.append(UrlFetchItem(name="BODY", data=self.nstring()))
            self.expect(b")")
            if not self.take(b" "):
                break
        return UrlFetchData(url=url, items=tuple(items))

    def data_METADATA(self) -> MetadataData:
        # metadata-resp = "METADATA" SP mailbox SP (entry-values / entry-list)
        # entry = astring; value = nstring / literal8   (RFC 5464 5)
        self.sp()
        mailbox = self.mailbox()
        self.sp()
        try:
            if not self.take(b"("):
                names = [self.astring().decode("ascii")]
                while self.take(b" "):
                    names.append(self.astring().decode("ascii"))
                return MetadataData(mailbox=mailbox, names=tuple(names))
            entries: list[tuple[str, bytes | None]] = []
            while True:
                name = self.astring().decode("ascii")
                self.sp()
                # literal8 = "~{" number "}" CRLF *OCTET
                value = self.literal(allow_nul=True) if self.take(b"~") else self.nstring()
                entries.append((name, value))
                if not self.take(b" "):
                    break
            self.expect(b")")
            return MetadataData(mailbox=mailbox, entries=tuple(entries))
        except (ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, ResponseParseError):
                raise
            raise self.fail(str(exc)) from None

    # -- FETCH --------------------------------------------------------------

    def fetch(self, number: int) -> FetchData:
        self.expect(b"(")
        items: list[FetchDataItem] = []
        while True:
            items.append(self.fetch_item())
            if not self.take(b" "):
                break
        self.expect(b")")
        self.crlf()
        return FetchData(number=number, items=tuple(items))

    def fetch_item(self) -> FetchDataItem:
        if self.take(b"FLAGS "):
            return FlagsItem(flags=self.flag_list())
        if self.take(b"UID "):
            return UidItem(uid=self.nz_number())
        if self.take(b"INTERNALDATE "):
            return InternalDateItem(date=self.datetime())
        if self.take(b"RFC822.SIZE "):
            return Rfc822SizeItem(size=self.number(0, _MAX_64))
        if self.take(b"RFC822.HEADER "):
            return Rfc822HeaderItem(data=self.nstring())
        if self.take(b"RFC822.TEXT "):
            return Rfc822TextItem(data=self.nstring())
        if self.take(b"RFC822 "):
            return Rfc822Item(data=self.nstring())
        if self.take(b"ENVELOPE "):
            return EnvelopeItem(envelope=self.envelope())
        if self.take(b"BODYSTRUCTURE "):
            return BodyStructureItem(structure=self.body())
        if self.take(b"BODY "):
            return BodyItem(structure=self.body())
        if self.take(b"BODY["):
            section = self.section()
            origin = self.origin()
            self.sp()
            return BodySectionItem(section=section, data=self.nstring(), origin=origin)
        if self.take(b"BINARY.SIZE["):
            part = self.section_part_only()
            self.sp()
            return BinarySizeItem(part=part, size=self.number(0, _MAX_64))
        if self.take(b"BINARY["):
            part = self.section_part_only()
            origin = self.origin()
            self.sp()
            data: bytes | None
            data = self.literal(allow_nul=True) if self.take(b"~") else self.nstring()
            return BinarySectionItem(part=part, data=data, origin=origin)
        if self.take(b"MODSEQ ("):
            value = self.number(1, _MAX_64)
            self.expect(b")")
            return ModSeqItem(modseq=value)
        if self.take(b"EMAILID ("):
            email_id = self.match(_OBJECTID, "objectid").decode("ascii")
            self.expect(b")")
            return EmailIdItem(email_id=email_id)
        if self.take(b"THREADID "):
            if self.take(b"NIL"):
                return ThreadIdItem(thread_id=None)
            self.expect(b"(")
            thread_id = self.match(_OBJECTID, "objectid").decode("ascii")
            self.expect(b")")
            return ThreadIdItem(thread_id=thread_id)
        if self.take(b"SAVEDATE "):
            if self.take(b"NIL"):
                return SaveDateItem(date=None)
            return SaveDateItem(date=self.datetime())
        if self.take(b"PREVIEW "):
            text = self.nstring()
            return PreviewItem(text=None if text is None else self.utf8_text(text))
        raise self.fail("expected a FETCH item")

    def origin(self) -> int | None:
        if self.take(b"<"):
            # number64 like the request's partial (RFC 9051 9, appendix E 1).
            value = self.number(high=2**63 - 1)
            self.expect(b">")
            return value
        return None

    def section_part_only(self) -> tuple[int, ...]:
        # section-binary = "[" [section-part] "]"
        parts: list[int] = []
        if not self.take(b"]"):
            parts.append(self.nz_number())
            while self.take(b"."):
                parts.append(self.nz_number())
            self.expect(b"]")
        return tuple(parts)

    def section(self) -> Section:
        # section-spec = section-msgtext / (section-part ["." section-text])
        parts: list[int] = []
        text: str | None = None
        fields: list[str] = []
        if self.peek().isdigit():
            parts.append(self.nz_number())
            while self.take(b"."):
                if self.peek().isdigit():
                    parts.append(self.nz_number())
                else:
                    text = self.section_text(allow_mime=True)
                    break
        elif self.peek() != b"]":
            text = self.section_text(allow_mime=False)
        if text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            self.expect(b" (")
            fields.append(self.astring().decode("ascii"))
            while self.take(b" "):
                fields.append(self.astring().decode("ascii"))
            self.expect(b")")
        self.expect(b"]")
        return Section(part=tuple(parts), text=text, fields=tuple(fields))

    def section_text(self, *, allow_mime: bool) -> str:
        for text in (b"HEADER.FIELDS.NOT", b"HEADER.FIELDS", b"HEADER", b"TEXT", b"MIME"):
            if self.take(text):
                if text == b"MIME" and not allow_mime:
                    raise self.fail("MIME needs a part number")
                return text.decode("ascii")
        raise self.fail("expected a section text")

    def envelope(self) -> Envelope:
        self.expect(b"(")
        date = self.nstring()
        self.sp()
        subject = self.nstring()
        lists: list[tuple[Address, ...] | None] = []
        for _ in range(6):
            self.sp()
            lists.append(self.addresses())
        self.sp()
        in_reply_to = self.nstring()
        self.sp()
        message_id = self.nstring()
        self.expect(b")")
        return Envelope(
            date=date,
            subject=subject,
            from_=lists[0],
            sender=lists[1],
            reply_to=lists[2],
            to=lists[3],
            cc=lists[4],
            bcc=lists[5],
            in_reply_to=in_reply_to,
            message_id=message_id,
        )

    def addresses(self) -> tuple[Address, ...] | None:
        if self.take(b"NIL"):
            return None
        self.expect(b"(")
        out: list[Address] = []
        while self.take(b"("):
            name = self.nstring()
            self.sp()
            adl = self.nstring()
            self.sp()
            mailbox = self.nstring()
            self.sp()
            host = self.nstring()
            self.expect(b")")
            out.append(Address(name=name, adl=adl, mailbox=mailbox, host=host))
        if not out:
            raise self.fail("an empty address list")
        self.expect(b")")
        return tuple(out)

    def params(self) -> Params | None:
        if self.take(b"NIL"):
            return None
        self.expect(b"(")
        out: list[tuple[bytes, bytes]] = []
        while True:
            name = self.string()
            self.sp()
            out.append((name, self.string()))
            if not self.take(b" "):
                break
        self.expect(b")")
        return tuple(out)

    def disposition(self) -> Disposition | None:
        if self.take(b"NIL"):
            return None
        self.expect(b"(")
        kind = self.string()
        self.sp()
        params = self.params()
        self.expect(b")")
        return (kind, params)

    def language(self) -> tuple[bytes, ...] | None:
        if self.take(b"("):
            out = [self.string()]
            while self.take(b" "):
                out.append(self.string())
            self.expect(b")")
            return tuple(out)
        value = self.nstring()
        return None if value is None else (value,)

    def body_extension(self) -> BodyExtension:
        if self.take(b"("):
            items = [self.body_extension()]
            while self.take(b" "):
                items.append(self.body_extension())
            self.expect(b")")
            return tuple(items)
        if self.peek().isdigit():
            return self.number(0, _MAX_64)
        return self.nstring()

    def ext_tail(
        self,
    ) -> tuple[
        Disposition | None, tuple[bytes, ...] | None, bytes | None, tuple[BodyExtension, ...]
    ]:
        disposition: Disposition | None = None
        language: tuple[bytes, ...] | None = None
        location: bytes | None = None
        extensions: list[BodyExtension] = []
        if self.take(b" "):
            disposition = self.disposition()
            if self.take(b" "):
                language = self.language()
                if self.take(b" "):
                    location = self.nstring()
                    while self.take(b" "):
                        extensions.append(self.body_extension())
        return disposition, language, location, tuple(extensions)

    def body(self) -> BodyStructure:
        self.expect(b"(")
        if self.peek() == b"(":
            parts: list[BodyStructure] = []
            while self.peek() == b"(":
                parts.append(self.body())
            self.sp()
            subtype = self.string()
            params: Params | None = None
            ext: tuple[
                Disposition | None,
                tuple[bytes, ...] | None,
                bytes | None,
                tuple[BodyExtension, ...],
            ] = (None, None, None, ())
            if self.take(b" "):
                params = self.params()
                ext = self.ext_tail()
            self.expect(b")")
            return MultiPart(
                parts=tuple(parts),
                subtype=subtype,
                params=params,
                disposition=ext[0],
                language=ext[1],
                location=ext[2],
                extensions=ext[3],
            )
        media_type = self.string()
        self.sp()
        subtype = self.string()
        self.sp()
        fields_params = self.params()
        self.sp()
        body_id = self.nstring()
        self.sp()
        description = self.nstring()
        self.sp()
        encoding = self.string()
        self.sp()
        size = self.number()
        fields = BodyFields(
            params=fields_params, id=body_id, description=description, encoding=encoding, size=size
        )
        lines: int | None = None
        envelope: Envelope | None = None
        inner: BodyStructure | None = None
        if media_type.upper() == b"MESSAGE" and subtype.upper() in (b"RFC822", b"GLOBAL"):
            self.sp()
            envelope = self.envelope()
            self.sp()
            inner = self.body()
            self.sp()
            lines = self.number(0, _MAX_64)
        elif media_type.upper() == b"TEXT":
            self.sp()
            lines = self.number(0, _MAX_64)
        md5: bytes | None = None
        ext = (None, None, None, ())
        if self.take(b" "):
            md5 = self.nstring()
            ext = self.ext_tail()
        self.expect(b")")
        return SinglePart(
            type=media_type,
            subtype=subtype,
            fields=fields,
            lines=lines,
            envelope=envelope,
            body=inner,
            md5=md5,
            disposition=ext[0],
            language=ext[1],
            location=ext[2],
            extensions=ext[3],
        )


_STATUS_ITEMS = frozenset(
    [
        "messages",
        "recent",
        "uidnext",
        "uidvalidity",
        "unseen",
        "deleted",
        "deleted_storage",
        "size",
        "highestmodseq",
        "appendlimit",
        "mailbox_id",
    ]
)


def parse_response(data: bytes, *, utf8: bool = False) -> Response:
    """Parse one complete response (CRLF included); raise ResponseParseError otherwise."""
    return _parse(_Parser(data, utf8))


def parse_response_prefix(data: bytes, *, utf8: bool = False) -> tuple[Response, int]:
    """Parse the response at the start of ``data``; return it and the bytes it used."""
    parser = _Parser(data, utf8, prefix=True)
    return _parse(parser), parser.pos


def _parse(parser: _Parser) -> Response:
    try:
        return parser.response()
    except ValueError as exc:
        if isinstance(exc, ResponseParseError):
            raise
        raise ResponseParseError(f"value rejected: {exc}", parser.pos) from None
