"""``knowrithm_py.webhooks.verify`` against the Standard Webhooks reference library and the server's signer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from knowrithm_core.webhooks.signing import new_secret, signature_headers
from knowrithm_py.webhooks import WebhookVerificationError, sign, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks spec's example secret
ENVELOPE = {
    "id": "01a20d9f-704a-73fb-afed-fdf62526067c",
    "event": "lead.created",
    "timestamp": "2026-01-02T03:04:05.000Z",
    "data": {"id": "lead-1", "email": "ada@example.com", "full_name": "Ada Lovelace", "version": 1},
    "attempt": 1,
}
BODY = json.dumps(ENVELOPE, separators=(",", ":")).encode()


def reference_headers(secret: str, body: bytes, *, msg_id: str = "msg_1", at: float | None = None) -> dict[str, str]:
    """Headers signed by the ``standardwebhooks`` reference library."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, tz=UTC)
    signature = Webhook(secret).sign(msg_id, moment, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(moment.timestamp())), "webhook-signature": signature}


def server_headers(secrets: list[str], body: bytes, *, at: float | None = None) -> dict[str, str]:
    """Headers signed by the server's delivery signer."""
    return signature_headers(secrets, str(ENVELOPE["id"]), int(time.time() if at is None else at), body)


def knowrithm_only(headers: dict[str, str]) -> dict[str, str]:
    return {"X-Knowrithm-Signature": headers["X-Knowrithm-Signature"]}


# --- accepted ------------------------------------------------------------------------------------


def test_accepts_the_reference_librarys_signature() -> None:
    # GIVEN a body signed by the standardwebhooks reference library
    headers = reference_headers(SECRET, BODY)
    # WHEN our verifier checks it / THEN it returns the parsed envelope
    assert verify(BODY, headers, SECRET) == ENVELOPE


def test_accepts_the_servers_standard_signature() -> None:
    # GIVEN a delivery signed by the server's signer with a freshly generated secret
    secret = new_secret()
    headers = server_headers([secret], BODY)
    # WHEN it is verified (Standard Webhooks headers present) / THEN the envelope comes back
    assert verify(BODY, headers, secret) == ENVELOPE
    # AND the reference library agrees with the same headers
    assert Webhook(secret).verify(BODY, headers) == ENVELOPE


def test_accepts_the_servers_knowrithm_signature_alone() -> None:
    # GIVEN only the server's X-Knowrithm-Signature (a receiver that kept just that header)
    secret = new_secret()
    headers = knowrithm_only(server_headers([secret], BODY))
    # WHEN it is verified / THEN the Knowrithm scheme is checked and passes
    assert verify(BODY, headers, secret) == ENVELOPE


def test_accepts_a_plain_hmac_knowrithm_signature() -> None:
    # GIVEN a signature made with nothing but hmac, as Knowrithm's docs show (key: the secret string, UTF-8)
    digest = hmac.new(SECRET.encode("utf-8"), BODY, hashlib.sha256).hexdigest()
    # WHEN it is verified, with the header name in another case / THEN it passes
    assert verify(BODY, {"x-knowrithm-signature": f"sha256={digest}"}, SECRET) == ENVELOPE
    assert verify(BODY, {"X-KNOWRITHM-SIGNATURE": f"SHA256={digest.upper()}"}, SECRET) == ENVELOPE


def test_header_names_are_case_insensitive_and_any_mapping_works() -> None:
    # GIVEN the reference headers in mixed case, in an email.message.Message (what http.server hands over)
    headers = reference_headers(SECRET, BODY)
    message = Message()
    for name, value in headers.items():
        message[name.title()] = value
    # WHEN verified from a Message and from a str body / THEN both pass
    assert verify(BODY, message, SECRET) == ENVELOPE
    assert verify(BODY.decode(), {k.upper(): v for k, v in headers.items()}, SECRET) == ENVELOPE


def test_rotation_either_secret_verifies() -> None:
    # GIVEN a delivery during a rotation: signed with the new secret and the old one still in grace
    old, new = new_secret(), new_secret()
    headers = server_headers([new, old], BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    # WHEN a receiver verifies with either secret / THEN it passes
    assert verify(BODY, headers, new) == ENVELOPE
    assert verify(BODY, headers, old) == ENVELOPE
    # AND a secret that was never the endpoint's does not
    with pytest.raises(WebhookVerificationError, match="Bad signature"):
        verify(BODY, headers, new_secret())


def test_tolerance_is_configurable() -> None:
    # GIVEN a delivery signed 400 s ago
    headers = reference_headers(SECRET, BODY, at=time.time() - 400)
    # WHEN verified with the default tolerance (300 s) / THEN it is too old
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(BODY, headers, SECRET)
    # WHEN verified with a 600 s tolerance / THEN it passes
    assert verify(BODY, headers, SECRET, tolerance=600) == ENVELOPE


def test_secret_without_prefix_and_unpadded_base64_are_accepted() -> None:
    # GIVEN the key as bare base64 without its padding (the reference library accepts this too)
    secret = new_secret()
    bare = secret.removeprefix("whsec_").rstrip("=")
    headers = server_headers([secret], BODY)
    # WHEN verified with the bare key / THEN it passes
    assert verify(BODY, headers, bare) == ENVELOPE


# --- rejected ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["standard", "knowrithm"])
def test_rejects_a_tampered_body(scheme: str) -> None:
    # GIVEN a correctly signed delivery whose body is changed afterwards (one character)
    secret = new_secret()
    headers = server_headers([secret], BODY)
    headers = headers if scheme == "standard" else knowrithm_only(headers)
    tampered = BODY.replace(b"ada@example.com", b"eve@example.com")
    # WHEN it is verified / THEN the signature does not match
    with pytest.raises(WebhookVerificationError, match="Bad signature"):
        verify(tampered, headers, secret)


@pytest.mark.parametrize("scheme", ["standard", "knowrithm"])
def test_rejects_the_wrong_secret(scheme: str) -> None:
    # GIVEN a delivery signed with one secret
    headers = server_headers([new_secret()], BODY)
    headers = headers if scheme == "standard" else knowrithm_only(headers)
    # WHEN verified with another / THEN it is refused
    with pytest.raises(WebhookVerificationError, match="Bad signature"):
        verify(BODY, headers, new_secret())


def test_rejects_a_replayed_old_delivery() -> None:
    # GIVEN a delivery signed 10 minutes ago (e.g. captured and replayed)
    headers = server_headers([SECRET], BODY, at=time.time() - 600)
    # WHEN verified / THEN it is too old, although the signature itself is right
    with pytest.raises(WebhookVerificationError, match="Timestamp too old"):
        verify(BODY, headers, SECRET)


def test_rejects_a_timestamp_from_the_future() -> None:
    # GIVEN a delivery claiming to be signed 10 minutes from now
    headers = reference_headers(SECRET, BODY, at=time.time() + 600)
    # WHEN verified / THEN it is too new
    with pytest.raises(WebhookVerificationError, match="Timestamp too new"):
        verify(BODY, headers, SECRET)


def test_a_changed_timestamp_breaks_the_signature() -> None:
    # GIVEN an old delivery whose timestamp header is moved to now (the timestamp is signed)
    headers = reference_headers(SECRET, BODY, at=time.time() - 600)
    headers["webhook-timestamp"] = str(int(time.time()))
    # WHEN verified / THEN the signature no longer matches
    with pytest.raises(WebhookVerificationError, match="Bad signature"):
        verify(BODY, headers, SECRET)


def test_rejects_missing_headers() -> None:
    # GIVEN no signature headers at all / WHEN verified / THEN the error names what is expected
    with pytest.raises(WebhookVerificationError, match="Missing signature headers.*X-Knowrithm-Signature"):
        verify(BODY, {"Content-Type": "application/json"}, SECRET)
    # GIVEN Standard Webhooks headers without the signature / THEN that header is named
    headers = reference_headers(SECRET, BODY)
    del headers["webhook-signature"]
    with pytest.raises(WebhookVerificationError, match="Missing required header.*webhook-signature"):
        verify(BODY, headers, SECRET)
    # GIVEN a partial Standard Webhooks set next to a valid X-Knowrithm-Signature
    # THEN the stronger scheme is not silently skipped
    mixed = {**server_headers([SECRET], BODY), "webhook-timestamp": ""}
    with pytest.raises(WebhookVerificationError, match="webhook-timestamp"):
        verify(BODY, mixed, SECRET)


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("webhook-signature", "v2,abc", "no 'v1,<base64>' signature"),
        ("webhook-signature", "v1,not base64!", "Bad signature"),
        ("webhook-timestamp", "yesterday", "Invalid webhook-timestamp"),
        ("webhook-timestamp", "-5", "Invalid webhook-timestamp"),
    ],
)
def test_rejects_malformed_standard_headers(header: str, value: str, message: str) -> None:
    # GIVEN a delivery with one Standard Webhooks header malformed / WHEN verified / THEN it is refused clearly
    headers = {**reference_headers(SECRET, BODY), header: value}
    with pytest.raises(WebhookVerificationError, match=message):
        verify(BODY, headers, SECRET)


def test_rejects_a_malformed_knowrithm_header() -> None:
    # GIVEN an X-Knowrithm-Signature without the sha256= scheme / WHEN verified / THEN it is refused
    digest = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookVerificationError, match="Malformed X-Knowrithm-Signature"):
        verify(BODY, {"X-Knowrithm-Signature": digest}, SECRET)


@pytest.mark.parametrize("secret", ["", "   ", "whsec_", "whsec_not*base64!"])
def test_rejects_a_malformed_secret(secret: str) -> None:
    # GIVEN a valid delivery and a secret that is empty or not base64 / WHEN verified / THEN the secret is blamed
    with pytest.raises(WebhookVerificationError, match="Malformed secret"):
        verify(BODY, reference_headers(SECRET, BODY), secret)


def test_rejects_a_signed_body_that_is_not_a_json_object() -> None:
    # GIVEN correctly signed bodies that are not an envelope / WHEN verified / THEN they are refused
    for body in (b"[1, 2]", b"not json"):
        with pytest.raises(WebhookVerificationError, match="JSON"):
            verify(body, reference_headers(SECRET, body), SECRET)


# --- the sign() helper ---------------------------------------------------------------------------


def test_sign_helper_matches_the_server_and_the_reference_library() -> None:
    # GIVEN headers from the SDK's sign() helper with a fixed id, time and two secrets
    old, new = new_secret(), new_secret()
    now = int(time.time())
    ours = sign(BODY, [new, old], message_id="evt_1", timestamp=now)
    # THEN they are exactly what the server would send
    assert ours == signature_headers([new, old], "evt_1", now, BODY)
    # AND the reference library accepts them with either secret
    assert Webhook(old).verify(BODY, ours) == ENVELOPE
    assert Webhook(new).verify(BODY, ours) == ENVELOPE
    # AND the v1 signature is the base64 HMAC of "<id>.<timestamp>.<body>" keyed with the decoded secret
    key = base64.b64decode(new.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"evt_1.{now}.".encode() + BODY, hashlib.sha256).digest()).decode()
    assert ours["webhook-signature"].split(" ")[0] == f"v1,{expected}"


def test_the_readmes_plain_hmac_snippets_verify_a_server_delivery() -> None:
    # GIVEN the sdk/README.md snippets that verify with nothing but hmac, and a server-signed delivery
    readme = (Path(__file__).resolve().parents[3] / "sdk" / "README.md").read_text(encoding="utf-8")
    snippets = [s for s in re.findall(r"```python\n(.*?)```", readme, re.S) if "hashlib" in s and "hmac.new" in s]
    assert len(snippets) == 2
    secret = new_secret()
    headers = server_headers([secret, new_secret()], BODY)
    for snippet in snippets:
        # WHEN each runs on the delivery as sent, and on a tampered body
        scope: dict[str, object] = {"secret": secret, "raw_body": BODY, "headers": headers}
        exec(snippet, scope)
        tampered: dict[str, object] = {"secret": secret, "raw_body": BODY + b" ", "headers": headers}
        exec(snippet, tampered)
        # THEN the first is accepted and the second refused
        assert (scope["ok"], tampered["ok"]) == (True, False), snippet
