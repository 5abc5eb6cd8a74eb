"""SASL mechanisms for AUTHENTICATE, and the hooks accounts come through.

One :class:`SaslExchange` per AUTHENTICATE command: the session feeds it the
client's decoded responses and sends what it returns.  An exchange either
hands over credentials for the backend to check (:class:`CheckPassword`:
PLAIN, LOGIN) or has proven the identity itself (:class:`Verified`: SCRAM
with stored secrets, OAuth bearer tokens), and then the backend only opens
the account (:class:`VerifiedLoginBackend`).

Pure: the password file, hash schemes and SCRAM arithmetic (which needs
randomness) live in ``imap_sansio.adapters.accounts``; they meet the server
through :class:`PasswordDatabase`, :class:`SaslMechanism` and
:class:`TokenValidator`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from .._frozen import dataclass, field
from .._secret import Secret
from ._backend import Account, AuthenticationFailed, ImapBad

__all__ = [
    "CheckPassword",
    "ClearPasswords",
    "OAuthBearer",
    "PasswordDatabase",
    "SaslContext",
    "SaslExchange",
    "SaslMechanism",
    "SaslStep",
    "ScramSecrets",
    "TokenRejected",
    "TokenValidator",
    "Verified",
    "VerifiedLoginBackend",
    "XOAuth2",
    "plain_exchange",
    "scram_secrets_from_password",
]


# --------------------------------------------------------------------- accounts


@dataclass(frozen=True, slots=True)
class ScramSecrets:
    """What a server keeps for SCRAM instead of the password (RFC 5802 3):
    the salt, the iteration count, StoredKey and ServerKey.  The keys stay
    out of the repr: with them anyone can impersonate the server."""

    iterations: int
    salt: bytes = field(repr=False)
    stored_key: bytes = field(repr=False)
    server_key: bytes = field(repr=False)


@runtime_checkable
class PasswordDatabase(Protocol):
    """Where accounts and their credentials are: a backend given one instead
    of a users dict checks LOGIN/PLAIN with it, and SCRAM reads its stored
    secrets.  Implementations may block (a file, a database)."""

    def verify(self, username: str, password: Secret[str]) -> bool:
        """True when ``username`` exists and ``password`` is its password."""
        ...

    def scram_secrets(self, username: str, mechanism: str) -> ScramSecrets | None:
        """The stored secrets of ``username`` for ``mechanism``
        (``SCRAM-SHA-256``...), or None (no such user or none stored)."""
        ...

    def __contains__(self, username: object) -> bool: ...


class ClearPasswords:
    """A users dict (name -> clear password) as a :class:`PasswordDatabase`.

    SCRAM secrets are derived from the password with a salt made from the
    user name: a salt only has to differ between users (RFC 5802 9), and
    with the password itself stored, a random one would protect nothing.
    """

    __slots__ = ("_passwords",)

    def __init__(self, users: Mapping[str, str | Secret[str]] | None = None) -> None:
        self._passwords: dict[str, Secret[str]] = {}
        for name, password in (users or {}).items():
            self.add(name, password)

    def __repr__(self) -> str:
        return f"ClearPasswords(users={sorted(self._passwords)!r})"

    def add(self, username: str, password: str | Secret[str]) -> None:
        self._passwords[username] = password if isinstance(password, Secret) else Secret(password)

    def __contains__(self, username: object) -> bool:
        return username in self._passwords

    def verify(self, username: str, password: Secret[str]) -> bool:
        expected = self._passwords.get(username)
        wanted = expected.reveal() if expected is not None else "\x00not a password"
        # Constant time, and as long for unknown users as for known ones.
        import hmac  # noqa: PLC0415 - hashlib's import (7 ms) waits for the first login

        ok = hmac.compare_digest(password.reveal().encode(), wanted.encode())
        return ok and expected is not None

    def scram_secrets(self, username: str, mechanism: str) -> ScramSecrets | None:
        password = self._passwords.get(username)
        digest = _SCRAM_DIGESTS.get(mechanism.upper().removesuffix("-PLUS"))
        if password is None or digest is None:
            return None
        import hashlib  # noqa: PLC0415 - see verify

        salt = hashlib.sha256(b"imap-sansio SCRAM salt\0" + username.encode("utf-8")).digest()
        return scram_secrets_from_password(password, digest, salt[:16], 4096)


_SCRAM_DIGESTS = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}


def scram_secrets_from_password(
    password: Secret[str], digest: str, salt: bytes, iterations: int
) -> ScramSecrets:
    """RFC 5802 3: SaltedPassword = Hi(Normalize(password), salt, i),
    StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey =
    HMAC(SaltedPassword, "Server Key").  Normalize is SASLprep (RFC 4013),
    here its NFKC step, which is all that matters for passwords clients type."""
    import hashlib  # noqa: PLC0415 - see ClearPasswords.verify
    import hmac  # noqa: PLC0415

    normalized = unicodedata.normalize("NFKC", password.reveal()).encode("utf-8")
    salted = hashlib.pbkdf2_hmac(digest, normalized, salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", digest)
    return ScramSecrets(
        iterations,
        salt,
        hashlib.new(digest, client_key).digest(),
        hmac.digest(salted, b"Server Key", digest),
    )


@runtime_checkable
class VerifiedLoginBackend(Protocol):
    """A backend that opens the account of a user whose identity a SASL
    mechanism proved without a password (SCRAM, OAuth bearer tokens)."""

    def open_account(self, username: str, *, authzid: str | None = None) -> Account:
        """The account of ``username``; :class:`AuthenticationFailed` when
        there is no such user, ``NO [AUTHORIZATIONFAILED]`` for an
        ``authzid`` the user may not act as."""
        ...


class TokenRejected(AuthenticationFailed):
    """A :class:`TokenValidator` refused the token.  ``status`` and ``scope``
    go into the OAUTHBEARER error challenge (RFC 7628 3.2.2)."""

    def __init__(self, status: str = "invalid_token", scope: str | None = None) -> None:
        super().__init__()
        self.status = status
        self.scope = scope


@runtime_checkable
class TokenValidator(Protocol):
    """Checks an OAuth 2.0 bearer token (RFC 6750) for OAUTHBEARER/XOAUTH2."""

    def validate(self, token: Secret[str], username: str | None) -> str:
        """The user the token authorizes (which must be ``username`` when the
        client named one); raises :class:`TokenRejected`."""
        ...


# ------------------------------------------------------------------ exchanges


@dataclass(frozen=True, slots=True)
class Challenge:
    """Send ``+ <base64 data>`` and wait for the client's next response."""

    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class CheckPassword:
    """The client sent a password: the backend checks it (LOGIN's path)."""

    username: str
    password: Secret[str]
    authzid: str = ""


@dataclass(frozen=True, slots=True)
class Verified:
    """The mechanism proved the identity; ``final`` is the server's last
    message (SCRAM's ``v=``), sent as a challenge the client answers with an
    empty response before the OK (RFC 3501 6.2.2 has no data in the OK)."""

    username: str
    authzid: str = ""
    final: bytes | None = field(default=None, repr=False)


SaslStep = Challenge | CheckPassword | Verified


@dataclass(frozen=True, slots=True)
class SaslContext:
    """What the connection tells a mechanism: the TLS channel binding
    (type and data, RFC 5929) when there is one."""

    channel_binding: tuple[str, bytes] | None = None


class SaslExchange(Protocol):
    """One AUTHENTICATE exchange, server side."""

    def start(self) -> bytes:
        """The first challenge when the client sent no initial response."""
        ...

    def step(self, response: bytes) -> SaslStep:
        """The client's next (decoded) response; raises
        :class:`AuthenticationFailed` or :class:`ImapBad` to end it."""
        ...


class SaslMechanism(Protocol):
    """A mechanism the server offers (``AUTH=<name>``)."""

    @property
    def name(self) -> str: ...

    def exchange(self, context: SaslContext) -> SaslExchange: ...


def _text(data: bytes) -> str:
    # Bytes that are not UTF-8 stay as surrogate escapes: the login path
    # treats them as wrong credentials without showing them.
    return data.decode("utf-8", "surrogateescape")


class _Plain:
    """RFC 4616 2: ``[authzid] NUL authcid NUL passwd``."""

    def start(self) -> bytes:
        return b""

    def step(self, response: bytes) -> SaslStep:
        parts = response.split(b"\0")
        if len(parts) != 3:
            raise ImapBad("Malformed PLAIN response", "CLIENTBUG")
        authzid, authcid, password = (_text(p) for p in parts)
        return CheckPassword(authcid, Secret(password), authzid)


class _Login:
    """The LOGIN mechanism (draft-murchison-sasl-login): user, then password."""

    def __init__(self) -> None:
        self._username: str | None = None

    def start(self) -> bytes:
        return b"Username:"

    def step(self, response: bytes) -> SaslStep:
        if self._username is None:
            self._username = _text(response)
            return Challenge(b"Password:")
        return CheckPassword(self._username, Secret(_text(response)))


def plain_exchange(mechanism: str) -> SaslExchange:
    """The built-in PLAIN or LOGIN exchange."""
    return _Plain() if mechanism == "PLAIN" else _Login()


def _saslname(value: str) -> str:
    """RFC 5801 4 / RFC 7628 3.1: ``=2C`` is ",", ``=3D`` is "="."""
    if "=" in value.replace("=2C", "").replace("=3D", ""):
        raise ImapBad("Malformed authzid in the GS2 header", "CLIENTBUG")
    return value.replace("=2C", ",").replace("=3D", "=")


def _bearer(value: str) -> str:
    # RFC 6750 2.1: the scheme is case-insensitive; the token follows one space.
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ImapBad("Malformed auth value (expected 'Bearer <token>')", "CLIENTBUG")
    return token


class _OAuthExchange:
    def __init__(self, validator: TokenValidator, mechanism: str) -> None:
        self._validator = validator
        self._mechanism = mechanism
        self._failed: TokenRejected | None = None
        #: Who the client said it is (for the login hooks).
        self.username = ""

    def start(self) -> bytes:
        return b""

    def step(self, response: bytes) -> SaslStep:
        if self._failed is not None:
            # Whatever the client answered, the exchange is over.
            raise self._failed
        try:
            response.decode("utf-8")
        except UnicodeDecodeError:
            # Tokens and user names are UTF-8 (RFC 7628 3.1); the validator
            # never sees anything else.
            raise ImapBad(f"{self._mechanism} message is not UTF-8", "CLIENTBUG") from None
        if self._mechanism == "OAUTHBEARER":
            username, authzid, token = self._oauthbearer(response)
        else:
            username, authzid, token = self._xoauth2(response)
        self.username = username
        try:
            user = self._validator.validate(Secret(token), username or None)
        except TokenRejected as exc:
            self._failed = exc
            return Challenge(self._error(exc))
        if username and user != username:
            # The validator vouches for another user than the one named.
            self._failed = TokenRejected()
            return Challenge(self._error(self._failed))
        return Verified(user, authzid)

    @staticmethod
    def _oauthbearer(response: bytes) -> tuple[str, str, str]:
        # RFC 7628 3.1: gs2-header kvsep *kvpair kvsep, kvsep = %x01;
        # gs2-header = gs2-cb-flag "," [gs2-authzid] ","; OAUTHBEARER has
        # no channel binding, so "p=" is refused (RFC 7628 3.1: "y" or "n").
        text = _text(response)
        header, sep, rest = text.partition("\x01")
        fields = header.split(",")
        if not sep or len(fields) != 3 or fields[0] not in ("n", "y") or fields[2]:
            raise ImapBad("Malformed OAUTHBEARER message", "CLIENTBUG")
        authzid = ""
        if fields[1]:
            if not fields[1].startswith("a="):
                raise ImapBad("Malformed OAUTHBEARER message", "CLIENTBUG")
            authzid = _saslname(fields[1][2:])
        if not rest.endswith("\x01\x01") and rest != "\x01":
            raise ImapBad("Malformed OAUTHBEARER message", "CLIENTBUG")
        pairs = _kvpairs(rest[:-1])
        if "auth" not in pairs:
            raise ImapBad("OAUTHBEARER message without auth", "CLIENTBUG")
        # The authzid names the user (RFC 7628 3.1: the user the client
        # wants to act as; the token's owner must match it).
        return authzid, authzid, _bearer(pairs["auth"])

    @staticmethod
    def _xoauth2(response: bytes) -> tuple[str, str, str]:
        # Google's XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A.
        text = _text(response)
        if not text.endswith("\x01\x01"):
            raise ImapBad("Malformed XOAUTH2 message", "CLIENTBUG")
        pairs = _kvpairs(text[:-1])
        if "user" not in pairs or "auth" not in pairs:
            raise ImapBad("Malformed XOAUTH2 message", "CLIENTBUG")
        return pairs["user"], "", _bearer(pairs["auth"])

    def _error(self, rejected: TokenRejected) -> bytes:
        if self._mechanism == "OAUTHBEARER":
            # RFC 7628 3.2.2: a JSON object with "status", maybe "scope".
            body: dict[str, str] = {"status": rejected.status}
        else:
            # XOAUTH2 answers with an HTTP-like status (Google's documentation).
            body = {"status": "400", "schemes": "Bearer"}
        if rejected.scope is not None:
            body["scope"] = rejected.scope
        import json  # noqa: PLC0415 - only for a rejected OAuth token

        return json.dumps(body, separators=(",", ":")).encode()


def _kvpairs(text: str) -> dict[str, str]:
    """``key=value`` items each ended by ``%x01`` (``text`` ends with one)."""
    if not text.endswith("\x01"):
        raise ImapBad("Malformed SASL key/value list", "CLIENTBUG")
    pairs: dict[str, str] = {}
    for item in text[:-1].split("\x01"):
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ImapBad("Malformed SASL key/value list", "CLIENTBUG")
        pairs[key] = value
    return pairs


class OAuthBearer:
    """OAUTHBEARER (RFC 7628) with ``validator`` checking the tokens."""

    name = "OAUTHBEARER"

    def __init__(self, validator: TokenValidator) -> None:
        self.validator = validator

    def __repr__(self) -> str:
        return f"OAuthBearer({self.validator!r})"

    def exchange(self, context: SaslContext) -> SaslExchange:
        return _OAuthExchange(self.validator, self.name)


class XOAuth2(OAuthBearer):
    """XOAUTH2 (Google's and Microsoft's predecessor of OAUTHBEARER)."""

    name = "XOAUTH2"

    def __repr__(self) -> str:
        return f"XOAuth2({self.validator!r})"
