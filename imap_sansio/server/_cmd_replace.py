"""REPLACE and UID REPLACE (RFC 8508): a new message in place of an old one.

The new message is appended to the named mailbox and the old one expunged
from the selected mailbox, as one action (RFC 8508 3.4).  A store that
implements :class:`ReplaceMailbox` does both in one change; for any other
the server appends, then flags and expunges the old message (by UID only:
"the EXPUNGE portion ... only applies to the specified message"), and takes
the new one away again if that fails, so the client is never told of an
expunge that did not happen with it.

What the client hears (RFC 8508 3.2, 4.3, 4.5): ``* OK [APPENDUID ...]``,
EXISTS if the new message is in the selected mailbox, then the EXPUNGE (or
VANISHED with QRESYNC or UIDONLY) that the session's sync sends like any
expunge, then the tagged OK, with ``[HIGHESTMODSEQ n]`` once
QRESYNC is on (as UID EXPUNGE, RFC 7162 3.2.9).  No FETCH for the STORE
step (3.4: its responses "MUST NOT be generated").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .._commands import Replace
from .._responses import AppendUidCode
from .._sequence import UidSet
from .._source import MessageSource
from ._backend import (
    Account,
    AppendResult,
    ImapNo,
    Mailbox,
    ReplaceMailbox,
    StoreAction,
)
from ._cmd_mailbox import prepare_message
from ._cmd_message import trycreate
from ._condstore import highest_modseq_completion
from ._session import Completion, ServerCommand, Session, serve

__all__ = ["COMMANDS", "ENABLEABLE"]

#: What ENABLE can turn on because of this handler (nothing).
ENABLEABLE: frozenset[str] = frozenset()

_DELETED = "\\Deleted"


def replace(session: Session, command: Replace) -> Completion:
    """REPLACE / UID REPLACE (RFC 8508 3.2-3.4)."""
    try:
        return _replace(session, command)
    finally:
        data = command.message.data
        if not isinstance(data, bytes):
            data.close()  # a spooled literal is released either way


def _replace(session: Session, command: Replace) -> Completion:
    mailbox, view = session.require_mailbox()
    account = session.require_account()
    if session.read_only:
        # The old message is expunged from the selected mailbox, which
        # EXAMINE forbids (RFC 3501 6.3.2), as for MOVE.
        raise ImapNo("Mailbox is read-only", "READ-ONLY")
    # The engine resolved the number to a UID (a sequence number beyond the
    # mailbox is BAD already); a UID of no message resolves to nothing.
    uids = view.resolve(command.messages)
    if not uids:
        raise ImapNo("No such message to replace")
    uid = uids[0]
    if view.is_expunged(uid):
        raise ImapNo("The message to replace was expunged", "EXPUNGEISSUED")
    data, flags, internal_date = prepare_message(session, account, command.message)
    destination = command.mailbox
    with trycreate(session, destination):  # RFC 8508 3.4: TRYCREATE as for APPEND
        if isinstance(mailbox, ReplaceMailbox):
            result = mailbox.replace(
                uid, destination, data, flags=flags, internal_date=internal_date
            )
        else:
            result = _replace_in_steps(
                session,
                account=account,
                mailbox=mailbox,
                uid=uid,
                destination=destination,
                data=data,
                flags=flags,
                internal_date=internal_date,
            )
    # RFC 8508 4.3: APPENDUID in an untagged OK, before the EXPUNGE.
    uid_set = UidSet(ranges=((result.uid, result.uid),))
    session.untagged_ok(
        "Replacement Message ready",
        AppendUidCode(uidvalidity=result.uidvalidity, uids=uid_set),
    )
    # RFC 8508 3.2: the new message (EXISTS) before the old one's EXPUNGE.
    session.sync()
    session.conn.send_additions()
    # RFC 8508 4.5: as if removed by UID EXPUNGE (RFC 7162 3.2.9, 3.2.10).
    done = highest_modseq_completion(session, [uid], "Replace completed")
    return done or Completion(text="Replace completed")


def _replace_in_steps(
    session: Session,
    *,
    account: Account,
    mailbox: Mailbox,
    uid: int,
    destination: str,
    data: bytes | MessageSource,
    flags: frozenset[str],
    internal_date: datetime,
) -> AppendResult:
    """APPEND, STORE +FLAGS.SILENT \\Deleted, UID EXPUNGE (RFC 8508 3.4) for a
    store without :class:`ReplaceMailbox`; the new message is removed again
    if the old one cannot be (3.4: no inconsistent state)."""
    result = account.append(destination, data, flags=flags, internal_date=internal_date)
    flagged = False
    try:
        stored = mailbox.store_flags([uid], StoreAction.ADD, (_DELETED,))
        flagged = uid in stored.changed
        if uid not in mailbox.expunge([uid]):
            raise ImapNo("The message to replace was expunged", "EXPUNGEISSUED")
    except Exception:
        try:
            if flagged:
                mailbox.store_flags([uid], StoreAction.REMOVE, (_DELETED,))
            added = account.select(destination)
            added.store_flags([result.uid], StoreAction.ADD, (_DELETED,))
            added.expunge([result.uid])
        except Exception as exc:  # the first failure is what the client hears
            if session.server.on_error is not None:
                session.server.on_error(exc)
        raise
    return result


COMMANDS: tuple[ServerCommand[Any], ...] = (
    serve("REPLACE", replace, "REPLACE"),  # RFC 8508 3.1
)
