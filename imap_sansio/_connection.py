"""ConnectionState: one server-side IMAP connection as a pure state machine.

Bytes go in through :meth:`ConnectionState.receive_data`, which returns typed
events; responses go out through :meth:`ConnectionState.send` and come back
as bytes from :meth:`ConnectionState.data_to_send`.  The engine frames the
stream (lines and literals) before any grammar is applied, so literal bytes
are never read as a command, answers continuation requests for literals
itself, enforces every size limit at the moment a size is announced, and
keeps the connection state that the app's answers imply.
"""

from __future__ import annotations

import binascii
import contextlib
import enum
import re
import zlib
from collections import deque

from . import _frozen
from ._capabilities import compute_capabilities
from ._commands import (
    Append,
    AppendMessage,
    CatenatePart,
    Command,
    ESearch,
    Examine,
    Fetch,
    Replace,
    SearchAnd,
    SearchKey,
    SearchMessages,
    SearchNot,
    SearchOr,
    Select,
)
from ._config import Config, GreetingStatus, OversizePolicy
from ._encoder import CHUNK_MIN, SOURCE_PIECE, Piece, encode_response_chunks
from ._errors import LocalProtocolError
from ._events import (
    AuthenticateCancelled,
    AuthenticateResponse,
    ConnectionClosed,
    Event,
    IdleDone,
)
from ._framing import LiteralAnnouncement, ReceiveBuffer, literal_at_end, read_tag_and_name
from ._frozen import dataclass, field
from ._parser import CommandSpec, ParseError, parse_command
from ._responses import (
    AtomCode,
    CapabilityCode,
    ContinuationRequest,
    EnabledData,
    FetchData,
    Response,
    ResponseCode,
    Status,
    StatusResponse,
    UidFetchData,
    UidItem,
)
from ._secret import Secret
from ._sequence import UidSet
from ._source import BytesSource, LiteralSink, LiteralSinkFactory, MessageSource
from ._state import DESELECTING_COMMANDS, TRANSITIONS, State, next_state
from ._view import InvalidSequenceNumber, SelectedMailboxView

__all__ = ["ConnectionState"]

#: Commands whose tagged answer may change the state (the rest leave it as is).
_STATE_CHANGING = frozenset(name for _, name, _ in TRANSITIONS)
#: Commands whose tagged answer does more than go out (see _complete_rest).
_AFTER_ANSWER = _STATE_CHANGING | {"LOGOUT", "COMPRESS", "STARTTLS"}
_SELECTS = (Select, Examine)


def _names_sequence_numbers(command: Command) -> bool:
    """The command names messages by sequence number (RFC 9586 3: refused
    after ENABLE UIDONLY): the non-UID form of a command with a message set
    or search criteria (EXPUNGE has neither), and a UID form whose criteria
    hold a sequence-set key (``$`` is UIDs)."""
    criteria = getattr(command, "criteria", None)
    # RFC 7377 2.1: ESEARCH answers in UIDs, so only its criteria can name
    # message numbers, as with a UID command.
    if not getattr(command, "uid", True) and not isinstance(command, ESearch):
        return criteria is not None or hasattr(command, "messages")
    return isinstance(criteria, SearchKey) and _has_sequence_key(criteria)


def _has_sequence_key(key: SearchKey) -> bool:
    if isinstance(key, SearchMessages):
        return not key.messages.saved
    if isinstance(key, SearchAnd):
        return any(_has_sequence_key(k) for k in key.keys)
    if isinstance(key, SearchOr):
        return _has_sequence_key(key.left) or _has_sequence_key(key.right)
    if isinstance(key, SearchNot):
        return _has_sequence_key(key.key)
    return False


#: Decompressed bytes produced per step (bounds memory whatever the ratio):
#: the engine inflates the next step only when the commands already
#: inflated have run, so a deflate bomb never exists inflated in memory.
_INFLATE_STEP = 16 * 1024
#: What precedes a literal that is the mailbox name of APPEND or REPLACE
#: (RFC 8508 5: ``"REPLACE" SP seq-number SP mailbox``), not a message.
_MAILBOX_LITERALS = {
    "APPEND": re.compile(rb"(?i)APPEND *\Z"),
    "REPLACE": re.compile(rb"(?i)REPLACE +[0-9*]+ *\Z"),
}
#: Bytes of a skipped over-long line kept to spot a literal announced at its end.
_TAIL = 32
#: Bytes of an over-long line read for its tag.
_HEAD = 256


#: The empty set of enabled extensions, shared by every new connection.
_NOTHING_ENABLED: frozenset[str] = frozenset()
#: What isinstance tests output pieces against (a tuple: ``bytes | memoryview``
#: would build a union object on every test).
_BYTES_LIKE = (bytes, memoryview)
_UNAVAILABLE = AtomCode(name="UNAVAILABLE")  # RFC 5530 3: a subsystem failed


def _coalesce(pieces: list[bytes | memoryview]) -> list[bytes | memoryview]:
    """Runs of pieces under CHUNK_MIN joined (responses between message
    bodies), so a writer makes one call per body, not per response."""
    if len(pieces) < 2:
        return pieces
    merged: list[bytes | memoryview] = []
    run: list[bytes | memoryview] = []
    for piece in pieces:
        if len(piece) < CHUNK_MIN:
            run.append(piece)
            continue
        if run:
            merged.append(run[0] if len(run) == 1 else b"".join(run))
            run = []
        merged.append(piece)
    if run:
        merged.append(run[0] if len(run) == 1 else b"".join(run))
    return merged


class _Mode(enum.Enum):
    COMMAND = "reading command lines"
    LITERAL = "reading a literal"
    DISCARD = "dropping a rejected literal"
    SKIP_LINE = "dropping an over-long line"
    SASL = "reading a SASL response line"
    IDLE = "reading DONE"


@dataclass(slots=True)
class _Framed:
    """A command being framed: its fragments so far, or poisoned (dropped)."""

    tag: str | None
    name: str
    parts: list[bytes] = field(default_factory=list)
    size: int = 0
    poisoned: bool = False
    #: Where its mailbox literal would end, for APPEND and REPLACE (RFC
    #: 8508), whose other literals are messages (the APPEND limit); else None.
    mailbox_literal: re.Pattern[bytes] | None = None
    #: Message literals announced so far (MULTIAPPEND has several).
    messages: int = 0
    #: Message literals kept out of the command's bytes, by message index:
    #: big ones written to a sink (a source), the others as they came
    #: (bytes); the parser sees them as empty literals and the event gets
    #: them back, so a message is not copied into the command and out again.
    spooled: dict[int, bytes | MessageSource] = field(default_factory=dict)
    #: For the messages kept aside as bytes: (index in ``parts`` of the line
    #: that announced it, the line as sent), to parse the bytes as sent if
    #: the command is not what the framing took it for (see _parse_framed).
    aside: dict[int, tuple[int, bytes]] = field(default_factory=dict)


@dataclass(slots=True)
class _Pending:
    """A command delivered to the app and not yet answered."""

    tag: str
    command: Command
    #: Delivery order, so that the engine's own answers to later input are
    #: written after the app's answers to earlier commands.
    seq: int
    #: A non-UID FETCH/STORE/SEARCH/SORT/THREAD (RFC 3501 7.4.1), decided once.
    blocks_expunge: bool


class ConnectionState:
    """A server-side IMAP connection, without I/O.

    >>> from imap_sansio import ConnectionState
    >>> conn = ConnectionState()
    >>> conn.send_greeting()
    >>> conn.data_to_send().startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    True
    """

    # Slots: a server holds one of these per connection, idle ones included.
    __slots__ = (
        "__weakref__",
        "_aside",
        "_bad_streak",
        "_blocking",
        "_buffer",
        "_channel_binding",
        "_closed",
        "_closing",
        "_commands_before_auth",
        "_deferred",
        "_deflater",
        "_delivered",
        "_discard_left",
        "_enabled",
        "_expunge_blockers",
        "_framed",
        "_held",
        "_inflater",
        "_literal",
        "_literal_left",
        "_mode",
        "_next_view",
        "_out",
        "_out_offset",
        "_out_size",
        "_out_sources",
        "_pending",
        "_pending_tags",
        "_plain_left",
        "_read_only",
        "_secure",
        "_selected",
        "_sink",
        "_sink_bad",
        "_sink_binary",
        "_sink_index",
        "_sink_nul",
        "_skip_tail",
        "_stalled",
        "_starttls_pending",
        "_state",
        "_tls_active",
        "_uidonly",
        "_utf8",
        "_view",
        "_zin",
        "command_count",
        "config",
    )

    def __init__(self, config: Config | None = None, *, secure: bool = False) -> None:
        self.config = config if config is not None else Config()
        self._state = State.NOT_AUTHENTICATED
        self._secure = secure
        self._tls_active = False
        self._channel_binding: tuple[str, bytes] | None = None
        self._buffer = ReceiveBuffer()
        # Output not taken yet: pieces in order, message sources among them
        # read only as data_to_send takes them (a big literal streams).
        self._out: deque[Piece] = deque()
        # How many pieces of ``_out`` are message sources (not bytes yet).
        self._out_sources = 0
        #: Bytes of the first piece already taken.
        self._out_offset = 0
        #: Bytes in _out not taken yet, sources counted at their size.
        self._out_size = 0
        #: Stopped with input left because the output is full (see input_waiting).
        self._stalled = False
        # COMPRESS=DEFLATE (RFC 4978): raw deflate both ways once active;
        # _plain_left is how much output queued before it started remains.
        self._deflater: zlib._Compress | None = None
        self._inflater: zlib._Decompress | None = None
        self._plain_left = 0
        #: Compressed input not inflated yet (inflated as commands run).
        self._zin = b""
        self._mode = _Mode.COMMAND
        self._framed: _Framed | None = None
        # A literal's pieces as they arrive, joined once at its end.
        self._literal: list[bytes] = []
        # The message literal being read is kept aside: (message index,
        # index of its line in the command's parts, the line, literal8).
        self._aside: tuple[int, int, bytes, bool] | None = None
        #: Where a big APPEND literal goes instead (Config.literal_sink_factory).
        self._sink: LiteralSink | None = None
        self._sink_index = 0
        self._sink_binary = False  # a literal8 (RFC 3516): NUL allowed
        self._sink_nul = False  # NUL seen in a literal that is not a literal8
        self._sink_bad = False  # the sink failed; the rest is dropped
        self._literal_left = 0
        self._discard_left = 0
        self._skip_tail = b""
        # Delivered, unanswered commands by delivery order, and by tag (tags
        # may repeat: answers go to the oldest command with the tag).
        self._pending: dict[int, _Pending] = {}
        self._pending_tags: dict[str, list[int]] = {}
        #: Pending non-UID FETCH/STORE/SEARCH/SORT/THREAD (RFC 3501 7.4.1).
        self._expunge_blockers = 0
        self._blocking: _Pending | None = None
        self._starttls_pending = False
        self._closed = False
        self._closing = False
        self._delivered = 0
        #: The engine's own answers waiting for earlier commands' (see _emit);
        #: created when first needed.
        self._deferred: deque[tuple[int, Response]] | None = None
        self._bad_streak = 0
        self._commands_before_auth = 0
        self._selected: str | None = None
        self._read_only = False
        self._enabled: frozenset[str] = _NOTHING_ENABLED
        # What the hot path reads of _enabled, kept beside it (_set_enabled).
        self._utf8 = False
        self._uidonly = False
        self._view: SelectedMailboxView | None = None
        #: A parsed command waiting for earlier ones (see _deliver).
        self._held: Command | None = None
        self._next_view: SelectedMailboxView | None = None
        #: Commands framed and parsed (valid or not), as the seed counts them.
        self.command_count = 0

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> State:
        return self._state

    @property
    def closed(self) -> bool:
        """True once the connection is over: flush :meth:`data_to_send`, then close."""
        return self._closed

    @property
    def secure(self) -> bool:
        """The transport is TLS or otherwise trusted (e.g. loopback)."""
        return self._secure

    @property
    def tls_active(self) -> bool:
        return self._tls_active

    @property
    def selected_mailbox(self) -> str | None:
        return self._selected

    @property
    def read_only(self) -> bool:
        """The selected mailbox was opened with EXAMINE or reported READ-ONLY."""
        return self._read_only

    @property
    def view(self) -> SelectedMailboxView | None:
        """The selected mailbox as this session numbers it (None unless selected)."""
        return self._view

    def set_view(self, view: SelectedMailboxView) -> None:
        """Give the engine the view of the mailbox a pending SELECT/EXAMINE opens.

        Call it before sending the OK of the SELECT/EXAMINE; it takes effect
        with that OK.  From then on FETCH, STORE, COPY and MOVE events carry
        UIDs (``messages`` is a :class:`UidSet` resolved against the view),
        and queued changes go out when RFC 3501 7.4.1 allows.
        """
        blocking = self._blocking
        if blocking is None or not isinstance(blocking.command, Select | Examine):
            raise LocalProtocolError("set_view() needs a pending SELECT or EXAMINE")
        self._next_view = view

    def flush_updates(self) -> None:
        """Write queued mailbox changes now, if this is a moment that allows it.

        During IDLE that is at once (RFC 2177); otherwise changes wait for the
        next tagged completion, which writes them first.
        """
        if self._view is not None and self._mode is _Mode.IDLE and not self._closed:
            for response in self._drain_view(allow_expunge=True):
                self._write(response)

    def send_additions(self) -> None:
        """Write the queued EXISTS (and flag updates) now, the EXPUNGE or
        VANISHED responses left for the completion: for a command that
        reports a new message before the one it removes (RFC 8508 3.2)."""
        if self._view is not None and not self._closed:
            for response in self._drain_view(allow_expunge=False):
                self._write(response)

    def push_updates(self, *, allow_expunge: bool, flag_updates: bool = True) -> None:
        """Write queued mailbox changes now, also between commands: for a
        client that listens all the time (NOTIFY, RFC 5465 3.1).

        During IDLE everything queued goes (RFC 2177).  Otherwise only while
        no command is delivered and unanswered (a command's changes go out
        before its completion) and with EXPUNGE only if ``allow_expunge``
        (RFC 5465 6.1.2: SELECTED-DELAYED keeps RFC 3501 7.4.1's rule that
        no EXPUNGE goes out while no command is in progress).
        ``flag_updates=False`` leaves flag changes for the next completion.
        """
        if self._view is None or self._closed or self._closing:
            return
        if self._mode is _Mode.IDLE:
            allow_expunge = True
        elif self._pending or self._mode is not _Mode.COMMAND or self._framed is not None:
            return
        for response in self._drain_view(allow_expunge=allow_expunge, flag_updates=flag_updates):
            self._write(response)

    @property
    def enabled(self) -> frozenset[str]:
        """Extensions enabled with ENABLE (RFC 5161), as the app announced them."""
        return self._enabled

    @property
    def utf8(self) -> bool:
        """UTF8=ACCEPT (RFC 6855 3) or IMAP4rev2 (RFC 9051 5.1, appendix A:
        its mailbox names and quoted strings are UTF-8) is enabled."""
        return self._utf8

    def _set_enabled(self, enabled: frozenset[str]) -> None:
        self._enabled = enabled
        self._utf8 = "UTF8=ACCEPT" in enabled or "IMAP4REV2" in enabled
        self._uidonly = "UIDONLY" in enabled

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The capability list for the current state and transport."""
        return compute_capabilities(
            self.config,
            state=self._state,
            secure=self._secure,
            tls_active=self._tls_active,
            channel_binding=self._channel_binding is not None,
        )

    @property
    def channel_binding(self) -> tuple[str, bytes] | None:
        """The TLS channel binding (type, data) for SCRAM -PLUS (RFC 5929)."""
        return self._channel_binding

    def set_channel_binding(self, kind: str, data: bytes) -> None:
        """The adapter's hook: the TLS layer gives channel-binding data of
        ``kind`` (``tls-server-end-point``, ``tls-exporter``...).  Call it
        once TLS is up (at connect for implicit TLS, after the STARTTLS
        handshake); -PLUS mechanisms are advertised from then on."""
        self._channel_binding = (kind, data)

    def set_capabilities(self, capabilities: tuple[str, ...]) -> None:
        """Advertise ``capabilities`` after login (RFC 3501 6.1.1: they may
        differ per user; a server sets them when LOGIN or AUTHENTICATE has
        opened the account, before its OK, which carries them)."""
        self.config = _frozen.replace(self.config, capabilities=capabilities)

    @property
    def starttls_pending(self) -> bool:
        """STARTTLS was answered OK: flush, handshake, then call :meth:`tls_started`."""
        return self._starttls_pending

    @property
    def idling(self) -> bool:
        return self._mode is _Mode.IDLE

    @property
    def command_in_progress(self) -> bool:
        """Part of a command has arrived and the rest is awaited (a literal,
        or the line after one): what an adapter's literal timeout watches."""
        return self._framed is not None or self._mode in (
            _Mode.LITERAL,
            _Mode.DISCARD,
            _Mode.SKIP_LINE,
        )

    @property
    def literal_expected(self) -> int:
        """Bytes of the literal being read that the peer has yet to send (0
        when none is being read): an adapter may read that much at once, or
        wait until that much has arrived, without waiting for anything the
        peer does not owe.  0 under COMPRESS, whose transport carries fewer
        bytes than the literal (RFC 4978)."""
        mode = self._mode
        if self._inflater is not None or mode not in (_Mode.LITERAL, _Mode.DISCARD):
            return 0
        left = self._literal_left if mode is _Mode.LITERAL else self._discard_left
        return max(0, left - len(self._buffer))

    def enable(self, *names: str) -> tuple[str, ...]:
        """Mark extensions enabled without an ENABLED response; return the new ones.

        For extensions that commands enable implicitly (RFC 7162 3.1: a
        CONDSTORE-enabling command such as ``SELECT (CONDSTORE)`` or ``FETCH
        ... (MODSEQ)``).  ENABLE itself works through the EnabledData the app
        sends.
        """
        fresh = tuple(n.upper() for n in names if n.upper() not in self._enabled)
        if fresh:
            self._set_enabled(self._enabled.union(fresh))
        return fresh

    @property
    def pending_tags(self) -> tuple[str, ...]:
        """Tags of commands delivered and not yet answered, oldest first."""
        return tuple(p.tag for p in self._pending.values())

    @property
    def output_full(self) -> bool:
        """At least ``Limits.max_unsent_output`` bytes wait in :meth:`data_to_send`:
        the engine delivers no further command until they are taken."""
        return self._out_size >= self.config.limits.max_unsent_output

    @property
    def input_waiting(self) -> bool:
        """Input is buffered that the engine did not run because the output
        was full: take :meth:`data_to_send`, write it, then call
        :meth:`next_events` (before reading more from the transport)."""
        return self._stalled and not (self._closed or self._closing)

    @property
    def paused(self) -> bool:
        """The engine is not reading commands: it waits for the app's answer."""
        if self._closed or self._closing or self._starttls_pending:
            return True
        if self._mode in (_Mode.SASL, _Mode.IDLE):
            return False
        return (
            self._blocking is not None
            or (self._held is not None and bool(self._pending))
            or len(self._pending) >= self.config.limits.max_pipelined
        )

    # ------------------------------------------------------------------ input

    def receive_data(self, data: bytes) -> list[Event]:
        """Feed bytes from the peer; ``b""`` means the peer closed the stream.

        Returns the events that the input completes.  When the engine pauses
        (a command that changes the state is waiting for its answer), later
        input stays buffered: call :meth:`next_events` after answering.  So
        it does while ``output_full``: call :meth:`next_events` when
        ``input_waiting`` after writing :meth:`data_to_send`.
        Nothing the peer sends makes this raise.
        """
        if self._closed or self._closing:
            return []
        if not data:
            self._closed = True
            self._state = State.LOGOUT
            self._drop_spooled(self._framed)
            return [ConnectionClosed()]
        if self._starttls_pending:
            # RFC 3501 6.2.1 / RFC 9051 11.1: bytes sent before the TLS
            # handshake are not part of the protected session; drop them.
            return []
        if self._inflater is not None:
            return self._inflate(data)
        if (
            self._mode is _Mode.COMMAND
            and self._framed is None
            and self._held is None
            and self._blocking is None
            and self._state is not State.NOT_AUTHENTICATED
            and data.find(b"\n") == len(data) - 1
            and not self._buffer._data  # its __bool__, without the call
        ):
            # The common case: one complete command line, nothing buffered,
            # nothing pending that holds it back.  It is parsed straight
            # from ``data``; whatever the fast path declines (a literal, a
            # limit, a syntax error, a command not valid in this state)
            # goes the general way, which decides every rejection.
            config = self.config
            limits = config.limits
            if (
                len(self._pending) < limits.max_pipelined
                and self._out_size < limits.max_unsent_output
                and len(data) - 2 <= limits.max_line
                and len(data) <= limits.max_command
                and not data.endswith((b"}\r\n", b"}\n"))
            ):
                try:
                    command = parse_command(
                        data,
                        utf8=self._utf8,
                        max_depth=limits.max_nesting,
                        max_search_depth=limits.max_search_nesting,
                        commands=config.commands,
                        max_items=limits.max_list_items,
                        max_ranges=limits.max_set_ranges,
                    )
                except ParseError:
                    pass
                else:
                    spec = config.commands[command.name]
                    if self._state in spec.states:
                        self._stalled = False
                        self.command_count += 1
                        events: list[Event] = []
                        # _accept, inlined: nothing is pending that it waits for
                        # (RFC 3501 5.5) unless it names messages.
                        self._bad_streak = 0
                        if spec.names_messages and self._view is not None and self._pending:
                            self._held = command
                            if self._out_size >= limits.max_unsent_output:
                                self._stalled = True
                        else:
                            self._start(command, spec, events)
                        return events
        return self._feed(data)

    @property
    def compressed(self) -> bool:
        """COMPRESS=DEFLATE is active (RFC 4978)."""
        return self._deflater is not None

    def _inflate(self, data: bytes) -> list[Event]:
        """Keep compressed input as it is; _process inflates it step by step
        as the commands before it run (no zip bomb in memory)."""
        if self._held_too_much():
            return self._too_much_input()
        self._zin += data
        return self._process()

    def _inflate_step(self, events: list[Event]) -> bool:
        """Inflate the next piece of compressed input into the buffer.

        Returns False when nothing more can come out of what was received.
        """
        inflater = self._inflater
        if inflater is None or not self._zin:
            return False
        try:
            plain = inflater.decompress(self._zin, _INFLATE_STEP)
        except zlib.error:
            self._zin = b""
            self._write(StatusResponse(status=Status.BYE, text="Invalid compressed data"))
            self._closed = True
            self._state = State.LOGOUT
            events.append(ConnectionClosed(reason="invalid compressed data"))
            return False
        # Bytes after the end of the deflate stream cannot be read (RFC 4978
        # never ends it); they are dropped.
        self._zin = b"" if inflater.eof else inflater.unconsumed_tail
        self._buffer.feed(plain)
        return bool(plain) or bool(self._zin)

    def _held_too_much(self) -> bool:
        """Input piled up across calls while the engine could not run it."""
        return (self.paused or self.output_full) and (
            len(self._buffer) + len(self._zin) > self.config.limits.max_buffered_input
        )

    def _too_much_input(self) -> list[Event]:
        # End the session now rather than buffer without bound.
        self._buffer.clear()
        self._zin = b""
        self._write(
            StatusResponse(status=Status.BYE, text="Too much input while a command is pending")
        )
        self._closed = True
        self._state = State.LOGOUT
        return [ConnectionClosed(reason="too much input while paused")]

    def _feed(self, data: bytes) -> list[Event]:
        if (
            self._mode is _Mode.LITERAL
            and not self._buffer
            and self._held is None
            and self._out_size < self.config.limits.max_unsent_output
            and not self.paused
        ):
            # A literal's bytes go to their place (its sink, its list)
            # straight from ``data``, not through the receive buffer: a big
            # APPEND is copied once on its way to the spool file.
            found: list[Event] = []
            self._stalled = False
            take = self._literal_left
            if take >= len(data):
                self._literal_bytes(data, found)
                return found
            self._literal_bytes(data[:take], found)
            self._buffer.feed(data[take:])
            found.extend(self._process())
            return found
        if self._held_too_much():
            return self._too_much_input()
        self._buffer.feed(data)
        return self._process()

    def next_events(self) -> list[Event]:
        """Process input already buffered (after answering a pausing command,
        or after taking the output that held it back)."""
        if self._closed or self._closing:
            return []
        if self._held is None and not self._zin and not self._buffer._data:
            self._stalled = False
            return []  # nothing buffered: nothing to run
        return self._process()

    def tls_started(self) -> None:
        """The adapter finished the TLS handshake after STARTTLS (or implicit TLS)."""
        self._starttls_pending = False
        self._tls_active = True
        self._secure = True
        self._buffer.clear()

    # ----------------------------------------------------------------- output

    def send_greeting(self) -> None:
        """Queue the greeting: ``* OK``, ``* PREAUTH`` or ``* BYE`` (RFC 3501 7.1)."""
        status = self.config.greeting_status
        if status is GreetingStatus.PREAUTH:
            self._state = State.AUTHENTICATED
        if status is GreetingStatus.BYE:
            self._write(StatusResponse(status=Status.BYE, text=self.config.greeting_text))
            self._closed = True
            self._state = State.LOGOUT
            return
        code = CapabilityCode(capabilities=self.capabilities)
        self._write(
            StatusResponse(status=Status(status.value), text=self.config.greeting_text, code=code)
        )

    def send(self, response: Response) -> None:
        """Queue a response; a tagged one completes the pending command with that tag.

        The connection state follows from the answers (RFC 3501 3): LOGIN or
        AUTHENTICATE OK authenticates, SELECT/EXAMINE OK selects, a failed
        SELECT/EXAMINE or CLOSE/UNSELECT deselects, BYE ends the session.
        After the connection has closed, responses are dropped.
        """
        if self._closed:
            return
        if type(response) is FetchData:
            self._write(response)  # the commonest: one per message of a FETCH
            return
        if isinstance(response, StatusResponse):
            if response.tag is not None:
                self._complete(response)
                return
            if response.status is Status.PREAUTH:
                raise LocalProtocolError("PREAUTH is only valid as the greeting")
            if (
                isinstance(response.code, AtomCode)
                and response.code.name == "CLOSED"
                and self._state is State.SELECTED
            ):
                # RFC 7162 3.2.11 / RFC 9051 7.1: the selected mailbox is
                # closed (deleted, or replaced by a SELECT in progress).
                self._state = State.AUTHENTICATED
                self._selected = None
                self._view = None
            if response.status is Status.BYE:
                self._write(response)
                self._state = State.LOGOUT
                logout = self._blocking is not None and self._blocking.command.name == "LOGOUT"
                if not logout:
                    self._closed = True
                return
        elif isinstance(response, ContinuationRequest):
            self._continue()
        elif isinstance(response, EnabledData):
            self._set_enabled(self._enabled.union(c.upper() for c in response.capabilities))
        self._write(response)

    @property
    def has_output(self) -> bool:
        """Output is queued: :meth:`data_to_send` returns more when called."""
        return self._out_size > 0 or bool(self._out)

    def data_to_send(self) -> bytes:
        """The output queued for the peer, in order; ``b""`` when nothing is.

        At most ``Limits.max_output_piece`` bytes (before COMPRESS) at a
        time: message data is read from its source only as it is taken, so
        a big FETCH streams.  While :attr:`has_output`, write what this
        returned and call it again.  Taking output lowers ``output_full``
        (a literal's bytes not taken yet count): if ``input_waiting``, call
        :meth:`next_events` once this output is written.
        """
        out = self._out
        if (
            not self._out_sources
            and not self._out_offset
            and self._out_size <= self.config.limits.max_output_piece
            and self._deflater is None
        ):
            # Everything queued is bytes and fits in one piece (the common
            # case: a command's answers): one join, no loop.
            data = b"".join(out)  # type: ignore[arg-type]  # bytes only (no sources)
            out.clear()
            self._out_size = 0
            return data
        return b"".join(self.data_to_send_chunks())

    def data_to_send_chunks(self) -> list[bytes | memoryview]:
        """:meth:`data_to_send` as the pieces it would join, in order (an
        empty list when nothing is queued): a message body held in memory
        comes as views of the store's own bytes, so a transport that writes
        the pieces one by one (or with ``sendmsg``) copies nothing.  The
        views stay valid after the call; the same rules apply otherwise."""
        budget = self.config.limits.max_output_piece
        out = self._out
        taken: list[bytes | memoryview] = []
        if (
            not self._out_sources
            and not self._out_offset
            and self._out_size <= budget
            and self._deflater is None
        ):
            # A command's answers: one piece, not one per response.
            if out:
                taken.append(b"".join(out))  # type: ignore[arg-type]  # bytes only
                out.clear()
                self._out_size = 0
            return taken
        size = 0
        while out and size < budget:
            piece = out[0]
            offset = self._out_offset
            if isinstance(piece, _BYTES_LIKE):
                end = len(piece)
                if offset or end - offset > budget - size:
                    end = min(end, offset + budget - size)
                    chunk: bytes | memoryview = memoryview(piece)[offset:end]
                else:
                    chunk = piece
            elif type(piece) is BytesSource:
                # Held in memory (the in-memory store): a view, not a copy.
                end = min(piece.size, offset + budget - size)
                chunk = piece.view(offset, end - offset)
            else:
                end = min(piece.size, offset + budget - size, offset + SOURCE_PIECE)
                chunk = self._read_source(piece, offset, end - offset)
                if len(chunk) != end - offset:
                    # The store lost the message after its size went out:
                    # nothing can follow a broken literal but the end.
                    taken.append(chunk)
                    size += len(chunk)
                    self._lost_output()
                    break
            taken.append(chunk)
            size += len(chunk)
            self._out_size -= len(chunk)
            if end == (len(piece) if isinstance(piece, _BYTES_LIKE) else piece.size):
                out.popleft()
                self._out_offset = 0
                if not isinstance(piece, _BYTES_LIKE):
                    self._out_sources -= 1
                    piece.close()
            else:
                self._out_offset = end
        deflater = self._deflater
        if deflater is None:
            return _coalesce(taken)
        data = b"".join(taken)
        if not data:
            return []
        plain = b""
        if self._plain_left:
            # RFC 4978 3: what was queued up to COMPRESS's OK goes out plain.
            cut = min(self._plain_left, len(data))
            plain, data = data[:cut], data[cut:]
            self._plain_left -= cut
            if not data:
                return [plain]
        # A sync flush per batch, so the client can read every response
        # at once (RFC 4978 4 recommends flushing after each response).
        return [plain + deflater.compress(data) + deflater.flush(zlib.Z_SYNC_FLUSH)]

    @staticmethod
    def _read_source(source: MessageSource, offset: int, length: int) -> bytes:
        try:
            return source.read(offset, length)
        except Exception:  # the store's failure: the caller ends the connection
            return b""

    def _lost_output(self) -> None:
        """End the connection: the rest of the output cannot be sent."""
        for piece in self._out:
            if not isinstance(piece, _BYTES_LIKE):
                piece.close()
        self._out.clear()
        self._out_offset = 0
        self._out_size = 0
        self._out_sources = 0
        self._closed = True
        self._state = State.LOGOUT

    # ------------------------------------------------------------ internals

    def _write(self, response: Response) -> None:
        if type(response) is FetchData and self._uidonly:
            response = self._uidfetch(response, drop_uid=False)
        chunks = encode_response_chunks(response, utf8=self._utf8)
        self._out.extend(chunks)
        for chunk in chunks:  # a loop, not a generator: no Python call per chunk
            if isinstance(chunk, _BYTES_LIKE):
                self._out_size += len(chunk)
            else:
                self._out_size += chunk.size
                self._out_sources += 1

    def _uidfetch(self, response: FetchData, *, drop_uid: bool) -> UidFetchData:
        """RFC 9586 3.3: after ENABLE UIDONLY a FETCH response is numbered by
        UID (``* uid UIDFETCH (...)``).  The app's responses keep their items
        (a UID item is there when the client asked for it: the app leaves out
        the one UID FETCH implies); ``drop_uid`` drops the view's own from an
        unsolicited one, unless that is all it holds.  The sequence number is
        read against the view as it is when the response goes out, which is
        the numbering it was made with: the selected mailbox's, or during a
        SELECT the one it opens (a QRESYNC resync's FETCHes)."""
        view = self._view if self._view is not None else self._next_view
        if view is None:
            raise LocalProtocolError("a FETCH response needs a selected mailbox")
        items = response.items
        if drop_uid:
            items = tuple(i for i in items if type(i) is not UidItem) or items
        return UidFetchData(uid=view.uid_of(response.number), items=items)

    def _emit(self, response: Response) -> None:
        """Write a response of the engine's own, after the app's answers to
        every command delivered before it (so that output does not depend on
        how the input was split into chunks)."""
        self._flush_deferred()
        if self._pending or self._deferred:
            if self._deferred is None:
                self._deferred = deque()
            self._deferred.append((self._delivered, response))
        else:
            self._write_own(response)

    def _write_own(self, response: Response) -> None:
        self._write(response)
        if isinstance(response, StatusResponse) and response.status is Status.BYE:
            self._closed = True
            self._state = State.LOGOUT

    def _flush_deferred(self) -> None:
        if not self._deferred:
            return
        oldest = next(iter(self._pending), None)
        deferred = self._deferred
        while deferred and (oldest is None or deferred[0][0] < oldest):
            self._write_own(deferred.popleft()[1])
        if not deferred:
            self._deferred = None

    def _bye(self, text: str, code: ResponseCode | None = None) -> ConnectionClosed:
        """End the session: read nothing more, answer what is pending, then BYE."""
        self._closing = True
        self._buffer.clear()
        self._drop_spooled(self._framed)
        self._emit(StatusResponse(status=Status.BYE, text=text, code=code))
        return ConnectionClosed(reason=text)

    def _reject(
        self,
        tag: str | None,
        text: str,
        *,
        status: Status = Status.BAD,
        code: ResponseCode | None = None,
        events: list[Event],
    ) -> None:
        """Answer a command the engine refuses; count consecutive BADs."""
        self._emit(StatusResponse(status=status, tag=tag, text=text, code=code))
        if status is Status.BAD:
            self._count_bad(events)

    def _count_bad(self, events: list[Event]) -> None:
        self._bad_streak += 1
        if self._bad_streak >= self.config.max_bad_commands and not self._closing:
            events.append(self._bye("Too many invalid commands"))

    def _complete(self, response: StatusResponse) -> None:
        status = response.status
        if status is not Status.OK and status is not Status.NO and status is not Status.BAD:
            raise LocalProtocolError(f"a tagged response must be OK, NO or BAD, not {response}")
        tag = response.tag or ""
        seqs = self._pending_tags.get(tag)
        if not seqs:
            raise LocalProtocolError(f"no command with tag {response.tag!r} is pending")
        # _drop_pending, inlined (once per command): the oldest with the tag.
        pending = self._pending.pop(seqs[0])
        if len(seqs) == 1:
            del self._pending_tags[tag]
        else:
            del seqs[0]
        if pending.blocks_expunge:
            self._expunge_blockers -= 1
        command = pending.command
        name = command.name
        view = self._view
        if view is not None and name not in DESELECTING_COMMANDS:
            if view.drain_hook is None and not (
                view._added or view._expunged or view._flag_updates or view._mailbox_flags_changed
            ):
                # Nothing queued (the test view.drain starts with): all a
                # drain would do is move the mod-sequence floor.
                view._modseq_floor = view._modseq_seen
            else:
                # RFC 3501 5.2: updates go out before the tagged completion;
                # no EXPUNGE if this or another pending command forbids it
                # (7.4.1).
                allow = self._expunge_blockers == 0 and not pending.blocks_expunge
                for update in self._drain_view(allow_expunge=allow):
                    self._write(update)
        if (
            name not in _AFTER_ANSWER
            and pending is not self._blocking
            and not self._deferred
            and status is not Status.BAD
        ):
            # The common case: the answer changes no state, ends no sub-flow
            # and lets nothing owed go out after it (_write, for a status).
            chunks = encode_response_chunks(response, utf8=self._utf8)
            self._out.extend(chunks)
            for chunk in chunks:
                self._out_size += len(chunk)  # type: ignore[arg-type]  # bytes
            return
        self._complete_rest(response, command, status, pending)

    def _complete_rest(
        self, response: StatusResponse, command: Command, status: Status, pending: _Pending
    ) -> None:
        """What a tagged answer does beyond being written (see _complete)."""
        name = command.name
        ok = status is Status.OK
        old = self._state
        if name in _STATE_CHANGING:
            self._state = next_state(old, name, status.value)
        code = response.code
        if isinstance(command, _SELECTS):
            # A new SELECT closes the old mailbox whatever its outcome
            # (RFC 3501 6.3.1); the new view (if any) comes with the OK.
            self._view, new_view, self._next_view = None, self._next_view, None
            if ok:
                self._view = new_view
                self._selected = command.mailbox
                self._read_only = isinstance(command, Examine) or (
                    isinstance(response.code, AtomCode) and response.code.name == "READ-ONLY"
                )
        if old is State.SELECTED and self._state is State.AUTHENTICATED:
            self._selected = None
            self._view = None
        elif old is not State.NOT_AUTHENTICATED and self._state is State.NOT_AUTHENTICATED:
            # RFC 8437 3: UNAUTHENTICATE ends what the login began: the
            # mailbox is closed, ENABLEd extensions are off, and the limits
            # of a client not logged in apply afresh.
            self._selected = None
            self._view = None
            self._set_enabled(_NOTHING_ENABLED)
            self._commands_before_auth = 0
        if (
            old is not self._state
            and State.NOT_AUTHENTICATED in (old, self._state)
            and code is None
        ):
            # RFC 9051 6.2.2/6.2.3: the OK may carry the new capabilities,
            # which saves the client a CAPABILITY round trip (also those
            # before login again after UNAUTHENTICATE).
            response = StatusResponse(
                status=response.status,
                tag=response.tag,
                text=response.text,
                code=CapabilityCode(capabilities=self.capabilities),
            )
        if pending is self._blocking:
            self._blocking = None
            if self._mode in (_Mode.SASL, _Mode.IDLE):
                self._mode = _Mode.COMMAND
        self._write(response)
        if self._deferred:
            self._flush_deferred()
        if response.status is Status.BAD:
            # The app's BADs count too; a BYE this causes goes out after this
            # answer and those still owed (the app sees ``closed``).
            self._count_bad([])
        if name == "LOGOUT" and self._state is State.LOGOUT:
            self._closed = True
        elif name == "COMPRESS" and ok and self._deflater is None:
            self._start_compression()
        elif name == "STARTTLS" and ok:
            # RFC 3501 6.2.1: the TLS negotiation begins right after the CRLF
            # of the OK; whatever the client sent before it is discarded.
            self._starttls_pending = True
            self._buffer.clear()

    def _drain_view(self, *, allow_expunge: bool, flag_updates: bool = True) -> list[Response]:
        assert self._view is not None
        enabled = self._enabled
        uidonly = "UIDONLY" in enabled
        updates = self._view.drain(
            allow_expunge=allow_expunge,
            flag_updates=flag_updates,
            # RFC 9586 3: UIDONLY reports expunges as VANISHED, as QRESYNC does.
            qresync="QRESYNC" in enabled or uidonly,
            condstore="CONDSTORE" in enabled or "QRESYNC" in enabled,
            rev2="IMAP4REV2" in enabled,
        )
        if uidonly:
            # The UID of an unsolicited UIDFETCH is its number already.
            updates = [
                self._uidfetch(r, drop_uid=True) if type(r) is FetchData else r for r in updates
            ]
        return updates

    def _resolve_messages(self, command: Command) -> Command:
        """Replace a command's sequence set by the UIDs it names (RFC 3501 6.4):
        for a command that names messages (CommandSpec.names_messages).

        Raises InvalidSequenceNumber for a number beyond what the client knows.
        """
        view = self._view
        if view is None:
            return command
        messages = getattr(command, "messages", None)
        if messages is None:  # SEARCH, EXPUNGE: no set of their own to resolve
            return command
        if isinstance(command, Fetch) and command.uid and command.vanished:
            # RFC 7162 3.2.6: VANISHED (EARLIER) reports the UIDs of the set
            # that are gone, so the app needs the set as the client sent it
            # (UIDs name no numbering: nothing to check here).
            return command
        resolved = view.resolve_set(messages)  # per range, never per message
        if type(messages) is not UidSet or messages.saved or resolved.ranges != messages.ranges:
            # The command was parsed here and nobody has seen it yet, so it
            # is completed in place (dataclasses.replace would validate every
            # field again for one that changes).
            object.__setattr__(command, "messages", resolved)
        return command

    def _start_compression(self) -> None:
        """RFC 4978 3: compress from right after the CRLF of the tagged OK.

        Bytes the client sent after COMPRESS are already compressed data
        (it must wait for the OK, but nothing stops it from trying).
        """
        self._plain_left = self._out_size
        self._deflater = zlib.compressobj(1, zlib.DEFLATED, -15)
        self._inflater = zlib.decompressobj(-15)
        # Inflated as the commands run (see _process).  Plain commands
        # pipelined after COMPRESS (RFC 4978 3: the client must wait for
        # the OK) are not deflate data and end the session with BYE there.
        self._zin = self._buffer.take(len(self._buffer))

    def _drop_pending(self, pending: _Pending) -> _Pending:
        del self._pending[pending.seq]
        seqs = self._pending_tags[pending.tag]
        seqs.remove(pending.seq)
        if not seqs:
            del self._pending_tags[pending.tag]
        if pending.blocks_expunge:
            self._expunge_blockers -= 1
        return pending

    def _continue(self) -> None:
        blocking = self._blocking
        if blocking is None or blocking.command.name not in ("AUTHENTICATE", "IDLE"):
            raise LocalProtocolError("no AUTHENTICATE or IDLE is waiting for a continuation")
        if self._mode in (_Mode.SASL, _Mode.IDLE):
            raise LocalProtocolError("a continuation was already sent; wait for the client")
        self._mode = _Mode.SASL if blocking.command.name == "AUTHENTICATE" else _Mode.IDLE

    # ---------------------------------------------------------------- framing

    def _too_long(self, length: int, head: bytes) -> bool:
        """Is a line of ``length`` bytes starting with ``head`` over the limit?"""
        limits = self.config.limits
        if self._state is not State.NOT_AUTHENTICATED:
            return length > limits.max_line
        return length > limits.max_line_before_auth and length > self._line_limit(head)

    def _line_limit(self, head: bytes) -> int:
        """The longest line allowed now; ``head`` is the start of the line."""
        limits = self.config.limits
        if self._state is not State.NOT_AUTHENTICATED:
            return limits.max_line
        limit = limits.max_line_before_auth
        if self._framed is None and limits.max_line_before_auth_by_command:
            name = read_tag_and_name(head[:_HEAD])[1]
            limit = max(limit, limits.max_line_before_auth_by_command.get(name or "", 0))
        return limit

    def _command_limit(self) -> int:
        limits = self.config.limits
        if self._state is State.NOT_AUTHENTICATED:
            return limits.max_command_before_auth
        return limits.max_command

    def _process(self) -> list[Event]:
        events: list[Event] = []
        self._stalled = False
        while True:
            self._process_buffer(events)
            if self.paused or self.output_full or not self._inflate_step(events):
                break
        if self.output_full and (self._buffer or self._held is not None or self._zin):
            # Output drives input: the rest waits until the output is taken.
            self._stalled = True
        return events

    def _process_buffer(self, events: list[Event]) -> None:
        buffer = self._buffer
        limits = self.config.limits
        while (
            (buffer or self._held is not None)
            and self._out_size < limits.max_unsent_output  # output_full, inlined
            and not self.paused
        ):
            if self._held is not None:
                held, self._held = self._held, None
                self._start(held, self.config.commands[held.name], events)
                continue
            mode = self._mode
            if mode is _Mode.LITERAL:
                self._literal_bytes(buffer.take(self._literal_left), events)
                continue
            if mode is _Mode.DISCARD:
                self._discard_left -= buffer.discard(self._discard_left)
                if self._discard_left == 0:
                    self._mode = _Mode.COMMAND
                continue
            if mode is _Mode.SKIP_LINE:
                self._skip_line(events)
                continue
            line = buffer.take_line()
            if line is None:
                if self._too_long(len(buffer), buffer.peek(_HEAD)):
                    self._line_too_long(events)
                    continue
                break
            if self._too_long(len(line) - 2, line):
                # A complete line can be longer than the limit when it
                # arrived in one chunk; treat it as if we had skipped it.
                self._overlong_complete_line(line, events)
            elif mode is _Mode.SASL:
                self._sasl_line(line, events)
            elif mode is _Mode.IDLE:
                self._idle_line(line, events)
            else:
                self._command_line(line, events)

    def _literal_bytes(self, chunk: bytes, events: list[Event]) -> None:
        """The next bytes of the literal being read (no more than it lacks)."""
        self._literal_left -= len(chunk)
        if self._sink is not None:
            self._spool(chunk, events)
            return
        self._literal.append(chunk)
        if self._literal_left == 0:
            framed = self._framed
            assert framed is not None
            pieces = self._literal
            literal = pieces[0] if len(pieces) == 1 else b"".join(pieces)
            pieces.clear()
            self._mode = _Mode.COMMAND
            self._end_literal(framed, literal)

    def _whole_command_line(self, line: bytes, events: list[Event]) -> bool:
        """Fast path for a command that is one line: parse it first.

        Returns False (nothing done) when the slow path must decide: a
        syntax error, an unknown command or one not valid in this state, so
        that every rejection is written by one piece of code.
        """
        try:
            command = parse_command(
                line,
                utf8=self._utf8,
                max_depth=self.config.limits.max_nesting,
                max_search_depth=self.config.limits.max_search_nesting,
                commands=self.config.commands,
                max_items=self.config.limits.max_list_items,
                max_ranges=self.config.limits.max_set_ranges,
            )
        except ParseError:
            return False
        spec = self.config.commands[command.name]
        if self._state not in spec.states:
            return False
        self.command_count += 1
        if self._state is State.NOT_AUTHENTICATED:
            self._commands_before_auth += 1
            if self._commands_before_auth > self.config.max_commands_before_auth:
                events.append(self._bye("Too many commands before login"))
                return True
        self._accept(command, spec, events)
        return True

    def _command_line(self, line: bytes, events: list[Event]) -> None:
        framed = self._framed
        if (
            framed is None
            and not line.endswith((b"}\r\n", b"}\n"))
            and len(line) <= self._command_limit()
            and self._whole_command_line(line, events)
        ):
            return
        if framed is None:
            framed = self._start_command(line, events)
            if framed is None:
                return
            self._framed = framed
        framed.size += len(line)
        announcement = literal_at_end(line)
        if not framed.poisoned and framed.size > self._command_limit():
            self._poison(framed, "Command too long", AtomCode(name="TOOBIG"), events)
        if framed.poisoned:
            self._continue_poisoned(announcement, events)
            return
        framed.parts.append(line)
        if announcement is None:
            self._framed = None
            self._deliver(framed, events)
            return
        limits = self.config.limits
        if len(framed.parts) > 2 * limits.max_list_items:
            # parts alternate lines and literals: each literal is an item of
            # some list (keys, messages...), so refuse here, before the
            # grammar, what the grammar would refuse (RFC 5530 LIMIT).
            text = f"Too many literals in one command (the limit is {limits.max_list_items})"
            self._poison(framed, text, AtomCode(name="LIMIT"), events)
            if not announcement.synchronizing:
                # A client that goes on sending literals without waiting
                # would cost a step per literal to drop: end it (as RFC
                # 7888 4 allows for a literal over a limit).
                events.append(self._bye(text, AtomCode(name="LIMIT")))
                return
            self._continue_poisoned(announcement, events)
            return
        before = line[: announcement.start].rstrip(b" ").upper()
        # Any literal of APPEND or REPLACE but the mailbox name's, and not a
        # CATENATE URL sent as a literal (its TEXT parts count: RFC 4469 5).
        append_message = (
            framed.mailbox_literal is not None
            and not (
                len(framed.parts) == 1
                and framed.mailbox_literal.search(line, 0, announcement.start) is not None
            )
            and not before.endswith((b" URL", b"(URL"))
        )
        limit = limits.max_append_literal if append_message else limits.max_literal
        size = announcement.size
        too_big = size is None or size > limit or framed.size + size > self._command_limit()
        if too_big:
            what = "Message" if append_message else "Literal"
            text = f"{what} too big (the limit is {limit} bytes)"
            if announcement.synchronizing:
                # RFC 7889 4 / RFC 4469: an APPEND over the limit gets
                # NO [TOOBIG]; other commands a BAD.  No "+" is sent, so the
                # client sends no literal: the next line is a new command.
                self._framed = None
                status = Status.NO if append_message else Status.BAD
                self._reject(
                    framed.tag, text, status=status, code=AtomCode(name="TOOBIG"), events=events
                )
                return
            if self.config.oversize_policy is OversizePolicy.DISCONNECT:
                # RFC 7888 4, choice 2.
                events.append(self._bye(text, AtomCode(name="TOOBIG")))
                return
            # RFC 7888 4, choice 1: read the literal, drop it, reject anyway.
            self._poison(framed, text, AtomCode(name="TOOBIG"), events)
            self._continue_poisoned(announcement, events)
            return
        assert size is not None
        framed.size += size
        self._aside = None
        if append_message:
            framed.messages += 1
            factory = self.config.literal_sink_factory
            if factory is not None and size > limits.spool_literal_above:
                if not self._open_sink(factory, framed, announcement, size, events):
                    return
            elif size:
                # Kept aside: the parser sees an empty literal in its place.
                self._aside = (
                    framed.messages - 1,
                    len(framed.parts) - 1,
                    line,
                    announcement.binary,
                )
                framed.parts[-1] = line[: announcement.start] + (
                    b"~{0}\r\n" if announcement.binary else b"{0}\r\n"
                )
        if announcement.synchronizing:
            self._emit(ContinuationRequest(text="Ready for literal data"))
        if size == 0:
            framed.parts.append(b"")
        else:
            self._mode = _Mode.LITERAL
            self._literal_left = size

    def _open_sink(
        self,
        factory: LiteralSinkFactory,
        framed: _Framed,
        announcement: LiteralAnnouncement,
        size: int,
        events: list[Event],
    ) -> bool:
        """Send a big APPEND literal to a sink (a file) as it arrives, so no
        connection holds it in memory whatever it announces."""
        try:
            self._sink = factory(size)
        except Exception:  # the adapter's failure (no space, no directory)
            text = "Cannot take the message now"
            if announcement.synchronizing:
                self._framed = None
                self._reject(framed.tag, text, status=Status.NO, code=_UNAVAILABLE, events=events)
            else:
                self._poison(framed, text, _UNAVAILABLE, events)
                self._continue_poisoned(announcement, events)
            return False
        self._sink_index = framed.messages - 1
        self._sink_binary = announcement.binary
        self._sink_nul = self._sink_bad = False
        # The parser sees an empty literal in its place (see _deliver).
        line = framed.parts[-1]
        framed.parts[-1] = line[: announcement.start] + (
            b"~{0}\r\n" if announcement.binary else b"{0}\r\n"
        )
        return True

    def _spool(self, chunk: bytes, events: list[Event]) -> None:
        sink = self._sink
        assert sink is not None
        if not self._sink_binary and not self._sink_nul and b"\x00" in chunk:
            self._sink_nul = self._sink_bad = True
        if not self._sink_bad:
            try:
                sink.write(chunk)
            except Exception:
                self._sink_bad = True
        if self._literal_left:
            return
        self._sink = None
        self._mode = _Mode.COMMAND
        framed = self._framed
        assert framed is not None
        source = None
        if not self._sink_bad:
            try:
                source = sink.finish()
            except Exception:
                source = None
        if source is None:
            with contextlib.suppress(Exception):
                sink.discard()
            if self._sink_nul:
                # The grammar's own answer for a NUL outside a literal8.
                text = f"{framed.name}: NUL in literal (only literal8 may hold NUL)"
                self._poison(framed, text, AtomCode(name="CLIENTBUG"), events)
            else:
                self._poison(framed, "Cannot take the message now", _UNAVAILABLE, events)
            return
        framed.spooled[self._sink_index] = source
        framed.parts.append(b"")

    def _end_literal(self, framed: _Framed, literal: bytes) -> None:
        """A literal read whole: into the command's bytes, or aside."""
        aside, self._aside = self._aside, None
        if aside is None:
            framed.parts.append(literal)
            return
        index, at, line, binary = aside
        if not binary and b"\x00" in literal:
            # The grammar's own answer, from the bytes as sent.
            framed.parts[at] = line
            framed.parts.append(literal)
            return
        framed.spooled[index] = literal
        framed.aside[index] = (at, line)
        framed.parts.append(b"")

    def _drop_spooled(self, framed: _Framed | None) -> None:
        """Release what a command that will never run spooled."""
        if self._sink is not None:
            sink, self._sink = self._sink, None
            with contextlib.suppress(Exception):
                sink.discard()
        if framed is not None:
            for source in framed.spooled.values():
                if not isinstance(source, bytes):
                    with contextlib.suppress(Exception):
                        source.close()
            framed.spooled.clear()
            framed.aside.clear()

    def _start_command(self, line: bytes, events: list[Event]) -> _Framed | None:
        """Read the tag and name of a new command; poison it if unacceptable."""
        tag, name, sub = read_tag_and_name(line)
        if line in (b"\r\n", b"\n"):
            self._reject(None, "Empty command line", code=AtomCode(name="CLIENTBUG"), events=events)
            return None
        framed = _Framed(tag=tag, name=name or "")
        if tag is None:
            # RFC 3501 7.1.3: untagged BAD when no tag can be read.
            self._poison(framed, "Missing or invalid tag", AtomCode(name="CLIENTBUG"), events)
            return framed
        if name is None:
            if self._state is State.NOT_AUTHENTICATED and line.strip(b"\r\n") != tag.encode():
                # Not IMAP at all (an HTTP request line, say): end it here.
                events.append(self._bye("This is an IMAP server"))
                return None
            self._poison(framed, "Missing command name", AtomCode(name="CLIENTBUG"), events)
            return framed
        commands = self.config.commands
        uid = name == "UID"
        spec = commands.get((sub or "") if uid else name)
        if spec is None and not uid:
            if self._state is State.NOT_AUTHENTICATED:
                events.append(self._bye(f"Unknown command {name} before login"))
                return None
            self._poison(framed, f"Unknown command {name}", AtomCode(name="CLIENTBUG"), events)
            return framed
        if spec is None or (uid and not spec.names_messages):
            # RFC 3501 6.4.8: UID prefixes only the commands that name messages.
            uid_commands = sorted(s.name for s in commands.values() if s.names_messages)
            text = "UID must be followed by " + ", ".join(uid_commands)
            self._poison(framed, text, AtomCode(name="CLIENTBUG"), events)
            return framed
        if self._state not in spec.states:
            text = f"{name} is not valid in the {self._state.value} state"
            self._poison(framed, text, AtomCode(name="CLIENTBUG"), events)
        framed.mailbox_literal = _MAILBOX_LITERALS.get(spec.name)
        return framed

    def _poison(self, framed: _Framed, text: str, code: ResponseCode, events: list[Event]) -> None:
        """Reject a command now and drop the rest of it as it arrives."""
        if framed.poisoned:
            return
        framed.poisoned = True
        framed.parts.clear()
        self._drop_spooled(framed)
        self._reject(framed.tag, text, code=code, events=events)

    def _continue_poisoned(
        self, announcement: LiteralAnnouncement | None, events: list[Event]
    ) -> None:
        """After a line of a rejected command: drop its literal, or end it."""
        if announcement is None or announcement.synchronizing:
            # Without a "+" the client sends no literal: the command ends here.
            self._framed = None
            return
        if announcement.size is None or (
            self.config.oversize_policy is OversizePolicy.DISCONNECT
            and announcement.size > self.config.limits.max_append_literal
        ):
            events.append(self._bye("Literal too big", AtomCode(name="TOOBIG")))
            return
        if announcement.size > 0:
            self._mode = _Mode.DISCARD
            self._discard_left = announcement.size

    def _reject_overlong(self, head: bytes, events: list[Event]) -> None:
        text = f"Command line too long (the limit is {self._line_limit(head)} bytes)"
        if self._mode is _Mode.SASL or self._mode is _Mode.IDLE:
            self._end_subflow(text, events)
            return
        framed = self._framed
        if framed is None:
            tag, name, _ = read_tag_and_name(head)
            framed = _Framed(tag=tag, name=name or "")
            self._framed = framed
        self._poison(framed, text, AtomCode(name="TOOBIG"), events)

    def _line_too_long(self, events: list[Event]) -> None:
        """No LF within the limit: reject, then drop the line as it arrives."""
        self._reject_overlong(self._buffer.peek(_HEAD), events)
        self._skip_tail = self._buffer.tail(_TAIL)
        self._buffer.clear()
        self._mode = _Mode.SKIP_LINE

    def _skip_line(self, events: list[Event]) -> None:
        line = self._buffer.take_line()
        if line is None:
            self._skip_tail = (self._skip_tail + self._buffer.tail(_TAIL))[-_TAIL:]
            self._buffer.clear()
            return
        tail = (self._skip_tail + line)[-_TAIL:]
        self._skip_tail = b""
        self._mode = _Mode.COMMAND
        if self._framed is not None:
            # A literal announced at the end of the dropped line is dropped
            # too, or its bytes would be read as commands.
            self._continue_poisoned(literal_at_end(tail), events)

    def _overlong_complete_line(self, line: bytes, events: list[Event]) -> None:
        """A whole line over the limit arrived at once: same answer as above."""
        self._reject_overlong(line[:_HEAD], events)
        self._mode = _Mode.COMMAND
        if self._framed is not None:
            self._continue_poisoned(literal_at_end(line[-_TAIL:]), events)

    def _end_subflow(self, text: str, events: list[Event]) -> None:
        blocking = self._blocking
        assert blocking is not None
        self._drop_pending(blocking)
        self._blocking = None
        mode = self._mode
        self._mode = _Mode.COMMAND
        self._reject(blocking.tag, text, events=events)
        if mode is _Mode.SASL:
            events.append(AuthenticateCancelled(tag=blocking.tag, reason=text))
        else:
            events.append(IdleDone(tag=blocking.tag, aborted=True))

    def _sasl_line(self, line: bytes, events: list[Event]) -> None:
        blocking = self._blocking
        assert blocking is not None
        data = line.rstrip(b"\r\n")
        if data == b"*":
            # RFC 3501 6.2.2: "*" cancels; the server answers tagged BAD.
            self._end_subflow("AUTHENTICATE cancelled", events)
            return
        try:
            decoded = binascii.a2b_base64(data, strict_mode=True) if data else b""
        except (binascii.Error, ValueError):
            self._end_subflow("Invalid BASE64 in the SASL response", events)
            return
        self._mode = _Mode.COMMAND  # paused again until the app answers
        events.append(AuthenticateResponse(tag=blocking.tag, data=Secret(decoded)))

    def _idle_line(self, line: bytes, events: list[Event]) -> None:
        blocking = self._blocking
        assert blocking is not None
        if line.rstrip(b"\r\n").upper() == b"DONE":
            # RFC 2177 3: DONE ends IDLE; the app sends the tagged OK.
            self._mode = _Mode.COMMAND  # paused again until the app answers
            events.append(IdleDone(tag=blocking.tag))
            return
        self._end_subflow("Expected DONE to end IDLE", events)

    def _deliver(self, framed: _Framed, events: list[Event]) -> None:
        self.command_count += 1
        if self._state is State.NOT_AUTHENTICATED:
            self._commands_before_auth += 1
            if self._commands_before_auth > self.config.max_commands_before_auth:
                self._drop_spooled(framed)
                events.append(self._bye("Too many commands before login"))
                return
        try:
            command = self._parse_framed(framed)
        except ParseError as exc:
            self._reject(
                framed.tag,
                f"{framed.name}: {exc.message} at byte {exc.offset}",
                code=AtomCode(name=exc.code or "CLIENTBUG"),
                events=events,
            )
            self._drop_spooled(framed)
            return
        if framed.spooled:
            command = self._with_spooled(command, framed)
        self._accept(command, self.config.commands[command.name], events)

    def _parse(self, data: bytes) -> Command:
        limits = self.config.limits
        return parse_command(
            data,
            utf8=self._utf8,
            max_depth=limits.max_nesting,
            max_search_depth=limits.max_search_nesting,
            commands=self.config.commands,
            max_items=limits.max_list_items,
            max_ranges=limits.max_set_ranges,
        )

    def _parse_framed(self, framed: _Framed) -> Command:
        """Parse a framed command (raises ParseError)."""
        parts = framed.parts
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        aside = framed.aside
        if not aside:
            parts.clear()  # the literals are in ``data`` now: one copy held
            return self._parse(data)
        try:
            command: Command | None = self._parse(data)
        except ParseError:
            command = None
        if (
            isinstance(command, Append)
            and len(command.messages) == framed.messages
            and all(command.messages[i].data == b"" for i in aside)
        ):
            parts.clear()
            return command
        # Not the APPEND the framing took it for, or a syntax error (whose
        # offset counts the literals' bytes): parse the bytes as sent.
        for index, (at, line) in aside.items():
            parts[at] = line
            literal = framed.spooled.pop(index)
            assert isinstance(literal, bytes)
            parts[at + 1] = literal
        aside.clear()
        data = b"".join(parts)
        parts.clear()
        return self._parse(data)

    def _with_spooled(self, command: Command, framed: _Framed) -> Command:
        """Put the spooled sources where the parser saw empty literals."""
        spooled = framed.spooled
        # REPLACE has one message, which may be a CATENATE (RFC 8508 4.2).
        given = (
            command.messages
            if isinstance(command, Append)
            else (command.message,)
            if isinstance(command, Replace)
            else ()
        )
        literals = sum(sum(p.url is None for p in m.catenate) if m.catenate else 1 for m in given)
        if not given or literals != framed.messages:
            self._drop_spooled(framed)  # not reached: every message is a literal
            return command
        # The message literals and CATENATE's TEXT literals, in their order
        # (a CATENATE URL is a string, not counted: see _command_line).
        index = 0
        messages: list[AppendMessage] = []
        for message in given:
            if not message.catenate:
                spool = spooled.get(index)
                index += 1
                messages.append(message if spool is None else _frozen.replace(message, data=spool))
                continue
            parts: list[CatenatePart] = []
            for part in message.catenate:
                spool = spooled.get(index) if part.url is None else None
                index += part.url is None
                parts.append(part if spool is None else _frozen.replace(part, data=spool))
            messages.append(_frozen.replace(message, catenate=tuple(parts)))
        if isinstance(command, Replace):
            return _frozen.replace(command, message=messages[0])
        assert isinstance(command, Append)  # ``given`` is empty otherwise
        return _frozen.replace(command, messages=tuple(messages))

    def _accept(self, command: Command, spec: CommandSpec, events: list[Event]) -> None:
        """A valid command: hand it on now, or hold it (see below)."""
        self._bad_streak = 0
        if spec.names_messages and self._view is not None and self._pending:
            # RFC 3501 5.5: commands run in order.  A command that names
            # messages by number (or *, or $) is read against the numbering
            # the earlier commands leave (EXPUNGE, APPEND, SEARCH SAVE), so it
            # waits until they are answered.
            self._held = command
            return
        self._start(command, spec, events)

    def _start(self, command: Command, spec: CommandSpec, events: list[Event]) -> None:
        """Resolve a parsed command against the view and hand it to the app."""
        names_messages = spec.names_messages
        if names_messages and self._uidonly and _names_sequence_numbers(command):
            # RFC 9586 3: after ENABLE UIDONLY "the server MUST reject" any
            # command that uses message sequence numbers (the text is the
            # section's example's).
            self._reject(
                command.tag,
                "Message numbers are not allowed once UIDONLY is enabled",
                code=AtomCode(name="UIDREQUIRED"),
                events=events,
            )
            return
        try:
            if names_messages and self._view is not None:
                command = self._resolve_messages(command)
        except InvalidSequenceNumber as exc:
            # RFC 9051 6.4.4: a number the client was never told is an error.
            self._reject(
                command.tag,
                f"Invalid message sequence number: {exc}",
                code=AtomCode(name="CLIENTBUG"),
                events=events,
            )
            return
        seq = self._delivered = self._delivered + 1
        # A non-UID FETCH/STORE/SEARCH/SORT/THREAD: no EXPUNGE while it is pending.
        blocks = spec.no_expunge and not getattr(command, "uid", False)
        tag = command.tag
        pending = _Pending(tag, command, seq, blocks)  # positional: cheaper
        self._pending[seq] = pending
        seqs = self._pending_tags.get(tag)
        if seqs is None:
            self._pending_tags[tag] = [seq]
        else:
            seqs.append(seq)
        if blocks:
            self._expunge_blockers += 1
        if spec.pauses:
            self._blocking = pending
        events.append(command)
