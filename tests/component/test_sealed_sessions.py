"""Tokens of deleted or disabled users, of revoked sessions and of disabled companies are refused, cheaply."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.auth import Principal
from knowrithm_core.auth.sessions import AccountStates
from knowrithm_core.container import Services
from knowrithm_core.errors import Unauthorized
from tests.stack import Tenant, dynamodb_calls, make_tenant

ME = "/api/v1/auth/user/me"
AGENTS = "/api/v1/agent"


def _user_id(client: TestClient, tenant: Tenant) -> str:
    return str(client.get(ME, headers=tenant.admin_headers).json()["user"]["id"])


def _login(client: TestClient, name: str) -> dict[str, str]:
    body = {"email": f"admin@{name}.example", "password": "correct horse battery"}
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _refresh(client: TestClient, refresh_token: str) -> int:
    return int(client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"}).status_code)


def test_a_still_valid_user_keeps_working_with_access_refresh_and_api_key(client: TestClient, tenant: Tenant) -> None:
    # GIVEN an active user with a fresh session and an API key
    session = _login(client, "acme")
    # THEN the access token, the refresh token and the key all work
    assert client.get(ME, headers={"Authorization": f"Bearer {session['access_token']}"}).status_code == 200
    assert _refresh(client, session["refresh_token"]) == 200
    assert client.get(AGENTS, headers=tenant.key_headers).status_code == 200


def test_a_deleted_users_tokens_and_api_keys_are_refused(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN a user with a session and an API key it created
    session = _login(client, "acme")
    user_id = _user_id(client, tenant)
    # WHEN the user is deleted
    services.auth.accounts.delete_user(tenant.company_id, user_id)
    # THEN its access and refresh tokens, and its API key, are 401 at once (same container)
    response = client.get(AGENTS, headers=tenant.admin_headers)
    assert response.status_code == 401 and "no longer exists" in response.json()["detail"]
    assert _refresh(client, session["refresh_token"]) == 401
    assert client.get(AGENTS, headers=tenant.key_headers).status_code == 401
    # AND the email is free again, and the company counts one user less
    company = services.table.get(f"COMPANY#{tenant.company_id}", "COMPANY") or {}
    assert services.table.get("UNIQUE#EMAIL#admin@acme.example", "UNIQUE") is None and company["user_count"] == 0


def test_a_disabled_user_is_refused_and_comes_back_when_enabled(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN a user with a session
    user_id = _user_id(client, tenant)
    # WHEN an operator disables it
    services.auth.accounts.set_user_status(tenant.company_id, user_id, "disabled")
    # THEN its token, its API key and a new login are refused
    assert client.get(AGENTS, headers=tenant.admin_headers).status_code == 401
    assert client.get(AGENTS, headers=tenant.key_headers).status_code == 401
    login = {"email": "admin@acme.example", "password": "correct horse battery"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 403
    # WHEN it is enabled again: the old token stays dead (version bumped), a new login and the key work
    services.auth.accounts.set_user_status(tenant.company_id, user_id, "active")
    assert client.get(AGENTS, headers=tenant.admin_headers).status_code == 401
    fresh = _login(client, "acme")
    assert client.get(AGENTS, headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200
    assert client.get(AGENTS, headers=tenant.key_headers).status_code == 200


def test_logout_revokes_the_access_and_refresh_tokens(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a session
    session = _login(client, "acme")
    bearer = {"Authorization": f"Bearer {session['access_token']}"}
    # WHEN the user logs out
    response = client.post("/api/v1/auth/logout", headers=bearer)
    assert response.status_code == 200 and "task_id" not in response.json()
    # THEN both tokens of every earlier session are refused, a new login works
    assert client.get(ME, headers=bearer).status_code == 401
    assert client.get(ME, headers=tenant.admin_headers).status_code == 401
    assert _refresh(client, session["refresh_token"]) == 401
    assert (
        client.get(ME, headers={"Authorization": f"Bearer {_login(client, 'acme')['access_token']}"}).status_code == 200
    )
    # AND an API key cannot log out (it is revoked instead); the key itself keeps working
    assert client.post("/api/v1/auth/logout", headers=tenant.key_headers).status_code == 403
    assert client.get(AGENTS, headers=tenant.key_headers).status_code == 200


def test_a_password_change_revokes_earlier_tokens(client: TestClient, tenant: Tenant, services: Services) -> None:
    # GIVEN a session
    principal = services.auth.authenticate({"authorization": f"Bearer {tenant.admin_token}"})
    assert isinstance(principal, Principal)
    # WHEN the password changes
    services.auth.accounts.change_password(principal, "correct horse battery", "a brand new passphrase")
    # THEN the earlier token is refused and the new password signs in
    assert client.get(ME, headers=tenant.admin_headers).status_code == 401
    login = {"email": "admin@acme.example", "password": "a brand new passphrase"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200


def test_a_disabled_company_refuses_its_users_and_api_keys_but_not_other_tenants(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN two tenants
    other = make_tenant(client, "globex")
    # WHEN the first company is disabled
    services.auth.accounts.set_company_active(tenant.company_id, False)
    # THEN its user token and API key are refused, the other tenant is untouched
    assert client.get(AGENTS, headers=tenant.admin_headers).status_code == 401
    assert client.get(AGENTS, headers=tenant.key_headers).status_code == 401
    assert client.get(AGENTS, headers=other.admin_headers).status_code == 200
    assert client.get(AGENTS, headers=other.key_headers).status_code == 200


def test_another_container_refuses_a_revoked_token_once_its_cache_entry_expires(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN a second warm container's cache (a fresh AccountStates) that read the user before the logout
    other_container = AccountStates(services.table, seconds=0)
    claims = services.auth.tokens.decode(tenant.admin_token, expected={"access"})
    other_container.check_user_token(claims["cid"], claims["sub"], claims["tv"])
    # WHEN the user logs out through this container
    assert client.post("/api/v1/auth/logout", headers=tenant.admin_headers).status_code == 200
    # THEN a container that reads the account afterwards (its entry expired) refuses the token too
    with pytest.raises(Unauthorized, match="revoked"):
        other_container.check_user_token(claims["cid"], claims["sub"], claims["tv"])


def test_a_cached_user_costs_no_dynamodb_call_and_a_miss_costs_one(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN a user whose account is in the principal cache (make_tenant used the token already)
    client.get(ME, headers=tenant.admin_headers)
    # WHEN an authenticated request runs: only the route's own reads happen (GET /agent: the counter total, one
    # Query of the page, one BatchGetItem of the page's agent counters)
    with dynamodb_calls(services) as hit:
        assert client.get(AGENTS, headers=tenant.admin_headers).status_code == 200
    # AND on a cold cache, one BatchGetItem (user and company) comes first
    services.auth.states.forget(tenant.company_id)
    with dynamodb_calls(services) as miss:
        assert client.get(AGENTS, headers=tenant.admin_headers).status_code == 200
    assert hit == ["GetItem", "Query", "BatchGetItem"] and miss == ["BatchGetItem", *hit], (hit, miss)


def test_a_cached_api_key_is_dropped_at_once_when_its_company_is_disabled(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN key caching on (30 s) and the tenant's key verified and cached
    services.auth.settings = dataclasses.replace(services.auth.settings, api_key_cache_seconds=30)
    assert client.get(AGENTS, headers=tenant.key_headers).status_code == 200
    with dynamodb_calls(services) as cached:
        assert client.get(AGENTS, headers=tenant.key_headers).status_code == 200
    # the key's use counted (one UpdateItem: usage and quota windows), then the route's own reads (total, page, the
    # page's agent counters): the key and the account come from caches
    assert cached == ["UpdateItem", "GetItem", "Query", "BatchGetItem"]
    # WHEN the company is disabled in this container
    services.auth.accounts.set_company_active(tenant.company_id, False)
    # THEN the key is refused at once, not after the key-cache window
    assert client.get(AGENTS, headers=tenant.key_headers).status_code == 401
