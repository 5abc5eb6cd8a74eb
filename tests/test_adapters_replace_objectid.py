"""OBJECTID, SAVEDATE and REPLACE in the adapters: over a socket, the server
``imap-sansio serve`` builds driven by the standard library's imaplib (a real
client that knows none of them: its generic command path sends them as
written); the Maildir store's ids on disk."""

from __future__ import annotations

import imaplib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from imap_sansio.adapters.cli import build_server
from imap_sansio.adapters.maildir import MaildirBackend

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


def test_maildir_object_ids_survive_a_restart_and_a_delivery_joins_its_thread(
    tmp_path: Path,
) -> None:
    # RFC 8474 4, 5.1, 5.2: MAILBOXID, EMAILID and THREADID are the store's,
    # so a new backend over the same files (another process, a restart)
    # reports the same ones; a message a delivery agent drops into new/
    # that cites one already stored joins its thread.
    date = datetime(2025, 3, 1, tzinfo=UTC)
    first = MaildirBackend(tmp_path, users={"alice": "secret"}, fsync=False, object_ids=True)
    account = first.account("alice")
    account.append("INBOX", b"Message-ID: <a@x>\r\n\r\nhello\r\n", internal_date=date)
    before = account.select("INBOX").messages()
    mailbox_id = account.mailbox_id("INBOX")
    (tmp_path / "alice" / "new" / "1.delivered.host").write_bytes(
        b"In-Reply-To: <a@x>\r\n\r\nreply\r\n"
    )
    again = MaildirBackend(tmp_path, users={"alice": "secret"}, fsync=False, object_ids=True)
    other = again.account("alice")
    assert other.mailbox_id("INBOX") == mailbox_id
    original, reply = other.select("INBOX").messages()
    assert (original.email_id, original.thread_id, original.save_date) == (
        before[0].email_id,
        before[0].thread_id,
        before[0].save_date,
    )
    assert reply.thread_id == original.thread_id and reply.email_id != original.email_id
    assert reply.save_date is not None
