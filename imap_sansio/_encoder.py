"""Typed responses to exact bytes (RFC 3501 9, RFC 9051 9 and the extensions).

The encoder appends pieces of output to one list and joins them once; strings
are checked with precompiled regular expressions (no per-byte Python loops).
Literal bodies (message data) are appended as the caller's own object, so
:func:`encode_response_chunks` can hand them on without copying them.

String output rules (RFC 9051 4.3):

- ``astring`` values (mailbox names in LIST, LSUB, STATUS, QUOTAROOT) are
  written as an atom when they are one (and are not ``NIL``), otherwise as a
  string;
- a string is quoted (``"`` and ``\\`` escaped) unless it contains CR, LF,
  NUL, 8-bit bytes (allowed in quoted strings as UTF-8 only after UTF8=ACCEPT,
  RFC 9051 4.3), or is longer than :data:`QUOTED_MAX`; then it is a literal;
- message data (``BODY[...]``, ``BINARY[...]``, ``RFC822*``) is always a
  literal, so it is never scanned or copied; ``BINARY[]`` data holding NUL is a
  ``~{n}`` literal8 (RFC 3516 4.2);
- server literals are never synchronising: ``{n}\\r\\n`` and the bytes;
- absent values are ``NIL``;
- mailbox names are ``str``, written in modified UTF-7 (RFC 3501 5.1.3), or in
  UTF-8 with ``utf8=True`` (RFC 6855 3, RFC 9051);
- human-readable text is UTF-8 with ``utf8=True``, else ASCII with ``?`` for
  each other character (see :mod:`imap_sansio._responses`).

Sets (COPYUID, APPENDUID, MODIFIED, VANISHED, ESEARCH ALL) are written as
stored in the ``SequenceSet``/``UidSet`` (in the given order, which matters
for COPYUID).  ENVELOPE/BODYSTRUCTURE values come from
:mod:`imap_sansio._bodystructure`; BODY and BODYSTRUCTURE are written from the
same value, BODYSTRUCTURE with the extension fields up to the last one that
is not NIL.
"""

from __future__ import annotations

import binascii
import datetime
import re
from collections.abc import Callable
from typing import Any, TypeAlias

from imap_sansio._bodystructure import (
    Address,
    BodyExtension,
    BodyStructure,
    Disposition,
    Envelope,
    MultiPart,
    Params,
    SinglePart,
)
from imap_sansio._commands import Section
from imap_sansio._mutf7 import encode_mutf7
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
    MessageData,
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
    VanishedData,
)
from imap_sansio._sequence import SequenceSet, UidSet
from imap_sansio._source import MessageSource, has_nul

__all__ = [
    "CHUNK_MIN",
    "QUOTED_MAX",
    "SOURCE_PIECE",
    "Piece",
    "encode_response",
    "encode_response_chunks",
    "read_source",
]

#: Strings longer than this are written as literals, not quoted.
QUOTED_MAX = 1024
#: Pieces at least this long are their own chunk in :func:`encode_response_chunks`.
CHUNK_MIN = 4096
_BYTES_LIKE = (bytes, memoryview)  # a tuple: ``bytes | memoryview`` is built per test
#: Bytes read from a message source at a time.
SOURCE_PIECE = 64 * 1024

#: Output pieces: bytes, views of message data, and sources that are read
#: only when the output is taken (see :class:`~imap_sansio.MessageSource`).
Piece: TypeAlias = bytes | memoryview | MessageSource
_Out = list[Piece]

_SP = b" "
_CRLF = b"\r\n"
_NIL = b"NIL"

# A quoted string may not hold CR, LF or NUL, nor 8-bit bytes unless UTF8=ACCEPT is on.
_NOT_QUOTABLE = re.compile(rb"[\x00\r\n\x80-\xff]")
_NOT_QUOTABLE_UTF8 = re.compile(rb"[\x00\r\n]")
# ASTRING-CHAR = ATOM-CHAR / resp-specials
_ASTRING_ATOM = re.compile(rb"[^(){ \x00-\x1f\x7f%*\"\\\x80-\xff]+")


def _quoted_ok(value: bytes | memoryview, utf8: bool) -> bool:
    if len(value) > QUOTED_MAX:
        return False
    if utf8:
        if _NOT_QUOTABLE_UTF8.search(value) is not None:
            return False
        if not bytes(value).isascii():
            try:
                bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                return False
        return True
    return _NOT_QUOTABLE.search(value) is None


def _write_quoted(out: _Out, value: bytes) -> None:
    if b"\\" in value or b'"' in value:
        value = value.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    out.append(b'"' + value + b'"')


def _write_literal(out: _Out, value: MessageData) -> None:
    if isinstance(value, bytes | memoryview):
        out.append(b"{%d}\r\n" % len(value))
    else:
        out.append(b"{%d}\r\n" % value.size)
    out.append(value)


def _write_string(out: _Out, value: bytes | memoryview, utf8: bool) -> None:
    """``string = quoted / literal``."""
    if _quoted_ok(value, utf8):
        _write_quoted(out, bytes(value))
    else:
        _write_literal(out, value)


def _write_nstring(out: _Out, value: bytes | memoryview | None, utf8: bool) -> None:
    """``nstring = string / nil``."""
    if value is None:
        out.append(_NIL)
    else:
        _write_string(out, value, utf8)


def _write_astring(out: _Out, value: bytes, utf8: bool) -> None:
    """``astring = 1*ASTRING-CHAR / string``; ``NIL`` is quoted to avoid misreading."""
    if _ASTRING_ATOM.fullmatch(value) is not None and value.upper() != _NIL:
        out.append(value)
    else:
        _write_string(out, value, utf8)


def _write_atoms(out: _Out, values: tuple[str, ...]) -> None:
    """Each value preceded by a space (values are validated atoms)."""
    for value in values:
        out.append(_SP)
        out.append(value.encode("ascii"))


def _write_list(out: _Out, values: tuple[str, ...]) -> None:
    """``(a b c)`` of validated atoms (flags, attributes)."""
    out.append(b"(" + " ".join(values).encode("ascii") + b")")


def _text(text: str, utf8: bool) -> bytes:
    """Human-readable ``text``: UTF-8 after UTF8=ACCEPT / IMAP4rev2, else ASCII.

    RFC 9051 9: "Non-ASCII text can only be returned after ENABLE IMAP4rev2";
    RFC 3501's TEXT-CHAR is 7-bit.  Without ``utf8`` each non-ASCII character
    becomes ``?``: the text is for people, and a wrong byte would break the
    client's parser.
    """
    if utf8 or text.isascii():
        return text.encode("utf-8")
    return text.encode("ascii", "replace")


def _mailbox_bytes(name: str, utf8: bool) -> bytes:
    # RFC 3501 5.1.3: modified UTF-7; RFC 6855 3: UTF-8 once UTF8=ACCEPT is enabled
    return name.encode("utf-8") if utf8 else encode_mutf7(name)


def _write_mailbox(out: _Out, name: str, utf8: bool) -> None:
    """``mailbox = "INBOX" / astring``."""
    _write_astring(out, _mailbox_bytes(name, utf8), utf8)


def _write_delimiter(out: _Out, delimiter: str | None) -> None:
    if delimiter is None:
        out.append(_NIL)
    else:
        _write_quoted(out, delimiter.encode("ascii"))


def _write_set(out: _Out, numbers: SequenceSet | UidSet) -> None:
    out.append(str(numbers).encode("ascii"))


def _write_number(out: _Out, value: int) -> None:
    out.append(b"%d" % value)


# date-month as RFC 3501 9 spells it
_MONTHS = (b"", b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun",
           b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec")  # fmt: skip


def _write_datetime(out: _Out, value: datetime.datetime) -> None:
    """``date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE``.

    date-day-fixed is a space and a digit for days below 10.
    """
    offset = value.utcoffset()
    assert offset is not None  # checked when the item was built
    minutes = int(offset.total_seconds()) // 60
    sign = b"+" if minutes >= 0 else b"-"
    minutes = abs(minutes)
    out.append(
        b'"%2d-%s-%04d %02d:%02d:%02d %s%02d%02d"'
        % (
            value.day,
            _MONTHS[value.month],
            value.year,
            value.hour,
            value.minute,
            value.second,
            sign,
            minutes // 60,
            minutes % 60,
        )
    )


def _write_metadata_value(out: _Out, value: bytes | None, utf8: bool) -> None:
    """``value = nstring / literal8`` (RFC 5464 5): literal8 (RFC 3516) for a
    value with NUL, which no string may hold."""
    if value is not None and b"\x00" in value:
        out.append(b"~{%d}\r\n" % len(value))
        out.append(value)
    else:
        _write_nstring(out, value, utf8)


# ---------------------------------------------------------------------------
# Response codes

_CodeWriter = Callable[[_Out, Any, bool], None]
_CODE_WRITERS: dict[type[ResponseCode], _CodeWriter] = {}


def _code(cls: type[ResponseCode]) -> Callable[[_CodeWriter], _CodeWriter]:
    def register(func: _CodeWriter) -> _CodeWriter:
        _CODE_WRITERS[cls] = func
        return func

    return register


@_code(AtomCode)
def _write_atom_code(out: _Out, code: AtomCode, utf8: bool) -> None:
    out.append(code.name.encode("ascii"))


@_code(CapabilityCode)
def _write_capability_code(out: _Out, code: CapabilityCode, utf8: bool) -> None:
    out.append(b"CAPABILITY")
    _write_atoms(out, code.capabilities)


@_code(BadCharsetCode)
def _write_badcharset_code(out: _Out, code: BadCharsetCode, utf8: bool) -> None:
    out.append(b"BADCHARSET")
    if code.charsets:
        out.append(_SP)
        _write_list(out, code.charsets)


@_code(PermanentFlagsCode)
def _write_permanentflags_code(out: _Out, code: PermanentFlagsCode, utf8: bool) -> None:
    out.append(b"PERMANENTFLAGS ")
    _write_list(out, code.flags)


@_code(UidNextCode)
def _write_uidnext_code(out: _Out, code: UidNextCode, utf8: bool) -> None:
    out.append(b"UIDNEXT %d" % code.uid)


@_code(UidValidityCode)
def _write_uidvalidity_code(out: _Out, code: UidValidityCode, utf8: bool) -> None:
    out.append(b"UIDVALIDITY %d" % code.uidvalidity)


@_code(UnseenCode)
def _write_unseen_code(out: _Out, code: UnseenCode, utf8: bool) -> None:
    out.append(b"UNSEEN %d" % code.number)


@_code(AppendUidCode)
def _write_appenduid_code(out: _Out, code: AppendUidCode, utf8: bool) -> None:
    out.append(b"APPENDUID %d " % code.uidvalidity)
    _write_set(out, code.uids)


@_code(CopyUidCode)
def _write_copyuid_code(out: _Out, code: CopyUidCode, utf8: bool) -> None:
    out.append(b"COPYUID %d " % code.uidvalidity)
    _write_set(out, code.source)
    out.append(_SP)
    _write_set(out, code.destination)


@_code(HighestModSeqCode)
def _write_highestmodseq_code(out: _Out, code: HighestModSeqCode, utf8: bool) -> None:
    out.append(b"HIGHESTMODSEQ %d" % code.modseq)


@_code(ModifiedCode)
def _write_modified_code(out: _Out, code: ModifiedCode, utf8: bool) -> None:
    out.append(b"MODIFIED ")
    _write_set(out, code.numbers)


@_code(MailboxIdCode)
def _write_mailboxid_code(out: _Out, code: MailboxIdCode, utf8: bool) -> None:
    out.append(b"MAILBOXID (" + code.mailbox_id.encode("ascii") + b")")


@_code(InProgressCode)
def _write_inprogress_code(out: _Out, code: InProgressCode, utf8: bool) -> None:
    # RFC 9585 3: "INPROGRESS" [SP "(" progress-tag SP progress-state SP
    # progress-goal ")"]; progress-tag = quoted / nil, the others number / nil.
    out.append(b"INPROGRESS")
    if code.tag is None and code.done is None and code.total is None:
        return
    tag = b"NIL" if code.tag is None else b'"' + code.tag.encode("ascii") + b'"'
    done = b"NIL" if code.done is None else b"%d" % code.done
    total = b"NIL" if code.total is None else b"%d" % code.total
    out.append(b" (" + tag + _SP + done + _SP + total + b")")


@_code(OtherCode)
def _write_other_code(out: _Out, code: OtherCode, utf8: bool) -> None:
    out.append(code.name.encode("ascii") + _SP + _text(code.text, utf8))


def _write_code(out: _Out, code: ResponseCode, utf8: bool) -> None:
    try:
        writer = _CODE_WRITERS[type(code)]
    except KeyError:
        raise TypeError(f"not a response code this encoder knows: {code!r}") from None
    writer(out, code, utf8)


# ---------------------------------------------------------------------------
# Responses

_Writer = Callable[[_Out, Any, bool], None]
_WRITERS: dict[type, _Writer] = {}


def _response(cls: type) -> Callable[[_Writer], _Writer]:
    def register(func: _Writer) -> _Writer:
        _WRITERS[cls] = func
        return func

    return register


@_response(StatusResponse)
def _write_status(out: _Out, response: StatusResponse, utf8: bool) -> None:
    tag = response.tag
    # ``_value_``, not ``value``: an attribute, not a Python-level property.
    out.append(b"* " if tag is None else tag.encode("ascii") + _SP)
    out.append(response.status._value_.encode("ascii") + _SP)
    if response.code is not None:
        out.append(b"[")
        _write_code(out, response.code, utf8)
        out.append(b"] ")
    out.append(_text(response.text, utf8))
    out.append(_CRLF)


@_response(ContinuationRequest)
def _write_continuation(out: _Out, response: ContinuationRequest, utf8: bool) -> None:
    if response.data is not None:
        out.append(b"+ " + binascii.b2a_base64(response.data, newline=False) + _CRLF)
    else:
        out.append(b"+ " + _text(response.text, utf8) + _CRLF)


@_response(CapabilityData)
def _write_capability(out: _Out, response: CapabilityData, utf8: bool) -> None:
    out.append(b"* CAPABILITY")
    _write_atoms(out, response.capabilities)
    out.append(_CRLF)


@_response(EnabledData)
def _write_enabled(out: _Out, response: EnabledData, utf8: bool) -> None:
    out.append(b"* ENABLED")
    _write_atoms(out, response.capabilities)
    out.append(_CRLF)


@_response(ListData)
def _write_list_data(out: _Out, response: ListData, utf8: bool) -> None:
    out.append(b"* LIST ")
    _write_list(out, response.attributes)
    out.append(_SP)
    _write_delimiter(out, response.delimiter)
    out.append(_SP)
    _write_mailbox(out, response.mailbox, utf8)
    if response.childinfo is not None or response.old_name is not None:
        # mbox-list-extended (RFC 5258 9), the tags quoted as the RFC examples write them
        items: list[bytes] = []
        if response.childinfo is not None:
            names = b" ".join(b'"%s"' % name.encode("ascii") for name in response.childinfo)
            items.append(b'"CHILDINFO" (' + names + b")")
        out.append(b" (")
        out.append(b" ".join(items))
        if response.old_name is not None:
            if items:
                out.append(_SP)
            out.append(b'"OLDNAME" (')
            _write_string(out, _mailbox_bytes(response.old_name, utf8), utf8)
            out.append(b")")
        out.append(b")")
    out.append(_CRLF)


@_response(LsubData)
def _write_lsub_data(out: _Out, response: LsubData, utf8: bool) -> None:
    out.append(b"* LSUB ")
    _write_list(out, response.attributes)
    out.append(_SP)
    _write_delimiter(out, response.delimiter)
    out.append(_SP)
    _write_mailbox(out, response.mailbox, utf8)
    out.append(_CRLF)


def _write_namespaces(out: _Out, group: tuple[Namespace, ...] | None, utf8: bool) -> None:
    if group is None:
        out.append(_NIL)
        return
    out.append(b"(")
    for namespace in group:
        out.append(b"(")
        _write_string(out, _mailbox_bytes(namespace.prefix, utf8), utf8)
        out.append(_SP)
        _write_delimiter(out, namespace.delimiter)
        for name, values in namespace.extensions:
            out.append(_SP)
            _write_string(out, name.encode("utf-8"), utf8)
            out.append(b" (")
            for i, value in enumerate(values):
                if i:
                    out.append(_SP)
                _write_string(out, value.encode("utf-8"), utf8)
            out.append(b")")
        out.append(b")")
    out.append(b")")


@_response(NamespaceData)
def _write_namespace_data(out: _Out, response: NamespaceData, utf8: bool) -> None:
    out.append(b"* NAMESPACE ")
    _write_namespaces(out, response.personal, utf8)
    out.append(_SP)
    _write_namespaces(out, response.other, utf8)
    out.append(_SP)
    _write_namespaces(out, response.shared, utf8)
    out.append(_CRLF)


@_response(StatusData)
def _write_status_data(out: _Out, response: StatusData, utf8: bool) -> None:
    out.append(b"* STATUS ")
    _write_mailbox(out, response.mailbox, utf8)
    values = dict(response.items())
    names = response.order or tuple(name for name, value in values.items() if value is not None)
    items: list[bytes] = []
    for name in names:
        value = values[name]
        if value is None:
            continue
        if name == "MAILBOXID":
            items.append(b"MAILBOXID (" + str(value).encode("ascii") + b")")
        elif name == "APPENDLIMIT" and value == StatusData.NO_LIMIT:
            items.append(b"APPENDLIMIT NIL")
        else:
            assert isinstance(value, int)
            items.append(b"%s %d" % (name.encode("ascii"), value))
    out.append(b" (" + b" ".join(items) + b")\r\n")


def _write_numbers_data(
    out: _Out, name: bytes, numbers: tuple[int, ...], modseq: int | None
) -> None:
    out.append(name)
    if numbers:
        out.append(_SP)
        out.append(" ".join(map(str, numbers)).encode("ascii"))
    if modseq is not None:
        out.append(b" (MODSEQ %d)" % modseq)
    out.append(_CRLF)


@_response(SearchData)
def _write_search_data(out: _Out, response: SearchData, utf8: bool) -> None:
    _write_numbers_data(out, b"* SEARCH", response.numbers, response.modseq)


@_response(SortData)
def _write_sort_data(out: _Out, response: SortData, utf8: bool) -> None:
    _write_numbers_data(out, b"* SORT", response.numbers, response.modseq)


@_response(ESearchData)
def _write_esearch_data(out: _Out, response: ESearchData, utf8: bool) -> None:
    out.append(b"* ESEARCH")
    if response.tag is not None or response.mailbox is not None:
        # search-correlator = SP "(" "TAG" SP tag-string ")"; tag-string = string (RFC 4731)
        # RFC 7377 4: SP "(" one-correlator *(SP one-correlator) ")", one-correlator =
        # ("TAG" SP tag-string) / ("MAILBOX" SP astring) / ("UIDVALIDITY" SP nz-number);
        # the mailbox quoted as in the RFC 7377 3 example.
        parts: list[bytes] = []
        if response.tag is not None:
            parts.append(b'TAG "' + response.tag.encode("ascii") + b'"')
        out.append(b" (" + b" ".join(parts))
        if response.mailbox is not None:
            out.append(b" MAILBOX " if parts else b"MAILBOX ")
            _write_string(out, _mailbox_bytes(response.mailbox, utf8), utf8)
            out.append(b" UIDVALIDITY %d" % (response.uidvalidity or 0))
        out.append(b")")
    if response.uid:
        out.append(b" UID")
    if response.min is not None:
        out.append(b" MIN %d" % response.min)
    if response.max is not None:
        out.append(b" MAX %d" % response.max)
    if response.count is not None:
        out.append(b" COUNT %d" % response.count)
    if response.all is not None:
        out.append(b" ALL ")
        _write_set(out, response.all)
    if response.partial_range is not None:
        # partial = "PARTIAL" SP "(" partial-range SP partial-results ")";
        # partial-results = sequence-set / "NIL" (RFC 5267 4.4, RFC 9394 3.1)
        low, high = response.partial_range
        out.append(b" PARTIAL (%d:%d " % (low, high))
        if response.partial is None:
            out.append(b"NIL")
        else:
            _write_set(out, response.partial)
        out.append(b")")
    # ret-data-removefrom / ret-data-addto = "REMOVEFROM" / "ADDTO" SP "("
    # context-position SP sequence-set *(SP context-position SP sequence-set) ")"
    # (RFC 5267 5)
    for name, pairs in ((b"REMOVEFROM", response.removefrom), (b"ADDTO", response.addto)):
        if pairs:
            out.append(b" " + name + b" (")
            for index, (position, messages) in enumerate(pairs):
                out.append(b"%s%d " % (b" " if index else b"", position))
                _write_set(out, messages)
            out.append(b")")
    if response.modseq is not None:
        out.append(b" MODSEQ %d" % response.modseq)
    out.append(_CRLF)


def _write_thread(out: _Out, thread: Thread) -> None:
    # thread-list = "(" (thread-members / thread-nested) ")"
    # thread-members = nz-number *(SP nz-number) [SP thread-nested]; thread-nested = 2*thread-list
    members = thread.members
    if not thread.children:
        # Most nodes of a big THREAD answer: one piece each (a THREAD of
        # 20,000 messages is encoded in one step of the command).
        if len(members) == 1:
            out.append(b"(%d)" % members[0])
        else:
            out.append(b"(%s)" % " ".join(map(str, members)).encode("ascii"))
        return
    out.append(b"(%s " % " ".join(map(str, members)).encode("ascii") if members else b"(")
    for child in thread.children:
        _write_thread(out, child)
    out.append(b")")


@_response(ThreadData)
def _write_thread_data(out: _Out, response: ThreadData, utf8: bool) -> None:
    out.append(b"* THREAD")
    if response.threads:
        out.append(_SP)
        for thread in response.threads:
            _write_thread(out, thread)
    out.append(_CRLF)


@_response(FlagsData)
def _write_flags_data(out: _Out, response: FlagsData, utf8: bool) -> None:
    out.append(b"* FLAGS ")
    _write_list(out, response.flags)
    out.append(_CRLF)


@_response(ExistsData)
def _write_exists(out: _Out, response: ExistsData, utf8: bool) -> None:
    out.append(b"* %d EXISTS\r\n" % response.count)


@_response(RecentData)
def _write_recent(out: _Out, response: RecentData, utf8: bool) -> None:
    out.append(b"* %d RECENT\r\n" % response.count)


@_response(ExpungeData)
def _write_expunge(out: _Out, response: ExpungeData, utf8: bool) -> None:
    out.append(b"* %d EXPUNGE\r\n" % response.number)


@_response(VanishedData)
def _write_vanished(out: _Out, response: VanishedData, utf8: bool) -> None:
    out.append(b"* VANISHED (EARLIER) " if response.earlier else b"* VANISHED ")
    _write_set(out, response.uids)
    out.append(_CRLF)


@_response(IdData)
def _write_id(out: _Out, response: IdData, utf8: bool) -> None:
    out.append(b"* ID ")
    if response.params is None:
        out.append(_NIL)
    else:
        out.append(b"(")
        for i, (key, value) in enumerate(response.params):
            if i:
                out.append(_SP)
            _write_string(out, key.encode("utf-8"), utf8)
            out.append(_SP)
            _write_nstring(out, None if value is None else value.encode("utf-8"), utf8)
        out.append(b")")
    out.append(_CRLF)


@_response(QuotaData)
def _write_quota(out: _Out, response: QuotaData, utf8: bool) -> None:
    # quota-root-name = astring, written as a string as RFC 9208's examples do
    out.append(b"* QUOTA ")
    _write_string(out, response.root.encode("utf-8"), utf8)
    resources = b" ".join(
        b"%s %d %d" % (r.name.encode("ascii"), r.usage, r.limit) for r in response.resources
    )
    out.append(b" (" + resources + b")\r\n")


@_response(MetadataData)
def _write_metadata(out: _Out, response: MetadataData, utf8: bool) -> None:
    # metadata-resp = "METADATA" SP mailbox SP (entry-values / entry-list)
    # (RFC 5464 5); the mailbox as a string, as every example of 4.4 writes it.
    out.append(b"* METADATA ")
    _write_string(out, _mailbox_bytes(response.mailbox, utf8), utf8)
    if response.entries:
        # entry-values = "(" entry-value *(SP entry-value) ")"
        out.append(b" (")
        for index, (name, value) in enumerate(response.entries):
            if index:
                out.append(_SP)
            _write_astring(out, name.encode("ascii"), utf8)
            out.append(_SP)
            _write_metadata_value(out, value, utf8)
        out.append(b")")
    for name in response.names:  # entry-list = entry *(SP entry)
        out.append(_SP)
        _write_astring(out, name.encode("ascii"), utf8)
    out.append(_CRLF)


@_response(QuotaRootData)
def _write_quotaroot(out: _Out, response: QuotaRootData, utf8: bool) -> None:
    out.append(b"* QUOTAROOT ")
    _write_mailbox(out, response.mailbox, utf8)
    for root in response.roots:
        out.append(_SP)
        _write_string(out, root.encode("utf-8"), utf8)
    out.append(_CRLF)


@_response(AclData)
def _write_acl(out: _Out, response: AclData, utf8: bool) -> None:
    # acl-data = "ACL" SP mailbox *(SP identifier SP rights) (RFC 4314 7);
    # identifier = astring (UTF-8, RFC 4314 2: a literal when not quotable)
    out.append(b"* ACL ")
    _write_mailbox(out, response.mailbox, utf8)
    for identifier, rights in response.entries:
        out.append(_SP)
        _write_astring(out, identifier.encode("utf-8"), utf8)
        out.append(_SP)
        _write_astring(out, rights.encode("ascii"), utf8)
    out.append(_CRLF)


@_response(ListRightsData)
def _write_listrights(out: _Out, response: ListRightsData, utf8: bool) -> None:
    # listrights-data = "LISTRIGHTS" SP mailbox SP identifier SP rights *(SP rights)
    out.append(b"* LISTRIGHTS ")
    _write_mailbox(out, response.mailbox, utf8)
    out.append(_SP)
    _write_astring(out, response.identifier.encode("utf-8"), utf8)
    for rights in (response.required, *response.optional):
        out.append(_SP)
        _write_astring(out, rights.encode("ascii"), utf8)
    out.append(_CRLF)


@_response(MyRightsData)
def _write_myrights(out: _Out, response: MyRightsData, utf8: bool) -> None:
    # myrights-data = "MYRIGHTS" SP mailbox SP rights
    out.append(b"* MYRIGHTS ")
    _write_mailbox(out, response.mailbox, utf8)
    out.append(_SP)
    _write_astring(out, response.rights.encode("ascii"), utf8)
    out.append(_CRLF)


@_response(GenUrlAuthData)
def _write_genurlauth(out: _Out, response: GenUrlAuthData, utf8: bool) -> None:
    # genurlauth-data = "*" SP "GENURLAUTH" 1*(SP url-full)   (RFC 4467 9);
    # url-full = astring, quoted as RFC 4467 7's examples show
    out.append(b"* GENURLAUTH")
    for url in response.urls:
        out.append(_SP)
        _write_quoted(out, url.encode("ascii"))
    out.append(_CRLF)


@_response(UrlFetchData)
def _write_urlfetch(out: _Out, response: UrlFetchData, utf8: bool) -> None:
    # urlfetch-data = "*" SP "URLFETCH" SP url-full SP nstring   (RFC 4467 9),
    # or url-full followed by "(" item SP value ")"s              (RFC 5524 4)
    out.append(b"* URLFETCH ")
    _write_quoted(out, response.url.encode("ascii"))
    if response.items is None:
        out.append(_SP)
        _write_data(out, response.data, utf8)
    for item in response.items or ():
        out.append(b" (" + item.name.encode("ascii") + _SP)
        if item.structure is not None:
            # Every extension field, NIL or not (as Dovecot writes it).
            _write_body(out, item.structure, True, utf8, full=True)
        elif item.name == "BINARY" and item.data is not None and has_nul(item.data):
            out.append(b"~{%d}\r\n" % _size(item.data))  # RFC 3516 4.2: literal8
            out.append(item.data)
        else:
            _write_data(out, item.data, utf8)
        out.append(b")")
    out.append(_CRLF)


# ---------------------------------------------------------------------------
# ENVELOPE and BODYSTRUCTURE (RFC 9051 7.5.2, 9)


def _write_addresses(out: _Out, addresses: tuple[Address, ...] | None, utf8: bool) -> None:
    # env-from = "(" 1*address ")" / nil: an empty list is NIL
    if not addresses:
        out.append(_NIL)
        return
    out.append(b"(")
    for address in addresses:
        out.append(b"(")
        _write_nstring(out, address.name, utf8)
        out.append(_SP)
        _write_nstring(out, address.adl, utf8)
        out.append(_SP)
        _write_nstring(out, address.mailbox, utf8)
        out.append(_SP)
        _write_nstring(out, address.host, utf8)
        out.append(b")")
    out.append(b")")


def _write_envelope(out: _Out, envelope: Envelope, utf8: bool) -> None:
    out.append(b"(")
    _write_nstring(out, envelope.date, utf8)
    out.append(_SP)
    _write_nstring(out, envelope.subject, utf8)
    for addresses in (
        envelope.from_,
        envelope.sender,
        envelope.reply_to,
        envelope.to,
        envelope.cc,
        envelope.bcc,
    ):
        out.append(_SP)
        _write_addresses(out, addresses, utf8)
    out.append(_SP)
    _write_nstring(out, envelope.in_reply_to, utf8)
    out.append(_SP)
    _write_nstring(out, envelope.message_id, utf8)
    out.append(b")")


def _write_params(out: _Out, params: Params | None, utf8: bool) -> None:
    # body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
    if not params:
        out.append(_NIL)
        return
    out.append(b"(")
    for i, (name, value) in enumerate(params):
        if i:
            out.append(_SP)
        _write_string(out, name, utf8)
        out.append(_SP)
        _write_string(out, value, utf8)
    out.append(b")")


def _write_disposition(out: _Out, disposition: Disposition | None, utf8: bool) -> None:
    # body-fld-dsp = "(" string SP body-fld-param ")" / nil
    if disposition is None:
        out.append(_NIL)
        return
    out.append(b"(")
    _write_string(out, disposition[0], utf8)
    out.append(_SP)
    _write_params(out, disposition[1], utf8)
    out.append(b")")


def _write_language(out: _Out, language: tuple[bytes, ...] | None, utf8: bool) -> None:
    # body-fld-lang = nstring / "(" string *(SP string) ")"; one language as a plain string
    if not language:
        out.append(_NIL)
    elif len(language) == 1:
        _write_string(out, language[0], utf8)
    else:
        out.append(b"(")
        for i, value in enumerate(language):
            if i:
                out.append(_SP)
            _write_string(out, value, utf8)
        out.append(b")")


def _write_body_extension(out: _Out, value: BodyExtension, utf8: bool) -> None:
    # body-extension = nstring / number / number64 / "(" body-extension *(SP body-extension) ")"
    if value is None or isinstance(value, bytes):
        _write_nstring(out, value, utf8)
    elif isinstance(value, int):
        if value < 0:
            raise ValueError(f"a body extension number must not be negative: {value}")
        _write_number(out, value)
    else:
        if not value:
            raise ValueError("a body extension list needs at least one element")
        out.append(b"(")
        for i, item in enumerate(value):
            if i:
                out.append(_SP)
            _write_body_extension(out, item, utf8)
        out.append(b")")


def _write_extension_tail(
    out: _Out,
    first: Callable[[], None],
    *,
    disposition: Disposition | None,
    language: tuple[bytes, ...] | None,
    location: bytes | None,
    extensions: tuple[BodyExtension, ...],
    utf8: bool,
    full: bool = False,
) -> None:
    """The extension fields, up to the last one that is not NIL (``full``:
    all four, as URLFETCH's BODYPARTSTRUCTURE is written).

    body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc
    *(SP body-extension)]]] (and body-ext-mpart likewise with body-fld-param first):
    trailing NILs are left out, so a part without extension data is written as
    BODY writes it.
    """
    if extensions or location is not None or full:
        count = 4
    elif language:
        count = 3
    elif disposition is not None:
        count = 2
    else:
        count = 1
    first()
    if count >= 2:
        out.append(_SP)
        _write_disposition(out, disposition, utf8)
    if count >= 3:
        out.append(_SP)
        _write_language(out, language, utf8)
    if count >= 4:
        out.append(_SP)
        _write_nstring(out, location, utf8)
    for extension in extensions:
        out.append(_SP)
        _write_body_extension(out, extension, utf8)


def _write_body(
    out: _Out, body: BodyStructure, extended: bool, utf8: bool, full: bool = False
) -> None:
    out.append(b"(")
    if isinstance(body, MultiPart):
        # body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
        if not body.parts:
            raise ValueError("a multipart body needs at least one part")
        for part in body.parts:
            _write_body(out, part, extended, utf8, full)
        out.append(_SP)
        _write_string(out, body.subtype, utf8)
        if extended and (
            full
            or body.params
            or body.disposition is not None
            or body.language
            or body.location is not None
            or body.extensions
        ):
            out.append(_SP)
            params = body.params
            _write_extension_tail(
                out,
                lambda: _write_params(out, params, utf8),
                disposition=body.disposition,
                language=body.language,
                location=body.location,
                extensions=body.extensions,
                utf8=utf8,
                full=full,
            )
    elif isinstance(body, SinglePart):
        _write_single_part(out, body, extended, utf8, full)
    else:
        raise TypeError(f"not a body structure: {body!r}")
    out.append(b")")


def _write_single_part(
    out: _Out, body: SinglePart, extended: bool, utf8: bool, full: bool = False
) -> None:
    media_type = body.type.upper()
    media_subtype = body.subtype.upper()
    # RFC 9051 9: media-message = "MESSAGE" ("RFC822" / "GLOBAL") has envelope, body, lines;
    # media-text = "TEXT" has lines
    is_message = media_type == b"MESSAGE" and media_subtype in (b"RFC822", b"GLOBAL")
    is_text = media_type == b"TEXT"
    if is_message and (body.envelope is None or body.body is None or body.lines is None):
        raise ValueError("a message/rfc822 part needs envelope, body and lines")
    if is_text and body.lines is None:
        raise ValueError("a text/* part needs lines")
    if not (is_message or is_text) and (
        body.lines is not None or body.envelope is not None or body.body is not None
    ):
        raise ValueError(f"lines, envelope and body only go with text/* or message/rfc822: {body}")
    _write_string(out, body.type, utf8)
    out.append(_SP)
    _write_string(out, body.subtype, utf8)
    out.append(_SP)
    fields = body.fields
    _write_params(out, fields.params, utf8)
    out.append(_SP)
    _write_nstring(out, fields.id, utf8)
    out.append(_SP)
    _write_nstring(out, fields.description, utf8)
    out.append(_SP)
    _write_string(out, fields.encoding, utf8)
    out.append(b" %d" % fields.size)
    if is_message:
        assert body.envelope is not None and body.body is not None
        out.append(_SP)
        _write_envelope(out, body.envelope, utf8)
        out.append(_SP)
        _write_body(out, body.body, extended, utf8, full)
    if body.lines is not None:
        out.append(b" %d" % body.lines)
    if extended and (
        full
        or body.md5 is not None
        or body.disposition is not None
        or body.language
        or body.location is not None
        or body.extensions
    ):
        out.append(_SP)
        md5 = body.md5
        _write_extension_tail(
            out,
            lambda: _write_nstring(out, md5, utf8),
            disposition=body.disposition,
            language=body.language,
            location=body.location,
            extensions=body.extensions,
            utf8=utf8,
            full=full,
        )


# ---------------------------------------------------------------------------
# FETCH items

_ItemWriter = Callable[[_Out, Any, bool], None]
_ITEM_WRITERS: dict[type[FetchDataItem], _ItemWriter] = {}


def _item(cls: type[FetchDataItem]) -> Callable[[_ItemWriter], _ItemWriter]:
    def register(func: _ItemWriter) -> _ItemWriter:
        _ITEM_WRITERS[cls] = func
        return func

    return register


#: Sections as written, by (id, utf8), with the section itself (which keeps
#: its id from being reused meanwhile): a FETCH writes the same one for
#: every message, and an identity check costs less than hashing it.
#: Emptied when full (a client may name many).
_SECTIONS: dict[tuple[int, bool], tuple[Section, bytes]] = {}


def _write_section(out: _Out, section: Section, utf8: bool) -> None:
    key = (id(section), utf8)
    known = _SECTIONS.get(key)
    if known is not None and known[0] is section:
        out.append(known[1])
        return
    written = _section_bytes(section, utf8)
    if len(_SECTIONS) >= 64:
        _SECTIONS.clear()
    _SECTIONS[key] = (section, written)
    out.append(written)


def _section_bytes(section: Section, utf8: bool) -> bytes:
    # section = "[" [section-spec] "]"
    # section-spec = section-msgtext / (section-part ["." section-text])
    head = ".".join(map(str, section.part))
    if section.text is not None:
        head = f"{head}.{section.text}" if head else section.text
    pieces: _Out = [b"[" + head.encode("ascii")]
    if section.fields:
        pieces.append(b" (")
        for i, field in enumerate(section.fields):
            if i:
                pieces.append(_SP)
            _write_astring(pieces, field.encode("ascii"), utf8)
        pieces.append(b")")
    pieces.append(b"]")
    return b"".join(pieces)  # type: ignore[arg-type]  # bytes only


def _write_data(out: _Out, data: MessageData | None, utf8: bool) -> None:
    """Message data (BODY[], BINARY[], RFC822*): always a literal, or NIL.

    A literal needs no scan of the bytes and no copy: the caller's object is
    appended as it is.
    """
    if data is None:
        out.append(_NIL)
    else:
        _write_literal(out, data)


@_item(FlagsItem)
def _write_flags_item(out: _Out, item: FlagsItem, utf8: bool) -> None:
    out.append(b"FLAGS ")
    _write_list(out, item.flags)


@_item(UidItem)
def _write_uid_item(out: _Out, item: UidItem, utf8: bool) -> None:
    out.append(b"UID %d" % item.uid)


@_item(InternalDateItem)
def _write_internaldate_item(out: _Out, item: InternalDateItem, utf8: bool) -> None:
    out.append(b"INTERNALDATE ")
    _write_datetime(out, item.date)


@_item(Rfc822SizeItem)
def _write_rfc822size_item(out: _Out, item: Rfc822SizeItem, utf8: bool) -> None:
    out.append(b"RFC822.SIZE %d" % item.size)


@_item(EnvelopeItem)
def _write_envelope_item(out: _Out, item: EnvelopeItem, utf8: bool) -> None:
    out.append(b"ENVELOPE ")
    _write_envelope(out, item.envelope, utf8)


@_item(BodyItem)
def _write_body_item(out: _Out, item: BodyItem, utf8: bool) -> None:
    out.append(b"BODY ")
    _write_body(out, item.structure, False, utf8)


@_item(BodyStructureItem)
def _write_bodystructure_item(out: _Out, item: BodyStructureItem, utf8: bool) -> None:
    out.append(b"BODYSTRUCTURE ")
    _write_body(out, item.structure, True, utf8)


@_item(BodySectionItem)
def _write_body_section_item(out: _Out, item: BodySectionItem, utf8: bool) -> None:
    out.append(b"BODY")
    _write_section(out, item.section, utf8)
    if item.origin is not None:
        out.append(b"<%d>" % item.origin)
    out.append(_SP)
    _write_data(out, item.data, utf8)


@_item(BinarySectionItem)
def _write_binary_section_item(out: _Out, item: BinarySectionItem, utf8: bool) -> None:
    out.append(b"BINARY[" + ".".join(map(str, item.part)).encode("ascii") + b"]")
    if item.origin is not None:
        out.append(b"<%d>" % item.origin)
    out.append(_SP)
    data = item.data
    if data is not None and has_nul(data):
        # RFC 3516 4.2: content with NUL is sent as literal8
        out.append(b"~{%d}\r\n" % _size(data))
        out.append(data)
    else:
        _write_data(out, data, utf8)


def _size(data: MessageData) -> int:
    return len(data) if isinstance(data, _BYTES_LIKE) else data.size


@_item(BinarySizeItem)
def _write_binary_size_item(out: _Out, item: BinarySizeItem, utf8: bool) -> None:
    part = ".".join(map(str, item.part)).encode("ascii")
    out.append(b"BINARY.SIZE[%s] %d" % (part, item.size))


@_item(ModSeqItem)
def _write_modseq_item(out: _Out, item: ModSeqItem, utf8: bool) -> None:
    out.append(b"MODSEQ (%d)" % item.modseq)


@_item(Rfc822Item)
def _write_rfc822_item(out: _Out, item: Rfc822Item, utf8: bool) -> None:
    out.append(b"RFC822 ")
    _write_data(out, item.data, utf8)


@_item(Rfc822HeaderItem)
def _write_rfc822_header_item(out: _Out, item: Rfc822HeaderItem, utf8: bool) -> None:
    out.append(b"RFC822.HEADER ")
    _write_data(out, item.data, utf8)


@_item(Rfc822TextItem)
def _write_rfc822_text_item(out: _Out, item: Rfc822TextItem, utf8: bool) -> None:
    out.append(b"RFC822.TEXT ")
    _write_data(out, item.data, utf8)


@_item(EmailIdItem)
def _write_emailid_item(out: _Out, item: EmailIdItem, utf8: bool) -> None:
    out.append(b"EMAILID (" + item.email_id.encode("ascii") + b")")


@_item(ThreadIdItem)
def _write_threadid_item(out: _Out, item: ThreadIdItem, utf8: bool) -> None:
    if item.thread_id is None:
        out.append(b"THREADID NIL")
    else:
        out.append(b"THREADID (" + item.thread_id.encode("ascii") + b")")


@_item(SaveDateItem)
def _write_savedate_item(out: _Out, item: SaveDateItem, utf8: bool) -> None:
    out.append(b"SAVEDATE ")
    if item.date is None:
        out.append(_NIL)
    else:
        _write_datetime(out, item.date)


@_item(PreviewItem)
def _write_preview_item(out: _Out, item: PreviewItem, utf8: bool) -> None:
    # RFC 8970 3.2: the preview is UTF-8 text; a literal when it cannot be quoted
    out.append(b"PREVIEW ")
    _write_nstring(out, None if item.text is None else item.text.encode("utf-8"), utf8)


@_response(FetchData)
def _write_fetch(out: _Out, response: FetchData, utf8: bool) -> None:
    out.append(b"* %d FETCH (" % response.number)
    for i, item in enumerate(response.items):
        if i:
            out.append(_SP)
        kind = type(item)
        # FLAGS and UID written here: the items of every resync and flag
        # update, so no writer call each (same bytes as their writers).
        if kind is FlagsItem:
            out.append(b"FLAGS (" + " ".join(item.flags).encode("ascii") + b")")  # type: ignore[attr-defined]
            continue
        if kind is UidItem:
            out.append(b"UID %d" % item.uid)  # type: ignore[attr-defined]
            continue
        try:
            writer = _ITEM_WRITERS[kind]
        except KeyError:
            raise TypeError(f"not a fetch item this encoder knows: {item!r}") from None
        writer(out, item, utf8)
    out.append(b")\r\n")


@_response(UidFetchData)
def _write_uidfetch(out: _Out, response: UidFetchData, utf8: bool) -> None:
    # RFC 9586 3.3: uidfetch-resp = uniqueid SP "UIDFETCH" SP msg-att, the
    # FETCH response's items after the UID in place of the sequence number.
    start = len(out)
    _write_fetch(out, FetchData(number=response.uid, items=response.items), utf8)
    out[start] = b"* %d UIDFETCH (" % response.uid


# ---------------------------------------------------------------------------
# Public API


def _write(response: Response, utf8: bool) -> _Out:
    out: _Out = []
    try:
        writer = _WRITERS[type(response)]
    except KeyError:
        raise TypeError(f"not a response this encoder knows: {response!r}") from None
    writer(out, response, utf8)
    return out


def read_source(source: MessageSource) -> bytes:
    """All of a source's bytes (for tests and whole-response encoding)."""
    data = source.read(0, source.size)
    if len(data) != source.size:
        raise ValueError("the message source ended early")
    return data


def encode_response(response: Response, *, utf8: bool = False) -> bytes:
    """The exact bytes of ``response``, CRLF included.

    ``utf8=True`` once the client enabled UTF8=ACCEPT (RFC 6855, RFC 9051):
    mailbox names are then written as UTF-8 instead of modified UTF-7 and
    quoted strings may hold UTF-8.  Message sources are read whole.
    """
    return b"".join(
        p if isinstance(p, bytes | memoryview) else read_source(p) for p in _write(response, utf8)
    )


def encode_response_chunks(response: Response, *, utf8: bool = False) -> list[Piece]:
    """Like :func:`encode_response`, as a list of chunks to write in order.

    Literal bodies of at least :data:`CHUNK_MIN` bytes are their own chunk, the
    very object the response holds (``bytes`` or ``memoryview``), not a copy;
    a :class:`~imap_sansio.MessageSource` is always its own chunk, not read
    yet; the small pieces between them are joined.
    """
    if type(response) is StatusResponse and response.code is None:
        # The commonest response (every tagged answer): one line, written
        # here without the writer table (as _write_status would).
        tag, text = response.tag, response.text
        return [
            (b"* " if tag is None else tag.encode("ascii") + _SP)
            + response.status._value_.encode("ascii")
            + _SP
            + (text.encode("utf-8") if utf8 or text.isascii() else _text(text, utf8))
            + _CRLF
        ]
    if type(response) is FetchData:
        pieces: _Out = []
        _write_fetch(pieces, response, utf8)  # one per message: no table lookup
    else:
        pieces = _write(response, utf8)
    for piece in pieces:
        if type(piece) is not bytes or len(piece) >= CHUNK_MIN:
            break
    else:
        # Small bytes only (a status response, FETCH FLAGS...): one chunk.
        return [b"".join(pieces)]  # type: ignore[arg-type]  # bytes only, just checked
    chunks: list[Piece] = []
    pending: list[bytes | memoryview] = []
    for piece in pieces:
        if not isinstance(piece, _BYTES_LIKE) or len(piece) >= CHUNK_MIN:
            if pending:
                chunks.append(b"".join(pending))
                pending = []
            chunks.append(piece)
        else:
            pending.append(piece)
    if pending:
        chunks.append(b"".join(pending))
    return chunks
