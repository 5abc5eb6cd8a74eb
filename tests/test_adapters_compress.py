"""COMPRESS=DEFLATE over a real socket: the adapter only moves the bytes."""

from __future__ import annotations

import socket
import zlib

from imap_sansio.adapters.pytest_plugin import IMAPTestServer


def _read_until(sock: socket.socket, inflater: zlib._Decompress | None, end: bytes) -> bytes:
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(65536)
        assert chunk, data
        data += inflater.decompress(chunk) if inflater is not None else chunk
    return data


def test_compress_deflate_on_loopback(imap_server: IMAPTestServer) -> None:
    message = b"Subject: squeeze\r\n\r\n" + b"la " * 2000 + b"\r\n"
    imap_server.append("INBOX", message)
    with socket.create_connection((imap_server.host, imap_server.port), timeout=5) as sock:
        _read_until(sock, None, b"\r\n")
        user, password = imap_server.user.encode(), imap_server.password.encode()
        sock.sendall(b"a LOGIN %s %s\r\n" % (user, password))
        assert b"COMPRESS=DEFLATE" in _read_until(sock, None, b"LOGIN completed\r\n")
        sock.sendall(b"c COMPRESS DEFLATE\r\n")
        assert _read_until(sock, None, b"\r\n") == b"c OK DEFLATE active\r\n"
        deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        inflater = zlib.decompressobj(-15)
        sock.sendall(
            deflater.compress(b"s SELECT INBOX\r\nf FETCH 1 BODY[]\r\n")
            + deflater.flush(zlib.Z_SYNC_FLUSH)
        )
        out = _read_until(sock, inflater, b"f OK FETCH completed\r\n")
        assert b"s OK [READ-WRITE] SELECT completed\r\n" in out
        assert b"* 1 FETCH (BODY[] {%d}\r\n" % len(message) + message in out
