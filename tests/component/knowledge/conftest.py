"""Knowledge-base fixtures: services wired to the template's bucket and ingest queue, and an ingest pump.

``pump_ingest`` does what the local stack's SQS poller does for DocumentIngestFunction: receive the
queued messages and hand them to the real Lambda handler, with the real receive count.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from local.template import Stack
from tests.gateway import Gateway
from tests.sqs_pump import pump

Pump = Callable[..., dict[str, Any]]


@pytest.fixture
def kb_services(services: Services, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Services:
    """Services with the ingest queue's real URL, in local mode (so URL documents may live on 127.0.0.1)."""
    import boto3

    url = boto3.client("sqs").get_queue_url(QueueName=stack.physical_name("IngestQueue"))["QueueUrl"]
    monkeypatch.setenv("INGEST_QUEUE_URL", url)
    monkeypatch.setenv("LOCAL_MODE", "true")
    get_settings.cache_clear()
    get_services.cache_clear()
    return get_services()


@pytest.fixture
def kb_client(kb_services: Services, gateway: Gateway) -> TestClient:
    return TestClient(gateway, raise_server_exceptions=False)


@pytest.fixture
def pump_ingest(kb_services: Services) -> Pump:
    """Run DocumentIngestFunction over every queued ingest message (``rounds`` receives at most)."""
    from document_ingest.handler import lambda_handler

    url = kb_services.settings.ingest_queue_url
    assert url

    def run(rounds: int = 3) -> dict[str, Any]:
        return dict(pump(url, lambda_handler, "DocumentIngestFunction", rounds=rounds))

    return run


def events_of(services: Services, company_id: str, event: str) -> list[dict[str, Any]]:
    """The outbox events of one type for a company (the items the table's stream hands to the fan-out)."""
    items = services.table.query(f"COMPANY#{company_id}#EVENTS")
    return [i for i in items if i.get("event") == event]


def upload(
    client: TestClient, headers: dict[str, str], agent_id: str, *files: tuple[str, bytes, str], field: str = "files"
) -> Any:
    return client.post(
        "/api/v1/document/upload",
        headers=headers,
        data={"agent_id": agent_id},
        files=[(field, f) for f in files],
    )


def as_json(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response.content)
    return body
