r"""Connection states and their transitions (RFC 3501 section 3, RFC 9051 section 3).

This module knows nothing about bytes.  RFC 3501 3 draws the states so::

              +----------------------+
              |connection established|
              +----------------------+
                         ||
                         \/
       +--------------------------------------+
       |          server greeting             |
       +--------------------------------------+
                 || (1)       || (2)        || (3)
                 \/           ||            ||
       +-----------------+    ||            ||
       |Not Authenticated|    ||            ||
       +-----------------+    ||            ||
        || (7)   || (4)       ||            ||
        ||       \/           \/            ||
        ||     +----------------+           ||
        ||     | Authenticated  |<=++       ||
        ||     +----------------+  ||       ||
        ||       || (7)   || (5)   || (6)   ||
        ||       ||       \/       ||       ||
        ||       ||    +--------+  ||       ||
        ||       ||    |Selected|==++       ||
        ||       ||    +--------+           ||
        ||       ||       || (7)            ||
        \/       \/       \/                \/
       +--------------------------------------+
       |               Logout                 |
       +--------------------------------------+

    (1) connection without pre-authentication (OK greeting)
    (2) pre-authenticated connection (PREAUTH greeting)
    (3) rejected connection (BYE greeting)
    (4) successful LOGIN or AUTHENTICATE command
    (5) successful SELECT or EXAMINE command
    (6) CLOSE or UNSELECT command, unsolicited CLOSED response code, or
        failed SELECT or EXAMINE command
    (7) LOGOUT command, server shutdown, or connection closed

RFC 8437 3 adds one edge: a successful UNAUTHENTICATE, from Authenticated
or Selected, back to Not Authenticated.  RFC 8437 5's revised diagram numbers
it (7) and LOGOUT (8); here it is (8), keeping the numbers above.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = [
    "ANY_STATE",
    "DESELECTING_COMMANDS",
    "LOGGED_IN",
    "NOT_LOGGED_IN",
    "SELECTED_ONLY",
    "TRANSITIONS",
    "State",
    "next_state",
]


class State(enum.Enum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"

    # Members are singletons: hashing by identity is the same set semantics
    # without Enum's Python-level __hash__ (every command's state check).
    __hash__ = object.__hash__


#: The states a command can be valid in (the command table in
#: :mod:`imap_sansio._parser` names one of these for each command).
#: RFC 3501 6.1: any state.
ANY_STATE = frozenset({State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED})
#: RFC 3501 6.3: commands of the authenticated state are valid when selected too.
LOGGED_IN = frozenset({State.AUTHENTICATED, State.SELECTED})
#: RFC 3501 6.2.
NOT_LOGGED_IN = frozenset({State.NOT_AUTHENTICATED})
#: RFC 3501 6.4.
SELECTED_ONLY = frozenset({State.SELECTED})

_NOAUTH, _AUTH, _SELECTED, _LOGOUT = (
    State.NOT_AUTHENTICATED,
    State.AUTHENTICATED,
    State.SELECTED,
    State.LOGOUT,
)

#: How a tagged answer moves the connection: (state, command, status) ->
#: new state; the numbers are those of the diagram above.  Anything not
#: listed leaves the state as it is.  An untagged BYE (7) or ``[CLOSED]``
#: (6) moves it too, whatever command is running.
TRANSITIONS: Mapping[tuple[State, str, str], State] = {
    (_NOAUTH, "LOGIN", "OK"): _AUTH,  # (4)
    (_NOAUTH, "AUTHENTICATE", "OK"): _AUTH,  # (4)
    (_AUTH, "SELECT", "OK"): _SELECTED,  # (5)
    (_AUTH, "EXAMINE", "OK"): _SELECTED,  # (5)
    (_SELECTED, "SELECT", "OK"): _SELECTED,  # (5), another mailbox
    (_SELECTED, "EXAMINE", "OK"): _SELECTED,  # (5), another mailbox
    (_SELECTED, "SELECT", "NO"): _AUTH,  # (6) RFC 3501 6.3.1: a failed SELECT deselects
    (_SELECTED, "EXAMINE", "NO"): _AUTH,  # (6)
    (_SELECTED, "CLOSE", "OK"): _AUTH,  # (6)
    (_SELECTED, "UNSELECT", "OK"): _AUTH,  # (6)
    (_NOAUTH, "LOGOUT", "OK"): _LOGOUT,  # (7)
    (_AUTH, "LOGOUT", "OK"): _LOGOUT,  # (7)
    (_SELECTED, "LOGOUT", "OK"): _LOGOUT,  # (7)
    (_AUTH, "UNAUTHENTICATE", "OK"): _NOAUTH,  # (8) RFC 8437 3
    (_SELECTED, "UNAUTHENTICATE", "OK"): _NOAUTH,  # (8) the mailbox is closed too
}

#: Commands whose completion can replace or drop the selected mailbox: no
#: mailbox updates go out before their tagged answer.
DESELECTING_COMMANDS = frozenset(name for state, name, _ in TRANSITIONS if state is _SELECTED)


def next_state(state: State, name: str, status: str) -> State:
    """The state after the tagged ``status`` (OK, NO, BAD) of command ``name``."""
    return TRANSITIONS.get((state, name, status), state)
