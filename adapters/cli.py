"""``imap-sansio serve``: run the server from the command line.

Examples::

    imap-sansio serve                        # demo account on 127.0.0.1:1143
    imap-sansio serve --user alice:secret --runtime trio -v
    imap-sansio serve --tls-cert c.pem --tls-key k.pem --tls-port 1993
    imap-sansio serve --maildir /var/mail --user alice:secret   # /var/mail/alice
    imap-sansio serve --postgres "host=db dbname=mail" --reuse-port   # one of many
    imap-sansio serve --host 0.0.0.0 --tls-cert c.pem --auth-failure-delay 1
    imap-sansio serve --passwd-file /etc/imap/passwd --tls-cert c.pem
    imap-sansio passwd --user alice >> /etc/imap/passwd   # asks for the password
    imap-sansio serve --postgres "host=db dbname=mail" --reuse-port   # one of many
    imap-sansio serve --config /etc/imap-sansio.toml --port 1144
    imap-sansio check-config /etc/imap-sansio.toml

Every setting is a flag and a key of the TOML file (see ``config.py``);
flags override the file.  A setting that cannot work (a port in use, a
certificate that cannot be read, a bad file) ends the program with one line
on standard error and exit status 1 (2 for a bad command line).
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import gc
import importlib
import importlib.util
import logging
import os
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import cast

from imap_sansio.server import ImapNo, IMAPServer, MemoryBackend, PasswordDatabase, demo_backend

from . import config as cfg
from ._driver import BindError, IMAPServerLike, ServerOptions, ServerStats, is_loopback, logger
from .metrics import MetricsServer, StatsLogger
from .threaded import ThreadedServer
from .tls import server_ssl_context

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USER",
    "StartupError",
    "add_sasl_mechanisms",
    "build_maildir_server",
    "build_parser",
    "build_postgres_server",
    "build_server",
    "config_from_args",
    "listen_fds",
    "load_tls",
    "log_handler_error",
    "main",
    "passwd_command",
    "uidvalidity_base",
    "wall_clock",
]

DEMO_USER = cfg.DEMO_USER
DEMO_PASSWORD = cfg.DEMO_PASSWORD

#: systemd's first passed file descriptor (sd_listen_fds(3)).
SD_LISTEN_FDS_START = 3


class StartupError(Exception):
    """The server cannot start; the text is the one line the user sees."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imap-sansio", description="A sans-I/O IMAP server on real sockets."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run an IMAP server (mail in memory, in Maildirs, or from --factory)",
        description="Run an IMAP server.  Every option is also a key of the --config "
        "file (in the [section] shown); options given here override the file.",
    )
    serve.add_argument("--config", metavar="FILE", help="read settings from this TOML file first")
    cfg.add_arguments(serve)
    check = commands.add_parser(
        "check-config",
        help="validate a TOML configuration file and print the effective settings",
        description="Validate FILE (and the certificate it names) and print the "
        "settings serve would use, as TOML, with passwords redacted.",
    )
    check.add_argument("file", metavar="FILE")
    _add_passwd_command(commands)
    return parser


def _add_passwd_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .accounts import DEFAULT_SCHEME, SCHEMES  # noqa: PLC0415 - optional extra

    passwd = commands.add_parser(
        "passwd",
        help="print a password hash for --passwd-file",
        description="Print a {SCHEME}hash (or user:{SCHEME}hash) line for a passwd-file. "
        "The password is asked for twice on a terminal, else read from the first "
        "line of standard input.",
    )
    passwd.add_argument(
        "-s",
        "--scheme",
        default=DEFAULT_SCHEME,
        type=str.upper,
        choices=SCHEMES,
        metavar="SCHEME",
        help=f"one of {', '.join(SCHEMES)} (default %(default)s; a SCRAM-SHA-256 "
        "line also allows SCRAM-SHA-256 logins without the server knowing the password)",
    )
    passwd.add_argument("-u", "--user", help="print a whole line for this user")


def passwd_command(args: argparse.Namespace) -> int:
    """``imap-sansio passwd``: print a hash line."""
    import getpass  # noqa: PLC0415

    from imap_sansio._secret import Secret  # noqa: PLC0415

    from .accounts import hash_password  # noqa: PLC0415 - optional extra

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise SystemExit("imap-sansio: the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise SystemExit("imap-sansio: empty password refused")
    try:
        hashed = hash_password(Secret(password), args.scheme)
    except (ValueError, ImportError) as exc:
        raise SystemExit(f"imap-sansio: {exc}") from None
    if args.user is not None:
        if not args.user or ":" in args.user:
            raise SystemExit("imap-sansio: a user name cannot be empty or contain ':'")
        hashed = f"{args.user}:{hashed}"
    print(hashed)
    return 0


def _password_file(config: cfg.Config) -> PasswordDatabase | None:
    accounts = config.accounts
    if not accounts.passwd_file:
        return None
    if accounts.users or accounts.demo:
        raise StartupError("--passwd-file holds the accounts; drop --user and --demo")
    try:
        from .accounts import PasswordFile  # noqa: PLC0415 - optional extra

        return PasswordFile(accounts.passwd_file)
    except (ValueError, ImportError, OSError) as exc:
        raise StartupError(f"--passwd-file {accounts.passwd_file}: {exc}") from None


def add_sasl_mechanisms(
    server: IMAPServer, config: cfg.Config, passwords: PasswordDatabase | None
) -> tuple[str, bytes] | None:
    """SCRAM over the backend's accounts (when scramp is installed) and the
    bearer-token mechanisms (with an --oauth-* key); returns the channel
    binding for SCRAM -PLUS when there is a certificate."""
    binding = None
    if passwords is not None and importlib.util.find_spec("scramp") is not None:
        from .accounts import scram_mechanisms, tls_server_end_point  # noqa: PLC0415

        if config.tls.cert:
            binding = tls_server_end_point(config.tls.cert)
        for mechanism in scram_mechanisms(passwords, plus=binding is not None):
            server.add_sasl_mechanism(mechanism)
    oauth = config.accounts
    if oauth.oauth_jwks_url or oauth.oauth_public_key:
        from imap_sansio.server import OAuthBearer, XOAuth2  # noqa: PLC0415

        from .oauth import JWTValidator  # noqa: PLC0415 - optional extra

        try:
            key = Path(oauth.oauth_public_key).read_bytes() if oauth.oauth_public_key else None
        except OSError as exc:
            raise StartupError(
                f"--oauth-public-key {oauth.oauth_public_key}: {exc.strerror}"
            ) from None
        validator = JWTValidator(
            jwks_url=oauth.oauth_jwks_url,
            public_key=key,
            issuer=oauth.oauth_issuer,
            audience=oauth.oauth_audience,
            user_claim=oauth.oauth_user_claim,
        )
        server.add_sasl_mechanism(OAuthBearer(validator))
        server.add_sasl_mechanism(XOAuth2(validator))
    return binding


def config_from_args(args: argparse.Namespace) -> cfg.Config:
    """The effective configuration: defaults, then ``--config``, then flags
    (raises :class:`config.ConfigError`)."""
    layers = []
    path = getattr(args, "config", None)
    if path:
        layers.append(cfg.load_file(path))
    layers.append(cfg.from_arguments(args))
    config = cfg.merge(*layers)
    cfg.validate(config)
    return config


@dataclass(frozen=True, slots=True, kw_only=True)
class _Accounts:
    users: dict[str, str]
    demo: bool


def _accounts(config: cfg.Config) -> _Accounts:
    users = dict(user.partition(":")[::2] for user in config.accounts.users)
    return _Accounts(users=users, demo=config.accounts.demo or not users)


def uidvalidity_base(now: float | None = None) -> int:
    """The first UIDVALIDITY of a store that forgets everything when it stops:
    the time in seconds, as Dovecot does, so that each start gives every
    mailbox a greater value than the last run gave (RFC 3501 2.3.1.1), and a
    client's old UIDs are thrown away instead of matched against new mail."""
    return int(time.time() if now is None else now)


def build_server(
    users: dict[str, str], *, demo: bool, uidvalidity: int | None = None
) -> IMAPServerLike:
    """An ``IMAPServer`` over a ``MemoryBackend`` with these accounts (and the
    demo account and mailboxes when ``demo``); its UIDVALIDITY values start
    at ``uidvalidity`` (default: :func:`uidvalidity_base`)."""
    base = uidvalidity_base() if uidvalidity is None else uidvalidity
    # Thread-safe, so that with --runtime threads sessions run at once.
    lock = threading.RLock()
    # OBJECTID and SAVEDATE (RFC 8474, 8514) on: the store keeps both.
    backend = (
        demo_backend(lock=lock, uidvalidity_base=base, object_ids=True, clock=wall_clock)
        if demo
        else MemoryBackend(lock=lock, uidvalidity_base=base, object_ids=True, clock=wall_clock)
    )
    for name, password in users.items():
        try:
            backend.add_user(name, password)
        except ValueError as exc:
            raise StartupError(str(exc)) from exc
    return IMAPServer(backend, clock=wall_clock, random_bytes=secrets.token_bytes)


def build_maildir_server(root: Path, users: dict[str, str] | PasswordDatabase) -> IMAPServerLike:
    """An ``IMAPServer`` over a ``MaildirBackend`` serving ``root/<user>``."""
    from .maildir import MaildirBackend  # noqa: PLC0415

    try:
        backend = MaildirBackend(root, users, object_ids=True)
    except (OSError, ValueError) as exc:
        raise StartupError(f"--maildir {root}: {exc}") from exc
    return IMAPServer(backend, clock=wall_clock, random_bytes=secrets.token_bytes)


def load_tls(cert: str, key: str | None) -> ssl.SSLContext:
    """The server's TLS context, or a :class:`StartupError` naming the file."""
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        if path is None:
            continue
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise StartupError(f"{flag} {path}: {exc.strerror or exc}") from None
    try:
        return server_ssl_context(cert, key)
    except (ssl.SSLError, OSError, ValueError) as exc:
        files = f"--tls-cert {cert}" + (f" --tls-key {key}" if key else "")
        reason = getattr(exc, "reason", None) or str(exc)
        raise StartupError(
            f"{files}: not a PEM certificate chain with its private key ({reason})"
        ) from None


def build_postgres_server(dsn: str, users: dict[str, str]) -> IMAPServerLike:
    """An ``IMAPServer`` over a ``PostgresBackend`` on ``dsn`` (migrated on
    start), with these accounts created or their passwords updated."""
    try:
        from .postgres_backend import PostgresBackend  # noqa: PLC0415 - the postgres extra
    except ImportError as exc:
        raise StartupError(f"--postgres: {exc}") from exc
    from .postgres_schema import SchemaTooNew  # noqa: PLC0415

    try:
        backend = PostgresBackend(dsn, object_ids=True)
        for name, password in users.items():
            backend.add_user(name, password)
    except (ImapNo, SchemaTooNew) as exc:
        # The DSN may hold a password: only the error's kind and text.
        raise StartupError(f"--postgres: {exc}") from exc
    return IMAPServer(backend, clock=wall_clock, random_bytes=secrets.token_bytes)


def log_handler_error(exc: BaseException) -> None:
    """``on_error`` of the CLI's servers: what a command handler raised (the
    client got ``NO [SERVERBUG]``), logged with its type and traceback.

    Never the exception's text, nor any value: those may hold what a client
    sent, a password included.  The traceback shows where, which is what a
    bug report needs.
    """
    logger.error("a command handler failed (answered NO [SERVERBUG]):\n%s", _safe_traceback(exc))


def _safe_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` and of the exceptions it chains to, with the
    type of each exception and no text."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.format_list(traceback.extract_tb(current.__traceback__))
        kind = type(current)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        parts.append(
            "Traceback (most recent call last):\n" + "".join(frames) + f"{name} (text withheld)"
        )
        current = current.__cause__ or current.__context__
    # Python prints the first exception of a chain first.
    return "\n\nwhich led to\n\n".join(reversed(parts))


def wall_clock() -> datetime:
    """The server's clock (the pure server never reads one itself)."""
    return datetime.now(UTC)


def _load_factory(spec: str) -> Callable[[], IMAPServerLike]:
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise StartupError(f"--factory {spec}: {exc}") from None
    return cast(Callable[[], IMAPServerLike], factory)


def default_runtime() -> str:
    """asyncio when anyio is installed; a plain ``pip install .`` has no
    anyio, and then the standard library's threads serve."""
    try:
        import anyio  # noqa: F401, PLC0415 - the optional extra
    except ImportError:
        return "threads"
    return "asyncio"


def _require_runtime(runtime: str) -> None:
    """Import what ``runtime`` needs, or exit naming the extra that brings it."""
    if runtime == "threads":
        return
    try:
        import anyio  # noqa: F401, PLC0415 - the optional extras

        if runtime == "trio":
            import trio  # noqa: F401, PLC0415
    except ImportError as exc:
        raise SystemExit(
            f"imap-sansio: --runtime {runtime} needs {exc.name}: "
            f"pip install imap-sansio[{'trio' if runtime == 'trio' else 'anyio'}]"
        ) from exc


def listen_fds(environ: dict[str, str] | None = None) -> list[socket.socket]:
    """The listening sockets systemd passed (``LISTEN_FDS``, ``LISTEN_PID``;
    sd_listen_fds(3)), in order; empty when none were passed to this process.
    The variables are removed so that child processes do not see them."""
    env = os.environ if environ is None else environ
    pid, count = env.get("LISTEN_PID", ""), env.get("LISTEN_FDS", "")
    if not count:
        return []
    if pid and pid != str(os.getpid()):
        return []
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        env.pop(name, None)
    try:
        number = int(count)
    except ValueError:
        raise StartupError(f"LISTEN_FDS={count!r}: not a number") from None
    sockets = []
    for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + number):
        try:
            sock = socket.socket(fileno=fd)
        except OSError as exc:
            raise StartupError(f"LISTEN_FDS: file descriptor {fd}: {exc.strerror}") from None
        if sock.type != socket.SOCK_STREAM:
            raise StartupError(f"LISTEN_FDS: file descriptor {fd} is not a stream socket")
        sock.set_inheritable(False)
        sockets.append(sock)
    return sockets


def _url_host(host: str) -> str:
    """``host`` as it goes into a URL: an IPv6 address in brackets (RFC 3986 3.2.2)."""
    return f"[{host}]" if ":" in host else host


def _connect_host(host: str) -> str:
    """Where a client on this machine reaches a server listening on ``host``."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def _banner(
    config: cfg.Config,
    accounts: _Accounts,
    runtime: str,
    port: int,
    tls_port: int | None,
) -> str:
    host = _url_host(config.listen.host)
    lines = [f"imap-sansio: IMAP on {host}:{port} (runtime {runtime})"]
    if config.tls.cert:
        lines.append("  STARTTLS available on that port")
    if tls_port is not None:
        lines.append(f"  implicit TLS (IMAPS) on {host}:{tls_port}")
    if config.listen.proxy_protocol:
        lines.append("  every connection must start with a PROXY protocol header")
    if config.store.factory:
        lines.append(f"  server from {config.store.factory}")
    else:
        if config.store.maildir:
            lines.append(f"  mail stored in Maildir++ directories under {config.store.maildir}")
        elif config.store.postgres:
            lines.append("  mail stored in PostgreSQL")
        else:
            lines.append("  mail kept in memory: it is gone when the server stops")
        if config.accounts.passwd_file:
            lines.append(f"  accounts from {config.accounts.passwd_file}")
        if accounts.demo:
            lines.append(f"  log in as {DEMO_USER} / {DEMO_PASSWORD}")
        if accounts.users:
            lines.append(f"  accounts: {', '.join(sorted(accounts.users))}")
        if not config.listen.proxy_protocol:
            lines.append(_try_line(config, accounts, port, tls_port))
    lines.extend(_plaintext_warning(config, tls_port))
    lines.append("  stop with Ctrl+C")
    return "\n".join(lines)


def _try_line(config: cfg.Config, accounts: _Accounts, port: int, tls_port: int | None) -> str:
    """A curl command that logs in and prints the first message of INBOX."""
    user = DEMO_USER if accounts.demo else min(accounts.users, default="USER")
    password = DEMO_PASSWORD if accounts.demo else "PASSWORD"
    host = _connect_host(config.listen.host)
    url = f"imap://{_url_host(host)}:{port}/INBOX;UID=1"
    extra = ""
    if not (is_loopback(host) or config.limits.allow_plaintext):
        if tls_port is not None:
            url = f"imaps://{_url_host(host)}:{tls_port}/INBOX;UID=1"
            extra = "-k "
        elif config.tls.cert:
            extra = "--ssl-reqd -k "
    note = "" if accounts.demo else "  (once INBOX has mail)"
    if extra:
        note += "  (-k: only for a self-signed certificate)"
    return f"  try: curl {extra}-u {user}:{password} '{url}'{note}"


def _plaintext_warning(config: cfg.Config, tls_port: int | None) -> list[str]:
    """Say so when clients on other machines cannot log in at all."""
    host = config.listen.host
    if is_loopback(host) or config.limits.allow_plaintext or config.tls.cert:
        return []
    if config.listen.proxy_protocol:
        return []  # the proxy's clients are judged by their own addresses
    return [
        "  warning: clients on other machines get LOGINDISABLED (no TLS): pass "
        "--tls-cert PEM [--tls-key PEM], or --allow-plaintext to allow passwords "
        "in clear text"
    ]


def _bind_error(exc: BindError) -> StartupError:
    text = exc.strerror or str(exc)
    if exc.errno == errno.EADDRINUSE:
        text += " (another server is running there: stop it or choose another --port)"
    elif exc.errno == errno.EACCES:
        text += " (ports below 1024 need privileges: see the systemd unit in contrib/)"
    elif exc.errno == errno.EADDRNOTAVAIL:
        text += " (no interface has that address: check --host)"
    return StartupError(text)


def _serve_threads(
    server: IMAPServerLike,
    config: cfg.Config,
    *,
    context: ssl.SSLContext | None,
    options: ServerOptions,
    sockets: list[socket.socket],
    announce: Callable[[int, int | None], None],
) -> None:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with ThreadedServer(
        server,
        host=config.listen.host,
        port=config.listen.port,
        tls_port=config.listen.tls_port,
        ssl_context=context,
        options=options,
        sockets=sockets,
    ) as running:
        assert running.port is not None
        announce(running.port, running.tls_port)
        while not stop.wait(0.5):
            pass


def _serve_anyio(
    server: IMAPServerLike,
    config: cfg.Config,
    *,
    runtime: str,
    context: ssl.SSLContext | None,
    options: ServerOptions,
    sockets: list[socket.socket],
    announce: Callable[[int, int | None], None],
) -> None:
    import anyio  # noqa: PLC0415 - optional dependency

    from .anyio_server import AnyIOServer  # noqa: PLC0415 - needs anyio

    async def run() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with AnyIOServer(
                server,
                host=config.listen.host,
                port=config.listen.port,
                tls_port=config.listen.tls_port,
                ssl_context=context,
                options=options,
                sockets=sockets,
            ) as running:
                assert running.port is not None
                announce(running.port, running.tls_port)
                async for _ in signals:
                    break

    anyio.run(run, backend=runtime)


def _check_config(path: str) -> int:
    config = cfg.merge(cfg.load_file(path))
    cfg.validate(config)
    if config.tls.cert:
        load_tls(config.tls.cert, config.tls.key)
    if config.store.factory:
        _load_factory(config.store.factory)
    print(f"# {path}: valid; the effective configuration:")
    print(cfg.dump(config), end="")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "passwd":
        return passwd_command(args)
    try:
        if args.command == "check-config":
            return _check_config(args.file)
        return _serve(config_from_args(args))
    except (cfg.ConfigError, StartupError) as exc:
        print(f"imap-sansio: {exc}", file=sys.stderr, flush=True)
        return 1


def _serve(config: cfg.Config) -> int:
    level = getattr(logging, config.logging.level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = config.runtime or default_runtime()
    _require_runtime(runtime)
    passwords = _password_file(config)
    accounts = _Accounts(users={}, demo=False) if passwords is not None else _accounts(config)
    login_limits = config.login_limits()
    context = load_tls(config.tls.cert, config.tls.key) if config.tls.cert else None
    sockets = listen_fds() if config.listen.systemd else []
    if config.listen.systemd and not sockets:
        raise StartupError("--systemd: no sockets were passed (LISTEN_FDS is not set)")
    if len(sockets) > 1 and context is None:
        raise StartupError("--systemd: a second socket is for implicit TLS: it needs --tls-cert")
    if sockets:
        # The banner names where systemd bound, not the --host default.
        bound = str(sockets[0].getsockname()[0])
        config = dataclasses.replace(config, listen=dataclasses.replace(config.listen, host=bound))
    if config.store.factory:
        server = _load_factory(config.store.factory)()
    elif config.store.postgres:
        if passwords is not None:
            raise StartupError("--postgres keeps its accounts in the database: no --passwd-file")
        # Accounts live in the database: the demo account only when asked for.
        users = dict(accounts.users)
        if config.accounts.demo:
            users.setdefault(DEMO_USER, DEMO_PASSWORD)
        accounts = _Accounts(users=users, demo=config.accounts.demo)
        server = build_postgres_server(config.store.postgres, users)
    elif passwords is not None:
        server = (
            build_maildir_server(Path(config.store.maildir), passwords)
            if config.store.maildir
            else IMAPServer(
                MemoryBackend(
                    users=passwords,
                    uidvalidity_base=uidvalidity_base(),
                    object_ids=True,
                    clock=wall_clock,
                ),
                clock=wall_clock,
                random_bytes=secrets.token_bytes,  # URLAUTH's keys
            )
        )
    elif config.store.maildir:
        users = dict(accounts.users)
        if accounts.demo:
            users.setdefault(DEMO_USER, DEMO_PASSWORD)
        server = build_maildir_server(Path(config.store.maildir), users)
    else:
        server = build_server(accounts.users, demo=accounts.demo)
    stats = ServerStats()
    if getattr(server, "on_error", log_handler_error) is None:

        def on_error(exc: BaseException) -> None:
            stats.add("errors_total")
            log_handler_error(exc)

        server.on_error = on_error
    binding = None
    if isinstance(server, IMAPServer):
        binding = add_sasl_mechanisms(server, config, getattr(server.backend, "passwords", None))
    options = ServerOptions(
        max_connections=config.limits.max_connections,
        allow_plaintext=config.limits.allow_plaintext,
        login_limits=login_limits,
        # The built-in store is in memory and never blocks: call it on the
        # event loop; a --factory or Maildir server may block, so use worker threads.
        # A password file is read and hashed (Argon2 takes tens of ms) on use.
        offload=bool(config.store.factory or config.store.maildir or config.store.postgres)
        or passwords is not None,
        channel_binding=binding,
        reuse_port=config.listen.reuse_port,
        proxy_protocol=config.listen.proxy_protocol,
        proxy_from=config.listen.proxy_from,
        stats=stats,
    )
    if config.store.maildir:
        # The Maildir store runs one call at a time (its lock; the disk
        # flushes come after it): more threads than a few only contend.
        # Most commands run on the event loop (see ServerOptions.inline);
        # a long one returns every eight steps rather than two (each return
        # costs a turn of the loop), and eight steps stay within a few ms
        # (issue 11: another user's NOOP under 100 ms).
        options = dataclasses.replace(options, worker_threads=4, steps_per_call=8)
    metrics: MetricsServer | None = None
    if config.logging.metrics_port is not None:
        try:
            metrics = MetricsServer(stats, port=config.logging.metrics_port)
        except OSError as exc:
            raise StartupError(
                f"cannot serve metrics on 127.0.0.1:{config.logging.metrics_port}: "
                f"{exc.strerror or exc}"
            ) from None
    stats_logger = (
        StatsLogger(stats, config.logging.stats_interval)
        if config.logging.stats_interval > 0
        else None
    )

    def announce(port: int, tls_port: int | None) -> None:
        text = _banner(config, accounts, runtime, port, tls_port)
        if metrics is not None:
            last = text.rindex("\n")
            where = f"\n  metrics on http://127.0.0.1:{metrics.port}/metrics"
            text = text[:last] + where + text[last:]
        print(text, flush=True)

    # What start-up loaded (modules, the demo data, a store's index) lives as
    # long as the process: out of the collector's sight, a full collection no
    # longer walks it, so its pauses do not grow with the mailboxes loaded.
    gc.collect()
    gc.freeze()
    # A full collection walks every object the sessions hold (one per
    # message or more while a SEARCH, SORT or THREAD of a big mailbox runs)
    # and holds every session meanwhile: tens of milliseconds at 20,000
    # messages.  The commands leave no reference cycles behind
    # (tests/test_server_command_garbage.py), so it finds next to nothing:
    # one after every 100 younger collections instead of Python's 10.
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)
    try:
        if runtime == "threads":
            _serve_threads(
                server,
                config,
                context=context,
                options=options,
                sockets=sockets,
                announce=announce,
            )
        else:
            _serve_anyio(
                server,
                config,
                runtime=runtime,
                context=context,
                options=options,
                sockets=sockets,
                announce=announce,
            )
    except BindError as exc:
        raise _bind_error(exc) from None
    finally:
        if metrics is not None:
            metrics.close()
        if stats_logger is not None:
            stats_logger.close()
    print("imap-sansio: stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
