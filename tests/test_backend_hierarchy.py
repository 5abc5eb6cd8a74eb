"""MemoryBackend mailbox hierarchy: CREATE, DELETE, RENAME, SUBSCRIBE (RFC 3501 6.3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from imap_sansio.server._backend import ImapNo
from imap_sansio.server._memory import MemoryAccount, MemoryBackend

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend(users={"alice": "secret"})


@pytest.fixture
def alice(backend: MemoryBackend) -> MemoryAccount:
    return backend.account("alice")


def names(account: MemoryAccount) -> dict[str, bool]:
    """name -> selectable."""
    return {m.name: m.selectable for m in account.list_mailboxes()}


def no(code: str | None) -> pytest.RaisesExc[ImapNo]:
    return pytest.raises(ImapNo, check=lambda e: e.code == code)


# -- CREATE --------------------------------------------------------------------


def test_new_account_has_only_inbox(alice: MemoryAccount) -> None:
    assert names(alice) == {"INBOX": True}


def test_create_makes_superior_names(alice: MemoryAccount) -> None:
    # RFC 3501 6.3.3: the server SHOULD create any superior hierarchical names.
    alice.create_mailbox("a/b/c")
    assert names(alice) == {"INBOX": True, "a": True, "a/b": True, "a/b/c": True}


def test_create_with_trailing_delimiter_creates_the_name(alice: MemoryAccount) -> None:
    # RFC 3501 6.3.3: "CREATE owatagusiam/" declares intent to create names under it.
    alice.create_mailbox("owatagusiam/")
    alice.create_mailbox("owatagusiam/blurdybloop")
    assert names(alice) == {"INBOX": True, "owatagusiam": True, "owatagusiam/blurdybloop": True}


@pytest.mark.parametrize("name", ["INBOX", "inbox", "Inbox", "x"])
def test_create_existing_is_already_exists(alice: MemoryAccount, name: str) -> None:
    alice.create_mailbox("x")
    with no("ALREADYEXISTS"):
        alice.create_mailbox(name)


@pytest.mark.parametrize("name", ["", "/", "/a", "a//b", "a\x00", "a\r\nb", "a%b", "a*", "x/%"])
def test_create_invalid_name_is_refused(alice: MemoryAccount, name: str) -> None:
    with no("CANNOT"):
        alice.create_mailbox(name)
    assert names(alice) == {"INBOX": True}


def test_create_under_inbox_normalises_the_root(alice: MemoryAccount) -> None:
    alice.create_mailbox("inbox/Sub")
    assert names(alice) == {"INBOX": True, "INBOX/Sub": True}


def test_create_special_use(alice: MemoryAccount) -> None:
    alice.create_special_use_mailbox("Sent Items", ["\\Sent"])
    info = {m.name: m for m in alice.list_mailboxes()}["Sent Items"]
    assert info.special_use == frozenset({"\\Sent"})
    # RFC 6154 3: an unsupported attribute gives NO [USEATTR] and creates nothing.
    with no("USEATTR"):
        alice.create_special_use_mailbox("Other", ["\\Important"])
    assert "Other" not in names(alice)


# -- DELETE ----------------------------------------------------------------------


def test_inbox_cannot_be_deleted(alice: MemoryAccount) -> None:
    with no("CANNOT"):
        alice.delete_mailbox("inbox")


def test_delete_missing_is_nonexistent(alice: MemoryAccount) -> None:
    with no("NONEXISTENT"):
        alice.delete_mailbox("nope")


def test_rfc3501_delete_example_with_noselect_parent(alice: MemoryAccount) -> None:
    # RFC 3501 6.3.4, first example (foo starts out as \Noselect).
    alice.create_mailbox("blurdybloop")
    alice.create_mailbox("foo/bar")
    alice.delete_mailbox("foo")  # now (\Noselect) "/" foo
    assert names(alice) == {"INBOX": True, "blurdybloop": True, "foo": False, "foo/bar": True}
    alice.delete_mailbox("blurdybloop")  # A683 OK
    with no("HASCHILDREN"):  # A684 NO Name "foo" has inferior hierarchical names
        alice.delete_mailbox("foo")
    alice.delete_mailbox("foo/bar")  # A685 OK
    assert names(alice) == {"INBOX": True, "foo": False}  # A686 LIST "" foo/% -> nothing
    alice.delete_mailbox("foo")  # A687 OK
    assert names(alice) == {"INBOX": True}


def test_rfc3501_delete_with_inferiors_leaves_noselect_and_drops_messages(
    alice: MemoryAccount,
) -> None:
    # RFC 3501 6.3.4, second example: DELETE foo with foo.bar below it.
    alice.create_mailbox("foo/bar")
    alice.append("foo", b"Subject: x\r\n\r\nx\r\n", internal_date=DATE)
    handle = alice.select("foo")
    alice.delete_mailbox("foo")
    assert names(alice) == {"INBOX": True, "foo": False, "foo/bar": True}
    with no("NONEXISTENT"):
        alice.select("foo")
    with no("NONEXISTENT"):
        alice.status("foo")
    with no("NONEXISTENT"):  # a session that had it selected learns it is gone
        handle.changes_since(0)


def test_create_over_noselect_level_makes_a_new_mailbox(alice: MemoryAccount) -> None:
    alice.create_mailbox("foo/bar")
    old = alice.status("foo").uidvalidity
    alice.delete_mailbox("foo")
    alice.create_mailbox("foo")
    assert names(alice)["foo"] is True
    assert alice.status("foo").uidvalidity > old
    assert alice.status("foo").messages == 0


# -- RENAME ------------------------------------------------------------------------


def test_rename_moves_the_subtree(alice: MemoryAccount) -> None:
    alice.create_mailbox("a/b/c")
    alice.append("a/b", b"Subject: x\r\n\r\nx\r\n", internal_date=DATE)
    before = alice.status("a/b")
    alice.rename_mailbox("a", "x")
    assert names(alice) == {"INBOX": True, "x": True, "x/b": True, "x/b/c": True}
    # The messages go with the mailbox, with their UIDs.
    assert alice.status("x/b") == before
    assert [m.uid for m in alice.select("x/b").messages()] == [1]


def test_rename_creates_superior_names(alice: MemoryAccount) -> None:
    alice.create_mailbox("x")
    alice.rename_mailbox("x", "p/q/x")
    assert names(alice) == {"INBOX": True, "p": True, "p/q": True, "p/q/x": True}


@pytest.mark.parametrize("target", ["a/b", "a/b/c", "a/z"])
def test_rename_into_own_subtree_is_refused(alice: MemoryAccount, target: str) -> None:
    # The seed server hung here; we answer NO at once and change nothing.
    alice.create_mailbox("a/b")
    before = names(alice)
    with pytest.raises(ImapNo, check=lambda e: e.code in ("CANNOT", "ALREADYEXISTS")):
        alice.rename_mailbox("a", target)
    assert names(alice) == before


def test_rename_errors(alice: MemoryAccount) -> None:
    alice.create_mailbox("a")
    alice.create_mailbox("b")
    with no("NONEXISTENT"):
        alice.rename_mailbox("nope", "c")
    with no("ALREADYEXISTS"):
        alice.rename_mailbox("a", "b")
    with no("ALREADYEXISTS"):
        alice.rename_mailbox("a", "inbox")
    with no("ALREADYEXISTS"):
        alice.rename_mailbox("a", "a")
    with no("CANNOT"):
        alice.rename_mailbox("a", "bad%name")


def test_selected_handle_follows_a_rename(alice: MemoryAccount) -> None:
    alice.create_mailbox("a")
    handle = alice.select("a")
    alice.rename_mailbox("a", "b")
    assert handle.name == "b"
    alice.append("b", b"Subject: x\r\n\r\nx\r\n", internal_date=DATE)
    assert [m.uid for m in handle.changes_since(1).new] == [1]


def test_rename_inbox_moves_messages_and_leaves_inbox_empty(alice: MemoryAccount) -> None:
    # RFC 3501 6.3.5: renaming INBOX moves all its messages to a new mailbox,
    # leaving INBOX empty; inferiors of INBOX are unaffected.
    alice.create_mailbox("INBOX/child")
    for i in range(3):
        alice.append(
            "INBOX", f"Subject: {i}\r\n\r\n{i}\r\n".encode(), flags=["\\Seen"], internal_date=DATE
        )
    inbox = alice.select("INBOX")
    seen = inbox.status().highest_modseq
    before = alice.status("INBOX")
    alice.rename_mailbox("INBOX", "old-inbox")

    assert names(alice) == {"INBOX": True, "INBOX/child": True, "old-inbox": True}
    moved = alice.select("old-inbox").messages()
    assert [(m.uid, m.flags, m.internal_date) for m in moved] == [
        (1, frozenset({"\\Seen"}), DATE),
        (2, frozenset({"\\Seen"}), DATE),
        (3, frozenset({"\\Seen"}), DATE),
    ]
    assert alice.select("old-inbox").message_bytes(2) == b"Subject: 1\r\n\r\n1\r\n"
    after = alice.status("INBOX")
    assert (after.messages, after.uidvalidity, after.uidnext) == (0, before.uidvalidity, 4)
    assert alice.status("old-inbox").uidvalidity > before.uidvalidity
    # A session with INBOX selected sees the messages expunged.
    assert inbox.changes_since(seen).expunged == (1, 2, 3)
    # UIDs in INBOX are never reused.
    assert alice.append("INBOX", b"Subject: n\r\n\r\nn\r\n", internal_date=DATE).uid == 4


# -- UIDVALIDITY ----------------------------------------------------------------------


def test_uidvalidity_grows_across_delete_and_recreate(alice: MemoryAccount) -> None:
    alice.create_mailbox("x")
    first = alice.status("x").uidvalidity
    alice.append("x", b"a\r\n", internal_date=DATE)
    alice.delete_mailbox("x")
    alice.create_mailbox("x")
    second = alice.status("x")
    assert second.uidvalidity > first
    assert (second.messages, second.uidnext) == (0, 1)


def test_uidvalidity_source_is_injectable_and_forced_to_increase() -> None:
    ticks = iter([1000, 1000, 999, 5000])
    backend = MemoryBackend(users={"u": "p"}, uidvalidity_source=lambda: next(ticks))
    account = backend.account("u")
    account.create_mailbox("a")
    account.create_mailbox("b")
    account.create_mailbox("c")
    values = [account.status(n).uidvalidity for n in ("INBOX", "a", "b", "c")]
    assert values == [1000, 1001, 1002, 5000]


def test_rename_onto_a_name_with_a_larger_past_uidvalidity_gets_a_new_one(
    alice: MemoryAccount,
) -> None:
    # RFC 3501 2.3.1.1: a name's UIDVALIDITY must be greater than any it had.
    alice.create_mailbox("B")
    alice.create_mailbox("A")
    a_old = alice.status("A").uidvalidity
    alice.delete_mailbox("A")
    alice.rename_mailbox("B", "A")
    assert alice.status("A").uidvalidity > a_old


# -- subscriptions --------------------------------------------------------------------------


def test_subscriptions(alice: MemoryAccount) -> None:
    assert alice.subscriptions() == frozenset({"INBOX"})
    alice.create_mailbox("a")
    alice.subscribe("a")
    alice.subscribe("not/yet")  # RFC 3501 6.3.6: existence MAY be checked; we do not
    alice.unsubscribe("inbox")
    assert alice.subscriptions() == frozenset({"a", "not/yet"})
    # The server MUST NOT unilaterally remove a subscription.
    alice.delete_mailbox("a")
    assert alice.subscriptions() == frozenset({"a", "not/yet"})
    with no("CANNOT"):
        alice.subscribe("a//b")


def test_rename_does_not_touch_subscriptions(alice: MemoryAccount) -> None:
    # RFC 9051 6.3.6: "renaming a mailbox doesn't update subscription information".
    alice.create_mailbox("X/child")
    alice.subscribe("X")
    alice.subscribe("X/child")
    alice.rename_mailbox("X", "Y")
    assert alice.subscriptions() == frozenset({"INBOX", "X", "X/child"})


def test_rename_of_a_noselect_level_moves_its_children(alice: MemoryAccount) -> None:
    alice.create_mailbox("a/b")
    alice.delete_mailbox("a")
    alice.rename_mailbox("a", "z")
    assert names(alice) == {"INBOX": True, "z": False, "z/b": True}
