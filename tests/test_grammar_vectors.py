"""The command parser against tests/data/vectors: real client lines, imap-codec, RFC examples."""

from __future__ import annotations

import datetime
import re

import paths
import pytest

from imap_sansio._commands import (
    Authenticate,
    Command,
    Compress,
    Enable,
    Expunge,
    Fetch,
    FetchAttribute,
    FetchBody,
    GetMetadata,
    GetQuota,
    GetQuotaRoot,
    Id,
    Idle,
    Login,
    Move,
    Noop,
    Search,
    SearchAnd,
    SearchDate,
    SearchFlag,
    SearchNot,
    SearchText,
    Section,
    Select,
    SetMetadata,
    SetQuota,
    Status,
    Unselect,
)
from imap_sansio._parser import ParseError, parse_command
from imap_sansio._secret import Secret
from imap_sansio._sequence import STAR, SequenceSet, UidSet

VECTORS = paths.VECTORS

_ESCAPE = re.compile(rb"\\(r|n|t|\\|x[0-9a-fA-F]{2})")
_SIMPLE = {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"\\": b"\\"}


def unescape(text: str) -> bytes:
    def sub(m: re.Match[bytes]) -> bytes:
        code = m.group(1)
        return _SIMPLE.get(code) or bytes([int(code[1:], 16)])

    return _ESCAPE.sub(sub, text.encode("utf-8"))


def rows(name: str) -> list[list[str]]:
    out = []
    for line in (VECTORS / name).read_text("utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        out.append(line.split("\t"))
    return out


# -- real client lines -------------------------------------------------------------

_COMMAND_START = re.compile(rb"[^ \r\n]+ [A-Za-z]")
_NEW_COMMAND = re.compile(rb"<tag> |A[0-9]{8} ")


def client_commands() -> tuple[list[tuple[bytes, bool]], list[tuple[bytes, str]]]:
    """(command, utf8) pairs, and (line, reason) for the lines that are not commands.

    An entry ending in a literal announcement continues on the next entries;
    ``<tag> `` becomes ``T1 ``.
    """
    commands: list[tuple[bytes, bool]] = []
    skipped: list[tuple[bytes, str]] = []
    entries = [unescape(r[0]) for r in rows("client_lines.txt")]
    i = 0
    while i < len(entries):
        data = entries[i]
        i += 1
        if data.startswith(b"<tag> "):
            data = b"T1 " + data[6:]
        # A synchronising literal whose bytes are in the next entries.
        while (
            re.search(rb"\{(\d+)\+?\}\r\n$", data)
            and i < len(entries)
            and not _NEW_COMMAND.match(entries[i])
        ):
            data += entries[i]
            i += 1
        if not _COMMAND_START.match(data) or data.split(b" ", 1)[0] in (b"DONE\r\n",):
            skipped.append((data, "SASL response or IDLE DONE: a continuation, not a command"))
            continue
        if re.search(rb"\{(\d+)\+?\}\r\n$", data):
            skipped.append((data, "the source stops at the literal announcement"))
            continue
        commands.append((data, not data.isascii()))
    return commands, skipped


# Lines that real clients send but that do not follow the grammar (or use an
# extension we do not implement), each with the reason; kept few on purpose.
CLIENT_REJECTS = {
    b"A00000005 UID SEARCH SUBJECT {13+}\r\nComunica\xe7\xe3o\r\n": (
        "vector extraction bug: the literal announces 13 bytes (UTF-8) but the line "
        "holds the 10-byte Latin-1 form"
    ),
    b"A00000005 UID THREAD REFERENCES US-ASCII \r\n": (
        "MailKit test of an empty query: no search key after the charset is invalid "
        "(RFC 5256 requires 1*search-key)"
    ),
}


def test_every_real_client_line_parses() -> None:
    commands, skipped = client_commands()
    assert len(commands) > 400
    failures = []
    for data, utf8 in commands:
        if data in CLIENT_REJECTS:
            with pytest.raises(ParseError):
                parse_command(data, utf8=utf8)
            continue
        try:
            command = parse_command(data, utf8=utf8)
        except ParseError as exc:
            failures.append((data, exc.message))
            continue
        assert isinstance(command, Command)
    assert failures == []
    assert len(skipped) < 20


def test_client_lines_give_the_values_they_mean() -> None:
    assert parse_command(b"A00000005 SELECT INBOX (CONDSTORE)\r\n") == Select(
        tag="A00000005", mailbox="INBOX", condstore=True
    )
    assert parse_command(
        b'A00000001 LOGIN "Indiana \\"Han Solo\\" Jones" "p@ss\\\\word"\r\n'
    ) == Login(
        tag="A00000001",
        username='Indiana "Han Solo" Jones',
        password=Secret("p@ss\\word"),
    )
    assert parse_command(b'A00000007 SETQUOTA "" (MESSAGE 1000000 STORAGE 5242880)\r\n') == (
        SetQuota(tag="A00000007", root="", limits=(("MESSAGE", 1000000), ("STORAGE", 5242880)))
    )
    mid = parse_command(
        b'A00000006 ID ("name" "MailKit" "address" {35}\r\n'
        b"1 Memorial Dr.\r\nCambridge, MA 02142)\r\n"
    )
    assert mid == Id(
        tag="A00000006",
        parameters=(("name", "MailKit"), ("address", "1 Memorial Dr.\r\nCambridge, MA 02142")),
    )
    move = parse_command('T1 UID MOVE 1 "la vache dit møø"\r\n'.encode(), utf8=True)
    assert move == Move(
        tag="T1", messages=UidSet(ranges=((1, 1),)), mailbox="la vache dit møø", uid=True
    )


# -- imap-codec ----------------------------------------------------------------------

# Rows whose verdict reflects a choice of the Rust crate, not of the RFCs.
CODEC_DIFFERENT = {
    b"A SETQUOTA INBOX (STORAGE 0 MESSAGE 512 MAILBOX 512 ANNOTATION-STORAGE 123 Foo "
    b"18446744073709551615)\r\n": (
        "imap-codec stores quota limits as u64; RFC 9208 says number64 (0..2^63-1), "
        "so 2^64-1 is rejected here"
    ),
}
_REMAINDER = re.compile(r'(?:\(\s*<INPUT>(?:\.as_ref\(\))?,|Ok\(\()\s*b"([^"]*)"')


def codec_cases() -> list[tuple[bytes, bool, str]]:
    """(bytes, should_parse, mode) for every row that is one command."""
    out = []
    for cols in rows("imap_codec_commands.txt"):
        data, mode = unescape(cols[0]), cols[1]
        expected = cols[4] if len(cols) > 4 else ""
        if "fragmentizer" in mode:
            continue  # framing vectors: the core's framer tests use them
        m = _REMAINDER.search(expected)
        if m and m.group(1):
            # Bytes after the command that the Rust decoder leaves unread.
            data = data[: -len(m.group(1))]
        incomplete = (
            "Failed" in mode
            or "Incomplete" in mode
            or "LiteralFound" in mode
            or "Ok(None)" in expected
            or "SendLiteral" in expected
            or "ParsingFailed" in expected
        )
        if data == b"A LOGIN alice {2}\r\n":
            continue  # encoder fragments: the literal is in the next fragment
        out.append((data, not incomplete, mode))
    return out


def test_imap_codec_vectors_give_the_same_verdict() -> None:
    cases = codec_cases()
    assert len(cases) > 150
    wrong = []
    for data, should_parse, mode in cases:
        try:
            parse_command(data)
            parsed = True
        except ParseError:
            parsed = False
        if data in CODEC_DIFFERENT:
            assert not parsed
            continue
        if parsed != should_parse:
            wrong.append((mode, data))
    assert wrong == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a nOOP\r\n", Noop(tag="a")),
        (b"a SeLECT {5}\r\ninbox\r\n", Select(tag="a", mailbox="INBOX")),
        (b"A COMPRESS DEFLATE\r\n", Compress(tag="A", mechanism="DEFLATE")),
        (b"A ENABLE UTF8=ONLY\r\n", Enable(tag="A", capabilities=("UTF8=ONLY",))),
        (b"A ENABLE FOO\r\n", Enable(tag="A", capabilities=("FOO",))),
        (b"A ID nil\r\n", Id(tag="A", parameters=None)),
        (b"A ID ()\r\n", Id(tag="A", parameters=())),
        (b'A ID ("" "")\r\n', Id(tag="A", parameters=(("", ""),))),
        (b'A ID ("name" "imap-codec")\r\n', Id(tag="A", parameters=(("name", "imap-codec"),))),
        (b"A IDLE\r\n", Idle(tag="A")),
        (b"A LOGIN {0}\r\n {1}\r\nA\r\n", Login(tag="A", username="", password=Secret("A"))),
        (b"A LOGIN {1+}\r\nA {2+}\r\nAB\r\n", Login(tag="A", username="A", password=Secret("AB"))),
        (b"A UNSELECT\r\n", Unselect(tag="A")),
        (b'A GETQUOTA ""\r\n', GetQuota(tag="A", root="")),
        (b"A GETQUOTAROOT MAILBOX\r\n", GetQuotaRoot(tag="A", mailbox="MAILBOX")),
        (b'S0000 GETQUOTA "#user/alice"\r\n', GetQuota(tag="S0000", root="#user/alice")),
        (b"A SETQUOTA INBOX ()\r\n", SetQuota(tag="A", root="INBOX", limits=())),
        (
            b"S0003 STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)\r\n",
            Status(tag="S0003", mailbox="INBOX", items=("MESSAGES", "DELETED", "DELETED-STORAGE")),
        ),
        (b"A UID EXPUNGE 1:1337\r\n", Expunge(tag="A", uid=True, uids=UidSet(ranges=((1, 1337),)))),
        (b"A UID EXPUNGE *\r\n", Expunge(tag="A", uid=True, uids=UidSet(ranges=((STAR, STAR),)))),
        (
            b"A MOVE 1:* test\r\n",
            Move(tag="A", messages=SequenceSet(ranges=((1, STAR),)), mailbox="test"),
        ),
        (
            b"A AUTHENTICATE PLAIN =\r\n",
            Authenticate(tag="A", mechanism="PLAIN", initial_response=Secret(b"")),
        ),
        (
            b"A AUTHENTICATE PLAIN AGFsaWNlAHBhc3M=\r\n",
            Authenticate(tag="A", mechanism="PLAIN", initial_response=Secret(b"\x00alice\x00pass")),
        ),
        (
            b"A GETMETADATA (DEPTH infinity) INBOX /test\r\n",
            GetMetadata(tag="A", mailbox="INBOX", entries=("/test",), depth="INFINITY"),
        ),
        (
            b"A GETMETADATA (MAXSIZE 1337) INBOX /test\r\n",
            GetMetadata(tag="A", mailbox="INBOX", entries=("/test",), maxsize=1337),
        ),
        (
            b'A SETMETADATA "" (/test ~{4+}\r\nt\x00st)\r\n',
            SetMetadata(tag="A", mailbox="", entries=(("/test", b"t\x00st"),)),
        ),
        (
            b'A SETMETADATA "" (/test nil)\r\n',
            SetMetadata(tag="A", mailbox="", entries=(("/test", None),)),
        ),
        (
            b"003 fetch 12 full\r\n",
            Fetch(
                tag="003",
                messages=SequenceSet(ranges=((12, 12),)),
                macro="FULL",
                items=tuple(
                    FetchAttribute(name=n)
                    for n in ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY")
                ),
            ),
        ),
        (
            b"004 fetch 12 body[header]\r\n",
            Fetch(
                tag="004",
                messages=SequenceSet(ranges=((12, 12),)),
                items=(FetchBody(section=Section(text="HEADER")),),
            ),
        ),
        (
            b'A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n',
            Search(
                tag="A282",
                criteria=SearchAnd(
                    keys=(
                        SearchFlag(name="FLAGGED"),
                        SearchDate(name="SINCE", date=datetime.date(1994, 2, 1)),
                        SearchNot(key=SearchText(name="FROM", value=b"Smith")),
                    )
                ),
            ),
        ),
        (
            b"ABCD UID FETCH 1,2:* (BODY.PEEK[1.2.3.4.MIME]<42.1337>)\r\n",
            Fetch(
                tag="ABCD",
                uid=True,
                messages=UidSet(ranges=((1, 1), (2, STAR))),
                items=(
                    FetchBody(
                        section=Section(part=(1, 2, 3, 4), text="MIME"),
                        peek=True,
                        partial=(42, 1337),
                    ),
                ),
            ),
        ),
    ],
)
def test_imap_codec_values(data: bytes, expected: Command) -> None:
    assert parse_command(data) == expected


# -- RFC examples ----------------------------------------------------------------------

# Complete-looking client examples that are not valid commands, with the reason.
RFC_SKIPS = {
    ("4466", "194"): "RESPONSES is a made-up select parameter of the example (rejected)",
    ("4466", "205"): "an example of an unknown select parameter, which the server rejects",
    ("4616", "328"): "SASL data follows the AUTHENTICATE in a literal (not IMAP syntax)",
    ("4959", "157"): "the continuation rows are prose about the example",
    ("4959", "194"): "the continuation rows are prose about the example",
    ("5819", "152"): 'typo in the RFC: no SP between "RECURSIVEMATCH)" and ""',
    ("3501", "3510"): "an example of an unknown command (XPIG-LATIN)",
    ("9051", "4866"): "an example of an unknown command (XPIG-LATIN)",
}
_RFC_COMMAND = re.compile(
    r"[^ ]+ (?:UID )?(?:CAPABILITY|NOOP|LOGOUT|STARTTLS|AUTHENTICATE|LOGIN|ENABLE|SELECT|EXAMINE|"
    r"CREATE|DELETE|RENAME|SUBSCRIBE|UNSUBSCRIBE|LIST|LSUB|NAMESPACE|STATUS|APPEND|IDLE|CHECK|"
    r"CLOSE|UNSELECT|EXPUNGE|SEARCH|FETCH|STORE|COPY|MOVE|SORT|THREAD|ID|GETQUOTA|GETQUOTAROOT|"
    r"SETQUOTA|COMPRESS|XPIG-LATIN)\b",
    re.IGNORECASE,
)


def rfc_commands() -> tuple[list[tuple[str, str, bytes]], list[tuple[str, str, str]]]:
    """Complete client examples, joined over the RFC's line wraps, and the skipped ones."""
    examples: list[list[str]] = []
    role_before = ""
    for cols in rows("rfc_examples.tsv"):
        if len(cols) < 5:
            continue
        rfc, line, _, role, text = cols[:5]
        if role == "C":
            examples.append([rfc, line, text])
        elif role == "+" and role_before == "C" and examples:
            joined = examples[-1][2].rstrip()
            # The RFCs wrap at a space, except inside sequence sets.
            examples[-1][2] = joined + ("" if joined.endswith(",") else " ") + text.strip()
        if role in ("C", "S"):
            role_before = role
    complete = []
    skipped = []
    for rfc, line, text in examples:
        if not _RFC_COMMAND.match(text):
            skipped.append((rfc, line, "not a command: literal data, SASL, DONE or prose"))
        elif re.search(r"\{\d+\+?\}$", text):
            skipped.append((rfc, line, "partial: the literal's bytes are on the next lines"))
        elif text.startswith("..."):
            skipped.append((rfc, line, "placeholder"))
        else:
            complete.append((rfc, line, text.encode("utf-8") + b"\r\n"))
    return complete, skipped


def test_rfc_example_commands_parse() -> None:
    complete, skipped = rfc_commands()
    parsed = 0
    failures = []
    for rfc, line, data in complete:
        try:
            parse_command(data, utf8=True)
            parsed += 1
        except ParseError as exc:
            if (rfc, line) not in RFC_SKIPS:
                failures.append((rfc, line, data, exc.message))
    assert failures == []
    # 496 complete commands parse; 9 are listed in RFC_SKIPS; the rest are
    # literal payloads, SASL exchanges, DONE and partial examples.
    assert parsed >= 490
    assert len(skipped) < 120
