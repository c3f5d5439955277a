"""Our signer agrees with the Standard Webhooks reference library and with Knowrithm's documented HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from knowrithm_core.webhooks.signing import knowrithm_signature, new_secret, signature_headers, standard_signature

BODY = json.dumps({"id": "evt_1", "event": "lead.created", "data": {"email": "a@b.example"}, "attempt": 1}).encode()


def test_secrets_are_whsec_and_32_random_bytes() -> None:
    import base64

    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32 and secret != new_secret()


def test_reference_library_verifies_our_signature() -> None:
    # GIVEN a delivery signed by us now
    secret, now = new_secret(), int(time.time())
    headers = signature_headers([secret], "msg_1", now, BODY)
    # WHEN the reference library verifies it
    payload = Webhook(secret).verify(BODY, headers)
    # THEN it accepts it, and a tampered body is refused
    assert payload["event"] == "lead.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)


def test_our_signature_equals_the_reference_libraries() -> None:
    secret, now = new_secret(), int(time.time())
    theirs = Webhook(secret).sign("msg_2", datetime.fromtimestamp(now, tz=UTC), BODY.decode())
    assert standard_signature(secret, "msg_2", now, BODY) == theirs


def test_during_rotation_both_secrets_sign_and_either_verifies() -> None:
    old, new, now = new_secret(), new_secret(), int(time.time())
    headers = signature_headers([new, old], "msg_3", now, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(BODY, headers) and Webhook(old).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_knowrithm_signature_is_hex_hmac_keyed_with_the_secret_string() -> None:
    secret = new_secret()
    expected = hmac.new(secret.encode("utf-8"), BODY, hashlib.sha256).hexdigest()
    assert knowrithm_signature(secret, BODY) == f"sha256={expected}"
    assert signature_headers([secret], "m", 1, BODY)["X-Knowrithm-Signature"] == f"sha256={expected}"
