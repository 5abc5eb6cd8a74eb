"""MaildirBackend: the Backend protocol on Maildir++ directories.

The behaviour every backend shares is the contract suite
(:class:`BackendContract`); the rest checks what is on disk and what
survives a restart.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from imap_sansio.adapters.maildir import MaildirAccount, MaildirBackend

from imap_sansio.server import IMAPServer
from imap_sansio.server._backend import (
    AppendLimitAccount,
    ChangeNotice,
    CondstoreAccount,
    ImapNo,
    QuotaAccount,
    SpecialUseCreateAccount,
    StoreAction,
)
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.backend import BackendContract
from imap_sansio.testing.transcript import play

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MSG = b"Subject: hello\r\n\r\nbody\r\n"


def _maildir(root: Path, **options: Any) -> MaildirBackend:
    return MaildirBackend(root, users={"alice": "secret"}, fsync=False, **options)


class TestMaildirContract(BackendContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> MaildirBackend:
        return _maildir(tmp_path, object_ids=True)


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
    """The files of ``cur/`` in delivery order (the store names them
    ``secs.MusecsPpidQcounter``; sorting the names as text would put ``Q10``
    before ``Q2`` and ``M5`` after ``M40``)."""

    def order(name: str) -> tuple[int, int]:
        secs, _, rest = name.partition(".")
        counter = re.search(r"Q(\d+)", rest)
        return int(secs), int(counter.group(1)) if counter else 0

    return sorted(os.listdir(path / "cur"), key=order)


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
# What the contract suite leaves to each backend


def test_maildir_offers_the_optional_protocols_but_quota(mda: MaildirAccount) -> None:
    for optional in (SpecialUseCreateAccount, AppendLimitAccount, CondstoreAccount):
        assert isinstance(mda, optional)
    assert not isinstance(mda, QuotaAccount)


def test_append_limit(tmp_path: Path) -> None:
    assert _maildir(tmp_path, max_message_size=10).account("alice").append_limit() == 10


def test_two_backends_on_one_directory_see_each_other(tmp_path: Path) -> None:
    one = _maildir(tmp_path).account("alice").select("INBOX")
    other = _maildir(tmp_path).account("alice")
    mark = one.status().highest_modseq
    other.append("INBOX", MSG, flags=["x"], internal_date=DATE)
    other.select("INBOX").store_flags([1], StoreAction.ADD, ["\\Seen"])
    changes = one.changes_since(mark)
    assert [(m.uid, m.flags) for m in changes.new] == [(1, frozenset({"\\Seen", "x"}))]
    other.create_mailbox("Old")
    folder = other.select("Old")
    other.rename_mailboxes({"Old": "Older"})
    assert _maildir(tmp_path).account("alice").select("Older").status().messages == 0
    assert folder.name == "Older"


# ---------------------------------------------------------------------------
# On disk


def test_layout_of_folders_and_files(tmp_path: Path, mda: MaildirAccount) -> None:
    mda.create_mailbox("Archive")
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
    # Dovecot's version 2 format: a header, levels in modified UTF-7.
    assert (user / "subscriptions").read_bytes() == b"V\t2\n\nINBOX\nEntw&APw-rfe\n"


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


def test_a_lost_uid_list_is_rebuilt_from_dovecots(tmp_path: Path, mda: MaildirAccount) -> None:
    fill(mda, 2)
    old = mda.status("INBOX")
    (tmp_path / "alice" / "imap-sansio-uidlist").write_text("garbage\n")
    # dovecot-uidlist still says which UIDs the messages have: nothing changes.
    new = _maildir(tmp_path).account("alice").status("INBOX")
    assert (new.uidvalidity, new.messages, new.uidnext) == (old.uidvalidity, 2, 3)
    # RFC 7162 3.1.2.1: under one UIDVALIDITY, modseqs never go back.
    assert new.highest_modseq > old.highest_modseq


def test_lost_uid_lists_are_rebuilt_with_a_new_uidvalidity(
    tmp_path: Path, mda: MaildirAccount
) -> None:
    fill(mda, 2)
    old = mda.status("INBOX")
    (tmp_path / "alice" / "imap-sansio-uidlist").write_text("garbage\n")
    (tmp_path / "alice" / "dovecot-uidlist").unlink()
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


def test_concurrent_writers_never_share_a_uid(tmp_path: Path) -> None:
    import threading

    _maildir(tmp_path).account("alice")
    results: list[int] = []

    def writer(n: int) -> None:
        account = _maildir(tmp_path).account("alice")  # its own locks, like a process
        for i in range(40):
            uid = account.append("INBOX", b"%d-%d\r\n" % (n, i), internal_date=DATE).uid
            results.append(uid)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 121))


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
    server = IMAPServer(_maildir(tmp_path), clock=fixed_clock())
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
        IMAPServer(_maildir(tmp_path), clock=fixed_clock()),
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
    server = IMAPServer(_maildir(tmp_path), clock=fixed_clock())
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
    from imap_sansio.adapters.cli import build_maildir_server, build_parser, config_from_args

    args = build_parser().parse_args(["serve", "--maildir", str(tmp_path), "--user", "bob:pw"])
    maildir = config_from_args(args).store.maildir
    assert maildir == str(tmp_path)
    server = build_maildir_server(Path(maildir), {"bob": "pw"})
    play(
        server,
        """
        C: a1 LOGIN bob pw
        S: a1 OK $ANY
        C: a2 CREATE Sent
        S: a2 OK [MAILBOXID ($SENT)] CREATE completed
        """,
    )
    # imap-sansio serve offers OBJECTID (RFC 8474 4.1) over a Maildir too.
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
