"""COMPRESS=DEFLATE (RFC 4978): the engine compresses and decompresses itself."""

from __future__ import annotations

import zlib

from imap_sansio import ConnectionState
from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock


class DeflateClient:
    """The client's side of RFC 4978: raw deflate, a sync flush per write."""

    def __init__(self) -> None:
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.inflater = zlib.decompressobj(-15)

    def pack(self, data: bytes) -> bytes:
        return self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)

    def unpack(self, data: bytes) -> bytes:
        return self.inflater.decompress(data)


def logged_in() -> object:
    conn = IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock()).connect()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    assert b"COMPRESS=DEFLATE" in conn.data_to_send()
    return conn


def test_compression_starts_right_after_the_tagged_ok() -> None:
    """RFC 4978 3: the OK itself is plain, everything after it compressed."""
    conn = logged_in()
    client = DeflateClient()
    conn.receive_data(b"c COMPRESS DEFLATE\r\n")  # type: ignore[attr-defined]
    assert conn.data_to_send() == b"c OK DEFLATE active\r\n"  # type: ignore[attr-defined]
    conn.receive_data(client.pack(b"d NOOP\r\ne SELECT INBOX\r\n"))  # type: ignore[attr-defined]
    out = client.unpack(conn.data_to_send())  # type: ignore[attr-defined]
    assert out.startswith(b"d OK NOOP completed\r\n* FLAGS (")
    assert out.endswith(b"e OK [READ-WRITE] SELECT completed\r\n")


def test_a_literal_split_across_compressed_chunks() -> None:
    conn = logged_in()
    client = DeflateClient()
    conn.receive_data(b"c COMPRESS DEFLATE\r\n")  # type: ignore[attr-defined]
    conn.data_to_send()  # type: ignore[attr-defined]
    message = b"Subject: zipped\r\n\r\n" + b"z" * 100_000 + b"\r\n"
    command = b"f APPEND INBOX {%d+}\r\n" % len(message) + message + b"\r\n"
    packed = client.pack(command)
    for i in range(0, len(packed), 7):
        conn.receive_data(packed[i : i + 7])  # type: ignore[attr-defined]
    out = client.unpack(conn.data_to_send())  # type: ignore[attr-defined]
    assert out == b"f OK [APPENDUID 1 1] APPEND completed\r\n"


def test_compress_twice_or_unknown_mechanism_is_bad() -> None:
    """RFC 4978 3: BAD for an unknown argument or COMPRESS already active."""
    conn = logged_in()
    client = DeflateClient()
    conn.receive_data(b"c COMPRESS LZW\r\n")  # type: ignore[attr-defined]
    assert conn.data_to_send() == (  # type: ignore[attr-defined]
        b"c BAD [CLIENTBUG] Unknown compression mechanism LZW\r\n"
    )
    conn.receive_data(b"c COMPRESS DEFLATE\r\n")  # type: ignore[attr-defined]
    conn.data_to_send()  # type: ignore[attr-defined]
    conn.receive_data(client.pack(b"d COMPRESS DEFLATE\r\n"))  # type: ignore[attr-defined]
    assert client.unpack(conn.data_to_send()) == (  # type: ignore[attr-defined]
        b"d BAD [COMPRESSIONACTIVE] DEFLATE is already active\r\n"
    )


def test_garbage_instead_of_deflate_ends_the_session() -> None:
    conn = logged_in()
    client = DeflateClient()
    conn.receive_data(b"c COMPRESS DEFLATE\r\n")  # type: ignore[attr-defined]
    conn.data_to_send()  # type: ignore[attr-defined]
    conn.receive_data(b"\xff\xff\xff\xff not deflate")  # type: ignore[attr-defined]
    assert conn.closed  # type: ignore[attr-defined]
    # The BYE is compressed too: compression is on for the rest of the stream.
    bye = client.unpack(conn.data_to_send())  # type: ignore[attr-defined]
    assert bye == b"* BYE Invalid compressed data\r\n"


def test_a_deflate_bomb_is_inflated_in_bounded_steps() -> None:
    """64 MiB of zeros deflate to ~64 KiB; inflating them must never hold them
    at once (the engine inflates 64 KiB at a time and frames as it goes)."""
    import tracemalloc

    from imap_sansio.responses import Status, StatusResponse

    conn = ConnectionState(secure=True)
    conn.send_greeting()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    conn.send(StatusResponse(status=Status.OK, tag="a", text="ok"))
    conn.receive_data(b"c COMPRESS DEFLATE\r\n")
    conn.send(StatusResponse(status=Status.OK, tag="c", text="DEFLATE active"))
    conn.data_to_send()
    bomb = DeflateClient().pack(b"\0" * (64 << 20))
    assert len(bomb) < (1 << 20)
    tracemalloc.start()
    try:
        events = conn.receive_data(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert events == []
    assert peak < 4 << 20, peak  # far below the 64 MiB it inflates to


def test_plain_commands_pipelined_after_compress_end_the_session_cleanly() -> None:
    """RFC 4978 3: the client must wait for the OK; if it does not, its plain
    bytes are not deflate data: BYE, and never an exception out of the engine."""
    conn = IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock()).connect()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    conn.data_to_send()
    conn.receive_data(b"c COMPRESS DEFLATE\r\nd NOOP\r\ne NOOP\r\n")
    out = conn.data_to_send()
    assert out.startswith(b"c OK DEFLATE active\r\n")
    assert DeflateClient().unpack(out[len(b"c OK DEFLATE active\r\n") :]) == (
        b"* BYE Invalid compressed data\r\n"
    )
    assert conn.closed
