"""Secrets at rest: API key secrets (SHA-256, they are 256-bit random) and passwords (argon2id).

API secrets are high-entropy random strings, so a fast hash cannot be brute-forced and
keeps per-request verification cheap; passwords are low-entropy, so they get argon2id.
Both comparisons run in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Any

KEY_PREFIX = "ak_"
SECRET_PREFIX = "as_"  # noqa: S105 - the public prefix of generated secrets, not a secret


def new_api_key() -> tuple[str, str]:
    """A fresh (key, secret) pair: ``ak_…`` identifies, ``as_…`` authenticates."""
    return KEY_PREFIX + secrets.token_urlsafe(24), SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher  # imported on first use: keeps cold starts low

    return PasswordHasher()


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def password_matches(password: str, stored_hash: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored_hash, password))
    except (VerificationError, InvalidHashError):
        return False


# A valid hash of a random password: verified against when the email is unknown, so a
# login for a missing account costs as much as one with a wrong password (no user enumeration).
@lru_cache(maxsize=1)
def dummy_password_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
