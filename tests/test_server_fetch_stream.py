"""Large responses stream: FETCH literals are read from the store as the
output is taken (issue 11 goal 2).

The expected bytes are built from RFC 3501 7.4.2 / RFC 3516 4.2 by hand
(``* n FETCH (UID u BODY[] {size}\\r\\n<message>)``), and every split of
the output (any ``Limits.max_output_piece``) must give the same bytes.
"""

from __future__ import annotations

import socket
import threading
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from imap_sansio.adapters import ServerOptions, ThreadedServer
from imap_sansio.adapters.maildir import MaildirBackend

from imap_sansio import BytesSource, Config, Limits, SourceSlice
from imap_sansio.server import IMAPServer, MemoryBackend, StoreAction
from imap_sansio.server._memory import MemoryMailbox

DATE = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

MESSAGE = (
    b"From: a@example.org\r\nTo: b@example.org\r\nSubject: streamed\r\n"
    b"Content-Type: text/plain\r\n\r\n"
    + b"".join(b"line %03d of the body\r\n" % i for i in range(40))
)
# A Unix-format Maildir delivery: served with CRLF line ends.
UNIX_MESSAGE = MESSAGE.replace(b"\r\n", b"\n")


def _server(backend: Any, piece: int | None = None) -> IMAPServer:
    limits = Limits() if piece is None else Limits(max_output_piece=piece)
    return IMAPServer(backend, config=Config(limits=limits), clock=lambda: DATE)


def _memory(*messages: bytes) -> MemoryBackend:
    backend = MemoryBackend(users={"u": "p"})
    for data in messages:
        backend.account("u").append("INBOX", data, internal_date=DATE)
    return backend


def _maildir(root: Path, *files: bytes) -> MaildirBackend:
    backend = MaildirBackend(root, users={"u": "p"}, fsync=False)
    inbox = root / "u"
    backend.account("u").status("INBOX")  # lays out the maildir
    for i, data in enumerate(files):
        (inbox / "new" / f"{1000 + i}.m{i}.host").write_bytes(data)
    return backend


def _run(server: IMAPServer, command: bytes) -> tuple[bytes, list[int]]:
    """The whole answer to ``command`` after login/select, and the size of
    each piece that ``data_to_send`` returned."""
    conn = server.connect()
    conn.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    while conn.data_to_send():
        pass
    conn.receive_data(b"f " + command + b"\r\n")
    sizes: list[int] = []
    out = bytearray()
    while chunk := conn.data_to_send():
        sizes.append(len(chunk))
        out += chunk
    assert not conn.has_output
    return bytes(out), sizes


def _fetched(uid: int, item: bytes, data: bytes, literal: bytes = b"{") -> bytes:
    return b"* %d FETCH (UID %d %s %s%d}\r\n%s)\r\n" % (uid, uid, item, literal, len(data), data)


def _expected(items: list[tuple[bytes, bytes]], uid: int = 1) -> bytes:
    body = b" ".join(b"%s {%d}\r\n%s" % (name, len(data), data) for name, data in items)
    return b"* %d FETCH (UID %d %s)\r\n" % (uid, uid, body)


OK = b"f OK FETCH completed\r\n"

CASES = [
    (b"BODY.PEEK[]", [(b"BODY[]", MESSAGE)]),
    (b"BINARY.PEEK[]", [(b"BINARY[]", MESSAGE)]),
    (b"BODY.PEEK[]<100.250>", [(b"BODY[]<100>", MESSAGE[100:350])]),
    (b"BINARY.PEEK[]<7.3>", [(b"BINARY[]<7>", MESSAGE[7:10])]),
    (b"BODY.PEEK[]<5000.10>", [(b"BODY[]<5000>", b"")]),
    (
        b"(BODY.PEEK[]<0.16> BODY.PEEK[] BINARY.PEEK[]<900.1000>)",
        [(b"BODY[]<0>", MESSAGE[:16]), (b"BODY[]", MESSAGE), (b"BINARY[]<900>", MESSAGE[900:1900])],
    ),
]


@pytest.mark.parametrize(("command", "items"), CASES)
def test_streamed_fetch_equals_the_rfc_bytes_at_every_piece_size(
    command: bytes, items: list[tuple[bytes, bytes]]
) -> None:
    backend = _memory(MESSAGE)
    whole = _expected(items) + OK
    for piece in [*range(1, 40), 64, 511, 4096, 1 << 20]:
        out, sizes = _run(_server(backend, piece), b"UID FETCH 1 " + command)
        assert out == whole, piece
        # RFC 3501 7.4.2 data never comes in a piece bigger than the limit.
        assert max(sizes) <= piece


def test_a_body_held_in_memory_is_handed_out_as_views_of_the_stored_bytes() -> None:
    # data_to_send_chunks: the same bytes as data_to_send, but a body the
    # store holds comes as views of its own object (written without a copy),
    # and the responses around it as one piece each, not one per response.
    big = MESSAGE + b"x" * (300 * 1024) + b"\r\n"
    backend = _memory(big)
    stored = backend.account("u").select("INBOX").message_bytes(1)
    conn = _server(backend).connect()
    conn.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    while conn.data_to_send():
        pass
    conn.receive_data(b"f UID FETCH 1 BODY.PEEK[]\r\n")
    pieces: list[list[bytes | memoryview]] = []
    while chunks := conn.data_to_send_chunks():
        pieces.append(chunks)
    assert b"".join(b"".join(chunks) for chunks in pieces) == _fetched(1, b"BODY[]", big) + OK
    views = [c for chunks in pieces for c in chunks if isinstance(c, memoryview)]
    assert sum(map(len, views)) == len(big)
    assert all(view.obj is stored for view in views)
    # Default max_output_piece (256 KiB): the head and the body's first
    # piece, then the rest of the body and the tail with the tagged OK.
    assert [len(chunks) for chunks in pieces] == [2, 2]


def test_rfc822_streams_and_sets_seen() -> None:
    backend = _memory(MESSAGE)
    out, _ = _run(_server(backend, 50), b"UID FETCH 1 RFC822")
    # RFC 3501 6.4.5: RFC822 sets \Seen; the new flags are included (with
    # \Recent: this session's SELECT claimed the message, RFC 3501 2.3.2).
    data = b"{%d}\r\n%s" % (len(MESSAGE), MESSAGE)
    assert out == b"* 1 FETCH (UID 1 RFC822 " + data + b" FLAGS (\\Seen \\Recent))\r\n" + OK


def test_binary_size_of_the_whole_message_is_its_size_unparsed() -> None:
    out, _ = _run(_server(_memory(MESSAGE)), b"UID FETCH 1 BINARY.SIZE[]")
    assert out == b"* 1 FETCH (UID 1 BINARY.SIZE[] %d)\r\n" % len(MESSAGE) + OK


def test_binary_of_a_whole_message_with_nul_is_a_literal8() -> None:
    # RFC 3516 4.2: content with NUL goes out as ~{n}; the source is scanned
    # a piece at a time.
    data = MESSAGE + b"\x00" * 3 + b"\r\n"
    out, _ = _run(_server(_memory(data), 17), b"UID FETCH 1 BINARY.PEEK[]")
    assert out == _fetched(1, b"BINARY[]", data, literal=b"~{") + OK


def test_many_messages_stream_one_after_another() -> None:
    messages = [MESSAGE + b"%d\r\n" % i * i for i in range(1, 6)]
    backend = _memory(*messages)
    whole = b"".join(_fetched(i, b"BODY[]", m) for i, m in enumerate(messages, 1)) + OK
    for piece in (1, 13, 1000, 100_000):
        assert _run(_server(backend, piece), b"UID FETCH 1:* BODY.PEEK[]")[0] == whole


@pytest.mark.parametrize("data", [MESSAGE, UNIX_MESSAGE], ids=["crlf", "unix"])
def test_maildir_streams_the_file_as_served(tmp_path: Path, data: bytes) -> None:
    served = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    backend = _maildir(tmp_path, data)
    assert backend.account("u").select("INBOX").message_bytes(1) == served
    for piece in (1, 7, 333, 1 << 20):
        out, _ = _run(_server(backend, piece), b"UID FETCH 1 BODY.PEEK[]")
        assert out == _fetched(1, b"BODY[]", served) + OK
    # Partials at many offsets, out of order: a Unix-format file is read
    # again from the top when asked for an earlier offset.
    for origin in (len(served) - 1, 0, 37, 36, 500, 1, len(served)):
        out, _ = _run(_server(backend, 11), b"UID FETCH 1 BODY.PEEK[]<%d.101>" % origin)
        part = served[origin : origin + 101]
        assert out == _fetched(1, b"BODY[]<%d>" % origin, part) + OK


def test_maildir_source_follows_a_flag_rename(tmp_path: Path) -> None:
    backend = _maildir(tmp_path, MESSAGE)
    mailbox = backend.account("u").select("INBOX")
    source = mailbox.open_message(1)
    assert source is not None and source.size == len(MESSAGE)
    mailbox.store_flags([1], StoreAction.ADD, ["\\Seen"])  # renames the file
    assert source.read(0, 10) == MESSAGE[:10]
    assert source.read(10, len(MESSAGE)) == MESSAGE[10:]
    source.close()
    assert mailbox.open_message(2) is None


def test_a_message_lost_after_its_size_went_out_ends_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Lost(BytesSource):
        """Readable once; then the store has lost it."""

        def read(self, offset: int, length: int) -> bytes:
            return super().read(offset, length) if offset == 0 else b""

    server = _server(_memory(MESSAGE), 40)
    conn = server.connect()
    conn.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    while conn.data_to_send():
        pass
    monkeypatch.setattr(MemoryMailbox, "open_message", lambda self, uid: Lost(MESSAGE))
    conn.receive_data(b"f UID FETCH 1 BODY.PEEK[]\r\n")
    head = b"* 1 FETCH (UID 1 BODY[] {%d}\r\n" % len(MESSAGE)
    assert conn.data_to_send() == head + MESSAGE[: 40 - len(head)]
    # The literal cannot be completed: the connection ends there.
    assert conn.data_to_send() == b""
    assert conn.closed and not conn.has_output


def test_source_slice_clips_to_the_source() -> None:
    source = BytesSource(b"0123456789")
    assert SourceSlice(source, 3, 4).read(0, 100) == b"3456"
    assert SourceSlice(source, 8, 4).size == 2
    assert SourceSlice(source, 12, 4).size == 0
    assert SourceSlice(source, 2, 6).read(4, 10) == b"67"


def test_compress_after_a_streamed_fetch_keeps_the_earlier_output_plain() -> None:
    import zlib

    backend = _memory(MESSAGE)
    server = IMAPServer(
        backend,
        config=Config(limits=Limits(max_output_piece=100)),
        clock=lambda: DATE,
        capabilities=["COMPRESS=DEFLATE"],
    )
    conn = server.connect()
    conn.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    while conn.data_to_send():
        pass
    conn.receive_data(b"f UID FETCH 1 BODY.PEEK[]\r\nz COMPRESS DEFLATE\r\n")
    out = bytearray()
    while chunk := conn.data_to_send():
        out += chunk
    # RFC 4978 3: everything up to the CRLF of COMPRESS's OK is plain, also
    # the literal still streaming when COMPRESS was answered.
    plain = _fetched(1, b"BODY[]", MESSAGE) + OK + b"z OK DEFLATE active\r\n"
    assert bytes(out) == plain
    conn.receive_data(zlib.compressobj(1, zlib.DEFLATED, -15).compress(b"n NOOP\r\n") + b"")


# ---------------------------------------------------------------------------
# Over sockets: a client that never reads


def _unread_fetch_growth(tmp_path: Path, count: int, size: int) -> int:
    """Server memory growth (tracemalloc peak) while a client that never
    reads has ``FETCH 1:* BODY.PEEK[]`` of ``count`` messages of ``size``."""
    body = (b"x" * 998 + b"\r\n") * (size // 1000)
    backend = _maildir(tmp_path, *[b"Subject: %d\r\n\r\n" % i + body for i in range(count)])
    backend.account("u").status("INBOX")  # UIDs assigned before measuring
    server = IMAPServer(backend, clock=lambda: DATE)
    threaded = ThreadedServer(server, port=0, options=ServerOptions(send_timeout=30))
    threaded.start()
    assert threaded.port is not None
    sock = socket.create_connection(("127.0.0.1", threaded.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        sock.sendall(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
        seen = b""
        while b"b OK" not in seen:
            seen += sock.recv(65536)
        tracemalloc.reset_peak()
        sock.sendall(b"f FETCH 1:* BODY.PEEK[]\r\n")
        # Read one piece, so the FETCH has started, then never again: the
        # server fills the socket buffers and waits for the send timeout.
        sock.recv(1)
        stalled = threading.Event()
        stalled.wait(3)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
        sock.close()
        threaded.close()


def test_an_unread_fetch_of_300_mb_holds_a_few_mb(tmp_path: Path) -> None:
    growth = _unread_fetch_growth(tmp_path, 30, 10 * 1024 * 1024)
    # Built whole, the answer alone was 300 MB; streamed, the server holds
    # a piece of output, the parsed mailbox state and the socket's bookkeeping.
    assert growth < 8 * 1024 * 1024, growth


def test_fetch_of_many_messages_is_produced_as_the_output_is_taken() -> None:
    messages = [b"Subject: %d\r\n\r\n" % i + b"x" * 300 + b"\r\n" for i in range(200)]
    backend = _memory(*messages)
    server = IMAPServer(
        backend,
        config=Config(limits=Limits(max_unsent_output=4096, max_output_piece=1000)),
        clock=lambda: DATE,
    )
    conn = server.connect()
    conn.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    while conn.data_to_send():
        pass
    conn.receive_data(b"f FETCH 1:* BODY.PEEK[]\r\nn NOOP\r\n")
    answer = max(len(_fetched(i, b"BODY[]", m)) for i, m in enumerate(messages, 1))
    out = b""
    rounds = 0
    while True:
        # What can be taken without letting the session go on: never more
        # than the limit plus the one answer that crossed it.
        held = b"".join(iter(conn.data_to_send, b""))
        assert len(held) <= 4096 + answer, len(held)
        out += held
        if not conn.output_held:
            break
        conn.pump()
        rounds += 1
    whole = b"".join(
        b"* %d FETCH (BODY[] {%d}\r\n%s)\r\n" % (i, len(m), m) for i, m in enumerate(messages, 1)
    )
    # RFC 3501 5.5: the NOOP pipelined behind the FETCH is answered after it.
    assert out == whole + b"f OK FETCH completed\r\nn OK NOOP completed\r\n"
    assert rounds > 10


def test_an_unread_fetch_of_20k_messages_holds_little() -> None:
    body = b"Subject: s\r\n\r\n" + b"y" * 1000 + b"\r\n"
    backend = MemoryBackend(users={"u": "p"})
    account = backend.account("u")
    for _ in range(20_000):
        account.append("INBOX", body, internal_date=DATE)
    conn = _server(backend).connect()
    conn.receive_data(b"a LOGIN u p\r\nb SELECT INBOX\r\n")
    while conn.data_to_send():
        pass
    tracemalloc.start()
    try:
        conn.receive_data(b"f FETCH 1:* (FLAGS BODY.PEEK[])\r\n")
        grown = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # 20 MB of answers; the client has taken none: about max_unsent_output
    # (256 KiB) of them exist, the rest waits in the FETCH's loop.  What
    # remains is the FETCH's metadata of 20,000 messages (their UIDs and
    # flags, ~2.5 MB); built whole, the queued answers took 11 MB more.
    assert grown < 4 * 1024 * 1024, grown
    assert conn.output_held
