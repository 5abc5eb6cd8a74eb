"""NOTIFY (RFC 5465): the client listens all the time.

This family sits above ``_cmd_message`` (not beside it, as the ``_cmd_*``
handler modules do): the FETCH responses a ``MessageNew`` notification
carries come from FETCH's own item writer.

``NOTIFY SET [STATUS] (filter events) ...`` replaces what the session is
told without asking; ``NOTIFY NONE`` turns every notification off.  The
session keeps a :class:`Watcher` (``Session.notify``) that decides, after
each change notice and before each tagged answer, what goes out:

* for the selected mailbox (``SELECTED`` / ``SELECTED-DELAYED``, RFC 5465
  6.1): its queued EXISTS / EXPUNGE / FETCH updates are pushed between
  commands, EXPUNGE only with ``SELECTED`` (``SELECTED-DELAYED`` keeps
  RFC 3501 7.4.1's rule), followed by the FETCH responses that
  ``MessageNew (fetch-att ...)`` asked for (5.2);
* for other mailboxes (``personal``, ``inboxes``, ``subscribed``,
  ``subtree``, ``mailboxes``, 6.2-6.6): an unsolicited STATUS when their
  counters move (5.1-5.3), LIST for ``MailboxName`` (5.4, with OLDNAME for
  a rename) and ``SubscriptionChange`` (5.5).

Changes reach the watcher as the backend's :class:`ChangeNotice` hints (it
listens to the backend itself, so notices from other sessions and, through
a store's notifier, other processes arrive); the adapters wake the session
(``Session.poll``) for any notice of its user while :attr:`Watcher.mailboxes`
is not empty, which runs the same path as IDLE.  The store stays the truth:
a notice only says which mailbox to read again.

``MailboxMetadataChange`` and ``ServerMetadataChange`` (5.6, 5.7) are
offered where METADATA is (the account implements
:class:`~._backend.MetadataAccount`): another session's SETMETADATA (or a
store's change) sends ``* METADATA "mbox" entry ...`` naming the entries
that changed, never their values (RFC 5464 4.4.2), and not to the session
that made the change (RFC 5465 5; RFC 5464 4.4 speaks of "a third-party").
A ``/private`` entry is told to its own user only.

Other users' shared mailboxes (RFC 4314, the "Other Users" namespace) are
watched like one's own where the filters name them, only while the user has
the ``l`` and ``r`` rights on them (RFC 5465 5: "All event types ...
require the 'l' and 'r' rights"); their notices come under the owner's
name and are read under the session's.

What this server does not do: ``AnnotationChange`` (it has no ANNOTATE,
RFC 5257), and the metadata events without METADATA, are refused with
``NO [BADEVENT (...)]`` naming the events it supports (3.1).  The updates
RFC 3501 sends at a command's completion for the selected mailbox still go
out when NOTIFY leaves the selected mailbox out: they keep the client's
message numbers in step with the server's (RFC 3501 5.2).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._commands import Command, FetchAttribute, FetchItem, Notify, NotifyGroup
from .._frozen import dataclass
from .._responses import (
    AppendUidCode,
    AtomCode,
    CopyUidCode,
    FetchDataItem,
    ListData,
    MetadataData,
    Response,
    ResponseCode,
    StatusData,
)
from . import names
from ._acl import OTHER_USERS, AccountView, is_other_users
from ._backend import ChangeNotice, ImapBad, ImapNo, MailboxInfo, MailboxStatus
from ._cmd_message import _ATTRIBUTES, _fetch_item, _FetchMessage, _recent
from ._condstore import condstore_enabled
from ._mailboxes import list_entries
from ._session import ServerCommand, Session, serve

__all__ = [
    "COMMANDS",
    "ENABLEABLE",
    "MAX_WATCHED",
    "METADATA_EVENTS",
    "SUPPORTED_EVENTS",
    "Watcher",
    "supported_events",
]

ENABLEABLE: frozenset[str] = frozenset()

#: The RFC 5465 8 event names, by upper case (they are case-insensitive).
_EVENT_NAMES = {
    name.upper(): name
    for name in (
        "MessageNew",
        "MessageExpunge",
        "FlagChange",
        "AnnotationChange",
        "MailboxName",
        "SubscriptionChange",
        "MailboxMetadataChange",
        "ServerMetadataChange",
    )
}
_MESSAGE_EVENTS = frozenset({"MessageNew", "MessageExpunge", "FlagChange", "AnnotationChange"})
#: What this server always reports (the list ``[BADEVENT (...)]`` names,
#: RFC 5465 3.1, with :data:`METADATA_EVENTS` where they are offered).
SUPPORTED_EVENTS: tuple[str, ...] = (
    "MessageNew",
    "MessageExpunge",
    "FlagChange",
    "MailboxName",
    "SubscriptionChange",
)
#: The metadata events and the capabilities that bring them: RFC 5465 5.6
#: ("REQUIRED" with METADATA) and 5.7 (with METADATA or METADATA-SERVER).
METADATA_EVENTS: dict[str, tuple[str, ...]] = {
    "MailboxMetadataChange": ("METADATA",),
    "ServerMetadataChange": ("METADATA", "METADATA-SERVER"),
}


def supported_events(capabilities: Iterable[str]) -> tuple[str, ...]:
    """The events a session with these capabilities may ask for."""
    offered = set(capabilities)
    return SUPPORTED_EVENTS + tuple(
        event for event, needs in METADATA_EVENTS.items() if offered.intersection(needs)
    )


_SELECTED_FILTERS = frozenset({"SELECTED", "SELECTED-DELAYED"})
#: Commands of the session itself that change the mailbox list: what they
#: did is not reported back (RFC 5465 5: "SHOULD omit notifying the client
#: if the event is caused by this client").
_LIST_COMMANDS = frozenset({"CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE"})
#: Commands of the session itself that add to another mailbox (same rule).
_ADDING_COMMANDS = frozenset({"APPEND", "COPY", "MOVE"})

#: Mailboxes one session may watch for message events: a NOTIFY over more is
#: refused with ``NO [NOTIFICATIONOVERFLOW]`` (RFC 5465 3.1: "too complex or
#: expensive"), and a watch that grows past it later ends with the untagged
#: ``OK [NOTIFICATIONOVERFLOW]`` and NOTIFY NONE (5.8).
MAX_WATCHED = 1000


@dataclass(frozen=True, slots=True)
class _Group:
    """One event group of NOTIFY SET, checked: events by canonical name
    (empty for NONE)."""

    filter: str
    mailboxes: tuple[str, ...]
    events: frozenset[str]


def _check_groups(
    session: Session, groups: Sequence[NotifyGroup]
) -> tuple[_Group | None, tuple[FetchItem, ...], tuple[_Group, ...]]:
    """The selected group, its MessageNew fetch items, and the others; raises
    the NO/BAD RFC 5465 asks for."""
    selected: _Group | None = None
    fetch: tuple[FetchItem, ...] = ()
    others: list[_Group] = []
    supported = supported_events(session.conn.capabilities)
    for group in groups:
        events: set[str] = set()
        for event in group.events or ():
            name = _EVENT_NAMES.get(event.name.upper())
            if name is None or name not in supported:
                # RFC 5465 3.1: NO, not BAD, listing every supported event.
                raise ImapNo(
                    f"Unsupported NOTIFY event {event.name}", f"BADEVENT ({' '.join(supported)})"
                )
            if event.fetch:
                if group.filter not in _SELECTED_FILTERS:
                    # RFC 5465 8: the fetch-att list only with SELECTED(-DELAYED).
                    raise ImapBad("MessageNew attributes are only for the selected mailbox")
                fetch = _check_fetch_items(event.fetch)
            events.add(name)
        if ("MessageNew" in events) != ("MessageExpunge" in events):
            # RFC 5465 5: both or neither, "Otherwise ... BAD".
            raise ImapBad("MessageNew and MessageExpunge go together")
        if "FlagChange" in events and "MessageNew" not in events:
            raise ImapBad("FlagChange needs MessageNew and MessageExpunge")
        checked = _Group(
            filter=group.filter,
            mailboxes=tuple(names.normalize(m) for m in group.mailboxes),
            events=frozenset(events),
        )
        if group.filter in _SELECTED_FILTERS:
            if selected is not None:
                # RFC 5465 6.1: only one of SELECTED and SELECTED-DELAYED.
                raise ImapBad("Only one SELECTED or SELECTED-DELAYED group is allowed")
            if not events <= _MESSAGE_EVENTS:
                raise ImapBad("SELECTED takes only message events")
            selected = checked
        else:
            others.append(checked)
    return selected, fetch, tuple(others)


def _check_fetch_items(items: Iterable[FetchItem]) -> tuple[FetchItem, ...]:
    """The MessageNew fetch attributes, each once; BAD for what FETCH refuses."""
    seen: dict[FetchItem, None] = {}
    for item in items:
        if isinstance(item, FetchAttribute) and item.name not in _ATTRIBUTES:
            raise ImapBad(f"FETCH {item.name} is not supported", "CLIENTBUG")
        if type(item).__name__ == "FetchAnnotation":
            raise ImapBad("FETCH item not supported", "CLIENTBUG")
        seen.setdefault(item, None)
    return tuple(seen)


def _matches(group: _Group, name: str, subscriptions: frozenset[str]) -> bool:
    """RFC 5465 6.2-6.6: does the (non-selected) filter cover ``name``?"""
    kind = group.filter
    if kind in ("PERSONAL", "INBOXES"):
        # 6.3: a server that cannot tell where deliveries go treats
        # "inboxes" as "personal"; every mailbox is personal but other
        # users' shared ones (RFC 4314, the "Other Users" namespace).
        return not is_other_users(name)
    if kind == "SUBSCRIBED":
        return name in subscriptions
    if kind == "SUBTREE":
        return any(name == m or names.is_inferior(name, m) for m in group.mailboxes)
    return name in group.mailboxes  # MAILBOXES: no wildcards (6.6)


def _events_for(groups: Sequence[_Group], name: str, subscriptions: frozenset[str]) -> set[str]:
    """The events asked for ``name``: every matching group counts, up to the
    first matching ``NONE`` (RFC 5465 6: several groups may apply)."""
    events: set[str] = set()
    for group in groups:
        if _matches(group, name, subscriptions):
            if not group.events:
                break
            events |= group.events
    return events


class Watcher:
    """What one session's NOTIFY SET asked for, and what it told so far."""

    def __init__(
        self,
        session: Session,
        *,
        selected: _Group | None,
        fetch: tuple[FetchItem, ...],
        groups: tuple[_Group, ...],
    ) -> None:
        self.selected = selected
        self.fetch = fetch
        self.groups = groups
        #: Notices heard since the last look (appended from any thread).
        self._notices: deque[ChangeNotice] = deque()
        self._remove_listener: Callable[[], None] | None = None
        self._list_events = any(g.events & {"MailboxName", "SubscriptionChange"} for g in groups)
        self._renames = any("MailboxName" in g.events for g in groups)
        self._message_groups = any(g.events & _MESSAGE_EVENTS for g in groups)
        self._mailbox_metadata = any("MailboxMetadataChange" in g.events for g in groups)
        self._server_metadata = any("ServerMetadataChange" in g.events for g in groups)
        #: Other users whose shared mailboxes are in the watch: their
        #: notices concern this session too (read from the listener).
        self._owners: frozenset[str] = frozenset()
        #: The mailbox list and subscriptions as last seen (when needed).
        self._infos: dict[str, MailboxInfo] = {}
        self._subscriptions: frozenset[str] = frozenset()
        #: Non-selected mailboxes watched for message events -> their events.
        self._watched: dict[str, frozenset[str]] = {}
        #: The status each watched mailbox had when last looked at.
        self._statuses: dict[str, MailboxStatus] = {}
        #: UIDVALIDITY of every mailbox, when MailboxName is asked for: a
        #: rename keeps it (RFC 3501 6.3.5), which is how one is told from a
        #: DELETE and a CREATE.
        self._validities: dict[str, int] = {}
        #: The selected mailbox at the last look (see _follow_selection).
        self._last_selected: str | None = None
        #: What :attr:`mailboxes` says (kept: the adapters ask at every step).
        self._mailboxes: frozenset[str] = frozenset()
        if groups:
            username = session.username
            backend = session.server.backend

            server_metadata = self._server_metadata

            def heard(notice: ChangeNotice) -> None:
                if (
                    notice.username == username
                    or notice.username in self._owners
                    or (
                        notice.metadata
                        and (
                            notice.private_to == username
                            or (server_metadata and notice.mailbox == "")
                        )
                    )
                ):
                    self._notices.append(notice)  # deque.append: thread-safe

            self._remove_listener = backend.add_listener(heard)

    # ------------------------------------------------------------ the protocol

    @property
    def mailboxes(self) -> frozenset[str]:
        return self._mailboxes

    @property
    def owners(self) -> frozenset[str]:
        return self._owners

    @property
    def listening(self) -> bool:
        """Changes outside the selected mailbox are asked for."""
        return bool(self.groups)

    def close(self) -> None:
        remove, self._remove_listener = self._remove_listener, None
        if remove is not None:
            remove()

    def poll(self, session: Session) -> None:
        conn = session.conn
        self._install_fetch_hook(session)  # a SELECT made a new view meanwhile
        if not self._check(session, full=not self._notices):
            return
        selected = self.selected
        if selected is None or not selected.events:
            return  # RFC 5465 3.1: "the same as specifying SELECTED NONE"
        if conn.output_full and not conn.pending_tags:
            # The client does not read what it asked for (RFC 5465 9).
            self.overflow(session)
            return
        # RFC 5465 6.1.2: SELECTED-DELAYED holds EXPUNGE back until a
        # command allows it (IDLE does: push_updates then drains it all).
        conn.push_updates(
            allow_expunge=selected.filter == "SELECTED",
            flag_updates="FlagChange" in selected.events,  # 5.1
        )

    def before_completion(
        self, session: Session, command: Command, code: ResponseCode | None
    ) -> None:
        hook = self._install_fetch_hook(session)
        target = getattr(command, "mailbox", None)
        if (
            hook is not None
            and command.name in _ADDING_COMMANDS
            and isinstance(target, str)
            and names.normalize(target) == self._selected_name(session)
        ):
            # RFC 5465 5.2: no FETCH "for a new message created by the client
            # on this particular connection": the UIDs its APPENDUID or
            # COPYUID names, when they went into the selected mailbox.
            uids = (
                code.uids
                if isinstance(code, AppendUidCode)
                else code.destination
                if isinstance(code, CopyUidCode)
                else ()
            )
            for low, high in uids:  # ranges
                hook.own.update(range(low, high + 1))
        if not self.groups:
            return
        self._follow_selection(session)
        if command.name in _LIST_COMMANDS:
            notices, kept = self._notices, []
            while notices:  # its own list change: taken in without a report
                notice = notices.popleft()
                if notice.mailbox is not None:
                    kept.append(notice)
            notices.extend(kept)
            self._refresh_list(session, report=False)
        elif command.name == "SETMETADATA":
            # RFC 5465 5: its own change is not reported back (RFC 5464 4.4
            # reports changes "by a third-party").
            mailbox = getattr(command, "mailbox", "")
            target = names.normalize(mailbox) if mailbox else ""
            me = session.username
            notices, kept = self._notices, []
            while notices:
                notice = notices.popleft()
                own = (notice.private_to or notice.username) == me
                if not (notice.metadata and own and self._name_of(notice, me) == target):
                    kept.append(notice)
            notices.extend(kept)
        elif command.name in _ADDING_COMMANDS:
            name = names.normalize(getattr(command, "mailbox", ""))
            if name in self._statuses:
                self._look(session, name, report=False)
        if self._notices:
            self._check(session, full=False)

    # ------------------------------------------------------------- the work

    def start(self, session: Session, *, status: bool) -> None:
        """NOTIFY SET: the first look (and with STATUS the initial STATUS
        responses, RFC 5465 3.1)."""
        self._install_fetch_hook(session)
        if not self.groups:
            return
        account = session.require_account()
        self._infos = {info.name: info for info in account.list_mailboxes()}
        self._subscriptions = account.subscriptions()
        self._rewatch()
        self._learn_validities(session, self._infos)
        if len(self._watched) > MAX_WATCHED:
            self.close()
            raise ImapNo("Too many mailboxes to watch", "NOTIFICATIONOVERFLOW")
        self._tell_no_access(session)
        hms = "CONDSTORE" in session.conn.capabilities
        selected = self._last_selected = self._selected_name(session)
        for name in sorted(self._watched):
            if name == selected:
                continue
            current = self._status(session, name)
            if current is None:
                continue
            self._statuses[name] = current
            if not status:
                continue
            events = self._watched[name]
            # RFC 5465 3.1: MESSAGES, UIDNEXT and UIDVALIDITY for MessageNew,
            # MESSAGES for MessageExpunge, UIDVALIDITY and HIGHESTMODSEQ for
            # FlagChange when the server has CONDSTORE; in the order of the
            # RFC's example.
            modseq = hms and "FlagChange" in events
            session.send(
                StatusData(
                    mailbox=name,
                    uidvalidity=current.uidvalidity,
                    uidnext=current.uidnext,
                    messages=current.messages,
                    highestmodseq=current.highest_modseq if modseq else None,
                    order=("UIDVALIDITY", "UIDNEXT", "MESSAGES")
                    + (("HIGHESTMODSEQ",) if modseq else ()),
                )
            )

    def _tell_no_access(self, session: Session) -> None:
        """RFC 5465 3.1: a mailbox the filters cover that the user may LIST
        ('l') but not read ('r', which every event needs, 5) is answered
        with an extended LIST carrying ``\\NoAccess``.  Only another user's
        mailbox can lack a right (one's own has them all)."""
        for name, info in sorted(self._infos.items()):
            if (
                info.selectable
                and is_other_users(name)
                and _events_for(self.groups, name, self._subscriptions)
                and not self._may_observe(session, name)
            ):
                session.send(ListData(attributes=("\\NoAccess",), delimiter="/", mailbox=name))

    def overflow(self, session: Session) -> None:
        """RFC 5465 5.8: tell the client, then behave as after NOTIFY NONE."""
        self.close()
        watcher = Watcher(session, selected=None, fetch=(), groups=())
        watcher._install_fetch_hook(session)
        session.notify = watcher
        session.untagged_ok(
            "Too many notifications; NOTIFY NONE is in effect",
            AtomCode(name="NOTIFICATIONOVERFLOW"),
        )

    @staticmethod
    def _selected_name(session: Session) -> str | None:
        mailbox = session.mailbox
        if mailbox is None:
            return None
        try:
            return mailbox.name
        except ImapNo:  # deleted under the session: its next sync ends it
            return None

    @staticmethod
    def _status(session: Session, name: str) -> MailboxStatus | None:
        account = session.account
        if account is None:
            return None
        try:
            return account.status(name)
        except ImapNo:  # gone meanwhile (RFC 5465 3.1: ignore it)
            return None

    def _rewatch(self) -> None:
        """The watched mailboxes from the list and subscriptions last seen."""
        subscriptions = self._subscriptions
        watched: dict[str, frozenset[str]] = {}
        if self._message_groups:
            for name, info in self._infos.items():
                if not info.selectable:
                    continue
                events = _events_for(self.groups, name, subscriptions) & _MESSAGE_EVENTS
                if events:
                    watched[name] = frozenset(events)
        self._watched = watched
        observed = set(watched)
        if self._mailbox_metadata:
            observed.update(
                name
                for name in self._infos
                if "MailboxMetadataChange" in _events_for(self.groups, name, subscriptions)
            )
        owners = frozenset(
            name[len(OTHER_USERS) + 1 :].partition("/")[0]
            for name in observed
            if is_other_users(name)
        )
        if owners != self._owners:
            self._owners = owners
        everything = watched.keys() | (self._infos.keys() if self._list_events else set())
        if everything != self._mailboxes:
            self._mailboxes = frozenset(everything)
        for name in [n for n in self._statuses if n not in watched]:
            del self._statuses[name]

    def _check(self, session: Session, *, full: bool) -> bool:
        """Look at what the notices name (everything if ``full``); False if
        the session overflowed (it is NOTIFY NONE then)."""
        notices = self._notices
        me = session.username
        heard: set[str | None] = set()
        metadata: list[ChangeNotice] = []
        while notices:
            notice = notices.popleft()
            if notice.metadata:
                metadata.append(notice)  # annotations: no message changed
            else:
                heard.add(self._name_of(notice, me))
        if not self.groups:
            return True
        if heard or full:
            if full or None in heard:
                self._refresh_list(session, report=True)
                if len(self._watched) > MAX_WATCHED:
                    self.overflow(session)
                    return False
            selected = self._follow_selection(session)
            # Everything for a look without notices (the IDLE keep-alive's: a
            # notice may have been lost); else what they name, and the
            # mailboxes that have just come into the watch (a first look
            # tells nothing).
            targets: Iterable[str | None] = self._watched
            if not full:
                targets = heard | (self._watched.keys() - self._statuses.keys())
            for name in sorted(n for n in targets if n is not None and n in self._watched):
                if name != selected:
                    self._look(session, name, report=True)
        if metadata:
            self._report_metadata(session, metadata)
        return True

    @staticmethod
    def _name_of(notice: ChangeNotice, me: str | None) -> str | None:
        """The notice's mailbox as this session names it: another user's
        is in the Other Users namespace (RFC 4314; "" the server's)."""
        if notice.username == me or not notice.mailbox:
            return notice.mailbox
        return f"{OTHER_USERS}/{notice.username}/{notice.mailbox}"

    def _report_metadata(self, session: Session, notices: Sequence[ChangeNotice]) -> None:
        """RFC 5465 5.6, 5.7: an unsolicited METADATA naming the entries that
        changed (RFC 5464 4.4.2: names only), one per mailbox, in the order
        heard; ``/private`` entries only to their own user (RFC 5464 3.3)."""
        me = session.username
        told: dict[str, dict[str, None]] = {}
        for notice in notices:
            name = self._name_of(notice, me)
            if name is None:
                continue
            if name == "":
                if not self._server_metadata:
                    continue
            elif "MailboxMetadataChange" not in _events_for(
                self.groups, name, self._subscriptions
            ) or (notice.username != me and not self._may_observe(session, name)):
                continue
            for entry in notice.metadata:
                if entry.startswith("/private/") and (notice.private_to or notice.username) != me:
                    continue
                told.setdefault(name, {})[entry] = None
        for name, entries in told.items():
            session.send(MetadataData(mailbox=name, names=tuple(entries)))

    @staticmethod
    def _may_observe(session: Session, name: str) -> bool:
        """RFC 5465 5: another user's mailbox is observed with 'l' and 'r'."""
        account = session.account
        if not isinstance(account, AccountView):
            return False
        try:
            _, _, rights = account.rights(name)
        except ImapNo:
            return False
        return {"l", "r"} <= rights

    def _follow_selection(self, session: Session) -> str | None:
        """The selected mailbox's name; when another is selected now, the
        one left gets a first look (RFC 5465 3.1: while selected, its message
        events were SELECTED's)."""
        current = self._selected_name(session)
        previous = self._last_selected
        if current != previous:
            self._last_selected = current
            if current is not None:
                self._statuses.pop(current, None)
            if previous is not None and previous in self._watched:
                self._look(session, previous, report=False)
        return current

    def _look(self, session: Session, name: str, *, report: bool) -> None:
        """Read ``name``'s status; with ``report``, send what moved (RFC
        5465 5.1-5.3).  A mailbox looked at for the first time (it has just
        come into the watch, or stopped being selected) is not reported."""
        current = self._status(session, name)
        old = self._statuses.get(name)
        if current is None:
            self._statuses.pop(name, None)
            return
        self._statuses[name] = current
        if old is None or not report:
            return
        events = self._watched.get(name, frozenset())
        condstore = condstore_enabled(session)
        qresync = "QRESYNC" in session.conn.enabled
        items: dict[str, int] = {}
        counts_moved = (old.messages, old.uidnext) != (current.messages, current.uidnext)
        if "MessageNew" in events and (counts_moved or old.uidvalidity != current.uidvalidity):
            # 5.2 / 5.3: STATUS (UIDNEXT MESSAGES), HIGHESTMODSEQ with
            # CONDSTORE (5.2) or QRESYNC (5.3) enabled.
            items["UIDNEXT"] = current.uidnext
            items["MESSAGES"] = current.messages
            if condstore or qresync:
                items["HIGHESTMODSEQ"] = current.highest_modseq
        if "FlagChange" in events:
            if old.uidvalidity != current.uidvalidity:
                # 5.1: "MUST notify the client about mailbox UIDVALIDITY changes".
                items["UIDVALIDITY"] = current.uidvalidity
            if condstore and old.highest_modseq != current.highest_modseq:
                items["HIGHESTMODSEQ"] = current.highest_modseq
                items["UIDVALIDITY"] = current.uidvalidity
            if old.unseen != current.unseen:
                items["UNSEEN"] = current.unseen  # 5.1: MAY, and without CONDSTORE the only sign
        elif old.uidvalidity != current.uidvalidity and "MessageNew" in events:
            items["UIDVALIDITY"] = current.uidvalidity
        if not items:
            return
        session.send(
            StatusData(
                mailbox=name,
                messages=items.get("MESSAGES"),
                uidnext=items.get("UIDNEXT"),
                uidvalidity=items.get("UIDVALIDITY"),
                unseen=items.get("UNSEEN"),
                highestmodseq=items.get("HIGHESTMODSEQ"),
                order=tuple(items),
            )
        )

    def _refresh_list(self, session: Session, *, report: bool) -> None:
        """Read the mailbox list and subscriptions again; with ``report``,
        send MailboxName and SubscriptionChange LISTs (RFC 5465 5.4, 5.5)."""
        account = session.account
        if account is None:
            return
        infos = {info.name: info for info in account.list_mailboxes()}
        subscriptions = account.subscriptions()
        old_infos, old_subscriptions = self._infos, self._subscriptions
        self._infos, self._subscriptions = infos, subscriptions
        self._rewatch()
        if not report or not self._list_events:
            return
        created = [n for n in infos if n not in old_infos]
        deleted = [n for n in old_infos if n not in infos]
        old_validities = {n: self._validities.pop(n) for n in deleted if n in self._validities}
        self._learn_validities(session, {n: infos[n] for n in created})
        renamed = self._renamed(created, deleted, old_validities)
        responses: dict[str, ListData] = {}
        entries = {
            e.name: e
            for e in list_entries(
                infos.values(),
                "",
                ["*"],
                subscriptions=subscriptions,
                extended=True,
                return_subscribed=True,
            )
        }

        def listed(name: str, old_name: str | None = None) -> ListData:
            entry = entries.get(name)
            attributes = entry.attributes if entry is not None else ("\\NonExistent",)
            if entry is None and name in subscriptions:
                attributes = ("\\Subscribed", "\\NonExistent")
            return ListData(attributes=attributes, delimiter="/", mailbox=name, old_name=old_name)

        def wants(name: str, event: str, *, subscribed: bool = False) -> bool:
            subs = subscriptions | old_subscriptions if subscribed else subscriptions
            return event in _events_for(self.groups, name, subs)

        inner_renames = {
            old: new
            for old, new in renamed.items()
            if any(names.is_inferior(old, o) for o in renamed)
        }
        affected: list[str] = []
        for old, new in renamed.items():
            if old in inner_renames:
                continue  # 5.4: children of a renamed mailbox are not reported
            if wants(new, "MailboxName") or wants(old, "MailboxName"):
                responses[new] = listed(new, old_name=old)
        for name in created + deleted:
            if name in renamed or name in renamed.values():
                continue
            affected.append(name)
            parent = names.superiors(name)[-1:] if "/" in name else []
            affected.extend(parent)  # 5.4: its direct parent is affected too
        for name in affected:
            if name not in responses and wants(name, "MailboxName"):
                responses[name] = listed(name)
        for name in sorted(subscriptions ^ old_subscriptions):
            if name not in responses and wants(name, "SubscriptionChange", subscribed=True):
                responses[name] = listed(name)
        for name in sorted(responses):  # a parent before its children
            session.send(responses[name])

    def _learn_validities(self, session: Session, infos: dict[str, MailboxInfo]) -> None:
        if not self._renames:
            return
        for name, info in infos.items():
            if info.selectable and (status := self._status(session, name)) is not None:
                self._validities[name] = status.uidvalidity

    def _renamed(
        self, created: Sequence[str], deleted: Sequence[str], old_validities: dict[str, int]
    ) -> dict[str, str]:
        """Old name -> new name for the deleted and created names that are
        one mailbox renamed: a created name with the UIDVALIDITY a deleted
        one had."""
        by_validity = {v: n for n, v in old_validities.items()}
        renames: dict[str, str] = {}
        for name in created:
            validity = self._validities.get(name)
            if validity is not None and validity in by_validity:
                renames[by_validity.pop(validity)] = name
        return renames

    def _install_fetch_hook(self, session: Session) -> _NewMessages | None:
        """Give the selected mailbox's view the MessageNew FETCH (RFC 5465 5.2)."""
        view = session.conn.view
        if view is None:
            return None
        fetch = self.fetch if self.selected is not None else ()
        current = view.new_messages_hook
        if not fetch:
            if isinstance(current, _NewMessages):
                view.new_messages_hook = None
            return None
        if isinstance(current, _NewMessages) and current.items == fetch:
            return current
        hook = _NewMessages(session, fetch)
        view.new_messages_hook = hook
        return hook


class _NewMessages:
    """The FETCH responses that follow the EXISTS of new messages."""

    __slots__ = ("items", "own", "session")

    def __init__(self, session: Session, items: tuple[FetchItem, ...]) -> None:
        self.session = session
        self.items = items
        #: Messages this session put into the mailbox itself (no FETCH).
        self.own: set[int] = set()

    def __call__(self, uids: Sequence[int]) -> list[Response]:
        session = self.session
        mailbox, view = session.mailbox, session.conn.view
        if mailbox is None or view is None or not uids:
            return []
        try:
            infos = {info.uid: info for info in mailbox.messages(uids)}
            recent = _recent(session, view)
            out: list[Response] = []
            for uid in uids:
                info = infos.get(uid)
                if uid in self.own:
                    continue
                if info is None or view.seq_of(uid) is None:
                    continue  # expunged meanwhile: its EXPUNGE follows
                source = _FetchMessage(session, mailbox, uid, info, False)
                items: list[FetchDataItem] = []
                for item in self.items:
                    # Never \Seen (only the FETCH command sets it): these are
                    # notifications (RFC 5465 5.2: not what sets it).
                    data = _fetch_item(item, source, view, recent)
                    if data is not None:
                        items.append(data)
                if items:
                    out.append(view.fetch_data(uid, items))
            # The completion that named them drains them now: forget them.
            self.own.clear()
            return out
        except Exception as exc:  # a hook must not raise (see NewMessagesHook)
            session._report(exc)
            return []


# ------------------------------------------------------------------ the command


def notify(session: Session, command: Notify) -> None:
    """NOTIFY SET / NOTIFY NONE (RFC 5465 3.1)."""
    session.require_account()
    if command.none:
        watcher = Watcher(session, selected=None, fetch=(), groups=())
    else:
        selected, fetch, groups = _check_groups(session, command.groups)
        watcher = Watcher(session, selected=selected, fetch=fetch, groups=groups)
    _install(session, watcher, status=command.status)
    # RFC 5465 3.1: NOTIFY SET is an implicit NOOP: the selected mailbox's
    # accumulated changes go out with the completion (the engine drains them).


#: The names ENABLE turns unsolicited METADATA responses on with (RFC 5464 3.3).
METADATA_NAMES: frozenset[str] = frozenset({"METADATA", "METADATA-SERVER"})


def enable_metadata(session: Session, enabled: Iterable[str]) -> None:
    """ENABLE METADATA / METADATA-SERVER (RFC 5464 3.3, 4.4): from now on
    "servers MUST send unsolicited METADATA responses if server or mailbox
    annotations are changed by a third-party", names only (4.4.2).  These are
    the responses of NOTIFY's MailboxMetadataChange and ServerMetadataChange
    (RFC 5465 5.6, 5.7), so a watcher for the personal mailboxes sends them;
    a NOTIFY SET in effect decides on its own (and a later one replaces
    this)."""
    current = session.notify
    if isinstance(current, Watcher) and current.listening:
        return
    events = {"ServerMetadataChange"}
    if "METADATA" in enabled:  # METADATA-SERVER: server annotations only
        events.add("MailboxMetadataChange")
    group = _Group(filter="PERSONAL", mailboxes=(), events=frozenset(events))
    _install(session, Watcher(session, selected=None, fetch=(), groups=(group,)), status=False)


def _install(session: Session, watcher: Watcher, *, status: bool) -> None:
    """Start ``watcher`` and make it the session's, closing the one it
    replaces only once it runs (a failed start leaves the old one)."""
    old = session.notify
    try:
        watcher.start(session, status=status)
    except BaseException:
        watcher.close()
        raise
    if old is not None:
        old.close()
    session.notify = watcher


def _commands() -> tuple[ServerCommand[Any], ...]:
    return (serve("NOTIFY", notify, "NOTIFY"),)  # RFC 5465


COMMANDS: tuple[ServerCommand[Any], ...] = _commands()
