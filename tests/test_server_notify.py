r"""NOTIFY (RFC 5465): the grammar, the RFC's examples as exact-byte
transcripts, every event and mailbox filter, IDLE, overflow, and a change
made by another connection reaching a NOTIFY session over a socket.

Transcripts drive pure ``server.connect()`` sessions: ``P1:`` is what an
adapter does when the backend announces a change (``Session.poll``), so a
line after it is sent without any command from the client.

Where the RFC's example text differs from what a server may send, the
transcript says why: the example of 3.1 writes event lists without the
parentheses that section 8's grammar requires (``events = ( "(" event *(SP
event) ")" ) / "NONE"``), and 3.1's ``(subtree Lists MessageNew)`` also lacks
the MessageExpunge that section 5 makes a BAD ("If one of MessageNew or
MessageExpunge is specified, then both events MUST be specified"); this server
writes ``\HasChildren``/``\HasNoChildren`` on the LIST of 5.4 (which it
SHOULD), an atom name without quotes, and FETCH items in its own order.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _adapter_harness import Client, running_server
from hypothesis import given, settings
from hypothesis import strategies as st
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.cli import wall_clock
from test_adapters_maildir_watch import _backend as maildir_backend
from test_adapters_maildir_watch import _deliver as deliver
from test_server_mailbox_hierarchy import PlainBackend

from imap_sansio._commands import (
    FetchAttribute,
    FetchBody,
    Notify,
    NotifyEvent,
    NotifyGroup,
    Section,
)
from imap_sansio._config import Config, Limits
from imap_sansio._parser import parse_command
from imap_sansio.server import IMAPServer, MemoryBackend, Session
from imap_sansio.server import _notify as notify_module
from imap_sansio.testing import fixed_clock, play
from imap_sansio.testing.strategies import encode_command, notify_groups, tags

_LOGIN = """
    C1: a1 LOGIN bob alice
    S1: a1 OK $ANY
"""
_SUPPORTED = "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)"
_RFC_3_1_AS_PRINTED = (
    "b notify set status (selected MessageNew (uid body.peek[header.fields "
    "(from to subject)]) MessageExpunge) (subtree Lists MessageNew)"
)
_RFC_3_1_SET = (
    "b notify set status (selected (MessageNew (uid body.peek[header.fields "
    "(from to subject)]) MessageExpunge)) (subtree Lists (MessageNew "
    "MessageExpunge))"
)
_RFC_3_1_SET_AGAIN = (
    "e notify set (selected (MessageNew (uid body.peek[header.fields (from "
    "to subject)]) MessageExpunge)) (subtree Lists (MessageNew "
    "MessageExpunge)) (mailboxes misc (MessageNew MessageExpunge))"
)
_RFC_6_FIRST = (
    "a notify set (mailboxes INBOX (Messagenew messageExpunge)) (personal (SubscriptionChange))"
)
_RFC_6_SECOND = (
    "a notify set (selected (Messagenew (uid flags) messageExpunge)) "
    "(personal (MessageNew FlagChange MessageExpunge))"
)
_SET_FLAG_CHANGE = (
    "b NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "
    "(mailboxes Lists/Lemonade (MessageNew MessageExpunge FlagChange))"
)
_SET_MESSAGE_NEW = (
    "b NOTIFY SET (selected (MessageNew (UID) MessageExpunge)) (personal "
    "(MessageNew MessageExpunge))"
)
_SET_EXPUNGE = (
    "b NOTIFY SET (selected (MessageNew MessageExpunge)) (mailboxes misc "
    "(MessageNew MessageExpunge))"
)
_SET_DELAYED_AND_PERSONAL = (
    "b NOTIFY SET (selected-delayed (MessageNew MessageExpunge)) (personal "
    "(MessageNew MessageExpunge))"
)


def _server() -> IMAPServer:
    return IMAPServer(MemoryBackend(users={"bob": "alice"}), clock=fixed_clock())


def _select_inbox(n: int = 1, exists: int = 0) -> str:
    unseen = f"\n    S{n}: * OK [UNSEEN 1] First unseen: 1" if exists else ""
    return f"""
    C{n}: s{n} SELECT INBOX
    S{n}: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
    S{n}: * {exists} EXISTS
    S{n}: * {exists} RECENT{unseen}
    S{n}: * OK [UIDVALIDITY $ANY] UIDs valid
    S{n}: * OK [UIDNEXT $ANY] Predicted next UID
    S{n}: * OK [PERMANENTFLAGS ($ANY \\*)] Flags permitted
    S{n}: s{n} OK [READ-WRITE] SELECT completed
    """


def _append(n: int, tag: str, mailbox: str, body: str = "hello") -> str:
    return f"""
    C{n}: {tag} APPEND {mailbox} {{{len(body)}+}}
    C{n}: {body}
    S{n}: {tag} OK [APPENDUID $ANY] APPEND completed
    """


# ------------------------------------------------------------------- grammar


@settings(max_examples=200, deadline=None)
@given(
    tag=tags(),
    status=st.booleans(),
    groups=st.lists(notify_groups(), min_size=1, max_size=3).map(tuple),
)
def test_every_notify_set_command_survives_encoding_and_parsing(
    tag: str, status: bool, groups: tuple[NotifyGroup, ...]
) -> None:
    command = Notify(tag=tag, status=status, groups=groups)
    assert parse_command(encode_command(command)) == command


def test_notify_none_round_trips() -> None:
    command = Notify(tag="a", none=True)
    assert encode_command(command) == b"a NOTIFY NONE\r\n"
    assert parse_command(b"a NOTIFY NONE\r\n") == command


def test_the_examples_of_section_6_parse() -> None:
    # RFC 5465 6, first example: event names are case-insensitive (8).
    assert parse_command(
        b"a notify set (mailboxes INBOX (Messagenew messageExpunge)) "
        b"(personal (SubscriptionChange))\r\n"
    ) == Notify(
        tag="a",
        groups=(
            NotifyGroup(
                filter="MAILBOXES",
                mailboxes=("INBOX",),
                events=(NotifyEvent(name="Messagenew"), NotifyEvent(name="messageExpunge")),
            ),
            NotifyGroup(filter="PERSONAL", events=(NotifyEvent(name="SubscriptionChange"),)),
        ),
    )
    # RFC 5465 6, second example: MessageNew with fetch attributes.
    second = parse_command(
        b"a notify set (selected (Messagenew (uid flags) messageExpunge)) "
        b"(personal (MessageNew FlagChange MessageExpunge))\r\n"
    )
    assert isinstance(second, Notify)
    assert second.groups[0] == NotifyGroup(
        filter="SELECTED",
        events=(
            NotifyEvent(
                name="Messagenew",
                fetch=(FetchAttribute(name="UID"), FetchAttribute(name="FLAGS")),
            ),
            NotifyEvent(name="messageExpunge"),
        ),
    )


def test_the_examples_of_section_6_are_accepted() -> None:
    # RFC 5465 6, both examples as printed (each one command line).
    play(
        _server(),
        _LOGIN
        + f"""
        C1: {_RFC_6_FIRST}
        S1: a OK NOTIFY completed
        """
        + _select_inbox()
        + f"""
        C1: {_RFC_6_SECOND}
        S1: a OK NOTIFY completed
        """,
    )


def test_the_example_of_section_3_1_as_printed_is_bad_and_as_the_grammar_says_parses() -> None:
    # RFC 5465 3.1 prints "(selected MessageNew (uid ...) MessageExpunge)";
    # 8 (event-group = "(" filter-mailboxes SP events ")") wants the events
    # in parentheses, as the errata have it.
    play(
        _server(),
        _LOGIN
        + f"""
        C1: {_RFC_3_1_AS_PRINTED}
        S1: b BAD $ANY
        """,
    )
    command = parse_command(
        b"b notify set status (selected (MessageNew (uid "
        b"body.peek[header.fields (from to subject)]) MessageExpunge)) "
        b"(subtree Lists (MessageNew MessageExpunge))\r\n"
    )
    assert command == Notify(
        tag="b",
        status=True,
        groups=(
            NotifyGroup(
                filter="SELECTED",
                events=(
                    NotifyEvent(
                        name="MessageNew",
                        fetch=(
                            FetchAttribute(name="UID"),
                            FetchBody(
                                section=Section(
                                    text="HEADER.FIELDS", fields=("from", "to", "subject")
                                ),
                                peek=True,
                            ),
                        ),
                    ),
                    NotifyEvent(name="MessageExpunge"),
                ),
            ),
            NotifyGroup(
                filter="SUBTREE",
                mailboxes=("Lists",),
                events=(NotifyEvent(name="MessageNew"), NotifyEvent(name="MessageExpunge")),
            ),
        ),
    )


# ------------------------------------------------- the example of RFC 5465 3.1


def test_the_example_of_section_3_1() -> None:
    # RFC 5465 3.1, replayed with the command as the grammar has it (above).
    # Deviations from the RFC's server lines:
    # - "S: * STATUS Lists/Lemonade (UIDVALIDITY 4 UIDNEXT 9999 MESSAGES 500)
    #   S: [...]": ours are in name order and include Lists itself (6.5:
    #   "subtree" names the mailbox and all below it); UIDVALIDITY and UIDs
    #   are the server's; "b OK done", "c OK INBOX selected": texts are free.
    # - "S: * STATUS Lists/Lemonade (UIDVALIDITY 4 UIDNEXT 10000 MESSAGES 501)":
    #   ours leaves UIDVALIDITY out (it did not change), as 5.2's own example
    #   does ("* STATUS Lists/Lemonade (UIDNEXT 10002 MESSAGES 503)").
    # - "S: * 127 FETCH (UID 127001 BODY[HEADER.FIELDS (From To Subject)] {75}":
    #   the EXISTS (and, in IMAP4rev1, RECENT) that must come first (5.2's
    #   example: "* 444 EXISTS") is left out of the RFC's; ours echoes the
    #   client's field names ("from to subject"), which are case-insensitive.
    # - "S: * STATUS misc (UIDVALIDITY 1 UIDNEXT 999)" / "S: d STATUS
    #   completed": the RFC's line drops the MESSAGES the client asked for and
    #   the tagged line its "OK"; ours has both.
    # - The second NOTIFY ("e notify set ...") gets the grammar's parentheses
    #   and MessageExpunge too.
    play(
        _server(),
        _LOGIN
        + """
        C1: a2 CREATE Lists/Lemonade
        S1: a2 OK CREATE completed
        C1: a3 CREATE Lists/Im2000
        S1: a3 OK CREATE completed
        C1: a4 CREATE misc
        S1: a4 OK CREATE completed
        """
        + _append(1, "a5", "Lists/Lemonade")
        + f"""
        # STATUS for every mailbox of the subtree before the OK, with
        # UIDVALIDITY, UIDNEXT and MESSAGES in the order of the example.
        C1: {_RFC_3_1_SET}
        S1: * STATUS Lists (UIDVALIDITY $V0 UIDNEXT 1 MESSAGES 0)
        S1: * STATUS Lists/Im2000 (UIDVALIDITY $V1 UIDNEXT 1 MESSAGES 0)
        S1: * STATUS Lists/Lemonade (UIDVALIDITY $V2 UIDNEXT 2 MESSAGES 1)
        S1: b OK NOTIFY completed
        """
        + _select_inbox()
        + """
        # (Time passes.  A new message is delivered to mailbox Lists/Lemonade.)
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "Lists/Lemonade")
        + f"""
        P1:
        S1: * STATUS Lists/Lemonade (UIDNEXT 3 MESSAGES 2)
        # (Time passes.  A new message is delivered to inbox.)
        C2: x3 APPEND INBOX {{76+}}
        C2: Subject: Re: good morning
        C2: From: alice@example.org
        C2: To: bob@example.org
        C2:
        C2:
        S2: x3 OK [APPENDUID $ANY] APPEND completed
        P1:
        S1: * 1 EXISTS
        S1: * 1 RECENT
        S1: * 1 FETCH (UID 1 BODY[HEADER.FIELDS (from to subject)] {{75}}
        S1: Subject: Re: good morning
        S1: From: alice@example.org
        S1: To: bob@example.org
        S1:
        S1: )
        # The client adds a mailbox without asking for STATUS again.
        C1: d STATUS misc (UIDVALIDITY UIDNEXT MESSAGES)
        S1: * STATUS misc (UIDVALIDITY $V3 UIDNEXT 1 MESSAGES 0)
        S1: d OK STATUS completed
        C1: {_RFC_3_1_SET_AGAIN}
        S1: e OK NOTIFY completed
        """
        + _append(2, "x4", "misc")
        + """
        P1:
        S1: * STATUS misc (UIDNEXT 2 MESSAGES 1)
        """,
    )


# --------------------------------------------------------- events (RFC 5465 5)


def test_flag_change_in_the_selected_mailbox_and_in_another_with_condstore() -> None:
    # RFC 5465 5.1: FETCH with UID and FLAGS; elsewhere, with CONDSTORE in
    # use, "* STATUS Lists/Lemonade (HIGHESTMODSEQ 65666665 UIDVALIDITY 101)".
    play(
        _server(),
        _LOGIN
        + """
        C1: a2 CREATE Lists/Lemonade
        S1: a2 OK CREATE completed
        C1: a3 ENABLE CONDSTORE
        S1: * ENABLED CONDSTORE
        S1: a3 OK ENABLE completed
        """
        + _append(1, "a4", "INBOX")
        + _append(1, "a5", "Lists/Lemonade")
        + f"""
        C1: s1 SELECT INBOX
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: s1 OK [READ-WRITE] SELECT completed
        C1: {_SET_FLAG_CHANGE}
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 SELECT INBOX
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: x2 OK [READ-WRITE] SELECT completed
        C2: x3 STORE 1 +FLAGS ($Junk)
        S2: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $$Junk)
        S2: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
        S2: * 1 FETCH (FLAGS ($$Junk))
        S2: x3 OK STORE completed
        P1:
        S1: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $$Junk)
        S1: * 1 FETCH (FLAGS ($$Junk \\Recent) UID 1 MODSEQ ($MODSEQ))
        C2: x4 SELECT Lists/Lemonade
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: x4 OK [READ-WRITE] SELECT completed
        C2: x5 STORE 1 +FLAGS ($Junk)
        S2: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $$Junk)
        S2: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
        S2: * 1 FETCH (FLAGS ($$Junk \\Recent))
        S2: x5 OK STORE completed
        P1:
        S1: * STATUS Lists/Lemonade (HIGHESTMODSEQ $HMS UIDVALIDITY $UV)
        """,
    )


def test_message_new_in_the_selected_mailbox_and_in_another() -> None:
    # RFC 5465 5.2: "* 444 EXISTS" / "* 444 FETCH (UID 9999)"; elsewhere,
    # without CONDSTORE, "* STATUS Lists/Lemonade (UIDNEXT 10002 MESSAGES 503)".
    play(
        _server(),
        _LOGIN
        + f"""
        C1: a2 CREATE Lists/Lemonade
        S1: a2 OK CREATE completed
        C1: a3 ENABLE IMAP4rev2
        S1: * ENABLED IMAP4rev2
        S1: a3 OK ENABLE completed
        C1: s1 SELECT INBOX
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: s1 OK [READ-WRITE] SELECT completed
        C1: {_SET_MESSAGE_NEW}
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "INBOX")
        + """
        P1:
        S1: * 1 EXISTS
        S1: * 1 FETCH (UID 1)
        """
        + _append(2, "x3", "Lists/Lemonade")
        + """
        P1:
        S1: * STATUS Lists/Lemonade (UIDNEXT 2 MESSAGES 1)
        """,
    )


def test_message_expunge_in_the_selected_mailbox_with_and_without_qresync() -> None:
    # RFC 5465 5.3: "* 444 EXPUNGE"; with QRESYNC "* VANISHED 5444";
    # elsewhere, QRESYNC not enabled, "* STATUS misc (UIDNEXT 999 MESSAGES 554)".
    server = _server()
    setup = (
        _LOGIN
        + """
        C1: a2 CREATE misc
        S1: a2 OK CREATE completed
        """
        + _append(1, "a3", "INBOX")
        + _append(1, "a4", "misc")
        + _append(1, "a5", "INBOX")
        + f"""
        C1: s1 SELECT INBOX
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: s1 OK [READ-WRITE] SELECT completed
        C1: {_SET_EXPUNGE}
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 SELECT INBOX
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: x2 OK [READ-WRITE] SELECT completed
        C2: x3 UID STORE 1 +FLAGS.SILENT (\\Deleted)
        S2: x3 OK STORE completed
        C2: x4 EXPUNGE
        S2: * 1 EXPUNGE
        S2: x4 OK EXPUNGE completed
        P1:
        S1: * 1 EXPUNGE
        C2: x5 SELECT misc
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: x5 OK [READ-WRITE] SELECT completed
        C2: x6 UID STORE 1 +FLAGS.SILENT (\\Deleted)
        S2: x6 OK STORE completed
        C2: x7 EXPUNGE
        S2: * 1 EXPUNGE
        S2: x7 OK EXPUNGE completed
        P1:
        S1: * STATUS misc (UIDNEXT 2 MESSAGES 0)
        """
    )
    play(server, setup)
    play(
        _server(),
        _LOGIN
        + _append(1, "a2", "INBOX")
        + _append(1, "a3", "INBOX")
        + """
        C1: a4 ENABLE QRESYNC
        S1: * ENABLED QRESYNC
        S1: a4 OK ENABLE completed
        C1: s1 SELECT INBOX
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: s1 OK [READ-WRITE] SELECT completed
        C1: b NOTIFY SET (selected (MessageNew MessageExpunge))
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 SELECT INBOX
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: x2 OK [READ-WRITE] SELECT completed
        C2: x3 UID STORE 2 +FLAGS.SILENT (\\Deleted)
        S2: x3 OK STORE completed
        C2: x4 UID EXPUNGE 2
        S2: * 2 EXPUNGE
        S2: x4 OK EXPUNGE completed
        P1:
        S1: * VANISHED 2
        """,
    )


def test_mailbox_name_for_create_delete_and_rename() -> None:
    # RFC 5465 5.4: a LIST for the mailbox and its direct parent; \NonExistent
    # once it is gone; OLDNAME for a rename, none for its children.
    play(
        _server(),
        _LOGIN
        + """
        C1: b NOTIFY SET (personal (MailboxName))
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 CREATE NewMailbox
        S2: x2 OK CREATE completed
        P1:
        S1: * LIST (\\HasNoChildren) "/" NewMailbox
        C2: x3 CREATE OldMailbox/child
        S2: x3 OK CREATE completed
        P1:
        S1: * LIST (\\HasChildren) "/" OldMailbox
        S1: * LIST (\\HasNoChildren) "/" OldMailbox/child
        C2: x4 RENAME OldMailbox Renamed
        S2: x4 OK RENAME completed
        P1:
        S1: * LIST (\\HasChildren) "/" Renamed ("OLDNAME" ("OldMailbox"))
        C2: x5 DELETE NewMailbox
        S2: x5 OK DELETE completed
        P1:
        S1: * LIST (\\NonExistent) "/" NewMailbox
        # 5: what the client does itself is not notified.
        C1: a2 CREATE Mine
        S1: a2 OK CREATE completed
        C1: a3 NOOP
        S1: a3 OK NOOP completed
        """,
    )


def test_subscription_change_lists_with_and_without_subscribed() -> None:
    # RFC 5465 5.5: "* LIST (\Subscribed) "/" "SubscribedMailbox"", every
    # attribute computed (\HasNoChildren, \NonExistent).
    play(
        _server(),
        _LOGIN
        + """
        C1: a2 CREATE SubscribedMailbox
        S1: a2 OK CREATE completed
        C1: b NOTIFY SET (personal (SubscriptionChange))
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 SUBSCRIBE SubscribedMailbox
        S2: x2 OK SUBSCRIBE completed
        P1:
        S1: * LIST (\\HasNoChildren \\Subscribed) "/" SubscribedMailbox
        C2: x3 SUBSCRIBE nowhere
        S2: x3 OK SUBSCRIBE completed
        P1:
        S1: * LIST (\\Subscribed \\NonExistent) "/" nowhere
        C2: x4 UNSUBSCRIBE SubscribedMailbox
        S2: x4 OK UNSUBSCRIBE completed
        P1:
        S1: * LIST (\\HasNoChildren) "/" SubscribedMailbox
        """,
    )


def test_unsupported_events_are_no_badevent_naming_the_supported_ones() -> None:
    # RFC 5465 3.1: NO (not BAD) with BADEVENT listing every supported event;
    # AnnotationChange needs ANNOTATE (RFC 5257), which this server does not
    # offer.  With METADATA (MemoryBackend) the metadata events are supported
    # (5.6, 5.7: "REQUIRED") and named.
    with_metadata = _SUPPORTED[:-1] + " MailboxMetadataChange ServerMetadataChange)"
    play(
        _server(),
        _LOGIN
        + f"""
        C1: b1 NOTIFY SET (selected (MessageNew MessageExpunge AnnotationChange))
        S1: b1 NO [BADEVENT {with_metadata}] Unsupported NOTIFY event AnnotationChange
        C1: b2 NOTIFY SET (personal (MailboxMetadataChange))
        S1: b2 OK NOTIFY completed
        C1: b3 NOTIFY SET (personal (ServerMetadataChange))
        S1: b3 OK NOTIFY completed
        C1: b4 NOTIFY SET (personal (NoSuchEvent))
        S1: b4 NO [BADEVENT {with_metadata}] Unsupported NOTIFY event NoSuchEvent
        """,
    )


def test_without_metadata_the_metadata_events_are_badevent() -> None:
    # RFC 5465 5.6, 5.7: the metadata events come with METADATA (or
    # METADATA-SERVER); a store without annotations does not offer them.
    play(
        IMAPServer(PlainBackend(), clock=fixed_clock()),
        f"""
        C1: a1 LOGIN alice secret
        S1: a1 OK $ANY
        C1: b2 NOTIFY SET (personal (MailboxMetadataChange))
        S1: b2 NO [BADEVENT {_SUPPORTED}] Unsupported NOTIFY event MailboxMetadataChange
        C1: b3 NOTIFY SET (personal (ServerMetadataChange))
        S1: b3 NO [BADEVENT {_SUPPORTED}] Unsupported NOTIFY event ServerMetadataChange
        """,
    )


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        # RFC 5465 5: MessageNew and MessageExpunge together, FlagChange with both.
        ("(selected (MessageNew))", "MessageNew and MessageExpunge go together"),
        ("(personal (MessageExpunge))", "MessageNew and MessageExpunge go together"),
        ("(personal (FlagChange))", "FlagChange needs MessageNew and MessageExpunge"),
        # RFC 5465 6.1: one of SELECTED/SELECTED-DELAYED, message events only.
        (
            "(selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))",
            "Only one SELECTED or SELECTED-DELAYED group is allowed",
        ),
        ("(selected (MailboxName))", "SELECTED takes only message events"),
        # RFC 5465 8: fetch-att only with the selected filters.
        (
            "(personal (MessageNew (UID) MessageExpunge))",
            "MessageNew attributes are only for the selected mailbox",
        ),
    ],
)
def test_what_the_rfc_makes_bad(groups: str, reason: str) -> None:
    play(_server(), _LOGIN + f"C1: b NOTIFY SET {groups}\nS1: b BAD {reason}\n")


# ----------------------------------------------- mailbox filters (RFC 5465 6)


@pytest.mark.parametrize(
    ("filter_", "told"),
    [
        ("personal", ["a", "a/b", "other"]),
        ("inboxes", ["a", "a/b", "other"]),  # 6.3: "personal" when unknown
        ("subscribed", ["INBOX", "a/b"]),  # INBOX is subscribed from the start
        ("subtree a", ["a", "a/b"]),
        ("subtree (nonexistent a/b)", ["a/b"]),
        ("mailboxes (a other)", ["a", "other"]),
        ('mailboxes "a*"', []),  # 6.6: no wildcard expansion
    ],
)
def test_each_filter_covers_its_mailboxes(filter_: str, told: list[str]) -> None:
    transcript = (
        _LOGIN
        + """
        C1: a2 CREATE a/b
        S1: a2 OK CREATE completed
        C1: a3 CREATE other
        S1: a3 OK CREATE completed
        C1: a4 SUBSCRIBE a/b
        S1: a4 OK SUBSCRIBE completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
    """
    )
    transcript += f"""
        C1: b NOTIFY SET ({filter_} (MessageNew MessageExpunge))
        S1: b OK NOTIFY completed
    """
    for n, name in enumerate(["a", "a/b", "other", "INBOX"]):
        if name == "a":
            continue  # a \\Noselect level: no messages
        transcript += _append(2, f"x{n + 2}", name)
    transcript += "P1:\n"
    expected = [name for name in ["INBOX", "a/b", "other"] if name in told]
    if filter_ in ("personal", "inboxes"):
        expected = ["INBOX", "a/b", "other"]
    for name in sorted(expected):
        transcript += f"S1: * STATUS {name} (UIDNEXT 2 MESSAGES 1)\n"
    play(_server(), transcript)


def test_subscribed_is_reevaluated_when_subscriptions_change() -> None:
    # RFC 5465 6.4: "If the subscription list changes, the server MUST
    # reevaluate the list."
    play(
        _server(),
        _LOGIN
        + """
        C1: a2 CREATE later
        S1: a2 OK CREATE completed
        C1: b NOTIFY SET (subscribed (MessageNew MessageExpunge))
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 SUBSCRIBE later
        S2: x2 OK SUBSCRIBE completed
        P1:
        """
        + _append(2, "x3", "later")
        + """
        P1:
        S1: * STATUS later (UIDNEXT 2 MESSAGES 1)
        """,
    )


def test_a_mailbox_created_in_a_subtree_is_watched() -> None:
    # RFC 5465 6.5: all mailboxes below the name, also ones created later.
    play(
        _server(),
        _LOGIN
        + """
        C1: b NOTIFY SET (subtree Lists (MessageNew MessageExpunge))
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 CREATE Lists/New
        S2: x2 OK CREATE completed
        P1:
        """
        + _append(2, "x3", "Lists/New")
        + """
        P1:
        S1: * STATUS Lists/New (UIDNEXT 2 MESSAGES 1)
        """,
    )


def test_none_for_a_group_stops_the_later_ones() -> None:
    # RFC 5465 6: several groups may apply; events NONE says none for those.
    play(
        _server(),
        _LOGIN
        + """
        C1: a2 CREATE quiet
        S1: a2 OK CREATE completed
        C1: a3 CREATE loud
        S1: a3 OK CREATE completed
        C1: b NOTIFY SET (mailboxes quiet NONE) (personal (MessageNew MessageExpunge))
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "quiet")
        + _append(2, "x3", "loud")
        + """
        P1:
        S1: * STATUS loud (UIDNEXT 2 MESSAGES 1)
        """,
    )


def test_the_selected_mailbox_gets_selected_events_only() -> None:
    # RFC 5465 3.1: message events of the selected mailbox are SELECTED's,
    # even if another filter names it; without SELECTED, no push at all.
    play(
        _server(),
        _LOGIN
        + _select_inbox()
        + """
        C1: b NOTIFY SET (personal (MessageNew MessageExpunge))
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "INBOX")
        + """
        P1:
        # Nothing is pushed; the command's completion still tells (RFC 3501 5.2).
        C1: a2 NOOP
        S1: * 1 EXISTS
        S1: * 1 RECENT
        S1: a2 OK NOOP completed
        """,
    )


# ------------------------------------------------ SELECTED-DELAYED and IDLE


def test_selected_pushes_expunges_and_selected_delayed_holds_them() -> None:
    base = (
        _LOGIN
        + _append(1, "a2", "INBOX")
        + _append(1, "a3", "INBOX")
        + _select_inbox(exists=2)
        + """
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 SELECT INBOX
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: x2 OK [READ-WRITE] SELECT completed
        """
    )
    expunge_one = """
        C2: x3 UID STORE 1 +FLAGS.SILENT (\\Deleted)
        S2: x3 OK STORE completed
        C2: x4 UID EXPUNGE 1
        S2: * 1 EXPUNGE
        S2: x4 OK EXPUNGE completed
    """
    # RFC 5465 6.1.1: SELECTED is told at once, EXPUNGE included.
    play(
        _server(),
        base
        + """
        C1: b NOTIFY SET (selected (MessageNew MessageExpunge FlagChange))
        S1: b OK NOTIFY completed
        """
        + expunge_one
        + """
        P1:
        S1: * 1 EXPUNGE
        """,
    )
    # RFC 5465 6.1.2: SELECTED-DELAYED holds EXPUNGE until a command that
    # allows it (RFC 3501 7.4.1): NOOP, or IDLE.
    play(
        _server(),
        base
        + """
        C1: b NOTIFY SET (selected-delayed (MessageNew MessageExpunge FlagChange))
        S1: b OK NOTIFY completed
        """
        + expunge_one
        + """
        P1:
        """
        + """
        C2: x5 APPEND INBOX {5+}
        C2: hello
        S2: * 2 EXISTS
        S2: * 1 RECENT
        S2: x5 OK [APPENDUID $ANY] APPEND completed
        P1:
        S1: * 3 EXISTS
        C1: a4 FETCH 1 UID
        S1: * 1 FETCH (UID 1)
        S1: a4 OK [EXPUNGEISSUED] Some messages were expunged meanwhile
        C1: a5 NOOP
        S1: * 1 EXPUNGE
        S1: a5 OK NOOP completed
        """,
    )


def test_idle_sends_what_notify_asked_for() -> None:
    # RFC 5465 4: during IDLE "exactly the same events as instructed by the
    # client using the NOTIFY command": other mailboxes' STATUS, and for
    # SELECTED-DELAYED the expunges at once (IDLE allows them).
    play(
        _server(),
        _LOGIN
        + """
        C1: a2 CREATE other
        S1: a2 OK CREATE completed
        """
        + _append(1, "a3", "INBOX")
        + _select_inbox(exists=1)
        + f"""
        C1: {_SET_DELAYED_AND_PERSONAL}
        S1: b OK NOTIFY completed
        C1: i IDLE
        S1: + idling
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "other")
        + """
        S1: * STATUS other (UIDNEXT 2 MESSAGES 1)
        C2: x3 SELECT INBOX
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: x3 OK [READ-WRITE] SELECT completed
        C2: x4 UID STORE 1 +FLAGS.SILENT (\\Deleted)
        S2: x4 OK STORE completed
        C2: x5 EXPUNGE
        S2: * 1 EXPUNGE
        S2: x5 OK EXPUNGE completed
        S1: * 1 EXPUNGE
        C1: DONE
        S1: i OK IDLE terminated
        """,
    )


def test_notify_none_during_idle_sends_nothing() -> None:
    # RFC 5465 3.1 / 4: NOTIFY NONE, then IDLE: no event at all.
    play(
        _server(),
        _LOGIN
        + _select_inbox()
        + """
        C1: b NOTIFY NONE
        S1: b OK NOTIFY completed
        C1: i IDLE
        S1: + idling
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "INBOX")
        + """
        P1:
        C1: DONE
        S1: * 1 EXISTS
        S1: * 1 RECENT
        S1: i OK IDLE terminated
        """,
    )


def test_notify_set_returns_accumulated_changes_as_a_noop_does() -> None:
    # RFC 5465 3.1: "a successful NOTIFY SET command implies an implicit NOOP".
    play(
        _server(),
        _LOGIN
        + _select_inbox()
        + """
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "INBOX")
        + """
        C1: b NOTIFY SET (selected (MessageNew MessageExpunge))
        S1: * 1 EXISTS
        S1: * 1 RECENT
        S1: b OK NOTIFY completed
        """,
    )


# --------------------------------------------------------- overflow (5.8)


def test_too_many_mailboxes_is_notificationoverflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify_module, "MAX_WATCHED", 2)
    play(
        _server(),
        _LOGIN
        + """
        C1: a2 CREATE one
        S1: a2 OK CREATE completed
        C1: b1 NOTIFY SET (personal (MessageNew MessageExpunge))
        S1: b1 OK NOTIFY completed
        C1: a3 CREATE two
        S1: a3 OK CREATE completed
        # RFC 5465 5.8: the untagged OK, then as after NOTIFY NONE.
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 CREATE three
        S2: x2 OK CREATE completed
        P1:
        S1: * OK [NOTIFICATIONOVERFLOW] Too many notifications; NOTIFY NONE is in effect
        """
        + _append(2, "x3", "one")
        + """
        P1:
        # 3.1: a NOTIFY that is too expensive is refused.
        C1: b2 NOTIFY SET (personal (MessageNew MessageExpunge))
        S1: b2 NO [NOTIFICATIONOVERFLOW] Too many mailboxes to watch
        """,
    )


def test_the_capability_is_advertised_after_login() -> None:
    session = _server().connect()
    session.receive_data(b"a LOGIN bob alice\r\na CAPABILITY\r\n")
    assert b" NOTIFY " in session.data_to_send()


# ----------------------------------------------------------------- sockets


@pytest.mark.parametrize("runtime", ["asyncio", "threads"])
def test_another_connections_change_reaches_a_notify_session_without_a_command(
    runtime: str,
) -> None:
    server = _server()
    options = ServerOptions(allow_plaintext=True)
    with (
        running_server(runtime, server, options=options) as srv,
        Client(srv.port) as watcher,
        Client(srv.port) as writer,
    ):
        watcher.line()
        writer.line()
        assert watcher.command(b"a", b"LOGIN bob alice")[-1].startswith(b"a OK")
        assert writer.command(b"a", b"LOGIN bob alice")[-1].startswith(b"a OK")
        assert writer.command(b"b", b"CREATE Lists")[-1] == b"b OK CREATE completed\r\n"
        assert watcher.command(
            b"n", b"NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))"
        ) == [b"n OK NOTIFY completed\r\n"]
        # The watcher sends nothing from now on: what it hears is pushed.
        writer.send(b"c APPEND Lists {5+}\r\nhello\r\n")
        assert watcher.line(timeout=10) == b"* STATUS Lists (UIDNEXT 2 MESSAGES 1)\r\n"
        writer.until_tagged(b"c")
        writer.send(b"d CREATE Lists/Sub\r\n")
        assert watcher.line(timeout=10) == b'* LIST (\\HasChildren) "/" Lists\r\n'
        assert watcher.line(timeout=10) == b'* LIST (\\HasNoChildren) "/" Lists/Sub\r\n'


def test_selected_without_flag_change_is_not_told_of_flags_between_commands() -> None:
    # RFC 5465 5.1: FlagChange is an event of its own; without it nothing is
    # pushed for a flag change (the next completion still says, RFC 3501 5.2).
    play(
        _server(),
        _LOGIN
        + _append(1, "a2", "INBOX")
        + _select_inbox(exists=1)
        + """
        C1: b NOTIFY SET (selected (MessageNew MessageExpunge))
        S1: b OK NOTIFY completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        C2: x2 SELECT INBOX
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: $ANY
        S2: x2 OK [READ-WRITE] SELECT completed
        C2: x3 STORE 1 +FLAGS.SILENT (\\Flagged)
        S2: x3 OK STORE completed
        P1:
        C1: a3 NOOP
        S1: * 1 FETCH (FLAGS (\\Flagged \\Recent) UID 1)
        S1: a3 OK NOOP completed
        """,
    )


def _take(session: Session) -> bytes:
    """Everything the session has to send, running what waited for it."""
    out = b""
    while True:
        chunk = session.data_to_send()
        out += chunk
        if session.output_held:
            session.pump()
        elif not chunk and not session.has_output:
            return out


def test_a_client_that_does_not_read_overflows() -> None:
    # RFC 5465 9 / 5.8: pushes pile up while the client reads nothing; then
    # "* OK [NOTIFICATIONOVERFLOW]" and NOTIFY NONE.
    server = IMAPServer(
        MemoryBackend(users={"bob": "alice"}),
        clock=fixed_clock(),
        config=Config(limits=Limits(max_unsent_output=300)),
    )
    watcher, writer = server.connect(), server.connect()
    watcher.receive_data(b"a LOGIN bob alice\r\n")
    _take(watcher)
    watcher.receive_data(b"b SELECT INBOX\r\n")
    _take(watcher)
    watcher.receive_data(b"c NOTIFY SET (selected (MessageNew MessageExpunge))\r\n")
    assert _take(watcher) == b"c OK NOTIFY completed\r\n"
    writer.receive_data(b"a LOGIN bob alice\r\n")
    _take(writer)
    for _ in range(30):
        writer.receive_data(b"x APPEND INBOX {5+}\r\nhello\r\n")
        _take(writer)
        watcher.poll()  # the client takes nothing
    pushed = _take(watcher)
    assert pushed.startswith(b"* 1 EXISTS\r\n* 1 RECENT\r\n* 2 EXISTS\r\n")
    overflow = b"* OK [NOTIFICATIONOVERFLOW] Too many notifications; NOTIFY NONE is in effect\r\n"
    assert pushed.endswith(overflow)
    assert pushed.count(b"NOTIFICATIONOVERFLOW") == 1
    # NOTIFY NONE from then on: nothing more is pushed; NOOP still tells.
    writer.receive_data(b"y APPEND INBOX {5+}\r\nhello\r\n")
    _take(writer)
    watcher.poll()
    assert _take(watcher) == b""
    watcher.receive_data(b"d NOOP\r\n")
    assert _take(watcher).endswith(b"* 31 EXISTS\r\n* 31 RECENT\r\nd OK NOOP completed\r\n")


def test_a_delivery_by_another_program_reaches_a_notify_session(tmp_path: Path) -> None:
    # The store watches what NOTIFY asked about, not only the selected
    # mailbox: a delivery agent's file in INBOX's new/ becomes a STATUS.
    backend = maildir_backend(tmp_path, True)
    try:
        with (
            running_server("threads", IMAPServer(backend, clock=wall_clock)) as srv,
            Client(srv.port) as client,
        ):
            client.line()
            assert client.command(b"a", b"LOGIN alice secret")[-1].startswith(b"a OK")
            assert client.command(b"n", b"NOTIFY SET (inboxes (MessageNew MessageExpunge))") == [
                b"n OK NOTIFY completed\r\n"
            ]
            deliver(tmp_path)
            assert client.line(timeout=10) == b"* STATUS INBOX (UIDNEXT 2 MESSAGES 1)\r\n"
    finally:
        backend.close()


def test_no_fetch_for_a_message_the_client_appended_itself() -> None:
    # RFC 5465 5.2: "A FETCH response SHOULD NOT be generated for a new
    # message created by the client on this particular connection".
    play(
        _server(),
        _LOGIN
        + _select_inbox()
        + """
        C1: b NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge))
        S1: b OK NOTIFY completed
        C1: a2 APPEND INBOX {5+}
        C1: hello
        S1: * 1 EXISTS
        S1: * 1 RECENT
        S1: a2 OK [APPENDUID $V 1] APPEND completed
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "INBOX")
        + """
        P1:
        S1: * 2 EXISTS
        S1: * 2 RECENT
        S1: * 2 FETCH (UID 2 FLAGS (\\Recent))
        """,
    )


def test_a_mailbox_left_for_another_is_reported_again() -> None:
    # RFC 5465 3.1: while selected, a mailbox's message events are
    # SELECTED's; once another is selected, "personal" covers it again.
    play(
        _server(),
        _LOGIN
        + """
        C1: a2 CREATE A
        S1: a2 OK CREATE completed
        C1: b NOTIFY SET (personal (MessageNew MessageExpunge))
        S1: b OK NOTIFY completed
        C1: s1 SELECT A
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: $ANY
        S1: s1 OK [READ-WRITE] SELECT completed
        """
        + _select_inbox()
        .replace("s1 SELECT", "s2 SELECT")
        .replace("s1 OK", "s2 OK")
        .replace("S1: * FLAGS", "S1: * OK [CLOSED] $ANY\n    S1: * FLAGS")
        + """
        C2: x1 LOGIN bob alice
        S2: x1 OK $ANY
        """
        + _append(2, "x2", "A")
        + """
        P1:
        S1: * STATUS A (UIDNEXT 2 MESSAGES 1)
        """,
    )


@settings(max_examples=60, deadline=None)
@given(
    groups=st.lists(notify_groups(), min_size=1, max_size=3).map(tuple),
    status=st.booleans(),
    idle=st.booleans(),
)
def test_any_notify_then_changes_elsewhere_never_fail_the_server(
    groups: tuple[NotifyGroup, ...], status: bool, idle: bool
) -> None:
    errors: list[BaseException] = []
    server = IMAPServer(
        MemoryBackend(users={"bob": "alice"}), clock=fixed_clock(), on_error=errors.append
    )
    watcher, writer = server.connect(), server.connect()
    watcher.receive_data(b"a LOGIN bob alice\r\nb CREATE Sent\r\nc SELECT INBOX\r\n")
    watcher.receive_data(encode_command(Notify(tag="n", status=status, groups=groups)))
    if idle:
        watcher.receive_data(b"i IDLE\r\n")
    writer.receive_data(b"a LOGIN bob alice\r\nb SELECT INBOX\r\n")
    for line in (
        b"c APPEND INBOX {5+}\r\nhello\r\n",
        b"d APPEND Sent {5+}\r\nhello\r\n",
        b"e STORE 1 +FLAGS (\\Seen)\r\n",
        b"f CREATE Sent/new\r\n",
        b"g SUBSCRIBE Sent\r\n",
        b"h RENAME Sent Old\r\n",
        b"i EXPUNGE\r\n",
        b"j STORE 1 +FLAGS (\\Deleted)\r\n",
        b"k EXPUNGE\r\n",
        b"l DELETE Old/new\r\n",
        b'm SETMETADATA INBOX (/shared/comment "x" /private/comment "y")\r\n',
        b'n SETMETADATA "" (/private/comment NIL)\r\n',
    ):
        writer.receive_data(line)
        watcher.poll()
    if idle:
        watcher.receive_data(b"DONE\r\n")
    watcher.receive_data(b"z NOOP\r\n")
    out = watcher.data_to_send()
    assert errors == []
    assert b"SERVERBUG" not in out
    assert out.endswith(b"z OK NOOP completed\r\n")
