"""Dovecot and MaildirBackend taking turns on one maildir.

The formats are checked byte for byte against files Debian's Dovecot 2.3
(2.3.19.1) wrote; the round trip runs ``doveadm`` (Debian: dovecot-core,
installed by ``.ci/run``) on a tree in a temporary directory with a minimal
configuration, so no Dovecot service runs.  Dovecot refuses to touch mail
as root: under root (CI containers) it runs as ``nobody``, and the tree is
handed to ``nobody`` before each of its steps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from imap_sansio.adapters.maildir import MaildirAccount, MaildirBackend
from imap_sansio.adapters.maildir_dovecot import (
    DotLock,
    DovecotUidList,
    format_subscriptions,
    parse_subscriptions,
)

from imap_sansio.server import IMAPServer
from imap_sansio.server._backend import StoreAction
from imap_sansio.testing import fixed_clock

DATE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# Written by Dovecot 2.3.19.1 (doveadm mailbox create / save / flags add).
DOVECOT_UIDLIST = (
    b"3 V1796540446 N1 Gabac5e311c08156b4a06000083ecc375\n1 :1796540444.M863970P1622.vm,S=30,W=34\n"
)
DOVECOT_SUBSCRIPTIONS = b"V\t2\n\n&AMQ-rger\nSent\nArchive\t2025\n"
DOVECOT_KEYWORDS = b"0 $Forwarded\n1 work\n"


# -- the formats --------------------------------------------------------------


def test_dovecot_uidlist_is_read_as_dovecot_reads_it() -> None:
    uidlist = DovecotUidList.parse(DOVECOT_UIDLIST)
    assert (uidlist.uidvalidity, uidlist.guid) == (1796540446, "abac5e311c08156b4a06000083ecc375")
    # N says 1, but a record has UID 1: the next UID is one above it.
    assert uidlist.next_uid == 2
    assert uidlist.records == {1: ((), "1796540444.M863970P1622.vm,S=30,W=34")}
    uidlist.apply(["4 W34 S30 :1796540450.M1P2.vm"])
    assert uidlist.uids["1796540450.M1P2.vm"] == 4
    assert uidlist.next_uid == 5
    assert uidlist.dump(7) == (
        b"3 V1796540446 N7 Gabac5e311c08156b4a06000083ecc375\n"
        b"1 :1796540444.M863970P1622.vm,S=30,W=34\n"
        b"4 W34 S30 :1796540450.M1P2.vm\n"
    )


def test_dovecot_uidlist_versions_and_damage() -> None:
    # Version 1 (Dovecot 1.0, Courier's courierimapuiddb).
    old = DovecotUidList.parse(b"1 1234 10\n3 1234.M1P1.host:2,S\n")
    assert (old.version, old.uidvalidity, old.next_uid) == (1, 1234, 10)
    assert old.uids == {"1234.M1P1.host": 3}
    for broken in (b"2 V1 N1\n", b"3 V0 N1\n", b"3 V5 N1\n2 :b\n1 :a\n", b"3 V5 N1\nx :a\n"):
        with pytest.raises(ValueError):
            DovecotUidList.parse(broken)
    # A record written again for the same file: the later one wins.
    twice = DovecotUidList.parse(b"3 V5 N1\n1 :a\n2 :a\n")
    assert twice.records == {2: ((), "a")}


def test_dovecot_subscriptions_are_read_and_written_in_its_format() -> None:
    assert parse_subscriptions(DOVECOT_SUBSCRIPTIONS) == ["Ärger", "Sent", "Archive/2025"]
    assert format_subscriptions(["Ärger", "Sent", "Archive/2025"]) == DOVECOT_SUBSCRIPTIONS
    # A TAB inside a level: modified UTF-7 encodes it; a UTF-8 file escapes it with \001.
    assert format_subscriptions(["INBOX", "a\tb/c"]) == b"V\t2\n\nINBOX\na&AAk-b\tc\n"
    assert parse_subscriptions(b"V\t2\n\nINBOX\na&AAk-b\tc\n") == ["INBOX", "a\tb/c"]
    assert parse_subscriptions(b"V\t2\n\nINBOX\na\x01tb\tc\n") == ["INBOX", "a\tb/c"]
    # Dovecot with the UTF8 layout option writes UTF-8 levels.
    assert parse_subscriptions("V\t2\n\nÄrger\n".encode()) == ["Ärger"]
    # Version 1 and this store's earlier files: no header, "." or "/" between levels.
    assert parse_subscriptions("INBOX\nEntwürfe\nArchive/2025\nLists.py\n".encode()) == [
        "INBOX",
        "Entwürfe",
        "Archive/2025",
        "Lists/py",
    ]
    assert parse_subscriptions(b"INBOX.Sent\nINBOX\n") == ["Sent", "INBOX"]


def test_a_dotlock_of_a_dead_process_is_broken_and_a_live_one_waited_for(tmp_path: Path) -> None:
    guarded = tmp_path / "subscriptions"
    lock = tmp_path / "subscriptions.lock"
    # Left by a process of this host that is gone (no pid is that large).
    lock.write_text(f"999999999:{os.uname().nodename}")
    with DotLock(guarded, stale=30) as held:
        assert lock.read_text() == f"{os.getpid()}:{os.uname().nodename}"
        held.replace(b"V\t2\n\nINBOX\n", fsync=False)
    assert guarded.read_bytes() == b"V\t2\n\nINBOX\n"
    assert not lock.exists()
    # Held by a live process (this one, through another lock object): wait, then give up.
    lock.write_text(f"1:{os.uname().nodename}")
    with pytest.raises(TimeoutError), DotLock(guarded, stale=30, timeout=0.05):
        pass
    assert lock.exists()


def test_a_dotlock_taken_by_linking_a_template_holds_it_and_leaves_it(tmp_path: Path) -> None:
    guarded = tmp_path / "dovecot-uidlist"
    template = tmp_path / "template"
    template.write_text(f"{os.getpid()}:{os.uname().nodename}")
    os.utime(template, (1, 1))
    lock = tmp_path / "dovecot-uidlist.lock"
    with DotLock(guarded, stale=120, template=template):
        # What Dovecot reads to tell who holds it, and an age of its own.
        assert lock.read_text() == f"{os.getpid()}:{os.uname().nodename}"
        assert time.time() - lock.stat().st_mtime < 60
        with pytest.raises(TimeoutError), DotLock(guarded, stale=120, timeout=0.05):
            pass
    assert not lock.exists()
    assert template.read_text() == f"{os.getpid()}:{os.uname().nodename}"
    template.unlink()
    with pytest.raises(FileNotFoundError), DotLock(guarded, stale=120, template=template):
        pass


# -- the store on a maildir Dovecot wrote ----------------------------------


def _tree(root: Path) -> Path:
    """A maildir as Dovecot left it (the files above, one message)."""
    user = root / "alice"
    for sub in ("cur", "new", "tmp"):
        (user / sub).mkdir(parents=True)
    (user / "dovecot-uidlist").write_bytes(DOVECOT_UIDLIST)
    (user / "dovecot-keywords").write_bytes(DOVECOT_KEYWORDS)
    (user / "subscriptions").write_bytes(DOVECOT_SUBSCRIPTIONS)
    (user / "new" / "1796540444.M863970P1622.vm,S=30,W=34:2,Sab").write_bytes(
        b"Subject: one\r\n\r\nbody1\r\n"
    )
    return user


def test_a_tree_dovecot_wrote_is_served_with_its_uids_flags_and_subscriptions(
    tmp_path: Path,
) -> None:
    user = _tree(tmp_path)
    (user / ".&AMQ-rger" / "cur").mkdir(parents=True)
    (user / ".&AMQ-rger" / "new").mkdir()
    (user / ".&AMQ-rger" / "dovecot-uidlist").write_bytes(b"3 V1796540444 N4 Gabcd\n")
    backend = MaildirBackend(tmp_path, {"alice": "secret"}, fsync=False)
    server = IMAPServer(backend, clock=fixed_clock())
    conn = server.connect()
    conn.data_to_send()
    conn.receive_data(
        b'a LOGIN alice secret\r\nb LSUB "" *\r\n'
        b"c STATUS &AMQ-rger (UIDVALIDITY UIDNEXT)\r\nd SELECT INBOX\r\ne UID FETCH 1 FLAGS\r\n"
    )
    out = conn.data_to_send()
    lsub = [line for line in out.split(b"\r\n") if line.startswith(b"* LSUB")]
    assert sorted(lsub) == [
        b'* LSUB () "/" &AMQ-rger',
        b'* LSUB () "/" Archive/2025',
        b'* LSUB () "/" Sent',
    ]
    assert b"* STATUS &AMQ-rger (UIDVALIDITY 1796540444 UIDNEXT 4)\r\n" in out
    assert b"* OK [UIDVALIDITY 1796540446] " in out
    assert b"* OK [UIDNEXT 2] " in out
    assert b"* 1 FETCH (UID 1 FLAGS ($Forwarded \\Seen work \\Recent))\r\n" in out
    # Dovecot's files are as they were: nothing needed writing.
    assert (user / "dovecot-uidlist").read_bytes() == DOVECOT_UIDLIST
    assert (user / "dovecot-keywords").read_bytes() == DOVECOT_KEYWORDS
    assert (user / "subscriptions").read_bytes() == DOVECOT_SUBSCRIPTIONS


def test_new_messages_are_appended_to_dovecots_uid_list(tmp_path: Path) -> None:
    user = _tree(tmp_path)
    account = MaildirBackend(tmp_path, fsync=False).account("alice")
    result = account.append("INBOX", b"Subject: two\r\n\r\n2\r\n", internal_date=DATE)
    assert (result.uidvalidity, result.uid) == (1796540446, 2)
    (name,) = (n for n in os.listdir(user / "cur") if not n.startswith("1796540444."))
    base = name.partition(":")[0]
    assert (user / "dovecot-uidlist").read_bytes() == DOVECOT_UIDLIST + b"2 :%s\n" % base.encode()
    # A keyword new to the maildir gets the next letter, in Dovecot's format.
    mailbox = account.select("INBOX")
    mailbox.store_flags([2], StoreAction.ADD, ["urgent"])
    assert (user / "dovecot-keywords").read_bytes() == DOVECOT_KEYWORDS + b"2 urgent\n"
    assert os.listdir(user / "cur").count(f"{base}:2,c") == 1
    account.subscribe("Neu/Ünter")
    assert (user / "subscriptions").read_bytes() == DOVECOT_SUBSCRIPTIONS + b"Neu\t&ANw-nter\n"
    account.unsubscribe("Sent")
    assert (user / "subscriptions").read_bytes() == (
        b"V\t2\n\n&AMQ-rger\nArchive\t2025\nNeu\t&ANw-nter\n"
    )


def test_a_tree_dovecot_served_without_subscriptions_keeps_none(tmp_path: Path) -> None:
    user = _tree(tmp_path)
    (user / "subscriptions").unlink()
    (user / ".Sent" / "cur").mkdir(parents=True)
    account = MaildirBackend(tmp_path, fsync=False).account("alice")
    assert account.subscriptions() == frozenset()
    assert not (user / "subscriptions").exists()


def test_uids_are_numbered_only_while_dovecot_does_not_hold_its_lock(tmp_path: Path) -> None:
    user = _tree(tmp_path)
    account = MaildirBackend(tmp_path, fsync=False).account("alice")
    account.status("INBOX")
    result: list[int] = []
    with DotLock(user / "dovecot-uidlist", stale=120) as dovecot:
        appending = threading.Thread(
            target=lambda: result.append(
                account.append("INBOX", b"Subject: ours\r\n\r\n", internal_date=DATE).uid
            )
        )
        appending.start()
        appending.join(0.2)
        assert appending.is_alive()  # waits for Dovecot
        # Dovecot, holding the lock, saves a message and numbers it.
        (user / "new" / "1796540700.M1P7.vm").write_bytes(b"Subject: theirs\r\n\r\n")
        with (user / "dovecot-uidlist").open("ab") as file:
            file.write(b"2 :1796540700.M1P7.vm\n")
        del dovecot
    appending.join()
    assert result == [3]
    inbox = account.select("INBOX")
    assert [(m.uid, inbox.message_bytes(m.uid)) for m in inbox.messages()][1:] == [
        (2, b"Subject: theirs\r\n\r\n"),
        (3, b"Subject: ours\r\n\r\n"),
    ]


def test_uids_dovecot_assigns_meanwhile_are_taken(tmp_path: Path) -> None:
    user = _tree(tmp_path)
    account = MaildirBackend(tmp_path, fsync=False).account("alice")
    assert [m.uid for m in account.select("INBOX").messages()] == [1]
    # Dovecot delivers two messages, the first of them expunged at once.
    (user / "cur" / "1796540500.M1P9.vm:2,").write_bytes(b"Subject: x\r\n\r\nx\r\n")
    with (user / "dovecot-uidlist").open("ab") as file:
        file.write(b"7 :1796540499.M1P9.vm\n8 W17 :1796540500.M1P9.vm\n")
    inbox = account.select("INBOX")
    assert [m.uid for m in inbox.messages()] == [1, 8]
    assert inbox.status().uidnext == 9
    # A message a program put in without a UID gets the next one, appended.
    (user / "new" / "1796540600.M1P1.other").write_bytes(b"Subject: y\r\n\r\ny\r\n")
    assert [m.uid for m in account.select("INBOX").messages()] == [1, 8, 9]
    assert (
        (user / "dovecot-uidlist")
        .read_bytes()
        .endswith(b"8 W17 :1796540500.M1P9.vm\n9 :1796540600.M1P1.other\n")
    )


def test_dovecots_uidvalidity_wins_over_the_stores_own_list(tmp_path: Path) -> None:
    user = _tree(tmp_path)
    account = MaildirBackend(tmp_path, fsync=False).account("alice")
    account.append("INBOX", b"Subject: two\r\n\r\n2\r\n", internal_date=DATE)
    # Dovecot lost its list and numbered the maildir afresh.
    names = sorted(os.listdir(user / "cur"))
    (user / "dovecot-uidlist").write_bytes(
        b"3 V1800000000 N3 Gabcd\n1 :%s\n2 :%s\n"
        % tuple(n.partition(":")[0].encode() for n in reversed(names))
    )
    inbox = MaildirBackend(tmp_path, fsync=False).account("alice").select("INBOX")
    assert inbox.uidvalidity == 1800000000
    assert [m.uid for m in inbox.messages()] == [1, 2]
    assert inbox.message_bytes(1) == b"Subject: two\r\n\r\n2\r\n"


def test_a_maildir_only_this_store_knew_gets_a_dovecot_uid_list(tmp_path: Path) -> None:
    account = MaildirBackend(tmp_path, fsync=False).account("alice")
    account.append("INBOX", b"Subject: one\r\n\r\n1\r\n", internal_date=DATE)
    user = tmp_path / "alice"
    (user / "dovecot-uidlist").unlink()  # as an earlier version left it
    status = MaildirBackend(tmp_path, fsync=False).account("alice").status("INBOX")
    (name,) = os.listdir(user / "cur")
    header, record = (user / "dovecot-uidlist").read_bytes().split(b"\n")[:2]
    assert header.startswith(b"3 V%d N2 G" % status.uidvalidity)
    assert len(header.split(b" G")[1]) == 32
    assert record == b"1 :" + name.partition(":")[0].encode()
    account.create_mailbox("Sent")
    assert (user / ".Sent" / "maildirfolder").exists()
    assert (
        (user / ".Sent" / "dovecot-uidlist")
        .read_bytes()
        .startswith(b"3 V%d N1 G" % account.status("Sent").uidvalidity)
    )


def test_dovecots_uid_list_is_rewritten_when_mostly_expunged_records(tmp_path: Path) -> None:
    account = MaildirBackend(tmp_path, fsync=False).account("alice")
    for n in range(70):
        account.append("INBOX", b"Subject: %d\r\n\r\n" % n, internal_date=DATE)
    inbox = account.select("INBOX")
    inbox.store_flags(range(1, 70), StoreAction.ADD, ["\\Deleted"])
    assert len(inbox.expunge()) == 69
    (name,) = os.listdir(tmp_path / "alice" / "cur")
    header, record, end = (tmp_path / "alice" / "dovecot-uidlist").read_bytes().split(b"\n")
    assert header.startswith(b"3 V%d N71 G" % inbox.uidvalidity)
    assert (record, end) == (b"70 :" + name.partition(":")[0].encode(), b"")


def test_stale_tmp_files_are_removed_when_the_mailbox_is_scanned(tmp_path: Path) -> None:
    user = _tree(tmp_path)
    old, recent = user / "tmp" / "1.M1P1.crashed", user / "tmp" / "2.M2P2.delivering"
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    two_days_ago = time.time() - 48 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    MaildirBackend(tmp_path, fsync=False).account("alice").select("INBOX")
    # Besides: the file whose links are this process's locks on Dovecot's UID list.
    left = [n for n in os.listdir(user / "tmp") if not n.startswith("dovecot-uidlist.lock.")]
    assert left == [recent.name]


# -- the round trip with Dovecot itself -------------------------------------

DOVEADM = shutil.which("doveadm")
needs_doveadm = pytest.mark.skipif(
    DOVEADM is None, reason="doveadm (Debian: dovecot-core) not installed; .ci/run installs it"
)
#: Dovecot refuses mail access as root; it runs as nobody then.
AS_ROOT = os.geteuid() == 0
NOBODY = 65534


class Dovecot:
    """``doveadm`` on the maildir ``<home>/mail/alice``, without a service."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.root = home / "mail"
        uid, gid = (NOBODY, NOBODY) if AS_ROOT else (os.getuid(), os.getgid())
        for sub in ("run", "state", "home", "mail"):
            (home / sub).mkdir()
        (home / "dovecot.conf").write_text(
            f"base_dir = {home}/run\nstate_dir = {home}/state\nlog_path = {home}/log\n"
            f"mail_location = maildir:{self.root}/alice\nssl = no\n"
            f"mail_uid = {uid}\nmail_gid = {gid}\nfirst_valid_uid = 1\nfirst_valid_gid = 0\n"
            "namespace inbox {\n  inbox = yes\n  separator = /\n}\n"
        )

    def __call__(self, *args: str, stdin: bytes = b"") -> list[dict[str, str]]:
        assert DOVEADM is not None
        options: dict[str, Any] = {}
        if AS_ROOT:
            for path, dirs, files in os.walk(self.home):
                for name in [path, *(os.path.join(path, n) for n in dirs + files)]:
                    os.chown(name, NOBODY, NOBODY)
            options = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "USER": "alice"}
        env["HOME"] = str(self.home / "home")
        done = subprocess.run(
            [DOVEADM, "-c", str(self.home / "dovecot.conf"), "-f", "tab", *args],
            input=stdin,
            capture_output=True,
            env=env,
            timeout=30,
            check=False,
            **options,
        )
        # Dovecot says nothing: no broken or unexpectedly changed file.
        assert (done.returncode, done.stderr) == (0, b""), (args, done.stderr.decode())
        lines = done.stdout.decode().splitlines()
        if not lines:
            return []
        head = lines[0].split("\t")
        return [dict(zip(head, line.split("\t"), strict=True)) for line in lines[1:]]

    def messages(self) -> dict[str, dict[int, frozenset[str]]]:
        found: dict[str, dict[int, frozenset[str]]] = {}
        for row in self("fetch", "mailbox uid flags", "all"):
            flags = frozenset(row["flags"].split()) - {"\\Recent"}
            found.setdefault(row["mailbox"], {})[int(row["uid"])] = flags
        return found

    def status(self, *names: str) -> dict[str, tuple[int, int]]:
        rows = self("mailbox", "status", "uidvalidity uidnext", *(names or ["*"]))
        return {r["mailbox"]: (int(r["uidvalidity"]), int(r["uidnext"])) for r in rows}

    def subscriptions(self) -> set[str]:
        return {row["mailbox"] for row in self("mailbox", "list", "-s")}


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    # Not under pytest's tmp_path: its directories are closed to nobody.
    home = Path(tempfile.mkdtemp(prefix="imap-sansio-dovecot-"))
    home.chmod(0o755)
    try:
        yield Dovecot(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _ours(account: MaildirAccount) -> tuple[dict[str, Any], dict[str, Any]]:
    messages: dict[str, dict[int, frozenset[str]]] = {}
    status = {}
    for info in account.list_mailboxes():
        mailbox = account.select(info.name)
        messages[info.name] = {m.uid: m.flags for m in mailbox.messages()}
        status[info.name] = (mailbox.uidvalidity, mailbox.status().uidnext)
    return {k: v for k, v in messages.items() if v}, status


@pytest.mark.peers
@needs_doveadm
def test_dovecot_and_this_store_take_turns_without_changing_a_uid(dovecot: Dovecot) -> None:
    message = b"From: a@example.org\r\nSubject: %d\r\n\r\nbody\r\n"
    dovecot("mailbox", "create", "-s", "Ärger", "Sent", "Archive/2025")
    for n in range(3):
        dovecot("save", stdin=message % n)
    dovecot("save", "-m", "Ärger", stdin=message % 9)
    dovecot("flags", "add", "\\Seen $Forwarded work", "mailbox", "INBOX", "uid", "1")
    dovecot("flags", "add", "\\Flagged \\Deleted", "mailbox", "INBOX", "uid", "3")
    dovecot("expunge", "mailbox", "INBOX", "uid", "3")
    theirs, their_status = dovecot.messages(), dovecot.status()
    assert theirs["INBOX"] == {1: {"\\Seen", "$Forwarded", "work"}, 2: frozenset()}

    # Served here: the same UIDVALIDITY, UIDs, next UIDs, flags and subscriptions.
    backend = MaildirBackend(dovecot.root, fsync=False)
    account = backend.account("alice")
    ours, our_status = _ours(account)
    assert ours == theirs
    assert our_status == their_status
    assert their_status["INBOX"][1] == 4  # UID 3 is not used again
    assert account.subscriptions() == dovecot.subscriptions() == {"Ärger", "Sent", "Archive/2025"}

    # Changes made here.
    appended = account.append("INBOX", message % 4, flags=["\\Draft"], internal_date=DATE)
    assert appended.uid == 4
    inbox = account.select("INBOX")
    inbox.store_flags([1], StoreAction.REMOVE, ["\\Seen", "work"])
    inbox.store_flags([2], StoreAction.ADD, ["urgent", "\\Answered"])
    account.create_mailbox("Neu/Ünter")
    account.subscribe("Neu/Ünter")
    account.unsubscribe("Sent")
    copied = inbox.copy([2], "Neu/Ünter")
    assert copied.uid_map == ((2, 1),)
    doomed = account.append("INBOX", message % 5, flags=["\\Deleted"], internal_date=DATE)
    assert inbox.expunge() == (doomed.uid,) == (5,)
    account.rename_mailboxes({"Ärger": "Ärger/alt"})
    ours, our_status = _ours(account)

    # Reopened by Dovecot: every UID, flag, keyword and subscription as here.
    assert dovecot.messages() == ours
    assert dovecot.status(*our_status) == our_status
    assert ours["INBOX"] == {
        1: {"$Forwarded"},
        2: {"urgent", "\\Answered"},
        4: {"\\Draft"},
    }
    assert ours["Ärger/alt"] == {1: frozenset()}
    assert our_status["Ärger/alt"] == their_status["Ärger"]
    assert dovecot.subscriptions() == {"Ärger", "Archive/2025", "Neu/Ünter"}

    # And Dovecot's next message, back here, follows on (UID 5 was used).
    dovecot("save", stdin=message % 6)
    assert [m.uid for m in account.select("INBOX").messages()] == [1, 2, 4, 6]
    assert _ours(account)[0] == dovecot.messages()
