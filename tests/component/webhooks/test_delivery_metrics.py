"""Webhook metrics as EventFanoutFunction and WebhookDeliveryFunction write them (EMF on stdout): messages fanned
out, deliveries by outcome, and each POST's latency."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.observability import SERVICE_NAME
from knowrithm_core.store.table import stream_item
from tests.component.webhooks.conftest import Receiver, Script
from tests.emf import named
from tests.sqs_pump import LambdaContext, pump
from tests.stack import Tenant


def _fan_out(services: Services) -> None:
    """Hand every outbox event to EventFanoutFunction as its DynamoDB stream would (one INSERT record each)."""
    from event_fanout.handler import lambda_handler

    raw = services.table.client.scan(TableName=services.table.table_name)["Items"]
    events = [i for i in raw if stream_item(i).get("_type") == "event"]
    records = [
        {"eventID": str(n), "eventName": "INSERT", "dynamodb": {"NewImage": item, "SequenceNumber": str(n)}}
        for n, item in enumerate(events, 1)
    ]
    result = lambda_handler({"Records": records}, LambdaContext("EventFanoutFunction"))
    assert result["batchItemFailures"] == []


def _deliver(services: Services, rounds: int) -> None:
    from webhook_delivery.handler import lambda_handler

    assert services.delivery_queue is not None
    pump(services.delivery_queue.queue_url, lambda_handler, "WebhookDeliveryFunction", rounds=rounds, batch=1)


def _lead_event(client: TestClient, tenant: Tenant, receiver: Receiver) -> None:
    """An endpoint subscribed to ``lead.created`` (earlier events already fanned out), then a new lead."""
    created = client.post(
        "/api/v1/webhook", json={"url": receiver.url, "events": ["lead.created"]}, headers=tenant.key_headers
    )
    assert created.status_code == 201, created.text
    lead = {"first_name": "A", "last_name": "B", "email": "metrics@b.example"}
    assert client.post("/api/v1/sdk/lead", json=lead, headers=tenant.key_headers).status_code in (200, 201)


def test_a_successful_delivery_counts_its_fan_out_outcome_and_latency(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver, emf: Any
) -> None:
    # GIVEN an endpoint subscribed to lead.created and a new lead
    _lead_event(webhook_client, tenant, receiver)
    emf()
    # WHEN the fan-out and the delivery functions run
    _fan_out(webhook_services)
    fanned = emf()
    _deliver(webhook_services, rounds=1)
    delivered = emf()
    # THEN the fan-out counted its one message, and the delivery one success with its POST's latency
    assert len(receiver.received) == 1
    assert named(fanned, "FanoutMessages") == [("Count", {"service": SERVICE_NAME}, [1.0])]
    succeeded = {"service": SERVICE_NAME, "outcome": "succeeded"}
    assert named(delivered, "WebhookDeliveries") == [("Count", succeeded, [1.0])]
    ((unit, dimensions, (latency,)),) = named(delivered, "WebhookDeliveryLatency")
    assert unit == "Milliseconds" and dimensions == {"service": SERVICE_NAME} and latency > 0


def test_failed_deliveries_count_a_retry_then_the_endpoint_disabled(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver, emf: Any
) -> None:
    # GIVEN an endpoint that answers 500, then 410 Gone
    _lead_event(webhook_client, tenant, receiver)
    receiver.script = [Script(500), Script(410)]
    _fan_out(webhook_services)
    emf()
    # WHEN the delivery function tries twice
    _deliver(webhook_services, rounds=1)
    first = emf()
    _deliver(webhook_services, rounds=1)
    second = emf()
    # THEN the first attempt counted as retried, the second as disabling the endpoint; both with their latency
    assert len(receiver.received) == 2
    assert named(first, "WebhookDeliveries") == [("Count", {"service": SERVICE_NAME, "outcome": "retried"}, [1.0])]
    assert named(second, "WebhookDeliveries") == [("Count", {"service": SERVICE_NAME, "outcome": "disabled"}, [1.0])]
    assert len(named(first + second, "WebhookDeliveryLatency")) == 2
