"""The PostgreSQL store creates and upgrades its own schema, once, under a lock."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from imap_sansio.adapters.postgres_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SchemaTooNew,
    migrate,
    schema_version,
)

_TABLES = {
    "accounts",
    "mailboxes",
    "mailbox_names",
    "subscriptions",
    "bodies",
    "messages",
    "changes",
    "metadata",  # step 3 (RFC 5464)
    "message_threads",  # step 4: THREADID (RFC 8474 5.2)
    "urlauth_keys",  # step 5 (RFC 4467)
    "acl",  # step 6 (RFC 4314)
}


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }


def test_migrate_creates_every_table_in_an_empty_database(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        assert schema_version(conn) == 0
        assert migrate(conn) == 0
        assert schema_version(conn) == SCHEMA_VERSION
    assert _tables(postgres_dsn) == _TABLES | {"imap_sansio_schema"}


def test_migrate_again_changes_nothing(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute("INSERT INTO accounts (name, password_hash) VALUES ('alice', 'x')")
        assert migrate(conn) == SCHEMA_VERSION
        assert conn.execute("SELECT name FROM accounts").fetchall() == [("alice",)]
        assert conn.execute("SELECT count(*) FROM imap_sansio_schema").fetchone() == (1,)


def test_a_database_newer_than_the_code_is_refused(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute("UPDATE imap_sansio_schema SET version = version + 1")
        with pytest.raises(SchemaTooNew):
            migrate(conn)


def test_two_migrators_starting_together_apply_the_steps_once(postgres_dsn: str) -> None:
    # A third session holds the migration lock until both migrators are
    # queued behind it, so they really start together.
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(postgres_dsn, autocommit=True) as conn:
                results.append(migrate(conn))
        except BaseException as exc:
            errors.append(exc)

    with psycopg.connect(postgres_dsn, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (0x696D617073616E73,))
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        waiting = 0
        for _ in range(600):
            row = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()
            waiting = row[0] if row else 0
            if waiting == 2:
                break
            time.sleep(0.05)
        assert waiting == 2
        holder.execute("COMMIT")
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(results) == [0, SCHEMA_VERSION]
    assert _tables(postgres_dsn) == _TABLES | {"imap_sansio_schema"}


def test_step_4_gives_existing_mailboxes_and_messages_ids_of_their_own(postgres_dsn: str) -> None:
    # RFC 8474: every mailbox and message stored before object ids were kept
    # gets a distinct MAILBOXID / EMAILID; their save dates stay unknown
    # (SAVEDATE NIL) and they are in no thread (THREADID NIL).
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        for step in MIGRATIONS[:3]:
            conn.execute(step.encode())
        conn.execute(
            "CREATE TABLE imap_sansio_schema (one boolean PRIMARY KEY DEFAULT true"
            " CHECK (one), version integer NOT NULL)"
        )
        conn.execute("INSERT INTO imap_sansio_schema (version) VALUES (3)")
        conn.execute("INSERT INTO accounts (name, password_hash) VALUES ('alice', 'x')")
        conn.execute(
            "INSERT INTO mailboxes (account_id, name, uidvalidity)"
            " SELECT id, n, 1 FROM accounts, unnest(ARRAY['INBOX', 'Sent']) n"
        )
        conn.execute("INSERT INTO bodies VALUES ('\\x00', 2, 'x')")
        conn.execute(
            "INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date,"
            " date_offset, size, body) SELECT id, u, 1, '{}', now(), 0, 1, '\\x00'"
            " FROM mailboxes, generate_series(1, 2) u WHERE name = 'INBOX'"
        )
        assert migrate(conn) == 3
        mailbox_ids = [r[0] for r in conn.execute("SELECT object_id FROM mailboxes")]
        rows = conn.execute("SELECT email_id, saved_at, thread_id FROM messages").fetchall()
    assert len(set(mailbox_ids)) == 2 and all(i.startswith("F") for i in mailbox_ids)
    assert len({r[0] for r in rows}) == 2 and all(r[0].startswith("M") for r in rows)
    assert all(r[1] is None and r[2] is None for r in rows)
