"""CATENATE (RFC 4469) and URLAUTH (RFC 4467, RFC 5524) over MemoryBackend:
transcripts of the RFCs' examples, and the rules around them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imap_sansio.adapters.spool import temporary_file_sink

from imap_sansio import BytesSource, Config, ConnectionState, Limits, MessageSource
from imap_sansio._imapurl import ImapUrl
from imap_sansio.commands import Append
from imap_sansio.responses import Status, StatusResponse
from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.server._imapurls import _Catenated
from imap_sansio.testing import fixed_clock, play
from imap_sansio.testing.strategies import imap_urls

DATE = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
BOUNDARY = b"--------------030308070208000400050907"


def _keys(count: int) -> bytes:
    return bytes(range(count))


def _server(**options: object) -> tuple[IMAPServer, MemoryBackend]:
    backend = MemoryBackend(users={"joe": "secret", "fred": "secret"})
    server = IMAPServer(backend, clock=fixed_clock(), random_bytes=_keys, **options)  # type: ignore[arg-type]
    return server, backend


def _filler(n: int) -> bytes:
    return b"Subject: %d\r\n\r\nfiller\r\n" % n


# A draft as RFC 4469 5's example edits it: a text part and an attachment.
DRAFT = (
    b"From: joe@example.com\r\nSubject: draft\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="' + BOUNDARY[2:] + b'"\r\n\r\n'
    b"--" + BOUNDARY[2:] + b"\r\nContent-Type: text/plain\r\n\r\nThe text.\r\n"
    b"--" + BOUNDARY[2:] + b"\r\nContent-Type: application/pdf\r\n\r\nold attachment\r\n"
    b"--" + BOUNDARY[2:] + b"--\r\n"
)
FORWARDED = b"From: fred@example.com\r\nSubject: forwarded\r\n\r\nForwarded text.\r\n"


def _drafts(backend: MemoryBackend) -> int:
    """Drafts with UID 20 (the draft) and 30 (a message to attach)."""
    account = backend.account("joe")
    account.create_mailbox("Drafts")
    for uid in range(1, 31):
        data = DRAFT if uid == 20 else FORWARDED if uid == 30 else _filler(uid)
        account.append("Drafts", data, flags=[], internal_date=DATE)
    return account.status("Drafts").uidvalidity


def test_rfc4469_5_catenate_builds_a_message_from_urls_and_text() -> None:
    # RFC 4469 5 example 1, with the server's UIDVALIDITY in the URLs (the
    # RFC's 385759045 would be a BADURL, RFC 5092 6) and our OK (RFC: "S:
    # A003 OK catenate append completed"; ours carries APPENDUID, UIDPLUS).
    server, backend = _server()
    uidvalidity = _drafts(backend)
    box = f"/Drafts;UIDVALIDITY={uidvalidity}"
    header = f'URL "{box}/;UID=20/;section=HEADER"'
    play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE ({header} TEXT {{42}}
        S: + Ready for literal data
        C:
        C: --------------030308070208000400050907
        C:  URL "{box}/;UID=20/;section=1.MIME" URL "{box}/;UID=20/;section=1" TEXT {{42}}
        S: + Ready for literal data
        C:
        C: --------------030308070208000400050907
        C:  URL "{box}/;UID=30" TEXT {{44}}
        S: + Ready for literal data
        C:
        C: --------------030308070208000400050907--
        C: )
        S: A003 OK [APPENDUID {uidvalidity} 31] APPEND completed
        """,
    )
    mailbox = backend.account("joe").select("Drafts")
    header, _, _ = DRAFT.partition(b"\r\n\r\n")
    assert mailbox.message_bytes(31) == (
        header
        + b"\r\n\r\n"
        + b"\r\n"
        + BOUNDARY
        + b"\r\n"
        + b"Content-Type: text/plain\r\n\r\n"  # 1.MIME
        + b"The text."  # 1: the part's body, without the CRLF before the delimiter
        + b"\r\n"
        + BOUNDARY
        + b"\r\n"
        + FORWARDED
        + b"\r\n"
        + BOUNDARY
        + b"--\r\n"
    )
    assert mailbox.messages([31])[0].flags == frozenset({"\\Seen", "\\Draft", "$MDNSent"})


def test_rfc4469_5_a_url_that_names_nothing_fails_the_append_with_badurl() -> None:
    server, backend = _server()
    uidvalidity = _drafts(backend)
    box = f"/Drafts;UIDVALIDITY={uidvalidity}"
    play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: A004 APPEND Drafts CATENATE (URL "{box}/;UID=20/;section=HEADER" TEXT {{42}}
        S: + Ready for literal data
        C:
        C: --------------030308070208000400050907
        C:  URL "{box}/;UID=99")
        S: A004 NO [BADURL {box}/;UID=99] Bad URL
        C: A005 APPEND Drafts CATENATE (URL "/Drafts;UIDVALIDITY=1{uidvalidity}/;UID=20")
        S: A005 NO [BADURL /Drafts;UIDVALIDITY=1{uidvalidity}/;UID=20] Bad URL
        C: A006 APPEND Drafts CATENATE (URL "imap://fred@example.com/INBOX/;UID=1")
        S: A006 NO [BADURL imap://fred@example.com/INBOX/;UID=1] Bad URL
        C: A007 APPEND Drafts CATENATE (URL "/Drafts/;UID=20/;section=4")
        S: A007 NO [BADURL /Drafts/;UID=20/;section=4] Bad URL
        C: A008 APPEND Nowhere CATENATE (URL "/Drafts/;UID=99")
        S: A008 NO [TRYCREATE] Mailbox does not exist
        """,
    )
    assert backend.account("joe").status("Drafts").messages == 30


def test_rfc4469_5_a_message_over_the_limit_is_toobig() -> None:
    server, backend = _server(config=Config(limits=Limits(max_append_literal=len(DRAFT) + 10)))
    _drafts(backend)
    play(
        server,
        """
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a2 APPEND Drafts CATENATE (URL "/Drafts/;UID=20" TEXT {12}
        S: + Ready for literal data
        C: more text.
        C: )
        S: a2 NO [TOOBIG] Message too large
        """,
    )


def test_catenate_parts_and_multiappend_are_all_or_nothing() -> None:
    server, backend = _server()
    _drafts(backend)
    play(
        server,
        """
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a2 APPEND Drafts CATENATE (TEXT {7}
        S: + Ready for literal data
        C: Hi: 1
        C:  URL "/Drafts/;UID=30/;PARTIAL=6.4") CATENATE (URL "/Drafts/;UID=77")
        S: a2 NO [BADURL /Drafts/;UID=77] Bad URL
        C: a3 APPEND Drafts CATENATE (TEXT {7}
        S: + Ready for literal data
        C: Hi: 1
        C:  URL "/Drafts/;UID=30/;PARTIAL=6.4") {4}
        S: + Ready for literal data
        C: X: y
        S: a3 OK [APPENDUID $NUMBER 31:32] APPEND completed
        """,
    )
    mailbox = backend.account("joe").select("Drafts")
    assert mailbox.message_bytes(31) == b"Hi: 1\r\nfred"
    assert mailbox.message_bytes(32) == b"X: y"


# --------------------------------------------------------------- URLAUTH

SECRET = b"Si vis pacem, para bellum.\r\n"
MESSAGE20 = (
    b"From: joe@example.com\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
    b'--outer\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n'
    b"--inner\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
    b"--inner\r\nContent-Type: text/plain\r\n\r\n" + SECRET + b"\r\n--inner--\r\n"
    b"--outer--\r\n"
)
RUMP = "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth="


def _joe_inbox(backend: MemoryBackend) -> None:
    account = backend.account("joe")
    for uid in range(1, 21):
        account.append(
            "INBOX", MESSAGE20 if uid == 20 else _filler(uid), flags=[], internal_date=DATE
        )


def test_rfc4467_7_genurlauth_then_urlfetch_from_another_user() -> None:
    server, backend = _server()
    _joe_inbox(backend)
    play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a001 GENURLAUTH "{RUMP}submit+fred" INTERNAL "{RUMP}anonymous" INTERNAL
        S: * GENURLAUTH "{RUMP}submit+fred:internal:$T1" "{RUMP}anonymous:internal:$T2"
        S: a001 OK GENURLAUTH completed
        C2: b1 LOGIN fred secret
        S2: b1 OK $ANY
        C2: a002 URLFETCH "{RUMP}anonymous:internal:$T2"
        S2: * URLFETCH "{RUMP}anonymous:internal:$T2" {{28}}
        S2: Si vis pacem, para bellum.
        S2:
        S2: a002 OK URLFETCH completed
        # submit+ is for a user with the "submit" role (RFC 4467 4): none here.
        C2: a003 URLFETCH "{RUMP}submit+fred:internal:$T1"
        S2: * URLFETCH "{RUMP}submit+fred:internal:$T1" NIL
        S2: a003 OK URLFETCH completed
        """,
    )


def test_urlauth_access_expiry_and_a_forged_token_answer_nil() -> None:
    server, backend = _server()
    _joe_inbox(backend)
    # Short names, for the transcript's long lines.
    R = RUMP
    E = expired = RUMP.replace(";urlauth=", ";expire=2000-01-01T00:00:00Z;urlauth=")
    play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a2 GENURLAUTH "{R}user+fred" INTERNAL "{R}authuser" INTERNAL "{E}authuser" INTERNAL
        S: * GENURLAUTH "{R}user+fred:internal:$A" "{R}authuser:internal:$B" "{E}authuser:$C"
        S: a2 OK GENURLAUTH completed
        C: a3 URLFETCH "{RUMP}user+fred:internal:$A" "{RUMP}authuser:internal:$B"
        S: * URLFETCH "{RUMP}user+fred:internal:$A" NIL
        S: * URLFETCH "{RUMP}authuser:internal:$B" {{28}}
        S: Si vis pacem, para bellum.
        S:
        S: a3 OK URLFETCH completed
        C2: b1 LOGIN fred secret
        S2: b1 OK $ANY
        C2: b2 URLFETCH "{RUMP}user+fred:internal:$A" "{expired}authuser:$C"
        S2: * URLFETCH "{RUMP}user+fred:internal:$A" {{28}}
        S2: Si vis pacem, para bellum.
        S2:
        S2: * URLFETCH "{expired}authuser:$C" NIL
        S2: b2 OK URLFETCH completed
        C2: b3 URLFETCH "{RUMP}authuser:internal:00000000000000000000000000000000"
        S2: * URLFETCH "{RUMP}authuser:internal:00000000000000000000000000000000" NIL
        S2: b3 OK URLFETCH completed
        """,
    )


def test_rfc4467_7_resetkey_invalidates_the_urls_made_before() -> None:
    server, backend = _server()
    _joe_inbox(backend)
    play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a2 GENURLAUTH "{RUMP}authuser" INTERNAL
        S: * GENURLAUTH "{RUMP}authuser:internal:$T1"
        S: a2 OK GENURLAUTH completed
        C: a3 RESETKEY INBOX INTERNAL
        S: a3 OK [URLMECH INTERNAL] Keys removed
        C: a4 URLFETCH "{RUMP}authuser:internal:$T1"
        S: * URLFETCH "{RUMP}authuser:internal:$T1" NIL
        S: a4 OK URLFETCH completed
        C: a5 GENURLAUTH "{RUMP}authuser" INTERNAL
        S: * GENURLAUTH "{RUMP}authuser:internal:$T2"
        S: a5 OK GENURLAUTH completed
        C: a6 RESETKEY
        S: a6 OK All keys removed
        C: a7 URLFETCH "{RUMP}authuser:internal:$T2"
        S: * URLFETCH "{RUMP}authuser:internal:$T2" NIL
        S: a7 OK URLFETCH completed
        C: a8 RESETKEY Nowhere
        S: a8 NO [NONEXISTENT] Mailbox does not exist
        C: a9 RESETKEY INBOX X-OTHER
        S: a9 NO [URLMECH INTERNAL] Unknown URLAUTH mechanism X-OTHER
        """,
    )


def test_genurlauth_refuses_what_it_cannot_sign() -> None:
    server, backend = _server()
    _joe_inbox(backend)
    play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a2 GENURLAUTH "{RUMP}authuser" X-OTHER
        S: a2 NO [URLMECH INTERNAL] Unknown URLAUTH mechanism X-OTHER
        C: a3 GENURLAUTH "imap://fred@example.com/INBOX/;uid=1;urlauth=authuser" INTERNAL
        # RFC 4467 6.2: a failed check of the URL is a tagged BAD.
        S: a3 BAD [NOPERM] The URL names another user's mailbox
        C: a4 GENURLAUTH "imap://joe@example.com/Nowhere/;uid=1;urlauth=authuser" INTERNAL
        S: a4 BAD [NONEXISTENT] The URL names no mailbox of this user
        C: a5 GENURLAUTH "imap://joe@example.com/INBOX/;uid=1" INTERNAL
        S: a5 BAD [CLIENTBUG] GENURLAUTH takes a rump URL (;URLAUTH=access, no token)
        C: a6 GENURLAUTH "imap://joe@example.com/INBOX/;uid=1;urlauth=bogus" INTERNAL
        S: a6 BAD [CLIENTBUG] Invalid URL: invalid URLAUTH access 'bogus'
        """,
    )


def test_a_recreated_mailbox_does_not_honour_the_old_urls() -> None:
    server, backend = _server()
    backend.account("joe").create_mailbox("Box")
    backend.account("joe").append("Box", FORWARDED, flags=[], internal_date=DATE)
    url = "imap://joe@example.com/Box/;uid=1;urlauth=authuser"
    values = play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a2 GENURLAUTH "{url}" INTERNAL
        S: * GENURLAUTH "{url}:internal:$T1"
        S: a2 OK GENURLAUTH completed
        C: a3 DELETE Box
        S: a3 OK DELETE completed
        C: a4 CREATE Box
        S: a4 OK CREATE completed
        """,
    )
    backend.account("joe").append(
        "Box", b"Subject: other\r\n\r\nother\r\n", flags=[], internal_date=DATE
    )
    play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a5 URLFETCH "{url}:internal:{values["T1"]}"
        S: * URLFETCH "{url}:internal:{values["T1"]}" NIL
        S: a5 OK URLFETCH completed
        """,
    )


@pytest.mark.parametrize("random_bytes", [None, _keys])
def test_urlauth_is_advertised_only_with_a_source_of_keys(random_bytes: object) -> None:
    server = IMAPServer(
        MemoryBackend(users={"joe": "secret"}),
        clock=fixed_clock(),
        random_bytes=random_bytes,  # type: ignore[arg-type]
    )
    capabilities = server.capabilities_after_auth(server.backend.account("joe"))  # type: ignore[attr-defined]
    assert "CATENATE" in capabilities
    assert ("URLAUTH" in capabilities) is (random_bytes is not None)
    assert ("URLAUTH=BINARY" in capabilities) is (random_bytes is not None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=imap_urls(), text=st.text(max_size=30))
def test_no_url_makes_a_server_bug(url: ImapUrl, text: str) -> None:
    """Whatever URL a client sends (or text that is none), CATENATE, URLFETCH
    and GENURLAUTH answer OK, NO or BAD with a reason, never [SERVERBUG]."""
    server, backend = _server()
    _joe_inbox(backend)
    conn = server.connect()
    conn.data_to_send()
    conn.receive_data(b"a LOGIN joe secret\r\n")
    conn.data_to_send()
    for candidate in (str(url), text):
        raw = candidate.encode("utf-8")
        literal = b"{%d}\r\n" % len(raw) + raw
        for command in (
            b"b APPEND INBOX CATENATE (URL " + literal + b")\r\n",
            b"c URLFETCH " + literal + b" (" + literal + b" BINARY BODYPARTSTRUCTURE)\r\n",
            b"d GENURLAUTH " + literal + b" INTERNAL\r\n",
        ):
            conn.receive_data(command)
            out = conn.data_to_send()
            assert b"SERVERBUG" not in out, (command, out)
            assert out.count(b"\r\n" + command[:1] + b" ") + out.startswith(command[:2]) == 1


def test_big_catenate_text_parts_are_spooled_like_append_literals() -> None:
    """A TEXT part over ``Limits.spool_literal_above`` goes to the literal
    sink as an APPEND literal does; the message is built from the pieces."""
    config = Config(limits=Limits(spool_literal_above=16), literal_sink_factory=temporary_file_sink)
    big = b"X-Big: " + b"a" * 40 + b"\r\n\r\n"
    command = (
        b"a2 APPEND Drafts CATENATE (TEXT {%d+}\r\n" % len(big)
        + big
        + b' URL "/Drafts/;UID=30/;section=TEXT" TEXT {5+}\r\nsmall)\r\n'
    )
    engine = ConnectionState(config, secure=True)
    engine.send_greeting()
    engine.receive_data(b"a LOGIN u p\r\n")
    engine.send(StatusResponse(status=Status.OK, tag="a", text="ok"))
    (event,) = engine.receive_data(command)
    assert isinstance(event, Append)
    first, url, last = event.messages[0].catenate
    assert isinstance(first.data, MessageSource) and first.data.size == len(big)
    assert url.url == "/Drafts/;UID=30/;section=TEXT"
    assert last.data == b"small"
    first.data.close()

    server, backend = _server(config=config)
    server.literal_sink_factory = temporary_file_sink
    uidvalidity = _drafts(backend)
    conn = server.connect()
    conn.receive_data(b"a LOGIN joe secret\r\n" + command)
    answer = b"a2 OK [APPENDUID %d 31] APPEND completed\r\n" % uidvalidity
    assert conn.data_to_send().endswith(answer)
    stored = backend.account("joe").select("Drafts").message_bytes(31)
    assert stored == big + b"Forwarded text.\r\n" + b"small"


def test_a_big_catenated_message_is_read_across_its_parts() -> None:
    """Over a MiB the parts are not joined: the backend reads one source."""
    parts = [b"abc", BytesSource(b"defg"), memoryview(b"hij")]
    whole = _Catenated(parts)
    assert whole.size == 10
    assert [whole.read(i, 4) for i in range(0, 10, 4)] == [b"abcd", b"efgh", b"ij"]
    assert whole.read(2, 100) == b"cdefghij"
    assert whole.read(10, 5) == b""
