"""Logins in the pure server: odd credentials, held answers, refused sessions.

- Credentials that are not UTF-8 (LOGIN, AUTHENTICATE PLAIN and LOGIN,
  SASL-IR) are wrong credentials: ``NO [AUTHENTICATIONFAILED]`` (RFC 5530),
  never ``NO [SERVERBUG]``, and the backend never sees them.
- ``defer_answer()`` during a failed login keeps its tagged NO back, and
  nothing the client sent after it runs, until ``release_answer()``.
- ``admit_login`` refuses a login with its code (``NO [LIMIT]``, RFC 5530)
  and the session stays not authenticated.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from imap_sansio._secret import Secret
from imap_sansio._state import State
from imap_sansio.server import Account, ImapNo, IMAPServer, MemoryBackend

FAILED = b"NO [AUTHENTICATIONFAILED] Authentication failed\r\n"


def clock() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


class RecordingBackend(MemoryBackend):
    """Records what authenticate() was asked with and what logged out."""

    def __init__(self) -> None:
        super().__init__(users={"alice": "secret"})
        self.asked: list[tuple[str, str]] = []
        self.logouts = 0

    def authenticate(
        self, username: str, password: Secret[str], *, authzid: str | None = None
    ) -> Account:
        self.asked.append((username, password.reveal()))
        return _Tracked(super().authenticate(username, password, authzid=authzid), self)


class _Tracked:
    """An account that counts its logouts."""

    def __init__(self, inner: Account, backend: RecordingBackend) -> None:
        self._inner = inner
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def logout(self) -> None:
        self._backend.logouts += 1
        self._inner.logout()


def make_server(**hooks: Any) -> tuple[IMAPServer, RecordingBackend, list[BaseException]]:
    errors: list[BaseException] = []
    backend = RecordingBackend()
    server = IMAPServer(backend, clock=clock, on_error=errors.append, **hooks)
    return server, backend, errors


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


@pytest.mark.parametrize(
    "exchange",
    [
        # LOGIN with the password as a literal (8-bit bytes).
        [b"a LOGIN alice {7}\r\n", b"secr\xfft\r\n"],
        # A user name that is not UTF-8.
        [b"a LOGIN {5}\r\n", b"al\xe9ce secret\r\n"],
        # AUTHENTICATE PLAIN (RFC 4616) after a continuation.
        [b"a AUTHENTICATE PLAIN\r\n", b64(b"\0alice\0secr\xff") + b"\r\n"],
        # SASL-IR (RFC 4959): the initial response on the command line.
        [b"a AUTHENTICATE PLAIN " + b64(b"\0alice\0\xc3\x28") + b"\r\n"],
        # An authorization identity that is not UTF-8.
        [b"a AUTHENTICATE PLAIN " + b64(b"\xff\0alice\0secret") + b"\r\n"],
        # AUTHENTICATE LOGIN: user name, then password.
        [b"a AUTHENTICATE LOGIN\r\n", b64(b"alice") + b"\r\n", b64(b"\x80") + b"\r\n"],
        [b"a AUTHENTICATE LOGIN " + b64(b"al\xffce") + b"\r\n", b64(b"secret") + b"\r\n"],
    ],
)
def test_credentials_that_are_not_utf8_are_wrong_credentials(exchange: list[bytes]) -> None:
    logins: list[bool] = []
    server, backend, errors = make_server(on_login=lambda s, user, ok: logins.append(ok))
    conn = server.connect()
    conn.data_to_send()
    output = b""
    for part in exchange:
        conn.receive_data(part)
        output += conn.data_to_send()
    assert output.endswith(b"\r\na " + FAILED) or output == b"a " + FAILED
    assert output.count(b"\r\n") == len(exchange)  # continuations, then the NO
    assert errors == []
    assert backend.asked == []  # never handed to the backend
    assert logins == [False]
    assert conn.state is State.NOT_AUTHENTICATED
    conn.receive_data(b"b LOGIN alice secret\r\n")
    assert conn.data_to_send().startswith(b"b OK [CAPABILITY ")


def test_a_deferred_failure_holds_its_answer_and_what_followed() -> None:
    server, _, _ = make_server()
    server.on_login = lambda session, user, ok: None if ok else session.defer_answer()
    conn = server.connect()
    conn.data_to_send()
    conn.receive_data(b"a LOGIN alice wrong\r\nb NOOP\r\n")
    assert conn.data_to_send() == b""
    assert conn.answer_deferred
    assert conn.paused  # the engine reads nothing more meanwhile
    conn.receive_data(b"c LOGIN alice secret\r\n")
    assert conn.data_to_send() == b""
    conn.release_answer()
    assert not conn.answer_deferred
    output = conn.data_to_send()
    assert output.startswith(b"a " + FAILED + b"b OK NOOP completed\r\nc OK [CAPABILITY ")
    assert conn.username == "alice"


def test_a_deferred_authenticate_failure_is_held_too() -> None:
    server, _, _ = make_server()
    server.on_login = lambda session, user, ok: None if ok else session.defer_answer()
    conn = server.connect()
    conn.data_to_send()
    conn.receive_data(b"a AUTHENTICATE PLAIN\r\n")
    assert conn.data_to_send() == b"+ \r\n"
    conn.receive_data(b64(b"\0alice\0wrong") + b"\r\nb NOOP\r\n")
    assert conn.data_to_send() == b""
    conn.release_answer()
    assert conn.data_to_send() == b"a " + FAILED + b"b OK NOOP completed\r\n"


def test_a_connection_closed_while_its_answer_is_held_sends_no_answer() -> None:
    server, _, _ = make_server()
    server.on_login = lambda session, user, ok: None if ok else session.defer_answer()
    conn = server.connect()
    conn.data_to_send()
    conn.receive_data(b"a LOGIN alice wrong\r\n")
    conn.shutdown("Timed out waiting for login")
    conn.release_answer()
    assert conn.data_to_send() == b"* BYE Timed out waiting for login\r\n"


def test_admit_login_refuses_with_its_code_and_the_account_is_closed() -> None:
    def admit(session: object, username: str) -> None:
        raise ImapNo("Too many sessions of this user from your address", "LIMIT")

    logins: list[tuple[str, bool]] = []
    server, backend, errors = make_server(
        admit_login=admit, on_login=lambda s, user, ok: logins.append((user, ok))
    )
    conn = server.connect()
    conn.data_to_send()
    conn.receive_data(b"a LOGIN alice secret\r\nb NOOP\r\n")
    assert conn.data_to_send() == (
        b"a NO [LIMIT] Too many sessions of this user from your address\r\nb OK NOOP completed\r\n"
    )
    assert conn.state is State.NOT_AUTHENTICATED
    assert backend.logouts == 1
    assert logins == []
    assert errors == []


def test_admit_login_sees_accepted_credentials_only() -> None:
    admitted: list[str] = []
    server, _, _ = make_server(admit_login=lambda session, user: admitted.append(user))
    conn = server.connect()
    conn.receive_data(b"a LOGIN alice wrong\r\nb LOGIN alice secret\r\n")
    assert admitted == ["alice"]
    assert conn.username == "alice"
