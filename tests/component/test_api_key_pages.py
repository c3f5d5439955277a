"""API key list pages cost what they hold: one key-range Query of ``per_page + 1``, a cursor, a counter total."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from tests.dynamo_reads import recorded_queries
from tests.stack import Tenant

URL = "/api/v1/auth/api-keys"


def _create_keys(client: TestClient, tenant: Tenant, count: int) -> list[str]:
    ids = []
    for n in range(count):
        response = client.post(URL, json={"name": f"key {n}"}, headers=tenant.admin_headers)
        assert response.status_code == 201, response.text
        ids.append(str(response.json()["details"]["id"]))
    return ids


@pytest.mark.parametrize("count", [3, 30])
def test_page_one_reads_per_page_plus_one_keys(
    client: TestClient, services: Services, tenant: Tenant, count: int
) -> None:
    # GIVEN the fixture's key and `count` more
    _create_keys(client, tenant, count)
    # WHEN page 1 of 2 is listed
    with recorded_queries(services, f"COMPANY#{tenant.company_id}") as queries:
        body = client.get(f"{URL}?per_page=2", headers=tenant.admin_headers).json()
    # THEN one Query of Limit 3 read 3 items; the total is the counter
    assert [(q.index, q.limit, q.items_read) for q in queries if q.limit == 3] == [(None, 3, 3)]
    assert len(body["api_keys"]) == 2 and body["pagination"]["total"] == count + 1


def test_cursor_walks_every_key_once_and_revoked_keys_stay_listed(client: TestClient, tenant: Tenant) -> None:
    ids = _create_keys(client, tenant, 4)
    assert client.delete(f"{URL}/{ids[0]}", headers=tenant.admin_headers).status_code == 200
    everything = client.get(URL, headers=tenant.admin_headers).json()
    assert len(everything["api_keys"]) == 5 and everything["pagination"]["next_cursor"] is None
    seen: list[str] = []
    cursor = ""
    while True:
        body = client.get(f"{URL}?per_page=2&cursor={cursor}", headers=tenant.admin_headers).json()
        seen += [k["id"] for k in body["api_keys"]]
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            break
    assert seen == [k["id"] for k in everything["api_keys"]] and seen[1:] == ids


def test_garbled_and_foreign_cursors_are_400s(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    _create_keys(client, other_tenant, 2)
    foreign = client.get(f"{URL}?per_page=1", headers=other_tenant.admin_headers).json()["pagination"]["next_cursor"]
    for bad in (foreign, "zz", "eyJQSyI6W119"):
        response = client.get(f"{URL}?cursor={bad}", headers=tenant.admin_headers)
        assert response.status_code == 400 and response.json()["error_code"] == "validation_error"
