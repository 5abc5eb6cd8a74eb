r"""NOTIFY's metadata events (RFC 5465 5.6, 5.7) over every store, and
METADATA, CATENATE, URLAUTH and NOTIFY on a mailbox another user shares
(RFC 5464 3.3, RFC 4469 5, RFC 4467, RFC 5465 5 with ACL, RFC 4314).

RFC 5465 5.6: "The server sends an unsolicited METADATA response (as per
Section 4.4.2 of [RFC5464]).  If possible, only the changed metadata SHOULD
be included ... If a metadata item is deleted (set to NIL), it MUST always be
included in the METADATA response.  Example: S: * METADATA "INBOX"
/shared/comment".  5.7: "Example: S: * METADATA "" /shared/comment".
RFC 5464 4.4: "Unsolicited METADATA responses MUST only contain entry
names, not the values" and are sent for changes "by a third-party"; RFC
5465 5: "The server SHOULD omit notifying the client if the event is caused
by this client."

``P1:`` is what an adapter does when the store announces a change
(``Session.poll``).
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _adapter_harness import Client, running_server
from _postgres import PostgresCluster
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st
from imap_sansio.adapters import PostgresBackend, ServerOptions
from imap_sansio.adapters._driver import ALL_MAILBOXES, WakeIndex
from imap_sansio.adapters.maildir import MaildirBackend

from imap_sansio._secret import Secret
from imap_sansio.server import Backend, ChangeNotice, IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play

_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_USERS = {"alice": "a", "bob": "b"}


def _keys(count: int) -> bytes:
    return bytes(range(count))


@pytest.fixture(params=["memory", "maildir", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend(users=_USERS)
    elif request.param == "maildir":
        yield MaildirBackend(tmp_path, users=_USERS)
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        with PostgresBackend(
            cluster.new_database(), password_hasher=_HASHER, listen=False
        ) as store:
            for user, password in _USERS.items():
                store.add_user(user, password)
            yield store


def _server(backend: Backend) -> IMAPServer:
    return IMAPServer(backend, clock=fixed_clock(), random_bytes=_keys)


def _login(n: int, user: str = "bob") -> str:
    return f"""
    C{n}: l{n} LOGIN {user} {_USERS[user]}
    S{n}: l{n} OK $ANY
    """


def test_rfc5465_5_6_another_sessions_setmetadata_names_the_changed_entries(
    backend: Backend,
) -> None:
    play(
        _server(backend),
        _login(1)
        + _login(2)
        + """
        C1: n NOTIFY SET (personal (MailboxMetadataChange))
        S1: n OK NOTIFY completed
        C2: a SETMETADATA INBOX (/shared/comment "Shared comment")
        S2: a OK SETMETADATA complete
        P1:
        S1: * METADATA "INBOX" /shared/comment
        # RFC 5464 4.4.2's second example: two entries in one response.
        C2: b SETMETADATA INBOX (/shared/comment "Its sunny outside!" /private/comment "My comment")
        S2: b OK SETMETADATA complete
        P1:
        S1: * METADATA "INBOX" /shared/comment /private/comment
        # 5.6: a deleted entry is always named; one that was not there is no change.
        C2: c SETMETADATA INBOX (/private/comment NIL /private/never NIL)
        S2: c OK SETMETADATA complete
        P1:
        S1: * METADATA "INBOX" /private/comment
        # Setting the same value again changes nothing.
        C2: d SETMETADATA INBOX (/shared/comment "Its sunny outside!")
        S2: d OK SETMETADATA complete
        P1:
        # RFC 5465 5: the session's own change is not told back to it.
        C1: e SETMETADATA INBOX (/shared/comment "mine")
        S1: e OK SETMETADATA complete
        C1: f NOOP
        S1: f OK NOOP completed
        """,
    )


def test_rfc5465_5_7_server_annotations(backend: Backend) -> None:
    play(
        _server(backend),
        _login(1)
        + _login(2)
        + _login(3, "alice")
        + """
        C1: n NOTIFY SET (personal (ServerMetadataChange))
        S1: n OK NOTIFY completed
        C3: n NOTIFY SET (personal (ServerMetadataChange))
        S3: n OK NOTIFY completed
        C2: a SETMETADATA "" (/private/comment "bob's own")
        S2: a OK SETMETADATA complete
        P1:
        S1: * METADATA "" /private/comment
        # Another user's private server entry is nothing alice may hear of.
        P3:
        C3: b NOOP
        S3: b OK NOOP completed
        """,
    )
    # The shared server entries are the operator's (set through the store),
    # seen by every user (RFC 5464 3.2.1.1), so told to every user.
    heard = _server(backend)
    sessions = [heard.connect(), heard.connect()]
    for session, user in zip(sessions, _USERS, strict=True):
        session.receive_data(
            f"l LOGIN {user} {_USERS[user]}\r\n"
            "n NOTIFY SET (personal (ServerMetadataChange))\r\n".encode()
        )
        session.data_to_send()
    operator = backend.authenticate("alice", Secret("a"))
    operator.set_metadata("", {"/shared/comment": b"Shared comment"}, max_entries=10)  # type: ignore[attr-defined]
    for session in sessions:
        session.poll()
        assert session.data_to_send() == b'* METADATA "" /shared/comment\r\n'


def test_only_the_mailboxes_the_filters_name_are_told() -> None:
    play(
        _server(MemoryBackend(users=_USERS)),
        _login(1)
        + _login(2)
        + """
        C2: a CREATE Lists/Lemonade
        S2: a OK CREATE completed
        C1: n NOTIFY SET (subtree Lists (MailboxMetadataChange)) (mailboxes INBOX (MailboxName))
        S1: n OK NOTIFY completed
        C2: b SETMETADATA INBOX (/shared/comment "not watched")
        S2: b OK SETMETADATA complete
        C2: c SETMETADATA Lists/Lemonade (/shared/comment "watched")
        S2: c OK SETMETADATA complete
        P1:
        S1: * METADATA "Lists/Lemonade" /shared/comment
        # Server annotations need ServerMetadataChange (5.7), not asked here.
        C2: d SETMETADATA "" (/private/comment "x")
        S2: d OK SETMETADATA complete
        P1:
        C1: e NOOP
        S1: e OK NOOP completed
        """,
    )


def test_postgres_tells_a_session_of_another_process(postgres_dsn: str) -> None:
    # Two servers on one database (two processes' worth: each its own pool
    # and LISTEN connection); the annotation change travels in the NOTIFY
    # payload (RFC 5465 5.6 across processes).
    with PostgresBackend(postgres_dsn, password_hasher=_HASHER, listen=False) as setup:
        setup.add_user("bob", "b")
    with (
        PostgresBackend(postgres_dsn, password_hasher=_HASHER) as one,
        PostgresBackend(postgres_dsn, password_hasher=_HASHER) as two,
    ):
        for store in (one, two):
            assert store._notifier is not None
            assert store._notifier.listening.wait(30)  # type: ignore[attr-defined]
        heard: queue.Queue[ChangeNotice] = queue.Queue()
        two.add_listener(heard.put)
        watcher = IMAPServer(two, clock=fixed_clock()).connect()
        watcher.receive_data(
            b"l LOGIN bob b\r\nn NOTIFY SET (personal (MailboxMetadataChange))\r\n"
        )
        assert watcher.data_to_send().endswith(b"n OK NOTIFY completed\r\n")
        writer = IMAPServer(one, clock=fixed_clock()).connect()
        writer.receive_data(b'l LOGIN bob b\r\na SETMETADATA INBOX (/shared/comment "x")\r\n')
        assert writer.data_to_send().endswith(b"a OK SETMETADATA complete\r\n")
        notice = heard.get(timeout=30)
        assert notice == ChangeNotice(
            username="bob", mailbox="INBOX", metadata=("/shared/comment",)
        )
        watcher.poll()
        assert watcher.data_to_send() == b'* METADATA "INBOX" /shared/comment\r\n'


# ------------------------------------------------- a mailbox alice shares


def _share(backend: Backend, rights: str = "lr") -> None:
    alice = backend.authenticate("alice", Secret("a"))
    alice.create_mailbox("Shared")
    alice.append("Shared", b"Subject: shared\r\n\r\nHello\r\n", internal_date=_DATE)
    alice.set_acl("Shared", "bob", rights)  # type: ignore[attr-defined]
    alice.logout()


_DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
_SHARED = '"Other Users/alice/Shared"'


def test_metadata_on_a_shared_mailbox_needs_lookup_and_a_reading_right(
    backend: Backend,
) -> None:
    # RFC 5464 3.3: "When the ACL extension [RFC4314] is present, users can
    # only set and retrieve private or shared mailbox annotations on a
    # mailbox on which they have the "l" right and any one of the "r", "s",
    # "w", "i", or "p" rights."  Private entries are each user's own.
    _share(backend)
    play(
        _server(backend),
        _login(1, "alice")
        + _login(2)
        + f"""
        C1: a SETMETADATA Shared (/shared/comment "for everyone" /private/comment "alice's")
        S1: a OK SETMETADATA complete
        C2: b GETMETADATA {_SHARED} (/shared/comment /private/comment)
        S2: * METADATA {_SHARED} (/shared/comment "for everyone")
        S2: b OK GETMETADATA complete
        C2: c SETMETADATA {_SHARED} (/private/comment "bob's" /shared/comment "bob was here")
        S2: c OK SETMETADATA complete
        C2: d GETMETADATA {_SHARED} (/shared/comment /private/comment)
        S2: * METADATA {_SHARED} (/shared/comment "bob was here" /private/comment "bob's")
        S2: d OK GETMETADATA complete
        C1: e GETMETADATA Shared (/shared/comment /private/comment)
        S1: * METADATA "Shared" (/shared/comment "bob was here" /private/comment "alice's")
        S1: e OK GETMETADATA complete
        # Only "l": the mailbox is there, its annotations are not bob's to see.
        C1: f SETACL Shared bob l
        S1: f OK Setacl complete
        C2: g GETMETADATA {_SHARED} /shared/comment
        S2: g NO [NOPERM] You may not annotate this mailbox
        C2: h SETMETADATA {_SHARED} (/shared/comment NIL)
        S2: h NO [NOPERM] You may not annotate this mailbox
        # "p" alone (with "l") is one of the five rights.
        C1: i SETACL Shared bob lp
        S1: i OK Setacl complete
        C2: j GETMETADATA {_SHARED} /private/comment
        S2: * METADATA {_SHARED} (/private/comment "bob's")
        S2: j OK GETMETADATA complete
        # Without "l" it is a mailbox that does not exist (RFC 4314 6).
        C1: k DELETEACL Shared bob
        S1: k OK Deleteacl complete
        C2: m GETMETADATA {_SHARED} /shared/comment
        S2: m NO [NONEXISTENT] Mailbox does not exist
        """,
    )


def test_notify_tells_bob_of_alices_shared_annotations_while_he_may_read(
    backend: Backend,
) -> None:
    # RFC 5465 5: "All event types described in this document require the
    # 'l' and 'r' rights ... on all observed mailboxes"; 5.9: access lost,
    # monitoring stops.  Alice's private entries are hers alone.  3.1: "If
    # the name refers to a mailbox that the client can LIST ... but the
    # client doesn't have another right required for processing of the
    # specified event(s), then the server MUST respond with an untagged
    # extended LIST response containing the \NoAccess name attribute."
    _share(backend)
    play(
        _server(backend),
        _login(1, "alice")
        + _login(2)
        + f"""
        C2: n NOTIFY SET (subtree "Other Users" (MailboxMetadataChange MessageNew MessageExpunge))
        S2: n OK NOTIFY completed
        C1: a SETMETADATA Shared (/shared/comment "hello bob" /private/comment "alice only")
        S1: a OK SETMETADATA complete
        P2:
        S2: * METADATA {_SHARED} /shared/comment
        C1: b APPEND Shared {{5+}}
        C1: hello
        S1: b OK [APPENDUID $ANY 2] APPEND completed
        P2:
        S2: * STATUS {_SHARED} (UIDNEXT 3 MESSAGES 2)
        # "l" without "r": nothing more is told.
        C1: c SETACL Shared bob l
        S1: c OK Setacl complete
        P2:
        C1: d SETMETADATA Shared (/shared/comment "bob cannot read this")
        S1: d OK SETMETADATA complete
        P2:
        C2: e NOOP
        S2: e OK NOOP completed
        # 3.1: a mailbox bob may LIST but lacks a right for is "\\NoAccess".
        C2: f NOTIFY SET (subtree "Other Users" (MailboxMetadataChange))
        S2: * LIST (\\NoAccess) "/" {_SHARED}
        S2: f OK NOTIFY completed
        """,
    )


def test_catenate_and_urlauth_read_a_shared_mailbox_with_the_read_right() -> None:
    # RFC 4469 5: a URL part must name a message the user can read (here
    # through the "r" right, RFC 4314 4); RFC 4467: a URLAUTH URL reads what
    # the user who made it may read, when it is fetched.
    backend = MemoryBackend(users={**_USERS, "fred": "f"})
    _share(backend)
    shared_url = "/Other%20Users/alice/Shared/;UID=1"
    transcript = (
        _login(1, "alice")
        + _login(2)
        + f"""
        C2: a APPEND INBOX CATENATE (URL "{shared_url}" TEXT {{7+}}
        C2: Added
        C2: )
        S2: a OK [APPENDUID $ANY 1] APPEND completed
        C2: b GENURLAUTH "imap://bob@example.com{shared_url};URLAUTH=authuser" INTERNAL
        S2: * GENURLAUTH "imap://bob@example.com{shared_url};URLAUTH=authuser:internal:$TOKEN"
        S2: b OK GENURLAUTH completed
        C3: l3 LOGIN fred f
        S3: l3 OK $ANY
        C3: c URLFETCH "imap://bob@example.com{shared_url};URLAUTH=authuser:internal:$TOKEN"
        S3: * URLFETCH "imap://bob@example.com{shared_url};URLAUTH=authuser:internal:$TOKEN" {{26}}
        S3: Subject: shared
        S3:
        S3: Hello
        S3:
        S3: c OK URLFETCH completed
        # Bob loses "r": his URL and his CATENATE no longer read the message.
        C1: d SETACL Shared bob l
        S1: d OK Setacl complete
        C3: e URLFETCH "imap://bob@example.com{shared_url};URLAUTH=authuser:internal:$TOKEN"
        S3: * URLFETCH "imap://bob@example.com{shared_url};URLAUTH=authuser:internal:$TOKEN" NIL
        S3: e OK URLFETCH completed
        C2: f APPEND INBOX CATENATE (URL "{shared_url}")
        S2: f NO [BADURL {shared_url}] Bad URL
        """
    )
    play(_server(backend), transcript)
    bob = backend.account("bob").select("INBOX")
    assert bob.message_bytes(1) == b"Subject: shared\r\n\r\nHello\r\nAdded\r\n"


# ------------------------------------------------------------ the adapters


def test_the_wake_index_wakes_listeners_of_owners_private_entries_and_the_server() -> None:
    index: WakeIndex[str] = WakeIndex()
    index.update("alice", "alice", "INBOX")
    index.update("bob-notify", "bob", ALL_MAILBOXES, frozenset({"alice"}))
    index.update("bob-plain", "bob", "INBOX")
    index.update("carol-notify", "carol", ALL_MAILBOXES)
    # A change in a mailbox alice shares: her session of it, and bob's NOTIFY.
    assert sorted(index.select(ChangeNotice(username="alice", mailbox="INBOX"))) == [
        "alice",
        "bob-notify",
    ]
    # Bob's private annotation on it: bob's NOTIFY sessions.
    notice = ChangeNotice(
        username="alice", mailbox="Shared", metadata=("/private/x",), private_to="bob"
    )
    assert index.select(notice) == ["bob-notify"]
    # The server's annotations concern every NOTIFY session.
    server = ChangeNotice(username="alice", mailbox="", metadata=("/shared/comment",))
    assert sorted(index.select(server)) == ["bob-notify", "carol-notify"]
    index.update("bob-notify", "bob", "INBOX")  # NOTIFY NONE
    assert index.select(ChangeNotice(username="alice", mailbox="Shared")) == []
    assert index.select(server) == ["carol-notify"]


@pytest.mark.parametrize("runtime", ["asyncio", "threads"])
def test_alices_changes_reach_bobs_notify_session_over_a_socket(runtime: str) -> None:
    backend = MemoryBackend(users=_USERS)
    _share(backend)
    with (
        running_server(
            runtime, _server(backend), options=ServerOptions(allow_plaintext=True)
        ) as srv,
        Client(srv.port) as bob,
        Client(srv.port) as alice,
    ):
        bob.line()
        alice.line()
        assert bob.command(b"a", b"LOGIN bob b")[-1].startswith(b"a OK")
        assert alice.command(b"a", b"LOGIN alice a")[-1].startswith(b"a OK")
        assert bob.command(
            b"n",
            b'NOTIFY SET (subtree "Other Users" (MailboxMetadataChange MessageNew MessageExpunge))',
        ) == [b"n OK NOTIFY completed\r\n"]
        # Bob sends nothing from now on: what he hears is pushed.
        alice.command(b"b", b'SETMETADATA Shared (/shared/comment "hello bob")')
        assert bob.line(timeout=10) == b'* METADATA "Other Users/alice/Shared" /shared/comment\r\n'
        alice.send(b"c APPEND Shared {5+}\r\nhello\r\n")
        assert bob.line(timeout=10) == (
            b'* STATUS "Other Users/alice/Shared" (UIDNEXT 3 MESSAGES 2)\r\n'
        )
        alice.until_tagged(b"c")


def test_replace_in_a_shared_mailbox_needs_the_rights_to_remove_the_old_message() -> None:
    # REPLACE is an APPEND, a STORE +FLAGS \Deleted and a UID EXPUNGE (RFC
    # 8508 3.4); in another user's mailbox those need 'i', 't' and 'e' (RFC
    # 4314 4).  Without 't' and 'e' it is refused before anything changes.
    backend = MemoryBackend(users=_USERS)
    _share(backend, "lrsi")
    header = "/Other%20Users/alice/Shared/;UID=1/;SECTION=HEADER"
    play(
        _server(backend),
        _login(1, "alice")
        + _login(2)
        + f"""
        C2: s SELECT {_SHARED}
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: s OK [READ-WRITE] SELECT completed
        C2: a REPLACE 1 {_SHARED} {{5+}}
        C2: hello
        S2: a NO [NOPERM] You may not remove messages from this mailbox
        C1: b SETACL Shared bob lrsitwe
        S1: b OK Setacl complete
        C2: c UNSELECT
        S2: c OK UNSELECT completed
        C2: d SELECT {_SHARED}
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: d OK [READ-WRITE] SELECT completed
        C2: e REPLACE 1 {_SHARED} CATENATE (URL "{header}" TEXT {{7+}}
        C2: Again
        C2: )
        S2: * OK [APPENDUID $ANY 2] Replacement Message ready
        S2: * 2 EXISTS
        S2: * 1 RECENT
        S2: * 1 EXPUNGE
        S2: e OK Replace completed
        """,
    )
    shared = backend.account("alice").select("Shared")
    assert [info.uid for info in shared.messages()] == [2]
    assert shared.message_bytes(2) == b"Subject: shared\r\n\r\nAgain\r\n"


_NAMES = st.sampled_from(
    [
        "Other Users",
        "Other Users/alice",
        "Other Users/alice/Shared",
        "Other Users/alice/INBOX",
        "Other Users/alice/nope",
        "Other Users/nobody/x",
        "Other Users/bob/INBOX",
        "INBOX",
        "",
    ]
)


@settings(max_examples=60)
@given(
    rights=st.sampled_from(["", "l", "lr", "lp", "lrswipkxte", "r"]),
    commands=st.lists(
        st.tuples(
            st.sampled_from(["GETMETADATA", "SETMETADATA", "NOTIFY"]),
            _NAMES,
            st.sampled_from(["/shared/comment", "/private/comment"]),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_metadata_and_notify_on_any_shared_name_never_fail_the_server(
    rights: str, commands: list[tuple[str, str, str]]
) -> None:
    errors: list[BaseException] = []
    backend = MemoryBackend(users=_USERS)
    _share(backend, rights or "l")
    if not rights:
        backend.account("alice").set_acl("Shared", "bob", None)
    server = IMAPServer(backend, clock=fixed_clock(), on_error=errors.append)
    bob, alice = server.connect(), server.connect()
    bob.receive_data(b"l LOGIN bob b\r\n")
    alice.receive_data(b"l LOGIN alice a\r\n")
    for n, (verb, name, entry) in enumerate(commands):
        quoted = '"' + name + '"'
        if verb == "GETMETADATA":
            line = f"t{n} GETMETADATA {quoted} {entry}"
        elif verb == "SETMETADATA":
            line = f't{n} SETMETADATA {quoted} ({entry} "v{n}")'
        else:
            line = (
                f"t{n} NOTIFY SET (mailboxes {quoted} (MailboxMetadataChange))"
                " (personal (ServerMetadataChange))"
            )
        bob.receive_data(line.encode() + b"\r\n")
        alice.receive_data(f't{n} SETMETADATA Shared ({entry} "a{n}")\r\n'.encode())
        bob.poll()
    out = bob.data_to_send()
    assert errors == []
    assert b"SERVERBUG" not in out
