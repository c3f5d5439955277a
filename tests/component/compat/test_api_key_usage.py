"""Knowrithm's API-key usage analytics, from what the counters and the keys record."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.stack import Tenant, new_conversation

ERROR_KEYS = {"detail", "error", "message", "error_code"}


def test_usage_analytics_count_keys_and_counted_requests(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a second key that is revoked, and two conversations started with the first
    second = client.post("/api/v1/auth/api-keys", json={"name": "old"}, headers=tenant.admin_headers).json()
    client.delete(f"/api/v1/auth/api-keys/{second['details']['id']}", headers=tenant.admin_headers)
    for _ in range(2):
        new_conversation(client, tenant)
    keys = tenant.key_headers
    # WHEN the overview, trends, top endpoints and key performance are read
    overview = client.get("/api/v1/overview?days=7", headers=keys).json()["data"]
    trends = client.get("/api/v1/usage-trends?days=3", headers=keys).json()["data"]
    top = client.get("/api/v1/top-endpoints?limit=1", headers=keys).json()["data"]
    performance = client.get("/api/v1/api-key-performance", headers=keys).json()["data"]["api_keys"]
    # THEN they report the keys by status and the two counted requests
    assert overview["api_keys"] == {"total": 2, "active": 1, "expired": 0, "revoked": 1}
    assert overview["usage"]["total_requests"] == 2 and overview["period_days"] == 7
    assert len(trends["trends"]) == 3 and trends["trends"][-1]["total_requests"] == 2
    assert top["endpoints"] == [
        {
            "endpoint": "/api/v1/conversation",
            "method": "POST",
            "total_requests": 2,
            "success_rate": None,
            "avg_response_time": None,
        }
    ]
    assert [k["status"] for k in performance] == ["active", "revoked"] and performance[0]["total_requests"] >= 1
    # AND one key's detail names it; another company's or an unknown key is 404
    detail = client.get(f"/api/v1/detailed-usage/{performance[0]['api_key_id']}", headers=keys).json()["data"]
    assert detail["api_key"]["key_prefix"] == tenant.api_key[:8] and detail["api_key"]["status"] == "active"
    unknown = client.get("/api/v1/detailed-usage/nope", headers=keys)
    assert unknown.status_code == 404 and unknown.json().keys() >= ERROR_KEYS


def test_usage_analytics_refuse_bad_parameters_and_other_tenants_keys(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = client.get("/api/v1/api-key-performance", headers=other_tenant.key_headers).json()["data"]["api_keys"]
    foreign = client.get(f"/api/v1/detailed-usage/{theirs[0]['api_key_id']}", headers=tenant.key_headers)
    bad = [
        client.get(path, headers=tenant.key_headers)
        for path in (
            "/api/v1/overview?days=0",
            "/api/v1/usage-trends?granularity=hourly",
            "/api/v1/top-endpoints?limit=101",
        )
    ]
    assert foreign.status_code == 404
    assert [r.status_code for r in bad] == [400, 400, 400] and all(r.json().keys() >= ERROR_KEYS for r in bad)
    assert client.get("/api/v1/overview").status_code == 401
