"""MODSEQ in FETCH and STORE for a CONDSTORE-aware client (RFC 7162 3.1).

CONDSTORE is not advertised yet (its enabling commands need the engine), so
these tests turn on ENABLE CONDSTORE through ``IMAPServer.enableable``.  The
mod-sequences are the backend's (read through the Mailbox protocol).
"""

from __future__ import annotations

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend, demo_backend
from imap_sansio.testing import fixed_clock


class Client:
    def __init__(self, server: IMAPServer) -> None:
        self.conn = server.connect()
        self.conn.data_to_send()

    def __call__(self, line: bytes) -> bytes:
        self.conn.receive_data(line + b"\r\n")
        return self.conn.data_to_send()


@pytest.fixture
def backend() -> MemoryBackend:
    return demo_backend()


@pytest.fixture
def server(backend: MemoryBackend) -> IMAPServer:
    server = IMAPServer(backend, clock=fixed_clock())
    server.enableable.add("CONDSTORE")
    return server


def session(server: IMAPServer, *, condstore: bool = True) -> Client:
    c = Client(server)
    assert c(b"a LOGIN demo demo").startswith(b"a OK")
    if condstore:
        assert c(b"e ENABLE CONDSTORE") == b"* ENABLED CONDSTORE\r\ne OK ENABLE completed\r\n"
    assert b"b OK [READ-WRITE]" in c(b"b SELECT INBOX")
    return c


def modseqs(backend: MemoryBackend) -> dict[int, int]:
    return {m.uid: m.modseq for m in backend.account("demo").select("INBOX").messages()}


def test_every_fetch_response_carries_modseq(server: IMAPServer, backend: MemoryBackend) -> None:
    """RFC 7162 3.1: "MUST include mod-sequence data in all subsequent untagged
    FETCH responses"; after UID, before the items (RFC 7162 Example 12)."""
    ms = modseqs(backend)
    c = session(server)
    assert c(b"t FETCH 1 FLAGS") == (
        b"* 1 FETCH (MODSEQ (%d) FLAGS (\\Seen \\Recent))\r\nt OK FETCH completed\r\n" % ms[1]
    )
    assert c(b"t UID FETCH 2 FLAGS") == (
        b"* 2 FETCH (UID 2 MODSEQ (%d) FLAGS (\\Flagged \\Seen \\Recent))\r\n" % ms[2]
        + b"t OK FETCH completed\r\n"
    )
    # Asked for explicitly: where asked, once.
    assert c(b"t FETCH 1 (UID MODSEQ)") == (
        b"* 1 FETCH (UID 1 MODSEQ (%d))\r\nt OK FETCH completed\r\n" % ms[1]
    )


def test_store_silent_still_reports_the_new_modseq(
    server: IMAPServer, backend: MemoryBackend
) -> None:
    """RFC 7162 3.1.3 / Example 14: ``* 7 FETCH (MODSEQ (...))`` for .SILENT."""
    new = max(modseqs(backend).values()) + 1
    a = session(server)
    b = session(server)
    assert a(b"s STORE 5 +FLAGS.SILENT (\\Deleted)") == (
        b"* 5 FETCH (MODSEQ (%d))\r\ns OK STORE completed\r\n" % new
    )
    assert a(b"s UID STORE 5 +FLAGS.SILENT (\\Seen)") == (
        b"* 5 FETCH (UID 5 MODSEQ (%d))\r\ns OK STORE completed\r\n" % (new + 1)
    )
    # Nothing changed: nothing to report.
    assert a(b"s STORE 5 +FLAGS.SILENT (\\Seen)") == b"s OK STORE completed\r\n"
    assert a(b"n NOOP") == b"n OK NOOP completed\r\n"
    # The other CONDSTORE-aware session gets flags and modseq (RFC 7162 Example 14).
    assert b(b"n NOOP") == (
        b"* 5 FETCH (FLAGS (\\Deleted \\Seen) UID 5 MODSEQ (%d))\r\n" % (new + 1)
        + b"n OK NOOP completed\r\n"
    )


def test_store_reports_flags_and_modseq(server: IMAPServer, backend: MemoryBackend) -> None:
    new = max(modseqs(backend).values()) + 1
    c = session(server)
    assert c(b"s STORE 7 FLAGS (\\Answered)") == (
        b"* 7 FETCH (FLAGS (\\Answered \\Recent) MODSEQ (%d))\r\ns OK STORE completed\r\n" % new
    )


def test_implicit_seen_reports_the_new_modseq(server: IMAPServer, backend: MemoryBackend) -> None:
    new = max(modseqs(backend).values()) + 1
    c = session(server)
    assert c(b"t FETCH 7 BODY[]<0.4>") == (
        b"* 7 FETCH (MODSEQ (%d) BODY[]<0> {4}\r\nDate FLAGS (\\Seen \\Recent))\r\n" % new
        + b"t OK FETCH completed\r\n"
    )


def test_without_condstore_no_modseq(server: IMAPServer) -> None:
    c = session(server, condstore=False)
    assert c(b"s STORE 5 +FLAGS.SILENT (\\Deleted)") == b"s OK STORE completed\r\n"
    assert c(b"t FETCH 5 FLAGS") == (
        b"* 5 FETCH (FLAGS (\\Deleted \\Recent))\r\nt OK FETCH completed\r\n"
    )


def test_preview(server: IMAPServer) -> None:
    """RFC 8970 3.2: the preview text of the first text/plain part, whitespace
    collapsed (the mime model's rules), as a quoted string."""
    c = session(server, condstore=False)
    text = (
        b"Hello Demo, this mailbox is served by imap-sansio's in-memory backend. "
        b"Every message here is fixed, so you can FETCH it again and again. Cheers, Alice"
    )
    assert c(b"t FETCH 1 PREVIEW") == (
        b'* 1 FETCH (PREVIEW "' + text + b'")\r\nt OK FETCH completed\r\n'
    )
