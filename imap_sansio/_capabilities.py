"""Capability lists computed from state, transport security and policy."""

from __future__ import annotations

from ._config import Config
from ._state import State

__all__ = ["PLAINTEXT_MECHANISMS", "compute_capabilities"]

#: SASL mechanisms that send the password in the clear (RFC 4616, draft
#: LOGIN), and those that send a bearer token, which is as good as a password
#: to whoever reads it: RFC 6750 5.3 and RFC 7628 5 require TLS for bearer
#: tokens, so OAUTHBEARER and XOAUTH2 follow the plaintext policy.  SCRAM
#: (RFC 5802) never reveals the password and is offered without TLS too.
PLAINTEXT_MECHANISMS = frozenset({"PLAIN", "LOGIN", "OAUTHBEARER", "XOAUTH2"})


def _dedupe(items: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.upper()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return tuple(out)


def compute_capabilities(
    config: Config,
    *,
    state: State,
    secure: bool,
    tls_active: bool,
    channel_binding: bool = False,
) -> tuple[str, ...]:
    """The capability list for a connection in ``state``.

    Before login (RFC 3501 6.2, RFC 9051 6.2): STARTTLS while TLS is available
    and not yet active; on an insecure transport without a plaintext policy,
    LOGINDISABLED and no plaintext SASL mechanism (RFC 3501 6.2.3, RFC 9051
    11.1); a ``-PLUS`` mechanism (SCRAM with channel binding, RFC 5802 6)
    only when the transport gives channel-binding data.  After login: the
    configured extensions and APPENDLIMIT; no STARTTLS, AUTH= or LOGINDISABLED.
    """
    caps: list[str] = list(config.versions)
    caps.append("LITERAL-" if config.literal_minus else "LITERAL+")
    if state is State.NOT_AUTHENTICATED:
        caps.extend(config.capabilities_before_auth)
        if config.tls_available and not tls_active:
            caps.append("STARTTLS")
        plaintext_ok = secure or config.allow_plaintext_auth
        for mech in config.auth_mechanisms:
            if mech.upper().endswith("-PLUS") and not channel_binding:
                continue
            if plaintext_ok or mech.upper() not in PLAINTEXT_MECHANISMS:
                caps.append(f"AUTH={mech.upper()}")
        if not plaintext_ok:
            caps.append("LOGINDISABLED")
    else:
        caps.extend(config.capabilities)
        caps.append(f"APPENDLIMIT={config.limits.max_append_literal}")
    return _dedupe(caps)
