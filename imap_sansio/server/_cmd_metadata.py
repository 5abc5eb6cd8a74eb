"""GETMETADATA and SETMETADATA: annotations on the server and on mailboxes.

METADATA (RFC 5464) over the optional :class:`MetadataAccount` protocol:
server annotations (mailbox ``""``) and mailbox annotations, ``/private``
(per user) and ``/shared`` entries, the MAXSIZE and DEPTH options of
GETMETADATA (4.2.1, 4.2.2) and the limits of SETMETADATA with their codes
``[METADATA MAXSIZE n]`` and ``[METADATA TOOMANY]`` (4.3).  Advertised as
METADATA (server and mailbox annotations, RFC 5464 1) only for accounts
that implement the protocol.

Decisions where the RFC leaves room:

* Server ``/shared`` entries are set by the operator (through the backend),
  not by clients: they are seen by every user, so one user could otherwise
  speak to all (RFC 5464 3.3: servers MAY restrict them; NO [NOPERM]).
  ``/shared/admin`` is read-only in any case (3.2.1.1).
* Entry names are case-insensitive (3.2): they are stored and returned in
  lower case.
* No unsolicited METADATA responses are sent after ENABLE METADATA (4.4
  makes them optional), so ENABLE METADATA turns nothing on; NOTIFY's
  metadata events send them (RFC 5465 5.6, 5.7, no ENABLE needed).
* ``[METADATA NOPRIVATE]`` is never needed: private entries are supported
  wherever shared ones are.
* On another user's shared mailbox (ACL, RFC 4314) both kinds of entries
  need the ``l`` right and one of ``r``, ``s``, ``w``, ``i`` or ``p`` (RFC
  5464 3.3), to read and to set; without ``l`` the mailbox is answered as
  one that does not exist (RFC 4314 6), else ``NO [NOPERM]``.  The user's
  ``/private`` entries there are the user's own, kept by the owner's store
  (``user=``).  Other sessions hear of changes through NOTIFY's
  MailboxMetadataChange and ServerMetadataChange (RFC 5465 5.6, 5.7).
"""

from __future__ import annotations

from typing import Any

from .._commands import GetMetadata, SetMetadata
from .._responses import MetadataData, OtherCode, metadata_entry_error
from ._acl import AccountView, is_other_users
from ._backend import ImapBad, ImapNo, MetadataAccount, NoSuchMailbox
from ._metadata import MetadataLimits
from ._session import Completion, ServerCommand, Session, serve

__all__ = ["ACCOUNT_CAPABILITIES", "COMMANDS", "ENABLEABLE"]


#: What ENABLE can turn on because of these handlers (nothing: see above).
ENABLEABLE: frozenset[str] = frozenset()


def _account(session: Session) -> MetadataAccount:
    account = session.require_account()
    if not isinstance(account, MetadataAccount):
        raise ImapBad("METADATA is not supported", "CLIENTBUG")
    return account


#: RFC 5464 3.3: with ACL, "the "l" right and any one of the "r", "s",
#: "w", "i", or "p" rights".
_ANNOTATING_RIGHTS = frozenset("rswip")


def _target(session: Session, mailbox: str) -> tuple[MetadataAccount, str, str | None]:
    """The account that keeps ``mailbox``'s annotations, the name there and
    whose private entries are meant (None: that account's user); rights
    checked for another user's shared mailbox (RFC 5464 3.3)."""
    account = _account(session)
    if not (mailbox and isinstance(account, AccountView) and is_other_users(mailbox)):
        return account, mailbox, None
    owner, local, rights = account.rights(mailbox)
    if "l" not in rights:
        raise NoSuchMailbox()  # RFC 4314 6: nothing said of what cannot be seen
    if not rights & _ANNOTATING_RIGHTS:
        raise ImapNo("You may not annotate this mailbox", "NOPERM")
    if not isinstance(owner, MetadataAccount):
        raise ImapNo("The owner's store keeps no annotations", "CANNOT")
    return owner, local, session.username


def _entry_names(entries: tuple[str, ...]) -> list[str]:
    """The entry names lower-cased; BAD for an invalid one (RFC 5464 3.2)."""
    names = []
    for entry in entries:
        problem = metadata_entry_error(entry)
        if problem is not None:
            raise ImapBad(problem, "CLIENTBUG")
        names.append(entry.lower())
    return names


def getmetadata(session: Session, command: GetMetadata) -> Completion:
    """GETMETADATA (RFC 5464 4.2), with MAXSIZE (4.2.1) and DEPTH (4.2.2)."""
    account, mailbox, user = _target(session, command.mailbox)
    requested = _entry_names(command.entries)
    stored = (
        account.get_metadata(mailbox) if user is None else account.get_metadata(mailbox, user=user)
    )
    depth = command.depth or "0"  # 4.2.2: no DEPTH is DEPTH 0
    found: dict[str, bytes] = {}
    for entry in requested:
        if entry in stored:
            found.setdefault(entry, stored[entry])
        if depth != "0":
            prefix = entry + "/"
            for name in sorted(stored):
                rest = name[len(prefix) :]
                if name.startswith(prefix) and (depth == "INFINITY" or "/" not in rest):
                    found.setdefault(name, stored[name])
    longest = 0
    entries: list[tuple[str, bytes | None]] = []
    for name, value in found.items():
        if command.maxsize is not None and len(value) > command.maxsize:
            # 4.2.1: left out, and the size of the biggest one left out is told.
            longest = max(longest, len(value))
        else:
            entries.append((name, value))
    if entries:
        session.send(MetadataData(mailbox=command.mailbox, entries=tuple(entries)))
    code = OtherCode(name="METADATA", text=f"LONGENTRIES {longest}") if longest else None
    return Completion(text="GETMETADATA complete", code=code)


def setmetadata(session: Session, command: SetMetadata) -> Completion:
    """SETMETADATA (RFC 5464 4.3): every entry set, or none."""
    account, mailbox, user = _target(session, command.mailbox)
    names = _entry_names(tuple(entry for entry, _ in command.entries))
    limits: MetadataLimits = session.server.metadata_limits
    changes: dict[str, bytes | None] = {}
    for name, (_, value) in zip(names, command.entries, strict=True):
        if command.mailbox == "" and name.startswith("/shared/"):
            raise ImapNo("Server annotations are read-only", "NOPERM")
        if value is not None and len(value) > limits.max_size:
            raise ImapNo("SETMETADATA failed", f"METADATA MAXSIZE {limits.max_size}")
        changes[name] = value
    try:
        if user is None:
            account.set_metadata(mailbox, changes, max_entries=limits.max_entries)
        else:
            account.set_metadata(mailbox, changes, max_entries=limits.max_entries, user=user)
    except ImapNo as exc:
        if exc.code is not None and exc.code.startswith("METADATA "):
            raise ImapNo("SETMETADATA failed", exc.code) from None
        raise
    return Completion(text="SETMETADATA complete")


#: Capabilities that follow from the account's optional protocol.
ACCOUNT_CAPABILITIES: tuple[tuple[str, type], ...] = (
    ("METADATA", MetadataAccount),  # RFC 5464 1: server and mailbox annotations
)

COMMANDS: tuple[ServerCommand[Any], ...] = (
    serve("GETMETADATA", getmetadata),
    serve("SETMETADATA", setmetadata),
)
