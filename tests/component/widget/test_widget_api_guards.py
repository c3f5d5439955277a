"""Widget-facing REST calls: allowed domains at lead registration, lead tokens bound to their origin,
rate limits (429 + Retry-After), consent, conversation metadata updates, CORS preflights."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import get_services
from tests.stack import RateClock, Tenant

SHOP = "https://shop.example.com"
VISITOR = {"first_name": "Vera", "last_name": "Visitor", "email": "vera@example.com"}


def _settings(client: TestClient, tenant: Tenant, body: dict[str, Any]) -> None:
    settings_id = client.get(f"/api/v1/settings/agent/{tenant.agent_id}", headers=tenant.key_headers).json()["id"]
    assert client.put(f"/api/v1/settings/{settings_id}", json=body, headers=tenant.key_headers).status_code == 200


def _register(client: TestClient, tenant: Tenant, origin: str | None = SHOP, **extra: Any) -> Any:
    headers = {"Origin": origin} if origin else {}
    return client.post("/api/v1/lead/register", json={**VISITOR, "agent_id": tenant.agent_id, **extra}, headers=headers)


def test_registration_from_a_disallowed_origin_is_a_clear_403(client: TestClient, tenant: Tenant) -> None:
    _settings(client, tenant, {"allowed_domains": ["shop.example.com"]})
    refused = _register(client, tenant, origin="https://copycat.example")
    body = refused.json()
    assert refused.status_code == 403 and body["error_code"] == "origin_not_allowed"
    assert "copycat.example" in body["detail"] and body["message"] == body["error"] == body["detail"]
    assert _register(client, tenant).status_code == 201
    # AND nothing was registered for the refused visitor beyond the allowed one
    leads = client.get("/api/v1/lead/company", headers=tenant.key_headers).json()["leads"]
    assert len(leads) == 1


def test_a_lead_token_works_only_from_the_origin_it_was_registered_on(client: TestClient, tenant: Tenant) -> None:
    token = _register(client, tenant).json()["access_token"]
    mine = {"Authorization": f"Bearer {token}", "Origin": SHOP}
    elsewhere = {"Authorization": f"Bearer {token}", "Origin": "https://copycat.example"}
    created = client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=mine)
    assert created.status_code == 201
    conversation_id = created.json()["id"]
    for method, path, body in (
        ("POST", "/api/v1/conversation", {"agent_id": tenant.agent_id}),
        ("POST", f"/api/v1/conversation/{conversation_id}/chat", {"message": "returns?"}),
        ("GET", f"/api/v1/conversation/{conversation_id}/messages", None),
        ("PATCH", f"/api/v1/conversation/{conversation_id}", {"metadata": {"a": 1}}),
    ):
        response = client.request(method, path, json=body, headers=elsewhere)
        assert response.status_code == 403 and response.json()["error_code"] == "origin_not_allowed", path
    assert (
        client.post(
            f"/api/v1/conversation/{conversation_id}/chat", json={"message": "returns?"}, headers=mine
        ).status_code
        == 200
    )
    # AND a refreshed pair stays bound to the same origin
    refresh = _register(client, tenant).json()["refresh_token"]
    pair = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh}"}).json()
    fresh = {"Authorization": f"Bearer {pair['access_token']}", "Origin": "https://copycat.example"}
    assert client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=fresh).status_code == 403


@pytest.fixture
def tight_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "RATE_LIMIT_REGISTER_IP": "3/600",
        "RATE_LIMIT_REGISTER_EMAIL": "2/600",
        "RATE_LIMIT_CHAT_LEAD": "2/60",
        "RATE_LIMIT_CHAT_IP": "3/60",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_services.cache_clear()


@pytest.mark.usefixtures("tight_limits")
def test_registration_is_rate_limited_per_email_and_per_ip(
    client: TestClient, tenant: Tenant, rate_clock: RateClock
) -> None:
    assert [_register(client, tenant).status_code for _ in range(2)] == [201, 201]
    third = _register(client, tenant)
    # THEN the email's limit answers 429 with Retry-After
    assert third.status_code == 429 and third.json()["error_code"] == "rate_limited"
    assert 0 < int(third.headers["Retry-After"]) <= 600
    # AND another email from the same IP gets one more, then the IP's limit applies
    assert _register(client, tenant, email="other@example.com").status_code == 201
    assert _register(client, tenant, email="third@example.com").status_code == 429


@pytest.mark.usefixtures("tight_limits")
def test_chat_is_rate_limited_per_lead_and_per_ip(client: TestClient, tenant: Tenant, rate_clock: RateClock) -> None:
    def chat_as(email: str) -> list[int]:
        token = _register(client, tenant, email=email).json()["access_token"]
        lead = {"Authorization": f"Bearer {token}", "Origin": SHOP}
        conversation = client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=lead).json()
        url = f"/api/v1/conversation/{conversation['id']}/chat"
        return [client.post(url, json={"message": "hi"}, headers=lead).status_code for _ in range(3)]

    assert chat_as("a@example.com") == [200, 200, 429]  # the lead's limit (2 per minute)
    assert chat_as("b@example.com") == [200, 429, 429]  # then the IP's (3 per minute in all)
    # AND API-key callers are not subject to the widget's limits
    conversation = client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=tenant.key_headers)
    url = f"/api/v1/conversation/{conversation.json()['id']}/chat"
    assert client.post(url, json={"message": "hi"}, headers=tenant.key_headers).status_code == 200


def test_consent_is_required_when_the_widget_asks_for_it(client: TestClient, tenant: Tenant) -> None:
    _settings(client, tenant, {"widget_config": {"consentCheckbox": True}})
    refused = _register(client, tenant, consent_data_processing=False)
    assert refused.status_code == 400 and "agree" in refused.json()["detail"]
    assert _register(client, tenant, consent_data_processing=True).status_code == 201


def test_conversation_metadata_is_merged_by_its_lead_only(client: TestClient, tenant: Tenant) -> None:
    token = _register(client, tenant).json()["access_token"]
    lead = {"Authorization": f"Bearer {token}", "Origin": SHOP}
    conversation = client.post(
        "/api/v1/conversation",
        json={"agent_id": tenant.agent_id, "metadata": {"page": "/mugs", "plan": "free"}},
        headers=lead,
    ).json()["conversation"]
    url = f"/api/v1/conversation/{conversation['id']}"
    # WHEN the widget's updateMetadata sends a change and a removal
    patched = client.patch(url, json={"metadata": {"plan": "pro", "page": None, "cart": 3}}, headers=lead)
    # THEN the metadata is merged on the server
    assert patched.status_code == 200 and patched.json()["conversation"]["metadata"] == {"plan": "pro", "cart": 3}
    assert client.get(url, headers=tenant.key_headers).json()["conversation"]["metadata"] == {"plan": "pro", "cart": 3}
    # AND bad input is a 400, another lead gets a 404
    assert client.patch(url, json={"metadata": "x"}, headers=lead).status_code == 400
    assert client.patch(url, json={}, headers=lead).status_code == 400
    assert client.patch(url, json={"metadata": {"big": "x" * 20_000}}, headers=lead).status_code == 400
    other = _register(client, tenant, email="other@example.com").json()["access_token"]
    other_headers = {"Authorization": f"Bearer {other}", "Origin": SHOP}
    assert client.patch(url, json={"metadata": {"x": 1}}, headers=other_headers).status_code == 404


def test_the_rest_api_answers_preflights_and_exposes_headers(client: TestClient) -> None:
    preflight = client.options(
        "/api/v1/conversation",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    simple = client.get("/health", headers={"Origin": "https://shop.example.com"})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "Retry-After" in simple.headers["access-control-expose-headers"]
