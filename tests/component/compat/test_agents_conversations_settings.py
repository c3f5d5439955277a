"""Knowrithm's agent by name, conversation entity lists, settings test and seed, performance comparison."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.stack import Tenant, new_conversation

ERROR_KEYS = {"detail", "error", "message", "error_code"}


def _visitor(client: TestClient, tenant: Tenant, email: str) -> tuple[str, dict[str, str]]:
    """A widget visitor of the tenant's agent: its lead id and its bearer headers."""
    body = {"agent_id": tenant.agent_id, "first_name": "Vera", "last_name": "V", "email": email}
    registered = client.post("/api/v1/lead/register", json=body)
    assert registered.status_code == 201, registered.text
    data: dict[str, Any] = registered.json()
    return data["lead"]["id"], {"Authorization": f"Bearer {data['access_token']}"}


def test_agent_by_name_is_case_insensitive_and_tenant_scoped(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # GIVEN the tenant's agent "acme helper" WHEN asked by another spelling THEN it is found
    found = client.get("/api/v1/agent/by-name/ACME%20Helper", headers=tenant.key_headers)
    assert found.status_code == 200 and found.json()["agent"]["id"] == tenant.agent_id
    # AND another company's name, or a name nobody has, is 404
    theirs = client.get("/api/v1/agent/by-name/globex%20helper", headers=tenant.key_headers)
    nobody = client.get("/api/v1/agent/by-name/nobody", headers=tenant.key_headers)
    assert theirs.status_code == nobody.status_code == 404 and theirs.json().keys() >= ERROR_KEYS
    # AND a deleted agent is no longer found by name
    client.delete(f"/api/v1/agent/{tenant.agent_id}?force=true", headers=tenant.key_headers)
    assert client.get("/api/v1/agent/by-name/acme%20helper", headers=tenant.key_headers).status_code == 404


def test_entity_routes_list_the_callers_and_one_entitys_conversations(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a conversation started with the API key and one started by a visitor
    by_key = new_conversation(client, tenant)
    lead_id, visitor = _visitor(client, tenant, "vera@example.com")
    made = client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=visitor)
    assert made.status_code == 201, made.text
    by_lead = made.json()["conversation"]["id"] if "conversation" in made.json() else made.json()["id"]
    # WHEN each caller lists its own conversations
    mine = client.get("/api/v1/conversation/entity", headers=tenant.key_headers).json()
    theirs = client.get("/api/v1/conversation/entity", headers=visitor).json()
    # THEN each sees exactly its own
    assert [c["id"] for c in mine["conversations"]] == [by_key] and mine["entity_type"] == "user"
    assert [c["id"] for c in theirs["conversations"]] == [by_lead] and theirs["pagination"]["total"] == 1
    # AND the company lists the visitor's by its id (with or without entity_type)
    for suffix in ("", "?entity_type=lead", "?status=all&per_page=5"):
        listed = client.get(f"/api/v1/conversation/entity/{lead_id}{suffix}", headers=tenant.key_headers).json()
        assert [c["id"] for c in listed["conversations"]] == [by_lead], suffix
    # AND deleted ones only with status=deleted
    client.delete(f"/api/v1/conversation/{by_lead}", headers=tenant.key_headers)
    url = f"/api/v1/conversation/entity/{lead_id}"
    assert client.get(url, headers=tenant.key_headers).json()["conversations"] == []
    deleted = client.get(f"{url}?status=deleted", headers=tenant.key_headers).json()["conversations"]
    assert [c["id"] for c in deleted] == [by_lead]


def test_entity_routes_refuse_foreign_entities_and_bad_filters(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # GIVEN two visitors and another company's conversation
    first, visitor = _visitor(client, tenant, "a@example.com")
    second, _ = _visitor(client, tenant, "b@example.com")
    foreign = new_conversation(client, other_tenant)
    # WHEN a visitor asks for another visitor's list THEN 404
    assert client.get(f"/api/v1/conversation/entity/{second}", headers=visitor).status_code == 404
    # AND another company's entity is not found here, nor an id that is no entity at all
    other_key = client.get("/api/v1/conversation/entity", headers=other_tenant.key_headers).json()
    assert [c["id"] for c in other_key["conversations"]] == [foreign]
    for entity in (other_key["entity_id"], "00000000-0000-4000-8000-000000000000"):
        response = client.get(f"/api/v1/conversation/entity/{entity}", headers=tenant.key_headers)
        assert response.status_code == 404 and response.json().keys() >= ERROR_KEYS
    # AND bad filters are 400
    for bad in ("?status=gone", "?entity_type=robot", "?per_page=0"):
        response = client.get(f"/api/v1/conversation/entity/{first}{bad}", headers=tenant.key_headers)
        assert response.status_code == 400 and response.json().keys() >= ERROR_KEYS, bad


def test_settings_test_checks_the_providers_and_seed_reports_the_catalogue(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # GIVEN the agent's settings
    settings_id = client.get(f"/api/v1/settings/agent/{tenant.agent_id}", headers=tenant.key_headers).json()["id"]
    # WHEN they are tested THEN both choices are available
    tested = client.post(f"/api/v1/settings/test/{settings_id}", headers=tenant.key_headers)
    assert tested.status_code == 200, tested.text
    body = tested.json()
    assert body["success"] is True and body["llm"]["available"] and body["embedding"]["provider"] == "extractive"
    # AND another company's settings are 404
    assert client.post(f"/api/v1/settings/test/{settings_id}", headers=other_tenant.key_headers).status_code == 404
    # AND the seed is an admin's, idempotent, and reports the built-in catalogue
    seeded = [client.post("/api/v1/settings/providers/seed", headers=tenant.admin_headers) for _ in range(2)]
    assert [s.status_code for s in seeded] == [200, 200] and seeded[0].json() == seeded[1].json()
    assert seeded[0].json()["providers"] >= 1
    assert client.post("/api/v1/settings/providers/seed", headers=tenant.key_headers).status_code == 403


def test_performance_comparison_sets_the_agent_against_the_company_average(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a second agent; the first has 2 conversations and the second none
    second = client.post("/api/v1/agent", json={"name": "Quiet one"}, headers=tenant.key_headers)
    assert second.status_code == 201, second.text
    for _ in range(2):
        new_conversation(client, tenant)
    # WHEN the first agent is compared
    url = f"/api/v1/analytic/agent/{tenant.agent_id}/performance-comparison"
    response = client.get(url, headers=tenant.key_headers)
    # THEN its 2 conversations are 100% over the company's per-agent average of 1
    assert response.status_code == 200, response.text
    body = response.json()
    conversations = body["performance_comparison"]["conversations"]
    assert conversations == {"agent_value": 2, "company_average": 1.0, "performance_vs_average_percent": 100.0}
    assert body["agent_info"]["id"] == tenant.agent_id and body["agents_compared"] == 2
    assert set(body["performance_comparison"]) == {
        "conversations",
        "total_messages",
        "satisfaction_rating",
        "response_time",
        "conversions",
    }
    # AND a bad date range is 400, an unknown agent 404
    assert client.get(f"{url}?start_date=yesterday", headers=tenant.key_headers).status_code == 400
    unknown = "/api/v1/analytic/agent/00000000-0000-4000-8000-000000000000/performance-comparison"
    assert client.get(unknown, headers=tenant.key_headers).status_code == 404


def test_one_provider_and_one_model_are_read_from_the_catalogue(client: TestClient, tenant: Tenant) -> None:
    # GIVEN the catalogue's first provider WHEN it is read by id and by name THEN it comes with its models
    first = client.get("/api/v1/providers", headers=tenant.key_headers).json()["providers"][0]
    by_id = client.get(f"/api/v1/providers/{first['id']}", headers=tenant.key_headers).json()
    by_name = client.get(f"/api/v1/providers/{first['name']}", headers=tenant.key_headers).json()
    assert by_id == by_name and by_id["models"] and by_id["models_count"] == len(by_id["models"])
    # AND one of its models is read by id; unknown providers and models are 404
    model = by_id["models"][0]
    url = f"/api/v1/providers/{first['id']}/models"
    assert client.get(f"{url}/{model['id']}", headers=tenant.key_headers).json() == model
    assert client.get(f"{url}/nope", headers=tenant.key_headers).status_code == 404
    assert client.get("/api/v1/providers/nope", headers=tenant.key_headers).status_code == 404
