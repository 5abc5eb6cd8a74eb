"""ACL commands (RFC 4314 3): SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS.

They are answered when the account implements :class:`AclAccount` (the
session then holds an :class:`AccountView`); the capabilities ``ACL``,
``RIGHTS=texk`` (RFC 4314 5.1.1) and ``LIST-MYRIGHTS`` (RFC 8440) follow
from that protocol.  The rights rules live in :mod:`._acl`.  The texts of
the tagged OKs are those of the RFC's examples.
"""

from __future__ import annotations

from typing import Any

from .._commands import DeleteAcl, GetAcl, ListRights, MyRights, SetAcl
from .._responses import AclData, ListRightsData, MyRightsData
from ._acl import (
    ALL_RIGHTS,
    LISTRIGHTS_OPTIONAL,
    AccountView,
    format_rights,
    parse_rights,
    prepare_identifier,
    store_form,
    stored_rights,
)
from ._backend import AclAccount, ImapBad
from ._session import Completion, ServerCommand, Session, serve

__all__ = ["ACCOUNT_CAPABILITIES", "COMMANDS", "ENABLEABLE"]

#: What ENABLE can turn on because of these handlers (nothing).
ENABLEABLE: frozenset[str] = frozenset()


def _view(session: Session) -> AccountView:
    account = session.require_account()
    if not isinstance(account, AccountView):
        # As for a command no handler answers: this store keeps no ACLs.
        raise ImapBad("ACL is not supported", "CANNOT")
    return account


def setacl(session: Session, command: SetAcl) -> Completion:
    """RFC 4314 3.1: replace, add to (``+``) or remove from (``-``) the
    rights of an identifier; needs ``a`` (section 4)."""
    view = _view(session)
    identifier = prepare_identifier(command.identifier)
    rights = parse_rights(command.rights)  # BAD for an unknown right, before any look-up
    account, name, _ = view.administer(command.mailbox)
    if command.mode != "replace":
        current = stored_rights(account.get_acl(name).get(identifier, ""))
        rights = current | rights if command.mode == "add" else current - rights
    account.set_acl(name, identifier, store_form(rights))
    return Completion(text="Setacl complete")


def deleteacl(session: Session, command: DeleteAcl) -> Completion:
    """RFC 4314 3.2: remove the identifier's entry (not its negative one)."""
    view = _view(session)
    identifier = prepare_identifier(command.identifier)
    account, name, _ = view.administer(command.mailbox)
    account.set_acl(name, identifier, None)
    return Completion(text="Deleteacl complete")


def getacl(session: Session, command: GetAcl) -> Completion:
    """RFC 4314 3.3: the stored entries, in the order they were set (the
    owner's implicit rights are not an entry: LISTRIGHTS tells them)."""
    account, name, _ = _view(session).administer(command.mailbox)
    entries = tuple(
        (identifier, format_rights(stored_rights(rights)))
        for identifier, rights in account.get_acl(name).items()
    )
    session.send(AclData(mailbox=command.mailbox, entries=entries))
    return Completion(text="Getacl complete")


def listrights(session: Session, command: ListRights) -> Completion:
    """RFC 4314 3.4: the owner always has every right; anybody else may be
    granted each right on its own.  The identifier is echoed as sent."""
    view = _view(session)
    identifier = prepare_identifier(command.identifier)
    _, _, owner = view.administer(command.mailbox)
    optional: tuple[str, ...] = ()
    if identifier == owner:
        required = format_rights(ALL_RIGHTS)
    else:
        required, optional = "", LISTRIGHTS_OPTIONAL
    session.send(
        ListRightsData(
            mailbox=command.mailbox,
            identifier=command.identifier,
            required=required,
            optional=optional,
        )
    )
    return Completion(text="Listrights completed")


def myrights(session: Session, command: MyRights) -> Completion:
    """RFC 4314 3.5: the user's own rights (any of ``lrikxa`` needed)."""
    rights = _view(session).my_rights(command.mailbox)
    session.send(MyRightsData(mailbox=command.mailbox, rights=format_rights(rights)))
    return Completion(text="Myrights complete")


#: Capabilities that follow from an optional protocol of the account.
ACCOUNT_CAPABILITIES: tuple[tuple[str, type], ...] = (
    ("ACL", AclAccount),  # RFC 4314
    ("RIGHTS=texk", AclAccount),  # RFC 4314 5.1.1
    ("LIST-MYRIGHTS", AclAccount),  # RFC 8440
)

COMMANDS: tuple[ServerCommand[Any], ...] = (
    serve("SETACL", setacl),
    serve("DELETEACL", deleteacl),
    serve("GETACL", getacl),
    serve("LISTRIGHTS", listrights),
    serve("MYRIGHTS", myrights),
)
