"""STATUS, APPEND (MULTIAPPEND, literal8, APPENDUID) and the QUOTA commands.

Exact bytes from RFC 3501 6.3.10-11, RFC 4315 3, RFC 9208 4.1 where the
example fits our store, our own fixtures otherwise; two or three sessions on
one server for what other sessions see.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from test_server_mailbox_hierarchy import (
    DATE,
    PlainAccount,
    PlainBackend,
    Session,
    lines,
    make,
)

from imap_sansio._config import Config, Limits
from imap_sansio.server import AppendResult, IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

#: RFC 3501 6.3.11's example message, 310 octets with CRLF.
RFC3501_MESSAGE = (
    b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
    b"From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
    b"Subject: afternoon meeting\r\n"
    b"To: mooch@owatagu.siam.edu\r\n"
    b"Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    b"\r\n"
    b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
)
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend(users={"alice": "secret"})


@pytest.fixture
def server(backend: MemoryBackend) -> IMAPServer:
    return IMAPServer(backend, clock=lambda: NOW)


@pytest.fixture
def alice(server: IMAPServer) -> Session:
    return Session(server)


def literal(data: bytes, *, binary: bool = False) -> bytes:
    return (b"~" if binary else b"") + b"{%d+}\r\n" % len(data) + data


def stored(backend: MemoryBackend, mailbox: str = "INBOX") -> list[tuple[bytes, frozenset[str]]]:
    box = backend.account("alice").select(mailbox)
    return [(box.message_bytes(m.uid) or b"", m.flags) for m in box.messages()]


# ---------------------------------------------------------------- STATUS


def test_status_rfc3501_example(backend: MemoryBackend, alice: Session) -> None:
    # RFC 3501 6.3.10's example (its answer reorders the items, which shows
    # that any order is valid; we answer in the order asked).
    make(backend, "blurdybloop")
    for _ in range(3):
        backend.account("alice").append("blurdybloop", b"x\r\n", internal_date=DATE)
    assert alice(b"A042 STATUS blurdybloop (UIDNEXT MESSAGES)") == lines(
        "* STATUS blurdybloop (UIDNEXT 4 MESSAGES 3)", "A042 OK STATUS completed"
    )


def test_status_every_item(backend: MemoryBackend, alice: Session) -> None:
    account = backend.account("alice")
    account.append("INBOX", b"12345\r\n", flags=("\\Seen",), internal_date=DATE)
    account.append("INBOX", b"123\r\n", flags=("\\Deleted",), internal_date=DATE)
    assert alice(
        b"a STATUS inbox (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE"
        b" HIGHESTMODSEQ APPENDLIMIT)"
    ) == lines(
        "* STATUS INBOX (MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY 1 UNSEEN 1 DELETED 1"
        " SIZE 12 HIGHESTMODSEQ 3 APPENDLIMIT 67108864)",
        "a OK STATUS completed",
    )


def test_status_items_are_exactly_those_asked_in_the_order_asked(alice: Session) -> None:
    # Seed defect: STATUS items came in random order.
    values = {b"UNSEEN": b"0", b"UIDVALIDITY": b"1", b"MESSAGES": b"0"}
    for order in itertools.permutations(values):
        expected = b" ".join(name + b" " + values[name] for name in order)
        assert alice(b"a STATUS INBOX (" + b" ".join(order) + b")") == (
            b"* STATUS INBOX (" + expected + b")\r\na OK STATUS completed\r\n"
        )
    # An item asked twice is answered once.
    assert alice(b"a STATUS INBOX (UNSEEN MESSAGES UNSEEN)") == lines(
        "* STATUS INBOX (UNSEEN 0 MESSAGES 0)", "a OK STATUS completed"
    )
    assert alice(b"b STATUS INBOX (SIZE)") == lines(
        "* STATUS INBOX (SIZE 0)", "b OK STATUS completed"
    )


def test_status_appendlimit_is_the_smaller_limit() -> None:
    backend = MemoryBackend(users={"alice": "secret"}, max_message_size=1000)
    alice = Session(IMAPServer(backend, clock=fixed_clock()))
    assert alice(b"a STATUS INBOX (APPENDLIMIT)") == lines(
        "* STATUS INBOX (APPENDLIMIT 1000)", "a OK STATUS completed"
    )
    config = Config(limits=Limits(max_append_literal=500))
    bob = Session(IMAPServer(backend, config=config, clock=fixed_clock()))
    assert bob(b"a STATUS INBOX (APPENDLIMIT)") == lines(
        "* STATUS INBOX (APPENDLIMIT 500)", "a OK STATUS completed"
    )


def test_status_of_missing_or_noselect_mailbox_is_no(
    backend: MemoryBackend, alice: Session
) -> None:
    make(backend, "level/child")
    alice(b"d DELETE level")
    assert alice(b"a STATUS nowhere (MESSAGES)") == lines(
        "a NO [NONEXISTENT] Mailbox does not exist"
    )
    assert alice(b"b STATUS level (MESSAGES)") == lines("b NO [NONEXISTENT] Mailbox does not exist")


def test_status_mailboxid_is_bad_without_objectid(alice: Session) -> None:
    assert alice(b"a STATUS INBOX (MESSAGES MAILBOXID)") == lines(
        "a BAD [CLIENTBUG] Unsupported STATUS item MAILBOXID"
    )


def test_status_deleted_and_deleted_storage_rfc9208_example(
    backend: MemoryBackend, alice: Session
) -> None:
    # RFC 9208 4.1.4: 12 messages, 4 of them \Deleted; DELETED-STORAGE is
    # the sum of their RFC822.SIZE (here 2 octets each).
    account = backend.account("alice")
    for i in range(12):
        flags = ("\\Deleted",) if i % 3 == 0 else ()
        account.append("INBOX", b"x\n" if flags else b"kept\r\n", flags=flags, internal_date=DATE)
    assert alice(b"S0003 STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)") == lines(
        "* STATUS INBOX (MESSAGES 12 DELETED 4 DELETED-STORAGE 8)", "S0003 OK STATUS completed"
    )


def test_status_of_the_selected_mailbox_is_allowed(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    alice, other = Session(server), Session(server)
    alice(b"s SELECT INBOX")
    other(b"a APPEND INBOX " + literal(b"hi\r\n"))
    # The STATUS data, then the EXISTS the session owes, then the OK.
    assert alice(b"b STATUS INBOX (MESSAGES UIDNEXT)") == lines(
        "* STATUS INBOX (MESSAGES 1 UIDNEXT 2)",
        "* 1 EXISTS",
        "* 1 RECENT",
        "b OK STATUS completed",
    )


def test_status_sees_another_sessions_append(server: IMAPServer) -> None:
    alice, other = Session(server), Session(server)
    other(b"a APPEND INBOX " + literal(b"hi\r\n"))
    assert alice(b"b STATUS INBOX (MESSAGES RECENT UNSEEN)") == lines(
        "* STATUS INBOX (MESSAGES 1 RECENT 1 UNSEEN 1)", "b OK STATUS completed"
    )


# ---------------------------------------------------------------- APPEND


def test_append_rfc3501_example_with_synchronising_literal(
    backend: MemoryBackend, alice: Session
) -> None:
    # RFC 3501 6.3.11
    make(backend, "saved-messages")
    assert alice(b"A003 APPEND saved-messages (\\Seen) {310}") == lines("+ Ready for literal data")
    assert alice(RFC3501_MESSAGE) == lines("A003 OK [APPENDUID 2 1] APPEND completed")
    assert stored(backend, "saved-messages") == [(RFC3501_MESSAGE, frozenset({"\\Seen"}))]


def test_append_rfc4315_example_appenduid() -> None:
    # RFC 4315 3: UIDVALIDITY 38505, UID 3955.
    counter = itertools.count(38504)
    backend = MemoryBackend(users={"alice": "secret"}, uidvalidity_source=lambda: next(counter))
    account = backend.account("alice")
    account.create_mailbox("saved-messages")
    for _ in range(3954):
        account.append("saved-messages", b"x\r\n", internal_date=DATE)
    alice = Session(IMAPServer(backend, clock=fixed_clock()))
    message = RFC3501_MESSAGE.replace(b"Blurdybloop.COM", b"example.com").replace(
        b"owatagu.siam.edu", b"example.com"
    )
    assert len(message) == 297
    assert alice(b"A003 APPEND saved-messages (\\Seen) " + literal(message)) == lines(
        "A003 OK [APPENDUID 38505 3955] APPEND completed"
    )


def test_append_default_internal_date_is_the_server_clock(
    backend: MemoryBackend, alice: Session
) -> None:
    alice(b"a APPEND INBOX " + literal(b"now\r\n"))
    [message] = backend.account("alice").select("INBOX").messages()
    assert message.internal_date == NOW


def test_append_keeps_the_given_internal_date(backend: MemoryBackend, alice: Session) -> None:
    out = alice(b'a APPEND INBOX "07-Feb-1994 21:52:25 -0800" ' + literal(b"old\r\n"))
    assert out == lines("a OK [APPENDUID 1 1] APPEND completed")
    [message] = backend.account("alice").select("INBOX").messages()
    assert message.internal_date == datetime(
        1994, 2, 7, 21, 52, 25, tzinfo=timezone(-timedelta(hours=8))
    )


def test_append_flags_and_keywords(backend: MemoryBackend, alice: Session) -> None:
    out = alice(b"a APPEND INBOX (\\seen \\FLAGGED $Work Project-X) " + literal(b"m\r\n"))
    assert out == lines("a OK [APPENDUID 1 1] APPEND completed")
    assert stored(backend) == [(b"m\r\n", frozenset({"\\Seen", "\\Flagged", "$Work", "Project-X"}))]
    assert alice(b"b APPEND INBOX () " + literal(b"n\r\n")) == lines(
        "b OK [APPENDUID 1 2] APPEND completed"
    )


@pytest.mark.parametrize(
    ("flags", "answer"),
    [
        (b"(\\Recent)", "a BAD Invalid system flag \\Recent"),
        (b"(\\Seen \\Bogus)", "a BAD Invalid system flag \\Bogus"),
    ],
)
def test_append_with_invalid_flags_stores_nothing(
    backend: MemoryBackend, alice: Session, flags: bytes, answer: str
) -> None:
    assert alice(b"a APPEND INBOX " + flags + b" " + literal(b"m\r\n")) == lines(answer)
    assert stored(backend) == []


@pytest.mark.parametrize(
    "date",
    [
        b'"31-Feb-2025 10:00:00 +0000"',  # no such day
        b'"01-Jan-2025 24:00:00 +0000"',  # no such hour
        b'"01-Foo-2025 10:00:00 +0000"',  # no such month
        b'"01-Jan-2025 10:00:00 +2460"',  # no such zone
    ],
)
def test_append_with_a_bad_date_stores_nothing(
    backend: MemoryBackend, alice: Session, date: bytes
) -> None:
    # Seed defect: the message was stored anyway.
    out = alice(b"a APPEND INBOX (\\Seen) " + date + b" " + literal(b"m\r\n"))
    assert out.startswith(b"a BAD [CLIENTBUG] APPEND: ")
    assert stored(backend) == []
    assert alice(b"b STATUS INBOX (MESSAGES UIDNEXT)") == lines(
        "* STATUS INBOX (MESSAGES 0 UIDNEXT 1)", "b OK STATUS completed"
    )


def test_append_to_a_missing_mailbox_is_trycreate(alice: Session) -> None:
    # RFC 3501 6.3.11: no automatic creation; TRYCREATE hints the client.
    assert alice(b"a APPEND nowhere " + literal(b"m\r\n")) == lines(
        "a NO [TRYCREATE] Mailbox does not exist"
    )
    assert alice(b'b LIST "" nowhere') == lines("b OK LIST completed")


def test_append_to_a_noselect_level_is_trycreate(backend: MemoryBackend, alice: Session) -> None:
    make(backend, "level/child")
    alice(b"d DELETE level")
    assert alice(b"a APPEND level " + literal(b"m\r\n")) == lines(
        "a NO [TRYCREATE] Mailbox does not exist"
    )


def test_append_too_big_for_the_account_limit_is_toobig() -> None:
    backend = MemoryBackend(users={"alice": "secret"}, max_message_size=10)
    alice = Session(IMAPServer(backend, clock=fixed_clock()))
    assert alice(b"a APPEND INBOX " + literal(b"x" * 11)) == lines(
        "a NO [TOOBIG] Message too large"
    )
    assert alice(b"b APPEND INBOX " + literal(b"x" * 10)) == lines(
        "b OK [APPENDUID 1 1] APPEND completed"
    )


def test_append_over_quota_is_overquota() -> None:
    backend = MemoryBackend(users={"alice": "secret"}, message_quota=1)
    alice = Session(IMAPServer(backend, clock=fixed_clock()))
    alice(b"a APPEND INBOX " + literal(b"one\r\n"))
    assert alice(b"b APPEND INBOX " + literal(b"two\r\n")) == lines(
        "b NO [OVERQUOTA] Quota exceeded (messages)"
    )


def test_append_to_the_selected_mailbox_announces_exists(server: IMAPServer) -> None:
    # Seed defect: APPEND to the selected mailbox never announced EXISTS.
    alice, other = Session(server), Session(server)
    alice(b"s SELECT INBOX")
    other(b"s SELECT INBOX")
    assert alice(b"a APPEND INBOX " + literal(b"m\r\n")) == lines(
        "* 1 EXISTS", "* 1 RECENT", "a OK [APPENDUID 1 1] APPEND completed"
    )
    # Another session hears of it at its next command.
    assert other(b"n NOOP") == lines("* 1 EXISTS", "n OK NOOP completed")


def test_append_into_a_mailbox_examined_elsewhere_is_allowed(server: IMAPServer) -> None:
    # Seed defect: refused while another session had it open with EXAMINE.
    alice, reader = Session(server), Session(server)
    reader(b"e EXAMINE INBOX")
    assert alice(b"a APPEND INBOX " + literal(b"m\r\n")) == lines(
        "a OK [APPENDUID 1 1] APPEND completed"
    )
    # (EXAMINE never claims \\Recent, RFC 3501 6.3.2.)
    assert reader(b"n NOOP") == lines("* 1 EXISTS", "n OK NOOP completed")
    # ... and from the examining session itself, into its own mailbox.
    assert reader(b"b APPEND INBOX " + literal(b"n\r\n")) == lines(
        "* 2 EXISTS", "b OK [APPENDUID 1 2] APPEND completed"
    )


def test_copy_into_a_mailbox_examined_elsewhere_is_allowed(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    # The same seed defect, for COPY (handled in _cmd_message).
    make(backend, "Archive")
    backend.account("alice").append("INBOX", b"m\r\n", internal_date=DATE)
    alice, reader = Session(server), Session(server)
    reader(b"e EXAMINE Archive")
    alice(b"s SELECT INBOX")
    assert alice(b"c COPY 1 Archive") == lines("c OK [COPYUID 2 1 1] COPY completed")
    assert reader(b"n NOOP") == lines("* 1 EXISTS", "n OK NOOP completed")


def test_append_from_the_authenticated_state(server: IMAPServer) -> None:
    alice = Session(server)
    assert alice(b"a APPEND INBOX " + literal(b"m\r\n")) == lines(
        "a OK [APPENDUID 1 1] APPEND completed"
    )


# ------------------------------------------------- MULTIAPPEND (RFC 3502)


def test_multiappend_stores_all_with_one_appenduid(backend: MemoryBackend, alice: Session) -> None:
    out = alice(
        b"a APPEND INBOX (\\Seen) "
        + literal(b"Subject: mail1\r\n\r\nbody1\r\n")
        + b' "01-Jan-2025 10:00:00 +0000" '
        + literal(b"Subject: mail2\r\n\r\nbody2\r\n")
    )
    assert out == lines("a OK [APPENDUID 1 1:2] APPEND completed")
    assert stored(backend) == [
        (b"Subject: mail1\r\n\r\nbody1\r\n", frozenset({"\\Seen"})),
        (b"Subject: mail2\r\n\r\nbody2\r\n", frozenset()),
    ]


def test_multiappend_with_one_bad_message_stores_none(
    backend: MemoryBackend, alice: Session
) -> None:
    out = alice(b"a APPEND INBOX " + literal(b"good\r\n") + b" (\\Bogus) " + literal(b"bad\r\n"))
    assert out == lines("a BAD Invalid system flag \\Bogus")
    out = alice(
        b"b APPEND INBOX "
        + literal(b"good\r\n")
        + b' "31-Feb-2025 10:00:00 +0000" '
        + literal(b"bad\r\n")
    )
    assert out.startswith(b"b BAD [CLIENTBUG] APPEND: ")
    assert stored(backend) == []


def test_multiappend_failing_in_the_store_takes_back_what_it_stored(
    server: IMAPServer,
) -> None:
    backend = MemoryBackend(users={"alice": "secret"}, message_quota=2)
    server = IMAPServer(backend, clock=fixed_clock())
    alice, watcher = Session(server), Session(server)
    watcher(b"s SELECT INBOX")
    out = alice(b"a APPEND INBOX " + b" ".join(literal(b"m%d\r\n" % i) for i in range(3)))
    assert out == lines("a NO [OVERQUOTA] Quota exceeded (messages)")
    assert stored(backend) == []
    # A session with the mailbox open never sees the messages come and go.
    assert watcher(b"n NOOP") == lines("n OK NOOP completed")
    assert alice(b"b STATUS INBOX (MESSAGES)") == lines(
        "* STATUS INBOX (MESSAGES 0)", "b OK STATUS completed"
    )
    # Within the quota it works, and UIDs are never reused (RFC 3501 2.3.1.1).
    assert alice(b"c APPEND INBOX " + literal(b"x\r\n") + b" " + literal(b"y\r\n")) == lines(
        "c OK [APPENDUID 1 3:4] APPEND completed"
    )


def test_multiappend_with_a_failing_store_takes_back_what_it_stored() -> None:
    # The error rule (NO [SERVERBUG]) and all or nothing, for any backend.
    backend = PlainBackend()
    calls = itertools.count()
    original = PlainAccount.append

    def flaky(self: PlainAccount, name: str, data: bytes, **kwargs: Any) -> AppendResult:
        if next(calls) == 1:
            raise RuntimeError("disk on fire")
        return original(self, name, data, **kwargs)

    errors: list[BaseException] = []
    alice = Session(IMAPServer(backend, on_error=errors.append, clock=fixed_clock()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PlainAccount, "append", flaky)
        out = alice(b"a APPEND INBOX " + literal(b"1\r\n") + b" " + literal(b"2\r\n"))
    assert out == lines("a NO [SERVERBUG] Internal server error")
    assert [str(e) for e in errors] == ["disk on fire"]
    assert backend.inner.account("alice").status("INBOX").messages == 0


def test_multiappend_too_big_message_stores_none() -> None:
    backend = MemoryBackend(users={"alice": "secret"}, max_message_size=10)
    alice = Session(IMAPServer(backend, clock=fixed_clock()))
    out = alice(b"a APPEND INBOX " + literal(b"small\r\n") + b" " + literal(b"x" * 11))
    assert out == lines("a NO [TOOBIG] Message too large")
    assert stored(backend) == []


def test_multiappend_to_the_selected_mailbox_announces_all(server: IMAPServer) -> None:
    alice = Session(server)
    alice(b"s SELECT INBOX")
    assert alice(b"a APPEND INBOX " + literal(b"1\r\n") + b" " + literal(b"2\r\n")) == lines(
        "* 2 EXISTS", "* 2 RECENT", "a OK [APPENDUID 1 1:2] APPEND completed"
    )


# ------------------------------------------------- BINARY APPEND (RFC 3516)


def test_append_literal8_may_hold_nul(backend: MemoryBackend, alice: Session) -> None:
    data = b"Content-Transfer-Encoding: binary\r\n\r\n\x00\x01\xff\r\n"
    assert alice(b"a APPEND INBOX " + literal(data, binary=True)) == lines(
        "a OK [APPENDUID 1 1] APPEND completed"
    )
    # RFC 3516 4.4: the binary part is stored base64-encoded, so BODY[]
    # stays valid MIME; BINARY[] gives the octets back (see the FETCH tests).
    assert stored(backend) == [(b"Content-Transfer-Encoding: base64\r\n\r\nAAH/DQo=", frozenset())]


def test_append_nul_in_an_ordinary_literal_is_refused(
    backend: MemoryBackend, alice: Session
) -> None:
    # RFC 3516 4.4 / RFC 3501 9: NUL is only allowed in literal8.
    assert alice(b"a APPEND INBOX " + literal(b"a\x00b")) == lines(
        "a BAD [CLIENTBUG] APPEND: NUL in literal (only literal8 may hold NUL) at byte 15"
    )
    assert stored(backend) == []


def test_append_syntax_error_after_a_message_counts_the_message_bytes(
    backend: MemoryBackend, alice: Session
) -> None:
    # The engine keeps message literals out of the bytes it parses; an error
    # still names the offset in the command as sent: "a APPEND INBOX {5+}\r\n"
    # is 21 bytes, "hello" ends at 26, and "junk" (not a message) is at 27.
    assert alice(b"a APPEND INBOX " + literal(b"hello") + b" junk") == lines(
        "a BAD [CLIENTBUG] APPEND: expected message literal at byte 27"
    )
    assert stored(backend) == []


def test_append_message_literal_read_in_small_pieces_is_stored_as_sent(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    message = b"Subject: pieces\r\n\r\n" + b"0123456789abcdef\r\n" * 600
    conn = server.connect()
    stream = b"x LOGIN alice secret\r\na APPEND INBOX " + literal(message) + b"\r\n"
    for i in range(0, len(stream), 7):
        conn.receive_data(stream[i : i + 7])
    assert conn.data_to_send().endswith(b"a OK [APPENDUID 1 1] APPEND completed\r\n")
    assert [data for data, _ in stored(backend)] == [message]


def test_append_utf8_form_needs_utf8_accept(backend: MemoryBackend, alice: Session) -> None:
    # RFC 6855 4
    assert alice(b"a APPEND INBOX UTF8 (" + literal(b"m\r\n", binary=True) + b")") == lines(
        "a BAD [CLIENTBUG] APPEND UTF8 needs ENABLE UTF8=ACCEPT"
    )
    assert stored(backend) == []


# ---------------------------------------------------------------- QUOTA


def test_getquotaroot_rfc9208_example() -> None:
    # RFC 9208 4.2.1 and 4.2.2's response examples ('* QUOTA "" (STORAGE 10
    # 512)', '* QUOTAROOT INBOX ""'; STORAGE in units of 1024 octets), asked
    # for as 4.1.1 and 4.1.2 do (their roots "!partition/sda4" and
    # "#user/alice" are their server's; ours has one root per user, "").
    backend = MemoryBackend(users={"alice": "secret"}, storage_quota=512)
    backend.account("alice").append("INBOX", b"x" * (10 * 1024), internal_date=DATE)
    alice = Session(IMAPServer(backend, clock=fixed_clock()))
    assert alice(b"A003 GETQUOTAROOT INBOX") == lines(
        '* QUOTAROOT INBOX ""', '* QUOTA "" (STORAGE 10 512)', "A003 OK GETQUOTAROOT completed"
    )
    assert alice(b'G0001 GETQUOTA ""') == lines(
        '* QUOTA "" (STORAGE 10 512)', "G0001 OK GETQUOTA completed"
    )


def test_quota_with_both_resources() -> None:
    backend = MemoryBackend(users={"alice": "secret"}, storage_quota=100, message_quota=5)
    backend.account("alice").append("INBOX", b"x" * 1500, internal_date=DATE)
    alice = Session(IMAPServer(backend, clock=fixed_clock()))
    assert alice(b'a GETQUOTA ""') == lines(
        '* QUOTA "" (STORAGE 2 100 MESSAGE 1 5)', "a OK GETQUOTA completed"
    )


def test_quota_without_limits_and_unknown_roots(alice: Session) -> None:
    assert alice(b"a GETQUOTAROOT inbox") == lines(
        '* QUOTAROOT INBOX ""', "a OK GETQUOTAROOT completed"
    )
    assert alice(b'b GETQUOTA ""') == lines("b NO [NONEXISTENT] No limits on this quota root")
    assert alice(b"c GETQUOTA other") == lines("c NO [NONEXISTENT] No such quota root")
    assert alice(b"d GETQUOTAROOT nowhere") == lines("d NO [NONEXISTENT] Mailbox does not exist")


def test_setquota_is_refused(alice: Session) -> None:
    # RFC 9208 4.1.3: we do not advertise QUOTASET.
    assert alice(b'a SETQUOTA "" (STORAGE 512)') == lines(
        "a NO [NOPERM] Quota limits are set by the administrator"
    )


def test_quota_commands_without_the_optional_protocol() -> None:
    alice = Session(IMAPServer(PlainBackend(), clock=fixed_clock()))
    for command in (b"a GETQUOTAROOT INBOX", b'a GETQUOTA ""', b'a SETQUOTA "" (STORAGE 1)'):
        assert alice(command) == lines("a NO [CANNOT] Quotas are not supported")
