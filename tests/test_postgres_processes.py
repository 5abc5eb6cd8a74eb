"""Several ``imap-sansio serve --postgres`` processes on one database act as one server.

Real processes on loopback sockets, one throwaway PostgreSQL cluster
(tests/_postgres.py), a plain line client: IDLE in one process hears what
another process does, concurrent APPENDs through two processes get unique
ascending UIDs, and ``kill -9`` loses nothing that was acknowledged.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from _adapter_harness import Client
from imap_sansio.adapters.postgres_schema import MIGRATIONS, SCHEMA_VERSION, schema_version

TESTS = Path(__file__).parent
LOGIN = b"LOGIN alice secret"
#: A generous bound for "within a second": the figure measured is printed.
PUSH_BOUND = 5.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    return env


def _serve(dsn: str, *extra: str) -> tuple[subprocess.Popen[str], int]:
    """Start ``imap-sansio serve --postgres DSN`` on a free loopback port."""
    command = [sys.executable, "-m", "imap_sansio.adapters", "serve", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--postgres", dsn, "--user", "alice:secret", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    found = re.search(r"IMAP on 127\.0\.0\.1:(\d+)", first)
    if not found:
        process.kill()
        raise AssertionError(first + (process.stderr.read() if process.stderr else ""))
    return process, int(found[1])


@pytest.fixture
def servers(postgres_dsn: str) -> Iterator[Callable[..., tuple[subprocess.Popen[str], int]]]:
    """Start servers on this test's database; all are killed at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(*extra: str) -> tuple[subprocess.Popen[str], int]:
        process, port = _serve(postgres_dsn, *extra)
        started.append(process)
        return process, port

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait(10)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


def _client(port: int, *commands: bytes) -> Client:
    client = Client(port, timeout=30.0)
    assert client.line().startswith(b"* OK")
    for i, command in enumerate(commands):
        tag = b"s%d" % i
        assert client.command(tag, command)[-1].startswith(tag + b" OK"), command
    return client


def _append(client: Client, tag: bytes, data: bytes) -> int:
    """APPEND; the UID of its APPENDUID (RFC 4315 3)."""
    client.send(tag + b" APPEND INBOX {%d+}\r\n" % len(data) + data + b"\r\n")
    last = client.until_tagged(tag)[-1]
    found = re.fullmatch(rb"%s OK \[APPENDUID \d+ (\d+)\] .*\r\n" % tag, last)
    assert found, last
    return int(found[1])


def _wait_for(client: Client, pattern: bytes) -> tuple[bytes, float]:
    """The first line matching ``pattern`` (skipping others) and how long it took."""
    start = time.monotonic()
    while True:
        remaining = PUSH_BOUND - (time.monotonic() - start)
        assert remaining > 0, f"nothing matching {pattern!r} within {PUSH_BOUND} s"
        line = client.line(timeout=remaining)
        if re.fullmatch(pattern, line):
            return line, time.monotonic() - start


def test_idle_in_one_process_hears_append_store_and_expunge_of_another(
    servers: Callable[..., tuple[subprocess.Popen[str], int]],
) -> None:
    _, port_a = servers()
    _, port_b = servers()
    watcher = _client(port_a, LOGIN, b"SELECT INBOX")
    writer = _client(port_b, LOGIN, b"SELECT INBOX")
    watcher.send(b"i IDLE\r\n")
    assert watcher.line() == b"+ idling\r\n"
    delays = {}

    # Each delay runs from the writer's tagged OK to the watcher's line.
    assert _append(writer, b"w1", b"Subject: one\r\n\r\nfrom B\r\n") == 1
    _, delays["APPEND"] = _wait_for(watcher, rb"\* 1 EXISTS\r\n")

    writer.command(b"w2", b"STORE 1 +FLAGS (\\Flagged)")
    flagged = rb"\* 1 FETCH \(.*FLAGS \([^)]*\\Flagged[^)]*\).*\)\r\n"
    _, delays["STORE"] = _wait_for(watcher, flagged)

    writer.command(b"w3", b"STORE 1 +FLAGS (\\Deleted)")
    assert writer.command(b"w4", b"EXPUNGE")[-1].startswith(b"w4 OK")
    _, delays["EXPUNGE"] = _wait_for(watcher, rb"\* 1 EXPUNGE\r\n")

    watcher.send(b"DONE\r\n")
    assert watcher.until_tagged(b"i")[-1] == b"i OK IDLE terminated\r\n"
    # The figure the issue asks for ("within a second"); -s shows it.
    print("IDLE push across processes (s):", {k: round(v, 3) for k, v in delays.items()})


def test_concurrent_appends_through_two_processes_get_unique_ascending_uids(
    servers: Callable[..., tuple[subprocess.Popen[str], int]],
) -> None:
    ports = [servers()[1], servers()[1]]
    per_connection, connections = 5, 5  # 25 APPENDs through each process
    barrier = threading.Barrier(2 * connections)
    results: dict[tuple[int, int], list[int]] = {}
    errors: list[BaseException] = []

    def writer(process: int, n: int) -> None:
        try:
            client = _client(ports[process], LOGIN)
            barrier.wait(60)
            results[process, n] = [
                _append(client, b"a%d" % i, b"Subject: %d-%d-%d\r\n\r\nx\r\n" % (process, n, i))
                for i in range(per_connection)
            ]
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(p, n)) for p in (0, 1) for n in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for uids in results.values():
        assert uids == sorted(uids)  # each connection's UIDs ascend
    assert sorted(uid for uids in results.values() for uid in uids) == list(range(1, 51))
    reader = _client(ports[1], LOGIN)
    lines = reader.command(b"r", b"STATUS INBOX (MESSAGES UIDNEXT)")
    assert lines[0] == b"* STATUS INBOX (MESSAGES 50 UIDNEXT 51)\r\n"


def test_kill_9_in_a_stream_of_appends_loses_no_acknowledged_one(
    servers: Callable[..., tuple[subprocess.Popen[str], int]],
) -> None:
    victim, port_a = servers()
    _, port_b = servers()
    acknowledged: dict[int, bytes] = {}
    enough = threading.Event()

    def stream() -> None:
        client = _client(port_a, LOGIN)
        i = 0
        try:
            while True:
                data = b"Subject: %d\r\n\r\nmessage %d\r\n" % (i, i)
                acknowledged[_append(client, b"a%d" % i, data)] = data
                i += 1
                if i == 20:
                    enough.set()
        except (EOFError, OSError):
            pass  # the process died under this APPEND
        finally:
            enough.set()

    thread = threading.Thread(target=stream)
    thread.start()
    assert enough.wait(60)
    victim.send_signal(signal.SIGKILL)
    thread.join(60)
    assert victim.wait(10) == -signal.SIGKILL
    assert len(acknowledged) >= 20
    # Through the survivor: every acknowledged message, under its UID.
    reader = _client(port_b, LOGIN, b"EXAMINE INBOX")
    lines = reader.command(b"f", b"UID FETCH 1:* (BODY.PEEK[])")
    blob = b"".join(lines)
    stored = {
        int(found[1]): blob[found.end() : found.end() + int(found[2])]
        for found in re.finditer(rb"\* \d+ FETCH \(UID (\d+) BODY\[\] \{(\d+)\}\r\n", blob)
    }
    missing = {uid for uid, data in acknowledged.items() if stored.get(uid) != data}
    assert missing == set()
    # At most the one APPEND in flight at the kill committed without its OK.
    assert len(stored) - len(acknowledged) in (0, 1)


def test_serve_migrates_an_older_database_and_updates_accounts(
    postgres_dsn: str, servers: Callable[..., tuple[subprocess.Popen[str], int]]
) -> None:
    # A database left at schema version 1 by an older server.
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(MIGRATIONS[0].encode())
        conn.execute("CREATE TABLE imap_sansio_schema (one boolean PRIMARY KEY DEFAULT true,"
                     " version integer NOT NULL)")  # fmt: skip
        conn.execute("INSERT INTO imap_sansio_schema (version) VALUES (1)")
    first, port = servers()
    with psycopg.connect(postgres_dsn) as conn:
        assert schema_version(conn) == SCHEMA_VERSION
    client = _client(port, LOGIN)
    assert client.command(b"l", b'LIST "" *')[0] == b'* LIST (\\HasNoChildren) "/" INBOX\r\n'
    first.terminate()
    first.wait(10)
    # A new password for the same account: the old one no longer works.
    _, port = servers("--user", "alice:changed")
    client = Client(port, timeout=30.0)
    client.line()
    assert client.command(b"a", LOGIN)[-1].startswith(b"a NO [AUTHENTICATIONFAILED]")
    assert client.command(b"b", b"LOGIN alice changed")[-1].startswith(b"b OK")
