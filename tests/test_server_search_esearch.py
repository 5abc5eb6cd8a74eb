"""ESEARCH result options (RFC 4731, RFC 9051 6.4.4) and SEARCHRES (RFC 5182).

The fixture is the one of test_server_search_keys: sequence numbers 1 to 5
are UIDs 2 to 6; \\Seen on 1 and 5, \\Flagged on 2, \\Deleted on 3.
"""

from __future__ import annotations

import pytest
from test_server_search_keys import NOW, connect, make_backend, run

from imap_sansio.server import IMAPServer, Session


def saved(session: Session) -> tuple[int, ...]:
    """The search result variable (RFC 5182), as UIDs."""
    assert session.view is not None
    return session.view.saved_result


@pytest.fixture
def session() -> Session:
    return connect(make_backend())


# ---------------------------------------------------------------- ESEARCH


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        # RFC 4731 3.1 / RFC 9051 6.4.4 examples, over the fixture.
        (
            b'A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
            b'* ESEARCH (TAG "A282") MIN 2 COUNT 1\r\n',
        ),
        (
            b'A283 SEARCH RETURN () UNDELETED SINCE 1-Feb-1994 NOT FROM "Smith"',
            b'* ESEARCH (TAG "A283") ALL 1:2,4:5\r\n',
        ),
        (b'A284 SEARCH RETURN () TEXT "string not in mailbox"', b'* ESEARCH (TAG "A284")\r\n'),
        (b"A284 SEARCH RETURN (MIN) UNSEEN", b'* ESEARCH (TAG "A284") MIN 2\r\n'),
        (b"A285 UID SEARCH RETURN (MIN MAX) 1:5000", b'* ESEARCH (TAG "A285") UID MIN 2 MAX 6\r\n'),
        (b"A286 SEARCH RETURN (COUNT) DELETED", b'* ESEARCH (TAG "A286") COUNT 1\r\n'),
        (b"A SEARCH RETURN (ALL) ALL", b'* ESEARCH (TAG "A") ALL 1:5\r\n'),
        (b"A SEARCH RETURN (MAX) ALL", b'* ESEARCH (TAG "A") MAX 5\r\n'),
        (b"A UID SEARCH RETURN (ALL) NOT 2", b'* ESEARCH (TAG "A") UID ALL 2,4:6\r\n'),
        (b"A UID SEARCH RETURN (COUNT) SEEN", b'* ESEARCH (TAG "A") UID COUNT 2\r\n'),
        (
            b"A SEARCH RETURN (MIN MAX COUNT ALL) SEEN",
            b'* ESEARCH (TAG "A") MIN 1 MAX 5 COUNT 2 ALL 1,5\r\n',
        ),
        # No match: MIN/MAX/ALL are left out, COUNT 0 is always there.
        (b"A SEARCH RETURN (MIN MAX ALL) 1000", b'* ESEARCH (TAG "A")\r\n'),
        (b"A SEARCH RETURN (COUNT) 1000", b'* ESEARCH (TAG "A") COUNT 0\r\n'),
        (b"A UID SEARCH RETURN () 1000", b'* ESEARCH (TAG "A") UID\r\n'),
    ],
)
def test_esearch_result_options(session: Session, command: bytes, expected: bytes) -> None:
    tag = command.split()[0]
    assert run(session, command) == expected + tag + b" OK SEARCH completed\r\n"


def test_unknown_result_option_is_bad(session: Session) -> None:
    # RFC 9051 6.4.4: options not defined by a supported extension -> BAD
    assert run(session, b"A SEARCH RETURN (NOSUCHOPTION) ALL").startswith(b"A BAD ")


def test_imap4rev2_answers_search_with_esearch() -> None:
    session = IMAPServer(make_backend(), clock=lambda: NOW).connect()
    session.server.enableable.add("IMAP4REV2")
    session.data_to_send()
    run(session, b"L LOGIN user pass")
    assert (
        run(session, b"E ENABLE IMAP4rev2") == b"* ENABLED IMAP4rev2\r\nE OK ENABLE completed\r\n"
    )
    run(session, b"S SELECT INBOX")
    # RFC 9051 6.4.4 examples: ESEARCH even without RETURN.
    assert run(session, b'A284 SEARCH TEXT "string not in mailbox"') == (
        b'* ESEARCH (TAG "A284")\r\nA284 OK SEARCH completed\r\n'
    )
    assert run(session, b"A285 UID SEARCH SEEN") == (
        b'* ESEARCH (TAG "A285") UID ALL 2,6\r\nA285 OK SEARCH completed\r\n'
    )


# ---------------------------------------------------------------- SEARCHRES


def test_save_alone_sends_no_esearch_and_dollar_reuses_the_result(
    session: Session,
) -> None:
    # RFC 5182 2.2 example 1 (RFC 9051 6.4.4: SAVE alone suppresses ESEARCH).
    assert run(session, b'A282 SEARCH RETURN (SAVE) SEEN NOT FROM "Smith"') == (
        b"A282 OK SEARCH completed, result saved\r\n"
    )
    assert saved(session) == (2, 6)  # kept as UIDs
    # Example 3: "$" in later searches, as a sequence set or a UID set.
    assert run(session, b"A301 UID SEARCH UID $ SMALLER 4096") == (
        b"* SEARCH 2 6\r\nA301 OK SEARCH completed\r\n"
    )
    assert run(session, b"A301 UID SEARCH $ SMALLER 4096") == (
        b"* SEARCH 2 6\r\nA301 OK SEARCH completed\r\n"
    )
    assert run(session, b"A302 SEARCH $") == b"* SEARCH 1 5\r\nA302 OK SEARCH completed\r\n"
    # Example 4: "$" combined with numbers in an OR.
    assert run(session, b"P283 SEARCH CHARSET UTF-8 (OR $ 2:3) NOT DELETED") == (
        b"* SEARCH 1 2 5\r\nP283 OK SEARCH completed\r\n"
    )


def test_failed_save_empties_the_result_and_bad_keeps_it(session: Session) -> None:
    run(session, b"B282 SEARCH RETURN (SAVE) SEEN")
    # RFC 5182 2.1: a SEARCH without SAVE leaves $ alone...
    run(session, b"B283 SEARCH RETURN (ALL) FLAGGED")
    assert saved(session) == (2, 6)
    # ... and so does one answered BAD ...
    assert run(session, b"B284 SEARCH RETURN (SAVE) NOSUCHKEY").startswith(b"B284 BAD ")
    assert saved(session) == (2, 6)
    # ... but a SAVE answered NO empties it (example 5).
    assert run(session, b"B285 SEARCH RETURN (SAVE) CHARSET KOI8-R (OR $ 1) TEXT {4+}\r\nXXXX") == (
        b"B285 NO [BADCHARSET (US-ASCII UTF-8)] KOI8-R is not supported\r\n"
    )
    assert saved(session) == ()
    assert run(session, b"B286 SEARCH $") == b"* SEARCH\r\nB286 OK SEARCH completed\r\n"


@pytest.mark.parametrize(
    ("options", "response", "dollar"),
    [
        # RFC 5182 2.4 example 10 / RFC 9051 6.4.4.1 table 4, over UNSEEN (2 3 4).
        (b"ALL SAVE", b" ALL 2:4", (3, 4, 5)),
        (b"SAVE MIN", b" MIN 2", (3,)),
        (b"MAX SAVE MIN", b" MIN 2 MAX 4", (3, 5)),
        (b"MAX SAVE MIN COUNT", b" MIN 2 MAX 4 COUNT 3", (3, 4, 5)),
        (b"ALL SAVE MIN", b" MIN 2 ALL 2:4", (3, 4, 5)),
        (b"SAVE COUNT", b" COUNT 3", (3, 4, 5)),
    ],
)
def test_save_with_other_options_saves_what_table_4_says(
    session: Session, options: bytes, response: bytes, dollar: tuple[int, ...]
) -> None:
    out = run(session, b"C SEARCH RETURN (" + options + b") UNSEEN")
    assert out == b'* ESEARCH (TAG "C")' + response + b"\r\nC OK SEARCH completed\r\n"
    assert saved(session) == dollar


def test_save_of_an_empty_result_is_an_empty_dollar(session: Session) -> None:
    assert run(session, b"E282 SEARCH RETURN (SAVE MIN) SINCE 28-Oct-2026") == (
        b'* ESEARCH (TAG "E282")\r\nE282 OK SEARCH completed\r\n'
    )
    assert saved(session) == ()


def test_expunged_messages_leave_the_saved_result() -> None:
    backend = make_backend()
    session = connect(backend)
    run(session, b"A SEARCH RETURN (SAVE) OR DELETED SEEN")
    assert saved(session) == (2, 4, 6)
    backend.account("user").select("INBOX").expunge()  # UID 4
    assert run(session, b"N NOOP") == b"* 3 EXPUNGE\r\nN OK NOOP completed\r\n"
    # RFC 5182 2.1: "When a message listed in the search result variable is
    # EXPUNGEd, it is automatically removed from the list."
    assert run(session, b"B UID SEARCH $") == b"* SEARCH 2 6\r\nB OK SEARCH completed\r\n"
    assert run(session, b"C SEARCH UID $") == b"* SEARCH 1 4\r\nC OK SEARCH completed\r\n"


def test_select_resets_the_saved_result() -> None:
    session = connect(make_backend())
    run(session, b"A SEARCH RETURN (SAVE) ALL")
    run(session, b"S SELECT INBOX")
    # RFC 5182 2.1: after SELECT, $ is the empty sequence.
    assert run(session, b"B SEARCH $") == b"* SEARCH\r\nB OK SEARCH completed\r\n"


# ---------------------------------------------------------------- MODSEQ in ESEARCH


def test_esearch_modseq_is_the_highest_of_the_reported_messages() -> None:
    backend = make_backend()
    session = connect(backend)
    modseqs = {m.uid: m.modseq for m in backend.account("user").select("INBOX").messages()}
    low = min(modseqs.values())
    # RFC 7162 3.1.10 / RFC 4731 3.2 (the imaptest esearch-condstore script):
    # MIN alone reports the MIN message's modseq, MAX the MAX one's, ALL the highest.
    # RFC 7162 3.1: the first CONDSTORE enabling command reports HIGHESTMODSEQ.
    assert run(session, b"A SEARCH RETURN (MIN) 1:3 MODSEQ %d" % low) == (
        b"* OK [HIGHESTMODSEQ %d] Highest\r\n" % max(modseqs.values())
        + b'* ESEARCH (TAG "A") MIN 1 MODSEQ %d\r\nA OK SEARCH completed\r\n' % modseqs[2]
    )
    assert run(session, b"A SEARCH RETURN (MAX) 1:3 MODSEQ %d" % low) == (
        b'* ESEARCH (TAG "A") MAX 3 MODSEQ %d\r\nA OK SEARCH completed\r\n' % modseqs[4]
    )
    assert run(session, b"A SEARCH RETURN () 1:3 MODSEQ %d" % low) == (
        b'* ESEARCH (TAG "A") ALL 1:3 MODSEQ %d\r\nA OK SEARCH completed\r\n'
        % max(modseqs[2], modseqs[3], modseqs[4])
    )
    assert run(session, b"A SEARCH RETURN () MODSEQ %d" % (max(modseqs.values()) + 1)) == (
        b'* ESEARCH (TAG "A")\r\nA OK SEARCH completed\r\n'
    )


def test_pipelined_fetch_dollar_uses_the_result_of_the_search_before_it(
    session: Session,
) -> None:
    # RFC 5182 2.2 example 2 (RFC 9051 6.4.4.4): SEARCH (SAVE) and FETCH $
    # may be pipelined; the server runs them in order (RFC 5182 2.3).
    session.receive_data(b"A282 SEARCH RETURN (SAVE) SEEN\r\nA283 FETCH $ (UID)\r\n")
    assert session.data_to_send() == (
        b"A282 OK SEARCH completed, result saved\r\n"
        b"* 1 FETCH (UID 2)\r\n* 5 FETCH (UID 6)\r\nA283 OK FETCH completed\r\n"
    )


def test_pipelined_search_dollar_uses_the_result_of_the_search_before_it(
    session: Session,
) -> None:
    # Inside search keys, $ is resolved when the SEARCH runs.
    session.receive_data(b"A SEARCH RETURN (SAVE) SEEN\r\nB UID SEARCH $\r\n")
    assert session.data_to_send() == (
        b"A OK SEARCH completed, result saved\r\n* SEARCH 2 6\r\nB OK SEARCH completed\r\n"
    )
