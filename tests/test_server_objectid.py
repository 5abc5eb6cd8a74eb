"""OBJECTID (RFC 8474): MAILBOXID, EMAILID and THREADID, with the RFC's examples.

The ids are the server's to allocate, so the transcripts bind them with
placeholders (``$FOO``) and then require the same value wherever the RFC
shows the same id; everything else is the RFC's example byte for byte,
except our own response texts and the hierarchy delimiter "/".
"""

from __future__ import annotations

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play

LOGIN = """
    C: 1 LOGIN alice secret
    S: 1 OK [CAPABILITY $ANY OBJECTID $ANY] LOGIN completed
"""


def _server(**options: object) -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret"}, object_ids=True, **options)  # type: ignore[arg-type]
    return IMAPServer(backend, clock=fixed_clock())


def test_objectid_is_advertised_only_by_a_store_that_keeps_ids() -> None:
    play(_server(), LOGIN)
    plain = IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock())
    session = plain.connect()
    session.receive_data(b"1 LOGIN alice secret\r\n2 CAPABILITY\r\n")
    assert b"OBJECTID" not in session.data_to_send()


def test_rfc8474_4_1_create_and_4_3_status_and_rename() -> None:
    # RFC 8474 4.1 and 4.3 (the examples, in order): CREATE answers
    # MAILBOXID; STATUS (MAILBOXID) reports it; RENAME keeps it.
    play(
        _server(),
        LOGIN
        + """
        C: 3 create foo
        S: 3 OK [MAILBOXID ($FOO)] CREATE completed
        C: 4 create bar
        S: 4 OK [MAILBOXID ($BAR)] CREATE completed
        C: 5 create foo
        S: 5 NO [ALREADYEXISTS] Mailbox already exists
        C: 6 status foo (mailboxid)
        S: * STATUS foo (MAILBOXID ($FOO))
        S: 6 OK STATUS completed
        C: 7 status bar (mailboxid)
        S: * STATUS bar (MAILBOXID ($BAR))
        S: 7 OK STATUS completed
        C: 8 rename foo renamed
        S: 8 OK RENAME completed
        C: 9 status renamed (mailboxid)
        S: * STATUS renamed (MAILBOXID ($FOO))
        S: 9 OK STATUS completed
        C: 10 status bar (mailboxid)
        S: * STATUS bar (MAILBOXID ($BAR))
        S: 10 OK STATUS completed
        C: 11 list "" "*" return (status (mailboxid))
        # (Children attributes only with RETURN (CHILDREN), RFC 5258 4.)
        S: * LIST () "/" INBOX
        S: * STATUS INBOX (MAILBOXID ($INBOX))
        S: * LIST () "/" bar
        S: * STATUS bar (MAILBOXID ($BAR))
        S: * LIST () "/" renamed
        S: * STATUS renamed (MAILBOXID ($FOO))
        S: 11 OK LIST completed
        # 4.2: SELECT and EXAMINE say the MAILBOXID in an untagged OK.
        C: 27 select "renamed"
        S: * FLAGS ($ANY)
        S: * 0 EXISTS
        S: * 0 RECENT
        S: * OK [UIDVALIDITY $NUMBER] UIDs valid
        S: * OK [UIDNEXT 1] Predicted next UID
        S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
        S: * OK [MAILBOXID ($FOO)] Mailbox ID
        S: 27 OK [READ-WRITE] SELECT completed
        # RFC 8474 4: a mailbox deleted and created again is another one.
        C: 28 delete bar
        S: 28 OK DELETE completed
        C: 29 create bar
        S: 29 OK [MAILBOXID ($BAR2)] CREATE completed
        """,
    )


def test_a_recreated_mailbox_gets_a_new_mailboxid() -> None:
    bound = play(
        _server(),
        LOGIN
        + """
        C: 3 create bar
        S: 3 OK [MAILBOXID ($BAR)] CREATE completed
        C: 4 delete bar
        S: 4 OK DELETE completed
        C: 5 create bar
        S: 5 OK [MAILBOXID ($BAR2)] CREATE completed
        """,
    )
    assert bound["BAR"] != bound["BAR2"]


# RFC 8474 5.3 and 6.  Deviations: the RFC elides its messages ("[...]"
# around the lines shown, {733}, {793}, {736}); ours hold only the lines it
# shows.  Object ids and UIDVALIDITYs are the server's (bound as $A, $T1,
# ...; the RFC's M6d99ac3275bb4e and so on are Cyrus's), the EXISTS and RECENT
# after each APPEND to the selected mailbox are left out of the RFC's
# transcript, and texts after the response codes are ours.
RFC8474_5_3 = """
    C: 2 create foo
    S: 2 OK [MAILBOXID ($FOO)] CREATE completed
    C: 3 select inbox
    S: * FLAGS ($ANY)
    S: * 0 EXISTS
    S: * 0 RECENT
    S: * OK [UIDVALIDITY $UIDVALIDITY] UIDs valid
    S: * OK [UIDNEXT 1] Predicted next UID
    S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
    S: * OK [MAILBOXID ($INBOX)] Mailbox ID
    S: 3 OK [READ-WRITE] SELECT completed
    C: 5 append inbox "20-Mar-2018 03:07:37 +1100" {72}
    S: + Ready for literal data
    C: Subject: Message A
    C: Message-ID: <fake.1521475657.54797@example.com>
    C:
    C: A
    S: * 1 EXISTS
    S: * 1 RECENT
    S: 5 OK [APPENDUID $UIDVALIDITY 1] APPEND completed
    C: 11 append inbox "20-Mar-2018 03:07:37 +1100" {125}
    S: + Ready for literal data
    C: Subject: Re: Message A
    C: Message-ID: <fake.1521475657.21213@example.org>
    C: References: <fake.1521475657.54797@example.com>
    C:
    C: B
    S: * 2 EXISTS
    S: * 2 RECENT
    S: 11 OK [APPENDUID $UIDVALIDITY 2] APPEND completed
    C: 17 append inbox "20-Mar-2018 03:07:37 +1100" {72}
    S: + Ready for literal data
    C: Subject: Message C
    C: Message-ID: <fake.1521475657.60280@example.com>
    C:
    C: C
    S: * 3 EXISTS
    S: * 3 RECENT
    S: 17 OK [APPENDUID $UIDVALIDITY 3] APPEND completed
    # RFC 8474 5.3: B refers to A, so they share a THREADID; C has its own.
    C: 22 fetch 1:* (emailid threadid)
    S: * 1 FETCH (EMAILID ($A) THREADID ($T1))
    S: * 2 FETCH (EMAILID ($B) THREADID ($T1))
    S: * 3 FETCH (EMAILID ($C) THREADID ($T2))
    S: 22 OK FETCH completed
    # RFC 8474 6, "as if run before the MOVE shown above".
    C: 27 search emailid $A
    S: * SEARCH 1
    S: 27 OK SEARCH completed
    C: 28 search threadid $T1
    S: * SEARCH 1 2
    S: 28 OK SEARCH completed
    C: 23 move 2 foo
    S: * OK [COPYUID $FOOVALIDITY 2 1] Moved
    S: * 2 EXPUNGE
    S: 23 OK MOVE completed
    C: 24 fetch 1:* (emailid threadid)
    S: * 1 FETCH (EMAILID ($A) THREADID ($T1))
    S: * 2 FETCH (EMAILID ($C) THREADID ($T2))
    S: 24 OK FETCH completed
    C: 25 select "foo"
    S: * OK [CLOSED] Previous mailbox closed
    S: * FLAGS ($ANY)
    S: * 1 EXISTS
    S: * 1 RECENT
    S: * OK [UNSEEN 1] First unseen: 1
    S: * OK [UIDVALIDITY $FOOVALIDITY] UIDs valid
    S: * OK [UIDNEXT 2] Predicted next UID
    S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
    S: * OK [MAILBOXID ($FOO)] Mailbox ID
    S: 25 OK [READ-WRITE] SELECT completed
    # 5.1: "the same EMAILID as the source message ... after a COPY or MOVE".
    C: 26 fetch 1:* (emailid threadid)
    S: * 1 FETCH (EMAILID ($B) THREADID ($T1))
    S: 26 OK FETCH completed
    C: 30 copy 1 inbox
    S: 30 OK [COPYUID $UIDVALIDITY 1 4] COPY completed
    C: 31 uid search emailid $B
    S: * SEARCH 1
    S: 31 OK SEARCH completed
"""


def test_rfc8474_5_3_fetch_and_6_search_examples_and_copy_keeps_the_emailid() -> None:
    bound = play(_server(), LOGIN + RFC8474_5_3)
    assert len({bound["A"], bound["B"], bound["C"]}) == 3
    # 5.2: "MUST NOT use the same ObjectID value for both EMAILIDs and THREADIDs".
    assert bound["T1"] != bound["T2"]
    assert not {bound["T1"], bound["T2"]} & {bound["A"], bound["B"], bound["C"]}
    assert bound["FOO"] != bound["INBOX"]


def test_object_id_items_are_bad_without_objectid() -> None:
    plain = IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock())
    play(
        plain,
        """
        C: 1 LOGIN alice secret
        S: 1 OK $ANY
        C: 2 STATUS INBOX (MAILBOXID)
        S: 2 BAD [CLIENTBUG] Unsupported STATUS item MAILBOXID
        C: 3 SELECT INBOX
        S: * FLAGS ($ANY)
        S: * 0 EXISTS
        S: * 0 RECENT
        S: * OK [UIDVALIDITY $NUMBER] UIDs valid
        S: * OK [UIDNEXT 1] Predicted next UID
        S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
        S: 3 OK [READ-WRITE] SELECT completed
        C: 4 UID FETCH 1 (EMAILID)
        S: 4 BAD [CLIENTBUG] FETCH EMAILID is not supported
        C: 5 SEARCH EMAILID M1
        S: 5 BAD [CLIENTBUG] Search key EMAILID is not supported
        """,
    )
