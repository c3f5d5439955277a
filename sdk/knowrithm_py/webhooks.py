"""Verify webhook deliveries: ``verify(raw_body, headers, secret)`` returns the envelope or raises.

Every delivery carries two signatures, both made with the endpoint's secret (``whsec_...``):

- Standard Webhooks (https://www.standardwebhooks.com): ``webhook-id``, ``webhook-timestamp`` (Unix
  seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256>`` of ``"<id>.<timestamp>.<body>"``, keyed
  with the base64-decoded part of the secret after ``whsec_``. Several space-separated signatures
  during a secret rotation (new and old secret); any one matching is enough. Signing the id and
  the time makes replays detectable: the timestamp must be within ``tolerance`` seconds of now.
- Knowrithm's: ``X-Knowrithm-Signature: sha256=<hex HMAC-SHA256 of the body>``, keyed with the
  secret string itself (UTF-8). It signs neither a time nor an id, so a captured delivery can be
  replayed; it is checked only when the Standard Webhooks headers are absent.

Always verify the raw bytes as received: re-serialised JSON would not match. Deliveries are at
least once: deduplicate on ``webhook-id`` (the envelope's ``id``, stable across retries).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets as _secrets
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast

from knowrithm_py.models.webhooks import WebhookEnvelope

__all__ = ["SECRET_PREFIX", "WebhookEnvelope", "WebhookVerificationError", "sign", "verify"]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix of signing secrets, not a secret
DEFAULT_TOLERANCE = 300
STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
KNOWRITHM_HEADER = "x-knowrithm-signature"


class WebhookVerificationError(Exception):
    """The delivery is not proven to come from the server: do not process it (answer 400)."""


class HeaderSource(Protocol):
    """Anything with ``items()`` of (name, value): a dict, ``http.server``'s headers, httpx, Starlette, Werkzeug."""

    def items(self) -> Iterable[tuple[str, str]]: ...


def _lower(headers: HeaderSource) -> dict[str, str]:
    """Header names lower-cased; repeated ``webhook-signature`` headers are joined (their lists combine)."""
    found: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).strip().lower()
        if key in found:
            if key == "webhook-signature":
                found[key] = f"{found[key]} {value}"
            continue
        found[key] = str(value)
    return found


def _standard_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks scheme: the base64 after ``whsec_`` (padding optional)."""
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError(
            "Malformed secret: expected 'whsec_' followed by base64 (the secret shown when the endpoint "
            "was created or its secret rotated)."
        ) from exc
    if not key:
        raise WebhookVerificationError("Malformed secret: it is empty.")
    return key


def _body_bytes(raw_body: bytes | bytearray | memoryview | str) -> bytes:
    return raw_body.encode("utf-8") if isinstance(raw_body, str) else bytes(raw_body)


def _standard_signature(key: bytes, message_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def _verify_standard(found: dict[str, str], body: bytes, secret: str, tolerance: int) -> None:
    missing = [name for name in STANDARD_HEADERS if not found.get(name, "").strip()]
    if missing:
        raise WebhookVerificationError(f"Missing required header(s): {', '.join(missing)}.")
    message_id = found["webhook-id"].strip()
    stamp = found["webhook-timestamp"].strip()
    key = _standard_key(secret)
    if not stamp.isascii() or not stamp.isdigit():
        raise WebhookVerificationError(f"Invalid webhook-timestamp {stamp[:40]!r}: expected Unix seconds.")
    age = time.time() - int(stamp)
    if age > tolerance:
        raise WebhookVerificationError(
            f"Timestamp too old: webhook-timestamp is {int(age)} s in the past (tolerance {tolerance} s)."
        )
    if -age > tolerance:
        raise WebhookVerificationError(
            f"Timestamp too new: webhook-timestamp is {int(-age)} s in the future (tolerance {tolerance} s)."
        )
    expected = _standard_signature(key, message_id, stamp, body)
    candidates = 0
    for versioned in found["webhook-signature"].split():
        version, _, encoded = versioned.partition(",")
        if version != "v1":
            continue  # other schemes (e.g. v1a, asymmetric) are not ours to check
        candidates += 1
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, given):
            return
    if not candidates:
        raise WebhookVerificationError("Bad signature: webhook-signature holds no 'v1,<base64>' signature.")
    raise WebhookVerificationError(
        "Bad signature: no webhook-signature matches this body and secret (wrong secret, or the body was "
        "changed, e.g. parsed and re-serialised instead of verified as raw bytes)."
    )


def _verify_knowrithm(found: dict[str, str], body: bytes, secret: str) -> None:
    header = found[KNOWRITHM_HEADER].strip()
    scheme, _, given = header.partition("=")
    if scheme.lower() != "sha256" or not given:
        raise WebhookVerificationError(f"Malformed X-Knowrithm-Signature {header[:80]!r}: expected 'sha256=<hex>'.")
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "replace")):
        raise WebhookVerificationError(
            "Bad signature: X-Knowrithm-Signature does not match this body and secret (wrong secret, or the "
            "body was changed)."
        )


def verify(
    raw_body: bytes | bytearray | memoryview | str,
    headers: HeaderSource,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
) -> dict[str, Any]:
    """Check a delivery's signature and return its parsed JSON envelope ``{id, event, timestamp, data, attempt}``.

    ``raw_body`` is the request body exactly as received; ``headers`` any mapping of header names
    (any case) to values; ``secret`` the endpoint's ``whsec_...`` secret. When the Standard Webhooks
    headers are present they are verified (timestamp within ``tolerance`` seconds of now, any ``v1``
    signature matching); otherwise ``X-Knowrithm-Signature``. Comparisons are constant-time.

    Raises :class:`WebhookVerificationError` (missing headers, bad signature, timestamp too old or
    too new, malformed secret, or a body that is not a JSON object).
    """
    if not isinstance(secret, str) or not secret.strip():
        raise WebhookVerificationError("Malformed secret: it is empty.")
    body = _body_bytes(raw_body)
    found = _lower(headers)
    if any(name in found for name in STANDARD_HEADERS):
        _verify_standard(found, body, secret, tolerance)
    elif KNOWRITHM_HEADER in found:
        _verify_knowrithm(found, body, secret)
    else:
        raise WebhookVerificationError(
            "Missing signature headers: expected webhook-id, webhook-timestamp and webhook-signature "
            "(Standard Webhooks) or X-Knowrithm-Signature."
        )
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookVerificationError(f"The signed body is not valid JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise WebhookVerificationError("The signed body is not a JSON object (expected the webhook envelope).")
    return cast(dict[str, Any], envelope)


def sign(
    raw_body: bytes | bytearray | memoryview | str,
    secret: str | Sequence[str],
    *,
    message_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers the server sends with ``raw_body``: to test your receiver without the server.

    ``secret`` may be several secrets (current first, as during a rotation): each adds a ``v1``
    signature; ``X-Knowrithm-Signature`` uses the first. ``message_id`` defaults to a random
    ``msg_...`` id and ``timestamp`` to now."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    if not keys:
        raise ValueError("at least one secret is needed")
    body = _body_bytes(raw_body)
    message_id = message_id or f"msg_{_secrets.token_hex(12)}"
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signatures = [
        "v1," + base64.b64encode(_standard_signature(_standard_key(s), message_id, stamp, body)).decode("ascii")
        for s in keys
    ]
    return {
        "X-Knowrithm-Signature": "sha256=" + hmac.new(keys[0].encode("utf-8"), body, hashlib.sha256).hexdigest(),
        "webhook-id": message_id,
        "webhook-timestamp": stamp,
        "webhook-signature": " ".join(signatures),
    }
