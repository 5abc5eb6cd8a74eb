"""Session commands: any state, login, selection, IDLE and expunging.

CAPABILITY, NOOP, LOGOUT (RFC 3501 6.1), STARTTLS, LOGIN, AUTHENTICATE with
PLAIN (RFC 4616) and LOGIN and SASL-IR (RFC 4959), ID (RFC 2971), ENABLE
(RFC 5161), SELECT/EXAMINE (RFC 3501 6.3.1-2), IDLE (RFC 2177), CHECK, CLOSE,
UNSELECT (RFC 3691), EXPUNGE and UID EXPUNGE (RFC 3501 6.4.3, RFC 4315 2.1).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .._commands import (
    Authenticate,
    Capability,
    Check,
    Close,
    Compress,
    Enable,
    Examine,
    Expunge,
    Id,
    Idle,
    Login,
    Logout,
    Noop,
    QResync,
    Select,
    StartTLS,
    Unselect,
)
from .._events import AuthenticateResponse, IdleDone
from .._responses import (
    AtomCode,
    CapabilityData,
    ContinuationRequest,
    EnabledData,
    ExistsData,
    FlagsData,
    FlagsItem,
    HighestModSeqCode,
    IdData,
    ModSeqItem,
    PermanentFlagsCode,
    RecentData,
    Status,
    StatusResponse,
    UidItem,
    UidNextCode,
    UidValidityCode,
    UnseenCode,
    VanishedData,
)
from .._secret import Secret
from .._view import SelectedMailboxView, uid_set
from ._backend import (
    SYSTEM_FLAGS,
    Account,
    CondstoreAccount,
    ImapBad,
    ImapNo,
    Mailbox,
    MessageInfo,
)
from ._server import (
    PENDING,
    Completion,
    Handler,
    ServerConnection,
    _Pending,
    condstore_enabled,
    enable_condstore,
    report_highest_modseq,
)

__all__ = [
    "ENABLEABLE",
    "HANDLERS",
    "announce_mailbox_flags",
    "continue_subflow",
    "highest_modseq_completion",
    "vanished_since",
]

#: What ENABLE can turn on here (RFC 5161 3.1: unknown names are ignored).
ENABLEABLE: frozenset[str] = frozenset({"CONDSTORE", "QRESYNC"})  # RFC 7162 3.1, 3.2.3
_CONDSTORE_NAMES = frozenset({"CONDSTORE", "QRESYNC"})


def capability(session: ServerConnection, command: Capability) -> None:
    """RFC 3501 6.1.1."""
    session.send(CapabilityData(capabilities=session.conn.capabilities))


def noop(session: ServerConnection, command: Noop | Check) -> None:
    """RFC 3501 6.1.2 / 6.4.1: updates go out before the OK (the server syncs)."""


def logout(session: ServerConnection, command: Logout) -> None:
    """RFC 3501 6.1.3: BYE, then the tagged OK."""
    session.send(StatusResponse(status=Status.BYE, text="Logging out"))
    session._logout_account()


def compress(session: ServerConnection, command: Compress) -> Completion:
    """RFC 4978 3: DEFLATE only, once; the engine compresses after the OK."""
    if command.mechanism != "DEFLATE":
        raise ImapBad(f"Unknown compression mechanism {command.mechanism}", "CLIENTBUG")
    if session.conn.compressed:
        raise ImapBad("DEFLATE is already active", "COMPRESSIONACTIVE")
    return Completion(text="DEFLATE active")


def starttls(session: ServerConnection, command: StartTLS) -> Completion:
    """RFC 3501 6.2.1: only when the adapter can do TLS and it is not active."""
    conn = session.conn
    if not conn.config.tls_available or conn.tls_active:
        raise ImapBad("STARTTLS is not available", "CLIENTBUG")
    return Completion(text="Begin TLS negotiation now")


def _check_plaintext_allowed(session: ServerConnection) -> None:
    conn = session.conn
    if not (conn.secure or conn.config.allow_plaintext_auth):
        # RFC 3501 6.2.3: LOGINDISABLED; RFC 5530 PRIVACYREQUIRED.
        raise ImapNo("Plaintext authentication is disabled without TLS", "PRIVACYREQUIRED")


def _log_in(session: ServerConnection, username: str, password: str, authzid: str = "") -> None:
    # AuthenticationFailed (NO [AUTHENTICATIONFAILED]) propagates to the
    # error rule; its text never says whether the user or the password was wrong.
    on_login = session.server.on_login
    try:
        account: Account = session.server.backend.authenticate(
            username, Secret(password), authzid=authzid or None
        )
    except Exception:
        if on_login is not None:
            on_login(session, username, False)
        raise
    session.account = account
    if on_login is not None:
        on_login(session, username, True)
    caps = session.server.capabilities_after_auth(account)
    session.conn.config = dataclasses.replace(session.conn.config, capabilities=caps)


def login(session: ServerConnection, command: Login) -> Completion:
    """RFC 3501 6.2.3."""
    _check_plaintext_allowed(session)
    _log_in(session, command.username, command.password.reveal())
    return Completion(text="LOGIN completed")


_LOGIN_PROMPTS = (b"Username:", b"Password:")


def authenticate(session: ServerConnection, command: Authenticate) -> Completion | _Pending:
    """RFC 3501 6.2.2 with SASL-IR (RFC 4959): PLAIN (RFC 4616) and LOGIN."""
    mechanism = command.mechanism
    if mechanism not in ("PLAIN", "LOGIN"):
        raise ImapNo(f"Unsupported authentication mechanism {mechanism}", "CANNOT")
    _check_plaintext_allowed(session)
    session.sasl_state = {"mechanism": mechanism, "step": 0}
    if command.initial_response is not None:
        return _sasl_step(session, command, command.initial_response.reveal())
    if mechanism == "PLAIN":
        session.send(ContinuationRequest(text=""))
    else:
        session.send(ContinuationRequest(data=_LOGIN_PROMPTS[0]))
    return PENDING


def _sasl_step(session: ServerConnection, command: Any, data: bytes) -> Completion | _Pending:
    state = session.sasl_state
    if state.get("mechanism") == "PLAIN":
        # RFC 4616 2: [authzid] NUL authcid NUL passwd
        parts = data.split(b"\0")
        if len(parts) != 3:
            session.sasl_state = {}
            raise ImapBad("Malformed PLAIN response", "CLIENTBUG")
        authzid, authcid, password = (p.decode("utf-8", "surrogateescape") for p in parts)
        session.sasl_state = {}
        _log_in(session, authcid, password, authzid)
        return Completion(text="AUTHENTICATE completed")
    # LOGIN: username, then password.
    if state["step"] == 0:
        state["username"] = data.decode("utf-8", "surrogateescape")
        state["step"] = 1
        session.send(ContinuationRequest(data=_LOGIN_PROMPTS[1]))
        return PENDING
    username = state["username"]
    session.sasl_state = {}
    _log_in(session, username, data.decode("utf-8", "surrogateescape"))
    return Completion(text="AUTHENTICATE completed")


def continue_subflow(
    session: ServerConnection, event: AuthenticateResponse | IdleDone
) -> Completion | _Pending | None:
    """The client's next line in AUTHENTICATE or the end of IDLE."""
    if isinstance(event, IdleDone):
        return Completion(text="IDLE terminated")
    command = session._current
    return _sasl_step(session, command, event.data.reveal())


def id_command(session: ServerConnection, command: Id) -> None:
    """RFC 2971 3.1: answer with the server's own fields."""
    params = tuple(session.server.id_info.items()) or None
    session.send(IdData(params=params))


def enable(session: ServerConnection, command: Enable) -> None:
    """RFC 5161 3.1: ENABLED lists what was turned on now (maybe nothing).

    CONDSTORE and QRESYNC only for an account whose modseqs persist (the
    :class:`CondstoreAccount` protocol, which also decides whether they are
    advertised).  QRESYNC implies CONDSTORE (RFC 7162 3.2.3: "ENABLE
    QRESYNC" and "ENABLE QRESYNC CONDSTORE" have identical results).
    """
    offered = session.server.enableable
    if not isinstance(session.account, CondstoreAccount):
        offered = offered - _CONDSTORE_NAMES
    wanted = [c for c in command.capabilities if c in offered]
    fresh = tuple(dict.fromkeys(c for c in wanted if c not in session.conn.enabled))
    newly_condstore = any(c in _CONDSTORE_NAMES for c in fresh) and enable_condstore(
        session, report=False
    )
    session.send(EnabledData(capabilities=fresh))
    if newly_condstore:
        # RFC 7162 3.1: the first CONDSTORE enabling command with a mailbox
        # selected reports its HIGHESTMODSEQ.
        report_highest_modseq(session)


def announce_mailbox_flags(session: ServerConnection, flags: tuple[str, ...]) -> None:
    """Send a changed FLAGS list now, with PERMANENTFLAGS (RFC 3501 7.2.6, 7.1)."""
    _, view = session.require_mailbox()
    if flags == view.mailbox_flags:
        return
    session.send(FlagsData(flags=flags))
    if not session.read_only:
        session.untagged_ok("Flags permitted", PermanentFlagsCode(flags=(*flags, "\\*")))
    view.set_mailbox_flags(flags, announce=False)


def announce_keywords(
    session: ServerConnection, mailbox: Mailbox, flag_sets: Iterable[Iterable[str]]
) -> None:
    """Send FLAGS first if any keyword in ``flag_sets`` is new to this session.

    RFC 3501 7.2.6 / RFC 9051 7.3.5: the FLAGS response lists the flags
    defined in the mailbox, so a keyword (another session may have just
    created it) must be announced before a FETCH response carries it.
    """
    _, view = session.require_mailbox()
    known = view.mailbox_flags
    new = {f for flags in flag_sets for f in flags if not f.startswith("\\") and f not in known}
    if new:
        keywords = new | set(mailbox.keywords())
        keywords.update(f for f in known if not f.startswith("\\"))
        announce_mailbox_flags(session, (*SYSTEM_FLAGS, *sorted(keywords)))


def select(session: ServerConnection, command: Select | Examine) -> Completion:
    """RFC 3501 6.3.1 (SELECT) and 6.3.2 (EXAMINE), with the CONDSTORE
    (RFC 7162 3.1.8) and QRESYNC (RFC 7162 3.2.5) parameters."""
    account = session.require_account()
    if session.conn.view is not None:
        # RFC 7162 3.2.11 / RFC 9051 7.1: CLOSED marks the boundary between
        # the responses for the old mailbox and those for the new one.  A new
        # SELECT closes the old mailbox first (whatever its outcome, also a
        # BAD), without expunging (RFC 3501 6.3.1; the seed expunged it).
        session.untagged_ok("Previous mailbox closed", AtomCode(name="CLOSED"))
    session.mailbox = None
    qresync = command.qresync
    if qresync is not None and "QRESYNC" not in session.conn.enabled:
        # RFC 7162 3.2.5: "MUST respond with a tagged BAD response if the
        # Quick Resynchronization parameter ... is specified and the client
        # hasn't issued ENABLE QRESYNC".
        raise ImapBad("QRESYNC needs ENABLE QRESYNC first", "CLIENTBUG")
    if command.condstore:
        enable_condstore(session, report=False)  # RFC 7162 3.1.8
    read_only = isinstance(command, Examine)
    mailbox = account.select(command.mailbox)
    status = mailbox.status()
    messages = mailbox.messages()
    keywords = mailbox.keywords()
    recent = () if read_only else mailbox.claim_recent()
    flags = (*SYSTEM_FLAGS, *sorted(keywords))
    uids = [m.uid for m in messages]
    view = SelectedMailboxView(
        uids=uids,
        uidvalidity=status.uidvalidity,
        uidnext=status.uidnext,
        flags={m.uid: m.flags for m in messages},
        mailbox_flags=flags,
        recent=recent,
        modseqs={m.uid: m.modseq for m in messages},
    )
    session.send(FlagsData(flags=flags))
    session.send(ExistsData(count=len(uids)))
    # EXAMINE claims no \Recent (RFC 3501 6.3.2) but reports how many there are.
    session.send(RecentData(count=status.recent if read_only else len(view.recent)))
    first_unseen = next((i for i, m in enumerate(messages, 1) if "\\Seen" not in m.flags), None)
    if first_unseen is not None:
        # RFC 3501 6.3.1: UNSEEN only when there is an unseen message.
        session.untagged_ok(f"First unseen: {first_unseen}", UnseenCode(number=first_unseen))
    session.untagged_ok("UIDs valid", UidValidityCode(uidvalidity=status.uidvalidity))
    session.untagged_ok("Predicted next UID", UidNextCode(uid=status.uidnext))
    permanent = () if read_only else (*SYSTEM_FLAGS, *sorted(keywords), "\\*")
    session.untagged_ok(
        "Read-only mailbox" if read_only else "Flags permitted",
        PermanentFlagsCode(flags=permanent),
    )
    if condstore_enabled(session):
        # RFC 7162 3.1.2.1: after a CONDSTORE enabling command (this one
        # included), every SELECT/EXAMINE reports HIGHESTMODSEQ.
        session.untagged_ok("Highest", HighestModSeqCode(modseq=max(status.highest_modseq, 1)))
    elif command.condstore:
        # RFC 7162 3.1.2.2: this store keeps no persistent modseqs.
        session.untagged_ok("No mod-sequences here", AtomCode(name="NOMODSEQ"))
    if qresync is not None and condstore_enabled(session):
        _resync(session, mailbox, view, qresync, messages=messages, uidnext=status.uidnext)
    session.conn.set_view(view)
    session.mailbox = mailbox
    session.read_only = read_only
    session.modseq = status.highest_modseq
    code = AtomCode(name="READ-ONLY" if read_only else "READ-WRITE")
    return Completion(text=f"{command.name} completed", code=code)


def _members(spans: Iterable[tuple[int, int]]) -> Iterator[int]:
    for low, high in spans:
        yield from range(low, high + 1)


def _in_spans(spans: list[tuple[int, int]]) -> Callable[[int], bool]:
    """Membership in sorted, merged ``spans`` by bisection."""
    starts = [low for low, _ in spans]

    def member(number: int) -> bool:
        index = bisect.bisect_right(starts, number) - 1
        return index >= 0 and number <= spans[index][1]

    return member


def _resync(
    session: ServerConnection,
    mailbox: Mailbox,
    view: SelectedMailboxView,
    qresync: QResync,
    *,
    messages: Sequence[MessageInfo],
    uidnext: int,
) -> None:
    """The QRESYNC part of SELECT/EXAMINE (RFC 7162 3.2.5).

    With the client's UIDVALIDITY: ``* VANISHED (EARLIER)`` for the known UIDs
    expunged after its modseq (the backend's tombstones), then ``* n FETCH
    (UID FLAGS MODSEQ)`` for the known messages changed after it, which is
    ``UID FETCH known-uids (FLAGS) (CHANGEDSINCE modseq VANISHED)``.  With
    another UIDVALIDITY the rest is ignored ("behave as if no dynamic message
    data changed").
    """
    if qresync.uidvalidity != view.uidvalidity:
        return
    since = qresync.modseq
    largest = uidnext - 1  # "1:<maxuid>" when no known UIDs are given
    if qresync.known_uids is not None:
        spans = qresync.known_uids.iter_ranges(largest)
    else:
        spans = [(1, largest)] if largest >= 1 else []
    known = _in_spans(spans)
    floor = 0
    if qresync.seq_match is not None:
        # RFC 7162 3.2.5.2: each matching (sequence number, UID) pair tells
        # that the client knows every expunge up to that UID; stop at the
        # first pair that does not match (pairs beyond the shorter set are
        # ignored).
        seqs, seq_uids = qresync.seq_match
        pairs = zip(
            _members(seqs.iter_ranges(view.exists)),
            _members(seq_uids.iter_ranges(largest)),
            strict=False,
        )
        for seq, uid in pairs:
            if seq > view.exists or view.uid_of(seq) != uid:
                break
            floor = uid
    vanished = vanished_since(mailbox, spans, since, existing=[m.uid for m in messages])
    gone = uid_set(uid for uid in vanished if uid > floor)
    if gone is not None:
        # RFC 7162 3.2.6: VANISHED (EARLIER) before any FETCH.
        session.send(VanishedData(uids=gone, earlier=True))
    recent = frozenset() if "IMAP4REV2" in session.conn.enabled else view.recent
    for info in messages:
        if info.modseq > since and known(info.uid):
            flags = sorted(info.flags)
            if info.uid in recent:
                flags.append("\\Recent")
            items = (
                UidItem(uid=info.uid),
                FlagsItem(flags=tuple(flags)),
                ModSeqItem(modseq=info.modseq),
            )
            session.send(view.fetch_data(info.uid, items))


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
    member = _in_spans(spans)
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


def idle(session: ServerConnection, command: Idle) -> _Pending:
    """RFC 2177 3: '+ idling', updates as they happen, DONE ends it."""
    session.send(ContinuationRequest(text="idling"))
    session.poll()
    return PENDING


def close(session: ServerConnection, command: Close) -> None:
    """RFC 3501 6.4.2: expunge \\Deleted silently (not when read-only), deselect."""
    mailbox, _ = session.require_mailbox()
    if not session.read_only:
        mailbox.expunge()
    session.mailbox = None


def unselect(session: ServerConnection, command: Unselect) -> None:
    """RFC 3691: deselect without expunging."""
    session.require_mailbox()
    session.mailbox = None


def expunge(session: ServerConnection, command: Expunge) -> Completion | None:
    """RFC 3501 6.4.3 and UID EXPUNGE (RFC 4315 2.1).

    The EXPUNGE (or VANISHED, RFC 7162 3.2.10) responses come from the
    session's sync before the OK, like any other session's changes.  With
    QRESYNC enabled, an EXPUNGE that removed something reports the new
    HIGHESTMODSEQ in its OK (RFC 7162 3.2.7, 3.2.9).
    """
    mailbox, view = session.require_mailbox()
    if session.read_only:
        raise ImapNo("Mailbox is read-only", "READ-ONLY")
    if command.uid:
        assert command.uids is not None
        gone = mailbox.expunge(view.resolve_uid_set(command.uids))
    else:
        gone = mailbox.expunge()
    return highest_modseq_completion(session, gone, "EXPUNGE completed")


def highest_modseq_completion(
    session: ServerConnection, gone: Sequence[int], text: str
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


HANDLERS: dict[type, Handler] = {
    Capability: capability,
    Noop: noop,
    Check: noop,
    Logout: logout,
    StartTLS: starttls,
    Compress: compress,
    Login: login,
    Authenticate: authenticate,
    Id: id_command,
    Enable: enable,
    Select: select,
    Examine: select,
    Idle: idle,
    Close: close,
    Unselect: unselect,
    Expunge: expunge,
}
