"""Webhook endpoint and delivery pages cost what they hold: one Query of ``per_page + 1``, cursors, counters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.webhooks import Delivery
from knowrithm_core.store.repositories.webhooks import delivery_id, delivery_item
from tests.dynamo_reads import fill, recorded_queries
from tests.stack import Tenant

URL = "/api/v1/webhook"


def _endpoint(client: TestClient, tenant: Tenant) -> str:
    response = client.post(URL, json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}, headers=tenant.key_headers)
    assert response.status_code == 201, response.text
    return str(response.json()["webhook"]["id"])


def _fill_deliveries(services: Services, tenant: Tenant, endpoint_id: str, count: int) -> list[str]:
    """``count`` delivery records as the fan-out writes them; event ids oldest first."""
    rows = []
    for n in range(count):
        event_id, stamp = new_id(), iso()
        delivery = Delivery(
            id=delivery_id(endpoint_id, event_id),
            company_id=tenant.company_id,
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type="lead.created",
            status="failed" if n % 10 == 0 else "succeeded",
            event_timestamp=stamp,
            created_at=stamp,
            updated_at=stamp,
        )
        rows.append(delivery_item(delivery, {}, 7))
    fill(services.table, rows, {})
    return [str(r["event_id"]) for r in rows]


@pytest.mark.parametrize("count", [20, 500])
def test_delivery_page_one_reads_per_page_plus_one(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, count: int
) -> None:
    # GIVEN an endpoint with `count` delivery records
    endpoint_id = _endpoint(webhook_client, tenant)
    _fill_deliveries(webhook_services, tenant, endpoint_id, count)
    # WHEN page 1 of 20 is listed
    with recorded_queries(webhook_services, f"#WEBHOOK#{endpoint_id}") as queries:
        body = webhook_client.get(f"{URL}/{endpoint_id}/deliveries?per_page=20", headers=tenant.key_headers).json()
    # THEN one Query with Limit 21; the total is a lower bound (records expire by TTL)
    assert [(q.limit, q.items_read) for q in queries] == [(21, min(count, 21))]
    assert len(body["deliveries"]) == 20
    assert body["pagination"]["total"] == min(count, 21) and body["pagination"]["has_next"] is (count > 20)


def test_delivery_cursors_walk_every_record_once_and_filters_are_bounded(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant
) -> None:
    endpoint_id = _endpoint(webhook_client, tenant)
    events = _fill_deliveries(webhook_services, tenant, endpoint_id, 45)
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        url = f"{URL}/{endpoint_id}/deliveries?per_page=20&cursor={cursor}"
        body = webhook_client.get(url, headers=tenant.key_headers).json()
        seen += [d["event_id"] for d in body["deliveries"]]
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(events))
    with recorded_queries(webhook_services, f"#WEBHOOK#{endpoint_id}") as queries:
        failed = webhook_client.get(f"{URL}/{endpoint_id}/deliveries?status=failed", headers=tenant.key_headers)
    assert [d["event_id"] for d in failed.json()["deliveries"]] == list(reversed(events[::10]))
    assert all(q.limit is not None and q.limit <= 1000 for q in queries)


def test_endpoint_pages_counter_and_delete(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant
) -> None:
    # GIVEN three endpoints
    ids = [_endpoint(webhook_client, tenant) for _ in range(3)]
    # WHEN listed two at a time THEN one Query of Limit 3 per page, oldest first, total from the counter
    with recorded_queries(webhook_services, "#WEBHOOKS") as queries:
        first = webhook_client.get(f"{URL}?per_page=2", headers=tenant.key_headers).json()
    assert [(q.index, q.limit) for q in queries] == [("GSI2", 3)]
    cursor = first["pagination"]["next_cursor"]
    second = webhook_client.get(f"{URL}?per_page=2&cursor={cursor}", headers=tenant.key_headers).json()
    assert [w["id"] for w in first["webhooks"] + second["webhooks"]] == ids and first["pagination"]["total"] == 3
    # WHEN one is deleted THEN it leaves the list and the total
    assert webhook_client.delete(f"{URL}/{ids[1]}", headers=tenant.key_headers).status_code == 200
    listed = webhook_client.get(URL, headers=tenant.key_headers).json()
    assert [w["id"] for w in listed["webhooks"]] == [ids[0], ids[2]] and listed["pagination"]["total"] == 2


def test_garbled_and_foreign_cursors_are_400s(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine, theirs = _endpoint(webhook_client, tenant), _endpoint(webhook_client, other_tenant)
    _fill_deliveries(webhook_services, other_tenant, theirs, 5)
    foreign = webhook_client.get(f"{URL}/{theirs}/deliveries?per_page=2", headers=other_tenant.key_headers).json()
    for bad in (foreign["pagination"]["next_cursor"], "@@@", "e30"):
        for url in (f"{URL}/{mine}/deliveries", URL):
            response = webhook_client.get(f"{url}?cursor={bad}", headers=tenant.key_headers)
            assert response.status_code == 400 and response.json()["error_code"] == "validation_error", url
