"""Lead list pages cost what they hold: one Query of ``per_page + 1`` items, a cursor to go on, counter totals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Lead
from knowrithm_core.store import keys
from knowrithm_core.store.repositories.leads import lead_item
from tests.dynamo_reads import fill, recorded_queries
from tests.stack import Tenant

URL = "/api/v1/lead/company"


def _fill_leads(services: Services, company_id: str, count: int, status: str = "new") -> list[str]:
    """``count`` live leads of one status, written as the service writes them; ids oldest first."""
    leads = []
    for n in range(count):
        stamp = iso()
        leads.append(
            Lead.model_validate(
                {
                    "id": new_id(),
                    "company_id": company_id,
                    "first_name": "Lee",
                    "last_name": f"Number{n}",
                    "full_name": f"Lee Number{n}",
                    "email": f"lee{n}-{status}@example.com",
                    "status": status,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "last_activity": stamp,
                }
            )
        )
    totals = {"leads": count, f"lead_status_{status}": count}
    fill(services.table, [lead_item(x) for x in leads], {(keys.stats_pk(company_id), "TOTAL"): totals})
    return [x.id for x in leads]


@pytest.mark.parametrize("count", [20, 500])
def test_page_one_reads_per_page_plus_one_items_whatever_the_tenant_holds(
    client: TestClient, services: Services, tenant: Tenant, count: int
) -> None:
    # GIVEN a tenant with `count` leads
    _fill_leads(services, tenant.company_id, count)
    # WHEN page 1 of 20 is listed
    with recorded_queries(services, "#LEADS") as queries:
        response = client.get(f"{URL}?per_page=20", headers=tenant.key_headers)
    # THEN one Query with Limit 21 read at most 21 items, and the total comes from the counter
    assert response.status_code == 200, response.text
    assert [(q.limit, q.items_read) for q in queries] == [(21, min(count, 21))]
    pagination = response.json()["pagination"]
    assert len(response.json()["leads"]) == 20 and pagination["total"] == count
    assert pagination["has_next"] is (count > 20) and (pagination["next_cursor"] is not None) is (count > 20)
    assert pagination["pages"] == count // 20


def test_cursors_and_page_numbers_walk_every_lead_once_newest_first(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    # GIVEN 45 leads
    ids = _fill_leads(services, tenant.company_id, 45)
    # WHEN walking the cursors 20 at a time
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        body = client.get(f"{URL}?per_page=20&cursor={cursor}", headers=tenant.key_headers).json()
        seen += [x["id"] for x in body["leads"]]
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            break
    # THEN every lead came once, newest first, no gaps
    assert seen == list(reversed(ids))
    # AND page numbers give the same pages (page 3 walks 40 keys, key attributes only, then reads 5 + 0)
    with recorded_queries(services, "#LEADS") as queries:
        third = client.get(f"{URL}?per_page=20&page=3", headers=tenant.key_headers).json()
    assert [x["id"] for x in third["leads"]] == seen[40:]
    assert [(q.limit, q.keys_only) for q in queries] == [(40, True), (21, False)]
    assert third["pagination"] | {"next_cursor": None} == {
        "page": 3,
        "per_page": 20,
        "total": 45,
        "pages": 3,
        "has_next": False,
        "has_prev": True,
        "next_cursor": None,
    }
    assert client.get(f"{URL}?per_page=20&page=9", headers=tenant.key_headers).json()["leads"] == []


def test_status_filter_is_an_index_and_deletes_and_restores_move_the_totals(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    # GIVEN 30 new leads and 3 qualified ones
    _fill_leads(services, tenant.company_id, 30)
    qualified = _fill_leads(services, tenant.company_id, 3, status="qualified")
    # WHEN listing the qualified ones
    with recorded_queries(services, "#LEADS") as queries:
        body = client.get(f"{URL}?status=qualified", headers=tenant.key_headers).json()
    # THEN only they are read
    assert [x["id"] for x in body["leads"]] == list(reversed(qualified)) and body["pagination"]["total"] == 3
    assert [(q.index, q.items_read) for q in queries] == [("GSI3", 3)]
    # WHEN one is deleted over the API, it leaves the list and the totals
    assert client.delete(f"/api/v1/sdk/lead/{qualified[0]}", headers=tenant.key_headers).status_code == 200
    after = client.get(f"{URL}?status=qualified", headers=tenant.key_headers).json()
    assert [x["id"] for x in after["leads"]] == list(reversed(qualified[1:])) and after["pagination"]["total"] == 2
    assert client.get(URL, headers=tenant.key_headers).json()["pagination"]["total"] == 32


def test_search_is_bounded_and_pages_over_matches(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN 30 leads
    _fill_leads(services, tenant.company_id, 30)
    # WHEN searching for one name
    with recorded_queries(services, "#LEADS") as queries:
        body = client.get(f"{URL}?search=number17", headers=tenant.key_headers).json()
    # THEN it is found, by reading at most the scan limit
    assert [x["last_name"] for x in body["leads"]] == ["Number17"] and body["pagination"]["total"] == 1
    assert all(q.limit is not None and q.limit <= 1000 for q in queries)


@pytest.mark.parametrize("cursor", ["garbage!!", "e30", "eyJQSyI6MX0", "x" * 5000])
def test_a_garbled_cursor_is_a_400_and_reads_nothing(
    client: TestClient, services: Services, tenant: Tenant, cursor: str
) -> None:
    _fill_leads(services, tenant.company_id, 3)
    with recorded_queries(services, "#LEADS") as queries:
        response = client.get(f"{URL}?cursor={cursor}", headers=tenant.key_headers)
    assert response.status_code == 400, response.text
    assert {"detail", "error", "message", "error_code"} <= set(response.json())
    assert queries == []


def test_another_tenants_cursor_is_a_400_and_lists_stay_apart(
    client: TestClient, services: Services, tenant: Tenant, other_tenant: Tenant
) -> None:
    # GIVEN two tenants with leads
    mine = _fill_leads(services, tenant.company_id, 25)
    _fill_leads(services, other_tenant.company_id, 25)
    theirs = client.get(f"{URL}?per_page=20", headers=other_tenant.key_headers).json()
    # WHEN one uses the other's cursor, THEN it is refused
    cursor = theirs["pagination"]["next_cursor"]
    assert client.get(f"{URL}?cursor={cursor}", headers=tenant.key_headers).status_code == 400
    # AND each sees only its own leads
    first = client.get(f"{URL}?per_page=100", headers=tenant.key_headers).json()
    assert sorted(x["id"] for x in first["leads"]) == sorted(mine)
    assert not {x["id"] for x in theirs["leads"]} & set(mine)
