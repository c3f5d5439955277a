"""The upload rate limit (``RATE_LIMIT_UPLOAD``, 20 per minute per company) and ``documents_count``, the
document counters kept on write (agent stats, dashboard) through upload, delete, restore and bulk delete."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.auth import Principal
from knowrithm_core.container import Services
from knowrithm_core.errors import Conflict
from tests.component.knowledge.conftest import upload
from tests.stack import RateClock, Tenant

NOTE = ("note.txt", b"The kiln fires every Thursday night.", "text/plain")


def _documents(services: Services, company_id: str) -> list[dict[str, Any]]:
    return services.table.query(f"COMPANY#{company_id}", sk_prefix="DOC#")


def _objects(services: Services) -> list[str]:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=services.settings.document_bucket).get("Contents", [])
    return sorted(o["Key"] for o in listed)


def _queued(services: Services) -> int:
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=services.settings.ingest_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


# --- the upload rate limit ----------------------------------------------------------------------------------
def test_the_21st_upload_in_a_minute_is_429_and_stores_nothing(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, other_tenant: Tenant, rate_clock: RateClock
) -> None:
    # GIVEN a company that uploads 20 times within one minute (one request each, two files in the first)
    first = upload(kb_client, tenant.key_headers, tenant.agent_id, NOTE, ("faq.md", b"# FAQ\n\nYes.", "text/markdown"))
    statuses = [first.status_code] + [
        upload(kb_client, tenant.key_headers, tenant.agent_id, NOTE).status_code for _ in range(19)
    ]
    # THEN every one of them is accepted (the limit counts requests, not files)
    assert statuses == [200] * 20
    before = (_documents(kb_services, tenant.company_id), _objects(kb_services), _queued(kb_services))
    assert len(before[0]) == 21 and before[2] == 21
    # WHEN it uploads a 21st time in the same minute
    refused = upload(kb_client, tenant.key_headers, tenant.agent_id, NOTE)
    # THEN the answer is 429 with Retry-After and the standard error body
    assert refused.status_code == 429, refused.text
    assert refused.headers["Retry-After"] == "59"
    body = refused.json()
    assert body["error_code"] == "rate_limited" and body["details"] == {"retry_after": 59}
    assert body["detail"] == body["error"] == body["message"] and "document uploads" in body["detail"]
    # AND nothing was stored or queued
    assert (_documents(kb_services, tenant.company_id), _objects(kb_services), _queued(kb_services)) == before
    # AND a pre-signed upload URL is an upload request too: refused the same way, creating no document
    ticket = kb_client.post(
        "/api/v1/document/upload-url",
        headers=tenant.key_headers,
        json={"agent_id": tenant.agent_id, "filename": "big.md", "size": 7_000_000},
    )
    assert ticket.status_code == 429 and ticket.headers["Retry-After"] == "59"
    assert _documents(kb_services, tenant.company_id) == before[0]
    # AND another company is not affected
    theirs = upload(kb_client, other_tenant.key_headers, other_tenant.agent_id, NOTE)
    assert theirs.status_code == 200, theirs.text


def test_the_upload_limit_window_resets_and_can_be_configured(
    kb_client: TestClient, tenant: Tenant, rate_clock: RateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN RATE_LIMIT_UPLOAD=2/60
    from knowrithm_core.config import get_settings
    from knowrithm_core.container import get_services

    monkeypatch.setenv("RATE_LIMIT_UPLOAD", "2/60")
    get_settings.cache_clear()
    get_services.cache_clear()
    # WHEN a company uploads three times in one window
    codes = [upload(kb_client, tenant.key_headers, tenant.agent_id, NOTE).status_code for _ in range(3)]
    # THEN the third is refused
    assert codes == [200, 200, 429]
    # AND in the next window it may upload again
    rate_clock.advance(60)
    assert upload(kb_client, tenant.key_headers, tenant.agent_id, NOTE).status_code == 200
    # AND RATE_LIMIT_UPLOAD=off disables the limit
    monkeypatch.setenv("RATE_LIMIT_UPLOAD", "off")
    get_settings.cache_clear()
    get_services.cache_clear()
    assert [upload(kb_client, tenant.key_headers, tenant.agent_id, NOTE).status_code for _ in range(3)] == [200] * 3


# --- documents_count ------------------------------------------------------------------------------------------
def _count(client: TestClient, tenant: Tenant, agent_id: str | None = None) -> int:
    stats = client.get(f"/api/v1/agent/{agent_id or tenant.agent_id}/stats", headers=tenant.key_headers)
    assert stats.status_code == 200, stats.text
    return int(stats.json()["documents_count"])


def _company_count(client: TestClient, tenant: Tenant) -> int:
    dashboard = client.get("/api/v1/analytic/dashboard", headers=tenant.key_headers).json()
    assert dashboard["core_metrics"]["document_count"] == dashboard["document_analytics"]["total_documents"]
    return int(dashboard["core_metrics"]["document_count"])


def test_documents_count_follows_upload_delete_and_restore(
    kb_client: TestClient, kb_services: Services, tenant: Tenant
) -> None:
    h = tenant.key_headers
    # GIVEN an agent without documents
    assert _count(kb_client, tenant) == 0 and _company_count(kb_client, tenant) == 0
    # WHEN two files and a URL are uploaded
    files = upload(kb_client, h, tenant.agent_id, NOTE, ("faq.md", b"# FAQ\n\nYes.", "text/markdown")).json()
    page = kb_client.post(
        "/api/v1/document/upload", headers=h, json={"agent_id": tenant.agent_id, "url": "http://127.0.0.1:9/x"}
    )
    assert page.status_code == 200, page.text
    ids = [d["id"] for d in files["documents"]] + [page.json()["documents"][0]["id"]]
    # THEN the agent's stats and the company's dashboard count three documents
    assert _count(kb_client, tenant) == 3 and _company_count(kb_client, tenant) == 3
    # WHEN one is deleted, and deleted again
    assert kb_client.delete(f"/api/v1/document/{ids[0]}", headers=h).status_code == 200
    assert kb_client.delete(f"/api/v1/document/{ids[0]}", headers=h).status_code == 404
    # THEN it is counted off once
    assert _count(kb_client, tenant) == 2 and _company_count(kb_client, tenant) == 2
    # WHEN it is restored, and restored again
    assert kb_client.patch(f"/api/v1/document/{ids[0]}/restore", headers=h).status_code == 200
    assert kb_client.patch(f"/api/v1/document/{ids[0]}/restore", headers=h).status_code == 400
    # THEN it is counted back once
    assert _count(kb_client, tenant) == 3 and _company_count(kb_client, tenant) == 3
    # WHEN one is deleted, then the bulk delete names it again with the two live ones and an unknown id
    assert kb_client.delete(f"/api/v1/document/{ids[2]}", headers=h).status_code == 200
    unknown = "0190a0a0-0000-7000-8000-000000000000"
    bulk = kb_client.request(
        "DELETE", "/api/v1/document/bulk-delete", headers=h, json={"document_ids": [*ids, unknown]}
    ).json()
    # THEN only the two live ones are deleted and counted off
    assert bulk["deleted_documents_count"] == 2 and sorted(bulk["not_found"]) == sorted([ids[2], unknown])
    assert _count(kb_client, tenant) == 0 and _company_count(kb_client, tenant) == 0
    # AND the counters are two small items, not a scan: the agent's stats item and the company's totals
    stats = kb_services.table.get(f"COMPANY#{tenant.company_id}", f"AGENT#{tenant.agent_id}#STATS")
    totals = kb_services.table.get(f"COMPANY#{tenant.company_id}#STATS", "TOTAL")
    assert stats is not None and int(stats["documents"]) == 0
    assert totals is not None and int(totals["documents"]) == 0


def test_documents_count_is_per_agent_and_summed_for_the_company(kb_client: TestClient, tenant: Tenant) -> None:
    h = tenant.key_headers
    # GIVEN a second agent
    second = kb_client.post("/api/v1/agent", headers=h, json={"name": "Second"}).json()["agent"]["id"]
    # WHEN each agent gets documents
    upload(kb_client, h, tenant.agent_id, NOTE, NOTE)
    upload(kb_client, h, second, NOTE)
    # THEN each agent counts its own and the company counts them all
    assert _count(kb_client, tenant) == 2 and _count(kb_client, tenant, second) == 1
    assert _company_count(kb_client, tenant) == 3


def test_a_racing_second_delete_or_restore_counts_nothing(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a document, and the item two simultaneous deletes would both have read
    document_id = upload(kb_client, tenant.key_headers, tenant.agent_id, NOTE).json()["documents"][0]["id"]
    principal = kb_services.auth.authenticate({k.lower(): v for k, v in tenant.key_headers.items()})
    assert isinstance(principal, Principal)
    documents = kb_services.documents
    stale = documents._stored(tenant.company_id, document_id)
    # WHEN the first delete commits and the second runs on the stale read
    documents.delete(principal, document_id)
    with monkeypatch.context() as patched:
        patched.setattr(documents, "_stored", lambda *args, **kwargs: stale)
        # THEN the second one conflicts (the version condition) and its counter change is not applied
        with pytest.raises(Conflict):
            documents.delete(principal, document_id)
    assert _count(kb_client, tenant) == 0 and _company_count(kb_client, tenant) == 0
    # AND likewise for two simultaneous restores
    deleted = documents._stored(tenant.company_id, document_id, deleted=True)
    documents.restore(principal, document_id)
    with monkeypatch.context() as patched:
        patched.setattr(documents, "_stored", lambda *args, **kwargs: deleted)
        with pytest.raises(Conflict):
            documents.restore(principal, document_id)
    assert _count(kb_client, tenant) == 1 and _company_count(kb_client, tenant) == 1
