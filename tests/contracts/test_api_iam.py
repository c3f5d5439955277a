"""Least-privilege IAM per API function: what each group's routes call is allowed, and nothing more is granted
than the groups need (only documents touches the bucket's uploads and the ingest queue, and so on)."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from local.template import Stack
from tests.gateway import AwsCalls, Gateway
from tests.iam import allowed, missing
from tests.stack import make_tenant, new_conversation

API_FUNCTIONS = {
    "ApiAccountsFunction",
    "ApiAgentsFunction",
    "ApiConversationsFunction",
    "ApiLeadsFunction",
    "ApiDocumentsFunction",
    "ApiWebhooksFunction",
    "ApiAnalyticsFunction",
    "ApiSystemFunction",
    "ApiOperationsFunction",
}


@pytest.fixture
def real_queues(services: Services, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Services:
    """Services whose queue variables hold moto's real URLs (the template's !Ref is a placeholder here)."""
    sqs = boto3.client("sqs")
    for variable, queue in (
        ("INGEST_QUEUE_URL", "IngestQueue"),
        ("DELIVERY_QUEUE_URL", "DeliveryQueue"),
        ("DELIVERY_DLQ_URL", "DeliveryDLQ"),
    ):
        monkeypatch.setenv(variable, sqs.get_queue_url(QueueName=stack.physical_name(queue))["QueueUrl"])
    monkeypatch.setenv("LOCAL_MODE", "true")  # a loopback webhook URL is allowed
    get_settings.cache_clear()
    get_services.cache_clear()
    return get_services()


def _exercise_every_group(client: TestClient) -> None:
    """A request sequence that reaches every API function (what a new tenant does on its first day)."""
    tenant = make_tenant(client, "iamco")  # accounts (company, user, login, API key), agents (agent)
    keys = tenant.key_headers
    conversation = new_conversation(client, tenant)
    asked = client.post(f"/api/v1/conversation/{conversation}/chat", json={"message": "shipping?"}, headers=keys)
    visitor = {"agent_id": tenant.agent_id, "first_name": "Lee", "last_name": "Reader", "email": "lee@iamco.example"}
    lead = client.post("/api/v1/lead/register", json=visitor)
    uploaded = client.post(
        "/api/v1/document/upload",
        headers=keys,
        data={"agent_id": tenant.agent_id},
        files=[("files", ("faq.txt", b"Mugs ship in 3 days.", "text/plain"))],
    )
    hook = client.post("/api/v1/webhook", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=keys)
    tested = client.post(f"/api/v1/webhook/{hook.json()['webhook']['id']}/test", headers=keys)
    dashboard = client.get("/api/v1/analytic/dashboard", headers=keys)
    agent_test = client.post(f"/api/v1/agent/{tenant.agent_id}/test", json={"message": "returns?"}, headers=keys)
    health = client.get("/health")
    redrive = client.post("/api/v1/operations/dlq/delivery/redrive", headers=tenant.admin_headers)
    replies = (asked, lead, uploaded, hook, tested, dashboard, agent_test, health, redrive)
    statuses = [r.status_code for r in replies]
    assert statuses == [200, 201, 200, 201, 202, 200, 200, 200, 200], [r.text[:300] for r in (lead, agent_test)]


def test_every_group_calls_only_what_its_policies_allow(
    real_queues: Services, gateway: Gateway, aws_calls: AwsCalls
) -> None:
    # GIVEN the API behind the template's routing, every AWS call recorded for the function that made it
    client = TestClient(gateway, raise_server_exceptions=False)
    # WHEN a tenant uses every resource group
    _exercise_every_group(client)
    calls = {fn: set(needs) for fn, needs in aws_calls.by_function.items()}
    # THEN every API function served and called AWS, and its IAM policies allow each call
    assert set(calls) == API_FUNCTIONS
    assert aws_calls.not_allowed() == {}
    # AND the calls are the real ones: the bucket and ingest queue from documents, the JWT secret from accounts
    # (the webhooks function's retry and recover re-queue deliveries: tests/component/webhooks, same check)
    assert ("sqs:SendMessage", "queue:IngestQueue") in calls["ApiDocumentsFunction"]
    assert any(a == "s3:PutObject" and r.startswith("bucket:DocumentBucket/") for a, r in calls["ApiDocumentsFunction"])
    assert ("secretsmanager:GetSecretValue", "secret:JwtSecret") in calls["ApiAccountsFunction"]
    assert calls["ApiSystemFunction"] == {("dynamodb:GetItem", "table:AppTable")}


def test_a_call_the_policies_do_not_allow_is_reported(template: dict[str, Any]) -> None:
    # GIVEN the documents function without its S3 statement
    trimmed = copy.deepcopy(template)
    policies = trimmed["Resources"]["ApiDocumentsFunction"]["Properties"]["Policies"]
    policies[:] = [p for p in policies if not any("s3:" in str(s.get("Action")) for s in p.get("Statement", []))]
    upload = [("s3:PutObject", "bucket:DocumentBucket/documents/c1/d1/faq.txt")]
    # THEN an upload's PutObject is missing there, and allowed by the real template
    assert missing(allowed(Stack(trimmed), "ApiDocumentsFunction"), upload) == set(upload)
    assert missing(allowed(Stack(template), "ApiDocumentsFunction"), upload) == set()


def _grants(stack: Stack, prefix: str) -> set[str]:
    return {fn for fn in API_FUNCTIONS if any(a.startswith(prefix) for a, _ in allowed(stack, fn))}


def test_only_the_groups_that_need_a_resource_are_granted_it(template: dict[str, Any]) -> None:
    # GIVEN the template's API functions
    stack = Stack(template)
    queues = {
        fn: {r.removeprefix("queue:") for a, r in allowed(stack, fn) if a.startswith("sqs:")} for fn in API_FUNCTIONS
    }
    # THEN the bucket's writes and the ingest queue are the documents function's; the chat queue is chat's;
    # Bedrock (and reading indexes) only where an answer is generated; the JWT secret wherever callers sign in
    writes = {
        fn for fn in API_FUNCTIONS if any(a in ("s3:PutObject", "s3:DeleteObject") for a, _ in allowed(stack, fn))
    }
    assert writes == {"ApiDocumentsFunction"}
    assert {fn for fn, q in queues.items() if q} == {
        "ApiDocumentsFunction",
        "ApiConversationsFunction",
        "ApiWebhooksFunction",
        "ApiOperationsFunction",  # DLQ redrive: each DLQ and its source queue
    }
    assert queues["ApiDocumentsFunction"] == {"IngestQueue"} and queues["ApiConversationsFunction"] == {"ChatQueue"}
    assert queues["ApiWebhooksFunction"] == {"DeliveryQueue"}
    dlqs = {"DeliveryDLQ", "IngestDLQ", "ChatDLQ", "FanoutFailureDLQ"}
    assert queues["ApiOperationsFunction"] == dlqs | {"DeliveryQueue", "IngestQueue", "ChatQueue", "FanoutFailureQueue"}
    # (ApiDocumentsFunction: POST /search/database asks Bedrock for the SELECT when the agent answers with it)
    assert _grants(stack, "bedrock:") == {"ApiConversationsFunction", "ApiAnalyticsFunction", "ApiDocumentsFunction"}
    assert _grants(stack, "secretsmanager:") == API_FUNCTIONS - {"ApiSystemFunction"}
    assert allowed(stack, "ApiSystemFunction") == [("dynamodb:GetItem", "table:AppTable")]
