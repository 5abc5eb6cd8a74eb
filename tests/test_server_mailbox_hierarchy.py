"""CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, NAMESPACE.

Exact bytes, from the RFC examples where they fit our store (delimiter "/",
names written as atoms when they can be, INBOX first and then the names in
order, children attributes on the basic LIST), and from our own fixtures
otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime

import pytest

from imap_sansio._secret import Secret
from imap_sansio.server import (
    AppendResult,
    IMAPServer,
    MailboxInfo,
    MailboxStatus,
    MemoryBackend,
    demo_backend,
)
from imap_sansio.server import (
    Session as ServerSession,
)
from imap_sansio.server._backend import ChangeListener
from imap_sansio.server._memory import MemoryAccount, MemoryMailbox
from imap_sansio.server.names import superiors
from imap_sansio.testing import fixed_clock

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Session:
    """One pure connection: ``session(b"a NOOP")`` returns what the server answered."""

    def __init__(self, server: IMAPServer, user: str = "alice", password: str = "secret") -> None:
        self.conn: ServerSession = server.connect()
        self.conn.data_to_send()
        if user:
            out = self(f"login LOGIN {user} {password}".encode())
            assert out.endswith(b"LOGIN completed\r\n"), out

    def __call__(self, line: bytes) -> bytes:
        self.conn.receive_data(line + b"\r\n")
        return self.conn.data_to_send()


def lines(*responses: str) -> bytes:
    return "".join(r + "\r\n" for r in responses).encode()


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend(users={"alice": "secret"})


@pytest.fixture
def server(backend: MemoryBackend) -> IMAPServer:
    return IMAPServer(backend, clock=fixed_clock())


@pytest.fixture
def alice(server: IMAPServer) -> Session:
    return Session(server)


def make(backend: MemoryBackend, *names: str, subscribed: Collection[str] | None = None) -> None:
    account = backend.account("alice")
    existing = {info.name for info in account.list_mailboxes()}
    for name in names:
        for level in [*superiors(name), name]:  # as CREATE does (RFC 3501 6.3.3)
            if level not in existing:
                account.create_mailbox(level)
                existing.add(level)
    if subscribed is not None:
        for name in account.subscriptions():
            account.unsubscribe(name)
        for name in subscribed:
            account.subscribe(name)


# ---------------------------------------------------------------- CREATE


def test_create_rfc3501_example_trailing_delimiter_declares_a_level(alice: Session) -> None:
    # RFC 3501 6.3.3
    assert alice(b"A003 CREATE owatagusiam/") == lines("A003 OK CREATE completed")
    assert alice(b"A004 CREATE owatagusiam/blurdybloop") == lines("A004 OK CREATE completed")
    assert alice(b'A005 LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasChildren) "/" owatagusiam',
        '* LIST (\\HasNoChildren) "/" owatagusiam/blurdybloop',
        "A005 OK LIST completed",
    )


def test_create_makes_the_superior_names(alice: Session) -> None:
    assert alice(b"a CREATE foo/bar/zap") == lines("a OK CREATE completed")
    assert alice(b'b LIST "" foo*') == lines(
        '* LIST (\\HasChildren) "/" foo',
        '* LIST (\\HasChildren) "/" foo/bar',
        '* LIST (\\HasNoChildren) "/" foo/bar/zap',
        "b OK LIST completed",
    )
    # The superior names are real mailboxes.
    assert alice(b"c STATUS foo/bar (MESSAGES)") == lines(
        "* STATUS foo/bar (MESSAGES 0)", "c OK STATUS completed"
    )


def test_create_an_existing_name_or_inbox_is_already_exists(alice: Session) -> None:
    alice(b"a CREATE Work")
    assert alice(b"b CREATE Work") == lines("b NO [ALREADYEXISTS] Mailbox already exists")
    assert alice(b"c CREATE inbox") == lines("c NO [ALREADYEXISTS] INBOX always exists")
    assert alice(b"d CREATE INBOX/") == lines("d NO [ALREADYEXISTS] INBOX always exists")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        (b'"a//b"', "Mailbox name has an empty level of hierarchy"),
        (b'"/a"', "Mailbox name has an empty level of hierarchy"),
        (b'"a*"', "Mailbox name contains a wildcard"),
        (b'"50%"', "Mailbox name contains a wildcard"),
    ],
)
def test_create_refuses_invalid_names_with_cannot(alice: Session, name: bytes, why: str) -> None:
    assert alice(b"a CREATE " + name) == lines(f"a NO [CANNOT] {why}")
    assert alice(b'b LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX', "b OK LIST completed"
    )


def test_create_with_a_control_character_is_refused(alice: Session) -> None:
    # The grammar refuses it (NO [CANNOT], as an invalid modified UTF-7 name).
    assert alice(b"a CREATE {3+}\r\na\tb").startswith(b"a NO [CANNOT] ")
    assert alice(b'b LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX', "b OK LIST completed"
    )


def test_create_inbox_children_case_insensitive_root(alice: Session) -> None:
    assert alice(b"a CREATE inbox/Lists") == lines("a OK CREATE completed")
    assert alice(b'b LIST "" INBOX*') == lines(
        '* LIST (\\HasChildren) "/" INBOX',
        '* LIST (\\HasNoChildren) "/" INBOX/Lists',
        "b OK LIST completed",
    )
    assert alice(b'c LIST "" inbox/%') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX/Lists', "c OK LIST completed"
    )
    assert alice(b"d LIST Inbox/ %") == lines(
        '* LIST (\\HasNoChildren) "/" INBOX/Lists', "d OK LIST completed"
    )


def test_create_special_use_rfc6154_example(alice: Session) -> None:
    # RFC 6154 5.3 (our account supports \All, so the refused one is unknown).
    assert alice(b"t2 CREATE MySpecial (USE (\\Drafts \\Sent))") == lines("t2 OK CREATE completed")
    assert alice(b"t3 CREATE Everything (USE (\\Important))") == lines(
        "t3 NO [USEATTR] Unsupported special-use attribute \\Important"
    )
    # RFC 6154 3: "it MUST NOT create the mailbox".
    assert alice(b't4 LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasNoChildren \\Drafts \\Sent) "/" MySpecial',
        "t4 OK LIST completed",
    )


def test_create_special_use_attributes_are_case_insensitive(alice: Session) -> None:
    assert alice(b"a CREATE Outbox (USE (\\sent))") == lines("a OK CREATE completed")
    assert alice(b'b LIST "" Outbox') == lines(
        '* LIST (\\HasNoChildren \\Sent) "/" Outbox', "b OK LIST completed"
    )


class PlainAccount:
    """An account with only the required Account protocol (no optional ones)."""

    def __init__(self, inner: MemoryAccount) -> None:
        self.inner = inner

    @property
    def username(self) -> str:
        return self.inner.username

    def list_mailboxes(self) -> list[MailboxInfo]:
        return self.inner.list_mailboxes()

    def create_mailbox(self, name: str) -> None:
        self.inner.create_mailbox(name)

    def delete_mailbox(self, name: str, *, noselect: bool = False) -> None:
        self.inner.delete_mailbox(name, noselect=noselect)

    def rename_mailboxes(self, renames: Mapping[str, str]) -> None:
        self.inner.rename_mailboxes(renames)

    def subscribe(self, name: str) -> None:
        self.inner.subscribe(name)

    def unsubscribe(self, name: str) -> None:
        self.inner.unsubscribe(name)

    def subscriptions(self) -> frozenset[str]:
        return self.inner.subscriptions()

    def status(self, name: str) -> MailboxStatus:
        return self.inner.status(name)

    def append(
        self, name: str, data: bytes, *, flags: Collection[str] = (), internal_date: datetime
    ) -> AppendResult:
        return self.inner.append(name, data, flags=flags, internal_date=internal_date)

    def select(self, name: str) -> MemoryMailbox:
        return self.inner.select(name)

    def logout(self) -> None:
        pass


class PlainBackend:
    def __init__(self) -> None:
        self.inner = MemoryBackend(users={"alice": "secret"})

    def authenticate(
        self, username: str, password: Secret[str], *, authzid: str | None = None
    ) -> PlainAccount:
        return PlainAccount(self.inner.authenticate(username, password, authzid=authzid))

    def add_listener(self, callback: ChangeListener) -> Callable[[], None]:
        return self.inner.add_listener(callback)


def test_create_special_use_without_the_optional_protocol_is_useattr() -> None:
    alice = Session(IMAPServer(PlainBackend(), clock=fixed_clock()))
    assert alice(b"a CREATE Sent (USE (\\Sent))") == lines(
        "a NO [USEATTR] Special-use attributes cannot be assigned here"
    )
    assert alice(b"b CREATE Sent") == lines("b OK CREATE completed")


# ---------------------------------------------------------------- DELETE


def test_delete_rfc3501_example_children_make_a_noselect_level(
    backend: MemoryBackend, alice: Session
) -> None:
    # RFC 3501 6.3.4, first example, with "/" (we allow deleting a name
    # with inferiors: it stays as \Noselect, as the second example shows).
    make(backend, "blurdybloop", "foo/bar")
    assert alice(b"A683 DELETE blurdybloop") == lines("A683 OK DELETE completed")
    assert alice(b"A684 DELETE foo") == lines("A684 OK DELETE completed")
    assert alice(b'A685 LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\Noselect \\HasChildren) "/" foo',
        '* LIST (\\HasNoChildren) "/" foo/bar',
        "A685 OK LIST completed",
    )
    # A \Noselect name with inferiors cannot be deleted (RFC 3501 6.3.4).
    assert alice(b"A686 DELETE foo") == lines(
        "A686 NO [HASCHILDREN] Mailbox has inferior hierarchical names"
    )
    assert alice(b"A687 DELETE foo/bar") == lines("A687 OK DELETE completed")
    assert alice(b'A688 LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\Noselect \\HasNoChildren) "/" foo',
        "A688 OK LIST completed",
    )
    assert alice(b"A689 DELETE foo") == lines("A689 OK DELETE completed")
    assert alice(b'A690 LIST "" foo*') == lines("A690 OK LIST completed")


def test_delete_inbox_and_missing_names_are_refused(alice: Session) -> None:
    assert alice(b"a DELETE inbox") == lines("a NO [CANNOT] INBOX cannot be deleted")
    assert alice(b"b DELETE nowhere") == lines("b NO [NONEXISTENT] Mailbox does not exist")


@pytest.mark.parametrize("names", [("Old",), ("Old", "Old/child")])
def test_delete_the_selected_mailbox_closes_it(
    backend: MemoryBackend, names: tuple[str, ...]
) -> None:
    errors: list[BaseException] = []
    alice = Session(IMAPServer(backend, on_error=errors.append, clock=fixed_clock()))
    make(backend, *names)
    alice(b"a SELECT Old")
    assert alice(b"b DELETE Old") == lines(
        "* OK [CLOSED] Selected mailbox was deleted, it is now closed",
        "b OK DELETE completed",
    )
    assert alice(b"c NOOP") == lines("c OK NOOP completed")
    assert alice(b"d SELECT Old") == lines("d NO [NONEXISTENT] Mailbox does not exist")
    out = alice(b"e SELECT INBOX")
    assert out.endswith(b"e OK [READ-WRITE] SELECT completed\r\n")
    assert errors == []


def test_rename_the_selected_mailbox_keeps_it_open(backend: MemoryBackend, alice: Session) -> None:
    make(backend, "Old")
    backend.account("alice").append("Old", b"m\r\n", internal_date=DATE)
    alice(b"a SELECT Old")
    assert alice(b"b RENAME Old New") == lines("b OK RENAME completed")
    assert alice(b"c NOOP") == lines("c OK NOOP completed")
    assert alice(b"d STATUS New (MESSAGES)") == lines(
        "* STATUS New (MESSAGES 1)", "d OK STATUS completed"
    )


def test_delete_then_create_gives_a_new_uidvalidity(backend: MemoryBackend, alice: Session) -> None:
    make(backend, "Box")
    assert alice(b"a STATUS Box (UIDVALIDITY)") == lines(
        "* STATUS Box (UIDVALIDITY 2)", "a OK STATUS completed"
    )
    alice(b"b DELETE Box")
    alice(b"c CREATE Box")
    assert alice(b"d STATUS Box (UIDVALIDITY)") == lines(
        "* STATUS Box (UIDVALIDITY 3)", "d OK STATUS completed"
    )


# ---------------------------------------------------------------- RENAME


def test_rename_rfc3501_example_moves_the_subtree(backend: MemoryBackend, alice: Session) -> None:
    # RFC 3501 6.3.5 (RFC 9051 6.3.6), with "foo" deleted to \Noselect first.
    make(backend, "blurdybloop", "foo/bar")
    alice(b"x DELETE foo")
    assert alice(b"A683 RENAME blurdybloop sarasoop") == lines("A683 OK RENAME completed")
    assert alice(b"A684 RENAME foo zowie") == lines("A684 OK RENAME completed")
    assert alice(b'A685 LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasNoChildren) "/" sarasoop',
        '* LIST (\\Noselect \\HasChildren) "/" zowie',
        '* LIST (\\HasNoChildren) "/" zowie/bar',
        "A685 OK LIST completed",
    )


def test_rename_creates_superior_names_of_the_target(
    backend: MemoryBackend, alice: Session
) -> None:
    make(backend, "foo/bar/zap")
    assert alice(b"a RENAME foo/bar/zap baz/rag/zowie") == lines("a OK RENAME completed")
    assert alice(b'b LIST "" baz*') == lines(
        '* LIST (\\HasChildren) "/" baz',
        '* LIST (\\HasChildren) "/" baz/rag',
        '* LIST (\\HasNoChildren) "/" baz/rag/zowie',
        "b OK LIST completed",
    )


@pytest.mark.parametrize("target", [b"foo/bar", b"foo/bar/baz", b"foo/x/y/z"])
def test_rename_into_its_own_subtree_is_refused_not_hung(
    backend: MemoryBackend, alice: Session, target: bytes
) -> None:
    # Seed defect: Net::IMAP::Server looped forever on this.
    make(backend, "foo/bar")
    assert alice(b"a RENAME foo " + target) == lines(
        "a NO [CANNOT] Cannot rename a mailbox into its own hierarchy"
    )
    assert alice(b'b LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasChildren) "/" foo',
        '* LIST (\\HasNoChildren) "/" foo/bar',
        "b OK LIST completed",
    )


def test_rename_to_an_existing_name_is_already_exists(
    backend: MemoryBackend, alice: Session
) -> None:
    make(backend, "a", "b")
    assert alice(b"x RENAME a b") == lines("x NO [ALREADYEXISTS] Mailbox already exists")
    assert alice(b"y RENAME a a") == lines("y NO [ALREADYEXISTS] Mailbox already exists")
    assert alice(b"z RENAME a INBOX") == lines("z NO [ALREADYEXISTS] INBOX always exists")
    assert alice(b"w RENAME nowhere c") == lines("w NO [NONEXISTENT] Mailbox does not exist")
    assert alice(b'v RENAME a "c//d"') == lines(
        "v NO [CANNOT] Mailbox name has an empty level of hierarchy"
    )


def test_rename_inbox_moves_its_messages_and_leaves_it_empty(
    backend: MemoryBackend, alice: Session
) -> None:
    # RFC 3501 6.3.5 / RFC 9051 6.3.6 (Z432-Z434), with "/".
    account = backend.account("alice")
    account.create_mailbox("INBOX/bar")
    for body in (b"one\r\n", b"two\r\n"):
        account.append("INBOX", body, internal_date=DATE)
    assert alice(b"Z433 RENAME INBOX old-mail") == lines("Z433 OK RENAME completed")
    assert alice(b'Z434 LIST "" *') == lines(
        '* LIST (\\HasChildren) "/" INBOX',
        '* LIST (\\HasNoChildren) "/" INBOX/bar',
        '* LIST (\\HasNoChildren) "/" old-mail',
        "Z434 OK LIST completed",
    )
    assert alice(b"Z435 STATUS INBOX (MESSAGES)") == lines(
        "* STATUS INBOX (MESSAGES 0)", "Z435 OK STATUS completed"
    )
    assert alice(b"Z436 STATUS old-mail (MESSAGES)") == lines(
        "* STATUS old-mail (MESSAGES 2)", "Z436 OK STATUS completed"
    )


def test_rename_of_the_selected_inbox_expunges_in_that_session(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    backend.account("alice").append("INBOX", b"hello\r\n", internal_date=DATE)
    alice, other = Session(server), Session(server)
    other(b"s SELECT INBOX")
    alice(b"a RENAME INBOX Saved")
    assert other(b"n NOOP") == lines("* 1 EXPUNGE", "n OK NOOP completed")


# --------------------------------------------------- SUBSCRIBE, UNSUBSCRIBE, LSUB


def test_subscribe_and_lsub_rfc3501_examples(alice: Session) -> None:
    # RFC 3501 6.3.6 / 6.3.9, with "/" for ".": a subscription need not exist.
    assert alice(b"A002 SUBSCRIBE #news/comp/mail/mime") == lines("A002 OK SUBSCRIBE completed")
    assert alice(b'A003 LSUB "#news/" "comp/mail/*"') == lines(
        '* LSUB () "/" #news/comp/mail/mime', "A003 OK LSUB completed"
    )
    assert alice(b'A004 LSUB "#news/" "comp/%"') == lines(
        '* LSUB (\\Noselect) "/" #news/comp/mail', "A004 OK LSUB completed"
    )
    assert alice(b"A005 UNSUBSCRIBE #news/comp/mail/mime") == lines("A005 OK UNSUBSCRIBE completed")
    assert alice(b'A006 LSUB "" *') == lines('* LSUB () "/" INBOX', "A006 OK LSUB completed")


def test_lsub_levels_like_imaptest_subscribe(backend: MemoryBackend, alice: Session) -> None:
    make(backend, "box/test", "box/test2/test", "box/test3/test3")
    for name in (b"box/test", b"box/test2/test", b"box/test3/test3"):
        alice(b"s SUBSCRIBE " + name)
    assert alice(b'a LSUB "" box/%') == lines(
        '* LSUB () "/" box/test',
        '* LSUB (\\Noselect) "/" box/test2',
        '* LSUB (\\Noselect) "/" box/test3',
        "a OK LSUB completed",
    )
    assert alice(b'b LSUB "" *test') == lines(
        '* LSUB () "/" box/test', '* LSUB () "/" box/test2/test', "b OK LSUB completed"
    )


def test_lsub_empty_pattern_gives_the_delimiter(alice: Session) -> None:
    assert alice(b'a LSUB "" ""') == lines('* LSUB (\\Noselect) "/" ""', "a OK LSUB completed")


def test_subscription_survives_delete(backend: MemoryBackend, alice: Session) -> None:
    # RFC 3501 6.3.6: the server MUST NOT unilaterally remove a subscription.
    make(backend, "gone", subscribed=["gone"])
    alice(b"a DELETE gone")
    assert alice(b'b LSUB "" *') == lines('* LSUB () "/" gone', "b OK LSUB completed")


def test_subscribe_seen_by_another_session(server: IMAPServer) -> None:
    alice, other = Session(server), Session(server)
    alice(b"a SUBSCRIBE Lists")
    assert other(b'b LSUB "" L*') == lines('* LSUB () "/" Lists', "b OK LSUB completed")


# ---------------------------------------------------------------- LIST


def test_list_empty_pattern_gives_delimiter_and_root(alice: Session) -> None:
    # RFC 3501 6.3.8
    assert alice(b'A101 LIST "" ""') == lines(
        '* LIST (\\Noselect) "/" ""', "A101 OK LIST completed"
    )
    assert alice(b'A102 LIST "foo/" ""') == lines(
        '* LIST (\\Noselect) "/" ""', "A102 OK LIST completed"
    )


@pytest.mark.parametrize("pattern", [b"inbox", b"INBOX", b"InBoX", b"in%", b"I*", b"%", b'"*"'])
def test_list_matches_inbox_case_insensitively(alice: Session, pattern: bytes) -> None:
    # Seed defect: LIST patterns were case-sensitive for INBOX (RFC 3501 5.1, 6.3.8).
    assert alice(b'a LIST "" ' + pattern) == lines(
        '* LIST (\\HasNoChildren) "/" INBOX', "a OK LIST completed"
    )


def test_list_other_names_stay_case_sensitive(backend: MemoryBackend, alice: Session) -> None:
    make(backend, "Work")
    assert alice(b'a LIST "" work') == lines("a OK LIST completed")
    assert alice(b'b LIST "" Work') == lines(
        '* LIST (\\HasNoChildren) "/" Work', "b OK LIST completed"
    )


def test_list_percent_and_star_and_reference(backend: MemoryBackend, alice: Session) -> None:
    make(backend, "box/test", "box/test2", "box/test3/test4/test5")
    assert alice(b'a LIST "" box/%') == lines(
        '* LIST (\\HasNoChildren) "/" box/test',
        '* LIST (\\HasNoChildren) "/" box/test2',
        '* LIST (\\HasChildren) "/" box/test3',
        "a OK LIST completed",
    )
    assert alice(b'b LIST "" box/%/%') == lines(
        '* LIST (\\HasChildren) "/" box/test3/test4', "b OK LIST completed"
    )
    assert alice(b"c LIST box/ *") == lines(
        '* LIST (\\HasNoChildren) "/" box/test',
        '* LIST (\\HasNoChildren) "/" box/test2',
        '* LIST (\\HasChildren) "/" box/test3',
        '* LIST (\\HasChildren) "/" box/test3/test4',
        '* LIST (\\HasNoChildren) "/" box/test3/test4/test5',
        "c OK LIST completed",
    )
    assert alice(b'd LIST "" box/%t*4') == lines(
        '* LIST (\\HasChildren) "/" box/test3/test4', "d OK LIST completed"
    )


def test_list_demo_with_special_use_rfc6154(server: IMAPServer) -> None:
    demo = Session(IMAPServer(demo_backend(), clock=fixed_clock()), "demo", "demo")
    # RFC 6154 5.1: special-use attributes in a plain LIST, with CHILDREN.
    assert demo(b't1 LIST "" "%"') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasChildren \\Archive) "/" Archive',
        '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
        '* LIST (\\HasNoChildren \\Junk) "/" Junk',
        '* LIST (\\HasNoChildren \\Sent) "/" Sent',
        '* LIST (\\HasNoChildren \\Trash) "/" Trash',
        "t1 OK LIST completed",
    )
    # RFC 6154 5.2
    assert demo(b't2 LIST "" "%" RETURN (SPECIAL-USE)') == lines(
        '* LIST () "/" INBOX',
        '* LIST (\\Archive) "/" Archive',
        '* LIST (\\Drafts) "/" Drafts',
        '* LIST (\\Junk) "/" Junk',
        '* LIST (\\Sent) "/" Sent',
        '* LIST (\\Trash) "/" Trash',
        "t2 OK LIST completed",
    )
    assert demo(b't3 LIST (SPECIAL-USE) "" "*"') == lines(
        '* LIST (\\Archive) "/" Archive',
        '* LIST (\\Drafts) "/" Drafts',
        '* LIST (\\Junk) "/" Junk',
        '* LIST (\\Sent) "/" Sent',
        '* LIST (\\Trash) "/" Trash',
        "t3 OK LIST completed",
    )


def test_list_sees_another_sessions_create(server: IMAPServer) -> None:
    alice, other = Session(server), Session(server)
    alice(b"a CREATE Shared")
    assert other(b'b LIST "" Sh*') == lines(
        '* LIST (\\HasNoChildren) "/" Shared', "b OK LIST completed"
    )


def test_list_names_are_quoted_or_literal_when_needed(
    backend: MemoryBackend, alice: Session
) -> None:
    make(backend, "My Folder", "Ünïcode")
    assert alice(b'a LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasNoChildren) "/" "My Folder"',
        '* LIST (\\HasNoChildren) "/" &ANw-n&AO8-code',
        "a OK LIST completed",
    )


def test_list_and_lsub_patterns_that_are_not_modified_utf7_match_nothing(
    backend: MemoryBackend, alice: Session
) -> None:
    # "&-" is "&" in modified UTF-7 (RFC 3501 5.1.3); "&*" is no valid name.
    make(backend, "&amp", subscribed=["&amp"])
    assert alice(b'a LIST "" &-*') == lines(
        '* LIST (\\HasNoChildren) "/" &-amp', "a OK LIST completed"
    )
    assert alice(b'b LIST "" "&*"') == lines("b OK LIST completed")
    assert alice(b'c LIST "&" "*"') == lines("c OK LIST completed")
    assert alice(b'd LIST "" ("&*" INBOX)') == lines('* LIST () "/" INBOX', "d OK LIST completed")
    assert alice(b'e LSUB "" "&*"') == lines("e OK LSUB completed")
    assert alice(b'f LSUB "" "&-*"') == lines('* LSUB () "/" &-amp', "f OK LSUB completed")


# ------------------------------------------------ LIST-EXTENDED (RFC 5258 5)


@pytest.fixture
def fruit(backend: MemoryBackend) -> None:
    """The hierarchy of RFC 5258 5 example 1 (INBOX has no \\Noinferiors here)."""
    make(
        backend,
        "Fruit/Apple",
        "Fruit/Banana",
        "Tofu",
        "Vegetable/Broccoli",
        "Vegetable/Corn",
        subscribed=["INBOX", "Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"],
    )


@pytest.mark.usefixtures("fruit")
def test_listext_rfc5258_examples_2_to_6(alice: Session) -> None:
    subscribed = (
        '* LIST (\\Subscribed) "/" INBOX',
        '* LIST (\\Subscribed) "/" Fruit/Banana',
        '* LIST (\\Subscribed \\NonExistent) "/" Fruit/Peach',
        '* LIST (\\Subscribed) "/" Vegetable',
        '* LIST (\\Subscribed) "/" Vegetable/Broccoli',
    )
    assert alice(b'A02 LIST (SUBSCRIBED) "" "*"') == lines(*subscribed, "A02 OK LIST completed")
    children = (
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasChildren) "/" Fruit',
        '* LIST (\\HasNoChildren) "/" Tofu',
        '* LIST (\\HasChildren) "/" Vegetable',
    )
    assert alice(b'A03 LIST () "" "%" RETURN (CHILDREN)') == lines(
        *children, "A03 OK LIST completed"
    )
    # REMOTE: we have no remote mailboxes, so it changes nothing.
    assert alice(b'A04 LIST (REMOTE) "" "%" RETURN (CHILDREN)') == lines(
        *children, "A04 OK LIST completed"
    )
    assert alice(b'A05 LIST (REMOTE SUBSCRIBED) "" "*"') == lines(
        *subscribed, "A05 OK LIST completed"
    )
    assert alice(b'A06 LIST (REMOTE) "" "*" RETURN (SUBSCRIBED)') == lines(
        '* LIST (\\Subscribed) "/" INBOX',
        '* LIST () "/" Fruit',
        '* LIST () "/" Fruit/Apple',
        '* LIST (\\Subscribed) "/" Fruit/Banana',
        '* LIST () "/" Tofu',
        '* LIST (\\Subscribed) "/" Vegetable',
        '* LIST (\\Subscribed) "/" Vegetable/Broccoli',
        '* LIST () "/" Vegetable/Corn',
        "A06 OK LIST completed",
    )


def test_listext_rfc5258_example_7_multiple_patterns(
    backend: MemoryBackend, alice: Session
) -> None:
    make(backend, "Drafts", "Sent/March2004", "Sent/December2003", "Sent/August2004", "Other")
    assert alice(b'BBB LIST "" ("INBOX" "Drafts" "Sent/%")') == lines(
        '* LIST () "/" INBOX',
        '* LIST () "/" Drafts',
        '* LIST () "/" Sent/August2004',
        '* LIST () "/" Sent/December2003',
        '* LIST () "/" Sent/March2004',
        "BBB OK LIST completed",
    )
    # A name that matches two patterns is listed once (RFC 5258 3).
    assert alice(b'BBC LIST "" (Drafts D*)') == lines(
        '* LIST () "/" Drafts', "BBC OK LIST completed"
    )


def test_listext_rfc5258_example_8_childinfo(backend: MemoryBackend, alice: Session) -> None:
    make(backend, "Foo/Bar", "Foo/Baz", "Moo", subscribed=["Foo/Baz"])
    assert alice(b'CA3 LIST "" "%" RETURN (CHILDREN)') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\HasChildren) "/" Foo',
        '* LIST (\\HasNoChildren) "/" Moo',
        "CA3 OK LIST completed",
    )
    # A)
    assert alice(b'C02 LIST (SUBSCRIBED) "" "*"') == lines(
        '* LIST (\\Subscribed) "/" Foo/Baz', "C02 OK LIST completed"
    )
    assert alice(b'C03 LIST (SUBSCRIBED) "" "%"') == lines("C03 OK LIST completed")
    assert alice(b'C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == lines(
        '* LIST () "/" Foo ("CHILDINFO" ("SUBSCRIBED"))', "C04 OK LIST completed"
    )
    # A1)
    alice(b"s SUBSCRIBE Foo")
    assert alice(b'C05 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == lines(
        '* LIST (\\Subscribed) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))', "C05 OK LIST completed"
    )
    # C) only Foo and Moo subscribed
    alice(b"u UNSUBSCRIBE Foo/Baz")
    alice(b"s SUBSCRIBE Moo")
    assert alice(b'C06 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)') == lines(
        '* LIST (\\HasChildren \\Subscribed) "/" Foo',
        '* LIST (\\HasNoChildren \\Subscribed) "/" Moo',
        "C06 OK LIST completed",
    )
    # B) nothing subscribed: no responses.
    alice(b"u UNSUBSCRIBE Foo")
    alice(b"u UNSUBSCRIBE Moo")
    assert alice(b'C07 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"') == lines("C07 OK LIST completed")


def test_listext_rfc5258_example_9_childinfo_whatever_the_pattern(
    backend: MemoryBackend, alice: Session
) -> None:
    make(
        backend,
        "foo2/bar1",
        "foo2/bar2",
        "baz2/bar2",
        "baz2/bar22",
        "baz2/bar222",
        "eps2/mamba",
        "qux2/bar2",
        subscribed=[
            "foo2/bar1",
            "foo2/bar2",
            "baz2/bar2",
            "baz2/bar22",
            "baz2/bar222",
            "eps2",
            "eps2/mamba",
            "qux2/bar2",
        ],
    )
    # RFC 5258 5 example 9, in our order (by name).  CHILDINFO goes on
    # foo2 and eps2, which have a subscribed child the pattern misses, and not
    # on baz2 or qux2, whose subscribed children are all listed (3.5: servers
    # SHOULD suppress redundant CHILDINFO).
    assert alice(b'D03 LIST (RECURSIVEMATCH SUBSCRIBED) "" "*2"') == lines(
        '* LIST (\\Subscribed) "/" baz2/bar2',
        '* LIST (\\Subscribed) "/" baz2/bar22',
        '* LIST (\\Subscribed) "/" baz2/bar222',
        '* LIST (\\Subscribed) "/" eps2 ("CHILDINFO" ("SUBSCRIBED"))',
        '* LIST () "/" foo2 ("CHILDINFO" ("SUBSCRIBED"))',
        '* LIST (\\Subscribed) "/" foo2/bar2',
        '* LIST (\\Subscribed) "/" qux2/bar2',
        "D03 OK LIST completed",
    )


def test_listext_rfc5258_example_10(backend: MemoryBackend, alice: Session) -> None:
    make(backend, "foo", subscribed=["foo/bar"])
    assert alice(b'a1 LIST "" ("foo" "foo/*")') == lines(
        '* LIST () "/" foo', "a1 OK LIST completed"
    )
    assert alice(b'a2 LIST (SUBSCRIBED) "" "foo/*"') == lines(
        '* LIST (\\Subscribed \\NonExistent) "/" foo/bar', "a2 OK LIST completed"
    )
    assert alice(b'a3 LIST (SUBSCRIBED RECURSIVEMATCH) "" foo RETURN (CHILDREN)') == lines(
        '* LIST (\\HasNoChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))', "a3 OK LIST completed"
    )


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (b'a LIST (RECURSIVEMATCH) "" ""', "RECURSIVEMATCH needs another selection option"),
        (b'a LIST (RECURSIVEMATCH REMOTE) "" %', "RECURSIVEMATCH needs another selection option"),
        (b'a LIST "" % RETURN (STATUS (MAILBOXID))', "Unsupported STATUS item MAILBOXID"),
    ],
)
def test_listext_invalid_options_are_bad(alice: Session, command: bytes, answer: str) -> None:
    # RFC 5258 3 and 3.1 (the grammar may answer first: then its text says
    # "LIST: ... at byte n").
    out = alice(command)
    assert out.startswith(b"a BAD [CLIENTBUG] ")
    assert answer.encode() in out


def test_listext_empty_pattern_is_not_the_delimiter_request(alice: Session) -> None:
    # RFC 5258 3: "ANY extended LIST command ... MUST NOT treat the empty
    # mailbox name as such a special request".
    assert alice(b'a LIST () "" ""') == lines("a OK LIST completed")
    assert alice(b'b LIST "" ("")') == lines("b OK LIST completed")
    assert alice(b'c LIST "" ("" INBOX)') == lines('* LIST () "/" INBOX', "c OK LIST completed")


def test_listext_subscribed_nonexistent_like_imaptest(
    backend: MemoryBackend, alice: Session
) -> None:
    make(
        backend, "box/test1", "box/test2/test1", "box/test6", subscribed=["box/test1", "box/test6"]
    )
    alice(b"d DELETE box/test6")
    assert alice(b'a LIST (SUBSCRIBED) "" box/*') == lines(
        '* LIST (\\Subscribed) "/" box/test1',
        '* LIST (\\Subscribed \\NonExistent) "/" box/test6',
        "a OK LIST completed",
    )
    assert alice(b'b LIST "" box/% RETURN (CHILDREN SUBSCRIBED)') == lines(
        '* LIST (\\HasNoChildren \\Subscribed) "/" box/test1',
        '* LIST (\\HasChildren) "/" box/test2',
        "b OK LIST completed",
    )


# -------------------------------------------------- LIST-STATUS (RFC 5819)


def test_list_status_rfc5819_examples(backend: MemoryBackend, alice: Session) -> None:
    account = backend.account("alice")
    make(backend, "foo", "bar/baz", subscribed=["INBOX", "foo/sub"])
    alice(b"x DELETE bar")  # a \Noselect level now
    account.append("INBOX", b"1\r\n", flags=("\\Seen",), internal_date=DATE)
    account.append("INBOX", b"2\r\n", internal_date=DATE)
    account.append("foo", b"3\r\n", internal_date=DATE)
    assert alice(b'A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))') == lines(
        '* LIST () "/" INBOX',
        "* STATUS INBOX (MESSAGES 2 UNSEEN 1)",
        '* LIST (\\Noselect) "/" bar',
        '* LIST () "/" foo',
        "* STATUS foo (MESSAGES 1 UNSEEN 1)",
        "A01 OK LIST completed",
    )
    # "foo" is listed for its subscribed child only: no STATUS for it.
    assert alice(b'A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))') == lines(
        '* LIST (\\Subscribed) "/" INBOX',
        "* STATUS INBOX (MESSAGES 2)",
        '* LIST () "/" foo ("CHILDINFO" ("SUBSCRIBED"))',
        "A02 OK LIST completed",
    )


def test_list_status_with_children_and_special_use(server: IMAPServer) -> None:
    demo = Session(IMAPServer(demo_backend(), clock=fixed_clock()), "demo", "demo")
    assert demo(b'a LIST (SPECIAL-USE) "" * RETURN (CHILDREN STATUS (MESSAGES UIDNEXT))') == lines(
        '* LIST (\\HasChildren \\Archive) "/" Archive',
        "* STATUS Archive (MESSAGES 0 UIDNEXT 1)",
        '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
        "* STATUS Drafts (MESSAGES 1 UIDNEXT 2)",
        '* LIST (\\HasNoChildren \\Junk) "/" Junk',
        "* STATUS Junk (MESSAGES 1 UIDNEXT 2)",
        '* LIST (\\HasNoChildren \\Sent) "/" Sent',
        "* STATUS Sent (MESSAGES 1 UIDNEXT 2)",
        '* LIST (\\HasNoChildren \\Trash) "/" Trash',
        "* STATUS Trash (MESSAGES 0 UIDNEXT 1)",
        "a OK LIST completed",
    )


# ---------------------------------------------------------------- NAMESPACE


def test_namespace_rfc2342_single_personal_namespace() -> None:
    # RFC 2342 5, example 5.1 with "/" as the delimiter: a store without ACLs
    # (with them, other users' mailboxes add a namespace: tests/test_server_acl.py).
    alice = Session(IMAPServer(PlainBackend(), clock=fixed_clock()))
    assert alice(b"A001 NAMESPACE") == lines(
        '* NAMESPACE (("" "/")) NIL NIL', "A001 OK NAMESPACE completed"
    )


def test_mailbox_commands_need_login(server: IMAPServer) -> None:
    anonymous = Session(server, user="")
    out = anonymous(b'a LIST "" *')
    assert out.startswith(b"a BAD")
