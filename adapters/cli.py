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
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import logging
import signal
import ssl
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import cast

from imap_sansio.server import ImapNo, IMAPServer, MemoryBackend, PasswordDatabase, demo_backend

from ._driver import IMAPServerLike, LoginLimits, ServerOptions, logger
from .threaded import ThreadedServer
from .tls import server_ssl_context

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USER",
    "build_maildir_server",
    "build_parser",
    "build_postgres_server",
    "build_server",
    "log_handler_error",
    "main",
    "wall_clock",
]

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imap-sansio", description="A sans-I/O IMAP server on real sockets."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run an IMAP server (in memory)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=1143, help="plain/STARTTLS port (0: any)")
    serve.add_argument(
        "--runtime",
        choices=("asyncio", "trio", "threads"),
        default=None,
        help="default: asyncio when anyio is installed, else threads (standard library only)",
    )
    serve.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME:PASSWORD",
        help="an account (repeatable)",
    )
    serve.add_argument(
        "--allow-empty-password",
        action="store_true",
        help="accept --user NAME: with an empty password (refused otherwise)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help=f"the demo account {DEMO_USER}/{DEMO_PASSWORD} with sample mailboxes "
        "(the default when no --user is given)",
    )
    serve.add_argument(
        "--maildir",
        metavar="PATH",
        help="store mail on disk: one Maildir++ per user in PATH/<user> "
        f"(without --user: {DEMO_USER}/{DEMO_PASSWORD}, empty)",
    )
    serve.add_argument(
        "--postgres",
        metavar="DSN",
        help="store mail in PostgreSQL (libpq connection string; the schema is created "
        "or upgraded on start; --user creates or updates accounts there; any number "
        "of processes may serve one database)",
    )
    serve.add_argument(
        "--reuse-port",
        action="store_true",
        help="bind with SO_REUSEPORT: several processes on this machine share the port",
    )
    serve.add_argument("--tls-cert", metavar="PEM", help="certificate chain (enables STARTTLS)")
    serve.add_argument("--tls-key", metavar="PEM", help="private key (if not in --tls-cert)")
    serve.add_argument("--tls-port", type=int, help="port for implicit TLS (needs --tls-cert)")
    serve.add_argument("--max-connections", type=int, default=1000)
    serve.add_argument(
        "--allow-plaintext",
        action="store_true",
        help="allow LOGIN without TLS from non-loopback peers",
    )
    _add_limit_arguments(serve)
    serve.add_argument(
        "--factory",
        metavar="MODULE:CALLABLE",
        help="build the server with this callable instead (no arguments, returns an "
        "IMAPServer); --user and --demo are then ignored",
    )
    serve.add_argument("-v", "--verbose", action="count", default=0, help="-v info, -vv debug")
    _add_account_arguments(serve)
    _add_passwd_command(commands)
    return parser


def _add_limit_arguments(serve: argparse.ArgumentParser) -> None:
    defaults = LoginLimits()
    limits = serve.add_argument_group(
        "limits against hostile clients",
        "A failed login is answered only after a delay that grows with the failures "
        "of its address (they are forgotten with a half-life of "
        f"{defaults.failure_half_life:g} s); a right password is answered at once.",
    )
    limits.add_argument(
        "--auth-failure-delay",
        type=float,
        default=defaults.failure_delay,
        metavar="SECONDS",
        help="delay of the first failed login from an address, doubled for each "
        "further one (default %(default)s; 0: none)",
    )
    limits.add_argument(
        "--auth-failure-max-delay",
        type=float,
        default=defaults.max_failure_delay,
        metavar="SECONDS",
        help="the longest delay of one failed login (default %(default)s)",
    )
    limits.add_argument(
        "--max-unauthenticated-per-address",
        type=int,
        default=defaults.max_unauthenticated_per_address,
        metavar="N",
        help="connections not logged in from one address; more get "
        "'* BYE [UNAVAILABLE]' (default %(default)s; 0: no limit)",
    )
    limits.add_argument(
        "--max-sessions-per-user",
        type=int,
        default=defaults.max_sessions_per_user,
        metavar="N",
        help="sessions of one user from one address; one more LOGIN gets "
        "'NO [LIMIT]' (default %(default)s; 0: no limit)",
    )
    limits.add_argument(
        "--trusted-networks",
        default=",".join(defaults.trusted_networks),
        metavar="CIDR,...",
        help="networks exempt from these limits, such as a local proxy "
        "(default %(default)s; '' trusts none)",
    )


def _add_account_arguments(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group(
        "accounts and authentication",
        "AUTHENTICATE offers PLAIN and LOGIN, SCRAM-SHA-256 and SCRAM-SHA-1 (with "
        "the accounts extra; -PLUS channel binding with --tls-cert), and "
        "OAUTHBEARER and XOAUTH2 with an --oauth-* key source (oauth extra).",
    )
    group.add_argument(
        "--passwd-file",
        metavar="FILE",
        help="accounts in Dovecot's passwd-file format (user:{SCHEME}hash:...), "
        "read again when it changes; make lines with 'imap-sansio passwd'",
    )
    group.add_argument(
        "--oauth-jwks-url",
        metavar="URL",
        help="accept bearer tokens (JWTs) signed by a key of this JWKS document",
    )
    group.add_argument(
        "--oauth-public-key", metavar="PEM", help="accept JWTs signed by this public key"
    )
    group.add_argument("--oauth-issuer", metavar="ISS", help="the tokens' required issuer")
    group.add_argument("--oauth-audience", metavar="AUD", help="the tokens' required audience")
    group.add_argument(
        "--oauth-user-claim",
        default="email",
        metavar="CLAIM",
        help="the token claim that holds the user name (default %(default)s)",
    )


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


def _password_file(args: argparse.Namespace) -> PasswordDatabase | None:
    if not args.passwd_file:
        return None
    if args.user or args.demo:
        raise SystemExit("imap-sansio: --passwd-file holds the accounts; drop --user and --demo")
    try:
        from .accounts import PasswordFile  # noqa: PLC0415 - optional extra

        return PasswordFile(args.passwd_file)
    except (ValueError, ImportError) as exc:
        raise SystemExit(f"imap-sansio: {exc}") from None


def add_sasl_mechanisms(
    server: IMAPServer, args: argparse.Namespace, passwords: PasswordDatabase | None
) -> tuple[str, bytes] | None:
    """SCRAM over the backend's accounts (when scramp is installed) and the
    bearer-token mechanisms (with an --oauth-* key); returns the channel
    binding for SCRAM -PLUS when there is a certificate."""
    binding = None
    if passwords is not None and importlib.util.find_spec("scramp") is not None:
        from .accounts import scram_mechanisms, tls_server_end_point  # noqa: PLC0415

        if args.tls_cert:
            binding = tls_server_end_point(args.tls_cert)
        for mechanism in scram_mechanisms(passwords, plus=binding is not None):
            server.add_sasl_mechanism(mechanism)
    if args.oauth_jwks_url or args.oauth_public_key:
        from imap_sansio.server import OAuthBearer, XOAuth2  # noqa: PLC0415

        from .oauth import JWTValidator  # noqa: PLC0415 - optional extra

        key = Path(args.oauth_public_key).read_bytes() if args.oauth_public_key else None
        validator = JWTValidator(
            jwks_url=args.oauth_jwks_url,
            public_key=key,
            issuer=args.oauth_issuer,
            audience=args.oauth_audience,
            user_claim=args.oauth_user_claim,
        )
        server.add_sasl_mechanism(OAuthBearer(validator))
        server.add_sasl_mechanism(XOAuth2(validator))
    return binding


def _login_limits(args: argparse.Namespace) -> LoginLimits:
    networks = tuple(n.strip() for n in args.trusted_networks.split(",") if n.strip())
    try:
        return LoginLimits(
            failure_delay=args.auth_failure_delay,
            max_failure_delay=args.auth_failure_max_delay,
            max_unauthenticated_per_address=args.max_unauthenticated_per_address,
            max_sessions_per_user=args.max_sessions_per_user,
            trusted_networks=networks,
        )
    except ValueError as exc:
        raise SystemExit(f"imap-sansio: invalid login limits: {exc}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Accounts:
    users: dict[str, str]
    demo: bool


def _parse_users(values: Sequence[str], demo: bool, *, allow_empty: bool = False) -> _Accounts:
    users: dict[str, str] = {}
    for value in values:
        name, sep, password = value.partition(":")
        if not sep or not name:
            raise SystemExit(f"imap-sansio: --user wants NAME:PASSWORD, got {name!r}:...")
        if not password and not allow_empty:
            raise SystemExit(
                f"imap-sansio: --user {name}: has an empty password "
                "(pass --allow-empty-password to accept it)"
            )
        users[name] = password
    return _Accounts(users=users, demo=demo or not users)


def build_server(users: dict[str, str], *, demo: bool) -> IMAPServerLike:
    """An ``IMAPServer`` over a ``MemoryBackend`` with these accounts (and the
    demo account and mailboxes when ``demo``)."""
    # Thread-safe, so that with --runtime threads sessions run at once.
    lock = threading.RLock()
    backend = demo_backend(lock=lock) if demo else MemoryBackend(lock=lock)
    for name, password in users.items():
        try:
            backend.add_user(name, password)
        except ValueError as exc:
            raise SystemExit(f"imap-sansio: {exc}") from exc
    return IMAPServer(backend, clock=wall_clock)


def build_maildir_server(
    root: Path, users: dict[str, str] | PasswordDatabase
) -> IMAPServerLike:
    """An ``IMAPServer`` over a ``MaildirBackend`` serving ``root/<user>``."""
    from .maildir import MaildirBackend  # noqa: PLC0415

    try:
        backend = MaildirBackend(root, users)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"imap-sansio: --maildir {root}: {exc}") from exc
    return IMAPServer(backend, clock=wall_clock)


def build_postgres_server(dsn: str, users: dict[str, str]) -> IMAPServerLike:
    """An ``IMAPServer`` over a ``PostgresBackend`` on ``dsn`` (migrated on
    start), with these accounts created or their passwords updated."""
    try:
        from .postgres_backend import PostgresBackend  # noqa: PLC0415 - the postgres extra
    except ImportError as exc:
        raise SystemExit(f"imap-sansio: --postgres: {exc}") from exc
    from .postgres_schema import SchemaTooNew  # noqa: PLC0415

    try:
        backend = PostgresBackend(dsn)
        for name, password in users.items():
            backend.add_user(name, password)
    except (ImapNo, SchemaTooNew) as exc:
        # The DSN may hold a password: only the error's kind and text.
        raise SystemExit(f"imap-sansio: --postgres: {exc}") from exc
    return IMAPServer(backend, clock=wall_clock)


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
    module_name, sep, attribute = spec.partition(":")
    if not sep:
        raise SystemExit("imap-sansio: --factory wants MODULE:CALLABLE")
    factory = getattr(importlib.import_module(module_name), attribute)
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


def _banner(args: argparse.Namespace, accounts: _Accounts, port: int, tls_port: int | None) -> str:
    lines = [f"imap-sansio: IMAP on {args.host}:{port} (runtime {args.runtime})"]
    if args.tls_cert:
        lines.append("  STARTTLS available on that port")
    if tls_port is not None:
        lines.append(f"  implicit TLS (IMAPS) on {args.host}:{tls_port}")
    if args.factory:
        lines.append(f"  server from {args.factory}")
    else:
        if args.maildir:
            lines.append(f"  mail stored in Maildir++ directories under {args.maildir}")
        if args.postgres:
            lines.append("  mail stored in PostgreSQL")
        if args.passwd_file:
            lines.append(f"  accounts from {args.passwd_file}")
        if accounts.demo:
            lines.append(f"  log in as {DEMO_USER} / {DEMO_PASSWORD}")
        if accounts.users:
            lines.append(f"  accounts: {', '.join(sorted(accounts.users))}")
        user = DEMO_USER if accounts.demo else min(accounts.users, default="USER")
        password = DEMO_PASSWORD if accounts.demo else "PASSWORD"
        lines.append(f"  try: curl -u {user}:{password} imap://{args.host}:{port}/INBOX")
    lines.append("  stop with Ctrl+C")
    return "\n".join(lines)


def _serve_threads(
    server: IMAPServerLike,
    args: argparse.Namespace,
    context: ssl.SSLContext | None,
    options: ServerOptions,
    announce: Callable[[int, int | None], None],
) -> None:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with ThreadedServer(
        server,
        host=args.host,
        port=args.port,
        tls_port=args.tls_port,
        ssl_context=context,
        options=options,
    ) as running:
        assert running.port is not None
        announce(running.port, running.tls_port)
        while not stop.wait(0.5):
            pass


def _serve_anyio(
    server: IMAPServerLike,
    args: argparse.Namespace,
    context: ssl.SSLContext | None,
    options: ServerOptions,
    announce: Callable[[int, int | None], None],
) -> None:
    import anyio  # noqa: PLC0415 - optional dependency

    from .anyio_server import AnyIOServer  # noqa: PLC0415 - needs anyio

    async def run() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with AnyIOServer(
                server,
                host=args.host,
                port=args.port,
                tls_port=args.tls_port,
                ssl_context=context,
                options=options,
            ) as running:
                assert running.port is not None
                announce(running.port, running.tls_port)
                async for _ in signals:
                    break

    anyio.run(run, backend=args.runtime)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "passwd":
        return passwd_command(args)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.tls_port is not None and not args.tls_cert:
        raise SystemExit("imap-sansio: --tls-port needs --tls-cert")
    if args.runtime is None:
        args.runtime = default_runtime()
    _require_runtime(args.runtime)
    passwords = _password_file(args)
    accounts = _parse_users(args.user, args.demo, allow_empty=args.allow_empty_password)
    if passwords is not None:
        accounts = _Accounts(users={}, demo=False)
    login_limits = _login_limits(args)
    if args.factory:
        server = _load_factory(args.factory)()
    elif args.postgres:
        if passwords is not None:
            raise SystemExit(
                "imap-sansio: --postgres keeps its accounts in the database: no --passwd-file"
            )
        # Accounts live in the database: the demo account only when asked for.
        users = dict(accounts.users)
        if args.demo:
            users.setdefault(DEMO_USER, DEMO_PASSWORD)
        accounts = _Accounts(users=users, demo=args.demo)
        server = build_postgres_server(args.postgres, users)
    elif passwords is not None:
        server = (
            build_maildir_server(Path(args.maildir), passwords)
            if args.maildir
            else IMAPServer(MemoryBackend(users=passwords), clock=wall_clock)
        )
    elif args.maildir:
        users = dict(accounts.users)
        if accounts.demo:
            users.setdefault(DEMO_USER, DEMO_PASSWORD)
        server = build_maildir_server(Path(args.maildir), users)
    else:
        server = build_server(accounts.users, demo=accounts.demo)
    if getattr(server, "on_error", log_handler_error) is None:
        server.on_error = log_handler_error
    context = server_ssl_context(args.tls_cert, args.tls_key) if args.tls_cert else None
    binding = None
    if isinstance(server, IMAPServer):
        binding = add_sasl_mechanisms(server, args, getattr(server.backend, "passwords", None))
    options = ServerOptions(
        max_connections=args.max_connections,
        allow_plaintext=args.allow_plaintext,
        login_limits=login_limits,
        # The built-in store is in memory and never blocks: call it on the
        # event loop; a --factory or Maildir server may block, so use worker threads.
        # A password file is read and hashed (Argon2 takes tens of ms) on use.
        offload=bool(args.factory or args.maildir or args.passwd_file or args.postgres),
        channel_binding=binding,
        reuse_port=args.reuse_port,
    )

    def announce(port: int, tls_port: int | None) -> None:
        print(_banner(args, accounts, port, tls_port), flush=True)

    # What start-up loaded (modules, the demo data, a store's index) lives as
    # long as the process: out of the collector's sight, a full collection no
    # longer walks it, so its pauses do not grow with the mailboxes loaded.
    gc.collect()
    gc.freeze()
    if args.runtime == "threads":
        _serve_threads(server, args, context, options, announce)
    else:
        _serve_anyio(server, args, context, options, announce)
    print("imap-sansio: stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
