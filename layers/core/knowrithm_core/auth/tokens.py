"""JWTs (HS256, PyJWT) for dashboard users and widget leads.

Token types: ``access`` and ``refresh`` for users, ``lead`` and ``lead_refresh`` for leads.
The signing secret comes from ``JWT_SECRET`` or, deployed, from Secrets Manager
(``JWT_SECRET_ARN``, fetched once and cached by Powertools parameters).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from knowrithm_core.config import Settings
from knowrithm_core.errors import ServiceUnavailable, Unauthorized
from knowrithm_core.ids import new_id

ISSUER = "knowrithm"
ALGORITHM = "HS256"


@lru_cache(maxsize=4)
def _secret_from_arn(arn: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(arn, max_age=300))


def signing_secret(settings: Settings) -> str:
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.jwt_secret_arn:
        return _secret_from_arn(settings.jwt_secret_arn)
    raise ServiceUnavailable("Token signing is not configured (set JWT_SECRET or JWT_SECRET_ARN).")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def public(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


class TokenIssuer:
    """Issues and verifies every JWT the product uses."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _encode(self, claims: dict[str, Any], ttl: int) -> str:
        issued = int(time.time())
        payload = {**claims, "iss": ISSUER, "iat": issued, "exp": issued + ttl, "jti": new_id()}
        import jwt  # imported on first use: PyJWT pulls in cryptography when it is installed

        return jwt.encode(payload, signing_secret(self._settings), algorithm=ALGORITHM)

    def user_pair(self, user_id: str, company_id: str, role: str, token_version: int = 0) -> TokenPair:
        """Access and refresh tokens carrying the user's token version (claim ``tv``, see ``auth.sessions``)."""
        claims = {"sub": user_id, "cid": company_id, "role": role, "tv": token_version}
        s = self._settings
        return TokenPair(
            self._encode({**claims, "typ": "access"}, s.access_token_ttl_seconds),
            self._encode({**claims, "typ": "refresh"}, s.refresh_token_ttl_seconds),
            s.access_token_ttl_seconds,
        )

    def lead_pair(self, lead_id: str, company_id: str, agent_id: str, origin: str | None = None) -> TokenPair:
        """Lead tokens; ``origin`` (claim ``org``) binds them to the page origin the visitor registered on."""
        claims = {"sub": lead_id, "cid": company_id, "role": "lead", "agent": agent_id}
        if origin:
            claims["org"] = origin
        s = self._settings
        return TokenPair(
            self._encode({**claims, "typ": "lead"}, s.lead_token_ttl_seconds),
            self._encode({**claims, "typ": "lead_refresh"}, s.refresh_token_ttl_seconds),
            s.lead_token_ttl_seconds,
        )

    def decode(self, token: str, *, expected: set[str]) -> dict[str, Any]:
        """Verify signature, expiry and type; raise 401 otherwise."""
        import jwt

        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_secret(self._settings),
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The token is invalid.") from exc
        if claims.get("typ") not in expected or not claims.get("cid"):
            raise Unauthorized("This kind of token cannot be used here.")
        return claims
