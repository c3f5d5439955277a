"""Agent extras: ``POST /agent/{id}/test`` (stores nothing) and ``POST /agent/{id}/clone`` (inactive copy)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from tests.stack import Tenant


def _items(services: Services, company_id: str, prefix: str) -> list[dict[str, Any]]:
    raw = services.table.client.scan(TableName=services.table.table_name)["Items"]
    return [i for i in raw if i["PK"]["S"].startswith(f"COMPANY#{company_id}{prefix}")]


def test_test_answers_with_the_configured_responder_and_stores_no_messages(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    # GIVEN an agent that knows its returns policy
    before = len(_items(services, tenant.company_id, "#CONV#"))
    # WHEN it is tested with a question
    response = client.post(
        f"/api/v1/agent/{tenant.agent_id}/test",
        json={"query": "What is your returns policy?"},
        headers=tenant.key_headers,
    )
    # THEN the answer comes back in the CLI's shape, as a string, with the LLM config
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agent"]["name"] == "acme helper" and body["query"] == "What is your returns policy?"
    assert isinstance(body["response"], str) and "30 days" in body["response"] and body["content"] == body["response"]
    assert body["citations"] == [] and body["llm_config"] == {
        "provider": "extractive",
        "model": "extractive",
        "temperature": 0.7,
        "max_tokens": 1000,
    }
    assert body["metadata"]["stored"] is False and body["metadata"]["answered"] is True
    assert "task_id" not in body and "status_url" not in body  # a synchronous answer, never mistaken for a task
    # AND no conversation or message was stored; the test is counted in the agent's analytics
    assert len(_items(services, tenant.company_id, "#CONV#")) == before
    report = client.get(f"/api/v1/analytic/agent/{tenant.agent_id}", headers=tenant.key_headers).json()
    assert report["agent_tests"] == 1 and report["message_metrics"]["total"] == 0


def test_test_without_a_query_uses_a_default_prompt(client: TestClient, tenant: Tenant) -> None:
    for body in ({}, {"query": "   "}):
        response = client.post(f"/api/v1/agent/{tenant.agent_id}/test", json=body, headers=tenant.key_headers)
        assert response.status_code == 200, response.text
        assert response.json()["query"] and response.json()["response"]


def test_test_rejects_bad_input_and_unknown_agents(client: TestClient, tenant: Tenant) -> None:
    path = f"/api/v1/agent/{tenant.agent_id}/test"
    assert client.post(path, json={"query": 42}, headers=tenant.key_headers).status_code == 400
    assert client.post(path, json={"query": "x" * 20_001}, headers=tenant.key_headers).status_code == 400
    assert client.post(path, json=["q"], headers=tenant.key_headers).status_code == 400
    unknown = client.post("/api/v1/agent/not-an-id/test", json={}, headers=tenant.key_headers)
    assert unknown.status_code == 404 and unknown.json()["error_code"] == "not_found"


def test_clone_makes_an_inactive_copy_and_reports_agent_created(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    original = client.get(f"/api/v1/agent/{tenant.agent_id}", headers=tenant.key_headers).json()["agent"]
    # WHEN the agent is cloned without a name
    response = client.post(f"/api/v1/agent/{tenant.agent_id}/clone", json={}, headers=tenant.key_headers)
    # THEN a new inactive agent has the original's fields and a copy of its settings under a new id
    assert response.status_code == 201, response.text
    body = response.json()
    clone = body["agent"]
    assert body["clone_agent_id"] == clone["id"] != tenant.agent_id and body["source_agent_id"] == tenant.agent_id
    assert clone["status"] == "inactive" and clone["name"] == "acme helper (copy)"
    assert clone["description"] == original["description"] and clone["languages"] == original["languages"]
    assert clone["total_conversations"] == 0 and clone["total_messages"] == 0
    assert clone["settings"]["id"] == clone["llm_settings_id"] != original["settings"]["id"]
    assert clone["settings"]["llm_model_name"] == original["settings"]["llm_model_name"]
    # AND it is a real agent, and agent.created was written with it
    listed = client.get("/api/v1/agent", headers=tenant.key_headers).json()["agents"]
    assert {a["id"] for a in listed} == {tenant.agent_id, clone["id"]}
    events = services.table.query(f"COMPANY#{tenant.company_id}#EVENTS")
    created = [e for e in events if e["event"] == "agent.created" and e["data"]["id"] == clone["id"]]
    assert len(created) == 1 and created[0]["data"]["status"] == "inactive"
    # AND the inactive clone can still be tried out before it goes live
    tried = client.post(f"/api/v1/agent/{clone['id']}/test", json={"query": "returns?"}, headers=tenant.key_headers)
    assert tried.status_code == 200 and "30 days" in tried.json()["response"]


def test_clone_with_a_name_and_other_settings(client: TestClient, tenant: Tenant) -> None:
    # GIVEN company-level settings with another temperature
    settings = client.post(
        "/api/v1/settings", json={"llm_provider": "extractive", "llm_temperature": 0.2}, headers=tenant.key_headers
    )
    assert settings.status_code in (200, 201, 202), settings.text
    settings_id = settings.json()["id"]
    # WHEN the agent is cloned with a name and those settings
    response = client.post(
        f"/api/v1/sdk/agent/{tenant.agent_id}/clone",
        json={"name": "Night shift", "llm_settings_id": settings_id},
        headers=tenant.key_headers,
    )
    # THEN the clone carries a copy of them
    assert response.status_code == 201, response.text
    clone = response.json()["agent"]
    assert clone["name"] == "Night shift" and clone["settings"]["llm_temperature"] == 0.2
    assert clone["temperature"] == 0.2 and clone["llm_settings_id"] != settings_id


def test_clone_rejects_bad_input(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    path = f"/api/v1/agent/{tenant.agent_id}/clone"
    h = tenant.key_headers
    assert client.post(path, json={"name": ""}, headers=h).status_code == 400
    assert client.post(path, json={"name": "x" * 201}, headers=h).status_code == 400
    assert client.post(path, json={"llm_settings_id": "nope"}, headers=h).status_code == 404
    # another tenant's settings are as unknown as made-up ones
    foreign = client.get(f"/api/v1/agent/{other_tenant.agent_id}", headers=other_tenant.key_headers).json()
    foreign_settings = foreign["agent"]["settings"]["id"]
    assert client.post(path, json={"llm_settings_id": foreign_settings}, headers=h).status_code == 404
    assert len(client.get("/api/v1/agent", headers=h).json()["agents"]) == 1  # nothing was made
