"""A JWT bearer-token validator for OAUTHBEARER and XOAUTH2 (``oauth`` extra).

``JWTValidator`` checks a token that is a signed JWT (RFC 7519) the way a
resource server does: the signature against a key from the issuer's JWKS
document (RFC 7517, fetched and cached by PyJWT's ``PyJWKClient``) or a
fixed public key, the expiry and not-before times, the issuer and the
audience; the user is a claim of the token (``email`` by default)::

    validator = JWTValidator(jwks_url="https://idp.example/.well-known/jwks.json",
                             issuer="https://idp.example/", audience="imap")
    IMAPServer(backend, clock=..., sasl_mechanisms=[OAuthBearer(validator)])

Install with ``pip install 'imap-sansio[oauth]'`` (PyJWT with ``cryptography``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from imap_sansio._secret import Secret
from imap_sansio.server._sasl import TokenRejected

__all__ = ["JWTValidator"]

logger = logging.getLogger("imap_sansio.adapters.oauth")

#: Asymmetric algorithms only: a shared-secret HS256 key would let anyone
#: who can validate tokens also mint them.
DEFAULT_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")


class JWTValidator:
    """A :class:`~imap_sansio.server.TokenValidator` for signed JWTs.

    Give ``jwks_url`` or ``public_key`` (PEM).  ``issuer`` and ``audience``
    are checked when given; ``user_claim`` names the claim that holds the
    IMAP user name; ``scope`` goes into OAUTHBEARER's error challenge
    (RFC 7628 3.2.2); ``leeway`` (seconds) allows for clock skew.
    """

    def __init__(
        self,
        *,
        jwks_url: str | None = None,
        public_key: str | bytes | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        user_claim: str = "email",
        scope: str | None = None,
        algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
        leeway: float = 30.0,
    ) -> None:
        try:
            import jwt  # noqa: PLC0415 - optional dependency
        except ImportError as exc:
            raise ImportError(
                "the JWT validator needs PyJWT: pip install 'imap-sansio[oauth]'"
            ) from exc
        if (jwks_url is None) == (public_key is None):
            raise ValueError("give exactly one of jwks_url and public_key")
        self._jwt = jwt
        self._jwks = jwt.PyJWKClient(jwks_url) if jwks_url is not None else None
        self._key = public_key
        self.issuer = issuer
        self.audience = audience
        self.user_claim = user_claim
        self.scope = scope
        self.algorithms = list(algorithms)
        self.leeway = leeway

    def __repr__(self) -> str:
        source = "jwks" if self._jwks is not None else "public key"
        return f"JWTValidator({source}, issuer={self.issuer!r}, audience={self.audience!r})"

    def validate(self, token: Secret[str], username: str | None) -> str:
        jwt = self._jwt
        raw = token.reveal()
        try:
            key: Any = (
                self._jwks.get_signing_key_from_jwt(raw).key
                if self._jwks is not None
                else self._key
            )
            claims = jwt.decode(
                raw,
                key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            # The reason names the check that failed, never the token.
            logger.info("bearer token refused: %s", type(exc).__name__)
            raise TokenRejected("invalid_token", self.scope) from None
        user = claims.get(self.user_claim)
        if not isinstance(user, str) or not user:
            logger.info("bearer token refused: no %r claim", self.user_claim)
            raise TokenRejected("invalid_token", self.scope)
        if username is not None and username != user:
            logger.info("bearer token refused: issued for another user")
            raise TokenRejected("invalid_token", self.scope)
        return user
