"""REPLACE with a CATENATE message (RFC 8508 4.2, RFC 4469 5), over every store.

RFC 8508 4.2: "Servers supporting both REPLACE and CATENATE [RFC4469] MUST
support the additional append-data and resp-text-code elements defined in
Section 5 ("Formal Syntax") of [RFC4469] in conjunction with the REPLACE
command."  So the replacement may be built from URLs and TEXT parts, and a
URL that names
nothing fails the REPLACE with ``[BADURL ...]`` (RFC 4469 5) before anything
changed: the old message stays (RFC 8508 3.4, no inconsistent state).

The draft edited is RFC 4469 5's (``test_server_catenate_urlauth``): its
header and first part are kept, the attachment replaced by a new text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _postgres import PostgresCluster
from argon2 import PasswordHasher
from imap_sansio.adapters import PostgresBackend
from imap_sansio.adapters.maildir import MaildirBackend
from imap_sansio.adapters.spool import temporary_file_sink
from test_server_catenate_urlauth import BOUNDARY, DATE, DRAFT, FORWARDED, _filler

from imap_sansio import Config, ConnectionState, Limits, MessageSource
from imap_sansio._parser import parse_command
from imap_sansio._secret import Secret
from imap_sansio.commands import AppendMessage, CatenatePart, Replace, SequenceSet
from imap_sansio.responses import Status, StatusResponse
from imap_sansio.server import Backend, IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play
from imap_sansio.testing.strategies import encode_command

_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _keys(count: int) -> bytes:
    return bytes(range(count))


@pytest.fixture(params=["memory", "maildir", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend(users={"joe": "secret"})
    elif request.param == "maildir":
        yield MaildirBackend(tmp_path, users={"joe": "secret"})
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        with PostgresBackend(
            cluster.new_database(), password_hasher=_HASHER, listen=False
        ) as store:
            store.add_user("joe", "secret")
            yield store


def _drafts(backend: Backend) -> int:
    """Drafts with UID 1 (RFC 4469 5's draft) and UID 2 (a message to attach)."""
    account = backend.authenticate("joe", Secret("secret"))
    account.create_mailbox("Drafts")
    account.append("Drafts", DRAFT, internal_date=DATE)
    account.append("Drafts", FORWARDED, internal_date=DATE)
    account.append("Drafts", _filler(3), internal_date=DATE)
    uidvalidity = account.status("Drafts").uidvalidity
    account.logout()
    return uidvalidity


def _select() -> str:
    return """
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: e ENABLE IMAP4rev2
        S: * ENABLED IMAP4rev2
        S: e OK ENABLE completed
        C: s SELECT Drafts
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: * LIST ($ANY) "/" Drafts
        S: s OK [READ-WRITE] SELECT completed
    """


def test_rfc8508_4_2_replace_builds_the_new_message_from_urls_and_text(backend: Backend) -> None:
    uidvalidity = _drafts(backend)
    box = f"/Drafts;UIDVALIDITY={uidvalidity}"
    play(
        IMAPServer(backend, clock=fixed_clock(), random_bytes=_keys),
        _select()
        + f"""
        C: A005 REPLACE 1 Drafts (\\Draft) CATENATE (URL "{box}/;UID=1/;section=HEADER" TEXT {{42}}
        S: + Ready for literal data
        C:
        C: --------------030308070208000400050907
        C:  URL "{box}/;UID=1/;section=1.MIME" URL "{box}/;UID=1/;section=1" TEXT {{42}}
        S: + Ready for literal data
        C:
        C: --------------030308070208000400050907
        C:  URL "{box}/;UID=2" TEXT {{44}}
        S: + Ready for literal data
        C:
        C: --------------030308070208000400050907--
        C: )
        S: * OK [APPENDUID {uidvalidity} 4] Replacement Message ready
        S: * 4 EXISTS
        S: * 1 EXPUNGE
        S: A005 OK Replace completed
        C: f UID FETCH 4 (FLAGS RFC822.SIZE)
        S: * 3 FETCH (UID 4 FLAGS (\\Draft) RFC822.SIZE {len(_replaced())})
        S: f OK FETCH completed
        """,
    )
    drafts = backend.authenticate("joe", Secret("secret")).select("Drafts")
    assert [info.uid for info in drafts.messages()] == [2, 3, 4]
    assert drafts.message_bytes(4) == _replaced()


def _replaced() -> bytes:
    header, _, _ = DRAFT.partition(b"\r\n\r\n")
    return (
        header
        + b"\r\n\r\n"
        + b"\r\n"
        + BOUNDARY
        + b"\r\n"
        + b"Content-Type: text/plain\r\n\r\n"
        + b"The text."
        + b"\r\n"
        + BOUNDARY
        + b"\r\n"
        + FORWARDED
        + b"\r\n"
        + BOUNDARY
        + b"--\r\n"
    )


def test_rfc8508_4_2_a_bad_url_fails_the_replace_and_the_old_message_stays(
    backend: Backend,
) -> None:
    # RFC 4469 5: "If the server determines that the URL is invalid ... it
    # MUST fail the APPEND with a NO [BADURL <url>]"; under REPLACE nothing
    # is expunged then (RFC 8508 3.4).
    uidvalidity = _drafts(backend)
    box = f"/Drafts;UIDVALIDITY={uidvalidity}"
    play(
        IMAPServer(backend, clock=fixed_clock(), random_bytes=_keys),
        _select()
        + f"""
        C: A006 UID REPLACE 1 Drafts CATENATE (TEXT {{12+}}
        C: Subject: x
        C:  URL "{box}/;UID=9")
        S: A006 NO [BADURL {box}/;UID=9] Bad URL
        C: A007 REPLACE 1 Nowhere CATENATE (URL "{box}/;UID=2")
        S: A007 NO [TRYCREATE] Mailbox does not exist
        C: f UID FETCH 1:* (UID)
        S: * 1 FETCH (UID 1)
        S: * 2 FETCH (UID 2)
        S: * 3 FETCH (UID 3)
        S: f OK FETCH completed
        """,
    )


def test_the_grammar_reads_a_catenate_replace_and_the_encoder_writes_it_back() -> None:
    # RFC 8508 5: replace = "REPLACE" SP seq-number SP mailbox append-message,
    # whose append-data is CATENATE's where both are offered (4.2).
    line = b'A REPLACE 4 Drafts CATENATE (URL "/Drafts/;UID=4" TEXT {3}\r\nabc)\r\n'
    command = Replace(
        tag="A",
        messages=SequenceSet(ranges=((4, 4),)),
        mailbox="Drafts",
        message=AppendMessage(
            data=b"",
            catenate=(CatenatePart(url="/Drafts/;UID=4"), CatenatePart(data=b"abc")),
        ),
    )
    assert parse_command(line) == command
    assert parse_command(encode_command(command)) == command


def test_big_text_parts_of_a_catenate_replace_are_spooled() -> None:
    # A TEXT part over Limits.spool_literal_above goes to the literal sink
    # as APPEND's and REPLACE's own literals do; the replacement is built
    # from the file and the URL's bytes.
    config = Config(limits=Limits(spool_literal_above=16), literal_sink_factory=temporary_file_sink)
    big = b"X-Big: " + b"a" * 40 + b"\r\n\r\n"
    command = (
        b"r UID REPLACE 1 Drafts CATENATE (TEXT {%d+}\r\n" % len(big)
        + big
        + b' URL "/Drafts/;UID=2/;section=TEXT" TEXT {5+}\r\nsmall)\r\n'
    )
    engine = ConnectionState(config, secure=True)
    engine.send_greeting()
    engine.receive_data(b"a LOGIN u p\r\n")
    engine.send(StatusResponse(status=Status.OK, tag="a", text="ok"))
    engine.receive_data(b"s SELECT Drafts\r\n")
    engine.send(StatusResponse(status=Status.OK, tag="s", text="ok"))
    (event,) = engine.receive_data(command)
    assert isinstance(event, Replace)
    first, url, last = event.message.catenate
    assert isinstance(first.data, MessageSource) and first.data.size == len(big)
    assert url.url == "/Drafts/;UID=2/;section=TEXT"
    assert last.data == b"small"
    first.data.close()

    backend = MemoryBackend(users={"joe": "secret"})
    uidvalidity = _drafts(backend)
    server = IMAPServer(backend, clock=fixed_clock(), config=config)
    server.literal_sink_factory = temporary_file_sink
    conn = server.connect()
    conn.receive_data(b"a LOGIN joe secret\r\ns SELECT Drafts\r\n" + command)
    out = conn.data_to_send()
    assert b"* OK [APPENDUID %d 4] Replacement Message ready\r\n" % uidvalidity in out
    assert out.endswith(b"r OK Replace completed\r\n")
    drafts = backend.account("joe").select("Drafts")
    assert [info.uid for info in drafts.messages()] == [2, 3, 4]
    assert drafts.message_bytes(4) == big + b"Forwarded text.\r\n" + b"small"
