"""The pure server layer: IMAP command semantics over a Backend protocol.

``IMAPServer(backend, clock=...)`` gives a complete server without I/O; its
``connect()`` returns a :class:`Session` with ``receive_data``/
``data_to_send``/``closed``.  ``MemoryBackend`` is the embedded default
store; ``demo_backend()`` one with a realistic demo account.  An
application's own command is a :class:`ServerCommand` given to
``IMAPServer.add_command``.  :mod:`imap_sansio.server.names` holds the
mailbox-name rules a backend may need; :mod:`imap_sansio.testing.backend`
the contract every backend passes.
"""

from __future__ import annotations

from . import names
from ._backend import (
    INDEXED_FLAGS,
    Account,
    AclAccount,
    AppendLimitAccount,
    AppendResult,
    AuthenticationFailed,
    Backend,
    ChangeNotice,
    Changes,
    CondstoreAccount,
    CopyResult,
    FlagIndexMailbox,
    ImapBad,
    ImapNo,
    Mailbox,
    MailboxExists,
    MailboxInfo,
    MailboxStatus,
    MessageInfo,
    MessageSource,
    MetadataAccount,
    NoSuchMailbox,
    ObjectIdAccount,
    QuotaAccount,
    QuotaResource,
    ReplaceMailbox,
    SaveDateAccount,
    SpecialUseCreateAccount,
    StoreAction,
    StoreResult,
    UrlAuthAccount,
    normalize_flags,
    thread_keys,
)
from ._demo import demo_backend
from ._login_guard import LoginGuard, LoginLimits
from ._mailboxes import ListEntry, list_entries, lsub_entries
from ._memory import MemoryBackend
from ._metadata import MetadataLimits
from ._sasl import (
    ClearPasswords,
    OAuthBearer,
    PasswordDatabase,
    SaslContext,
    SaslExchange,
    SaslMechanism,
    ScramSecrets,
    TokenRejected,
    TokenValidator,
    VerifiedLoginBackend,
    XOAuth2,
)
from ._server import IMAPServer
from ._session import PENDING, Completion, Handler, HandlerResult, Pending, ServerCommand, Session

__all__ = [
    "INDEXED_FLAGS",
    "PENDING",
    "Account",
    "AclAccount",
    "AppendLimitAccount",
    "AppendResult",
    "AuthenticationFailed",
    "Backend",
    "ChangeNotice",
    "Changes",
    "ClearPasswords",
    "Completion",
    "CondstoreAccount",
    "CopyResult",
    "FlagIndexMailbox",
    "Handler",
    "HandlerResult",
    "IMAPServer",
    "ImapBad",
    "ImapNo",
    "ListEntry",
    "LoginGuard",
    "LoginLimits",
    "Mailbox",
    "MailboxExists",
    "MailboxInfo",
    "MailboxStatus",
    "MemoryBackend",
    "MessageInfo",
    "MessageSource",
    "MetadataAccount",
    "MetadataLimits",
    "NoSuchMailbox",
    "OAuthBearer",
    "ObjectIdAccount",
    "PasswordDatabase",
    "Pending",
    "QuotaAccount",
    "QuotaResource",
    "ReplaceMailbox",
    "SaslContext",
    "SaslExchange",
    "SaslMechanism",
    "SaveDateAccount",
    "ScramSecrets",
    "ServerCommand",
    "Session",
    "SpecialUseCreateAccount",
    "StoreAction",
    "StoreResult",
    "TokenRejected",
    "TokenValidator",
    "UrlAuthAccount",
    "VerifiedLoginBackend",
    "XOAuth2",
    "demo_backend",
    "list_entries",
    "lsub_entries",
    "names",
    "normalize_flags",
    "thread_keys",
]
