"""Events that are not commands: sub-flow input and the end of the stream.

Command events (one class per IMAP command) live in ``_commands``; these are
the events the engine produces while a command has taken over the line
(AUTHENTICATE, IDLE) and when the connection ends.
"""

from __future__ import annotations

from typing import TypeAlias

from ._commands import Command
from ._frozen import dataclass
from ._secret import Secret

__all__ = [
    "AuthenticateCancelled",
    "AuthenticateResponse",
    "ConnectionClosed",
    "Event",
    "IdleDone",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthenticateResponse:
    """One client response line of an AUTHENTICATE exchange, base64-decoded.

    RFC 3501 6.2.2: the client answers each server challenge with a line of
    BASE64 data.  The app checks it and sends another challenge
    (``ContinuationRequest(data=...)``) or the tagged completion.
    """

    tag: str
    data: Secret[bytes]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthenticateCancelled:
    """The client cancelled AUTHENTICATE with ``*`` or sent invalid BASE64.

    The engine has already answered with the tagged BAD that RFC 3501 6.2.2
    requires; the app must not answer this tag again.
    """

    tag: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IdleDone:
    """The client ended IDLE (RFC 2177).

    ``aborted`` is False when the client sent ``DONE``; the app then sends the
    tagged OK.  When the client sent anything else, ``aborted`` is True and
    the engine has already answered with a tagged BAD.
    """

    tag: str
    aborted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed:
    """The stream ended: the peer closed it, or the engine sent BYE."""

    reason: str = "peer closed the connection"


Event: TypeAlias = (
    Command | AuthenticateResponse | AuthenticateCancelled | IdleDone | ConnectionClosed
)
