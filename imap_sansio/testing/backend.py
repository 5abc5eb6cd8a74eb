"""The Backend contract: what every store must do, as a pytest class to subclass.

Usage (one fixture, ``backend``, returning a backend where user ``alice``
with password ``secret`` exists and has only an empty INBOX)::

    from imap_sansio.testing.backend import BackendContract

    class TestMaildir(BackendContract):
        @pytest.fixture
        def backend(self, tmp_path):
            return MaildirBackend(tmp_path, users={"alice": "secret"})

The tests call the store the way the server does: names normalised, flags
canonical, hierarchy rules already applied (see
:mod:`imap_sansio.server._backend`).  Optional protocols are tested when the
account implements them.  A backend says whether it is thread-safe with a
``thread_safe`` attribute (the adapters read it: only a thread-safe backend
is called from several sessions at once); the contract checks that the
attribute agrees with the class's ``thread_safe``.  For a backend that is not
thread-safe (``thread_safe = False``) the concurrency tests serialise its
calls, as its users must; a thread-safe one is called from several threads
at once, with the interpreter switching threads as often as it can.

This module needs pytest (the ``test`` extra); it is imported by nobody else
in the package.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar, Protocol, TypeVar

import pytest

from imap_sansio._secret import Secret
from imap_sansio._source import BytesSource
from imap_sansio.server import (
    INDEXED_FLAGS,
    Account,
    AclAccount,
    AppendLimitAccount,
    AuthenticationFailed,
    Backend,
    ChangeNotice,
    CondstoreAccount,
    FlagIndexMailbox,
    ImapNo,
    Mailbox,
    MailboxExists,
    MetadataAccount,
    NoSuchMailbox,
    ObjectIdAccount,
    QuotaAccount,
    QuotaResource,
    ReplaceMailbox,
    SaveDateAccount,
    SpecialUseCreateAccount,
    StoreAction,
    UrlAuthAccount,
)

__all__ = ["BackendContract", "Threads"]

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MSG = b"Subject: hello\r\n\r\nbody\r\n"
_T = TypeVar("_T")


def _message(i: int) -> bytes:
    return b"Subject: %d\r\n\r\n%d\r\n" % (i, i)


def _fill(account: Account, n: int, mailbox: str = "INBOX") -> None:
    for i in range(n):
        account.append(mailbox, _message(i), internal_date=DATE)


def _is_objectid(value: object) -> bool:
    # RFC 8474 7: objectid = 1*255(ALPHA / DIGIT / "_" / "-")
    return (
        isinstance(value, str)
        and 1 <= len(value) <= 255
        and all(c.isascii() and (c.isalnum() or c in "_-") for c in value)
    )


def _names(account: Account) -> dict[str, bool]:
    return {m.name: m.selectable for m in account.list_mailboxes()}


class _HugeUidSet:
    """Like the core's UID set for "1:4294967295": huge len(), fast ``in``."""

    def __len__(self) -> int:
        return 2**32 - 1

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and uid >= 2

    def __iter__(self) -> Iterator[int]:
        raise AssertionError("a huge UID set must not be iterated")


class Threads(Protocol):
    """What the concurrency tests need of threads: the ``backend_threads``
    fixture of the pytest plugin (``imap_sansio.adapters``) provides it, so
    this pure module starts none itself."""

    def lock(self) -> contextlib.AbstractContextManager[object]: ...

    def run(
        self,
        jobs: Sequence[Callable[[], None]],
        *,
        background: Sequence[Callable[[Callable[[], bool]], None]] = (),
    ) -> None:
        """Run ``jobs`` at once with ``background`` (told to stop when every
        job has ended); raise the first error any of them raised."""
        ...


class BackendContract:
    """Subclass it and provide the ``backend`` fixture."""

    #: False for a backend whose calls its users must serialise.
    thread_safe: ClassVar[bool] = True

    @pytest.fixture
    def backend(self) -> Backend:
        raise NotImplementedError("a BackendContract subclass provides the backend fixture")

    @pytest.fixture
    def alice(self, backend: Backend) -> Account:
        return backend.authenticate("alice", Secret("secret"))

    @pytest.fixture
    def inbox(self, alice: Account) -> Mailbox:
        return alice.select("INBOX")

    # -- the not-authenticated state -------------------------------------

    def test_implements_the_protocols(
        self, backend: Backend, alice: Account, inbox: Mailbox
    ) -> None:
        assert isinstance(backend, Backend)
        assert isinstance(alice, Account)
        assert isinstance(inbox, Mailbox)
        assert alice.username == "alice"
        assert _names(alice) == {"INBOX": True}

    def test_authenticate_says_nothing_about_which_part_was_wrong(self, backend: Backend) -> None:
        with pytest.raises(AuthenticationFailed) as wrong:
            backend.authenticate("alice", Secret("Secret"))
        with pytest.raises(AuthenticationFailed) as unknown:
            backend.authenticate("bob", Secret("secret"))
        assert (wrong.value.code, wrong.value.text) == (unknown.value.code, unknown.value.text)
        assert backend.authenticate("alice", Secret("secret"), authzid="alice").username == "alice"
        with pytest.raises(ImapNo, check=lambda e: e.code == "AUTHORIZATIONFAILED"):
            backend.authenticate("alice", Secret("secret"), authzid="root")

    def test_password_is_in_no_repr(self, backend: Backend, alice: Account, inbox: Mailbox) -> None:
        for thing in (backend, alice, inbox):
            assert "secret" not in repr(thing)

    # -- APPEND and STATUS -------------------------------------------------

    def test_append_assigns_increasing_uids(self, alice: Account) -> None:
        first = alice.append("INBOX", MSG, flags=["\\Seen", "work"], internal_date=DATE)
        second = alice.append("INBOX", MSG, internal_date=DATE)
        uidvalidity = alice.status("INBOX").uidvalidity
        assert (first.uidvalidity, first.uid, second.uid) == (uidvalidity, 1, 2)
        [one, two] = alice.select("INBOX").messages()
        assert (one.flags, one.internal_date, one.size) == (
            frozenset({"\\Seen", "work"}),
            DATE,
            len(MSG),
        )
        assert two.flags == frozenset()

    def test_append_keeps_the_given_time_zone(self, alice: Account) -> None:
        date = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-7)))
        alice.append("INBOX", MSG, internal_date=date)
        [info] = alice.select("INBOX").messages()
        assert info.internal_date == date
        assert info.internal_date.utcoffset() == timedelta(hours=-7)

    def test_no_such_mailbox_for_a_name_that_is_not_a_mailbox(self, alice: Account) -> None:
        alice.create_mailbox("a")
        alice.create_mailbox("a/b")
        alice.delete_mailbox("a", noselect=True)
        for name in ("nope", "a"):  # nothing, and a \Noselect level
            with pytest.raises(NoSuchMailbox):
                alice.append(name, MSG, internal_date=DATE)
            with pytest.raises(NoSuchMailbox):
                alice.status(name)
            with pytest.raises(NoSuchMailbox):
                alice.select(name)
        assert alice.status("a/b").messages == 0

    def test_status_counts(self, alice: Account, inbox: Mailbox) -> None:
        alice.append("INBOX", b"12345", flags=["\\Seen"], internal_date=DATE)
        alice.append("INBOX", b"123", flags=["\\Deleted"], internal_date=DATE)
        alice.append("INBOX", b"1", internal_date=DATE)
        status = alice.status("INBOX")
        counts = (status.messages, status.unseen, status.deleted, status.size, status.uidnext)
        assert counts == (3, 2, 1, 9, 4)
        assert inbox.status() == status
        inbox.store_flags([2, 3], StoreAction.ADD, ["\\Seen"])
        inbox.expunge()
        status = alice.status("INBOX")
        counts = (status.messages, status.unseen, status.deleted, status.size, status.uidnext)
        assert counts == (2, 0, 0, 6, 4)

    # -- STORE ---------------------------------------------------------------

    def test_store_set_add_remove(self, alice: Account, inbox: Mailbox) -> None:
        _fill(alice, 3)
        result = inbox.store_flags([1, 2], StoreAction.ADD, ["\\Seen", "work"])
        assert result.changed == (1, 2)
        assert [m.flags for m in result.messages] == [frozenset({"\\Seen", "work"})] * 2
        result = inbox.store_flags(range(1, 4), StoreAction.REMOVE, ["work"])
        assert result.changed == (1, 2)
        assert [m.uid for m in result.messages] == [1, 2, 3]
        result = inbox.store_flags([3, 99], StoreAction.SET, ["\\Flagged"])
        assert [(m.uid, m.flags) for m in result.messages] == [(3, frozenset({"\\Flagged"}))]
        assert inbox.keywords() == ("work",)
        assert [m.flags for m in inbox.messages()] == [
            frozenset({"\\Seen"}),
            frozenset({"\\Seen"}),
            frozenset({"\\Flagged"}),
        ]

    def test_store_bumps_modseq_once_and_not_without_change(
        self, alice: Account, inbox: Mailbox
    ) -> None:
        _fill(alice, 3)
        before = inbox.status().highest_modseq
        result = inbox.store_flags([1, 2, 3], StoreAction.ADD, ["\\Seen"])
        assert {m.modseq for m in result.messages} == {before + 1}
        assert inbox.store_flags([1], StoreAction.ADD, ["\\Seen"]).changed == ()
        assert inbox.status().highest_modseq == before + 1

    def test_store_unchangedsince(self, alice: Account, inbox: Mailbox) -> None:
        # RFC 7162 3.1.3: messages changed after UNCHANGEDSINCE are not touched.
        _fill(alice, 3)
        checkpoint = inbox.status().highest_modseq
        inbox.store_flags([2], StoreAction.ADD, ["\\Flagged"])
        result = inbox.store_flags(
            [1, 2, 3], StoreAction.ADD, ["\\Seen"], unchanged_since=checkpoint
        )
        assert (result.changed, result.modified) == ((1, 3), (2,))
        assert inbox.messages([2])[0].flags == frozenset({"\\Flagged"})

    # -- COPY, MOVE, EXPUNGE ---------------------------------------------------

    def test_copy_returns_the_uid_mapping(self, alice: Account, inbox: Mailbox) -> None:
        _fill(alice, 4)
        alice.create_mailbox("dest")
        alice.append("dest", MSG, internal_date=DATE)
        inbox.store_flags([3], StoreAction.ADD, ["\\Answered", "x"])
        result = inbox.copy([4, 3, 99], "dest")
        assert result.uidvalidity == alice.status("dest").uidvalidity
        assert result.uid_map == ((3, 2), (4, 3))
        dest = alice.select("dest")
        assert [(m.flags, m.internal_date) for m in dest.messages([2, 3])] == [
            (frozenset({"\\Answered", "x"}), DATE),
            (frozenset(), DATE),
        ]
        assert dest.message_bytes(2) == inbox.message_bytes(3) == _message(2)
        assert inbox.status().messages == 4
        assert inbox.copy([], "dest").uid_map == ()
        with pytest.raises(NoSuchMailbox):
            inbox.copy([1], "nope")
        with pytest.raises(NoSuchMailbox):
            inbox.move([1], "nope")
        assert inbox.status().messages == 4

    def test_move_expunges_the_source(self, alice: Account, inbox: Mailbox) -> None:
        _fill(alice, 3)
        alice.create_mailbox("dest")
        checkpoint = inbox.status().highest_modseq
        result = inbox.move([1, 3], "dest")
        assert result.uid_map == ((1, 1), (3, 2))
        assert [m.uid for m in inbox.messages()] == [2]
        assert inbox.changes_since(checkpoint).expunged == (1, 3)
        dest = alice.select("dest")
        assert [dest.message_bytes(u) for u in (1, 2)] == [_message(0), _message(2)]

    def test_move_into_the_same_mailbox_gives_new_uids(
        self, alice: Account, inbox: Mailbox
    ) -> None:
        _fill(alice, 2)
        assert inbox.move([1], "INBOX").uid_map == ((1, 3),)
        assert [m.uid for m in inbox.messages()] == [2, 3]
        assert inbox.message_bytes(3) == _message(0)

    def test_expunge_all_deleted_and_uid_expunge(self, alice: Account, inbox: Mailbox) -> None:
        _fill(alice, 5)
        inbox.store_flags([1, 2, 4, 5], StoreAction.ADD, ["\\Deleted"])
        # RFC 4315 2.1: UID EXPUNGE removes only \Deleted messages in the set.
        assert inbox.expunge([2, 3, 4]) == (2, 4)
        assert inbox.expunge() == (1, 5)
        assert [m.uid for m in inbox.messages()] == [3]
        assert inbox.message_bytes(1) is None
        assert inbox.expunge() == ()

    def test_open_message_reads_the_stored_bytes_by_offset(
        self, alice: Account, inbox: Mailbox
    ) -> None:
        big = b"Subject: big\r\n\r\n" + b"".join(b"%06d\r\n" % i for i in range(40_000))
        alice.append("INBOX", MSG, internal_date=DATE)
        alice.append("INBOX", big, internal_date=DATE)
        for uid, data in ((1, MSG), (2, big)):
            source = inbox.open_message(uid)
            assert source is not None
            # The size is RFC822.SIZE; the bytes are message_bytes().
            assert source.size == len(data) == inbox.messages([uid])[0].size
            # Byte by byte over the small one; pieces that cross every
            # internal chunk boundary over the big one (a store may answer
            # each read with a query: 40,000 one-byte reads are minutes).
            pieces = (1, 7, 65_536, len(data)) if len(data) < 4096 else (4093, 65_536, len(data))
            for piece in pieces:
                got = b"".join(
                    source.read(offset, piece) for offset in range(0, source.size, piece)
                )
                assert got == data == inbox.message_bytes(uid)
            # Any offset, in any order; past the end is empty.
            assert source.read(len(data) - 3, 100) == data[-3:]
            assert source.read(5, 4) == data[5:9]
            assert source.read(len(data), 10) == b""
            source.close()
            assert source.read(0, 9) == data[:9]  # readable again after close()
            source.close()
        assert inbox.open_message(3) is None
        inbox.store_flags([1], StoreAction.ADD, ["\\Deleted"])
        inbox.expunge()
        assert inbox.open_message(1) is None

    def test_append_takes_a_message_source(self, alice: Account, inbox: Mailbox) -> None:
        data = b"Subject: spooled\r\n\r\n" + b"0123456789\r\n" * 30_000
        result = alice.append("INBOX", BytesSource(data), flags=["\\Seen"], internal_date=DATE)
        assert inbox.message_bytes(result.uid) == data
        [info] = inbox.messages([result.uid])
        assert (info.size, info.flags) == (len(data), frozenset({"\\Seen"}))

    def test_uid_collections_are_never_materialised(self, alice: Account, inbox: Mailbox) -> None:
        _fill(alice, 4)
        assert [m.uid for m in inbox.messages(_HugeUidSet())] == [2, 3, 4]
        assert [m.uid for m in inbox.messages(range(3, 2**32))] == [3, 4]
        inbox.store_flags(_HugeUidSet(), StoreAction.ADD, ["\\Deleted"])
        assert inbox.expunge(_HugeUidSet()) == (2, 3, 4)

    # -- modseqs, tombstones, \Recent, notifications ------------------------------

    def test_changes_since_after_every_kind_of_change(self, alice: Account, inbox: Mailbox) -> None:
        _fill(alice, 3)
        start = inbox.status().highest_modseq
        nothing = inbox.changes_since(start)
        assert (nothing.new, nothing.changed, nothing.expunged) == ((), (), ())
        alice.append("INBOX", MSG, internal_date=DATE)  # uid 4
        after_append = inbox.changes_since(start)
        assert [m.uid for m in after_append.new] == [4]
        assert after_append.uidnext == 5
        assert after_append.uidvalidity == inbox.uidvalidity
        inbox.store_flags([2], StoreAction.ADD, ["\\Seen"])
        after_store = inbox.changes_since(after_append.highest_modseq)
        assert [(m.uid, m.flags) for m in after_store.changed] == [(2, frozenset({"\\Seen"}))]
        inbox.store_flags([3], StoreAction.ADD, ["\\Deleted"])
        inbox.expunge()
        after_expunge = inbox.changes_since(after_store.highest_modseq)
        assert (after_expunge.new, after_expunge.changed, after_expunge.expunged) == (
            (),
            (),
            (3,),
        )
        # Tombstones stay: the whole history is still there from the start.
        total = inbox.changes_since(start)
        assert [m.uid for m in total.new] == [4]
        assert [m.uid for m in total.changed] == [2]
        assert total.expunged == (3,)
        assert total.highest_modseq == inbox.status().highest_modseq > start

    def test_message_both_appended_and_expunged_is_not_reported(
        self, alice: Account, inbox: Mailbox
    ) -> None:
        _fill(alice, 1)
        start = inbox.status().highest_modseq
        alice.append("INBOX", MSG, flags=["\\Deleted"], internal_date=DATE)
        alice.append("INBOX", MSG, internal_date=DATE)
        inbox.expunge()
        changes = inbox.changes_since(start)
        assert [m.uid for m in changes.new] == [3]
        assert (changes.changed, changes.expunged) == ((), ())

    def test_a_flag_change_then_expunge_is_only_an_expunge(
        self, alice: Account, inbox: Mailbox
    ) -> None:
        _fill(alice, 2)
        start = inbox.status().highest_modseq
        inbox.store_flags([1], StoreAction.ADD, ["\\Flagged"])
        inbox.store_flags([1], StoreAction.ADD, ["\\Deleted"])
        inbox.expunge()
        changes = inbox.changes_since(start)
        assert (changes.new, changes.changed, changes.expunged) == ((), (), (1,))

    def test_a_new_message_with_changed_flags_is_new(self, alice: Account, inbox: Mailbox) -> None:
        start = inbox.status().highest_modseq
        _fill(alice, 1)
        inbox.store_flags([1], StoreAction.ADD, ["\\Seen"])
        changes = inbox.changes_since(start)
        assert [(m.uid, m.flags) for m in changes.new] == [(1, frozenset({"\\Seen"}))]
        assert changes.changed == ()

    def test_listeners_hear_every_change(self, backend: Backend, alice: Account) -> None:
        heard: list[ChangeNotice] = []
        remove = backend.add_listener(heard.append)
        alice.append("INBOX", MSG, internal_date=DATE)
        inbox = alice.select("INBOX")
        inbox.store_flags([1], StoreAction.ADD, ["\\Deleted"])
        inbox.store_flags([1], StoreAction.ADD, ["\\Deleted"])  # no change: no notice
        inbox.expunge()
        alice.create_mailbox("a")
        assert heard == [
            ChangeNotice(username="alice", mailbox="INBOX"),
            ChangeNotice(username="alice", mailbox="INBOX"),
            ChangeNotice(username="alice", mailbox="INBOX"),
            ChangeNotice(username="alice", mailbox=None),
        ]
        remove()
        alice.append("INBOX", MSG, internal_date=DATE)
        assert len(heard) == 4

    def test_exactly_one_session_claims_each_recent_message(
        self, backend: Backend, alice: Account
    ) -> None:
        _fill(alice, 2)
        assert alice.status("INBOX").recent == 2
        one = alice.select("INBOX")
        two = backend.authenticate("alice", Secret("secret")).select("INBOX")
        assert one.claim_recent() == (1, 2)
        assert two.claim_recent() == ()
        assert alice.status("INBOX").recent == 0
        _fill(alice, 2)
        one.store_flags([3], StoreAction.ADD, ["\\Deleted"])
        one.expunge()
        assert alice.status("INBOX").recent == 1
        assert two.claim_recent() == (4,)

    # -- the hierarchy primitives --------------------------------------------------

    def test_create_makes_exactly_one_mailbox(self, alice: Account) -> None:
        alice.create_mailbox("a/b")  # the server creates "a" itself, when it wants it
        alice.create_mailbox("c")
        assert _names(alice) == {"INBOX": True, "a/b": True, "c": True}
        assert alice.status("c").messages == 0
        for name in ("INBOX", "c"):
            with pytest.raises(MailboxExists):
                alice.create_mailbox(name)

    def test_delete_removes_a_mailbox_or_leaves_a_noselect_level(self, alice: Account) -> None:
        alice.create_mailbox("a")
        alice.create_mailbox("a/b")
        alice.create_mailbox("c")
        alice.append("a", MSG, internal_date=DATE)
        old = alice.status("a").uidvalidity
        handle = alice.select("a")
        # RFC 3501 6.3.4: the messages go, the name stays as \Noselect.
        alice.delete_mailbox("a", noselect=True)
        assert _names(alice) == {"INBOX": True, "a": False, "a/b": True, "c": True}
        with pytest.raises(NoSuchMailbox):
            handle.changes_since(0)
        with pytest.raises(NoSuchMailbox):
            handle.messages()
        alice.create_mailbox("a")  # the level becomes a new, empty mailbox
        assert alice.status("a").messages == 0
        assert alice.status("a").uidvalidity > old
        alice.delete_mailbox("c")
        alice.delete_mailbox("a/b")
        alice.delete_mailbox("a", noselect=True)
        alice.delete_mailbox("a")  # a \Noselect level goes too
        assert _names(alice) == {"INBOX": True}
        with pytest.raises(NoSuchMailbox):
            alice.delete_mailbox("nope")

    def test_a_recreated_mailbox_has_a_greater_uidvalidity(
        self, alice: Account, inbox: Mailbox
    ) -> None:
        alice.create_mailbox("a")
        alice.append("a", MSG, internal_date=DATE)
        old = alice.status("a").uidvalidity
        alice.delete_mailbox("a")
        alice.create_mailbox("a")
        status = alice.status("a")
        # RFC 3501 2.3.1.1: UIDs of the old mailbox must never be taken for new ones.
        assert (status.messages, status.uidvalidity > old) == (0, True)

    def test_rename_moves_names_and_open_handles_follow(self, alice: Account) -> None:
        for name in ("a", "a/b", "a/b/c"):
            alice.create_mailbox(name)
        alice.append("a/b", MSG, internal_date=DATE)
        before = alice.status("a/b")
        handle = alice.select("a/b")
        alice.rename_mailboxes({"a": "x", "a/b": "x/b", "a/b/c": "x/b/c"})
        assert _names(alice) == {"INBOX": True, "x": True, "x/b": True, "x/b/c": True}
        assert alice.status("x/b") == before
        assert handle.name == "x/b"
        alice.append("x/b", MSG, internal_date=DATE)
        assert [m.uid for m in handle.changes_since(before.highest_modseq).new] == [2]
        with pytest.raises(NoSuchMailbox):
            alice.rename_mailboxes({"nope": "y"})
        with pytest.raises(MailboxExists):
            alice.rename_mailboxes({"x/b/c": "x"})
        assert _names(alice) == {"INBOX": True, "x": True, "x/b": True, "x/b/c": True}

    def test_rename_keeps_a_noselect_level(self, alice: Account) -> None:
        alice.create_mailbox("a")
        alice.create_mailbox("a/b")
        alice.delete_mailbox("a", noselect=True)
        alice.rename_mailboxes({"a": "z", "a/b": "z/b"})
        assert _names(alice) == {"INBOX": True, "z": False, "z/b": True}

    def test_uidvalidity_only_grows_for_a_name(self, alice: Account) -> None:
        alice.create_mailbox("B")
        alice.create_mailbox("A")
        a_old = alice.status("A").uidvalidity
        alice.delete_mailbox("A")
        alice.rename_mailboxes({"B": "A"})  # RFC 3501 2.3.1.1
        assert alice.status("A").uidvalidity > a_old

    def test_subscriptions_are_names_not_mailboxes(self, alice: Account) -> None:
        # RFC 3501 6.3.6: a subscription may name a mailbox that does not exist.
        start = alice.subscriptions()
        alice.create_mailbox("Sent")
        alice.subscribe("Sent")
        alice.subscribe("not/yet")
        alice.unsubscribe("INBOX")
        alice.unsubscribe("never")
        # RFC 3501 6.3.6: the server "MUST NOT unilaterally remove" a subscription.
        alice.delete_mailbox("Sent")
        assert alice.subscriptions() == (start - {"INBOX"}) | {"Sent", "not/yet"}
        # RFC 9051 6.3.6: "renaming a mailbox doesn't update subscription information".
        alice.create_mailbox("X")
        alice.subscribe("X")
        alice.rename_mailboxes({"X": "Y"})
        assert "X" in alice.subscriptions()
        assert "Y" not in alice.subscriptions()

    # -- optional protocols ------------------------------------------------------

    def test_special_use_create(self, alice: Account) -> None:
        if not isinstance(alice, SpecialUseCreateAccount):
            assert all(not m.special_use for m in alice.list_mailboxes())
            return
        alice.create_special_use_mailbox("Sent Items", ["\\Sent"])
        info = {m.name: m for m in alice.list_mailboxes()}["Sent Items"]
        assert info.special_use == frozenset({"\\Sent"})
        with pytest.raises(MailboxExists):
            alice.create_special_use_mailbox("Sent Items", ["\\Drafts"])

    def test_quota(self, alice: Account) -> None:
        if not isinstance(alice, QuotaAccount):
            return
        roots = alice.quota_roots("INBOX")
        for root in roots:
            assert all(isinstance(r, QuotaResource) for r in alice.quota(root))
        with pytest.raises(NoSuchMailbox):
            alice.quota_roots("nope")

    def test_acl_is_kept_per_mailbox_and_identifier(self, backend: Backend, alice: Account) -> None:
        if not isinstance(alice, AclAccount):
            return
        assert dict(alice.get_acl("INBOX")) == {}
        alice.set_acl("INBOX", "bob", "lr")
        alice.set_acl("INBOX", "-anyone", "w")
        alice.set_acl("INBOX", "Grüne Gruppe", "")
        alice.set_acl("INBOX", "bob", "lrs")  # replaced where it was
        assert list(alice.get_acl("INBOX").items()) == [
            ("bob", "lrs"),
            ("-anyone", "w"),
            ("Grüne Gruppe", ""),
        ]
        again = backend.authenticate("alice", Secret("secret"))
        assert isinstance(again, AclAccount)
        assert dict(again.get_acl("INBOX")) == {"bob": "lrs", "-anyone": "w", "Grüne Gruppe": ""}
        alice.set_acl("INBOX", "bob", None)
        alice.set_acl("INBOX", "nobody", None)  # removing what is not there is no error
        assert dict(alice.get_acl("INBOX")) == {"-anyone": "w", "Grüne Gruppe": ""}
        for call in (lambda: alice.get_acl("nope"), lambda: alice.set_acl("nope", "bob", "l")):
            with pytest.raises(NoSuchMailbox):
                call()

    def test_acl_goes_with_rename_and_delete(self, alice: Account) -> None:
        if not isinstance(alice, AclAccount):
            return
        alice.create_mailbox("A")
        alice.create_mailbox("A/B")
        alice.set_acl("A", "bob", "lr")
        alice.set_acl("A/B", "bob", "l")
        # RFC 4314 4: RENAME keeps the ACLs, DELETE deletes them.
        alice.rename_mailboxes({"A": "C", "A/B": "C/B"})
        assert dict(alice.get_acl("C")) == {"bob": "lr"}
        assert dict(alice.get_acl("C/B")) == {"bob": "l"}
        with pytest.raises(NoSuchMailbox):
            alice.get_acl("A")
        alice.delete_mailbox("C", noselect=True)
        alice.create_mailbox("C")
        assert dict(alice.get_acl("C")) == {}
        alice.delete_mailbox("C/B")
        alice.create_mailbox("C/B")
        assert dict(alice.get_acl("C/B")) == {}

    def test_acl_shares_mailboxes_with_other_users(self, backend: Backend, alice: Account) -> None:
        add_user = getattr(backend, "add_user", None)
        if not isinstance(alice, AclAccount) or add_user is None:
            return
        add_user("bob", "bobsecret")
        bob = backend.authenticate("bob", Secret("bobsecret"))
        assert isinstance(bob, AclAccount)
        alice.create_mailbox("Shared")
        alice.append("Shared", MSG, internal_date=DATE)
        alice.set_acl("Shared", "bob", "lr")
        alice.set_acl("INBOX", "anyone", "l")
        bob.set_acl("INBOX", "alice", "l")
        assert sorted(bob.shared_mailboxes(["bob", "anyone"])) == [
            ("alice", "INBOX"),
            ("alice", "Shared"),
        ]
        assert bob.shared_mailboxes(["carol"]) == []
        assert alice.shared_mailboxes(["alice"]) == [("bob", "INBOX")]  # never one's own
        other = bob.other_account("alice")
        assert other.username == "alice"
        assert other.select("Shared").message_bytes(1) == MSG
        with pytest.raises(NoSuchMailbox):
            bob.other_account("nobody")

    def test_append_limit(self, alice: Account) -> None:
        if isinstance(alice, AppendLimitAccount):
            limit = alice.append_limit()
            assert limit is None or limit > len(MSG)

    def test_condstore_keeps_modseqs(self, alice: Account, inbox: Mailbox) -> None:
        if isinstance(alice, CondstoreAccount):
            alice.enable_condstore()
        _fill(alice, 2)
        infos = inbox.messages()
        assert infos[0].modseq < infos[1].modseq <= inbox.status().highest_modseq

    def test_urlauth_keys(self, backend: Backend, alice: Account) -> None:
        """URLAUTH's mailbox access keys (RFC 4467 3): made once, shared by
        every account object (and process) of the user, forgotten by RESETKEY."""
        if not isinstance(alice, UrlAuthAccount):
            return
        assert alice.urlauth_key("INBOX") is None
        assert alice.urlauth_key("INBOX", b"k" * 32) == b"k" * 32
        # A second request keeps the first key (two sessions racing agree).
        assert alice.urlauth_key("INBOX", b"x" * 32) == b"k" * 32
        other = backend.authenticate("alice", Secret("secret"))
        assert isinstance(other, UrlAuthAccount)
        assert other.urlauth_key("INBOX") == b"k" * 32
        assert other.urlauth_key("Sent Items", bytes(range(32))) == bytes(range(32))
        alice.reset_urlauth_keys("INBOX")
        assert other.urlauth_key("INBOX") is None
        assert alice.urlauth_key("Sent Items") == bytes(range(32))
        alice.urlauth_key("INBOX", b"n" * 32)
        other.reset_urlauth_keys()
        assert alice.urlauth_key("INBOX") is None
        assert alice.urlauth_key("Sent Items") is None

    def test_flag_index_agrees_with_the_messages_flags(
        self, alice: Account, inbox: Mailbox
    ) -> None:
        if not isinstance(inbox, FlagIndexMailbox):
            return
        _fill(alice, 6)
        inbox.store_flags([1, 2, 3], StoreAction.ADD, ["\\Seen", "\\Flagged"])
        inbox.store_flags([2], StoreAction.REMOVE, ["\\Flagged"])
        inbox.store_flags([4], StoreAction.SET, ["\\Deleted", "\\Answered", "\\Draft"])
        inbox.store_flags([5], StoreAction.ADD, ["\\Deleted"])
        inbox.expunge([5])
        # Another account object's change, seen through this handle.
        alice2_inbox = alice.select("INBOX")
        alice2_inbox.store_flags([6], StoreAction.ADD, ["\\Seen"])
        flags = {m.uid: m.flags for m in inbox.messages()}
        assert set(flags) == {1, 2, 3, 4, 6}
        for flag in sorted(INDEXED_FLAGS):
            for present in (True, False):
                found = inbox.uids_by_flag(flag, present)
                if found is None:
                    continue  # no quicker answer: the server reads the flags
                expected = {uid for uid, f in flags.items() if (flag in f) is present}
                assert sorted(found) == sorted(expected), (flag, present)
        # What a SEARCH UNSEEN of this mailbox asks first.
        assert sorted(inbox.uids_by_flag("\\Seen", False) or [4]) == [4]

    def test_object_ids(self, alice: Account, inbox: Mailbox) -> None:
        if not isinstance(alice, ObjectIdAccount):
            assert all(m.email_id is None for m in inbox.messages())
            return
        # RFC 8474 4: a MAILBOXID per mailbox, kept by RENAME, new for CREATE.
        alice.create_mailbox("A")
        alice.create_mailbox("B")
        ids = {name: alice.mailbox_id(name) for name in ("INBOX", "A", "B")}
        assert all(_is_objectid(i) for i in ids.values())
        assert len(set(ids.values())) == 3
        assert alice.mailbox_id("INBOX") == ids["INBOX"]
        alice.rename_mailboxes({"A": "C"})
        assert alice.mailbox_id("C") == ids["A"]
        alice.delete_mailbox("C")
        alice.create_mailbox("C")
        assert alice.mailbox_id("C") not in ids.values()
        with pytest.raises(NoSuchMailbox):
            alice.mailbox_id("A")
        # RFC 8474 5.1: an EMAILID per message, kept by COPY, MOVE and STORE.
        _fill(alice, 3)
        first, second, third = inbox.messages()
        assert _is_objectid(first.email_id) and _is_objectid(second.email_id)
        assert first.email_id != second.email_id
        assert first.thread_id is None or _is_objectid(first.thread_id)
        inbox.store_flags([1], StoreAction.ADD, ["\\Seen"])
        assert inbox.messages([1])[0].email_id == first.email_id
        copied = inbox.copy([1], "B").uid_map[0][1]
        moved = inbox.move([2], "B").uid_map[0][1]
        in_b = {m.uid: m for m in alice.select("B").messages()}
        assert in_b[copied].email_id == first.email_id
        assert in_b[moved].email_id == second.email_id
        if isinstance(inbox, ReplaceMailbox):
            # RFC 8508 4.6: the replacing message has an EMAILID of its own.
            result = inbox.replace(3, "INBOX", MSG + b"2", internal_date=DATE)
            assert inbox.messages([result.uid])[0].email_id not in (
                first.email_id,
                second.email_id,
                third.email_id,
            )

    def test_thread_ids(self, alice: Account, inbox: Mailbox) -> None:
        if not isinstance(alice, ObjectIdAccount):
            return
        alice.create_mailbox("B")
        alice.append("INBOX", b"Message-ID: <a@x>\r\n\r\n.\r\n", internal_date=DATE)
        # A reply in another mailbox, and one message of its own.
        alice.append("B", b"References: <a@x>\r\n\r\n.\r\n", internal_date=DATE)
        alice.append("INBOX", b"Message-ID: <c@x>\r\n\r\n.\r\n", internal_date=DATE)
        a, c = inbox.messages()
        [b] = alice.select("B").messages()
        if a.thread_id is None:
            # RFC 8474 5.2: a store that does not thread says NIL for all.
            assert b.thread_id is None and c.thread_id is None
            return
        assert _is_objectid(a.thread_id) and a.thread_id not in (a.email_id, c.email_id)
        assert b.thread_id == a.thread_id != c.thread_id
        copied = inbox.copy([1], "B").uid_map[0][1]
        assert alice.select("B").messages([copied])[0].thread_id == a.thread_id

    def test_save_dates(self, alice: Account, inbox: Mailbox) -> None:
        if not isinstance(alice, SaveDateAccount):
            assert all(m.save_date is None for m in inbox.messages())
            return
        assert alice.save_date_supported("INBOX")
        with pytest.raises(NoSuchMailbox):
            alice.save_date_supported("nope")
        alice.create_mailbox("B")
        _fill(alice, 1)
        [info] = inbox.messages()
        # RFC 8514 3: the time it was saved, not the internal date APPEND gave.
        assert info.save_date is not None and info.save_date.utcoffset() is not None
        assert info.save_date != DATE
        inbox.store_flags([1], StoreAction.ADD, ["\\Seen"])
        assert inbox.messages()[0].save_date == info.save_date
        inbox.copy([1], "B")
        [copy] = alice.select("B").messages()
        assert copy.save_date is not None and copy.save_date >= info.save_date

    def test_replace(self, alice: Account, inbox: Mailbox) -> None:
        if not isinstance(inbox, ReplaceMailbox):
            return
        alice.create_mailbox("Sent")
        _fill(alice, 2)
        inbox.store_flags([1], StoreAction.ADD, ["$Old"])
        before = inbox.status().highest_modseq
        # RFC 8508 3.4: appended, and the old message expunged whatever its
        # flags; nothing of the old one is inherited (1).
        result = inbox.replace(1, "INBOX", BytesSource(MSG), flags=["\\Draft"], internal_date=DATE)
        assert result.uidvalidity == inbox.uidvalidity and result.uid == 3
        assert [m.uid for m in inbox.messages()] == [2, 3]
        assert inbox.messages([3])[0].flags == frozenset({"\\Draft"})
        assert inbox.message_bytes(3) == MSG
        changes = inbox.changes_since(before)
        assert [m.uid for m in changes.new] == [3]
        assert changes.expunged == (1,)
        # Into another mailbox.
        result = inbox.replace(2, "Sent", MSG, internal_date=DATE)
        assert [m.uid for m in inbox.messages()] == [3]
        assert [m.uid for m in alice.select("Sent").messages()] == [result.uid]
        # Nothing changes when a part fails.
        with pytest.raises(NoSuchMailbox):
            inbox.replace(3, "nope", MSG, internal_date=DATE)
        with pytest.raises(ImapNo):
            inbox.replace(1, "INBOX", MSG, internal_date=DATE)
        assert [m.uid for m in inbox.messages()] == [3]
        assert inbox.status().messages == 1

    def test_metadata_set_get_remove(self, backend: Backend, alice: Account) -> None:
        if not isinstance(alice, MetadataAccount):
            return
        assert alice.get_metadata("INBOX") == {}
        alice.set_metadata(
            "INBOX",
            {"/private/comment": b"mine", "/shared/comment": b"two\r\nlines\x00"},
            max_entries=10,
        )
        alice.set_metadata("", {"/private/vendor/x/y": b""}, max_entries=10)
        expected = {"/private/comment": b"mine", "/shared/comment": b"two\r\nlines\x00"}
        assert alice.get_metadata("INBOX") == expected
        assert alice.get_metadata("") == {"/private/vendor/x/y": b""}
        other = backend.authenticate("alice", Secret("secret"))
        assert isinstance(other, MetadataAccount)
        assert other.get_metadata("INBOX") == expected
        alice.set_metadata(
            "INBOX", {"/private/comment": None, "/private/none": None}, max_entries=10
        )
        assert other.get_metadata("INBOX") == {"/shared/comment": b"two\r\nlines\x00"}
        with pytest.raises(NoSuchMailbox):
            alice.get_metadata("nope")
        with pytest.raises(NoSuchMailbox):
            alice.set_metadata("nope", {"/private/a": b"1"}, max_entries=10)

    def test_metadata_limit_changes_nothing(self, alice: Account) -> None:
        if not isinstance(alice, MetadataAccount):
            return
        alice.set_metadata("INBOX", {"/private/a": b"1", "/shared/b": b"2"}, max_entries=2)
        with pytest.raises(ImapNo) as refused:
            alice.set_metadata(
                "INBOX", {"/private/a": None, "/private/c": b"3", "/private/d": b"4"}, max_entries=2
            )
        assert refused.value.code == "METADATA TOOMANY"
        assert alice.get_metadata("INBOX") == {"/private/a": b"1", "/shared/b": b"2"}
        # Replacing and removing at the limit is fine.
        alice.set_metadata("INBOX", {"/private/a": b"x", "/shared/b": None}, max_entries=1)
        assert alice.get_metadata("INBOX") == {"/private/a": b"x"}

    def test_metadata_changes_are_heard_with_their_entries(
        self, backend: Backend, alice: Account
    ) -> None:
        # RFC 5465 5.6, 5.7: NOTIFY names the entries that changed.
        if not isinstance(alice, MetadataAccount):
            return
        heard: list[ChangeNotice] = []
        remove = backend.add_listener(heard.append)
        try:
            alice.set_metadata(
                "INBOX", {"/shared/comment": b"a", "/private/comment": b"b"}, max_entries=10
            )
            alice.set_metadata("INBOX", {"/shared/comment": b"a"}, max_entries=10)  # no change
            alice.set_metadata(
                "INBOX", {"/private/comment": None, "/private/never": None}, max_entries=10
            )
            alice.set_metadata("", {"/private/vendor/x/y": b"1"}, max_entries=10)
        finally:
            remove()
        assert heard == [
            ChangeNotice(
                username="alice", mailbox="INBOX", metadata=("/shared/comment", "/private/comment")
            ),
            ChangeNotice(username="alice", mailbox="INBOX", metadata=("/private/comment",)),
            ChangeNotice(username="alice", mailbox="", metadata=("/private/vendor/x/y",)),
        ]

    def test_metadata_of_another_user_on_a_shared_mailbox(
        self, backend: Backend, alice: Account
    ) -> None:
        # RFC 5464 3.3: a user who may see a mailbox of another has private
        # entries of their own there; the shared ones are common.
        add_user = getattr(backend, "add_user", None)
        if not isinstance(alice, MetadataAccount) or add_user is None:
            return
        if not isinstance(alice, AclAccount):
            return
        add_user("bob", "bobsecret")
        bob = backend.authenticate("bob", Secret("bobsecret"))
        assert isinstance(bob, AclAccount)
        alice.create_mailbox("Shared")
        alice.set_acl("Shared", "bob", "lr")
        shared = bob.other_account("alice")
        assert isinstance(shared, MetadataAccount)
        alice.set_metadata(
            "Shared", {"/private/comment": b"alice's", "/shared/comment": b"s"}, max_entries=10
        )
        heard: list[ChangeNotice] = []
        remove = backend.add_listener(heard.append)
        try:
            shared.set_metadata(
                "Shared",
                {"/private/comment": b"bob's", "/shared/comment": b"t"},
                max_entries=10,
                user="bob",
            )
        finally:
            remove()
        assert heard == [
            ChangeNotice(
                username="alice",
                mailbox="Shared",
                metadata=("/private/comment", "/shared/comment"),
                private_to="bob",
            )
        ]
        assert shared.get_metadata("Shared", user="bob") == {
            "/private/comment": b"bob's",
            "/shared/comment": b"t",
        }
        assert alice.get_metadata("Shared") == {
            "/private/comment": b"alice's",
            "/shared/comment": b"t",
        }

    def test_metadata_follows_rename_and_goes_with_delete(self, alice: Account) -> None:
        if not isinstance(alice, MetadataAccount):
            return
        alice.create_mailbox("A")
        alice.create_mailbox("A/B")
        alice.set_metadata("A", {"/shared/comment": b"a"}, max_entries=10)
        alice.set_metadata("A/B", {"/private/comment": b"b"}, max_entries=10)
        alice.rename_mailboxes({"A": "Z", "A/B": "Z/B"})
        assert alice.get_metadata("Z") == {"/shared/comment": b"a"}
        assert alice.get_metadata("Z/B") == {"/private/comment": b"b"}
        # RFC 5464 4.1: a new mailbox of an old name inherits nothing.
        alice.delete_mailbox("Z", noselect=True)
        assert alice.get_metadata("Z") == {}
        alice.delete_mailbox("Z/B")
        alice.create_mailbox("Z/B")
        assert alice.get_metadata("Z/B") == {}

    # -- several account objects, several threads ------------------------------

    def test_changes_are_seen_through_a_second_account_object(
        self, backend: Backend, alice: Account, inbox: Mailbox
    ) -> None:
        other = backend.authenticate("alice", Secret("secret"))
        mark = inbox.status().highest_modseq
        other.append("INBOX", MSG, flags=["x"], internal_date=DATE)
        other.select("INBOX").store_flags([1], StoreAction.ADD, ["\\Seen"])
        changes = inbox.changes_since(mark)
        assert [(m.uid, m.flags) for m in changes.new] == [(1, frozenset({"\\Seen", "x"}))]
        other.create_mailbox("Old")
        assert _names(alice) == {"INBOX": True, "Old": True}
        other.select("INBOX").move([1], "Old")
        assert inbox.changes_since(changes.highest_modseq).expunged == (1,)
        folder = alice.select("Old")
        other.rename_mailboxes({"Old": "Older"})
        assert folder.name == "Older"
        assert alice.status("Older").messages == 1
        other.delete_mailbox("Older")
        with pytest.raises(NoSuchMailbox):
            folder.status()

    def test_declares_whether_it_is_thread_safe(self, backend: Backend) -> None:
        assert getattr(backend, "thread_safe", False) is self.thread_safe

    @pytest.fixture
    def _switch_often(self) -> Iterator[None]:
        # Thread switches every few bytecodes instead of every 5 ms, so a
        # compound update without a lock is interrupted midway.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            yield
        finally:
            sys.setswitchinterval(interval)

    def _serialiser(self, threads: Threads) -> contextlib.AbstractContextManager[object]:
        # A lock per call when the backend wants its callers to serialise.
        return contextlib.nullcontext() if self.thread_safe else threads.lock()

    @pytest.mark.usefixtures("_switch_often")
    def test_concurrent_sessions_read_while_others_write(
        self, backend: Backend, backend_threads: Threads
    ) -> None:
        n_writers, rounds = 6, 40
        serialise = self._serialiser(backend_threads)
        with serialise:
            setup = backend.authenticate("alice", Secret("secret"))
            setup.create_mailbox("Copies")

        def writer(n: int) -> None:
            with serialise:
                account = backend.authenticate("alice", Secret("secret"))
                inbox = account.select("INBOX")
            for i in range(rounds):
                with serialise:
                    uid = account.append("INBOX", _message(100 * n + i), internal_date=DATE).uid
                with serialise:
                    inbox.store_flags([uid], StoreAction.ADD, ["\\Deleted", f"k{n}"])
                with serialise:
                    inbox.copy([uid], "Copies")
                with serialise:
                    assert inbox.expunge([uid]) == (uid,)

        def reader(stopped: Callable[[], bool]) -> None:
            with serialise:
                inbox = backend.authenticate("alice", Secret("secret")).select("INBOX")
            while not stopped():
                with serialise:
                    uids = [m.uid for m in inbox.messages()]
                assert uids == sorted(set(uids))
                with serialise:
                    changes = inbox.changes_since(1)
                new = [m.uid for m in changes.new]
                assert new == sorted(set(new))
                assert not set(new) & set(changes.expunged)

        backend_threads.run(
            [functools.partial(writer, n) for n in range(n_writers)], background=[reader] * 2
        )
        with serialise:
            status = setup.status("INBOX")
            copies = setup.select("Copies").messages()
        total = n_writers * rounds
        assert (status.messages, status.uidnext) == (0, total + 1)
        assert [m.uid for m in copies] == list(range(1, total + 1))
        assert sorted(f for m in copies for f in m.flags if f[0] != "\\") == sorted(
            f"k{n}" for n in range(n_writers) for _ in range(rounds)
        )

    @pytest.mark.usefixtures("_switch_often")
    def test_concurrent_appends_get_unique_ascending_uids(
        self, backend: Backend, backend_threads: Threads
    ) -> None:
        serialise = self._serialiser(backend_threads)
        results: dict[int, list[int]] = {}

        def writer(n: int) -> None:
            mine = results.setdefault(n, [])
            with serialise:
                account = backend.authenticate("alice", Secret("secret"))
            for i in range(30):
                with serialise:
                    uid = account.append("INBOX", b"%d-%d\r\n" % (n, i), internal_date=DATE).uid
                mine.append(uid)
                with serialise:
                    account.select("INBOX").store_flags([uid], StoreAction.ADD, [f"w{n}"])

        backend_threads.run([functools.partial(writer, n) for n in range(4)])
        for uids in results.values():
            assert uids == sorted(uids)  # each writer sees its UIDs ascend
        everything = sorted(uid for uids in results.values() for uid in uids)
        assert everything == list(range(1, 121))
        inbox = backend.authenticate("alice", Secret("secret")).select("INBOX")
        infos = inbox.messages()
        assert [m.uid for m in infos] == everything
        assert len({inbox.message_bytes(m.uid) for m in infos}) == 120
        assert all(len(m.flags) == 1 for m in infos)
        assert sorted(inbox.keywords()) == ["w0", "w1", "w2", "w3"]
