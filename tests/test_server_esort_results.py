"""Extended SORT (ESORT, RFC 5267 3) and PARTIAL results (RFC 5267 4.4), exact bytes.

Over the fixture of test_server_search_keys (sequence numbers 1 to 5 are
UIDs 2 to 6; \\Deleted on 3).  Sort orders (test_server_search_sort):
DATE 1 2 4 3 5, REVERSE DATE 5 3 4 2 1, SIZE 5 1 2 3 4.

RFC 5267 3.1: MIN and MAX are the lowest and highest *sorted* messages
(the first and last in sort order), ALL lists the result in sort order and
COUNT is as in ESEARCH; 3.2: a range in a sort result stands for its
numbers in ascending order, the set is read in the order written.
"""

from __future__ import annotations

import pytest
from test_server_search_keys import connect, make_backend, run

from imap_sansio._encoder import encode_response
from imap_sansio._responses import ESearchData
from imap_sansio._sequence import SequenceSet, UidSet
from imap_sansio.server import IMAPServer, MemoryBackend, Session
from imap_sansio.testing import fixed_clock


@pytest.fixture
def session() -> Session:
    return connect(make_backend())


def ok(tag: bytes, *untagged: bytes) -> bytes:
    return b"".join(untagged) + tag + b" OK SORT completed\r\n"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # The imaptest "esort" script's four commands (arrival order).
        (b"A SORT RETURN (MIN) (ARRIVAL) US-ASCII 1:5", b'* ESEARCH (TAG "A") MIN 1\r\n'),
        (b"A SORT RETURN (MAX) (ARRIVAL) US-ASCII 1:5", b'* ESEARCH (TAG "A") MAX 5\r\n'),
        (b"A SORT RETURN (ALL) (ARRIVAL) US-ASCII 1:5", b'* ESEARCH (TAG "A") ALL 1:5\r\n'),
        (b"A SORT RETURN (COUNT) (ARRIVAL) US-ASCII 1:5", b'* ESEARCH (TAG "A") COUNT 5\r\n'),
        # MIN/MAX follow the sort order, not the numbers (RFC 5267 3.1).
        (
            b"A SORT RETURN (MIN MAX) (REVERSE DATE) UTF-8 ALL",
            b'* ESEARCH (TAG "A") MIN 5 MAX 1\r\n',
        ),
        (b"A SORT RETURN (MIN MAX) (SIZE) UTF-8 ALL", b'* ESEARCH (TAG "A") MIN 5 MAX 4\r\n'),
        # ALL in sort order: only ascending runs become ranges (RFC 5267 3.2).
        (b"A SORT RETURN (ALL) (REVERSE DATE) UTF-8 ALL", b'* ESEARCH (TAG "A") ALL 5,3:4,2,1\r\n'),
        (b"A SORT RETURN (ALL) (DATE) UTF-8 ALL", b'* ESEARCH (TAG "A") ALL 1:2,4,3,5\r\n'),
        (b"A SORT RETURN (ALL) (SIZE) UTF-8 UNDELETED", b'* ESEARCH (TAG "A") ALL 5,1:2,4\r\n'),
        # RETURN () means ALL (RFC 4731 3.1, which RFC 5267 3 extends to SORT).
        (b"A SORT RETURN () (SIZE) UTF-8 ALL", b'* ESEARCH (TAG "A") ALL 5,1:4\r\n'),
        (
            b"A SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 NOT 3",
            b'* ESEARCH (TAG "A") MIN 1 MAX 5 COUNT 4 ALL 1:2,4:5\r\n',
        ),
        # UID SORT answers UIDs, with the UID indicator (RFC 4731 3.1).
        (
            b"A UID SORT RETURN (ALL) (SIZE) UTF-8 ALL",
            b'* ESEARCH (TAG "A") UID ALL 6,2:5\r\n',
        ),
        (
            b"A UID SORT RETURN (MIN MAX COUNT) (REVERSE DATE) UTF-8 ALL",
            b'* ESEARCH (TAG "A") UID MIN 6 MAX 2 COUNT 5\r\n',
        ),
        # No match: MIN/MAX/ALL left out, COUNT 0 still given (RFC 4731 3.1).
        (b"A SORT RETURN (MIN MAX ALL) (DATE) UTF-8 1000", b'* ESEARCH (TAG "A")\r\n'),
        (b"A SORT RETURN (COUNT) (DATE) UTF-8 1000", b'* ESEARCH (TAG "A") COUNT 0\r\n'),
        (b"A UID SORT RETURN () (DATE) UTF-8 1000", b'* ESEARCH (TAG "A") UID\r\n'),
    ],
)
def test_esort_result_options(session: Session, command: bytes, expected: bytes) -> None:
    assert run(session, command) == ok(b"A", expected)


def test_sort_without_return_is_unchanged(session: Session) -> None:
    # RFC 5256 4: the SORT response when no RETURN is given.
    assert run(session, b"A SORT (REVERSE DATE) UTF-8 ALL") == ok(b"A", b"* SORT 5 3 4 2 1\r\n")


def test_esort_is_advertised() -> None:
    session = IMAPServer(MemoryBackend(users={"user": "pass"}), clock=fixed_clock()).connect()
    session.data_to_send()
    session.receive_data(b"C CAPABILITY\r\n")
    capabilities = session.data_to_send().split(b"\r\n")[0].split()
    assert b"ESORT" not in capabilities  # not before login
    session.receive_data(b"L LOGIN user pass\r\n")
    reply = session.data_to_send()
    assert reply.startswith(b"L OK [CAPABILITY ")
    assert b" ESORT " in reply.split(b"]")[0] + b" "
    # RFC 5267 4: with UPDATE notifications, CONTEXT=SEARCH and CONTEXT=SORT too.
    assert b" CONTEXT=SEARCH CONTEXT=SORT " in reply.split(b"]")[0] + b" "


def test_sort_save_keeps_the_result_for_dollar(session: Session) -> None:
    # SAVE alone: no ESEARCH (RFC 9051 6.4.4); $ holds the result as a set.
    assert run(session, b"A SORT RETURN (SAVE) (REVERSE DATE) UTF-8 NOT 3") == (
        b"A OK SORT completed, result saved\r\n"
    )
    assert run(session, b"B SEARCH $") == b"* SEARCH 1 2 4 5\r\nB OK SEARCH completed\r\n"
    # SAVE with MIN: $ holds the MIN message only (RFC 5182 2.4).
    assert run(session, b"C SORT RETURN (SAVE MIN) (REVERSE DATE) UTF-8 ALL") == ok(
        b"C", b'* ESEARCH (TAG "C") MIN 5\r\n'
    )
    assert run(session, b"D SEARCH $") == b"* SEARCH 5\r\nD OK SEARCH completed\r\n"


def test_sort_save_with_a_bad_charset_empties_dollar(session: Session) -> None:
    run(session, b"A SEARCH RETURN (SAVE) ALL")
    assert run(session, b"B SORT RETURN (SAVE) (DATE) KOI8-R ALL") == (
        b"B NO [BADCHARSET (US-ASCII UTF-8)] KOI8-R is not supported\r\n"
    )
    assert run(session, b"C SEARCH $") == b"* SEARCH\r\nC OK SEARCH completed\r\n"


@pytest.mark.parametrize(
    "command",
    [
        # RFC 9051 6.4.4: result options nothing here implements are BAD.
        b"A SEARCH RETURN (NOSUCHOPTION) ALL",
        # RFC 9394 3.1: "either one PARTIAL, one ALL, or neither".
        b"A SEARCH RETURN (ALL PARTIAL 1:2) ALL",
        # An unknown sort criterion is BAD before anything is searched.
        b"A SORT RETURN (ALL) (NOSUCHKEY) UTF-8 ALL",
    ],
)
def test_unoffered_options_are_bad(session: Session, command: bytes) -> None:
    assert run(session, command).startswith(b"A BAD ")


def test_sort_return_needs_a_selected_mailbox() -> None:
    session = connect(make_backend(), select=None)
    assert run(session, b"A SORT RETURN (ALL) (DATE) UTF-8 ALL").startswith(b"A BAD ")


# ------------------------------------------------------------- PARTIAL


@pytest.fixture
def partial_session() -> Session:
    """PARTIAL (RFC 9394) is advertised by default."""
    return connect(make_backend())


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # The imaptest "sort-partial" and "search-partial" cases: positions
        # low..high of the result (1-based), a reversed range is put in order
        # (RFC 5267 4.4: 4:2 is 2:4), none left is NIL.
        (b"A SORT RETURN (PARTIAL 1:1) (ARRIVAL) US-ASCII ALL", b"PARTIAL (1:1 1)"),
        (b"A SORT RETURN (PARTIAL 4:2) (ARRIVAL) US-ASCII ALL", b"PARTIAL (2:4 2:4)"),
        (b"A SORT RETURN (PARTIAL 2:4) (REVERSE DATE) UTF-8 ALL", b"PARTIAL (2:4 3:4,2)"),
        (b"A SORT RETURN (PARTIAL 1:6) (REVERSE DATE) UTF-8 ALL", b"PARTIAL (1:6 5,3:4,2,1)"),
        (b"A SORT RETURN (PARTIAL 6:6) (ARRIVAL) US-ASCII ALL", b"PARTIAL (6:6 NIL)"),
        (b"A SEARCH RETURN (PARTIAL 2:3) 1:2,4:5", b"PARTIAL (2:3 2,4)"),
        (b"A SEARCH RETURN (PARTIAL 2:10) 1:2,4:5", b"PARTIAL (2:10 2,4:5)"),
        (b"A UID SEARCH RETURN (PARTIAL 2:2) ALL", b"UID PARTIAL (2:2 3)"),
        (b"A UID SORT RETURN (PARTIAL 1:2) (SIZE) UTF-8 ALL", b"UID PARTIAL (1:2 6,2)"),
        # With other options: the counts are over the whole result.
        (b"A SEARCH RETURN (COUNT PARTIAL 1:2) NOT 3", b"COUNT 4 PARTIAL (1:2 1:2)"),
    ],
)
def test_partial_results(partial_session: Session, command: bytes, expected: bytes) -> None:
    reply = run(partial_session, command)
    name = b"SORT" if b" SORT " in command else b"SEARCH"
    assert reply == b'* ESEARCH (TAG "A") ' + expected + b"\r\nA OK " + name + b" completed\r\n"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # RFC 9394 3.1: -1 is the last result, -2 the one before; the range
        # is given back as asked (in order), results in mailbox order.
        (b"A SEARCH RETURN (PARTIAL -1:-2) 1:2,4:5", b"PARTIAL (-1:-2 4:5)"),
        (b"A SEARCH RETURN (PARTIAL -3:-2) 1:2,4:5", b"PARTIAL (-2:-3 2,4)"),
        (b"A SEARCH RETURN (PARTIAL -3:-10) 1:2,4:5", b"PARTIAL (-3:-10 1:2)"),
        (b"A SEARCH RETURN (PARTIAL -5:-10) 1:2,4:5", b"PARTIAL (-5:-10 NIL)"),
        # SORT: counted from the end of the sort order (5 3 4 2 1).
        (b"A SORT RETURN (PARTIAL -1:-2) (REVERSE DATE) UTF-8 ALL", b"PARTIAL (-1:-2 2,1)"),
    ],
)
def test_negative_partial_ranges_count_from_the_end(
    partial_session: Session, command: bytes, expected: bytes
) -> None:
    reply = run(partial_session, command)
    name = b"SORT" if b" SORT " in command else b"SEARCH"
    assert reply == b'* ESEARCH (TAG "A") ' + expected + b"\r\nA OK " + name + b" completed\r\n"


# ------------------------------------------------------------- encoder


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # RFC 5267 4.4 / RFC 9394 3.1: partial = "PARTIAL" SP "(" partial-range
        # SP partial-results ")"; partial-results = sequence-set / "NIL".
        (
            ESearchData(
                tag="A01",
                uid=True,
                partial_range=(1, 3),
                partial=UidSet.from_ranges(23764, (23761, 23762)),
            ),
            b'* ESEARCH (TAG "A01") UID PARTIAL (1:3 23764,23761:23762)\r\n',
        ),
        (
            ESearchData(tag="A", partial_range=(6, 6)),
            b'* ESEARCH (TAG "A") PARTIAL (6:6 NIL)\r\n',
        ),
        (
            ESearchData(
                tag="A", count=5, partial_range=(-1, -2), partial=SequenceSet.from_ranges(5, 4)
            ),
            b'* ESEARCH (TAG "A") COUNT 5 PARTIAL (-1:-2 5,4)\r\n',
        ),
        # ALL keeps the order it is given (RFC 5267 3.2).
        (
            ESearchData(tag="A", all=SequenceSet.from_ranges(5, (3, 4), 2, 1)),
            b'* ESEARCH (TAG "A") ALL 5,3:4,2,1\r\n',
        ),
    ],
)
def test_encode_esearch_partial(response: ESearchData, expected: bytes) -> None:
    assert encode_response(response) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"partial": SequenceSet.from_ranges(1)},  # results without a range
        {"partial_range": (0, 2)},
        {"partial_range": (-1, 2)},
        {"partial_range": (1, 2), "partial": UidSet.from_ranges(1)},  # UID set without UID
    ],
)
def test_esearch_partial_values_are_checked(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ESearchData(**kwargs)  # type: ignore[arg-type]
