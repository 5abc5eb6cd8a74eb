"""FETCH side effects and concurrency: \\Seen (RFC 3501 6.4.5) and EXPUNGEISSUED.

Demo INBOX flags: 1 \\Seen, 2 \\Seen \\Flagged, 3 \\Seen \\Answered $Work,
4 $Forwarded, 5 none, 6 \\Flagged $Important, 7 none.
"""

from __future__ import annotations

import pytest

from imap_sansio.server import IMAPServer, demo_backend
from imap_sansio.server._demo import DEMO_MESSAGES
from imap_sansio.testing import fixed_clock


class Client:
    def __init__(self, server: IMAPServer) -> None:
        self.conn = server.connect()
        self.conn.data_to_send()

    def __call__(self, line: bytes) -> bytes:
        self.conn.receive_data(line + b"\r\n")
        return self.conn.data_to_send()


def _inbox(uid: int) -> bytes:
    return [m for m in DEMO_MESSAGES if m[0] == "INBOX"][uid - 1][1]


def lit(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def _text(uid: int) -> bytes:
    data = _inbox(uid)
    return data[data.index(b"\r\n\r\n") + 4 :]


OK = b"t OK FETCH completed\r\n"


@pytest.fixture
def server() -> IMAPServer:
    return IMAPServer(demo_backend(), clock=fixed_clock())


def session(server: IMAPServer, how: bytes = b"SELECT") -> Client:
    c = Client(server)
    assert c(b"a LOGIN demo demo").startswith(b"a OK")
    assert b"b OK [READ-" in c(b"b " + how + b" INBOX")
    return c


# --------------------------------------------------------------- \Seen


def test_body_sets_seen_and_reports_flags(server: IMAPServer) -> None:
    """RFC 3501 6.4.5: BODY[] sets \\Seen; changed flags go in the response."""
    c = session(server)
    assert c(b"t FETCH 4 BODY[TEXT]") == (
        b"* 4 FETCH (BODY[TEXT] " + lit(_text(4)) + b" FLAGS ($Forwarded \\Seen \\Recent))\r\n" + OK
    )
    # The change is not echoed again at the next command.
    assert c(b"n NOOP") == b"n OK NOOP completed\r\n"
    assert c(b"t FETCH 4 FLAGS") == b"* 4 FETCH (FLAGS ($Forwarded \\Seen \\Recent))\r\n" + OK


def test_body_peek_does_not_set_seen(server: IMAPServer) -> None:
    c = session(server)
    assert (
        c(b"t FETCH 5 BODY.PEEK[TEXT]") == b"* 5 FETCH (BODY[TEXT] " + lit(_text(5)) + b")\r\n" + OK
    )
    assert c(b"t FETCH 5 FLAGS") == b"* 5 FETCH (FLAGS (\\Recent))\r\n" + OK


def test_flags_asked_for_show_the_new_seen_once(server: IMAPServer) -> None:
    c = session(server)
    assert c(b"t FETCH 5 (FLAGS BODY[]<0.4>)") == (
        b"* 5 FETCH (FLAGS (\\Seen \\Recent) BODY[]<0> {4}\r\nDate)\r\n" + OK
    )


@pytest.mark.parametrize(
    ("item", "answer"),
    [
        (b"RFC822", b"RFC822 " + lit(_inbox(7))),
        (b"RFC822.TEXT", b"RFC822.TEXT " + lit(_text(7))),
        (b"BINARY[]", b"BINARY[] " + lit(_inbox(7))),
    ],
)
def test_rfc822_and_rfc822_text_set_seen(server: IMAPServer, item: bytes, answer: bytes) -> None:
    """Seed defect: RFC822 and RFC822.TEXT did not set \\Seen (RFC 3501 6.4.5:
    RFC822 = BODY[], RFC822.TEXT = BODY[TEXT]); BINARY[] as BODY[] (RFC 3516 4.1)."""
    c = session(server)
    assert c(b"t FETCH 7 " + item) == (
        b"* 7 FETCH (" + answer + b" FLAGS (\\Seen \\Recent))\r\n" + OK
    )


def test_rfc822_header_does_not_set_seen(server: IMAPServer) -> None:
    c = session(server)
    reply = c(b"t FETCH 7 RFC822.HEADER")
    assert b"FLAGS" not in reply
    assert c(b"t FETCH 7 FLAGS") == b"* 7 FETCH (FLAGS (\\Recent))\r\n" + OK


@pytest.mark.parametrize(
    "item", [b"BODY[]", b"BODY[TEXT]", b"RFC822", b"RFC822.TEXT", b"BINARY[1]"]
)
def test_examine_never_sets_seen(server: IMAPServer, item: bytes) -> None:
    """Seed defect: BODY[] set \\Seen under EXAMINE (RFC 3501 6.3.2: read-only)."""
    c = session(server, b"EXAMINE")
    reply = c(b"t FETCH 5 " + item)
    assert reply.startswith(b"* 5 FETCH (") and reply.endswith(b")\r\n" + OK)
    assert b"FLAGS" not in reply
    assert c(b"t FETCH 5 FLAGS") == b"* 5 FETCH (FLAGS ())\r\n" + OK
    # Nor did the store change: a fresh session sees 5 unseen.
    other = session(server, b"EXAMINE")
    assert other(b"t FETCH 5 FLAGS") == b"* 5 FETCH (FLAGS ())\r\n" + OK


def test_seen_reaches_other_sessions(server: IMAPServer) -> None:
    a = session(server)
    b = session(server)  # \Recent went to a
    a(b"t FETCH 5 BODY[]")
    assert b(b"n NOOP") == b"* 5 FETCH (FLAGS (\\Seen) UID 5)\r\nn OK NOOP completed\r\n"
    assert a(b"n NOOP") == b"n OK NOOP completed\r\n"


def test_already_seen_message_gets_no_flags(server: IMAPServer) -> None:
    c = session(server)
    assert c(b"t FETCH 1 BODY[]<0.6>") == b"* 1 FETCH (BODY[]<0> {6}\r\nReturn)\r\n" + OK


# --------------------------------------------------------------- EXPUNGEISSUED


def _expunge_2_elsewhere(server: IMAPServer) -> Client:
    b = session(server)
    assert b(b"s STORE 2 +FLAGS.SILENT (\\Deleted)") == b"s OK STORE completed\r\n"
    assert b(b"e EXPUNGE") == b"* 2 EXPUNGE\r\ne OK EXPUNGE completed\r\n"
    return b


def test_fetch_of_a_message_expunged_elsewhere(server: IMAPServer) -> None:
    """RFC 5530 3 EXPUNGEISSUED; RFC 3501 7.4.1: no EXPUNGE during FETCH."""
    a = session(server)
    _expunge_2_elsewhere(server)
    issued = b"t OK [EXPUNGEISSUED] Some messages were expunged meanwhile\r\n"
    # What the session still knows (its flags), NIL for the bytes.
    assert a(b"t FETCH 2 (FLAGS BODY.PEEK[])") == (
        b"* 2 FETCH (FLAGS (\\Flagged \\Seen \\Recent) BODY[] NIL)\r\n" + issued
    )
    # Still not told (FETCH forbids EXPUNGE); a range includes the others.
    assert a(b"t FETCH 1:3 (UID)") == (
        b"* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\n" + issued
    )
    assert a(b"n NOOP") == b"* 2 EXPUNGE\r\nn OK NOOP completed\r\n"
    assert a(b"t FETCH 2 (UID)") == b"* 2 FETCH (UID 3)\r\n" + OK


def test_uid_fetch_of_a_message_expunged_elsewhere(server: IMAPServer) -> None:
    a = session(server)
    _expunge_2_elsewhere(server)
    # A UID FETCH may carry EXPUNGE (RFC 3501 7.4.1); the OK still says why
    # message 2 was empty.
    assert a(b"t UID FETCH 2 (RFC822.SIZE ENVELOPE)") == (
        b"* 2 FETCH (UID 2 RFC822.SIZE 0 ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"
        b"* 2 EXPUNGE\r\n"
        b"t OK [EXPUNGEISSUED] Some messages were expunged meanwhile\r\n"
    )


def test_fetch_does_not_set_seen_on_expunged_message(server: IMAPServer) -> None:
    a = session(server)
    b = session(server)
    b(b"s STORE 5 +FLAGS.SILENT (\\Deleted)")
    b(b"e EXPUNGE")
    assert a(b"t FETCH 5 BODY[]") == (
        b"* 5 FETCH (BODY[] NIL)\r\nt OK [EXPUNGEISSUED] Some messages were expunged meanwhile\r\n"
    )
