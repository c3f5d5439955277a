"""Leads: public registration with lead tokens, and management over the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.stack import Tenant

VISITOR = {"first_name": "Vera", "last_name": "Visitor", "email": "Vera@Example.com", "phone": "+1 555 0100"}


def _register(client: TestClient, agent_id: str, **extra: object) -> dict[str, object]:
    response = client.post("/api/v1/lead/register", json={**VISITOR, "agent_id": agent_id, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_register_returns_lead_and_tokens_and_again_returns_the_same_lead(client: TestClient, tenant: Tenant) -> None:
    first = _register(client, tenant.agent_id)
    assert first["access_token"] and first["refresh_token"] and first["tokens"]
    lead = first["lead"]
    assert isinstance(lead, dict) and lead["email"] == "vera@example.com" and lead["company"]["id"] == tenant.company_id
    again = _register(client, tenant.agent_id)
    assert again["lead"]["id"] == lead["id"] and again["created"] is False  # type: ignore[index]


def test_lead_token_uses_only_its_own_conversations_with_its_agent(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    token = str(_register(client, tenant.agent_id)["access_token"])
    lead = {"Authorization": f"Bearer {token}"}
    # WHEN the lead starts a conversation with its agent and chats
    conversation = client.post(
        "/api/v1/conversation", json={"agent_id": tenant.agent_id, "title": "Website Chat"}, headers=lead
    )
    assert conversation.status_code == 201
    conversation_id = conversation.json()["id"]
    reply = client.post(f"/api/v1/conversation/{conversation_id}/chat", json={"message": "returns?"}, headers=lead)
    assert reply.status_code == 200 and "30 days" in reply.json()["response"]
    assert client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=lead).status_code == 200
    # THEN it cannot reach another agent, someone else's conversation, or management routes
    second_agent = client.post("/api/v1/agent", json={"name": "Other"}, headers=tenant.key_headers).json()
    other_agent = client.post("/api/v1/conversation", json={"agent_id": second_agent["agent"]["id"]}, headers=lead)
    assert other_agent.status_code == 403
    staff_conversation = client.post(
        "/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=tenant.key_headers
    ).json()["id"]
    assert client.get(f"/api/v1/conversation/{staff_conversation}/messages", headers=lead).status_code == 404
    assert (
        client.post(f"/api/v1/conversation/{staff_conversation}/chat", json={"message": "x"}, headers=lead).status_code
        == 404
    )
    assert client.get("/api/v1/agent", headers=lead).status_code == 403
    assert client.get("/api/v1/lead/company", headers=lead).status_code == 403
    assert client.delete(f"/api/v1/conversation/{conversation_id}", headers=lead).status_code == 403
    mine = client.get("/api/v1/conversation", headers=lead).json()["conversations"]
    assert [c["id"] for c in mine] == [conversation_id]
    # AND the lead refresh token gives new lead tokens
    refreshed = client.post(
        "/api/v1/auth/refresh",
        headers={"Authorization": f"Bearer {_register(client, tenant.agent_id)['refresh_token']}"},
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]


def test_register_rejects_bad_input_and_unknown_agents(client: TestClient, tenant: Tenant) -> None:
    for body in (
        {**VISITOR},
        {**VISITOR, "agent_id": tenant.agent_id, "email": "not-an-email"},
        {**VISITOR, "agent_id": tenant.agent_id, "first_name": "x" * 101},
    ):
        assert client.post("/api/v1/lead/register", json=body).status_code == 400
    unknown = client.post("/api/v1/lead/register", json={**VISITOR, "agent_id": "0195f0a0-0000-7000-8000-000000000000"})
    assert unknown.status_code == 404
    assert client.get("/api/v1/lead/company", headers=tenant.key_headers).json()["leads"] == []


def test_manage_leads_over_the_api(client: TestClient, tenant: Tenant) -> None:
    created = client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "Al", "last_name": "Api", "email": "al@x.example", "tags": ["vip"]},
        headers=tenant.key_headers,
    )
    assert created.status_code == 201
    lead_id = created.json()["lead"]["id"]
    duplicate = client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "Al", "last_name": "Two", "email": "AL@x.example"},
        headers=tenant.key_headers,
    )
    assert duplicate.status_code == 409
    fetched = client.get(f"/api/v1/lead/{lead_id}", headers=tenant.key_headers).json()
    assert fetched["success"] is True and fetched["lead"]["company"]["id"] == tenant.company_id
    updated = client.put(
        f"/api/v1/sdk/lead/{lead_id}",
        json={"status": "qualified", "email": "al@new.example"},
        headers=tenant.key_headers,
    ).json()
    assert updated["lead"]["status"] == "qualified" and updated["lead"]["version"] == 2
    reuse_old_email = client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "B", "last_name": "C", "email": "al@x.example"},
        headers=tenant.key_headers,
    )
    assert reuse_old_email.status_code == 201  # the old email was released
    listed = client.get("/api/v1/lead/company?status=qualified", headers=tenant.key_headers).json()
    assert [x["id"] for x in listed["leads"]] == [lead_id] == [x["id"] for x in listed["data"]["leads"]]
    assert client.delete(f"/api/v1/sdk/lead/{lead_id}", headers=tenant.key_headers).json()["success"] is True
    assert client.get(f"/api/v1/lead/{lead_id}", headers=tenant.key_headers).status_code == 404
