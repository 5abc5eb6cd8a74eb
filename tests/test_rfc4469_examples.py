"""CATENATE (RFC 4469) section 5: examples 2-4 replayed (example 1 is
``test_server_catenate_urlauth.test_rfc4469_5_catenate_builds_a_message_from_urls_and_text``).

The client lines are the RFC's but for what the server chooses or the RFC
miscounts, each named where it occurs:

* UIDVALIDITY: the URLs carry the server's (``$V``); the RFC's 385759045
  and 785799047 would name another incarnation of the mailbox (RFC 5092 6),
  a BADURL here.
* Literal sizes: examples 2 and 4 announce ``{738}`` and ``{541}`` for texts
  that are 721 and 540 octets as printed (lines joined by CRLF); ours
  announce what is sent.  Example 3's ``{255}`` is exact.
* APPEND to the selected mailbox is followed by ``* FLAGS`` naming the new
  keyword ``$MDNSent`` (RFC 3501 7.2.6), ``* n EXISTS`` and ``* n RECENT``
  (RFC 3501 6.3.11), which the RFC's transcripts leave out; the OK carries APPENDUID
  (UIDPLUS) in every example, not only in example 2; texts after the
  response codes are ours.
"""

from __future__ import annotations

from datetime import UTC, datetime

from imap_sansio.server import IMAPServer, MemoryBackend, StoreAction
from imap_sansio.testing import fixed_clock, play

DATE = datetime(2004, 11, 11, 16, 57, 7, tzinfo=UTC)
B7 = "--------------030308070208000400050907"
B3 = "--------------030308070208000400050903"
B4 = "--------------030308070208000400050904"

# RFC 4469 5 example 2's TEXT literal, as printed.
EX2_TEXT = f"""\
Return-Path: <bar@example.org>
Received: from [127.0.0.2]
          by rufus.example.org via TCP (internal) with ESMTPA;
          Thu, 11 Nov 2004 16:57:07 +0000
Message-ID: <419399E1.6000505@example.org>
Date: Thu, 12 Nov 2004 16:57:05 +0000
From: Bob Ar <bar@example.org>
X-Accept-Language: en-us, en
MIME-Version: 1.0
To: foo@example.net
Subject: About our holiday trip
Content-Type: multipart/mixed;
              boundary="{B7[2:]}"

{B7}
Content-Type: text/plain; charset=us-ascii; format=flowed
Content-Transfer-Encoding: 7bit

Our travel agent has sent the updated schedule.

Cheers,
Bob
{B7}
"""

# RFC 4469 5 example 4's first TEXT literal, as printed.
EX4_TEXT = f"""\
Return-Path: <foo@example.org>
Received: from [127.0.0.2]
          by rufus.example.org via TCP (internal) with ESMTPA;
          Thu, 11 Nov 2004 16:57:07 +0000
Message-ID: <419399E1.6000505@example.org>
Date: Thu, 21 Nov 2004 16:57:05 +0000
From: Farren Oo <foo@example.org>
X-Accept-Language: en-us, en
MIME-Version: 1.0
To: bar@example.org
Subject: Digest of the mailing list for today
Content-Type: multipart/digest;
              boundary="{B4[2:]}"

{B4}
"""


def _size(text: str) -> int:
    return len(text.replace("\n", "\r\n"))


def _lines(text: str) -> str:
    return "\n".join("C: " + line for line in text.removesuffix("\n").split("\n"))


def _draft(boundary: str, second: bytes) -> bytes:
    return (
        b"From: Bob Ar <bar@example.org>\r\nSubject: draft\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="'
        + boundary[2:].encode()
        + b'"\r\n\r\n'
        + boundary.encode()
        + b"\r\nContent-Type: text/plain\r\n\r\nOld text.\r\n"
        + boundary.encode()
        + b"\r\n"
        + second
        + b"\r\n"
        + boundary.encode()
        + b"--\r\n"
    )


SCHEDULE = b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA"
SLIDES = b"Content-Type: application/vnd.ms-powerpoint\r\n\r\nslides"


def _server() -> tuple[IMAPServer, MemoryBackend, int]:
    """Drafts with UID 20 and 21 (drafts with an attachment) and UIDNEXT 45."""
    backend = MemoryBackend(users={"bob": "secret"})
    account = backend.account("bob")
    account.create_mailbox("Drafts")
    account.create_mailbox("Sent")
    for uid in range(1, 45):
        data = (
            _draft(B7, SCHEDULE)
            if uid == 20
            else _draft(B3, SLIDES)
            if uid == 21
            else b"Subject: %d\r\n\r\n." % uid
        )
        account.append("Drafts", data, internal_date=DATE)
    drafts = account.select("Drafts")
    keep = {20, 21}
    drafts.store_flags([u for u in range(1, 45) if u not in keep], StoreAction.ADD, ["\\Deleted"])
    drafts.expunge()
    uidvalidity = account.status("Drafts").uidvalidity
    return IMAPServer(backend, clock=fixed_clock()), backend, uidvalidity


SELECT = """
    C: l LOGIN bob secret
    S: l OK $ANY
    C: s SELECT Drafts
    S: $ANY
    S: * 2 EXISTS
    S: $ANY
    S: $ANY
    S: $ANY
    S: $ANY
    S: $ANY
    S: s OK [READ-WRITE] SELECT completed
"""


def test_rfc4469_5_example_2_replaces_the_text_and_keeps_the_attachment() -> None:
    server, backend, v = _server()
    box = f"/Drafts;UIDVALIDITY={v}"
    play(
        server,
        SELECT
        + f"""
        # RFC: "(TEXT {{738}}".
        C: A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE (TEXT {{{_size(EX2_TEXT)}}}
        S: + Ready for literal data
        """
        + _lines(EX2_TEXT)
        + f"""
        C:  URL "{box}/;UID=20/;Section=2.MIME" URL "{box}/;UID=20/;Section=2" TEXT {{44}}
        S: + Ready for literal data
        C:
        C: {B7}--
        C: )
        # RFC: "S: A003 OK [APPENDUID 385759045 45] append Completed".
        S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $$MDNSent)
        S: * 3 EXISTS
        S: * 3 RECENT
        S: A003 OK [APPENDUID {v} 45] APPEND completed
        C: A004 UID STORE 20 +FLAGS.SILENT (\\Deleted)
        S: A004 OK STORE completed
        """,
    )
    drafts = backend.account("bob").select("Drafts")
    assert drafts.message_bytes(45) == (
        EX2_TEXT.replace("\n", "\r\n").encode() + SCHEDULE + b"\r\n" + f"{B7}--\r\n".encode()
    )


def test_rfc4469_5_example_3_strips_an_attachment() -> None:
    server, backend, v = _server()
    box = f"/Drafts;UIDVALIDITY={v}"
    play(
        server,
        SELECT
        + f"""
        C: A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE (URL "{box}/;UID=21/;section=HEADER" TEXT {{42}}
        S: + Ready for literal data
        C:
        C: {B3}
        C:  URL "{box}/;UID=21/;section=1.MIME" URL "{box}/;UID=21/;section=1" TEXT {{255}}
        S: + Ready for literal data
        C:
        C: {B3}
        C: Content-type: text/plain; charset="us-ascii"
        C: Content-transfer-encoding: 7bit
        C:
        C: This body part contained a Power Point presentation that was
        C: deleted upon your request.
        C: {B3}--
        C: )
        # RFC: "S: A003 OK append Completed".  $MDNSent is a new keyword
        # here: FLAGS says so first (RFC 3501 7.2.6).
        S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $$MDNSent)
        S: * 3 EXISTS
        S: * 3 RECENT
        S: A003 OK [APPENDUID {v} 45] APPEND completed
        """,  # noqa: E501
    )
    new = backend.account("bob").select("Drafts").message_bytes(45)
    assert new is not None
    assert b"slides" not in new
    assert new.endswith(b"deleted upon your request.\r\n" + f"{B3}--\r\n".encode())


def test_rfc4469_5_example_4_a_bad_url_fails_the_append() -> None:
    # INBOX holds UIDs 11467 and 11916; 113330 was expunged ("one message
    # expunged").  RFC: 'S: A003 NO [BADURL "/INBOX;UIDVALIDITY=785799047/
    # ;UID=113330;section=1.5.9"] CATENATE append has failed, one message
    # expunged': the RFC quotes the URL (url-resp-text is any text but "]")
    # and drops the "/" before ";section"; ours is the URL as the client
    # wrote it.
    server, backend, _ = _server()
    inbox = backend.account("bob")
    for n in range(1, 11917):
        inbox.append("INBOX", b"Subject: %d\r\n\r\n." % n, internal_date=DATE)
    selected = inbox.select("INBOX")
    doomed = [u for u in range(1, 11917) if u not in (11467, 11916)]
    selected.store_flags(doomed, StoreAction.ADD, ["\\Deleted"])
    selected.expunge()
    v = inbox.status("INBOX").uidvalidity
    box = f"/INBOX;UIDVALIDITY={v}"
    play(
        server,
        """
        C: l LOGIN bob secret
        S: l OK $ANY
        """
        + f"""
        # RFC: "(TEXT {{541}}".
        C: A003 APPEND Sent (\\Seen $MDNSent) CATENATE (TEXT {{{_size(EX4_TEXT)}}}
        S: + Ready for literal data
        """
        + _lines(EX4_TEXT)
        + f"""
        C:  URL "{box}/;UID=11467" TEXT {{42}}
        S: + Ready for literal data
        C:
        C: {B4}
        C:  URL "{box}/;UID=113330/;section=1.5.9" TEXT {{42}}
        S: + Ready for literal data
        C:
        C: {B4}
        C:  URL "{box}/;UID=11916" TEXT {{44}}
        S: + Ready for literal data
        C:
        C: {B4}--
        C: )
        S: A003 NO [BADURL {box}/;UID=113330/;section=1.5.9] $ANY
        """,
    )
    assert backend.account("bob").status("Sent").messages == 0
