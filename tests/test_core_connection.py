"""Transcript tests for the core engine: framing, literals, limits, states, sub-flows.

Expected bytes come from the RFCs (cited per test), not from the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from core_app import feed, run

from imap_sansio import (
    AuthenticateCancelled,
    AuthenticateResponse,
    Config,
    ConnectionClosed,
    ConnectionState,
    GreetingStatus,
    IdleDone,
    Limits,
    LocalProtocolError,
    OversizePolicy,
    Secret,
    State,
)
from imap_sansio._commands import Append, Authenticate, Command, Examine, Login, Noop, Select
from imap_sansio._parser import CommandReader, CommandSpec
from imap_sansio._responses import ContinuationRequest, Status, StatusResponse
from imap_sansio._state import DESELECTING_COMMANDS, LOGGED_IN, TRANSITIONS, next_state

CAPS_INSECURE = b"IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE LOGINDISABLED"
CAPS_SECURE = b"IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE AUTH=PLAIN"


def greeted(config: Config | None = None, *, secure: bool = True) -> ConnectionState:
    conn = ConnectionState(config, secure=secure)
    conn.send_greeting()
    conn.data_to_send()
    return conn


def logged_in(config: Config | None = None) -> ConnectionState:
    conn = greeted(config)
    feed(conn, b"L LOGIN alice secret\r\n")
    conn.data_to_send()
    assert conn.state is State.AUTHENTICATED
    return conn


def selected(config: Config | None = None) -> ConnectionState:
    conn = logged_in(config)
    feed(conn, b"S SELECT INBOX\r\n")
    conn.data_to_send()
    assert conn.state is State.SELECTED
    return conn


# --------------------------------------------------------------- greeting


def test_greeting_lists_capabilities_and_logindisabled_on_insecure_transport() -> None:
    """RFC 3501 7.1.1 greeting; RFC 3501 6.2.3: LOGINDISABLED without TLS."""
    conn = ConnectionState()
    conn.send_greeting()
    assert conn.data_to_send() == b"* OK [CAPABILITY " + CAPS_INSECURE + b"] imap-sansio ready.\r\n"
    assert conn.state is State.NOT_AUTHENTICATED


def test_greeting_on_secure_transport_offers_plain() -> None:
    conn = ConnectionState(secure=True)
    conn.send_greeting()
    assert conn.data_to_send() == b"* OK [CAPABILITY " + CAPS_SECURE + b"] imap-sansio ready.\r\n"


def test_starttls_offered_only_while_tls_is_available_and_inactive() -> None:
    conn = ConnectionState(Config(tls_available=True))
    assert "STARTTLS" in conn.capabilities
    assert "LOGINDISABLED" in conn.capabilities
    conn.tls_started()
    assert "STARTTLS" not in conn.capabilities
    assert "LOGINDISABLED" not in conn.capabilities
    assert "AUTH=PLAIN" in conn.capabilities


def test_plaintext_policy_allows_login_without_tls() -> None:
    conn = ConnectionState(Config(allow_plaintext_auth=True))
    assert "LOGINDISABLED" not in conn.capabilities
    assert "AUTH=PLAIN" in conn.capabilities


def test_preauth_greeting_starts_authenticated() -> None:
    """RFC 3501 7.1.4: PREAUTH means the connection is already authenticated."""
    conn = ConnectionState(Config(greeting_status=GreetingStatus.PREAUTH, greeting_text="hi"))
    conn.send_greeting()
    out = conn.data_to_send()
    assert out.startswith(b"* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE APPENDLIMIT=")
    assert out.endswith(b"] hi\r\n")
    assert conn.state is State.AUTHENTICATED


def test_bye_greeting_closes() -> None:
    """RFC 3501 7.1.5: a BYE greeting rejects the connection."""
    conn = ConnectionState(Config(greeting_status=GreetingStatus.BYE, greeting_text="go away"))
    conn.send_greeting()
    assert conn.data_to_send() == b"* BYE go away\r\n"
    assert conn.closed
    assert conn.receive_data(b"a NOOP\r\n") == []


# ------------------------------------------------- any-state commands end to end


def test_capability_noop_logout_end_to_end() -> None:
    """RFC 3501 6.1.1-6.1.3 examples."""
    events, out = run([b"abcd CAPABILITY\r\n", b"a002 NOOP\r\n", b"A023 LOGOUT\r\n"])
    assert [type(e).__name__ for e in events] == ["Capability", "Noop", "Logout"]
    lines = out.split(b"\r\n")
    assert lines[1] == b"* CAPABILITY " + CAPS_SECURE
    assert lines[2:] == [
        b"abcd OK CAPABILITY completed",
        b"a002 OK NOOP completed",
        b"* BYE Logging out",
        b"A023 OK LOGOUT completed",
        b"",
    ]


def test_logout_closes_after_tagged_ok() -> None:
    conn = greeted()
    feed(conn, b"A023 LOGOUT\r\n")
    assert conn.closed
    assert conn.state is State.LOGOUT


def test_peer_close_gives_connection_closed() -> None:
    conn = greeted()
    assert conn.receive_data(b"") == [ConnectionClosed()]
    assert conn.closed


def test_command_count_counts_processed_commands() -> None:
    conn = greeted()
    feed(conn, b"a NOOP\r\nb NOOP\r\nc BOGUS-BUT-KNOWN-SYNTAX\r\n")
    assert conn.command_count == 2


# ------------------------------------------------------------------ framing


def test_literal_of_an_unknown_command_is_never_read_as_a_command() -> None:
    """The issue's example: one tagged BAD for ``a``, nothing for ``z``."""
    conn = logged_in()
    events = feed(conn, b"a BOGUS {9+}\r\nz NOOP\r\n")
    assert events == []
    out = conn.data_to_send()
    assert out == b"a BAD [CLIENTBUG] Unknown command BOGUS\r\n"
    # The ninth literal byte and the end of the command line.
    assert feed(conn, b"x\r\n") == []
    assert conn.data_to_send() == b""
    assert feed(conn, b"b NOOP\r\n") == [Noop(tag="b")]


def test_literal_of_a_wrong_state_command_is_not_read_as_a_command() -> None:
    conn = greeted()
    events = feed(conn, b"a SELECT {11+}\r\nb LOGOUT\r\n\r\n")
    assert events == []
    assert conn.data_to_send() == (
        b"a BAD [CLIENTBUG] SELECT is not valid in the not authenticated state\r\n"
    )
    assert not conn.closed


def test_literal_of_a_malformed_command_is_not_read_as_a_command() -> None:
    conn = logged_in()
    events = feed(conn, b"a SELECT INBOX extra {10+}\r\nb LOGOUT\r\n\r\n")
    assert events == []
    assert conn.data_to_send().startswith(b"a BAD [CLIENTBUG] SELECT: ")
    assert not conn.closed


def test_synchronising_literal_gets_continuation_request() -> None:
    """RFC 3501 7.5 example: the server sends '+' before each literal."""
    conn = greeted()
    assert feed(conn, b"A001 LOGIN {5}\r\n") == []
    assert conn.data_to_send() == b"+ Ready for literal data\r\n"
    assert feed(conn, b"alice {6}\r\n") == []
    assert conn.data_to_send() == b"+ Ready for literal data\r\n"
    events = feed(conn, b"secret\r\n")
    assert events == [Login(tag="A001", username="alice", password=Secret("secret"))]
    assert conn.data_to_send().startswith(b"A001 OK [CAPABILITY IMAP4rev1 ")


def test_non_synchronising_literal_gets_no_continuation() -> None:
    """RFC 7888 3: no '+' for {n+}."""
    conn = greeted()
    events = feed(conn, b"A001 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n")
    assert events == [Login(tag="A001", username="alice", password=Secret("secret"))]
    assert not conn.data_to_send().startswith(b"+")


def test_zero_length_literal() -> None:
    conn = greeted()
    events = feed(conn, b"A001 LOGIN {0}\r\n {6}\r\nsecret\r\n")
    assert events == [Login(tag="A001", username="", password=Secret("secret"))]
    assert conn.data_to_send().startswith(
        b"+ Ready for literal data\r\n+ Ready for literal data\r\nA001 OK "
    )


def test_unknown_command_with_synchronising_literal_gets_bad_instead_of_plus() -> None:
    conn = logged_in()
    assert feed(conn, b"a BOGUS {5}\r\n") == []
    assert conn.data_to_send() == b"a BAD [CLIENTBUG] Unknown command BOGUS\r\n"
    # No '+' was sent, so the next line is a new command.
    assert feed(conn, b"b NOOP\r\n") == [Noop(tag="b")]


def test_wrong_state_with_synchronising_literal_gets_bad_instead_of_plus() -> None:
    conn = greeted()
    feed(conn, b"a SELECT {5}\r\n")
    assert conn.data_to_send() == (
        b"a BAD [CLIENTBUG] SELECT is not valid in the not authenticated state\r\n"
    )
    assert feed(conn, b"b NOOP\r\n") == [Noop(tag="b")]


def test_uid_needs_a_known_subcommand() -> None:
    conn = selected()
    feed(conn, b"a UID BOGUS 1\r\n")
    assert conn.data_to_send() == (
        b"a BAD [CLIENTBUG] UID must be followed by COPY, ESEARCH, EXPUNGE, FETCH, MOVE,"
        b" REPLACE, SEARCH, SORT, STORE, THREAD\r\n"
    )


def test_untagged_bad_only_when_no_tag_can_be_read() -> None:
    """RFC 3501 7.1.3: untagged BAD when the tag cannot be determined."""
    conn = logged_in()
    feed(conn, b"* NOOP\r\n")
    assert conn.data_to_send() == b"* BAD [CLIENTBUG] Missing or invalid tag\r\n"
    feed(conn, b"\r\n")
    assert conn.data_to_send() == b"* BAD [CLIENTBUG] Empty command line\r\n"
    feed(conn, b"abc\r\n")
    assert conn.data_to_send() == b"abc BAD [CLIENTBUG] Missing command name\r\n"


def test_http_request_before_login_ends_the_connection() -> None:
    conn = greeted()
    events = feed(conn, b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n")
    assert events == [ConnectionClosed(reason="This is an IMAP server")]
    assert conn.data_to_send() == b"* BYE This is an IMAP server\r\n"
    assert conn.closed


def test_unknown_command_before_login_ends_the_connection() -> None:
    conn = greeted()
    feed(conn, b"a XYZZY\r\n")
    assert conn.data_to_send() == b"* BYE Unknown command XYZZY before login\r\n"
    assert conn.closed


def test_too_many_bad_commands_end_in_bye() -> None:
    conn = logged_in(Config(max_bad_commands=3))
    feed(conn, b"a BOGUS\r\nb BOGUS\r\nc BOGUS\r\nd NOOP\r\n")
    assert conn.data_to_send() == (
        b"a BAD [CLIENTBUG] Unknown command BOGUS\r\n"
        b"b BAD [CLIENTBUG] Unknown command BOGUS\r\n"
        b"c BAD [CLIENTBUG] Unknown command BOGUS\r\n"
        b"* BYE Too many invalid commands\r\n"
    )
    assert conn.closed


def test_a_valid_command_resets_the_bad_count() -> None:
    conn = logged_in(Config(max_bad_commands=2))
    feed(conn, b"a BOGUS\r\nb NOOP\r\nc BOGUS\r\nd NOOP\r\n")
    assert not conn.closed


def test_command_limit_before_login() -> None:
    conn = greeted(Config(max_commands_before_auth=2))
    events = feed(conn, b"a NOOP\r\nb NOOP\r\nc NOOP\r\n")
    assert events == [
        Noop(tag="a"),
        Noop(tag="b"),
        ConnectionClosed(reason="Too many commands before login"),
    ]
    # Commands already delivered are answered first, then the BYE.
    assert conn.data_to_send() == (
        b"a OK NOOP completed\r\nb OK NOOP completed\r\n* BYE Too many commands before login\r\n"
    )
    assert conn.closed


# ------------------------------------------------------------------- limits


def test_synchronising_append_literal_over_appendlimit_gets_no_toobig() -> None:
    """RFC 7889 4 / RFC 4469: APPEND over the limit -> tagged NO [TOOBIG], no '+'."""
    conn = logged_in(Config(limits=Limits(max_append_literal=100)))
    feed(conn, b"a APPEND INBOX {101}\r\n")
    assert conn.data_to_send() == b"a NO [TOOBIG] Message too big (the limit is 100 bytes)\r\n"
    assert feed(conn, b"b NOOP\r\n") == [Noop(tag="b")]


def test_append_literal_within_appendlimit_is_accepted() -> None:
    conn = logged_in(Config(limits=Limits(max_append_literal=100)))
    events = feed(conn, b"a APPEND INBOX {100}\r\n" + b"x" * 100 + b"\r\n")
    assert conn.data_to_send() == b"+ Ready for literal data\r\na OK APPEND completed\r\n"
    assert len(events) == 1 and isinstance(events[0], Append)
    assert events[0].messages[0].data == b"x" * 100


def test_ordinary_literal_over_limit_gets_bad_toobig() -> None:
    conn = logged_in()
    feed(conn, b"a SELECT {4097}\r\n")
    assert conn.data_to_send() == b"a BAD [TOOBIG] Literal too big (the limit is 4096 bytes)\r\n"


def test_mailbox_literal_of_append_has_the_ordinary_limit() -> None:
    conn = logged_in()
    feed(conn, b"a APPEND {5000}\r\n")
    assert conn.data_to_send() == b"a BAD [TOOBIG] Literal too big (the limit is 4096 bytes)\r\n"


def test_non_synchronising_literal_over_limit_is_dropped_with_bounded_memory() -> None:
    """RFC 7888 4, choice 1: read the literal, drop it, answer BAD [TOOBIG]."""
    conn = logged_in(Config(limits=Limits(max_append_literal=100)))
    feed(conn, b"a APPEND INBOX {1000000+}\r\n")
    assert conn.data_to_send() == b"a BAD [TOOBIG] Message too big (the limit is 100 bytes)\r\n"
    for _ in range(100):
        assert feed(conn, b"b NOOP\r\n" * 1250) == []  # 10_000 bytes of literal
        assert len(conn._buffer) == 0
    assert feed(conn, b"\r\nc NOOP\r\n") == [Noop(tag="c")]
    assert conn.data_to_send() == b"c OK NOOP completed\r\n"


def test_non_synchronising_literal_over_limit_with_disconnect_policy() -> None:
    """RFC 7888 4, choice 2: BYE (with TOOBIG, RFC 7888 5) and close."""
    config = Config(
        limits=Limits(max_append_literal=100), oversize_policy=OversizePolicy.DISCONNECT
    )
    conn = logged_in(config)
    events = feed(conn, b"a APPEND INBOX {1000+}\r\n")
    assert conn.data_to_send() == b"* BYE [TOOBIG] Message too big (the limit is 100 bytes)\r\n"
    assert events == [ConnectionClosed(reason="Message too big (the limit is 100 bytes)")]
    assert conn.closed


def test_absurd_literal_size_is_refused_without_overflow() -> None:
    conn = logged_in()
    feed(conn, b"a APPEND INBOX {" + b"9" * 5000 + b"}\r\n")
    assert conn.data_to_send().startswith(b"a NO [TOOBIG] ")
    assert feed(conn, b"b NOOP\r\n") == [Noop(tag="b")]


def test_total_command_size_is_limited() -> None:
    limits = Limits(max_command=10_000, max_literal=4096)
    conn = selected(Config(limits=limits))
    feed(conn, b"a SEARCH TEXT {4000+}\r\n" + b"x" * 4000 + b" TEXT {4000+}\r\n" + b"y" * 4000)
    assert conn.data_to_send() == b""
    feed(conn, b" TEXT {4000+}\r\n")
    assert conn.data_to_send() == b"a BAD [TOOBIG] Literal too big (the limit is 4096 bytes)\r\n"
    assert feed(conn, b"z" * 4000 + b"\r\nb NOOP\r\n") == [Noop(tag="b")]


def test_line_too_long_before_login_is_rejected_and_skipped() -> None:
    conn = greeted()
    assert feed(conn, b"a LOGIN " + b"x" * 9000) == []
    assert (
        conn.data_to_send() == b"a BAD [TOOBIG] Command line too long (the limit is 8192 bytes)\r\n"
    )
    assert len(conn._buffer) == 0
    assert feed(conn, b"y" * 100_000) == []
    assert len(conn._buffer) == 0
    assert feed(conn, b" z\r\nb NOOP\r\n") == [Noop(tag="b")]


def test_literal_announced_at_the_end_of_an_over_long_line_is_dropped() -> None:
    """Literal injection: the bytes of a literal after a skipped line are not commands."""
    conn = logged_in()
    events = feed(conn, b"a SEARCH TEXT " + b"x" * 70_000 + b" {16+}\r\nb DELETE INBOX\r\n\r\n")
    assert events == []
    assert conn.data_to_send() == (
        b"a BAD [TOOBIG] Command line too long (the limit is 65536 bytes)\r\n"
    )
    assert feed(conn, b"c NOOP\r\n") == [Noop(tag="c")]


def test_over_long_line_in_pieces_is_the_same_as_in_one_chunk() -> None:
    data = b"a SEARCH TEXT " + b"x" * 70_000 + b" {16+}\r\nb DELETE INBOX\r\n\r\nc NOOP\r\n"
    pieces = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    prefix = [b"L LOGIN alice secret\r\n"]
    assert run([*prefix, data]) == run(prefix + pieces)


# --------------------------------------------------------- states and pausing


def test_pipelined_login_and_select_are_read_in_the_state_the_login_sets() -> None:
    conn = greeted()
    events = conn.receive_data(b"a LOGIN alice secret\r\nb SELECT INBOX\r\n")
    assert events == [Login(tag="a", username="alice", password=Secret("secret"))]
    assert conn.paused
    conn.send(StatusResponse(status=Status.OK, tag="a", text="done"))
    assert conn.state is State.AUTHENTICATED
    assert conn.next_events() == [Select(tag="b", mailbox="INBOX")]


def test_pipelined_commands_are_all_delivered_in_order() -> None:
    conn = selected()
    events = conn.receive_data(b"a NOOP\r\nb CHECK\r\nc NOOP\r\n")
    assert [type(e).__name__ for e in events] == ["Noop", "Check", "Noop"]
    assert [getattr(e, "tag", None) for e in events] == ["a", "b", "c"]
    # Answers may go out in any order of completion.
    for tag in ("c", "a", "b"):
        conn.send(StatusResponse(status=Status.OK, tag=tag, text="done"))
    assert conn.data_to_send() == b"c OK done\r\na OK done\r\nb OK done\r\n"


def test_pipelining_limit_pauses_reading() -> None:
    conn = selected(Config(limits=Limits(max_pipelined=2)))
    events = conn.receive_data(b"a NOOP\r\nb NOOP\r\nc NOOP\r\n")
    assert [e.tag for e in events] == ["a", "b"]  # type: ignore[union-attr]
    conn.send(StatusResponse(status=Status.OK, tag="a", text="done"))
    assert [e.tag for e in conn.next_events()] == ["c"]  # type: ignore[union-attr]


def test_login_ok_carries_capabilities() -> None:
    """RFC 9051 6.2.3: the OK of LOGIN may carry CAPABILITY."""
    conn = greeted()
    feed(conn, b"a1 LOGIN alice secret\r\n")
    out = conn.data_to_send()
    assert out.startswith(b"a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE APPENDLIMIT=")
    assert b"AUTH=" not in out and b"LOGINDISABLED" not in out


def test_select_examine_close_transitions() -> None:
    conn = logged_in()
    feed(conn, b"a EXAMINE INBOX\r\n")
    assert conn.state is State.SELECTED and conn.read_only
    assert conn.selected_mailbox == "INBOX"
    conn.receive_data(b"b SELECT Nope\r\n")
    conn.send(StatusResponse(status=Status.NO, tag="b", text="no such mailbox"))
    # RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected.
    assert conn.state is State.AUTHENTICATED and conn.selected_mailbox is None
    feed(conn, b"c SELECT INBOX\r\n")
    assert conn.state is State.SELECTED and not conn.read_only
    feed(conn, b"d CLOSE\r\n")
    assert conn.state is State.AUTHENTICATED
    feed(conn, b"e SELECT INBOX\r\nf UNSELECT\r\n")
    assert conn.state is State.AUTHENTICATED


def test_examine_event_type() -> None:
    conn = logged_in()
    assert conn.receive_data(b"a EXAMINE INBOX\r\n") == [Examine(tag="a", mailbox="INBOX")]


def test_failed_login_stays_not_authenticated() -> None:
    conn = greeted()
    feed(conn, b"a LOGIN alice wrong\r\n")
    assert conn.data_to_send() == b"a NO LOGIN failed\r\n"
    assert conn.state is State.NOT_AUTHENTICATED


def test_answering_a_tag_that_is_not_pending_is_a_local_error() -> None:
    conn = greeted()
    with pytest.raises(LocalProtocolError, match="no command with tag 'x' is pending"):
        conn.send(StatusResponse(status=Status.OK, tag="x", text="done"))


def test_continuation_without_authenticate_or_idle_is_a_local_error() -> None:
    conn = greeted()
    with pytest.raises(LocalProtocolError):
        conn.send(ContinuationRequest(text="go on"))


def test_send_after_close_is_dropped() -> None:
    conn = greeted()
    conn.receive_data(b"a NOOP\r\n")
    conn.receive_data(b"")
    conn.send(StatusResponse(status=Status.OK, tag="a", text="done"))
    assert conn.data_to_send() == b""


# ---------------------------------------------------------------- sub-flows


def test_authenticate_plain_with_initial_response() -> None:
    """RFC 4959 example shape; RFC 4616 message: authzid NUL authcid NUL passwd."""
    conn = greeted()
    events = feed(conn, b"a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n")
    assert events == [
        Authenticate(tag="a", mechanism="PLAIN", initial_response=Secret(b"\0alice\0secret"))
    ]
    assert conn.data_to_send().startswith(b"a OK [CAPABILITY ")
    assert conn.state is State.AUTHENTICATED


def test_authenticate_with_empty_initial_response() -> None:
    """RFC 4959 3: '=' is an empty initial response."""
    conn = greeted()
    events = conn.receive_data(b"a AUTHENTICATE PLAIN =\r\n")
    assert events == [Authenticate(tag="a", mechanism="PLAIN", initial_response=Secret(b""))]


def test_authenticate_challenge_and_response() -> None:
    """RFC 3501 6.2.2: '+' challenge, base64 response line, tagged completion."""
    conn = greeted()
    events = feed(conn, b"a AUTHENTICATE PLAIN\r\n")
    assert events == [Authenticate(tag="a", mechanism="PLAIN", initial_response=None)]
    assert conn.data_to_send() == b"+ \r\n"
    events = feed(conn, b"AGFsaWNlAHNlY3JldA==\r\n")
    assert events == [AuthenticateResponse(tag="a", data=Secret(b"\0alice\0secret"))]
    assert conn.data_to_send().startswith(b"a OK [CAPABILITY ")


def test_authenticate_cancelled_with_star() -> None:
    """RFC 3501 6.2.2: '*' cancels; the server answers with a tagged BAD."""
    conn = greeted()
    feed(conn, b"a AUTHENTICATE PLAIN\r\n")
    conn.data_to_send()
    events = feed(conn, b"*\r\nb NOOP\r\n")
    assert events == [
        AuthenticateCancelled(tag="a", reason="AUTHENTICATE cancelled"),
        Noop(tag="b"),
    ]
    assert conn.data_to_send() == b"a BAD AUTHENTICATE cancelled\r\nb OK NOOP completed\r\n"


def test_authenticate_invalid_base64_is_bad() -> None:
    conn = greeted()
    feed(conn, b"a AUTHENTICATE PLAIN\r\n")
    conn.data_to_send()
    events = feed(conn, b"not base64!\r\n")
    assert events == [AuthenticateCancelled(tag="a", reason="Invalid BASE64 in the SASL response")]
    assert conn.data_to_send() == b"a BAD Invalid BASE64 in the SASL response\r\n"
    assert conn.state is State.NOT_AUTHENTICATED


def test_sasl_response_is_not_read_as_a_command() -> None:
    conn = greeted()
    events = conn.receive_data(b"a AUTHENTICATE PLAIN\r\nYiBOT09Q\r\n")
    assert len(events) == 1
    conn.send(ContinuationRequest(text=""))
    assert conn.next_events() == [AuthenticateResponse(tag="a", data=Secret(b"b NOOP"))]


def test_secret_never_in_repr() -> None:
    conn = greeted()
    events = conn.receive_data(b"a LOGIN alice hunter2\r\n")
    assert "hunter2" not in repr(events)
    events = conn.receive_data(b"")
    conn2 = greeted()
    events = conn2.receive_data(b"a AUTHENTICATE PLAIN AGFsaWNlAGh1bnRlcjI=\r\n")
    assert "hunter2" not in repr(events) and "AGFsaWNl" not in repr(events)


def test_idle_done_in_any_case() -> None:
    """RFC 2177 3: '+ idling', untagged data, then DONE ends it."""
    conn = selected()
    events = feed(conn, b"A002 IDLE\r\n")
    assert conn.idling
    assert conn.data_to_send() == b"+ idling\r\n"
    conn.send(StatusResponse(status=Status.OK, text="Still here"))
    assert conn.data_to_send() == b"* OK Still here\r\n"
    events = feed(conn, b"dOnE\r\n")
    assert events == [IdleDone(tag="A002")]
    assert conn.data_to_send() == b"A002 OK IDLE terminated\r\n"
    assert not conn.idling


def test_idle_ended_by_anything_else_is_bad() -> None:
    conn = selected()
    feed(conn, b"A002 IDLE\r\n")
    conn.data_to_send()
    events = feed(conn, b"b NOOP\r\nc NOOP\r\n")
    assert events == [IdleDone(tag="A002", aborted=True), Noop(tag="c")]
    assert conn.data_to_send() == b"A002 BAD Expected DONE to end IDLE\r\nc OK NOOP completed\r\n"


def test_starttls_drops_bytes_sent_before_the_handshake() -> None:
    """RFC 3501 6.2.1 / the classic STARTTLS command injection."""
    conn = greeted(Config(tls_available=True), secure=False)
    events = conn.receive_data(b"a STARTTLS\r\nb LOGIN alice secret\r\n")
    assert [e.name for e in events] == ["STARTTLS"]  # type: ignore[union-attr]
    conn.send(StatusResponse(status=Status.OK, tag="a", text="Begin TLS negotiation now"))
    assert conn.starttls_pending
    assert conn.data_to_send() == b"a OK Begin TLS negotiation now\r\n"
    assert conn.next_events() == []
    assert conn.receive_data(b"c LOGIN alice secret\r\n") == []
    conn.tls_started()
    assert conn.secure and conn.tls_active
    assert "STARTTLS" not in conn.capabilities and "AUTH=PLAIN" in conn.capabilities
    assert [e.tag for e in feed(conn, b"d NOOP\r\n")] == ["d"]  # type: ignore[union-attr]


def test_input_piling_up_while_the_app_does_not_answer_ends_in_bye() -> None:
    conn = logged_in(Config(limits=Limits(max_buffered_input=1000)))
    assert len(conn.receive_data(b"a SELECT INBOX\r\n")) == 1  # SELECT pauses reading
    assert conn.receive_data(b"b NOOP\r\n" * 200) == []  # 1600 bytes held
    assert conn.receive_data(b"c NOOP\r\n") == [
        ConnectionClosed(reason="too much input while paused")
    ]
    assert conn.data_to_send() == b"* BYE Too much input while a command is pending\r\n"
    assert conn.closed


def test_one_large_pipelined_chunk_is_processed_in_batches() -> None:
    conn = selected(Config(limits=Limits(max_pipelined=8, max_buffered_input=1000)))
    events = feed(conn, b"t NOOP\r\n" * 1000)
    assert len(events) == 1000
    assert conn.data_to_send() == b"t OK NOOP completed\r\n" * 1000


def test_id_before_login_may_be_as_long_as_rfc_2971_allows() -> None:
    """RFC 2971 3.3: 30 pairs of 30-octet fields and 1024-octet values."""
    conn = greeted()
    pairs = b" ".join(b'"f%02d%s" "%s"' % (i, b"x" * 27, b"v" * 1024) for i in range(30))
    events = feed(conn, b"a ID (" + pairs + b")\r\n")
    assert [e.name for e in events] == ["ID"]  # type: ignore[union-attr]
    # Other commands keep the 8 KiB limit before login.
    feed(conn, b"b LOGIN " + b"x" * 9000 + b"\r\n")
    assert conn.data_to_send().endswith(
        b"b BAD [TOOBIG] Command line too long (the limit is 8192 bytes)\r\n"
    )


def test_command_in_progress_while_a_literal_is_awaited() -> None:
    conn = logged_in()
    assert not conn.command_in_progress
    conn.receive_data(b"a APPEND INBOX {10}\r\nabc")
    assert conn.command_in_progress
    feed(conn, b"defghij\r\n")
    assert not conn.command_in_progress


def test_enable_marks_extensions_and_reports_only_new_ones() -> None:
    """RFC 7162 3.1: CONDSTORE can be enabled by a command, without ENABLED."""
    conn = logged_in()
    assert conn.enable("condstore") == ("CONDSTORE",)
    assert conn.enable("CONDSTORE", "QRESYNC") == ("QRESYNC",)
    assert conn.enabled == {"CONDSTORE", "QRESYNC"}
    assert conn.data_to_send() == b""


def test_search_nesting_is_limited_by_the_config() -> None:
    # Limits.max_search_nesting bounds parentheses, NOT and OR together.
    conn = selected(Config(limits=Limits(max_search_nesting=3)))
    feed(conn, b"a SEARCH (((ALL)))\r\n")
    assert conn.data_to_send() == b"a OK SEARCH completed\r\n"
    feed(conn, b"b SEARCH ((((ALL))))\r\n")
    assert conn.data_to_send() == (
        b"b BAD [CLIENTBUG] SEARCH: search key nesting too deep (the limit is 3) at byte 13\r\n"
    )
    feed(conn, b"c SEARCH NOT (OR ALL ALL)\r\n")
    assert conn.data_to_send() == b"c OK SEARCH completed\r\n"
    feed(conn, b"d SEARCH NOT OR NOT NOT ALL ALL\r\n")
    assert conn.data_to_send() == (
        b"d BAD [CLIENTBUG] SEARCH: search key nesting too deep (the limit is 3) at byte 24\r\n"
    )


def test_bads_the_app_sends_count_towards_the_limit() -> None:
    conn = selected(Config(max_bad_commands=2))
    conn.receive_data(b"a NOOP\r\nb NOOP\r\n")
    conn.send(StatusResponse(status=Status.BAD, tag="a", text="no"))
    assert not conn.closed
    conn.send(StatusResponse(status=Status.BAD, tag="b", text="no"))
    assert conn.data_to_send() == b"a BAD no\r\nb BAD no\r\n* BYE Too many invalid commands\r\n"
    assert conn.closed


def test_a_tagged_bye_is_refused_before_anything_changes() -> None:
    conn = selected()
    conn.receive_data(b"a NOOP\r\n")
    with pytest.raises(ValueError):  # the response type refuses a tagged BYE itself
        conn.send(StatusResponse(status=Status.BYE, tag="a", text="x"))
    assert conn.pending_tags == ("a",)


def test_the_state_table_follows_the_rfc_diagram() -> None:
    """RFC 3501 3: the numbered transitions, RFC 8437 3's UNAUTHENTICATE,
    and nothing else moves the state."""
    noauth, auth, selected, logout = (
        State.NOT_AUTHENTICATED,
        State.AUTHENTICATED,
        State.SELECTED,
        State.LOGOUT,
    )
    assert next_state(noauth, "LOGIN", "OK") is auth  # (4)
    assert next_state(noauth, "LOGIN", "NO") is noauth
    assert next_state(auth, "EXAMINE", "OK") is selected  # (5)
    assert next_state(selected, "SELECT", "NO") is auth  # (6): a failed SELECT
    assert next_state(selected, "SELECT", "BAD") is selected
    assert next_state(selected, "UNSELECT", "OK") is auth  # (6)
    assert next_state(auth, "LOGOUT", "OK") is logout  # (7)
    assert next_state(selected, "FETCH", "OK") is selected
    assert next_state(auth, "UNAUTHENTICATE", "OK") is noauth  # (8)
    assert next_state(selected, "UNAUTHENTICATE", "OK") is noauth  # (8)
    assert next_state(selected, "UNAUTHENTICATE", "NO") is selected
    assert set(TRANSITIONS.values()) == {noauth, auth, selected, logout}
    assert {
        "SELECT", "EXAMINE", "CLOSE", "UNSELECT", "LOGOUT", "UNAUTHENTICATE"
    } == DESELECTING_COMMANDS  # fmt: skip


def test_unauthenticate_returns_to_the_state_before_login() -> None:
    """RFC 8437 3: after its OK the client is not authenticated; the
    mailbox and ENABLEd extensions are gone, the OK carries the capabilities
    before login, and commands are read as before login again."""
    conn = selected()
    feed(conn, b"E ENABLE UTF8=ACCEPT\r\n")
    assert conn.utf8
    conn.data_to_send()
    feed(conn, b"U UNAUTHENTICATE\r\n")
    assert (
        conn.data_to_send()
        == b"U OK [CAPABILITY " + CAPS_SECURE + b"] UNAUTHENTICATE completed\r\n"
    )
    assert conn.state is State.NOT_AUTHENTICATED
    assert conn.view is None and conn.enabled == frozenset() and not conn.utf8
    assert conn.receive_data(b"F FETCH 1 FLAGS\r\n") == []
    assert conn.data_to_send() == (
        b"F BAD [CLIENTBUG] FETCH is not valid in the not authenticated state\r\n"
    )
    feed(conn, b"L LOGIN alice secret\r\n")
    assert conn.state is State.AUTHENTICATED


def test_unauthenticate_is_not_valid_before_login() -> None:
    conn = greeted()
    assert conn.receive_data(b"U UNAUTHENTICATE\r\n") == []
    assert conn.data_to_send() == (
        b"U BAD [CLIENTBUG] UNAUTHENTICATE is not valid in the not authenticated state\r\n"
    )


def test_an_extension_command_belongs_to_its_config() -> None:
    """A CommandSpec added with Config.with_commands is parsed, checked
    against its states and paused on, for connections of that config only."""

    def parse_xwait(tag: str, reader: CommandReader, uid: bool) -> Command:
        return Noop(tag=tag)  # a parser must return a command of its own name

    def parse_xnoop(tag: str, reader: CommandReader, uid: bool) -> Command:
        return XNoop(tag=tag)

    config = Config().with_commands(
        CommandSpec("XNOOP", parse_xnoop, LOGGED_IN, pauses=True),
        CommandSpec("XWAIT", parse_xwait, LOGGED_IN),
    )
    conn = greeted(config)
    conn.receive_data(b"a XNOOP\r\n")
    assert (
        conn.data_to_send()
        == b"a BAD [CLIENTBUG] XNOOP is not valid in the not authenticated state\r\n"
    )
    conn = logged_in(config)
    assert conn.receive_data(b"b XNOOP\r\nc NOOP\r\n") == [XNoop(tag="b")]
    assert conn.paused  # what follows waits for XNOOP's answer
    conn.send(StatusResponse(status=Status.OK, tag="b", text="done"))
    assert conn.next_events() == [Noop(tag="c")]
    conn.send(StatusResponse(status=Status.OK, tag="c", text="done"))
    conn.data_to_send()
    conn.receive_data(b"d XWAIT\r\n")
    assert conn.data_to_send() == (
        b"d BAD [CLIENTBUG] XWAIT: the XWAIT parser returned a NOOP command at byte 2\r\n"
    )
    other = logged_in()
    other.receive_data(b"e XNOOP\r\n")
    assert other.data_to_send() == b"e BAD [CLIENTBUG] Unknown command XNOOP\r\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class XNoop(Command):
    name: ClassVar[str] = "XNOOP"
