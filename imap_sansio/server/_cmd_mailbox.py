"""Mailbox commands: the hierarchy, subscriptions, LIST, STATUS, APPEND, quotas.

CREATE, DELETE, RENAME (RFC 3501 6.3.3-5, with CREATE-SPECIAL-USE of
RFC 6154 3), SUBSCRIBE/UNSUBSCRIBE (6.3.6-7), LIST (6.3.8) with
LIST-EXTENDED (RFC 5258), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154) and
LIST-STATUS (RFC 5819), LSUB (6.3.9), NAMESPACE (RFC 2342), STATUS (6.3.10,
with HIGHESTMODSEQ of RFC 7162, SIZE of RFC 8438, DELETED of RFC 9051 and
APPENDLIMIT of RFC 7889, MAILBOXID of RFC 8474 4.3), APPEND (6.3.11) with APPENDUID (RFC 4315 3),
MULTIAPPEND (RFC 3502) and literal8 (RFC 3516 4.4), REPLACE and UID REPLACE
(RFC 8508, APPEND's sibling), and GETQUOTA,
GETQUOTAROOT, SETQUOTA (RFC 9208 4.1) when the account implements
:class:`QuotaAccount`.

Pattern matching and the LIST/LSUB attribute rules live in
:mod:`imap_sansio.server._mailboxes`; this module maps the commands' options
onto it and writes the responses.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, cast

from .._commands import (
    Append,
    AppendMessage,
    Create,
    Delete,
    GetQuota,
    GetQuotaRoot,
    List,
    Lsub,
    Namespace,
    Rename,
    Replace,
    SetQuota,
    Status,
    Subscribe,
    Unsubscribe,
)
from .._encoder import read_source
from .._responses import (
    AppendUidCode,
    AtomCode,
    ListData,
    LsubData,
    MailboxIdCode,
    MyRightsData,
    NamespaceData,
    QuotaData,
    QuotaResource,
    QuotaRootData,
    StatusData,
)
from .._responses import Namespace as NamespaceEntry
from .._sequence import UidSet
from .._source import MessageSource, has_nul
from .._view import uid_set
from ..mime import encode_binary_parts
from ._acl import OTHER_USERS, AccountView, format_rights, mailbox_rights
from ._backend import (
    SPECIAL_USE_ATTRIBUTES,
    Account,
    AppendLimitAccount,
    AppendResult,
    ImapBad,
    ImapNo,
    Mailbox,
    MailboxExists,
    MailboxStatus,
    MetadataAccount,
    NoSuchMailbox,
    ObjectIdAccount,
    QuotaAccount,
    ReplaceMailbox,
    SpecialUseCreateAccount,
    StoreAction,
    normalize_flags,
)
from ._condstore import enable_condstore, highest_modseq_completion
from ._imapurls import catenated
from ._mailboxes import list_entries, lsub_entries
from ._session import Completion, ServerCommand, Session, serve, trycreate
from .names import (
    DELIMITER,
    INBOX,
    is_inferior,
    name_error,
    normalize,
    rename_map,
    superiors,
)

__all__ = ["ACCOUNT_CAPABILITIES", "COMMANDS", "ENABLEABLE", "STATUS_ITEMS"]

#: What ENABLE can turn on because of these handlers (nothing).
ENABLEABLE: frozenset[str] = frozenset()

#: STATUS items answered here: RFC 3501 6.3.10, DELETED (RFC 9051 6.3.11,
#: RFC 9208 4.1.4), DELETED-STORAGE (RFC 9208 4.1.4), SIZE (RFC 8438),
#: HIGHESTMODSEQ (RFC 7162 3.1.8), APPENDLIMIT (RFC 7889 3).  MAILBOXID
#: (RFC 8474 4.3) too when the account implements ObjectIdAccount.
STATUS_ITEMS: frozenset[str] = frozenset(
    {
        "MESSAGES",
        "RECENT",
        "UIDNEXT",
        "UIDVALIDITY",
        "UNSEEN",
        "DELETED",
        "DELETED-STORAGE",
        "SIZE",
        "HIGHESTMODSEQ",
        "APPENDLIMIT",
    }
)

_SPECIAL_USE_BY_LOWER = {attribute.lower(): attribute for attribute in SPECIAL_USE_ATTRIBUTES}


# ---------------------------------------------------------------------------
# Names


def _check_new_name(name: str) -> None:
    """A name that CREATE or RENAME may bring into being (RFC 3501 5.1)."""
    problem = name_error(name, for_create=True)
    if problem is not None:
        raise ImapNo(problem, "CANNOT")


def _hierarchy(account: Account) -> dict[str, bool]:
    """Every name of the account -> whether it is a selectable mailbox."""
    return {info.name: info.selectable for info in account.list_mailboxes()}


def _create_superiors(account: Account, name: str, existing: Collection[str]) -> None:
    """RFC 3501 6.3.3/6.3.5: create the superior hierarchical names that are missing."""
    for parent in superiors(name):
        if parent not in existing:
            # Another writer may create it meanwhile: then it exists, as wanted.
            with contextlib.suppress(MailboxExists):
                account.create_mailbox(parent)


def _is_selected(session: Session, name: str) -> bool:
    mailbox = session.mailbox
    if mailbox is None:
        return False
    try:
        return mailbox.name == name
    except ImapNo:  # already gone
        return False


# ---------------------------------------------------------------------------
# CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE


def _normalized(sent: str | None) -> bool:
    return sent is not None and normalize(sent) != sent


def report_normalized(
    session: Session, name: str, *, old_name: str, attributes: tuple[str, ...] = ()
) -> None:
    """RFC 9051 6.3.9.7: a name the client sent was normalised (NFC, or the
    case of INBOX): an IMAP4rev2 client is told with ``* LIST (attributes)
    "/" name ("OLDNAME" (old_name))``."""
    if "IMAP4REV2" in session.conn.enabled:
        list_data = ListData(
            attributes=attributes, delimiter=DELIMITER, mailbox=name, old_name=old_name
        )
        session.send(list_data)


def create(session: Session, command: Create) -> Completion | None:
    """RFC 3501 6.3.3, and ``USE (...)`` of RFC 6154 3.

    The name itself is created first, then its missing superiors, so a
    name the store refuses leaves nothing behind.
    """
    account = session.require_account()
    name = command.mailbox
    if name.endswith(DELIMITER) and len(name) > 1:
        # RFC 3501 6.3.3: a trailing delimiter declares the intent to create
        # names under it; "the name created is without the trailing
        # hierarchy delimiter" (RFC 9051 6.3.4).
        name = name[:-1]
    if name == INBOX:
        # RFC 3501 6.3.3: "It is an error to attempt to create INBOX".
        raise ImapNo("INBOX always exists", "ALREADYEXISTS")
    _check_new_name(name)
    existing = _hierarchy(account)
    if existing.get(name):
        raise MailboxExists()
    if not command.special_use:
        account.create_mailbox(name)
    else:
        # RFC 6154 3: special-use attributes are flags, so case-insensitive.
        uses = tuple(_SPECIAL_USE_BY_LOWER.get(use.lower(), use) for use in command.special_use)
        unknown = sorted(set(uses) - SPECIAL_USE_ATTRIBUTES)
        # RFC 6154 3: "it MUST NOT create the mailbox" and SHOULD say USEATTR.
        if unknown:
            raise ImapNo(f"Unsupported special-use attribute {unknown[0]}", "USEATTR")
        if not isinstance(account, SpecialUseCreateAccount):
            raise ImapNo("Special-use attributes cannot be assigned here", "USEATTR")
        account.create_special_use_mailbox(name, uses)
    _create_superiors(account, name, existing)
    sent = session.name_as_sent()
    if _normalized(sent):
        assert sent is not None
        report_normalized(session, name, old_name=sent)  # RFC 9051 6.3.4
    if isinstance(account, ObjectIdAccount):
        # RFC 8474 4.1: "MUST include the MAILBOXID response code in the
        # tagged OK response to all successful CREATE commands".
        code = MailboxIdCode(mailbox_id=account.mailbox_id(name))
        return Completion(text="CREATE completed", code=code)
    return None


def delete(session: Session, command: Delete) -> None:
    """RFC 3501 6.3.4 (RFC 9051 6.3.5).

    INBOX cannot be deleted; a mailbox with inferiors loses its messages and
    stays as a ``\\Noselect`` level; a ``\\Noselect`` name with inferiors
    cannot be deleted (``NO [HASCHILDREN]``, RFC 5530).
    Neither RFC forbids deleting the selected mailbox: it is deleted and the
    session closes it, saying so with ``* OK [CLOSED]`` (RFC 7162 3.2.11,
    RFC 9051 7.1: the responses after it no longer concern that mailbox);
    commands that need a selected mailbox then fail until the client
    selects another.  (The engine has no call to leave the selected state
    without CLOSE/UNSELECT, so its state stays "selected".)
    """
    account = session.require_account()
    name = command.mailbox
    if name == INBOX:
        raise ImapNo("INBOX cannot be deleted", "CANNOT")
    existing = _hierarchy(account)
    if name not in existing:
        raise NoSuchMailbox()
    has_inferiors = any(is_inferior(other, name) for other in existing)
    if has_inferiors and not existing[name]:
        # RFC 3501 6.3.4: an error for a \Noselect name with inferiors.
        raise ImapNo("Mailbox has inferior hierarchical names", "HASCHILDREN")
    selected = _is_selected(session, name)
    account.delete_mailbox(name, noselect=has_inferiors)
    sent = session.name_as_sent()
    if _normalized(sent):
        assert sent is not None
        report_normalized(session, name, old_name=sent, attributes=("\\NonExistent",))
    if selected:
        session.mailbox = None
        session.untagged_ok(
            "Selected mailbox was deleted, it is now closed", AtomCode(name="CLOSED")
        )


def rename(session: Session, command: Rename) -> None:
    """RFC 3501 6.3.5 (RFC 9051 6.3.6).

    The subtree moves with the name; renaming into one's own subtree is
    refused up front (the seed looped forever on it); RENAME INBOX moves the
    messages of INBOX into a new mailbox and leaves INBOX (and its
    inferiors) in place; a target that exists is ``NO [ALREADYEXISTS]``.
    """
    account = session.require_account()
    old, new = command.mailbox, command.new_mailbox
    _check_new_name(new)
    if new == INBOX:
        raise ImapNo("INBOX always exists", "ALREADYEXISTS")
    if old != INBOX and new == old:
        raise MailboxExists()
    if old != INBOX and is_inferior(new, old):
        raise ImapNo("Cannot rename a mailbox into its own hierarchy", "CANNOT")
    existing = _hierarchy(account)
    if old not in existing:
        raise NoSuchMailbox()
    if new in existing:
        raise MailboxExists()
    if old == INBOX:
        _rename_inbox(account, new)
    else:
        renames = rename_map(existing, old, new)
        if any(target in existing for target in renames.values()):
            raise MailboxExists("A mailbox of the new hierarchy already exists")
        account.rename_mailboxes(renames)
    # The old names are gone now, but none of them is a superior of ``new``.
    _create_superiors(account, new, existing)
    sent_old = session.name_as_sent()
    if _normalized(sent_old) or _normalized(session.name_as_sent("new_mailbox")):
        # RFC 9051 6.3.6: OLDNAME is the existing name as sent, the name the
        # new one as made.
        report_normalized(session, new, old_name=sent_old or old)


def _rename_inbox(account: Account, new: str) -> None:
    """RFC 3501 6.3.5: "renaming INBOX is permitted ... all messages in INBOX
    are moved to a new mailbox with the given name, leaving INBOX empty";
    its inferiors stay where they are."""
    inbox_info = next(i for i in account.list_mailboxes() if i.name == INBOX)
    if inbox_info.special_use and isinstance(account, SpecialUseCreateAccount):
        account.create_special_use_mailbox(new, inbox_info.special_use)
    else:
        account.create_mailbox(new)
    inbox = account.select(INBOX)
    inbox.move([m.uid for m in inbox.messages()], new)
    if isinstance(account, MetadataAccount):
        # RFC 5464 4.1: INBOX keeps its annotations, the new mailbox gets a copy.
        entries = account.get_metadata(INBOX)
        if entries:
            account.set_metadata(new, dict(entries), max_entries=len(entries))


def subscribe(session: Session, command: Subscribe) -> None:
    """RFC 3501 6.3.6: the server MAY check existence; we do not, so a
    subscription may name a mailbox that does not exist (yet)."""
    account = session.require_account()
    problem = name_error(command.mailbox)
    if problem is not None:
        raise ImapNo(problem, "CANNOT")
    account.subscribe(command.mailbox)


def unsubscribe(session: Session, command: Unsubscribe) -> None:
    """RFC 3501 6.3.7."""
    session.require_account().unsubscribe(command.mailbox)


# ---------------------------------------------------------------------------
# LIST, LSUB, NAMESPACE


def _check_status_items(session: Session, account: Account, items: Collection[str]) -> None:
    for item in items:
        if item not in STATUS_ITEMS and not (
            item == "MAILBOXID" and isinstance(account, ObjectIdAccount)
        ):
            raise ImapBad(f"Unsupported STATUS item {item}", "CLIENTBUG")
    if "RECENT" in items and "IMAP4REV2" in session.conn.enabled:
        # RFC 9051 9: IMAP4rev2's status-att has no RECENT (appendix E 12),
        # and a server that offers both revisions returns removed items only
        # to an IMAP4rev1 client (RFC 9051 appendix A).
        raise ImapBad("STATUS item RECENT is not in IMAP4rev2", "CLIENTBUG")


def list_command(session: Session, command: List) -> None:
    """LIST: RFC 3501 6.3.8, RFC 5258 (LIST-EXTENDED), RFC 5819 (LIST-STATUS).

    Selection options: SUBSCRIBED, SPECIAL-USE (RFC 6154 2), RECURSIVEMATCH
    and REMOTE (a no-op: there are no remote mailboxes).  Return options:
    SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS.  The basic command always
    carries the children attributes (CHILDREN, RFC 3348); the extended one
    carries them when RETURN (CHILDREN) asks (RFC 5258 4, as in its
    examples).  Special-use attributes are always returned (RFC 6154 2
    allows it).
    """
    account = session.require_account()
    selection = frozenset(command.selection)
    returns = frozenset(command.return_options)
    if "RECURSIVEMATCH" in selection and not selection - {"RECURSIVEMATCH", "REMOTE"}:
        # RFC 5258 3.1: "The server MUST return BAD tagged response in such case."
        raise ImapBad("RECURSIVEMATCH needs another selection option", "CLIENTBUG")
    view = account if isinstance(account, AccountView) else None
    if "MYRIGHTS" in returns and view is None:
        # RFC 5258 3: options the server does not support get BAD (MYRIGHTS
        # is LIST-MYRIGHTS', RFC 8440, offered with ACL).
        raise ImapBad("LIST return option MYRIGHTS is not supported", "CLIENTBUG")
    status_items = command.return_status
    if status_items is not None:
        _check_status_items(session, account, status_items)
    invalid = {name.text for name in command.invalid_names}
    if command.reference in invalid:
        return  # RFC 3501 5.1.3: not modified UTF-7, so it names nothing
    patterns = tuple(p for p in command.patterns if p not in invalid)
    if command.extended:
        # RFC 5258 3: an extended LIST never treats "" as the request for
        # the delimiter; empty patterns are ignored for matching.
        patterns = tuple(p for p in patterns if p)
        if not patterns:
            return
    select_subscribed = "SUBSCRIBED" in selection
    select_special_use = "SPECIAL-USE" in selection
    wants_subscriptions = select_subscribed or "SUBSCRIBED" in returns
    subscriptions = account.subscriptions() if wants_subscriptions else frozenset()
    entries = list_entries(
        account.list_mailboxes(),
        command.reference,
        patterns,
        subscriptions=subscriptions,
        # RFC 9051 6.3.9: IMAP4rev2's LIST is the extended one, \NonExistent
        # (not \Noselect) for a level that does not exist.
        extended=command.extended or "IMAP4REV2" in session.conn.enabled,
        select_subscribed=select_subscribed,
        select_special_use=select_special_use,
        recursive_match="RECURSIVEMATCH" in selection,
        return_subscribed="SUBSCRIBED" in returns,
        return_children=not command.extended or "CHILDREN" in returns,
        return_special_use=True,
    )
    for entry in entries:
        attributes = entry.attributes
        status: StatusData | None = None
        meets_criteria = (not select_subscribed or entry.name in subscriptions) and (
            not select_special_use or any(a in SPECIAL_USE_ATTRIBUTES for a in attributes)
        )
        if (
            status_items is not None
            and meets_criteria
            and not {"\\Noselect", "\\NonExistent"} & set(attributes)
        ):
            # RFC 5819 2: a STATUS follows the LIST of each selectable mailbox
            # that meets the selection criteria; if STATUS fails the mailbox
            # is reported \Noselect and no STATUS is sent.
            try:
                status = _status_data(session, account, entry.name, status_items)
            except ImapNo:
                attributes = (*attributes, "\\Noselect")
        session.send(
            ListData(
                attributes=attributes,
                delimiter=DELIMITER,
                mailbox=entry.name,
                childinfo=entry.child_info or None,
            )
        )
        if status is not None:
            session.send(status)
        if view is not None and "MYRIGHTS" in returns and meets_criteria:
            _send_myrights(session, view, entry.name, attributes)


def _send_myrights(
    session: Session, view: AccountView, name: str, attributes: Collection[str]
) -> None:
    """RFC 8440 3: a MYRIGHTS response after the LIST of a mailbox; none when
    its rights cannot be looked up (a level that is no mailbox)."""
    if {"\\Noselect", "\\NonExistent"} & set(attributes):
        return
    try:
        rights = view.my_rights(name)
    except ImapNo:
        return
    session.send(MyRightsData(mailbox=name, rights=format_rights(rights)))


def lsub(session: Session, command: Lsub) -> None:
    """RFC 3501 6.3.9: subscribed names, ``\\Noselect`` for unsubscribed levels."""
    account = session.require_account()
    if command.invalid_names:
        return  # RFC 3501 5.1.3: not modified UTF-7, so it matches nothing
    for entry in lsub_entries(
        account.subscriptions(), account.list_mailboxes(), command.reference, command.pattern
    ):
        session.send(LsubData(attributes=entry.attributes, delimiter=DELIMITER, mailbox=entry.name))


def namespace(session: Session, command: Namespace) -> None:
    """RFC 2342 5: one personal namespace, prefix "" and delimiter "/", and
    with ACL the other users' one, where their shared mailboxes are."""
    account = session.require_account()
    other = None
    if isinstance(account, AccountView):
        other = (NamespaceEntry(prefix=OTHER_USERS + DELIMITER, delimiter=DELIMITER),)
    session.send(
        NamespaceData(
            personal=(NamespaceEntry(prefix="", delimiter=DELIMITER),), other=other, shared=None
        )
    )


# ---------------------------------------------------------------------------
# STATUS


#: Account classes -> whether they implement AppendLimitAccount.
_APPEND_LIMIT_TYPES: dict[type, bool] = {}


def _append_limit(session: Session, account: Account) -> int:
    """The largest message APPEND takes: the engine's literal limit, or the
    account's own (RFC 7889) when smaller."""
    limit = session.conn.config.limits.max_append_literal
    kind = type(account)
    limited = _APPEND_LIMIT_TYPES.get(kind)
    if limited is None:
        # A Protocol isinstance check costs ~16 us (Python 3.11): once per class.
        limited = _APPEND_LIMIT_TYPES[kind] = isinstance(account, AppendLimitAccount)
    if limited:
        own = cast(AppendLimitAccount, account).append_limit()
        if own is not None:
            limit = min(limit, own)
    return limit


def _status_data(
    session: Session, account: Account, name: str, items: Collection[str]
) -> StatusData:
    status: MailboxStatus = account.status(name)
    wanted = frozenset(items)

    def pick(item: str, value: int) -> int | None:
        return value if item in wanted else None

    # The items in the order asked, each once (the seed answered in a random
    # order; RFC 3501 6.3.10's own example shows that clients must accept
    # any order, so the client's own is the least surprising).
    order = tuple(dict.fromkeys(items))  # validated by _check_status_items
    return StatusData(
        order=order,
        mailbox=name,
        messages=pick("MESSAGES", status.messages),
        recent=pick("RECENT", status.recent),
        uidnext=pick("UIDNEXT", status.uidnext),
        uidvalidity=pick("UIDVALIDITY", status.uidvalidity),
        unseen=pick("UNSEEN", status.unseen),
        deleted=pick("DELETED", status.deleted),
        deleted_storage=_deleted_storage(account, name) if "DELETED-STORAGE" in wanted else None,
        size=pick("SIZE", status.size),
        highestmodseq=pick("HIGHESTMODSEQ", status.highest_modseq),
        appendlimit=pick("APPENDLIMIT", _append_limit(session, account)),
        mailbox_id=_mailbox_id(account, name) if "MAILBOXID" in wanted else None,
    )


def _mailbox_id(account: Account, name: str) -> str:
    assert isinstance(account, ObjectIdAccount)  # _check_status_items saw to it
    return account.mailbox_id(name)


def _deleted_storage(account: Account, name: str) -> int:
    """RFC 9208 4.1.4: what an EXPUNGE would free; the server "MAY instead
    return the sum of the RFC822.SIZE of the messages with the \\Deleted flag
    set", which is what this is (in octets; opening the mailbox claims no
    \\Recent).  It costs a pass over the mailbox, so only when asked."""
    mailbox = account.select(name)
    return sum(m.size for m in mailbox.messages() if "\\Deleted" in m.flags)


def status(session: Session, command: Status) -> None:
    """RFC 3501 6.3.10.  The selected mailbox is allowed too (RFC 9051
    6.3.11 only advises clients against it)."""
    account = session.require_account()
    _check_status_items(session, account, command.items)
    if "HIGHESTMODSEQ" in command.items:
        enable_condstore(session)  # RFC 7162 3.1: a CONDSTORE enabling command
    session.send(_status_data(session, account, command.mailbox, command.items))


# ---------------------------------------------------------------------------
# APPEND


def _header_end(data: bytes) -> int:
    end = data.find(b"\r\n\r\n")
    return end if end >= 0 else data.find(b"\n\n")


_HEADER_PIECE = 64 * 1024


def _ascii_header(data: bytes | MessageSource) -> bool:
    """The message's header (up to the first empty line) is 7-bit; a spooled
    literal is read a piece at a time, only as far as its header goes."""
    if isinstance(data, bytes):
        end = _header_end(data)
        return (data if end < 0 else data[:end]).isascii()
    tail = b""
    for offset in range(0, data.size, _HEADER_PIECE):
        piece = tail + data.read(offset, _HEADER_PIECE)
        end = _header_end(piece)
        if end >= 0:
            return piece[:end].isascii()
        if not piece.isascii():
            return False
        tail = piece[-3:]  # a blank line split between two pieces
    return True


def append(session: Session, command: Append) -> Completion:
    """RFC 3501 6.3.11, MULTIAPPEND (RFC 3502), literal8 (RFC 3516 4.4).

    Every message is checked (flags, size, NUL bytes) before any is stored;
    the grammar has already refused impossible dates (RFC 3501 9
    ``date-time``), so the event carries an aware datetime or None (then the
    internal date is the server clock, ``session.now()``).  With several
    messages it is all or nothing (RFC 3502 3): if one fails, those stored
    before it are removed again.  A missing mailbox is ``NO [TRYCREATE]``.
    The OK carries APPENDUID (RFC 4315 3).  An APPEND to
    the selected mailbox is announced by the sync before the OK (EXISTS), to
    other sessions at their next command; a mailbox open read-only
    elsewhere (EXAMINE) is no reason to refuse (the seed refused).
    """
    opened: list[MessageSource] = []
    try:
        return _append(session, command, opened)
    finally:
        _release(command.messages, opened)


def _release(messages: Iterable[AppendMessage], opened: list[MessageSource]) -> None:
    """Close the spooled literals (big messages in files) and the sources
    CATENATE read, whether the command worked or not."""
    for message in messages:
        for part in message.catenate:
            if part.data is not None and not isinstance(part.data, bytes):
                part.data.close()
        if not isinstance(message.data, bytes):
            message.data.close()
    for source in opened:
        source.close()


def _require_destination(account: Account, name: str) -> None:
    """Before a CATENATE message is built from its URLs (RFC 4469 5): a
    missing mailbox is TRYCREATE whatever the URLs name (as Dovecot)."""
    try:
        account.status(name)
    except NoSuchMailbox:
        raise ImapNo("Mailbox does not exist", "TRYCREATE") from None


def _prepare_message(
    session: Session,
    account: Account,
    message: AppendMessage,
    opened: list[MessageSource],
) -> tuple[bytes | MessageSource, frozenset[str], datetime]:
    """What to store for one APPEND (or REPLACE, RFC 8508 3.4: "extensions
    that affect APPEND affect REPLACE in the same way") message: its data,
    flags and internal date, checked as RFC 3501 6.3.11 and the extensions
    say; ImapNo/ImapBad otherwise.  A CATENATE message (RFC 4469 5; in
    REPLACE too, RFC 8508 4.2) is built here; the sources it opened go to
    ``opened``."""
    limit = _append_limit(session, account)
    if (message.utf8 or any(part.utf8 for part in message.catenate)) and not session.conn.utf8:
        # RFC 6855 4: the UTF8 form (of APPEND data or of a CATENATE part)
        # needs UTF8=ACCEPT enabled.
        raise ImapBad("APPEND UTF8 needs ENABLE UTF8=ACCEPT", "CLIENTBUG")
    data = message.data
    binary = message.binary
    if message.catenate:
        data, sources = catenated(session, account, message, limit)
        opened.extend(sources)
        binary = any(part.binary for part in message.catenate)
    if not session.conn.utf8 and not _ascii_header(data):
        # RFC 6855 4: without ENABLE UTF8=ACCEPT (or IMAP4rev2, whose
        # headers may be UTF-8: RFC 9051 appendix E 16) "the server MUST
        # reject, with a NO response, an APPEND command that includes any
        # 8-bit character in message header fields".
        raise ImapNo("8-bit header fields need ENABLE UTF8=ACCEPT")
    # A spooled literal that is not a literal8 is not read again: the
    # engine refused a NUL in it as it arrived (RFC 3516 4.4).  Otherwise
    # (a literal8, a CATENATE of stored parts) a source's NUL is looked for
    # once, a piece at a time.
    scan = binary or bool(message.catenate) or isinstance(data, bytes)
    nul = scan and has_nul(data)
    if not binary and nul:
        # RFC 3516 4.4: only a literal8 may hold NUL (the grammar refuses
        # it already; this keeps the rule for events built by hand and for
        # CATENATE's parts).
        raise ImapBad("NUL in a message literal; use literal8 (~{n})", "CLIENTBUG")
    if (len(data) if isinstance(data, bytes) else data.size) > limit:
        raise ImapNo("Message too large", "TOOBIG")  # RFC 7889 4
    flags = normalize_flags(message.flags)  # ImapBad for \Recent or a bad keyword
    internal_date = message.internal_date
    if internal_date is None:
        internal_date = session.now()
    if binary and nul:
        # RFC 3516 4.4: a literal8 message may hold NUL and 8-bit parts;
        # we store them base64-encoded, so BODY[] stays valid MIME and
        # BINARY[] gives the original octets back (this needs the message
        # whole, also when it was spooled; without NUL it is unchanged).
        data = encode_binary_parts(data if isinstance(data, bytes) else read_source(data))
    return data, flags, internal_date


def _append(session: Session, command: Append, opened: list[MessageSource]) -> Completion:
    account = session.require_account()
    name = command.mailbox
    if any(message.catenate for message in command.messages):
        _require_destination(account, name)
    prepared = [_prepare_message(session, account, message, opened) for message in command.messages]
    results: list[AppendResult] = []
    try:
        for data, flags, internal_date in prepared:
            results.append(account.append(name, data, flags=flags, internal_date=internal_date))
    except NoSuchMailbox:
        _undo_append(session, account, name, results)
        # RFC 3501 6.3.11: the client may CREATE it and try again.
        raise ImapNo("Mailbox does not exist", "TRYCREATE") from None
    except Exception:
        _undo_append(session, account, name, results)
        raise
    code = None
    uidvalidities = {result.uidvalidity for result in results}
    uids = uid_set(sorted({result.uid for result in results}))
    if len(uidvalidities) == 1 and uids is not None:
        code = AppendUidCode(uidvalidity=results[0].uidvalidity, uids=uids)
    return Completion(text="APPEND completed", code=code)


def _undo_append(
    session: Session, account: Account, name: str, results: list[AppendResult]
) -> None:
    """Remove what a failed MULTIAPPEND stored (RFC 3502 3: all or nothing)."""
    if not results:
        return
    uids = [result.uid for result in results]
    try:
        mailbox = account.select(name)
        mailbox.store_flags(uids, StoreAction.ADD, ("\\Deleted",))
        mailbox.expunge(uids)  # only these UIDs (as UID EXPUNGE, RFC 4315 2.1)
    except Exception as exc:  # the original failure is what the client hears
        if session.server.on_error is not None:
            session.server.on_error(exc)


# ---------------------------------------------------------------------------
# REPLACE (RFC 8508)


def replace(session: Session, command: Replace) -> Completion:
    """REPLACE / UID REPLACE (RFC 8508): the message is appended to the named
    mailbox and the old one expunged from the selected mailbox, as one
    action (3.4).  A store that implements :class:`ReplaceMailbox` does both
    in one change; for any other the server appends, then flags and
    expunges the old message (by UID only: "the EXPUNGE portion ... only
    applies to the specified message"), and takes the new one away again if
    that fails, so the client is never told of an expunge that did not
    happen with it.

    What the client hears (RFC 8508 3.2, 4.3, 4.5): ``* OK [APPENDUID
    ...]``, EXISTS if the new message is in the selected mailbox, then the
    EXPUNGE (or VANISHED with QRESYNC or UIDONLY) that the session's sync
    sends like any expunge, then the tagged OK, with ``[HIGHESTMODSEQ n]``
    once QRESYNC is on (as UID EXPUNGE, RFC 7162 3.2.9).  No FETCH for the
    STORE step (3.4: its responses "MUST NOT be generated").
    """
    opened: list[MessageSource] = []
    try:
        return _replace(session, command, opened)
    finally:
        _release((command.message,), opened)


def _replace(session: Session, command: Replace, opened: list[MessageSource]) -> Completion:
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
    rights = mailbox_rights(mailbox)
    if rights is not None and not {"t", "e"} <= rights:
        # Another user's mailbox: removing the old message is a STORE
        # \Deleted and an EXPUNGE, which need 't' and 'e' (RFC 4314 4);
        # refused before the new message is stored, so nothing changes.
        raise ImapNo("You may not remove messages from this mailbox", "NOPERM")
    destination = command.mailbox
    if command.message.catenate:
        _require_destination(account, destination)
    # RFC 8508 4.2: a CATENATE message is built before anything changes, so
    # a URL that names nothing ([BADURL], RFC 4469 5) leaves the old message.
    data, flags, internal_date = _prepare_message(session, account, command.message, opened)
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
        stored = mailbox.store_flags([uid], StoreAction.ADD, ("\\Deleted",))
        flagged = uid in stored.changed
        if uid not in mailbox.expunge([uid]):
            raise ImapNo("The message to replace was expunged", "EXPUNGEISSUED")
    except Exception:
        try:
            if flagged:
                mailbox.store_flags([uid], StoreAction.REMOVE, ("\\Deleted",))
            added = account.select(destination)
            added.store_flags([result.uid], StoreAction.ADD, ("\\Deleted",))
            added.expunge([result.uid])
        except Exception as exc:  # the first failure is what the client hears
            if session.server.on_error is not None:
                session.server.on_error(exc)
        raise
    return result


# ---------------------------------------------------------------------------
# QUOTA (RFC 9208)


def _quota_account(session: Session) -> QuotaAccount:
    account = session.require_account()
    if not isinstance(account, QuotaAccount):
        raise ImapNo("Quotas are not supported", "CANNOT")
    return account


def _quota_data(account: QuotaAccount, root: str) -> QuotaData | None:
    resources = account.quota(root)
    if not resources:
        return None  # RFC 9208 5.1: a QUOTA response lists at least one resource
    return QuotaData(
        root=root,
        resources=tuple(
            QuotaResource(name=r.name, usage=r.usage, limit=r.limit) for r in resources
        ),
    )


def getquota(session: Session, command: GetQuota) -> None:
    """RFC 9208 4.1.1: the resources of one quota root."""
    data = _quota_data(_quota_account(session), command.root)
    if data is None:
        raise ImapNo("No limits on this quota root", "NONEXISTENT")
    session.send(data)


def getquotaroot(session: Session, command: GetQuotaRoot) -> None:
    """RFC 9208 4.1.2: QUOTAROOT, then a QUOTA for each root with limits."""
    account = _quota_account(session)
    name = command.mailbox
    roots = account.quota_roots(name)
    session.send(QuotaRootData(mailbox=name, roots=tuple(roots)))
    for root in roots:
        data = _quota_data(account, root)
        if data is not None:
            session.send(data)


def setquota(session: Session, command: SetQuota) -> None:
    """RFC 9208 4.1.3: needs QUOTASET, which the Backend protocol has no call for."""
    _quota_account(session)
    raise ImapNo("Quota limits are set by the administrator", "NOPERM")


#: Capabilities that follow from an optional protocol of the account.
ACCOUNT_CAPABILITIES: tuple[tuple[str, type], ...] = (
    ("CREATE-SPECIAL-USE", SpecialUseCreateAccount),  # RFC 6154 3
    ("QUOTA", QuotaAccount),  # RFC 9208
    ("QUOTA=RES-STORAGE", QuotaAccount),
    ("QUOTA=RES-MESSAGE", QuotaAccount),
)

COMMANDS: tuple[ServerCommand[Any], ...] = (
    serve("CREATE", create),
    serve("DELETE", delete),
    serve("RENAME", rename),
    serve("SUBSCRIBE", subscribe),
    serve("UNSUBSCRIBE", unsubscribe),
    serve("NAMESPACE", namespace, "NAMESPACE"),  # RFC 2342
    serve(
        "LIST",
        list_command,
        "CHILDREN",  # RFC 3348
        "SPECIAL-USE",  # RFC 6154
        "LIST-EXTENDED",  # RFC 5258
        "LIST-STATUS",  # RFC 5819
    ),
    serve("LSUB", lsub),
    serve("STATUS", status, "STATUS=SIZE"),  # RFC 8438
    serve("APPEND", append, "MULTIAPPEND", "CATENATE"),  # RFC 3502, RFC 4469
    serve("REPLACE", replace, "REPLACE"),  # RFC 8508 3.1
    serve("GETQUOTA", getquota),
    serve("GETQUOTAROOT", getquotaroot),
    serve("SETQUOTA", setquota),
)
