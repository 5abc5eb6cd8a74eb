"""The configuration of ``imap-sansio serve``: one schema for flags and file.

:class:`Config` is a tree of frozen dataclasses.  Each leaf field carries its
command-line flag and help text in its metadata, so :func:`add_arguments`
builds the ``serve`` flags from the tree and :func:`load_file` reads the same
tree from TOML (one table per section, the field names as keys): a setting
cannot exist in one and not the other.  Precedence: defaults, then the file,
then the flags that were given on the command line.

``check-config`` prints :func:`dump`, the effective configuration as TOML
with passwords replaced by ``<redacted>``.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imap_sansio.server._login_guard import LoginLimits

__all__ = [
    "Accounts",
    "Config",
    "ConfigError",
    "Limits",
    "Listen",
    "Logging",
    "Store",
    "Tls",
    "add_arguments",
    "dump",
    "from_arguments",
    "load_file",
    "merge",
    "redacted",
]

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"
REDACTED = "<redacted>"
_LIMITS = LoginLimits()


class ConfigError(ValueError):
    """A configuration that cannot run; the text names the setting."""


def _opt(
    default: Any,
    flag: str,
    help: str,
    *,
    metavar: str | None = None,
    choices: Sequence[str] | None = None,
    secret: bool = False,
) -> Any:
    """A setting: its default, its flag and its help (``%(default)s`` works)."""
    meta = {"flag": flag, "help": help, "metavar": metavar, "choices": choices, "secret": secret}
    return field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True, kw_only=True)
class Listen:
    """Where to listen, and who may speak for the client."""

    host: str = _opt("127.0.0.1", "--host", "address to listen on (default %(default)s)")
    port: int = _opt(1143, "--port", "plain/STARTTLS port (default %(default)s; 0: any free)")
    tls_port: int | None = _opt(
        None, "--tls-port", "port for implicit TLS (IMAPS, needs --tls-cert)", metavar="PORT"
    )
    proxy_protocol: bool = _opt(
        False,
        "--proxy-protocol",
        "every connection starts with a PROXY protocol v1 or v2 header (HAProxy, "
        "nginx, load balancers); the address in it is the client's",
    )
    proxy_from: tuple[str, ...] = _opt(
        (),
        "--proxy-from",
        "networks allowed to send PROXY headers besides loopback (repeatable)",
        metavar="CIDR",
    )
    reuse_port: bool = _opt(
        False,
        "--reuse-port",
        "bind with SO_REUSEPORT: several processes on this machine share the port",
    )
    systemd: bool = _opt(
        False,
        "--systemd",
        "serve the sockets systemd passes (LISTEN_FDS: the first is plain/STARTTLS, "
        "a second implicit TLS) instead of binding --host/--port",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Tls:
    """Certificates (STARTTLS on the plain port, implicit TLS on the TLS port)."""

    cert: str | None = _opt(
        None, "--tls-cert", "certificate chain, PEM (enables STARTTLS)", metavar="PEM"
    )
    key: str | None = _opt(
        None, "--tls-key", "private key, PEM (if not in --tls-cert)", metavar="PEM"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Accounts:
    """Who may log in, and how.

    AUTHENTICATE offers PLAIN and LOGIN, SCRAM-SHA-256 and SCRAM-SHA-1 (with
    the accounts extra; -PLUS channel binding with a certificate), and
    OAUTHBEARER and XOAUTH2 with an OAuth key source (oauth extra).
    """

    users: tuple[str, ...] = _opt(
        (), "--user", "an account (repeatable)", metavar="NAME:PASSWORD", secret=True
    )
    demo: bool = _opt(
        False,
        "--demo",
        f"the demo account {DEMO_USER}/{DEMO_PASSWORD} with sample mailboxes "
        "(the default when no --user is given)",
    )
    allow_empty_password: bool = _opt(
        False,
        "--allow-empty-password",
        "accept --user NAME: with an empty password (refused otherwise)",
    )
    passwd_file: str | None = _opt(
        None,
        "--passwd-file",
        "accounts in Dovecot's passwd-file format (user:{SCHEME}hash:...), "
        "read again when it changes; make lines with 'imap-sansio passwd'",
        metavar="FILE",
    )
    oauth_jwks_url: str | None = _opt(
        None,
        "--oauth-jwks-url",
        "accept bearer tokens (JWTs) signed by a key of this JWKS document",
        metavar="URL",
    )
    oauth_public_key: str | None = _opt(
        None, "--oauth-public-key", "accept JWTs signed by this public key", metavar="PEM"
    )
    oauth_issuer: str | None = _opt(
        None, "--oauth-issuer", "the tokens' required issuer", metavar="ISS"
    )
    oauth_audience: str | None = _opt(
        None, "--oauth-audience", "the tokens' required audience", metavar="AUD"
    )
    oauth_user_claim: str = _opt(
        "email",
        "--oauth-user-claim",
        "the token claim that holds the user name (default %(default)s)",
        metavar="CLAIM",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Store:
    """Where mail lives (default: in memory, gone when the server stops)."""

    maildir: str | None = _opt(
        None,
        "--maildir",
        "store mail on disk: one Maildir++ per user in PATH/<user> "
        f"(without --user: {DEMO_USER}/{DEMO_PASSWORD}, empty)",
        metavar="PATH",
    )
    postgres: str | None = _opt(
        None,
        "--postgres",
        "store mail in PostgreSQL (libpq connection string; the schema is created "
        "or upgraded on start; --user creates or updates accounts there; any number "
        "of processes may serve one database)",
        metavar="DSN",
        secret=True,
    )
    factory: str | None = _opt(
        None,
        "--factory",
        "build the server with this callable instead (no arguments, returns an "
        "IMAPServer); accounts and store settings are then ignored",
        metavar="MODULE:CALLABLE",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Limits against hostile clients.

    A failed login is answered only after a delay that grows with the
    failures of its address; a right password is answered at once.
    """

    max_connections: int = _opt(
        1000,
        "--max-connections",
        "connections served at once; more are greeted '* BYE' (default %(default)s)",
        metavar="N",
    )
    allow_plaintext: bool = _opt(
        False,
        "--allow-plaintext",
        "allow LOGIN without TLS from non-loopback peers",
    )
    auth_failure_delay: float = _opt(
        _LIMITS.failure_delay,
        "--auth-failure-delay",
        "delay of the first failed login from an address, doubled for each "
        f"further one, forgotten with a half-life of {_LIMITS.failure_half_life:g} s "
        "(default %(default)s; 0: none)",
        metavar="SECONDS",
    )
    auth_failure_max_delay: float = _opt(
        _LIMITS.max_failure_delay,
        "--auth-failure-max-delay",
        "the longest delay of one failed login (default %(default)s)",
        metavar="SECONDS",
    )
    max_unauthenticated_per_address: int = _opt(
        _LIMITS.max_unauthenticated_per_address,
        "--max-unauthenticated-per-address",
        "connections not logged in from one address; more get "
        "'* BYE [UNAVAILABLE]' (default %(default)s; 0: no limit)",
        metavar="N",
    )
    max_sessions_per_user: int = _opt(
        _LIMITS.max_sessions_per_user,
        "--max-sessions-per-user",
        "sessions of one user from one address; one more LOGIN gets "
        "'NO [LIMIT]' (default %(default)s; 0: no limit)",
        metavar="N",
    )
    trusted_networks: tuple[str, ...] = _opt(
        _LIMITS.trusted_networks,
        "--trusted-networks",
        "networks exempt from these limits, comma-separated (default %(default)s; '' trusts none)",
        metavar="CIDR,...",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Logging:
    """What is logged (to standard error) and what monitoring can read."""

    level: str = _opt(
        "warning",
        "--log-level",
        "warning, info (a line per connection and session) or debug (per command); "
        "-v is info, -vv debug (default %(default)s)",
        choices=("warning", "info", "debug"),
    )
    stats_interval: float = _opt(
        0.0,
        "--stats-interval",
        "log a statistics line this often (sessions, commands/s, failed logins, "
        "errors; default %(default)s: never)",
        metavar="SECONDS",
    )
    metrics_port: int | None = _opt(
        None,
        "--metrics-port",
        "serve the statistics in Prometheus text format on "
        "http://127.0.0.1:PORT/metrics (loopback only)",
        metavar="PORT",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything ``imap-sansio serve`` needs; a TOML file has one table per
    section (``[listen]``, ``[tls]`` ...) and ``runtime`` at the top."""

    runtime: str | None = _opt(
        None,
        "--runtime",
        "default: asyncio when anyio is installed, else threads (standard library only)",
        choices=("asyncio", "trio", "threads"),
    )
    listen: Listen = field(default_factory=Listen)
    tls: Tls = field(default_factory=Tls)
    accounts: Accounts = field(default_factory=Accounts)
    store: Store = field(default_factory=Store)
    limits: Limits = field(default_factory=Limits)
    logging: Logging = field(default_factory=Logging)

    def login_limits(self) -> LoginLimits:
        """The login limits these settings ask for (raises ConfigError)."""
        limits = self.limits
        try:
            return LoginLimits(
                failure_delay=limits.auth_failure_delay,
                max_failure_delay=limits.auth_failure_max_delay,
                max_unauthenticated_per_address=limits.max_unauthenticated_per_address,
                max_sessions_per_user=limits.max_sessions_per_user,
                trusted_networks=limits.trusted_networks,
            )
        except ValueError as exc:
            raise ConfigError(f"invalid login limits: {exc}") from None


_SECTIONS: tuple[tuple[str | None, type[Any]], ...] = (
    (None, Config),
    ("listen", Listen),
    ("tls", Tls),
    ("accounts", Accounts),
    ("store", Store),
    ("limits", Limits),
    ("logging", Logging),
)


def _leaves(cls: type[Any]) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if "flag" in f.metadata]


def _kind(cls: type[Any], name: str) -> tuple[type[Any], bool]:
    """The value type of a field and whether it may be None."""
    hint = typing.get_type_hints(cls)[name]
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        return next(a for a in args if a is not type(None)), True
    return (tuple if typing.get_origin(hint) is tuple else hint), False


def _dest(section: str | None, name: str) -> str:
    return f"{section}__{name}" if section else name


# -- flags -------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add a flag for every setting; a flag not given is absent from the
    namespace (``argparse.SUPPRESS``), so the file's value is kept."""
    for section, cls in _SECTIONS:
        doc = (cls.__doc__ or "").strip().split("\n\n")
        group = parser.add_argument_group(
            f"[{section}]" if section else "general",
            " ".join(" ".join(part.split()) for part in doc) if section else None,
        )
        for f in _leaves(cls):
            _add_flag(group, section, cls, f)
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="-v is --log-level info, -vv debug",
    )


def _add_flag(
    group: argparse._ArgumentGroup,
    section: str | None,
    cls: type[Any],
    f: dataclasses.Field[Any],
) -> None:
    meta = f.metadata
    kind, _optional = _kind(cls, f.name)
    default = f.default
    shown = ",".join(default) if isinstance(default, tuple) else default
    help_text = meta["help"].replace("%(default)s", str(shown))
    kwargs: dict[str, Any] = {
        "dest": _dest(section, f.name),
        "default": argparse.SUPPRESS,
        "help": help_text.replace("%", "%%"),
    }
    if meta["metavar"]:
        kwargs["metavar"] = meta["metavar"]
    elif kind is not bool and not meta["choices"]:
        kwargs["metavar"] = f.name.upper()
    if kind is bool:
        kwargs["action"] = "store_true"
    elif kind is tuple:
        if "," in (meta["metavar"] or ""):
            kwargs["type"] = _comma_list
        else:
            kwargs["action"] = "append"
    else:
        kwargs["type"] = kind
        if meta["choices"]:
            kwargs["choices"] = meta["choices"]
    group.add_argument(meta["flag"], **kwargs)


def _comma_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def from_arguments(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The settings given as flags, by section (``""`` is the top level)."""
    given: dict[str, dict[str, Any]] = {}
    values = vars(args)
    for section, cls in _SECTIONS:
        for f in _leaves(cls):
            dest = _dest(section, f.name)
            if dest in values:
                value = values[dest]
                if isinstance(value, list):
                    value = tuple(value)
                given.setdefault(section or "", {})[f.name] = value
    verbose = values.get("verbose")
    if verbose:
        given.setdefault("logging", {})["level"] = "info" if verbose == 1 else "debug"
    return given


# -- the file ----------------------------------------------------------------


def load_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """The settings of a TOML file, checked against the schema (raises
    :class:`ConfigError` naming the file and the key)."""
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    settings: dict[str, dict[str, Any]] = {}
    sections = {s: cls for s, cls in _SECTIONS if s}
    for key, value in data.items():
        if key in sections:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{key}] must be a table")
            cls = sections[key]
            for name, item in value.items():
                settings.setdefault(key, {})[name] = _check(path, key, cls, name, item)
        else:
            settings.setdefault("", {})[key] = _check(path, None, Config, key, value)
    return settings


def _check(path: str | Path, section: str | None, cls: type[Any], name: str, value: Any) -> Any:
    where = f"{path}: {f'[{section}] ' if section else ''}{name}"
    fields = {f.name: f for f in _leaves(cls)}
    if name not in fields:
        homes = [s for s, c in _SECTIONS if s and any(f.name == name for f in _leaves(c))]
        if homes and not section:
            raise ConfigError(f"{where}: belongs in the [{homes[0]}] table")
        known = ", ".join(sorted(fields)) or "none"
        hint = f" (tables: {', '.join(s for s, _ in _SECTIONS if s)})" if not section else ""
        raise ConfigError(f"{where}: unknown setting; known here: {known}{hint}")
    kind, _optional = _kind(cls, name)
    if kind is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings")
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    # bool is an int in Python, not in TOML.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}")
    choices = fields[name].metadata["choices"]
    if choices and value not in choices:
        raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
    return value


# -- together ----------------------------------------------------------------


def merge(*layers: Mapping[str, Mapping[str, Any]]) -> Config:
    """Defaults overridden by each layer in turn (the file, then the flags)."""
    values: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for section, settings in layer.items():
            values.setdefault(section, {}).update(settings)
    parts = {
        section: cls(**values.get(section, {})) for section, cls in _SECTIONS if section is not None
    }
    return Config(**values.get("", {}), **parts)


def validate(config: Config) -> None:
    """What can be checked before anything is bound (raises ConfigError)."""
    listen = config.listen
    if listen.tls_port is not None and not config.tls.cert:
        raise ConfigError("--tls-port needs --tls-cert")
    if config.tls.key and not config.tls.cert:
        raise ConfigError("--tls-key needs --tls-cert")
    for name, port in (
        ("--port", listen.port),
        ("--tls-port", listen.tls_port),
        ("--metrics-port", config.logging.metrics_port),
    ):
        if port is not None and not 0 <= port <= 65535:
            raise ConfigError(f"{name} {port}: not a port number (0 to 65535)")
    if config.limits.max_connections < 1:
        raise ConfigError("--max-connections must be at least 1")
    if config.logging.stats_interval < 0:
        raise ConfigError("--stats-interval must not be negative")
    for cidr in listen.proxy_from:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise ConfigError(f"--proxy-from {cidr}: not a network (CIDR)") from None
    if listen.proxy_from and not listen.proxy_protocol:
        raise ConfigError("--proxy-from needs --proxy-protocol")
    for user in config.accounts.users:
        name, sep, password = user.partition(":")
        if not sep or not name:
            raise ConfigError(f"--user wants NAME:PASSWORD, got {name!r}:...")
        if not password and not config.accounts.allow_empty_password:
            raise ConfigError(
                f"--user {name}: has an empty password (pass --allow-empty-password to accept it)"
            )
    if config.store.maildir and config.store.postgres:
        raise ConfigError("--maildir and --postgres: mail lives in one store; choose one")
    if config.store.factory and ":" not in config.store.factory:
        raise ConfigError("--factory wants MODULE:CALLABLE")
    config.login_limits()


def redacted(config: Config) -> Config:
    """``config`` with every secret replaced by ``<redacted>`` (passwords, and
    the PostgreSQL connection string, which may hold one)."""
    accounts = dataclasses.replace(
        config.accounts,
        users=tuple(f"{u.partition(':')[0]}:{REDACTED}" for u in config.accounts.users),
    )
    store = config.store
    if store.postgres is not None:
        store = dataclasses.replace(store, postgres=REDACTED)
    return dataclasses.replace(config, accounts=accounts, store=store)


def dump(config: Config) -> str:
    """``config`` as TOML that :func:`load_file` reads back (secrets redacted:
    the output is for people and logs)."""
    config = redacted(config)
    lines: list[str] = []
    for section, cls in _SECTIONS:
        part = config if section is None else getattr(config, section)
        if section is not None:
            lines.append(f"\n[{section}]")
        for f in _leaves(cls):
            value = getattr(part, f.name)
            if value is None:
                lines.append(f"# {f.name} is not set")
            else:
                lines.append(f"{f.name} = {_toml(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(type(value).__name__)
