"""Webhook secrets and the two signatures every delivery carries.

- Knowrithm's: ``X-Knowrithm-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``, keyed with the
  secret string exactly as shown to the user, UTF-8 encoded (how Knowrithm's docs verify it).
- Standard Webhooks': ``webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`` where
  the key is the base64 part after ``whsec_``; replay-safe because id and timestamp are signed. During a
  secret rotation both the new and the old secret sign (space-separated), so receivers can switch at leisure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix of generated secrets, not a secret


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _standard_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def knowrithm_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(secrets_in_use: Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Both schemes' headers; ``secrets_in_use`` is the current secret first, then any still in grace."""
    if not secrets_in_use:
        raise ValueError("an endpoint always has at least one secret")
    return {
        "X-Knowrithm-Signature": knowrithm_signature(secrets_in_use[0], body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(standard_signature(s, message_id, timestamp, body) for s in secrets_in_use),
    }
