r"""Connection states and the command table (RFC 3501 section 3, RFC 9051 section 3).

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
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = [
    "ANY_STATE",
    "COMMAND_STATES",
    "PAUSING_COMMANDS",
    "State",
    "allowed_states",
]


class State(enum.Enum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"


ANY_STATE = frozenset({State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED})
_AUTH = frozenset({State.AUTHENTICATED, State.SELECTED})
_NOAUTH = frozenset({State.NOT_AUTHENTICATED})
_SELECTED = frozenset({State.SELECTED})

#: Which states each command is valid in.  RFC 3501 6.1-6.4, RFC 9051 6.1-6.4;
#: commands of the authenticated state are valid in the selected state too.
COMMAND_STATES: Mapping[str, frozenset[State]] = {
    # RFC 3501 6.1: any state.  ID: RFC 2971 3.1.
    "CAPABILITY": ANY_STATE,
    "NOOP": ANY_STATE,
    "LOGOUT": ANY_STATE,
    "ID": ANY_STATE,
    # RFC 3501 6.2: not authenticated state.
    "STARTTLS": _NOAUTH,
    "AUTHENTICATE": _NOAUTH,
    "LOGIN": _NOAUTH,
    # RFC 3501 6.3 and extensions: authenticated (and selected) state.
    "ENABLE": _AUTH,
    "SELECT": _AUTH,
    "EXAMINE": _AUTH,
    "CREATE": _AUTH,
    "DELETE": _AUTH,
    "RENAME": _AUTH,
    "SUBSCRIBE": _AUTH,
    "UNSUBSCRIBE": _AUTH,
    "LIST": _AUTH,
    "LSUB": _AUTH,
    "NAMESPACE": _AUTH,
    "STATUS": _AUTH,
    "APPEND": _AUTH,
    "IDLE": _AUTH,
    "GETQUOTA": _AUTH,
    "GETQUOTAROOT": _AUTH,
    "SETQUOTA": _AUTH,
    "COMPRESS": _AUTH,
    "NOTIFY": _AUTH,
    # Parsed by the grammar; a server that does not implement them answers
    # BAD.  XLIST: Gmail's predecessor of SPECIAL-USE; ACL: RFC 4314;
    # METADATA: RFC 5464.
    "XLIST": _AUTH,
    "GETACL": _AUTH,
    "SETACL": _AUTH,
    "DELETEACL": _AUTH,
    "LISTRIGHTS": _AUTH,
    "MYRIGHTS": _AUTH,
    "GETMETADATA": _AUTH,
    "SETMETADATA": _AUTH,
    # RFC 3501 6.4: selected state.
    "CHECK": _SELECTED,
    "CLOSE": _SELECTED,
    "UNSELECT": _SELECTED,
    "EXPUNGE": _SELECTED,
    "SEARCH": _SELECTED,
    "FETCH": _SELECTED,
    "STORE": _SELECTED,
    "COPY": _SELECTED,
    "MOVE": _SELECTED,
    "SORT": _SELECTED,
    "THREAD": _SELECTED,
    "UID": _SELECTED,
    # RFC 5267 5: command-select =/ "CANCELUPDATE" 1*(SP quoted)
    "CANCELUPDATE": _SELECTED,
}

#: Commands after which the engine stops reading the stream until the app has
#: answered them: what follows is read in the state (or the mode: SASL, IDLE,
#: TLS, UTF-8) that their answer sets.
PAUSING_COMMANDS = frozenset(
    {
        "LOGIN",
        "AUTHENTICATE",
        "STARTTLS",
        "SELECT",
        "EXAMINE",
        "CLOSE",
        "UNSELECT",
        "LOGOUT",
        "IDLE",
        "ENABLE",
        "COMPRESS",
    }
)


def allowed_states(
    name: str, extra: Mapping[str, frozenset[State]] | None = None
) -> frozenset[State] | None:
    """The states in which command ``name`` is valid, or None if it is unknown."""
    if extra is not None and name in extra:
        return extra[name]
    return COMMAND_STATES.get(name)
