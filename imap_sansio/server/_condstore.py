"""CONDSTORE and QRESYNC helpers shared by the handlers (RFC 7162)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence

from .._responses import HighestModSeqCode
from ._backend import CondstoreAccount, Mailbox
from ._session import Completion, Session

__all__ = [
    "condstore_enabled",
    "enable_condstore",
    "highest_modseq_completion",
    "in_spans",
    "report_highest_modseq",
    "vanished_since",
]


def condstore_enabled(session: Session) -> bool:
    """The client is CONDSTORE-aware (RFC 7162 3.1; QRESYNC implies it, 3.2.3)."""
    enabled = session.conn.enabled
    return "CONDSTORE" in enabled or "QRESYNC" in enabled


def enable_condstore(session: Session, *, report: bool = True) -> bool:
    """A CONDSTORE enabling command (RFC 7162 3.1) is running: turn CONDSTORE on.

    Returns True if it was not on yet.  Then the account is told (the
    :class:`CondstoreAccount` hook) and, with ``report`` and a mailbox
    selected, ``* OK [HIGHESTMODSEQ n]`` goes out now, before the command's
    other responses: "A first CONDSTORE enabling command executed in the
    session with a mailbox selected MUST cause the server to return
    HIGHESTMODSEQ".  ``n`` is the modseq up to which the session's view has
    pulled changes (told at the last completion), not the mailbox's newest,
    so it claims no change the client has not been told of.  An account
    without the protocol offers no CONDSTORE, and nothing is enabled.
    """
    account = session.account
    if not isinstance(account, CondstoreAccount):
        return False
    was_on = condstore_enabled(session)
    session.conn.enable("CONDSTORE")
    if was_on:
        return False
    account.enable_condstore()
    if report:
        report_highest_modseq(session)
    return True


def report_highest_modseq(session: Session) -> None:
    """``* OK [HIGHESTMODSEQ n]`` for the selected mailbox, if one is selected."""
    if session.mailbox is not None and session.conn.view is not None:
        session.untagged_ok("Highest", HighestModSeqCode(modseq=max(session.modseq, 1)))


def in_spans(spans: list[tuple[int, int]]) -> Callable[[int], bool]:
    """Membership in sorted, merged ``spans`` by bisection."""
    starts = [low for low, _ in spans]

    def member(number: int) -> bool:
        index = bisect.bisect_right(starts, number) - 1
        return index >= 0 and number <= spans[index][1]

    return member


def vanished_since(
    mailbox: Mailbox, spans: list[tuple[int, int]], since: int, *, existing: Iterable[int]
) -> list[int]:
    """The UIDs in ``spans`` expunged after modseq ``since``, ascending (RFC 7162 3.2.6).

    ``existing``: the UIDs of the mailbox now (a subset would do, at the price
    of reporting more).  The backend's tombstones
    (:meth:`Mailbox.changes_since`) name the messages that existed at
    ``since``; a message that arrived later and is gone again is missing
    from them, yet a client may know it (it saw the EXISTS and kept its
    older modseq), and forgetting it would leave a ghost in its cache.  So
    every absent UID above the highest UID that existed at ``since`` is
    reported as well: VANISHED (EARLIER) may name UIDs that never existed
    (3.2.10), it must not miss one.
    """
    changes = mailbox.changes_since(since)
    member = in_spans(spans)
    out = {uid for uid in changes.expunged if member(uid)}
    new = {m.uid for m in changes.new}
    # Messages not new since ``since`` existed then, as did the tombstones'.
    floor = 1 + max(
        max((uid for uid in existing if uid not in new), default=0),
        max(changes.expunged, default=0),
    )
    if since < changes.forgotten:
        # RFC 7162 3.2.6: below the oldest expunge the store remembers, the
        # server "MUST behave as if it was requested to report all expunged
        # messages from the provided UID set".
        floor = 1
    top = changes.uidnext - 1
    for first, last in spans:
        low, high = max(first, floor), min(last, top)
        if low <= high:
            present = {m.uid for m in mailbox.messages(range(low, high + 1))}
            out.update(uid for uid in range(low, high + 1) if uid not in present)
    return sorted(out)


def highest_modseq_completion(
    session: Session, gone: Sequence[int], text: str
) -> Completion | None:
    """``OK [HIGHESTMODSEQ n]`` after messages were expunged, with QRESYNC on.

    The view is synced first: ``n`` is the modseq up to which the client is
    told everything (the VANISHED responses go out before this OK), never
    more (RFC 7162 3.2).
    """
    if not gone or "QRESYNC" not in session.conn.enabled:
        return None
    session.sync()
    return Completion(text=text, code=HighestModSeqCode(modseq=max(session.modseq, 1)))
