"""Agent list pages cost what they hold: one Query of ``per_page + 1`` and one BatchGetItem of their counters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Agent
from knowrithm_core.store import keys
from knowrithm_core.store.repositories.agents import agent_item
from tests.dynamo_reads import fill, recorded_queries
from tests.stack import Tenant

URL = "/api/v1/agent"


def _fill_agents(services: Services, tenant: Tenant, count: int, status: str = "active") -> list[str]:
    """``count`` agents written as the service writes them (with the company counters); ids oldest first."""
    rows = []
    for n in range(count):
        stamp = iso()
        rows.append(
            Agent.model_validate(
                {
                    "id": new_id(),
                    "created_at": stamp,
                    "updated_at": stamp,
                    "company_id": tenant.company_id,
                    "name": f"Bot {n}",
                    "status": status,
                }
            )
        )
    totals = {"agents": count, f"agents_status_{status}": count}
    fill(services.table, [agent_item(a) for a in rows], {(keys.stats_pk(tenant.company_id), "TOTAL"): totals})
    return [a.id for a in rows]


@pytest.mark.parametrize("count", [20, 500])
def test_page_one_reads_per_page_plus_one_agents_and_their_counters(
    client: TestClient, services: Services, tenant: Tenant, count: int
) -> None:
    # GIVEN `count` more agents beside the tenant's own
    _fill_agents(services, tenant, count)
    # WHEN page 1 of 20 is listed
    with recorded_queries(services, "#AGENTS") as queries:
        body = client.get(f"{URL}?per_page=20", headers=tenant.key_headers).json()
    # THEN one Query with Limit 21 read 21 items, and the total is the counter (the fixture's agent included)
    assert [(q.index, q.limit, q.items_read) for q in queries] == [("GSI4", 21, 21)]
    assert len(body["agents"]) == 20 and body["total"] == body["pagination"]["total"] == count + 1
    assert body["pagination"]["next_cursor"] and body["pagination"]["has_next"] is True


def test_cursors_status_and_deleted_lists_by_key(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN 24 active and 3 inactive agents beside the tenant's own
    active = _fill_agents(services, tenant, 24)
    inactive = _fill_agents(services, tenant, 3, status="inactive")
    # WHEN walking the cursors 10 at a time THEN every agent comes once, newest first
    seen: list[str] = []
    cursor = ""
    while True:
        body = client.get(f"{URL}?per_page=10&cursor={cursor}", headers=tenant.key_headers).json()
        seen += [a["id"] for a in body["agents"]]
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed([tenant.agent_id, *active, *inactive]))
    # AND a status is its own index partition
    with recorded_queries(services, "#AGENTS") as queries:
        only = client.get(f"{URL}?status=inactive", headers=tenant.key_headers).json()
    assert [a["id"] for a in only["agents"]] == list(reversed(inactive)) and only["total"] == 3
    assert [(q.index, q.items_read) for q in queries] == [("GSI3", 3)]
    # WHEN one is deleted THEN it moves to the deleted list and the totals follow; restoring brings it back
    assert client.delete(f"{URL}/{inactive[0]}", headers=tenant.key_headers).status_code == 200
    deleted = client.get(f"{URL}?status=deleted", headers=tenant.key_headers).json()
    assert [a["id"] for a in deleted["agents"]] == [inactive[0]] and deleted["total"] == 1
    assert client.get(f"{URL}?status=inactive", headers=tenant.key_headers).json()["total"] == 2
    assert client.patch(f"{URL}/{inactive[0]}/restore", headers=tenant.key_headers).status_code == 200
    assert client.get(f"{URL}?status=inactive", headers=tenant.key_headers).json()["total"] == 3
    assert client.get(f"{URL}?status=deleted", headers=tenant.key_headers).json()["agents"] == []


def test_garbled_and_foreign_cursors_are_400s(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    for n in range(3):
        client.post(URL, json={"name": f"extra {n}"}, headers=other_tenant.key_headers)
    foreign = client.get(f"{URL}?per_page=1", headers=other_tenant.key_headers).json()["pagination"]["next_cursor"]
    assert foreign
    for bad in (foreign, "not-a-cursor", "e30"):
        response = client.get(f"{URL}?cursor={bad}", headers=tenant.key_headers)
        assert response.status_code == 400 and response.json()["error_code"] == "validation_error"
    mine = client.get(URL, headers=tenant.key_headers).json()["agents"]
    assert [a["id"] for a in mine] == [tenant.agent_id]
