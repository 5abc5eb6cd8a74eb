"""The PostgreSQL store against a real PostgreSQL (tests/_postgres.py): no mocks."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from argon2 import PasswordHasher
from imap_sansio.adapters.postgres import (
    AccountRef,
    ChangeSet,
    MailboxExists,
    MailboxNotFound,
    NewMailbox,
    NewMessage,
    OverQuota,
    PostgresStore,
    Quota,
    StoreUnavailable,
    ranges_of,
)

from imap_sansio._secret import Secret

# Cheap parameters: the tests check the store, not Argon2's cost.
_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=2)))


def _open(dsn: str, **options: float) -> PostgresStore:
    return PostgresStore(dsn, password_hasher=_HASHER, **options)  # type: ignore[arg-type]


@pytest.fixture
def store(postgres_dsn: str) -> Iterator[PostgresStore]:
    with _open(postgres_dsn) as s:
        yield s


@pytest.fixture
def alice(store: PostgresStore) -> AccountRef:
    account = store.set_account("alice", Secret("wonderland"))
    store.create_mailboxes(account, [NewMailbox(name="INBOX"), NewMailbox(name="Archive")])
    return account


def _msg(text: str, *flags: str) -> NewMessage:
    return NewMessage(data=text.encode(), flags=frozenset(flags), internal_date=_DATE)


def _inbox(store: PostgresStore, account: AccountRef) -> int:
    return store.mailbox(account, "INBOX").id


def test_authenticate_accepts_the_password_only(store: PostgresStore) -> None:
    account = store.set_account("alice", Secret("wonderland"))
    assert store.authenticate("alice", Secret("wonderland")) == account
    assert store.authenticate("alice", Secret("Wonderland")) is None
    assert store.authenticate("bob", Secret("wonderland")) is None
    store.set_account("alice", Secret("looking-glass"))
    assert store.authenticate("alice", Secret("wonderland")) is None
    assert store.authenticate("alice", Secret("looking-glass")) == account


def test_append_then_read_metadata_and_bytes(store: PostgresStore, alice: AccountRef) -> None:
    inbox = _inbox(store, alice)
    result = store.append(inbox, [_msg("one", "\\Seen", "$Work"), _msg("two")])
    assert result.uids == (1, 2)
    assert result.modseq == 2
    messages = store.messages(inbox)
    assert [(m.uid, m.flags, m.size, m.modseq) for m in messages] == [
        (1, frozenset({"\\Seen", "$Work"}), 3, 2),
        (2, frozenset(), 3, 2),
    ]
    # INTERNALDATE comes back with the offset it was given.
    assert messages[0].internal_date == _DATE
    assert messages[0].internal_date.utcoffset() == timedelta(hours=2)
    assert store.read_body(inbox, 2) == b"two"
    assert store.read_body(inbox, 3) is None
    status = store.status(inbox)
    assert (status.messages, status.unseen, status.deleted, status.size) == (2, 1, 0, 6)
    assert (status.uidnext, status.highest_modseq, status.recent) == (3, 2, 2)
    assert status.keywords == ("$Work",)


def test_messages_by_uid_ranges(store: PostgresStore, alice: AccountRef) -> None:
    inbox = _inbox(store, alice)
    store.append(inbox, [_msg(f"m{i}") for i in range(1, 11)])
    store.expunge(inbox, [(4, 4)], only_deleted=False)
    got = store.messages(inbox, [(3, 5), (5, 6), (9, 2**32 - 1), (8, 7)])
    assert [m.uid for m in got] == [3, 5, 6, 9, 10]


def test_ranges_of_turns_uid_collections_into_runs() -> None:
    assert ranges_of([5, 1, 2, 3, 9, 10, 3]) == [(1, 3), (5, 5), (9, 10)]
    assert ranges_of(range(3, 2**32)) == [(3, 2**32 - 1)]
    assert ranges_of(range(4, 4)) == []
    assert ranges_of(frozenset()) == []

    class Huge:  # like the core's set for 1:4294967295
        def __len__(self) -> int:
            return 2**32 - 1

        def __contains__(self, uid: object) -> bool:
            return True

        def __iter__(self) -> Iterator[int]:
            raise AssertionError("iterated")

    assert ranges_of(Huge()) is None


def test_bodies_are_read_in_chunks(store: PostgresStore, alice: AccountRef) -> None:
    inbox = _inbox(store, alice)
    data = bytes(range(256)) * 12289  # a little over 3 MiB, not compressible away
    store.append(inbox, [NewMessage(data=data, flags=frozenset(), internal_date=_DATE)])
    assert store.read_body_chunk(inbox, 1, 1000, 10) == data[1000:1010]
    assert store.read_body_chunk(inbox, 1, len(data) - 3, 100) == data[-3:]
    chunks = list(store.iter_body(inbox, 1, chunk_size=1 << 20))
    assert [len(c) for c in chunks] == [1 << 20, 1 << 20, 1 << 20, len(data) - 3 * (1 << 20)]
    assert b"".join(chunks) == data


def test_concurrent_appends_from_two_pools_get_gapless_ascending_uids(postgres_dsn: str) -> None:
    with _open(postgres_dsn, max_size=5) as first, _open(postgres_dsn, max_size=5) as second:
        account = first.set_account("alice", Secret("pw"))
        (box,) = first.create_mailboxes(account, [NewMailbox(name="INBOX")])
        acknowledged: list[tuple[int, int]] = []
        gaps: list[list[int]] = []
        done = threading.Event()
        start = threading.Barrier(50)

        def append(store: PostgresStore, n: int) -> None:
            start.wait()
            result = store.append(box.id, [_msg(f"message {n}")])
            acknowledged.append((result.uids[0], result.modseq))

        def read() -> None:
            # Whatever a reader sees at any moment is 1..k: a UID is never
            # visible before a smaller one.
            while not done.is_set():
                uids = [m.uid for m in second.messages(box.id)]
                if uids != list(range(1, len(uids) + 1)):
                    gaps.append(uids)

        reader = threading.Thread(target=read)
        reader.start()
        threads = [
            threading.Thread(target=append, args=(first if n % 2 else second, n)) for n in range(50)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        reader.join()
        assert gaps == []
        assert sorted(uid for uid, _ in acknowledged) == list(range(1, 51))
        # Mod-sequences were allocated in the same (commit) order as UIDs.
        assert [modseq for _, modseq in sorted(acknowledged)] == list(range(2, 52))
        assert [m.uid for m in first.messages(box.id)] == list(range(1, 51))
        assert first.status(box.id).uidnext == 51


def test_changes_since_gives_new_changed_and_exact_tombstones(
    store: PostgresStore, alice: AccountRef
) -> None:
    inbox = _inbox(store, alice)
    store.append(inbox, [_msg(f"m{i}") for i in range(1, 6)])  # uids 1..5, modseq 2
    before = store.status(inbox).highest_modseq
    store.store_flags(inbox, [(2, 2), (4, 4)], lambda f: f | {"\\Deleted"})  # modseq 3
    assert store.expunge(inbox) == (2, 4)  # modseq 4
    store.append(inbox, [_msg("m6")])  # uid 6, modseq 5
    store.store_flags(inbox, [(3, 3)], lambda f: f | {"\\Flagged"})  # modseq 6
    store.append(inbox, [_msg("m7", "\\Deleted")])  # uid 7, modseq 7
    assert store.expunge(inbox, [(7, 7)]) == (7,)  # modseq 8: born and gone after `before`

    changes = store.changes_since(inbox, before)
    assert [m.uid for m in changes.new] == [6]
    assert [(m.uid, m.flags, m.modseq) for m in changes.changed] == [
        (3, frozenset({"\\Flagged"}), 6)
    ]
    assert changes.expunged == (2, 4)
    assert (changes.highest_modseq, changes.uidnext) == (8, 8)
    # From the middle: only what came later.
    later = store.changes_since(inbox, 4)
    assert ([m.uid for m in later.new], [m.uid for m in later.changed], later.expunged) == (
        [6],
        [3],
        (),
    )
    assert store.changes_since(inbox, 8) == ChangeSet(
        new=(), changed=(), expunged=(), highest_modseq=8, uidvalidity=changes.uidvalidity,
        uidnext=8,
    )  # fmt: skip
    status = store.status(inbox)
    assert (status.messages, status.deleted, status.unseen) == (4, 0, 4)


def test_pruned_changes_are_answered_with_what_is_still_known(
    store: PostgresStore, alice: AccountRef
) -> None:
    inbox = _inbox(store, alice)
    store.append(inbox, [_msg(f"m{i}") for i in range(1, 6)])  # uids 1..5, modseq 2
    store.store_flags(inbox, [(2, 2), (4, 4)], lambda f: f | {"\\Deleted"})  # modseq 3
    store.expunge(inbox)  # 2 and 4, modseq 4
    store.append(inbox, [_msg("m6")])  # uid 6, modseq 5
    store.store_flags(inbox, [(3, 3)], lambda f: f | {"\\Flagged"})  # modseq 6
    store.append(inbox, [_msg("m7", "\\Deleted")])  # uid 7, modseq 7
    store.expunge(inbox, [(7, 7)])  # modseq 8
    assert store.prune_changes(inbox, keep=100) == 0  # fewer entries than that
    # The three newest entries are those of modseqs 6, 7 and 8.
    assert store.prune_changes(inbox, keep=3) == 5
    # After the forgotten point the log is exact...
    exact = store.changes_since(inbox, 5)
    assert ([m.uid for m in exact.new], [m.uid for m in exact.changed], exact.expunged) == (
        [],
        [3],
        (),
    )
    # ...before it, new and changed still are (messages keep their birth
    # modseq); expunged names every absent UID below UIDNEXT (RFC 7162 3.2.10
    # lets VANISHED (EARLIER) name UIDs the client never had).
    old = store.changes_since(inbox, 2)
    assert ([m.uid for m in old.new], [m.uid for m in old.changed], old.expunged) == (
        [6],
        [3],
        (2, 4, 7),
    )
    assert (old.highest_modseq, old.uidnext) == (8, 8)
    # A cutoff in time forgets everything written before it.
    assert store.prune_changes(inbox, before=datetime.now(UTC) + timedelta(hours=1)) == 8
    assert store.changes_since(inbox, 8).expunged == ()
    assert store.changes_since(inbox, 7).expunged == (2, 4, 7)
    assert store.prune_changes(inbox, keep=0) == 8  # nothing left to forget


def test_the_change_log_is_cut_back_by_itself(postgres_dsn: str) -> None:
    # Issue 11: a long-lived mailbox must not grow without bound in any
    # store.  keep_changes=4: at modseq 8 (a multiple of 4) the log keeps its
    # four newest entries, in the writing transaction; no job is needed.
    with _open(postgres_dsn, keep_changes=4) as store:
        account = store.set_account("alice", Secret("wonderland"))
        store.create_mailboxes(account, [NewMailbox(name="INBOX")])
        inbox = _inbox(store, account)
        for i in range(8):
            store.append(inbox, [_msg(f"m{i}", "\\Deleted")])  # uid i+1, modseq i+2
        store.expunge(inbox, [(1, 1), (2, 2)])  # modseq 10
        with psycopg.connect(postgres_dsn) as conn:
            logged = conn.execute(
                "SELECT modseq, uid, kind FROM changes WHERE mailbox_id = %s ORDER BY modseq, uid",
                (inbox,),
            ).fetchall()
        assert logged == [
            (5, 4, "new"),
            (6, 5, "new"),
            (7, 6, "new"),
            (8, 7, "new"),
            (9, 8, "new"),
            (10, 1, "expunge"),
            (10, 2, "expunge"),
        ]
        # Forgotten up to modseq 4 (fewer than 100 entries: nothing more goes).
        assert store.prune_changes(inbox, keep=100) == 4
        # A client that knew modseq 3 gets every absent UID below UIDNEXT
        # (RFC 7162 3.2.5.1); one that knew modseq 8 the exact log.
        assert store.changes_since(inbox, 3).expunged == (1, 2)
        exact = store.changes_since(inbox, 8)
        assert ([m.uid for m in exact.new], exact.expunged) == ([8], (1, 2))
    with pytest.raises(ValueError, match="keep_changes"):
        _open(postgres_dsn, keep_changes=0)


def test_store_flags_composes_and_honours_unchangedsince(
    store: PostgresStore, alice: AccountRef
) -> None:
    inbox = _inbox(store, alice)
    store.append(inbox, [_msg("a"), _msg("b")])  # modseq 2
    first = store.store_flags(inbox, [(1, 1)], lambda f: f | {"\\Seen"})
    assert (first.changed, first.modified, first.modseq) == ((1,), (), 3)
    # RFC 7162 3.1.3: UID 1 changed after modseq 2, so it is refused.
    outcome = store.store_flags(inbox, [(1, 2)], lambda f: f | {"$Later"}, unchanged_since=2)
    assert outcome.modified == (1,)
    assert outcome.changed == (2,)
    assert [(m.uid, m.flags, m.modseq) for m in outcome.messages] == [
        (1, frozenset({"\\Seen"}), 3),
        (2, frozenset({"$Later"}), 4),
    ]
    # Setting flags a message already has changes nothing and bumps nothing.
    same = store.store_flags(inbox, [(2, 2)], lambda f: f | {"$Later"})
    assert (same.changed, same.modseq) == ((), 4)
    assert store.status(inbox).keywords == ("$Later",)


def test_copy_shares_bodies_and_expunge_frees_them(
    store: PostgresStore, alice: AccountRef, postgres_dsn: str
) -> None:
    inbox = _inbox(store, alice)
    archive = store.mailbox(alice, "Archive").id
    store.append(inbox, [_msg("shared body", "\\Flagged"), _msg("other")])
    copied = store.copy(inbox, [(1, 1)], archive)
    assert copied.uid_map == ((1, 1),)

    def bodies() -> list[tuple[bytes, int]]:
        with psycopg.connect(postgres_dsn) as conn:
            return [
                (bytes(data), refs)
                for data, refs in conn.execute("SELECT data, refs FROM bodies ORDER BY data")
            ]

    assert bodies() == [(b"other", 1), (b"shared body", 2)]
    assert [(m.uid, m.flags) for m in store.messages(archive)] == [(1, frozenset({"\\Flagged"}))]
    store.expunge(inbox, [(1, 1)], only_deleted=False)
    assert bodies() == [(b"other", 1), (b"shared body", 1)]
    # MOVE keeps the body's count: one reference leaves, one arrives.
    moved = store.copy(archive, [(1, 1)], inbox, move=True)
    assert moved.uid_map == ((1, 3),)
    assert bodies() == [(b"other", 1), (b"shared body", 1)]
    assert store.messages(archive) == []
    assert store.changes_since(archive, 1).expunged == ()  # born after modseq 1
    store.expunge(inbox, None, only_deleted=False)
    assert bodies() == []


def test_create_delete_and_rename_are_atomic(store: PostgresStore, alice: AccountRef) -> None:
    def names() -> list[tuple[str, bool]]:
        return [(m.name, m.selectable) for m in store.list_mailboxes(alice)]

    with pytest.raises(MailboxExists):
        store.create_mailboxes(alice, [NewMailbox(name="a"), NewMailbox(name="INBOX")])
    assert names() == [("Archive", True), ("INBOX", True)]
    created = store.create_mailboxes(alice, [NewMailbox(name="a"), NewMailbox(name="a/b")])
    assert created[1].uidvalidity > created[0].uidvalidity
    # A swap passes through a duplicate name: the check waits for commit.
    store.rename_mailboxes(alice, [("a", "tmp"), ("Archive", "a"), ("tmp", "Archive")])
    assert store.mailbox(alice, "Archive").id == created[0].id
    with pytest.raises(MailboxExists):
        store.rename_mailboxes(alice, [("a/b", "x"), ("Archive", "INBOX")])
    with pytest.raises(MailboxNotFound):
        store.rename_mailboxes(alice, [("a/b", "x"), ("nope", "y")])
    assert names() == [("Archive", True), ("INBOX", True), ("a", True), ("a/b", True)]

    store.append(created[0].id, [_msg("x")])
    store.delete_mailboxes(alice, ["Archive"], keep_as_noselect=True)
    assert ("Archive", False) in names()
    with pytest.raises(MailboxNotFound):
        store.messages(created[0].id)
    # Re-created, the name gets a new, larger UIDVALIDITY (RFC 3501 2.3.1.1).
    (again,) = store.create_mailboxes(alice, [NewMailbox(name="Archive")])
    assert again.uidvalidity > created[1].uidvalidity
    store.delete_mailboxes(alice, ["a/b", "a"])
    assert names() == [("Archive", True), ("INBOX", True)]


def test_a_rename_onto_a_name_with_a_larger_past_gets_a_new_uidvalidity(
    store: PostgresStore, alice: AccountRef
) -> None:
    old, gone = store.create_mailboxes(alice, [NewMailbox(name="old"), NewMailbox(name="X")])
    store.delete_mailboxes(alice, ["X"])
    store.rename_mailboxes(alice, [("old", "X")])
    renamed = store.mailbox(alice, "X")
    assert renamed.id == old.id
    assert renamed.uidvalidity > gone.uidvalidity
    # Back and forth keeps it: the names' pasts are this mailbox's own.
    store.rename_mailboxes(alice, [("X", "Y")])
    store.rename_mailboxes(alice, [("Y", "X")])
    assert store.mailbox(alice, "X").uidvalidity == renamed.uidvalidity


def test_subscriptions_outlive_their_mailbox(store: PostgresStore, alice: AccountRef) -> None:
    store.set_subscribed(alice, "Archive", True)
    store.set_subscribed(alice, "Future", True)
    store.delete_mailboxes(alice, ["Archive"])
    assert store.subscriptions(alice) == frozenset({"Archive", "Future"})
    store.set_subscribed(alice, "Future", False)
    assert store.subscriptions(alice) == frozenset({"Archive"})


def test_recent_is_claimed_once_across_pools(postgres_dsn: str) -> None:
    with _open(postgres_dsn) as one, _open(postgres_dsn) as two:
        account = one.set_account("alice", Secret("pw"))
        (box,) = one.create_mailboxes(account, [NewMailbox(name="INBOX")])
        one.append(box.id, [_msg("a"), _msg("b")])
        assert one.claim_recent(box.id) == (1, 2)
        assert two.claim_recent(box.id) == ()
        two.append(box.id, [_msg("c")])
        assert two.status(box.id).recent == 1
        assert two.claim_recent(box.id) == (3,)
        assert one.status(box.id).recent == 0
        one.append(box.id, [_msg("d"), _msg("e")])
        one.expunge(box.id, [(1, 4)], only_deleted=False)
        assert one.status(box.id).recent == 1
        assert two.claim_recent(box.id) == (5,)


def test_quota_holds_under_concurrent_appends_to_two_mailboxes(postgres_dsn: str) -> None:
    with _open(postgres_dsn) as one, _open(postgres_dsn) as two:
        account = one.set_account("alice", Secret("pw"))
        boxes = one.create_mailboxes(account, [NewMailbox(name="A"), NewMailbox(name="B")])
        limit = Quota(messages=3, size=None)
        one.append(boxes[0].id, [_msg("first")], quota=limit)
        outcomes: list[str] = []
        start = threading.Barrier(4)

        def append(store: PostgresStore, box: int) -> None:
            start.wait()
            try:
                store.append(box, [_msg("more")], quota=limit)
                outcomes.append("ok")
            except OverQuota:
                outcomes.append("over")

        threads = [
            threading.Thread(target=append, args=(store, box.id))
            for store in (one, two)
            for box in boxes
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["ok", "ok", "over", "over"]
        assert one.usage(account).messages == 3
        with pytest.raises(OverQuota):
            one.copy(boxes[0].id, [(1, 10)], boxes[1].id, quota=limit)
        # MOVE within the account adds nothing: allowed at the limit.
        in_a = [m.uid for m in one.messages(boxes[0].id)]
        moved = one.copy(boxes[0].id, [(1, 10)], boxes[1].id, move=True, quota=limit)
        assert [source for source, _ in moved.uid_map] == in_a
        storage = Quota(size=len(b"first") + 2 * len(b"more"))
        with pytest.raises(OverQuota):
            one.append(boxes[0].id, [_msg("x")], quota=storage)


def test_usage_sums_every_mailbox(store: PostgresStore, alice: AccountRef) -> None:
    store.append(_inbox(store, alice), [_msg("12345"), _msg("123")])
    store.append(store.mailbox(alice, "Archive").id, [_msg("1")])
    usage = store.usage(alice)
    assert (usage.messages, usage.size) == (3, 9)


def _hold_mailbox_lock(dsn: str, mailbox_id: int) -> psycopg.Connection[tuple[object, ...]]:
    holder = psycopg.connect(dsn, autocommit=True)
    holder.execute("BEGIN")
    holder.execute("SELECT 1 FROM mailboxes WHERE id = %s FOR UPDATE", (mailbox_id,))
    return holder


def test_a_statement_over_the_timeout_raises_store_unavailable(postgres_dsn: str) -> None:
    with _open(postgres_dsn, statement_timeout=0.3) as store:
        account = store.set_account("alice", Secret("pw"))
        (box,) = store.create_mailboxes(account, [NewMailbox(name="INBOX")])
        holder = _hold_mailbox_lock(postgres_dsn, box.id)
        try:
            with pytest.raises(StoreUnavailable) as caught:
                store.append(box.id, [_msg("late")])
            assert "postgres" not in str(caught.value).lower()  # no DSN in the text
        finally:
            holder.close()
        assert store.append(box.id, [_msg("on time")]).uids == (1,)
        assert [m.uid for m in store.messages(box.id)] == [1]


def test_a_lost_connection_raises_store_unavailable_and_the_pool_recovers(
    postgres_dsn: str,
) -> None:
    with _open(postgres_dsn, max_size=2) as store:
        account = store.set_account("alice", Secret("pw"))
        (box,) = store.create_mailboxes(account, [NewMailbox(name="INBOX")])
        assert store.append(box.id, [_msg("acknowledged")]).uids == (1,)
        holder = _hold_mailbox_lock(postgres_dsn, box.id)
        outcome: list[BaseException | int] = []

        def append() -> None:
            try:
                outcome.append(store.append(box.id, [_msg("in flight")]).uids[0])
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=append)
        thread.start()
        try:
            # The append waits for the row lock; cut its connection there.
            for _ in range(600):
                row = holder.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                ).fetchone()
                if row is not None:
                    break
                time.sleep(0.05)
            assert row == (True,)
            thread.join()
        finally:
            holder.close()
        assert len(outcome) == 1
        assert isinstance(outcome[0], StoreUnavailable)
        # Every connection of the pool dies; the next calls get fresh ones.
        with psycopg.connect(postgres_dsn, autocommit=True) as killer:
            killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        assert store.append(box.id, [_msg("after")]).uids == (2,)
        assert [m.uid for m in store.messages(box.id)] == [1, 2]
        assert store.read_body(box.id, 1) == b"acknowledged"
        # Reads (outside a transaction) find their way past dead connections too.
        with psycopg.connect(postgres_dsn, autocommit=True) as killer:
            killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        assert store.status(box.id).messages == 2


def test_internal_dates_must_carry_a_zone(store: PostgresStore, alice: AccountRef) -> None:
    naive = NewMessage(data=b"x", flags=frozenset(), internal_date=datetime(2024, 1, 1))
    with pytest.raises(ValueError):
        store.append(_inbox(store, alice), [naive])
    assert store.messages(_inbox(store, alice)) == []


_APPENDER = """
import sys
from datetime import datetime, timezone
from argon2 import PasswordHasher
from imap_sansio.adapters.postgres import PostgresStore, NewMessage

store = PostgresStore(sys.argv[1], password_hasher=PasswordHasher(time_cost=1, memory_cost=1024,
                                                                  parallelism=1))
date = datetime(2024, 1, 1, tzinfo=timezone.utc)
for n in range(1, 100000):
    data = b"message %d" % n
    uid = store.append(int(sys.argv[2]), [NewMessage(data=data, flags=frozenset(),
                                                     internal_date=date)]).uids[0]
    print(uid, n, flush=True)  # acknowledged: the commit has returned
"""


def test_killing_a_writer_loses_no_acknowledged_append(postgres_dsn: str) -> None:
    with _open(postgres_dsn) as store:
        account = store.set_account("alice", Secret("pw"))
        (box,) = store.create_mailboxes(account, [NewMailbox(name="INBOX")])
        writer = subprocess.Popen(
            [sys.executable, "-c", _APPENDER, postgres_dsn, str(box.id)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        acknowledged = [writer.stdout.readline() for _ in range(30)]
        writer.kill()  # SIGKILL, mid-stream
        acknowledged += writer.stdout.readlines()
        writer.wait()
        pairs = [tuple(map(int, line.split())) for line in acknowledged if line.strip()]
        assert [uid for uid, _ in pairs] == list(range(1, len(pairs) + 1))
        stored = store.messages(box.id)
        # Every acknowledged append is there; at most the one in flight beyond.
        assert [m.uid for m in stored][: len(pairs)] == [uid for uid, _ in pairs]
        assert len(stored) in (len(pairs), len(pairs) + 1)
        for uid, n in pairs:
            assert store.read_body(box.id, uid) == b"message %d" % n
