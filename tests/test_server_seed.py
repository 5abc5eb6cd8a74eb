"""Net::IMAP::Server defects of the session commands and the server core, proved fixed.

Each test names the seed's defect; the expected bytes come from the RFCs
(RFC 3501 unless noted) and DESIGN.md's error rule: an unexpected backend
exception becomes ``NO [SERVERBUG]`` with nothing internal leaked and the
connection keeps working; ImapNo/ImapBad are relayed with code and text.
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import pytest

from imap_sansio._commands import Command
from imap_sansio._parser import CommandReader
from imap_sansio._secret import Secret
from imap_sansio._state import LOGGED_IN
from imap_sansio.server import (
    AppendResult,
    Completion,
    ImapBad,
    ImapNo,
    IMAPServer,
    MemoryBackend,
    ServerCommand,
    Session,
)
from imap_sansio.server._memory import MemoryAccount
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.transcript import play

SECRET_DETAIL = "db password is hunter2"


class _FailingAccount(MemoryAccount):
    """An account whose APPEND raises what the test asks for."""

    error: ClassVar[BaseException] = RuntimeError(SECRET_DETAIL)

    def append(
        self,
        name: str,
        data: bytes,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        raise type(self).error


def _backend_with_failing_append(error: BaseException) -> MemoryBackend:
    account_class = type("Account", (_FailingAccount,), {"error": error})

    class Backend(MemoryBackend):
        def authenticate(
            self, username: str, password: Secret[str], *, authzid: str | None = None
        ) -> MemoryAccount:
            account = super().authenticate(username, password, authzid=authzid)
            return account_class(self, username, account._user)  # type: ignore[no-any-return]

    return Backend(users={"alice": "secret"})


class _FailingAuthBackend(MemoryBackend):
    def __init__(self, error: BaseException) -> None:
        super().__init__(users={"alice": "secret"})
        self.error = error

    def authenticate(
        self, username: str, password: Secret[str], *, authzid: str | None = None
    ) -> MemoryAccount:
        raise self.error


LOGIN = """
    C: a1 LOGIN alice secret
    S: a1 OK $ANY
"""


# ------------------------------------------------- the error rule, everywhere


def test_an_exception_after_an_append_literal_answers_serverbug_and_the_session_goes_on() -> None:
    """Seed defect: an exception after a literal dropped the connection."""
    errors: list[BaseException] = []
    server = IMAPServer(
        _backend_with_failing_append(RuntimeError(SECRET_DETAIL)),
        on_error=errors.append,
        clock=fixed_clock(),
    )
    play(
        server,
        LOGIN
        + """
        C: a2 APPEND INBOX {5}
        S: + $ANY
        C: hello
        S: a2 NO [SERVERBUG] Internal server error
        C: a3 NOOP
        S: a3 OK NOOP completed
        C: a4 APPEND INBOX {5+}
        C: hello
        S: a4 NO [SERVERBUG] Internal server error
        C: a5 SELECT INBOX
        S: * FLAGS ($ANY)
        S: * 0 EXISTS
        S: * 0 RECENT
        S: * OK [UIDVALIDITY $NUMBER] UIDs valid
        S: * OK [UIDNEXT 1] Predicted next UID
        S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
        S: a5 OK [READ-WRITE] SELECT completed
        """,
    )
    assert [str(e) for e in errors] == [SECRET_DETAIL, SECRET_DETAIL]


def test_imapno_and_imapbad_from_the_backend_are_relayed_with_code_and_text() -> None:
    for error, answer in (
        (
            ImapNo("Quota exceeded (storage)", "OVERQUOTA"),
            "a2 NO [OVERQUOTA] Quota exceeded (storage)",
        ),
        (ImapNo("Try again later", None), "a2 NO Try again later"),
        (ImapBad("That makes no sense", "CLIENTBUG"), "a2 BAD [CLIENTBUG] That makes no sense"),
    ):
        server = IMAPServer(_backend_with_failing_append(error), clock=fixed_clock())
        play(
            server,
            LOGIN
            + f"""
            C: a2 APPEND INBOX {{5}}
            S: + $ANY
            C: hello
            S: {answer}
            C: a3 NOOP
            S: a3 OK NOOP completed
            """,
        )


def _plain(username: str, password: str) -> str:
    return base64.b64encode(f"\0{username}\0{password}".encode()).decode()


def test_an_exception_inside_authenticate_answers_serverbug_and_the_session_goes_on() -> None:
    errors: list[BaseException] = []
    server = IMAPServer(
        _FailingAuthBackend(RuntimeError(SECRET_DETAIL)),
        on_error=errors.append,
        clock=fixed_clock(),
    )
    play(
        server,
        f"""
        C: a1 AUTHENTICATE PLAIN
        S: +$ANY
        C: {_plain("alice", "secret")}
        S: a1 NO [SERVERBUG] Internal server error
        C: a2 AUTHENTICATE PLAIN {_plain("alice", "secret")}
        S: a2 NO [SERVERBUG] Internal server error
        C: a3 AUTHENTICATE LOGIN
        S: + VXNlcm5hbWU6
        C: {base64.b64encode(b"alice").decode()}
        S: + UGFzc3dvcmQ6
        C: {base64.b64encode(b"secret").decode()}
        S: a3 NO [SERVERBUG] Internal server error
        C: a4 CAPABILITY
        S: * CAPABILITY $ANY
        S: a4 OK CAPABILITY completed
        """,
    )
    assert len(errors) == 3
    assert all(str(e) == SECRET_DETAIL for e in errors)


def test_imapno_from_authenticate_is_relayed() -> None:
    server = IMAPServer(
        _FailingAuthBackend(ImapNo("Service unavailable", "UNAVAILABLE")), clock=fixed_clock()
    )
    play(
        server,
        f"""
        C: a1 AUTHENTICATE PLAIN
        S: +$ANY
        C: {_plain("alice", "secret")}
        S: a1 NO [UNAVAILABLE] Service unavailable
        C: a2 LOGIN alice secret
        S: a2 NO [UNAVAILABLE] Service unavailable
        C: a3 NOOP
        S: a3 OK NOOP completed
        """,
    )


# ------------------------------------------------ CLOSE and SELECT semantics


def _seeded_server(*flag_sets: tuple[str, ...]) -> tuple[IMAPServer, MemoryBackend]:
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    for i, flags in enumerate(flag_sets, 1):
        account.append(
            "INBOX",
            f"Subject: m{i}\r\n\r\nbody {i}\r\n".encode(),
            flags=flags,
            internal_date=datetime.fromisoformat("2024-01-01T00:00:00+00:00"),
        )
    return IMAPServer(backend, clock=fixed_clock()), backend


SELECT_3 = """
    C: a2 SELECT INBOX
    S: * FLAGS ($ANY)
    S: * 3 EXISTS
    S: * 3 RECENT
    S: * OK [UNSEEN 1] $ANY
    S: * OK [UIDVALIDITY $UIDVALIDITY] UIDs valid
    S: * OK [UIDNEXT 4] Predicted next UID
    S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
    S: a2 OK [READ-WRITE] SELECT completed
"""


def test_close_expunges_silently() -> None:
    """Seed defect: CLOSE sent EXPUNGE responses (RFC 3501 6.4.2: "No untagged
    EXPUNGE responses are sent")."""
    server, backend = _seeded_server((), ("\\Deleted",), ())
    play(
        server,
        LOGIN
        + SELECT_3
        + """
        C: a3 CLOSE
        S: a3 OK CLOSE completed
        """,
    )
    assert backend.account("alice").status("INBOX").messages == 2


def test_select_while_selected_does_not_expunge_the_old_mailbox() -> None:
    """Seed defect: SELECT while selected expunged the old mailbox (RFC 3501
    6.3.1: only CLOSE expunges).  RFC 7162 3.2.11: CLOSED marks the switch."""
    server, backend = _seeded_server((), ("\\Deleted",), ())
    backend.account("alice").create_mailbox("Other")
    play(
        server,
        LOGIN
        + SELECT_3
        + """
        C: a3 SELECT Other
        S: * OK [CLOSED] Previous mailbox closed
        S: * FLAGS ($ANY)
        S: * 0 EXISTS
        S: * 0 RECENT
        S: * OK [UIDVALIDITY $NUMBER] UIDs valid
        S: * OK [UIDNEXT 1] Predicted next UID
        S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
        S: a3 OK [READ-WRITE] SELECT completed
        """,
    )
    assert backend.account("alice").status("INBOX").messages == 3


@pytest.mark.parametrize(
    ("flag_sets", "unseen_line"),
    [
        ((), None),
        ((("\\Seen",), ("\\Seen",)), None),
        ((("\\Seen",), (), ()), "* OK [UNSEEN 2] $ANY"),
    ],
)
def test_unseen_0_is_never_sent(
    flag_sets: tuple[tuple[str, ...], ...], unseen_line: str | None
) -> None:
    """Seed defect: ``[UNSEEN 0]``; RFC 3501 6.3.1 (and 7.1): the number of the
    first unseen message, so only when there is one."""
    server, _ = _seeded_server(*flag_sets)
    count = len(flag_sets)
    lines = [
        "C: a2 EXAMINE INBOX",
        "S: * FLAGS ($ANY)",
        f"S: * {count} EXISTS",
        "S: * $NUMBER RECENT",
        *([f"S: {unseen_line}"] if unseen_line else []),
        "S: * OK [UIDVALIDITY $NUMBER] UIDs valid",
        f"S: * OK [UIDNEXT {count + 1}] Predicted next UID",
        "S: * OK [PERMANENTFLAGS ()] $ANY",
        "S: a2 OK [READ-ONLY] EXAMINE completed",
    ]
    play(server, LOGIN + "\n".join(lines) + "\n")


# --------------------------------------------------- the extension hook


@dataclass(frozen=True, slots=True, kw_only=True)
class XDoctor(Command):
    """``XDOCTOR <patient>``: an application's own command."""

    name: ClassVar[str] = "XDOCTOR"
    patient: str


def _parse_xdoctor(tag: str, reader: CommandReader, uid: bool) -> Command:
    reader.sp("XDOCTOR")
    return XDoctor(tag=tag, patient=reader.astring("patient").decode("utf-8"))


def _xdoctor(session: Session, command: XDoctor) -> Completion:
    account = session.require_account()
    if command.patient == "nobody":
        raise ImapNo("No such patient", "NONEXISTENT")
    session.untagged_ok(f"{command.patient} is fine, says {account.username}'s doctor")
    return Completion(text="XDOCTOR completed")


XDOCTOR = ServerCommand(
    name="XDOCTOR",
    parser=_parse_xdoctor,
    states=LOGGED_IN,
    handler=_xdoctor,
    capabilities=("XDOCTOR",),
)


def test_an_application_adds_a_command_end_to_end() -> None:
    server = IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock())
    server.add_command(XDOCTOR)
    play(
        server,
        """
        C: a0 XDOCTOR bob
        S: a0 BAD $ANY
        C: a1 LOGIN alice secret
        S: a1 OK [CAPABILITY $ANY XDOCTOR$ANY] LOGIN completed
        C: a2 XDOCTOR "bob smith"
        S: * OK bob smith is fine, says alice's doctor
        S: a2 OK XDOCTOR completed
        C: a3 XDOCTOR nobody
        S: a3 NO [NONEXISTENT] No such patient
        C: a4 XDOCTOR
        S: a4 BAD $ANY
        C: a5 CAPABILITY
        S: * CAPABILITY $ANY XDOCTOR$ANY
        S: a5 OK CAPABILITY completed
        """,
    )


def test_a_server_without_the_command_still_refuses_it() -> None:
    # The command belongs to the server it was added to, not to the process.
    IMAPServer(MemoryBackend(), clock=fixed_clock()).add_command(XDOCTOR)
    play(
        IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock()),
        LOGIN
        + """
        C: a2 XDOCTOR bob
        S: a2 BAD $ANY
        """,
    )


def test_command_and_login_hooks_see_no_secrets() -> None:
    """Hooks for adapters' logging: commands before they run, login outcomes."""
    from imap_sansio.server import IMAPServer, MemoryBackend

    seen: list[str] = []
    logins: list[tuple[str, bool]] = []
    server = IMAPServer(
        MemoryBackend(users={"alice": "secret"}),
        on_command=lambda session, command: seen.append(repr(command)),
        on_login=lambda session, user, ok: logins.append((user, ok)),
        clock=fixed_clock(),
    )
    conn = server.connect()
    conn.receive_data(b"a LOGIN alice wrong\r\nb LOGIN alice secret\r\nc NOOP\r\n")
    assert logins == [("alice", False), ("alice", True)]
    assert [r.split("(", 1)[0] for r in seen] == ["Login", "Login", "Noop"]
    assert not any("secret" in r or "wrong" in r for r in seen)
    assert conn.username == "alice"


def test_backend_codes_that_cannot_be_written_are_dropped_not_raised() -> None:
    """The error rule holds for any code a backend names: the answer still goes out."""
    from imap_sansio.server import ImapNo, IMAPServer, MemoryBackend
    from imap_sansio.server._session import code_from_name

    assert code_from_name("TRYCREATE") is not None
    assert code_from_name("METADATA LONGENTRIES 2000") is not None
    assert code_from_name("BADCHARSET (US-ASCII)") is None  # has a typed class
    assert code_from_name("NOT AN ATOM]") is None

    backend = MemoryBackend(users={"alice": "secret"})

    class Odd:
        """The account, but CREATE fails with a code that is not an atom."""

        def __init__(self, inner: object) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

        def create_mailbox(self, name: str) -> None:
            raise ImapNo("Cannot here", "X]BROKEN")

    server = IMAPServer(backend, clock=fixed_clock())
    conn = server.connect()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    conn.account = Odd(conn.account)  # type: ignore[assignment]
    conn.data_to_send()
    conn.receive_data(b"b CREATE x\r\n")
    assert conn.data_to_send() == b"b NO Cannot here\r\n"


def test_backend_text_that_cannot_be_a_response_line_is_made_safe() -> None:
    """Error rule: CR/LF in an exception text never splits the response line."""
    from imap_sansio.server import ImapNo, IMAPServer, MemoryBackend

    backend = MemoryBackend(users={"alice": "secret"})

    class Odd:
        def __init__(self, inner: object) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

        def create_mailbox(self, name: str) -> None:
            raise ImapNo("[first]\r\nb2 OK injected")

    conn = IMAPServer(backend, clock=fixed_clock()).connect()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    conn.account = Odd(conn.account)  # type: ignore[assignment]
    conn.data_to_send()
    conn.receive_data(b"b CREATE x\r\n")
    assert conn.data_to_send() == b"b NO (first] b2 OK injected\r\n"
