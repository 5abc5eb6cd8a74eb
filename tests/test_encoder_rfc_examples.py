"""The encoder writes the RFC examples' server lines byte for byte.

Each case names an ``S:`` line of tests/data/vectors/rfc_examples.tsv by RFC
number and line; the expected bytes are read from that file (RFC line
wrapping undone: continuation rows are joined with a space, or with nothing
for base64), never typed here.  A second table holds examples that we write
in a different but equivalent form (the RFCs themselves are not consistent:
RFC 5258 quotes mailbox names that RFC 3501 writes as atoms); for those the
strict parser reads the RFC's bytes to the typed value, and our bytes read
back to the same value.
"""

from __future__ import annotations

import base64
import datetime

import paths
import pytest
from response_parser import parse_response

from imap_sansio._bodystructure import Address, BodyFields, Envelope, SinglePart
from imap_sansio._commands import Section
from imap_sansio._encoder import encode_response
from imap_sansio._responses import (
    AppendUidCode,
    AtomCode,
    BodyItem,
    BodySectionItem,
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
    FlagsData,
    FlagsItem,
    IdData,
    InternalDateItem,
    ListData,
    LsubData,
    MailboxIdCode,
    ModifiedCode,
    ModSeqItem,
    Namespace,
    NamespaceData,
    PermanentFlagsCode,
    PreviewItem,
    QuotaData,
    QuotaResource,
    QuotaRootData,
    RecentData,
    Response,
    Rfc822SizeItem,
    SearchData,
    SortData,
    Status,
    StatusData,
    StatusResponse,
    Thread,
    ThreadData,
    ThreadIdItem,
    UidItem,
    UidNextCode,
    UidValidityCode,
    UnseenCode,
    VanishedData,
)
from imap_sansio._sequence import SequenceSet, UidSet

VECTORS = paths.VECTORS / "rfc_examples.tsv"


def _load() -> tuple[dict[tuple[int, int], str], list[tuple[int, int, str, str]]]:
    lines: dict[tuple[int, int], str] = {}
    rows: list[tuple[int, int, str, str]] = []
    for raw in VECTORS.read_text(encoding="utf-8").splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        rfc, line, _section, role, text = raw.split("\t", 4)
        rows.append((int(rfc), int(line), role, text))
        lines[(int(rfc), int(line))] = text
    return lines, rows


_LINES, _ROWS = _load()


def rfc_line(rfc: int, line: int, *, join: str | None = None) -> bytes:
    """The server line at ``rfc:line``, plus CRLF.

    With ``join``, the continuation rows that follow (the RFC wrapped the line)
    are stripped and appended with ``join`` between them.
    """
    start = next(i for i, r in enumerate(_ROWS) if r[0] == rfc and r[1] == line)
    assert _ROWS[start][2] == "S", _ROWS[start]
    parts = [_ROWS[start][3]]
    for row in _ROWS[start + 1 :] if join is not None else ():
        if row[0] != rfc or row[2] != "+":
            break
        parts.append(row[3].strip())
    return ((join or "").join(parts) + "\r\n").encode("utf-8")


def _seq(*r: int | tuple[int, int]) -> SequenceSet:
    return SequenceSet.from_ranges(*r)


def _uids(*r: int | tuple[int, int]) -> UidSet:
    return UidSet.from_ranges(*r)


def _ok(
    tag: str | None, text: str, code: object = None, status: Status = Status.OK
) -> StatusResponse:
    return StatusResponse(status=status, tag=tag, text=text, code=code)  # type: ignore[arg-type]


_TERRY = Address(name=b"Terry Gray", adl=None, mailbox=b"gray", host=b"cac.washington.edu")
_ENVELOPE_3501 = Envelope(
    date=b"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
    subject=b"IMAP4rev1 WG mtg summary and minutes",
    from_=(_TERRY,),
    sender=(_TERRY,),
    reply_to=(_TERRY,),
    to=(Address(name=None, adl=None, mailbox=b"imap", host=b"cac.washington.edu"),),
    cc=(
        Address(name=None, adl=None, mailbox=b"minutes", host=b"CNRI.Reston.VA.US"),
        Address(name=b"John Klensin", adl=None, mailbox=b"KLENSIN", host=b"MIT.EDU"),
    ),
    bcc=None,
    in_reply_to=None,
    message_id=b"<B27397-0100000@cac.washington.edu>",
)
_HEADER_3501 = (
    b"".join(_LINES[(3501, n)].encode("ascii") + b"\r\n" for n in range(4541, 4549)) + b"\r\n"
)
_PDT = datetime.timezone(datetime.timedelta(hours=-7))

# (rfc, line, join, value): join is how the RFC's wrapped rows are put back together
EXACT: list[tuple[int, int, str | None, Response]] = [
    # status responses and response codes
    (3501, 1660, None, _ok(None, "IMAP4rev1 Server")),
    (3501, 1866, None, _ok("A142", "SELECT completed", AtomCode(name="READ-WRITE"))),
    (3501, 1918, None, _ok("A932", "EXAMINE completed", AtomCode(name="READ-ONLY"))),
    (3501, 1861, None, _ok(None, "Message 12 is first unseen", UnseenCode(number=12))),
    (3501, 1862, None, _ok(None, "UIDs valid", UidValidityCode(uidvalidity=3857529045))),
    (3501, 1863, None, _ok(None, "Predicted next UID", UidNextCode(uid=4392))),
    (
        3501,
        1865,
        None,
        _ok(None, "Limited", PermanentFlagsCode(flags=("\\Deleted", "\\Seen", "\\*"))),
    ),
    (3501, 3721, None, _ok(None, "System shutdown in 10 minutes", AtomCode(name="ALERT"))),
    (
        3501,
        3737,
        None,
        _ok(None, "Disk is 98% full, please delete unnecessary data", status=Status.NO),
    ),
    (3501, 3742, None, _ok("A223", "COPY failed: disk is full", status=Status.NO)),
    (3501, 3770, None, _ok(None, "Command line too long", status=Status.BAD)),
    (3501, 4489, None, _ok("A044", 'No such command as "BLURDYBLOOP"', status=Status.BAD)),
    (3501, 3789, None, _ok(None, "IMAP4rev1 server logged in as Smith", status=Status.PREAUTH)),
    (3501, 3834, None, _ok(None, "Autologout; idle for too long", status=Status.BYE)),
    (9051, 5358, None, _ok(None, "IMAP4rev2 server logged in as Smith", status=Status.PREAUTH)),
    (
        4315,
        246,
        None,
        _ok("A003", "APPEND completed", AppendUidCode(uidvalidity=38505, uids=_uids(3955))),
    ),
    (
        4315,
        248,
        None,
        _ok(
            "A004",
            "Done",
            CopyUidCode(
                uidvalidity=38505, source=_uids(304, (319, 320)), destination=_uids((3956, 3958))
            ),
        ),
    ),
    (4315, 259, None, _ok(None, "Non-persistent UIDs", AtomCode(name="UIDNOTSTICKY"), Status.NO)),
    (
        4978,
        206,
        None,
        _ok("c", "DEFLATE active via TLS", AtomCode(name="COMPRESSIONACTIVE"), Status.NO),
    ),
    (
        5530,
        103,
        None,
        _ok("a", "User's backend down for maintenance", AtomCode(name="UNAVAILABLE"), Status.NO),
    ),
    (
        5530,
        127,
        None,
        _ok("b", "Authentication failed", AtomCode(name="AUTHENTICATIONFAILED"), Status.NO),
    ),
    (
        5530,
        138,
        None,
        _ok("c1", "No such authorization-ID", AtomCode(name="AUTHORIZATIONFAILED"), Status.NO),
    ),
    (
        5530,
        152,
        None,
        _ok("d", "That password isn't valid any more", AtomCode(name="EXPIRED"), Status.NO),
    ),
    (
        5530,
        161,
        None,
        _ok("d", "Connection offers no privacy", AtomCode(name="PRIVACYREQUIRED"), Status.NO),
    ),
    (5530, 191, None, _ok("f", "Access denied", AtomCode(name="NOPERM"), Status.NO)),
    (5530, 203, None, _ok("g", "Mailbox in use", AtomCode(name="INUSE"), Status.NO)),
    (5530, 212, None, _ok("h", "Search completed", AtomCode(name="EXPUNGEISSUED"))),
    (5530, 221, None, _ok("i", "Cannot open mailbox", AtomCode(name="CORRUPTION"), Status.NO)),
    (5530, 240, None, _ok("j", "This should not happen", AtomCode(name="SERVERBUG"), Status.NO)),
    (5530, 251, None, _ok("k2", "Done", AtomCode(name="CLIENTBUG"))),
    (
        5530,
        258,
        None,
        _ok("l", "Adjacent slashes are not supported", AtomCode(name="CANNOT"), Status.NO),
    ),
    (
        5530,
        266,
        None,
        _ok("m", "At most 32 flags in one mailbox supported", AtomCode(name="LIMIT"), Status.NO),
    ),
    (5530, 277, None, _ok("n1", "Sorry", AtomCode(name="OVERQUOTA"), Status.NO)),
    (
        5530,
        298,
        None,
        _ok("o", 'Mailbox "that" already exists', AtomCode(name="ALREADYEXISTS"), Status.NO),
    ),
    (5530, 305, None, _ok("p", "No such mailbox", AtomCode(name="NONEXISTENT"), Status.NO)),
    (6154, 422, None, _ok("t3", "\\All not supported", AtomCode(name="USEATTR"), Status.NO)),
    (
        7162,
        539,
        " ",
        _ok(
            None,
            "Sorry, this mailbox format doesn't support modsequences",
            AtomCode(name="NOMODSEQ"),
        ),
    ),
    (7162, 637, None, _ok("d105", "Conditional STORE failed", ModifiedCode(numbers=_seq(7, 9)))),
    (
        7162,
        816,
        None,
        _ok(
            "B001",
            "Some of the messages no longer exist.",
            ModifiedCode(numbers=_seq(2)),
            Status.NO,
        ),
    ),
    (
        8474,
        200,
        None,
        _ok("3", "Completed", MailboxIdCode(mailbox_id="F2212ea87-6097-4256-9d51-71338625")),
    ),
    # continuation requests
    (3501, 2636, None, ContinuationRequest(text="Ready for literal data")),
    (2177, 128, None, ContinuationRequest(text="idling")),
    (
        3501,
        1677,
        "",
        # the challenge bytes are the RFC's base64, decoded
        ContinuationRequest(data=base64.b64decode(rfc_line(3501, 1677, join="")[2:])),
    ),
    # untagged data
    (3501, 1376, None, CapabilityData(capabilities=("IMAP4rev1", "STARTTLS", "AUTH=GSSAPI"))),
    (
        9051,
        5478,
        None,
        CapabilityData(capabilities=("STARTTLS", "AUTH=GSSAPI", "IMAP4rev2", "LOGINDISABLED")),
    ),
    (5161, 153, None, EnabledData(capabilities=("X-GOOD-IDEA",))),
    (9051, 5414, None, EnabledData(capabilities=("CONDSTORE", "QRESYNC"))),
    (3501, 2029, None, ListData(attributes=("\\Noselect",), delimiter="/", mailbox="foo")),
    (9051, 2758, None, ListData(attributes=("\\Noselect",), delimiter="/", mailbox="")),
    (9051, 2761, None, ListData(attributes=("\\Noselect",), delimiter=".", mailbox="#news.")),
    (9051, 2767, None, ListData(attributes=("\\Noselect",), delimiter="/", mailbox="~/Mail/foo")),
    (3348, 142, None, ListData(attributes=("\\HasNoChildren",), delimiter="/", mailbox="INBOX")),
    (
        6154,
        361,
        None,
        ListData(attributes=("\\Sent", "\\HasNoChildren"), delimiter="/", mailbox="SentMail"),
    ),
    (
        5258,
        1015,
        None,
        ListData(
            attributes=("\\HasNoChildren",), delimiter="/", mailbox="foo", childinfo=("SUBSCRIBED",)
        ),
    ),
    (3501, 2459, None, LsubData(attributes=(), delimiter=".", mailbox="#news.comp.mail.mime")),
    (
        3501,
        2463,
        None,
        LsubData(attributes=("\\NoSelect",), delimiter=".", mailbox="#news.comp.mail"),
    ),
    (
        2342,
        165,
        None,
        NamespaceData(personal=(Namespace(prefix="", delimiter="/"),), other=None, shared=None),
    ),
    (
        9051,
        3144,
        None,
        NamespaceData(
            personal=(Namespace(prefix="", delimiter="/"),),
            other=None,
            shared=(Namespace(prefix="Public Folders/", delimiter="/"),),
        ),
    ),
    (
        9051,
        3209,
        " ",
        NamespaceData(
            personal=(
                Namespace(prefix="", delimiter="/"),
                Namespace(
                    prefix="#mh/", delimiter="/", extensions=(("X-PARAM", ("FLAG1", "FLAG2")),)
                ),
            ),
            other=None,
            shared=None,
        ),
    ),
    (3501, 2546, None, StatusData(mailbox="blurdybloop", messages=231, uidnext=44292)),
    (7889, 187, None, StatusData(mailbox="INBOX", appendlimit=257890)),
    (8474, 255, None, StatusData(mailbox="foo", mailbox_id="F2212ea87-6097-4256-9d51-71338625")),
    (3501, 3029, None, SearchData(numbers=(2, 84, 882))),
    (3501, 3032, None, SearchData(numbers=())),
    (7162, 1105, None, SearchData(numbers=(2, 5, 6, 7, 11, 12, 18, 19, 20, 23), modseq=917162500)),
    (4731, 157, None, ESearchData(tag="A282", min=2, count=3)),
    (4731, 162, None, ESearchData(tag="A283", all=_seq(2, (10, 11)))),
    (4731, 187, None, ESearchData(tag="A285", uid=True, min=7, max=3800)),
    (4731, 244, None, ESearchData(tag="a4", min=2, count=10, modseq=917162500)),
    (9051, 4003, None, ESearchData(tag="A284")),
    (9051, 5783, None, ESearchData(uid=True, count=17, all=_uids((4, 18), 21, 28))),
    (9051, 4326, None, ESearchData(tag="C286", min=2, all=_seq(2, (10, 15), 21))),
    (5256, 302, None, SortData(numbers=(2, 84, 882))),
    (5256, 308, None, SortData(numbers=())),
    (5256, 666, None, ThreadData(threads=())),
    (
        5256,
        729,
        None,
        ThreadData(
            threads=(
                Thread(members=(2,)),
                Thread(
                    members=(3, 6), children=(Thread(members=(4, 23)), Thread(members=(44, 7, 96)))
                ),
            )
        ),
    ),
    (
        5256,
        759,
        None,
        ThreadData(
            threads=(Thread(members=(), children=(Thread(members=(3,)), Thread(members=(5,)))),)
        ),
    ),
    (
        5256,
        669,
        None,
        ThreadData(
            threads=(
                *(Thread(members=(n,)) for n in (166, 167, 168, 169, 172)),
                Thread(members=(), children=(Thread(members=(170,)), Thread(members=(179,)))),
            )
        ),
    ),
    (
        3501,
        1864,
        None,
        FlagsData(flags=("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")),
    ),
    (3501, 1859, None, ExistsData(count=172)),
    (3501, 1860, None, RecentData(count=1)),
    (2177, 124, None, RecentData(count=0)),
    (3501, 2762, None, ExpungeData(number=5)),
    (
        7162,
        1584,
        None,
        VanishedData(uids=_uids(41, (43, 116), 118, (120, 211), (214, 540)), earlier=True),
    ),
    (7162, 1862, None, VanishedData(uids=_uids(405, 407, 410, 425))),
    (2971, 156, None, IdData(params=None)),
    (
        2971,
        179,
        " ",
        IdData(
            params=(
                ("name", "Cyrus"),
                ("version", "1.5"),
                ("os", "sunos"),
                ("os-version", "5.5"),
                ("support-url", "mailto:cyrus-bugs+@andrew.cmu.edu"),
            )
        ),
    ),
    (
        9208,
        274,
        None,
        QuotaData(
            root="!partition/sda4",
            resources=(QuotaResource(name="STORAGE", usage=104, limit=10923847),),
        ),
    ),
    (
        9208,
        446,
        None,
        QuotaData(root="", resources=(QuotaResource(name="STORAGE", usage=10, limit=512),)),
    ),
    (9208, 308, None, QuotaRootData(mailbox="INBOX", roots=("#user/alice", "!partition/sda4"))),
    (9208, 465, None, QuotaRootData(mailbox="comp.mail.mime", roots=())),
    # FETCH
    (3501, 1411, None, FetchData(number=14, items=(FlagsItem(flags=("\\Seen", "\\Deleted")),))),
    (
        3501,
        3464,
        None,
        FetchData(number=23, items=(FlagsItem(flags=("\\Seen",)), UidItem(uid=4827313))),
    ),
    (
        9051,
        6169,
        None,
        FetchData(
            number=23,
            items=(FlagsItem(flags=("\\Seen",)), Rfc822SizeItem(size=44827), UidItem(uid=447)),
        ),
    ),
    (7162, 593, None, FetchData(number=1, items=(UidItem(uid=4), ModSeqItem(modseq=12121231000)))),
    (
        7162,
        646,
        None,
        FetchData(
            number=7, items=(ModSeqItem(modseq=320162342), FlagsItem(flags=("\\Seen", "\\Deleted")))
        ),
    ),
    (
        8474,
        431,
        None,
        FetchData(
            number=1,
            items=(
                EmailIdItem(email_id="M6d99ac3275bb4e"),
                ThreadIdItem(thread_id="T64b478a75b7ea9"),
            ),
        ),
    ),
    (
        8474,
        466,
        None,
        FetchData(
            number=1, items=(EmailIdItem(email_id="M00000001"), ThreadIdItem(thread_id=None))
        ),
    ),
    (8970, 156, None, FetchData(number=1, items=(PreviewItem(text="Preview text!"),))),
]

# The big FETCH of RFC 3501 6.4.5 / 8: ENVELOPE and BODY.  The RFC wraps the line
# between two addresses of the cc list, where the ABNF (1*address) has no space.
_FULL_3501 = FetchData(
    number=12,
    items=(
        FlagsItem(flags=("\\Seen",)),
        InternalDateItem(date=datetime.datetime(1996, 7, 17, 2, 44, 25, tzinfo=_PDT)),
        Rfc822SizeItem(size=4286),
        EnvelopeItem(envelope=_ENVELOPE_3501),
        BodyItem(
            structure=SinglePart(
                type=b"TEXT",
                subtype=b"PLAIN",
                fields=BodyFields(
                    params=((b"CHARSET", b"US-ASCII"),), id=None, description=None,
                    encoding=b"7BIT", size=3028,
                ),
                lines=92,
            )
        ),
    ),
)  # fmt: skip


@pytest.mark.parametrize(
    ("rfc", "line", "join", "value"),
    EXACT,
    ids=[f"rfc{rfc}-line{line}" for rfc, line, _, _ in EXACT],
)
def test_encoder_writes_rfc_example(rfc: int, line: int, join: str | None, value: Response) -> None:
    expected = rfc_line(rfc, line, join=join)
    assert encode_response(value) == expected
    assert parse_response(expected) == value


def test_encoder_writes_rfc3501_fetch_full_with_envelope_and_body() -> None:
    expected = (
        rfc_line(3501, 4526, join=" ")
        .replace(b'"MIT.EDU"))', b'"MIT.EDU"))')
        .replace(b'"CNRI.Reston.VA.US") ("John', b'"CNRI.Reston.VA.US")("John')
    )
    assert encode_response(_FULL_3501) == expected
    assert parse_response(expected) == _FULL_3501


def test_encoder_writes_rfc3501_body_header_literal() -> None:
    # "* 12 FETCH (BODY[HEADER] {342}" then 342 octets of header, then ")"
    assert len(_HEADER_3501) == 342
    value = FetchData(
        number=12, items=(BodySectionItem(section=Section(text="HEADER"), data=_HEADER_3501),)
    )
    expected = rfc_line(3501, 4540) + _HEADER_3501 + _LINES[(3501, 4550)].encode() + b"\r\n"
    assert encode_response(value) == expected
    assert parse_response(expected) == value


# Examples we write differently but equivalently: (rfc, line, our bytes)
EQUIVALENT: list[tuple[int, int, bytes]] = [
    # RFC 5258 / 9051 quote mailbox names that are atoms; we write atoms (as RFC 3501 does)
    (5258, 884, b'* LIST (\\NonExistent) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))\r\n'),
    (9051, 1958, b'* LIST () "/" Normalized ("OLDNAME" ("NonNormalized"))\r\n'),
    (9051, 2749, b'* LIST () "/" NewMailbox ("OLDNAME" ("OldMailbox"))\r\n'),
    (5258, 697, b'* LIST (\\Marked \\NoInferiors) "/" inbox\r\n'),
    (9051, 3079, b"* STATUS INBOX (MESSAGES 17 UNSEEN 16)\r\n"),
]


@pytest.mark.parametrize(
    ("rfc", "line", "ours"), EQUIVALENT, ids=[f"rfc{r}-line{n}" for r, n, _ in EQUIVALENT]
)
def test_encoder_writes_equivalent_form_of_rfc_example(rfc: int, line: int, ours: bytes) -> None:
    value = parse_response(rfc_line(rfc, line))
    assert encode_response(value) == ours
    assert parse_response(ours) == value


def test_rfc_examples_cover_every_response_type() -> None:
    covered = {type(value) for _, _, _, value in EXACT} | {type(_FULL_3501)}
    expected = {
        StatusResponse, ContinuationRequest, CapabilityData, EnabledData, ListData, LsubData,
        NamespaceData, StatusData, SearchData, ESearchData, SortData, ThreadData, FlagsData,
        ExistsData, RecentData, ExpungeData, VanishedData, FetchData, IdData, QuotaData,
        QuotaRootData,
    }  # fmt: skip
    assert expected <= covered
