"""Document list pages cost what they hold: one Query of ``per_page + 1`` on the list's index, a cursor to go on,
totals from the write-time counters; the backfill puts documents written before on their lists."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.ids import iso, new_id
from knowrithm_core.knowledge.records import Document
from knowrithm_core.store import keys
from knowrithm_core.store.backfill import backfill
from knowrithm_core.store.repositories.documents import document_item
from tests.component.knowledge.conftest import upload
from tests.dynamo_reads import fill, recorded_queries
from tests.stack import Tenant

URL = "/api/v1/document"
LIST_INDEX_ATTRIBUTES = ("GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK")


def _fill_documents(services: Services, company_id: str, agent_id: str, count: int) -> list[str]:
    """``count`` completed documents, written as the repository writes them, with their counters; ids oldest first."""
    documents = []
    for n in range(count):
        stamp = iso()
        documents.append(
            Document(
                id=new_id(),
                company_id=company_id,
                agent_id=agent_id,
                original_filename=f"note{n}.txt",
                filename=f"note{n}.txt",
                document_type="txt",
                status="completed",
                created_at=stamp,
                updated_at=stamp,
            )
        )
    counters = {
        (keys.stats_pk(company_id), "TOTAL"): {"documents": count, "documents_status_completed": count},
        (keys.company_pk(company_id), f"AGENT#{agent_id}#STATS"): {"documents": count},
    }
    fill(services.table, [document_item(d, None) for d in documents], counters)
    return [d.id for d in documents]


@pytest.mark.parametrize("count", [20, 300])
def test_page_one_reads_per_page_plus_one_documents_whatever_the_tenant_holds(
    client: TestClient, services: Services, tenant: Tenant, count: int
) -> None:
    # GIVEN a tenant with `count` documents
    ids = _fill_documents(services, tenant.company_id, tenant.agent_id, count)
    # WHEN page 1 of 20 is listed: the company's, one status's, one agent's
    pages = {}
    for name, url in (
        ("all", f"{URL}?per_page=20"),
        ("status", f"{URL}?per_page=20&status=processed"),
        ("agent", f"{URL}/agent/{tenant.agent_id}?per_page=20"),
    ):
        with recorded_queries(services, "#DOCS") as queries:
            response = client.get(url, headers=tenant.key_headers)
        assert response.status_code == 200, response.text
        pages[name] = (response.json(), [(q.index, q.limit, q.items_read) for q in queries])
    # THEN each read one Query of Limit 21 on its own index (plus, where uploads may be awaited, a keys-only count
    # of those), newest first, with the total from the counters
    page_reads = ("GSI2", 21, min(count, 21)), ("GSI3", 21, min(count, 21)), ("GSI4", 21, min(count, 21))
    assert pages["all"][1] == [("GSI3", 1000, 0), page_reads[0]]
    assert pages["status"][1] == [page_reads[1]]
    assert pages["agent"][1] == [("GSI3", 1000, 0), page_reads[2]]
    for body, _ in pages.values():
        assert [d["id"] for d in body["document"]] == ids[::-1][:20]
        assert body["pagination"]["total"] == count and body["pagination"]["has_next"] is (count > 20)


def test_the_cursor_walks_every_document_once(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN 45 documents
    ids = _fill_documents(services, tenant.company_id, tenant.agent_id, 45)
    # WHEN the list is walked with next_cursor
    seen: list[str] = []
    cursor = ""
    while True:
        body = client.get(f"{URL}?per_page=20&cursor={cursor}", headers=tenant.key_headers).json()
        seen += [d["id"] for d in body["document"]]
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            break
    # THEN every document came once, newest first; page=3 gives the same last page; a forged cursor is a 400
    assert seen == ids[::-1]
    third = client.get(f"{URL}?per_page=20&page=3", headers=tenant.key_headers).json()
    assert [d["id"] for d in third["document"]] == ids[::-1][40:]
    bad = client.get(f"{URL}?cursor=bm90LWEtY3Vyc29y", headers=tenant.key_headers)
    assert bad.status_code == 400 and bad.json()["error_code"]


def test_backfill_puts_old_documents_back_on_their_lists_with_their_totals(
    kb_client: TestClient, kb_services: Services, tenant: Tenant
) -> None:
    # GIVEN three documents uploaded through the API (pending), one of them deleted
    h = tenant.key_headers
    for name in ("a.txt", "b.txt", "c.txt"):
        assert upload(kb_client, h, tenant.agent_id, (name, b"Kiln day is Thursday.", "text/plain")).status_code == 200
    listed = kb_client.get(f"{URL}?per_page=100", headers=h).json()
    gone = listed["document"][0]["id"]
    assert kb_client.delete(f"{URL}/{gone}", headers=h).status_code == 200
    before = kb_client.get(f"{URL}?per_page=100", headers=h).json()
    deleted = kb_client.get(f"{URL}/deleted", headers=h).json()
    assert before["total"] == 2 and deleted["total"] == 1
    # WHEN their list index attributes and the documents counters are removed (data written before the change)
    client, table = kb_services.table.client, kb_services.table.table_name
    for item in kb_services.table.query(keys.company_pk(tenant.company_id), sk_prefix="DOC#"):
        names = [n for n in LIST_INDEX_ATTRIBUTES if n in item]
        key = {"PK": {"S": item["PK"]}, "SK": {"S": item["SK"]}}
        client.update_item(TableName=table, Key=key, UpdateExpression="REMOVE " + ", ".join(names))
    total_key = {"PK": {"S": keys.stats_pk(tenant.company_id)}, "SK": {"S": "TOTAL"}}
    client.update_item(
        TableName=table,
        Key=total_key,
        UpdateExpression="REMOVE #a, #b",
        ExpressionAttributeNames={"#a": "documents", "#b": "documents_status_pending"},
    )
    assert kb_client.get(f"{URL}?per_page=100", headers=h).json()["document"] == []
    # AND the backfill runs
    report = backfill(kb_services.table, page_size=7)
    # THEN the lists hold them again with the right totals, and the counters are back
    assert kb_client.get(f"{URL}?per_page=100", headers=h).json() == before
    assert kb_client.get(f"{URL}/deleted", headers=h).json() == deleted
    pending = kb_client.get(f"{URL}?status=pending", headers=h).json()
    assert pending["total"] == 2 and len(pending["document"]) == 2
    totals = report.totals[tenant.company_id]
    assert totals["documents"] == 2 and totals["documents_status_pending"] == 2
    # AND a second run changes nothing
    again = backfill(kb_services.table, page_size=7)
    assert (again.items_updated, again.totals_written) == (0, 0)
