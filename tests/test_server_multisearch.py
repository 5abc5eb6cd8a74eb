"""MULTISEARCH (RFC 7377): ESEARCH over several mailboxes, exact bytes.

The RFC 7377 3 example runs over mailboxes built to hold what it shows
(their UIDVALIDITYs and UIDs).  The RFC's server ran the two pipelined
commands in parallel and interleaved their answers; this one runs them in
order (RFC 7377 2.1 allows either), so each command's ESEARCH lines are the
RFC's, in the RFC's order for that command, and come before its tagged OK;
the tagged texts ("done" in the RFC) are the server's own.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend, Session
from imap_sansio.testing import fixed_clock, play

DATE = datetime(2014, 10, 1, tzinfo=UTC)
SEEN = frozenset({"\\Seen"})


def add_mailbox(
    backend: MemoryBackend, name: str, uidvalidity: int, messages: list[tuple[int, bool, str]]
) -> None:
    """Mailbox ``name`` with this UIDVALIDITY and messages (UID, seen, subject)."""
    account = backend.account("alice")
    if name != "INBOX":
        account.create_mailbox(name)
    store = account._existing(name)
    store.uidvalidity = uidvalidity
    for uid, seen, subject in sorted(messages):
        store.uidnext = uid
        data = b"Subject: " + subject.encode() + b"\r\n\r\nbody\r\n"
        store.add(data, SEEN if seen else frozenset(), DATE, store.bump())


def rfc_server() -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret"})
    folder1 = [(uid, False, "hello") for uid in (4001, 4003, 4005, 4007, 4009)]
    folder1 += [(uid, True, "chad") for uid in (3001, 3002, 3003, 3004, 3788)]
    folder1 += [(4002, True, "other")]
    add_mailbox(backend, "folder1", 1, folder1)
    add_mailbox(backend, "folder2", 7, [(1, True, "nothing")])
    add_mailbox(backend, "folder2/banana", 503, [(3002, False, "b"), (4004, False, "b")])
    add_mailbox(backend, "folder2/peach", 3, [(921691, False, "p"), (921692, True, "p")])
    salmon = [(uid, True, "chad") for uid in (50003, 50006, 50009, 50012)]
    add_mailbox(backend, "folder2/salmon", 1111111, salmon)
    add_mailbox(backend, "folder2/salmon/deep", 9, [(5, False, "chad")])
    return IMAPServer(backend, clock=fixed_clock())


LOGIN = """
    C: a LOGIN alice secret
    S: a OK $ANY
"""


def test_rfc7377_3_example() -> None:
    play(
        rfc_server(),
        LOGIN
        + """
        C: tag1 ESEARCH IN (mailboxes "folder1" subtree "folder2") unseen
        C: tag2 ESEARCH IN (mailboxes "folder1" subtree-one "folder2") subject "chad"
        S: * ESEARCH (TAG "tag1" MAILBOX "folder1" UIDVALIDITY 1) UID ALL 4001,4003,4005,4007,4009
        S: * ESEARCH (TAG "tag1" MAILBOX "folder2/banana" UIDVALIDITY 503) UID ALL 3002,4004
        S: * ESEARCH (TAG "tag1" MAILBOX "folder2/peach" UIDVALIDITY 3) UID ALL 921691
        S: * ESEARCH (TAG "tag1" MAILBOX "folder2/salmon/deep" UIDVALIDITY 9) UID ALL 5
        S: tag1 OK $ANY
        S: * ESEARCH (TAG "tag2" MAILBOX "folder1" UIDVALIDITY 1) UID ALL 3001:3004,3788
        S: * ESEARCH (TAG "tag2" MAILBOX "folder2/salmon" UIDVALIDITY 1111111) UID ALL 50003,50006,50009,50012
        S: tag2 OK $ANY
        """,  # noqa: E501
    )


def test_multisearch_is_advertised() -> None:
    play(rfc_server(), "C: a LOGIN alice secret\nS: a OK [CAPABILITY $ANY MULTISEARCH$ANY] $ANY")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # 2.1: result options apply per mailbox; no response where nothing matched.
        (
            'ESEARCH IN (subtree "folder2") RETURN (MIN MAX COUNT) unseen',
            [
                '(TAG "t" MAILBOX "folder2/banana" UIDVALIDITY 503) UID MIN 3002 MAX 4004 COUNT 2',
                '(TAG "t" MAILBOX "folder2/peach" UIDVALIDITY 3) UID MIN 921691 MAX 921691 COUNT 1',
                '(TAG "t" MAILBOX "folder2/salmon/deep" UIDVALIDITY 9) UID MIN 5 MAX 5 COUNT 1',
            ],
        ),
        # PARTIAL (RFC 9394, RFC 7377 2.2) per mailbox.
        (
            "ESEARCH IN (mailboxes folder1) RETURN (PARTIAL -1:-2) unseen",
            ['(TAG "t" MAILBOX "folder1" UIDVALIDITY 1) UID PARTIAL (-1:-2 4007,4009)'],
        ),
        # Mailboxes that do not exist are left out, as unreadable ones must be (2.2, 5).
        (
            'ESEARCH IN (mailboxes (nosuch "folder2/peach")) unseen',
            [
                '(TAG "t" MAILBOX "folder2/peach" UIDVALIDITY 3) UID ALL 921691',
            ],
        ),
        # personal: every mailbox; a mailbox named twice is searched once.
        (
            "ESEARCH IN (personal mailboxes folder1) subject chad",
            [
                '(TAG "t" MAILBOX "folder1" UIDVALIDITY 1) UID ALL 3001:3004,3788',
                '(TAG "t" MAILBOX "folder2/salmon" UIDVALIDITY 1111111) UID ALL 50003,50006,50009,50012',  # noqa: E501
                '(TAG "t" MAILBOX "folder2/salmon/deep" UIDVALIDITY 9) UID ALL 5',
            ],
        ),
        # inboxes: INBOX (empty here: no response).
        ("ESEARCH IN (inboxes) ALL", []),
        # Message numbers count in each mailbox.
        (
            'ESEARCH IN (mailboxes "folder2/peach") 2',
            ['(TAG "t" MAILBOX "folder2/peach" UIDVALIDITY 3) UID ALL 921692'],
        ),
    ],
)
def test_source_options_and_result_options(command: str, expected: list[str]) -> None:
    lines = "".join(f"S: * ESEARCH {line}\n" for line in expected)
    play(rfc_server(), LOGIN + f"C: t {command}\n{lines}S: t OK ESEARCH completed\n")


def test_subscribed_source() -> None:
    play(
        rfc_server(),
        LOGIN
        + """
        C: s SUBSCRIBE "folder2/banana"
        S: s OK $ANY
        C: s SUBSCRIBE "gone"
        S: s OK $ANY
        C: t ESEARCH IN (subscribed) RETURN (COUNT) ALL
        S: * ESEARCH (TAG "t" MAILBOX "folder2/banana" UIDVALIDITY 503) UID COUNT 2
        S: t OK ESEARCH completed
        """,
    )


def test_selected_source_and_the_default() -> None:
    # 2.1: always UIDs, with the correlators, also for the selected mailbox;
    # 2.2: no source options means "selected".
    play(
        rfc_server(),
        LOGIN
        + """
        C: s EXAMINE folder1
        S: * FLAGS $ANY
        S: * 11 EXISTS
        S: * 11 RECENT
        S: * OK [UNSEEN $NUMBER] $ANY
        S: * OK [UIDVALIDITY 1] $ANY
        S: * OK [UIDNEXT $NUMBER] $ANY
        S: * OK [PERMANENTFLAGS ()] $ANY
        S: s OK [READ-ONLY] EXAMINE completed
        C: t ESEARCH 1:2
        S: * ESEARCH (TAG "t" MAILBOX "folder1" UIDVALIDITY 1) UID ALL 3001:3002
        S: t OK ESEARCH completed
        C: u UID ESEARCH IN (selected) RETURN (COUNT) unseen
        S: * ESEARCH (TAG "u" MAILBOX "folder1" UIDVALIDITY 1) UID COUNT 5
        S: u OK ESEARCH completed
        C: v ESEARCH RETURN (SAVE) subject chad
        S: v OK $ANY
        C: w UID SEARCH UID $
        S: * SEARCH 3001 3002 3003 3004 3788
        S: w OK SEARCH completed
        """,
    )


@pytest.mark.parametrize(
    "command",
    [
        # 2.2: "selected" (also by default) needs the selected state.
        "t ESEARCH ALL",
        "t ESEARCH IN (selected) ALL",
        # 2.2: SAVE only with "selected" as the sole source.
        "t ESEARCH IN (personal) RETURN (SAVE) ALL",
        # RFC 9394 3.1: PARTIAL and ALL together.
        "t ESEARCH IN (personal) RETURN (ALL PARTIAL 1:2) ALL",
        # Not in the grammar: selected-delayed (RFC 7377 4), scope options.
        "t ESEARCH IN (selected-delayed) ALL",
        "t ESEARCH IN (personal (depth 1)) ALL",
    ],
)
def test_bad_esearch(command: str) -> None:
    play(rfc_server(), LOGIN + f"C: {command}\nS: t BAD $ANY\n")


def _answer(session: Session, command: bytes) -> tuple[bytes, int]:
    session.receive_data(command)
    out, calls = session.data_to_send(), 1
    while session.output_held:
        session.pump()
        out += session.data_to_send()
        calls += 1
    return out, calls


def test_a_search_of_many_mailboxes_runs_in_steps() -> None:
    # With steps_per_call (the adapters set it) the command returns between
    # steps, so other sessions are served meanwhile; the answer is the same.
    answers = []
    for steps in (None, 2):
        server = rfc_server()
        server.steps_per_call = steps
        session = server.connect()
        session.receive_data(b"a LOGIN alice secret\r\n")
        session.data_to_send()
        answers.append(_answer(session, b"t ESEARCH IN (personal) BODY body\r\n"))
    (whole, calls_whole), (stepped, calls_stepped) = answers
    assert whole == stepped
    assert whole.endswith(b"t OK ESEARCH completed\r\n")
    assert whole.count(b"* ESEARCH") == 6
    assert calls_whole == 1
    assert calls_stepped > 3


def test_esearch_after_enable_uidonly() -> None:
    # RFC 9586 3: only message numbers are refused; ESEARCH answers in UIDs.
    play(
        rfc_server(),
        LOGIN
        + """
        C: e ENABLE UIDONLY
        S: * ENABLED UIDONLY
        S: e OK $ANY
        C: t ESEARCH IN (mailboxes "folder2/peach") unseen
        S: * ESEARCH (TAG "t" MAILBOX "folder2/peach" UIDVALIDITY 3) UID ALL 921691
        S: t OK ESEARCH completed
        C: u ESEARCH IN (mailboxes "folder2/peach") 1
        S: u BAD [UIDREQUIRED] $ANY
        """,
    )


def test_rfc7377_2_a_rolling_window_beyond_the_end_is_no_error() -> None:
    # RFC 7377 2: "C: tag1 UID ESEARCH FROM "frobozz" 1:100 ... followed later
    # by this: C: tag1 UID ESEARCH FROM "frobozz" 101:200"; "whether the
    # mailbox contains 50, 150, or 250 messages, neither of the search
    # commands shown will result in an error".  Here: 150 messages, every
    # tenth from frobozz.
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    for n in range(1, 151):
        sender = b"frobozz@example.com" if n % 10 == 0 else b"other@example.com"
        account.append("INBOX", b"From: " + sender + b"\r\n\r\nbody\r\n", internal_date=DATE)
    play(
        IMAPServer(backend, clock=fixed_clock()),
        LOGIN
        + """
        C: s SELECT INBOX
        S: $ANY
        S: * 150 EXISTS
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: $ANY
        S: s OK [READ-WRITE] SELECT completed
        # 2.1: "Each ESEARCH response MUST contain the MAILBOX, TAG, and
        # UIDVALIDITY correlators"; none "for mailboxes that contain no
        # matching messages".
        C: tag1 UID ESEARCH FROM "frobozz" 1:100
        S: * ESEARCH (TAG "tag1" MAILBOX "INBOX" UIDVALIDITY $V) UID ALL 10,20,30,40,50,60,70,80,90,100
        S: tag1 OK $ANY
        C: tag1 UID ESEARCH FROM "frobozz" 101:200
        S: * ESEARCH (TAG "tag1" MAILBOX "INBOX" UIDVALIDITY $V) UID ALL 110,120,130,140,150
        S: tag1 OK $ANY
        C: tag1 UID ESEARCH FROM "frobozz" 201:300
        S: tag1 OK $ANY
        """,  # noqa: E501
    )
