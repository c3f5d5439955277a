"""Tenant isolation: another tenant's ids look missing (404) on every route, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from tests.stack import Tenant


def _snapshot(services: Services) -> list[dict[str, Any]]:
    """Every item except API keys (whose usage counters move on each authenticated call)."""
    raw = services.table.client.scan(TableName=services.table.table_name)["Items"]
    return sorted(
        (i for i in raw if not i["SK"]["S"].startswith("APIKEY#")), key=lambda i: (i["PK"]["S"], i["SK"]["S"])
    )


@pytest.fixture
def victim(client: TestClient, tenant: Tenant) -> dict[str, str]:
    """Tenant A's ids: agent, conversation with messages, a deleted message, lead, API key, task."""
    h = tenant.key_headers
    conversation = client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=h).json()["id"]
    turn = client.post(f"/api/v1/conversation/{conversation}/chat", json={"message": "hi"}, headers=h).json()
    task = client.post(
        f"/api/v1/conversation/{conversation}/chat", json={"message": "hi"}, headers={**h, "Prefer": "respond-async"}
    ).json()["task_id"]
    lead = client.post(
        "/api/v1/sdk/lead", json={"first_name": "A", "last_name": "B", "email": "a@b.example"}, headers=h
    ).json()["lead"]["id"]
    key = client.post("/api/v1/auth/api-keys", json={}, headers=tenant.admin_headers).json()["details"]["id"]
    return {
        "agent": tenant.agent_id,
        "conversation": conversation,
        "message": turn["message_id"],
        "lead": lead,
        "key": key,
        "task": task,
    }


ROUTES = [
    ("GET", "/api/v1/agent/{agent}/embed-code", None),
    ("GET", "/api/v1/agent/{agent}/stats", None),
    ("PUT", "/api/v1/agent/{agent}", {"name": "hijacked"}),
    ("PUT", "/api/v1/sdk/agent/{agent}", {"name": "hijacked"}),
    ("DELETE", "/api/v1/agent/{agent}?force=true", None),
    ("DELETE", "/api/v1/sdk/agent/{agent}?force=true", None),
    ("PATCH", "/api/v1/agent/{agent}/restore", None),
    ("POST", "/api/v1/conversation", {"agent_id": "{agent}"}),
    ("GET", "/api/v1/conversation/agent/{agent}", None),
    ("GET", "/api/v1/conversation/{conversation}", None),
    ("GET", "/api/v1/conversation/{conversation}/messages", None),
    ("POST", "/api/v1/conversation/{conversation}/chat", {"message": "leak?"}),
    ("DELETE", "/api/v1/conversation/{conversation}", None),
    ("PATCH", "/api/v1/conversation/{conversation}/restore", None),
    ("DELETE", "/api/v1/conversation/{conversation}/messages", None),
    ("PATCH", "/api/v1/conversation/{conversation}/message/restore-all", None),
    ("DELETE", "/api/v1/message/{message}", None),
    ("PATCH", "/api/v1/message/{message}/restore", None),
    ("GET", "/api/v1/lead/{lead}", None),
    ("PUT", "/api/v1/sdk/lead/{lead}", {"status": "lost"}),
    ("PUT", "/api/v1/lead/{lead}", {"status": "lost"}),
    ("DELETE", "/api/v1/sdk/lead/{lead}", None),
    ("DELETE", "/api/v1/lead/{lead}", None),
    ("POST", "/api/v1/sdk/lead", {"first_name": "x", "last_name": "y", "email": "x@y.example", "agent_id": "{agent}"}),
    ("DELETE", "/api/v1/auth/api-keys/{key}", None),
    ("GET", "/api/v1/tasks/{task}/status", None),
    ("GET", "/v1/tasks/{task}/status", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_foreign_ids_are_404_and_change_nothing(
    client: TestClient,
    services: Services,
    other_tenant: Tenant,
    victim: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    # GIVEN tenant B (an admin, so scopes are never the reason for a refusal) and tenant A's ids
    before = _snapshot(services)
    json_body = {k: v.format(**victim) for k, v in body.items()} if body else None
    # WHEN B calls the route with A's ids
    response = client.request(method, path.format(**victim), json=json_body, headers=other_tenant.admin_headers)
    # THEN it looks missing, and the table is unchanged
    assert response.status_code == 404, response.text
    assert response.json()["error_code"] == "not_found"
    assert _snapshot(services) == before


LISTS = [
    ("/api/v1/agent", "agents"),
    ("/api/v1/conversation", "conversations"),
    ("/api/v1/conversation/deleted", "deleted_conversations"),
    ("/api/v1/message/deleted", "deleted_messages"),
    ("/api/v1/lead/company", "leads"),
    ("/api/v1/auth/api-keys", "api_keys"),
]


@pytest.mark.parametrize(("path", "key"), LISTS)
def test_lists_never_show_another_tenants_items(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, victim: dict[str, str], path: str, key: str
) -> None:
    client.delete(f"/api/v1/message/{victim['message']}", headers=tenant.key_headers)  # so A has a deleted message
    rows = client.get(path, headers=other_tenant.admin_headers).json()[key]
    assert not set(victim.values()) & {row.get("id") for row in rows}
    assert all(row.get("company_id", other_tenant.company_id) == other_tenant.company_id for row in rows)


def test_company_route_is_the_callers_own(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    assert client.get("/api/v1/company", headers=other_tenant.key_headers).json()["id"] == other_tenant.company_id
    assert client.get("/api/v1/company", headers=tenant.key_headers).json()["id"] == tenant.company_id
