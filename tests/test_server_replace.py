"""REPLACE and UID REPLACE (RFC 8508), with the RFC's examples byte for byte.

RFC 8508 3.2 and 3.3 replace draft 4 of Drafts, whose next UID is 2000;
4.2 appends a draft and replaces it with CATENATE.
The examples show no RECENT, so the session speaks IMAP4rev2 (which has
none, RFC 9051 appendix E); an IMAP4rev1 session gets ``* 5 RECENT`` after
the EXISTS as for any APPEND to the selected mailbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from imap_sansio.adapters.maildir import MaildirBackend
from imap_sansio.adapters.spool import temporary_file_sink

from imap_sansio import Config, Limits
from imap_sansio._parser import ParseError, parse_command
from imap_sansio.commands import STAR, AppendMessage, Replace, SequenceSet, UidSet
from imap_sansio.server import (
    Account,
    IMAPServer,
    Mailbox,
    MemoryBackend,
    ReplaceMailbox,
    StoreAction,
)
from imap_sansio.testing import fixed_clock, play

DATE = datetime(2015, 1, 1, 5, 0, tzinfo=UTC)

A003 = """
    C: A003 REPLACE 4 Drafts (\\Seen \\Draft) {312}
    S: + Ready for literal data
    C: Date: Thu, 1 Jan 2015 00:05:00 -0500 (EST)
    C: From: Fritz Schmidt <fritz.ze@example.org>
    C: Subject: happy new year !!
    C: To: miss.mitzy@example.org
    C: Message-Id: <B238822388-0100000@example.org>
    C: MIME-Version: 1.0
    C: Content-Type: TEXT/PLAIN; CHARSET=US-ASCII
    C:
    C: Just saw the best fireworks show. Wish you were here.
    C:
    C:
"""

A004 = """
    C: A004 UID REPLACE 2000 Drafts (\\Seen \\Draft) {350}
    S: + Ready for literal data
    C: Date: Thu, 1 Jan 2015 00:06:00 -0500 (EST)
    C: From: Fritz Schmidt <fritz.ze@example.org>
    C: Subject: happy new year !!
    C: To: miss.mitzy@example.org
    C: Message-Id: <B238822389-0100000@example.org>
    C: MIME-Version: 1.0
    C: Content-Type: TEXT/PLAIN; CHARSET=US-ASCII
    C:
    C: Just saw the best fireworks show. Wish you were here.
    C: Hopefully next year you can join us.
    C:
    C:
"""


def _drafts(backend: MemoryBackend) -> None:
    """Drafts with four messages, UIDs 1996-1999 (UIDNEXT 2000)."""
    account = backend.account("alice")
    account.create_mailbox("Drafts")
    for n in range(1999):
        account.append("Drafts", b"Subject: draft %d\r\n\r\n." % n, internal_date=DATE)
    drafts = account.select("Drafts")
    drafts.store_flags(range(1, 1996), StoreAction.ADD, ["\\Deleted"])
    drafts.expunge()


def _server(**options: Any) -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret"}, **options)
    _drafts(backend)
    return IMAPServer(backend, clock=fixed_clock())


def _select(enable: str = "") -> str:
    enabled = f"C: e ENABLE {enable}\nS: * ENABLED $ANY\nS: e OK ENABLE completed\n"
    return (
        "C: l LOGIN alice secret\nS: l OK [CAPABILITY $ANY REPLACE $ANY] LOGIN completed\n"
        + (enabled if enable else "")
        + "C: s SELECT Drafts\n"
        # No RECENT with IMAP4rev2, no UNSEEN (a message number) with UIDONLY.
        + "S: $ANY\n" * ((6 if "IMAP4rev2" in enable else 7) - ("UIDONLY" in enable))
        + ('S: * LIST ($ANY) "/" Drafts\n' if "IMAP4rev2" in enable else "")
        + ("S: * OK [HIGHESTMODSEQ $NUMBER] Highest\n" if "QRESYNC" in enable else "")
        + "S: s OK [READ-WRITE] SELECT completed\n"
    )


def test_rfc8508_3_2_and_3_3_examples() -> None:
    # Deviation: UIDVALIDITY is the server's ($V), the RFC's is 1.
    play(
        _server(),
        _select("IMAP4rev2")
        + A003
        + """
        S: * OK [APPENDUID $UIDVALIDITY 2000] Replacement Message ready
        S: * 5 EXISTS
        S: * 4 EXPUNGE
        S: A003 OK Replace completed
        """
        + A004
        + """
        S: * OK [APPENDUID $UIDVALIDITY 2001] Replacement Message ready
        S: * 5 EXISTS
        S: * 4 EXPUNGE
        S: A004 OK Replace completed
        # RFC 8508 1: nothing is inherited from the replaced message.
        C: f UID FETCH 1:* (FLAGS)
        S: * 1 FETCH (UID 1996 FLAGS ())
        S: * 2 FETCH (UID 1997 FLAGS ())
        S: * 3 FETCH (UID 1998 FLAGS ())
        S: * 4 FETCH (UID 2001 FLAGS (\\Draft \\Seen))
        S: f OK FETCH completed
        """.replace("$UIDVALIDITY", "$V"),
    )


def test_an_imap4rev1_session_also_hears_recent() -> None:
    play(
        _server(),
        _select()
        + A003
        + """
        S: * OK [APPENDUID $V 2000] Replacement Message ready
        S: * 5 EXISTS
        S: * 5 RECENT
        S: * 4 EXPUNGE
        S: A003 OK Replace completed
        """,
    )


def test_with_qresync_the_old_message_vanishes_and_the_ok_has_highestmodseq() -> None:
    # RFC 8508 4.5: "as if it were being removed with a UID EXPUNGE
    # command" (RFC 7162 3.2.9, 3.2.10: VANISHED, HIGHESTMODSEQ in the OK).
    play(
        _server(),
        _select("IMAP4rev2 QRESYNC")
        + A003
        + """
        S: * OK [APPENDUID $V 2000] Replacement Message ready
        S: * 5 EXISTS
        S: * VANISHED 1999
        S: A003 OK [HIGHESTMODSEQ $NUMBER] Replace completed
        """,
    )


def test_with_uidonly_only_uid_replace_and_vanished() -> None:
    # RFC 9586 3: sequence numbers are refused; expunges are VANISHED.
    play(
        _server(),
        _select("IMAP4rev2 UIDONLY")
        + """
        # (The literal is read first: framing comes before the grammar.)
        C: r REPLACE 4 Drafts {5}
        S: + Ready for literal data
        C: hello
        S: r BAD [UIDREQUIRED] Message numbers are not allowed once UIDONLY is enabled
        C: u UID REPLACE 1999 Drafts {5}
        S: + Ready for literal data
        C: hello
        S: * OK [APPENDUID $V 2000] Replacement Message ready
        S: * 5 EXISTS
        S: * VANISHED 1999
        S: u OK Replace completed
        """,
    )


def test_replace_into_another_mailbox_and_trycreate() -> None:
    # RFC 8508 3.4: the named mailbox need not be the selected one; a
    # missing one is NO [TRYCREATE] as for APPEND, and nothing changes.
    play(
        _server(),
        _select("IMAP4rev2")
        + """
        C: a REPLACE 1 Sent {5}
        S: + Ready for literal data
        C: hello
        S: a NO [TRYCREATE] Mailbox does not exist
        C: b CREATE Sent
        S: b OK CREATE completed
        C: c REPLACE 1 Sent {5}
        S: + Ready for literal data
        C: hello
        S: * OK [APPENDUID $SENT 1] Replacement Message ready
        S: * 1 EXPUNGE
        S: c OK Replace completed
        C: d STATUS Sent (MESSAGES)
        S: * STATUS Sent (MESSAGES 1)
        S: d OK STATUS completed
        """,
    )


def test_errors_leave_everything_as_it_was() -> None:
    play(
        _server(),
        _select("IMAP4rev2")
        + """
        C: a REPLACE 5 Drafts {5}
        S: + Ready for literal data
        C: hello
        S: a BAD [CLIENTBUG] Invalid message sequence number: no message 5 (the mailbox has 4)
        C: b UID REPLACE 7 Drafts {5}
        S: + Ready for literal data
        C: hello
        S: b NO No such message to replace
        C: c REPLACE 1 Drafts (\\Recent) {5}
        S: + Ready for literal data
        C: hello
        S: c BAD Invalid system flag \\Recent
        C: d UID FETCH 1:* (UID)
        S: * 1 FETCH (UID 1996)
        S: * 2 FETCH (UID 1997)
        S: * 3 FETCH (UID 1998)
        S: * 4 FETCH (UID 1999)
        S: d OK FETCH completed
        C: e EXAMINE Drafts
        S: * OK [CLOSED] Previous mailbox closed
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: e OK [READ-ONLY] EXAMINE completed
        C: f REPLACE 1 Drafts {5}
        S: + Ready for literal data
        C: hello
        S: f NO [READ-ONLY] Mailbox is read-only
        C: g UNSELECT
        S: g OK UNSELECT completed
        C: h REPLACE 1 Drafts {5}
        S: h BAD [CLIENTBUG] REPLACE is not valid in the authenticated state
        """,
    )


def test_the_message_literal_has_the_append_limit_and_the_mailbox_literal_not() -> None:
    # A message over the 4 KiB limit of other literals is a message (RFC
    # 8508 3.4: as APPEND); the mailbox may be a literal itself.
    body = b"Subject: big\r\n\r\n" + b"x" * 10_000
    server = _server(max_message_size=20_000)
    session = server.connect()
    session.receive_data(b"l LOGIN alice secret\r\ns SELECT Drafts\r\n")
    session.data_to_send()
    session.receive_data(b"a REPLACE 4 {6}\r\n")
    assert session.data_to_send() == b"+ Ready for literal data\r\n"
    session.receive_data(b"Drafts {%d}\r\n" % len(body))
    assert session.data_to_send() == b"+ Ready for literal data\r\n"
    session.receive_data(body + b"\r\n")
    assert session.data_to_send().endswith(b"a OK Replace completed\r\n")
    big = b"x" * 30_000
    session.receive_data(b"b UID REPLACE 2000 Drafts {%d}\r\n" % len(big))
    assert session.data_to_send() == b"+ Ready for literal data\r\n"
    session.receive_data(big + b"\r\n")
    # RFC 7889 4 for APPEND, and so for REPLACE (RFC 8508 3.4).
    assert session.data_to_send() == b"b NO [TOOBIG] Message too large\r\n"


class _WithoutReplace:
    """A mailbox handle without ReplaceMailbox: the server's own steps.
    With ``failures``, the first EXPUNGE of a selected handle fails."""

    def __init__(self, inner: Mailbox, failures: list[str] | None = None) -> None:
        self._inner = inner
        self._failures = failures

    def __getattr__(self, name: str) -> Any:
        if name == "replace":
            raise AttributeError(name)
        if name == "expunge" and self._failures:
            self._failures.pop()
            raise RuntimeError("the disk is on fire")
        return getattr(self._inner, name)


class _Account:
    def __init__(self, inner: Account, fail_expunge: bool) -> None:
        self._inner = inner
        self._failures = ["once"] if fail_expunge else []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def select(self, name: str) -> _WithoutReplace:
        return _WithoutReplace(self._inner.select(name), self._failures)


class _Backend:
    def __init__(self, inner: MemoryBackend, fail_expunge: bool) -> None:
        self._inner = inner
        self._fail = fail_expunge

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def authenticate(self, *args: Any, **kwargs: Any) -> _Account:
        return _Account(self._inner.authenticate(*args, **kwargs), self._fail)


def _stepwise(fail_expunge: bool = False) -> tuple[IMAPServer, Callable[[], list[int]]]:
    backend = MemoryBackend(users={"alice": "secret"})
    _drafts(backend)
    server = IMAPServer(_Backend(backend, fail_expunge), clock=fixed_clock())

    def uids() -> list[int]:
        return [m.uid for m in backend.account("alice").select("Drafts").messages()]

    return server, uids


def test_a_store_without_replace_gets_the_same_answer() -> None:
    server, uids = _stepwise()
    inbox = MemoryBackend(users={"a": "b"}).account("a").select("INBOX")
    assert isinstance(inbox, ReplaceMailbox)
    assert not isinstance(_WithoutReplace(inbox), ReplaceMailbox)
    play(
        server,
        _select("IMAP4rev2")
        + A003
        + """
        S: * OK [APPENDUID $V 2000] Replacement Message ready
        S: * 5 EXISTS
        S: * 4 EXPUNGE
        S: A003 OK Replace completed
        """,
    )
    assert uids() == [1996, 1997, 1998, 2000]


def test_a_failed_expunge_takes_the_new_message_away_again() -> None:
    # RFC 8508 3.4: "MUST NOT leave the selected mailbox in an inconsistent state".
    server, uids = _stepwise(fail_expunge=True)
    play(
        server,
        _select("IMAP4rev2")
        + """
        C: a REPLACE 4 Drafts {5}
        S: + Ready for literal data
        C: hello
        # The flag set and taken back again is a change the session hears of.
        S: * 4 FETCH (FLAGS () UID 1999)
        S: a NO [SERVERBUG] Internal server error
        """,
    )
    assert uids() == [1996, 1997, 1998, 1999]


@pytest.mark.parametrize("command", [b"REPLACE 1 INBOX", b"UID REPLACE 1 INBOX {0+}"])
def test_the_grammar_wants_a_message(command: bytes) -> None:
    session = _server().connect()
    session.receive_data(b"l LOGIN alice secret\r\ns SELECT Drafts\r\n")
    session.data_to_send()
    session.receive_data(b"t " + command + b"\r\n" + (b"\r\n" if command.endswith(b"+}") else b""))
    assert session.data_to_send().startswith(b"t ")


def test_the_grammar_reads_the_rfc_examples_into_replace_events() -> None:
    # RFC 8508 5: replace = "REPLACE" SP seq-number SP mailbox append-message;
    # uid =/ "UID" SP replace.  The number is one message, or "*".
    assert parse_command(b"A003 REPLACE 4 Drafts (\\Seen \\Draft) {5}\r\nhello\r\n") == Replace(
        tag="A003",
        messages=SequenceSet(ranges=((4, 4),)),
        mailbox="Drafts",
        message=AppendMessage(flags=("\\Seen", "\\Draft"), data=b"hello"),
    )
    assert parse_command(
        b'A004 uid replace * "Drafts" "01-Jan-2015 18:50:53 +0100" ~{3}\r\na\x00c\r\n'
    ) == Replace(
        tag="A004",
        messages=UidSet(ranges=((STAR, STAR),)),
        mailbox="Drafts",
        message=AppendMessage(
            internal_date=datetime(2015, 1, 1, 17, 50, 53, tzinfo=UTC),
            data=b"a\x00c",
            binary=True,
        ),
        uid=True,
    )
    for bad in (b"t REPLACE 1:2 Drafts {0}\r\n\r\n", b"t REPLACE 0 Drafts {0}\r\n\r\n"):
        with pytest.raises(ParseError):
            parse_command(bad)


def test_a_big_replacement_spools_and_a_maildir_stores_it(tmp_path: Path) -> None:
    # The message literal goes to the spool like APPEND's (a file, not one
    # bytes object); MaildirMailbox.replace writes it from there.
    backend = MaildirBackend(tmp_path, users={"alice": "secret"}, fsync=False)
    account = backend.account("alice")
    account.append("INBOX", b"Subject: old\r\n\r\nold\r\n", internal_date=DATE)
    limits = Limits(spool_literal_above=100)
    config = Config(limits=limits, literal_sink_factory=temporary_file_sink)
    session = IMAPServer(backend, config=config, clock=fixed_clock()).connect()
    session.receive_data(b"l LOGIN alice secret\r\ns SELECT INBOX\r\n")
    assert session.data_to_send().endswith(b"s OK [READ-WRITE] SELECT completed\r\n")
    data = b"Subject: new\r\n\r\n" + b"0123456789\r\n" * 50
    session.receive_data(b"r UID REPLACE 1 {5+}\r\nINBOX {%d+}\r\n%s\r\n" % (len(data), data))
    assert session.data_to_send() == (
        b"* OK [APPENDUID %d 2] Replacement Message ready\r\n"
        b"* 2 EXISTS\r\n* 2 RECENT\r\n* 1 EXPUNGE\r\nr OK Replace completed\r\n"
        % account.select("INBOX").uidvalidity
    )
    inbox = account.select("INBOX")
    assert [m.uid for m in inbox.messages()] == [2]
    assert inbox.message_bytes(2) == data


# RFC 8508 4.2's example, A010 (the photo's base64 is elided in the RFC as
# "<large base64 encoded part goes here>"; ours fills the literal to the
# RFC's 1201534 bytes).
A010_HEAD = """\
Date: Thu, 1 Jan 2015 00:10:00 -0500 (EST)
From: Fritz Schmidt <fritz.ze@example.org>
Message-ID: <B238822388-0100003@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed;
        boundary="------------030305060306060609050804"

--------------030305060306060609050804
Content-Type: text/plain; charset=utf-8; format=flowed
Content-Transfer-Encoding: 7bit

Here is picture from the fireworks

Yours...
Fritz

--------------030305060306060609050804
Content-Type: image/jpeg;
        name="Fireworks.jpg"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
        filename="Fireworks.jpg"
"""
A010_TAIL = "\n\n--------------030305060306060609050804--\n"


def _a010_lines() -> list[str]:
    # Base64 lines of 76 characters (RFC 2045 6.8) and a shorter last one;
    # the last one's CRLF is the tail's first.
    photo = 1201534 - len((A010_HEAD + A010_TAIL).replace("\n", "\r\n")) + 2
    lines = ["A" * 76] * (photo // 78) + ["A" * (photo % 78 - 2)]
    literal = A010_HEAD + "\n".join(lines) + A010_TAIL
    assert len(literal.replace("\n", "\r\n")) == 1201534
    return literal.splitlines()


def test_rfc8508_4_2_example_append_then_uid_replace_with_catenate() -> None:
    # Drafts holds three messages, UIDs 2999-3001, so that the APPEND gets
    # UID 3002 and message number 4, as in the RFC.  Deviations from the RFC's
    # server lines: UIDVALIDITY is the server's ($V, the RFC has 1); the
    # APPEND to the selected mailbox is followed by "* 4 EXISTS", which the
    # RFC leaves out (RFC 9051 6.3.12: the server SHOULD notify the client);
    # the texts after the response codes are ours.
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    account.create_mailbox("Drafts")
    for n in range(3001):
        account.append("Drafts", b"Subject: draft %d\r\n\r\n." % n, internal_date=DATE)
    drafts = account.select("Drafts")
    drafts.store_flags(range(1, 2999), StoreAction.ADD, ["\\Deleted"])
    drafts.expunge()
    a010 = "\n".join("C: " + line for line in _a010_lines())
    play(
        IMAPServer(backend, clock=fixed_clock()),
        _select("IMAP4rev2")
        + """
        C: A010 APPEND Drafts (\\Seen \\Draft) {1201534}
        S: + Ready for literal data
        """
        + a010
        + """
        C:
        S: * 4 EXISTS
        S: A010 OK [APPENDUID $V 3002] APPEND completed
        C: A011 UID REPLACE 3002 Drafts CATENATE (TEXT {71}
        S: + Ready for literal data
        C: To: Mitzy <miss.mitzy@example.org>
        C: Subject: My view of the fireworks
        C:  URL "/Drafts/;UID=3002")
        S: * OK [APPENDUID $V 3003] Replacement Message ready
        S: * 5 EXISTS
        S: * 4 EXPUNGE
        S: A011 OK Replace completed
        C: f UID FETCH 3003 (FLAGS RFC822.SIZE)
        S: * 4 FETCH (UID 3003 FLAGS () RFC822.SIZE 1201605)
        S: f OK FETCH completed
        """,
    )
