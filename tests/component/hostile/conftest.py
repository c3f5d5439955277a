"""One moto stack per test module, a seeded tenant with one of each resource, and a snapshot of all state."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from local.resources import create_all
from local.template import Stack, functions
from rest_api.app import create_app
from tests.slack_fake import FakeSlack
from tests.stack import Tenant, make_tenant, new_conversation


@dataclass
class World:
    client: TestClient
    services: Services
    tenant: Tenant
    ids: dict[str, str] = field(default_factory=dict)  # path parameter name -> a real id of the tenant

    def path(self, template: str, *, real: bool) -> str:
        """``template`` with every ``{name}`` filled: the tenant's id for it, or an unknown one."""
        for name in [part[1:-1] for part in template.split("/") if part.startswith("{")]:
            value = self.ids.get(name, str(uuid.uuid4())) if real else str(uuid.uuid4())
            template = template.replace("{" + name + "}", value)
        return template


def _seed(client: TestClient, tenant: Tenant) -> dict[str, str]:
    """One live resource of each kind the write routes name in their paths."""
    h = tenant.key_headers
    conversation = new_conversation(client, tenant)
    turn = client.post(f"/api/v1/conversation/{conversation}/chat", json={"message": "hi"}, headers=h).json()
    lead = client.post(
        "/api/v1/lead", json={"first_name": "A", "last_name": "B", "email": "a@b.example"}, headers=h
    ).json()["lead"]["id"]
    key = client.post("/api/v1/auth/api-keys", json={}, headers=tenant.admin_headers).json()["details"]["id"]
    endpoint = client.post("/api/v1/webhook", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=h)
    document = client.post(
        "/api/v1/document/upload-url", headers=h, json={"agent_id": tenant.agent_id, "filename": "a.md", "size": 9}
    ).json()["document"]["id"]
    settings = client.get(f"/api/v1/settings/agent/{tenant.agent_id}", headers=h).json()["id"]
    ids = {
        "agent_id": tenant.agent_id,
        "conversation_id": conversation,
        "message_id": turn["message_id"],
        "lead_id": lead,
        "key_id": key,
        "document_id": document,
        "settings_id": settings,
    }
    if endpoint.status_code == 201:
        ids["endpoint_id"] = endpoint.json()["id"]
    return ids


@pytest.fixture(scope="module")
def world(template: dict[str, Any]) -> Iterator[World]:
    slack = FakeSlack()  # the Slack connector checks tokens with Slack: a fake on loopback (tests/slack_fake.py)
    with mock_aws(), pytest.MonkeyPatch.context() as env:
        stack = Stack(template)
        create_all(stack)
        for key, value in functions(stack)["ApiConversationsFunction"].environment.items():
            env.setenv(key, value)
        env.setenv("SLACK_API_BASE_URL", slack.base_url)
        get_settings.cache_clear()
        get_services.cache_clear()
        client = TestClient(create_app(), raise_server_exceptions=False)
        tenant = make_tenant(client, "hostile")
        yield World(client, get_services(), tenant, _seed(client, tenant))
        get_settings.cache_clear()
        get_services.cache_clear()
    slack.close()


# An API key's usage and quota windows (rl_h…, rl_d…) move on every request it authenticates, refused or not
KEY_USAGE = ("last_used_at", "usage_count")


def snapshot(services: Services) -> dict[str, Any]:
    """Every DynamoDB item (but API keys' usage), every S3 object (key and ETag) and every queue's message count."""
    table = services.table
    items: list[dict[str, Any]] = []
    for page in table.client.get_paginator("scan").paginate(TableName=table.table_name):
        items.extend(
            {k: v for k, v in item.items() if k not in KEY_USAGE and not k.startswith("rl_")} for item in page["Items"]
        )
    s3 = boto3.client("s3")
    objects = {
        bucket["Name"]: sorted(
            (o["Key"], o["ETag"]) for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        )
        for bucket in s3.list_buckets()["Buckets"]
    }
    sqs = boto3.client("sqs")
    queues = {
        url: sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        for url in sqs.list_queues().get("QueueUrls", [])
    }
    return {"items": sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"])), "objects": objects, "queues": queues}


def error_problems(response: Any) -> list[str]:
    """What is wrong with ``response`` as an answer to bad input: not a 4xx JSON error with the four fields."""
    problems = []
    if not 400 <= response.status_code < 500:
        problems.append(f"status {response.status_code}")
    if "traceback" in response.text.lower():
        problems.append("stack trace in the body")
    try:
        body = response.json()
    except ValueError:
        return [*problems, f"not JSON: {response.text[:80]!r}"]
    missing = [k for k in ("detail", "error", "message", "error_code") if not isinstance(body, dict) or k not in body]
    if missing:
        problems.append(f"missing {missing}")
    return problems


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two snapshots, one line per item (by key and attribute), bucket or queue."""
    old = {(i["PK"]["S"], i["SK"]["S"]): i for i in before["items"]}
    new = {(i["PK"]["S"], i["SK"]["S"]): i for i in after["items"]}
    lines = [f"item {key}: {'added' if key in new else 'removed'}" for key in old.keys() ^ new.keys()]
    for key in old.keys() & new.keys():
        names = {n for n in old[key].keys() | new[key].keys() if old[key].get(n) != new[key].get(n)}
        lines.extend(f"item {key}.{n}: {old[key].get(n)} -> {new[key].get(n)}" for n in sorted(names))
    lines.extend(f"{part} changed" for part in ("objects", "queues") if before[part] != after[part])
    return lines
