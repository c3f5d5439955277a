"""Companies, users, sessions, API keys and scopes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from tests.stack import Tenant

ERROR_KEYS = {"detail", "error", "message", "error_code"}


def test_public_onboarding_returns_the_company_with_its_id(client: TestClient) -> None:
    # WHEN a company signs up
    response = client.post("/api/v1/company", json={"name": "Initech", "email": "Boss@Initech.example"})
    # THEN it gets its id back, and the email is normalised
    assert response.status_code == 201
    body = response.json()
    assert body["id"] and body["name"] == "Initech" and body["email"] == "boss@initech.example"
    # AND the same email cannot sign up twice
    again = client.post("/api/v1/company", json={"name": "Initech 2", "email": "boss@initech.example"})
    assert again.status_code == 409 and again.json().keys() >= ERROR_KEYS


def test_public_signup_can_be_turned_off(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a closed deployment
    monkeypatch.setenv("ALLOW_PUBLIC_SIGNUP", "false")
    get_settings.cache_clear()
    get_services.cache_clear()
    # WHEN someone tries to sign up
    response = client.post("/api/v1/company", json={"name": "Nope", "email": "a@nope.example"})
    # THEN it is refused
    assert response.status_code == 403
    assert response.json()["error_code"] == "forbidden"


def test_first_user_is_admin_and_later_users_need_an_admin(client: TestClient, tenant: Tenant) -> None:
    newcomer = {
        "company_id": tenant.company_id,
        "email": "eve@acme.example",
        "username": "eve",
        "password": "long enough pw",
        "first_name": "Eve",
        "last_name": "Intruder",
    }
    # WHEN an anonymous caller tries to join an existing company
    anonymous = client.post("/api/v1/auth/register", json=newcomer)
    # THEN it is refused
    assert anonymous.status_code == 403
    # WHEN the company's admin adds the user
    added = client.post("/api/v1/auth/register", json=newcomer, headers=tenant.admin_headers)
    # THEN the user exists with role "user"
    assert added.status_code == 201, added.text
    assert added.json()["user"]["role"] == "user"
    login = client.post("/api/v1/auth/login", json={"email": "eve@acme.example", "password": "long enough pw"})
    assert login.status_code == 200
    me = client.get("/api/v1/auth/user/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["user"]["email"] == "eve@acme.example" and me.json()["company"]["id"] == tenant.company_id


def test_bad_credentials_are_401(client: TestClient, tenant: Tenant) -> None:
    wrong_password = client.post("/api/v1/auth/login", json={"email": "admin@acme.example", "password": "nope"})
    unknown_email = client.post("/api/v1/auth/login", json={"email": "ghost@acme.example", "password": "nope"})
    bad_secret = client.get("/api/v1/agent", headers={"X-API-Key": tenant.api_key, "X-API-Secret": "as_wrong"})
    half_key = client.get("/api/v1/agent", headers={"X-API-Key": tenant.api_key})
    garbage_bearer = client.get("/api/v1/agent", headers={"Authorization": "Bearer not.a.jwt"})
    none = client.get("/api/v1/agent")
    for response in (wrong_password, unknown_email, bad_secret, half_key, garbage_bearer, none):
        assert response.status_code == 401, response.text
        assert response.json().keys() >= ERROR_KEYS


def test_refresh_token_gives_new_tokens_but_an_access_token_cannot_refresh(client: TestClient) -> None:
    client.post("/api/v1/company", json={"name": "R", "email": "r@r.example"})
    company_id = client.post("/api/v1/company", json={"name": "R2", "email": "r2@r.example"}).json()["id"]
    client.post(
        "/api/v1/auth/register",
        json={
            "company_id": company_id,
            "email": "u@r.example",
            "username": "u",
            "password": "password123",
            "first_name": "U",
            "last_name": "R",
        },
    )
    tokens = client.post("/api/v1/auth/login", json={"email": "u@r.example", "password": "password123"}).json()
    refreshed = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]
    misuse = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert misuse.status_code == 401
    refresh_as_access = client.get("/api/v1/agent", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refresh_as_access.status_code == 401


def test_api_key_secret_is_shown_once_and_stored_only_as_a_hash(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # WHEN the admin creates a key
    created = client.post(
        "/api/v1/auth/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=tenant.admin_headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["api_key"].startswith("ak_") and body["api_secret"].startswith("as_")
    assert body["details"]["key_prefix"] == body["api_key"][:8]
    # THEN the table never holds the secret in clear
    items = services.table.query(f"COMPANY#{tenant.company_id}", sk_prefix="APIKEY#")
    assert items and all(body["api_secret"] not in str(item) for item in items)
    # AND listing shows details without secrets
    listed = client.get("/api/v1/auth/api-keys", headers=tenant.admin_headers).json()["api_keys"]
    assert {k["id"] for k in listed} >= {body["details"]["id"]}
    assert "api_secret" not in str(listed) and "secret_hash" not in str(listed)


def test_scopes_read_write_admin(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a read-only key
    key = client.post("/api/v1/auth/api-keys", json={"scopes": ["read"]}, headers=tenant.admin_headers).json()
    read_only = {"X-API-Key": key["api_key"], "X-API-Secret": key["api_secret"]}
    # THEN it can read but not write
    assert client.get("/api/v1/agent", headers=read_only).status_code == 200
    denied = client.post("/api/v1/agent", json={"name": "x"}, headers=read_only)
    assert denied.status_code == 403 and denied.json()["error_code"] == "forbidden"
    # AND a read+write key cannot manage keys (admin scope)
    assert client.get("/api/v1/auth/api-keys", headers=tenant.key_headers).status_code == 403
    assert client.post("/api/v1/auth/api-keys", json={}, headers=tenant.key_headers).status_code == 403


def test_revoked_key_stops_working(client: TestClient, tenant: Tenant) -> None:
    key = client.post("/api/v1/auth/api-keys", json={}, headers=tenant.admin_headers).json()
    headers = {"X-API-Key": key["api_key"], "X-API-Secret": key["api_secret"]}
    assert client.get("/api/v1/agent", headers=headers).status_code == 200
    revoked = client.delete(f"/api/v1/auth/api-keys/{key['details']['id']}", headers=tenant.admin_headers)
    assert revoked.status_code == 200
    assert client.get("/api/v1/agent", headers=headers).status_code == 401
    assert (
        client.delete(f"/api/v1/auth/api-keys/{key['details']['id']}", headers=tenant.admin_headers).status_code == 404
    )


def test_bearer_wins_over_api_key_headers(client: TestClient, tenant: Tenant) -> None:
    # GIVEN the official client's habit: key headers on every request, plus a user's Bearer
    both = {**tenant.admin_headers, "X-API-Key": "ak_stale", "X-API-Secret": "as_stale"}
    # WHEN a JWT-only route is called
    response = client.get("/api/v1/auth/api-keys", headers=both)
    # THEN the valid Bearer is used and the stale key headers are ignored
    assert response.status_code == 200
    # AND an invalid Bearer is not rescued by valid key headers
    bad_bearer = {**tenant.key_headers, "Authorization": "Bearer broken"}
    assert client.get("/api/v1/agent", headers=bad_bearer).status_code == 401


def test_validate_describes_the_caller(client: TestClient, tenant: Tenant) -> None:
    by_key = client.get("/api/v1/auth/validate", headers=tenant.key_headers).json()
    assert by_key["valid"] is True and by_key["company"]["id"] == tenant.company_id
    assert set(by_key["api_key_info"]["scopes"]) == {"read", "write"}
    by_user = client.get("/api/v1/auth/validate", headers=tenant.admin_headers).json()
    assert by_user["user"]["email"] == "admin@acme.example"
    company = client.get("/api/v1/company", headers=tenant.key_headers).json()
    assert company["id"] == tenant.company_id and company["name"] == "acme"


def test_me_with_an_api_key_describes_the_key_and_company(client: TestClient, tenant: Tenant) -> None:
    body = client.get("/api/v1/auth/user/me", headers=tenant.key_headers).json()
    assert body["user"] is None and body["company"]["id"] == tenant.company_id
    assert body["api_key"]["key_prefix"] == tenant.api_key[:8] and "secret_hash" not in body["api_key"]
