"""Big APPEND literals spool (issue 11 goal 3): over
``Limits.spool_literal_above`` they go to the sink of
``Config.literal_sink_factory`` as they arrive, never into one bytes object.
"""

from __future__ import annotations

import hashlib
import socket
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from imap_sansio.adapters import ServerOptions, ThreadedServer
from imap_sansio.adapters.maildir import MaildirBackend
from imap_sansio.adapters.spool import FileSink, FileSource, temporary_file_sink

from imap_sansio import Config, ConnectionState, Limits
from imap_sansio.commands import Append
from imap_sansio.responses import Status, StatusResponse
from imap_sansio.server import Backend, IMAPServer, MemoryBackend, Session

DATE = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MiB = 1024 * 1024
#: Where MaildirBackend.literal_sink puts big literals (its documented place).
SPOOL_DIR = ".imap-sansio-spool"
HEAD = b"Subject: big\r\n\r\n"
# One 64 KiB block of CRLF lines, sent again and again (made before any
# measurement, so the test itself holds no big message either).
BLOCK = b"".join(b"%062d\r\n" % i for i in range(1024))
assert len(BLOCK) == 64 * 1024


def _message_pieces(size: int) -> list[bytes]:
    """A message of exactly ``size`` octets, as the pieces a socket gives."""
    pieces = [HEAD]
    left = size - len(HEAD)
    while left:
        piece = BLOCK[: min(left, len(BLOCK))]
        pieces.append(piece)
        left -= len(piece)
    return pieces


def _digest(pieces: list[bytes]) -> str:
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece)
    return digest.hexdigest()


def _source_digest(source: FileSource | bytes) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    for offset in range(0, source.size, MiB):
        digest.update(source.read(offset, MiB))
    return digest.hexdigest()


def _engine(**limits: int) -> ConnectionState:
    config = Config(limits=Limits(**limits), literal_sink_factory=temporary_file_sink)
    conn = ConnectionState(config, secure=True)
    conn.send_greeting()
    # The engine alone: authenticated by the app's answer to LOGIN.
    conn.receive_data(b"a LOGIN u p\r\n")
    conn.send(StatusResponse(status=Status.OK, tag="a", text="ok"))
    conn.data_to_send()
    return conn


def test_a_50_mb_literal_in_pieces_never_becomes_one_bytes_object() -> None:
    size = 50 * MiB
    pieces = _message_pieces(size)
    conn = _engine()
    events = []
    tracemalloc.start()
    try:
        events += conn.receive_data(b"b APPEND INBOX (\\Seen) {%d+}\r\n" % size)
        for piece in pieces:
            events += conn.receive_data(piece)
        events += conn.receive_data(b"\r\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    [append] = events
    assert isinstance(append, Append)
    [message] = append.messages
    assert message.flags == ("\\Seen",)
    assert isinstance(message.data, FileSource)
    assert message.data.size == size
    assert _source_digest(message.data) == _digest(pieces)
    message.data.close()
    # 50 MB arrived; the engine held one piece at a time.
    assert peak < 2 * MiB, peak


def test_small_literals_stay_bytes_and_the_threshold_is_configurable() -> None:
    conn = _engine(spool_literal_above=10)
    [append] = conn.receive_data(b"b APPEND INBOX {10+}\r\n0123456789 {11+}\r\n0123456789x\r\n")
    assert isinstance(append, Append)
    small, big = append.messages
    assert small.data == b"0123456789"
    assert isinstance(big.data, FileSource) and big.data.read(0, 100) == b"0123456789x"
    big.data.close()


def _server(backend: Backend, **limits: int) -> IMAPServer:
    config = Config(limits=Limits(**limits), literal_sink_factory=temporary_file_sink)
    return IMAPServer(backend, config=config, clock=lambda: DATE)


def _session(server: IMAPServer) -> Session:
    conn = server.connect()
    conn.receive_data(b"a LOGIN u p\r\n")
    assert b"a OK" in conn.data_to_send()
    return conn


def test_append_over_the_threshold_is_stored_exactly(tmp_path: Path) -> None:
    backend = MaildirBackend(tmp_path, users={"u": "p"}, fsync=False)
    conn = _session(_server(backend, spool_literal_above=100))
    data = HEAD + BLOCK * 3
    conn.receive_data(b"b APPEND INBOX {%d}\r\n" % len(data))
    assert conn.data_to_send() == b"+ Ready for literal data\r\n"
    conn.receive_data(data + b"\r\n")
    out = conn.data_to_send()
    assert out.startswith(b"b OK [APPENDUID ") and out.endswith(b" 1] APPEND completed\r\n")
    mailbox = backend.account("u").select("INBOX")
    assert mailbox.message_bytes(1) == data
    assert mailbox.messages([1])[0].size == len(data)


def test_a_spooled_unix_format_message_gets_its_served_size(tmp_path: Path) -> None:
    # Maildir serves a file without CR with CRLF line ends: RFC822.SIZE counts them.
    backend = MaildirBackend(tmp_path, users={"u": "p"}, fsync=False)
    conn = _session(_server(backend, spool_literal_above=10))
    data = b"Subject: unix\n\n" + b"line\n" * 100
    conn.receive_data(b"b APPEND INBOX {%d+}\r\n%s\r\n" % (len(data), data))
    assert b"b OK [APPENDUID" in conn.data_to_send()
    info = backend.account("u").select("INBOX").messages([1])[0]
    assert info.size == len(data) + data.count(b"\n")


def test_nul_in_a_spooled_literal_is_refused_as_the_grammar_does() -> None:
    backend = MemoryBackend(users={"u": "p"})
    conn = _session(_server(backend, spool_literal_above=4))
    conn.receive_data(b"b APPEND INBOX {6+}\r\nab\x00cd\n\r\n")
    # RFC 3516 4.4: only a literal8 may hold NUL.
    assert conn.data_to_send() == (
        b"b BAD [CLIENTBUG] APPEND: NUL in literal (only literal8 may hold NUL)\r\n"
    )
    conn.receive_data(b"c NOOP\r\n")
    assert conn.data_to_send() == b"c OK NOOP completed\r\n"
    assert backend.account("u").status("INBOX").messages == 0


def test_a_spooled_literal8_with_nul_is_stored_as_an_unspooled_one() -> None:
    data = b"Content-Type: application/octet-stream\r\n\r\nab\x00cd\r\n"
    stored = []
    for threshold in (4, 1 * MiB):
        backend = MemoryBackend(users={"u": "p"})
        conn = _session(_server(backend, spool_literal_above=threshold))
        conn.receive_data(b"b APPEND INBOX ~{%d+}\r\n%s\r\n" % (len(data), data))
        assert b"b OK [APPENDUID" in conn.data_to_send()
        stored.append(backend.account("u").select("INBOX").message_bytes(1))
    # RFC 3516 4.4: the part holding NUL is stored base64-encoded, spooled or not.
    assert stored[0] == stored[1]
    assert stored[0] is not None and b"\x00" not in stored[0]
    assert b"Content-Transfer-Encoding: base64\r\n\r\nYWIAY2QNCg==" in stored[0]


def test_no_place_to_spool_is_no_unavailable_before_the_literal() -> None:
    def full(size: int) -> FileSink:
        raise OSError(28, "No space left on device")

    config = Config(limits=Limits(spool_literal_above=4), literal_sink_factory=full)
    server = IMAPServer(MemoryBackend(users={"u": "p"}), config=config, clock=lambda: DATE)
    conn = server.connect()
    conn.receive_data(b"a LOGIN u p\r\n")
    conn.data_to_send()
    # No "+": the client sends no literal (RFC 3501 7.5); RFC 5530 UNAVAILABLE.
    conn.receive_data(b"b APPEND INBOX {10}\r\n")
    assert conn.data_to_send() == b"b NO [UNAVAILABLE] Cannot take the message now\r\n"
    conn.receive_data(b"c NOOP\r\n")
    assert conn.data_to_send() == b"c OK NOOP completed\r\n"


# ---------------------------------------------------------------------------
# Over a socket, with the adapters' default sink


@pytest.mark.parametrize("size", [50 * MiB])
def test_append_of_50_mb_over_a_socket_holds_a_few_mb(tmp_path: Path, size: int) -> None:
    backend = MaildirBackend(tmp_path, users={"u": "p"}, fsync=False)
    backend.account("u").status("INBOX")
    server = IMAPServer(backend, clock=lambda: DATE)  # no sink of its own
    threaded = ThreadedServer(server, port=0, options=ServerOptions())
    threaded.start()
    assert threaded.port is not None
    pieces = _message_pieces(size)
    sock = socket.create_connection(("127.0.0.1", threaded.port), timeout=30)
    tracemalloc.start()
    try:
        sock.sendall(b"a LOGIN u p\r\n")
        seen = b""
        while b"a OK" not in seen:
            seen += sock.recv(65536)
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        sock.sendall(b"b APPEND INBOX {%d+}\r\n" % size)
        for piece in pieces:
            sock.sendall(piece)
        sock.sendall(b"\r\n")
        seen = b""
        while b"\r\n" not in seen:
            seen += sock.recv(65536)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
        sock.close()
        threaded.close()
    assert seen.startswith(b"b OK [APPENDUID "), seen
    stored = next((tmp_path / "u" / "cur").iterdir())
    digest = hashlib.sha256()
    with stored.open("rb") as file:
        while block := file.read(MiB):
            digest.update(block)
    assert digest.hexdigest() == _digest(pieces)
    # Before: the literal in a bytearray, then bytes, then joined (3 x 50 MB).
    assert peak < 8 * MiB, peak
    # The adapters used the store's own spool: written once, linked into
    # place, and its name removed.
    assert list((tmp_path / SPOOL_DIR).iterdir()) == []
    assert stored.stat().st_nlink == 1


def test_maildir_links_its_spooled_literal_into_place(tmp_path: Path) -> None:
    backend = MaildirBackend(tmp_path, users={"u": "p"}, fsync=True)
    config = Config(
        limits=Limits(spool_literal_above=10), literal_sink_factory=backend.literal_sink
    )
    conn = IMAPServer(backend, config=config, clock=lambda: DATE).connect()
    conn.receive_data(b"a LOGIN u p\r\n")
    conn.data_to_send()
    data = b"Subject: linked\n\n" + b"body line\n" * 1000  # Unix format
    conn.receive_data(b"b APPEND INBOX {%d+}\r\n" % len(data))
    spooled = list((tmp_path / SPOOL_DIR).iterdir())
    assert len(spooled) == 1  # the literal goes to the spool as it arrives
    conn.receive_data(data[:100])
    conn.receive_data(data[100:] + b"\r\n")
    assert b"b OK [APPENDUID" in conn.data_to_send()
    assert list((tmp_path / SPOOL_DIR).iterdir()) == []
    [stored] = (tmp_path / "u" / "cur").iterdir()
    assert stored.read_bytes() == data  # stored verbatim (Maildir's rule)
    mailbox = backend.account("u").select("INBOX")
    assert mailbox.message_bytes(1) == data.replace(b"\n", b"\r\n")
    assert mailbox.messages([1])[0].size == len(data) + data.count(b"\n")


def test_literal_expected_counts_down_what_the_peer_owes() -> None:
    # RFC 3501 4.3: after "{n}" and the "+", n octets of the literal follow.
    conn = _engine()
    assert conn.literal_expected == 0
    conn.receive_data(b"b APPEND INBOX {10}\r\n")
    assert conn.data_to_send() == b"+ Ready for literal data\r\n"
    assert conn.literal_expected == 10
    conn.receive_data(b"0123")
    assert conn.literal_expected == 6
    # The literal's end and the rest of the command in one piece.
    [append] = conn.receive_data(b"456789\r\n")
    assert isinstance(append, Append)
    assert append.messages[0].data == b"0123456789"
    assert conn.literal_expected == 0


def test_a_literal_spooled_from_pieces_with_its_command_end_is_stored_exactly() -> None:
    # The pieces a socket gives while a literal is read go to the sink as
    # they are; the piece that ends it also carries the next command.
    conn = _engine(spool_literal_above=10)
    data = HEAD + BLOCK
    events = conn.receive_data(b"b APPEND INBOX {%d+}\r\n%s" % (len(data), data[:1000]))
    events += conn.receive_data(data[1000:] + b"\r\nc NOOP\r\n")
    append, noop = events
    assert isinstance(append, Append)
    source = append.messages[0].data
    assert isinstance(source, FileSource)
    assert source.read(0, len(data) + 1) == data
    source.close()
    assert noop.tag == "c" and noop.name == "NOOP"


def test_a_spooled_message_whose_first_piece_has_no_cr_is_served_as_written(
    tmp_path: Path,
) -> None:
    # Maildir counts CR and LF as the spooled pieces arrive: one CR in a
    # later piece means the file is not Unix format (served unchanged).
    backend = MaildirBackend(tmp_path, users={"u": "p"}, fsync=False)
    config = Config(
        limits=Limits(spool_literal_above=10), literal_sink_factory=backend.literal_sink
    )
    conn = IMAPServer(backend, config=config, clock=lambda: DATE).connect()
    conn.receive_data(b"a LOGIN u p\r\n")
    conn.data_to_send()
    first = b"Subject: mixed\n\n" + b"unix line\n" * 10
    data = first + b"crlf line\r\n"
    conn.receive_data(b"b APPEND INBOX {%d+}\r\n%s" % (len(data), first))
    conn.receive_data(data[len(first) :] + b"\r\n")
    assert b"b OK [APPENDUID" in conn.data_to_send()
    mailbox = backend.account("u").select("INBOX")
    assert mailbox.message_bytes(1) == data
    assert mailbox.messages([1])[0].size == len(data)
