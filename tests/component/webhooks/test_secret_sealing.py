"""Webhook signing secrets at rest: sealed with a KMS data key bound to the endpoint (moto's KMS, created from the
template), opened by the delivery worker with one cached Decrypt, and legacy plaintext items still delivering."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from knowrithm_core.container import Services
from knowrithm_core.ids import iso, new_id
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Update
from knowrithm_core.store.repositories.webhooks import deliveries_pk
from knowrithm_core.webhooks.sealing import DataKeyCache, encryption_context
from tests.component.webhooks.conftest import Receiver
from tests.stack import Tenant, allowed_actions, kms_calls, missing_kms_actions


def _create(client: TestClient, tenant: Tenant, url: str) -> dict[str, Any]:
    response = client.post("/api/v1/webhook", json={"url": url, "events": ["webhook.test"]}, headers=tenant.key_headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _stored(services: Services, tenant: Tenant, endpoint_id: str) -> dict[str, Any]:
    item = services.table.get(keys.company_pk(tenant.company_id), f"WEBHOOK#{endpoint_id}")
    assert item is not None
    return item


def _queued(services: Services, tenant: Tenant, endpoint_id: str) -> dict[str, Any]:
    """Fan one ``webhook.test`` event out to the endpoint; returns its delivery message."""
    event = {
        "id": new_id(),
        "event": "webhook.test",
        "company_id": tenant.company_id,
        "timestamp": iso(),
        "data": {"message": "probe", "endpoint_id": endpoint_id},
        "target_endpoint_id": endpoint_id,
    }
    assert services.fan_out().handle(event) == 1
    assert services.delivery_queue is not None
    got = boto3.client("sqs").receive_message(QueueUrl=services.delivery_queue.queue_url)["Messages"]
    message: dict[str, Any] = json.loads(got[0]["Body"])
    return message


def _assert_signed_with(secret: str, receiver: Receiver) -> None:
    got = receiver.received[-1]
    assert Webhook(secret).verify(got.body, got.headers)["id"] == got.headers["webhook-id"]
    expected = hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-knowrithm-signature"] == f"sha256={expected}"


def test_the_stored_endpoint_holds_no_plaintext_secret_and_the_api_only_generates_data_keys(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, template: dict[str, Any]
) -> None:
    # GIVEN an endpoint created, then its secret rotated (both answers show the secret, once)
    with kms_calls(webhook_services) as calls:
        created = _create(webhook_client, tenant, "http://127.0.0.1:9/hooks")
        endpoint_id = created["webhook"]["id"]
        rotated = webhook_client.post(
            f"/api/v1/webhook/{endpoint_id}/rotate-secret", json={"grace_period_hours": 1}, headers=tenant.key_headers
        ).json()
    # WHEN the stored item is read raw
    raw = json.dumps(_stored(webhook_services, tenant, endpoint_id))
    # THEN neither secret (nor its base64 key part) is in it: each is sealed under its own data key
    for secret in (created["secret"], rotated["secret"]):
        assert secret.startswith("whsec_") and secret not in raw and secret.removeprefix("whsec_") not in raw
    sealed = [entry["sealed"] for entry in _stored(webhook_services, tenant, endpoint_id)["_secrets"]]
    assert [s["alg"] for s in sealed] == ["AES-256-GCM", "AES-256-GCM"] and sealed[0]["data_key"] != sealed[1][
        "data_key"
    ]
    # AND the API asked KMS for one data key per new secret, never to decrypt one, as its policy allows
    assert calls == ["GenerateDataKey", "GenerateDataKey"]
    assert missing_kms_actions(template, "ApiWebhooksFunction", calls) == set()
    # (its only Decrypt grant is for the Slack connector's secrets: KMS checks the data key's encryption context)
    decrypts = [
        statement
        for policy in template["Resources"]["ApiWebhooksFunction"]["Properties"]["Policies"]
        for statement in policy.get("Statement", [])
        if "kms:Decrypt" in statement.get("Action", [])
    ]
    assert [d.get("Condition") for d in decrypts] == [{"StringLike": {"kms:EncryptionContext:endpoint_id": "slack-*"}}]
    # AND lists and reads never show a secret
    listed = webhook_client.get("/api/v1/webhook", headers=tenant.key_headers).text
    read = webhook_client.get(f"/api/v1/webhook/{endpoint_id}", headers=tenant.key_headers).json()
    assert "whsec_" not in listed and "sealed" not in listed and read["active_secrets"] == 2


def test_a_delivery_signs_with_the_sealed_secret_and_decrypts_its_data_key_once_per_container(
    webhook_client: TestClient,
    webhook_services: Services,
    tenant: Tenant,
    receiver: Receiver,
    template: dict[str, Any],
) -> None:
    # GIVEN an endpoint whose secret is stored sealed
    created = _create(webhook_client, tenant, receiver.url)
    endpoint_id = created["webhook"]["id"]
    worker = webhook_services.delivery_worker()
    # WHEN two events are delivered by the same warm worker
    with kms_calls(webhook_services) as calls:
        assert worker.process(_queued(webhook_services, tenant, endpoint_id)).done
        assert webhook_services.delivery_worker().process(_queued(webhook_services, tenant, endpoint_id)).done
    # THEN both are signed with the secret the API showed, both ways
    assert len(receiver.received) == 2
    _assert_signed_with(created["secret"], receiver)
    # AND the data key was decrypted once (then cached), with a call the delivery function may make, and only that
    assert calls == ["Decrypt"]
    assert missing_kms_actions(template, "WebhookDeliveryFunction", calls) == set()
    assert {a for a in allowed_actions(template, "WebhookDeliveryFunction") if a.startswith("kms:")} == {"kms:Decrypt"}


def test_a_sealed_secret_copied_to_another_endpoint_cannot_be_opened(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    # GIVEN two endpoints of one company, and the first one's sealed secret copied into the second's item
    first = _create(webhook_client, tenant, receiver.url)["webhook"]["id"]
    second = _create(webhook_client, tenant, receiver.url)["webhook"]["id"]
    copied = _stored(webhook_services, tenant, first)["_secrets"]
    webhook_services.table.write(
        [Update((keys.company_pk(tenant.company_id), f"WEBHOOK#{second}"), set={"_secrets": copied})]
    )
    message = _queued(webhook_services, tenant, second)
    # WHEN the worker tries to deliver to the second endpoint
    with pytest.raises(ClientError) as refused:
        webhook_services.delivery_worker().process(message)
    # THEN KMS refuses the data key under the wrong encryption context, and nothing was sent or claimed
    assert refused.value.response["Error"]["Code"] == "InvalidCiphertextException"
    assert receiver.received == []
    record = webhook_services.table.get(deliveries_pk(tenant.company_id, second), f"DELIVERY#{message['event_id']}")
    assert record is not None and record["status"] == "pending" and record["attempt_count"] == 0
    # AND the context names the company and the endpoint (what KMS checked, and what CloudTrail logs)
    assert encryption_context(tenant.company_id, second)["endpoint_id"] == second


def test_a_legacy_plaintext_item_still_delivers_and_is_sealed_on_its_next_write(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    # GIVEN an endpoint item written before encryption: its secret in plaintext
    endpoint_id = _create(webhook_client, tenant, receiver.url)["webhook"]["id"]
    legacy = "whsec_" + "bGVnYWN5LXNlY3JldC1vZi0zMi1ieXRlcy0tLS0tLS0="
    legacy_secrets = [{"secret": legacy, "created_at": iso()}]
    webhook_services.table.write(
        [Update((keys.company_pk(tenant.company_id), f"WEBHOOK#{endpoint_id}"), set={"_secrets": legacy_secrets})]
    )
    # WHEN an event is delivered to it
    with kms_calls(webhook_services) as calls:
        assert webhook_services.delivery_worker().process(_queued(webhook_services, tenant, endpoint_id)).done
    # THEN it is signed with the plaintext secret, without any KMS request
    _assert_signed_with(legacy, receiver)
    assert calls == []
    # AND WHEN the endpoint is next edited
    response = webhook_client.patch(
        f"/api/v1/webhook/{endpoint_id}", json={"description": "billing"}, headers=tenant.key_headers
    )
    assert response.status_code == 200, response.text
    # THEN the same write sealed the secret: no plaintext left, and deliveries still sign with it
    stored = _stored(webhook_services, tenant, endpoint_id)
    assert legacy not in json.dumps(stored) and stored["description"] == "billing" and "sealed" in stored["_secrets"][0]
    assert webhook_services.delivery_worker().process(_queued(webhook_services, tenant, endpoint_id)).done
    _assert_signed_with(legacy, receiver)


def test_the_data_key_cache_is_bounded_in_size_and_time() -> None:
    # GIVEN a cache of two entries kept ten seconds, on a clock the test moves
    now = [0.0]
    cache = DataKeyCache(size=2, ttl=10, clock=lambda: now[0])
    loads: list[str] = []

    def load(name: str) -> bytes:
        loads.append(name)
        return name.encode()

    # WHEN three keys are used, the first again, then time passes the TTL
    for name in ("a", "b", "a", "c", "b", "a"):
        cache.get(name, lambda name=name: load(name))
    now[0] = 11.0
    cache.get("a", lambda: load("a"))
    # THEN only the least recently used key was evicted, and an expired key is loaded again
    assert loads == ["a", "b", "c", "b", "a", "a"]
    assert len(cache) == 2


def test_when_kms_refuses_a_data_key_creating_an_endpoint_answers_503_and_writes_nothing(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant
) -> None:
    # GIVEN the key alias the API names is gone (KMS answers NotFoundException)
    assert webhook_services.settings.webhook_secrets_key_id is not None
    boto3.client("kms").delete_alias(AliasName=webhook_services.settings.webhook_secrets_key_id)
    # WHEN an endpoint is registered
    response = webhook_client.post(
        "/api/v1/webhook", json={"url": "http://127.0.0.1:9/hooks", "events": ["*"]}, headers=tenant.key_headers
    )
    # THEN the answer is a JSON 503 with the usual fields, and no endpoint exists
    body = response.json()
    assert response.status_code == 503 and body["error_code"] == "service_unavailable"
    assert {"detail", "error", "message", "error_code"} <= set(body)
    assert webhook_client.get("/api/v1/webhook", headers=tenant.key_headers).json()["webhooks"] == []
