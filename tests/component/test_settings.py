"""Settings: widget_config and allowed_domains for an agent or the company, under /settings and /sdk/settings."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.stack import Tenant


def test_agent_settings_are_created_read_and_embedded_in_the_agent(client: TestClient, tenant: Tenant) -> None:
    # GIVEN an agent WHEN settings are created for it with widget options and allowed domains
    created = client.post(
        "/api/v1/sdk/settings",
        json={
            "agent_id": tenant.agent_id,
            "llm_provider": "extractive",
            "widget_config": {"color": "#FF5500", "position": "left", "title": "Mug help", "custom": {"a": 1}},
            "allowed_domains": ["https://Shop.Example.com/", "*.example.org", "localhost:3001"],
        },
        headers=tenant.key_headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    # THEN keys are canonical, values normalised, unknown keys kept
    assert body["widget_config"] == {
        "primaryColor": "#ff5500",
        "position": "bottom-left",
        "title": "Mug help",
        "custom": {"a": 1},
    }
    assert body["allowed_domains"] == ["https://shop.example.com", "*.example.org", "localhost:3001"]
    assert body["agent_id"] == tenant.agent_id and body["company_id"] == tenant.company_id
    # AND the settings are found by id and by agent, and the agent now references them
    by_id = client.get(f"/api/v1/settings/{body['id']}", headers=tenant.key_headers).json()
    by_agent = client.get(f"/api/v1/settings/agent/{tenant.agent_id}", headers=tenant.key_headers).json()
    assert by_id["id"] == by_agent["id"] == body["id"]
    agent = client.get(f"/api/v1/agent/{tenant.agent_id}", headers=tenant.key_headers).json()["agent"]
    assert agent["llm_settings_id"] == body["id"] and agent["settings"]["widget_config"]["title"] == "Mug help"


def test_updating_agent_settings_keeps_the_id_and_agent_settings_cannot_be_deleted(
    client: TestClient, tenant: Tenant
) -> None:
    settings_id = client.get(f"/api/v1/settings/agent/{tenant.agent_id}", headers=tenant.key_headers).json()["id"]
    # WHEN the widget config is replaced
    updated = client.put(
        f"/api/v1/settings/{settings_id}", json={"widget_config": {"theme": "dark"}}, headers=tenant.key_headers
    )
    # THEN the same settings carry the new config, and the agent sees it
    assert updated.status_code == 200 and updated.json()["id"] == settings_id
    agent = client.get(f"/api/v1/agent/{tenant.agent_id}", headers=tenant.key_headers).json()["agent"]
    assert agent["settings"]["widget_config"] == {"theme": "dark"}
    # AND deleting settings an agent uses is a 409 naming the agent
    deleted = client.delete(f"/api/v1/settings/{settings_id}", headers=tenant.key_headers)
    assert deleted.status_code == 409 and deleted.json()["details"]["agent_id"] == tenant.agent_id


def test_company_settings_crud_and_listing(client: TestClient, tenant: Tenant) -> None:
    # GIVEN company-level settings (no agent)
    created = client.post("/api/v1/settings", json={"widget_config": {"zIndex": 5000}}, headers=tenant.key_headers)
    assert created.status_code == 201 and created.json()["agent_id"] is None
    settings_id = created.json()["id"]
    # WHEN read, updated and listed
    assert client.get(f"/api/v1/settings/{settings_id}", headers=tenant.key_headers).json()["widget_config"] == {
        "zIndex": 5000
    }
    put = client.put(
        f"/api/v1/sdk/settings/{settings_id}", json={"allowed_domains": ["a.example"]}, headers=tenant.key_headers
    )
    assert put.status_code == 200 and put.json()["allowed_domains"] == ["a.example"]
    listed = client.get(f"/api/v1/settings/company/{tenant.company_id}", headers=tenant.key_headers).json()
    assert {row["id"] for row in listed["settings"]} >= {settings_id}
    assert any(row["agent_id"] == tenant.agent_id for row in listed["settings"])
    # THEN delete hides them
    assert client.delete(f"/api/v1/settings/{settings_id}", headers=tenant.key_headers).status_code == 200
    assert client.get(f"/api/v1/settings/{settings_id}", headers=tenant.key_headers).status_code == 404
    assert client.delete(f"/api/v1/settings/{settings_id}", headers=tenant.key_headers).status_code == 404
    # AND default settings cannot be deleted
    default = client.post("/api/v1/settings", json={"is_default": True}, headers=tenant.key_headers).json()["id"]
    assert client.delete(f"/api/v1/settings/{default}", headers=tenant.key_headers).status_code == 400


def test_bad_widget_config_and_domains_are_400_naming_the_field(client: TestClient, tenant: Tenant) -> None:
    cases = [
        ({"widget_config": {"primaryColor": "red"}}, "primaryColor"),
        ({"widget_config": {"position": "middle"}}, "position"),
        ({"widget_config": {"zIndex": -1}}, "zIndex"),
        ({"widget_config": {"privacyPolicyUrl": "javascript:alert(1)"}}, "privacyPolicyUrl"),
        ({"widget_config": "blue"}, "widget_config"),
        ({"allowed_domains": ["https://example.com/path"]}, "allowed_domains"),
        ({"allowed_domains": ["ftp://example.com"]}, "allowed_domains"),
        ({"allowed_domains": ["exa*mple.com"]}, "allowed_domains"),
    ]
    for payload, field in cases:
        response = client.post(
            "/api/v1/settings", json={"agent_id": tenant.agent_id, **payload}, headers=tenant.key_headers
        )
        assert response.status_code == 400, (payload, response.text)
        assert field in response.json()["detail"] and response.json()["error_code"] == "validation_error"


def test_settings_of_another_tenant_look_missing(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = client.get(f"/api/v1/settings/agent/{other_tenant.agent_id}", headers=other_tenant.key_headers).json()
    company = client.post("/api/v1/settings", json={}, headers=other_tenant.key_headers).json()
    for settings_id in (theirs["id"], company["id"], "not-a-uuid"):
        assert client.get(f"/api/v1/settings/{settings_id}", headers=tenant.key_headers).status_code == 404
        assert (
            client.put(
                f"/api/v1/settings/{settings_id}", json={"is_active": False}, headers=tenant.key_headers
            ).status_code
            == 404
        )
        assert client.delete(f"/api/v1/settings/{settings_id}", headers=tenant.key_headers).status_code == 404
    assert client.get(f"/api/v1/settings/agent/{other_tenant.agent_id}", headers=tenant.key_headers).status_code == 404
    assert (
        client.get(f"/api/v1/settings/company/{other_tenant.company_id}", headers=tenant.key_headers).status_code == 404
    )
    assert (
        client.post(
            "/api/v1/settings", json={"agent_id": other_tenant.agent_id}, headers=tenant.key_headers
        ).status_code
        == 404
    )


def test_settings_need_credentials_and_scopes_and_providers_route_still_answers(
    client: TestClient, tenant: Tenant
) -> None:
    assert client.get(f"/api/v1/settings/agent/{tenant.agent_id}").status_code == 401
    lead = client.post(
        "/api/v1/lead/register",
        json={"agent_id": tenant.agent_id, "first_name": "L", "last_name": "Ead", "email": "l@example.com"},
    ).json()
    headers = {"Authorization": f"Bearer {lead['access_token']}"}
    assert client.get(f"/api/v1/settings/agent/{tenant.agent_id}", headers=headers).status_code == 403
    assert client.post("/api/v1/settings", json={}, headers=headers).status_code == 403
    assert client.get("/api/v1/settings/providers", headers=tenant.key_headers).status_code == 200
