"""MemoryBackend against a trivial model, and at 100k messages."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from imap_sansio.server._backend import StoreAction
from imap_sansio.server._memory import MemoryBackend

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MAILBOXES = ("INBOX", "A", "B")
FLAGS = ("\\Seen", "\\Deleted", "\\Flagged", "$X", "kw")

mailboxes = st.sampled_from(MAILBOXES)
flag_sets = st.frozensets(st.sampled_from(FLAGS))
uid_lists = st.lists(st.integers(min_value=1, max_value=40), max_size=8)


class BackendAgainstModel(RuleBasedStateMachine):
    """Model: mailbox -> list of (uid, flags, data) plus uidnext.

    A "session" per mailbox keeps what it was last told and catches up with
    changes_since; it must always end up equal to the model.
    """

    def __init__(self) -> None:
        super().__init__()
        self.backend = MemoryBackend(users={"u": "p"})
        self.account = self.backend.account("u")
        for name in MAILBOXES[1:]:
            self.account.create_mailbox(name)
        self.handles = {name: self.account.select(name) for name in MAILBOXES}
        self.model: dict[str, list[tuple[int, frozenset[str], bytes]]] = {n: [] for n in MAILBOXES}
        self.uidnext = dict.fromkeys(MAILBOXES, 1)
        self.counter = 0
        self.session: dict[str, tuple[int, dict[int, frozenset[str]]]] = {
            n: (self.handles[n].status().highest_modseq, {}) for n in MAILBOXES
        }

    def _add(self, name: str, flags: frozenset[str], data: bytes) -> int:
        uid = self.uidnext[name]
        self.uidnext[name] += 1
        self.model[name].append((uid, flags, data))
        return uid

    @rule(name=mailboxes, flags=flag_sets)
    def append(self, name: str, flags: frozenset[str]) -> None:
        self.counter += 1
        data = b"Subject: %d\r\n\r\n" % self.counter
        result = self.account.append(name, data, flags=flags, internal_date=DATE)
        assert result.uid == self._add(name, flags, data)

    @rule(
        name=mailboxes,
        uids=uid_lists,
        action=st.sampled_from(StoreAction),
        flags=flag_sets,
    )
    def store(self, name: str, uids: list[int], action: StoreAction, flags: frozenset[str]) -> None:
        self.handles[name].store_flags(uids, action, flags)
        wanted = set(uids)
        updated = []
        for uid, old, data in self.model[name]:
            new = old
            if uid in wanted:
                if action is StoreAction.SET:
                    new = flags
                elif action is StoreAction.ADD:
                    new = old | flags
                else:
                    new = old - flags
            updated.append((uid, new, data))
        self.model[name] = updated

    @rule(name=mailboxes, uids=st.none() | uid_lists)
    def expunge(self, name: str, uids: list[int] | None) -> None:
        expunged = self.handles[name].expunge(uids)
        expected = tuple(
            uid
            for uid, flags, _ in self.model[name]
            if "\\Deleted" in flags and (uids is None or uid in uids)
        )
        assert expunged == expected
        self.model[name] = [m for m in self.model[name] if m[0] not in expected]

    @rule(source=mailboxes, dest=mailboxes, uids=uid_lists, move=st.booleans())
    def copy(self, source: str, dest: str, uids: list[int], move: bool) -> None:
        handle = self.handles[source]
        result = handle.move(uids, dest) if move else handle.copy(uids, dest)
        picked = [m for m in self.model[source] if m[0] in set(uids)]
        expected = [(uid, self._add(dest, flags, data)) for uid, flags, data in picked]
        assert list(result.uid_map) == expected
        if move:
            gone = {uid for uid, _, _ in picked}
            self.model[source] = [m for m in self.model[source] if m[0] not in gone]

    @rule(name=mailboxes)
    def catch_up(self, name: str) -> None:
        modseq, known = self.session[name]
        changes = self.handles[name].changes_since(modseq)
        assert changes.highest_modseq >= modseq
        for uid in changes.expunged:
            assert uid in known
            del known[uid]
        for info in changes.changed:
            assert info.uid in known
            known[info.uid] = info.flags
        for info in changes.new:
            assert info.uid not in known
            known[info.uid] = info.flags
        assert known == {uid: flags for uid, flags, _ in self.model[name]}
        self.session[name] = (changes.highest_modseq, known)

    @invariant()
    def backend_agrees_with_model(self) -> None:
        for name in MAILBOXES:
            handle = self.handles[name]
            listed = [(m.uid, m.flags) for m in handle.messages()]
            assert listed == [(uid, flags) for uid, flags, _ in self.model[name]]
            for uid, _, data in self.model[name][:3]:
                assert handle.message_bytes(uid) == data
            status = handle.status()
            assert status.messages == len(self.model[name])
            assert status.uidnext == self.uidnext[name]
            assert status.unseen == sum("\\Seen" not in f for _, f, _ in self.model[name])
            assert status.deleted == sum("\\Deleted" in f for _, f, _ in self.model[name])


TestBackendAgainstModel = BackendAgainstModel.TestCase
TestBackendAgainstModel.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)


def test_100k_messages_append_expunge_half_and_catch_up() -> None:
    """Must take seconds, not minutes: no O(n^2) anywhere (a benchmark comes later)."""
    backend = MemoryBackend(users={"u": "p"})
    account = backend.account("u")
    data = b"Subject: x\r\n\r\nx\r\n"
    for _ in range(100_000):
        account.append("INBOX", data, internal_date=DATE)
    inbox = account.select("INBOX")
    mark = inbox.status().highest_modseq
    assert len(inbox.messages()) == 100_000
    assert len(inbox.messages(range(1, 100_001))) == 100_000

    odd = range(1, 100_001, 2)
    result = inbox.store_flags(odd, StoreAction.ADD, ["\\Deleted"])
    assert len(result.changed) == 50_000
    expunged = inbox.expunge()
    assert expunged == tuple(odd)

    changes = inbox.changes_since(mark)
    assert changes.expunged == tuple(odd)
    assert (changes.new, changes.changed) == ((), ())
    assert [m.uid for m in inbox.messages(range(1, 11))] == [2, 4, 6, 8, 10]
    status = inbox.status()
    assert (status.messages, status.deleted, status.uidnext) == (50_000, 0, 100_001)
    # A few more single expunges stay cheap (bisection, not a rebuild).
    inbox.store_flags([2, 100_000], StoreAction.ADD, ["\\Deleted"])
    assert inbox.expunge([2, 100_000]) == (2, 100_000)
    assert inbox.changes_since(changes.highest_modseq).expunged == (2, 100_000)
