"""The Maildir store keeps what it knows between calls (issue 16 goal 4):
the UID list grows by appended lines, a second backend (another process)
reads only what was appended, and nothing is rescanned when nothing changed."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from imap_sansio.adapters import maildir
from imap_sansio.adapters.maildir import UIDLIST, MaildirBackend
from imap_sansio.adapters.maildir_dovecot import UIDLIST as DOVECOT_UIDLIST
from imap_sansio.adapters.maildir_dovecot import DotLock

from imap_sansio.server import StoreAction

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _backend(root: Path) -> MaildirBackend:
    return MaildirBackend(root, users={"alice": "secret"}, fsync=False)


def test_changes_are_appended_to_the_uid_list_and_read_by_another_backend(
    tmp_path: Path,
) -> None:
    writer = _backend(tmp_path).account("alice")
    reader = _backend(tmp_path).account("alice")
    for i in range(3):
        writer.append("INBOX", b"Subject: %d\r\n\r\n" % i, internal_date=DATE)
    inbox = writer.select("INBOX")
    seen = reader.select("INBOX")
    assert [m.uid for m in seen.messages()] == [1, 2, 3]
    uidlist = tmp_path / "alice" / UIDLIST
    before = uidlist.stat()
    head = uidlist.read_bytes()
    inbox.store_flags([2], StoreAction.ADD, ["\\Flagged"])
    inbox.store_flags([1], StoreAction.ADD, ["\\Deleted"])
    assert inbox.expunge() == (1,)
    after = uidlist.stat()
    # The same file, grown: the old bytes are untouched.
    assert after.st_ino == before.st_ino
    assert uidlist.read_bytes()[: len(head)] == head
    assert [(m.uid, m.flags) for m in seen.messages()] == [
        (2, frozenset({"\\Flagged"})),
        (3, frozenset()),
    ]
    assert seen.changes_since(1).expunged == ()  # UID 1 arrived after modseq 1
    assert seen.status() == inbox.status()
    # A third backend reading the whole file agrees.
    fresh = _backend(tmp_path).account("alice").select("INBOX")
    assert fresh.messages() == inbox.messages()


def test_a_line_torn_by_a_crash_is_ignored_and_overwritten(tmp_path: Path) -> None:
    account = _backend(tmp_path).account("alice")
    account.append("INBOX", b"Subject: 1\r\n\r\n", internal_date=DATE)
    uidlist = tmp_path / "alice" / UIDLIST
    with open(uidlist, "ab") as file:
        file.write(b"m 9 9 9 1 1 0 ,S half-writ")
    other = _backend(tmp_path).account("alice")
    assert [m.uid for m in other.select("INBOX").messages()] == [1]
    other.select("INBOX").store_flags([1], StoreAction.ADD, ["\\Seen"])
    assert b"half-writ" not in uidlist.read_bytes()
    again = _backend(tmp_path).account("alice").select("INBOX")
    assert [(m.uid, m.flags) for m in again.messages()] == [(1, frozenset({"\\Seen"}))]


def test_a_rename_by_another_program_right_after_a_read_is_seen(tmp_path: Path) -> None:
    # The listing is trusted only once the directory's mtime is older than a
    # clock tick, so a change in the same tick as the last listing is found.
    account = _backend(tmp_path).account("alice")
    account.append("INBOX", b"Subject: 1\r\n\r\n", internal_date=DATE)
    inbox = account.select("INBOX")
    for flags in ("S", "FS", "", "T"):
        assert len(inbox.messages()) == 1
        cur = tmp_path / "alice" / "cur"
        [name] = os.listdir(cur)
        os.rename(cur / name, cur / (name.partition(":")[0] + ":2," + flags))
        expected = {"S": {"\\Seen"}, "FS": {"\\Flagged", "\\Seen"}, "": set(), "T": {"\\Deleted"}}
        assert inbox.messages()[0].flags == frozenset(expected[flags])


def test_dropped_tombstones_rewrite_the_list_and_readers_agree(tmp_path: Path) -> None:
    def backend() -> MaildirBackend:
        return MaildirBackend(tmp_path, users={"alice": "secret"}, fsync=False, max_tombstones=2)

    writer = backend().account("alice")
    for i in range(8):
        writer.append("INBOX", b"Subject: %d\r\n\r\n" % i, internal_date=DATE)
    inbox = writer.select("INBOX")
    reader = backend().account("alice").select("INBOX")
    uidlist = tmp_path / "alice" / UIDLIST
    inodes = set()
    for uid in range(1, 8):
        inbox.store_flags([uid], StoreAction.ADD, ["\\Deleted"])
        assert inbox.expunge() == (uid,)
        inodes.add(uidlist.stat().st_ino)
        mark = inbox.status().highest_modseq - 6
        assert reader.changes_since(mark) == inbox.changes_since(mark)
    assert len(inodes) > 1  # compacted at least once: a new file
    fresh = backend().account("alice").select("INBOX")
    assert fresh.changes_since(1) == inbox.changes_since(1)
    assert [m.uid for m in fresh.messages()] == [8]


def _listings(monkeypatch: pytest.MonkeyPatch, directory: Path) -> list[str]:
    """The listings of ``directory`` made from now on (os.listdir, counted)."""
    seen: list[str] = []
    listdir = os.listdir

    def counting(path: str | Path = ".") -> list[str]:
        if Path(path) == directory:
            seen.append(str(path))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counting)
    return seen


def test_the_stores_own_changes_are_not_listed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clock tick longer than the test: on a loaded machine the steps below
    # may span several 50 ms ticks, and each tick that passes after one of
    # the store's own changes owes one look (that rule has its own test).
    monkeypatch.setattr(maildir, "_FINE_TICK_NS", 3600 * 10**9)
    monkeypatch.setattr(maildir, "_COARSE_TICK_NS", 3600 * 10**9)
    account = _backend(tmp_path).account("alice")
    for i in range(3):
        account.append("INBOX", b"Subject: %d\r\n\r\n" % i, internal_date=DATE)
    inbox = account.select("INBOX")
    inbox.messages()
    listed = _listings(monkeypatch, tmp_path / "alice" / "cur")
    for uid in (1, 2, 3):
        inbox.store_flags([uid], StoreAction.ADD, ["\\Seen"])
        assert [m.uid for m in inbox.messages() if "\\Seen" in m.flags] == list(range(1, uid + 1))
    account.append("INBOX", b"Subject: 4\r\n\r\n", internal_date=DATE)
    assert inbox.store_flags([1], StoreAction.ADD, ["\\Deleted"]).changed == (1,)
    assert inbox.expunge() == (1,)
    assert [m.uid for m in inbox.messages()] == [2, 3, 4]
    # cur/ changed at every step, each time by this store: never listed.
    assert listed == []


def test_a_rename_by_another_program_right_after_the_stores_own_is_seen_after_the_tick(
    tmp_path: Path,
) -> None:
    account = _backend(tmp_path).account("alice")
    account.append("INBOX", b"Subject: 1\r\n\r\n", internal_date=DATE)
    inbox = account.select("INBOX")
    inbox.store_flags([1], StoreAction.ADD, ["\\Seen"])
    cur = tmp_path / "alice" / "cur"
    [name] = os.listdir(cur)
    os.rename(cur / name, cur / (name.partition(":")[0] + ":2,FS"))
    # Maybe within the clock tick of the store's own rename (then the mtime
    # says nothing): seen at the first call after the tick (Dovecot's rule).
    coarse = os.stat(cur).st_mtime_ns % 1_000_000_000 == 0
    time.sleep(1.1 if coarse else 0.06)
    assert inbox.messages()[0].flags == frozenset({"\\Flagged", "\\Seen"})


def test_a_flag_change_does_not_wait_for_dovecots_uid_list_lock(tmp_path: Path) -> None:
    # Dovecot holds its dot-lock while it numbers messages; a change that
    # numbers none (STORE, EXPUNGE) goes on without it.
    account = _backend(tmp_path).account("alice")
    account.append("INBOX", b"Subject: 1\r\n\r\n", internal_date=DATE)
    inbox = account.select("INBOX")
    with DotLock(tmp_path / "alice" / DOVECOT_UIDLIST, stale=120):
        assert inbox.store_flags([1], StoreAction.ADD, ["\\Deleted"]).changed == (1,)
        assert inbox.expunge() == (1,)
    assert inbox.messages() == []
