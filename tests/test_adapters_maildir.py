"""MaildirBackend: the Backend protocol on Maildir++ directories.

The behaviour tests run against both MemoryBackend (the reference) and
MaildirBackend; the rest check what is on disk and what survives a restart.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeAlias

import pytest
from hypothesis import settings
from imap_sansio.adapters.maildir import MaildirAccount, MaildirBackend

from imap_sansio._secret import Secret
from imap_sansio.server import IMAPServer
from imap_sansio.server._backend import (
    Account,
    AppendLimitAccount,
    AuthenticationFailed,
    Backend,
    ChangeNotice,
    CondstoreAccount,
    ImapBad,
    ImapNo,
    Mailbox,
    QuotaAccount,
    SpecialUseCreateAccount,
    StoreAction,
)
from imap_sansio.server._memory import MemoryBackend
from imap_sansio.testing.transcript import play

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MSG = b"Subject: hello\r\n\r\nbody\r\n"

AnyBackend: TypeAlias = MemoryBackend | MaildirBackend


def _maildir(root: Path, **options: Any) -> MaildirBackend:
    return MaildirBackend(root, users={"alice": "secret"}, fsync=False, **options)


@pytest.fixture(params=["memory", "maildir"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AnyBackend:
    if request.param == "memory":
        return MemoryBackend(users={"alice": "secret"})
    return _maildir(tmp_path)


@pytest.fixture
def alice(backend: AnyBackend) -> Any:
    return backend.account("alice")


@pytest.fixture
def inbox(alice: Any) -> Any:
    return alice.select("INBOX")


@pytest.fixture
def md(tmp_path: Path) -> MaildirBackend:
    return _maildir(tmp_path)


@pytest.fixture
def mda(md: MaildirBackend) -> MaildirAccount:
    return md.account("alice")


def fill(account: Any, n: int, mailbox: str = "INBOX") -> None:
    for i in range(n):
        account.append(mailbox, b"Subject: %d\r\n\r\n%d\r\n" % (i, i), internal_date=DATE)


def no(code: str | None) -> pytest.RaisesExc[ImapNo]:
    return pytest.raises(ImapNo, check=lambda e: e.code == code)


def names(account: Any) -> dict[str, bool]:
    return {m.name: m.selectable for m in account.list_mailboxes()}


def cur_files(path: Path) -> list[str]:
    return sorted(os.listdir(path / "cur"))


def deliver(maildir: Path, data: bytes, name: str, mtime: int | None = None) -> Path:
    """What an MDA does: write into tmp/, rename into new/."""
    tmp = maildir / "tmp" / name
    tmp.write_bytes(data)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    target = maildir / "new" / name
    tmp.rename(target)
    return target


# ---------------------------------------------------------------------------
# The Backend protocol, on both backends


def test_implements_the_protocols(backend: AnyBackend, alice: Any, inbox: Any) -> None:
    assert isinstance(backend, Backend)
    assert isinstance(alice, Account)
    assert isinstance(inbox, Mailbox)
    for optional in (SpecialUseCreateAccount, AppendLimitAccount, CondstoreAccount):
        assert isinstance(alice, optional)


def test_maildir_offers_no_quota(mda: MaildirAccount) -> None:
    assert not isinstance(mda, QuotaAccount)


def test_authenticate(backend: AnyBackend) -> None:
    assert backend.authenticate("alice", Secret("secret")).username == "alice"
    with pytest.raises(AuthenticationFailed) as wrong:
        backend.authenticate("alice", Secret("Secret"))
    with pytest.raises(AuthenticationFailed) as unknown:
        backend.authenticate("bob", Secret("secret"))
    assert (wrong.value.code, wrong.value.text) == (unknown.value.code, unknown.value.text)
    with no("AUTHORIZATIONFAILED"):
        backend.authenticate("alice", Secret("secret"), authzid="root")


def test_password_not_in_reprs(backend: AnyBackend, alice: Any, inbox: Any) -> None:
    for thing in (backend, alice, inbox):
        assert "secret" not in repr(thing)


def test_append_assigns_increasing_uids(alice: Any) -> None:
    first = alice.append("INBOX", MSG, flags=["\\seen"], internal_date=DATE)
    second = alice.append("inbox", MSG, internal_date=DATE)
    uidvalidity = alice.status("INBOX").uidvalidity
    assert (first.uidvalidity, first.uid, second.uid) == (uidvalidity, 1, 2)
    [one, two] = alice.select("INBOX").messages()
    assert (one.flags, one.internal_date, one.size) == (frozenset({"\\Seen"}), DATE, len(MSG))
    assert two.flags == frozenset()


def test_append_keeps_the_given_time_zone(alice: Any) -> None:
    date = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-7)))
    alice.append("INBOX", MSG, internal_date=date)
    [info] = alice.select("INBOX").messages()
    assert info.internal_date == date
    assert info.internal_date.utcoffset() == timedelta(hours=-7)


def test_append_validates_before_storing(alice: Any) -> None:
    before = alice.status("INBOX")
    with pytest.raises(ImapBad):
        alice.append("INBOX", MSG, flags=["\\Recent"], internal_date=DATE)
    with pytest.raises(ValueError, match="aware"):
        alice.append("INBOX", MSG, internal_date=datetime(2025, 1, 1))
    assert alice.status("INBOX") == before


def test_append_to_missing_mailbox_is_trycreate(alice: Any) -> None:
    with no("TRYCREATE"):
        alice.append("nope", MSG, internal_date=DATE)
    alice.create_mailbox("a/b")
    alice.delete_mailbox("a")  # \Noselect
    with no("TRYCREATE"):
        alice.append("a", MSG, internal_date=DATE)


def test_append_limit(tmp_path: Path) -> None:
    account = _maildir(tmp_path, max_message_size=10).account("alice")
    assert account.append_limit() == 10
    with no("TOOBIG"):
        account.append("INBOX", b"x" * 11, internal_date=DATE)
    assert account.status("INBOX").messages == 0


def test_status_counts(alice: Any, inbox: Any) -> None:
    alice.append("INBOX", b"12345", flags=["\\Seen"], internal_date=DATE)
    alice.append("INBOX", b"123", flags=["\\Deleted"], internal_date=DATE)
    alice.append("INBOX", b"1", internal_date=DATE)
    status = alice.status("INBOX")
    counts = (status.messages, status.unseen, status.deleted, status.size, status.uidnext)
    assert counts == (3, 2, 1, 9, 4)
    inbox.store_flags([2, 3], StoreAction.ADD, ["\\Seen"])
    inbox.expunge()
    status = alice.status("INBOX")
    counts = (status.messages, status.unseen, status.deleted, status.size, status.uidnext)
    assert counts == (2, 0, 0, 6, 4)


def test_store_set_add_remove(alice: Any, inbox: Any) -> None:
    fill(alice, 3)
    result = inbox.store_flags([1, 2], StoreAction.ADD, ["\\Seen", "work"])
    assert result.changed == (1, 2)
    assert [m.flags for m in result.messages] == [frozenset({"\\Seen", "work"})] * 2
    result = inbox.store_flags(range(1, 4), StoreAction.REMOVE, ["work"])
    assert result.changed == (1, 2)
    assert [m.uid for m in result.messages] == [1, 2, 3]
    result = inbox.store_flags([3, 99], StoreAction.SET, ["\\Flagged"])
    assert [(m.uid, m.flags) for m in result.messages] == [(3, frozenset({"\\Flagged"}))]
    assert inbox.keywords() == ("work",)


def test_store_bumps_modseq_once_and_not_without_change(alice: Any, inbox: Any) -> None:
    fill(alice, 3)
    before = inbox.status().highest_modseq
    result = inbox.store_flags([1, 2, 3], StoreAction.ADD, ["\\Seen"])
    assert {m.modseq for m in result.messages} == {before + 1}
    assert inbox.store_flags([1], StoreAction.ADD, ["\\Seen"]).changed == ()
    assert inbox.status().highest_modseq == before + 1


def test_store_unchangedsince(alice: Any, inbox: Any) -> None:
    # RFC 7162 3.1.3: messages changed after UNCHANGEDSINCE are not touched.
    fill(alice, 3)
    checkpoint = inbox.status().highest_modseq
    inbox.store_flags([2], StoreAction.ADD, ["\\Flagged"])
    result = inbox.store_flags([1, 2, 3], StoreAction.ADD, ["\\Seen"], unchanged_since=checkpoint)
    assert (result.changed, result.modified) == ((1, 3), (2,))
    assert inbox.messages([2])[0].flags == frozenset({"\\Flagged"})


def test_store_rejects_invalid_flags_before_changing_anything(alice: Any, inbox: Any) -> None:
    fill(alice, 1)
    with pytest.raises(ImapBad):
        inbox.store_flags([1], StoreAction.SET, ["\\Seen", "\\Bogus"])
    assert inbox.messages()[0].flags == frozenset()


def test_copy_returns_copyuid_mapping(alice: Any, inbox: Any) -> None:
    fill(alice, 4)
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
    assert dest.message_bytes(2) == inbox.message_bytes(3) == b"Subject: 2\r\n\r\n2\r\n"
    assert inbox.status().messages == 4
    assert inbox.copy([], "dest").uid_map == ()
    with no("TRYCREATE"):
        inbox.copy([1], "nope")
    with no("TRYCREATE"):
        inbox.move([1], "nope")


def test_move_expunges_the_source(alice: Any, inbox: Any) -> None:
    fill(alice, 3)
    alice.create_mailbox("dest")
    checkpoint = inbox.status().highest_modseq
    result = inbox.move([1, 3], "dest")
    assert result.uid_map == ((1, 1), (3, 2))
    assert [m.uid for m in inbox.messages()] == [2]
    assert inbox.changes_since(checkpoint).expunged == (1, 3)
    dest = alice.select("dest")
    assert [dest.message_bytes(u) for u in (1, 2)] == [
        b"Subject: 0\r\n\r\n0\r\n",
        b"Subject: 2\r\n\r\n2\r\n",
    ]


def test_move_into_the_same_mailbox_gives_new_uids(alice: Any, inbox: Any) -> None:
    fill(alice, 2)
    assert inbox.move([1], "INBOX").uid_map == ((1, 3),)
    assert [m.uid for m in inbox.messages()] == [2, 3]
    assert inbox.message_bytes(3) == b"Subject: 0\r\n\r\n0\r\n"


def test_expunge_all_deleted_and_uid_expunge(alice: Any, inbox: Any) -> None:
    fill(alice, 5)
    inbox.store_flags([1, 2, 4, 5], StoreAction.ADD, ["\\Deleted"])
    # RFC 4315 2.1: UID EXPUNGE removes only \Deleted messages in the set.
    assert inbox.expunge([2, 3, 4]) == (2, 4)
    assert inbox.expunge() == (1, 5)
    assert [m.uid for m in inbox.messages()] == [3]
    assert inbox.message_bytes(1) is None
    assert inbox.expunge() == ()


def test_changes_since_after_every_kind_of_change(alice: Any, inbox: Any) -> None:
    fill(alice, 3)
    start = inbox.status().highest_modseq
    nothing = inbox.changes_since(start)
    assert (nothing.new, nothing.changed, nothing.expunged) == ((), (), ())
    alice.append("INBOX", MSG, internal_date=DATE)  # uid 4
    after_append = inbox.changes_since(start)
    assert [m.uid for m in after_append.new] == [4]
    assert after_append.uidnext == 5
    inbox.store_flags([2], StoreAction.ADD, ["\\Seen"])
    after_store = inbox.changes_since(after_append.highest_modseq)
    assert [(m.uid, m.flags) for m in after_store.changed] == [(2, frozenset({"\\Seen"}))]
    inbox.store_flags([3], StoreAction.ADD, ["\\Deleted"])
    inbox.expunge()
    after_expunge = inbox.changes_since(after_store.highest_modseq)
    assert (after_expunge.new, after_expunge.changed, after_expunge.expunged) == ((), (), (3,))
    total = inbox.changes_since(start)
    assert [m.uid for m in total.new] == [4]
    assert [m.uid for m in total.changed] == [2]
    assert total.expunged == (3,)


def test_message_both_appended_and_expunged_is_not_reported(alice: Any, inbox: Any) -> None:
    fill(alice, 1)
    start = inbox.status().highest_modseq
    alice.append("INBOX", MSG, flags=["\\Deleted"], internal_date=DATE)
    alice.append("INBOX", MSG, internal_date=DATE)
    inbox.expunge()
    changes = inbox.changes_since(start)
    assert [m.uid for m in changes.new] == [3]
    assert (changes.changed, changes.expunged) == ((), ())


def test_listeners_hear_every_change(backend: AnyBackend, alice: Any) -> None:
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


def test_exactly_one_session_claims_each_recent_message(backend: AnyBackend, alice: Any) -> None:
    fill(alice, 2)
    assert alice.status("INBOX").recent == 2
    one = alice.select("INBOX")
    two = backend.account("alice").select("INBOX")
    assert one.claim_recent() == (1, 2)
    assert two.claim_recent() == ()
    fill(alice, 2)
    one.store_flags([3], StoreAction.ADD, ["\\Deleted"])
    one.expunge()
    assert alice.status("INBOX").recent == 1
    assert two.claim_recent() == (4,)


class HugeUidSet:
    """Like the core's UID set for "1:4294967295": huge len(), fast ``in``."""

    def __len__(self) -> int:
        return 2**32 - 1

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and uid >= 2

    def __iter__(self) -> Iterator[int]:
        raise AssertionError("a huge UID set must not be iterated")


def test_uid_collections_are_never_materialised(alice: Any, inbox: Any) -> None:
    fill(alice, 4)
    assert [m.uid for m in inbox.messages(HugeUidSet())] == [2, 3, 4]
    assert [m.uid for m in inbox.messages(range(3, 2**32))] == [3, 4]
    inbox.store_flags(HugeUidSet(), StoreAction.ADD, ["\\Deleted"])
    assert inbox.expunge(HugeUidSet()) == (2, 3, 4)


# -- hierarchy, on both backends ------------------------------------------------


def test_create_delete_and_noselect_levels(alice: Any) -> None:
    assert names(alice) == {"INBOX": True}
    alice.create_mailbox("a/b/c")
    alice.create_mailbox("owatagusiam/")
    assert names(alice) == {
        "INBOX": True,
        "a": True,
        "a/b": True,
        "a/b/c": True,
        "owatagusiam": True,
    }
    for name in ("INBOX", "inbox", "a/b"):
        with no("ALREADYEXISTS"):
            alice.create_mailbox(name)
    for bad in ("", "/a", "a//b", "a%b"):
        with no("CANNOT"):
            alice.create_mailbox(bad)
    with no("CANNOT"):
        alice.delete_mailbox("inbox")
    with no("NONEXISTENT"):
        alice.delete_mailbox("nope")
    # RFC 3501 6.3.4: DELETE of a mailbox with inferiors leaves a \Noselect name.
    alice.append("a", MSG, internal_date=DATE)
    old = alice.status("a").uidvalidity
    handle = alice.select("a")
    alice.delete_mailbox("a")
    assert names(alice)["a"] is False
    with no("NONEXISTENT"):
        handle.changes_since(0)
    with no("NONEXISTENT"):
        alice.status("a")
    with no("HASCHILDREN"):
        alice.delete_mailbox("a")
    alice.create_mailbox("a")  # the level becomes a new mailbox
    assert (alice.status("a").messages, alice.status("a").uidvalidity > old) == (0, True)
    alice.delete_mailbox("a/b/c")
    alice.delete_mailbox("owatagusiam")
    assert names(alice) == {"INBOX": True, "a": True, "a/b": True}


def test_rfc3501_delete_example_with_noselect_parent(alice: Any) -> None:
    alice.create_mailbox("blurdybloop")
    alice.create_mailbox("foo/bar")
    alice.delete_mailbox("foo")
    assert names(alice) == {"INBOX": True, "blurdybloop": True, "foo": False, "foo/bar": True}
    alice.delete_mailbox("blurdybloop")
    with no("HASCHILDREN"):
        alice.delete_mailbox("foo")
    alice.delete_mailbox("foo/bar")
    assert names(alice) == {"INBOX": True, "foo": False}
    alice.delete_mailbox("foo")
    assert names(alice) == {"INBOX": True}


def test_rename_moves_the_subtree_and_handles_follow(alice: Any) -> None:
    alice.create_mailbox("a/b/c")
    alice.append("a/b", MSG, internal_date=DATE)
    before = alice.status("a/b")
    handle = alice.select("a/b")
    alice.rename_mailbox("a", "x")
    assert names(alice) == {"INBOX": True, "x": True, "x/b": True, "x/b/c": True}
    assert alice.status("x/b") == before
    assert handle.name == "x/b"
    alice.append("x/b", MSG, internal_date=DATE)
    assert [m.uid for m in handle.changes_since(before.highest_modseq).new] == [2]
    alice.rename_mailbox("x/b/c", "p/q/c")
    assert names(alice)["p"] and names(alice)["p/q"]


def test_rename_errors(alice: Any) -> None:
    alice.create_mailbox("a/b")
    alice.create_mailbox("z")
    with no("NONEXISTENT"):
        alice.rename_mailbox("nope", "c")
    for target in ("z", "inbox", "a"):
        with no("ALREADYEXISTS"):
            alice.rename_mailbox("a", target)
    with no("CANNOT"):
        alice.rename_mailbox("a", "a/q")
    with no("CANNOT"):
        alice.rename_mailbox("a", "bad%name")
    assert names(alice) == {"INBOX": True, "a": True, "a/b": True, "z": True}


def test_rename_inbox_moves_messages_and_leaves_inbox_empty(alice: Any) -> None:
    alice.create_mailbox("INBOX/child")
    for i in range(3):
        alice.append(
            "INBOX", b"Subject: %d\r\n\r\n" % i, flags=["\\Seen", "kw"], internal_date=DATE
        )
    inbox = alice.select("INBOX")
    seen = inbox.status().highest_modseq
    before = alice.status("INBOX")
    alice.rename_mailbox("INBOX", "old-inbox")
    assert names(alice) == {"INBOX": True, "INBOX/child": True, "old-inbox": True}
    moved = alice.select("old-inbox")
    assert [(m.uid, m.flags) for m in moved.messages()] == [
        (u, frozenset({"\\Seen", "kw"})) for u in (1, 2, 3)
    ]
    assert moved.message_bytes(2) == b"Subject: 1\r\n\r\n"
    after = alice.status("INBOX")
    assert (after.messages, after.uidvalidity, after.uidnext) == (0, before.uidvalidity, 4)
    assert inbox.changes_since(seen).expunged == (1, 2, 3)
    assert alice.append("INBOX", MSG, internal_date=DATE).uid == 4


def test_uidvalidity_only_grows_for_a_name(alice: Any) -> None:
    alice.create_mailbox("B")
    alice.create_mailbox("A")
    a_old = alice.status("A").uidvalidity
    alice.delete_mailbox("A")
    alice.rename_mailbox("B", "A")  # RFC 3501 2.3.1.1
    assert alice.status("A").uidvalidity > a_old


def test_special_use_and_subscriptions(alice: Any) -> None:
    alice.create_special_use_mailbox("Sent Items", ["\\Sent"])
    info = {m.name: m for m in alice.list_mailboxes()}["Sent Items"]
    assert info.special_use == frozenset({"\\Sent"})
    with no("USEATTR"):
        alice.create_special_use_mailbox("Other", ["\\Important"])
    assert alice.subscriptions() == frozenset({"INBOX"})
    alice.subscribe("Sent Items")
    alice.subscribe("not/yet")
    alice.unsubscribe("inbox")
    alice.delete_mailbox("Sent Items")
    assert alice.subscriptions() == frozenset({"Sent Items", "not/yet"})
    with no("CANNOT"):
        alice.subscribe("a//b")


# ---------------------------------------------------------------------------
# On disk


def test_layout_of_folders_and_files(tmp_path: Path, mda: MaildirAccount) -> None:
    mda.create_mailbox("Archive/2025")
    mda.create_mailbox("Entwürfe")
    mda.create_mailbox("a&b")
    user = tmp_path / "alice"
    folders = sorted(p.name for p in user.iterdir() if p.name.startswith("."))
    assert folders == [".Archive", ".Archive.2025", ".Entw&APw-rfe", ".a&-b"]
    for folder in (user / f for f in folders):
        assert {"cur", "new", "tmp", "imap-sansio-uidlist"} <= set(os.listdir(folder))
    assert names(mda) == {
        "INBOX": True,
        "Archive": True,
        "Archive/2025": True,
        "Entwürfe": True,
        "a&b": True,
    }
    # Maildir++ uses "." as its separator: a "." inside a level cannot be stored.
    with no("CANNOT"):
        mda.create_mailbox("v1.0")
    mda.subscribe("Entwürfe")
    assert (user / "subscriptions").read_text("utf-8") == "Entwürfe\nINBOX\n"


def test_flags_are_letters_in_file_names(tmp_path: Path, mda: MaildirAccount) -> None:
    inbox = mda.select("INBOX")
    uid = mda.append("INBOX", MSG, flags=["\\Seen", "\\Flagged", "$Forwarded"], internal_date=DATE)
    [name] = cur_files(tmp_path / "alice")
    assert name.endswith(":2,FSa")
    assert (tmp_path / "alice" / "dovecot-keywords").read_text() == "0 $Forwarded\n"
    inbox.store_flags([uid.uid], StoreAction.SET, ["\\Answered", "\\Draft", "\\Deleted", "work"])
    [name] = cur_files(tmp_path / "alice")
    assert name.endswith(":2,DRTb")
    assert (tmp_path / "alice" / "dovecot-keywords").read_text() == "0 $Forwarded\n1 work\n"
    assert inbox.keywords() == ("$Forwarded", "work")
    # The file itself holds the message, byte for byte, with the internal date as mtime.
    path = tmp_path / "alice" / "cur" / name
    assert path.read_bytes() == MSG
    assert path.stat().st_mtime == DATE.timestamp()


def test_flag_letters_without_imap_meaning_are_kept(tmp_path: Path, mda: MaildirAccount) -> None:
    user = tmp_path / "alice"
    deliver(user, MSG, "1.x.host")
    (user / "new" / "1.x.host").rename(user / "cur" / "1.x.host:2,PS")  # P: passed (mutt)
    inbox = mda.select("INBOX")
    assert inbox.messages()[0].flags == frozenset({"\\Seen"})
    inbox.store_flags([1], StoreAction.SET, ["\\Flagged"])
    assert cur_files(user) == ["1.x.host:2,FP"]


def test_uids_flags_and_modseqs_survive_a_restart(tmp_path: Path) -> None:
    account = _maildir(tmp_path).account("alice")
    account.create_mailbox("Work")
    fill(account, 4, "Work")
    work = account.select("Work")
    work.store_flags([2, 3], StoreAction.ADD, ["\\Deleted", "todo"])
    mark = work.status().highest_modseq
    work.expunge([2])
    work.store_flags([4], StoreAction.ADD, ["\\Seen"])
    work.claim_recent()
    before = (work.status(), work.messages(), work.keywords())

    again = _maildir(tmp_path).account("alice").select("Work")
    assert (again.status(), again.messages(), again.keywords()) == before
    assert [m.uid for m in again.messages()] == [1, 3, 4]
    changes = again.changes_since(mark)  # QRESYNC needs the tombstones too
    assert (changes.expunged, [m.uid for m in changes.changed]) == ((2,), [4])
    assert again.claim_recent() == ()
    assert _maildir(tmp_path).account("alice").append("Work", MSG, internal_date=DATE).uid == 5


def test_a_delivery_into_new_gets_the_next_uid(tmp_path: Path, mda: MaildirAccount) -> None:
    user = tmp_path / "alice"
    fill(mda, 2)
    inbox = mda.select("INBOX")
    mark = inbox.status().highest_modseq
    heard: list[ChangeNotice] = []
    mda._backend.add_listener(heard.append)
    deliver(user, b"Subject: from procmail\n\nUnix lines\n", "1700000000.P1Q1.host", 1700000000)
    changes = inbox.changes_since(mark)
    [new] = changes.new
    assert (new.uid, new.flags, new.internal_date) == (
        3,
        frozenset(),
        datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
    )
    # Unix line ends are served as CRLF (RFC 5322), and RFC822.SIZE agrees.
    assert inbox.message_bytes(3) == b"Subject: from procmail\r\n\r\nUnix lines\r\n"
    assert new.size == len(b"Subject: from procmail\r\n\r\nUnix lines\r\n")
    assert os.listdir(user / "new") == []
    assert "1700000000.P1Q1.host:2," in cur_files(user)
    assert heard == [ChangeNotice(username="alice", mailbox="INBOX")]
    assert inbox.claim_recent() == (1, 2, 3)


def test_deliveries_get_uids_in_arrival_order(tmp_path: Path, mda: MaildirAccount) -> None:
    user = tmp_path / "alice"
    deliver(user, b"B\r\n", "b.host", 1700000100)
    deliver(user, b"A\r\n", "z.host", 1700000000)
    inbox = mda.select("INBOX")
    assert [inbox.message_bytes(m.uid) for m in inbox.messages()] == [b"A\r\n", b"B\r\n"]


def test_changes_by_other_programs_are_flag_changes_and_expunges(
    tmp_path: Path, mda: MaildirAccount
) -> None:
    user = tmp_path / "alice"
    fill(mda, 3)
    inbox = mda.select("INBOX")
    mark = inbox.status().highest_modseq
    first, second, _ = cur_files(user)
    (user / "cur" / first).rename(user / "cur" / (first + "RS"))  # a MUA replied
    (user / "cur" / second).unlink()  # a MUA deleted it
    changes = inbox.changes_since(mark)
    assert [(m.uid, m.flags) for m in changes.changed] == [(1, frozenset({"\\Answered", "\\Seen"}))]
    assert changes.expunged == (2,)
    assert changes.highest_modseq == mark + 1
    assert inbox.changes_since(changes.highest_modseq).highest_modseq == mark + 1


def test_a_message_file_renamed_by_another_program_is_still_read(
    tmp_path: Path, mda: MaildirAccount
) -> None:
    user = tmp_path / "alice"
    fill(mda, 1)
    inbox = mda.select("INBOX")
    inbox.messages()
    [name] = cur_files(user)
    (user / "cur" / name).rename(user / "cur" / (name + "S"))
    assert inbox.message_bytes(1) == b"Subject: 0\r\n\r\n0\r\n"
    assert inbox.messages()[0].flags == frozenset({"\\Seen"})


def test_a_file_renamed_during_an_operation_is_found_by_its_base(
    tmp_path: Path, md: MaildirBackend, mda: MaildirAccount
) -> None:
    user = tmp_path / "alice"
    fill(mda, 1)
    mda.select("INBOX").messages()
    folder = md._folder(user, user)
    entry = folder.live().entries[1]
    [name] = cur_files(user)
    (user / "cur" / name).rename(user / "cur" / (name + "S"))  # a MUA, just now
    assert folder.on_file(entry, Path.unlink)
    assert cur_files(user) == []
    assert not folder.on_file(entry, Path.unlink)


def test_stale_staging_directories_are_removed(tmp_path: Path) -> None:
    leftover = tmp_path / "alice" / "imap-sansio-staging-0123"
    (leftover / "cur").mkdir(parents=True)
    os.utime(leftover, (1_600_000_000, 1_600_000_000))
    _maildir(tmp_path)
    assert not leftover.exists()


def test_a_lost_uid_list_is_rebuilt_with_a_new_uidvalidity(
    tmp_path: Path, mda: MaildirAccount
) -> None:
    fill(mda, 2)
    old = mda.status("INBOX")
    (tmp_path / "alice" / "imap-sansio-uidlist").write_text("garbage\n")
    fresh = _maildir(tmp_path).account("alice")
    new = fresh.status("INBOX")
    assert new.uidvalidity > old.uidvalidity
    assert (new.messages, new.uidnext) == (2, 3)
    # A handle opened before learns of it: the session must be closed (RFC 3501 2.3.1.1).
    assert mda.select("INBOX").uidvalidity == new.uidvalidity


def test_a_crash_between_file_and_uid_list_loses_nothing(
    tmp_path: Path, mda: MaildirAccount
) -> None:
    user = tmp_path / "alice"
    fill(mda, 1)
    listed = (user / "imap-sansio-uidlist").read_bytes()
    fill(mda, 1)
    (user / "imap-sansio-uidlist").write_bytes(listed)  # the UID list update was lost
    inbox = _maildir(tmp_path).account("alice").select("INBOX")
    assert [m.uid for m in inbox.messages()] == [1, 2]
    assert inbox.message_bytes(2) == b"Subject: 0\r\n\r\n0\r\n"


def test_copy_hard_links_and_move_renames(tmp_path: Path, mda: MaildirAccount) -> None:
    user = tmp_path / "alice"
    fill(mda, 2)
    mda.create_mailbox("Copies")
    inbox = mda.select("INBOX")
    inbox.copy([1], "Copies")
    inbox.move([2], "Copies")
    [kept] = cur_files(user)
    assert (user / "cur" / kept).stat().st_nlink == 2
    assert len(cur_files(user / ".Copies")) == 2


def test_keywords_are_limited_to_26_letters_and_reused(mda: MaildirAccount) -> None:
    fill(mda, 1)
    inbox = mda.select("INBOX")
    for i in range(26):
        inbox.store_flags([1], StoreAction.SET, [f"k{i}"])
    # Only k25 is in use: its letter stays, another is given to the new keyword.
    inbox.store_flags([1], StoreAction.ADD, ["fresh"])
    assert inbox.messages()[0].flags == frozenset({"k25", "fresh"})
    assert len(inbox.keywords()) == 26
    inbox.store_flags([1], StoreAction.SET, [f"k{i}" for i in range(26)])
    with no("LIMIT"):
        inbox.store_flags([1], StoreAction.ADD, ["one-too-many"])


def test_two_backends_on_one_directory_see_each_other(tmp_path: Path) -> None:
    one = _maildir(tmp_path).account("alice").select("INBOX")
    other = _maildir(tmp_path).account("alice")
    mark = one.status().highest_modseq
    other.append("INBOX", MSG, flags=["x"], internal_date=DATE)
    other.select("INBOX").store_flags([1], StoreAction.ADD, ["\\Seen"])
    changes = one.changes_since(mark)
    assert [(m.uid, m.flags) for m in changes.new] == [(1, frozenset({"\\Seen", "x"}))]
    other.rename_mailbox("INBOX", "Old")
    assert one.changes_since(changes.highest_modseq).expunged == (1,)
    folder = other.select("Old")
    other.rename_mailbox("Old", "Older")
    assert _maildir(tmp_path).account("alice").select("Older").status().messages == 1
    assert folder.name == "Older"


def test_concurrent_writers_never_share_a_uid(tmp_path: Path) -> None:
    import threading

    _maildir(tmp_path).account("alice")
    results: list[int] = []

    def writer(n: int) -> None:
        account = _maildir(tmp_path).account("alice")  # its own locks, like a process
        for i in range(40):
            uid = account.append("INBOX", b"%d-%d\r\n" % (n, i), internal_date=DATE).uid
            results.append(uid)
            account.select("INBOX").store_flags([uid], StoreAction.ADD, [f"w{n}"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 121))
    inbox = _maildir(tmp_path).account("alice").select("INBOX")
    infos = inbox.messages()
    assert [m.uid for m in infos] == list(range(1, 121))
    assert len({inbox.message_bytes(m.uid) for m in infos}) == 120
    assert all(len(m.flags) == 1 for m in infos)
    assert sorted(inbox.keywords()) == ["w0", "w1", "w2"]


def test_folders_made_by_other_programs_are_listed(tmp_path: Path) -> None:
    user = tmp_path / "alice"
    for folder in (".Sent", ".Lists.python", ".Caf\xe9"):
        for sub in ("cur", "new", "tmp"):
            (user / folder / sub).mkdir(parents=True)
    deliver(user / ".Sent", MSG, "1.a.host")
    account = _maildir(tmp_path).account("alice")
    assert names(account) == {
        "INBOX": True,
        "Sent": True,
        "Lists/python": True,
        "Café": True,
    }
    # First sight of the maildir: subscribe to what it has.
    assert account.subscriptions() == frozenset({"INBOX", "Sent", "Lists/python", "Café"})
    assert account.status("Sent").messages == 1
    assert account.select("Café").status().messages == 0


def test_user_names_must_be_directory_names(tmp_path: Path) -> None:
    for bad in ("", "..", ".hidden", "a/b"):
        with pytest.raises(ValueError, match="directory"):
            MaildirBackend(tmp_path, users={bad: "x"})


# ---------------------------------------------------------------------------
# End to end: IMAPServer over MaildirBackend


def test_imap_session_over_a_maildir(tmp_path: Path) -> None:
    server = IMAPServer(_maildir(tmp_path))
    bound = play(
        server,
        r"""
        C: a1 LOGIN alice secret
        S: a1 OK [CAPABILITY $ANY] LOGIN completed
        C: a2 CREATE Work/2025
        S: a2 OK CREATE completed
        C: a3 APPEND Work/2025 (\Seen urgent) "01-Mar-2025 12:00:00 +0000" {19}
        S: + $ANY
        C: Subject: hi
        C:
        C: hi
        C:
        S: a3 OK [APPENDUID $UIDVALIDITY 1] APPEND completed
        C: a4 SELECT Work/2025
        S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft urgent)
        S: * 1 EXISTS
        S: * 1 RECENT
        S: * OK [UIDVALIDITY $UIDVALIDITY] UIDs valid
        S: * OK [UIDNEXT 2] Predicted next UID
        S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft urgent \*)] $ANY
        S: a4 OK [READ-WRITE] SELECT completed
        C: a5 FETCH 1 (UID FLAGS INTERNALDATE)
        S: * 1 FETCH (UID 1 FLAGS (\Seen urgent \Recent) INTERNALDATE " 1-Mar-2025 12:00:00 +0000")
        S: a5 OK FETCH completed
        C: a5 FETCH 1 (RFC822.SIZE BODY[])
        S: * 1 FETCH (RFC822.SIZE 19 BODY[] {19}
        S: Subject: hi
        S:
        S: hi
        S: )
        S: a5 OK FETCH completed
        C: a6 STORE 1 +FLAGS (\Flagged)
        S: * 1 FETCH (FLAGS (\Flagged \Seen urgent \Recent))
        S: a6 OK STORE completed
        C: a7 LOGOUT
        S: * BYE $ANY
        S: a7 OK LOGOUT completed
        """,
    )
    [name] = cur_files(tmp_path / "alice" / ".Work.2025")
    assert name.endswith(":2,FSa")

    # Restarted: same UIDVALIDITY; a message delivered meanwhile is announced.
    deliver(tmp_path / "alice" / ".Work.2025", b"Subject: new\n\nx\n", "2.b.host")
    play(
        IMAPServer(_maildir(tmp_path)),
        r"""
        C: b1 LOGIN alice secret
        S: b1 OK $ANY
        C: b2 STATUS Work/2025 (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)
        S: * STATUS Work/2025 (MESSAGES 2 UIDNEXT 3 UIDVALIDITY $UIDVALIDITY UNSEEN 1)
        S: b2 OK STATUS completed
        C: b3 EXAMINE Work/2025
        S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft urgent)
        S: * 2 EXISTS
        S: * 1 RECENT
        S: * OK [UNSEEN 2] First unseen: 2
        S: * OK [UIDVALIDITY $UIDVALIDITY] UIDs valid
        S: * OK [UIDNEXT 3] Predicted next UID
        S: * OK [PERMANENTFLAGS ()] Read-only mailbox
        S: b3 OK [READ-ONLY] EXAMINE completed
        C: b4 UID FETCH 2 (FLAGS RFC822.SIZE BODY[])
        S: * 2 FETCH (UID 2 FLAGS () RFC822.SIZE 19 BODY[] {19}
        S: Subject: new
        S:
        S: x
        S: )
        S: b4 OK FETCH completed
        """.replace("$UIDVALIDITY", bound["UIDVALIDITY"]),
    )


def test_a_session_hears_of_a_delivery_at_noop(tmp_path: Path) -> None:
    server = IMAPServer(_maildir(tmp_path))
    conn = server.connect()
    conn.data_to_send()
    conn.receive_data(b"a LOGIN alice secret\r\nb SELECT INBOX\r\n")
    assert conn.data_to_send().endswith(b"b OK [READ-WRITE] SELECT completed\r\n")
    deliver(tmp_path / "alice", b"Subject: x\r\n\r\n", "1.c.host")
    conn.receive_data(b"c NOOP\r\n")
    assert conn.data_to_send() == b"* 1 EXISTS\r\n* 1 RECENT\r\nc OK NOOP completed\r\n"


# ---------------------------------------------------------------------------
# The MemoryBackend model test, on a maildir


def _model_test() -> type[Any]:
    from test_backend_model import MAILBOXES, BackendAgainstModel

    class MaildirAgainstModel(BackendAgainstModel):
        def __init__(self) -> None:
            super().__init__()
            self.tmp = tempfile.mkdtemp(prefix="maildir-model-")
            backend: Any = MaildirBackend(Path(self.tmp), {"u": "p"}, fsync=False)
            self.backend = backend
            self.account = backend.account("u")
            for name in MAILBOXES[1:]:
                self.account.create_mailbox(name)
            self.handles = {name: self.account.select(name) for name in MAILBOXES}
            self.session = {n: (self.handles[n].status().highest_modseq, {}) for n in MAILBOXES}

        def teardown(self) -> None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    return MaildirAgainstModel


TestMaildirAgainstModel = _model_test().TestCase
TestMaildirAgainstModel.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)


# ---------------------------------------------------------------------------
# The CLI option, and mbsync against a Maildir-backed server


def test_cli_maildir_option_builds_a_maildir_server(tmp_path: Path) -> None:
    from imap_sansio.adapters.cli import build_maildir_server, build_parser

    args = build_parser().parse_args(["serve", "--maildir", str(tmp_path), "--user", "bob:pw"])
    assert args.maildir == str(tmp_path)
    server = build_maildir_server(Path(args.maildir), {"bob": "pw"})
    play(
        server,
        """
        C: a1 LOGIN bob pw
        S: a1 OK $ANY
        C: a2 CREATE Sent
        S: a2 OK CREATE completed
        """,
    )
    assert (tmp_path / "bob" / ".Sent" / "cur").is_dir()


MBSYNC_CONFIG = """\
IMAPAccount remote
Host 127.0.0.1
Port {port}
User alice
Pass secret
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account remote

MaildirStore local
Path {mail}/
Inbox {mail}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
"""


@pytest.mark.peers
@pytest.mark.skipif(
    shutil.which("mbsync") is None,
    reason="the mbsync program is not on PATH (Debian package isync, which .ci/run installs)",
)
def test_mbsync_syncs_with_a_maildir_backed_server(tmp_path: Path) -> None:
    import subprocess

    from _adapter_harness import running_server
    from imap_sansio.adapters import ServerOptions
    from imap_sansio.adapters.cli import wall_clock

    store = tmp_path / "server"
    backend = MaildirBackend(store, users={"alice": "secret"})
    account = backend.account("alice")
    account.create_mailbox("Work")
    fill(account, 2)
    account.append("Work", MSG, flags=["\\Flagged"], internal_date=DATE)
    mail = tmp_path / "mail"
    mail.mkdir()
    server = IMAPServer(backend, clock=wall_clock)
    with running_server("threads", server, options=ServerOptions(shutdown_grace=2)) as srv:
        (tmp_path / "mbsyncrc").write_text(MBSYNC_CONFIG.format(port=srv.port, mail=mail))

        def sync() -> None:
            subprocess.run(
                ["mbsync", "-c", str(tmp_path / "mbsyncrc"), "-a", "-q"],
                check=True,
                timeout=30,
                capture_output=True,
            )

        def local(folder: str) -> list[str]:
            return sorted(p.name for p in (mail / folder).glob("*/*") if p.parent.name != "tmp")

        sync()
        assert len(local("INBOX")) == 2
        [work] = local("Work")
        assert work.endswith(":2,F")
        # Up: a message written offline; and one delivered on the server by an MDA.
        (mail / "Work" / "new" / "offline.1").write_bytes(b"Subject: offline\r\n\r\nx\r\n")
        deliver(store / "alice", b"Subject: procmail\n\nhi\n", "1700000000.M1P1.mx")
        sync()
        sync()  # a second run changes nothing and duplicates nothing
    assert len(local("INBOX")) == 3
    assert len(local("Work")) == 2
    fresh = MaildirBackend(store, fsync=False).account("alice")
    assert fresh.status("Work").messages == 2
    assert fresh.status("INBOX").messages == 3
    work_box = fresh.select("Work")
    uploaded = work_box.message_bytes(work_box.messages()[1].uid) or b""
    # mbsync adds its X-TUID header while uploading.
    assert uploaded.startswith(b"Subject: offline\r\nX-TUID: ")
    assert uploaded.endswith(b"\r\n\r\nx\r\n")
