"""Fixtures shared by several test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _postgres import PostgresCluster, throwaway_cluster
from hypothesis import HealthCheck, settings

# CI runs the suite in four workers on two cores: an example that takes
# longer than hypothesis' 200 ms deadline there says nothing about the code
# (each property's bound on work is checked by its own assertions), and a
# deadline that fires only on a descheduled worker is a flaky test.
settings.register_profile(
    "imap-sansio", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("imap-sansio")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the whole test session."""
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture
def postgres_dsn(postgres_cluster: PostgresCluster) -> str:
    """The DSN of a fresh, empty database of its own for this test."""
    return postgres_cluster.new_database()
