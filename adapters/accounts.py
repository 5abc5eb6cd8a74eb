"""Accounts from a Dovecot passwd-file, password hash schemes, SCRAM.

``PasswordFile(path)`` is a :class:`~imap_sansio.server.PasswordDatabase`
over a file in Dovecot's passwd-file format::

    # comments and blank lines are ignored
    alice:{SHA512-CRYPT}$6$...:1000:1000::/home/alice::userdb_quota_rule=*:storage=1G
    bob:{SCRAM-SHA-256}4096,<salt>,<StoredKey>,<ServerKey>

Only the first two fields are read (user and password); the others (uid,
gid, gecos, home, shell, extra fields) are tolerated.  A password without a
``{SCHEME}`` prefix is ``CRYPT``, as in Dovecot.  The file is read again
when its modification time, size or inode change (checked on use).

The schemes come from maintained libraries: the crypt(3) family
(SHA512-CRYPT, SHA256-CRYPT, MD5-CRYPT, DES) from ``libpass`` (the
maintained fork of passlib), BLF-CRYPT from ``bcrypt``, ARGON2I/ARGON2ID
from ``argon2-cffi``, SCRAM from ``scramp``; PBKDF2, SSHA256/SSHA512 and
the unsalted SHA digests are the standard library's ``hashlib``.  Install
the ``accounts`` extra: ``pip install imap-sansio[accounts]``.

:class:`Scram` is the SCRAM-SHA-1/SCRAM-SHA-256 (RFC 5802, RFC 7677)
mechanism for ``IMAPServer(sasl_mechanisms=...)``, with ``-PLUS`` channel
binding (``tls-server-end-point``, RFC 5929 4.1) when the adapters give it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imap_sansio._secret import Secret
from imap_sansio.server._backend import AuthenticationFailed
from imap_sansio.server._sasl import (
    Challenge,
    PasswordDatabase,
    SaslContext,
    SaslStep,
    ScramSecrets,
    Verified,
)

__all__ = [
    "DEFAULT_SCHEME",
    "SCHEMES",
    "PasswordFile",
    "Scram",
    "hash_password",
    "scram_mechanisms",
    "tls_server_end_point",
    "verify_password",
]

logger = logging.getLogger("imap_sansio.adapters.accounts")

#: What ``imap-sansio passwd`` writes unless told otherwise: Argon2id, the
#: algorithm RFC 9106 recommends (Dovecot reads it as ``{ARGON2ID}``).
DEFAULT_SCHEME = "ARGON2ID"

_SCRAM_HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}
_SALTED_DIGESTS = {"SSHA": "sha1", "SSHA256": "sha256", "SSHA512": "sha512", "SMD5": "md5"}
_DIGESTS = {"SHA": "sha1", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512", "MD5": "md5"}
_CRYPT_SCHEMES = frozenset({"CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "MD5-CRYPT", "BLF-CRYPT"})
_ARGON2 = frozenset({"ARGON2I", "ARGON2ID"})
_PLAIN = frozenset({"PLAIN", "CLEAR", "CLEARTEXT"})

#: Schemes this module reads; those it can also write are in :data:`SCHEMES`.
READABLE_SCHEMES = frozenset(
    {*_PLAIN, *_CRYPT_SCHEMES, "DES-CRYPT", *_ARGON2, "PBKDF2"}
    | set(_SALTED_DIGESTS)
    | set(_DIGESTS)
    | set(_SCRAM_HASHES)
)
#: Schemes ``hash_password`` writes (strong ones and the SCRAM secrets).
SCHEMES = (
    "ARGON2ID",
    "ARGON2I",
    "BLF-CRYPT",
    "SHA512-CRYPT",
    "SHA256-CRYPT",
    "PBKDF2",
    "SSHA512",
    "SSHA256",
    "SCRAM-SHA-256",
    "SCRAM-SHA-1",
    "PLAIN",
)
#: bcrypt reads at most 72 bytes of a password (and bcrypt >= 5 refuses more).
_BCRYPT_MAX = 72
# Every login pays for one verification (there is no auth cache), so the
# costs of the hashes written here aim at tens of milliseconds, above what
# doveadm writes (bcrypt cost 5, 5000 crypt rounds): bcrypt cost 10 (the
# OWASP minimum), 100,000 SHA-crypt rounds (passlib's default of 656,000
# takes a second in its pure-Python backend), Argon2id with argon2-cffi's
# RFC 9106 parameters (t=3, 64 MiB).
_BCRYPT_COST = 10
_CRYPT_ROUNDS = 100_000


def _missing(package: str) -> ImportError:
    return ImportError(f"this password scheme needs {package}: pip install 'imap-sansio[accounts]'")


def _split(stored: str) -> tuple[str, str]:
    """``{SCHEME}hash`` -> (SCHEME, hash); no prefix means CRYPT (Dovecot's
    default_pass_scheme for passwd-file)."""
    if stored.startswith("{") and "}" in stored:
        scheme, _, value = stored[1:].partition("}")
        return scheme.upper(), value
    return "CRYPT", stored


# ----------------------------------------------------------------- verification


def verify_password(stored: str, password: Secret[str]) -> bool:
    """True when ``password`` matches ``stored`` (``{SCHEME}hash``).

    Unknown schemes and malformed hashes never match (the file loader
    reports them).
    """
    scheme, value = _split(stored)
    try:
        data = password.reveal().encode("utf-8")
    except UnicodeEncodeError:  # surrogate escapes: bytes that were not UTF-8
        return False
    try:
        return _verify(scheme, value, data, password)
    except (ValueError, TypeError, binascii.Error):
        return False


def _verify(scheme: str, value: str, data: bytes, password: Secret[str]) -> bool:
    if scheme in _PLAIN:
        return hmac.compare_digest(data, value.encode("utf-8"))
    if scheme in _CRYPT_SCHEMES or scheme == "DES-CRYPT":
        return _verify_crypt(value, data)
    if scheme in _ARGON2:
        return _verify_argon2(value, data)
    if scheme == "PBKDF2":
        # Dovecot: $1$<salt>$<rounds>$<hex PBKDF2-HMAC-SHA1, 20 bytes>
        _, version, text_salt, rounds, hex_digest = value.split("$")
        if version != "1":
            return False
        derived = hashlib.pbkdf2_hmac("sha1", data, text_salt.encode(), int(rounds))
        return hmac.compare_digest(derived.hex(), hex_digest.lower())
    if scheme in _SALTED_DIGESTS:
        # base64(H(password + salt) + salt), RFC 2307 style.
        name = _SALTED_DIGESTS[scheme]
        raw = base64.b64decode(value, validate=True)
        size = hashlib.new(name).digest_size
        digest, salt = raw[:size], raw[size:]
        return hmac.compare_digest(hashlib.new(name, data + salt).digest(), digest)
    if scheme in _DIGESTS:
        expected = base64.b64decode(value, validate=True)
        return hmac.compare_digest(hashlib.new(_DIGESTS[scheme], data).digest(), expected)
    if scheme in _SCRAM_HASHES:
        stored = _parse_scram(value)
        computed = _scram_from_password(password, scheme, stored.salt, stored.iterations)
        return hmac.compare_digest(computed.stored_key, stored.stored_key)
    return False


def _verify_crypt(value: str, data: bytes) -> bool:
    if value.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            import bcrypt  # noqa: PLC0415 - optional dependency
        except ImportError as exc:
            raise _missing("bcrypt") from exc
        return bool(bcrypt.checkpw(data[:_BCRYPT_MAX], value.encode("ascii")))
    if value.startswith("$argon2"):
        return _verify_argon2(value, data)
    try:
        from passlib.hash import (  # noqa: PLC0415 - optional dependency
            des_crypt,
            md5_crypt,
            sha256_crypt,
            sha512_crypt,
        )
    except ImportError as exc:
        raise _missing("libpass") from exc
    handlers: dict[str, Any] = {"$6$": sha512_crypt, "$5$": sha256_crypt, "$1$": md5_crypt}
    handler = handlers.get(value[:3], des_crypt if len(value) == 13 else None)
    return handler is not None and bool(handler.verify(data, value))


def _verify_argon2(value: str, data: bytes) -> bool:
    try:
        import argon2  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise _missing("argon2-cffi") from exc
    try:
        # The hash names its variant (argon2i/argon2id) and parameters.
        return bool(argon2.PasswordHasher().verify(value, data))
    except argon2.exceptions.VerificationError:
        return False
    except argon2.exceptions.InvalidHashError:
        return False


def _parse_scram(value: str) -> ScramSecrets:
    # Dovecot: <iterations>,<base64 salt>,<base64 StoredKey>,<base64 ServerKey>
    iterations, salt, stored_key, server_key = value.split(",")
    return ScramSecrets(
        int(iterations),
        base64.b64decode(salt, validate=True),
        base64.b64decode(stored_key, validate=True),
        base64.b64decode(server_key, validate=True),
    )


def _scramp() -> Any:
    try:
        import scramp  # noqa: PLC0415 - optional dependency
    except ImportError as exc:
        raise _missing("scramp") from exc
    return scramp


def _scram_from_password(
    password: Secret[str], mechanism: str, salt: bytes | None, iterations: int
) -> ScramSecrets:
    # scramp applies SASLprep (RFC 4013) to the password, as RFC 5802 2.2 asks.
    scramp = _scramp()
    try:
        made = scramp.ScramMechanism(mechanism).make_auth_info(
            password.reveal(), iteration_count=iterations, salt=salt
        )
    except scramp.ScramException as exc:  # a salt or count out of its bounds
        raise ValueError(f"unusable SCRAM parameters: {exc}") from None
    salt_, stored_key, server_key, count = made
    return ScramSecrets(count, salt_, stored_key, server_key)


# ---------------------------------------------------------------------- hashing


def hash_password(password: Secret[str], scheme: str = DEFAULT_SCHEME) -> str:
    """A ``{SCHEME}hash`` line field for ``password`` (random salt)."""
    scheme = scheme.upper()
    data = password.reveal().encode("utf-8")
    if scheme == "PLAIN":
        return "{PLAIN}" + password.reveal()
    if scheme in _ARGON2:
        try:
            import argon2  # noqa: PLC0415 - optional dependency
        except ImportError as exc:
            raise _missing("argon2-cffi") from exc
        kind = argon2.Type.ID if scheme == "ARGON2ID" else argon2.Type.I
        return "{" + scheme + "}" + argon2.PasswordHasher(type=kind).hash(data)
    if scheme == "BLF-CRYPT":
        try:
            import bcrypt  # noqa: PLC0415 - optional dependency
        except ImportError as exc:
            raise _missing("bcrypt") from exc
        if len(data) > _BCRYPT_MAX:
            raise ValueError("BLF-CRYPT reads only 72 bytes of a password; choose ARGON2ID")
        # $2y$ is what Dovecot writes and reads for BLF-CRYPT.
        hashed = bcrypt.hashpw(data, bcrypt.gensalt(_BCRYPT_COST, b"2b")).decode("ascii")
        return "{BLF-CRYPT}$2y$" + hashed[4:]
    if scheme in ("SHA512-CRYPT", "SHA256-CRYPT"):
        try:
            from passlib.hash import sha256_crypt, sha512_crypt  # noqa: PLC0415
        except ImportError as exc:
            raise _missing("libpass") from exc
        handler: Any = sha512_crypt if scheme == "SHA512-CRYPT" else sha256_crypt
        hashed = handler.using(rounds=_CRYPT_ROUNDS).hash(data)
        return "{" + scheme + "}" + str(hashed)
    if scheme == "PBKDF2":
        salt = secrets.token_urlsafe(12)
        rounds = 100_000
        digest = hashlib.pbkdf2_hmac("sha1", data, salt.encode(), rounds).hex()
        return "{PBKDF2}" + f"$1${salt}${rounds}${digest}"
    if scheme in ("SSHA256", "SSHA512"):
        name = _SALTED_DIGESTS[scheme]
        salt_bytes = secrets.token_bytes(16)
        raw = hashlib.new(name, data + salt_bytes).digest() + salt_bytes
        return "{" + scheme + "}" + base64.b64encode(raw).decode("ascii")
    if scheme in _SCRAM_HASHES:
        made = _scram_from_password(password, scheme, None, 4096)
        parts = (made.salt, made.stored_key, made.server_key)
        encoded = ",".join(base64.b64encode(p).decode("ascii") for p in parts)
        return "{" + scheme + "}" + f"{made.iterations},{encoded}"
    raise ValueError(f"cannot write password scheme {scheme}; choose one of {', '.join(SCHEMES)}")


# ------------------------------------------------------------------ the file


@dataclass(frozen=True, slots=True)
class _Entry:
    scheme: str
    #: The whole ``{SCHEME}hash`` field; kept out of reprs.
    stored: str = field(repr=False)


class PasswordFile:
    """Accounts from a Dovecot passwd-file (see the module docstring).

    Thread-safe.  The file's status is read on every use (one ``stat``, as
    Dovecot does); ``check_interval`` (seconds) reads it less often.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        check_interval: float = 0.0,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.path = Path(path)
        self._check_interval = check_interval
        self._monotonic = monotonic or time.monotonic
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._checked = -float("inf")
        #: Derived SCRAM secrets of PLAIN entries, by (user, mechanism).
        self._derived: dict[tuple[str, str], ScramSecrets] = {}
        self._salt_key = secrets.token_bytes(32)
        self._load(initial=True)

    def __repr__(self) -> str:
        return f"PasswordFile({str(self.path)!r}, users={len(self._entries)})"

    # -- loading ---------------------------------------------------------

    def _status(self) -> tuple[int, int, int]:
        st = self.path.stat()
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _load(self, *, initial: bool = False) -> None:
        try:
            stamp = self._status()
            text = self.path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            if initial:
                raise ValueError(f"cannot read password file {self.path}: {exc}") from exc
            # Keep serving the accounts read last; say why once per change.
            logger.error("password file %s not reloaded: %s", self.path, exc)
            self._stamp = None
            return
        self._entries = parse_passwd_file(text, source=str(self.path))
        self._derived = {}
        self._stamp = stamp
        logger.info("password file %s: %d accounts", self.path, len(self._entries))

    def _current(self) -> dict[str, _Entry]:
        with self._lock:
            now = self._monotonic()
            if now - self._checked >= self._check_interval:
                self._checked = now
                try:
                    stamp: tuple[int, int, int] | None = self._status()
                except OSError:
                    stamp = None
                if stamp is None or stamp != self._stamp:
                    self._load()
            return self._entries

    def reload(self) -> None:
        """Read the file now (as the next use after a change would)."""
        with self._lock:
            self._load()

    # -- PasswordDatabase --------------------------------------------------

    def __contains__(self, username: object) -> bool:
        return username in self._current()

    def verify(self, username: str, password: Secret[str]) -> bool:
        entry = self._current().get(username)
        if entry is None:
            # As long as a check of a known user: hash a throwaway.
            verify_password(_DUMMY_HASH, password)
            return False
        return verify_password(entry.stored, password)

    def scram_secrets(self, username: str, mechanism: str) -> ScramSecrets | None:
        mechanism = mechanism.upper().removesuffix("-PLUS")
        entries = self._current()
        entry = entries.get(username)
        if entry is None or mechanism not in _SCRAM_HASHES:
            return None
        if entry.scheme == mechanism:
            try:
                return _parse_scram(_split(entry.stored)[1])
            except (ValueError, binascii.Error):
                return None
        if entry.scheme in _PLAIN:
            # A clear password: derive the secrets once (salt from a key of
            # this process, so it is the same on every attempt).
            key = (username, mechanism)
            with self._lock:
                derived = self._derived.get(key)
            if derived is None:
                salt = hmac.digest(self._salt_key, f"{mechanism}\0{username}".encode(), "sha256")
                password = Secret(_split(entry.stored)[1])
                derived = _scram_from_password(password, mechanism, salt[:16], 4096)
                with self._lock:
                    self._derived[key] = derived
            return derived
        return None


#: Verified for unknown users so that they cost as much as known ones.
_DUMMY_HASH = "{PBKDF2}$1$imapsansiodummy$5000$" + "0" * 40


def parse_passwd_file(text: str, *, source: str = "<passwd-file>") -> dict[str, _Entry]:
    """The accounts of a passwd-file text; bad lines are logged (by line
    number, never their content) and skipped."""
    entries: dict[str, _Entry] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(":")
        username = fields[0]
        password = fields[1] if len(fields) > 1 else ""
        if not username:
            logger.warning("%s:%d: no user name; line ignored", source, number)
            continue
        if username in entries:
            logger.warning("%s:%d: user %r again; first line kept", source, number, username)
            continue
        if not password:
            logger.warning("%s:%d: %r has no password; it cannot log in", source, number, username)
            continue
        scheme, _ = _split(password)
        if scheme not in READABLE_SCHEMES:
            logger.warning(
                "%s:%d: %r has unknown scheme {%s}; it cannot log in",
                source,
                number,
                username,
                scheme,
            )
            continue
        entries[username] = _Entry(scheme, password)
    return entries


# ------------------------------------------------------------------------ SCRAM


class _ScramExchange:
    def __init__(
        self, mechanism: str, passwords: PasswordDatabase, key: bytes, context: SaslContext
    ) -> None:
        self.username = ""
        self._mechanism = mechanism
        self._passwords = passwords
        self._key = key
        scramp = _scramp()
        binding = context.channel_binding
        self._server = scramp.ScramMechanism(mechanism).make_server(
            self._auth_info, channel_binding=binding
        )
        self._exception = scramp.ScramException
        self._final: bytes | None = None

    def _auth_info(self, username: str) -> tuple[bytes, bytes, bytes, int]:
        # RFC 5802 5.1: "=2C" and "=3D" stand for "," and "=" in the name.
        name = username.replace("=2C", ",").replace("=3D", "=")
        self.username = name
        found = self._passwords.scram_secrets(name, self._mechanism)
        if found is None:
            # An unknown user (or one without SCRAM secrets) gets a salt
            # that is the same on every attempt, and fails at the proof,
            # so the exchange does not tell who exists (RFC 5802 9).
            salt = hmac.digest(self._key, b"salt\0" + name.encode(), "sha256")[:16]
            fake = hmac.digest(self._key, b"key\0" + name.encode(), "sha256")
            return salt, fake, fake, 4096
        return found.salt, found.stored_key, found.server_key, found.iterations

    def start(self) -> bytes:
        return b""

    def step(self, response: bytes) -> SaslStep:
        try:
            text = response.decode("utf-8")
        except UnicodeDecodeError:
            raise AuthenticationFailed() from None
        try:
            if self._server.stage is None:
                self._server.set_client_first(text)
                return Challenge(self._server.get_server_first().encode("utf-8"))
            self._server.set_client_final(text)
            final = self._server.get_server_final().encode("utf-8")
        except self._exception:
            # Malformed messages, a wrong proof, a channel-binding mismatch:
            # all are failed authentication (never the details).
            raise AuthenticationFailed() from None
        return Verified(self.username, final=final)


class Scram:
    """SCRAM-SHA-1 / SCRAM-SHA-256 and their -PLUS variants, server side,
    over ``passwords`` (its :meth:`scram_secrets`)."""

    def __init__(self, name: str, passwords: PasswordDatabase) -> None:
        upper = name.upper()
        if upper.removesuffix("-PLUS") not in _SCRAM_HASHES:
            raise ValueError(f"not a SCRAM mechanism: {name}")
        self.name = upper
        self.passwords = passwords
        self._key = secrets.token_bytes(32)

    def __repr__(self) -> str:
        return f"Scram({self.name!r})"

    def exchange(self, context: SaslContext) -> _ScramExchange:
        if self.name.endswith("-PLUS") and context.channel_binding is None:
            # Not advertised without channel binding; refused the same way.
            raise AuthenticationFailed()
        return _ScramExchange(self.name, self.passwords, self._key, context)


def scram_mechanisms(
    passwords: PasswordDatabase, *, plus: bool = False, names: Iterable[str] = ()
) -> list[Scram]:
    """SCRAM-SHA-256 and SCRAM-SHA-1 (and their -PLUS variants with ``plus``),
    strongest first."""
    chosen = list(names) or ["SCRAM-SHA-256", "SCRAM-SHA-1"]
    if plus:
        chosen = [f"{n}-PLUS" for n in chosen] + chosen
    return [Scram(n, passwords) for n in chosen]


def tls_server_end_point(certfile: str | os.PathLike[str]) -> tuple[str, bytes]:
    """The ``tls-server-end-point`` channel binding of the server certificate
    (RFC 5929 4.1): its hash with the certificate's signature hash, SHA-256
    when that is MD5 or SHA-1.  (Python's ssl exposes no ``tls-exporter``
    keying material, and ``tls-unique`` is undefined for TLS 1.3, RFC 9266.)"""
    try:
        from asn1crypto import pem, x509  # noqa: PLC0415 - a dependency of scramp
    except ImportError as exc:
        raise _missing("scramp") from exc
    data = Path(certfile).read_bytes()
    der = pem.unarmor(data)[2] if pem.detect(data) else data
    algorithm = str(x509.Certificate.load(der).hash_algo)
    if algorithm in ("md5", "sha1"):
        algorithm = "sha256"
    return "tls-server-end-point", hashlib.new(algorithm, der).digest()
