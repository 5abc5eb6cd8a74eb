"""The session: what every handler receives, and what they share.

:class:`Session` is one connection of an ``IMAPServer``: a
:class:`ConnectionState` plus what LOGIN and SELECT opened.  It dispatches
each command event through the command table (:class:`ServerCommand`, the
core's :class:`CommandSpec` with a handler) and keeps the selected-mailbox
view in step with the backend.  The handler modules (``_cmd_*``) sit above
this one and ``IMAPServer`` above them.

Error rule (kept from Net::IMAP::Server, extended to every path): a handler
that raises :class:`ImapNo`/:class:`ImapBad` is answered with that status,
code and text; any other exception becomes ``NO [SERVERBUG]`` with nothing
internal in the text, is reported to ``on_error``, and the session goes on.
"""

from __future__ import annotations

import contextlib
import re
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final, Generic, Protocol, TypeAlias, TypeVar

from .. import _frozen
from .._commands import Command
from .._connection import ConnectionState
from .._events import (
    AuthenticateCancelled,
    AuthenticateResponse,
    ConnectionClosed,
    Event,
    IdleDone,
)
from .._frozen import dataclass
from .._parser import COMMANDS, CommandSpec
from .._responses import (
    AtomCode,
    FlagsData,
    InProgressCode,
    OtherCode,
    PermanentFlagsCode,
    Response,
    ResponseCode,
    Status,
    StatusResponse,
)
from .._state import DESELECTING_COMMANDS, State
from .._view import SelectedMailboxView
from ..mime import Message
from . import names
from ._acl import mailbox_rights, permanent_flags
from ._backend import SYSTEM_FLAGS, Account, Backend, ImapBad, ImapNo, Mailbox, NoSuchMailbox
from ._cache import MessageCache, MessageKey
from ._metadata import MetadataLimits
from ._sasl import SaslMechanism

__all__ = [
    "PENDING",
    "Completion",
    "Handler",
    "HandlerResult",
    "Pending",
    "Resume",
    "ServerCommand",
    "ServerContext",
    "Session",
    "SessionWatcher",
    "Steps",
    "announce_keywords",
    "announce_mailbox_flags",
    "code_from_name",
    "serve",
    "trycreate",
]


class Pending:
    """Returned by a handler that keeps its command open (IDLE, AUTHENTICATE)."""

    def __repr__(self) -> str:
        return "PENDING"


#: A handler returns this to leave its tag open for a sub-flow.
PENDING: Final = Pending()


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """How a handler wants its command completed (OK unless it raised)."""

    text: str
    code: ResponseCode | None = None


#: A handler with a long answer (FETCH of many messages) returns a generator
#: that sends a part of it per step and returns its completion at the end;
#: the session runs it only while the output is not full, so the answer is
#: produced as the transport drains, never held whole.
Steps: TypeAlias = Generator[None, None, "Completion | None"]

HandlerResult: TypeAlias = "Completion | Pending | Steps | None"

#: What a handler returns that is not a generator.
_PLAIN_RESULTS: Final = frozenset({type(None), Completion, Pending})

C = TypeVar("C", bound=Command)

#: A command's handler: called with the session and the command event.
Handler: TypeAlias = Callable[["Session", C], HandlerResult]
#: The next step of a sub-flow: the client's SASL response or IDLE's DONE.
Resume: TypeAlias = Callable[["Session", AuthenticateResponse | IdleDone], HandlerResult]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerCommand(CommandSpec, Generic[C]):
    """A command the server answers: the core's record plus its handler.

    ``capabilities``: what the server advertises after login because it
    answers this command (``MOVE``, ``THREAD=REFERENCES``, ...).
    ``resume``: for a handler that returns :data:`PENDING` (AUTHENTICATE,
    IDLE), what answers the client's next line.
    """

    handler: Handler[C]
    capabilities: tuple[str, ...] = ()
    resume: Resume | None = None


def serve(
    name: str, handler: Handler[C], *capabilities: str, resume: Resume | None = None
) -> ServerCommand[C]:
    """The server's record of the built-in command ``name`` (see :data:`COMMANDS`)."""
    core = COMMANDS[name]
    return ServerCommand(
        # Every field of the core's record, so a rule added there holds here.
        **{field.name: getattr(core, field.name) for field in _frozen.fields(CommandSpec)},
        handler=handler,
        capabilities=capabilities,
        resume=resume,
    )


def _resuming(steps: Steps) -> Callable[[Session, Command], HandlerResult]:
    """A "handler" that hands back the steps of a command in progress."""
    return lambda _session, _command: steps


class ServerContext(Protocol):
    """What sessions and handlers use of their server (``IMAPServer``)."""

    @property
    def backend(self) -> Backend: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def on_error(self) -> Callable[[BaseException], None] | None: ...
    @property
    def on_command(self) -> Callable[[Session, Command], None] | None: ...
    @property
    def on_login(self) -> Callable[[Session, str, bool], None] | None: ...
    @property
    def admit_login(self) -> Callable[[Session, str], None] | None: ...
    @property
    def message_cache(self) -> MessageCache: ...
    @property
    def id_info(self) -> Mapping[str, str]: ...
    @property
    def enableable(self) -> set[str]: ...
    @property
    def progress_interval(self) -> int | None: ...
    @property
    def steps_per_call(self) -> int | None: ...
    @property
    def metadata_limits(self) -> MetadataLimits: ...
    @property
    def submit_users(self) -> frozenset[str]: ...
    @property
    def commands(self) -> Mapping[str, CommandSpec]: ...
    @property
    def sasl_mechanisms(self) -> Mapping[str, SaslMechanism]: ...
    @property
    def random_bytes(self) -> Callable[[int], bytes] | None: ...

    def capabilities_after_auth(self, account: Account | None = None) -> tuple[str, ...]: ...


class SessionWatcher(Protocol):
    """What a session told to listen all the time runs (NOTIFY, RFC 5465;
    ``Session.notify``): it decides what is pushed without a command."""

    def poll(self, session: Session) -> None:
        """After a change notice (the selected mailbox synced already):
        tell the client now what it asked to hear."""

    def before_completion(
        self, session: Session, command: Command, code: ResponseCode | None
    ) -> None:
        """Before the tagged answer of ``command`` (its mailbox synced),
        whose response code will be ``code``."""

    def close(self) -> None:
        """The session ended, or a new NOTIFY replaces this watcher."""

    @property
    def listening(self) -> bool:
        """Changes outside the selected mailbox are asked for: the adapters
        wake the session for every change notice of its user."""

    @property
    def mailboxes(self) -> frozenset[str]:
        """Names whose changes it reports besides the selected mailbox's
        (the adapters have a store that watches watch them too)."""

    @property
    def owners(self) -> frozenset[str]:
        """Other users whose shared mailboxes it watches (RFC 4314): the
        adapters wake the session for their change notices too."""


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
    return _frozen.replace(command, **normalized) if normalized else command


#: Per command class: has it a mailbox name to normalise (see _check_mailbox_names)?
_NAMES_MAILBOXES: dict[type, bool] = {}


def _names_mailboxes(cls: type) -> bool:
    names_one = _NAMES_MAILBOXES[cls] = any(
        field.name in ("mailbox", "new_mailbox") for field in _frozen.fields(cls)
    )
    return names_one


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


def announce_mailbox_flags(session: Session, flags: tuple[str, ...]) -> None:
    """Send a changed FLAGS list now, with PERMANENTFLAGS (RFC 3501 7.2.6, 7.1)."""
    _, view = session.require_mailbox()
    if flags == view.mailbox_flags and not view.mailbox_flags_pending:
        return
    session.send(FlagsData(flags=flags))
    if not session.read_only:
        # RFC 4314 5.1.1: as the user's rights on the mailbox allow.
        permanent = permanent_flags(mailbox_rights(session.mailbox), flags)
        session.untagged_ok("Flags permitted", PermanentFlagsCode(flags=permanent))
    view.set_mailbox_flags(flags, announce=False)


def announce_keywords(
    session: Session, mailbox: Mailbox, flag_sets: Iterable[Iterable[str]]
) -> None:
    """Send FLAGS first if any keyword in ``flag_sets`` is new to this session.

    RFC 3501 7.2.6 / RFC 9051 7.3.5: the FLAGS response lists the flags
    defined in the mailbox, so a keyword (another session may have just
    created it) must be announced before a FETCH response carries it.
    """
    _, view = session.require_mailbox()
    known = view.mailbox_flags
    used = {f for flags in flag_sets for f in flags if not f.startswith("\\")}
    # A sync may have taken in a keyword whose FLAGS response still waits
    # for the next drain (a poll while the session was not idling): then
    # ``known`` lists what the client has not been told yet.
    if used and (view.mailbox_flags_pending or not used.issubset(known)):
        keywords = used | set(mailbox.keywords())
        keywords.update(f for f in known if not f.startswith("\\"))
        announce_mailbox_flags(session, (*SYSTEM_FLAGS, *sorted(keywords)))


class Session:
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
        "_backlog",
        "_completed",
        "_current",
        "_defer",
        "_deferred",
        "_open",
        "_steps",
        "account",
        "command_gate",
        "conn",
        "mailbox",
        "modseq",
        "notify",
        "read_only",
        "sasl_state",
        "server",
    )

    def __init__(self, server: ServerContext, conn: ConnectionState) -> None:
        self.server = server
        self.conn = conn
        self.account: Account | None = None
        self.mailbox: Mailbox | None = None
        self.read_only = False
        #: The mailbox modseq this session's view reflects.
        self.modseq = 0
        #: What NOTIFY asked for (RFC 5465); None until the first NOTIFY.
        self.notify: SessionWatcher | None = None
        #: Per-command scratch for sub-flows (AUTHENTICATE LOGIN's username).
        self.sasl_state: dict[str, Any] = {}
        self._current: Command | None = None
        self._completed = False
        #: Commands kept open by a sub-flow (IDLE, AUTHENTICATE), by tag.
        self._open: dict[str, Command] = {}
        #: Events delivered by the engine and not run yet because the output
        #: was full (created when first needed; see pump()).
        self._backlog: deque[Event] | None = None
        #: A command whose answer is being produced as the output drains.
        self._steps: tuple[Command, Steps] | None = None
        #: defer_answer() was called during the running command / the
        #: answer it deferred (see release_answer()).
        self._defer = False
        self._deferred: tuple[Command, Status, str, ResponseCode | None] | None = None
        #: Asked before each command runs, and before each later step of a
        #: command that waits for the client (AUTHENTICATE), with the command
        #: (an adapter sets it): False keeps it, and what follows it, waiting
        #: (``output_held``) until :meth:`pump`, which the adapter calls where
        #: the command may wait for the disk or a password hash (a worker
        #: thread), the gate then letting it through.
        self.command_gate: Callable[[Command], bool] | None = None
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
    def literal_expected(self) -> int:
        """Bytes of a literal the peer has yet to send (see
        :attr:`ConnectionState.literal_expected`)."""
        return self.conn.literal_expected

    @property
    def username(self) -> str | None:
        return self.account.username if self.account is not None else None

    @property
    def output_held(self) -> bool:
        """Commands wait because the output was full: write
        :meth:`data_to_send`, then call :meth:`pump` (before reading more)."""
        return bool(self._backlog) or self.conn.input_waiting or self._steps is not None

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer (``b""`` = closed) and answer what they complete.

        Output drives input: once ``Limits.max_unsent_output`` bytes wait to
        be sent, later commands wait (``output_held``) until :meth:`pump`.
        """
        self._run_events(self.conn.receive_data(data))

    def pump(self) -> None:
        """Run the commands held back while the output was full; call it
        after writing what :meth:`data_to_send` returned."""
        self._run_events([])

    def _run_events(self, events: list[Event]) -> None:
        backlog = self._backlog
        if backlog is None:
            if not events and not self.conn.input_waiting and self._steps is None:
                return
            backlog = self._backlog = deque()
        backlog.extend(events)
        conn = self.conn
        while True:
            if self._steps is not None:
                # The command in progress goes on first (RFC 3501 5.5: in order).
                command, steps = self._steps
                if conn.closed:
                    self._steps = None
                    steps.close()
                else:
                    self._run(command, _resuming(steps))
                    if self._steps is not None:
                        return
            while backlog:
                if conn.closed:
                    # Nobody reads the answers: run only the clean-up.
                    event = backlog.popleft()
                    if not isinstance(event, Command):
                        self._dispatch(event)
                    continue
                if conn.output_full or self._steps is not None:
                    # A command in progress (paused by the output or by
                    # steps_per_call) goes first: the rest wait (RFC 3501 5.5).
                    return
                gate = self.command_gate
                if gate is not None:
                    # A command's next step (an AUTHENTICATE response) is its own.
                    first = backlog[0]
                    gated = (
                        first
                        if isinstance(first, Command)
                        else self._open.get(getattr(first, "tag", None) or "")
                    )
                    if gated is not None and not gate(gated):
                        return  # run by the next pump(), in order
                self._dispatch(backlog.popleft())
            events = conn.next_events()
            if not events:
                break
            backlog.extend(events)
        self._backlog = None

    def defer_answer(self) -> None:
        """Keep the running command's tagged answer back until
        :meth:`release_answer` (the adapters hold a failed login's NO this
        way, as long as the login policy says).

        Only for a command that pauses the engine (LOGIN, AUTHENTICATE):
        nothing after it is read or run meanwhile, so holding the answer
        holds the client.
        """
        self._defer = True

    @property
    def answer_deferred(self) -> bool:
        """A tagged answer waits for :meth:`release_answer`."""
        return self._deferred is not None

    def release_answer(self) -> None:
        """Send the answer :meth:`defer_answer` kept back and run what the
        client sent after it."""
        deferred, self._deferred = self._deferred, None
        if deferred is None:
            return
        if not self.conn.closed:
            self._finish(*deferred)
        self._run_events(self.conn.next_events())

    def data_to_send(self) -> bytes:
        """The output queued, a piece at a time while :attr:`has_output`; if
        ``output_held``, write it, then :meth:`pump`."""
        return self.conn.data_to_send()

    def data_to_send_chunks(self) -> list[bytes | memoryview]:
        """:meth:`data_to_send` not joined (see
        :meth:`ConnectionState.data_to_send_chunks`)."""
        return self.conn.data_to_send_chunks()

    @property
    def has_output(self) -> bool:
        """More output is queued (see :meth:`ConnectionState.data_to_send`)."""
        return self.conn.has_output

    def tls_started(self) -> None:
        """The handshake after STARTTLS is done (input from before it was dropped)."""
        self.conn.tls_started()

    def set_channel_binding(self, kind: str, data: bytes) -> None:
        """The TLS channel binding for SCRAM -PLUS (see the engine's hook)."""
        self.conn.set_channel_binding(kind, data)

    def poll(self) -> None:
        """The backend changed: bring the view up to date; during IDLE, tell now."""
        if self.conn.closed:
            return
        try:
            self.sync()
            watcher = self.notify
            if watcher is not None:
                # RFC 5465 4: during IDLE too, NOTIFY decides what is sent.
                watcher.poll(self)
                return
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

    def progress(self, done: int, total: int | None) -> None:
        """Tell the client how far the running command has come (RFC 9585 3:
        ``* OK [INPROGRESS ("tag" done total)]``).

        Handlers call it every ``server.progress_interval`` units of work
        (messages searched, copied, moved); it sends nothing when the server
        has no interval (INPROGRESS is then not advertised either).
        """
        command = self._current
        if self.server.progress_interval is None or command is None:
            return
        # A tag may hold "]" (RFC 3501 9: resp-specials are ASTRING-CHARs),
        # which ends the code for a client that reads an unknown code by the
        # generic rule (atom SP 1*<TEXT-CHAR except "]">): NIL then (RFC
        # 9585's progress-tag may be NIL); the counts still get through.
        tag = None if "]" in command.tag else command.tag
        code = InProgressCode(tag=tag, done=done, total=total)
        what = f"{done} of {total}" if total is not None else f"{done}"
        self.untagged_ok(f"{command.name} in progress: {what} done", code)

    def name_as_sent(self, field: str = "mailbox") -> str | None:
        """A mailbox name of the running command as the client sent it,
        before :func:`names.normalize` (handlers get the normalised one):
        for the ``OLDNAME`` of RFC 9051 6.3.9.7."""
        return getattr(self._current, field, None)

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

    def message_key(self, mailbox: Mailbox, uid: int) -> MessageKey:
        """The key of message ``uid`` in the server's :class:`MessageCache`."""
        user = self.account.username if self.account is not None else ""
        return (user, mailbox.name, mailbox.uidvalidity, uid)

    def parsed_message(
        self, mailbox: Mailbox, uid: int, *, prefix: tuple[str, str, int] | None = None
    ) -> Message | None:
        """The message ``uid`` of ``mailbox``, parsed (None if it is gone).

        ``prefix``: ``message_key(mailbox, 0)[:3]``, for a command that loads
        many messages of one mailbox (two backend calls fewer per message)."""
        key = self.message_key(mailbox, uid) if prefix is None else (*prefix, uid)
        return self.server.message_cache.get(key, lambda: mailbox.message_bytes(uid))

    def sync(self) -> None:
        """Pull the selected mailbox's changes into the view (RFC 3501 5.2)."""
        mailbox, view = self.mailbox, self.conn.view
        if mailbox is None or view is None:
            return
        try:
            changes = mailbox.changes_since(self.modseq)
        except ImapNo as exc:
            if exc.code == "UNAVAILABLE":
                return  # the store is out of reach (RFC 5530): catch up next time
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
            # No \Recent in IMAP4rev2 (RFC 9051 appendix E 12), as in SELECT.
            rev1 = "IMAP4REV2" not in self.conn.enabled
            claimed = mailbox.claim_recent() if rev1 and not self.read_only else ()
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
            command = event
            spec = self.server.commands.get(command.name)
            self._run(command, spec.handler if isinstance(spec, ServerCommand) else None)
        elif isinstance(event, IdleDone) and event.aborted:
            # The engine already answered BAD (RFC 2177: only DONE ends IDLE).
            self._open.pop(event.tag, None)
        elif isinstance(event, AuthenticateResponse | IdleDone):
            pending = self._current_for(event.tag)
            spec = self.server.commands[pending.name]
            assert isinstance(spec, ServerCommand) and spec.resume is not None, pending
            resume, step = spec.resume, event
            self._run(pending, lambda session, _: resume(session, step))
        elif isinstance(event, AuthenticateCancelled):
            self._open.pop(event.tag, None)
            self.sasl_state.clear()
        elif isinstance(event, ConnectionClosed):
            self._logout_account()

    def _current_for(self, tag: str) -> Command:
        command = self._open.get(tag)
        assert command is not None, tag
        return command

    def _run(
        self, command: Command, call: Callable[[Session, Command], HandlerResult] | None
    ) -> None:
        self._current = command
        self._completed = False
        self._defer = False
        status, text, code = Status.OK, f"{command.name} completed", None
        try:
            if call is None:
                raise ImapBad(f"{command.name} is not implemented", "CANNOT")
            names_mailboxes = _NAMES_MAILBOXES.get(type(command))
            if names_mailboxes is None:
                names_mailboxes = _names_mailboxes(type(command))
            if names_mailboxes or command.invalid_names:
                command = _check_mailbox_names(command)
            result = call(self, command)
            # The plain results first: Generator is an ABC (a Python-level
            # isinstance check).
            if type(result) not in _PLAIN_RESULTS and isinstance(result, Generator):
                self._steps = (command, result)
                result = self._advance()
                if self._steps is not None:
                    return  # goes on once the output is taken (pump)
            if isinstance(result, Pending) and not (self._completed or self.conn.closed):
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
        if self._completed or self.conn.closed:
            return
        if self._defer:
            self._defer = False
            self._deferred = (command, status, text, code)
            return
        self._finish(command, status, text, code)

    def _advance(self) -> Completion | None:
        """Run the command in progress while the output is not full; its
        result once it is done (then ``_steps`` is None)."""
        assert self._steps is not None
        steps = self._steps[1]
        budget = self.server.steps_per_call
        try:
            while not (self.conn.output_full or self.conn.closed):
                next(steps)
                if budget is not None:
                    budget -= 1
                    if budget <= 0:
                        # Fairness: the adapter serves others, then pumps.
                        return None
        except StopIteration as stop:
            self._steps = None
            done: Completion | None = stop.value
            return done
        except BaseException:
            self._steps = None
            raise
        if self.conn.closed:
            self._steps = None
            steps.close()
        return None

    def _finish(
        self, command: Command, status: Status, text: str, code: ResponseCode | None
    ) -> None:
        self._open.pop(command.tag, None)
        if self.conn.view is not None and command.name not in DESELECTING_COMMANDS:
            try:
                self.sync()
            except Exception as exc:
                self._report(exc)
        if self.notify is not None and not self.conn.closed:
            try:
                self.notify.before_completion(self, command, code)
            except Exception as exc:
                self._report(exc)
        if self.conn.closed:
            return
        self._completed = True
        if not (
            text
            and text.isascii()
            and text.isprintable()
            and text[0] not in "[ "
            and text[-1] != " "
        ):
            text = _safe_text(text)  # a backend's text; the common ones are fine as they are
        try:
            response = StatusResponse(status=status, tag=command.tag, text=text, code=code)
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
        watcher, self.notify = self.notify, None
        if watcher is not None:
            watcher.close()
        account = self.account
        self.account = None
        self.mailbox = None
        if account is not None:
            try:
                account.logout()
            except Exception as exc:
                self._report(exc)


@contextlib.contextmanager
def trycreate(session: Session, destination: str) -> Iterator[None]:
    """A destination that does not exist is ``NO [TRYCREATE]`` (RFC 3501
    6.3.11 APPEND, 6.4.7 COPY; MOVE and REPLACE as they); the selected
    mailbox being gone stays ``NO [NONEXISTENT]``."""
    try:
        yield
    except NoSuchMailbox:
        infos = session.require_account().list_mailboxes()
        if any(info.name == destination and info.selectable for info in infos):
            raise
        raise ImapNo("Mailbox does not exist", "TRYCREATE") from None
