"""FETCH of every item over the demo INBOX, against bytes derived by hand.

The expected values come from reading the demo messages
(``imap_sansio/server/_demo.py``) and the rules of RFC 3501 6.4.5 / 7.4.2,
RFC 9051 7.5.2 and RFC 3516: sections are written out below as they appear
in the messages; only octet counts are taken with ``len()``.

Demo INBOX (UIDs 1-7, all \\Recent for the first session that SELECTs):
1 plain text (\\Seen), 2 multipart/alternative (\\Seen \\Flagged),
3 multipart/mixed with a base64 CSV (\\Seen \\Answered $Work),
4 forwarded message/rfc822 ($Forwarded), 5 RFC 2047 headers and a
quoted-printable body, 6 reply (\\Flagged $Important), 7 HTML + PNG.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from imap_sansio._commands import Section
from imap_sansio.mime import Message
from imap_sansio.server import IMAPServer, MemoryBackend, demo_backend
from imap_sansio.server._cmd_message import _section_data
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


@pytest.fixture
def client() -> Client:
    c = Client(IMAPServer(demo_backend(), clock=fixed_clock()))
    assert c(b"a LOGIN demo demo").startswith(b"a OK")
    assert c(b"b SELECT INBOX").endswith(b"b OK [READ-WRITE] SELECT completed\r\n")
    return c


def one(client: Client, command: bytes, number: int, items: bytes) -> None:
    """``command`` answers exactly ``* number FETCH (items)`` then OK."""
    assert client(b"t " + command) == (
        b"* %d FETCH (" % number + items + b")\r\nt OK FETCH completed\r\n"
    )


ALICE = b'(("Alice Example" NIL "alice" "example.org"))'
CAROL = b'(("Carol Accounts" NIL "carol" "example.com"))'
DEMO = b'(("Demo User" NIL "demo" "example.com"))'

ENVELOPE_1 = (
    b'("Mon, 03 Mar 2025 09:15:00 +0100" "Welcome to imap-sansio" '
    + ALICE + b" " + ALICE + b" " + ALICE + b" " + DEMO
    + b' NIL NIL NIL "<welcome.1@example.org>")'
)  # fmt: skip

BODY_1 = b"Hello Demo,\r\n\r\nthis mailbox is served by imap-sansio's in-memory backend.\r\n"
BODY_1 += b"Every message here is fixed, so you can FETCH it again and again.\r\n\r\n"
BODY_1 += b"Cheers,\r\nAlice\r\n"
HEADER_1 = (
    b"Return-Path: <alice@example.org>\r\n"
    b"Date: Mon, 03 Mar 2025 09:15:00 +0100\r\n"
    b"From: Alice Example <alice@example.org>\r\n"
    b"To: Demo User <demo@example.com>\r\n"
    b"Subject: Welcome to imap-sansio\r\n"
    b"Message-ID: <welcome.1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n"
    b"\r\n"
)
STRUCTURE_1 = b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 160 7)'


def test_stored_message_is_header_plus_body() -> None:
    # The hand-written pieces above really are message 1.
    assert _inbox(1) == HEADER_1 + BODY_1
    assert len(BODY_1) == 160 and BODY_1.count(b"\r\n") == 7
    assert len(_inbox(1)) == 476


def test_flags_uid_internaldate_size(client: Client) -> None:
    # \Recent: this session was the first to see the messages (RFC 3501 2.3.2).
    one(
        client,
        b"FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE)",
        1,
        b'FLAGS (\\Seen \\Recent) UID 1 INTERNALDATE " 3-Mar-2025 09:15:00 +0100" RFC822.SIZE 476',
    )


def test_items_come_in_the_order_asked(client: Client) -> None:
    one(
        client,
        b"FETCH 1 (RFC822.SIZE UID FLAGS)",
        1,
        b"RFC822.SIZE 476 UID 1 FLAGS (\\Seen \\Recent)",
    )


def test_duplicate_items_are_answered_once(client: Client) -> None:
    one(client, b"FETCH 1 (UID UID)", 1, b"UID 1")


def test_envelope_plain_message(client: Client) -> None:
    one(client, b"FETCH 1 ENVELOPE", 1, b"ENVELOPE " + ENVELOPE_1)


def test_envelope_bare_address_and_cc(client: Client) -> None:
    bob = b'(("Bob Builder" NIL "bob" "example.net"))'
    one(
        client,
        b"FETCH 2 ENVELOPE",
        2,
        b'ENVELOPE ("Tue, 04 Mar 2025 14:02:11 +0100" "Project plan (HTML and text)" '
        + bob + b" " + bob + b" " + bob
        + b' ((NIL NIL "demo" "example.com")) ' + ALICE
        + b' NIL NIL "<plan.42@example.net>")',
    )  # fmt: skip


def test_envelope_keeps_encoded_words_and_in_reply_to(client: Client) -> None:
    # RFC 3501 7.4.2: ENVELOPE strings are not decoded.
    andre = b'(("=?ISO-8859-1?Q?Andr=E9_M=FCller?=" NIL "andre" "example.de"))'
    one(
        client,
        b"FETCH 5 ENVELOPE",
        5,
        b'ENVELOPE ("Fri, 07 Mar 2025 11:11:11 +0100" "=?UTF-8?B?R3LDvMOfZSBhdXMgWsO8cmljaA==?=" '
        + andre + b" " + andre + b" " + andre
        + b' (("=?UTF-8?Q?Bob_B=C3=A4cker?=" NIL "bob" "example.net")'
        + b'(NIL NIL "demo" "example.com")) NIL NIL NIL "<gruesse.1@example.de>")',
    )  # fmt: skip
    bob = b'(("Bob Builder" NIL "bob" "example.net"))'
    one(
        client,
        b"FETCH 6 ENVELOPE",
        6,
        b'ENVELOPE ("Sat, 08 Mar 2025 10:00:00 +0100" "Re: Welcome to imap-sansio" '
        + bob + b" " + bob + b" " + bob + b" " + DEMO
        + b' NIL NIL "<welcome.1@example.org>" "<re.welcome.2@example.net>")',
    )  # fmt: skip


def test_envelope_name_with_quotes_is_escaped() -> None:
    """Seed defect: ENVELOPE names with ``"`` were written unescaped.

    RFC 3501 9: quoted = DQUOTE *QUOTED-CHAR DQUOTE with ``"`` as ``\\"``.
    """
    backend = MemoryBackend(users={"u": "p"})
    backend.account("u").append(
        "INBOX",
        b'From: "Bob \\"The Builder\\"" <bob@example.net>\r\nSubject: hi\r\n\r\nx\r\n',
        internal_date=datetime(2025, 1, 1, tzinfo=UTC),
    )
    c = Client(IMAPServer(backend, clock=fixed_clock()))
    c(b"a LOGIN u p")
    c(b"b SELECT INBOX")
    bob = b'(("Bob \\"The Builder\\"" NIL "bob" "example.net"))'
    assert c(b"t FETCH 1 ENVELOPE") == (
        b'* 1 FETCH (ENVELOPE (NIL "hi" ' + bob + b" " + bob + b" " + bob
        + b" NIL NIL NIL NIL NIL))\r\nt OK FETCH completed\r\n"
    )  # fmt: skip


def test_body_and_bodystructure_of_a_text_message(client: Client) -> None:
    one(
        client,
        b"FETCH 1 (BODY BODYSTRUCTURE)",
        1,
        b"BODY " + STRUCTURE_1 + b" BODYSTRUCTURE " + STRUCTURE_1,
    )


def test_bodystructure_with_parameters(client: Client) -> None:
    body = b"> this mailbox is served by imap-sansio's in-memory backend.\r\n\r\n"
    body += b"Nice. Does it do IDLE?\r\n\r\nBob\r\n"
    assert _inbox(6).endswith(b"\r\n\r\n" + body)
    one(
        client,
        b"FETCH 6 BODYSTRUCTURE",
        6,
        b'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii" "FORMAT" "flowed") NIL NIL "7BIT" '
        + b"%d 5)" % len(body),
    )


def test_body_and_bodystructure_multipart_alternative(client: Client) -> None:
    plain = b"Plan:\r\n1. Parse\r\n2. Serve\r\n3. Ship\r\n"
    html = b"<html><body><p>Plan:</p><ol><li>Parse</li><li>Serve</li><li>Ship</li></ol>"
    html += b"</body></html>\r\n"
    parts = b'("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" %d 4)' % len(
        plain
    ) + b'("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "7BIT" %d 1)' % len(html)
    # BODY has no extension data; BODYSTRUCTURE adds the multipart's
    # parameters (RFC 3501 7.4.2 body-ext-mpart).
    one(
        client,
        b"FETCH 2 (BODY BODYSTRUCTURE)",
        2,
        b"BODY (" + parts + b' "ALTERNATIVE") BODYSTRUCTURE ('
        + parts + b' "ALTERNATIVE" ("BOUNDARY" "alt-boundary-1"))',
    )  # fmt: skip


def test_bodystructure_message_rfc822_part(client: Client) -> None:
    inner_text = b"Alice, the Q1 figures are in the shared folder.\r\n"
    inner = (
        b"Date: Wed, 05 Mar 2025 08:30:00 +0100\r\n"
        b"From: Carol Accounts <carol@example.com>\r\n"
        b"To: Alice Example <alice@example.org>\r\n"
        b"Subject: Quarterly figures\r\n"
        b"Message-ID: <q1.alice@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n" + inner_text
    )
    first = b"See below, forwarded as an attachment.\r\n"
    envelope = (
        b'("Wed, 05 Mar 2025 08:30:00 +0100" "Quarterly figures" '
        + CAROL + b" " + CAROL + b" " + CAROL + b" " + ALICE
        + b' NIL NIL NIL "<q1.alice@example.com>")'
    )  # fmt: skip
    expected = (
        b'BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" %d 1)' % len(first)
        + b'("MESSAGE" "RFC822" NIL NIL NIL "7BIT" %d ' % len(inner)
        + envelope
        + b' ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" %d 1) 9' % len(inner_text)
        # extension data: md5 NIL, disposition (RFC 2183 type upper-cased)
        + b' NIL ("INLINE" NIL))'
        + b' "MIXED" ("BOUNDARY" "fwd-3"))'
    )
    one(client, b"FETCH 4 BODYSTRUCTURE", 4, expected)
    # The encapsulated message's sections (RFC 3501 6.4.5: 2.HEADER, 2.TEXT, 2.1).
    header = inner[: -len(inner_text)]
    one(
        client,
        b"FETCH 4 (BODY.PEEK[2] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[2.1])",
        4,
        b"BODY[2] " + lit(inner) + b" BODY[2.HEADER] " + lit(header)
        + b" BODY[2.TEXT] " + lit(inner_text) + b" BODY[2.1] " + lit(inner_text),
    )  # fmt: skip
    one(
        client,
        b"FETCH 4 BODY.PEEK[2.MIME]",
        4,
        b"BODY[2.MIME] "
        + lit(b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n"),
    )


def test_body_sections_of_a_plain_message(client: Client) -> None:
    one(client, b"FETCH 1 BODY.PEEK[]", 1, b"BODY[] " + lit(_inbox(1)))
    one(client, b"FETCH 1 BODY.PEEK[HEADER]", 1, b"BODY[HEADER] " + lit(HEADER_1))
    one(client, b"FETCH 1 BODY.PEEK[TEXT]", 1, b"BODY[TEXT] " + lit(BODY_1))
    # RFC 3501 6.4.5: a non-multipart message has part 1, its body.
    one(client, b"FETCH 1 BODY.PEEK[1]", 1, b"BODY[1] " + lit(BODY_1))


def test_header_fields_and_not(client: Client) -> None:
    one(
        client,
        b"FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject FROM)]",
        1,
        b"BODY[HEADER.FIELDS (Subject FROM)] "
        + lit(
            b"From: Alice Example <alice@example.org>\r\nSubject: Welcome to imap-sansio\r\n\r\n"
        ),
    )
    one(
        client,
        b"FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Return-Path Date From To Message-ID"
        b" MIME-Version Content-Type Content-Transfer-Encoding)]",
        1,
        b"BODY[HEADER.FIELDS.NOT (Return-Path Date From To Message-ID MIME-Version"
        b" Content-Type Content-Transfer-Encoding)] "
        + lit(b"Subject: Welcome to imap-sansio\r\n\r\n"),
    )


def test_multipart_parts_and_mime_headers(client: Client) -> None:
    mime1 = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    text1 = b"Hi, the Q1 figures are attached as CSV.\r\n\r\nCarol\r\n"
    b64 = (
        b"ZGF0ZSxhbW91bnQsY3VycmVuY3kNCjIwMjUtMDEtMzEsMTIwMC4wMCxFVVINCjIwMjUtMDItMjgs\r\n"
        b"OTgwLjUwLEVVUg0KMjAyNS0wMy0zMSwxNDMwLjI1LEVVUg0K"
    )
    one(
        client,
        b"FETCH 3 (BODY.PEEK[1.MIME] BODY.PEEK[1] BODY.PEEK[2])",
        3,
        b"BODY[1.MIME] " + lit(mime1) + b" BODY[1] " + lit(text1) + b" BODY[2] " + lit(b64),
    )


def test_nonexistent_section_is_an_empty_string(client: Client) -> None:
    """BODY[5] of a two-part message: "" as Dovecot answers (RFC 3501 nstring)."""
    one(
        client,
        b"FETCH 3 (BODY.PEEK[5] BODY.PEEK[1.2] BODY.PEEK[1.HEADER])",
        3,
        b"BODY[5] {0}\r\n BODY[1.2] {0}\r\n BODY[1.HEADER] {0}\r\n",
    )


def test_partial_is_labelled_with_the_origin_only(client: Client) -> None:
    """RFC 3501 6.4.5 / 7.4.2: ``BODY[]<0>``, not ``BODY[]<0.10>``."""
    one(client, b"FETCH 1 BODY.PEEK[]<0.12>", 1, b"BODY[]<0> " + lit(b"Return-Path:"))
    one(client, b"FETCH 1 BODY.PEEK[TEXT]<6.4>", 1, b"BODY[TEXT]<6> " + lit(b"Demo"))
    # Past the end: empty; reaching past the end: what there is.
    one(client, b"FETCH 1 BODY.PEEK[]<1000.10>", 1, b"BODY[]<1000> {0}\r\n")
    one(client, b"FETCH 1 BODY.PEEK[]<470.100>", 1, b"BODY[]<470> " + lit(b"lice\r\n"))


def test_rfc822_items(client: Client) -> None:
    one(client, b"FETCH 1 RFC822.HEADER", 1, b"RFC822.HEADER " + lit(HEADER_1))
    # Message 1 is already \Seen: no FLAGS added.
    one(client, b"FETCH 1 RFC822.TEXT", 1, b"RFC822.TEXT " + lit(BODY_1))
    one(client, b"FETCH 1 RFC822", 1, b"RFC822 " + lit(_inbox(1)))


def test_macros(client: Client) -> None:
    """RFC 3501 6.4.5: ALL, FAST and FULL."""
    fast = b'FLAGS (\\Seen \\Recent) INTERNALDATE " 3-Mar-2025 09:15:00 +0100" RFC822.SIZE 476'
    one(client, b"FETCH 1 FAST", 1, fast)
    one(client, b"FETCH 1 ALL", 1, fast + b" ENVELOPE " + ENVELOPE_1)
    one(client, b"FETCH 1 FULL", 1, fast + b" ENVELOPE " + ENVELOPE_1 + b" BODY " + STRUCTURE_1)


def test_uid_fetch_all_keeps_the_macro() -> None:
    """Seed defect: ``UID FETCH n ALL`` dropped the macro's items.

    RFC 3501 6.4.8: UID FETCH returns the same items plus UID.
    """
    c = Client(IMAPServer(demo_backend(), clock=fixed_clock()))
    c(b"a LOGIN demo demo")
    c(b"b EXAMINE INBOX")  # EXAMINE never claims \Recent (RFC 3501 6.3.2)
    assert c(b"t UID FETCH 1 ALL") == (
        b'* 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE " 3-Mar-2025 09:15:00 +0100" '
        b"RFC822.SIZE 476 ENVELOPE " + ENVELOPE_1 + b")\r\nt OK FETCH completed\r\n"
    )


def test_uid_fetch_includes_uid_and_names_uids(client: Client) -> None:
    one(client, b"UID FETCH 3 FLAGS", 3, b"UID 3 FLAGS ($Work \\Answered \\Seen \\Recent)")
    one(client, b"UID FETCH 3 (FLAGS UID)", 3, b"FLAGS ($Work \\Answered \\Seen \\Recent) UID 3")
    # RFC 3501 6.4.8: UIDs that do not exist are ignored.
    assert client(b"t UID FETCH 100:200 FLAGS") == b"t OK FETCH completed\r\n"


def test_binary_decodes_quoted_printable(client: Client) -> None:
    """RFC 3516 4.2: BINARY[1] is the part with its transfer encoding undone."""
    text = (
        "Hallo Bob,\r\n\r\nanbei die Unterlagen für das Treffen am Dienstag. Die Räume sind "
        "gebucht, der Beamer ist reserviert und das Mittagessen ist bestellt — alles "
        "erledigt!\r\n\r\nViele Grüße\r\nAndré\r\n"
    ).encode()
    one(
        client,
        b"FETCH 5 (BINARY.SIZE[1] BINARY.PEEK[1])",
        5,
        b"BINARY.SIZE[1] %d BINARY[1] " % len(text) + lit(text),
    )
    one(client, b"FETCH 5 BINARY.PEEK[1]<6.3>", 5, b"BINARY[1]<6> " + lit(b"Bob"))


def test_binary_with_nul_is_a_literal8(client: Client) -> None:
    png = base64.b64decode(
        b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    assert b"\x00" in png
    one(
        client,
        b"FETCH 7 (BINARY.PEEK[2] BINARY.SIZE[2])",
        7,
        b"BINARY[2] ~{%d}\r\n" % len(png) + png + b" BINARY.SIZE[2] %d" % len(png),
    )


def test_binary_of_the_whole_message_is_the_stored_bytes(client: Client) -> None:
    one(client, b"FETCH 1 BINARY.PEEK[]", 1, b"BINARY[] " + lit(_inbox(1)))


def test_binary_unknown_transfer_encoding_is_no_unknown_cte() -> None:
    """RFC 3516 4.3: ``NO [UNKNOWN-CTE]``."""
    backend = MemoryBackend(users={"u": "p"})
    backend.account("u").append(
        "INBOX",
        b"Subject: x\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n",
        internal_date=datetime(2025, 1, 1, tzinfo=UTC),
    )
    c = Client(IMAPServer(backend, clock=fixed_clock()))
    c(b"a LOGIN u p")
    c(b"b SELECT INBOX")
    reply = c(b"t FETCH 1 BINARY.PEEK[1]")
    assert reply.startswith(b"t NO [UNKNOWN-CTE] ")
    assert c(b"t FETCH 1 BINARY.SIZE[1]").startswith(b"t NO [UNKNOWN-CTE] ")


def test_modseq_item(client: Client) -> None:
    """RFC 7162 3.1.4.2: MODSEQ (n), the backend's per-message mod-sequence;
    3.1: as the first CONDSTORE enabling command, HIGHESTMODSEQ comes first."""
    mailbox = demo_backend().account("demo").select("INBOX")
    modseq = {m.uid: m.modseq for m in mailbox.messages()}
    assert client(b"t FETCH 2 (MODSEQ)") == (
        b"* OK [HIGHESTMODSEQ %d] Highest\r\n" % max(modseq.values())
        + b"* 2 FETCH (MODSEQ (%d))\r\nt OK FETCH completed\r\n" % modseq[2]
    )
    one(client, b"FETCH 2 (MODSEQ)", 2, b"MODSEQ (%d)" % modseq[2])


def test_changedsince_selects_changed_messages_and_adds_modseq(client: Client) -> None:
    """RFC 7162 3.1.4.1: only messages with a greater modseq; MODSEQ implied."""
    first = client(b"m FETCH 1:7 (MODSEQ)")
    highest = max(int(x) for x in first.split(b"MODSEQ (")[1:] for x in [x.split(b")")[0]])
    # FETCH MODSEQ made the client CONDSTORE-aware (RFC 7162 3.1, 3.1.3).
    assert client(b"s STORE 3 +FLAGS.SILENT (\\Flagged)") == (
        b"* 3 FETCH (MODSEQ (%d))\r\ns OK STORE completed\r\n" % (highest + 1)
    )
    reply = client(b"t FETCH 1:7 (FLAGS) (CHANGEDSINCE %d)" % highest)
    assert reply == (
        b"* 3 FETCH (MODSEQ (%d) FLAGS ($Work \\Answered \\Flagged \\Seen \\Recent))\r\n"
        % (highest + 1)
        + b"t OK FETCH completed\r\n"
    )


@pytest.mark.parametrize(
    "command",
    [b"FETCH 1 (FOO)", b"FETCH 1 FOO", b"FETCH 1 (FLAGS FOO)", b"FETCH 1 ()"],
)
def test_unknown_fetch_items_are_bad(client: Client, command: bytes) -> None:
    """Seed defect: unknown items answered ``* 1 FETCH ()``; the grammar says BAD."""
    reply = client(b"t " + command)
    assert reply.startswith(b"t BAD ")
    assert b"FETCH" not in reply.split(b"t BAD", 1)[0]


def test_items_of_unadvertised_extensions_are_bad(client: Client) -> None:
    assert client(b"t FETCH 1 SAVEDATE") == (
        b"t BAD [CLIENTBUG] FETCH SAVEDATE is not supported\r\n"
    )


def test_sequence_number_zero_is_bad(client: Client) -> None:
    """Seed defect: 0 was taken as the last message (RFC 3501 9: nz-number)."""
    for command in (
        b"FETCH 0 FLAGS",
        b"FETCH 0:2 FLAGS",
        b"STORE 0 +FLAGS (\\Seen)",
        b"COPY 0 Trash",
    ):
        reply = client(b"t " + command)
        assert reply.startswith(b"t BAD "), command
        assert b"* " not in reply


def test_sequence_number_beyond_the_mailbox_is_bad(client: Client) -> None:
    assert client(b"t FETCH 8 FLAGS").startswith(b"t BAD ")


def test_sections_are_slices_of_the_stored_bytes() -> None:
    """Large bodies are written without copies: the sections are memoryviews
    of the one stored ``bytes`` (the encoder writes them as they are)."""
    data = _inbox(3)
    message = Message(data)
    whole = _section_data(message, Section())
    assert whole is message.data
    for section in (Section(part=(2,)), Section(text="TEXT"), Section(part=(1,), text="MIME")):
        part = _section_data(message, section)
        assert isinstance(part, memoryview) and part.obj is message.data
        assert bytes(part) == message.section(section.part, section.text)
