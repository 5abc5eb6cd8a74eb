"""IMAPServer and its pure connections: command semantics over a Backend.

``IMAPServer(backend)`` holds what is shared (the backend, options, the
command table); ``server.connect()`` gives a :class:`ServerConnection`, a
session with the same bytes-in/bytes-out surface as the core engine, which
dispatches every command event to a handler (one module per command family,
as go-imap v2 does) and keeps the session's selected-mailbox view in step
with the backend.

Error rule (kept from Net::IMAP::Server, extended to every path): a handler
that raises :class:`ImapNo`/:class:`ImapBad` is answered with that status,
code and text; any other exception becomes ``NO [SERVERBUG]`` with nothing
internal in the text, is reported to ``on_error``, and the session goes on.
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias

from .._commands import Command
from .._config import Config, Limits
from .._connection import ConnectionState
from .._events import (
    AuthenticateCancelled,
    AuthenticateResponse,
    ConnectionClosed,
    Event,
    IdleDone,
)
from .._responses import (
    AtomCode,
    HighestModSeqCode,
    OtherCode,
    Response,
    ResponseCode,
    Status,
    StatusResponse,
)
from .._state import State
from .._view import SelectedMailboxView
from ..mime import Message
from . import names
from ._backend import (
    SYSTEM_FLAGS,
    Account,
    Backend,
    ChangeNotice,
    CondstoreAccount,
    ImapBad,
    ImapNo,
    Mailbox,
    QuotaAccount,
    SpecialUseCreateAccount,
)

__all__ = [
    "PENDING",
    "Completion",
    "Handler",
    "IMAPServer",
    "ServerConnection",
    "code_from_name",
    "condstore_enabled",
    "enable_condstore",
    "report_highest_modseq",
]


class _Pending:
    """Returned by a handler that keeps its command open (IDLE, AUTHENTICATE)."""

    def __repr__(self) -> str:
        return "PENDING"


#: A handler returns this to leave its tag open for a sub-flow.
PENDING: Final = _Pending()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """How a handler wants its command completed (OK unless it raised)."""

    text: str
    code: ResponseCode | None = None


Handler: TypeAlias = Callable[["ServerConnection", Any], "Completion | _Pending | None"]

#: Extensions whose handlers this package implements (RFC numbers in the
#: handler modules); advertised after login.
BASE_CAPABILITIES: tuple[str, ...] = (
    "IDLE",  # RFC 2177
    "COMPRESS=DEFLATE",  # RFC 4978 (the engine compresses)
    "NAMESPACE",  # RFC 2342
    "ID",  # RFC 2971
    "ENABLE",  # RFC 5161
    "UNSELECT",  # RFC 3691
    "UIDPLUS",  # RFC 4315
    "MOVE",  # RFC 6851
    "CHILDREN",  # RFC 3348
    "SASL-IR",  # RFC 4959
    "SPECIAL-USE",  # RFC 6154
    "LIST-EXTENDED",  # RFC 5258
    "LIST-STATUS",  # RFC 5819
    "MULTIAPPEND",  # RFC 3502
    "STATUS=SIZE",  # RFC 8438
    "BINARY",  # RFC 3516
    "PREVIEW",  # RFC 8970
    "ESEARCH",  # RFC 4731
    "SEARCHRES",  # RFC 5182
    "WITHIN",  # RFC 5032
    "SORT",  # RFC 5256
    "SORT=DISPLAY",  # RFC 5957
    "THREAD=ORDEREDSUBJECT",  # RFC 5256
    "THREAD=REFERENCES",  # RFC 5256
    "ESORT",  # RFC 5267 3
    "CONTEXT=SEARCH",  # RFC 5267 4 (UPDATE contexts through the view's drain hook)
    "CONTEXT=SORT",  # RFC 5267 4
)

#: Capabilities that follow from an optional protocol of the account.
ACCOUNT_CAPABILITIES: tuple[tuple[str, type], ...] = (
    ("CREATE-SPECIAL-USE", SpecialUseCreateAccount),  # RFC 6154 3
    ("QUOTA", QuotaAccount),  # RFC 9208
    ("QUOTA=RES-STORAGE", QuotaAccount),
    ("QUOTA=RES-MESSAGE", QuotaAccount),
    # RFC 7162: only a store whose modseqs persist may offer them (the
    # CondstoreAccount contract); QRESYNC's handlers are in _cmd_session.
    ("CONDSTORE", CondstoreAccount),  # RFC 7162 3.1
    ("QRESYNC", CondstoreAccount),  # RFC 7162 3.2
)


#: Completions before which the session does not pull changes: SELECT and
#: EXAMINE replace the view, CLOSE/UNSELECT/LOGOUT drop it.
_NO_SYNC = frozenset({"SELECT", "EXAMINE", "CLOSE", "UNSELECT", "LOGOUT"})


def condstore_enabled(session: ServerConnection) -> bool:
    """The client is CONDSTORE-aware (RFC 7162 3.1; QRESYNC implies it, 3.2.3)."""
    enabled = session.conn.enabled
    return "CONDSTORE" in enabled or "QRESYNC" in enabled


def enable_condstore(session: ServerConnection, *, report: bool = True) -> bool:
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


def report_highest_modseq(session: ServerConnection) -> None:
    """``* OK [HIGHESTMODSEQ n]`` for the selected mailbox, if one is selected."""
    if session.mailbox is not None and session.conn.view is not None:
        session.untagged_ok("Highest", HighestModSeqCode(modseq=max(session.modseq, 1)))


def _fixed_clock() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


def _check_mailbox_names(command: Command) -> Command:
    """The command with its mailbox names normalised (:func:`names.normalize`).

    RFC 3501 5.1.3: a name that is not valid modified UTF-7 names nothing.
    The grammar lists such names in ``command.invalid_names`` (Dovecot's
    imaptest expects NO, not BAD): CREATE and RENAME cannot make one, other
    commands find none.  (LIST and LSUB patterns are the handlers' business:
    they match nothing.)
    """
    invalid = {name.text: name.reason for name in command.invalid_names}
    normalized: dict[str, Any] = {}
    for field in ("mailbox", "new_mailbox"):
        value = getattr(command, field, None)
        if value in invalid:
            code = "CANNOT" if command.name in ("CREATE", "RENAME") else "NONEXISTENT"
            raise ImapNo(f"Invalid mailbox name: {invalid[value]}", code)
        if isinstance(value, str) and names.normalize(value) != value:
            normalized[field] = names.normalize(value)
    return dataclasses.replace(command, **normalized) if normalized else command


_UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f]+")


def _safe_text(text: str) -> str:
    """Response text from an exception: one line, not mistakable for a code."""
    text = _UNSAFE_TEXT.sub(" ", text).strip() or "Failed"
    return "(" + text[1:] if text.startswith("[") else text


def code_from_name(name: str | None) -> ResponseCode | None:
    """A response code from what a backend exception carries: ``"TRYCREATE"``,
    or a name and its text (``"METADATA LONGENTRIES 2000"``).

    Never raises: a code that cannot be written (not an atom, or one with a
    typed class of its own) is left out rather than lose the answer.
    """
    if not name:
        return None
    atom, _, text = name.partition(" ")
    try:
        if text:
            return OtherCode(name=atom, text=text)
        return AtomCode(name=atom)
    except ValueError:
        return None


class MessageCache:
    """Parsed messages by (user, mailbox, UIDVALIDITY, UID), least recently used out.

    A message never changes under its UID (RFC 3501 2.3.1.1), so its parsed
    MIME tree (and the decoded text SEARCH builds on it) can serve every
    command and every session until memory bounds push it out.
    """

    def __init__(self, *, max_messages: int = 2000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str, int, int], Message] = OrderedDict()
        self._bytes = 0

    def get(
        self, key: tuple[str, str, int, int], load: Callable[[], bytes | None]
    ) -> Message | None:
        message = self._entries.get(key)
        if message is not None:
            self._entries.move_to_end(key)
            return message
        data = load()
        if data is None:
            return None
        message = Message(data)
        if self.max_messages <= 0 or len(data) > self.max_bytes:
            return message
        self._entries[key] = message
        self._bytes += len(data)
        while len(self._entries) > self.max_messages or self._bytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self._bytes -= old.size
        return message


class IMAPServer:
    """A complete IMAP server without I/O, over one :class:`Backend`.

    Options: ``config`` (the core's limits and policy; capabilities are
    filled in here), ``clock`` (a callable returning an aware datetime: the
    default internal date of APPEND; pure code never reads the clock, so
    adapters pass the wall clock and tests a fixed one), ``greeting``,
    ``capabilities`` (extra strings to advertise after login),
    ``allow_plaintext_auth``, ``id_info`` (fields of the ID response),
    ``on_error`` (called with every unexpected exception a handler raised),
    ``on_command`` (called with each command before it runs) and
    ``on_login`` (called with the user name and whether the login succeeded).
    """

    def __init__(
        self,
        backend: Backend,
        *,
        config: Config | None = None,
        clock: Callable[[], datetime] = _fixed_clock,
        greeting: str = "imap-sansio ready.",
        capabilities: Iterable[str] = (),
        allow_plaintext_auth: bool = False,
        id_info: Mapping[str, str] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_command: Callable[[ServerConnection, Command], None] | None = None,
        on_login: Callable[[ServerConnection, str, bool], None] | None = None,
    ) -> None:
        # The handler modules import this one for its types: import them late.
        from . import _handlers  # noqa: PLC0415

        self.backend = backend
        self.clock = clock
        self.on_error = on_error
        #: Called with each command before it runs (for logging: the event's
        #: repr hides passwords and SASL data).
        self.on_command = on_command
        #: Called after each LOGIN/AUTHENTICATE with the user name and outcome.
        self.on_login = on_login
        #: Parsed messages shared by every session (see :class:`MessageCache`).
        self.message_cache = MessageCache()
        self.id_info = dict(id_info or {"name": "imap-sansio", "version": "0.1.0"})
        self._handlers: dict[type[Command], Handler] = dict(_handlers.HANDLERS)
        self._extra_states: dict[str, frozenset[State]] = {}
        self._extra_capabilities: list[str] = []
        for name in capabilities:
            self._check_capability(name)
            self._extra_capabilities.append(name)
        base = config or Config(limits=Limits())
        self._base_config = dataclasses.replace(
            base,
            greeting_text=greeting,
            allow_plaintext_auth=allow_plaintext_auth or base.allow_plaintext_auth,
            auth_mechanisms=("PLAIN", "LOGIN"),
            capabilities_before_auth=("SASL-IR", "ID", "ENABLE", "IDLE"),
        )
        #: Names ENABLE can turn on (RFC 5161), as the handlers support them.
        self.enableable: set[str] = set(_handlers.ENABLEABLE)
        # Shared by the sessions (a value each would cost memory per
        # connection): the config given to new connections, by
        # ``tls_available``, and the capability lists after login.  Both
        # are rebuilt when add_command changes what goes into them.
        self._connect_configs: dict[bool, Config] = {}
        self._capability_lists: dict[tuple[str, ...], tuple[str, ...]] = {}

    # ------------------------------------------------------------ extension

    def add_command(
        self,
        name: str,
        command_type: type[Command],
        handler: Handler,
        *,
        states: Iterable[State],
        capabilities: Iterable[str] = (),
    ) -> None:
        """Register a custom command (as the seed's ``add_command`` does).

        ``command_type`` is a :class:`Command` subclass registered with the
        grammar (see ``imap_sansio._parser.register_command``); ``handler`` is
        called with the session and the event.
        """
        self._extra_states[name.upper()] = frozenset(states)
        self._handlers[command_type] = handler
        # The application implements these through its handler.
        self._extra_capabilities.extend(capabilities)
        self._connect_configs = {}
        self._capability_lists = {}

    @staticmethod
    def _check_capability(name: str) -> None:
        """Refuse to advertise an extension nothing here implements (go-imap v2
        refuses too): only experimental ``X...`` names, which come with an
        :meth:`add_command`, may be added."""
        upper = name.upper()
        if upper in BASE_CAPABILITIES:
            return
        if not upper.startswith("X"):
            raise ValueError(
                f"cannot advertise {name}: no handler implements it "
                "(register one with add_command and an X- capability)"
            )

    def capabilities_after_auth(self, account: Account | None = None) -> tuple[str, ...]:
        """What a logged-in session is told: what the handlers implement, what
        ``account`` implements of the optional protocols, and what
        :meth:`add_command` registered."""
        optional = tuple(
            name for name, protocol in ACCOUNT_CAPABILITIES if isinstance(account, protocol)
        )
        capabilities = self._capability_lists.get(optional)
        if capabilities is None:
            capabilities = (*BASE_CAPABILITIES, *optional, *self._extra_capabilities)
            self._capability_lists[optional] = capabilities
        return capabilities

    def add_change_listener(self, callback: Callable[[ChangeNotice], None]) -> Callable[[], None]:
        """Call ``callback`` (from any thread) with a :class:`ChangeNotice`
        whenever the backend changed; returns a function that removes it.

        The notice names the user and the mailbox (None: the mailbox list),
        so an adapter wakes only the sessions it concerns.
        """
        return self.backend.add_listener(callback)

    def connect(self, secure: bool = True, tls_available: bool = False) -> ServerConnection:
        """A new session; its greeting is already queued."""
        config = self._connect_configs.get(tls_available)
        if config is None:
            config = dataclasses.replace(
                self._base_config,
                tls_available=tls_available,
                capabilities=self.capabilities_after_auth(),
                extra_commands=dict(self._extra_states),
            )
            self._connect_configs[tls_available] = config
        return ServerConnection(self, ConnectionState(config, secure=secure))


class ServerConnection:
    """One session: a :class:`ConnectionState` plus what the login opened.

    Handlers receive this object: ``conn`` is the engine, ``account`` and
    ``mailbox`` what LOGIN and SELECT opened, ``view`` this session's
    numbering of the selected mailbox.
    """

    # Slots for what every session has (one per connection, idle ones
    # included); ``__dict__`` stays, created only if an application's
    # handler stores something of its own on the session.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_completed",
        "_current",
        "_open",
        "account",
        "conn",
        "mailbox",
        "modseq",
        "read_only",
        "sasl_state",
        "server",
    )

    def __init__(self, server: IMAPServer, conn: ConnectionState) -> None:
        self.server = server
        self.conn = conn
        self.account: Account | None = None
        self.mailbox: Mailbox | None = None
        self.read_only = False
        #: The mailbox modseq this session's view reflects.
        self.modseq = 0
        #: Per-command scratch for sub-flows (AUTHENTICATE LOGIN's username).
        self.sasl_state: dict[str, Any] = {}
        self._current: Command | None = None
        self._completed = False
        #: Commands kept open by a sub-flow (IDLE, AUTHENTICATE), by tag.
        self._open: dict[str, Command] = {}
        conn.send_greeting()

    # ------------------------------------------------ the adapter's surface

    @property
    def closed(self) -> bool:
        return self.conn.closed

    @property
    def state(self) -> State:
        return self.conn.state

    @property
    def idling(self) -> bool:
        return self.conn.idling

    @property
    def starttls_pending(self) -> bool:
        return self.conn.starttls_pending

    @property
    def view(self) -> SelectedMailboxView | None:
        return self.conn.view

    @property
    def paused(self) -> bool:
        """The engine reads no more input until the app answers (stop reading)."""
        return self.conn.paused

    @property
    def command_in_progress(self) -> bool:
        """A command is partly received (the literal timeout applies)."""
        return self.conn.command_in_progress

    @property
    def username(self) -> str | None:
        return self.account.username if self.account is not None else None

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer (``b""`` = closed) and answer what they complete."""
        events = self.conn.receive_data(data)
        while events:
            for event in events:
                self._dispatch(event)
            events = self.conn.next_events()

    def data_to_send(self) -> bytes:
        return self.conn.data_to_send()

    @property
    def has_output(self) -> bool:
        """More output is queued (see :meth:`ConnectionState.data_to_send`)."""
        return self.conn.has_output

    def tls_started(self) -> None:
        """The handshake after STARTTLS is done (input from before it was dropped)."""
        self.conn.tls_started()

    def poll(self) -> None:
        """The backend changed: bring the view up to date; during IDLE, tell now."""
        if self.conn.closed:
            return
        try:
            self.sync()
        except Exception as exc:  # a failing backend must not kill the adapter loop
            self._report(exc)
            return
        self.conn.flush_updates()

    def keepalive(self) -> None:
        if not self.conn.closed:
            self.conn.send(StatusResponse(status=Status.OK, text="Still here"))

    def shutdown(self, text: str = "Server shutting down") -> None:
        if not self.conn.closed:
            self.conn.send(StatusResponse(status=Status.BYE, text=text))
        self._logout_account()

    # ------------------------------------------------------ for handlers

    def send(self, response: Response) -> None:
        self.conn.send(response)

    def untagged_ok(self, text: str, code: ResponseCode | None = None) -> None:
        self.conn.send(StatusResponse(status=Status.OK, text=text, code=code))

    def require_account(self) -> Account:
        if self.account is None:  # the engine's state table prevents this
            raise ImapBad("Not logged in")
        return self.account

    def require_mailbox(self) -> tuple[Mailbox, SelectedMailboxView]:
        view = self.conn.view
        if self.mailbox is None or view is None:
            raise ImapBad("No mailbox selected")
        return self.mailbox, view

    def now(self) -> datetime:
        return self.server.clock()

    def parsed_message(self, mailbox: Mailbox, uid: int) -> Message | None:
        """The message ``uid`` of ``mailbox``, parsed (None if it is gone)."""
        user = self.account.username if self.account is not None else ""
        key = (user, mailbox.name, mailbox.uidvalidity, uid)
        return self.server.message_cache.get(key, lambda: mailbox.message_bytes(uid))

    def sync(self) -> None:
        """Pull the selected mailbox's changes into the view (RFC 3501 5.2)."""
        mailbox, view = self.mailbox, self.conn.view
        if mailbox is None or view is None:
            return
        try:
            changes = mailbox.changes_since(self.modseq)
        except ImapNo:
            # The mailbox was deleted under this session (RFC 3501 leaves it
            # open; ending the session is what IMAP4rev1 clients handle).
            self.shutdown("Selected mailbox was deleted; please reconnect")
            return
        if changes.uidvalidity != view.uidvalidity:
            # RFC 3501 2.3.1.1: the mailbox was replaced under this session;
            # the only safe way out in IMAP4rev1 is to end the session.
            self.shutdown("Mailbox UIDVALIDITY changed; please reconnect")
            return
        if changes.new:
            # RFC 3501 2.3.2: \Recent goes to one session only; EXAMINE
            # sessions never claim it.
            claimed = mailbox.claim_recent() if not self.read_only else ()
            view.add_messages(
                [m.uid for m in changes.new],
                flags={m.uid: m.flags for m in changes.new},
                modseqs={m.uid: m.modseq for m in changes.new},
                recent=claimed,
            )
        if changes.new or changes.changed:
            # A new keyword comes only with a new or changed message; then
            # FLAGS goes out before the FETCH responses that use it (the view
            # drains FLAGS first).  No backend call when nothing changed.
            keywords = set(mailbox.keywords())
            # The changes themselves may carry a keyword created after the
            # keywords() call's snapshot by another writer.
            keywords.update(
                f
                for m in (*changes.new, *changes.changed)
                for f in m.flags
                if not f.startswith("\\")
            )
            if any(k not in view.mailbox_flags for k in keywords):
                view.set_mailbox_flags((*SYSTEM_FLAGS, *sorted(keywords)))
        for message in changes.changed:
            view.set_flags(message.uid, message.flags, modseq=message.modseq)
        expunged: Iterable[int] = changes.expunged
        if self.modseq < changes.forgotten:
            # The store forgot expunges this session has not pulled yet
            # (RFC 7162 5.3): whatever the view holds that is gone is expunged.
            new = {m.uid for m in changes.new}
            present = {m.uid for m in mailbox.messages(view.uids)} | new
            expunged = [uid for uid in view.uids if uid not in present]
        if expunged:
            view.expunge(expunged)
        self.modseq = changes.highest_modseq

    def complete(self, status: Status, text: str, code: ResponseCode | None = None) -> None:
        """Finish the current command (handlers usually return instead)."""
        command = self._current
        assert command is not None
        self._finish(command, status, text, code)

    # ------------------------------------------------------------ dispatch

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, Command):
            if self.server.on_command is not None:
                self.server.on_command(self, event)
            self._run(event, self.server._handlers.get(type(event)), event)
        elif isinstance(event, IdleDone) and event.aborted:
            # The engine already answered BAD (RFC 2177: only DONE ends IDLE).
            self._open.pop(event.tag, None)
        elif isinstance(event, AuthenticateResponse | IdleDone):
            from ._handlers import continue_subflow  # noqa: PLC0415 (see __init__)

            pending = self._current_for(event.tag)
            self._run(pending, continue_subflow, event)
        elif isinstance(event, AuthenticateCancelled):
            self._open.pop(event.tag, None)
            self.sasl_state.clear()
        elif isinstance(event, ConnectionClosed):
            self._logout_account()

    def _current_for(self, tag: str) -> Command:
        command = self._open.get(tag)
        assert command is not None, tag
        return command

    def _run(self, command: Command, handler: Handler | None, argument: object) -> None:
        self._current = command
        self._completed = False
        status, text, code = Status.OK, f"{command.name} completed", None
        try:
            if handler is None:
                raise ImapBad(f"{command.name} is not implemented", "CANNOT")
            if argument is command:
                argument = _check_mailbox_names(command)
            result = handler(self, argument)
            if self._completed or self.conn.closed:
                return
            if isinstance(result, _Pending):
                self._open[command.tag] = command
                return
            if isinstance(result, Completion):
                text, code = result.text, result.code
        except ImapNo as exc:
            status, text, code = Status.NO, exc.text, code_from_name(exc.code)
        except ImapBad as exc:
            status, text, code = Status.BAD, exc.text, code_from_name(exc.code)
        except Exception as exc:  # the error rule: never leak, never die
            self._report(exc)
            status, text, code = Status.NO, "Internal server error", AtomCode(name="SERVERBUG")
        if not self._completed and not self.conn.closed:
            self._finish(command, status, text, code)

    def _finish(
        self, command: Command, status: Status, text: str, code: ResponseCode | None
    ) -> None:
        self._open.pop(command.tag, None)
        if self.conn.view is not None and command.name not in _NO_SYNC:
            try:
                self.sync()
            except Exception as exc:
                self._report(exc)
        if self.conn.closed:
            return
        self._completed = True
        try:
            response = StatusResponse(
                status=status, tag=command.tag, text=_safe_text(text), code=code
            )
        except ValueError as exc:  # a code or text a backend made up: still answer
            self._report(exc)
            response = StatusResponse(
                status=Status.NO,
                tag=command.tag,
                text="Internal server error",
                code=AtomCode(name="SERVERBUG"),
            )
        self.conn.send(response)

    def _report(self, exc: BaseException) -> None:
        if self.server.on_error is not None:
            self.server.on_error(exc)

    def _logout_account(self) -> None:
        account = self.account
        self.account = None
        self.mailbox = None
        if account is not None:
            try:
                account.logout()
            except Exception as exc:
                self._report(exc)
