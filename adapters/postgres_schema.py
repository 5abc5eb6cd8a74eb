"""The PostgreSQL store's schema, and the migrations that create and upgrade it.

The server migrates its own database on start (:func:`migrate`): a version
table holds the number of steps applied, and the missing steps run in one
transaction under a transaction-level advisory lock, so two processes starting
at once queue instead of racing (the second finds the work done).  A database
newer than this code is refused rather than used half-understood.

Why the tables look as they do:

* ``mailboxes`` carries the counters of its mailbox (``uidnext``,
  ``highest_modseq``, message count, unseen, deleted, size): every writer
  locks that row (``FOR UPDATE``) before it allocates UIDs and mod-sequences,
  so numbers are handed out in commit order (a SEQUENCE would not be: a
  client could see UID 11 committed and never 10), and STATUS is one row.
* ``changes`` is the log of every append, flag change and expunge, keyed by
  ``(mailbox, modseq)``: catching up after modseq N reads only the rows after
  N, and its ``expunge`` rows are the QRESYNC/VANISHED tombstones.
* ``bodies`` is content-addressed (SHA-256), so COPY and identical deliveries
  share one row, with a reference count kept under the row lock (a
  ``NOT EXISTS`` check would race a concurrent APPEND of the same bytes).
  Its data is stored uncompressed out of line (``STORAGE EXTERNAL``) so that
  ``substring()`` reads only the chunks asked for when streaming.
* ``subscriptions`` is its own table: a subscription may name a mailbox that
  does not exist, and outlives its deletion (RFC 3501 6.3.6).
* The mailbox-name uniqueness is deferred to commit so that renaming a set of
  names (a subtree, or a swap) can pass through intermediate duplicates.
* Object identifiers (RFC 8474) come from one sequence: a mailbox row's
  ``object_id`` (MAILBOXID) is made with the row, so RENAME (an UPDATE)
  keeps it and CREATE (a new row, also over a ``\\Noselect`` one) gets a new
  one; a message's ``email_id`` is made by APPEND and copied by COPY/MOVE,
  and so is its ``thread_id``: that of the first of its Message-IDs (own,
  In-Reply-To, References) ``message_threads`` knows in the account, else a
  new one, which the others then get.
  ``saved_at`` (RFC 8514 save date) is the time of the INSERT; messages
  stored before it was kept have none (SAVEDATE NIL).
"""

from __future__ import annotations

from typing import Any

import psycopg

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SchemaTooNew", "migrate", "schema_version"]

#: ``pg_advisory_xact_lock`` key: "imapsans" in ASCII, so no other user of
#: advisory locks in the same database collides with it by accident.
_MIGRATION_LOCK = 0x696D617073616E73

#: Ordered steps; step i upgrades a database from version i to i + 1.  Never
#: edit a released step: add a new one.
MIGRATIONS: tuple[str, ...] = (
    r"""
    CREATE TABLE accounts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        -- The next UIDVALIDITY handed out in this account: a name re-created
        -- after DELETE gets a larger one (RFC 3501 2.3.1.1).
        next_uidvalidity bigint NOT NULL DEFAULT 1,
        -- Bumped by CREATE/DELETE/RENAME/SUBSCRIBE: the periodic check of
        -- the notifier finds list changes whose NOTIFY was lost.
        list_changed_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE mailboxes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
        name text NOT NULL,
        selectable boolean NOT NULL DEFAULT true,
        special_use text[] NOT NULL DEFAULT '{}',
        uidvalidity bigint NOT NULL,
        uidnext bigint NOT NULL DEFAULT 1,
        highest_modseq bigint NOT NULL DEFAULT 1,
        -- \Recent (RFC 3501 2.3.2): UIDs from recent_from on are unclaimed;
        -- ``recent`` counts those still present.
        recent_from bigint NOT NULL DEFAULT 1,
        recent bigint NOT NULL DEFAULT 0,
        messages bigint NOT NULL DEFAULT 0,
        unseen bigint NOT NULL DEFAULT 0,
        deleted bigint NOT NULL DEFAULT 0,
        size bigint NOT NULL DEFAULT 0,
        keywords text[] NOT NULL DEFAULT '{}',
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT mailboxes_name UNIQUE (account_id, name) DEFERRABLE INITIALLY DEFERRED
    );
    CREATE INDEX mailboxes_updated ON mailboxes (updated_at);

    -- The largest UIDVALIDITY each name ever had, so that a mailbox renamed
    -- onto a name with a larger past gets a new one (RFC 3501 2.3.1.1).
    CREATE TABLE mailbox_names (
        account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
        name text NOT NULL,
        uidvalidity bigint NOT NULL,
        PRIMARY KEY (account_id, name)
    );

    CREATE TABLE subscriptions (
        account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
        name text NOT NULL,
        PRIMARY KEY (account_id, name)
    );

    CREATE TABLE bodies (
        sha256 bytea PRIMARY KEY,
        refs bigint NOT NULL,
        data bytea NOT NULL
    );
    ALTER TABLE bodies ALTER COLUMN data SET STORAGE EXTERNAL;

    CREATE TABLE messages (
        mailbox_id bigint NOT NULL REFERENCES mailboxes ON DELETE CASCADE,
        uid bigint NOT NULL,
        modseq bigint NOT NULL,
        flags text[] NOT NULL,
        internal_date timestamptz NOT NULL,
        -- The offset the date was given with (seconds east of UTC), so
        -- INTERNALDATE comes back as it was written.
        date_offset integer NOT NULL,
        size bigint NOT NULL,
        body bytea NOT NULL REFERENCES bodies,
        PRIMARY KEY (mailbox_id, uid)
    );
    -- EXPUNGE visits only the \Deleted messages.
    CREATE INDEX messages_deleted ON messages (mailbox_id, uid) WHERE '\Deleted' = ANY (flags);
    -- The first unseen message (SELECT's [UNSEEN n]) without a scan.
    CREATE INDEX messages_unseen ON messages (mailbox_id, uid) WHERE NOT ('\Seen' = ANY (flags));
    -- Deleting a body row checks no message still points at it.
    CREATE INDEX messages_body ON messages (body);

    CREATE TABLE changes (
        mailbox_id bigint NOT NULL REFERENCES mailboxes ON DELETE CASCADE,
        modseq bigint NOT NULL,
        uid bigint NOT NULL,
        kind text NOT NULL CHECK (kind IN ('new', 'flags', 'expunge')),
        PRIMARY KEY (mailbox_id, modseq, uid)
    );
    """,
    # 2: a pruned change log (PostgresStore.prune_changes).  ``born`` is the
    # modseq a message arrived with, so that a catch-up from before the
    # pruned point still tells new messages from changed ones; rows from
    # before this step have none (NULL: older than any catch-up asked for).
    r"""
    ALTER TABLE messages ADD COLUMN born bigint;
    ALTER TABLE mailboxes ADD COLUMN forgotten_modseq bigint NOT NULL DEFAULT 0;
    ALTER TABLE changes ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
    """,
    # 3: annotations (METADATA, RFC 5464).  A mailbox's rows go with it
    # (ON DELETE CASCADE) and follow a RENAME (the row keeps its id); the
    # server's have no mailbox.  /private entries have their owner, /shared
    # ones none.
    r"""
    CREATE TABLE metadata (
        mailbox_id bigint REFERENCES mailboxes ON DELETE CASCADE,
        owner_id bigint REFERENCES accounts ON DELETE CASCADE,
        entry text NOT NULL,
        value bytea NOT NULL
    );
    CREATE UNIQUE INDEX metadata_entry
        ON metadata ((coalesce(mailbox_id, 0)), (coalesce(owner_id, 0)), entry);
    """,
    # 4: object ids (RFC 8474 OBJECTID) and save dates (RFC 8514 SAVEDATE).
    # Existing rows get ids of their own from the volatile defaults.
    r"""
    CREATE SEQUENCE object_ids;
    ALTER TABLE mailboxes
        ADD COLUMN object_id text NOT NULL DEFAULT 'F' || to_hex(nextval('object_ids'));
    ALTER TABLE messages
        ADD COLUMN email_id text NOT NULL DEFAULT 'M' || to_hex(nextval('object_ids'));
    ALTER TABLE messages ADD COLUMN saved_at timestamptz;
    ALTER TABLE messages ALTER COLUMN saved_at SET DEFAULT now();
    -- SEARCH EMAILID (RFC 8474 6) without a scan of the mailbox.
    CREATE INDEX messages_email_id ON messages (mailbox_id, email_id);
    -- THREADID (RFC 8474 5.2): the thread of each Message-ID an account's
    -- messages carry or cite (PostgresStore.replace/append fill it).
    ALTER TABLE messages ADD COLUMN thread_id text;
    CREATE TABLE message_threads (
        account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
        message_id text NOT NULL,
        thread_id text NOT NULL,
        PRIMARY KEY (account_id, message_id)
    );
    """,
    # 5: URLAUTH mailbox access keys (RFC 4467 3), by account and mailbox
    # name; every server process signs and verifies URLs with the same key.
    r"""
    CREATE TABLE urlauth_keys (
        account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
        mailbox text NOT NULL,
        key bytea NOT NULL,
        PRIMARY KEY (account_id, mailbox)
    );
    """,
    # 6: ACLs (RFC 4314), one row per mailbox and identifier.  They go with
    # the mailbox row: RENAME keeps its id, DELETE drops it (the cascade).
    # ``position`` keeps the order entries were first set in; the index on
    # ``identifier`` finds what other users share with a user.
    r"""
    CREATE TABLE acl (
        mailbox_id bigint NOT NULL REFERENCES mailboxes ON DELETE CASCADE,
        identifier text NOT NULL,
        rights text NOT NULL,
        position bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (mailbox_id, identifier)
    );
    CREATE INDEX acl_identifier ON acl (identifier);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was migrated by a newer version of this code."""


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The number of migration steps applied (0 for an empty database)."""
    row = conn.execute("SELECT to_regclass('imap_sansio_schema') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return 0
    version = conn.execute("SELECT version FROM imap_sansio_schema").fetchone()
    return int(version[0]) if version else 0


def migrate(conn: psycopg.Connection[Any]) -> int:
    """Bring the database up to :data:`SCHEMA_VERSION`; returns the version before.

    Runs in one transaction: either every missing step is applied or none.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS imap_sansio_schema ("
            " one boolean PRIMARY KEY DEFAULT true CHECK (one),"
            " version integer NOT NULL)"
        )
        before = schema_version(conn)
        if before > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"database schema version {before} is newer than this server's "
                f"{SCHEMA_VERSION}: upgrade imap-sansio"
            )
        for step in MIGRATIONS[before:]:
            conn.execute(step.encode())
        if before != SCHEMA_VERSION:
            conn.execute(
                "INSERT INTO imap_sansio_schema (version) VALUES (%s)"
                " ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version",
                (SCHEMA_VERSION,),
            )
    return before
