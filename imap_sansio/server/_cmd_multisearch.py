"""ESEARCH: one search over several mailboxes (MULTISEARCH, RFC 7377).

``ESEARCH IN (source...) [RETURN (...)] criteria`` searches each mailbox
the sources name (2.2: selected, inboxes, personal, subscribed, subtree,
subtree-one, mailboxes) and answers, per mailbox with a match, ``* ESEARCH
(TAG "t" MAILBOX "m" UIDVALIDITY n) UID ...`` (2.1), always in UIDs and
with the result options of SEARCH (ESEARCH, PARTIAL) counted per mailbox.
Without sources the selected mailbox is searched.  The selected mailbox is
searched through the session's view (its messages as the client knows
them, its message numbers in the criteria); any other is searched whole,
its message numbers being positions in it.

The search runs as steps (a few messages, and one mailbox at a time), as
SEARCH does, so a search of many mailboxes lets the adapter serve other
sessions in between; nothing is locked while it runs.

Decisions where the RFC leaves room:

* A named mailbox that does not exist (or is ``\\Noselect``) is left out
  without an error, like one the user may not read (2.2, 5: nothing may
  tell the two apart).  A mailbox named twice is searched once (2.2 allows
  that or BAD).
* ``inboxes`` is INBOX (the only mailbox deliveries go to here).
* Mailboxes are searched in name order, INBOX first.
* UPDATE is refused (BAD) in ESEARCH: RFC 7377 2.2 allows it only for the
  selected mailbox, and a SEARCH gives the same thing there.  CONTEXT is
  accepted as in SEARCH (a hint).  SAVE is BAD unless the selected mailbox
  is the only source (2.2).
"""

from __future__ import annotations

from typing import Any

from .._commands import ESearch, SearchSource
from .._view import SelectedMailboxView
from ._acl import is_other_users
from ._backend import Account, ImapBad, ImapNo, Mailbox, NoSuchMailbox
from ._condstore import enable_condstore
from ._search import (
    bad_charset,
    check_charset,
    check_options,
    check_partial,
    extended_result,
    search_steps,
)
from ._session import ServerCommand, Session, Steps, serve
from .names import INBOX, is_inferior

__all__ = ["COMMANDS", "ENABLEABLE"]

#: What ENABLE can turn on because of these handlers (nothing).
ENABLEABLE: frozenset[str] = frozenset()

_SELECTED = SearchSource(filter="SELECTED")


def _mailbox_names(
    session: Session, account: Account, sources: tuple[SearchSource, ...]
) -> list[str]:
    """The selectable mailboxes the sources name, each once, INBOX first."""
    infos = account.list_mailboxes()
    selectable = {info.name for info in infos if info.selectable}
    chosen: set[str] = set()
    for source in sources:
        kind = source.filter
        if kind == "SELECTED":
            chosen.add(session.require_mailbox()[0].name)
        elif kind == "INBOXES":
            chosen.add(INBOX)
        elif kind == "PERSONAL":
            # RFC 7377 2.2: the personal namespace, not other users' (RFC 4314).
            chosen |= {name for name in selectable if not is_other_users(name)}
        elif kind == "SUBSCRIBED":
            chosen |= selectable & account.subscriptions()
        elif kind == "MAILBOXES":
            chosen |= selectable & set(source.mailboxes)
        else:  # SUBTREE, SUBTREE-ONE (RFC 7377 2.2)
            for top in source.mailboxes:
                chosen.add(top)
                for name in selectable:
                    below = name[len(top) + 1 :]
                    if is_inferior(name, top) and (kind == "SUBTREE" or "/" not in below):
                        chosen.add(name)
    return sorted(chosen & selectable, key=lambda name: (name != INBOX, name))


def _whole_view(mailbox: Mailbox) -> SelectedMailboxView:
    """A view of every message of a mailbox that is not selected."""
    status = mailbox.status()
    return SelectedMailboxView(
        uids=[info.uid for info in mailbox.messages()],
        uidvalidity=mailbox.uidvalidity,
        uidnext=status.uidnext,
    )


def esearch(session: Session, command: ESearch) -> Steps:
    """ESEARCH (RFC 7377 2)."""
    account = session.require_account()
    sources = command.sources or (_SELECTED,)
    only_selected = all(source.filter == "SELECTED" for source in sources)
    if any(source.filter == "SELECTED" for source in sources):
        session.require_mailbox()  # 2.2: "selected" needs the selected state: BAD
    options = check_options(session, command, "CONTEXT=SEARCH")
    check_partial(command, options)
    if options is not None and "UPDATE" in options:
        raise ImapBad("UPDATE is not supported in ESEARCH", "CLIENTBUG")
    if options is not None and "SAVE" in options and not only_selected:
        # 2.2: SAVE only when the selected mailbox is the sole source.
        raise ImapBad("SAVE needs the selected mailbox as the only source", "CLIENTBUG")
    if not check_charset(session, command.charset, search=True):
        bad_charset(session, command.charset or "")
        return None
    selected = session.mailbox.name if session.mailbox is not None else None
    for index, name in enumerate(_mailbox_names(session, account, sources)):
        if index:
            yield  # one mailbox per step at least
        if name == selected:
            target = None
        else:
            try:
                mailbox = account.select(name)
                target = (mailbox, _whole_view(mailbox))
            except NoSuchMailbox:
                continue  # deleted meanwhile: as if it had never been named
            except ImapNo as exc:
                if exc.code != "NOPERM":
                    raise
                continue  # RFC 4314 4: listed ("l") but not readable ("r")
        found, compiler, view = yield from search_steps(session, command.criteria, target)
        if compiler.uses_modseq:
            enable_condstore(session)  # RFC 7162 3.1: a MODSEQ key enables CONDSTORE
        if not found:
            if target is None and options is not None and "SAVE" in options:
                view.saved_result = ()  # RFC 5182 2.4: $ is the (empty) result
            continue  # 2.1: no ESEARCH response for a mailbox without matches
        extended_result(
            session,
            command,
            options=options or (),  # 2.1: no result option means ALL
            found=found,
            compiler=compiler,
            view=view,
            correlators=(name, view.uidvalidity),
        )
    return None


COMMANDS: tuple[ServerCommand[Any], ...] = (serve("ESEARCH", esearch, "MULTISEARCH"),)
