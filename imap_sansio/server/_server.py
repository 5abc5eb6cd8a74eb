"""IMAPServer: the command table of every handler module, over one Backend.

``IMAPServer(backend, clock=...)`` holds what its sessions share (the
backend, options, the command table); ``server.connect()`` gives a
:class:`Session` with the same bytes-in/bytes-out surface as the core
engine.  The layers inside this package, each importing only those below::

    _server                IMAPServer: collects the handler modules' tables
    _notify                NOTIFY (RFC 5465), above _cmd_message: its FETCH
    _cmd_session ...       one module per command family (as go-imap v2):
    _cmd_mailbox           each declares the commands it answers (a
    _cmd_message           ServerCommand: the core's record plus handler and
    _cmd_search            capabilities), what ENABLE can turn on, and the
    _cmd_thread            capabilities an account's optional protocols bring
    _contexts _sort_keys   what the search commands share
    _search _condstore
    _session _cache        Session, Completion/PENDING, the record, helpers
    _mailboxes names       mailbox-name and LIST rules
    _backend               the Backend protocol
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from .. import _frozen
from .._commands import Command
from .._config import Config, Limits
from .._connection import ConnectionState
from .._parser import CommandSpec
from .._source import LiteralSinkFactory
from . import (
    _cmd_acl,
    _cmd_mailbox,
    _cmd_message,
    _cmd_metadata,
    _cmd_multisearch,
    _cmd_search,
    _cmd_session,
    _cmd_thread,
    _cmd_urlauth,
    _notify,
)
from ._backend import Account, Backend, ChangeNotice
from ._cache import MessageCache
from ._metadata import MetadataLimits
from ._sasl import SaslMechanism
from ._session import ServerCommand, Session

__all__ = ["IMAPServer"]

_FAMILIES = (
    _cmd_session,
    _cmd_mailbox,
    _cmd_message,
    _cmd_search,
    _cmd_thread,
    _cmd_urlauth,
    _cmd_metadata,
    _cmd_multisearch,
    _notify,
    _cmd_acl,
)

#: The commands the handler modules answer, by name.
SERVER_COMMANDS: Mapping[str, ServerCommand[Any]] = {
    spec.name: spec for family in _FAMILIES for spec in family.COMMANDS
}

#: Extensions the handlers implement (RFC numbers beside their records);
#: advertised after login.
BASE_CAPABILITIES: tuple[str, ...] = tuple(
    dict.fromkeys(c for spec in SERVER_COMMANDS.values() for c in spec.capabilities)
)

#: Capabilities that follow from an optional protocol of the account.
ACCOUNT_CAPABILITIES: tuple[tuple[str, type], ...] = (
    *_cmd_mailbox.ACCOUNT_CAPABILITIES,
    *_cmd_session.ACCOUNT_CAPABILITIES,
    *_cmd_message.ACCOUNT_CAPABILITIES,
    *_cmd_urlauth.ACCOUNT_CAPABILITIES,
    *_cmd_metadata.ACCOUNT_CAPABILITIES,
    *_cmd_acl.ACCOUNT_CAPABILITIES,
)

#: Capabilities that also need ``random_bytes`` (URLAUTH's keys).
_NEED_RANDOM = frozenset(name for name, _ in _cmd_urlauth.ACCOUNT_CAPABILITIES)

#: Names ENABLE can turn on (RFC 5161), as the handlers support them.
ENABLEABLE: frozenset[str] = frozenset().union(*(family.ENABLEABLE for family in _FAMILIES))


class IMAPServer:
    """A complete IMAP server without I/O, over one :class:`Backend`.

    ``clock`` (required) is a callable returning an aware datetime: the
    default internal date of APPEND and the "now" of SEARCH YOUNGER/OLDER.
    Pure code never reads the clock, so adapters pass the wall clock and
    tests a fixed one.  Options: ``config`` (the core's limits and policy;
    capabilities and the command table are filled in here), ``greeting``,
    ``capabilities`` (extra strings to advertise after login),
    ``allow_plaintext_auth``, ``id_info`` (fields of the ID response),
    ``on_error`` (called with every unexpected exception a handler raised),
    ``on_command`` (called with each command before it runs) and
    ``on_login`` (called with the user name and whether the login succeeded)
    and ``admit_login`` (called when credentials were accepted, before the
    session logs in; it raises :class:`ImapNo` to refuse, e.g. ``NO [LIMIT]``
    for a user with too many sessions); ``sasl_mechanisms``: AUTHENTICATE
    mechanisms offered besides PLAIN and LOGIN (see :mod:`._sasl`).
    ``progress_interval``: send ``* OK [INPROGRESS ...]`` (RFC 9585) every
    that many messages a SEARCH, SORT or THREAD works through and before a
    longer COPY, MOVE or EXPUNGE, and advertise INPROGRESS; None (the
    default) sends none.  The handlers run to completion, so the notices
    reach the client when the adapter next writes, with the result.
    ``random_bytes``: called with a count, returns that many secret random
    bytes (``secrets.token_bytes``; pure code reads no randomness itself):
    the URLAUTH mailbox access keys (RFC 4467); without it URLAUTH is not
    advertised.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Callable[[], datetime],
        config: Config | None = None,
        greeting: str = "imap-sansio ready.",
        capabilities: Iterable[str] = (),
        allow_plaintext_auth: bool = False,
        id_info: Mapping[str, str] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_command: Callable[[Session, Command], None] | None = None,
        on_login: Callable[[Session, str, bool], None] | None = None,
        admit_login: Callable[[Session, str], None] | None = None,
        sasl_mechanisms: Iterable[SaslMechanism] = (),
        progress_interval: int | None = None,
        random_bytes: Callable[[int], bytes] | None = None,
    ) -> None:
        self.backend = backend
        #: Secret random bytes for URLAUTH keys (None: no URLAUTH).
        self.random_bytes = random_bytes
        self.clock = clock
        self.on_error = on_error
        #: Called with each command before it runs (for logging: the event's
        #: repr hides passwords and SASL data).
        self.on_command = on_command
        #: Called after each LOGIN/AUTHENTICATE with the user name and outcome.
        self.on_login = on_login
        #: Called with the user name once its credentials were accepted and
        #: before the session logs in; raises ImapNo to refuse the login.
        self.admit_login = admit_login
        #: Parsed messages shared by every session (see :class:`MessageCache`).
        self.message_cache = MessageCache()
        #: AUTHENTICATE mechanisms besides PLAIN and LOGIN, by name
        #: (:class:`OAuthBearer`, SCRAM from ``adapters.accounts``...).
        self.sasl_mechanisms: dict[str, SaslMechanism] = {
            m.name.upper(): m for m in sasl_mechanisms
        }
        self.id_info = dict(id_info or {"name": "imap-sansio", "version": "0.1.0"})
        base = config or Config(limits=Limits())
        #: The command table of this server: the core's records (those no
        #: handler answers are refused with BAD), the handlers', and what
        #: :meth:`add_command` added.
        self.commands: dict[str, CommandSpec] = {**base.commands, **SERVER_COMMANDS}
        self._extra_capabilities: list[str] = []
        if progress_interval is not None and progress_interval < 1:
            raise ValueError("progress_interval must be at least 1 (or None)")
        #: Messages worked through between two INPROGRESS notices (RFC 9585).
        self.progress_interval = progress_interval
        #: Steps of a long command (a FETCH message, a few messages of a
        #: SEARCH) one call into a session runs before it returns with the
        #: command still in progress (``output_held``; ``pump`` goes on), so
        #: that an adapter serving many sessions on one thread can serve the
        #: others in between (the adapters set it); None: run to the end.
        self.steps_per_call: int | None = None
        #: What SETMETADATA accepts (RFC 5464 4.3); replace to change it.
        self.metadata_limits = MetadataLimits()
        #: Users "granted a "submit" role within the authentication system"
        #: (RFC 4467 4): the logins of submission servers, which may URLFETCH
        #: a ``submit+<user>`` URL.  Nobody by default.
        self.submit_users: frozenset[str] = frozenset()
        if progress_interval is not None:
            self._extra_capabilities.append("INPROGRESS")  # RFC 9585 2
        for name in capabilities:
            self._check_capability(name)
            self._extra_capabilities.append(name)
        self._base_config = _frozen.replace(
            base,
            greeting_text=greeting,
            # RFC 9051 appendix A: both, so that a client of either version
            # can use the server; "ENABLE IMAP4rev2" turns on version 2.
            versions=("IMAP4rev1", "IMAP4rev2"),
            allow_plaintext_auth=allow_plaintext_auth or base.allow_plaintext_auth,
            auth_mechanisms=("PLAIN", "LOGIN", *self.sasl_mechanisms),
            capabilities_before_auth=("SASL-IR", "ID", "ENABLE", "IDLE"),
        )
        #: Where big APPEND literals go (``Config.literal_sink_factory``);
        #: the adapters set a temporary-file sink when none was given.
        self.literal_sink_factory: LiteralSinkFactory | None = base.literal_sink_factory
        #: Names ENABLE can turn on (RFC 5161), as the handlers support them.
        self.enableable: set[str] = set(ENABLEABLE)
        # Shared by the sessions (a value each would cost memory per
        # connection): the config given to new connections, by
        # ``tls_available``, and the capability lists after login.  Both
        # are rebuilt when add_command changes what goes into them.
        self._connect_configs: dict[bool, Config] = {}
        self._capability_lists: dict[tuple[str, ...], tuple[str, ...]] = {}

    def share_between_threads(
        self, lock_factory: Callable[[], contextlib.AbstractContextManager[object]]
    ) -> None:
        """Make what the sessions share safe for sessions running at once in
        several threads (the adapters call it with ``threading.Lock`` when the
        backend is thread-safe; this layer imports no threads, so the lock
        comes from outside).

        Only the message cache needs a lock: its look-up-then-move and
        insert-then-evict are several steps.  The connect configs and the
        capability lists are filled by single dict stores of values that do
        not depend on who computes them, which the GIL makes atomic (a race
        computes the same value twice); the command table changes only in
        :meth:`add_command`, which is set-up, before serving.
        """
        if isinstance(self.message_cache.lock, contextlib.nullcontext):
            self.message_cache.lock = lock_factory()

    # ------------------------------------------------------------ extension

    def add_command(self, command: ServerCommand[Any]) -> None:
        """Answer a command of the application's own (as the seed's
        ``add_command`` does), for this server's sessions only.

        ``command`` is the whole record: its name, parser, states and
        handler, and the capabilities its handler implements.
        """
        self.commands[command.name] = command
        self._extra_capabilities.extend(command.capabilities)
        self._connect_configs = {}
        self._capability_lists = {}

    def add_sasl_mechanism(self, mechanism: SaslMechanism) -> None:
        """Offer ``mechanism`` for AUTHENTICATE to new sessions (``AUTH=<name>``)."""
        self.sasl_mechanisms[mechanism.name.upper()] = mechanism
        self._base_config = _frozen.replace(
            self._base_config, auth_mechanisms=("PLAIN", "LOGIN", *self.sasl_mechanisms)
        )
        self._connect_configs = {}

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
            name
            for name, protocol in ACCOUNT_CAPABILITIES
            if isinstance(account, protocol)
            and (self.random_bytes is not None or name not in _NEED_RANDOM)
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

    def connect(self, secure: bool = True, tls_available: bool = False) -> Session:
        """A new session; its greeting is already queued."""
        config = self._connect_configs.get(tls_available)
        if config is None or config.literal_sink_factory is not self.literal_sink_factory:
            config = _frozen.replace(
                self._base_config,
                tls_available=tls_available,
                capabilities=self.capabilities_after_auth(),
                commands=dict(self.commands),
                literal_sink_factory=self.literal_sink_factory,
            )
            self._connect_configs[tls_available] = config
        return Session(self, ConnectionState(config, secure=secure))
