"""The pure server layer: IMAP command semantics over a Backend protocol.

``IMAPServer(backend)`` gives a complete server without I/O; its
``connect()`` returns a session with ``receive_data``/``data_to_send``/
``closed``.  ``MemoryBackend`` is the embedded default store.
:mod:`imap_sansio.server.names` holds the mailbox-name rules a backend may
need; :mod:`imap_sansio.testing.backend` the contract every backend passes.
"""

from __future__ import annotations

from . import names
from ._backend import (
    Account,
    AppendLimitAccount,
    AppendResult,
    AuthenticationFailed,
    Backend,
    ChangeNotice,
    Changes,
    CondstoreAccount,
    CopyResult,
    ImapBad,
    ImapNo,
    Mailbox,
    MailboxExists,
    MailboxInfo,
    MailboxStatus,
    MessageInfo,
    MessageSource,
    NoSuchMailbox,
    QuotaAccount,
    QuotaResource,
    SpecialUseCreateAccount,
    StoreAction,
    StoreResult,
    normalize_flags,
)
from ._mailboxes import ListEntry, list_entries, lsub_entries
from ._memory import MemoryBackend
from ._server import PENDING, Completion, IMAPServer, ServerConnection

__all__ = [
    "PENDING",
    "Account",
    "AppendLimitAccount",
    "AppendResult",
    "AuthenticationFailed",
    "Backend",
    "ChangeNotice",
    "Changes",
    "Completion",
    "CondstoreAccount",
    "CopyResult",
    "IMAPServer",
    "ImapBad",
    "ImapNo",
    "ListEntry",
    "Mailbox",
    "MailboxExists",
    "MailboxInfo",
    "MailboxStatus",
    "MemoryBackend",
    "MessageInfo",
    "MessageSource",
    "NoSuchMailbox",
    "QuotaAccount",
    "QuotaResource",
    "ServerConnection",
    "SpecialUseCreateAccount",
    "StoreAction",
    "StoreResult",
    "list_entries",
    "lsub_entries",
    "names",
    "normalize_flags",
]
