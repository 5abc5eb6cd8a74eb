"""OBJECTID, SAVEDATE and REPLACE over a socket: the server ``imap-sansio serve``
builds, driven by the standard library's imaplib (a real client that knows
none of them: its generic command path sends them as written)."""

from __future__ import annotations

import imaplib
import re

import pytest
from imap_sansio.adapters.cli import build_server

from tests._adapter_harness import running_server


def test_imaplib_replaces_a_draft_and_sees_its_object_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # imaplib refuses commands it has no state table entry for.
    monkeypatch.setitem(imaplib.Commands, "REPLACE", ("SELECTED",))
    server = build_server({"alice": "secret"}, demo=False)
    with running_server("threads", server) as srv:
        client = imaplib.IMAP4("127.0.0.1", srv.port)
        try:
            client.login("alice", "secret")
            capabilities = client.capability()[1][0].split()
            for capability in (b"OBJECTID", b"SAVEDATE", b"REPLACE"):
                assert capability in capabilities
            typ, data = client.create("Drafts")
            assert typ == "OK"
            mailbox_id = re.fullmatch(rb"\[MAILBOXID \((F[0-9a-f]+)\)\] CREATE completed", data[0])
            assert mailbox_id is not None
            client.append("Drafts", r"(\Draft)", None, b"Subject: draft 1\r\n\r\nfirst\r\n")
            client.select("Drafts")
            # RFC 8508 3.3: UID REPLACE, the message as a literal.
            client.literal = b"Subject: draft 2\r\n\r\nsecond\r\n"
            typ, data = client.uid("REPLACE", "1", "Drafts")
            assert typ == "OK"
            # RFC 8508 4.3: APPENDUID in an untagged OK (imaplib files it under OK).
            assert any(b"[APPENDUID " in line for line in client.untagged_responses.pop("OK", []))
            typ, data = client.fetch(
                "1", "(UID EMAILID THREADID SAVEDATE BODY[HEADER.FIELDS (SUBJECT)])"
            )
            assert typ == "OK"
            head = data[0][0]
            ids = rb"EMAILID \(M[0-9a-f]+_2\) THREADID \(T[0-9a-f]+_2\)"
            assert re.match(rb"1 \(UID 2 " + ids + rb' SAVEDATE "[^"]+"', head), head
            assert data[0][1] == b"Subject: draft 2\r\n\r\n"
            typ, data = client.status("Drafts", "(MAILBOXID MESSAGES)")
            assert data == [b"Drafts (MAILBOXID (" + mailbox_id[1] + b") MESSAGES 1)"]
        finally:
            client.logout()
