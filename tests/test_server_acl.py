"""ACL (RFC 4314) and LIST-MYRIGHTS (RFC 8440) over the MemoryBackend.

The client lines are the RFC's examples byte for byte (sections cited); the
server lines are exact bytes.  Where an RFC example writes the same rights in
another order (its examples disagree among themselves: section 3.1 answers
``rwipslxetad`` and section 2.1.1 ``rwipslxcetda`` for one ACL), our line is
the one order we always use, ``lrswipkxtecda``, and the test also proves
that the two name the same rights.  Users other than the owner reach a
mailbox under the "Other Users" namespace (RFC 2342 5).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from response_parser import parse_response
from test_server_mailbox_hierarchy import PlainBackend, Session, lines

from imap_sansio._commands import Command, DeleteAcl, GetAcl, ListRights, MyRights, SetAcl
from imap_sansio._encoder import encode_response
from imap_sansio._parser import parse_command
from imap_sansio._responses import AclData, ListRightsData, MyRightsData
from imap_sansio.server import AclAccount, IMAPServer, MemoryBackend
from imap_sansio.server._acl import format_rights, parse_rights
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.strategies import encode_command

DATE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MESSAGE = b"Subject: shared\r\n\r\nHello\r\n"
SHARED = '"Other Users/alice/Shared"'


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend(users={"alice": "a", "bob": "b", "owner": "o"})


@pytest.fixture
def server(backend: MemoryBackend) -> IMAPServer:
    return IMAPServer(backend, clock=fixed_clock())


def login(server: IMAPServer, user: str) -> Session:
    return Session(server, user, user[0])


def same_rights(ours: str, rfc: str) -> bool:
    return parse_rights(ours) == parse_rights(rfc)


# ------------------------------------------------------------ RFC 4314 3.1


def test_rfc4314_3_1_setacl_adds_rights_and_refuses_unknown_ones(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    account = backend.account("owner")
    account.create_mailbox("INBOX/Drafts")
    account.set_acl("INBOX/Drafts", "Fred", "rwipslxeta")
    account.set_acl("INBOX/Drafts", "Chris", "lrswi")
    owner = login(server, "owner")
    assert owner(b"A001 GETACL INBOX/Drafts") == lines(
        "* ACL INBOX/Drafts Fred lrswipxtecda Chris lrswi", "A001 OK Getacl complete"
    )
    assert owner(b"A002 SETACL INBOX/Drafts Chris +cda") == lines("A002 OK Setacl complete")
    assert owner(b"A003 GETACL INBOX/Drafts") == lines(
        "* ACL INBOX/Drafts Fred lrswipxtecda Chris lrswikxtecda", "A003 OK Getacl complete"
    )
    # The RFC writes Chris's rights as "lrswicdakxet": the same rights.
    assert same_rights("lrswikxtecda", "lrswicdakxet")
    # Fred: the RFC's "rwipslxetad" leaves out the "c" that its own 2.1.1
    # requires with "x" ("the server MUST also include the "c" right").
    assert set("lrswipxtecda") == set("rwipslxetad") | {"c"}
    assert owner(b"A035 SETACL INBOX/Drafts John lrQswicda") == lines(
        "A035 BAD Uppercase rights are not allowed"
    )
    assert owner(b"A036 SETACL INBOX/Drafts John lrqswicda") == lines(
        "A036 BAD The q right is not supported"
    )
    assert dict(account.get_acl("INBOX/Drafts")) == {"Fred": "rwipslxeta", "Chris": "lrswikxtea"}


def test_rfc4314_2_1_1_virtual_rights_expand_and_are_returned(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    # RFC 4314 2.1.1's two examples, each on a mailbox where Fred has
    # "rwipslxcetda" (stored as its real rights, "c" and "d" being virtual).
    # Deviations: the RFC's ACL lines name the mailbox "INBOX" for a GETACL of
    # INBOX/Drafts, and its second example answers the tag A003 with "A001
    # OK"; ours echo the command's mailbox and tag.  Rights are in our order.
    account = backend.account("owner")
    account.create_mailbox("INBOX/Drafts")
    account.set_acl("INBOX/Drafts", "Fred", "rwipslxeta")
    owner = login(server, "owner")
    #   C: A001 SeTacl INBOX/Drafts David lrswida
    #   S: A001 OK Setacl complete
    #   C: A002 getacl INBOX/Drafts
    #   S: * ACL INBOX Fred rwipslxcetda David lrswideta
    #   S: A002 OK Getacl complete
    assert owner(b"A001 SeTacl INBOX/Drafts David lrswida") == lines("A001 OK Setacl complete")
    assert owner(b"A002 getacl INBOX/Drafts") == lines(
        "* ACL INBOX/Drafts Fred lrswipxtecda David lrswiteda", "A002 OK Getacl complete"
    )
    # "d" expands to "et" ("The client has specified the "d" right ... and it
    # expands to "et" on the server").
    assert same_rights("lrswipxtecda", "rwipslxcetda")
    assert same_rights("lrswiteda", "lrswideta")
    #   C: A003 Setacl INBOX/Drafts Byron lrswikda
    #   S: A001 OK Setacl complete
    #   C: A002 getAcl INBOX/Drafts
    #   S: * ACL INBOX Fred rwipslxcetda Byron lrswikcdeta
    #   S: A002 OK Getacl complete
    assert owner(b"x DELETEACL INBOX/Drafts David") == lines("x OK Deleteacl complete")
    assert owner(b"A003 Setacl INBOX/Drafts Byron lrswikda") == lines("A003 OK Setacl complete")
    assert owner(b"A002 getAcl INBOX/Drafts") == lines(
        "* ACL INBOX/Drafts Fred lrswipxtecda Byron lrswiktecda", "A002 OK Getacl complete"
    )
    # "k" brings "c" along (2.1.1: the server "MUST also include the "c" right").
    assert same_rights("lrswiktecda", "lrswikcdeta")
    assert set("lrswiktecda") == set("lrswikcdeta")


# ------------------------------------------------------------ RFC 4314 3.2-3.5


def test_rfc4314_3_2_deleteacl_leaves_the_negative_entry(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    account = backend.account("owner")
    account.set_acl("INBOX", "Fred", "rwipslxeta")
    account.set_acl("INBOX", "-Fred", "wet")
    account.set_acl("INBOX", "$team", "w")
    owner = login(server, "owner")
    assert owner(b"B001 getacl INBOX") == lines(
        "* ACL INBOX Fred lrswipxtecda -Fred wted $team w", "B001 OK Getacl complete"
    )
    assert same_rights("wted", "wetd")
    assert owner(b"B002 DeleteAcl INBOX Fred") == lines("B002 OK Deleteacl complete")
    assert owner(b"B003 GETACL INBOX") == lines(
        "* ACL INBOX -Fred wted $team w", "B003 OK Getacl complete"
    )


def test_rfc4314_3_3_getacl(backend: MemoryBackend, server: IMAPServer) -> None:
    #   C: A002 GETACL INBOX
    #   S: * ACL INBOX Fred rwipsldexta
    #   S: A002 OK Getacl complete
    backend.account("owner").set_acl("INBOX", "Fred", "rwipslexta")
    owner = login(server, "owner")
    assert owner(b"A002 GETACL INBOX") == lines(
        "* ACL INBOX Fred lrswipxtecda", "A002 OK Getacl complete"
    )
    # The same letters but "c", which the RFC's line leaves out though "x"
    # is there (2.1.1: "the server MUST also include the "c" right").
    assert set("lrswipxtecda") == set("rwipsldexta") | {"c"}


def test_rfc4314_3_4_listrights(backend: MemoryBackend, server: IMAPServer) -> None:
    backend.account("owner").create_mailbox("~/Mail/saved")
    backend.account("owner").create_mailbox("archive/imap")
    owner = login(server, "owner")
    # RFC: "* LISTRIGHTS ~/Mail/saved smith la r swicdkxte": that server always
    # grants "l" and "a" and ties rights in groups; ours grants nothing always
    # and lets every right be granted alone (a free choice, 3.4 / 2.1).
    assert owner(b"a001 LISTRIGHTS ~/Mail/saved smith") == lines(
        '* LISTRIGHTS ~/Mail/saved smith "" l r s w i p k x t e c d a',
        "a001 OK Listrights completed",
    )
    # The RFC's server also grants the digit rights; ours grants none.  The
    # RFC's answer names "archive.imap" for "archive/imap" and its tagged line
    # "a005 Listrights successful" has no "OK"; ours are the command's name
    # and an OK.
    rfc = '* LISTRIGHTS archive.imap anyone "" l r s w i p k x t e c d a 0 1 2 3 4 5 6 7 8 9'
    assert owner(b"a005 listrights archive/imap anyone") == lines(
        rfc.replace("archive.imap", "archive/imap").removesuffix(" 0 1 2 3 4 5 6 7 8 9"),
        "a005 OK Listrights completed",
    )
    # The owner always has every right: all required, nothing optional.
    assert owner(b"a006 LISTRIGHTS INBOX owner") == lines(
        "* LISTRIGHTS INBOX owner lrswipkxtecda", "a006 OK Listrights completed"
    )


def test_rfc4314_3_5_myrights_of_the_owner(server: IMAPServer) -> None:
    owner = login(server, "owner")
    assert owner(b"A003 MYRIGHTS INBOX") == lines(
        "* MYRIGHTS INBOX lrswipkxtecda", "A003 OK Myrights complete"
    )


@pytest.mark.parametrize(
    ("value", "rfc_line"),
    [
        # RFC 4314 3.6 - 3.8 as our encoder writes them, read back by the strict parser.
        (
            AclData(mailbox="INBOX/Drafts", entries=(("Fred", "rwipslxetad"), ("Chris", "lrswi"))),
            b"* ACL INBOX/Drafts Fred rwipslxetad Chris lrswi\r\n",
        ),
        (
            AclData(mailbox="INBOX", entries=(("-Fred", "wetd"), ("$team", "w"))),
            b"* ACL INBOX -Fred wetd $team w\r\n",
        ),
        (
            ListRightsData(
                mailbox="~/Mail/saved",
                identifier="smith",
                required="la",
                optional=("r", "swicdkxte"),
            ),
            b"* LISTRIGHTS ~/Mail/saved smith la r swicdkxte\r\n",
        ),
        (MyRightsData(mailbox="INBOX", rights="rwiptsldaex"), b"* MYRIGHTS INBOX rwiptsldaex\r\n"),
        (AclData(mailbox="empty", entries=()), b"* ACL empty\r\n"),
        (
            ListRightsData(mailbox="a", identifier="anyone", required="", optional=("l",)),
            b'* LISTRIGHTS a anyone "" l\r\n',
        ),
    ],
)
def test_rfc4314_responses_encode_and_parse_exactly(
    value: AclData | ListRightsData | MyRightsData, rfc_line: bytes
) -> None:
    assert encode_response(value) == rfc_line
    assert parse_response(rfc_line) == value


@pytest.mark.parametrize(
    ("line", "command"),
    [
        # The client lines of RFC 4314's examples (sections 2.1.1, 3.1-3.5).
        (
            b"A001 SeTacl INBOX/Drafts David lrswida",
            SetAcl(tag="A001", mailbox="INBOX/Drafts", identifier="David", rights="lrswida"),
        ),
        (
            b"A002 SETACL INBOX/Drafts Chris +cda",
            SetAcl(
                tag="A002", mailbox="INBOX/Drafts", identifier="Chris", rights="cda", mode="add"
            ),
        ),
        (
            b"A036 SETACL INBOX/Drafts John lrqswicda",
            SetAcl(tag="A036", mailbox="INBOX/Drafts", identifier="John", rights="lrqswicda"),
        ),
        (b"B002 DeleteAcl INBOX Fred", DeleteAcl(tag="B002", mailbox="INBOX", identifier="Fred")),
        (b"A002 getAcl INBOX/Drafts", GetAcl(tag="A002", mailbox="INBOX/Drafts")),
        (
            b"a001 LISTRIGHTS ~/Mail/saved smith",
            ListRights(tag="a001", mailbox="~/Mail/saved", identifier="smith"),
        ),
        (b"A003 MYRIGHTS INBOX", MyRights(tag="A003", mailbox="INBOX")),
        (
            b'x SETACL INBOX "-Fred" -w',
            SetAcl(tag="x", mailbox="INBOX", identifier="-Fred", rights="w", mode="remove"),
        ),
    ],
)
def test_rfc4314_client_lines_parse_and_encode_back(line: bytes, command: Command) -> None:
    assert parse_command(line + b"\r\n") == command
    assert parse_command(encode_command(command)) == command


def test_identifiers_are_utf8_literals_before_utf8_accept() -> None:
    value = MyRightsData(mailbox="x", rights="lr")
    acl = AclData(mailbox="x", entries=(("jürgen", "lr"),))
    assert encode_response(acl) == b"* ACL x {7}\r\nj\xc3\xbcrgen lr\r\n"
    assert encode_response(acl, utf8=True) == b'* ACL x "j\xc3\xbcrgen" lr\r\n'
    assert parse_response(encode_response(acl)) == acl
    with pytest.raises(ValueError):
        MyRightsData(mailbox="x", rights="LR")
    with pytest.raises(ValueError):
        AclData(mailbox="x", entries=(("", "lr"),))
    assert value.rights == "lr"


# ------------------------------------------------------------ RFC 4314 4


def test_rfc4314_4_copy_drops_the_flags_the_user_may_not_set(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    owner = backend.account("owner")
    owner.create_mailbox("TargetMailbox")
    for _ in range(76):  # the copies become 77:79, as in the example
        owner.append("TargetMailbox", MESSAGE, internal_date=DATE)
    owner.set_acl("TargetMailbox", "alice", "rwis")
    alice_account = backend.account("alice")
    for flags in (("\\Draft", "\\Deleted"), ("\\Answered",), ("$Forwarded", "\\Seen")):
        alice_account.append("INBOX", MESSAGE, flags=flags, internal_date=DATE)
    alice = login(server, "alice")
    alice(b"A000 SELECT INBOX")
    target = b'"Other Users/owner/TargetMailbox"'
    assert alice(b"A003 MYRIGHTS " + target) == lines(
        '* MYRIGHTS "Other Users/owner/TargetMailbox" rswi', "A003 OK Myrights complete"
    )
    uidvalidity = owner.status("TargetMailbox").uidvalidity
    assert alice(b"A005 COPY 1:3 " + target) == lines(
        f"A005 OK [COPYUID {uidvalidity} 1:3 77:79] COPY completed"
    )
    # EXAMINE rather than SELECT: no \Recent in the FETCH flags below.
    assert alice(b"A006 EXAMINE " + target).endswith(b"A006 OK [READ-ONLY] EXAMINE completed\r\n")
    assert alice(b"A007 FETCH 77:79 (FLAGS)") == lines(
        "* 77 FETCH (FLAGS (\\Draft))",
        "* 78 FETCH (FLAGS (\\Answered))",
        "* 79 FETCH (FLAGS ($Forwarded \\Seen))",
        "A007 OK FETCH completed",
    )
    # "If the MYRIGHTS command ... would have returned rsti":
    owner.set_acl("TargetMailbox", "alice", "rsti")
    alice(b"A008 SELECT INBOX")
    assert alice(b"A009 COPY 1:3 " + target) == lines(
        f"A009 OK [COPYUID {uidvalidity} 1:3 80:82] COPY completed"
    )
    alice(b"A010 EXAMINE " + target)
    assert alice(b"A011 FETCH 80:82 (FLAGS)") == lines(
        "* 80 FETCH (FLAGS (\\Deleted))",
        "* 81 FETCH (FLAGS ())",
        "* 82 FETCH (FLAGS (\\Seen))",
        "A011 OK FETCH completed",
    )


def test_rfc4314_4_store_changes_only_the_permitted_flags(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    alice_account = backend.account("alice")
    alice_account.create_mailbox("Shared")
    alice_account.append("Shared", MESSAGE, flags=("\\Flagged",), internal_date=DATE)
    alice_account.set_acl("Shared", "bob", "lr")
    bob = login(server, "bob")
    bob(b"e ENABLE IMAP4rev2")
    # "lr" is none of "i", "e" and the flag rights: READ-ONLY (RFC 4314 5.2).
    assert bob(b"s SELECT " + SHARED.encode()).endswith(b"s OK [READ-ONLY] SELECT completed\r\n")
    alice_account.set_acl("Shared", "bob", "lrst")
    out = bob(b"s SELECT " + SHARED.encode())
    assert b"* OK [PERMANENTFLAGS (\\Deleted \\Seen)] Flags permitted\r\n" in out
    assert out.endswith(b"s OK [READ-WRITE] SELECT completed\r\n")
    # FLAGS (\Seen \Answered): \Answered needs "w"; \Flagged stays.
    assert bob(b"a STORE 1 FLAGS (\\Seen \\Answered)") == lines(
        "* 1 FETCH (FLAGS (\\Flagged \\Seen))", "a OK STORE completed"
    )
    assert bob(b"b STORE 1 +FLAGS (\\Answered)") == lines(
        "b NO [NOPERM] You may not change these flags here"
    )
    assert bob(b"c STORE 1 -FLAGS (\\Seen \\Flagged)") == lines(
        "* 1 FETCH (FLAGS (\\Flagged))", "c OK STORE completed"
    )
    # "e" is missing: EXPUNGE is refused, CLOSE closes without expunging.
    bob(b"d STORE 1 +FLAGS (\\Deleted)")
    assert bob(b"e EXPUNGE") == lines("e NO [NOPERM] You may not expunge this mailbox")
    assert bob(b"f CLOSE") == lines("f OK CLOSE completed")
    assert alice_account.status("Shared").messages == 1


def test_rfc4314_4_fetch_sets_seen_only_with_the_s_right(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    alice_account = backend.account("alice")
    alice_account.create_mailbox("Shared")
    alice_account.append("Shared", MESSAGE, internal_date=DATE)
    alice_account.set_acl("Shared", "bob", "lri")  # READ-WRITE (by "i"), no "s"
    bob = login(server, "bob")
    bob(b"e ENABLE IMAP4rev2")
    assert bob(b"s SELECT " + SHARED.encode()).endswith(b"s OK [READ-WRITE] SELECT completed\r\n")
    # "A FETCH request that implies setting \Seen flag MUST NOT set it".
    assert bob(b"f FETCH 1 (BODY[TEXT])") == lines(
        "* 1 FETCH (BODY[TEXT] {7}", "Hello", ")", "f OK FETCH completed"
    )
    assert alice_account.select("Shared").messages()[0].flags == frozenset()
    alice_account.set_acl("Shared", "bob", "lris")
    bob(b"s SELECT " + SHARED.encode())
    assert bob(b"g FETCH 1 (BODY[TEXT])") == lines(
        "* 1 FETCH (BODY[TEXT] {7}", "Hello", " FLAGS (\\Seen))", "g OK FETCH completed"
    )


def test_rfc4314_5_1_1_permanentflags_follow_the_rights(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    owner = backend.account("owner")
    owner.set_acl("INBOX", "alice", "lrwis")
    alice = login(server, "alice")
    out = alice(b'A142 SELECT "Other Users/owner/INBOX"')
    # \Deleted needs "t", which the user has not.  The RFC's example answers
    # "[PERMANENTFLAGS (\Seen \Answered \Flagged \*)]" without \Draft,
    # though "w" covers every flag but \Seen and \Deleted (4): ours has it.
    assert b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Seen \\Draft \\*)] " in out
    assert out.endswith(b"A142 OK [READ-WRITE] SELECT completed\r\n")
    assert alice(b'A143 MYRIGHTS "Other Users/owner/INBOX"') == lines(
        '* MYRIGHTS "Other Users/owner/INBOX" lrswi', "A143 OK Myrights complete"
    )
    assert same_rights("lrswi", "lrwis")
    # 5.1.1: "the client MAY pipeline SELECT and MYRIGHTS commands".
    pipelined = alice(
        b'A142 SELECT "Other Users/owner/INBOX"\r\nA143 MYRIGHTS "Other Users/owner/INBOX"'
    )
    assert pipelined.endswith(
        b"A142 OK [READ-WRITE] SELECT completed\r\n"
        b'* MYRIGHTS "Other Users/owner/INBOX" lrswi\r\nA143 OK Myrights complete\r\n'
    )


@pytest.mark.parametrize(
    ("rights", "code"),
    # RFC 4314 5.2 examples 1-3 ("lrs" is READ-ONLY there: its mailbox keeps \\Seen per user).
    # Every flag is shared here (one flag set per message), so "s" is a
    # "shared flag right" too: "lr" is what it takes to be READ-ONLY.
    [("lr", "READ-ONLY"), ("lrs", "READ-WRITE"), ("rit", "READ-WRITE"), ("rset", "READ-WRITE")],
)
def test_rfc4314_5_2_read_write_follows_the_rights(
    backend: MemoryBackend, server: IMAPServer, rights: str, code: str
) -> None:
    backend.account("owner").set_acl("INBOX", "alice", rights)
    alice = login(server, "alice")
    out = alice(b'a SELECT "Other Users/owner/INBOX"')
    assert out.endswith(f"a OK [{code}] SELECT completed\r\n".encode())


def test_rfc4314_6_no_lookup_right_looks_like_no_mailbox(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    owner = backend.account("owner")
    owner.create_mailbox("Secret")
    owner.set_acl("Secret", "alice", "r")  # "r" without "l"
    alice = login(server, "alice")
    name = b'"Other Users/owner/Secret"'
    missing = b'"Other Users/owner/Nothing"'
    for command in (b"GETACL", b"LISTRIGHTS", b"DELETEACL", b"STATUS"):
        args = {b"LISTRIGHTS": b" alice", b"DELETEACL": b" alice", b"STATUS": b" (MESSAGES)"}
        tail = args.get(command, b"")
        hidden = alice(b"a " + command + b" " + name + tail)
        absent = alice(b"a " + command + b" " + missing + tail)
        if command == b"STATUS":  # "r" is enough for STATUS
            assert hidden.startswith(b'* STATUS "Other Users/owner/Secret" (MESSAGES 0)')
            continue
        assert hidden == absent == lines("a NO [NONEXISTENT] Mailbox does not exist")
    assert alice(b'b LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX', "b OK LIST completed"
    )
    # With "l" the same commands say NOPERM instead.
    owner.set_acl("Secret", "alice", "lr")
    assert alice(b"c GETACL " + name) == lines("c NO [NOPERM] You may not administer this mailbox")


def test_rfc4314_4_list_without_lookup_on_the_parent(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    owner = backend.account("owner")
    for name in ("A", "A/B", "C", "C/D"):
        owner.create_mailbox(name)
    for name in ("A/B", "C", "C/D"):
        owner.set_acl(name, "alice", "lr")
    alice = login(server, "alice")
    # "the LIST command should behave as if the mailbox "A" doesn't exist".
    # The RFC's lines have \NoInferiors on A/B and C/D (that server allows no
    # children there) and "()" on C; ours allow children and say
    # \HasNoChildren / \HasChildren (RFC 5258 4, sent unasked).
    assert alice(b'A777 LIST "Other Users/owner/" *') == lines(
        '* LIST (\\HasNoChildren) "/" "Other Users/owner/A/B"',
        '* LIST (\\HasChildren) "/" "Other Users/owner/C"',
        '* LIST (\\HasNoChildren) "/" "Other Users/owner/C/D"',
        "A777 OK LIST completed",
    )
    # With "%" a level is listed, as one that is no mailbox (RFC 3501 6.3.8).
    assert alice(b'A778 LIST "Other Users/owner/" %') == lines(
        '* LIST (\\Noselect \\HasChildren) "/" "Other Users/owner/A"',
        '* LIST (\\HasChildren) "/" "Other Users/owner/C"',
        "A778 OK LIST completed",
    )
    assert alice(b'A779 SELECT "Other Users/owner/A"') == lines(
        "A779 NO [NONEXISTENT] Mailbox does not exist"
    )


# ------------------------------------------------------------ shared mailboxes end to end


def test_shared_mailbox_granted_read_and_revoked(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    alice_account = backend.account("alice")
    alice_account.create_mailbox("Shared")
    alice_account.append("Shared", MESSAGE, flags=("\\Flagged",), internal_date=DATE)
    alice = login(server, "alice")
    bob = login(server, "bob")
    assert bob(b'b1 LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX', "b1 OK LIST completed"
    )
    assert alice(b"a1 SETACL Shared bob lr") == lines("a1 OK Setacl complete")
    assert bob(b"b2 NAMESPACE") == lines(
        '* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL', "b2 OK NAMESPACE completed"
    )
    assert bob(b'b3 LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        '* LIST (\\Noselect \\HasChildren) "/" "Other Users"',
        '* LIST (\\Noselect \\HasChildren) "/" "Other Users/alice"',
        '* LIST (\\HasNoChildren) "/" "Other Users/alice/Shared"',
        "b3 OK LIST completed",
    )
    assert bob(b'b4 LIST "Other Users/" %') == lines(
        '* LIST (\\Noselect \\HasChildren) "/" "Other Users/alice"', "b4 OK LIST completed"
    )
    assert bob(b"b5 EXAMINE " + SHARED.encode()) == lines(
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* 1 EXISTS",
        "* 1 RECENT",
        "* OK [UNSEEN 1] First unseen: 1",
        "* OK [UIDVALIDITY 4] UIDs valid",
        "* OK [UIDNEXT 2] Predicted next UID",
        "* OK [PERMANENTFLAGS ()] Read-only mailbox",
        "b5 OK [READ-ONLY] EXAMINE completed",
    )
    assert bob(b"b6 SELECT " + SHARED.encode()).endswith(b"b6 OK [READ-ONLY] SELECT completed\r\n")
    assert bob(b"b7 FETCH 1 (FLAGS BODY[TEXT])") == lines(
        "* 1 FETCH (FLAGS (\\Flagged) BODY[TEXT] {7}", "Hello", ")", "b7 OK FETCH completed"
    )
    assert bob(b"b8 STORE 1 +FLAGS (\\Seen)") == lines("b8 NO [READ-ONLY] Mailbox is read-only")
    assert bob(b"b9 EXPUNGE") == lines("b9 NO [READ-ONLY] Mailbox is read-only")
    assert bob(b"b10 COPY 1 INBOX") == lines("b10 OK [COPYUID 2 1 1] COPY completed")
    assert bob(b"b11 APPEND " + SHARED.encode() + b" {5+}\r\nHello") == lines(
        "b11 NO [NOPERM] You may not append to this mailbox"
    )
    assert bob(b"b12 DELETE " + SHARED.encode()) == lines(
        "b12 NO [NOPERM] You may not delete this mailbox"
    )
    assert alice_account.status("Shared").messages == 1
    assert bob(b"b13 CLOSE") == lines("b13 OK CLOSE completed")
    # Alice revokes: Bob sees it no more, and it looks as if it never was.
    assert alice(b"a2 DELETEACL Shared bob") == lines("a2 OK Deleteacl complete")
    assert bob(b'b14 LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX', "b14 OK LIST completed"
    )
    assert bob(b"b15 SELECT " + SHARED.encode()) == lines(
        "b15 NO [NONEXISTENT] Mailbox does not exist"
    )
    assert bob(b"b16 MYRIGHTS " + SHARED.encode()) == lines(
        "b16 NO [NONEXISTENT] Mailbox does not exist"
    )


def test_anyone_and_negative_rights_combine(backend: MemoryBackend, server: IMAPServer) -> None:
    alice_account = backend.account("alice")
    alice_account.create_mailbox("Public")
    alice = login(server, "alice")
    bob = login(server, "bob")
    owner = login(server, "owner")
    public = b'"Other Users/alice/Public"'
    assert alice(b"a SETACL Public anyone lrs") == lines("a OK Setacl complete")
    assert alice(b"b SETACL Public -bob s") == lines("b OK Setacl complete")
    assert alice(b"c SETACL Public bob +i") == lines("c OK Setacl complete")
    assert bob(b"d MYRIGHTS " + public) == lines(
        '* MYRIGHTS "Other Users/alice/Public" lri', "d OK Myrights complete"
    )
    assert owner(b"e MYRIGHTS " + public) == lines(
        '* MYRIGHTS "Other Users/alice/Public" lrs', "e OK Myrights complete"
    )
    assert alice(b"f SETACL Public -anyone l") == lines("f OK Setacl complete")
    assert owner(b'g LIST "" *') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX', "g OK LIST completed"
    )
    assert alice(b"h GETACL Public") == lines(
        "* ACL Public anyone lrs -bob s bob i -anyone l", "h OK Getacl complete"
    )
    assert alice(b"i SETACL Public bob -i") == lines("i OK Setacl complete")
    assert alice(b"j GETACL Public") == lines(
        '* ACL Public anyone lrs -bob s bob "" -anyone l', "j OK Getacl complete"
    )


def test_list_myrights_rfc8440(backend: MemoryBackend, server: IMAPServer) -> None:
    alice_account = backend.account("alice")
    alice_account.create_mailbox("foo")
    alice_account.set_acl("foo", "bob", "lrs")
    bob = login(server, "bob")
    # RFC 8440 3: LIST before its MYRIGHTS; none for a level that is no mailbox.
    assert bob(b'A01 LIST "" * RETURN (MYRIGHTS)') == lines(
        '* LIST () "/" INBOX',
        "* MYRIGHTS INBOX lrswipkxtecda",
        '* LIST (\\Noselect) "/" "Other Users"',
        '* LIST (\\Noselect) "/" "Other Users/alice"',
        '* LIST () "/" "Other Users/alice/foo"',
        '* MYRIGHTS "Other Users/alice/foo" lrs',
        "A01 OK LIST completed",
    )
    assert bob(b'A02 LIST "" "Other Users/%" RETURN (MYRIGHTS)') == lines(
        '* LIST (\\Noselect) "/" "Other Users/alice"', "A02 OK LIST completed"
    )
    assert bob(b'A03 LIST "" (INBOX bar) RETURN (MYRIGHTS CHILDREN)') == lines(
        '* LIST (\\HasNoChildren) "/" INBOX',
        "* MYRIGHTS INBOX lrswipkxtecda",
        "A03 OK LIST completed",
    )


def test_create_inherits_delete_drops_rename_keeps_the_acl(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    alice_account = backend.account("alice")
    alice_account.create_mailbox("Team")
    alice_account.set_acl("Team", "bob", "lrk")
    alice = login(server, "alice")
    bob = login(server, "bob")
    assert alice(b"a CREATE Team/Notes") == lines("a OK CREATE completed")
    assert dict(alice_account.get_acl("Team/Notes")) == {"bob": "lrk"}
    # "k" on the parent lets bob create under it (RFC 4314 4 CREATE).
    assert bob(b'b CREATE "Other Users/alice/Team/Plans"') == lines("b OK CREATE completed")
    assert dict(alice_account.get_acl("Team/Plans")) == {"bob": "lrk"}
    assert bob(b'c CREATE "Other Users/alice/Top"') == lines(
        "c NO [NOPERM] You may not create mailboxes there"
    )
    assert bob(b'd CREATE "Other Users/mine"') == lines(
        "d NO [NOPERM] You may not create mailboxes there"
    )
    # The same words whether the user or the parent exists or not (RFC 4314 6).
    alice_account.create_mailbox("Hidden")
    for name in (b"Other Users/carol/X", b"Other Users/alice/Hidden/X", b"Other Users/alice/X"):
        assert bob(b'd CREATE "' + name + b'"') == lines(
            "d NO [NOPERM] You may not create mailboxes there"
        )
    assert alice(b"e RENAME Team/Notes Team/Minutes") == lines("e OK RENAME completed")
    assert dict(alice_account.get_acl("Team/Minutes")) == {"bob": "lrk"}
    assert alice(b"f DELETE Team/Minutes") == lines("f OK DELETE completed")
    assert alice(b"g CREATE Team/Minutes") == lines("g OK CREATE completed")
    alice_account.set_acl("Team", "bob", None)
    alice(b"h DELETE Team/Minutes")
    assert alice(b"i CREATE Team/Minutes") == lines("i OK CREATE completed")
    assert dict(alice_account.get_acl("Team/Minutes")) == {}
    # Nobody names a personal mailbox into the Other Users namespace.
    assert alice(b'j CREATE "Other Users"') == lines(
        "j NO [NOPERM] You may not create mailboxes there"
    )
    assert bob(b'k RENAME "Other Users/alice/Team/Plans" Mine') == lines(
        "k NO [CANNOT] Mailboxes cannot move between users"
    )


def test_append_and_move_between_users(backend: MemoryBackend, server: IMAPServer) -> None:
    alice_account = backend.account("alice")
    alice_account.create_mailbox("Drop")
    alice_account.set_acl("Drop", "bob", "li")  # insert only: no flags survive
    bob_account = backend.account("bob")
    bob_account.append("INBOX", MESSAGE, flags=("\\Seen", "$Label"), internal_date=DATE)
    bob = login(server, "bob")
    drop = b'"Other Users/alice/Drop"'
    assert bob(b"a APPEND " + drop + b" (\\Flagged) {27+}\r\n" + MESSAGE) == lines(
        "a OK [APPENDUID 4 1] APPEND completed"
    )
    bob(b"b SELECT INBOX")
    assert bob(b"c MOVE 1 " + drop) == lines(
        "* OK [COPYUID 4 1 2] Moved", "* 1 EXPUNGE", "c OK MOVE completed"
    )
    assert [m.flags for m in alice_account.select("Drop").messages()] == [frozenset()] * 2
    assert alice_account.select("Drop").message_bytes(2) == MESSAGE
    # Bob may not read it, so STATUS and SELECT say NOPERM ("l" is his).
    assert bob(b"d STATUS " + drop + b" (MESSAGES)") == lines(
        "d NO [NOPERM] You may not read this mailbox"
    )


def test_identifier_is_prepared_and_must_not_be_empty(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    alice = login(server, "alice")
    assert alice(b'a SETACL INBOX "" lr') == lines("a BAD Empty identifier")
    # SASLprep (RFC 4314 3): the soft hyphen maps to nothing.
    assert alice(b"b SETACL INBOX {4+}\r\nb\xc2\xadb lr") == lines("b OK Setacl complete")
    assert dict(backend.account("alice").get_acl("INBOX")) == {"bb": "lr"}


def test_rights_text_round_trip() -> None:
    assert format_rights(parse_rights("cd")) == "kxtecd"
    assert format_rights(parse_rights("")) == ""
    assert format_rights(parse_rights("lrswipkxtea")) == "lrswipkxtecda"


def test_acl_is_advertised_only_with_a_backend_that_keeps_acls(server: IMAPServer) -> None:
    alice = login(server, "alice")
    assert b" ACL RIGHTS=texk LIST-MYRIGHTS " in alice(b"a CAPABILITY")
    plain = Session(IMAPServer(PlainBackend(), clock=fixed_clock()))
    capabilities = plain(b"a CAPABILITY")
    assert b"ACL" not in capabilities and b"RIGHTS=" not in capabilities
    assert plain(b"b MYRIGHTS INBOX") == lines("b BAD [CANNOT] ACL is not supported")
    # RFC 5258 3: a return option the server does not support is BAD.
    assert plain(b'd LIST "" % RETURN (MYRIGHTS)') == lines(
        "d BAD [CLIENTBUG] LIST return option MYRIGHTS is not supported"
    )
    assert plain(b"c NAMESPACE") == lines(
        '* NAMESPACE (("" "/")) NIL NIL', "c OK NAMESPACE completed"
    )
    assert isinstance(MemoryBackend(users={"x": "y"}).account("x"), AclAccount)


def test_maildir_keeps_acls_in_dovecot_acl_files(tmp_path: Path) -> None:
    from imap_sansio.adapters.maildir import MaildirBackend

    backend = MaildirBackend(tmp_path, users={"alice": "a", "bob": "b"}, fsync=False)
    server = IMAPServer(backend, clock=fixed_clock())
    alice = login(server, "alice")
    bob = login(server, "bob")
    assert alice(b"a CREATE Shared") == lines("a OK CREATE completed")
    assert alice(b"b SETACL Shared bob lr") == lines("b OK Setacl complete")
    assert alice(b"c SETACL Shared -anyone w") == lines("c OK Setacl complete")
    # Dovecot's vfile words, in the maildir of the folder.
    assert (tmp_path / "alice" / ".Shared" / "dovecot-acl").read_bytes() == (
        b"user=bob lr\n-anyone w\n"
    )
    assert bob(b'd LIST "" "Other Users/*"') == lines(
        '* LIST (\\Noselect \\HasChildren) "/" "Other Users/alice"',
        '* LIST (\\HasNoChildren) "/" "Other Users/alice/Shared"',
        "d OK LIST completed",
    )
    assert bob(b"e SELECT " + SHARED.encode()).endswith(b"e OK [READ-ONLY] SELECT completed\r\n")
    assert alice(b"f RENAME Shared Team") == lines("f OK RENAME completed")
    assert (tmp_path / "alice" / ".Team" / "dovecot-acl").exists()
    # A file Dovecot wrote: "authenticated" is anyone, "owner" (every right
    # here anyway) is no identifier a user called "owner" could match.
    (tmp_path / "alice" / ".Team" / "dovecot-acl").write_bytes(
        b"owner lrwstipekxa\nuser=bob lr\nauthenticated l\n-user=bob r\n"
    )
    assert alice(b"f2 GETACL Team") == lines(
        "* ACL Team bob lr anyone l -bob r", "f2 OK Getacl complete"
    )
    assert alice(b"g DELETEACL Team bob") == lines("g OK Deleteacl complete")
    assert alice(b"g2 DELETEACL Team anyone") == lines("g2 OK Deleteacl complete")
    assert bob(b'h LIST "" "Other Users/*"') == lines("h OK LIST completed")


def test_idle_on_a_shared_mailbox_hears_its_owner_over_a_socket() -> None:
    # The adapters file a session under the owner of its selected mailbox
    # (SharedMailbox.origin), so the owner's change notice wakes it.
    from _adapter_harness import Client, running_server

    backend = MemoryBackend(users={"alice": "a", "bob": "b"})
    backend.account("alice").create_mailbox("Shared")
    backend.account("alice").set_acl("Shared", "bob", "lr")
    server = IMAPServer(backend, clock=fixed_clock(), allow_plaintext_auth=True)
    with running_server("threads", server) as running, Client(running.port) as bob:
        bob.line()
        bob.command(b"l", b"LOGIN bob b")
        assert bob.command(b"s", b"EXAMINE " + SHARED.encode())[-1].startswith(b"s OK")
        bob.send(b"i IDLE\r\n")
        assert bob.line() == b"+ idling\r\n"
        backend.account("alice").append("Shared", MESSAGE, internal_date=DATE)
        assert bob.line(timeout=2) == b"* 1 EXISTS\r\n"
        bob.send(b"DONE\r\n")
        assert bob.until_tagged(b"i")[-1] == b"i OK IDLE terminated\r\n"


_BOB_COMMANDS = [
    b"SELECT " + SHARED.encode(),
    b"EXAMINE " + SHARED.encode(),
    b"SELECT INBOX",
    b"STORE 1:* +FLAGS (\\Seen)",
    b"STORE 1:* -FLAGS (\\Seen \\Flagged)",
    b"STORE 1:* FLAGS (\\Deleted $x)",
    b"STORE 1 +FLAGS.SILENT (\\Answered \\Deleted)",
    b"FETCH 1:* (FLAGS BODY[])",
    b"EXPUNGE",
    b"UID EXPUNGE 1:*",
    b"CLOSE",
    b"COPY 1:* " + SHARED.encode(),
    b"MOVE 1 " + SHARED.encode(),
    b"COPY 1:* INBOX",
    b"MOVE 1:* INBOX",
    b"APPEND " + SHARED.encode() + b" (\\Seen \\Deleted $y) {5+}\r\nHello",
    b"CREATE " + SHARED.encode()[:-1] + b'/sub"',
    b"DELETE " + SHARED.encode(),
    b"RENAME " + SHARED.encode() + b' "Other Users/alice/Moved"',
    b"STATUS " + SHARED.encode() + b" (MESSAGES UNSEEN)",
    b'LIST "" * RETURN (MYRIGHTS STATUS (MESSAGES))',
    b"GETACL " + SHARED.encode(),
    b"MYRIGHTS " + SHARED.encode(),
    b"SETACL " + SHARED.encode() + b" bob +a",
]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sets(st.sampled_from("lrswiktex")).map("".join),
    st.lists(st.sampled_from(_BOB_COMMANDS), min_size=1, max_size=10),
)
def test_a_user_changes_a_shared_mailbox_only_as_the_rights_allow(
    rights: str, commands: list[bytes]
) -> None:
    backend = MemoryBackend(users={"alice": "a", "bob": "b"})
    alice = backend.account("alice")
    alice.create_mailbox("Shared")
    for flags in ((), ("\\Seen",), ("\\Deleted", "$x"), ("\\Flagged",)):
        alice.append("Shared", MESSAGE, flags=flags, internal_date=DATE)
    backend.account("bob").append("INBOX", MESSAGE, flags=("\\Seen",), internal_date=DATE)
    alice.set_acl("Shared", "bob", rights)
    before = {m.uid: m.flags for m in alice.select("Shared").messages()}
    errors: list[BaseException] = []
    server = IMAPServer(backend, clock=fixed_clock(), on_error=errors.append)
    bob = login(server, "bob")
    for i, command in enumerate(commands):
        out = bob(b"t%d " % i + command)
        assert b"SERVERBUG" not in out and out.endswith(b"\r\n"), (command, out)
        assert b"\r\nt%d " % i in b"\r\n" + out, (command, out)
    assert errors == []
    names = {info.name for info in alice.list_mailboxes() if info.selectable}
    if "x" not in rights:
        assert "Shared" in names
    if "Shared" not in names:
        return  # deleted or renamed away with "x"
    assert ("Shared/sub" in names) <= ("k" in rights)
    after = {m.uid: m.flags for m in alice.select("Shared").messages()}
    if "i" not in rights:
        assert set(after) <= set(before)
    if "e" not in rights:
        assert set(before) <= set(after)
    for uid in set(before) & set(after):
        changed = before[uid] ^ after[uid]
        if "s" not in rights:
            assert "\\Seen" not in changed
        if "t" not in rights:
            assert "\\Deleted" not in changed
        if "w" not in rights:
            assert changed <= {"\\Seen", "\\Deleted"}
    for uid in set(after) - set(before):
        if "w" not in rights:
            assert after[uid] <= {"\\Seen", "\\Deleted"}
    # Without "a" the ACL stays as it was (RFC 4314 4: SETACL needs "a").
    assert dict(alice.get_acl("Shared")) == {"bob": rights}


def test_postgres_shares_a_mailbox_between_accounts(postgres_dsn: str) -> None:
    from argon2 import PasswordHasher
    from imap_sansio.adapters import PostgresBackend

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with PostgresBackend(postgres_dsn, password_hasher=hasher, listen=False) as backend:
        backend.add_user("alice", "a")
        backend.add_user("bob", "b")
        server = IMAPServer(backend, clock=fixed_clock())
        alice = login(server, "alice")
        bob = login(server, "bob")
        assert alice(b"a CREATE Shared") == lines("a OK CREATE completed")
        assert alice(b"b APPEND Shared (\\Flagged) {27+}\r\n" + MESSAGE).startswith(b"b OK")
        assert alice(b"c SETACL Shared bob lrs") == lines("c OK Setacl complete")
        assert bob(b'd LIST "" "Other Users/alice/*" RETURN (MYRIGHTS)') == lines(
            '* LIST () "/" "Other Users/alice/Shared"',
            '* MYRIGHTS "Other Users/alice/Shared" lrs',
            "d OK LIST completed",
        )
        assert bob(b"e SELECT " + SHARED.encode()).endswith(
            b"e OK [READ-WRITE] SELECT completed\r\n"
        )
        assert bob(b"f STORE 1 FLAGS (\\Seen)") == lines(
            "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))", "f OK STORE completed"
        )
        assert bob(b"g EXPUNGE") == lines("g NO [NOPERM] You may not expunge this mailbox")
        assert bob(b"g2 CLOSE") == lines("g2 OK CLOSE completed")
        assert alice(b"h RENAME Shared Team") == lines("h OK RENAME completed")
        assert alice(b"i GETACL Team") == lines("* ACL Team bob lrs", "i OK Getacl complete")
        assert alice(b"j DELETE Team") == lines("j OK DELETE completed")
        assert alice(b"k CREATE Team") == lines("k OK CREATE completed")
        assert alice(b"l GETACL Team") == lines("* ACL Team", "l OK Getacl complete")
        assert bob(b'm LIST "" "Other Users/*"') == lines("m OK LIST completed")


def test_imapclient_shares_a_folder_between_two_users() -> None:
    # A real client library over a socket: its ACL calls, NAMESPACE and the
    # folder list it reads back.
    import imapclient
    from _adapter_harness import running_server

    backend = MemoryBackend(users={"alice": "a", "bob": "b"})
    backend.account("alice").create_mailbox("Shared")
    backend.account("alice").append("Shared", MESSAGE, internal_date=DATE)
    server = IMAPServer(backend, clock=fixed_clock(), allow_plaintext_auth=True)
    with running_server("threads", server) as running:
        alice = imapclient.IMAPClient("127.0.0.1", port=running.port, ssl=False, timeout=10)
        bob = imapclient.IMAPClient("127.0.0.1", port=running.port, ssl=False, timeout=10)
        try:
            alice.login("alice", "a")
            bob.login("bob", "b")
            assert b"ACL" in alice.capabilities()
            alice.setacl("Shared", "bob", "lr")
            assert alice.getacl("Shared") == [(b"bob", b"lr")]
            namespace = bob.namespace()
            assert namespace.other == (("Other Users/", "/"),)
            folders = [name for _, _, name in bob.list_folders("Other Users/", "*")]
            assert folders == ["Other Users/alice", "Other Users/alice/Shared"]
            assert bob.select_folder("Other Users/alice/Shared", readonly=True)[b"EXISTS"] == 1
            assert bob.fetch([1], ["BODY.PEEK[TEXT]"])[1][b"BODY[TEXT]"] == b"Hello\r\n"
            with pytest.raises(imapclient.exceptions.IMAPClientError, match=r"READ-ONLY|NOPERM"):
                bob.add_flags([1], [b"\\Seen"])
            alice.setacl("Shared", "bob", "-lr")
            assert bob.list_folders("Other Users/", "*") == []
        finally:
            alice.logout()
            bob.logout()


def test_notify_personal_leaves_out_other_users_mailboxes(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    alice_account = backend.account("alice")
    alice_account.create_mailbox("Shared")
    alice_account.set_acl("Shared", "bob", "lr")
    bob = login(server, "bob")
    uidvalidity = backend.account("bob").status("INBOX").uidvalidity
    # RFC 5465 6.4: "personal" is the personal namespace (RFC 2342), not
    # the Other Users one.
    assert bob(b"n NOTIFY SET STATUS (personal (MessageNew MessageExpunge))") == lines(
        f"* STATUS INBOX (UIDVALIDITY {uidvalidity} UIDNEXT 1 MESSAGES 0)",
        "n OK NOTIFY completed",
    )


def test_esearch_in_personal_leaves_out_other_users_and_skips_unreadable(
    backend: MemoryBackend, server: IMAPServer
) -> None:
    alice_account = backend.account("alice")
    for name in ("Listed", "Readable"):
        alice_account.create_mailbox(name)
        alice_account.append(name, MESSAGE, internal_date=DATE)
    alice_account.set_acl("Listed", "bob", "l")
    alice_account.set_acl("Readable", "bob", "lr")
    backend.account("bob").append("INBOX", MESSAGE, internal_date=DATE)
    bob = login(server, "bob")
    # RFC 7377 2.2: "personal" is the personal namespace.
    assert bob(b"a ESEARCH IN (personal) ALL") == lines(
        '* ESEARCH (TAG "a" MAILBOX "INBOX" UIDVALIDITY '
        + str(backend.account("bob").status("INBOX").uidvalidity)
        + ") UID ALL 1",
        "a OK ESEARCH completed",
    )
    # Named: the one bob may only see ("l") is skipped, not an error.
    out = bob(
        b'b ESEARCH IN (mailboxes ("Other Users/alice/Listed" "Other Users/alice/Readable")) ALL'
    )
    assert out.endswith(b"b OK ESEARCH completed\r\n")
    assert b'"Other Users/alice/Readable"' in out and b"Listed" not in out


def test_objectid_and_savedate_follow_a_shared_mailbox_to_its_owner() -> None:
    backend = MemoryBackend(users={"alice": "a", "bob": "b"}, object_ids=True)
    alice_account = backend.account("alice")
    alice_account.create_mailbox("Shared")
    alice_account.set_acl("Shared", "bob", "lr")
    mailbox_id = alice_account.mailbox_id("Shared")  # type: ignore[attr-defined]
    bob = login(IMAPServer(backend, clock=fixed_clock()), "bob")
    # RFC 8474 4.2: MAILBOXID after SELECT, the owner's mailbox's.
    out = bob(b"s SELECT " + SHARED.encode())
    assert f"* OK [MAILBOXID ({mailbox_id})] Mailbox ID\r\n".encode() in out
    assert bob(b"t STATUS " + SHARED.encode() + b" (MAILBOXID)") == lines(
        f'* STATUS "Other Users/alice/Shared" (MAILBOXID ({mailbox_id}))', "t OK STATUS completed"
    )
