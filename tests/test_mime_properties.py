"""Properties: any bytes give a best-effort structure, never an exception, and
every section is a slice of the stored bytes that agrees with BODYSTRUCTURE."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st
from test_mime_search import SEARCHABLE
from test_mime_sections import MIXED, PLAIN

from imap_sansio._bodystructure import BodyStructure, MultiPart, SinglePart
from imap_sansio.mime import (
    Message,
    MessagePart,
    UnknownTransferEncoding,
    address_text,
    base_subject,
    body_text,
    preview,
    sent_date,
    subject,
    text,
)


def _visit(
    body: BodyStructure, path: tuple[int, ...]
) -> Iterator[tuple[tuple[int, ...], BodyStructure]]:
    yield path, body
    if isinstance(body, MultiPart):
        for i, child in enumerate(body.parts, 1):
            yield from _visit(child, (*path, i))
    elif body.body is not None:
        if isinstance(body.body, MultiPart):
            for i, child in enumerate(body.body.parts, 1):
                yield from _visit(child, (*path, i))
        else:
            yield from _visit(body.body, (*path, 1))


def addressable_parts(body: BodyStructure) -> Iterator[tuple[tuple[int, ...], BodyStructure]]:
    if isinstance(body, MultiPart):
        for i, child in enumerate(body.parts, 1):
            yield from _visit(child, (i,))
    else:
        yield from _visit(body, (1,))


def lines_of(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


try:  # the encoder must accept every value we build
    from imap_sansio._encoder import encode_response
    from imap_sansio._responses import BodyItem, BodyStructureItem, EnvelopeItem, FetchData
except ImportError:  # pragma: no cover - the encoder is another module
    encode_response = None  # type: ignore[assignment]


def check_encodes(m: Message) -> None:
    if encode_response is None:  # pragma: no cover
        return
    items = (
        EnvelopeItem(envelope=m.envelope),
        BodyItem(structure=m.bodystructure),
        BodyStructureItem(structure=m.bodystructure),
    )
    assert encode_response(FetchData(number=1, items=items)).startswith(b"* 1 FETCH (")


def check(data: bytes) -> None:
    m = Message(data)
    assert m.size == len(data)
    assert m.section() == data
    header, body = m.section((), "HEADER"), m.section((), "TEXT")
    assert header is not None and body is not None
    assert header + body == data
    for part in m.root.walk():
        assert 0 <= part.start <= part.body_start <= part.end <= len(data)
    m.envelope  # noqa: B018 - must not raise
    structure = m.bodystructure
    for path, node in addressable_parts(structure):
        section = m.section(path)
        assert section is not None, path
        mime = m.section(path, "MIME")
        assert mime is not None and mime in data
        if isinstance(node, SinglePart):
            assert node.fields.size == len(section)
            if node.lines is not None:
                assert node.lines == lines_of(section)
            if node.body is not None:
                inner_header = m.section(path, "HEADER")
                inner_text = m.section(path, "TEXT")
                assert inner_header is not None and inner_text is not None
                assert inner_header + inner_text == section
            with contextlib.suppress(UnknownTransferEncoding):
                m.binary(path)
    assert m.section((len(structure.parts) + 1 if isinstance(structure, MultiPart) else 2,)) is None
    fields = m.section((), "HEADER.FIELDS", ("from", "subject"))
    others = m.section((), "HEADER.FIELDS.NOT", ("from", "subject"))
    assert fields is not None and others is not None
    for name in ("from", "to", "cc", "bcc"):
        address_text(m, name)
    body_text(m)
    text(m)
    preview(m)
    sent_date(m)
    base_subject(subject(m))
    check_encodes(m)


SEEDS = [PLAIN, MIXED, SEARCHABLE, MIXED.replace(b"\r\n", b"\n")]
TOKENS = [
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n\r\n",
    b"--XX",
    b"--XX--",
    b"--YY\r\n",
    b"--B",
    b"Content-Type: multipart/mixed; boundary=XX\r\n",
    b"Content-Type: message/rfc822\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b": ",
    b"=?utf-8?q?",
    b"?=",
    b"=",
    b"\xff\x80",
    b"(",
    b")",
    b'"',
    b"<",
    b">",
    b"@",
    b",",
    b";",
    b"*0*=",
    b" ",
    b"\t",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 2))
        at = draw(st.integers(0, len(data)))
        if op == 0:
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == 1:
            del data[at : at + draw(st.integers(1, 20))]
        else:
            data[at:at] = draw(st.binary(max_size=8))
    return bytes(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    check(data)


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_mutated_messages_never_raise(data: bytes) -> None:
    check(data)


def test_the_seeds_hold_the_properties() -> None:
    for seed in SEEDS:
        check(seed)


def test_deep_nesting_is_capped() -> None:
    data = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(300)
    )
    data += b"\r\nleaf\r\n"
    check(data)
    rfc822 = b"Content-Type: message/rfc822\r\n\r\n" * 300 + b"\r\nleaf\r\n"
    check(rfc822)


def test_many_parts_parse_in_linear_time() -> None:
    # CPU time of this process with the collector off: a worker that shares
    # two cores with three others is descheduled often, and wall-clock time
    # counted that (0.48 s against 0.014 s on a CI run). Quadratic parsing
    # would make ten times the parts cost about a hundred times as much.
    def build(n: int) -> bytes:
        part = b"--b\r\nContent-Type: text/plain\r\n\r\nsome text here\r\n"
        return b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + part * n + b"--b--\r\n"

    def cost(n: int) -> float:
        data = build(n)
        best = float("inf")
        for _ in range(5):
            gc.disable()
            try:
                start = time.process_time()
                assert len(Message(data).bodystructure.parts) == n
                best = min(best, time.process_time() - start)
            finally:
                gc.enable()
        return best

    small, large = cost(1000), cost(10000)
    assert large < max(small, 0.005) * 30


# -- round trip: a generated MIME tree is read back exactly ---------------------

_body_text = st.text(alphabet="ab \t\r\n=", max_size=30).map(lambda s: s.encode())


@st.composite
def mime_tree(draw: st.DrawFn, depth: int = 0) -> tuple[object, ...]:
    kind = draw(st.sampled_from(["leaf", "multi", "message"] if depth < 3 else ["leaf"]))
    if kind == "leaf":
        subtype = draw(st.sampled_from([b"plain", b"html", b"octet-stream"]))
        mtype = b"application" if subtype == b"octet-stream" else b"text"
        return ("leaf", mtype, subtype, draw(_body_text))
    if kind == "message":
        return ("message", draw(mime_tree(depth + 1)))
    children = draw(st.lists(mime_tree(depth + 1), min_size=1, max_size=3))
    preamble = draw(st.sampled_from([b"", b"preamble\r\n", b"\r\n"]))
    return ("multi", draw(st.sampled_from([b"mixed", b"alternative"])), children, preamble)


def render(node: tuple[object, ...], counter: list[int]) -> bytes:
    """A MIME entity (header, blank line, body) for a generated tree."""
    if node[0] == "leaf":
        _, mtype, subtype, body = node
        assert isinstance(mtype, bytes) and isinstance(subtype, bytes)
        assert isinstance(body, bytes)
        return b"Content-Type: " + mtype + b"/" + subtype + b"\r\n\r\n" + body
    if node[0] == "message":
        inner = node[1]
        assert isinstance(inner, tuple)
        return b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n" + render(inner, counter)
    _, subtype, children, preamble = node
    assert isinstance(subtype, bytes) and isinstance(children, list)
    assert isinstance(preamble, bytes)
    counter[0] += 1
    boundary = b"=_b%d" % counter[0]
    rendered = [render(child, counter) for child in children]
    body = preamble + b"--" + boundary + b"\r\n"
    body += (b"\r\n--" + boundary + b"\r\n").join(rendered)
    body += b"\r\n--" + boundary + b"--\r\nepilogue\r\n"
    return b"Content-Type: multipart/" + subtype + b'; boundary="' + boundary + b'"\r\n\r\n' + body


def compare(node: tuple[object, ...], part: MessagePart) -> None:
    if node[0] == "leaf":
        _, mtype, subtype, body = node
        assert isinstance(mtype, bytes) and isinstance(subtype, bytes)
        assert (part.type, part.subtype, part.body) == (mtype.upper(), subtype.upper(), body)
    elif node[0] == "message":
        inner = node[1]
        assert isinstance(inner, tuple)
        assert (part.type, part.subtype) == (b"MESSAGE", b"RFC822")
        assert part.message is not None
        assert part.message.header.first(b"subject") == b"inner"
        compare(inner, part.message)
    else:
        children = node[2]
        assert isinstance(children, list)
        assert part.type == b"MULTIPART"
        assert len(part.children) == len(children)
        for child_node, child in zip(children, part.children, strict=True):
            compare(child_node, child)


@settings(max_examples=200, deadline=None)
@given(mime_tree())
def test_generated_mime_trees_are_read_back_exactly(tree: tuple[object, ...]) -> None:
    data = b"From: a@b.org\r\n" + render(tree, [0])
    compare(tree, Message(data).root)
    check(data)
