"""METADATA (RFC 5464): GETMETADATA and SETMETADATA over MemoryBackend.

The examples of RFC 5464 4.2-4.4 as transcripts, byte for byte (the RFC
wraps long lines "to promote readability", section 2: here they are one
line; the tagged response texts are the RFC's).  The state each example
reads is made with SETMETADATA first, or through the backend for the
server's shared entries, which clients may not set here.  The 4.3 literal
example counts 33 octets: "two lines." and the ")" after it are on one line
on the wire.

Deviations, each a free server choice: the continuation reads "+ Ready for
literal data" (the RFC's "+ ready for data"); entries come in name order
(4.2.2 lists ``/private/filters/values/small`` before ``.../boss``); the two
entries of 4.4.1's last example come in one METADATA response, which the
RFC allows ("the server is free to return multiple responses"); NOOP's OK
reads "NOOP completed" (4.4.2's "NOOP complete").  4.4.1 writes two entries
without parentheses (``GETMETADATA "INBOX" /private/comment
/shared/comment``), which section 5's ``entries`` does not allow; the server
reads it as the list the RFC means.
"""

from __future__ import annotations

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend, MetadataLimits
from imap_sansio.testing import fixed_clock, play

LOGIN = """
    C: a1 LOGIN alice secret
    S: a1 OK $ANY
"""


def make_server(**limits: int) -> tuple[IMAPServer, MemoryBackend]:
    backend = MemoryBackend(users={"alice": "secret", "bob": "secret"})
    server = IMAPServer(backend, clock=fixed_clock())
    if limits:
        server.metadata_limits = MetadataLimits(**limits)
    return server, backend


def test_metadata_is_advertised_after_login() -> None:
    server, _ = make_server()
    play(server, "C: a1 LOGIN alice secret\nS: a1 OK [CAPABILITY $ANY METADATA$ANY] $ANY")


def test_rfc5464_4_2_server_annotation() -> None:
    server, backend = make_server()
    # Server /shared entries are the operator's (set through the backend).
    backend.account("alice").set_metadata(
        "", {"/shared/comment": b"Shared comment"}, max_entries=10
    )
    play(
        server,
        LOGIN
        + """
        C: a GETMETADATA "" /shared/comment
        S: * METADATA "" (/shared/comment "Shared comment")
        S: a OK GETMETADATA complete
        """,
    )


def test_rfc5464_4_2_mailbox_annotations() -> None:
    server, _ = make_server()
    play(
        server,
        LOGIN
        + """
        C: s1 SETMETADATA INBOX (/private/comment "My own comment")
        S: s1 OK SETMETADATA complete
        C: s2 SETMETADATA INBOX (/shared/comment "Shared comment")
        S: s2 OK SETMETADATA complete
        C: a GETMETADATA "INBOX" /private/comment
        S: * METADATA "INBOX" (/private/comment "My own comment")
        S: a OK GETMETADATA complete
        C: a GETMETADATA "INBOX" (/shared/comment /private/comment)
        S: * METADATA "INBOX" (/shared/comment "Shared comment" /private/comment "My own comment")
        S: a OK GETMETADATA complete
        """,
    )


def test_rfc5464_4_2_1_maxsize() -> None:
    server, _ = make_server()
    long_value = "x" * 2199
    play(
        server,
        LOGIN
        + f"""
        C: s1 SETMETADATA INBOX (/private/comment "My own comment")
        S: s1 OK SETMETADATA complete
        C: s2 SETMETADATA INBOX (/shared/comment {{2199}}
        S: + $ANY
        C: {long_value})
        S: s2 OK SETMETADATA complete
        C: a GETMETADATA "INBOX" (MAXSIZE 1024) (/shared/comment /private/comment)
        S: * METADATA "INBOX" (/private/comment "My own comment")
        S: a OK [METADATA LONGENTRIES 2199] GETMETADATA complete
        """,
    )


def test_rfc5464_4_2_2_depth() -> None:
    server, _ = make_server()
    play(
        server,
        LOGIN
        + r"""
        C: s1 SETMETADATA INBOX (/private/filters/values/small "SMALLER 5000" /private/filters/values/boss "FROM \"boss@example.com\"")
        S: s1 OK SETMETADATA complete
        C: s2 SETMETADATA INBOX (/private/filters/values/boss/deeper "x" /private/filters "y")
        S: s2 OK SETMETADATA complete
        C: a GETMETADATA "INBOX" (DEPTH 1) (/private/filters/values)
        S: * METADATA "INBOX" (/private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/small "SMALLER 5000")
        S: a OK GETMETADATA complete
        C: b GETMETADATA "INBOX" (DEPTH infinity) (/private/filters/values)
        S: * METADATA "INBOX" (/private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/boss/deeper "x" /private/filters/values/small "SMALLER 5000")
        S: b OK GETMETADATA complete
        C: c GETMETADATA "INBOX" (DEPTH 0) (/private/filters/values)
        S: c OK GETMETADATA complete
        """,  # noqa: E501
    )


def test_rfc5464_4_3_setmetadata_examples() -> None:
    server, _ = make_server()
    play(
        server,
        LOGIN
        + """
        C: a SETMETADATA INBOX (/private/comment {33}
        S: + Ready for literal data
        C: My new comment across
        C: two lines.)
        S: a OK SETMETADATA complete
        C: g GETMETADATA INBOX /private/comment
        S: * METADATA "INBOX" (/private/comment {33}
        S: My new comment across
        S: two lines.)
        S: g OK GETMETADATA complete
        C: a SETMETADATA INBOX (/private/comment NIL)
        S: a OK SETMETADATA complete
        C: g GETMETADATA INBOX /private/comment
        S: g OK GETMETADATA complete
        C: a SETMETADATA INBOX (/private/comment "My new comment" /shared/comment "This one is for you!")
        S: a OK SETMETADATA complete
        C: g GETMETADATA INBOX (/private/comment /shared/comment)
        S: * METADATA "INBOX" (/private/comment "My new comment" /shared/comment "This one is for you!")
        S: g OK GETMETADATA complete
        """,  # noqa: E501
    )


def test_rfc5464_4_3_toomany_changes_nothing() -> None:
    server, _ = make_server(max_entries=10)
    fill = " ".join(f'/private/e{i} "v"' for i in range(10))
    play(
        server,
        LOGIN
        + f"""
        C: f SETMETADATA INBOX ({fill})
        S: f OK SETMETADATA complete
        C: a SETMETADATA INBOX (/private/comment "My new comment")
        S: a NO [METADATA TOOMANY] SETMETADATA failed
        # 4.3: when one entry fails, no other changes.
        C: b SETMETADATA INBOX (/private/e0 NIL /private/new1 "a" /private/new2 "b")
        S: b NO [METADATA TOOMANY] SETMETADATA failed
        C: g GETMETADATA INBOX /private/e0
        S: * METADATA "INBOX" (/private/e0 "v")
        S: g OK GETMETADATA complete
        # Replacing a value or removing entries is fine at the limit.
        C: c SETMETADATA INBOX (/private/e0 "w" /private/e1 NIL)
        S: c OK SETMETADATA complete
        """,
    )


def test_rfc5464_4_3_maxsize_refused() -> None:
    server, _ = make_server(max_size=1024)
    value = "y" * 1025
    play(
        server,
        LOGIN
        + f"""
        C: a SETMETADATA INBOX (/private/comment {{1025}}
        S: + $ANY
        C: {value} /private/other "fine")
        S: a NO [METADATA MAXSIZE 1024] SETMETADATA failed
        C: g GETMETADATA INBOX (/private/comment /private/other)
        S: g OK GETMETADATA complete
        """,
    )


def test_rfc5464_4_4_1_two_entries_in_one_response() -> None:
    server, backend = make_server()
    backend.account("alice").set_metadata("", {"/shared/comment": b"My comment"}, max_entries=10)
    play(
        server,
        LOGIN
        + """
        C: a GETMETADATA "" /shared/comment
        S: * METADATA "" (/shared/comment "My comment")
        S: a OK GETMETADATA complete
        C: s SETMETADATA INBOX (/private/comment "My comment" /shared/comment "Its sunny outside!")
        S: s OK SETMETADATA complete
        C: a GETMETADATA "INBOX" /private/comment /shared/comment
        S: * METADATA "INBOX" (/private/comment "My comment" /shared/comment "Its sunny outside!")
        S: a OK GETMETADATA complete
        """,
    )


def test_private_entries_are_per_user_shared_server_entries_for_all() -> None:
    server, backend = make_server()
    backend.account("alice").set_metadata(
        "", {"/shared/admin": b"mailto:ops@example.com"}, max_entries=10
    )
    play(
        server,
        """
        C1: a LOGIN alice secret
        S1: a OK $ANY
        C2: b LOGIN bob secret
        S2: b OK $ANY
        C1: a SETMETADATA "" (/private/vendor/x/theme "dark")
        S1: a OK SETMETADATA complete
        C2: b GETMETADATA "" (DEPTH infinity) (/private/vendor /shared/admin)
        S2: * METADATA "" (/shared/admin "mailto:ops@example.com")
        S2: b OK GETMETADATA complete
        C1: a GETMETADATA "" (DEPTH infinity) (/private/vendor /shared/admin)
        S1: * METADATA "" (/private/vendor/x/theme "dark" /shared/admin "mailto:ops@example.com")
        S1: a OK GETMETADATA complete
        # 3.2.1.1: /shared/admin is read-only; server /shared entries are the operator's.
        C2: b SETMETADATA "" (/shared/admin "mailto:me@example.com")
        S2: b NO [NOPERM] Server annotations are read-only
        """,
    )


def test_entry_names_are_case_insensitive() -> None:
    server, _ = make_server()
    play(
        server,
        LOGIN
        + """
        C: a SETMETADATA INBOX (/Private/Comment "c")
        S: a OK SETMETADATA complete
        C: b GETMETADATA INBOX /PRIVATE/COMMENT
        S: * METADATA "INBOX" (/private/comment "c")
        S: b OK GETMETADATA complete
        """,
    )


@pytest.mark.parametrize(
    "entry",
    ["/private/a*", "/private/a%", "/private//a", "/private/a/", "/other/a", "/private", "comment"],
)
def test_invalid_entry_names_are_bad(entry: str) -> None:
    # RFC 5464 3.2: "Invalid entry names result in a BAD response".
    server, _ = make_server()
    play(
        server,
        LOGIN
        + f"""
        C: a GETMETADATA INBOX "{entry}"
        S: a BAD $ANY
        C: b SETMETADATA INBOX ("{entry}" "v")
        S: b BAD $ANY
        """,
    )


def test_unknown_mailbox_is_no() -> None:
    server, _ = make_server()
    play(
        server,
        LOGIN
        + """
        C: a GETMETADATA "nosuch" /private/comment
        S: a NO [NONEXISTENT] $ANY
        C: b SETMETADATA "nosuch" (/private/comment "x")
        S: b NO [NONEXISTENT] $ANY
        """,
    )


def test_annotations_follow_rename_and_go_with_delete() -> None:
    # RFC 5464 4.1: SHOULD move on RENAME, be copied on RENAME INBOX, and
    # be deleted with the mailbox.
    server, _ = make_server()
    play(
        server,
        LOGIN
        + """
        C: c CREATE a/b
        S: c OK $ANY
        C: s SETMETADATA a/b (/shared/comment "b")
        S: s OK SETMETADATA complete
        C: s SETMETADATA a (/shared/comment "a")
        S: s OK SETMETADATA complete
        C: r RENAME a z
        S: r OK $ANY
        C: g GETMETADATA z/b /shared/comment
        S: * METADATA "z/b" (/shared/comment "b")
        S: g OK GETMETADATA complete
        C: g GETMETADATA z /shared/comment
        S: * METADATA "z" (/shared/comment "a")
        S: g OK GETMETADATA complete
        C: g GETMETADATA a/b /shared/comment
        S: g NO [NONEXISTENT] $ANY
        C: d DELETE z/b
        S: d OK $ANY
        C: c CREATE z/b
        S: c OK $ANY
        C: g GETMETADATA z/b /shared/comment
        S: g OK GETMETADATA complete
        C: s SETMETADATA INBOX (/private/comment "inbox")
        S: s OK SETMETADATA complete
        C: r RENAME INBOX old-inbox
        S: r OK $ANY
        C: g GETMETADATA old-inbox /private/comment
        S: * METADATA "old-inbox" (/private/comment "inbox")
        S: g OK GETMETADATA complete
        C: g GETMETADATA INBOX /private/comment
        S: * METADATA "INBOX" (/private/comment "inbox")
        S: g OK GETMETADATA complete
        """,
    )


def test_binary_values_round_trip_as_literal8() -> None:
    server, _ = make_server()
    play(
        server,
        LOGIN
        + """
        C: a SETMETADATA INBOX (/private/bin ~{3}
        S: + $ANY
        C: a\x00b)
        S: a OK SETMETADATA complete
        C: b GETMETADATA INBOX /private/bin
        S: * METADATA "INBOX" (/private/bin ~{3}
        S: a\x00b)
        S: b OK GETMETADATA complete
        """,
    )


def test_rfc5464_4_4_2_unsolicited_names_after_enable_metadata() -> None:
    # RFC 5464 4.4: after ENABLE METADATA "servers MUST send unsolicited
    # METADATA responses if server or mailbox annotations are changed by a
    # third-party", entry names only (4.4.2).  Its two examples:
    #   C: a NOOP / S: * METADATA "" /shared/comment / S: a OK NOOP complete
    #   C: a NOOP / S: * METADATA "INBOX" /shared/comment /private/comment
    server, backend = make_server()
    play(
        server,
        LOGIN
        + """
        C: n NOOP
        S: n OK NOOP completed
        C: e ENABLE METADATA
        S: * ENABLED METADATA
        S: e OK ENABLE completed
        C2: l LOGIN alice secret
        S2: l OK $ANY
        C2: s SETMETADATA INBOX (/shared/comment "Shared" /private/comment "Mine")
        S2: s OK SETMETADATA complete
        C: a NOOP
        S: * METADATA "INBOX" /shared/comment /private/comment
        S: a OK NOOP completed
        # Its own change is not told back (4.4: "by a third-party").
        C: s SETMETADATA INBOX (/shared/comment "Changed")
        S: s OK SETMETADATA complete
        C: a NOOP
        S: a OK NOOP completed
        """,
    )
    # The server's /shared entries are the operator's (set through the store).
    session = server.connect()
    session.receive_data(b"l LOGIN alice secret\r\ne ENABLE METADATA\r\n")
    assert session.data_to_send().endswith(b"* ENABLED METADATA\r\ne OK ENABLE completed\r\n")
    backend.account("alice").set_metadata("", {"/shared/comment": b"x"}, max_entries=10)
    session.receive_data(b"a NOOP\r\n")
    assert session.data_to_send() == b'* METADATA "" /shared/comment\r\na OK NOOP completed\r\n'


def test_without_enable_metadata_no_unsolicited_metadata() -> None:
    # RFC 5464 3.3: "MUST only send unsolicited responses if the client used
    # the ENABLE command"; METADATA-SERVER is not advertised here (METADATA
    # is), so ENABLE ignores it (RFC 5161 3.1).
    server, _ = make_server()
    play(
        server,
        LOGIN
        + """
        C: e ENABLE METADATA-SERVER
        S: * ENABLED
        S: e OK ENABLE completed
        C2: l LOGIN alice secret
        S2: l OK $ANY
        C2: s SETMETADATA INBOX (/shared/comment "Shared")
        S2: s OK SETMETADATA complete
        C: a NOOP
        S: a OK NOOP completed
        """,
    )
