"""Hypothesis strategies that generate typed server responses.

Every value these strategies produce is valid (its constructor accepts it) and
is written by :func:`imap_sansio._encoder.encode_response` as bytes that a
strict parser reads back to an equal value, with ``utf8=False`` and with
``utf8=True``.  Use them to fuzz a client, a proxy or a response parser::

    from hypothesis import given
    from imap_sansio.testing.strategies import responses

    @given(responses())
    def test_my_client_reads_everything(response):
        my_client.feed(encode_response(response))

Public strategies: :func:`responses` (any response), and one per family:
:func:`status_responses`, :func:`response_codes`, :func:`continuation_requests`,
:func:`mailbox_data`, :func:`message_data`, :func:`fetch_data`,
:func:`fetch_data_items`, :func:`envelopes`, :func:`body_structures`,
:func:`mailbox_names`, :func:`flags`.

Where the wire form cannot tell two values apart, only one of them is
generated: ``ModifiedCode`` holds a ``SequenceSet`` (``[MODIFIED 7]`` does
not say whether the numbers are UIDs), continuation text never looks like
base64, empty tuples that are written ``NIL`` are generated as None, and
datetimes have whole seconds.
"""

from __future__ import annotations

import datetime
import re

from hypothesis import strategies as st

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
from imap_sansio._responses import (
    _DATA_CODES,
    ATOM_CODES,
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

from ._command_strategies import imap_urls

__all__ = [
    "body_structures",
    "continuation_requests",
    "envelopes",
    "fetch_data",
    "fetch_data_items",
    "flags",
    "inprogress_codes",
    "mailbox_data",
    "mailbox_names",
    "message_data",
    "metadata_data",
    "response_codes",
    "responses",
    "status_responses",
    "uid_fetch_data",
]

_MAX32 = 2**32 - 1
_MAX63 = 2**63 - 1

# ATOM-CHAR: printable ASCII without atom-specials
_ATOM_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '(){%*"\\]')
_TAG_CHARS = _ATOM_CHARS.replace("+", "") + "]"
_OBJECTID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_FIELD_NAME_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != ":")
_BASE64_TEXT = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")

_numbers = st.integers(1, _MAX32)
_counts = st.integers(0, _MAX32)
_modseqs = st.integers(1, _MAX63)
_atoms = st.text(_ATOM_CHARS, min_size=1, max_size=12)
# RFC 4314 7: identifier = astring (UTF-8); rights = lower-case letters and digits
_identifiers = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1)
_rights = st.text("lrswipkxtecda0123456789", max_size=12)
_tags = st.text(_TAG_CHARS, min_size=1, max_size=8)
_objectids = st.text(_OBJECTID_CHARS, min_size=1, max_size=20)
# Unicode text without surrogates (not encodable), NUL, CR or LF
_text_chars = st.characters(codec="utf-8", exclude_characters="\x00\r\n")
# status and continuation text: TEXT-CHAR (7-bit; UTF-8 needs utf8=True, see _encoder._text)
_texts = st.text(
    st.characters(min_codepoint=1, max_codepoint=0x7F, exclude_characters="\r\n"), max_size=30
)


def mailbox_names() -> st.SearchStrategy[str]:
    """Mailbox names: any Unicode without NUL or surrogates ("INBOX" often)."""
    return st.one_of(
        st.sampled_from(["INBOX", "Sent", "Drafts", "", "NIL", "a b", 'q"uote', "Entw\u00fcrfe"]),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
    )


def flags(*, perm: bool = False) -> st.SearchStrategy[str]:
    """Flags: system flags, keywords and ``\\`` extension flags (``\\*`` when ``perm``)."""
    system = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent"]
    if perm:
        system.append("\\*")
    return st.one_of(st.sampled_from(system), _atoms, _atoms.map(lambda a: "\\" + a))


def _flag_tuples(*, perm: bool = False) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(flags(perm=perm), max_size=5).map(tuple)


_set_items = st.lists(st.one_of(_numbers, st.tuples(_numbers, _numbers)), min_size=1, max_size=4)


def _uid_sets() -> st.SearchStrategy[UidSet]:
    return _set_items.map(lambda r: UidSet.from_ranges(*r))


def _seq_sets() -> st.SearchStrategy[SequenceSet]:
    return _set_items.map(lambda r: SequenceSet.from_ranges(*r))


# ---------------------------------------------------------------------------
# Status responses and codes


def response_codes() -> st.SearchStrategy[ResponseCode]:
    """Every kind of response code, typed ones and ``AtomCode``/``OtherCode``."""
    plain_names = _atoms.map(str.upper).filter(lambda n: n not in _DATA_CODES)
    code_texts = st.text(
        st.characters(min_codepoint=1, max_codepoint=0x7F, exclude_characters="\r\n]"),
        min_size=1,
        max_size=20,
    ).filter(lambda t: not t.startswith(" ") and not t.isspace())
    return st.one_of(
        st.sampled_from(ATOM_CODES).map(lambda n: AtomCode(name=n)),
        plain_names.map(lambda n: AtomCode(name=n)),
        st.builds(OtherCode, name=plain_names, text=code_texts),
        # RFC 5465 8: "BADEVENT" SP "(" event-name *(SP event-name) ")"
        st.lists(
            st.sampled_from(["MessageNew", "MessageExpunge", "FlagChange", "MailboxName"]),
            min_size=1,
            max_size=4,
        ).map(lambda names: OtherCode(name="BADEVENT", text="(" + " ".join(names) + ")")),
        st.builds(CapabilityCode, capabilities=st.lists(_atoms, max_size=4).map(tuple)),
        st.builds(BadCharsetCode, charsets=st.lists(_atoms, max_size=3).map(tuple)),
        st.builds(PermanentFlagsCode, flags=_flag_tuples(perm=True)),
        st.builds(UidNextCode, uid=_numbers),
        st.builds(UidValidityCode, uidvalidity=_numbers),
        st.builds(UnseenCode, number=_numbers),
        st.builds(AppendUidCode, uidvalidity=_numbers, uids=_uid_sets()),
        st.builds(CopyUidCode, uidvalidity=_numbers, source=_uid_sets(), destination=_uid_sets()),
        st.builds(HighestModSeqCode, modseq=_modseqs),
        st.builds(ModifiedCode, numbers=_seq_sets()),
        st.builds(MailboxIdCode, mailbox_id=_objectids),
        inprogress_codes(),
    )


@st.composite
def inprogress_codes(draw: st.DrawFn) -> InProgressCode:
    """RFC 9585 3: tag, progress and goal each known or NIL (all NIL: bare)."""
    total = draw(st.none() | _numbers)
    done = draw(st.none() | st.integers(0, total if total is not None else _MAX32))
    return InProgressCode(tag=draw(st.none() | _tags), done=done, total=total)


@st.composite
def status_responses(draw: st.DrawFn) -> StatusResponse:
    """Tagged OK/NO/BAD and untagged OK/NO/BAD/PREAUTH/BYE, with or without a code."""
    tagged = draw(st.booleans())
    if tagged:
        status = draw(st.sampled_from([Status.OK, Status.NO, Status.BAD]))
        tag: str | None = draw(_tags)
    else:
        status = draw(st.sampled_from(list(Status)))
        tag = None
    code = draw(st.none() | response_codes())
    text = draw(_texts)
    if code is None and text.startswith("["):
        text = text[1:]
        if text.startswith("["):
            text = "x" + text
    return StatusResponse(status=status, text=text, tag=tag, code=code)


def continuation_requests() -> st.SearchStrategy[ContinuationRequest]:
    """``+ text`` (text that is not base64) and ``+ base64`` SASL challenges."""
    texts = _texts.filter(lambda t: not t.startswith("[") and _BASE64_TEXT.fullmatch(t) is None)
    return st.one_of(
        st.builds(ContinuationRequest, text=texts | st.just("")),
        st.builds(ContinuationRequest, data=st.binary(min_size=1, max_size=40)),
    )


# ---------------------------------------------------------------------------
# Mailbox data


def _delimiters() -> st.SearchStrategy[str | None]:
    return (
        st.none()
        | st.sampled_from(["/", ".", "\\", '"', " "])
        | st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    )


def _attributes() -> st.SearchStrategy[tuple[str, ...]]:
    known = st.sampled_from(
        ["\\Noselect", "\\HasChildren", "\\HasNoChildren", "\\Marked", "\\Subscribed",
         "\\NonExistent", "\\Sent", "\\Drafts", "\\Trash", "\\All"]
    )  # fmt: skip
    return st.lists(known | _atoms.map(lambda a: "\\" + a), max_size=4).map(tuple)


def _namespaces() -> st.SearchStrategy[tuple[Namespace, ...] | None]:
    ext_texts = st.text(_text_chars, min_size=0, max_size=10)
    namespace = st.builds(
        Namespace,
        prefix=mailbox_names(),
        delimiter=_delimiters(),
        extensions=st.lists(
            st.tuples(ext_texts, st.lists(ext_texts, min_size=1, max_size=3).map(tuple)),
            max_size=2,
        ).map(tuple),
    )
    return st.none() | st.lists(namespace, min_size=1, max_size=3).map(tuple)


@st.composite
def _esearch(draw: st.DrawFn) -> ESearchData:
    uid = draw(st.booleans())
    numbers: SequenceSet | UidSet | None = (
        draw(st.none() | _uid_sets()) if uid else draw(st.none() | _seq_sets())
    )
    correlated = draw(st.booleans())  # RFC 7377's MAILBOX and UIDVALIDITY
    # RFC 9394: PARTIAL (low:high or -low:-high) with its results or NIL
    partial_range = draw(
        st.none()
        | st.tuples(_numbers, _numbers, st.sampled_from([1, -1])).map(
            lambda t: (t[0] * t[2], t[1] * t[2])
        )
    )
    partial: SequenceSet | UidSet | None = None
    if partial_range is not None:
        partial = draw(st.none() | _uid_sets()) if uid else draw(st.none() | _seq_sets())
    return ESearchData(
        tag=draw(st.none() | _tags),
        mailbox=draw(mailbox_names()) if correlated else None,
        uidvalidity=draw(_numbers) if correlated else None,
        uid=uid,
        min=draw(st.none() | _numbers),
        max=draw(st.none() | _numbers),
        all=numbers,
        count=draw(st.none() | _counts),
        modseq=draw(st.none() | _modseqs),
        partial_range=partial_range,
        partial=partial,
    )


@st.composite
def _numbers_with_modseq(draw: st.DrawFn, cls: type[SearchData] | type[SortData]) -> object:
    numbers = tuple(draw(st.lists(_numbers, max_size=6)))
    modseq = draw(st.none() | _modseqs) if numbers else None
    return cls(numbers=numbers, modseq=modseq)


def _threads() -> st.SearchStrategy[Thread]:
    members = st.lists(_numbers, max_size=3).map(tuple)

    def extend(children: st.SearchStrategy[Thread]) -> st.SearchStrategy[Thread]:
        nested = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.builds(Thread, members=members, children=nested)

    leaf = st.builds(Thread, members=st.lists(_numbers, min_size=1, max_size=3).map(tuple))
    return st.recursive(leaf, extend, max_leaves=8)


# METADATA entry names (RFC 5464 3.2): /private or /shared, then components
# of printable ASCII without "/", "*" or "%" (space and quote included).
_entry_component = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="/*%"),
    min_size=1,
    max_size=8,
)
_entry_names = st.builds(
    lambda scope, parts: scope + "/" + "/".join(parts),
    st.sampled_from(["/private", "/shared", "/PRIVATE", "/Shared"]),
    st.lists(_entry_component, min_size=1, max_size=3),
)


def metadata_data() -> st.SearchStrategy[MetadataData]:
    """METADATA responses (RFC 5464 4.4): entries with values (any octets,
    NUL included: literal8) or the names of changed entries."""
    values = st.none() | st.binary(max_size=40)
    with_values = st.builds(
        MetadataData,
        mailbox=mailbox_names(),
        entries=st.lists(st.tuples(_entry_names, values), min_size=1, max_size=3).map(tuple),
    )
    names = st.builds(
        MetadataData,
        mailbox=mailbox_names(),
        names=st.lists(_entry_names, min_size=1, max_size=3).map(tuple),
    )
    return with_values | names


def mailbox_data() -> st.SearchStrategy[Response]:
    """CAPABILITY, ENABLED, LIST, LSUB, NAMESPACE, STATUS, SEARCH, ESEARCH, SORT,
    THREAD, FLAGS, ID, QUOTA, QUOTAROOT and METADATA responses."""
    atom_tuples = st.lists(_atoms, max_size=5).map(tuple)
    status = st.builds(
        StatusData,
        mailbox=mailbox_names(),
        messages=st.none() | _counts,
        recent=st.none() | _counts,
        uidnext=st.none() | _numbers,
        uidvalidity=st.none() | _numbers,
        unseen=st.none() | _counts,
        deleted=st.none() | _counts,
        deleted_storage=st.none() | st.integers(0, _MAX63),
        size=st.none() | st.integers(0, _MAX63),
        highestmodseq=st.none() | st.integers(0, _MAX63),
        appendlimit=st.none() | st.integers(-1, _MAX63),
        mailbox_id=st.none() | _objectids,
    )
    id_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
    return st.one_of(
        st.builds(CapabilityData, capabilities=atom_tuples),
        st.builds(EnabledData, capabilities=atom_tuples),
        st.builds(
            ListData,
            attributes=_attributes(),
            delimiter=_delimiters(),
            mailbox=mailbox_names(),
            childinfo=st.none() | st.lists(_atoms, min_size=1, max_size=2).map(tuple),
            old_name=st.none() | mailbox_names(),
        ),
        st.builds(
            LsubData, attributes=_attributes(), delimiter=_delimiters(), mailbox=mailbox_names()
        ),
        st.builds(NamespaceData, personal=_namespaces(), other=_namespaces(), shared=_namespaces()),
        status,
        _numbers_with_modseq(SearchData),
        _numbers_with_modseq(SortData),
        _esearch(),
        st.builds(ThreadData, threads=st.lists(_threads(), max_size=3).map(tuple)),
        st.builds(FlagsData, flags=_flag_tuples()),
        st.builds(
            IdData,
            params=st.none()
            | st.lists(st.tuples(id_text, st.none() | id_text), min_size=1, max_size=3).map(tuple),
        ),
        st.builds(
            QuotaData,
            root=id_text,
            resources=st.lists(
                st.builds(
                    QuotaResource,
                    name=_atoms,
                    usage=st.integers(0, _MAX63),
                    limit=st.integers(0, _MAX63),
                ),
                min_size=1,
                max_size=3,
            ).map(tuple),
        ),
        st.builds(
            QuotaRootData,
            mailbox=mailbox_names(),
            roots=st.lists(id_text, max_size=3).map(tuple),
        ),
        # RFC 4314 3.6-3.8
        st.builds(
            AclData,
            mailbox=mailbox_names(),
            entries=st.lists(st.tuples(_identifiers, _rights), max_size=3).map(tuple),
        ),
        st.builds(
            ListRightsData,
            mailbox=mailbox_names(),
            identifier=_identifiers,
            required=_rights,
            optional=st.lists(_rights.filter(bool), max_size=4).map(tuple),
        ),
        st.builds(MyRightsData, mailbox=mailbox_names(), rights=_rights),
        metadata_data(),
    )


def message_data() -> st.SearchStrategy[Response]:
    """EXISTS, RECENT, EXPUNGE, VANISHED and FETCH responses."""
    return st.one_of(
        st.builds(ExistsData, count=_counts),
        st.builds(RecentData, count=_counts),
        st.builds(ExpungeData, number=_numbers),
        st.builds(VanishedData, uids=_uid_sets(), earlier=st.booleans()),
        fetch_data(),
        uid_fetch_data(),
    )


# ---------------------------------------------------------------------------
# ENVELOPE and BODYSTRUCTURE

# header bytes as stored: anything but NUL (a literal cannot hold NUL)
_header_bytes = st.binary(max_size=20).map(lambda b: b.replace(b"\x00", b""))
_nheader = st.none() | _header_bytes


def _addresses() -> st.SearchStrategy[tuple[Address, ...] | None]:
    address = st.builds(Address, name=_nheader, adl=_nheader, mailbox=_nheader, host=_nheader)
    return st.none() | st.lists(address, min_size=1, max_size=3).map(tuple)


def envelopes() -> st.SearchStrategy[Envelope]:
    """ENVELOPE values (address lists are None or non-empty)."""
    return st.builds(
        Envelope,
        date=_nheader,
        subject=_nheader,
        from_=_addresses(),
        sender=_addresses(),
        reply_to=_addresses(),
        to=_addresses(),
        cc=_addresses(),
        bcc=_addresses(),
        in_reply_to=_nheader,
        message_id=_nheader,
    )


_token = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ-abc0123456789", min_size=1, max_size=10).map(
    str.encode
)


def _params() -> st.SearchStrategy[Params | None]:
    return st.none() | st.lists(st.tuples(_token, _header_bytes), min_size=1, max_size=3).map(tuple)


def _dispositions() -> st.SearchStrategy[Disposition | None]:
    return st.none() | st.tuples(_token, _params())


def _body_extensions() -> st.SearchStrategy[BodyExtension]:
    leaf: st.SearchStrategy[BodyExtension] = st.one_of(
        st.none(), _header_bytes, st.integers(0, _MAX32)
    )
    return st.recursive(
        leaf, lambda inner: st.lists(inner, min_size=1, max_size=3).map(tuple), max_leaves=5
    )


@st.composite
def _extension_fields(draw: st.DrawFn, extended: bool) -> dict[str, object]:
    if not extended:
        return {}
    return {
        "disposition": draw(_dispositions()),
        "language": draw(st.none() | st.lists(_token, min_size=1, max_size=2).map(tuple)),
        "location": draw(_nheader),
        "extensions": tuple(draw(st.lists(_body_extensions(), max_size=2))),
    }


@st.composite
def _single_part(
    draw: st.DrawFn, children: st.SearchStrategy[BodyStructure], extended: bool
) -> SinglePart:
    kind = draw(st.sampled_from(["text", "message", "basic"]))
    fields = BodyFields(
        params=draw(_params()),
        id=draw(_nheader),
        description=draw(_nheader),
        encoding=draw(st.sampled_from([b"7BIT", b"8BIT", b"BASE64", b"QUOTED-PRINTABLE"])),
        size=draw(st.integers(0, _MAX32)),
    )
    extra: dict[str, object] = draw(_extension_fields(extended))
    if extended:
        extra["md5"] = draw(_nheader)
    if kind == "text":
        return SinglePart(
            type=b"TEXT",
            subtype=draw(st.sampled_from([b"PLAIN", b"html"])),
            fields=fields,
            lines=draw(st.integers(0, _MAX32)),
            **extra,  # type: ignore[arg-type]
        )
    if kind == "message":
        return SinglePart(
            type=draw(st.sampled_from([b"MESSAGE", b"message"])),
            subtype=draw(st.sampled_from([b"RFC822", b"GLOBAL"])),
            fields=fields,
            lines=draw(st.integers(0, _MAX32)),
            envelope=draw(envelopes()),
            body=draw(children),
            **extra,  # type: ignore[arg-type]
        )
    media_type = draw(
        (st.sampled_from([b"APPLICATION", b"IMAGE", b"AUDIO", b"x-weird"]) | _header_bytes).filter(
            lambda t: t.upper() not in (b"TEXT", b"MESSAGE")
        )
    )
    return SinglePart(
        type=media_type,
        subtype=draw(_token),
        fields=fields,
        **extra,  # type: ignore[arg-type]
    )


@st.composite
def _multi_part(
    draw: st.DrawFn, children: st.SearchStrategy[BodyStructure], extended: bool
) -> MultiPart:
    extra: dict[str, object] = draw(_extension_fields(extended))
    if extended:
        extra["params"] = draw(_params())
    return MultiPart(
        parts=tuple(draw(st.lists(children, min_size=1, max_size=3))),
        subtype=draw(st.sampled_from([b"MIXED", b"alternative", b"related"])),
        **extra,  # type: ignore[arg-type]
    )


def body_structures(*, extended: bool = True) -> st.SearchStrategy[BodyStructure]:
    """Body structures; ``extended=False`` leaves out the extension data (for BODY)."""

    def grow(children: st.SearchStrategy[BodyStructure]) -> st.SearchStrategy[BodyStructure]:
        return st.one_of(
            _single_part(children, extended),
            _multi_part(children, extended),
        )

    base: st.SearchStrategy[BodyStructure] = _single_part(st.just(_leaf_text()), extended)
    return st.recursive(base, grow, max_leaves=5)


def _leaf_text() -> SinglePart:
    return SinglePart(
        type=b"TEXT",
        subtype=b"PLAIN",
        fields=BodyFields(params=None, id=None, description=None, encoding=b"7BIT", size=0),
        lines=0,
    )


# ---------------------------------------------------------------------------
# FETCH


def _sections() -> st.SearchStrategy[Section]:
    parts = st.lists(st.integers(1, 50), max_size=3).map(tuple)
    fields = st.lists(
        st.text(_FIELD_NAME_CHARS, min_size=1, max_size=12), min_size=1, max_size=3
    ).map(tuple)

    @st.composite
    def build(draw: st.DrawFn) -> Section:
        part = draw(parts)
        texts: list[str | None] = [None, "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT"]
        if part:
            texts.append("MIME")
        text = draw(st.sampled_from(texts))
        if text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            return Section(part=part, text=text, fields=draw(fields))
        return Section(part=part, text=text)

    return build()


_datetimes = st.builds(
    lambda dt, minutes: dt.replace(
        microsecond=0, tzinfo=datetime.timezone(datetime.timedelta(minutes=minutes))
    ),
    st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2200, 1, 1)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
_message_bytes = st.none() | st.binary(max_size=80).map(lambda b: b.replace(b"\x00", b""))


def fetch_data_items() -> st.SearchStrategy[FetchDataItem]:
    """Every FETCH response item."""
    parts = st.lists(st.integers(1, 50), max_size=3).map(tuple)
    return st.one_of(
        st.builds(FlagsItem, flags=_flag_tuples()),
        st.builds(UidItem, uid=_numbers),
        st.builds(InternalDateItem, date=_datetimes),
        st.builds(Rfc822SizeItem, size=st.integers(0, _MAX63)),
        st.builds(EnvelopeItem, envelope=envelopes()),
        st.builds(BodyItem, structure=body_structures(extended=False)),
        st.builds(BodyStructureItem, structure=body_structures()),
        st.builds(
            BodySectionItem,
            section=_sections(),
            data=_message_bytes,
            origin=st.none() | _counts,
        ),
        st.builds(
            BinarySectionItem,
            part=parts,
            data=st.none() | st.binary(max_size=80),
            origin=st.none() | _counts,
        ),
        st.builds(BinarySizeItem, part=parts, size=_counts),
        st.builds(ModSeqItem, modseq=_modseqs),
        st.builds(Rfc822Item, data=_message_bytes),
        st.builds(Rfc822HeaderItem, data=_message_bytes),
        st.builds(Rfc822TextItem, data=_message_bytes),
        st.builds(EmailIdItem, email_id=_objectids),
        st.builds(ThreadIdItem, thread_id=st.none() | _objectids),
        st.builds(SaveDateItem, date=st.none() | _datetimes),
        st.builds(
            PreviewItem,
            text=st.none() | st.text(st.characters(codec="utf-8", exclude_characters="\x00")),
        ),
    )


def fetch_data() -> st.SearchStrategy[FetchData]:
    """``* n FETCH (...)`` with one to four items."""
    return st.builds(
        FetchData,
        number=_numbers,
        items=st.lists(fetch_data_items(), min_size=1, max_size=4).map(tuple),
    )


def uid_fetch_data() -> st.SearchStrategy[UidFetchData]:
    """``* uid UIDFETCH (...)`` (RFC 9586 3.3) with one to four items."""
    return st.builds(
        UidFetchData,
        uid=_numbers,
        items=st.lists(fetch_data_items(), min_size=1, max_size=4).map(tuple),
    )


def _urlfetch_items() -> st.SearchStrategy[UrlFetchItem]:
    return st.one_of(
        st.builds(UrlFetchItem, name=st.just("BODYPARTSTRUCTURE"), structure=body_structures()),
        st.builds(UrlFetchItem, name=st.just("BODY"), data=_message_bytes),
        st.builds(UrlFetchItem, name=st.just("BINARY"), data=st.none() | st.binary(max_size=40)),
    )


def urlauth_data() -> st.SearchStrategy[Response]:
    """GENURLAUTH and URLFETCH responses (RFC 4467 7, RFC 5524 4)."""
    urls = imap_urls().map(str)
    return st.one_of(
        st.builds(GenUrlAuthData, urls=st.lists(urls, min_size=1, max_size=3).map(tuple)),
        st.builds(UrlFetchData, url=urls, data=_message_bytes),
        st.builds(
            UrlFetchData,
            url=urls,
            items=st.lists(_urlfetch_items(), max_size=3).map(tuple),
        ),
    )


def responses() -> st.SearchStrategy[Response]:
    """Any server response."""
    return st.one_of(
        status_responses(),
        continuation_requests(),
        mailbox_data(),
        message_data(),
        urlauth_data(),
    )
