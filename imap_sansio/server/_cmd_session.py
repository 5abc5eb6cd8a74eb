"""Session commands: any state, login, selection, IDLE and expunging.

CAPABILITY, NOOP, LOGOUT (RFC 3501 6.1), STARTTLS, LOGIN, AUTHENTICATE with
PLAIN (RFC 4616) and LOGIN and SASL-IR (RFC 4959), ID (RFC 2971), ENABLE
(RFC 5161), SELECT/EXAMINE (RFC 3501 6.3.1-2), IDLE (RFC 2177), CHECK, CLOSE,
UNSELECT (RFC 3691), EXPUNGE and UID EXPUNGE (RFC 3501 6.4.3, RFC 4315 2.1).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._commands import (
    Authenticate,
    Capability,
    Check,
    Close,
    Enable,
    Examine,
    Expunge,
    Id,
    Idle,
    Login,
    Logout,
    Noop,
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
    HighestModSeqCode,
    IdData,
    PermanentFlagsCode,
    RecentData,
    Status,
    StatusResponse,
    UidNextCode,
    UidValidityCode,
    UnseenCode,
)
from .._secret import Secret
from .._view import SelectedMailboxView
from ._backend import SYSTEM_FLAGS, Account, ImapBad, ImapNo
from ._server import PENDING, Completion, Handler, ServerConnection, _Pending

__all__ = ["ENABLEABLE", "HANDLERS", "announce_mailbox_flags", "continue_subflow"]

#: What ENABLE can turn on here (RFC 5161 3.1: unknown names are ignored).
ENABLEABLE: frozenset[str] = frozenset()


def capability(session: ServerConnection, command: Capability) -> None:
    """RFC 3501 6.1.1."""
    session.send(CapabilityData(capabilities=session.conn.capabilities))


def noop(session: ServerConnection, command: Noop | Check) -> None:
    """RFC 3501 6.1.2 / 6.4.1: updates go out before the OK (the server syncs)."""


def logout(session: ServerConnection, command: Logout) -> None:
    """RFC 3501 6.1.3: BYE, then the tagged OK."""
    session.send(StatusResponse(status=Status.BYE, text="Logging out"))
    session._logout_account()


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
    """RFC 5161 3.1: ENABLED lists what was turned on now (maybe nothing)."""
    wanted = [c for c in command.capabilities if c in session.server.enableable]
    fresh = tuple(c for c in wanted if c not in session.conn.enabled)
    session.send(EnabledData(capabilities=fresh))


def announce_mailbox_flags(session: ServerConnection, flags: tuple[str, ...]) -> None:
    """Send a changed FLAGS list now, with PERMANENTFLAGS (RFC 3501 7.2.6, 7.1)."""
    _, view = session.require_mailbox()
    if flags == view.mailbox_flags:
        return
    session.send(FlagsData(flags=flags))
    if not session.read_only:
        session.untagged_ok("Flags permitted", PermanentFlagsCode(flags=(*flags, "\\*")))
    view.set_mailbox_flags(flags, announce=False)


def select(session: ServerConnection, command: Select | Examine) -> Completion:
    """RFC 3501 6.3.1 (SELECT) and 6.3.2 (EXAMINE)."""
    account = session.require_account()
    # A new SELECT closes the old mailbox first, without expunging
    # (RFC 3501 6.3.1; the seed expunged it).
    session.mailbox = None
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
    if "CONDSTORE" in session.conn.enabled or command.condstore:
        session.untagged_ok("Highest", HighestModSeqCode(modseq=max(status.highest_modseq, 1)))
    session.conn.set_view(view)
    session.mailbox = mailbox
    session.read_only = read_only
    session.modseq = status.highest_modseq
    code = AtomCode(name="READ-ONLY" if read_only else "READ-WRITE")
    return Completion(text=f"{command.name} completed", code=code)


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


def expunge(session: ServerConnection, command: Expunge) -> None:
    """RFC 3501 6.4.3 and UID EXPUNGE (RFC 4315 2.1).

    The EXPUNGE responses come from the session's sync before the OK, like
    any other session's changes.
    """
    mailbox, view = session.require_mailbox()
    if session.read_only:
        raise ImapNo("Mailbox is read-only", "READ-ONLY")
    if command.uid:
        assert command.uids is not None
        mailbox.expunge(view.resolve_uid_set(command.uids))
    else:
        mailbox.expunge()


HANDLERS: dict[type, Handler] = {
    Capability: capability,
    Noop: noop,
    Check: noop,
    Logout: logout,
    StartTLS: starttls,
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
