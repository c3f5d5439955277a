"""Outbox event -> fan-out -> delivery queue -> signed POST to a real local receiver, with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import boto3
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from knowrithm_core.container import Services
from knowrithm_core.store.expressions import Update
from knowrithm_core.store.table import stream_item
from tests.component.webhooks.conftest import Receiver, Script
from tests.stack import Tenant


def _register(
    client: TestClient, tenant: Tenant, url: str, events: list[str] | None = None, services: Services | None = None
) -> dict[str, Any]:
    """Register an endpoint; events already in the outbox count as fanned out (the stream saw them before)."""
    if services is not None:
        for item in _events(services):
            _mark_fanned(services, item)
    response = client.post("/api/v1/webhook", json={"url": url, "events": events or ["*"]}, headers=tenant.key_headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _pump(services: Services, rounds: int = 1) -> None:
    """Fan out every outbox event once, then run the delivery worker over the queue ``rounds`` times."""
    from knowrithm_core.workers.delivery import delivery_jobs

    for item in _events(services):
        if not item.get("_fanned"):
            services.fan_out().handle(item)
            _mark_fanned(services, item)
    assert services.delivery_queue is not None
    sqs = boto3.client("sqs")
    for _ in range(rounds):
        got = sqs.receive_message(
            QueueUrl=services.delivery_queue.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]} for m in got]
        jobs = delivery_jobs(services.delivery_worker(), services.settings, services.delivery_queue)
        failed = {f["itemIdentifier"] for f in jobs.process({"Records": records})["batchItemFailures"]}
        for m in got:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=services.delivery_queue.queue_url, ReceiptHandle=m["ReceiptHandle"])


def _mark_fanned(services: Services, item: dict[str, Any]) -> None:
    services.table.transact([Update((item["PK"], item["SK"]), set={"_fanned": True})])


def _events(services: Services) -> list[dict[str, Any]]:
    raw = services.table.client.scan(TableName=services.table.table_name)["Items"]
    return sorted((stream_item(i) for i in raw if i.get("_type", {}).get("S") == "event"), key=lambda e: e["id"])


def test_lead_event_arrives_signed_both_ways(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    # GIVEN an endpoint subscribed to lead.created
    endpoint = _register(webhook_client, tenant, receiver.url, ["lead.created"], services=webhook_services)
    # WHEN a lead is created and the pipeline runs
    webhook_client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "A", "last_name": "B", "email": "a@b.example"},
        headers=tenant.key_headers,
    )
    _pump(webhook_services)
    # THEN exactly that event arrived, verifiable with the reference library and with plain hmac
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert (
        got.json["event"] == "lead.created" and got.json["attempt"] == 1 and got.json["data"]["email"] == "a@b.example"
    )
    assert Webhook(endpoint["secret"]).verify(got.body, got.headers)["id"] == got.headers["webhook-id"]
    expected = hmac.new(endpoint["secret"].encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-knowrithm-signature"] == f"sha256={expected}"
    assert got.headers["x-knowrithm-event"] == "lead.created" and got.headers["user-agent"].startswith("Knowrithm")
    deliveries = webhook_client.get(
        f"/api/v1/webhook/{endpoint['webhook']['id']}/deliveries", headers=tenant.key_headers
    ).json()["deliveries"]
    assert [(d["status"], d["attempt_count"]) for d in deliveries] == [("succeeded", 1)]


def test_failures_retry_with_the_same_webhook_id_and_increasing_attempt(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    _register(webhook_client, tenant, receiver.url, ["lead.created"], services=webhook_services)
    receiver.script = [Script(500), Script(302, {"Location": "http://127.0.0.1:1/elsewhere"})]
    webhook_client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "A", "last_name": "B", "email": "r@b.example"},
        headers=tenant.key_headers,
    )
    _pump(webhook_services, rounds=3)
    assert [r.json["attempt"] for r in receiver.received] == [1, 2, 3]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # the redirect was not followed


def test_always_failing_endpoint_ends_failed_and_can_be_recovered(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = _register(webhook_client, tenant, receiver.url, ["lead.created"], services=webhook_services)
    endpoint_id = endpoint["webhook"]["id"]
    receiver.script = [Script(500)] * 4
    webhook_client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "A", "last_name": "B", "email": "f@b.example"},
        headers=tenant.key_headers,
    )
    _pump(webhook_services, rounds=5)
    assert len(receiver.received) == 4  # 1 + the 3 scheduled retries, then no more
    log = webhook_client.get(f"/api/v1/webhook/{endpoint_id}/deliveries?status=failed", headers=tenant.key_headers)
    delivery = log.json()["deliveries"][0]
    assert delivery["attempt_count"] == 4 and [a["status_code"] for a in delivery["attempts"]] == [500] * 4
    # WHEN the endpoint is recovered over a window that contains the event
    recovered = webhook_client.post(
        f"/api/v1/webhook/{endpoint_id}/recover", json={"since": "2000-01-01"}, headers=tenant.key_headers
    )
    assert recovered.status_code == 202 and recovered.json()["recovered"] == 1
    _pump(webhook_services)
    # THEN the receiver (healthy now) gets it with the next attempt number
    assert receiver.received[-1].json["attempt"] == 5


def test_410_disables_the_endpoint_and_later_events_are_skipped_until_recovered(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint_id = _register(webhook_client, tenant, receiver.url, services=webhook_services)["webhook"]["id"]
    receiver.script = [Script(410)]
    webhook_client.put(f"/api/v1/agent/{tenant.agent_id}", json={"name": "one"}, headers=tenant.key_headers)
    _pump(webhook_services)
    state = webhook_client.get(f"/api/v1/webhook/{endpoint_id}", headers=tenant.key_headers).json()["webhook"]
    assert state["enabled"] is False and "410" in state["disabled_reason"]
    webhook_client.put(f"/api/v1/agent/{tenant.agent_id}", json={"name": "two"}, headers=tenant.key_headers)
    _pump(webhook_services)
    assert len(receiver.received) == 1
    skipped = webhook_client.get(
        f"/api/v1/webhook/{endpoint_id}/deliveries?status=skipped", headers=tenant.key_headers
    ).json()["deliveries"]
    assert len(skipped) == 1
    assert webhook_client.post(f"/api/v1/webhook/{endpoint_id}/enable", headers=tenant.key_headers).status_code == 200
    webhook_client.post(
        f"/api/v1/webhook/{endpoint_id}/recover", json={"since": "2000-01-01T00:00:00Z"}, headers=tenant.key_headers
    )
    _pump(webhook_services)
    # THEN both the failed (410) and the skipped delivery are replayed, in either order (the batch is concurrent)
    assert sorted(r.json["data"]["name"] for r in receiver.received[1:]) == ["one", "two"]


def test_retry_after_is_honoured_and_timeouts_count_as_failures(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint_id = _register(webhook_client, tenant, receiver.url, ["lead.created"], services=webhook_services)[
        "webhook"
    ]["id"]
    receiver.script = [Script(sleep=1.5), Script(429, {"Retry-After": "120"})]
    webhook_client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "A", "last_name": "B", "email": "t@b.example"},
        headers=tenant.key_headers,
    )
    _pump(webhook_services, rounds=2)
    delivery = webhook_client.get(f"/api/v1/webhook/{endpoint_id}/deliveries", headers=tenant.key_headers).json()
    attempts = delivery["deliveries"][0]["attempts"]
    assert attempts[0]["error"].startswith("timeout") and attempts[1]["status_code"] == 429
    assert delivery["deliveries"][0]["status"] == "pending"
    due = attempts[1]["next_attempt_at"]
    assert due > attempts[1]["at"]  # about two minutes later, not the schedule's 0 s


def test_rotation_signs_with_both_secrets(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    created = _register(webhook_client, tenant, receiver.url, ["webhook.test"], services=webhook_services)
    endpoint_id = created["webhook"]["id"]
    rotated = webhook_client.post(
        f"/api/v1/webhook/{endpoint_id}/rotate-secret", json={"grace_period_hours": 1}, headers=tenant.key_headers
    ).json()
    assert rotated["secret"] != created["secret"]
    assert webhook_client.post(f"/api/v1/webhook/{endpoint_id}/test", headers=tenant.key_headers).status_code == 202
    _pump(webhook_services)
    got = receiver.received[0]
    assert got.json["event"] == "webhook.test" and len(got.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(created["secret"]).verify(got.body, got.headers) and Webhook(rotated["secret"]).verify(
        got.body, got.headers
    )
    expected = hmac.new(rotated["secret"].encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-knowrithm-signature"] == f"sha256={expected}"


def test_repeated_fan_out_delivers_once(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    _register(webhook_client, tenant, receiver.url, ["lead.created"], services=webhook_services)
    webhook_client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "A", "last_name": "B", "email": "d@b.example"},
        headers=tenant.key_headers,
    )
    event = next(e for e in _events(webhook_services) if e["event"] == "lead.created")
    webhook_services.fan_out().handle(event)
    webhook_services.fan_out().handle(event)  # the stream handed it over again
    _pump(webhook_services, rounds=2)
    assert len(receiver.received) == 1


def test_endpoint_api_validates_and_hides_secrets(webhook_client: TestClient, tenant: Tenant) -> None:
    bad_events = webhook_client.post(
        "/api/v1/webhook", json={"url": "http://127.0.0.1:9/x", "events": ["nope"]}, headers=tenant.key_headers
    )
    assert bad_events.status_code == 400 and "lead.created" in bad_events.json()["detail"]
    unsafe = webhook_client.post(
        "/api/v1/webhook", json={"url": "http://169.254.169.254/latest"}, headers=tenant.key_headers
    )
    assert unsafe.status_code == 400 and unsafe.json()["error_code"] == "unsafe_url"
    bad_header = webhook_client.post(
        "/api/v1/webhook", json={"url": "http://127.0.0.1:9/x", "headers": {"Host": "x"}}, headers=tenant.key_headers
    )
    assert bad_header.status_code == 400
    created = webhook_client.post(
        "/api/v1/webhook",
        json={"url": "http://127.0.0.1:9/x", "description": "crm", "headers": {"X-Team": "sales"}},
        headers=tenant.key_headers,
    )
    endpoint_id = created.json()["webhook"]["id"]
    listed = webhook_client.get("/api/v1/webhook", headers=tenant.key_headers).json()
    assert [w["id"] for w in listed["webhooks"]] == [endpoint_id] and "whsec_" not in json.dumps(listed)
    assert "whsec_" not in webhook_client.get(f"/api/v1/webhook/{endpoint_id}", headers=tenant.key_headers).text
    types = webhook_client.get("/api/v1/webhook/event-types", headers=tenant.key_headers).json()["event_types"]
    assert {t["name"] for t in types} >= {"lead.created", "conversation.escalated", "webhook.test"}
    assert all(t["schema"]["type"] == "object" for t in types)
    assert webhook_client.delete(f"/api/v1/webhook/{endpoint_id}", headers=tenant.key_headers).status_code == 200
    assert webhook_client.get(f"/api/v1/webhook/{endpoint_id}", headers=tenant.key_headers).status_code == 404


def test_per_endpoint_rate_limit_defers_the_excess(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    # GIVEN an endpoint limited to one delivery per 5 seconds
    created = webhook_client.post(
        "/api/v1/webhook",
        json={"url": receiver.url, "events": ["lead.created"], "rate_limit_per_second": 0.2},
        headers=tenant.key_headers,
    )
    assert created.status_code == 201
    for index in range(3):
        webhook_client.post(
            "/api/v1/sdk/lead",
            json={"first_name": "A", "last_name": "B", "email": f"rl{index}@b.example"},
            headers=tenant.key_headers,
        )
    # WHEN one batch of three deliveries is processed at once
    _pump(webhook_services)
    # THEN one went out per window (two if the batch straddled a window edge); the rest wait, still pending
    sent = len(receiver.received)
    assert 1 <= sent <= 2
    deliveries = webhook_client.get(
        f"/api/v1/webhook/{created.json()['webhook']['id']}/deliveries", headers=tenant.key_headers
    ).json()["deliveries"]
    assert sorted(d["status"] for d in deliveries) == ["pending"] * (3 - sent) + ["succeeded"] * sent
    assert all(d["attempt_count"] == (1 if d["status"] == "succeeded" else 0) for d in deliveries)


def test_without_a_dlq_a_malformed_message_is_handed_back_at_once_for_the_redrive(webhook_services: Services) -> None:
    from dataclasses import replace

    from knowrithm_core.workers.delivery import delivery_jobs

    # GIVEN a delivery worker whose DLQ is not configured, and a message that is not a delivery
    assert webhook_services.delivery_queue is not None
    settings = replace(webhook_services.settings, delivery_dlq_url=None)
    jobs = delivery_jobs(webhook_services.delivery_worker(), settings, webhook_services.delivery_queue)
    sqs = boto3.client("sqs")
    url = webhook_services.delivery_queue.queue_url
    sqs.send_message(QueueUrl=url, MessageBody='{"probe": true}')
    got = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"]
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]} for m in got]
    # WHEN the worker meets it
    failed = jobs.process({"Records": records})["batchItemFailures"]
    # THEN it is reported failed and visible again at once (not after the 60 s it was hidden for), so the queue's
    # redrive policy moves it to the DLQ after maxReceiveCount quick receives
    assert failed == [{"itemIdentifier": got[0]["MessageId"]}]
    again = sqs.receive_message(QueueUrl=url).get("Messages", [])
    assert [m["MessageId"] for m in again] == [got[0]["MessageId"]]
