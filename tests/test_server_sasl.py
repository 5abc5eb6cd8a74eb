"""AUTHENTICATE with SCRAM, OAUTHBEARER and XOAUTH2 in the pure server.

- SCRAM-SHA-1/SCRAM-SHA-256 (RFC 5802, RFC 7677) against scramp's client
  side: server-first as a challenge, server-final (``v=``) as a challenge
  answered by an empty response (RFC 3501 6.2.2 has no data in the OK),
  a wrong password is ``NO [AUTHENTICATIONFAILED]`` (RFC 5530); -PLUS only
  with channel binding (RFC 5802 6), bound to its data.
- OAUTHBEARER (RFC 7628 3.1 message, 3.2.2 JSON error challenge, ``AQ==``
  dummy response) and XOAUTH2 through a TokenValidator.
- Mechanisms are advertised only when configured; bearer-token mechanisms
  follow the plaintext policy (RFC 6750 5.3), SCRAM does not.
- Secrets stay out of every repr.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
import scramp
from hypothesis import given, settings
from hypothesis import strategies as st
from imap_sansio.adapters.accounts import PasswordFile, Scram, hash_password, scram_mechanisms

from imap_sansio._secret import Secret
from imap_sansio._state import State
from imap_sansio.server import (
    ClearPasswords,
    IMAPServer,
    MemoryBackend,
    OAuthBearer,
    ScramSecrets,
    TokenRejected,
    XOAuth2,
)
from imap_sansio.server._sasl import (
    Challenge,
    CheckPassword,
    SaslMechanism,
    Verified,
    scram_secrets_from_password,
)


def clock() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC)


class Tokens:
    """A TokenValidator over a fixed table of tokens (the shipped JWT one is
    tested over sockets with a real key)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    def validate(self, token: Secret[str], username: str | None) -> str:
        user = self.table.get(token.reveal())
        if user is None:
            raise TokenRejected("invalid_token", scope="mail")
        return user


def make_server(
    mechanisms: list[SaslMechanism], *, users: dict[str, str] | None = None
) -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret", **(users or {})})
    return IMAPServer(backend, clock=clock, sasl_mechanisms=mechanisms)


def run(session: object, data: bytes) -> bytes:
    session.receive_data(data)  # type: ignore[attr-defined]
    return session.data_to_send()  # type: ignore[attr-defined,no-any-return]


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def challenge(line: bytes) -> bytes:
    assert line.startswith(b"+ ") and line.endswith(b"\r\n"), line
    return base64.b64decode(line[2:-2])


def scram_login(
    session: object,
    mechanism: str,
    username: str,
    password: str,
    *,
    channel_binding: tuple[str, bytes] | None = None,
    ir: bool = False,
) -> bytes:
    """The whole exchange with scramp's client; returns the tagged answer."""
    client = scramp.ScramClient([mechanism], username, password, channel_binding=channel_binding)
    first = client.get_client_first().encode()
    if ir:
        out = run(session, b"a AUTHENTICATE " + mechanism.encode() + b" " + b64(first) + b"\r\n")
    else:
        assert run(session, b"a AUTHENTICATE " + mechanism.encode() + b"\r\n") == b"+ \r\n"
        out = run(session, b64(first) + b"\r\n")
    if not out.startswith(b"+ "):
        return out
    client.set_server_first(challenge(out).decode())
    out = run(session, b64(client.get_client_final().encode()) + b"\r\n")
    if not out.startswith(b"+ "):
        return out
    final = challenge(out).decode()
    assert final.startswith("v=")
    client.set_server_final(final)  # raises unless the server proved it knows the key
    return run(session, b"\r\n")


# -- SCRAM ------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
@pytest.mark.parametrize("ir", [False, True], ids=["continuation", "sasl-ir"])
def test_scram_logs_in_with_scramp_client(mechanism: str, ir: bool) -> None:
    server = make_server(scram_mechanisms(ClearPasswords({"alice": "secret"})))
    session = server.connect(secure=True)
    session.data_to_send()
    answer = scram_login(session, mechanism, "alice", "secret", ir=ir)
    assert answer.startswith(b"a OK [CAPABILITY ") and answer.endswith(
        b"] AUTHENTICATE completed\r\n"
    )
    assert session.state is State.AUTHENTICATED


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_scram_wrong_password_or_user_fails_alike(username: str) -> None:
    server = make_server(scram_mechanisms(ClearPasswords({"alice": "secret"})))
    session = server.connect(secure=True)
    session.data_to_send()
    answer = scram_login(session, "SCRAM-SHA-256", username, "wrong")
    assert answer == b"a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    assert session.state is State.NOT_AUTHENTICATED


def test_scram_with_stored_secrets_only(tmp_path: object) -> None:
    """The server holds StoredKey/ServerKey, never the password."""
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "passwd"
    path.write_text("bob:" + hash_password(Secret("hunter2"), "SCRAM-SHA-256") + "\n")
    passwords = PasswordFile(path)
    backend = MemoryBackend(users=passwords)
    server = IMAPServer(backend, clock=clock, sasl_mechanisms=scram_mechanisms(passwords))
    session = server.connect(secure=False)
    session.data_to_send()
    answer = scram_login(session, "SCRAM-SHA-256", "bob", "hunter2")
    assert answer.startswith(b"a OK ")
    # The file has no SCRAM-SHA-1 secrets for bob: that mechanism fails.
    other = server.connect(secure=False)
    other.data_to_send()
    assert scram_login(other, "SCRAM-SHA-1", "bob", "hunter2").startswith(b"a NO ")


def test_scram_secrets_match_rfc_7677_example() -> None:
    """RFC 7677 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==,
    4096 iterations; the client proof there verifies against these keys."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    mine = scram_secrets_from_password(Secret("pencil"), "sha256", salt, 4096)
    made = scramp.ScramMechanism("SCRAM-SHA-256").make_auth_info("pencil", 4096, salt)
    assert (mine.salt, mine.stored_key, mine.server_key, mine.iterations) == made
    # The server side of the RFC's exchange, with its nonces, ends in its v=.
    server = scramp.ScramMechanism("SCRAM-SHA-256").make_server(
        lambda _: made, s_nonce="%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )
    server.set_client_first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    assert server.get_server_first() == (
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )
    server.set_client_final(
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    assert server.get_server_final() == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_scram_plus_needs_and_checks_the_channel_binding() -> None:
    binding = ("tls-server-end-point", b"\x01" * 32)
    server = make_server(scram_mechanisms(ClearPasswords({"alice": "secret"}), plus=True))
    plain = server.connect(secure=True)
    caps = run(plain, b"c CAPABILITY\r\n")
    assert b"AUTH=SCRAM-SHA-256 " in caps and b"-PLUS" not in caps
    assert run(plain, b"a AUTHENTICATE SCRAM-SHA-256-PLUS\r\n") == (
        b"a NO [CANNOT] Unsupported authentication mechanism SCRAM-SHA-256-PLUS\r\n"
    )

    bound = server.connect(secure=True)
    bound.set_channel_binding(*binding)
    caps = run(bound, b"c CAPABILITY\r\n")
    assert b"AUTH=SCRAM-SHA-256-PLUS AUTH=SCRAM-SHA-1-PLUS AUTH=SCRAM-SHA-256 " in caps
    answer = scram_login(bound, "SCRAM-SHA-256-PLUS", "alice", "secret", channel_binding=binding)
    assert answer.startswith(b"a OK ")

    # Another channel (a man in the middle's TLS) does not verify.
    other = server.connect(secure=True)
    other.set_channel_binding("tls-server-end-point", b"\x02" * 32)
    other.data_to_send()
    answer = scram_login(other, "SCRAM-SHA-256-PLUS", "alice", "secret", channel_binding=binding)
    assert answer == b"a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"


def test_scram_client_saying_y_where_binding_is_offered_is_refused() -> None:
    """RFC 5802 6: "y" means the client thinks the server cannot bind; a
    server that can must fail the exchange (a downgrade)."""
    server = make_server(scram_mechanisms(ClearPasswords({"alice": "secret"}), plus=True))
    session = server.connect(secure=True)
    session.set_channel_binding("tls-server-end-point", b"\x01" * 32)
    session.data_to_send()
    first = b"y,,n=alice,r=abcdefghijklmnop"
    answer = run(session, b"a AUTHENTICATE SCRAM-SHA-256 " + b64(first) + b"\r\n")
    assert answer == b"a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"


def test_scram_final_answer_must_be_empty_and_cancel_works() -> None:
    server = make_server(scram_mechanisms(ClearPasswords({"alice": "secret"})))
    session = server.connect(secure=True)
    session.data_to_send()
    assert run(session, b"a AUTHENTICATE SCRAM-SHA-256\r\n") == b"+ \r\n"
    assert run(session, b"*\r\n") == b"a BAD AUTHENTICATE cancelled\r\n"
    assert session.state is State.NOT_AUTHENTICATED
    assert run(session, b"b AUTHENTICATE SCRAM-SHA-256 " + b64(b"garbage") + b"\r\n") == (
        b"b NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    )


# -- OAUTHBEARER / XOAUTH2 ----------------------------------------------------


def oauthbearer(token: str, user: str = "alice") -> bytes:
    # RFC 7628 3.1, as in its example 4.1.
    fields = f"\x01host=server.example.com\x01port=143\x01auth=Bearer {token}\x01\x01"
    return f"n,a={user},{fields}".encode()


def test_oauthbearer_logs_in_with_a_valid_token() -> None:
    server = make_server(
        [OAuthBearer(Tokens({"vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==": "alice"}))]
    )
    session = server.connect(secure=True)
    session.data_to_send()
    message = oauthbearer("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==")
    answer = run(session, b"a AUTHENTICATE OAUTHBEARER " + b64(message) + b"\r\n")
    assert answer.startswith(b"a OK [CAPABILITY ") and session.state is State.AUTHENTICATED


def test_oauthbearer_error_challenge_then_dummy_response_then_no() -> None:
    """RFC 7628 3.2.2: the server sends a JSON status, the client answers
    %x01 (``AQ==``), the server fails the exchange."""
    server = make_server([OAuthBearer(Tokens({}))])
    session = server.connect(secure=True)
    session.data_to_send()
    answer = run(session, b"a AUTHENTICATE OAUTHBEARER " + b64(oauthbearer("expired")) + b"\r\n")
    assert challenge(answer) == b'{"status":"invalid_token","scope":"mail"}'
    assert run(session, b"AQ==\r\n") == b"a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    assert session.state is State.NOT_AUTHENTICATED


def test_oauthbearer_token_for_another_user_is_refused() -> None:
    server = make_server([OAuthBearer(Tokens({"t": "mallory"}))], users={"mallory": "x"})
    session = server.connect(secure=True)
    session.data_to_send()
    answer = run(session, b"a AUTHENTICATE OAUTHBEARER " + b64(oauthbearer("t")) + b"\r\n")
    assert challenge(answer) == b'{"status":"invalid_token"}'
    assert run(session, b"AQ==\r\n").startswith(b"a NO [AUTHENTICATIONFAILED]")


def test_oauthbearer_malformed_message_is_bad() -> None:
    server = make_server([OAuthBearer(Tokens({"t": "alice"}))])
    session = server.connect(secure=True)
    session.data_to_send()
    answer = run(session, b"a AUTHENTICATE OAUTHBEARER " + b64(b"n,,auth=Bearer t") + b"\r\n")
    assert answer == b"a BAD [CLIENTBUG] Malformed OAUTHBEARER message\r\n"


def test_xoauth2_logs_in_and_reports_errors() -> None:
    server = make_server([XOAuth2(Tokens({"ya29.token": "alice"}))])
    session = server.connect(secure=True)
    session.data_to_send()
    good = b"user=alice\x01auth=Bearer ya29.token\x01\x01"
    assert run(session, b"a AUTHENTICATE XOAUTH2 " + b64(good) + b"\r\n").startswith(b"a OK ")
    other = server.connect(secure=True)
    other.data_to_send()
    bad = b"user=alice\x01auth=Bearer nope\x01\x01"
    answer = run(other, b"a AUTHENTICATE XOAUTH2 " + b64(bad) + b"\r\n")
    assert challenge(answer) == b'{"status":"400","schemes":"Bearer","scope":"mail"}'
    assert run(other, b"\r\n").startswith(b"a NO [AUTHENTICATIONFAILED]")


# -- advertising and policy -----------------------------------------------------


def test_only_configured_mechanisms_are_advertised_and_accepted() -> None:
    server = make_server([])
    session = server.connect(secure=True)
    caps = run(session, b"c CAPABILITY\r\n")
    assert b"AUTH=PLAIN AUTH=LOGIN" in caps and b"SCRAM" not in caps and b"OAUTH" not in caps
    assert run(session, b"a AUTHENTICATE SCRAM-SHA-256\r\n") == (
        b"a NO [CANNOT] Unsupported authentication mechanism SCRAM-SHA-256\r\n"
    )


def test_bearer_tokens_follow_the_plaintext_policy_scram_does_not() -> None:
    mechanisms: list[SaslMechanism] = [
        *scram_mechanisms(ClearPasswords({"alice": "secret"})),
        OAuthBearer(Tokens({"t": "alice"})),
    ]
    server = make_server(mechanisms)
    session = server.connect(secure=False)
    caps = run(session, b"c CAPABILITY\r\n")
    assert b"AUTH=SCRAM-SHA-256 AUTH=SCRAM-SHA-1 LOGINDISABLED" in caps
    assert b"OAUTHBEARER" not in caps
    answer = run(session, b"a AUTHENTICATE OAUTHBEARER " + b64(oauthbearer("t")) + b"\r\n")
    assert answer == b"a NO [PRIVACYREQUIRED] Plaintext authentication is disabled without TLS\r\n"


def test_secrets_stay_out_of_reprs() -> None:
    secrets = scram_secrets_from_password(Secret("pencil"), "sha256", b"salt" * 4, 4096)
    assert repr(secrets) == "ScramSecrets(iterations=4096)"
    assert isinstance(secrets, ScramSecrets)
    assert repr(ClearPasswords({"alice": "pencil"})) == "ClearPasswords(users=['alice'])"
    assert repr(Scram("SCRAM-SHA-1", ClearPasswords())) == "Scram('SCRAM-SHA-1')"
    assert "pencil" not in repr(OAuthBearer(Tokens({"pencil": "alice"})))
    assert repr(Challenge(b"pencil")) == "Challenge()"
    assert repr(CheckPassword("alice", Secret("pencil"))) == (
        "CheckPassword(username='alice', password=Secret('***'), authzid='')"
    )
    assert repr(Verified("alice", final=b"v=pencil")) == "Verified(username='alice', authzid='')"
    assert "pencil" not in repr(TokenRejected("invalid_token", "pencil-scope"))


def test_non_utf8_bearer_message_is_bad_and_never_validated() -> None:
    seen: list[str] = []

    class Recording(Tokens):
        def validate(self, token: Secret[str], username: str | None) -> str:
            seen.append(token.reveal())
            return super().validate(token, username)

    server = make_server([OAuthBearer(Recording({}))])
    session = server.connect(secure=True)
    session.data_to_send()
    message = b"n,a=alice,\x01auth=Bearer \xff\xfe\x01\x01"
    answer = run(session, b"a AUTHENTICATE OAUTHBEARER " + b64(message) + b"\r\n")
    assert answer == b"a BAD [CLIENTBUG] OAUTHBEARER message is not UTF-8\r\n"
    assert seen == []


def test_failed_exchanges_reach_the_login_hook_with_the_name_given() -> None:
    outcomes: list[tuple[str, bool]] = []
    server = make_server(scram_mechanisms(ClearPasswords({"alice": "secret"})))
    server.on_login = lambda session, user, ok: outcomes.append((user, ok))
    for password in ("wrong", "secret"):
        session = server.connect(secure=True)
        session.data_to_send()
        scram_login(session, "SCRAM-SHA-256", "alice", password)
    assert outcomes == [("alice", False), ("alice", True)]


@settings(max_examples=150, deadline=None)
@given(
    mechanism=st.sampled_from(
        ["SCRAM-SHA-256", "SCRAM-SHA-1", "SCRAM-SHA-256-PLUS", "OAUTHBEARER", "XOAUTH2"]
    ),
    responses=st.lists(st.binary(max_size=80), min_size=1, max_size=4),
)
def test_any_sasl_response_is_answered_without_serverbug(
    mechanism: str, responses: list[bytes]
) -> None:
    server = make_server(
        [
            *scram_mechanisms(ClearPasswords({"alice": "secret"}), plus=True),
            OAuthBearer(Tokens({"t": "alice"})),
            XOAuth2(Tokens({"t": "alice"})),
        ]
    )
    session = server.connect(secure=True)
    session.set_channel_binding("tls-server-end-point", b"\x01" * 32)
    session.data_to_send()
    out = run(session, b"a AUTHENTICATE " + mechanism.encode() + b"\r\n")
    for response in responses:
        out += run(session, b64(response) + b"\r\n")
    assert b"SERVERBUG" not in out
    assert not session.closed
