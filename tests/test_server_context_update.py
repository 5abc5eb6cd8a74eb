"""CONTEXT=SEARCH / CONTEXT=SORT updates (RFC 5267 4.3), exact bytes.

``SEARCH RETURN (UPDATE)`` keeps a context whose changes go out as
``* ESEARCH (TAG "t") ADDTO (...)`` / ``REMOVEFROM (...)`` wherever mailbox
updates may go (before a tagged completion, during IDLE): a REMOVEFROM for
expunged messages just before the EXPUNGE (4.3.4: "MUST be sent prior to the
expunge notification itself, in order that those sequence numbers remain
valid"), an ADDTO for new messages after the EXISTS (4.3.3).  SEARCH contexts
use position 0 and a set in mailbox order (4.3.3: "the context position MAY
be zero"); SORT contexts the position of the first message of each run.

The fixture mailbox is test_server_search_keys's: sequence numbers 1 to 5 are UIDs 2 to 6, \\Seen
on 1 and 5, \\Deleted on 3; DATE order 1 2 4 3 5.
"""

from __future__ import annotations

import paths
import pytest
from test_server_search_keys import connect, make_backend, run

from imap_sansio._encoder import encode_response
from imap_sansio._responses import ESearchData, ExistsData, Response
from imap_sansio._sequence import SequenceSet, UidSet
from imap_sansio._view import DrainPhase, SelectedMailboxView
from imap_sansio.server import IMAPServer, MemoryBackend, Session
from imap_sansio.server._contexts import MAX_CONTEXTS
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.imaptest import parse_mbox, parse_script, run_script


@pytest.fixture
def backend() -> MemoryBackend:
    return make_backend()


@pytest.fixture
def session(backend: MemoryBackend) -> Session:
    return connect(backend)


# ------------------------------------------------------------ the encoder


def test_addto_and_removefrom_are_written_as_in_rfc_5267() -> None:
    # RFC 5267 4.3.3 / 4.3.4 examples.
    addto = ESearchData(tag="B01", uid=True, addto=((0, UidSet(ranges=((32768, 32769),))),))
    assert encode_response(addto) == b'* ESEARCH (TAG "B01") UID ADDTO (0 32768:32769)\r\n'
    removefrom = ESearchData(
        tag="B01", uid=True, removefrom=((0, UidSet(ranges=((32768, 32768),))),)
    )
    assert encode_response(removefrom) == b'* ESEARCH (TAG "B01") UID REMOVEFROM (0 32768)\r\n'
    # ret-data-addto: several "context-position SP sequence-set" pairs (RFC 5267 5).
    pairs = ESearchData(
        tag="C01",
        uid=True,
        addto=((1, UidSet(ranges=((2733, 2733),))), (1, UidSet(ranges=((2731, 2732),)))),
    )
    assert encode_response(pairs) == b'* ESEARCH (TAG "C01") UID ADDTO (1 2733 1 2731:2732)\r\n'


def test_update_sets_must_match_the_uid_indicator() -> None:
    with pytest.raises(ValueError, match="ADDTO"):
        ESearchData(tag="A", uid=True, addto=((0, SequenceSet(ranges=((1, 1),))),))
    with pytest.raises(ValueError, match="REMOVEFROM"):
        ESearchData(tag="A", removefrom=((-1, SequenceSet(ranges=((1, 1),))),))


# -------------------------------------------------------- the view's hook


def test_drain_hook_goes_before_the_expunges_and_after_exists() -> None:
    view = SelectedMailboxView(uids=[10, 20, 30], uidvalidity=7, uidnext=31)
    seen: list[tuple[DrainPhase, tuple[int, ...], bool]] = []

    def hook(phase: DrainPhase, v: SelectedMailboxView) -> list[Response]:
        seen.append((phase, tuple(v.uids), v.is_expunged(20)))
        return [ExistsData(count=99)]  # any marker response

    view.drain_hook = hook
    view.expunge([20])
    view.add_messages([40])
    out = b"".join(encode_response(r) for r in view.drain(allow_expunge=True))
    assert out == b"* 99 EXISTS\r\n* 2 EXPUNGE\r\n* 3 EXISTS\r\n* 99 EXISTS\r\n"
    # Before the EXPUNGE the view still numbers the message that goes.
    assert seen == [
        ("before_expunge", (10, 20, 30), True),
        ("after_exists", (10, 30, 40), False),
    ]


def test_drain_hook_is_not_asked_before_expunges_it_may_not_write() -> None:
    view = SelectedMailboxView(uids=[10, 20], uidvalidity=7, uidnext=21)
    phases: list[DrainPhase] = []

    def hook(phase: DrainPhase, v: SelectedMailboxView) -> list[Response]:
        phases.append(phase)
        return []

    view.drain_hook = hook
    view.expunge([20])
    assert view.drain(allow_expunge=False) == []
    assert phases == ["after_exists"]


# ------------------------------------------------------------------ SEARCH


def test_search_update_follows_the_sessions_own_stores(session: Session) -> None:
    # RETURN (UPDATE) alone answers ALL, then the changes follow.
    assert run(session, b"A SEARCH RETURN (UPDATE) SEEN") == (
        b'* ESEARCH (TAG "A") ALL 1,5\r\nA OK SEARCH completed\r\n'
    )
    assert run(session, b"B STORE 4 +FLAGS (\\Seen)") == (
        b"* 4 FETCH (FLAGS (\\Seen \\Recent))\r\n"
        b'* ESEARCH (TAG "A") ADDTO (0 4)\r\n'
        b"B OK STORE completed\r\n"
    )
    assert run(session, b"C STORE 1,4 -FLAGS (\\Seen)") == (
        b"* 1 FETCH (FLAGS (\\Answered \\Recent))\r\n"
        b"* 4 FETCH (FLAGS (\\Recent))\r\n"
        b'* ESEARCH (TAG "A") REMOVEFROM (0 1,4)\r\n'
        b"C OK STORE completed\r\n"
    )
    # Nothing changed: nothing said.
    assert run(session, b"D NOOP") == b"D OK NOOP completed\r\n"


def test_removefrom_goes_before_the_expunge_with_the_old_numbers(
    session: Session,
) -> None:
    assert run(session, b"A SEARCH RETURN (UPDATE) OR DELETED 4") == (
        b'* ESEARCH (TAG "A") ALL 3:4\r\nA OK SEARCH completed\r\n'
    )
    assert run(session, b"B UID SEARCH RETURN (UPDATE) UNDELETED") == (
        b'* ESEARCH (TAG "B") UID ALL 2:3,5:6\r\nB OK SEARCH completed\r\n'
    )
    # Message 3 goes: its REMOVEFROM comes before its EXPUNGE.  After it,
    # the criterion "4" (a sequence set) names another message: old 5, now
    # 4, instead of old 4, now 3 (the result is re-evaluated with the new
    # numbers); REMOVEFROM and ADDTO in one response, applied in turn.
    # Context B is not touched (message 3 was never in it).
    assert run(session, b"C EXPUNGE") == (
        b'* ESEARCH (TAG "A") REMOVEFROM (0 3)\r\n'
        b"* 3 EXPUNGE\r\n"
        b'* ESEARCH (TAG "A") REMOVEFROM (0 3) ADDTO (0 4)\r\n'
        b"C OK EXPUNGE completed\r\n"
    )


def test_changes_from_another_session_and_new_messages(
    backend: MemoryBackend, session: Session
) -> None:
    other = connect(backend)
    assert run(session, b"A UID SEARCH RETURN (UPDATE COUNT) UNSEEN") == (
        b'* ESEARCH (TAG "A") UID COUNT 3\r\nA OK SEARCH completed\r\n'
    )
    other.receive_data(b"X APPEND INBOX {5+}\r\nhello\r\n")
    assert other.data_to_send().endswith(b"X OK [APPENDUID 1 7] APPEND completed\r\n")
    # ADDTO after the EXISTS that makes its numbers valid (RFC 5267 4.3.3).
    # UPDATE does not interact with COUNT (4.3): the update lists messages.
    assert run(session, b"N NOOP") == (
        b'* 6 EXISTS\r\n* ESEARCH (TAG "A") UID ADDTO (0 7)\r\nN OK NOOP completed\r\n'
    )


def test_a_pending_expunge_waits_for_its_expunge(backend: MemoryBackend, session: Session) -> None:
    other = connect(backend)
    assert run(session, b"A SEARCH RETURN (UPDATE) SEEN") == (
        b'* ESEARCH (TAG "A") ALL 1,5\r\nA OK SEARCH completed\r\n'
    )
    run(other, b"X STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert run(other, b"Y UID EXPUNGE 2") == b"* 1 EXPUNGE\r\nY OK EXPUNGE completed\r\n"
    # No EXPUNGE during FETCH (RFC 3501 7.4.1), so no REMOVEFROM either:
    # message 1 keeps its number and its place in the result.
    assert run(session, b"F FETCH 2 UID") == b"* 2 FETCH (UID 3)\r\nF OK FETCH completed\r\n"
    assert run(session, b"N NOOP") == (
        b'* ESEARCH (TAG "A") REMOVEFROM (0 1)\r\n* 1 EXPUNGE\r\nN OK NOOP completed\r\n'
    )


def test_updates_during_idle(backend: MemoryBackend, session: Session) -> None:
    other = connect(backend)
    run(session, b"A UID SEARCH RETURN (UPDATE) FLAGGED")
    session.receive_data(b"I IDLE\r\n")
    assert session.data_to_send() == b"+ idling\r\n"
    run(other, b"X STORE 4 +FLAGS.SILENT (\\Flagged)")
    session.poll()
    assert session.data_to_send() == (
        b'* 4 FETCH (FLAGS (\\Flagged \\Recent) UID 5)\r\n* ESEARCH (TAG "A") UID ADDTO (0 5)\r\n'
    )
    session.receive_data(b"DONE\r\n")
    assert session.data_to_send() == b"I OK IDLE terminated\r\n"


def test_cancelupdate_stops_the_updates(session: Session) -> None:
    run(session, b"A SEARCH RETURN (UPDATE) SEEN")
    run(session, b"B SEARCH RETURN (UPDATE) FLAGGED")
    # RFC 5267 4.3.5 example: CANCELUPDATE "B01"; an unknown tag is ignored.
    assert run(session, b'C CANCELUPDATE "A" "nosuch"') == b"C OK CANCELUPDATE completed\r\n"
    assert run(session, b"D STORE 4 +FLAGS (\\Seen \\Flagged)") == (
        b"* 4 FETCH (FLAGS (\\Flagged \\Seen \\Recent))\r\n"
        b'* ESEARCH (TAG "B") ADDTO (0 4)\r\n'
        b"D OK STORE completed\r\n"
    )


def test_contexts_end_with_the_mailbox(session: Session) -> None:
    run(session, b"A SEARCH RETURN (UPDATE) SEEN")
    assert run(session, b"S SELECT INBOX").endswith(b"S OK [READ-WRITE] SELECT completed\r\n")
    assert run(session, b"B STORE 4 +FLAGS (\\Seen)") == (
        b"* 4 FETCH (FLAGS (\\Seen))\r\nB OK STORE completed\r\n"
    )


def test_update_with_the_tag_of_a_live_context_is_bad(session: Session) -> None:
    # RFC 5267 4.3: "SHALL result in the server rejecting the searching
    # command with a BAD response".
    run(session, b"A SEARCH RETURN (UPDATE) SEEN")
    assert run(session, b"A SEARCH RETURN (UPDATE) ALL").startswith(b"A BAD [CLIENTBUG] Tag reuse")
    # Without UPDATE the tag may be used again (RFC 9051 2.2.1).
    assert run(session, b"A SEARCH RETURN (COUNT) ALL") == (
        b'* ESEARCH (TAG "A") COUNT 5\r\nA OK SEARCH completed\r\n'
    )


def test_too_many_contexts_answer_noupdate(session: Session) -> None:
    for n in range(MAX_CONTEXTS):
        run(session, b"T%d SEARCH RETURN (UPDATE) SEEN" % n)
    # RFC 5267 4.3.1: untagged NO [NOUPDATE "tag"], other options honoured.
    assert run(session, b"X SEARCH RETURN (UPDATE COUNT) SEEN") == (
        b'* ESEARCH (TAG "X") COUNT 2\r\n'
        b'* NO [NOUPDATE "X"] Too many contexts\r\n'
        b"X OK SEARCH completed\r\n"
    )


def test_context_hint_is_accepted(session: Session) -> None:
    # RFC 5267 4.2: CONTEXT is a hint the server may ignore.
    assert run(session, b"A SEARCH RETURN (CONTEXT COUNT) SEEN") == (
        b'* ESEARCH (TAG "A") COUNT 2\r\nA OK SEARCH completed\r\n'
    )


# -------------------------------------------------------------------- SORT


def test_sort_update_gives_positions_in_sort_order(session: Session) -> None:
    assert run(session, b"A SORT RETURN (UPDATE) (DATE) UTF-8 UNSEEN") == (
        b'* ESEARCH (TAG "A") ALL 2,4,3\r\nA OK SORT completed\r\n'
    )
    # 1 sorts first: inserted at position 1; 5 last: position 5 (RFC 5267 4.3.3).
    assert run(session, b"B STORE 1 -FLAGS.SILENT (\\Seen)") == (
        b'* ESEARCH (TAG "A") ADDTO (1 1)\r\nB OK STORE completed\r\n'
    )
    assert run(session, b"C STORE 5 -FLAGS.SILENT (\\Seen)") == (
        b'* ESEARCH (TAG "A") ADDTO (5 5)\r\nC OK STORE completed\r\n'
    )
    # Result 1 2 4 3 5: 2 and 4 are positions 2 and 3 (RFC 5267 4.3.4).
    assert run(session, b"D STORE 2,4 +FLAGS.SILENT (\\Seen)") == (
        b'* ESEARCH (TAG "A") REMOVEFROM (2 2,4)\r\nD OK STORE completed\r\n'
    )
    # Result 1 3 5; 1 and 5 go: two runs, the second at its position once the
    # first is removed (each pair is applied in turn, 4.3.3).
    assert run(session, b"E STORE 1,5 +FLAGS.SILENT (\\Seen)") == (
        b'* ESEARCH (TAG "A") REMOVEFROM (1 1 2 5)\r\nE OK STORE completed\r\n'
    )
    # Result 3; 2 and 4 come back before it, 5 after it.
    assert run(session, b"F STORE 2,4:5 -FLAGS.SILENT (\\Seen)") == (
        b'* ESEARCH (TAG "A") ADDTO (1 2,4 4 5)\r\nF OK STORE completed\r\n'
    )


def test_uid_sort_removefrom_before_the_expunge(session: Session) -> None:
    assert run(session, b"A UID SORT RETURN (UPDATE MIN) (REVERSE DATE) UTF-8 ALL") == (
        b'* ESEARCH (TAG "A") UID MIN 6\r\nA OK SORT completed\r\n'
    )
    # REVERSE DATE: UIDs 6 4 5 3 2; UID 4 (message 3, \Deleted) is second.
    assert run(session, b"B EXPUNGE") == (
        b'* ESEARCH (TAG "A") UID REMOVEFROM (2 4)\r\n* 3 EXPUNGE\r\nB OK EXPUNGE completed\r\n'
    )


# ---------------------------------------------------------------- imaptest

SCRIPTS = (
    "search-context-update",
    "search-context-update2",
    "search-context-update3",
    "search-partial",
    "sort-partial",
)


@pytest.mark.parametrize("name", SCRIPTS)
def test_imaptest_context_scripts(name: str) -> None:
    path = paths.IMAPTEST / name
    script = parse_script(path.read_bytes(), name=name)
    mbox_path = path.with_name(name + ".mbox")
    if not mbox_path.exists():
        mbox_path = paths.IMAPTEST / "default.mbox"
    mbox = parse_mbox(mbox_path.read_bytes())
    server = IMAPServer(MemoryBackend(users={"testuser": "pass"}), clock=fixed_clock())
    result = run_script(script, server.connect, mbox=mbox, username="testuser", password="pass")
    assert (result.status, result.message) == ("passed", result.message)
