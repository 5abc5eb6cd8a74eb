"""RFC 8440 (LIST-MYRIGHTS) section 4: both examples, replayed.

Deviations from the RFC's server lines, each a free server choice:

* The hierarchy separator is ``/``, not ``.``, and a name that is an atom
  (``INBOX``) is sent as an atom, not quoted (RFC 3501 astring).
* The extended item's tag is quoted, ``"CHILDINFO"``, as in RFC 5258's own
  examples; both forms are an astring (RFC 5258 6,
  ``mbox-list-extended-item-tag``).
* The tagged OK's text is ``LIST completed`` (resp-text is free).
* LIST responses come in name order, not the RFC's (RFC 8440 3 only
  requires a MYRIGHTS after its LIST).
* A01: our user owns every right on their own mailboxes (RFC 4314 2 lets
  an implementation force the owner's rights), so a ``foo`` on which the
  user has only ``lrs`` is another user's, which we name under the "Other
  Users" namespace (RFC 2342 5).  The command therefore lists ``INBOX`` and
  ``Other Users/alice/%`` (RFC 5258 multiple patterns) instead of ``%``,
  and the non-existent ``bar`` (which a ``%`` LIST only returns when it has
  children, RFC 5258 3) also carries ``\\HasChildren``, which RFC 5258 4
  lets a server send unasked ("a server MAY provide it even if the option
  is not specified").
"""

from __future__ import annotations

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play


def _server() -> IMAPServer:
    backend = MemoryBackend(users={"alice": "a", "bob": "b"})
    alice = backend.account("alice")
    alice.create_mailbox("foo")
    alice.set_acl("foo", "bob", "lrs")
    # "bar" is no mailbox; only a child of it that bob may see exists.
    alice.create_mailbox("bar/baz")
    alice.set_acl("bar/baz", "bob", "l")
    bob = backend.account("bob")
    bob.create_mailbox("foo")
    bob.create_mailbox("foo/sub")
    bob.subscribe("INBOX")
    bob.subscribe("foo/sub")
    return IMAPServer(backend, clock=fixed_clock())


LOGIN = """
    C: l LOGIN bob b
    S: l OK [CAPABILITY $ANY LIST-MYRIGHTS $ANY] LOGIN completed
"""


def test_rfc8440_4_example_1_no_myrights_for_a_nonexistent_mailbox() -> None:
    # RFC 8440 4: 'the "bar" mailbox doesn't exist, so it has no MYRIGHTS reply.'
    #   C: A01 LIST "" % RETURN (MYRIGHTS)
    #   S: * LIST () "." "INBOX"
    #   S: * MYRIGHTS "INBOX" lrswipkxtecda
    #   S: * LIST () "." "foo"
    #   S: * MYRIGHTS "foo" lrs
    #   S: * LIST (\NonExistent) "." "bar"
    #   S: A01 OK List completed.
    play(
        _server(),
        LOGIN
        + """
        C: A01 LIST "" (INBOX "Other Users/alice/%") RETURN (MYRIGHTS)
        S: * LIST () "/" INBOX
        S: * MYRIGHTS INBOX lrswipkxtecda
        S: * LIST (\\NonExistent \\HasChildren) "/" "Other Users/alice/bar"
        S: * LIST () "/" "Other Users/alice/foo"
        S: * MYRIGHTS "Other Users/alice/foo" lrs
        S: A01 OK LIST completed
        """,
    )


def test_rfc8440_4_example_2_no_myrights_for_a_name_outside_the_selection() -> None:
    # RFC 8440 4: 'the LIST reply for the "foo" mailbox is returned because it
    # has matching children, but no MYRIGHTS reply is returned, because "foo"
    # itself doesn't match the selection criteria.'
    #   C: A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (MYRIGHTS)
    #   S: * LIST (\Subscribed) "." "INBOX"
    #   S: * MYRIGHTS "INBOX" lrswipkxtecda
    #   S: * LIST () "." "foo" (CHILDINFO ("SUBSCRIBED"))
    #   S: A02 OK List completed.
    play(
        _server(),
        LOGIN
        + """
        C: A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (MYRIGHTS)
        S: * LIST (\\Subscribed) "/" INBOX
        S: * MYRIGHTS INBOX lrswipkxtecda
        S: * LIST () "/" foo ("CHILDINFO" ("SUBSCRIBED"))
        S: A02 OK LIST completed
        """,
    )
