"""ACL (RFC 4314): rights, and the account view that enforces them.

Decisions (the RFC leaves them to the implementation):

* Rights are the standard ones of RFC 4314 2.1, ``lrswipkxtea``
  (``RIGHTS=texk``); ``c`` and ``d`` are virtual (2.1.1): ``c`` is ``kx``
  and ``d`` is ``et``, as the section 3.1 example expands them.  Upper case
  and rights we do not know (digits included) are refused with BAD (3.1).
  Rights are written in one order, ``lrswipkxtecda``, with ``c``/``d``
  whenever one of their members is there (2.1.1 "MUST also include").
* The owner of a mailbox always has every right (2: an implementation "MAY
  force rights to always ... be granted to particular identifiers");
  LISTRIGHTS says so.  ACL entries govern everybody else: the union of the
  entries for the user's name and ``anyone``, minus the union of the
  negative entries ``-name`` and ``-anyone`` (2: negative rights).  Other
  identifiers (groups) are stored and shown but grant nothing.
* Other users' mailboxes appear under the "Other Users" namespace (RFC 2342
  5): alice's ``Shared`` is ``Other Users/alice/Shared`` to bob.  A mailbox
  whose ``l`` right the user lacks is answered as one that does not exist
  (RFC 4314 6), any other missing right with ``NO [NOPERM]`` (RFC 5530).
* Rights are taken when a mailbox is selected and kept until it is closed
  (RFC 4314 5.1.1 allows that).

:class:`AccountView` is what a session holds instead of an account that
implements :class:`AclAccount`: it routes names, checks rights and filters
flags; the backend only stores.  A user's own mailboxes pass through
untouched (handles included), so nothing costs more for them.
"""

from __future__ import annotations

import stringprep
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from imap_sansio._source import MessageSource

from ._backend import (
    Account,
    AclAccount,
    AppendResult,
    Changes,
    CopyResult,
    ImapBad,
    ImapNo,
    Mailbox,
    MailboxInfo,
    MailboxStatus,
    MessageInfo,
    NoSuchMailbox,
    StoreAction,
    StoreResult,
)
from .names import DELIMITER, INBOX, superiors

__all__ = [
    "ALL_RIGHTS",
    "LISTRIGHTS_OPTIONAL",
    "OTHER_USERS",
    "AccountView",
    "SharedMailbox",
    "acl_view",
    "copy_messages",
    "format_rights",
    "is_other_users",
    "mailbox_rights",
    "parse_rights",
    "permanent_flags",
    "permits_flag",
    "prepare_identifier",
    "store_form",
    "stored_rights",
]

#: RFC 4314 2.1: the standard rights, in the order they are written.
RIGHTS = "lrswipkxtea"
ALL_RIGHTS: frozenset[str] = frozenset(RIGHTS)
_VIRTUAL = {"c": "kx", "d": "et"}  # RFC 4314 2.1.1
_ORDER = "lrswipkxtecda"
#: LISTRIGHTS for anybody but the owner: nothing always granted, every right
#: on its own, the virtual ones last but "a" (RFC 4314 3.4's example order).
LISTRIGHTS_OPTIONAL: tuple[str, ...] = tuple("lrswipkxtecda")
#: The prefix of other users' mailboxes (RFC 2342 5, "Other Users' Namespace").
OTHER_USERS = "Other Users"
ANYONE = "anyone"


# ---------------------------------------------------------------------------
# Rights


def parse_rights(text: str) -> frozenset[str]:
    """The rights a client named (SETACL), virtual ones expanded; BAD for an
    upper-case or unknown right (RFC 4314 3.1: "MUST NOT silently ignore")."""
    rights: set[str] = set()
    for char in text:
        if char in ALL_RIGHTS:
            rights.add(char)
        elif char in _VIRTUAL:
            rights.update(_VIRTUAL[char])
        elif "A" <= char <= "Z":
            raise ImapBad("Uppercase rights are not allowed")
        else:
            raise ImapBad(f"The {char} right is not supported")
    return frozenset(rights)


def stored_rights(text: str) -> frozenset[str]:
    """Rights as a store holds them; letters we do not know are ignored
    (a file edited by hand or another program's rights)."""
    rights = {char for char in text if char in ALL_RIGHTS}
    for char, members in _VIRTUAL.items():
        if char in text:
            rights.update(members)
    return frozenset(rights)


def format_rights(rights: Collection[str]) -> str:
    """``lrswipkxtecda`` order, with ``c``/``d`` when any member is granted
    (RFC 4314 2.1.1: "MUST also include")."""
    present = set(rights)
    for char, members in _VIRTUAL.items():
        if present.intersection(members):
            present.add(char)
    return "".join(char for char in _ORDER if char in present)


def store_form(rights: Collection[str]) -> str:
    """Rights as they are stored: real rights only, in RFC 4314 2.1 order."""
    return "".join(char for char in RIGHTS if char in rights)


def effective_rights(acl: Mapping[str, str], username: str) -> frozenset[str]:
    """What ``username`` may do on a mailbox of somebody else (RFC 4314 2)."""
    granted = stored_rights(acl.get(username, "")) | stored_rights(acl.get(ANYONE, ""))
    removed = stored_rights(acl.get("-" + username, "")) | stored_rights(acl.get("-" + ANYONE, ""))
    return granted - removed


def permits_flag(rights: Collection[str], flag: str) -> bool:
    """RFC 4314 4: ``t`` for \\Deleted, ``s`` for \\Seen, ``w`` for any other flag."""
    if flag == "\\Deleted":
        return "t" in rights
    if flag == "\\Seen":
        return "s" in rights
    return "w" in rights


def permanent_flags(rights: Collection[str] | None, flags: Iterable[str]) -> tuple[str, ...]:
    """PERMANENTFLAGS as the user's rights allow (RFC 4314 5.1.1: "MUST
    accurately reflect the current user's rights"); ``\\*`` needs ``w``."""
    if rights is None:
        return (*flags, "\\*")
    allowed = tuple(flag for flag in flags if permits_flag(rights, flag))
    return (*allowed, "\\*") if "w" in rights else allowed


_PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21,
    stringprep.in_table_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
    stringprep.in_table_a1,  # unassigned: identifiers are stored strings
)


def prepare_identifier(identifier: str) -> str:
    """RFC 4314 3: SASLprep (RFC 4013) the identifier; BAD if that fails or
    leaves nothing."""
    mapped = "".join(
        " " if stringprep.in_table_c12(char) else char
        for char in identifier
        if not stringprep.in_table_b1(char)
    )
    prepared = unicodedata.normalize("NFKC", mapped)
    if not prepared:
        raise ImapBad("Empty identifier")
    if any(check(char) for char in prepared for check in _PROHIBITED):
        raise ImapBad("Identifier has a prohibited character")
    # RFC 3454 6: bidirectional strings
    if any(stringprep.in_table_d1(char) for char in prepared) and (
        any(stringprep.in_table_d2(char) for char in prepared)
        or not (stringprep.in_table_d1(prepared[0]) and stringprep.in_table_d1(prepared[-1]))
    ):
        raise ImapBad("Identifier has a prohibited character")
    return prepared


# ---------------------------------------------------------------------------
# Names


def _split(name: str) -> tuple[str | None, str]:
    """``(owner, name in the owner's account)`` for a name of the Other Users
    namespace, ``(None, name)`` for the user's own.  The namespace root and
    ``Other Users/<owner>`` are levels, not mailboxes: their name part is ""."""
    if name != OTHER_USERS and not name.startswith(OTHER_USERS + DELIMITER):
        return None, name
    owner, _, local = name[len(OTHER_USERS) + 1 :].partition(DELIMITER)
    if local.upper() == INBOX or local[:6].upper() == INBOX + DELIMITER:
        local = INBOX + local[5:]  # RFC 3501 5.1: INBOX is case-insensitive
    return owner, local


def is_other_users(name: str) -> bool:
    """Is ``name`` in the Other Users namespace (not the personal one)?"""
    return name == OTHER_USERS or name.startswith(OTHER_USERS + DELIMITER)


def _shared_name(owner: str, local: str) -> str:
    return f"{OTHER_USERS}{DELIMITER}{owner}{DELIMITER}{local}"


def _nearest_mailbox(account: Account, name: str) -> str | None:
    """The nearest superior of ``name`` that is a mailbox (RFC 4314 4 CREATE)."""
    mailboxes = {info.name for info in account.list_mailboxes() if info.selectable}
    for parent in reversed(superiors(name)):
        if parent in mailboxes:
            return parent
    return None


def _inherit(account: Account, name: str) -> None:
    """RFC 4314 4: a new mailbox "SHOULD inherit the ACL from the parent"."""
    parent = _nearest_mailbox(account, name)
    if parent is None:
        return
    acl_account = cast(AclAccount, account)
    try:
        for identifier, rights in acl_account.get_acl(parent).items():
            acl_account.set_acl(name, identifier, rights)
    except NoSuchMailbox:
        pass  # the parent went meanwhile: nothing to inherit


def _no_create() -> ImapNo:
    return ImapNo("You may not create mailboxes there", "NOPERM")


def _hidden_or_denied(rights: Collection[str], what: str) -> ImapNo:
    if "l" not in rights:
        # RFC 4314 6: "the same error that would be used if the mailbox did
        # not exist, thus revealing no existence information".
        return NoSuchMailbox()
    return ImapNo(f"You may not {what}", "NOPERM")


# ---------------------------------------------------------------------------
# The selected mailbox of another user


class SharedMailbox:
    """Another user's mailbox as selected by this user: the handle of its
    owner's account, with the user's rights (taken at SELECT) enforced."""

    __slots__ = ("_view", "inner", "owner", "rights")

    def __init__(self, view: AccountView, owner: str, inner: Mailbox, rights: frozenset[str]):
        self._view = view
        self.inner = inner
        self.owner = owner
        self.rights = rights

    def __repr__(self) -> str:
        return f"SharedMailbox({self.owner!r}, {self.inner!r})"

    @property
    def name(self) -> str:
        return _shared_name(self.owner, self.inner.name)

    @property
    def origin(self) -> tuple[str, str]:
        """The owner and the owner's name of the mailbox (whose change
        notices concern this session)."""
        return self.owner, self.inner.name

    @property
    def uidvalidity(self) -> int:
        return self.inner.uidvalidity

    def status(self) -> MailboxStatus:
        return self.inner.status()

    def keywords(self) -> tuple[str, ...]:
        return self.inner.keywords()

    def messages(self, uids: Collection[int] | None = None) -> list[MessageInfo]:
        return self.inner.messages(uids)

    def message_bytes(self, uid: int) -> bytes | None:
        return self.inner.message_bytes(uid)

    def open_message(self, uid: int) -> MessageSource | None:
        return self.inner.open_message(uid)

    def changes_since(self, modseq: int) -> Changes:
        return self.inner.changes_since(modseq)

    def claim_recent(self) -> tuple[int, ...]:
        return self.inner.claim_recent()

    def store_flags(
        self,
        uids: Collection[int],
        action: StoreAction,
        flags: Collection[str],
        *,
        unchanged_since: int | None = None,
    ) -> StoreResult:
        """Only the flags the rights permit change (RFC 4314 4: STORE
        "SHOULD NOT fail" for the others; a FETCH "MUST NOT set" \\Seen
        without ``s``)."""
        rights = self.rights
        if {"s", "w", "t"} <= rights:
            return self.inner.store_flags(uids, action, flags, unchanged_since=unchanged_since)
        keep = frozenset(flag for flag in flags if permits_flag(rights, flag))
        if action is not StoreAction.SET:
            if not keep:
                return StoreResult(messages=tuple(self.inner.messages(uids)), changed=())
            return self.inner.store_flags(uids, action, keep, unchanged_since=unchanged_since)
        # FLAGS (...): the flags the user may not change stay as they are, so
        # it becomes "remove what is permitted and not listed, add the rest".
        current = self.inner.messages(uids)
        removable = {
            flag for info in current for flag in info.flags if permits_flag(rights, flag)
        } - keep
        changed: set[int] = set()
        modified: tuple[int, ...] = ()
        pending: Collection[int] = uids
        since = unchanged_since
        if removable:
            first = self.inner.store_flags(
                uids, StoreAction.REMOVE, removable, unchanged_since=since
            )
            changed.update(first.changed)
            modified = first.modified
            pending = [uid for uid in uids if uid not in set(modified)]
            since = None  # the first step bumped the modseqs it checked
        if keep and pending:
            second = self.inner.store_flags(pending, StoreAction.ADD, keep, unchanged_since=since)
            changed.update(second.changed)
            modified = modified or second.modified
        return StoreResult(
            messages=tuple(self.inner.messages(uids)),
            changed=tuple(sorted(changed)),
            modified=modified,
        )

    def copy(self, uids: Collection[int], destination: str) -> CopyResult:
        return self._view.copy_from(self, uids, destination, move=False)

    def move(self, uids: Collection[int], destination: str) -> CopyResult:
        return self._view.copy_from(self, uids, destination, move=True)

    def expunge(self, uids: Collection[int] | None = None) -> tuple[int, ...]:
        if "e" not in self.rights:
            raise ImapNo("You may not expunge this mailbox", "NOPERM")  # RFC 4314 4
        return self.inner.expunge(uids)


def mailbox_rights(mailbox: Mailbox | None) -> frozenset[str] | None:
    """The user's rights on a selected mailbox, None for full rights (one's own)."""
    return mailbox.rights if isinstance(mailbox, SharedMailbox) else None


# ---------------------------------------------------------------------------
# The account view


class AccountView:
    """An :class:`AclAccount` seen by its user: own mailboxes as they are,
    other users' shared mailboxes under :data:`OTHER_USERS`, rights enforced.

    :func:`acl_view` makes one whose class also forwards every other public
    method of the account's class (quota, special-use, ...), so the optional
    protocols the account implements are still recognised.
    """

    def __init__(self, account: Account) -> None:
        self.account = account
        self._acl = cast(AclAccount, account)
        self._others: dict[str, Account] = {}

    def __repr__(self) -> str:
        return f"AccountView({self.account!r})"

    @property
    def username(self) -> str:
        return self.account.username

    # -- routing ---------------------------------------------------------

    def _other(self, owner: str) -> Account:
        account = self._others.get(owner)
        if account is None:
            if not owner or owner == self.username or DELIMITER in owner:
                raise NoSuchMailbox()
            try:
                account = self._others[owner] = self._acl.other_account(owner)
            except NoSuchMailbox:
                raise NoSuchMailbox() from None  # the same words as for any name
        return account

    def owner_of(self, name: str) -> str:
        """Whose mailbox ``name`` is (the user's own name for their own)."""
        owner, _ = _split(name)
        return self.username if owner is None else owner

    def rights(self, name: str) -> tuple[Account, str, frozenset[str]]:
        """``(account, name there, this user's rights)`` for a mailbox name;
        :class:`NoSuchMailbox` for a name of no mailbox."""
        owner, local = _split(name)
        if owner is None:
            return self.account, name, ALL_RIGHTS
        account = self._other(owner)
        if not local:
            raise NoSuchMailbox()
        acl = cast(AclAccount, account).get_acl(local)
        return account, local, effective_rights(acl, self.username)

    def require(self, name: str, right: str, what: str) -> tuple[Account, str, frozenset[str]]:
        """:meth:`rights`, refused unless ``right`` is granted (RFC 4314 4)."""
        account, local, rights = self.rights(name)
        if right not in rights:
            raise _hidden_or_denied(rights, what)
        return account, local, rights

    def _require_create(self, account: Account, local: str) -> None:
        """``k`` on the nearest existing parent (RFC 4314 4 CREATE, RENAME).

        Every refusal has the same words, whether the parent is missing,
        hidden or only lacks ``k`` (RFC 4314 6: nothing about mailboxes the
        user may not see)."""
        if account is self.account:
            return
        parent = _nearest_mailbox(account, local)
        if parent is None or "k" not in effective_rights(
            cast(AclAccount, account).get_acl(parent), self.username
        ):
            raise _no_create()

    # -- Account ---------------------------------------------------------

    def list_mailboxes(self) -> list[MailboxInfo]:
        infos = list(self.account.list_mailboxes())
        shared: dict[str, set[str]] = {}
        for owner, local in self._acl.shared_mailboxes((self.username, ANYONE)):
            if owner and owner != self.username and DELIMITER not in owner:
                shared.setdefault(owner, set()).add(local)
        for owner, names in sorted(shared.items()):
            visible = False
            try:
                account = self._other(owner)
                acl_account = cast(AclAccount, account)
                for info in account.list_mailboxes():
                    if info.name not in names or not info.selectable:
                        continue
                    try:
                        acl = acl_account.get_acl(info.name)
                    except NoSuchMailbox:
                        continue
                    # RFC 4314 4: LIST needs "l" (and never fails for it).
                    if "l" in effective_rights(acl, self.username):
                        if not visible:
                            # The namespace's levels, so that CREATE under
                            # them finds its superiors there (RFC 3501 6.3.3).
                            if not any(i.name == OTHER_USERS for i in infos):
                                infos.append(MailboxInfo(name=OTHER_USERS, selectable=False))
                            level = f"{OTHER_USERS}{DELIMITER}{owner}"
                            infos.append(MailboxInfo(name=level, selectable=False))
                        visible = True
                        infos.append(
                            MailboxInfo(
                                name=_shared_name(owner, info.name),
                                special_use=info.special_use,
                                attributes=info.attributes,
                            )
                        )
            except NoSuchMailbox:
                continue  # the owner went meanwhile
        return infos

    def create_mailbox(self, name: str) -> None:
        account, local = self._creating(name)
        account.create_mailbox(local)
        _inherit(account, local)

    def _creating(self, name: str) -> tuple[Account, str]:
        owner, local = _split(name)
        if owner is None:
            return self.account, name
        if not local:
            raise _no_create()
        try:
            account = self._other(owner)
        except NoSuchMailbox:
            raise _no_create() from None  # no word on whether such a user exists
        self._require_create(account, local)
        return account, local

    def delete_mailbox(self, name: str, *, noselect: bool = False) -> None:
        owner, local = _split(name)
        if owner is None:
            self.account.delete_mailbox(name, noselect=noselect)
            return
        account, local, _ = self.require(name, "x", "delete this mailbox")
        account.delete_mailbox(local, noselect=noselect)

    def rename_mailboxes(self, renames: Mapping[str, str]) -> None:
        owners = {self.owner_of(name) for pair in renames.items() for name in pair}
        if len(owners) != 1:
            raise ImapNo("Mailboxes cannot move between users", "CANNOT")
        if owners == {self.username}:
            self.account.rename_mailboxes(renames)
            return
        # RFC 4314 4: "x" on the mailbox renamed (the top of the subtree the
        # server passes) and "k" on its new parent.
        top = min(renames, key=len)
        account, _, _ = self.require(top, "x", "rename this mailbox")
        self._require_create(account, _split(renames[top])[1])
        account.rename_mailboxes({_split(old)[1]: _split(new)[1] for old, new in renames.items()})

    def subscribe(self, name: str) -> None:
        self.account.subscribe(name)

    def unsubscribe(self, name: str) -> None:
        self.account.unsubscribe(name)

    def subscriptions(self) -> frozenset[str]:
        return self.account.subscriptions()

    def status(self, name: str) -> MailboxStatus:
        account, local, _ = self.require(name, "r", "read this mailbox")  # RFC 4314 4 STATUS
        return account.status(local)

    def append(
        self,
        name: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        account, local, rights = self.require(name, "i", "append to this mailbox")
        # RFC 4314 4: flags the user may not set are dropped, not refused.
        kept = [flag for flag in flags if permits_flag(rights, flag)]
        return account.append(local, data, flags=kept, internal_date=internal_date)

    def select(self, name: str) -> Mailbox:
        owner, _ = _split(name)
        if owner is None:
            return self.account.select(name)
        account, local, rights = self.require(name, "r", "read this mailbox")
        return SharedMailbox(self, owner, account.select(local), rights)

    def logout(self) -> None:
        others, self._others = self._others, {}
        try:
            for account in others.values():
                account.logout()
        finally:
            self.account.logout()

    # -- ACL management (the commands of RFC 4314 3) ---------------------

    def administer(self, name: str) -> tuple[AclAccount, str, str]:
        """``(account, name there, owner)`` of a mailbox whose ACL the user may
        read and change (RFC 4314 4: ``a``)."""
        account, local, _ = self.require(name, "a", "administer this mailbox")
        acl_account = cast(AclAccount, account)
        acl_account.get_acl(local)  # NoSuchMailbox for a \Noselect level
        return acl_account, local, self.owner_of(name)

    def my_rights(self, name: str) -> frozenset[str]:
        """RFC 4314 4 MYRIGHTS: any of ``lrikxa`` is needed to ask."""
        account, local, rights = self.rights(name)
        cast(AclAccount, account).get_acl(local)  # NoSuchMailbox for a \Noselect level
        if not rights & set("lrikxa"):
            raise NoSuchMailbox()
        return rights

    # -- COPY and MOVE ---------------------------------------------------

    def copy_from(
        self, source: Mailbox, uids: Collection[int], destination: str, *, move: bool
    ) -> CopyResult:
        """COPY/MOVE from a selected mailbox to any mailbox this user may
        insert into (RFC 4314 4: ``i``; flags without the right are dropped;
        MOVE also needs ``t`` and ``e`` on a shared source)."""
        shared = source if isinstance(source, SharedMailbox) else None
        inner = shared.inner if shared is not None else source
        if move and shared is not None and not {"t", "e"} <= shared.rights:
            raise ImapNo("You may not move messages out of this mailbox", "NOPERM")
        account, local, rights = self.require(destination, "i", "copy messages into this mailbox")
        source_owner = shared.owner if shared is not None else self.username
        if source_owner == self.owner_of(destination):
            result = inner.move(uids, local) if move else inner.copy(uids, local)
            if rights != ALL_RIGHTS and result.uid_map:
                _drop_unpermitted(account, local, rights, [new for _, new in result.uid_map])
            return result
        # Between two users' stores: the bytes go over one at a time.
        uid_map: list[tuple[int, int]] = []
        uidvalidity = 0
        for info in inner.messages(uids):
            data = inner.message_bytes(info.uid)
            if data is None:
                continue  # expunged meanwhile
            kept = [flag for flag in info.flags if permits_flag(rights, flag)]
            appended = account.append(local, data, flags=kept, internal_date=info.internal_date)
            uidvalidity = appended.uidvalidity
            uid_map.append((info.uid, appended.uid))
        if move and uid_map:
            moved = [old for old, _ in uid_map]
            inner.store_flags(moved, StoreAction.ADD, ("\\Deleted",))
            inner.expunge(moved)
        if not uid_map:
            uidvalidity = account.status(local).uidvalidity
        return CopyResult(uidvalidity=uidvalidity, uid_map=tuple(uid_map))


def _drop_unpermitted(account: Account, name: str, rights: frozenset[str], uids: list[int]) -> None:
    """Remove from copied messages the flags the user may not set (RFC 4314 4)."""
    mailbox = account.select(name)
    flags = {
        flag
        for info in mailbox.messages(uids)
        for flag in info.flags
        if not permits_flag(rights, flag)
    }
    if flags:
        mailbox.store_flags(uids, StoreAction.REMOVE, flags)


def copy_messages(
    account: Account, mailbox: Mailbox, uids: Collection[int], destination: str, *, move: bool
) -> CopyResult:
    """COPY/MOVE as the COPY and MOVE handlers call it: across users when the
    account is an :class:`AccountView`."""
    if isinstance(account, AccountView):
        return account.copy_from(mailbox, uids, destination, move=move)
    return mailbox.move(uids, destination) if move else mailbox.copy(uids, destination)


# ---------------------------------------------------------------------------
# Making views


_VIEW_CLASSES: dict[type, type[AccountView]] = {}

#: Methods of optional protocols that read something about one mailbox
#: (OBJECTID's MAILBOXID, SAVEDATE's support): routed to the owner's account
#: for a shared mailbox the user may see.  Other methods are forwarded as
#: they are, so they reach the user's own mailboxes only.
_ROUTED = ("mailbox_id", "save_date_supported")


def _routed(name: str) -> Callable[..., Any]:
    def method(self: AccountView, mailbox: str, *args: Any, **kwargs: Any) -> Any:
        owner, _ = _split(mailbox)
        if owner is None:
            return getattr(self.account, name)(mailbox, *args, **kwargs)
        account, local, rights = self.rights(mailbox)
        if not rights & {"l", "r"}:
            raise NoSuchMailbox()  # RFC 4314 6
        return getattr(account, name)(local, *args, **kwargs)

    method.__name__ = name
    return method


def _forward(name: str) -> Callable[..., Any]:
    def method(self: AccountView, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.account, name)(*args, **kwargs)

    method.__name__ = name
    return method


class _SpecialUseView(AccountView):
    def create_special_use_mailbox(self, name: str, special_use: Collection[str]) -> None:
        account, local = self._creating(name)
        account.create_special_use_mailbox(local, special_use)  # type: ignore[attr-defined]
        _inherit(account, local)


def acl_view(account: Account) -> Account:
    """The account as its session sees it: an :class:`AccountView` when the
    store keeps ACLs (:class:`AclAccount`), else the account itself."""
    if not isinstance(account, AclAccount):
        return account
    cls = type(account)
    view_class = _VIEW_CLASSES.get(cls)
    if view_class is None:
        base = (
            _SpecialUseView
            if callable(getattr(cls, "create_special_use_mailbox", None))
            else AccountView
        )
        forwarded = {
            name: _routed(name) if name in _ROUTED else _forward(name)
            for name in dir(cls)
            if not name.startswith("_")
            and not hasattr(base, name)
            and callable(getattr(cls, name, None))
        }
        view_class = type(f"AccountView[{cls.__name__}]", (base,), forwarded)
        _VIEW_CLASSES[cls] = view_class
    return cast(Account, view_class(account))
