"""PostgresBackend: the Backend contract and the server over a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from imap_sansio.adapters import PostgresBackend

from imap_sansio.testing.backend import BackendContract

# Cheap parameters: the tests check the backend, not Argon2's cost.
HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class TestPostgresContract(BackendContract):
    @pytest.fixture
    def backend(self, postgres_dsn: str) -> Iterator[PostgresBackend]:
        with PostgresBackend(postgres_dsn, password_hasher=HASHER) as backend:
            backend.add_user("alice", "secret")
            yield backend
