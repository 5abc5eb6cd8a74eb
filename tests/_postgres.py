"""A throwaway PostgreSQL cluster for the tests of the PostgreSQL store.

One cluster per test session: ``initdb`` into a temporary folder, run as the
``postgres`` OS user when the tests run as root (CI does; PostgreSQL refuses to
run as root), listening only on 127.0.0.1 on a free port with its unix socket
in the same folder, durability switched off (``--no-sync``, ``fsync=off``)
because the data dies with the session.  Each test gets its own database.

PostgreSQL missing is a failure, not a skip: CI installs it, and a silently
skipped store is an untested store.  ``IMAP_SANSIO_SKIP_POSTGRES=1`` turns the
failure into a skip for a developer without PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["SKIP_ENV", "PostgresCluster", "find_bin_dir", "throwaway_cluster"]

SKIP_ENV = "IMAP_SANSIO_SKIP_POSTGRES"
_OS_USER = "postgres"


def find_bin_dir() -> Path | None:
    """Debian's newest ``/usr/lib/postgresql/<version>/bin``, else ``initdb`` on PATH."""
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: float(p.parent.name) if p.parent.name.replace(".", "").isdigit() else 0.0,
    )
    if versions:
        return versions[-1]
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PostgresCluster:
    """A running throwaway cluster; :meth:`new_database` hands out fresh databases."""

    def __init__(self, bin_dir: Path, folder: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = folder
        self.data = folder / "data"
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        self._counter = itertools.count(1)

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", _OS_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.folder, _OS_USER, _OS_USER)
        self._run(
            "initdb",
            "--no-sync",
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "-D",
            str(self.data),
        )
        for _attempt in range(5):  # another process may take the port first
            self.port = _free_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-c port={self.port}",
                    f"-c unix_socket_directories={self.folder}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=200",
                ]
            )
            try:
                self._run(
                    "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data),
                    "-l", str(self.folder / "server.log"), "-o", options,
                )  # fmt: skip
                return
            except RuntimeError:
                if (self.folder / "data" / "postmaster.pid").exists():
                    raise
        raise RuntimeError("could not start PostgreSQL on a free port")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def new_database(self) -> str:
        """Create an empty database and return its DSN."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
        return self.dsn(name)


@contextmanager
def throwaway_cluster() -> Iterator[PostgresCluster]:
    """Start a cluster, yield it, stop it and remove its folder."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        message = (
            "PostgreSQL is not installed (apt-get install postgresql); "
            f"set {SKIP_ENV}=1 to skip the PostgreSQL store tests"
        )
        if os.environ.get(SKIP_ENV):
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="imap-sansio-pg-"))
    cluster = PostgresCluster(bin_dir, folder)
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
