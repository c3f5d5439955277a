"""Agents: both create shapes, provider resolution, listing, public view, update, delete, restore, extras."""

from __future__ import annotations

from fastapi.testclient import TestClient

from knowrithm_core.services.providers import stable_id
from tests.stack import Tenant


def test_create_with_provider_names_nested_case_insensitive(client: TestClient, tenant: Tenant) -> None:
    # GIVEN the official SDK's "names" shape with odd casing
    body = {
        "name": "Support",
        "settings": {
            "llm_provider": "Extractive",
            "llm_model": "EXTRACTIVE",
            "embedding_provider": "extractive",
            "embedding_model": "BM25",
        },
    }
    # WHEN the agent is created through the SDK path
    response = client.post("/api/v1/sdk/agent", json=body, headers=tenant.key_headers)
    # THEN the providers resolve and settings come back with labels
    assert response.status_code == 201, response.text
    settings = response.json()["settings"]
    assert settings["llm_provider"] == "extractive" and settings["embedding_model_name"] == "bm25"
    assert settings["llm_provider_label"] and response.json()["agent"]["status"] == "active"


def test_create_with_flat_ids(client: TestClient, tenant: Tenant) -> None:
    provider = client.get("/api/v1/providers", headers=tenant.key_headers).json()["providers"][0]
    models = client.get(f"/api/v1/providers/{provider['id']}/models", headers=tenant.key_headers).json()["models"]
    llm = next(m for m in models if m["model_type"] == "llm")
    emb = next(m for m in models if m["model_type"] == "embedding")
    body = {
        "name": "Flat",
        "llm_provider_id": provider["id"],
        "llm_model_id": llm["id"],
        "embedding_provider_id": provider["id"],
        "embedding_model_id": emb["id"],
    }
    response = client.post("/api/v1/agent", json=body, headers=tenant.key_headers)
    assert response.status_code == 201, response.text
    assert (
        response.json()["settings"]["llm_model_id"]
        == llm["id"]
        == stable_id("model", "extractive", "llm", "extractive")
    )


def test_unknown_provider_or_model_is_a_400_naming_the_valid_ones(client: TestClient, tenant: Tenant) -> None:
    bad_provider = client.post(
        "/api/v1/agent", json={"name": "x", "settings": {"llm_provider": "openai"}}, headers=tenant.key_headers
    )
    assert bad_provider.status_code == 400
    assert "extractive" in bad_provider.json()["detail"] and "bedrock" in bad_provider.json()["detail"]
    bad_model = client.post(
        "/api/v1/agent", json={"name": "x", "llm_provider": "bedrock", "llm_model": "gpt-9"}, headers=tenant.key_headers
    )
    assert bad_model.status_code == 400 and "anthropic" in bad_model.json()["detail"]
    listed = client.get("/api/v1/agent", headers=tenant.key_headers).json()
    assert [a["name"] for a in listed["agents"]] == ["acme helper"]  # nothing was created


def test_settings_providers_catalogue(client: TestClient, tenant: Tenant) -> None:
    body = client.get("/api/v1/settings/providers", headers=tenant.key_headers).json()
    assert {p["name"] for p in body["llm_providers"]} == {"extractive", "bedrock"}
    assert body["metadata"]["total_embedding_providers"] == 2
    assert client.get("/api/v1/providers/nope/models", headers=tenant.key_headers).status_code == 404


def test_list_paginates_filters_and_searches(client: TestClient, tenant: Tenant) -> None:
    for index in range(12):
        client.post(
            "/api/v1/agent",
            json={"name": f"Bot {index}", "status": "inactive" if index % 2 else "active"},
            headers=tenant.key_headers,
        )
    page = client.get("/api/v1/agent?page=2&per_page=5", headers=tenant.key_headers).json()
    pagination = page["pagination"]
    assert isinstance(pagination.pop("next_cursor"), str)  # key-paged: where page 3 starts
    assert pagination == {"page": 2, "per_page": 5, "total": 13, "pages": 3, "has_next": True, "has_prev": True}
    inactive = client.get("/api/v1/agent?status=inactive&per_page=100", headers=tenant.key_headers).json()
    assert inactive["pagination"]["total"] == 6 and all(a["status"] == "inactive" for a in inactive["agents"])
    found = client.get("/api/v1/agent?search=bot 1", headers=tenant.key_headers).json()
    assert {a["name"] for a in found["agents"]} == {"Bot 1", "Bot 10", "Bot 11"}
    capped = client.get("/api/v1/agent?per_page=1000", headers=tenant.key_headers).json()
    assert capped["pagination"]["per_page"] == 100
    assert client.get("/api/v1/agent?page=0", headers=tenant.key_headers).status_code == 400
    assert client.get("/api/v1/agent?per_page=abc", headers=tenant.key_headers).status_code == 400


def test_public_get_hides_internals_but_owner_sees_everything(client: TestClient, tenant: Tenant) -> None:
    client.put(
        f"/api/v1/agent/{tenant.agent_id}", json={"instructions": "Secret system prompt."}, headers=tenant.key_headers
    )
    public = client.get(f"/api/v1/agent/{tenant.agent_id}").json()["agent"]
    assert public["name"] == "acme helper" and public["company_id"] == tenant.company_id
    assert "instructions" not in public and "settings" not in public
    owner = client.get(f"/api/v1/agent/{tenant.agent_id}", headers=tenant.key_headers).json()["agent"]
    assert owner["instructions"] == "Secret system prompt." and owner["settings"]["llm_provider"] == "extractive"
    assert client.get("/api/v1/agent/not-a-uuid").status_code == 404


def test_update_through_both_paths_bumps_version(client: TestClient, tenant: Tenant) -> None:
    first = client.put(f"/api/v1/agent/{tenant.agent_id}", json={"name": "Renamed"}, headers=tenant.key_headers)
    second = client.put(
        f"/api/v1/sdk/agent/{tenant.agent_id}",
        json={"settings": {"llm_provider": "bedrock"}},
        headers=tenant.key_headers,
    )
    assert first.status_code == second.status_code == 200
    agent = second.json()["agent"]
    assert agent["name"] == "Renamed" and agent["version"] == 3
    assert agent["settings"]["llm_provider"] == "bedrock" and agent["model_name"].startswith("anthropic.")
    empty = client.put(f"/api/v1/agent/{tenant.agent_id}", json={}, headers=tenant.key_headers)
    assert empty.status_code == 400


def test_soft_delete_refuses_active_conversations_unless_forced_and_restores(
    client: TestClient, tenant: Tenant
) -> None:
    client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=tenant.key_headers)
    refused = client.delete(f"/api/v1/sdk/agent/{tenant.agent_id}", headers=tenant.key_headers)
    assert refused.status_code == 400 and refused.json()["details"]["active_conversations"] == 1
    forced = client.delete(f"/api/v1/agent/{tenant.agent_id}?force=true", headers=tenant.key_headers)
    assert forced.status_code == 200
    assert client.get(f"/api/v1/agent/{tenant.agent_id}").status_code == 404
    deleted = client.get("/api/v1/agent?status=deleted", headers=tenant.key_headers).json()["agents"]
    assert [a["id"] for a in deleted] == [tenant.agent_id]
    restored = client.patch(f"/api/v1/agent/{tenant.agent_id}/restore", headers=tenant.key_headers)
    assert restored.status_code == 200 and restored.json()["agent"]["is_active"] is True
    assert client.get(f"/api/v1/agent/{tenant.agent_id}").status_code == 200


def test_embed_code_and_stats(client: TestClient, tenant: Tenant) -> None:
    embed = client.get(f"/api/v1/agent/{tenant.agent_id}/embed-code", headers=tenant.key_headers).json()
    assert f'data-agent-id="{tenant.agent_id}"' in embed["simple"] and embed["script"] == embed["simple"]
    assert embed["config"]["agent_id"] == tenant.agent_id and f'data-agent-id="{tenant.agent_id}"' in embed["advanced"]
    conversation = client.post(
        "/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=tenant.key_headers
    ).json()
    client.post(f"/api/v1/conversation/{conversation['id']}/chat", json={"message": "hi"}, headers=tenant.key_headers)
    stats = client.get(f"/api/v1/agent/{tenant.agent_id}/stats", headers=tenant.key_headers).json()
    assert stats["total_conversations"] == 1 and stats["total_messages"] == 2 and stats["llm_model"] == "extractive"
