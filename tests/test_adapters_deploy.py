"""Running the server for real: the configuration file and its schema, the
CLI's start-up errors and banner, socket activation, the systemd unit, the
container file, and what monitoring reads (session lines, statistics)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme
from imap_sansio.adapters import cli
from imap_sansio.adapters import config as cfg
from imap_sansio.adapters._driver import ServerStats
from imap_sansio.adapters.metrics import prometheus_text

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).parent
PYTHON = sys.executable


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    return env


def _serve_help() -> str:
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0]  # type: ignore[union-attr]
    return str(commands.choices["serve"].format_help())


# -- one schema for flags and file ----------------------------------------------

#: A value for every setting, none of them the default.
EVERY_SETTING = {
    "": {"runtime": "threads"},
    "listen": {
        "host": "::1",
        "port": 2143,
        "tls_port": 2993,
        "proxy_protocol": True,
        "proxy_from": ("192.0.2.0/24", "2001:db8::/32"),
        "reuse_port": True,
        "systemd": True,
    },
    "tls": {"cert": "/etc/c.pem", "key": "/etc/k.pem"},
    "accounts": {
        "users": ("alice:one", "bob:two"),
        "demo": True,
        "allow_empty_password": True,
        "passwd_file": "/etc/passwd-file",
        "oauth_jwks_url": "https://id.example/jwks.json",
        "oauth_public_key": "/etc/jwt.pem",
        "oauth_issuer": "https://id.example",
        "oauth_audience": "imap",
        "oauth_user_claim": "sub",
    },
    "store": {"maildir": "/srv/mail", "postgres": "dbname=mail", "factory": "mod:make"},
    "limits": {
        "max_connections": 7,
        "allow_plaintext": True,
        "auth_failure_delay": 1.5,
        "auth_failure_max_delay": 9.0,
        "max_unauthenticated_per_address": 3,
        "max_sessions_per_user": 4,
        "trusted_networks": ("10.0.0.0/8",),
    },
    "logging": {"level": "debug", "stats_interval": 60.0, "metrics_port": 9143},
}


def _leaves() -> Iterator[tuple[str, dataclasses.Field[object]]]:
    for section, kind in cfg._SECTIONS:
        for f in dataclasses.fields(kind):
            if "flag" in f.metadata:
                yield section or "", f


def _as_flags() -> list[str]:
    argv = ["serve"]
    for section, f in _leaves():
        value = EVERY_SETTING[section][f.name]
        flag = f.metadata["flag"]
        if value is True:
            argv.append(flag)
        elif isinstance(value, tuple):
            if "," in (f.metadata["metavar"] or ""):
                argv += [flag, ",".join(value)]
            else:
                for item in value:
                    argv += [flag, item]
        else:
            argv += [flag, str(value)]
    return argv


def _as_toml() -> str:
    lines = []
    for section, settings in EVERY_SETTING.items():
        if section:
            lines.append(f"[{section}]")
        for key, value in settings.items():
            plain = list(value) if isinstance(value, tuple) else value
            lines.append(f"{key} = {json.dumps(plain)}")
    return "\n".join(lines) + "\n"


def test_every_setting_is_a_documented_flag_and_a_file_key(tmp_path: Path) -> None:
    assert {s for s, _ in _leaves()} == set(EVERY_SETTING)
    assert sorted(f.name for s, f in _leaves() if s == "limits") == sorted(EVERY_SETTING["limits"])
    text = _serve_help()
    for _, f in _leaves():
        assert f.metadata["flag"] in text
    path = tmp_path / "all.toml"
    path.write_text(_as_toml())
    from_file = cfg.merge(cfg.load_file(path))
    from_flags = cfg.merge(cfg.from_arguments(cli.build_parser().parse_args(_as_flags())))
    assert from_file == from_flags
    assert from_file != cfg.Config()
    for section, f in _leaves():
        part = from_file if not section else getattr(from_file, section)
        assert getattr(part, f.name) == EVERY_SETTING[section][f.name]


def test_flags_override_the_file_and_the_file_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[listen]\nport = 2000\nhost = "::1"\n[limits]\nmax_connections = 5\n')
    args = cli.build_parser().parse_args(["serve", "--config", str(path), "--port", "3000"])
    config = cli.config_from_args(args)
    assert config.listen == cfg.Listen(host="::1", port=3000)
    assert config.limits.max_connections == 5
    assert config.limits.auth_failure_delay == cfg.Limits().auth_failure_delay


def test_verbose_flags_set_the_log_level() -> None:
    parse = cli.build_parser().parse_args
    assert cli.config_from_args(parse(["serve"])).logging.level == "warning"
    assert cli.config_from_args(parse(["serve", "-v"])).logging.level == "info"
    assert cli.config_from_args(parse(["serve", "-vv"])).logging.level == "debug"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("port = 3\n", "c.toml: port: belongs in the [listen] table"),
        ("[listen]\nprot = 3\n", "c.toml: [listen] prot: unknown setting; known here: host, "),
        ('[listen]\nport = "143"\n', "c.toml: [listen] port: expected int, got '143'"),
        ("[listen]\nproxy_protocol = 1\n", "c.toml: [listen] proxy_protocol: expected bool, got 1"),
        ('[accounts]\nusers = "a:b"\n', "c.toml: [accounts] users: expected a list of strings"),
        ('[logging]\nlevel = "loud"\n', "c.toml: [logging] level: expected one of warning, "),
        ("listen = 3\n", "c.toml: [listen] must be a table"),
        ("[listen\n", "c.toml: not valid TOML: "),
    ],
)
def test_file_errors_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(cfg.ConfigError) as caught:
        cfg.load_file(path)
    assert str(caught.value).startswith(str(tmp_path / message))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"listen": {"tls_port": 993}}, "--tls-port needs --tls-cert"),
        ({"listen": {"port": 70000}}, "--port 70000: not a port number (0 to 65535)"),
        ({"listen": {"proxy_from": ("10.0.0.0/8",)}}, "--proxy-from needs --proxy-protocol"),
        (
            {"listen": {"proxy_protocol": True, "proxy_from": ("ten",)}},
            "--proxy-from ten: not a network (CIDR)",
        ),
        ({"accounts": {"users": ("alice",)}}, "--user wants NAME:PASSWORD, got 'alice':..."),
        ({"accounts": {"users": ("alice:",)}}, "--user alice: has an empty password"),
        ({"limits": {"auth_failure_delay": -1.0}}, "invalid login limits: failure_delay must"),
        ({"store": {"factory": "nocolon"}}, "--factory wants MODULE:CALLABLE"),
        (
            {"store": {"maildir": "/m", "postgres": "dbname=m"}},
            "--maildir and --postgres: mail lives in one store; choose one",
        ),
    ],
)
def test_settings_that_cannot_work_are_refused(
    settings: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(cfg.ConfigError) as caught:
        cfg.validate(cfg.merge(settings))
    assert str(caught.value).startswith(message)


def test_check_config_prints_the_effective_settings_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = trustme.CA()
    pem = tmp_path / "server.pem"
    ca.issue_cert("localhost").private_key_and_cert_chain_pem.write_to_path(str(pem))
    path = tmp_path / "c.toml"
    path.write_text(
        f'[tls]\ncert = "{pem}"\n[accounts]\nusers = ["alice:s3cret-never-shown"]\n'
        '[listen]\nhost = "::1"\n[store]\npostgres = "dbname=mail password=pg-never-shown"\n'
    )
    assert cli.main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "s3cret-never-shown" not in out
    assert "pg-never-shown" not in out
    assert 'postgres = "<redacted>"\n' in out
    assert out.startswith(f"# {path}: valid; the effective configuration:\n")
    assert 'users = ["alice:<redacted>"]\n' in out
    assert "# tls_port is not set\n" in out
    # What it prints is a file that means the same (secrets aside).
    printed = tmp_path / "printed.toml"
    printed.write_text(out)
    expected = cfg.redacted(cfg.merge(cfg.load_file(path)))
    assert cfg.merge(cfg.load_file(printed)) == expected
    assert tomllib.loads(out)["listen"]["host"] == "::1"


def test_check_config_fails_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[tls]\ncert = "{tmp_path / "missing.pem"}"\n')
    assert cli.main(["check-config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == f"imap-sansio: --tls-cert {tmp_path / 'missing.pem'}: No such file or directory\n"


def test_the_example_configuration_is_valid() -> None:
    settings = cfg.load_file(ROOT / "contrib" / "imap-sansio.toml")
    cfg.validate(cfg.merge(settings))


# -- start-up errors: one line and a non-zero exit ------------------------------


def _run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "imap_sansio.adapters", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.mark.parametrize("runtime", ["asyncio", "trio", "threads"])
def test_a_port_in_use_is_one_line(runtime: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = _run_cli("serve", "--runtime", runtime, "--port", str(port))
    assert _one_line(result) == (
        f"imap-sansio: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(another server is running there: stop it or choose another --port)\n"
    )


def test_certificate_problems_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    result = _run_cli("serve", "--port", "0", "--tls-cert", str(missing))
    assert _one_line(result) == f"imap-sansio: --tls-cert {missing}: No such file or directory\n"
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    chain = tmp_path / "chain.pem"
    cert.cert_chain_pems[0].write_to_path(str(chain))
    result = _run_cli("serve", "--port", "0", "--tls-cert", str(chain), "--tls-key", str(missing))
    assert _one_line(result) == f"imap-sansio: --tls-key {missing}: No such file or directory\n"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    line = _one_line(_run_cli("serve", "--port", "0", "--tls-cert", str(garbage)))
    assert line.startswith(f"imap-sansio: --tls-cert {garbage}: not a PEM certificate chain")
    unreadable = tmp_path / "unreadable.pem"
    unreadable.mkdir()  # a directory: unreadable as a file even for root
    line = _one_line(_run_cli("serve", "--port", "0", "--tls-cert", str(unreadable)))
    assert line == f"imap-sansio: --tls-cert {unreadable}: Is a directory\n"


def test_a_bad_config_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[listen]\nport = 'x'\n")
    line = _one_line(_run_cli("serve", "--config", str(path)))
    assert line == f"imap-sansio: {path}: [listen] port: expected int, got 'x'\n"
    line = _one_line(_run_cli("serve", "--config", str(tmp_path / "none.toml")))
    assert line == f"imap-sansio: {tmp_path / 'none.toml'}: No such file or directory\n"


# -- the banner --------------------------------------------------------------------


def _banner(*argv: str, port: int = 1143, tls_port: int | None = None) -> str:
    config = cli.config_from_args(cli.build_parser().parse_args(["serve", *argv]))
    return cli._banner(config, cli._accounts(config), "asyncio", port, tls_port)


def test_banner_brackets_ipv6_and_suggests_a_command_that_shows_mail() -> None:
    text = _banner("--host", "::1")
    assert "IMAP on [::1]:1143 " in text
    assert "  try: curl -u demo:demo 'imap://[::1]:1143/INBOX;UID=1'\n" in text
    assert "warning" not in text


def test_banner_warns_with_the_flag_to_pass_when_logins_would_be_refused() -> None:
    text = _banner("--host", "192.0.2.10")
    assert (
        "  warning: clients on other machines get LOGINDISABLED (no TLS): pass "
        "--tls-cert PEM [--tls-key PEM], or --allow-plaintext to allow passwords "
        "in clear text\n"
    ) in text
    # Listening everywhere: the suggestion goes through loopback, which works.
    assert "try: curl -u demo:demo 'imap://127.0.0.1:1143/INBOX;UID=1'" in _banner(
        "--host", "0.0.0.0"
    )
    assert "warning" not in _banner("--host", "192.0.2.10", "--allow-plaintext")
    tls = _banner("--host", "192.0.2.10", "--tls-cert", "c.pem", "--tls-port", "993", tls_port=993)
    assert "warning" not in tls
    assert "try: curl -k -u demo:demo 'imaps://192.0.2.10:993/INBOX;UID=1'" in tls


@contextmanager
def _cli(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [PYTHON, "-m", "imap_sansio.adapters", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        banner = ""
        while "stop with" not in banner:
            line = process.stdout.readline()
            assert line, banner + (process.stderr.read() if process.stderr else "")
            banner += line
        yield process, banner
    finally:
        process.terminate()
        process.communicate(timeout=15)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not on PATH")
def test_the_suggested_curl_command_shows_the_first_message() -> None:
    with _cli() as (_, banner):
        command = re.search(r"try: (curl .*)", banner)[1]  # type: ignore[index]
        result = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=30, check=False
        )
    assert result.returncode == 0, result.stderr
    assert "Subject: Welcome to imap-sansio\n" in result.stdout  # text mode: CRLF read as \n


def test_help_texts() -> None:
    top = subprocess.run(
        [PYTHON, "-m", "imap_sansio.adapters", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    ).stdout
    assert "(in memory)" not in top
    assert "in Maildirs" in top
    text = " ".join(_serve_help().split())
    assert "--host HOST address to listen on (default 127.0.0.1)" in text
    assert "--port PORT plain/STARTTLS port (default 1143; 0: any free)" in text
    assert "--max-connections N connections served at once" in text
    # The reference page lists every option from the parser itself; the
    # guides must explain each one in words too.
    guides = " ".join(path.read_text() for path in sorted((ROOT / "docs" / "guides").glob("*.rst")))
    for _, f in _leaves():
        flag = f.metadata["flag"]
        assert re.search(rf"(?<![\w-]){flag}(?![\w-])", guides), flag


# -- socket activation ---------------------------------------------------------------


def test_listen_fds_belongs_to_the_process_it_names() -> None:
    assert cli.listen_fds({"LISTEN_FDS": "1", "LISTEN_PID": str(os.getpid() + 1)}) == []
    assert cli.listen_fds({}) == []
    with pytest.raises(cli.StartupError, match="LISTEN_FDS='x': not a number"):
        cli.listen_fds({"LISTEN_FDS": "x", "LISTEN_PID": str(os.getpid())})


@pytest.mark.parametrize("runtime", ["asyncio", "trio", "threads"])
def test_socket_activation_serves_the_socket_passed_as_fd_3(runtime: str) -> None:
    # As systemd's imap-sansio.socket: dual-stack, here on loopback.
    listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    # As systemd does: the socket is fd 3, LISTEN_PID is the server's pid.
    move = "" if fd == 3 else f"exec 3<&{fd} {fd}<&-; "
    script = (
        f"{move}LISTEN_FDS=1 LISTEN_PID=$$ exec {shlex.quote(PYTHON)} "
        f"-m imap_sansio.adapters serve --systemd --runtime {runtime}"
    )
    process = subprocess.Popen(
        ["bash", "-c", script],
        pass_fds=(fd,),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    listener.close()
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first == f"imap-sansio: IMAP on [::1]:{port} (runtime {runtime})\n", first
        with socket.create_connection(("::1", port), timeout=10) as client:
            assert client.recv(4096).startswith(b"* OK [CAPABILITY IMAP4rev1 ")
            client.sendall(b"a LOGIN demo demo\r\n")
            assert b"a OK " in client.recv(4096)
    finally:
        process.terminate()
        process.communicate(timeout=15)
    assert process.returncode == 0


def test_systemd_without_sockets_is_one_line() -> None:
    line = _one_line(_run_cli("serve", "--systemd"))
    assert line == "imap-sansio: --systemd: no sockets were passed (LISTEN_FDS is not set)\n"


# -- the systemd unit and the container file ----------------------------------------


def _exec_start() -> list[str]:
    unit = (ROOT / "contrib" / "imap-sansio.service").read_text()
    return shlex.split(re.search(r"(?m)^ExecStart=(.*)$", unit)[1])  # type: ignore[index]


def test_the_unit_runs_a_valid_command_line() -> None:
    command = _exec_start()
    assert command[0].endswith("/bin/imap-sansio")
    args = cli.build_parser().parse_args(command[1:])
    assert args.config == "/etc/imap-sansio/imap-sansio.toml"
    args.config = None  # the file is not here; its example is checked below
    assert cli.config_from_args(args).listen.systemd


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this one.
    program = Path(PYTHON).with_name("imap-sansio")
    assert program.exists()
    for name in ("imap-sansio.service", "imap-sansio.socket"):
        text = (ROOT / "contrib" / name).read_text()
        (tmp_path / name).write_text(text.replace("/opt/imap-sansio/bin/imap-sansio", str(program)))
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            str(tmp_path / "imap-sansio.socket"),
            str(tmp_path / "imap-sansio.service"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "imap-sansio" not in result.stderr, result.stderr


_CONTAINER_INSTRUCTIONS = {"FROM", "WORKDIR", "COPY", "RUN", "USER", "EXPOSE", "ENTRYPOINT", "CMD"}


def _container_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Containerfile").read_text()
    logical = re.sub(r"\\\n", " ", text)
    found = []
    for line in logical.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, rest = line.strip().partition(" ")
        found.append((keyword, rest.strip()))
    return found


def test_the_container_file_parses_and_its_command_starts_the_server() -> None:
    instructions = _container_instructions()
    assert {k for k, _ in instructions} <= _CONTAINER_INSTRUCTIONS
    assert instructions[0][0] == "FROM"
    for keyword, rest in instructions:
        if keyword == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), source
    entrypoint = json.loads(dict(instructions)["ENTRYPOINT"])
    command = json.loads(dict(instructions)["CMD"])
    assert entrypoint == ["imap-sansio"]
    cli.config_from_args(cli.build_parser().parse_args(command))
    # The same command starts (here on loopback: later flags win).
    process = subprocess.Popen(
        [PYTHON, "-m", "imap_sansio.adapters", *command, "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("imap-sansio: IMAP on 127.0.0.1:")
    finally:
        process.terminate()
        process.communicate(timeout=15)
    assert process.returncode == 0


# -- what monitoring reads ---------------------------------------------------------


def test_prometheus_text_names_every_counter() -> None:
    stats = ServerStats(sessions_total=3, auth_failures_total=2)
    text = prometheus_text(stats)
    assert "# TYPE imap_sansio_sessions_total counter\nimap_sansio_sessions_total 3\n" in text
    assert "# TYPE imap_sansio_sessions_active gauge\nimap_sansio_sessions_active 0\n" in text
    assert "imap_sansio_auth_failures_total 2\n" in text
    assert text.count("# HELP ") == len(stats.counters()) == 9


@pytest.mark.parametrize("runtime", ["asyncio", "threads"])
def test_session_lines_statistics_and_metrics(runtime: str) -> None:
    args = ("--runtime", runtime, "-v", "--auth-failure-delay", "0", "--metrics-port", "0")
    with _cli(*args, "--stats-interval", "0.2") as (process, banner):
        metrics = re.search(r"metrics on (http://127\.0\.0\.1:\d+/metrics)", banner)[1]  # type: ignore[index]
        port = int(re.search(r"IMAP on 127\.0\.0\.1:(\d+)", banner)[1])  # type: ignore[index]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            stream = client.makefile("rwb")
            stream.readline()
            for line in (b"a LOGIN demo wrong\r\n", b"b LOGIN demo demo\r\n", b"c LOGOUT\r\n"):
                stream.write(line)
                stream.flush()
            while not stream.readline().startswith(b"c OK"):
                pass
        assert process.stderr is not None
        session = stats = ""
        # The statistics line comes every 0.2 s: the first one after the
        # three commands may still count the session as active (it ends a
        # moment after the client read LOGOUT's OK); the session's end must
        # show up in one of the lines that follow.
        deadline = time.monotonic() + 30
        while not (session and stats) and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line
            if " disconnected user=" in line:
                session = line
            if " stats " in line and "commands_total=3" in line and "sessions_active=0" in line:
                stats = line
        with urllib.request.urlopen(metrics, timeout=10) as response:
            text = response.read().decode()
            kind = response.headers["Content-Type"]
    assert re.search(
        r"127\.0\.0\.1:\d+ disconnected user='demo' duration=\d+\.\d{3} "
        r"bytes_in=49 bytes_out=\d+ commands=3$",
        session.strip(),
    ), session
    assert "sessions_active=0 sessions_total=1 " in stats
    assert "auth_failures_total=1 errors_total=0" in stats
    assert kind == "text/plain; version=0.0.4; charset=utf-8"
    for line in (
        "imap_sansio_sessions_total 1",
        "imap_sansio_sessions_active 0",
        "imap_sansio_commands_total 3",
        "imap_sansio_logins_total 1",
        "imap_sansio_auth_failures_total 1",
        "imap_sansio_errors_total 0",
        "imap_sansio_bytes_in_total 49",
    ):
        assert f"\n{line}\n" in text


def test_the_log_says_what_secure_rests_on() -> None:
    from imap_sansio.adapters._driver import describe_transport

    assert describe_transport("127.0.0.1", tls=False, allow_plaintext=False) == (
        "tls=no, trusted-loopback"
    )
    assert describe_transport("192.0.2.1", tls=False, allow_plaintext=False) == (
        "tls=no, LOGINDISABLED"
    )
    assert describe_transport("192.0.2.1", tls=False, allow_plaintext=True) == (
        "tls=no, plaintext-allowed"
    )
    assert describe_transport("192.0.2.1", tls=True, allow_plaintext=False) == "tls=yes"


# -- benchmarks write their report only where asked -------------------------------


def test_a_quick_benchmark_run_leaves_the_committed_report_alone(tmp_path: Path) -> None:
    committed = ROOT / "benchmarks" / "RESULTS.md"
    latest = ROOT / "benchmarks" / "results" / "latest.json"
    before = [(p, p.stat().st_mtime_ns, p.read_bytes()) for p in (committed, latest) if p.exists()]
    run = [PYTHON, "-m", "benchmarks", "--quick", "--only", "view"]
    printed = subprocess.run(
        run, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout
    assert "| view: " in printed  # the report, on standard output
    after = [(p, p.stat().st_mtime_ns, p.read_bytes()) for p, _, _ in before]
    assert after == before
    subprocess.run(
        [*run, "--output", str(tmp_path)], cwd=ROOT, capture_output=True, timeout=300, check=True
    )
    assert "| view: " in (tmp_path / "RESULTS.md").read_text()
    assert (tmp_path / "results" / "latest.json").exists()
