"""A real client library speaking IMAP4rev2 and its extensions over a socket.

imaplib (the standard library's client) drives ENABLE IMAP4rev2 and
UIDONLY, ESEARCH with PARTIAL, UIDFETCH, and NOTIFY against the asyncio
adapter on loopback, while a second imaplib connection makes the changes
NOTIFY reports.  imaplib files every untagged response by its name, so each
is read back exactly as the RFC example shapes it, beside the client's own
tag (RFC 9051 7.3.4: ``(TAG "...")``).
"""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import cast

import pytest
from _adapter_harness import running_server
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, MemoryBackend

USER, PASSWORD = "alice", "wonderland"
DATE = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def port() -> Iterator[int]:
    backend = MemoryBackend(users={USER: PASSWORD})
    account = backend.account(USER)
    account.create_mailbox("Archive")
    for n in range(1, 6):
        data = b"Subject: message %d\r\n\r\nbody %d\r\n" % (n, n)
        account.append("INBOX", data, flags=frozenset(), internal_date=DATE)
    server = IMAPServer(backend, clock=wall_clock)
    with running_server("asyncio", server, options=ServerOptions(shutdown_grace=2)) as srv:
        yield srv.port


def _last_tag(imap: imaplib.IMAP4) -> str:
    # imaplib's tags are tagpre + a counter; typeshed says str, CPython's is bytes.
    return f"{cast(bytes, imap.tagpre).decode()}{imap.tagnum - 1}"


def test_imaplib_speaks_imap4rev2_uidonly_partial_and_notify(
    port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # imaplib knows no NOTIFY; tell it the state where it is valid (its own
    # table, restored after the test).
    monkeypatch.setitem(imaplib.Commands, "NOTIFY", ("AUTH", "SELECTED"))
    with (
        imaplib.IMAP4("127.0.0.1", port, timeout=10) as imap,
        imaplib.IMAP4("127.0.0.1", port, timeout=10) as other,
    ):
        assert "IMAP4REV2" in imap.capabilities
        assert imap.login(USER, PASSWORD)[0] == "OK"
        other.login(USER, PASSWORD)
        caps = imap.capability()[1][0].split()
        for name in (b"IMAP4rev2", b"UIDONLY", b"ESEARCH", b"PARTIAL", b"NOTIFY"):
            assert name in caps

        # RFC 5161 3.1 / RFC 9051 6.3.1, and RFC 9586 3: UIDONLY is enabled
        # before SELECT (ENABLE is valid in the authenticated state only).
        assert imap.enable("IMAP4rev2") == ("OK", [b"ENABLE completed"])
        assert imap.response("ENABLED") == ("ENABLED", [b"IMAP4rev2"])
        assert imap.enable("UIDONLY") == ("OK", [b"ENABLE completed"])
        assert imap.response("ENABLED") == ("ENABLED", [b"UIDONLY"])

        # RFC 9051 6.3.2: the untagged LIST, and no RECENT (appendix E 12).
        assert imap.select("INBOX") == ("OK", [b"5"])
        assert imap.response("LIST") == ("LIST", [b'() "/" INBOX'])
        assert imap.response("RECENT") == ("RECENT", [None])
        assert imap.response("EXISTS") == ("EXISTS", [b"5"])  # imaplib keeps it

        # RFC 9051 6.4.4 (ESEARCH) and RFC 9394 3.1 (PARTIAL): the last two
        # of the five, counted from the end.
        assert imap.uid("SEARCH", "RETURN", "(MIN MAX COUNT)", "ALL")[0] == "OK"
        tag = _last_tag(imap)
        assert imap.response("ESEARCH") == (
            "ESEARCH",
            [f'(TAG "{tag}") UID MIN 1 MAX 5 COUNT 5'.encode()],
        )
        assert imap.uid("SEARCH", "RETURN", "(PARTIAL -1:-2)", "ALL")[0] == "OK"
        tag = _last_tag(imap)
        assert imap.response("ESEARCH") == (
            "ESEARCH",
            [f'(TAG "{tag}") UID PARTIAL (-1:-2 4:5)'.encode()],
        )

        # RFC 9586 3: sequence numbers are BAD [UIDREQUIRED]; UID FETCH
        # answers UIDFETCH, numbered by UID (3.3).
        with pytest.raises(imaplib.IMAP4.error, match=r"UIDREQUIRED"):
            imap.fetch("1", "(FLAGS)")
        assert imap.uid("STORE", "4", "+FLAGS.SILENT", "(\\Seen)")[0] == "OK"
        assert imap.uid("FETCH", "4:5", "(FLAGS)")[0] == "OK"
        assert imap.response("UIDFETCH") == (
            "UIDFETCH",
            [b"4 (FLAGS (\\Seen))", b"5 (FLAGS ())"],
        )

        # RFC 5465 5.2 and 5.1: a new message in another mailbox is told by
        # STATUS, one in the selected mailbox by EXISTS; with UIDONLY an
        # expunge is VANISHED (RFC 9586 3).
        events = "(MessageNew MessageExpunge)"
        notify = f"SET (selected {events}) (mailboxes Archive {events})"
        assert imap.xatom("NOTIFY", notify)[0] == "OK"
        when = imaplib.Time2Internaldate(DATE)
        assert other.append("Archive", "", when, b"Subject: a\r\n\r\na\r\n")[0] == "OK"
        assert other.append("INBOX", "", when, b"Subject: b\r\n\r\nb\r\n")[0] == "OK"
        # NOOP collects what was pushed meanwhile (and what was not yet).
        assert imap.noop()[0] == "OK"
        assert imap.response("STATUS") == ("STATUS", [b"Archive (UIDNEXT 2 MESSAGES 1)"])
        assert imap.response("EXISTS") == ("EXISTS", [b"6"])
        other.select("INBOX")
        other.uid("STORE", "2", "+FLAGS.SILENT", "(\\Deleted)")
        other.expunge()
        assert imap.noop()[0] == "OK"
        assert imap.response("VANISHED") == ("VANISHED", [b"2"])
        assert imap.response("EXISTS") == ("EXISTS", [None])
        other.logout()
        assert imap.logout()[0] == "BYE"
