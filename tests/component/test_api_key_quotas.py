"""API keys' quotas over the gateway: ``rate_limit_per_hour``/``per_day`` enforced, ``X-RateLimit-*`` headers,
429 with ``Retry-After``, usage counted exactly (one DynamoDB write per keyed request)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from tests.stack import RateClock, Tenant, dynamodb_calls

ERROR_KEYS = {"detail", "error", "message", "error_code"}
VALIDATE = "/api/v1/auth/validate"


def new_key(client: TestClient, tenant: Tenant, **limits: int) -> dict[str, str]:
    made = client.post("/api/v1/auth/api-keys", json={"name": "quota", **limits}, headers=tenant.admin_headers)
    assert made.status_code in (200, 201), made.text
    body: dict[str, Any] = made.json()
    return {"X-API-Key": body["api_key"], "X-API-Secret": body["api_secret"], "id": body["details"]["id"]}


def usage_of(client: TestClient, tenant: Tenant, key_id: str) -> dict[str, Any]:
    keys = client.get("/api/v1/auth/api-keys", headers=tenant.admin_headers).json()["api_keys"]
    found: dict[str, Any] = next(key for key in keys if key["id"] == key_id)
    return found


def headers_of(key: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in key.items() if k != "id"}


def test_a_key_over_its_hour_gets_429_with_retry_after_and_the_next_hour_it_is_served(
    client: TestClient, tenant: Tenant, rate_clock: RateClock
) -> None:
    # GIVEN a key allowed 3 requests an hour and another one with the same limits, 1 s into an hour
    rate_clock.now = rate_clock.now // 3600 * 3600 + 1
    key, other = new_key(client, tenant, rate_limit_per_hour=3), new_key(client, tenant, rate_limit_per_hour=3)
    # WHEN the key makes 3 requests THEN each is served with the hour's limit, what is left, and its end
    served = [client.get(VALIDATE, headers=headers_of(key)) for _ in range(3)]
    assert [r.status_code for r in served] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in served] == ["2", "1", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in served} == {"3"}
    assert {r.headers["X-RateLimit-Reset"] for r in served} == {str(int(rate_clock.now) - 1 + 3600)}
    # WHEN it makes a fourth THEN it is a 429 in the error shape, with Retry-After to the hour's end
    refused = client.get(VALIDATE, headers=headers_of(key))
    assert refused.status_code == 429 and refused.json().keys() >= ERROR_KEYS
    assert refused.json()["error_code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "3599" and refused.headers["X-RateLimit-Remaining"] == "0"
    # AND nothing else changed: the refused request is not counted
    assert usage_of(client, tenant, key["id"])["usage_count"] == 3
    # AND the other key is not limited by the first one's use
    assert client.get(VALIDATE, headers=headers_of(other)).headers["X-RateLimit-Remaining"] == "2"
    # WHEN the next hour begins THEN the key is served again
    rate_clock.advance(3600)
    again = client.get(VALIDATE, headers=headers_of(key))
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "2"


def test_the_day_limit_is_the_tighter_window_once_it_has_fewer_left(
    client: TestClient, tenant: Tenant, rate_clock: RateClock
) -> None:
    # GIVEN a key allowed 100 an hour and 2 a day
    key = new_key(client, tenant, rate_limit_per_hour=100, rate_limit_per_day=2)
    day_end = int(rate_clock.now) // 86400 * 86400 + 86400
    # WHEN it uses both THEN the headers speak of the day, and a third waits for the day's end
    assert client.get(VALIDATE, headers=headers_of(key)).headers["X-RateLimit-Limit"] == "2"
    last = client.get(VALIDATE, headers=headers_of(key))
    assert last.headers["X-RateLimit-Reset"] == str(day_end)
    refused = client.get(VALIDATE, headers=headers_of(key))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(day_end - int(rate_clock.now))


def test_a_key_without_limits_gets_no_rate_headers_and_is_never_refused(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a key with no limits
    key = new_key(client, tenant, rate_limit_per_hour=0, rate_limit_per_day=0)
    # WHEN it makes 20 requests THEN all are served without rate headers, and all 20 are counted
    responses = [client.get(VALIDATE, headers=headers_of(key)) for _ in range(20)]
    assert {r.status_code for r in responses} == {200}
    assert not [r for r in responses if "X-RateLimit-Limit" in r.headers]
    assert usage_of(client, tenant, key["id"])["usage_count"] == 20


def test_users_requests_are_not_limited(client: TestClient, tenant: Tenant) -> None:
    # WHEN a signed-in user calls THEN no key quota applies
    response = client.get(VALIDATE, headers=tenant.admin_headers)
    assert response.status_code == 200 and "X-RateLimit-Limit" not in response.headers


def test_usage_is_exact_with_the_key_cache_on_and_costs_one_write(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a deployment that caches verified keys for 5 minutes, and a key
    monkeypatch.setenv("API_KEY_CACHE_SECONDS", "300")
    get_settings.cache_clear()
    get_services.cache_clear()
    services: Services = get_services()
    key = new_key(client, tenant)
    client.get(VALIDATE, headers=headers_of(key))  # verified, then cached
    # WHEN it makes 5 more requests from the warm cache
    with dynamodb_calls(services) as calls:
        for _ in range(5):
            assert client.get(VALIDATE, headers=headers_of(key)).status_code == 200
    # THEN every one is counted (6 in all) with one UpdateItem each, and last_used_at is set
    assert calls.count("UpdateItem") == 5 and "TransactWriteItems" not in calls
    used = usage_of(client, tenant, key["id"])
    assert used["usage_count"] == 6 and used["last_used_at"]


def test_a_key_made_with_an_admin_key_answers_to_the_user_behind_it(client: TestClient, tenant: Tenant) -> None:
    # GIVEN an admin API key made by the tenant's admin user
    made = client.post(
        "/api/v1/auth/api-keys",
        json={"name": "admin", "scopes": ["read", "write", "admin"]},
        headers=tenant.admin_headers,
    ).json()
    admin_key = {"X-API-Key": made["api_key"], "X-API-Secret": made["api_secret"]}
    # WHEN that key makes another key, limited to 500 an hour
    child = client.post(
        "/api/v1/auth/api-keys", json={"name": "child", "rate_limit_per_hour": 500}, headers=admin_key
    ).json()
    served = client.get(VALIDATE, headers={"X-API-Key": child["api_key"], "X-API-Secret": child["api_secret"]})
    # THEN the new key works, with its own quota, and its creator is the admin user (not the parent key)
    assert served.status_code == 200, served.text
    assert served.headers["X-RateLimit-Limit"] == "500"
    assert "X-RateLimit-Remaining" in served.headers["access-control-expose-headers"]  # readable by browsers
    assert child["details"]["created_by"] == made["details"]["created_by"] != made["details"]["id"]
