"""Accounts from a Dovecot passwd-file, each hash scheme, and SASL over sockets.

- Each scheme verifies hashes Dovecot wrote (fixed ``doveadm pw`` vectors,
  and live ones when Debian's dovecot-core is installed, as in CI), and
  Dovecot accepts the hashes ``hash_password`` writes (``doveadm pw -t``).
- The passwd-file format: comments, blank lines, extra fields, the CRYPT
  default, unknown schemes; the file is read again when it changes.
- Over real sockets and every runtime: imaplib's ``authenticate`` driven by
  scramp's client (SCRAM-SHA-256, and -PLUS bound to the certificate that
  scramp reads from the TLS socket itself), OAUTHBEARER and XOAUTH2 with
  JWTs signed by hand with a test RSA key; the CLI's ``passwd`` and
  ``--passwd-file``.
"""

from __future__ import annotations

import base64
import http.server
import imaplib
import json
import logging
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import scramp
import trustme
from _adapter_harness import running_server
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.accounts import (
    SCHEMES,
    PasswordFile,
    hash_password,
    scram_mechanisms,
    tls_server_end_point,
    verify_password,
)
from imap_sansio.adapters.maildir import MaildirBackend
from imap_sansio.adapters.oauth import JWTValidator
from imap_sansio.adapters.tls import server_ssl_context

from imap_sansio._secret import Secret
from imap_sansio.server import IMAPServer, MemoryBackend, OAuthBearer, TokenRejected, XOAuth2

FAST = ServerOptions(shutdown_grace=2.0)
RUNTIMES = ["threads", "asyncio", "trio"]

#: ``doveadm pw -s SCHEME -p PASSWORD`` from Debian 12's dovecot-core
#: 2.3.19.1 (CRYPT there is bcrypt with the $2y$ prefix).
DOVEADM_VECTORS = {
    "CRYPT": ("pässword", "{CRYPT}$2y$05$Y1I84f.TNspsgQ5aeCl7KOf/tbeYpoFY8wYwP0ra5U8u/k8DIbZj."),
    "SHA512-CRYPT": (
        "pässword",
        "{SHA512-CRYPT}$6$.SS9MTTwqNjew7PW$MDptQ.OXNs9XKNfONOZWjEla7qdc1rOxwXC647Zc6BGNxszM"
        "VTREmlkxcEaBzLIpPIChV7/6GkCE66It6N6lg/",
    ),
    "SHA256-CRYPT": (
        "pässword",
        "{SHA256-CRYPT}$5$1JMC1CDfNc502gMV$io8k0eFd/3NEffUhN2JL/sZyQHaTVaYCYrer8OnQCG/",
    ),
    "MD5-CRYPT": ("correct horse", "{MD5-CRYPT}$1$zCewbK1t$xqiE8BDR.2NG5s4uGf46V/"),
    "BLF-CRYPT": (
        "pässword",
        "{BLF-CRYPT}$2y$05$43JLIu1goiysCbfyax/KrefJ5l0itHRaHyV0oDrKPOQTMPs81lqXe",
    ),
    "ARGON2I": (
        "pässword",
        "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$OeaseE6/6DH417ZkuCNsSg$Eq3CK6BNWuEmPmFgo1"
        "KYwsmv/NENRB3+i13NyF34SVE",
    ),
    "ARGON2ID": (
        "correct horse",
        "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$8LkrjLjXgbhLWiEP2aaJRQ$3x0ejbkZiDboD29z0"
        "Nzyj7TGVr+pVVr+CBnJWTeJ6ss",
    ),
    "PBKDF2": (
        "pässword",
        "{PBKDF2}$1$zTvD1GhX9LhSHPKs$5000$e1455eba117fa22f78e0f8851a2a31831a571cae",
    ),
    "SSHA256": ("pässword", "{SSHA256}vuzw5RgHFQNNnX1yaHB4RgFFQwXnqccIqcjZINOtVEgIvdal"),
    "SSHA512": (
        "pässword",
        "{SSHA512}Fj0Q+PZaZ5D+/apqiG0C0IpvMNSG5Mi9IB0X16MLBwmGVDo79d7yhZwpTmkZ5c2sxneg8BED1"
        "UFrJxxarc8Pmv7WQBw=",
    ),
    "SSHA": ("pässword", "{SSHA}LnWRqYmhOrjg4btFZAoID1gl8GEdTrw5"),
    "SHA256": ("pässword", "{SHA256}NHgme1YSeRtAmIkGs6eJfrarUB4EuV7TL5nQr99mnZw="),
    "SCRAM-SHA-1": (
        "pässword",
        "{SCRAM-SHA-1}4096,FBxjgspyjmJwIqblOa8eVg==,gy0MIT5rI55tja32C22rffSLHkw=,"
        "dbPLcjmRc4cljyrwC1kkqrsxM8Q=",
    ),
    "SCRAM-SHA-256": (
        "pässword",
        "{SCRAM-SHA-256}4096,3hi9S23umqx7OUp1NsDU/g==,x+qQyyHnc3CMmMEch5ajDp/XDtcz+QYXDR1Ps"
        "GN7Eio=,+0PwHb1tQjNVACCm7iQ9PsiUBdX4jUnGN6Z5DmYaCQQ=",
    ),
    "PLAIN": ("pässword", "{PLAIN}pässword"),
}

DOVEADM = shutil.which("doveadm")
needs_doveadm = pytest.mark.skipif(
    DOVEADM is None, reason="doveadm (Debian: dovecot-core) not installed; .ci/run installs it"
)


def clock() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


# -- schemes ------------------------------------------------------------------


@pytest.mark.parametrize("scheme", sorted(DOVEADM_VECTORS))
def test_hashes_dovecot_wrote_verify(scheme: str) -> None:
    password, stored = DOVEADM_VECTORS[scheme]
    assert verify_password(stored, Secret(password))
    assert not verify_password(stored, Secret(password + "x"))
    assert not verify_password(stored, Secret(""))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_hashes_written_here_verify(scheme: str) -> None:
    stored = hash_password(Secret("tr0ub4dor & 3 ünïcode"), scheme)
    assert stored.startswith("{" + scheme + "}")
    assert verify_password(stored, Secret("tr0ub4dor & 3 ünïcode"))
    assert not verify_password(stored, Secret("tr0ub4dor & 3 unicode"))


def test_malformed_or_unknown_hashes_never_match() -> None:
    for stored in ("{NOPE}x", "{PBKDF2}$1$x", "{SSHA256}!!", "{SCRAM-SHA-1}1,2", "{CRYPT}$9$x"):
        assert not verify_password(stored, Secret("x"))
    assert not verify_password("{PLAIN}a\udcff", Secret("a\udcff"))  # not UTF-8: no match


@needs_doveadm
@pytest.mark.parametrize("scheme", sorted(set(DOVEADM_VECTORS) - {"PLAIN"}))
def test_live_doveadm_hashes_verify(scheme: str) -> None:
    assert DOVEADM is not None
    stored = subprocess.run(
        [DOVEADM, "pw", "-s", scheme, "-p", "Zürich 2026!"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert verify_password(stored, Secret("Zürich 2026!"))
    assert not verify_password(stored, Secret("Zurich 2026!"))


@needs_doveadm
@pytest.mark.parametrize("scheme", [s for s in SCHEMES if s != "PLAIN"])
def test_dovecot_accepts_hashes_written_here(scheme: str) -> None:
    """``doveadm pw -t HASH -p PASSWORD`` exits 0 and says "(verified)"."""
    assert DOVEADM is not None
    stored = hash_password(Secret("Zürich 2026!"), scheme)
    ok = subprocess.run(
        [DOVEADM, "pw", "-t", stored, "-p", "Zürich 2026!"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "(verified)" in ok.stdout, ok.stderr
    wrong = subprocess.run(
        [DOVEADM, "pw", "-t", stored, "-p", "Zurich 2026!"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert wrong.returncode != 0


# -- the file ------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.write_text(text, "utf-8")
    # A rewrite within one clock tick keeps the mtime: move it on.
    stamp = time.time_ns() + 2_000_000_000
    os.utime(path, ns=(stamp, stamp + len(text)))


def test_passwd_file_format(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    write(
        path,
        "# accounts\n"
        "\n"
        "alice:{PLAIN}wonderland:1000:1000::/home/alice::userdb_mail=maildir:~/Mail\n"
        "bob:$2y$05$puIyu6zyrgONZ2oUxv/zse5sucH2beUm0YSOOixkE.0qcsrxOnUWG\n"  # CRYPT
        "carol:{ROT13}ebg\n"
        "dave::1001:1001\n"
        "alice:{PLAIN}again\n",
    )
    accounts = PasswordFile(path)
    assert "alice" in accounts and "bob" in accounts
    assert "carol" not in accounts and "dave" not in accounts  # cannot log in
    assert accounts.verify("alice", Secret("wonderland"))
    assert not accounts.verify("alice", Secret("again"))
    assert accounts.verify("bob", Secret("correct horse"))
    assert not accounts.verify("nobody", Secret("wonderland"))


def test_bad_lines_are_logged_by_number_without_their_hash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "passwd"
    write(path, "alice:{PLAIN}wonderland\ncarol:{ROT13}jbaqreynaq\n:{PLAIN}orphan\n")
    with caplog.at_level(logging.INFO, logger="imap_sansio.adapters.accounts"):
        PasswordFile(path)
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}:2: 'carol' has unknown scheme {{ROT13}}; it cannot log in",
        f"{path}:3: no user name; line ignored",
        f"password file {path}: 1 accounts",
    ]


def test_passwd_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    write(path, "alice:{PLAIN}one\n")
    accounts = PasswordFile(path, check_interval=0)
    assert accounts.verify("alice", Secret("one"))
    write(path, "alice:{PLAIN}two\nbob:" + hash_password(Secret("three"), "SSHA512") + "\n")
    assert accounts.verify("alice", Secret("two")) and not accounts.verify("alice", Secret("one"))
    assert accounts.verify("bob", Secret("three"))
    path.unlink()  # a vanished file keeps the accounts read last
    assert accounts.verify("bob", Secret("three"))


def test_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot read password file .*nothing-here"):
        PasswordFile(tmp_path / "nothing-here")


def test_reprs_hide_hashes(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    write(path, "alice:{PLAIN}wonderland\n")
    accounts = PasswordFile(path)
    assert repr(accounts) == f"PasswordFile({str(path)!r}, users=1)"
    backend = MemoryBackend(users=accounts)
    assert "wonderland" not in repr(backend) and "wonderland" not in repr(backend.passwords)
    assert "wonderland" not in repr(accounts.scram_secrets("alice", "SCRAM-SHA-256"))
    assert "wonderland" not in repr(accounts._entries)


@pytest.mark.parametrize("store", ["memory", "maildir"])
def test_backends_log_in_through_the_file(tmp_path: Path, store: str) -> None:
    path = tmp_path / "passwd"
    write(path, "alice:" + hash_password(Secret("wonderland"), "ARGON2ID") + "\n")
    accounts = PasswordFile(path, check_interval=0)
    backend = (
        MemoryBackend(users=accounts)
        if store == "memory"
        else MaildirBackend(tmp_path / "mail", accounts, fsync=False)
    )
    server = IMAPServer(backend, clock=clock)
    session = server.connect(secure=True)
    session.receive_data(b"a LOGIN alice wonderland\r\nb LOGIN alice wrong\r\n")
    out = session.data_to_send()
    assert b"a OK [CAPABILITY " in out
    assert b"b BAD " in out  # already logged in: LOGIN is not valid there
    other = server.connect(secure=True)
    other.receive_data(b"c LOGIN alice wrong\r\n")
    assert other.data_to_send().endswith(b"c NO [AUTHENTICATIONFAILED] Authentication failed\r\n")


# -- over sockets -----------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cert_files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cert = ca.issue_cert("localhost", "127.0.0.1")
    directory = tmp_path_factory.mktemp("tls")
    chain = directory / "chain.pem"
    key = directory / "key.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    key.write_bytes(cert.private_key_pem.bytes())
    return chain, key


@pytest.fixture(scope="module")
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def accounts(tmp_path: Path) -> PasswordFile:
    path = tmp_path / "passwd"
    write(
        path,
        "alice:" + hash_password(Secret("wonderland"), "SCRAM-SHA-256") + "\nbob:{PLAIN}builder\n",
    )
    return PasswordFile(path)


def scram_auth(
    mechanism: str, user: str, password: str, binding: tuple[str, object] | None = None
) -> Callable[[bytes], bytes]:
    """imaplib's authobject for scramp's client side."""
    client = scramp.ScramClient([mechanism], user, password, channel_binding=binding)
    steps = iter(["first", "final", "done"])

    def respond(challenge: bytes) -> bytes:
        step = next(steps)
        if step == "first":
            return client.get_client_first().encode()
        if step == "final":
            client.set_server_first(challenge.decode())
            return client.get_client_final().encode()
        client.set_server_final(challenge.decode())  # the server proved its key
        return b""

    return respond


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(("user", "password"), [("alice", "wonderland"), ("bob", "builder")])
def test_imaplib_scram_sha_256(
    runtime: str, accounts: PasswordFile, user: str, password: str
) -> None:
    """alice has stored SCRAM secrets only; bob's clear password derives them."""
    server = IMAPServer(
        MemoryBackend(users=accounts), clock=clock, sasl_mechanisms=scram_mechanisms(accounts)
    )
    with running_server(runtime, server, options=FAST) as srv:
        client = imaplib.IMAP4("127.0.0.1", srv.port)
        try:
            assert "AUTH=SCRAM-SHA-256" in client.capabilities
            typ, data = client.authenticate(
                "SCRAM-SHA-256", scram_auth("SCRAM-SHA-256", user, password)
            )
            assert typ == "OK" and data[0].endswith(b"] AUTHENTICATE completed")
            assert client.select("INBOX")[0] == "OK"
        finally:
            client.logout()
        client = imaplib.IMAP4("127.0.0.1", srv.port)
        try:
            with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
                client.authenticate("SCRAM-SHA-256", scram_auth("SCRAM-SHA-256", user, "nope"))
        finally:
            client.shutdown()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_imaplib_scram_plus_binds_to_the_server_certificate(
    runtime: str,
    accounts: PasswordFile,
    cert_files: tuple[Path, Path],
    client_context: ssl.SSLContext,
) -> None:
    """tls-server-end-point (RFC 5929 4.1): scramp hashes the certificate
    it reads from its own TLS socket; the server its certificate file."""
    chain, key = cert_files
    server = IMAPServer(
        MemoryBackend(users=accounts),
        clock=clock,
        sasl_mechanisms=scram_mechanisms(accounts, plus=True),
    )
    options = ServerOptions(shutdown_grace=2.0, channel_binding=tls_server_end_point(chain))
    context = server_ssl_context(chain, key)
    with running_server(runtime, server, options=options, ssl_context=context, tls=True) as srv:
        assert srv.tls_port is not None
        client = imaplib.IMAP4_SSL("127.0.0.1", srv.tls_port, ssl_context=client_context)
        try:
            assert "AUTH=SCRAM-SHA-256-PLUS" in client.capabilities
            binding = ("tls-server-end-point", client.sock)
            auth = scram_auth("SCRAM-SHA-256-PLUS", "alice", "wonderland", binding)
            assert client.authenticate("SCRAM-SHA-256-PLUS", auth)[0] == "OK"
        finally:
            client.logout()
        # Over the STARTTLS port the binding is there only after STARTTLS.
        client = imaplib.IMAP4("127.0.0.1", srv.port)
        try:
            assert "AUTH=SCRAM-SHA-256-PLUS" not in client.capabilities
            client.starttls(client_context)
            assert "AUTH=SCRAM-SHA-256-PLUS" in client.capabilities
            binding = ("tls-server-end-point", client.sock)
            auth = scram_auth("SCRAM-SHA-256-PLUS", "bob", "builder", binding)
            assert client.authenticate("SCRAM-SHA-256-PLUS", auth)[0] == "OK"
        finally:
            client.logout()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed_jwt(key: rsa.RSAPrivateKey, claims: dict[str, object], *, kid: str | None = None) -> str:
    """A JWS compact serialisation (RFC 7515 3.1) built by hand, RS256."""
    fields = {"alg": "RS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    header = b64url(json.dumps(fields).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_oauthbearer_and_xoauth2_with_jwts(
    runtime: str,
    accounts: PasswordFile,
    rsa_key: rsa.RSAPrivateKey,
    cert_files: tuple[Path, Path],
    client_context: ssl.SSLContext,
) -> None:
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    validator = JWTValidator(
        public_key=public, issuer="https://idp.test/", audience="imap", user_claim="sub"
    )
    server = IMAPServer(
        MemoryBackend(users=accounts),
        clock=clock,
        sasl_mechanisms=[OAuthBearer(validator), XOAuth2(validator)],
    )
    now = int(time.time())
    good = {"iss": "https://idp.test/", "aud": "imap", "sub": "alice", "exp": now + 300}
    expired = {**good, "exp": now - 300}
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    chain, key = cert_files
    context = server_ssl_context(chain, key)

    def bearer(token: str) -> bytes:  # RFC 7628 3.1
        return f"n,a=alice,\x01host=localhost\x01port=993\x01auth=Bearer {token}\x01\x01".encode()

    with running_server(runtime, server, options=FAST, ssl_context=context, tls=True) as srv:
        assert srv.tls_port is not None
        client = imaplib.IMAP4_SSL("127.0.0.1", srv.tls_port, ssl_context=client_context)
        try:
            assert {"AUTH=OAUTHBEARER", "AUTH=XOAUTH2"} <= set(client.capabilities)
            token = signed_jwt(rsa_key, good)
            assert client.authenticate("OAUTHBEARER", lambda _: bearer(token))[0] == "OK"
        finally:
            client.logout()
        for claims, signer in ((expired, rsa_key), (good, other_key)):
            client = imaplib.IMAP4_SSL("127.0.0.1", srv.tls_port, ssl_context=client_context)
            challenges: list[bytes] = []
            token = signed_jwt(signer, claims)

            def answer(
                challenge: bytes, token: str = token, challenges: list[bytes] = challenges
            ) -> bytes:
                challenges.append(challenge)
                return bearer(token) if len(challenges) == 1 else b"\x01"  # AQ==

            try:
                with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
                    client.authenticate("OAUTHBEARER", answer)
                assert json.loads(challenges[1]) == {"status": "invalid_token"}
            finally:
                client.shutdown()
        client = imaplib.IMAP4_SSL("127.0.0.1", srv.tls_port, ssl_context=client_context)
        try:
            token = signed_jwt(rsa_key, good)
            xoauth2 = f"user=alice\x01auth=Bearer {token}\x01\x01".encode()
            assert client.authenticate("XOAUTH2", lambda _: xoauth2)[0] == "OK"
        finally:
            client.logout()
    assert "imap" in repr(validator) and "BEGIN" not in repr(validator)


# -- the command line ----------------------------------------------------------------


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imap_sansio.adapters", *args],
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("scheme", [None, "SCRAM-SHA-256", "blf-crypt"])
def test_passwd_command_prints_a_line_dovecot_reads(scheme: str | None) -> None:
    args = ["passwd", "--user", "alice"] + (["--scheme", scheme] if scheme else [])
    done = run_cli(*args, stdin="wonderland\n")
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    name, _, stored = line.partition(":")
    assert name == "alice"
    assert stored.startswith("{" + (scheme or "ARGON2ID").upper() + "}")
    assert verify_password(stored, Secret("wonderland"))
    assert "wonderland" not in line


def test_passwd_command_refuses_an_empty_password() -> None:
    done = run_cli("passwd", stdin="\n")
    assert done.returncode == 1 and done.stderr == "imap-sansio: empty password refused\n"


def start_cli(*args: str) -> tuple[subprocess.Popen[str], int]:
    """``imap-sansio serve`` on a free port; returns the process and the port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "imap_sansio.adapters", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    banner = ""
    while "stop with" not in banner:
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise AssertionError(banner + (process.stderr.read() if process.stderr else ""))
        banner += line
    return process, int(banner.split("127.0.0.1:")[1].split()[0].split("/")[0])


@pytest.fixture
def passwd_server(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    path = tmp_path / "passwd"
    write(path, "alice:" + hash_password(Secret("wonderland"), "SCRAM-SHA-256") + "\n")
    process, port = start_cli("--runtime", "threads", "--passwd-file", str(path))
    try:
        yield path, port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_with_a_passwd_file(passwd_server: tuple[Path, int]) -> None:
    path, port = passwd_server
    client = imaplib.IMAP4("127.0.0.1", port)
    try:
        assert {"AUTH=SCRAM-SHA-256", "AUTH=SCRAM-SHA-1"} <= set(client.capabilities)
        auth = scram_auth("SCRAM-SHA-256", "alice", "wonderland")
        assert client.authenticate("SCRAM-SHA-256", auth)[0] == "OK"
    finally:
        client.logout()
    # A user added to the file can log in without a restart.
    with path.open("a") as f:
        f.write(
            "bob:" + hash_password(Secret("builder"), "SHA512-CRYPT") + ":1001:1001::/home/bob:\n"
        )
    stamp = time.time_ns() + 2_000_000_000
    os.utime(path, ns=(stamp, stamp))
    client = imaplib.IMAP4("127.0.0.1", port)
    try:
        assert client.login("bob", "builder")[0] == "OK"
    finally:
        client.logout()


def test_jwt_validator_with_a_jwks_document(rsa_key: rsa.RSAPrivateKey) -> None:
    """The key is found by its ``kid`` in a JWKS document (RFC 7517) served
    on loopback; a token signed with another key is refused."""
    numbers = rsa_key.public_key().public_numbers()

    def b64int(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    jwks = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                      "n": b64int(numbers.n), "e": b64int(numbers.e)}]}  # fmt: skip
    body = json.dumps(jwks).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json"
        validator = JWTValidator(jwks_url=url, audience="imap")
        claims = {"aud": "imap", "email": "alice@example.org", "exp": int(time.time()) + 60}
        token = signed_jwt(rsa_key, claims, kid="k1")
        assert validator.validate(Secret(token), None) == "alice@example.org"
        assert validator.validate(Secret(token), "alice@example.org") == "alice@example.org"
        with pytest.raises(TokenRejected):
            validator.validate(Secret(token), "bob@example.org")
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with pytest.raises(TokenRejected):
            validator.validate(Secret(signed_jwt(other, claims, kid="k1")), None)
        with pytest.raises(TokenRejected):
            validator.validate(Secret("not.a.jwt"), None)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_serve_with_an_oauth_public_key(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    passwd = tmp_path / "passwd"
    write(passwd, "alice:{PLAIN}wonderland\n")
    key = tmp_path / "idp.pem"
    key.write_bytes(
        rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    process, port = start_cli(
        "--passwd-file", str(passwd), "--oauth-public-key", str(key),
        "--oauth-user-claim", "sub", "--oauth-audience", "imap",
    )  # fmt: skip
    try:
        token = signed_jwt(rsa_key, {"aud": "imap", "sub": "alice", "exp": int(time.time()) + 60})
        client = imaplib.IMAP4("127.0.0.1", port)
        try:
            assert {"AUTH=OAUTHBEARER", "AUTH=XOAUTH2"} <= set(client.capabilities)
            message = f"n,,\x01auth=Bearer {token}\x01\x01".encode()
            assert client.authenticate("OAUTHBEARER", lambda _: message)[0] == "OK"
        finally:
            client.logout()
    finally:
        process.terminate()
        process.wait(timeout=10)


@settings(max_examples=300, deadline=None)
@example(scheme="SCRAM-SHA-1", value="1,,,")
@example(scheme="SCRAM-SHA-256", value="4096,c2FsdA==,AAAA,AAAA")
@example(scheme="CRYPT", value="$2y$99$abc")
@given(
    scheme=st.sampled_from([*sorted(DOVEADM_VECTORS), "SSHA512", "NOPE", ""]),
    value=st.text(alphabet="$,=/.+0123456789abcdefghijklmnopqrstuvwxyzAB2y", max_size=70),
)
def test_any_stored_value_verifies_or_fails_without_raising(scheme: str, value: str) -> None:
    stored = "{" + scheme + "}" + value if scheme else value
    assert verify_password(stored, Secret("pässword")) in (True, False)
