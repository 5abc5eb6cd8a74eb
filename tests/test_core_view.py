"""The selected-mailbox view: numbering, queued updates, and when they may go out.

RFC 3501 5.2 and 7.4.1, RFC 9051 7.5.1, RFC 7162 3.2.10.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imap_sansio._encoder import encode_response
from imap_sansio._sequence import STAR, SequenceSet, UidSet
from imap_sansio._view import InvalidSequenceNumber, SelectedMailboxView, uid_set


def wire(responses: list[object]) -> bytes:
    return b"".join(encode_response(r) for r in responses)  # type: ignore[arg-type]


def view_of(uids: list[int], **kwargs: object) -> SelectedMailboxView:
    return SelectedMailboxView(uids=uids, uidvalidity=7, uidnext=max(uids, default=0) + 1, **kwargs)  # type: ignore[arg-type]


def test_adjacent_expunges_are_numbered_after_each_other() -> None:
    """RFC 3501 7.4.1 example: messages 3 and 4 go as '* 3 EXPUNGE' twice."""
    view = view_of([10, 20, 30, 40, 50])
    view.expunge([30, 40])
    assert wire(view.drain(allow_expunge=True)) == b"* 3 EXPUNGE\r\n* 3 EXPUNGE\r\n"
    assert view.uids == (10, 20, 50)
    assert view.seq_of(50) == 3


def test_expunges_in_the_rfc_example_order() -> None:
    """RFC 3501 6.4.3 example: 3, 4, 7 and 11 deleted -> 3, 3, 5, 8."""
    view = view_of(list(range(1, 12)))
    view.expunge([3, 4, 7, 11])
    assert wire(view.drain(allow_expunge=True)) == (
        b"* 3 EXPUNGE\r\n* 3 EXPUNGE\r\n* 5 EXPUNGE\r\n* 8 EXPUNGE\r\n"
    )


def test_no_expunge_while_not_allowed_but_exists_counts_them() -> None:
    """RFC 3501 7.4.1: no EXPUNGE during FETCH/STORE/SEARCH; numbers stay put."""
    view = view_of([1, 2, 3])
    view.expunge([2])
    view.add_messages([4])
    assert wire(view.drain(allow_expunge=False)) == b"* 4 EXISTS\r\n"
    assert view.seq_of(3) == 3 and view.is_expunged(2)
    assert wire(view.drain(allow_expunge=True)) == b"* 2 EXPUNGE\r\n"
    assert view.uids == (1, 3, 4)


def test_expunge_plus_append_before_the_next_noop() -> None:
    view = view_of([1, 2, 3])
    view.expunge([1])
    view.add_messages([9], recent=True)
    assert wire(view.drain(allow_expunge=True)) == b"* 1 EXPUNGE\r\n* 3 EXISTS\r\n* 1 RECENT\r\n"
    assert view.uids == (2, 3, 9)


def test_flags_changed_then_expunged_sends_only_the_expunge() -> None:
    view = view_of([1, 2, 3])
    view.set_flags(2, ["\\Seen"])
    view.expunge([2])
    assert wire(view.drain(allow_expunge=True)) == b"* 2 EXPUNGE\r\n"


def test_flag_change_is_sent_with_uid_and_modseq() -> None:
    view = view_of([5, 6])
    view.set_flags(6, ["\\Seen", "$Important"], modseq=12)
    assert wire(view.drain(allow_expunge=True, condstore=True)) == (
        b"* 2 FETCH (FLAGS ($Important \\Seen) UID 6 MODSEQ (12))\r\n"
    )


def test_own_silent_store_is_not_echoed() -> None:
    """RFC 3501 6.4.6: .SILENT suppresses the untagged FETCH for this session."""
    view = view_of([5, 6])
    view.set_flags(6, ["\\Seen"], announce=False)
    assert view.drain(allow_expunge=True) == []
    assert view.flags_of(6) == frozenset({"\\Seen"})


def test_qresync_sends_vanished_instead_of_expunge() -> None:
    """RFC 7162 3.2.10: once QRESYNC is enabled, VANISHED replaces EXPUNGE."""
    view = view_of([1, 2, 3, 4, 8])
    view.expunge([2, 3, 8])
    assert wire(view.drain(allow_expunge=True, qresync=True)) == b"* VANISHED 2:3,8\r\n"


def test_message_added_and_expunged_unseen_is_never_mentioned() -> None:
    view = view_of([1])
    view.add_messages([2])
    view.expunge([2])
    assert view.drain(allow_expunge=True) == []


def test_mailbox_flags_change_goes_first() -> None:
    view = view_of([1], mailbox_flags=["\\Seen"])
    view.set_mailbox_flags(["\\Seen", "$Work"])
    view.set_flags(1, ["$Work"])
    assert wire(view.drain(allow_expunge=True)) == (
        b"* FLAGS (\\Seen $Work)\r\n* 1 FETCH (FLAGS ($Work) UID 1)\r\n"
    )


def test_recent_is_not_sent_in_imap4rev2() -> None:
    view = view_of([1])
    view.add_messages([2], recent=True)
    assert wire(view.drain(allow_expunge=True, rev2=True)) == b"* 2 EXISTS\r\n"


def test_sequence_sets_resolve_to_uids() -> None:
    view = view_of([10, 20, 30, 40])
    assert view.resolve(SequenceSet.from_ranges((2, 3))) == [20, 30]
    assert view.resolve(SequenceSet.from_ranges((STAR, 3))) == [30, 40]
    assert view.resolve(SequenceSet.from_ranges((4, 2), 1)) == [10, 20, 30, 40]
    with pytest.raises(InvalidSequenceNumber):
        view.resolve(SequenceSet.from_ranges(5))


def test_star_on_an_empty_mailbox_is_an_error_but_uid_range_is_empty() -> None:
    """RFC 9051 6.4.9: UID FETCH 1:* on an empty mailbox names nothing (OK)."""
    view = view_of([])
    with pytest.raises(InvalidSequenceNumber):
        view.resolve(SequenceSet.from_ranges((1, STAR)))
    assert view.resolve(UidSet.from_ranges((1, STAR))) == []


def test_uid_ranges_beyond_the_mailbox_are_empty_and_star_is_the_last_uid() -> None:
    view = view_of([10, 20, 30])
    assert view.resolve(UidSet.from_ranges((31, 100))) == []
    # RFC 9051 9: "UID 100:*" includes the largest UID even below 100.
    assert view.resolve(UidSet.from_ranges((100, STAR))) == [30]
    assert view.resolve(UidSet.from_ranges((15, 25))) == [20]


def test_uid_set_is_compact() -> None:
    assert str(uid_set([1, 2, 3, 7, 9, 10])) == "1:3,7,9:10"
    assert uid_set([]) is None


# ------------------------------------------------------------ property test

_LINE = re.compile(rb"\* (\d+) (EXISTS|EXPUNGE|RECENT|FETCH \(FLAGS \(([^)]*)\) UID (\d+)\))\r\n")


class ModelClient:
    """A client that knows only what the bytes told it."""

    def __init__(self, uids: list[int], flags: dict[int, frozenset[str]]) -> None:
        self.slots: list[int | None] = list(uids)
        self.flags: dict[int, frozenset[str]] = dict(flags)

    def apply(self, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            m = _LINE.match(data, pos)
            assert m is not None, data[pos:]
            pos = m.end()
            number = int(m.group(1))
            kind = m.group(2)
            if kind == b"EXISTS":
                assert number >= len(self.slots)
                self.slots.extend([None] * (number - len(self.slots)))
            elif kind == b"EXPUNGE":
                uid = self.slots.pop(number - 1)
                self.flags.pop(uid or -1, None)
            elif kind.startswith(b"FETCH"):
                uid = int(m.group(4))
                assert self.slots[number - 1] in (None, uid), (number, uid, self.slots)
                self.slots[number - 1] = uid
                names = m.group(3).decode().split()
                self.flags[uid] = frozenset(n for n in names if n != "\\Recent")


ops = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 3)),
        st.tuples(st.just("expunge"), st.lists(st.integers(0, 30), max_size=4)),
        st.tuples(
            st.just("flags"), st.integers(0, 30), st.sampled_from(["\\Seen", "$A", "\\Flagged"])
        ),
        st.tuples(st.just("drain"), st.booleans()),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 8), ops)
def test_model_client_always_matches_the_mailbox(initial: int, operations: list[tuple]) -> None:  # type: ignore[type-arg]
    truth: dict[int, frozenset[str]] = {uid: frozenset() for uid in range(1, initial + 1)}
    next_uid = initial + 1
    view = view_of(list(truth))
    client = ModelClient(list(truth), dict(truth))
    for op in operations:
        if op[0] == "append":
            new = list(range(next_uid, next_uid + op[1]))
            next_uid += op[1]
            truth.update({uid: frozenset() for uid in new})
            view.add_messages(new)
        elif op[0] == "expunge":
            present = sorted(truth)
            gone = [present[i % len(present)] for i in op[1]] if present else []
            for uid in gone:
                truth.pop(uid, None)
            view.expunge(gone)
        elif op[0] == "flags":
            present = sorted(truth)
            if present:
                uid = present[op[1] % len(present)]
                truth[uid] = truth[uid] ^ {op[2]}
                view.set_flags(uid, truth[uid])
        else:
            allow = op[1]
            out = wire(view.drain(allow_expunge=allow))
            if not allow:
                assert b"EXPUNGE" not in out
            client.apply(out)
            assert len(client.slots) == view.exists
            if allow:
                expected = sorted(truth)
                assert len(client.slots) == len(expected)
                for seq, uid in enumerate(client.slots):
                    if uid is None:
                        # A client learns new UIDs and flags with a FETCH.
                        client.slots[seq] = expected[seq]
                        client.flags[expected[seq]] = truth[expected[seq]]
                    else:
                        assert uid == expected[seq]
                        assert client.flags[uid] == truth[uid]


# ------------------------------------------------- through the ConnectionState

from core_app import feed  # noqa: E402

from imap_sansio import ConnectionState  # noqa: E402
from imap_sansio._commands import Fetch, Noop, Store  # noqa: E402
from imap_sansio._responses import (  # noqa: E402
    FetchData,
    FlagsItem,
    Status,
    StatusResponse,
    UidItem,
)


def selected_with(uids: list[int]) -> ConnectionState:
    conn = ConnectionState(secure=True)
    conn.send_greeting()
    feed(conn, b"L LOGIN alice secret\r\n")
    conn.receive_data(b"S SELECT INBOX\r\n")
    conn.set_view(view_of(uids))
    conn.send(StatusResponse(status=Status.OK, tag="S", text="SELECT completed"))
    conn.data_to_send()
    return conn


def test_fetch_events_carry_uids() -> None:
    conn = selected_with([10, 20, 30])
    (event,) = conn.receive_data(b"a FETCH 2:* FLAGS\r\n")
    assert isinstance(event, Fetch) and not event.uid
    assert event.messages == UidSet.from_ranges(20, 30)


def test_sequence_number_beyond_the_mailbox_is_bad() -> None:
    conn = selected_with([10, 20, 30])
    assert conn.receive_data(b"a STORE 4 +FLAGS (\\Seen)\r\n") == []
    assert conn.data_to_send() == (
        b"a BAD [CLIENTBUG] Invalid message sequence number: no message 4 (the mailbox has 3)\r\n"
    )


def test_no_expunge_before_the_ok_of_a_fetch_but_before_the_ok_of_noop() -> None:
    """RFC 3501 7.4.1: not while responding to FETCH; NOOP is the moment."""
    conn = selected_with([10, 20, 30])
    assert len(conn.receive_data(b"a FETCH 1 FLAGS\r\n")) == 1
    assert conn.view is not None
    conn.view.expunge([20])
    conn.view.add_messages([40])
    conn.send(StatusResponse(status=Status.OK, tag="a", text="FETCH completed"))
    assert conn.data_to_send() == b"* 4 EXISTS\r\na OK FETCH completed\r\n"
    conn.receive_data(b"b NOOP\r\n")
    conn.send(StatusResponse(status=Status.OK, tag="b", text="NOOP completed"))
    assert conn.data_to_send() == b"* 2 EXPUNGE\r\nb OK NOOP completed\r\n"


def test_uid_fetch_may_see_expunges() -> None:
    """RFC 3501 7.4.1 forbids EXPUNGE only for the non-UID forms."""
    conn = selected_with([10, 20, 30])
    (event,) = conn.receive_data(b"a UID FETCH 10 FLAGS\r\n")
    assert isinstance(event, Fetch) and event.uid
    assert conn.view is not None
    conn.view.expunge([30])
    conn.send(StatusResponse(status=Status.OK, tag="a", text="UID FETCH completed"))
    assert conn.data_to_send() == b"* 3 EXPUNGE\r\na OK UID FETCH completed\r\n"


def test_no_expunge_while_another_pipelined_store_is_pending() -> None:
    """RFC 3501 7.4.1: a STORE still running forbids EXPUNGE even at a NOOP's OK."""
    conn = selected_with([10, 20, 30])
    events = conn.receive_data(b"a STORE 1 +FLAGS (\\Seen)\r\nb NOOP\r\n")
    assert [type(e) for e in events] == [Store, Noop]
    assert conn.view is not None
    conn.view.expunge([30])
    conn.send(StatusResponse(status=Status.OK, tag="b", text="NOOP completed"))
    assert conn.data_to_send() == b"b OK NOOP completed\r\n"
    conn.send(StatusResponse(status=Status.OK, tag="a", text="STORE completed"))
    assert conn.data_to_send() == b"a OK STORE completed\r\n"


def test_a_command_naming_messages_waits_for_the_commands_before_it() -> None:
    """RFC 3501 5.5: EXPUNGE runs before the FETCH pipelined after it, so the
    FETCH's numbers are read after the EXPUNGE responses."""
    conn = selected_with([10, 20, 30])
    events = conn.receive_data(b"x1 EXPUNGE\r\nx2 FETCH 2 (UID)\r\n")
    assert [e.name for e in events] == ["EXPUNGE"]  # type: ignore[union-attr]
    assert conn.view is not None
    conn.view.expunge([10])
    conn.send(StatusResponse(status=Status.OK, tag="x1", text="EXPUNGE completed"))
    assert conn.data_to_send() == b"* 1 EXPUNGE\r\nx1 OK EXPUNGE completed\r\n"
    (fetch,) = conn.next_events()
    assert isinstance(fetch, Fetch) and fetch.messages == UidSet.from_ranges(30)


def test_updates_go_out_at_once_during_idle() -> None:
    """RFC 2177: while idling, the server sends updates as they happen."""
    conn = selected_with([10, 20, 30])
    feed(conn, b"i IDLE\r\n")
    assert conn.data_to_send() == b"+ idling\r\n"
    assert conn.view is not None
    conn.view.expunge([10])
    conn.view.add_messages([31])
    conn.flush_updates()
    assert conn.data_to_send() == b"* 1 EXPUNGE\r\n* 3 EXISTS\r\n"


def test_updates_wait_outside_idle() -> None:
    conn = selected_with([10, 20, 30])
    assert conn.view is not None
    conn.view.add_messages([31])
    conn.flush_updates()
    assert conn.data_to_send() == b""


def test_close_drops_the_view_and_a_failed_select_leaves_none() -> None:
    conn = selected_with([10])
    feed(conn, b"c CLOSE\r\n")
    assert conn.view is None
    conn.receive_data(b"s SELECT INBOX\r\n")
    conn.set_view(view_of([1]))
    conn.send(StatusResponse(status=Status.NO, tag="s", text="no"))
    assert conn.view is None


def test_uid_fetch_on_an_empty_mailbox_is_delivered_with_no_uids() -> None:
    """RFC 9051 6.4.9: UID FETCH 1:* on an empty mailbox is OK and names nothing."""
    conn = selected_with([])
    (event,) = conn.receive_data(b"a UID FETCH 1:* FLAGS\r\n")
    assert isinstance(event, Fetch) and event.messages == UidSet(ranges=())
    assert conn.receive_data(b"b FETCH 1:* FLAGS\r\n") == []
    conn.send(StatusResponse(status=Status.OK, tag="a", text="done"))
    assert conn.next_events() == []  # b waited for a, then was refused
    assert conn.data_to_send() == (
        b"a OK done\r\nb BAD [CLIENTBUG] Invalid message sequence number: the mailbox is empty\r\n"
    )


def test_unsolicited_closed_deselects() -> None:
    """RFC 9051 7.1 (CLOSED): the session is no longer in the selected state."""
    from imap_sansio._responses import AtomCode

    conn = selected_with([1])
    conn.send(
        StatusResponse(status=Status.OK, text="Mailbox deleted", code=AtomCode(name="CLOSED"))
    )
    assert conn.data_to_send() == b"* OK [CLOSED] Mailbox deleted\r\n"
    assert conn.state.value == "authenticated" and conn.view is None
    conn.receive_data(b"f FETCH 1 FLAGS\r\n")
    assert conn.data_to_send() == (
        b"f BAD [CLIENTBUG] FETCH is not valid in the authenticated state\r\n"
    )


# ------------------------------------------------- UIDONLY (RFC 9586)


def uidonly_with(uids: list[int]) -> ConnectionState:
    conn = selected_with(uids)
    assert conn.enable("UIDONLY") == ("UIDONLY",)
    return conn


def test_uidonly_refuses_sequence_numbers_in_the_engine() -> None:
    # RFC 9586 3: a command using message sequence numbers is BAD [UIDREQUIRED].
    conn = uidonly_with([10, 20, 30])
    assert conn.receive_data(b"a FETCH 1 FLAGS\r\nb UID SEARCH 1:2\r\n") == []
    refused = b" BAD [UIDREQUIRED] Message numbers are not allowed once UIDONLY is enabled"
    assert conn.data_to_send() == b"a" + refused + b"\r\nb" + refused + b"\r\n"
    (event,) = conn.receive_data(b"c UID FETCH 20:* FLAGS\r\n")
    assert isinstance(event, Fetch) and event.uid


def test_uidonly_writes_uidfetch_and_vanished() -> None:
    # RFC 9586 3.3: "* uid UIDFETCH (...)"; expunges as VANISHED.
    conn = uidonly_with([10, 20, 30])
    (fetch,) = conn.receive_data(b"c UID FETCH 20 FLAGS\r\n")
    assert isinstance(fetch, Fetch) and fetch.messages == UidSet.from_ranges(20)
    # The app's items go out as they are; the view's own UID is dropped.
    conn.send(FetchData(number=2, items=(FlagsItem(flags=("\\Seen",)), UidItem(uid=20))))
    view = conn.view
    assert view is not None
    view.expunge([10])
    view.set_flags(30, ["\\Flagged"])
    conn.send(StatusResponse(status=Status.OK, tag="c", text="FETCH completed"))
    assert conn.data_to_send() == (
        b"* 20 UIDFETCH (FLAGS (\\Seen) UID 20)\r\n"
        b"* VANISHED 10\r\n"
        b"* 30 UIDFETCH (FLAGS (\\Flagged))\r\n"
        b"c OK FETCH completed\r\n"
    )


# ----------------------------------------------- per range, a few bytes a message


uid_lists = st.lists(st.integers(1, 300), max_size=60).map(lambda u: sorted(set(u)))
number_sets = st.lists(
    st.tuples(st.integers(0, 320), st.integers(0, 320)), min_size=1, max_size=5
).map(lambda pairs: [(a, b) if a or not b else (b, a) for a, b in pairs])


@settings(max_examples=300, deadline=None)
@given(uid_lists, number_sets, st.booleans())
def test_a_set_resolves_per_range_to_the_same_uids_as_per_message(
    uids: list[int], pairs: list[tuple[int, int]], by_uid: bool
) -> None:
    """resolve_set (runs found by bisection) names exactly the UIDs that
    resolve() lists one by one, as the most compact UID set."""
    view = view_of(uids)
    messages: SequenceSet | UidSet
    messages = UidSet.from_ranges(*pairs) if by_uid else SequenceSet.from_ranges(*pairs)
    try:
        expected = view.resolve(messages)
    except InvalidSequenceNumber:
        with pytest.raises(InvalidSequenceNumber):
            view.resolve_set(messages)
        return
    assert view.resolve_set(messages) == (uid_set(expected) or UidSet(ranges=()))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 300), st.integers(0, 40), number_sets, st.booleans())
def test_a_set_over_uids_without_gaps_resolves_as_per_message(
    first: int, count: int, pairs: list[tuple[int, int]], by_uid: bool
) -> None:
    """The same, where resolve_set finds one range by arithmetic (UIDs
    without a gap, a set of one range)."""
    view = view_of(list(range(first, first + count)))
    messages: SequenceSet | UidSet
    messages = UidSet.from_ranges(*pairs[:1]) if by_uid else SequenceSet.from_ranges(*pairs[:1])
    try:
        expected = view.resolve(messages)
    except InvalidSequenceNumber as exc:
        with pytest.raises(InvalidSequenceNumber, match=re.escape(str(exc))):
            view.resolve_set(messages)
        return
    assert view.resolve_set(messages) == (uid_set(expected) or UidSet(ranges=()))


def test_uid_fetch_of_everything_is_one_range_per_run_of_uids() -> None:
    """UID FETCH 1:* over 100,000 messages with one gap: two ranges, found
    without visiting each message."""
    conn = selected_with([*range(1, 50_001), *range(50_002, 100_002)])
    (event,) = conn.receive_data(b"a UID FETCH 1:* (FLAGS)\r\n")
    assert isinstance(event, Fetch)
    assert event.messages == UidSet.from_ranges((1, 50_000), (50_002, 100_001))


def test_a_selected_view_costs_a_few_bytes_per_message() -> None:
    """UIDs in an array, flags as an index into the flag sets told."""
    import tracemalloc

    count = 100_000
    uids = range(1, count + 1)
    seen, unseen = frozenset({"\\Seen"}), frozenset[str]()
    flags = {uid: seen if uid % 10 else unseen for uid in uids}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        view = SelectedMailboxView(
            uids=uids, uidvalidity=1, uidnext=count + 1, flags=flags, recent=uids
        )
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 8 * count, held
    assert view.flags_of(11) == {"\\Seen"} and view.flags_of(10) == frozenset()
    assert len(view.recent) == count and 5 in view.recent


def test_more_than_256_flag_combinations_keep_their_flags() -> None:
    view = view_of(list(range(1, 601)))
    for uid in range(1, 601):
        view.set_flags(uid, [f"$k{uid}"])
    assert all(view.flags_of(uid) == {f"$k{uid}"} for uid in range(1, 601))
    out = wire(view.drain(allow_expunge=True))
    assert out.count(b"FETCH") == 600 and b"* 600 FETCH (FLAGS ($k600) UID 600)" in out
    view.expunge([1, 300])
    view.drain(allow_expunge=True)
    assert view.flags_of(2) == {"$k2"} and view.flags_of(600) == {"$k600"}


def test_flag_sets_no_message_has_any_more_are_forgotten() -> None:
    """One message through 1,000 keyword sets, new messages with their own
    flags meanwhile: each message keeps the flags it was last given."""
    view = view_of([1, 2, 3], flags={2: ["\\Seen"]})
    for n in range(1000):
        view.set_flags(1, [f"$k{n}"])
        if n % 100 == 0:
            view.add_messages([4 + n // 100], flags={4 + n // 100: [f"$new{n}"]})
            view.drain(allow_expunge=True)
    assert view.flags_of(1) == {"$k999"} and view.flags_of(2) == {"\\Seen"}
    assert view.flags_of(3) == frozenset()
    assert [view.flags_of(4 + i) for i in range(10)] == [{f"$new{i * 100}"} for i in range(10)]


def test_a_change_the_session_told_is_not_echoed_by_the_sync() -> None:
    """The session's own FETCH/STORE told the client flags and MODSEQ 12
    (RFC 7162 3.1.4); the sync that reports modseq 12 adds nothing, a later
    change (13) is sent."""
    view = view_of([5, 6], modseqs={5: 3, 6: 4})
    view.set_flags(6, ["\\Seen"], modseq=12, announce=False)
    view.set_flags(6, ["\\Seen"], modseq=12)
    assert view.drain(allow_expunge=True, condstore=True) == []
    view.set_flags(6, ["\\Seen"], modseq=13)
    assert wire(view.drain(allow_expunge=True, condstore=True)) == (
        b"* 2 FETCH (FLAGS (\\Seen) UID 6 MODSEQ (13))\r\n"
    )


def test_a_sync_tells_a_modseq_that_moved_even_if_the_flags_did_not() -> None:
    """RFC 7162 3.2.4 (via 3.1): message 6 was changed and changed back
    (modseq 6), in the same sync as a new message (modseq 7) and another
    change (modseq 8): a CONDSTORE client hears of modseq 6 as well."""
    view = view_of([5, 6], modseqs={5: 3, 6: 4})
    view.add_messages([7], modseqs={7: 7})
    view.set_flags(5, ["\\Seen"], modseq=8)
    view.set_flags(6, [], modseq=6)
    assert wire(view.drain(allow_expunge=True, condstore=True)) == (
        b"* 1 FETCH (FLAGS (\\Seen) UID 5 MODSEQ (8))\r\n"
        b"* 2 FETCH (FLAGS () UID 6 MODSEQ (6))\r\n"
        b"* 3 EXISTS\r\n"
    )


def test_a_store_that_keeps_no_modseqs_is_judged_by_flags() -> None:
    """Every change reported with the same modseq (0): the session's own
    STORE is not echoed, a change made elsewhere is."""
    view = view_of([5, 6])
    view.set_flags(6, ["\\Seen"], modseq=0, announce=False)
    view.set_flags(6, ["\\Seen"], modseq=0)
    assert view.drain(allow_expunge=True) == []
    view.set_flags(5, ["\\Flagged"], modseq=0)
    assert wire(view.drain(allow_expunge=True)) == b"* 1 FETCH (FLAGS (\\Flagged) UID 5)\r\n"


def test_recent_survives_expunges_inside_its_runs() -> None:
    """RFC 3501 7.3.2: RECENT counts this session's \\Recent messages."""
    view = view_of([1, 2, 3, 4, 5], recent=[2, 3, 4, 5])
    view.expunge([3])
    view.add_messages([6, 7], recent=[7])
    assert wire(view.drain(allow_expunge=True)) == b"* 3 EXPUNGE\r\n* 6 EXISTS\r\n* 4 RECENT\r\n"
    assert sorted(view.recent) == [2, 4, 5, 7] and 3 not in view.recent
    view.set_flags(4, ["\\Seen"])
    assert wire(view.drain(allow_expunge=True)) == b"* 3 FETCH (FLAGS (\\Seen \\Recent) UID 4)\r\n"


_FETCH_MODSEQ = re.compile(rb"\* (\d+) FETCH \(FLAGS \(([^)]*)\) UID (\d+) MODSEQ \((\d+)\)\)\r\n")

modseq_ops = st.lists(
    st.tuples(
        st.sampled_from(["other", "own", "fetch", "sync"]),
        st.integers(1, 6),
        st.sampled_from(["\\Seen", "$A"]),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(modseq_ops)
def test_a_condstore_client_ends_up_with_every_flag_and_modseq(
    operations: list[tuple[str, int, str]],
) -> None:
    """RFC 7162 3.2.4 (via 3.1): after a sync and a drain the client knows
    each message's flags and MODSEQ, whether the change came from elsewhere
    or from the session itself (its own STORE or FETCH told the client, and
    the sync reports the same modseq again)."""
    truth = {uid: (frozenset[str](), 1) for uid in range(1, 7)}
    client = dict(truth)
    view = view_of(list(truth), modseqs=dict.fromkeys(truth, 1))
    counter = 1
    pending: set[int] = set()
    for op, uid, flag in [*operations, ("sync", 1, "")]:
        if op in ("other", "own"):
            counter += 1
            truth[uid] = (truth[uid][0] ^ {flag}, counter)
            pending.add(uid)
        if op in ("own", "fetch"):
            client[uid] = truth[uid]
            view.set_flags(uid, truth[uid][0], modseq=truth[uid][1], announce=False)
        if op == "sync":
            for changed in sorted(pending):
                view.set_flags(changed, truth[changed][0], modseq=truth[changed][1])
            pending.clear()
            data = wire(view.drain(allow_expunge=True, condstore=True))
            for m in _FETCH_MODSEQ.finditer(data):
                client[int(m.group(3))] = (frozenset(m.group(2).decode().split()), int(m.group(4)))
            assert len(data) == sum(len(m.group(0)) for m in _FETCH_MODSEQ.finditer(data))
            assert client == truth
