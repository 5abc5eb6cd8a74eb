"""``imap-sansio serve`` as a real process: login limits, empty passwords,
and what it logs when a command handler fails."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _adapter_harness import Client
from imap_sansio.adapters.cli import build_parser, wall_clock

from imap_sansio._secret import Secret
from imap_sansio.server import Account, IMAPServer, MemoryBackend

TESTS = Path(__file__).parent
SECRET = "hunter2-never-logged"


class CrashingBackend(MemoryBackend):
    """LOGIN as ``crash`` raises an error whose text carries the password."""

    def authenticate(
        self, username: str, password: Secret[str], *, authzid: str | None = None
    ) -> Account:
        if username == "crash":
            raise RuntimeError(f"cannot check password {password.reveal()!r}")
        return super().authenticate(username, password, authzid=authzid)


def crashing_server() -> IMAPServer:
    """The ``--factory`` of the test below (no ``on_error`` of its own)."""
    return IMAPServer(CrashingBackend(users={"alice": "secret"}), clock=wall_clock)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "imap_sansio.adapters", "serve", "--port", "0", *args]


@pytest.fixture
def serve(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``imap-sansio serve`` with the test's arguments, and its port."""
    process = subprocess.Popen(
        _command("--runtime", "threads", *request.param),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if ":" not in first:
            raise AssertionError(first + (process.stderr.read() if process.stderr else ""))
        port = int(first.split(" (runtime", 1)[0].rsplit(":", 1)[1])
        yield process, port
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(10)


def test_an_empty_password_is_refused_with_one_line() -> None:
    result = subprocess.run(
        _command("--user", "alice:"),
        check=False,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr == (
        "imap-sansio: --user alice: has an empty password "
        "(pass --allow-empty-password to accept it)\n"
    )


@pytest.mark.parametrize("serve", [["--user", "alice:", "--allow-empty-password"]], indirect=True)
def test_an_empty_password_is_accepted_when_asked_for(
    serve: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = serve
    with Client(port) as client:
        client.line()
        assert client.command(b"a", b'LOGIN alice ""')[-1].startswith(b"a OK ")


@pytest.mark.parametrize(
    "serve", [["--factory", "test_adapters_cli_limits:crashing_server"]], indirect=True
)
def test_a_failing_handler_is_logged_with_its_traceback_and_no_secret(
    serve: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = serve
    with Client(port) as client:
        client.line()
        answer = client.command(b"a", b"LOGIN crash " + SECRET.encode())
        assert answer == [b"a NO [SERVERBUG] Internal server error\r\n"]
    process.terminate()
    _, stderr = process.communicate(timeout=20)
    assert "ERROR imap_sansio.adapters: a command handler failed" in stderr
    assert "Traceback (most recent call last):" in stderr
    assert "in authenticate" in stderr
    assert "RuntimeError (text withheld)" in stderr
    assert SECRET not in stderr  # the source line of the raise is shown, never its value


@pytest.mark.parametrize(
    "serve",
    [
        [
            "--trusted-networks",
            "",
            "--auth-failure-delay",
            "0.25",
            "--max-unauthenticated-per-address",
            "2",
            "--max-sessions-per-user",
            "1",
        ]
    ],
    indirect=True,
)
def test_the_limit_options_reach_the_server(serve: tuple[subprocess.Popen[str], int]) -> None:
    _, port = serve
    with Client(port) as first, Client(port) as second:
        first.line()
        second.line()
        with Client(port) as third:
            assert third.line() == (
                b"* BYE [UNAVAILABLE] Too many connections from your address\r\n"
            )
        start = time.monotonic()
        for tag in (b"a", b"b"):
            assert first.command(tag, b"LOGIN demo wrong") == [
                tag + b" NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
            ]
        assert time.monotonic() - start >= 0.25 + 0.5 - 0.005  # doubled for the second
        assert first.command(b"c", b"LOGIN demo demo")[-1].startswith(b"c OK ")
        assert second.command(b"d", b"LOGIN demo demo") == [
            b"d NO [LIMIT] Too many sessions of this user from your address\r\n"
        ]


def test_the_help_documents_the_limits() -> None:
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    text = serve.format_help()
    for option in (
        "--auth-failure-delay",
        "--auth-failure-max-delay",
        "--max-unauthenticated-per-address",
        "--max-sessions-per-user",
        "--trusted-networks",
        "--allow-empty-password",
    ):
        assert option in text
