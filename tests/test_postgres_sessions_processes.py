"""The multi-session state machine of test_server_sessions with its sessions
on real sockets to two ``imap-sansio serve --postgres`` processes.

The sessions alternate between the two processes of one database; the
"other process" that appends behind every session's back is a backend in
this test's process.  A server process's view of a session cannot be
inspected, so each model client checks only what reaches it on the wire
(no EXPUNGE inside a non-UID FETCH, STORE or SEARCH, RFC 3501 7.4.1; no
keyword in a FETCH before a FLAGS response announced it, RFC 3501 7.2.6),
and at every checkpoint (NOOP + ``FETCH 1:* (UID FLAGS)``) it must equal the
mailbox as the database holds it.  IDLE is left out: the rules drive one
session at a time and read each reply up to its tagged line.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import pytest
from _adapter_harness import Client
from _postgres import PostgresCluster
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
from imap_sansio.adapters import PostgresBackend
from test_postgres_backend import HASHER
from test_postgres_processes import _serve
from test_server_sessions import _TAGGED, DATE, SESSIONS, WRITERS, ModelClient, Sessions

from imap_sansio._secret import Secret

#: Per line read: a reply that never comes fails the example, it does not hang.
TIMEOUT = 20.0

_accounts = itertools.count()


@dataclass
class SocketModelClient(ModelClient):
    """A model client whose session is a socket to a server process."""

    conn: Client  # type: ignore[assignment]


class SessionsOnTwoProcesses(Sessions):
    #: Set by the test: the two processes' ports and the outside writer.
    ports: ClassVar[list[int]] = []
    writer: ClassVar[PostgresBackend]

    def __init__(self) -> None:
        RuleBasedStateMachine.__init__(self)
        # A fresh account per example: a new, empty INBOX in the same database.
        user = f"alice{next(_accounts)}"
        self.writer.add_user(user, "secret")
        self.account = self.writer.authenticate(user, Secret("secret"))
        for i in range(3):
            self.account.append("INBOX", b"Subject: %d\r\n\r\nx\r\n" % i, internal_date=DATE)
        self.clients: list[ModelClient] = []
        for index in range(SESSIONS):
            client = SocketModelClient(Client(self.ports[index % 2], timeout=TIMEOUT))
            assert client.conn.line().startswith(b"* OK")
            self.clients.append(client)
            self.command(client, b"LOGIN " + user.encode() + b" secret")
            self.command(client, b"SELECT INBOX" if index < WRITERS else b"EXAMINE INBOX")
            self.checkpoint_of(client)

    def teardown(self) -> None:
        for client in self.clients:
            assert isinstance(client, SocketModelClient)
            client.conn.close()

    # ------------------------------------------------------------ plumbing

    def end_idle(self, client: ModelClient) -> None:
        pass  # no session ever idles here

    def poll_idlers(self) -> None:
        pass

    def read_until(self, client: ModelClient, tag: bytes, *, expunge_forbidden: bool) -> bytes:
        assert isinstance(client, SocketModelClient)
        while True:
            try:
                line = client.conn.line()[:-2]
            except (TimeoutError, EOFError) as exc:
                raise AssertionError(
                    f"no tagged reply for {tag!r}; log: {client.log[-5:]!r}"
                ) from exc
            m = _TAGGED.match(line)
            if m is not None and m.group(1) == tag:
                return line
            if line.startswith(b"+"):
                continue
            client.apply(line, expunge_forbidden=expunge_forbidden)

    def command(self, client: ModelClient, text: bytes, literal: bytes | None = None) -> bytes:
        assert isinstance(client, SocketModelClient)
        # Whatever came while no command was in progress: RFC 3501 7.4.1
        # forbids an EXPUNGE then too.
        while not client.conn.quiet_for(0):
            client.apply(client.conn.line()[:-2], expunge_forbidden=True)
        client.next_tag += 1
        tag = b"t%d" % client.next_tag
        forbidden = text.split(b" ", 1)[0] in (b"FETCH", b"STORE", b"SEARCH")
        if literal is None:
            client.conn.send(tag + b" " + text + b"\r\n")
        else:
            # LITERAL+ (RFC 7888): no round trip for the continuation.
            client.conn.send(tag + b" " + text + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        return self.read_until(client, tag, expunge_forbidden=forbidden)

    # ------------------------------------------- rules and invariants dropped

    def idle(self, s: int) -> None:  # type: ignore[override]
        """Not a rule here (no ``@rule``): IDLE is left out over sockets."""

    def change_notice(self) -> None:
        """Not a rule here: the server processes hear of changes themselves."""

    def every_client_holds_its_sessions_view(self) -> None:
        """Not an invariant here: the checkpoints compare with the database."""


@pytest.fixture(scope="module")
def processes(postgres_cluster: PostgresCluster) -> Iterator[tuple[list[int], PostgresBackend]]:
    """Two server processes on one database, and a backend to write behind them."""
    dsn = postgres_cluster.new_database()
    started: list[tuple[subprocess.Popen[str], int]] = []
    writer = None
    try:
        for _ in range(2):
            started.append(_serve(dsn))
        writer = PostgresBackend(dsn, password_hasher=HASHER, listen=False, max_size=2)
        yield [port for _, port in started], writer
    finally:
        if writer is not None:
            writer.close()
        for process, _ in started:
            process.kill()
            process.wait(10)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


def test_sessions_over_two_server_processes_match_the_database_at_checkpoints(
    processes: tuple[list[int], PostgresBackend],
) -> None:
    SessionsOnTwoProcesses.ports, SessionsOnTwoProcesses.writer = processes
    run_state_machine_as_test(
        SessionsOnTwoProcesses,
        settings=settings(max_examples=15, stateful_step_count=20, deadline=None),
    )


def test_store_of_a_keyword_another_session_defined_announces_it_first(
    processes: tuple[list[int], PostgresBackend],
) -> None:
    """The machine's shrunk failure, by hand: B appends with $Label, then A
    (same process, message 1 known) stores $Label on message 1.  A's process
    heard of the change and synced A before the STORE, so the FLAGS response
    was still waiting for a drain when STORE sent its FETCH (RFC 3501 7.2.6)."""
    ports, writer = processes
    user = f"alice{next(_accounts)}"
    writer.add_user(user, "secret")
    writer.authenticate(user, Secret("secret")).append("INBOX", b"x\r\n", internal_date=DATE)
    a, b = (SocketModelClient(Client(ports[0], timeout=TIMEOUT)) for _ in range(2))
    machine = SessionsOnTwoProcesses.__new__(SessionsOnTwoProcesses)
    for client in (a, b):
        assert client.conn.line().startswith(b"* OK")
        machine.command(client, b"LOGIN " + user.encode() + b" secret")
        machine.command(client, b"SELECT INBOX")
    assert b" OK " in machine.command(b, b"APPEND INBOX ($Label)", b"a\r\n")
    # ModelClient.apply rejects the FETCH if $Label was not announced first.
    assert b" OK " in machine.command(a, b"STORE 1 +FLAGS ($Label)")
    assert a.flags[0] == frozenset({"$Label"})
