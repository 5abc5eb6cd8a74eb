"""The command line, run as a real process, and the missing-extra messages."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from _adapter_harness import Client

TESTS = Path(__file__).parent
PYTHON = sys.executable


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    return env


def _start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [PYTHON, "-m", "imap_sansio.adapters", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout is not None
    banner = ""
    while "stop with" not in banner:
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise AssertionError(banner + (process.stderr.read() if process.stderr else ""))
        banner += line
    return process, banner


@pytest.fixture
def cli_process(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], int]]:
    runtime = request.param
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "imap_sansio.adapters",
            "serve",
            "--port",
            "0",
            "--runtime",
            runtime,
            "--factory",
            "_cli_factory:make_server",
            "-vv",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"IMAP on 127\.0\.0\.1:(\d+) \(runtime (\w+)\)", first)
        assert found, first + (process.stderr.read() if process.stderr else "")
        assert found[2] == runtime
        yield process, int(found[1])
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


@pytest.mark.parametrize("cli_process", ["asyncio", "trio", "threads"], indirect=True)
def test_cli_serves_and_stops_on_sigterm(cli_process: tuple[subprocess.Popen[str], int]) -> None:
    process, port = cli_process
    with Client(port) as client:
        assert client.line().startswith(b"* OK [CAPABILITY IMAP4rev1")
        assert client.command(b"a", b"CAPABILITY")[-1] == b"a OK CAPABILITY completed\r\n"
        done = client.command(b"b", b"LOGIN alice wonderland")[-1]
        assert done.startswith(b"b OK [CAPABILITY IMAP4rev1 ")
        assert done.endswith(b"] LOGIN completed\r\n")
        process.send_signal(signal.SIGTERM)
        assert client.line() == b"* BYE Server shutting down\r\n"
        assert client.at_eof()
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "wonderland" not in err  # -vv logs commands, never passwords
    assert "command b LOGIN" in err


@pytest.mark.parametrize("cli_process", ["threads"], indirect=True)
def test_cli_stops_on_sigint(cli_process: tuple[subprocess.Popen[str], int]) -> None:
    process, _ = cli_process
    process.send_signal(signal.SIGINT)
    assert process.wait(10) == 0


def test_console_script_is_installed() -> None:
    script = Path(PYTHON).parent / "imap-sansio"
    result = subprocess.run(
        [str(script), "serve", "--help"], capture_output=True, text=True, check=True
    )
    for option in (
        "--host",
        "--port",
        "--runtime",
        "--user",
        "--demo",
        "--tls-cert",
        "--tls-key",
        "--tls-port",
        "--max-connections",
        "-v",
    ):
        assert option in result.stdout


def _run_without(module: str, code: str) -> subprocess.CompletedProcess[str]:
    prelude = f"import sys; sys.modules[{module!r}] = None\n"
    return subprocess.run(
        [PYTHON, "-c", prelude + code], check=False, capture_output=True, text=True, env=_env()
    )


def test_missing_anyio_names_the_extra() -> None:
    result = _run_without("anyio", "import imap_sansio.adapters.anyio_server")
    assert result.returncode != 0
    assert "pip install imap-sansio[anyio]" in result.stderr
    # The threaded server and the package itself need no extra.
    result = _run_without(
        "anyio", "import imap_sansio.adapters; imap_sansio.adapters.ThreadedServer"
    )
    assert result.returncode == 0, result.stderr


def test_missing_trio_names_the_extra() -> None:
    result = _run_without(
        "trio",
        "from imap_sansio.adapters.cli import main; "
        "main(['serve', '--runtime', 'trio', '--factory', '_cli_factory:make_server'])",
    )
    assert result.returncode != 0
    assert "pip install imap-sansio[trio]" in result.stderr


def test_cli_tls_starttls_and_implicit(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    for blob in cert.cert_chain_pems[1:]:
        blob.write_to_path(str(tmp_path / "cert.pem"), append=True)
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    process, banner = _start(
        [
            "--runtime",
            "threads",
            "--factory",
            "_cli_factory:make_server",
            "--tls-cert",
            str(tmp_path / "cert.pem"),
            "--tls-key",
            str(tmp_path / "key.pem"),
            "--tls-port",
            "0",
        ]
    )
    try:
        port = int(re.search(r"IMAP on 127\.0\.0\.1:(\d+)", banner)[1])  # type: ignore[index]
        tls_port = int(re.search(r"IMAPS\) on 127\.0\.0\.1:(\d+)", banner)[1])  # type: ignore[index]
        with Client(tls_port, context=context) as client:
            assert client.line().startswith(b"* OK")
        with Client(port) as client:
            assert b"STARTTLS" in client.line()
            assert client.command(b"a", b"STARTTLS") == [b"a OK Begin TLS negotiation now\r\n"]
            client.start_tls(context)
            assert client.command(b"b", b"NOOP") == [b"b OK NOOP completed\r\n"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def test_default_runtime_falls_back_to_threads_without_anyio() -> None:
    """The README's quick start installs no extras: the server must still start."""
    from imap_sansio.adapters import cli

    assert cli.default_runtime() == "asyncio"
    assert cli.config_from_args(cli.build_parser().parse_args(["serve"])).runtime is None
    process = subprocess.Popen(
        [
            PYTHON,
            "-c",
            "import sys; sys.modules['anyio'] = None\n"
            "from imap_sansio.adapters.cli import main\n"
            "main(['serve', '--port', '0', '--factory', '_cli_factory:make_server'])",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "(runtime threads)" in first, first + (
            process.stderr.read() if process.stderr else ""
        )
        port = int(re.search(r"IMAP on 127\.0\.0\.1:(\d+)", first)[1])  # type: ignore[index]
        with Client(port) as client:
            assert client.line().startswith(b"* OK [CAPABILITY IMAP4rev1 ")
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
