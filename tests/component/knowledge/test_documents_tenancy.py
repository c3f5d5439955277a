"""Tenant isolation of the document routes: another tenant's ids are 404 everywhere, and nothing changes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from knowrithm_core.container import Services, get_services
from tests.component.knowledge.conftest import Pump, upload
from tests.stack import Tenant

ROUTES = [
    ("GET", "/api/v1/document/{document}", None),
    ("GET", "/api/v1/document/agent/{agent}", None),
    ("DELETE", "/api/v1/document/{document}", None),
    ("PATCH", "/api/v1/document/{deleted_document}/restore", None),
    ("DELETE", "/api/v1/document/bulk-delete", {"document_ids": ["{document}", "{deleted_document}"]}),
    ("DELETE", "/api/v1/document/chunk/{chunk}", None),
    ("PATCH", "/api/v1/document/chunk/{deleted_chunk}/restore", None),
    ("DELETE", "/api/v1/document/{document}/chunk", None),
    ("PATCH", "/api/v1/document/{document}/chunk/restore-all", None),
    ("POST", "/api/v1/search/document", {"query": "kiln", "agent_id": "{agent}"}),
    ("POST", "/api/v1/document/upload", {"agent_id": "{agent}", "url": "https://example.com/page"}),
    ("POST", "/api/v1/document/upload-url", {"agent_id": "{agent}", "filename": "big.md", "size": 7_000_000}),
    ("POST", "/api/v1/document/{document}/complete", None),
    ("POST", "/api/v1/document/{awaiting}/complete", None),
]


def _snapshot(services: Services) -> list[dict[str, Any]]:
    """Every item except API keys (whose usage counters move on each authenticated call) and the caller's own
    rate-limit windows (an upload request counts against the caller's company even when it is refused)."""
    raw = services.table.client.scan(TableName=services.table.table_name)["Items"]
    return sorted(
        (i for i in raw if not i["SK"]["S"].startswith("APIKEY#") and not i["PK"]["S"].startswith("RATE#")),
        key=lambda i: (i["PK"]["S"], i["SK"]["S"]),
    )


def _objects(services: Services) -> list[str]:
    s3 = services.knowledge.blobs.client  # type: ignore[union-attr]
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=services.settings.document_bucket).get("Contents", []))


def _victim(client: TestClient, tenant: Tenant, pump: Pump) -> dict[str, str]:
    """Tenant A's ids: the agent, a live document and chunk, a deleted document, a deleted chunk, and a
    pre-signed upload whose file is in the bucket but which A has not completed yet."""
    h = tenant.key_headers
    text = b"The kiln fires on Thursday.\n\nGlazes are lead-free."
    live, gone = upload(
        client, h, tenant.agent_id, ("live.txt", text, "text/plain"), ("gone.txt", text, "text/plain")
    ).json()["documents"]
    assert pump()["failed"] == 0
    chunks = client.get(f"/api/v1/document/{live['id']}", headers=h).json()["document"]["chunks"]
    other = upload(client, h, tenant.agent_id, ("third.txt", b"Another kiln fact.", "text/plain")).json()["documents"][
        0
    ]
    pump()
    deleted_chunk = client.get(f"/api/v1/document/{other['id']}", headers=h).json()["document"]["chunks"][0]["id"]
    assert client.delete(f"/api/v1/document/chunk/{deleted_chunk}", headers=h).status_code == 200
    assert client.delete(f"/api/v1/document/{gone['id']}", headers=h).status_code == 200
    ticket = client.post(
        "/api/v1/document/upload-url", headers=h, json={"agent_id": tenant.agent_id, "filename": "a.md", "size": 9}
    ).json()
    services = get_services()
    s3 = services.knowledge.blobs.client  # type: ignore[union-attr]
    s3.put_object(Bucket=services.settings.document_bucket, Key=ticket["upload"]["fields"]["key"], Body=b"# A notes")
    return {
        "awaiting": ticket["document"]["id"],
        "agent": tenant.agent_id,
        "document": live["id"],
        "chunk": chunks[0]["id"],
        "deleted_document": gone["id"],
        "deleted_chunk": deleted_chunk,
    }


def test_foreign_document_ids_are_404_and_change_nothing(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, other_tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN tenant A's documents and chunks, and tenant B (an admin, so scopes are never the reason)
    victim = _victim(kb_client, tenant, pump_ingest)
    before, objects = _snapshot(kb_services), _objects(kb_services)
    for method, path, body in ROUTES:
        payload = (
            {
                k: (
                    [x.format(**victim) for x in v]
                    if isinstance(v, list)
                    else v.format(**victim)
                    if isinstance(v, str)
                    else v
                )
                for k, v in body.items()
            }
            if body
            else None
        )
        # WHEN B calls the route with A's ids
        response = kb_client.request(method, path.format(**victim), json=payload, headers=other_tenant.admin_headers)
        # THEN it looks missing, and neither the table nor the bucket changed, nor was anything queued
        assert response.status_code == 404, f"{method} {path}: {response.status_code} {response.text}"
        assert response.json()["error_code"] == "not_found", f"{method} {path}"
        assert _snapshot(kb_services) == before, f"{method} {path} changed the table"
    assert _objects(kb_services) == objects
    assert pump_ingest() == {"handled": 0, "failed": 0}


def test_lists_and_search_never_show_another_tenants_documents(
    kb_client: TestClient, tenant: Tenant, other_tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN documents of tenant A only
    victim = _victim(kb_client, tenant, pump_ingest)
    b = other_tenant.admin_headers
    # WHEN B lists every document view and searches across its own agents
    lists = [
        kb_client.get("/api/v1/document", headers=b).json()["document"],
        kb_client.get("/api/v1/document/deleted", headers=b).json()["deleted_documents"],
        kb_client.get("/api/v1/document/chunk/deleted", headers=b).json()["deleted_chunks"],
        kb_client.post("/api/v1/search/document", headers=b, json={"query": "kiln glazes"}).json()["results"],
    ]
    # THEN none of A's documents or chunks appear (B has none of its own)
    assert lists == [[], [], [], []]
    # AND A still sees its own, so the lists are not simply broken
    own = kb_client.get("/api/v1/document", headers=tenant.key_headers).json()["document"]
    assert victim["document"] in {d["id"] for d in own}
