"""Session commands: any state, login, selection, IDLE and expunging.

CAPABILITY, NOOP, LOGOUT (RFC 3501 6.1), STARTTLS, LOGIN, AUTHENTICATE with
PLAIN (RFC 4616) and LOGIN and SASL-IR (RFC 4959), ID (RFC 2971), ENABLE
(RFC 5161), UNAUTHENTICATE (RFC 8437), SELECT/EXAMINE (RFC 3501 6.3.1-2),
IDLE (RFC 2177), CHECK, CLOSE, UNSELECT (RFC 3691), EXPUNGE and UID EXPUNGE
(RFC 3501 6.4.3, RFC 4315 2.1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .._capabilities import PLAINTEXT_MECHANISMS
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
    Unauthenticate,
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
    ListData,
    MailboxIdCode,
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
from ._acl import acl_view, mailbox_rights, permanent_flags
from ._backend import (
    SYSTEM_FLAGS,
    Account,
    AuthenticationFailed,
    CondstoreAccount,
    ImapBad,
    ImapNo,
    Mailbox,
    MessageInfo,
    ObjectIdAccount,
)
from ._condstore import (
    condstore_enabled,
    enable_condstore,
    highest_modseq_completion,
    in_spans,
    report_highest_modseq,
    vanished_since,
)
from ._mailboxes import list_entries
from ._notify import METADATA_NAMES as _METADATA_NAMES
from ._notify import enable_metadata
from ._sasl import (
    Challenge,
    CheckPassword,
    SaslContext,
    SaslExchange,
    Verified,
    VerifiedLoginBackend,
    plain_exchange,
)
from ._session import PENDING, Completion, Pending, ServerCommand, Session, serve
from .names import DELIMITER

__all__ = ["ACCOUNT_CAPABILITIES", "COMMANDS", "ENABLEABLE"]

#: What ENABLE can turn on here (RFC 5161 3.1: unknown names are ignored):
#: RFC 7162 3.1, 3.2.3; IMAP4rev2 (RFC 9051 appendix A: a server that
#: offers both versions speaks version 2 after ENABLE); UTF8=ACCEPT (RFC
#: 6855 3: UTF-8 in quoted strings and mailbox names); UIDONLY (RFC 9586 3:
#: the engine refuses sequence numbers and writes UIDFETCH and VANISHED).
#: The engine reads the last three from ``conn.enabled``; the handlers too.
#: METADATA and METADATA-SERVER (RFC 5464 3.3), where advertised: unsolicited
#: METADATA responses for annotations others change (4.4).
ENABLEABLE: frozenset[str] = frozenset(
    {"CONDSTORE", "QRESYNC", "IMAP4REV2", "UTF8=ACCEPT", "UIDONLY"} | _METADATA_NAMES
)
_CONDSTORE_NAMES = frozenset({"CONDSTORE", "QRESYNC"})
_SPELLED = {"IMAP4REV2": "IMAP4rev2"}


def capability(session: Session, command: Capability) -> None:
    """RFC 3501 6.1.1."""
    session.send(CapabilityData(capabilities=session.conn.capabilities))


def noop(session: Session, command: Noop | Check) -> None:
    """RFC 3501 6.1.2 / 6.4.1: updates go out before the OK (the server syncs)."""


def logout(session: Session, command: Logout) -> None:
    """RFC 3501 6.1.3: BYE, then the tagged OK."""
    session.send(StatusResponse(status=Status.BYE, text="Logging out"))
    session._logout_account()


def compress(session: Session, command: Compress) -> Completion:
    """RFC 4978 3: DEFLATE only, once; the engine compresses after the OK."""
    if command.mechanism != "DEFLATE":
        raise ImapBad(f"Unknown compression mechanism {command.mechanism}", "CLIENTBUG")
    if session.conn.compressed:
        raise ImapBad("DEFLATE is already active", "COMPRESSIONACTIVE")
    return Completion(text="DEFLATE active")


def starttls(session: Session, command: StartTLS) -> Completion:
    """RFC 3501 6.2.1: only when the adapter can do TLS and it is not active."""
    conn = session.conn
    if not conn.config.tls_available or conn.tls_active:
        raise ImapBad("STARTTLS is not available", "CLIENTBUG")
    return Completion(text="Begin TLS negotiation now")


def _check_plaintext_allowed(session: Session) -> None:
    conn = session.conn
    if not (conn.secure or conn.config.allow_plaintext_auth):
        # RFC 3501 6.2.3: LOGINDISABLED; RFC 5530 PRIVACYREQUIRED.
        raise ImapNo("Plaintext authentication is disabled without TLS", "PRIVACYREQUIRED")


def _is_utf8(*values: str) -> bool:
    """No value carries a byte that was not UTF-8 (the grammar keeps such
    bytes as surrogate escapes)."""
    try:
        for value in values:
            value.encode("utf-8")
    except UnicodeEncodeError:  # its text would show the byte: dropped here
        return False
    return True


def _log_in(session: Session, username: str, password: str, authzid: str = "") -> None:
    def check() -> Account:
        if not _is_utf8(username, password, authzid):
            # No account has such a name or password: simply wrong
            # credentials, and the backend never sees the bytes.
            raise AuthenticationFailed()
        return session.server.backend.authenticate(
            username, Secret(password), authzid=authzid or None
        )

    _admit(session, username, check)


def _open_verified(session: Session, verified: Verified) -> None:
    """A mechanism proved who the client is: the backend opens the account."""

    def open_account() -> Account:
        backend = session.server.backend
        if not isinstance(backend, VerifiedLoginBackend) or not _is_utf8(
            verified.username, verified.authzid
        ):
            raise AuthenticationFailed()
        return backend.open_account(verified.username, authzid=verified.authzid or None)

    _admit(session, verified.username, open_account)


def _admit(session: Session, username: str, get_account: Callable[[], Account]) -> None:
    # AuthenticationFailed (NO [AUTHENTICATIONFAILED]) propagates to the
    # error rule; its text never says whether the user or the password was wrong.
    server = session.server
    on_login = server.on_login
    try:
        account = get_account()
    except Exception:
        if on_login is not None:
            on_login(session, username, False)
        raise
    if server.admit_login is not None:
        try:
            server.admit_login(session, username)  # e.g. NO [LIMIT]: too many sessions
        except Exception:
            try:
                account.logout()
            except Exception as exc:
                session._report(exc)
            raise
    # A store that keeps ACLs is seen through the view that enforces them
    # and shows other users' shared mailboxes (RFC 4314).
    session.account = acl_view(account)
    if on_login is not None:
        on_login(session, username, True)
    session.conn.set_capabilities(session.server.capabilities_after_auth(session.account))


def login(session: Session, command: Login) -> Completion:
    """RFC 3501 6.2.3."""
    _check_plaintext_allowed(session)
    _log_in(session, command.username, command.password.reveal())
    return Completion(text="LOGIN completed")


def authenticate(session: Session, command: Authenticate) -> Completion | Pending:
    """RFC 3501 6.2.2 with SASL-IR (RFC 4959): PLAIN (RFC 4616), LOGIN and
    the server's configured mechanisms (SCRAM, OAUTHBEARER, XOAUTH2)."""
    mechanism = command.mechanism
    conn = session.conn
    if f"AUTH={mechanism}" not in conn.capabilities and not (
        mechanism in PLAINTEXT_MECHANISMS and mechanism in conn.config.auth_mechanisms
    ):
        # Only what is advertised on this connection (a -PLUS variant needs
        # the channel binding; a plaintext one is refused below with
        # PRIVACYREQUIRED rather than CANNOT).
        raise ImapNo(f"Unsupported authentication mechanism {mechanism}", "CANNOT")
    if mechanism in PLAINTEXT_MECHANISMS:
        _check_plaintext_allowed(session)
    configured = session.server.sasl_mechanisms.get(mechanism)
    if configured is not None:
        exchange = configured.exchange(SaslContext(channel_binding=conn.channel_binding))
    else:
        exchange = plain_exchange(mechanism)
    session.sasl_state = {"exchange": exchange}
    if command.initial_response is not None:
        return _sasl_step(session, command.initial_response.reveal())
    session.send(ContinuationRequest(data=exchange.start()))
    return PENDING


def _sasl_step(session: Session, data: bytes) -> Completion | Pending:
    state = session.sasl_state
    verified = state.get("verified")
    if verified is not None:
        # The client's answer to the server's final message (RFC 4422 3.6:
        # empty; anything else ends the exchange as a failure).
        session.sasl_state = {}
        if data:
            raise ImapBad("Expected an empty response", "CLIENTBUG")
        _open_verified(session, verified)
        return Completion(text="AUTHENTICATE completed")
    exchange: SaslExchange = state["exchange"]
    try:
        step = exchange.step(data)
    except AuthenticationFailed:
        session.sasl_state = {}
        if session.server.on_login is not None:
            # The name the client gave, if the mechanism got that far.
            session.server.on_login(session, getattr(exchange, "username", ""), False)
        raise
    except Exception:
        session.sasl_state = {}
        raise
    if isinstance(step, Challenge):
        session.send(ContinuationRequest(data=step.data))
        return PENDING
    if isinstance(step, Verified) and step.final is not None:
        state["verified"] = step
        session.send(ContinuationRequest(data=step.final))
        return PENDING
    session.sasl_state = {}
    if isinstance(step, CheckPassword):
        _log_in(session, step.username, step.password.reveal(), step.authzid)
    else:
        _open_verified(session, step)
    return Completion(text="AUTHENTICATE completed")


def continue_subflow(
    session: Session, event: AuthenticateResponse | IdleDone
) -> Completion | Pending | None:
    """The client's next line in AUTHENTICATE or the end of IDLE."""
    if isinstance(event, IdleDone):
        return Completion(text="IDLE terminated")
    return _sasl_step(session, event.data.reveal())


def unauthenticate(session: Session, command: Unauthenticate) -> Completion:
    """RFC 8437 3: the account is released and the session is as if it had
    just connected, over the same transport (TLS and COMPRESS stay); the
    engine closes the mailbox, turns ENABLEd extensions off and puts the
    capabilities before login on the OK."""
    session.require_account()
    session._logout_account()
    session.conn.set_capabilities(session.server.capabilities_after_auth())
    return Completion(text="UNAUTHENTICATE completed")


def id_command(session: Session, command: Id) -> None:
    """RFC 2971 3.1: answer with the server's own fields."""
    params = tuple(session.server.id_info.items()) or None
    session.send(IdData(params=params))


def enable(session: Session, command: Enable) -> None:
    """RFC 5161 3.1: ENABLED lists what was turned on now (maybe nothing).

    CONDSTORE and QRESYNC only for an account whose modseqs persist (the
    :class:`CondstoreAccount` protocol, which also decides whether they are
    advertised).  QRESYNC implies CONDSTORE (RFC 7162 3.2.3: "ENABLE
    QRESYNC" and "ENABLE QRESYNC CONDSTORE" have identical results).
    """
    offered = session.server.enableable
    if not isinstance(session.account, CondstoreAccount):
        offered = offered - _CONDSTORE_NAMES
    # RFC 5464 3.3: "METADATA" or "METADATA-SERVER", "depending on which of
    # those capabilities is supported by the server".
    offered = offered - (_METADATA_NAMES - set(session.conn.capabilities))
    wanted = [c for c in command.capabilities if c in offered]
    fresh = tuple(dict.fromkeys(c for c in wanted if c not in session.conn.enabled))
    newly_condstore = any(c in _CONDSTORE_NAMES for c in fresh) and enable_condstore(
        session, report=False
    )
    # Named as advertised (capability names are case-insensitive, RFC 9051
    # 7.2.2, but clients compare against "IMAP4rev2" as they saw it).
    session.send(EnabledData(capabilities=tuple(_SPELLED.get(c, c) for c in fresh)))
    if _METADATA_NAMES.intersection(fresh):
        enable_metadata(session, fresh)
    if newly_condstore:
        # RFC 7162 3.1: the first CONDSTORE enabling command with a mailbox
        # selected reports its HIGHESTMODSEQ.
        report_highest_modseq(session)


def select(session: Session, command: Select | Examine) -> Completion:
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
    if qresync is not None and qresync.seq_match is not None and "UIDONLY" in session.conn.enabled:
        # RFC 9586 3: the sequence match data names sequence numbers.
        raise ImapBad("No sequence match data after ENABLE UIDONLY", "UIDREQUIRED")
    if command.condstore:
        enable_condstore(session, report=False)  # RFC 7162 3.1.8
    read_only = isinstance(command, Examine)
    mailbox = account.select(command.mailbox)
    rights = mailbox_rights(mailbox)
    if rights is not None and not rights & {"i", "e", "s", "w", "t"}:
        # RFC 4314 5.2: READ-ONLY without "i", "e" and the flag rights.
        read_only = True
    status = mailbox.status()
    messages = mailbox.messages()
    keywords = mailbox.keywords()
    rev2 = "IMAP4REV2" in session.conn.enabled
    # IMAP4rev2 has no \Recent (RFC 9051 appendix E 12): such a session
    # claims none, so they stay \Recent for an IMAP4rev1 session.
    recent = () if read_only or rev2 else mailbox.claim_recent()
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
    if not rev2:
        # EXAMINE claims no \Recent (RFC 3501 6.3.2) but reports how many
        # there are; IMAP4rev2 has no RECENT (RFC 9051 appendix E 12).
        session.send(RecentData(count=status.recent if read_only else len(view.recent)))
    first_unseen = next((i for i, m in enumerate(messages, 1) if "\\Seen" not in m.flags), None)
    if first_unseen is not None and "UIDONLY" not in session.conn.enabled:
        # RFC 3501 6.3.1: UNSEEN only when there is an unseen message.  Its
        # number is a message number, which RFC 9586 (abstract, 3) keeps out
        # of every response once UIDONLY is enabled.
        session.untagged_ok(f"First unseen: {first_unseen}", UnseenCode(number=first_unseen))
    session.untagged_ok("UIDs valid", UidValidityCode(uidvalidity=status.uidvalidity))
    session.untagged_ok("Predicted next UID", UidNextCode(uid=status.uidnext))
    # RFC 4314 5.1.1: PERMANENTFLAGS as the user's rights allow.
    permanent = () if read_only else permanent_flags(rights, (*SYSTEM_FLAGS, *sorted(keywords)))
    session.untagged_ok(
        "Read-only mailbox" if read_only else "Flags permitted",
        PermanentFlagsCode(flags=permanent),
    )
    if isinstance(account, ObjectIdAccount):
        # RFC 8474 4.2: "MUST return an untagged OK response with the
        # MAILBOXID response code on all successful SELECT and EXAMINE".
        mailbox_id = account.mailbox_id(mailbox.name)
        session.untagged_ok("Mailbox ID", MailboxIdCode(mailbox_id=mailbox_id))
    if rev2:
        # RFC 9051 6.3.2: "The server MUST return a LIST response with the
        # mailbox name", with accurate attributes (as LIST would give them).
        for entry in list_entries(
            account.list_mailboxes(), "", [command.mailbox], extended=True, return_children=False
        ):
            # "If ... the supplied mailbox name differs from the normalized
            # version, the server MUST return LIST with the OLDNAME extended
            # data item" (its section 8 sample: "select inbox").
            sent = session.name_as_sent()
            old_name = sent if sent is not None and sent != entry.name else None
            list_data = ListData(
                attributes=entry.attributes,
                delimiter=DELIMITER,
                mailbox=entry.name,
                old_name=old_name,
            )
            session.send(list_data)
    if condstore_enabled(session):
        # RFC 7162 3.1.2.1: after a CONDSTORE enabling command (this one
        # included), every SELECT/EXAMINE reports HIGHESTMODSEQ.
        session.untagged_ok("Highest", HighestModSeqCode(modseq=max(status.highest_modseq, 1)))
    elif command.condstore:
        # RFC 7162 3.1.2.2: this store keeps no persistent modseqs.
        session.untagged_ok("No mod-sequences here", AtomCode(name="NOMODSEQ"))
    # The engine holds the view until the OK; it numbers the FETCHes of a
    # resync with it already (UIDFETCH under UIDONLY).
    session.conn.set_view(view)
    if qresync is not None and condstore_enabled(session):
        _resync(session, mailbox, view, qresync, messages=messages, uidnext=status.uidnext)
    session.mailbox = mailbox
    session.read_only = read_only
    session.modseq = status.highest_modseq
    code = AtomCode(name="READ-ONLY" if read_only else "READ-WRITE")
    return Completion(text=f"{command.name} completed", code=code)


def _members(spans: Iterable[tuple[int, int]]) -> Iterator[int]:
    for low, high in spans:
        yield from range(low, high + 1)


def _resync(
    session: Session,
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
    known = in_spans(spans)
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
    # Under UIDONLY the UIDFETCH number is the UID (RFC 9586 3.3).
    with_uid = "UIDONLY" not in session.conn.enabled
    for info in messages:
        if info.modseq > since and known(info.uid):
            flags = sorted(info.flags)
            if info.uid in recent:
                flags.append("\\Recent")
            items = (
                *([UidItem(uid=info.uid)] if with_uid else []),
                FlagsItem(flags=tuple(flags)),
                ModSeqItem(modseq=info.modseq),
            )
            session.send(view.fetch_data(info.uid, items))


def idle(session: Session, command: Idle) -> Pending:
    """RFC 2177 3: '+ idling', updates as they happen, DONE ends it."""
    session.send(ContinuationRequest(text="idling"))
    session.poll()
    return PENDING


def close(session: Session, command: Close) -> None:
    """RFC 3501 6.4.2: expunge \\Deleted silently (not when read-only), deselect."""
    mailbox, _ = session.require_mailbox()
    rights = mailbox_rights(mailbox)
    # RFC 4314 4: without "e" CLOSE "MUST ignore the expunge request".
    if not session.read_only and (rights is None or "e" in rights):
        mailbox.expunge()
    session.mailbox = None


def unselect(session: Session, command: Unselect) -> None:
    """RFC 3691: deselect without expunging."""
    session.require_mailbox()
    session.mailbox = None


def expunge(session: Session, command: Expunge) -> Completion | None:
    """RFC 3501 6.4.3 and UID EXPUNGE (RFC 4315 2.1).

    The EXPUNGE (or VANISHED, RFC 7162 3.2.10) responses come from the
    session's sync before the OK, like any other session's changes.  With
    QRESYNC enabled, an EXPUNGE that removed something reports the new
    HIGHESTMODSEQ in its OK (RFC 7162 3.2.7, 3.2.9).
    """
    mailbox, view = session.require_mailbox()
    if session.read_only:
        raise ImapNo("Mailbox is read-only", "READ-ONLY")
    every = session.server.progress_interval
    if command.uid:
        assert command.uids is not None
        uids = view.resolve_uid_set(command.uids)
        if every is not None and len(uids) > every:
            session.progress(0, len(uids))  # RFC 9585 3, as COPY and MOVE
        gone = mailbox.expunge(uids)
    else:
        if every is not None and view.exists > every:
            session.progress(0, None)  # how many are \Deleted is the store's to know
        gone = mailbox.expunge()
    return highest_modseq_completion(session, gone, "EXPUNGE completed")


#: Capabilities that follow from an optional protocol of the account: only
#: a store whose modseqs persist may offer them (the CondstoreAccount
#: contract); SELECT takes their parameters.
ACCOUNT_CAPABILITIES: tuple[tuple[str, type], ...] = (
    ("CONDSTORE", CondstoreAccount),  # RFC 7162 3.1
    ("QRESYNC", CondstoreAccount),  # RFC 7162 3.2
)

COMMANDS: tuple[ServerCommand[Any], ...] = (
    serve("CAPABILITY", capability),
    serve("NOOP", noop),
    serve("CHECK", noop),
    serve("LOGOUT", logout),
    serve("STARTTLS", starttls),
    serve("COMPRESS", compress, "COMPRESS=DEFLATE"),  # RFC 4978 (the engine compresses)
    serve("LOGIN", login),
    serve("AUTHENTICATE", authenticate, "SASL-IR", resume=continue_subflow),  # RFC 4959
    serve("UNAUTHENTICATE", unauthenticate, "UNAUTHENTICATE"),  # RFC 8437
    serve("ID", id_command, "ID"),  # RFC 2971
    serve("ENABLE", enable, "ENABLE", "UTF8=ACCEPT", "UIDONLY"),  # RFC 5161, 6855 3, 9586
    serve("SELECT", select),
    serve("EXAMINE", select),
    serve("IDLE", idle, "IDLE", resume=continue_subflow),  # RFC 2177
    serve("CLOSE", close),
    serve("UNSELECT", unselect, "UNSELECT"),  # RFC 3691
    serve("EXPUNGE", expunge, "UIDPLUS"),  # RFC 4315
)
