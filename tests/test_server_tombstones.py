"""Expunge records are compacted (issue 11): a store keeps the tombstones of
its last changes only, and answers older questions as RFC 7162 allows.

RFC 7162 3.2.6: "A server that receives a mod-sequence smaller than
<minmodseq>, where <minmodseq> is the value of the smallest expunged
mod-sequence it remembers minus one, MUST behave as if it was requested to
report all expunged messages from the provided UID set parameter."  SELECT
(QRESYNC ...) is UID FETCH ... (CHANGEDSINCE ... VANISHED) (3.2.5.1).
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from imap_sansio.adapters.maildir import UIDLIST, MaildirBackend

from imap_sansio.server import IMAPServer, MemoryBackend, StoreAction

DATE = datetime(2026, 1, 1, tzinfo=UTC)


class Client:
    def __init__(self, server: IMAPServer) -> None:
        self.conn = server.connect()
        self.conn.data_to_send()
        assert self("a LOGIN u p").startswith(b"a OK")

    def __call__(self, line: str) -> bytes:
        self.conn.receive_data(line.encode() + b"\r\n")
        return b"".join(iter(self.conn.data_to_send, b""))


def _expunge(backend: Any, uids: list[int]) -> None:
    """Expunge each UID in its own change (STORE, then EXPUNGE)."""
    mailbox = backend.account("u").select("INBOX")
    for uid in uids:
        mailbox.store_flags([uid], StoreAction.ADD, ["\\Deleted"])
        mailbox.expunge([uid])


def _setup(backend: Any) -> tuple[int, int]:
    """Ten messages; returns (UIDVALIDITY, modseq after the appends)."""
    account = backend.account("u")
    for i in range(10):
        account.append("INBOX", b"Subject: %d\r\n\r\nx\r\n" % i, internal_date=DATE)
    status = account.select("INBOX").status()
    return status.uidvalidity, status.highest_modseq


def _vanished(backend: Any, uidvalidity: int, modseq: int, known: str = "1:10") -> bytes:
    c = Client(IMAPServer(backend, clock=lambda: DATE))
    assert c("e ENABLE QRESYNC") == b"* ENABLED QRESYNC\r\ne OK ENABLE completed\r\n"
    out = c(f"s EXAMINE INBOX (QRESYNC ({uidvalidity} {modseq} {known}))")
    assert out.endswith(b"s OK [READ-ONLY] EXAMINE completed\r\n")
    return b"".join(line + b"\r\n" for line in out.split(b"\r\n") if b"VANISHED" in line)


def _backends(tmp_path: Path) -> dict[str, Any]:
    return {
        "memory": MemoryBackend(users={"u": "p"}, max_tombstones=2),
        "maildir": MaildirBackend(tmp_path, users={"u": "p"}, fsync=False, max_tombstones=2),
    }


@pytest.mark.parametrize("kind", ["memory", "maildir"])
def test_qresync_from_before_the_forgotten_mark_reports_every_absent_uid(
    tmp_path: Path, kind: str
) -> None:
    backend = _backends(tmp_path)[kind]
    uidvalidity, m0 = _setup(backend)
    _expunge(backend, [2, 3, 5, 6, 7, 9])
    changes = backend.account("u").select("INBOX").changes_since(m0)
    assert changes.forgotten > m0  # the early tombstones are gone
    # All of 1:10 that is absent, although only the last expunges are known.
    assert _vanished(backend, uidvalidity, m0) == b"* VANISHED (EARLIER) 2:3,5:7,9\r\n"
    # Only within the client's set (RFC 7162 3.2.5.1).
    assert _vanished(backend, uidvalidity, m0, "1:5") == b"* VANISHED (EARLIER) 2:3,5\r\n"


@pytest.mark.parametrize("kind", ["memory", "maildir"])
def test_qresync_after_the_mark_reports_only_later_expunges(tmp_path: Path, kind: str) -> None:
    backend = _backends(tmp_path)[kind]
    uidvalidity, _ = _setup(backend)
    _expunge(backend, [2, 3, 5, 6, 7])
    recent = backend.account("u").select("INBOX").status().highest_modseq
    _expunge(backend, [9])
    assert backend.account("u").select("INBOX").changes_since(recent).forgotten <= recent
    assert _vanished(backend, uidvalidity, recent) == b"* VANISHED (EARLIER) 9\r\n"


@pytest.mark.parametrize("kind", ["memory", "maildir"])
def test_a_session_behind_the_mark_still_hears_every_expunge(tmp_path: Path, kind: str) -> None:
    backend = _backends(tmp_path)[kind]
    _setup(backend)
    c = Client(IMAPServer(backend, clock=lambda: DATE))
    assert c("s SELECT INBOX").endswith(b"s OK [READ-WRITE] SELECT completed\r\n")
    _expunge(backend, [2, 3, 5, 6, 7, 9])
    # RFC 3501 7.4.1: each EXPUNGE renumbers the later messages.
    assert c("n NOOP") == (
        b"* 2 EXPUNGE\r\n* 2 EXPUNGE\r\n* 3 EXPUNGE\r\n* 3 EXPUNGE\r\n* 3 EXPUNGE\r\n"
        b"* 4 EXPUNGE\r\nn OK NOOP completed\r\n"
    )


def test_maildir_keeps_the_mark_across_a_restart(tmp_path: Path) -> None:
    backend = MaildirBackend(tmp_path, users={"u": "p"}, fsync=False, max_tombstones=2)
    uidvalidity, m0 = _setup(backend)
    _expunge(backend, [2, 3, 5, 6, 7, 9])
    lines = (tmp_path / "u" / UIDLIST).read_text().splitlines()
    assert len([line for line in lines if line.startswith("t ")]) <= 4
    again = MaildirBackend(tmp_path, users={"u": "p"}, fsync=False, max_tombstones=2)
    assert _vanished(again, uidvalidity, m0) == b"* VANISHED (EARLIER) 2:3,5:7,9\r\n"


def test_memory_held_by_a_mailbox_stays_bounded_over_100k_expunges() -> None:
    backend = MemoryBackend(users={"u": "p"}, max_tombstones=1000)
    account = backend.account("u")
    mailbox = account.select("INBOX")
    data = b"Subject: x\r\n\r\nx\r\n"

    def cycles(count: int) -> None:
        for _ in range(count):
            uid = account.append("INBOX", data, flags=["\\Deleted"], internal_date=DATE).uid
            mailbox.expunge([uid])

    cycles(10_000)  # past the first compactions
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        cycles(90_000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Kept forever, 90,000 tombstones were ~130 bytes each (11 MB); compacted,
    # at most 2 x 1000 are held whatever the count.
    assert grown < 512 * 1024, grown
    assert mailbox.status().messages == 0


@pytest.mark.parametrize("kind", ["memory", "maildir"])
def test_one_change_is_remembered_whole(tmp_path: Path, kind: str) -> None:
    backend = _backends(tmp_path)[kind]
    _, m0 = _setup(backend)
    mailbox = backend.account("u").select("INBOX")
    mailbox.store_flags(range(1, 8), StoreAction.ADD, ["\\Deleted"])
    assert mailbox.expunge() == (1, 2, 3, 4, 5, 6, 7)  # one modseq, 7 > 2 x 2 records
    changes = mailbox.changes_since(m0)
    assert (changes.expunged, changes.forgotten) == ((1, 2, 3, 4, 5, 6, 7), 0)
