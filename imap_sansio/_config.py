"""Limits and policy for one connection."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from ._frozen import dataclass, field, replace
from ._parser import COMMANDS, MAX_SEARCH_NESTING, CommandSpec
from ._source import LiteralSinkFactory

__all__ = ["Config", "GreetingStatus", "Limits", "OversizePolicy"]

KiB = 1024
MiB = 1024 * KiB


class OversizePolicy(enum.Enum):
    """What to do with a non-synchronising literal over its limit (RFC 7888 4)."""

    #: Read and drop its bytes (bounded memory), answer tagged BAD [TOOBIG].
    DISCARD = "discard"
    #: Send ``* BYE [TOOBIG]`` and close the connection.
    DISCONNECT = "disconnect"


class GreetingStatus(enum.Enum):
    OK = "OK"
    PREAUTH = "PREAUTH"
    BYE = "BYE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Sizes and counts, all checked when announced, never after buffering.

    Defaults follow Dovecot: 8 KiB command lines before login, 64 KiB after;
    ordinary literals up to 4 KiB (what LITERAL- allows without a ``+``).
    """

    max_line_before_auth: int = 8 * KiB
    max_line: int = 64 * KiB
    #: Commands whose lines may be longer before login, by name.  ID: RFC
    #: 2971 3.3 allows 30 pairs of 30-octet fields and 1024-octet values.
    max_line_before_auth_by_command: Mapping[str, int] = field(
        default_factory=lambda: {"ID": 32 * KiB}
    )
    #: Any literal that is not an APPEND message.
    max_literal: int = 4 * KiB
    #: One APPEND message literal; advertised as APPENDLIMIT (RFC 7889).
    max_append_literal: int = 64 * MiB
    #: A whole command, lines and literals, before login.
    max_command_before_auth: int = 64 * KiB
    #: A whole command, lines and literals (MULTIAPPEND included).
    max_command: int = 128 * MiB
    #: Commands delivered to the app and not yet answered; beyond it the
    #: engine stops reading until answers go out.
    max_pipelined: int = 64
    #: Input held while the engine is paused (waiting for the app) or its
    #: output is full, compressed input included; beyond it the connection
    #: ends with BYE.
    max_buffered_input: int = 1 * MiB
    #: Parenthesis nesting in a command's lists.
    max_nesting: int = 16
    #: Nesting of SEARCH keys (parentheses, NOT, OR together), which recurse
    #: deeper; a deeper SEARCH, SORT or THREAD is answered BAD.
    max_search_nesting: int = MAX_SEARCH_NESTING
    #: Output queued and not yet taken by :meth:`ConnectionState.data_to_send`,
    #: in bytes before COMPRESS.  While this much waits, the engine delivers
    #: no further pipelined command (``output_full``); taking the output lets
    #: :meth:`ConnectionState.next_events` go on.  The output held is this
    #: plus the answer to the command that crossed it.
    max_unsent_output: int = 256 * KiB
    #: List items in one command, over all its lists, counted while parsing:
    #: SEARCH/SORT/THREAD keys (each key, nested ones included), sort
    #: criteria, FETCH attributes, flags, section part numbers, header field
    #: names, STATUS items, LIST patterns and options, ENABLE capabilities,
    #: NOTIFY groups and mailboxes, METADATA entries, MULTIAPPEND messages;
    #: and the literals of one command, counted while framing.  Over it the
    #: command gets ``BAD [LIMIT]`` (RFC 5530) before it is built.  Literals
    #: keep each line short, so the line limits alone do not bound these.
    max_list_items: int = 10_000
    #: Ranges (``1,3:5`` is two) over all sequence sets and UID sets of one
    #: command, counted while parsing; over it ``BAD [LIMIT]``.  Higher than
    #: ``max_list_items``: one 64 KiB line can hold 13,000 ranges, and
    #: synchronising clients send such sets.
    max_set_ranges: int = 100_000
    #: The most :meth:`ConnectionState.data_to_send` returns at a time
    #: (before COMPRESS).  Message data is read from the store only as it
    #: is taken, so this is what a big FETCH holds in memory at once; the
    #: literal's bytes not taken yet count toward ``max_unsent_output``.
    max_output_piece: int = 256 * KiB
    #: APPEND message literals larger than this go to
    #: ``Config.literal_sink_factory`` (a file) as they arrive, never into
    #: one bytes object; smaller ones (and all without a factory) to memory.
    spool_literal_above: int = 1 * MiB


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything about a connection that the app decides once."""

    limits: Limits = field(default_factory=Limits)
    greeting_status: GreetingStatus = GreetingStatus.OK
    greeting_text: str = "imap-sansio ready."
    #: IMAP4rev1 (RFC 3501) and/or IMAP4rev2 (RFC 9051).
    versions: tuple[str, ...] = ("IMAP4rev1",)
    #: Extensions advertised before login (the engine adds STARTTLS,
    #: LOGINDISABLED, AUTH=..., LITERAL+/LITERAL- itself).
    capabilities_before_auth: tuple[str, ...] = ("SASL-IR", "ID", "ENABLE", "IDLE")
    #: Extensions advertised after login (the engine adds APPENDLIMIT and
    #: LITERAL+/LITERAL-).
    capabilities: tuple[str, ...] = ("ID", "ENABLE", "IDLE")
    #: SASL mechanisms offered.  Those of ``PLAINTEXT_MECHANISMS`` (PLAIN,
    #: LOGIN and the bearer-token ones) follow ``allow_plaintext_auth``; a
    #: ``-PLUS`` one is offered once the connection has a channel binding
    #: (:meth:`ConnectionState.set_channel_binding`).
    auth_mechanisms: tuple[str, ...] = ("PLAIN",)
    #: Offer LOGIN and plaintext mechanisms on an insecure transport.
    allow_plaintext_auth: bool = False
    #: Advertise LITERAL- (non-synchronising literals up to 4096 bytes)
    #: instead of LITERAL+.
    literal_minus: bool = False
    #: STARTTLS can be offered (the adapter has a certificate).
    tls_available: bool = False
    oversize_policy: OversizePolicy = OversizePolicy.DISCARD
    #: Consecutive tagged BADs after which the engine sends BYE (Dovecot: 20).
    max_bad_commands: int = 20
    #: Commands a client may send before it logs in.
    max_commands_before_auth: int = 30
    #: The command table, by name: the grammar, the state table, the pausing
    #: rules and the view read it.  An application adds its own commands
    #: with :meth:`with_commands`.
    commands: Mapping[str, CommandSpec] = field(default_factory=lambda: COMMANDS)
    #: Gives a sink (a file) for each APPEND literal over
    #: ``Limits.spool_literal_above``, called with its announced size; the
    #: APPEND event then carries the sink's :class:`MessageSource` instead
    #: of bytes.  None keeps every literal in memory.  The core does no
    #: I/O: the adapters pass one (``imap_sansio.adapters.spool``).
    literal_sink_factory: LiteralSinkFactory | None = None

    def with_commands(self, *specs: CommandSpec) -> Config:
        """This config with ``specs`` added to (or replacing) its commands."""
        return replace(self, commands={**self.commands, **{s.name: s for s in specs}})
