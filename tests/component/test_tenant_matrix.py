"""The cross-tenant matrix, generated from the OpenAPI document: every operation with a path id, called by
another tenant (its admin, and a widget lead of its agent) with tenant A's real ids, is 403/404, shows none of
A's data and changes none of A's items. New routes are covered by themselves; a path parameter this test
cannot fill fails it, so a new kind of resource cannot slip by."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from knowrithm_core.store.table import stream_item
from local.template import Stack
from rest_api.app import create_app
from tests.site_server import LocalSite, serve_site
from tests.sqs_pump import pump
from tests.stack import Tenant, make_tenant, new_conversation

# path parameter -> the key of tenant A's id that fills it
TENANT_IDS = {
    "agent_id": "agent",
    "conversation_id": "conversation",
    "message_id": "message",
    "lead_id": "lead",
    "document_id": "document",
    "chunk_id": "chunk",
    "endpoint_id": "endpoint",
    "delivery_id": "delivery",
    "settings_id": "settings",
    "key_id": "key",
    "task_id": "task",
    "company_id": "company",
    "user_id": "user",
    "entity_id": "lead",
    "api_key_id": "key",
    "name": "agent_name",
    "source_id": "website_source",
    "connection_id": "database_connection",
}
# path parameters that name no tenant's data (the provider catalogue is the same for everyone; the operators'
# dead-letter queues, whose routes tests/component/operations covers)
GLOBAL_PARAMS = {"provider_id", "model_id", "queue"}
# a body that passes validation where the route has one, so a refusal comes from ownership, not from shape
BODIES: dict[str, dict[str, Any]] = {  # first match wins: the most specific markers come first
    "/chat": {"message": "leak?"},
    "/reply": {"message": "leak?", "author": {"name": "Mallory"}},
    "/handoff": {"assignee": {"name": "Mallory"}},
    "/clone": {"name": "stolen"},
    "/recover": {"since": "2020-01-01T00:00:00Z"},
    "/test": {"message": "leak?"},
    "/lead/": {"status": "lost"},
    "/agent/": {"name": "hijacked"},
    "/conversation/": {"title": "hijacked"},
    "/webhook/": {"url": "https://93.184.216.34/hook", "events": ["*"]},
    "/settings/": {"widget_config": {"zIndex": 1}},
}
# operations that are public by design: Knowrithm's widget reads an agent, and its widget config (served by
# WidgetFunction, in the same OpenAPI document; origin checks: tests/unit/widget, tests/component/widget), by id
PUBLIC_OPERATIONS = {("GET", "/api/v1/agent/{agent_id}"), ("GET", "/api/v1/widget/config/{agent_id}")}


def _body(path: str) -> dict[str, Any]:
    return next((body for marker, body in BODIES.items() if marker in path), {})


def operations(app_openapi: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(method, path, params) of every operation with a path parameter; fails on a parameter it cannot fill."""
    found = []
    for path, item in app_openapi["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        unknown = set(params) - TENANT_IDS.keys() - GLOBAL_PARAMS
        assert not unknown, f"{path}: teach the tenant matrix how to fill {sorted(unknown)} with tenant A's ids"
        methods = [m.upper() for m in item if m in {"get", "post", "put", "patch", "delete"}]
        if set(params) - GLOBAL_PARAMS:
            found += [(method, path, params) for method in methods if (method, path) not in PUBLIC_OPERATIONS]
    return found


@pytest.fixture
def matrix_services(services: Services, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Services:
    """Services with the template's ingest and delivery queues, in local mode (webhooks to 127.0.0.1)."""
    sqs = boto3.client("sqs")
    for env, queue in (("INGEST_QUEUE_URL", "IngestQueue"), ("DELIVERY_QUEUE_URL", "DeliveryQueue")):
        monkeypatch.setenv(env, sqs.get_queue_url(QueueName=stack.physical_name(queue))["QueueUrl"])
    monkeypatch.setenv("LOCAL_MODE", "true")
    get_settings.cache_clear()
    get_services.cache_clear()
    return get_services()


def _fill(template: str, params: list[str], ids: dict[str, str]) -> str:
    path = template
    for param in params:
        path = path.replace(f"{{{param}}}", ids[TENANT_IDS[param]] if param in TENANT_IDS else "openai")
    return path


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    body: dict[str, Any] = response.json()
    return body


def victim_ids(client: TestClient, services: Services, tenant: Tenant, site: LocalSite, db: Path) -> dict[str, str]:
    """Tenant A's real ids, one of each kind, made through the API (and the workers that make them); ``site`` is a
    website on loopback and ``db`` a SQLite file to register as A's knowledge sources."""
    h = tenant.key_headers
    conversation = new_conversation(client, tenant)
    turn = _ok(client.post(f"/api/v1/conversation/{conversation}/chat", json={"message": "hi"}, headers=h))
    queued = {**h, "Prefer": "respond-async"}
    task = _ok(client.post(f"/api/v1/conversation/{conversation}/chat", json={"message": "hi"}, headers=queued))

    lead = _ok(
        client.post("/api/v1/sdk/lead", json={"first_name": "A", "last_name": "B", "email": "a@b.example"}, headers=h)
    )
    files = [("files", ("mugs.txt", b"Our mugs are fired at 1240 degrees and ship in 3 days.", "text/plain"))]
    upload = _ok(client.post("/api/v1/document/upload", headers=h, data={"agent_id": tenant.agent_id}, files=files))
    document = upload["documents"][0]["id"]
    from document_ingest.handler import lambda_handler

    assert services.settings.ingest_queue_url
    assert pump(services.settings.ingest_queue_url, lambda_handler, "DocumentIngestFunction", rounds=3)["failed"] == 0
    chunk = _ok(client.get(f"/api/v1/document/{document}", headers=h))["document"]["chunks"][0]["id"]
    endpoint = _ok(client.post("/api/v1/webhook", json={"url": "http://127.0.0.1:9/hooks", "events": ["*"]}, headers=h))
    endpoint_id = endpoint["webhook"]["id"]
    for event in [i for i in _items(services) if i["SK"].startswith("EVENT#")][:1]:
        services.fan_out().handle(event)
    delivery = _ok(client.get(f"/api/v1/webhook/{endpoint_id}/deliveries", headers=h))["deliveries"][0]["id"]
    settings = _ok(client.post("/api/v1/settings", json={}, headers=h))["id"]
    key = _ok(client.post("/api/v1/auth/api-keys", json={}, headers=tenant.admin_headers))["details"]["id"]
    user = _ok(client.get("/api/v1/user/profile", headers=tenant.admin_headers))["user"]["id"]
    source = {"agent_id": tenant.agent_id, "base_url": site.url("/"), "max_pages": 2, "max_depth": 1}
    website = _ok(client.post("/api/v1/website/source", json=source, headers=h))
    with sqlite3.connect(db) as database:
        database.execute("CREATE TABLE mugs (id INTEGER PRIMARY KEY, name TEXT)")
    connection = {"name": "Shop", "database_type": "sqlite", "url": f"sqlite:///{db}", "agent_id": tenant.agent_id}
    database_connection = _ok(client.post("/api/v1/database-connection", json=connection, headers=h))
    return {
        "agent": tenant.agent_id,
        "conversation": conversation,
        "message": turn["message_id"],
        "lead": lead["lead"]["id"],
        "document": document,
        "chunk": chunk,
        "endpoint": endpoint_id,
        "delivery": delivery,
        "settings": settings,
        "key": key,
        "task": task["task_id"],
        "company": tenant.company_id,
        "user": user,
        "agent_name": "acme helper",
        "website_source": _id_of(website, "website_source"),
        "database_connection": _id_of(database_connection, "connection"),
    }


def _id_of(body: dict[str, Any], kind: str) -> str:
    """The id in a create response (``{kind: {"id": ...}}`` or a top-level ``id``)."""
    return str(body[kind]["id"] if isinstance(body.get(kind), dict) else body["id"])


def _items(services: Services) -> list[dict[str, Any]]:
    paginator = services.table.client.get_paginator("scan")
    raw = [i for page in paginator.paginate(TableName=services.table.table_name) for i in page["Items"]]
    return sorted((stream_item(i) for i in raw), key=lambda i: (i["PK"], i["SK"]))


def snapshot_of(services: Services, company_id: str) -> list[dict[str, Any]]:
    """Every item of one company, except API keys (their usage counters move on each authenticated call)."""
    return [
        i
        for i in _items(services)
        if company_id in str(i["PK"]) or i.get("company_id") == company_id
        if not str(i["SK"]).startswith("APIKEY#")
    ]


def test_another_tenant_and_its_leads_get_403_or_404_on_every_operation_with_an_id(
    matrix_services: Services, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN tenant A with one item of every kind, and tenant B's admin and a widget lead of B's agent
    client = TestClient(create_app(), raise_server_exceptions=False)
    victim_tenant, other = make_tenant(client, "acme"), make_tenant(client, "globex")
    with serve_site() as site:
        ids = victim_ids(client, matrix_services, victim_tenant, site, tmp_path / "shop.sqlite3")
    visitor = {"first_name": "Lee", "last_name": "Lead", "email": "lee@example.com", "agent_id": other.agent_id}
    lead_token = _ok(client.post("/api/v1/lead/register", json=visitor))["access_token"]
    callers = {"tenant B admin": other.admin_headers, "tenant B lead": {"Authorization": f"Bearer {lead_token}"}}
    ops = operations(client.app.openapi())  # type: ignore[attr-defined]
    before = snapshot_of(matrix_services, victim_tenant.company_id)
    secrets = {value for key, value in ids.items() if key != "company"} | {victim_tenant.api_key, "acme helper"}

    assert len(before) > 20  # A has real items to protect
    # AND A's ids are real: A itself reads each of them
    gets = [(template, params) for method, template, params in ops if method == "GET"]
    own = {t: client.get(_fill(t, p, ids), headers=victim_tenant.admin_headers).status_code for t, p in gets}
    unstreamed = {"/api/v1/conversation/{conversation_id}/messages/stream": 503}  # no streaming backend here
    assert {t: code for t, code in own.items() if code != 200} == unstreamed

    # WHEN each caller tries every operation with A's ids
    leaks = []
    for method, template, params in ops:
        path = _fill(template, params, ids)
        for caller, headers in callers.items():
            response = client.request(method, path, json=_body(template) if method != "GET" else None, headers=headers)
            shown = {s for s in secrets if s in response.text and s not in path}
            if response.status_code not in {403, 404} or shown:
                leaks.append(
                    f"{caller} {method} {template} -> {response.status_code} {sorted(shown)} {response.text[:160]}"
                )

    # THEN every answer is a refusal that shows nothing of A's, and A's items are unchanged
    assert leaks == [], "\n".join(leaks)
    assert json.dumps(
        snapshot_of(matrix_services, victim_tenant.company_id), sort_keys=True, default=str
    ) == json.dumps(before, sort_keys=True, default=str)
    # AND it covers every operation with an id (60 when written; public and catalogue ones aside), both callers
    assert len(ops) >= 60
    with capsys.disabled():
        print(f"\ntenant matrix: {len(ops)} operations x {len(callers)} callers = {len(ops) * len(callers)} requests")


def test_a_path_parameter_the_matrix_cannot_fill_fails_loudly() -> None:
    # GIVEN a route with a new kind of id
    document: dict[str, Any] = {
        "paths": {"/api/v1/widget/{widget_id}": {"get": {}}, "/api/v1/agent/{agent_id}/x": {"get": {}}}
    }
    # THEN the matrix refuses to run without knowing how to fill it
    with pytest.raises(AssertionError, match="widget_id"):
        operations(document)
    assert operations({"paths": {"/api/v1/agent/{agent_id}/x": {"get": {}, "parameters": []}}}) == [
        ("GET", "/api/v1/agent/{agent_id}/x", ["agent_id"])
    ]
