"""The MIME model against the expected FETCH/SEARCH output in Dovecot's imaptest scripts.

The scripts and their .mbox files are in tests/data/imaptest (MIT).
imaptest appends each mbox message with LF turned into CRLF; the expected
literals (``{{{`` ... ``}}}``) are compared the same way.  ENVELOPE and BODY
values are rendered with a small local writer and compared case-insensitively,
as imaptest compares.
"""

from __future__ import annotations

import re
import shlex
from datetime import date

import paths
import pytest

from imap_sansio._bodystructure import Address, BodyStructure, Envelope, MultiPart
from imap_sansio._encoder import encode_response
from imap_sansio._responses import BodyItem, EnvelopeItem, FetchData, FetchDataItem
from imap_sansio.mime import (
    Message,
    address_text,
    base_subject,
    body_text,
    contains,
    header_values,
    partial,
    sent_date,
    subject,
    text,
)

FIXTURES = paths.IMAPTEST


def mbox(name: str) -> list[Message]:
    data = (FIXTURES / f"{name}.mbox").read_bytes()
    raw = re.split(rb"(?:^|(?<=\n))From [^\n]*\n", data)[1:]
    return [Message(m.replace(b"\n", b"\r\n")) for m in raw]


# -- a minimal writer, for comparison with the scripts' text only ---------------


def _s(value: bytes | None) -> str:
    if value is None:
        return "NIL"
    return '"' + value.decode().replace("\\", "\\\\").replace('"', '\\"') + '"'


def _addrs(addrs: tuple[Address, ...] | None) -> str:
    if addrs is None:
        return "NIL"
    return (
        "("
        + "".join(f"({_s(a.name)} {_s(a.adl)} {_s(a.mailbox)} {_s(a.host)})" for a in addrs)
        + ")"
    )


def render_envelope(e: Envelope) -> str:
    parts = [_s(e.date), _s(e.subject)]
    parts += [_addrs(a) for a in (e.from_, e.sender, e.reply_to, e.to, e.cc, e.bcc)]
    parts += [_s(e.in_reply_to), _s(e.message_id)]
    return "(" + " ".join(parts) + ")"


def render_body(b: BodyStructure) -> str:
    """BODY (no extension data)."""
    if isinstance(b, MultiPart):
        return "(" + "".join(render_body(p) for p in b.parts) + " " + _s(b.subtype) + ")"
    f = b.fields
    params = "NIL" if f.params is None else "(" + " ".join(_s(x) for p in f.params for x in p) + ")"
    out = [_s(b.type), _s(b.subtype), params, _s(f.id), _s(f.description), _s(f.encoding)]
    out.append(str(f.size))
    if b.envelope is not None and b.body is not None:
        out += [render_envelope(b.envelope), render_body(b.body)]
    if b.lines is not None:
        out.append(str(b.lines))
    return "(" + " ".join(out) + ")"


# -- ENVELOPE and BODY --------------------------------------------------------


def _expected_items(script: str, item: str) -> dict[int, str]:
    found = {}
    for line in (FIXTURES / script).read_text().splitlines():
        m = re.match(rf"\* (\d+) FETCH \({item} (.*)\)$", line, re.IGNORECASE)
        if m:
            found[int(m.group(1))] = m.group(2)
    return found


def test_fetch_envelope_matches_dovecot() -> None:
    expected = _expected_items("fetch-envelope", "ENVELOPE")
    messages = mbox("fetch-envelope")
    assert len(expected) == 6
    for n, want in expected.items():
        assert render_envelope(messages[n - 1].envelope) == want, n


def test_fetch_body_structure_matches_dovecot() -> None:
    expected = _expected_items("fetch-bodystructure", "BODY")
    messages = mbox("fetch-bodystructure")
    assert len(expected) == 1
    for n, want in expected.items():
        assert render_body(messages[n - 1].bodystructure).lower() == want.lower()


def test_the_encoder_writes_them_as_dovecot_does() -> None:
    def fetch(n: int, item: FetchDataItem) -> str:
        return encode_response(FetchData(number=n, items=(item,))).decode()

    for n, want in _expected_items("fetch-envelope", "ENVELOPE").items():
        envelope = mbox("fetch-envelope")[n - 1].envelope
        got = fetch(n, EnvelopeItem(envelope=envelope))
        assert got == f"* {n} FETCH (ENVELOPE {want})\r\n"
    structure = mbox("fetch-bodystructure")[0].bodystructure
    got = fetch(1, BodyItem(structure=structure))
    want = _expected_items("fetch-bodystructure", "BODY")[1]
    assert got.lower() == f"* 1 FETCH (BODY {want})\r\n".lower()


# -- BODY[...] and BINARY[...] literals ------------------------------------------

SECTION_SCRIPTS = [
    "fetch-body",
    "fetch-body-mime",
    "fetch-body-message-rfc822",
    "fetch-body-message-rfc822-mime",
    "fetch-body-message-rfc822-x2",
    "fetch-binary-mime",
    "fetch-binary-mime-base64",
    "fetch-binary-mime-qp",
]


def _parse_section(spec: str) -> tuple[tuple[int, ...], str | None, tuple[str, ...]]:
    m = re.match(r"^((?:\d+\.)*\d+)?\.?([A-Za-z.]*)\s*(?:\((.*)\))?$", spec)
    assert m, spec
    path = tuple(int(x) for x in m.group(1).split(".")) if m.group(1) else ()
    return path, (m.group(2) or None), tuple((m.group(3) or "").split())


def _literal_cases() -> list[tuple[str, int, str, str, bytes]]:
    cases = []
    for script in SECTION_SCRIPTS:
        content = (FIXTURES / script).read_text()
        for block in re.finditer(
            r"^\* (\d+) fetch \((.*?)\)$(?=\n\n|\n[a-z#]|\Z)",
            content,
            re.IGNORECASE | re.MULTILINE | re.DOTALL,
        ):
            n = int(block.group(1))
            for item in re.finditer(
                r"(body|binary|rfc822\.text)(?:\[([^\]]*)\])?(<\d+>)? (~?)\{\{\{\n(.*?)\n\}\}\}",
                block.group(2),
                re.IGNORECASE | re.DOTALL,
            ):
                if item.group(3) or item.group(4):
                    continue  # partials and literal8 are checked by hand below
                want = item.group(5).replace("\n", "\r\n").encode()
                cases.append((script, n, item.group(1).lower(), item.group(2) or "", want))
    return cases


LITERAL_CASES = _literal_cases()


def test_the_scripts_yield_cases() -> None:
    assert len(LITERAL_CASES) >= 50


@pytest.mark.parametrize(
    ("script", "n", "kind", "spec", "want"),
    LITERAL_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}[{c[3]}]" for c in LITERAL_CASES],
)
def test_section_matches_dovecot(script: str, n: int, kind: str, spec: str, want: bytes) -> None:
    message = mbox(script)[n - 1]
    if kind == "rfc822.text":
        assert message.section((), "TEXT") == want
        return
    path, text_, fields = _parse_section(spec)
    if kind == "binary":
        assert message.binary(path) == want
    else:
        assert message.section(path, text_, fields) == want


def test_binary_sizes_match_dovecot() -> None:
    checked = 0
    for script in ("fetch-binary-mime", "fetch-binary-mime-base64", "fetch-binary-mime-qp"):
        message = mbox(script)[0]
        for line in (FIXTURES / script).read_text().splitlines():
            if line.startswith("*"):
                for spec, size in re.findall(r"binary\.size\[([\d.]*)\] (\d+)", line, re.I):
                    path, _, _ = _parse_section(spec)
                    binary = message.binary(path)
                    assert binary is not None
                    assert len(binary) == int(size), (script, spec)
                    checked += 1
    assert checked == 13


def test_binary_base64_literal8_part() -> None:
    # binary[5]: base64 "YWJjZGVmZw1oaWprbA0KbW5vCnBxcnN0dXZxeHl6", decoded by hand.
    message = mbox("fetch-binary-mime-base64")[0]
    assert message.binary((5,)) == b"abcdefg\rhijkl\r\nmno\npqrstuvqxyz"
    assert message.binary((4,)) == b"hello to everyone!"


def test_partials_of_fetch_body() -> None:
    messages = mbox("fetch-body")
    text2 = messages[1].section((), "TEXT")
    text3 = messages[2].section((), "TEXT")
    assert text2 is not None and text3 is not None
    assert partial(text2, 0, 3) == b"bod"
    assert partial(text2, 3, 3) == b"y22"
    assert partial(text3, 0, 1) == b"b"
    assert partial(text3, 5, 1) == b"3"
    assert partial(text3, 5, 2) == b"3\r"
    assert partial(text3, 5, 3) == b"3\r\n"
    assert partial(text3, 6, 2) == b"\r\n"
    assert partial(text3, 7, 1) == b"\n"


def test_partials_of_binary_qp() -> None:
    binary = mbox("fetch-binary-mime-qp")[0].binary((1,))
    assert binary is not None
    assert partial(binary, 0, 10) == b"hello\r\nbar"
    assert partial(binary, 10, 10) == b"\r\nfoo\tbar\r\n"[:10]
    assert partial(binary, 15, 10) == b"\tbar\r\nfoo\t \tb"[:10]
    assert partial(binary, 40, 100) == b"oo b\r\nfoo\r\nbar\r\nfoo_bar\r\n"


def test_header_fields_not_excludes_the_named_field() -> None:
    message = mbox("fetch-body")[0]
    assert message.section((), "HEADER.FIELDS.NOT", ("date", "DATE")) == (
        b"From: User1 <user1@domain.org>\r\nSubject: s1\r\n\r\n"
    )


# -- SEARCH ------------------------------------------------------------------------


def _search_expectations(script: str) -> list[tuple[str, str, set[int]]]:
    out = []
    lines = (FIXTURES / script).read_text().splitlines()
    for i, line in enumerate(lines):
        if not line.lower().startswith("ok search "):
            continue
        if i + 1 >= len(lines) or not lines[i + 1].lower().startswith("* search"):
            continue
        words = shlex.split(line)[2:]
        key = ""
        if words[0].lower() == "not":
            key, words = "not ", words[1:]
        key += words[0].lower()
        if key.endswith("header"):
            key += ":" + words[1]
        want = {int(x) for x in lines[i + 1].split()[2:]}
        out.append((key, words[-1], want))
    return out


def _matches(message: Message, key: str, arg: str) -> bool:
    negate = key.startswith("not ")
    key = key.removeprefix("not ")
    if key in ("from", "to", "cc", "bcc"):
        hit = contains(address_text(message, key), arg)
    elif key == "subject":
        hit = any(contains(v, arg) for v in header_values(message, "subject"))
    elif key.startswith("header:"):
        hit = any(contains(v, arg) for v in header_values(message, key.split(":", 1)[1]))
    elif key == "body":
        hit = contains(body_text(message), arg)
    elif key == "text":
        hit = contains(text(message), arg)
    else:  # pragma: no cover
        raise AssertionError(key)
    return hit != negate


@pytest.mark.parametrize("script", ["search-addresses", "search-body", "search-header", "nil"])
def test_search_matches_dovecot(script: str) -> None:
    messages = mbox(script)
    cases = _search_expectations(script)
    assert cases
    for key, arg, want in cases:
        got = {n for n, m in enumerate(messages, 1) if _matches(m, key, arg)}
        assert got == want, (key, arg)


def test_base_subject_orders_sort_subject_as_dovecot() -> None:
    # RFC 5256 SORT SUBJECT: base subjects compared with i;ascii-casemap, ties
    # broken by sequence number.
    messages = mbox("sort-subject")
    keys = sorted((base_subject(subject(m)).upper(), n) for n, m in enumerate(messages, 1))
    line = (FIXTURES / "sort-subject").read_text().splitlines()[4]
    assert line == "* sort 9 10 1 14 3 5 11 6 15 2 7 12 13 8 4"
    assert [n for _, n in keys] == [int(x) for x in line.split()[2:]]


def test_sent_dates_follow_search_date() -> None:
    # search-date: SENTON takes the date as written, in the header's own zone.
    got = [sent_date(m) for m in mbox("search-date")]
    mar, oct_ = date(2007, 3, 25), date(2007, 10, 28)
    want = [date(2007, 3, 24), *[mar] * 5, date(2007, 3, 26)]
    want += [date(2007, 10, 27), *[oct_] * 7, date(2007, 10, 29)]
    assert got == want
