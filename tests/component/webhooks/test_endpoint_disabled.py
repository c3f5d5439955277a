"""The 5-day auto-disable branch: ``webhook.endpoint.disabled`` in the outbox, delivered to subscribers, and a
notice on the alarm topic (SNS, read back through an SQS subscription on moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from knowrithm_core.models.events import EndpointDisabled
from tests.component.webhooks.conftest import Receiver, Script
from tests.component.webhooks.test_pipeline import _events, _pump, _register
from tests.stack import Tenant


class Clock:
    """The delivery worker's clock (``knowrithm_core.services.delivery.now``), moved by the test."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment

    def start(self) -> None:
        """Now, after the records the test made are due (they are stamped with the real clock)."""
        self.moment = datetime.now(UTC) + timedelta(seconds=1)


@pytest.fixture
def alarm_inbox(webhook_services: Services, monkeypatch: pytest.MonkeyPatch) -> tuple[Services, str]:
    """An SNS alarm topic with an SQS queue subscribed (raw delivery off: SNS's JSON envelope), and services
    whose delivery worker publishes to it."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="knowrithm-test-AlarmTopic")["TopicArn"]
    inbox = sqs.create_queue(QueueName="alarm-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    monkeypatch.setenv("ALARM_TOPIC_ARN", topic)
    get_settings.cache_clear()
    get_services.cache_clear()
    return get_services(), inbox


def _notices(inbox: str) -> list[dict[str, Any]]:
    got = boto3.client("sqs").receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def test_an_endpoint_failing_for_five_days_is_disabled_reported_and_notified(
    webhook_client: TestClient,
    alarm_inbox: tuple[Services, str],
    tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services, inbox = alarm_inbox
    clock = Clock()
    monkeypatch.setattr("knowrithm_core.services.delivery.now", clock)
    # GIVEN a failing endpoint for lead.created, and a healthy one subscribed to webhook.endpoint.disabled
    watcher = Receiver()
    try:
        failing = _register(webhook_client, tenant, receiver.url, ["lead.created"], services=services)
        _register(webhook_client, tenant, watcher.url, ["webhook.endpoint.disabled"])
        failing_id = failing["webhook"]["id"]
        receiver.script = [Script(500)] * 10
        lead = {"first_name": "A", "last_name": "B", "email": "five@days.example"}
        assert webhook_client.post("/api/v1/sdk/lead", json=lead, headers=tenant.key_headers).status_code < 300
        clock.start()
        # WHEN it fails now, 4 days later (still enabled), then 5 days and a minute after the first failure
        _pump(services)
        clock.moment += timedelta(days=4)
        _pump(services)
        state = webhook_client.get(f"/api/v1/webhook/{failing_id}", headers=tenant.key_headers).json()["webhook"]
        assert state["enabled"] is True and state["consecutive_failures"] == 2
        clock.moment += timedelta(days=1, minutes=1)
        _pump(services)
        # THEN it is disabled with the reason, after 3 POSTs
        state = webhook_client.get(f"/api/v1/webhook/{failing_id}", headers=tenant.key_headers).json()["webhook"]
        assert state["enabled"] is False and state["disabled_reason"] == "The endpoint kept failing."
        assert len(receiver.received) == 3
        # AND exactly one webhook.endpoint.disabled event is in the outbox, valid against its catalogue schema
        disabled = [e for e in _events(services) if e["event"] == "webhook.endpoint.disabled"]
        assert len(disabled) == 1
        data = EndpointDisabled.model_validate(disabled[0]["data"])
        assert data.endpoint_id == failing_id and data.consecutive_failures == 3 and data.url == receiver.url
        # AND the subscriber receives it once the fan-out runs
        _pump(services)
        got = [r.json for r in watcher.received]
        assert [(g["event"], g["data"]["endpoint_id"]) for g in got] == [("webhook.endpoint.disabled", failing_id)]
        # AND the alarm topic got one notice with the same data
        notices = _notices(inbox)
        assert len(notices) == 1 and notices[0]["Subject"].startswith("Webhook endpoint disabled")
        assert json.loads(notices[0]["Message"])["endpoint_id"] == failing_id
    finally:
        watcher.close()


def test_four_days_of_failures_do_not_disable(
    webhook_client: TestClient,
    alarm_inbox: tuple[Services, str],
    tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services, inbox = alarm_inbox
    clock = Clock()
    monkeypatch.setattr("knowrithm_core.services.delivery.now", clock)
    # GIVEN a failing endpoint
    endpoint_id = _register(webhook_client, tenant, receiver.url, ["lead.created"], services=services)["webhook"]["id"]
    receiver.script = [Script(500)] * 10
    lead = {"first_name": "A", "last_name": "B", "email": "four@days.example"}
    assert webhook_client.post("/api/v1/sdk/lead", json=lead, headers=tenant.key_headers).status_code < 300
    clock.start()
    # WHEN it fails for just under 5 days
    _pump(services)
    clock.moment += timedelta(days=4, hours=23)
    _pump(services)
    # THEN it stays enabled, and nothing is reported
    state = webhook_client.get(f"/api/v1/webhook/{endpoint_id}", headers=tenant.key_headers).json()["webhook"]
    assert state["enabled"] is True and state["consecutive_failures"] == 2
    assert not [e for e in _events(services) if e["event"] == "webhook.endpoint.disabled"]
    assert _notices(inbox) == []
