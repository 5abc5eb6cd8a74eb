"""SEARCH, SORT and CANCELUPDATE: the commands that select messages by criteria.

SEARCH and UID SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4) with every search key,
CHARSET US-ASCII and UTF-8, result options MIN MAX ALL COUNT (ESEARCH,
RFC 4731) and SAVE with ``$`` (SEARCHRES, RFC 5182), YOUNGER/OLDER (WITHIN,
RFC 5032) and MODSEQ (RFC 7162 3.1.5); SORT (RFC 5256 3) with ARRIVAL CC DATE
FROM SIZE SUBJECT TO and DISPLAYFROM DISPLAYTO (RFC 5957).  The search
itself is :mod:`._search`, the sort keys :mod:`._sort_keys`, the UPDATE
contexts :mod:`._contexts`; THREAD is :mod:`._cmd_thread`.

SORT RETURN (MIN MAX ALL COUNT SAVE) answers ``* ESEARCH`` (ESORT, RFC 5267
3): MIN and MAX are the first and last messages in sort order, ALL lists
them in sort order with ascending runs written as ranges (RFC 5267 3.2).
RETURN (PARTIAL a:b) and (PARTIAL -a:-b) page through the result counted
from its start or its end (PARTIAL, RFC 9394 3.1; RFC 5267 4.4), for SEARCH
in mailbox order and for SORT in sort order.  The CONTEXT hint (RFC 5267
4.2, ignored) and UPDATE (4.3) are accepted when CONTEXT=SEARCH /
CONTEXT=SORT is advertised, answered BAD otherwise.

Not implemented (answered BAD): the SAVEDATE, ANNOTATION, FILTER, FUZZY,
EMAILID and THREADID keys.
"""

from __future__ import annotations

from typing import Any

from .._commands import (
    CancelUpdate,
    Search,
    Sort,
)
from .._responses import (
    SearchData,
    SortData,
)
from ._condstore import enable_condstore
from ._contexts import Contexts, check_update, start_context
from ._search import (
    bad_charset,
    check_charset,
    check_options,
    check_partial,
    extended_result,
    highest_modseq,
    search_steps,
)
from ._session import ServerCommand, Session, Steps, serve
from ._sort_keys import sort_function, sort_steps

__all__ = ["COMMANDS", "ENABLEABLE"]


def search(session: Session, command: Search) -> Steps:
    """SEARCH / UID SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4, RFC 4731, RFC 5182)."""
    _, view = session.require_mailbox()
    options = check_options(session, command, "CONTEXT=SEARCH")
    check_update(session, command, options)
    check_partial(command, options)
    save = options is not None and "SAVE" in options
    if not check_charset(session, command.charset, search=True):
        if save:
            view.saved_result = ()  # RFC 5182 2.1: a failed SAVE empties $
        bad_charset(session, command.charset or "")
        return None
    found, compiler, view = yield from search_steps(session, command.criteria)
    if compiler.uses_modseq:
        enable_condstore(session)  # RFC 7162 3.1: SEARCH MODSEQ enables CONDSTORE

    rev2 = "IMAP4REV2" in session.conn.enabled
    if options is None and not rev2:
        numbers = [item.uid if command.uid else item.seq for item in found]
        modseq = highest_modseq(compiler, found)
        session.send(SearchData(numbers=tuple(numbers), modseq=modseq))
        return None
    # RFC 9051 6.4.4: IMAP4rev2 always answers with ESEARCH.
    result = extended_result(
        session, command, options=options or (), found=found, compiler=compiler, view=view
    )
    start_context(session, command, options, found, view)
    return result


def sort(session: Session, command: Sort) -> Steps:
    """SORT / UID SORT (RFC 5256 3), with RETURN (ESORT, RFC 5267 3)."""
    options = check_options(session, command, "CONTEXT=SORT")
    check_update(session, command, options)
    check_partial(command, options)
    for key in command.sort_keys:
        sort_function(key)  # BAD for an unknown criterion before searching
    if not check_charset(session, command.charset, search=False):
        if options is not None and "SAVE" in options:
            session.require_mailbox()[1].saved_result = ()  # as SEARCH (RFC 5182 2.1)
        bad_charset(session, command.charset)
        return None
    found, compiler, _ = yield from search_steps(session, command.criteria)
    if compiler.uses_modseq:
        enable_condstore(session)  # RFC 7162 3.1 (a SEARCH MODSEQ), 3.1.9
    ordered = yield from sort_steps(found, command.sort_keys)
    yield  # the answer of a big SORT in a step of its own
    if options is not None:
        _, view = session.require_mailbox()
        result = extended_result(
            session, command, options=options, found=ordered, compiler=compiler, view=view
        )
        start_context(session, command, options, ordered, view)
        return result
    numbers = tuple(item.uid if command.uid else item.seq for item in ordered)
    session.send(SortData(numbers=numbers, modseq=highest_modseq(compiler, found)))
    return None


def cancel_update(session: Session, command: CancelUpdate) -> None:
    """CANCELUPDATE (RFC 5267 4.3.5): no more updates for these contexts.

    A tag with no live context is ignored (the result is the same: no
    updates for it).
    """
    _, view = session.require_mailbox()
    contexts = view.drain_hook
    if isinstance(contexts, Contexts):
        for tag in command.tags:
            contexts.active.pop(tag, None)


#: What ENABLE can turn on because of these handlers.
ENABLEABLE: frozenset[str] = frozenset()

COMMANDS: tuple[ServerCommand[Any], ...] = (
    # RFC 4731, 5182, 5032, 9394 (PARTIAL: also the UID FETCH modifier)
    serve("SEARCH", search, "ESEARCH", "SEARCHRES", "WITHIN", "PARTIAL"),
    serve("SORT", sort, "SORT", "SORT=DISPLAY", "ESORT"),  # RFC 5256, 5957, 5267 3
    # RFC 5267 4: UPDATE contexts through the view's drain hook.
    serve("CANCELUPDATE", cancel_update, "CONTEXT=SEARCH", "CONTEXT=SORT"),
)
