"""Webhook chaos, bounded and on loopback: 200 events to eight real receivers on 127.0.0.1 that answer 500s, time
out, reset the connection, answer 429 with ``Retry-After``, answer 410, fail at random, never succeed, or work.

The tier: moto in process, the real ``WebhookDeliveryFunction`` handler run by the local stack's own SQS poller
(one warm Lambda container, ten POSTs at a time: moto's in-process SQS is not safe for concurrent receives of a
queue with a redrive policy), real HTTP servers, endpoints registered through the API (secrets sealed with KMS).
Each event's delivery record and message are what the fan-out writes, written in batches: the fan-out has its own
tests, and moto's response serializer costs about 40 ms of CPU per fanned-out event (it lists every endpoint).
The table is created without its stream (nothing here reads it; moto copies its records with the table on every
transaction), and the delivery queue redrives after the receives the short schedule needs plus two, as the
template sizes it for the default schedule. Retries follow ``WEBHOOK_RETRY_SCHEDULE=0,1,1`` (four attempts) with
a 1 s POST timeout; every wait polls a condition with a deadline.
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws
from standardwebhooks.webhooks import Webhook

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.webhooks import Delivery
from knowrithm_core.store.repositories.webhooks import deliveries_pk, delivery_id, delivery_item
from knowrithm_core.webhooks.backoff import max_receive_count, parse_schedule
from local.invoker import Invoker
from local.pollers import PollerGroup, build_pollers
from local.resources import create_all
from local.template import Stack, functions
from tests.stack import Tenant
from tests.webhook_receiver import OK, Receiver, Responder, always, flaky, reset, scripted, slow, status

EVENTS_PER_ENDPOINT = 25
SCHEDULE = "0,1,1"
MAX_ATTEMPTS = len(SCHEDULE.split(",")) + 1
TIMEOUT = 1.0
DEADLINE = 80.0  # seconds for everything to settle (about 15 s on a quiet 2-core machine)


@dataclass(frozen=True)
class Kind:
    """One receiver's behaviour, and the attempts each of its events takes (None: it depends on the draw)."""

    responder: Callable[[], Responder]
    attempts: int | None
    outcome: str | None


KINDS = {
    "healthy": Kind(lambda: always(OK), 1, "succeeded"),
    "500 twice": Kind(lambda: scripted(status(500), status(500)), 3, "succeeded"),
    "times out": Kind(lambda: scripted(slow(TIMEOUT + 1.0)), 2, "succeeded"),
    "resets": Kind(lambda: scripted(reset()), 2, "succeeded"),
    "429 Retry-After": Kind(lambda: scripted(status(429, Retry_After="1")), 2, "succeeded"),
    "random 503s": Kind(lambda: flaky(0.5, seed=10, failure=status(503)), None, None),
    "always 500": Kind(lambda: always(status(500)), MAX_ATTEMPTS, "failed"),
    "410 Gone": Kind(lambda: always(status(410)), None, None),
}


@pytest.fixture
def stack(template: dict[str, Any]) -> Iterator[Stack]:
    """The template's resources in moto; the table without its stream, the queue's redrive sized for the short
    schedule (see the module's docstring)."""
    chaos = copy.deepcopy(template)
    del chaos["Resources"]["AppTable"]["Properties"]["StreamSpecification"]
    redrive = chaos["Resources"]["DeliveryQueue"]["Properties"]["RedrivePolicy"]
    redrive["maxReceiveCount"] = max_receive_count(parse_schedule(SCHEDULE)) + 2
    with mock_aws():
        stack = Stack(chaos)
        create_all(stack)
        yield stack


@pytest.fixture
def chaos_services(webhook_services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", SCHEDULE)
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", str(TIMEOUT))
    get_settings.cache_clear()
    get_services.cache_clear()
    return get_services()


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    started = {name: Receiver(kind.responder()) for name, kind in KINDS.items()}
    yield started
    for receiver in started.values():
        receiver.close()


def enqueue(services: Services, company_id: str, endpoint_id: str, event: dict[str, Any]) -> tuple[Any, Any]:
    """The delivery record and the message the fan-out writes for ``event`` and one endpoint."""
    stamp = iso()
    delivery = Delivery(
        id=delivery_id(endpoint_id, event["id"]),
        company_id=company_id,
        endpoint_id=endpoint_id,
        event_id=event["id"],
        event_type=event["event"],
        status="pending",
        event_timestamp=event["timestamp"],
        next_attempt_at=stamp,
        created_at=stamp,
        updated_at=stamp,
    )
    record = delivery_item(delivery, event, services.settings.delivery_ttl_days)
    return record, {"company_id": company_id, "endpoint_id": endpoint_id, "event_id": event["id"]}


def eventually(check: Callable[[], bool], deadline: float, what: str) -> None:
    """Poll ``check`` until it holds; fail at ``deadline`` (a ``time.monotonic()`` value)."""
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not settled within {DEADLINE} s: {what}")
        time.sleep(0.5)


def queue_depth(sqs: Any, url: str) -> int:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message body in the queue (received and hidden, so each is read once)."""
    bodies: list[dict[str, Any]] = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get("Messages"):
        bodies += [json.loads(m["Body"]) for m in got]
    return bodies


def test_hundreds_of_events_to_failing_endpoints_all_end_delivered_failed_or_dead_lettered(
    webhook_client: TestClient, chaos_services: Services, tenant: Tenant, stack: Stack, receivers: dict[str, Receiver]
) -> None:
    services = chaos_services
    # GIVEN one endpoint per behaviour, each registered through the API (its secret sealed with KMS)
    hooks: dict[str, dict[str, Any]] = {}
    for name, receiver in receivers.items():
        response = webhook_client.post(
            "/api/v1/webhook", json={"url": receiver.url, "events": ["*"]}, headers=tenant.key_headers
        )
        assert response.status_code == 201, response.text
        hooks[name] = response.json()
    # AND 25 events for each of them, recorded and queued for delivery as the fan-out does
    events: dict[str, list[str]] = {name: [] for name in KINDS}
    queued = []
    for name, hook in hooks.items():  # grouped by endpoint: its slow answers share batches
        for n in range(EVENTS_PER_ENDPOINT):
            event = {"id": new_id(), "event": "webhook.test", "timestamp": iso(), "data": {"n": n, "endpoint": name}}
            queued.append(enqueue(services, tenant.company_id, hook["webhook"]["id"], event))
            events[name].append(event["id"])
    services.table.batch_put([record for record, _ in queued])
    assert services.delivery_queue is not None
    services.delivery_queue.send([message for _, message in queued])
    total = sum(len(ids) for ids in events.values())
    assert total == len(KINDS) * EVENTS_PER_ENDPOINT >= 200

    # WHEN a warm WebhookDeliveryFunction container works the queue until everything has settled
    specs = {"WebhookDeliveryFunction": functions(stack)["WebhookDeliveryFunction"]}
    invoker = Invoker(stack, specs)
    pollers = PollerGroup(build_pollers(stack, specs, invoker.invoke), 0.05)
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=stack.physical_name("DeliveryQueue"))["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=stack.physical_name("DeliveryDLQ"))["QueueUrl"]

    def records() -> dict[str, dict[str, dict[str, Any]]]:
        return {
            name: {
                item["event_id"]: item
                for item in services.table.query(
                    deliveries_pk(tenant.company_id, hook["webhook"]["id"]), sk_prefix="DELIVERY#"
                )
            }
            for name, hook in hooks.items()
        }

    started = time.monotonic()
    pollers.start()
    try:
        deadline = started + DEADLINE
        # an empty queue (nothing visible, in flight or delayed) means every message was deleted or dead-lettered
        eventually(lambda: queue_depth(sqs, queue_url) == 0, deadline, "the delivery queue is empty")
    finally:
        pollers.stop()
    settled = time.monotonic() - started
    final = records()
    dead_lettered = Counter(body["event_id"] for body in drain(sqs, dlq_url))

    # THEN no event was lost: each has its record, and each ended delivered, failed (in the log and the DLQ)
    # or, for the endpoint that answered 410, skipped once it was disabled
    statuses = {name: Counter(r["status"] for r in rows.values()) for name, rows in final.items()}
    for name, ids in events.items():
        assert sorted(final[name]) == sorted(ids), f"{name}: records for every event"
        allowed = {"succeeded", "failed", "skipped"} if name == "410 Gone" else {"succeeded", "failed"}
        assert set(statuses[name]) <= allowed, f"{name}: {statuses[name]}"
    failed = {r["event_id"] for rows in final.values() for r in rows.values() if r["status"] == "failed"}
    assert dict(dead_lettered) == dict.fromkeys(failed, 1), "exactly the failed deliveries are in the DLQ, once each"
    # AND every behaviour took the attempts its receiver scripted, and the log agrees with what was received
    # On a loaded machine an attempt can time out after the receiver answered 2xx (late), or never reach it (its
    # connection refused or timed out): the worker then logs a failure the script did not plan, and retries.
    late_answers = unreached = 0
    for name, kind in KINDS.items():
        for event_id, record in final[name].items():
            got = {int(r.json["attempt"]): r for r in receivers[name].attempts(event_id)}
            log = record.get("attempts", [])
            assert record["attempt_count"] == len(log) >= len(got), f"{name}: {event_id}"
            extra = 0
            for logged in log:
                request = got.get(logged["attempt"])
                if request is None:  # never reached the receiver: a connection-level failure
                    assert logged["outcome"] == "failed" and logged["status_code"] is None, f"{name}: {logged}"
                    extra, unreached = extra + 1, unreached + 1
                    continue
                timed_out = (logged.get("error") or "").startswith("timeout")
                if timed_out and request.answered_ok:
                    extra, late_answers = extra + 1, late_answers + 1
                assert (logged["outcome"] == "succeeded") == (request.answered_ok and not timed_out), name
            outcomes = [a["outcome"] for a in log]
            assert outcomes.count("succeeded") == (record["status"] == "succeeded"), f"{name}: {outcomes}"
            assert record["status"] != "succeeded" or outcomes[-1] == "succeeded", f"{name}: nothing after a success"
            if kind.attempts is not None:
                planned = kind.attempts + extra
                expected = (kind.outcome, planned) if planned <= MAX_ATTEMPTS else ("failed", MAX_ATTEMPTS)
                assert (record["status"], record["attempt_count"]) == expected, f"{name}: {outcomes}"
    assert statuses["random 503s"]["succeeded"] > 0 and statuses["always 500"]["failed"] == EVENTS_PER_ENDPOINT
    # AND every retry of one message carried the same webhook-id (the event id), each attempt was POSTed once,
    # and each request is signed with the endpoint's secret
    for name, receiver in receivers.items():
        verifier = Webhook(hooks[name]["secret"])
        by_id: dict[str, list[int]] = {}
        for request in receiver.hooks():
            assert request.json["id"] == request.webhook_id == verifier.verify(request.body, request.headers)["id"]
            by_id.setdefault(request.webhook_id, []).append(int(request.json["attempt"]))
        assert set(by_id) <= set(events[name]), f"{name}: only its own events"
        for event_id, numbers in by_id.items():
            assert len(numbers) == len(set(numbers)), f"{name}: an attempt POSTed twice: {numbers}"
            assert max(numbers) <= final[name][event_id]["attempt_count"], f"{name}: an attempt not in the log"
    # AND the 429's Retry-After (1 s) was honoured although the schedule's first step is 0 s
    for event_id in events["429 Retry-After"]:
        arrivals = sorted(receivers["429 Retry-After"].attempts(event_id), key=lambda r: r.at)
        assert arrivals[0].reply is not None and arrivals[0].reply.status == 429
        assert arrivals[1].at - arrivals[0].at >= 0.9
    # AND the endpoint that answered 410 is disabled; whatever was still queued for it was skipped, not sent
    gone = webhook_client.get(f"/api/v1/webhook/{hooks['410 Gone']['webhook']['id']}", headers=tenant.key_headers)
    assert gone.json()["webhook"]["enabled"] is False and "410" in gone.json()["webhook"]["disabled_reason"]
    gone_records = list(final["410 Gone"].values())
    assert statuses["410 Gone"]["failed"] >= 1 and all(
        r["attempts"][-1]["status_code"] == 410 for r in gone_records if r["status"] == "failed"
    )
    assert all(not r.get("attempts") for r in gone_records if r["status"] == "skipped")
    posts = sum(len(r.hooks()) for r in receivers.values())
    print(f"\nchaos: {total} events, {posts} POSTs ({late_answers} late 2xx, {unreached} unreached), {settled:.1f} s")
