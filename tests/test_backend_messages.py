"""MemoryBackend: the contract suite, and what it leaves to this backend."""

from __future__ import annotations

import email
import email.policy
import threading
from datetime import UTC, datetime

import pytest

from imap_sansio._secret import Secret
from imap_sansio.server import demo_backend
from imap_sansio.server._backend import (
    AppendLimitAccount,
    CondstoreAccount,
    ImapBad,
    ImapNo,
    QuotaAccount,
    QuotaResource,
    SpecialUseCreateAccount,
    StoreAction,
    normalize_flags,
)
from imap_sansio.server._demo import DEMO_MESSAGES
from imap_sansio.server._memory import MemoryBackend
from imap_sansio.testing.backend import BackendContract

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class TestMemoryContract(BackendContract):
    # With a lock, as the adapters and the CLI make it.
    @pytest.fixture
    def backend(self) -> MemoryBackend:
        return MemoryBackend(
            users={"alice": "secret"},
            lock=threading.RLock(),
            object_ids=True,
            clock=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        )


class TestMemoryWithoutLockContract(BackendContract):
    # The pure default: a plain data structure whose callers serialise.
    thread_safe = False

    @pytest.fixture
    def backend(self) -> MemoryBackend:
        return MemoryBackend(users={"alice": "secret"})


def no(code: str | None) -> pytest.RaisesExc[ImapNo]:
    return pytest.raises(ImapNo, check=lambda e: e.code == code)


def test_memory_backend_implements_every_optional_protocol() -> None:
    account = MemoryBackend(users={"alice": "secret"}).account("alice")
    for optional in (QuotaAccount, SpecialUseCreateAccount, AppendLimitAccount, CondstoreAccount):
        assert isinstance(account, optional)


def test_the_password_is_in_no_repr() -> None:
    backend = MemoryBackend(users={"alice": "secret"})
    assert "secret" not in repr(backend)
    assert repr(backend.passwords) == "ClearPasswords(users=['alice'])"


# -- flags --------------------------------------------------------------------


def test_flags_are_normalised() -> None:
    assert normalize_flags(["\\seen", "\\FLAGGED", "$Junk", "work"]) == frozenset(
        {"\\Seen", "\\Flagged", "$Junk", "work"}
    )


@pytest.mark.parametrize("flag", ["\\Recent", "\\Foo", "", "a b", "a(b", "a]", 'a"', "a*", "ü"])
def test_invalid_flags_are_bad(flag: str) -> None:
    with pytest.raises(ImapBad):
        normalize_flags([flag])


@pytest.mark.parametrize(
    ("action", "result"),
    [
        (StoreAction.SET, {"b", "c"}),
        (StoreAction.ADD, {"a", "b", "c"}),
        (StoreAction.REMOVE, {"a"}),
    ],
)
def test_store_action_apply(action: StoreAction, result: set[str]) -> None:
    # RFC 3501 6.4.6: FLAGS replaces, +FLAGS adds, -FLAGS removes.
    assert action.apply(frozenset({"a", "b"}), frozenset({"b", "c"})) == result


# -- limits and quota -----------------------------------------------------------


def test_append_limit_and_quota() -> None:
    backend = MemoryBackend(
        users={"u": "p"}, max_message_size=100, storage_quota=1, message_quota=3
    )
    account = backend.account("u")
    assert account.append_limit() == 100
    for _ in range(3):
        account.append("INBOX", b"x" * 100, internal_date=DATE)
    assert account.quota_roots("INBOX") == ("",)
    assert account.quota("") == (
        QuotaResource(name="STORAGE", usage=1, limit=1),
        QuotaResource(name="MESSAGE", usage=3, limit=3),
    )
    with no("OVERQUOTA"):
        account.append("INBOX", b"x", internal_date=DATE)
    with no("OVERQUOTA"):
        account.select("INBOX").copy([1], "INBOX")
    account.create_mailbox("other")
    assert account.select("INBOX").move([1], "other").uid_map == ((1, 1),)
    assert account.status("INBOX").messages == 2


def test_uidvalidity_source_is_injectable_and_forced_to_increase() -> None:
    ticks = iter([1000, 1000, 999, 5000])
    backend = MemoryBackend(users={"u": "p"}, uidvalidity_source=lambda: next(ticks))
    account = backend.account("u")
    account.create_mailbox("a")
    account.create_mailbox("b")
    account.create_mailbox("c")
    values = [account.status(n).uidvalidity for n in ("INBOX", "a", "b", "c")]
    assert values == [1000, 1001, 1002, 5000]


def test_changes_since_survives_log_compaction() -> None:
    account = MemoryBackend(users={"u": "p"}).account("u")
    for i in range(3):
        account.append("INBOX", b"%d\r\n" % i, internal_date=DATE)
    inbox = account.select("INBOX")
    start = inbox.status().highest_modseq
    for _ in range(200):  # many changes to one message compact the log
        inbox.store_flags([2], StoreAction.ADD, ["\\Seen"])
        inbox.store_flags([2], StoreAction.REMOVE, ["\\Seen"])
    inbox.store_flags([3], StoreAction.ADD, ["\\Seen"])
    changes = inbox.changes_since(start)
    assert [m.uid for m in changes.changed] == [2, 3]
    assert len(inbox._store.log) < 100


# -- demo ---------------------------------------------------------------------


def test_demo_backend() -> None:
    backend = demo_backend()
    account = backend.authenticate("demo", Secret("demo"))
    special = {m.name: m.special_use for m in account.list_mailboxes()}
    assert special == {
        "INBOX": frozenset(),
        "Sent": frozenset({"\\Sent"}),
        "Drafts": frozenset({"\\Drafts"}),
        "Trash": frozenset({"\\Trash"}),
        "Archive": frozenset({"\\Archive"}),
        "Junk": frozenset({"\\Junk"}),
        "Archive/2025": frozenset(),
    }
    inbox = account.select("INBOX")
    assert inbox.status().messages == 7
    assert {f for m in inbox.messages() for f in m.flags} >= {"\\Seen", "\\Flagged", "$Forwarded"}


@pytest.mark.parametrize("entry", DEMO_MESSAGES, ids=lambda e: e[1].split(b"Subject: ")[1][:20])
def test_demo_messages_are_well_formed(entry: tuple[str, bytes, tuple[str, ...], datetime]) -> None:
    _, data, _, internal_date = entry
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert data.endswith(b"\r\n")
    assert internal_date.tzinfo is not None
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message["Subject"] and message["Date"] and not message.defects
    for part in message.walk():
        assert not part.defects


def test_demo_messages_decode() -> None:
    inbox = demo_backend().account("demo").select("INBOX")
    parsed = [
        email.message_from_bytes(inbox.message_bytes(m.uid) or b"", policy=email.policy.default)
        for m in inbox.messages()
    ]
    types = [m.get_content_type() for m in parsed]
    assert types == [
        "text/plain",
        "multipart/alternative",
        "multipart/mixed",
        "multipart/mixed",
        "text/plain",
        "text/plain",
        "multipart/related",
    ]
    assert str(parsed[4]["Subject"]) == "Grüße aus Zürich"
    assert str(parsed[4]["From"]) == "André Müller <andre@example.de>"
    assert "Viele Grüße" in parsed[4].get_content()
    attachment = next(p for p in parsed[2].walk() if p.get_filename() == "q1.csv")
    assert attachment.get_content().startswith("date,amount,currency")
    nested = [p for p in parsed[3].walk() if p.get_content_type() == "message/rfc822"]
    assert nested[0].get_content()["Message-ID"] == "<q1.alice@example.com>"
