"""The backfill: items written before list pages read sparse indexes and counters show up again, once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.store import keys
from knowrithm_core.store.backfill import backfill, main
from tests.stack import Tenant, dynamodb_calls, new_conversation

LISTS = {
    "leads": ("/api/v1/lead/company", "leads"),
    "agents": ("/api/v1/agent", "agents"),
    "deleted_agents": ("/api/v1/agent?status=deleted", "agents"),
    "conversations": ("/api/v1/conversation", "conversations"),
    "webhooks": ("/api/v1/webhook", "webhooks"),
    "api_keys": ("/api/v1/auth/api-keys", "api_keys"),
}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
LIST_INDEX_ATTRIBUTES = ("GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK")


def _lists(client: TestClient, tenant: Tenant) -> dict[str, tuple[list[str], int]]:
    """Every list route's ids (per_page=100) and total."""
    found = {}
    for name, (url, key) in LISTS.items():
        headers = tenant.admin_headers if name == "api_keys" else tenant.key_headers
        response = client.get(url + ("&" if "?" in url else "?") + "per_page=100", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        found[name] = ([str(x["id"]) for x in body[key]], int(body["pagination"]["total"]))
    return found


def _write_through_the_api(client: TestClient, tenant: Tenant) -> None:
    """Leads (one qualified), agents (one deleted), conversations (one deleted), an endpoint, a second key."""
    h = tenant.key_headers
    for n in range(3):
        lead = {"first_name": "Lee", "last_name": f"N{n}", "email": f"lee{n}@example.com"}
        assert client.post("/api/v1/lead", json=lead, headers=h).status_code == 201
    lead_id = client.get("/api/v1/lead/company", headers=h).json()["leads"][0]["id"]
    assert client.put(f"/api/v1/lead/{lead_id}", json={"status": "qualified"}, headers=h).status_code == 200
    for n in range(2):
        assert client.post("/api/v1/agent", json={"name": f"extra {n}"}, headers=h).status_code == 201
    gone = client.get("/api/v1/agent", headers=h).json()["agents"][0]["id"]
    assert client.delete(f"/api/v1/agent/{gone}", headers=h).status_code == 200
    conversations = [new_conversation(client, tenant) for _ in range(3)]
    assert client.delete(f"/api/v1/conversation/{conversations[0]}", headers=h).status_code == 200
    hook = {"url": "https://93.184.215.14/knowrithm", "events": ["*"]}
    assert client.post("/api/v1/webhook", json=hook, headers=h).status_code == 201
    key = client.post("/api/v1/auth/api-keys", json={"name": "second"}, headers=tenant.admin_headers)
    assert key.status_code == 201, key.text


def _strip_to_old_data(services: Services, company_id: str) -> int:
    """Remove the list index attributes and the company's totals, as items written before the change lack them."""
    client, table = services.table.client, services.table.table_name
    stripped = 0
    for raw in client.get_paginator("scan").paginate(TableName=table):
        for item in raw["Items"]:
            sk, gsi2 = item["SK"]["S"], item.get("GSI2PK", {}).get("S", "")
            listed = sk == keys.CONVERSATION_META or sk.startswith(("LEAD#", "WEBHOOK#"))
            listed = listed or (sk.startswith("AGENT#") and not sk.endswith("#STATS"))
            names = [
                n for n in LIST_INDEX_ATTRIBUTES if n in item and not (n.startswith("GSI2") and "SETTINGS#" in gsi2)
            ]
            if listed and names:
                key = {"PK": item["PK"], "SK": item["SK"]}
                client.update_item(TableName=table, Key=key, UpdateExpression="REMOVE " + ", ".join(names))
                stripped += 1
    total = services.table.get(keys.stats_pk(company_id), "TOTAL") or {}
    old = [n for n in total if n in {"leads", "agents", "agents_deleted", "conversations_live", "webhooks", "api_keys"}]
    old += [n for n in total if n.startswith(("lead_status_", "agents_status_"))]
    key = {"PK": {"S": keys.stats_pk(company_id)}, "SK": {"S": "TOTAL"}}
    names = {f"#n{i}": n for i, n in enumerate(old)}
    client.update_item(
        TableName=table, Key=key, UpdateExpression="REMOVE " + ", ".join(names), ExpressionAttributeNames=names
    )
    return stripped


def test_backfill_brings_old_items_back_to_every_list_with_their_totals_and_a_second_run_writes_nothing(
    client: TestClient, services: Services, tenant: Tenant, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN leads, agents, conversations, an endpoint and API keys written through the API
    _write_through_the_api(client, tenant)
    before = _lists(client, tenant)
    assert [len(before[n][0]) for n in LISTS] == [3, 2, 1, 2, 1, 2]
    assert all(len(ids) == total for ids, total in before.values())
    qualified = client.get("/api/v1/lead/company?status=qualified", headers=tenant.key_headers).json()
    # WHEN their list index attributes and the company totals are stripped (data from before the change)
    stripped = _strip_to_old_data(services, tenant.company_id)
    old: dict[str, Any] = _lists(client, tenant)
    assert all(old[n] == ([], 0) for n in LISTS if n != "api_keys") and old["api_keys"][1] == 0
    # AND the backfill runs, a few items per Scan request
    first = backfill(services.table, page_size=7)
    # THEN every list returns every item again, in the same order, with the right totals
    assert _lists(client, tenant) == before
    again = client.get("/api/v1/lead/company?status=qualified", headers=tenant.key_headers).json()
    assert again["leads"] == qualified["leads"] and again["pagination"]["total"] == 1
    assert first.items_updated == stripped == 3 + 3 + 3 + 1 and first.totals_written == 1
    assert first.pages > 1 and first.last_key is None
    totals = first.totals[tenant.company_id]
    assert totals["leads"] == 3 and totals["lead_status_qualified"] == 1 and totals["agents_deleted"] == 1
    # AND a second run reads everything again but writes nothing
    with dynamodb_calls(services) as calls:
        second = backfill(services.table, page_size=7)
    assert (second.items_updated, second.totals_written) == (0, 0)
    assert set(calls) == {"Scan", "GetItem"} and not WRITES & set(calls)
    assert second.items_scanned == first.items_scanned
    # AND so does the CLI (`make backfill`), which reports what it did as JSON
    assert main(["--table", services.table.table_name, "--page-size", "50"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["items_updated"], report["totals_written"], report["last_key"]) == (0, 0, None)
    assert _lists(client, tenant) == before
