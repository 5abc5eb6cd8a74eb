"""MemoryBackend messages: APPEND, STORE, COPY, MOVE, EXPUNGE, changes_since, auth."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from imap_sansio._secret import Secret
from imap_sansio.server import demo_backend
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
    QuotaResource,
    SpecialUseCreateAccount,
    StoreAction,
    normalize_flags,
)
from imap_sansio.server._demo import DEMO_MESSAGES
from imap_sansio.server._memory import MemoryAccount, MemoryBackend, MemoryMailbox

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MSG = b"Subject: hello\r\n\r\nbody\r\n"


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend(users={"alice": "secret"})


@pytest.fixture
def alice(backend: MemoryBackend) -> MemoryAccount:
    return backend.account("alice")


@pytest.fixture
def inbox(alice: MemoryAccount) -> MemoryMailbox:
    return alice.select("INBOX")


def fill(account: MemoryAccount, n: int, mailbox: str = "INBOX") -> None:
    for i in range(n):
        account.append(mailbox, b"Subject: %d\r\n\r\n%d\r\n" % (i, i), internal_date=DATE)


def no(code: str | None) -> pytest.RaisesExc[ImapNo]:
    return pytest.raises(ImapNo, check=lambda e: e.code == code)


# -- protocols and auth -------------------------------------------------------


def test_memory_backend_implements_every_protocol(
    backend: MemoryBackend, alice: MemoryAccount, inbox: MemoryMailbox
) -> None:
    assert isinstance(backend, Backend)
    assert isinstance(alice, Account)
    assert isinstance(inbox, Mailbox)
    for optional in (QuotaAccount, SpecialUseCreateAccount, AppendLimitAccount, CondstoreAccount):
        assert isinstance(alice, optional)


def test_authenticate(backend: MemoryBackend) -> None:
    account = backend.authenticate("alice", Secret("secret"))
    assert account.username == "alice"
    with pytest.raises(AuthenticationFailed) as wrong:
        backend.authenticate("alice", Secret("Secret"))
    with pytest.raises(AuthenticationFailed) as unknown:
        backend.authenticate("bob", Secret("secret"))
    # Same answer for both: the text does not reveal which part was wrong.
    assert (wrong.value.code, wrong.value.text) == (unknown.value.code, unknown.value.text)
    assert wrong.value.code == "AUTHENTICATIONFAILED"
    with no("AUTHORIZATIONFAILED"):
        backend.authenticate("alice", Secret("secret"), authzid="root")
    assert backend.authenticate("alice", Secret("secret"), authzid="alice").username == "alice"


def test_passwords_never_appear_in_reprs(backend: MemoryBackend, alice: MemoryAccount) -> None:
    for thing in (backend, alice, alice.select("INBOX"), backend._users["alice"].password):
        assert "secret" not in repr(thing)


# -- flags --------------------------------------------------------------------


def test_flags_are_normalised() -> None:
    assert normalize_flags(["\\seen", "\\FLAGGED", "$Junk", "work"]) == frozenset(
        {"\\Seen", "\\Flagged", "$Junk", "work"}
    )


@pytest.mark.parametrize("flag", ["\\Recent", "\\Foo", "", "a b", "a(b", "a]", 'a"', "a*", "ü"])
def test_invalid_flags_are_bad(flag: str) -> None:
    with pytest.raises(ImapBad):
        normalize_flags([flag])


# -- APPEND -------------------------------------------------------------------


def test_append_assigns_increasing_uids(alice: MemoryAccount) -> None:
    first = alice.append("INBOX", MSG, flags=["\\seen"], internal_date=DATE)
    second = alice.append("inbox", MSG, internal_date=DATE)
    uidvalidity = alice.status("INBOX").uidvalidity
    assert (first.uidvalidity, first.uid, second.uid) == (uidvalidity, 1, 2)
    [one, two] = alice.select("INBOX").messages()
    assert (one.flags, one.internal_date, one.size) == (frozenset({"\\Seen"}), DATE, len(MSG))
    assert two.flags == frozenset()


def test_append_keeps_the_given_time_zone(alice: MemoryAccount) -> None:
    date = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-7)))
    alice.append("INBOX", MSG, internal_date=date)
    assert alice.select("INBOX").messages()[0].internal_date.utcoffset() == timedelta(hours=-7)


def test_append_validates_before_storing(alice: MemoryAccount) -> None:
    before = alice.status("INBOX")
    with pytest.raises(ImapBad):
        alice.append("INBOX", MSG, flags=["\\Recent"], internal_date=DATE)
    with pytest.raises(ValueError, match="aware"):
        alice.append("INBOX", MSG, internal_date=datetime(2025, 1, 1))
    assert alice.status("INBOX") == before


def test_append_to_missing_mailbox_is_trycreate(alice: MemoryAccount) -> None:
    with no("TRYCREATE"):
        alice.append("nope", MSG, internal_date=DATE)
    alice.create_mailbox("a/b")
    alice.delete_mailbox("a")  # \Noselect
    with no("TRYCREATE"):
        alice.append("a", MSG, internal_date=DATE)


def test_append_limit_and_quota() -> None:
    backend = MemoryBackend(
        users={"u": "p"}, max_message_size=100, storage_quota=1, message_quota=3
    )
    account = backend.account("u")
    assert account.append_limit() == 100
    with no("TOOBIG"):
        account.append("INBOX", b"x" * 101, internal_date=DATE)
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
    assert account.status("INBOX").messages == 3


# -- STATUS -------------------------------------------------------------------


def test_status_counts(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    alice.append("INBOX", b"12345", flags=["\\Seen"], internal_date=DATE)
    alice.append("INBOX", b"123", flags=["\\Deleted"], internal_date=DATE)
    alice.append("INBOX", b"1", internal_date=DATE)
    status = alice.status("INBOX")
    assert (status.messages, status.unseen, status.deleted, status.size, status.uidnext) == (
        3,
        2,
        1,
        9,
        4,
    )
    inbox.store_flags([2, 3], StoreAction.ADD, ["\\Seen"])
    inbox.expunge()
    status = alice.status("INBOX")
    assert (status.messages, status.unseen, status.deleted, status.size, status.uidnext) == (
        2,
        0,
        0,
        6,
        4,
    )


# -- STORE --------------------------------------------------------------------


def test_store_set_add_remove(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
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


def test_store_without_change_keeps_modseq(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    fill(alice, 2)
    inbox.store_flags([1], StoreAction.ADD, ["\\Seen"])
    modseq = inbox.status().highest_modseq
    result = inbox.store_flags([1], StoreAction.ADD, ["\\Seen"])
    assert result.changed == ()
    assert inbox.status().highest_modseq == modseq


def test_store_bumps_modseq_once_per_command(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    fill(alice, 3)
    before = inbox.status().highest_modseq
    result = inbox.store_flags([1, 2, 3], StoreAction.ADD, ["\\Seen"])
    assert {m.modseq for m in result.messages} == {before + 1}
    assert inbox.status().highest_modseq == before + 1


def test_store_unchangedsince(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    # RFC 7162 3.1.3: messages changed after UNCHANGEDSINCE are not touched
    # and are reported as MODIFIED.
    fill(alice, 3)
    checkpoint = inbox.status().highest_modseq
    inbox.store_flags([2], StoreAction.ADD, ["\\Flagged"])
    result = inbox.store_flags([1, 2, 3], StoreAction.ADD, ["\\Seen"], unchanged_since=checkpoint)
    assert result.changed == (1, 3)
    assert result.modified == (2,)
    assert inbox.messages([2])[0].flags == frozenset({"\\Flagged"})


def test_store_rejects_invalid_flags_before_changing_anything(
    alice: MemoryAccount, inbox: MemoryMailbox
) -> None:
    fill(alice, 1)
    with pytest.raises(ImapBad):
        inbox.store_flags([1], StoreAction.SET, ["\\Seen", "\\Bogus"])
    assert inbox.messages()[0].flags == frozenset()


# -- COPY / MOVE / EXPUNGE ----------------------------------------------------


def test_copy_returns_copyuid_mapping(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    fill(alice, 4)
    alice.create_mailbox("dest")
    alice.append("dest", MSG, internal_date=DATE)  # dest's UIDs start at 2 for the copies
    inbox.store_flags([3], StoreAction.ADD, ["\\Answered", "x"])
    result = inbox.copy([4, 3, 99], "dest")
    assert result.uidvalidity == alice.status("dest").uidvalidity
    assert result.uid_map == ((3, 2), (4, 3))
    copied = alice.select("dest").messages([2, 3])
    assert [(m.flags, m.internal_date) for m in copied] == [
        (frozenset({"\\Answered", "x"}), DATE),
        (frozenset(), DATE),
    ]
    assert alice.select("dest").message_bytes(2) == inbox.message_bytes(3)
    assert inbox.status().messages == 4


def test_copy_of_nothing_is_an_empty_mapping(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    alice.create_mailbox("dest")
    assert inbox.copy([], "dest").uid_map == ()
    assert inbox.copy([5], "dest").uid_map == ()


def test_copy_to_missing_mailbox_is_trycreate(inbox: MemoryMailbox) -> None:
    with no("TRYCREATE"):
        inbox.copy([1], "nope")
    with no("TRYCREATE"):
        inbox.move([1], "nope")


def test_move_expunges_the_source(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    fill(alice, 3)
    alice.create_mailbox("dest")
    checkpoint = inbox.status().highest_modseq
    result = inbox.move([1, 3], "dest")
    assert result.uid_map == ((1, 1), (3, 2))
    assert [m.uid for m in inbox.messages()] == [2]
    assert inbox.changes_since(checkpoint).expunged == (1, 3)
    assert alice.status("dest").messages == 2


def test_expunge_all_deleted_and_uid_expunge(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    fill(alice, 5)
    inbox.store_flags([1, 2, 4, 5], StoreAction.ADD, ["\\Deleted"])
    # RFC 4315 2.1: UID EXPUNGE removes only \Deleted messages in the set.
    assert inbox.expunge([2, 3, 4]) == (2, 4)
    assert inbox.expunge() == (1, 5)
    assert [m.uid for m in inbox.messages()] == [3]
    assert inbox.expunge() == ()


# -- changes_since ------------------------------------------------------------


def test_changes_since_after_every_kind_of_change(
    alice: MemoryAccount, inbox: MemoryMailbox
) -> None:
    fill(alice, 3)
    start = inbox.status().highest_modseq
    nothing = inbox.changes_since(start)
    assert (nothing.new, nothing.changed, nothing.expunged) == ((), (), ())
    assert nothing.highest_modseq == start

    alice.append("INBOX", MSG, internal_date=DATE)  # uid 4
    after_append = inbox.changes_since(start)
    assert [m.uid for m in after_append.new] == [4]
    assert (after_append.changed, after_append.expunged) == ((), ())
    assert after_append.uidnext == 5

    inbox.store_flags([2], StoreAction.ADD, ["\\Seen"])
    after_store = inbox.changes_since(after_append.highest_modseq)
    assert [(m.uid, m.flags) for m in after_store.changed] == [(2, frozenset({"\\Seen"}))]
    assert (after_store.new, after_store.expunged) == ((), ())

    inbox.store_flags([3], StoreAction.ADD, ["\\Deleted"])
    inbox.expunge()
    after_expunge = inbox.changes_since(after_store.highest_modseq)
    assert after_expunge.expunged == (3,)
    assert (after_expunge.new, after_expunge.changed) == ((), ())

    # From the start, everything together; message 3 was changed then expunged:
    # it is reported only as expunged.
    total = inbox.changes_since(start)
    assert [m.uid for m in total.new] == [4]
    assert [m.uid for m in total.changed] == [2]
    assert total.expunged == (3,)
    assert total.highest_modseq == after_expunge.highest_modseq


def test_flags_change_then_expunge_of_the_same_message(
    alice: MemoryAccount, inbox: MemoryMailbox
) -> None:
    fill(alice, 2)
    start = inbox.status().highest_modseq
    inbox.store_flags([1], StoreAction.ADD, ["\\Flagged"])
    inbox.store_flags([1], StoreAction.ADD, ["\\Deleted"])
    inbox.expunge()
    changes = inbox.changes_since(start)
    assert (changes.new, changes.changed, changes.expunged) == ((), (), (1,))


def test_message_both_appended_and_expunged_is_not_reported(
    alice: MemoryAccount, inbox: MemoryMailbox
) -> None:
    fill(alice, 1)
    start = inbox.status().highest_modseq
    alice.append("INBOX", MSG, flags=["\\Deleted"], internal_date=DATE)
    alice.append("INBOX", MSG, internal_date=DATE)
    inbox.expunge()
    changes = inbox.changes_since(start)
    assert [m.uid for m in changes.new] == [3]
    assert (changes.changed, changes.expunged) == ((), ())


def test_new_message_with_changed_flags_is_new(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    start = inbox.status().highest_modseq
    fill(alice, 1)
    inbox.store_flags([1], StoreAction.ADD, ["\\Seen"])
    changes = inbox.changes_since(start)
    assert [(m.uid, m.flags) for m in changes.new] == [(1, frozenset({"\\Seen"}))]
    assert changes.changed == ()


def test_changes_since_survives_log_compaction(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    fill(alice, 3)
    start = inbox.status().highest_modseq
    for _ in range(200):  # many changes to one message compact the log
        inbox.store_flags([2], StoreAction.ADD, ["\\Seen"])
        inbox.store_flags([2], StoreAction.REMOVE, ["\\Seen"])
    inbox.store_flags([3], StoreAction.ADD, ["\\Seen"])
    changes = inbox.changes_since(start)
    assert [m.uid for m in changes.changed] == [2, 3]
    assert len(inbox._store.log) < 100


# -- notifications ------------------------------------------------------------


def test_listeners_hear_every_change(backend: MemoryBackend, alice: MemoryAccount) -> None:
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


def test_two_sessions_see_each_others_changes(backend: MemoryBackend) -> None:
    one = backend.authenticate("alice", Secret("secret")).select("INBOX")
    two = backend.authenticate("alice", Secret("secret")).select("INBOX")
    mark = one.status().highest_modseq
    backend.account("alice").append("INBOX", MSG, internal_date=DATE)
    two.store_flags([1], StoreAction.ADD, ["\\Seen"])
    changes = one.changes_since(mark)
    assert [(m.uid, m.flags) for m in changes.new] == [(1, frozenset({"\\Seen"}))]


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


# -- \Recent ------------------------------------------------------------------


def test_exactly_one_session_claims_each_recent_message(
    backend: MemoryBackend, alice: MemoryAccount
) -> None:
    # RFC 3501 2.3.2: \Recent is set for the first session notified of a message.
    fill(alice, 2)
    assert alice.status("INBOX").recent == 2
    one = alice.select("INBOX")
    two = backend.account("alice").select("INBOX")
    assert one.claim_recent() == (1, 2)
    assert two.claim_recent() == ()
    assert alice.status("INBOX").recent == 0
    fill(alice, 2)
    one.store_flags([3], StoreAction.ADD, ["\\Deleted"])
    one.expunge()
    assert alice.status("INBOX").recent == 1
    assert two.claim_recent() == (4,)
    assert one.claim_recent() == ()


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


class HugeUidSet:
    """Like the core's UID set for "1:4294967295": huge len(), fast ``in``."""

    def __len__(self) -> int:
        return 2**32 - 1

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and uid >= 2

    def __iter__(self) -> Iterator[int]:
        raise AssertionError("a huge UID set must not be iterated")


def test_uid_collections_are_never_materialised(alice: MemoryAccount, inbox: MemoryMailbox) -> None:
    fill(alice, 4)
    assert [m.uid for m in inbox.messages(HugeUidSet())] == [2, 3, 4]
    assert [m.uid for m in inbox.messages(range(3, 2**32))] == [3, 4]
    assert [m.uid for m in inbox.messages([4, 1, 4, 9])] == [1, 4]
    inbox.store_flags(HugeUidSet(), StoreAction.ADD, ["\\Deleted"])
    assert inbox.expunge(HugeUidSet()) == (2, 3, 4)
