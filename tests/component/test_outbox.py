"""The transactional outbox: each reported change writes its event in the same transaction, and only then."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from tests.stack import Tenant


def _events(services: Services, company_id: str) -> list[dict[str, Any]]:
    return services.table.query(f"COMPANY#{company_id}#EVENTS")


def test_every_change_writes_its_event(client: TestClient, services: Services, tenant: Tenant) -> None:
    h = tenant.key_headers
    client.put(f"/api/v1/agent/{tenant.agent_id}", json={"name": "New name"}, headers=h)
    conversation = client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=h).json()["id"]
    client.post(f"/api/v1/conversation/{conversation}/chat", json={"message": "hello"}, headers=h)
    client.delete(f"/api/v1/conversation/{conversation}", headers=h)
    registered = client.post(
        "/api/v1/lead/register",
        json={"agent_id": tenant.agent_id, "first_name": "A", "last_name": "B", "email": "a@b.example"},
    ).json()
    client.put(f"/api/v1/sdk/lead/{registered['lead']['id']}", json={"status": "contacted"}, headers=h)
    events = _events(services, tenant.company_id)
    names = [e["event"] for e in events]  # UUIDv7 ids: in commit order
    assert names == [
        "agent.created",
        "agent.updated",
        "conversation.started",
        "message.received",
        "conversation.ended",
        "lead.created",
        "lead.registered",
        "lead.updated",
    ]
    by_name = {e["event"]: e for e in events}
    assert by_name["message.received"]["data"]["content"] == "hello"
    assert by_name["lead.updated"]["data"]["status"] == "contacted" and by_name["lead.updated"]["resource_version"] == 2
    assert all(
        e["_type"] == "event" and e["expires_at_epoch"] > 0 and e["company_id"] == tenant.company_id for e in events
    )


def test_a_change_that_fails_writes_no_event(client: TestClient, services: Services, tenant: Tenant) -> None:
    lead = {"first_name": "A", "last_name": "B", "email": "dup@b.example"}
    assert client.post("/api/v1/sdk/lead", json=lead, headers=tenant.key_headers).status_code == 201
    before = len(_events(services, tenant.company_id))
    # WHEN the same email is created again (its uniqueness condition fails inside the transaction)
    assert client.post("/api/v1/sdk/lead", json=lead, headers=tenant.key_headers).status_code == 409
    # THEN neither the lead nor its event exists
    assert len(_events(services, tenant.company_id)) == before
    assert client.get("/api/v1/lead/company", headers=tenant.key_headers).json()["pagination"]["total"] == 1
