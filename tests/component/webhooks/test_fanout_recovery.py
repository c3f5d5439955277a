"""A fan-out that exhausts its retries -> its on-failure record -> FanoutRecoveryFunction records the missed
deliveries -> ``recover`` replays them -> the receiver (a real local HTTP server) gets the event once.

The outage is real: the delivery queue is deleted from moto while the event is fanned out, so the fan-out's
SendMessageBatch fails; the stream is read by the local stack's stream poller with the template's settings
(one retry instead of 50, to keep the test short).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from local import moto_streams
from local.pollers import build_pollers
from local.stream_poller import StreamPoller
from local.template import Stack, functions
from tests.component.webhooks.conftest import Receiver
from tests.sqs_pump import LambdaContext, pump
from tests.stack import Tenant


@pytest.fixture
def recovery_services(webhook_services: Services, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Services:
    sqs = boto3.client("sqs")
    for variable, queue in (
        ("FANOUT_FAILURE_QUEUE_URL", "FanoutFailureQueue"),
        ("FANOUT_FAILURE_DLQ_URL", "FanoutFailureDLQ"),
    ):
        monkeypatch.setenv(variable, sqs.get_queue_url(QueueName=stack.physical_name(queue))["QueueUrl"])
    get_settings.cache_clear()
    get_services.cache_clear()
    return get_services()


@pytest.fixture
def fan_out_poller(stack: Stack) -> Iterator[StreamPoller]:
    """EventFanoutFunction's stream event source as the template declares it, with one retry."""
    from event_fanout.handler import lambda_handler

    def invoke(function: str, event: dict[str, Any]) -> Any:
        return lambda_handler(event, LambdaContext(function))

    specs = {name: spec for name, spec in functions(stack).items() if name == "EventFanoutFunction"}
    (poller,) = build_pollers(stack, specs, invoke)
    assert isinstance(poller, StreamPoller) and poller.source.on_failure
    poller.source = dataclasses.replace(poller.source, max_retries=1)
    yield poller
    moto_streams.forget_readers()


def _drain(poller: StreamPoller) -> None:
    for _ in range(20):
        if poller.run_once() == 0:
            return
    pytest.fail("the stream poller did not settle")


def _depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_fan_out_that_gave_up_is_recorded_and_recover_delivers_it_once(
    webhook_client: TestClient,
    recovery_services: Services,
    stack: Stack,
    tenant: Tenant,
    receiver: Receiver,
    fan_out_poller: StreamPoller,
) -> None:
    from fanout_recovery.handler import lambda_handler as recovery
    from webhook_delivery.handler import lambda_handler as delivery

    settings = recovery_services.settings
    assert settings.delivery_queue_url and settings.fanout_failure_queue_url and settings.fanout_failure_dlq_url
    sqs = boto3.client("sqs")
    # GIVEN the outbox so far fanned out, then an endpoint for lead.created
    _drain(fan_out_poller)
    created = webhook_client.post(
        "/api/v1/webhook", json={"url": receiver.url, "events": ["lead.created"]}, headers=tenant.key_headers
    )
    endpoint_id = created.json()["webhook"]["id"]
    # AND the delivery queue is gone (an outage of the fan-out's only dependency besides the table)
    kept = sqs.get_queue_attributes(QueueUrl=settings.delivery_queue_url, AttributeNames=["All"])["Attributes"]
    sqs.delete_queue(QueueUrl=settings.delivery_queue_url)
    # WHEN a lead is created and the fan-out fails until it gives up
    lead = {"first_name": "Ada", "last_name": "L", "email": "missed@fanout.example"}
    assert webhook_client.post("/api/v1/sdk/lead", json=lead, headers=tenant.key_headers).status_code < 300
    _drain(fan_out_poller)
    # THEN the stream range went to the on-failure queue
    assert _depth(settings.fanout_failure_queue_url) == 1
    # WHEN the queue is back and FanoutRecoveryFunction reads the on-failure record
    names = ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy")
    sqs.create_queue(QueueName=stack.physical_name("DeliveryQueue"), Attributes={n: kept[n] for n in names})
    assert pump(settings.fanout_failure_queue_url, recovery, "FanoutRecoveryFunction", rounds=2) == {
        "handled": 1,
        "failed": 0,
    }
    # THEN the missed delivery is recorded failed, never attempted, and nothing was sent
    failed = webhook_client.get(
        f"/api/v1/webhook/{endpoint_id}/deliveries", params={"status": "failed"}, headers=tenant.key_headers
    ).json()["deliveries"]
    assert [(d["event_type"], d["attempt_count"]) for d in failed] == [("lead.created", 0)]
    assert receiver.received == [] and _depth(settings.delivery_queue_url) == 0
    # WHEN recover replays the endpoint's failed deliveries and the delivery function runs (twice over)
    recovered = webhook_client.post(
        f"/api/v1/webhook/{endpoint_id}/recover", json={"since": "2000-01-01"}, headers=tenant.key_headers
    )
    assert recovered.status_code == 202 and recovered.json()["recovered"] == 1
    pump(settings.delivery_queue_url, delivery, "WebhookDeliveryFunction", rounds=2)
    pump(settings.delivery_queue_url, delivery, "WebhookDeliveryFunction", rounds=2)
    # THEN the receiver got the lead.created event exactly once, with the event id the outbox gave it
    assert [r.json["event"] for r in receiver.received] == ["lead.created"]
    assert receiver.received[0].json["data"]["email"] == "missed@fanout.example"
    assert receiver.received[0].headers["webhook-id"] == failed[0]["event_id"]
    # AND nothing is left on the on-failure queue or its DLQ
    assert _depth(settings.fanout_failure_queue_url) == 0 and _depth(settings.fanout_failure_dlq_url) == 0


def test_a_message_that_is_not_an_on_failure_record_goes_to_the_dlq(recovery_services: Services) -> None:
    from fanout_recovery.handler import lambda_handler as recovery

    settings = recovery_services.settings
    assert settings.fanout_failure_queue_url and settings.fanout_failure_dlq_url
    # GIVEN a message without a timestamp (not Lambda's invocation record)
    boto3.client("sqs").send_message(QueueUrl=settings.fanout_failure_queue_url, MessageBody=json.dumps({"x": 1}))
    # WHEN the function reads it
    pump(settings.fanout_failure_queue_url, recovery, "FanoutRecoveryFunction", rounds=1)
    # THEN it is in the DLQ at once, not retried
    assert _depth(settings.fanout_failure_queue_url) == 0 and _depth(settings.fanout_failure_dlq_url) == 1
