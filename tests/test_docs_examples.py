"""The guides' example programs work as the guides say (docs/examples/)."""

from __future__ import annotations

import importlib.util
import socket
import socketserver
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest
from paths import DATA

ROOT = DATA.parent.parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def minimal_server() -> Iterator[int]:
    module = _load("minimal_server")
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), module.Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_minimal_server_answers_a_whole_session(minimal_server: int) -> None:
    with socket.create_connection(("127.0.0.1", minimal_server)) as sock:
        sock.sendall(
            b"a LOGIN demo wrong\r\nb LOGIN demo secret\r\nc EXAMINE INBOX\r\n"
            b"d FETCH 1:* (FLAGS BODY.PEEK[])\r\ne UID FETCH 2:* RFC822.SIZE\r\n"
            b"f DELETE INBOX\r\ng LOGOUT\r\n"
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    message = b"From: a@example.org\r\nSubject: hello\r\n\r\nIt works.\r\n"
    assert received == (
        b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE] imap-sansio ready.\r\n"
        b"a NO Wrong password\r\n"
        b"b OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE APPENDLIMIT=67108864]"
        b" LOGIN completed\r\n"
        b"* FLAGS ()\r\n* 1 EXISTS\r\nc OK EXAMINE completed\r\n"
        b"* 1 FETCH (UID 1 FLAGS () BODY[] {50}\r\n" + message + b")\r\n"
        b"d OK FETCH completed\r\n"
        # RFC 3501 6.4.8: "2:*" is "*" (UID 1) when no UID is that high.
        b"* 1 FETCH (UID 1 RFC822.SIZE 50)\r\ne OK FETCH completed\r\n"
        b"f NO Not offered here\r\n"
        b"* BYE Bye\r\ng OK LOGOUT completed\r\n"
    )
