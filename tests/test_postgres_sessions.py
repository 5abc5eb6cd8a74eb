"""The multi-session state machine of test_server_sessions with its sessions
spread over two servers, each on its own PostgresBackend of one database.

Two ``IMAPServer`` objects with two backends (two pools, two stores) share
nothing but the database: they are two server processes as far as the
store can tell.  Sessions alternate between them; the "other process" that
appends behind every session's back is a third backend.  Every client model
must still hold exactly its session's view, and no keyword may reach a
client before a FLAGS response announced it (RFC 3501 7.2.6).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import ClassVar

import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
from imap_sansio.adapters import PostgresBackend
from test_postgres_backend import HASHER
from test_server_sessions import DATE, SESSIONS, WRITERS, ModelClient, Sessions

from imap_sansio._secret import Secret
from imap_sansio.server import IMAPServer
from imap_sansio.testing import fixed_clock

_accounts = itertools.count()


class SessionsOnTwoServers(Sessions):
    #: Set by the test: two serving backends and the outside writer's.
    backends: ClassVar[list[PostgresBackend]] = []

    def __init__(self) -> None:
        RuleBasedStateMachine.__init__(self)
        # A fresh account per example: a new, empty INBOX in the same database.
        user = f"alice{next(_accounts)}"
        writer = self.backends[2]
        writer.add_user(user, "secret")
        self.account = writer.authenticate(user, Secret("secret"))
        for i in range(3):
            self.account.append("INBOX", b"Subject: %d\r\n\r\nx\r\n" % i, internal_date=DATE)
        servers = [IMAPServer(b, clock=fixed_clock()) for b in self.backends[:2]]
        self.server = servers[0]
        self.clients: list[ModelClient] = []
        for index in range(SESSIONS):
            client = ModelClient(servers[index % 2].connect())
            client.conn.data_to_send()
            self.clients.append(client)
            self.command(client, b"LOGIN " + user.encode() + b" secret")
            self.command(client, b"SELECT INBOX" if index < WRITERS else b"EXAMINE INBOX")
            self.checkpoint_of(client)


@pytest.fixture
def backends(postgres_dsn: str) -> Iterator[list[PostgresBackend]]:
    opened = [
        PostgresBackend(postgres_dsn, password_hasher=HASHER, listen=False, max_size=4)
        for _ in range(3)
    ]
    try:
        yield opened
    finally:
        for backend in opened:
            backend.close()


def test_sessions_on_two_servers_keep_every_clients_view_exact(
    backends: list[PostgresBackend],
) -> None:
    SessionsOnTwoServers.backends = backends
    run_state_machine_as_test(
        SessionsOnTwoServers,
        settings=settings(max_examples=50, stateful_step_count=30, deadline=None),
    )
