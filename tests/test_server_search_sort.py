"""SORT (RFC 5256 3, RFC 5957) and THREAD (RFC 5256 3), exact bytes.

Over the fixture of test_server_search_keys (sequence numbers 1-5 are
UIDs 2-6):

=== ===================== ======================= ===== ====================
seq From (mailbox/display) To (mailbox/display)    Cc    sent date (UTC)
=== ===================== ======================= ===== ====================
1   alice / Alice Example bob / bob@example.com   carol 5 Mar 08:00
2   joerg / Jörg Straßer  alice / Alice Example         7 Mar 04:30
3   bob / Bob             alice / alice@example.org     none: 8 Mar 12:00
4   carol / carol@...     the group "friends"           7 Mar 08:00
5   alice / Alice Example (none)                        none: 10 Mar 12:00
=== ===================== ======================= ===== ====================

Base subjects: 1, 3 and 4 "Meeting tomorrow" (4 is "[list] Fwd: meeting
TOMORROW"), 2 "Grüße aus Köln", 5 "header only".  Sizes: 213, 325, 581,
1296, 65 octets; arrival in sequence order.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_server_search_keys import MESSAGES, connect, make_backend, run

from imap_sansio.server import IMAPServer, MemoryBackend, Session, _sort_keys
from imap_sansio.server._search import drain
from imap_sansio.testing import fixed_clock


@pytest.fixture(autouse=True, params=["one sort", "runs of two merged"])
def sort_chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SORT and THREAD here also runs with the sort split into runs of
    two messages merged step by step (what a big mailbox gets)."""
    if request.param == "runs of two merged":
        monkeypatch.setattr(_sort_keys, "SORT_CHUNK", 2)


@given(st.lists(st.tuples(st.integers(0, 5), st.integers()), max_size=40))
def test_sorted_steps_is_a_stable_sort(pairs: list[tuple[int, int]]) -> None:
    # Ties (equal first elements) keep their order, as with sorted().
    assert drain(_sort_keys.sorted_steps(pairs, lambda pair: pair[0])) == sorted(
        pairs, key=lambda pair: pair[0]
    )


@pytest.fixture
def session() -> Session:
    return connect(make_backend())


def test_fixture_sizes() -> None:
    assert [len(data) for data, _, _ in MESSAGES] == [213, 325, 581, 1296, 65]


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("ARRIVAL", "1 2 3 4 5"),
        ("REVERSE ARRIVAL", "5 4 3 2 1"),
        # RFC 5256 2.2: the Date: header in UTC, else the internal date.
        ("DATE", "1 2 4 3 5"),
        ("REVERSE DATE", "5 3 4 2 1"),
        ("SIZE", "5 1 2 3 4"),
        ("REVERSE SIZE", "4 3 2 1 5"),
        # Base subjects (RFC 5256 2.1), compared case-insensitively.
        ("SUBJECT", "2 5 1 3 4"),
        # REVERSE does not reverse the implicit sequence-number tie-break.
        ("REVERSE SUBJECT", "1 3 4 5 2"),
        ("SUBJECT REVERSE DATE", "2 5 3 4 1"),
        ("SUBJECT SIZE", "2 5 1 3 4"),
        # addr-mailbox of the first address; absent is "" and sorts first.
        ("FROM", "1 5 3 4 2"),
        ("TO", "5 2 3 1 4"),
        ("CC", "2 3 4 5 1"),
        ("REVERSE CC", "1 2 3 4 5"),
        ("FROM REVERSE SIZE", "1 5 3 4 2"),
        ("FROM REVERSE ARRIVAL", "5 1 3 4 2"),
        # RFC 5957: the display name, else the address.
        ("DISPLAYFROM", "1 5 3 4 2"),
        ("DISPLAYTO", "5 2 3 1 4"),
    ],
)
def test_sort_criteria(session: Session, program: str, expected: str) -> None:
    out = run(session, f"A SORT ({program}) UTF-8 ALL".encode())
    assert out == f"* SORT {expected}\r\nA OK SORT completed\r\n".encode()


def test_uid_sort_answers_uids_and_searches_first(session: Session) -> None:
    assert run(session, b"A UID SORT (DATE) US-ASCII ALL") == (
        b"* SORT 2 3 5 4 6\r\nA OK SORT completed\r\n"
    )
    assert run(session, b"A SORT (REVERSE ARRIVAL) US-ASCII UNSEEN") == (
        b"* SORT 4 3 2\r\nA OK SORT completed\r\n"
    )


def test_rfc5256_sort_examples(session: Session) -> None:
    assert run(session, b"A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994") == (
        b"* SORT 2 5 1 3 4\r\nA282 OK SORT completed\r\n"
    )
    assert run(session, b"A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL") == (
        b"* SORT 2 5 3 4 1\r\nA283 OK SORT completed\r\n"
    )
    assert run(session, b'A284 SORT (SUBJECT) US-ASCII TEXT "not in mailbox"') == (
        b"* SORT\r\nA284 OK SORT completed\r\n"
    )


def test_sort_with_an_unsupported_charset_is_no_badcharset(session: Session) -> None:
    assert run(session, b"A SORT (ARRIVAL) KOI8-R ALL") == (
        b"A NO [BADCHARSET (US-ASCII UTF-8)] KOI8-R is not supported\r\n"
    )
    assert run(session, b"A THREAD ORDEREDSUBJECT KOI8-R ALL") == (
        b"A NO [BADCHARSET (US-ASCII UTF-8)] KOI8-R is not supported\r\n"
    )


# ---------------------------------------------------------------- THREAD


def test_thread_orderedsubject(session: Session) -> None:
    # Grouped by base subject, each group by sent date; groups by the sent
    # date of their first message; later messages are children of the first.
    assert run(session, b"A THREAD ORDEREDSUBJECT UTF-8 ALL") == (
        b"* THREAD (1 (4)(3))(2)(5)\r\nA OK THREAD completed\r\n"
    )
    assert run(session, b"A THREAD ORDEREDSUBJECT UTF-8 NOT 4") == (
        b"* THREAD (1 3)(2)(5)\r\nA OK THREAD completed\r\n"
    )
    assert run(session, b"A UID THREAD ORDEREDSUBJECT UTF-8 ALL") == (
        b"* THREAD (2 (5)(4))(3)(6)\r\nA OK THREAD completed\r\n"
    )


def test_rfc5256_thread_examples_with_no_match(session: Session) -> None:
    assert run(session, b'A284 THREAD ORDEREDSUBJECT US-ASCII TEXT "gewp"') == (
        b"* THREAD\r\nA284 OK THREAD completed\r\n"
    )
    assert run(session, b'A285 THREAD REFERENCES US-ASCII TEXT "gewp"') == (
        b"* THREAD\r\nA285 OK THREAD completed\r\n"
    )


def test_thread_references_merges_replies_by_subject(session: Session) -> None:
    # No references here: step 5 makes the replies/forwards (3, 4) children
    # of the message that is not one (1); step 6 orders them by sent date.
    assert run(session, b"A THREAD REFERENCES UTF-8 ALL") == (
        b"* THREAD (1 (4)(3))(2)(5)\r\nA OK THREAD completed\r\n"
    )


def _reference_backend(specs: list[tuple[int, str, str, list[str]]]) -> MemoryBackend:
    """Messages at given UIDs: (uid, subject, own id, references), dated in list order."""
    backend = MemoryBackend(users={"user": "pass"})
    account = backend.account("user")
    when = datetime(2008, 1, 1, tzinfo=UTC)
    by_uid = {uid: (subject, mid, refs) for uid, subject, mid, refs in specs}
    order = [uid for uid, _, _, _ in specs]
    for uid in range(1, max(by_uid) + 1):
        if uid not in by_uid:
            filler = b"Subject: filler\r\n\r\n"
            account.append("INBOX", filler, flags=("\\Deleted",), internal_date=when)
            continue
        subject, mid, refs = by_uid[uid]
        minute = order.index(uid)
        header = (
            f"Subject: {subject}\r\nMessage-ID: <{mid}@example.org>\r\n"
            f"Date: Tue, 1 Jan 2008 10:{minute:02d}:00 +0000\r\n"
        )
        if refs:
            header += "References: " + " ".join(f"<{r}@example.org>" for r in refs) + "\r\n"
        account.append("INBOX", (header + "\r\nbody\r\n").encode(), internal_date=when)
    account.select("INBOX").expunge()
    return backend


def test_rfc5256_thread_response_example_by_references() -> None:
    # RFC 5256 4: "* THREAD (2)(3 6 (4 23)(44 7 96))": 3 -> 6 -> {4 -> 23,
    # 44 -> 7 -> 96}, with UIDs as the numbers (UID THREAD).
    backend = _reference_backend(
        [
            (2, "Lunch", "m2", []),
            (3, "Plans", "m3", []),
            (6, "Re: Plans", "m6", ["m3"]),
            (4, "Re: Plans", "m4", ["m3", "m6"]),
            (23, "Re: Plans", "m23", ["m3", "m6", "m4"]),
            (44, "Re: Plans", "m44", ["m3", "m6"]),
            (7, "Re: Plans", "m7", ["m3", "m6", "m44"]),
            (96, "Re: Plans", "m96", ["m3", "m6", "m44", "m7"]),
        ]
    )
    session = connect(backend)
    assert run(session, b"A UID THREAD REFERENCES UTF-8 ALL") == (
        b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\nA OK THREAD completed\r\n"
    )


def test_rfc5256_thread_siblings_of_a_missing_parent() -> None:
    # RFC 5256 4: "* THREAD ((3)(5))": 3 and 5 share a parent that is not there.
    backend = _reference_backend(
        [
            (3, "Re: Topic", "m3", ["gone"]),
            (5, "Re: Topic", "m5", ["gone"]),
        ]
    )
    session = connect(backend)
    assert run(session, b"A UID THREAD REFERENCES UTF-8 ALL") == (
        b"* THREAD ((3)(5))\r\nA OK THREAD completed\r\n"
    )
    # A missing parent with one child: the child is promoted to the root.
    assert run(session, b"A UID THREAD REFERENCES UTF-8 UID 5") == (
        b"* THREAD (5)\r\nA OK THREAD completed\r\n"
    )


def test_thread_references_normalises_quoted_message_ids() -> None:
    # RFC 5256 3: <"01KF8JCEOCBS0045PS"@xxx.yyy.com> is <01KF8JCEOCBS0045PS@xxx.yyy.com>.
    backend = MemoryBackend(users={"user": "pass"})
    account = backend.account("user")
    when = datetime(2008, 1, 1, tzinfo=UTC)
    account.append(
        "INBOX",
        b"Subject: a\r\nMessage-ID: <01KF8JCEOCBS0045PS@xxx.yyy.com>\r\n"
        b"Date: Tue, 1 Jan 2008 10:00:00 +0000\r\n\r\nx\r\n",
        internal_date=when,
    )
    account.append(
        "INBOX",
        b'Subject: b\r\nIn-Reply-To: <"01KF8JCEOCBS0045PS"@xxx.yyy.com>\r\n'
        b"Date: Tue, 1 Jan 2008 11:00:00 +0000\r\n\r\nx\r\n",
        internal_date=when,
    )
    session = connect(backend)
    assert run(session, b"A THREAD REFERENCES UTF-8 ALL") == (
        b"* THREAD (1 2)\r\nA OK THREAD completed\r\n"
    )


def test_unknown_threading_algorithm_is_refused(session: Session) -> None:
    assert run(session, b"A THREAD REFS UTF-8 ALL").startswith(b"A BAD ")


def test_sort_is_not_available_before_select() -> None:
    session = IMAPServer(make_backend(), clock=fixed_clock()).connect()
    session.data_to_send()
    run(session, b"L LOGIN user pass")
    assert run(session, b"A SORT (ARRIVAL) UTF-8 ALL").startswith(b"A BAD ")
