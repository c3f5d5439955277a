"""The ingest worker's failure modes: unreadable files fail at once, infrastructure errors are retried, then fail."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.workers.ingest import ingest_jobs
from local.template import ROOT
from tests.component.knowledge.conftest import Pump, events_of, upload
from tests.stack import Tenant, dynamodb_calls, missing_dynamodb_actions


def _only_document(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    documents = client.get("/api/v1/document", headers=tenant.key_headers).json()["document"]
    assert len(documents) == 1
    document: dict[str, Any] = documents[0]
    return document


def test_a_broken_pdf_fails_with_its_reason_and_the_event_says_so(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN a file that looks like a PDF at upload time but cannot be parsed
    response = upload(
        kb_client, tenant.key_headers, tenant.agent_id, ("broken.pdf", b"%PDF-1.4\ngarbage", "application/pdf")
    )
    assert response.status_code == 200
    # WHEN it is ingested
    assert pump_ingest() == {"handled": 1, "failed": 0}
    # THEN the document failed with a reason, its task failed, and document.processed reports the failure
    document = _only_document(kb_client, tenant)
    assert document["status"] == "failed" and document["processing_status"] == "failed"
    assert document["processing_error"].startswith("the PDF could not be read")
    task = kb_client.get(f"/api/v1/tasks/{document['task_id']}/status", headers=tenant.key_headers).json()
    assert task["status"] == "failed" and task["error"]["code"] == "document_processing_failed"
    [event] = events_of(kb_services, tenant.company_id, "document.processed")
    assert event["data"]["status"] == "failed" and event["data"]["id"] == document["id"]
    # AND the agent still has no index, so chat answers from the description
    assert kb_services.knowledge.manifest(tenant.company_id, tenant.agent_id).blob_key is None


def test_infrastructure_errors_are_retried_then_fail_on_the_last_attempt(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an uploaded document and S3 reads that keep failing
    upload(kb_client, tenant.key_headers, tenant.agent_id, ("a.txt", b"Kiln day is Thursday.", "text/plain"))
    worker = kb_services.ingest_worker()

    def broken(_key: str) -> bytes:
        raise ConnectionError("S3 is unreachable")

    monkeypatch.setattr(worker.blobs, "get", broken)
    document = _only_document(kb_client, tenant)
    body = json.dumps({"company_id": tenant.company_id, "agent_id": tenant.agent_id, "document_id": document["id"]})

    def record(attempt: int) -> dict[str, Any]:
        return {"messageId": f"m{attempt}", "body": body, "attributes": {"ApproximateReceiveCount": str(attempt)}}

    jobs = ingest_jobs(worker, kb_services.settings)
    # WHEN the first attempts fail
    failed = jobs.process({"Records": [record(1), record(2)]})["batchItemFailures"]
    # THEN they are reported for redelivery and the document is still processing (no event yet)
    assert failed == [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]
    assert _only_document(kb_client, tenant)["status"] == "processing"
    assert events_of(kb_services, tenant.company_id, "document.processed") == []
    # WHEN the last attempt (INGEST_MAX_ATTEMPTS = 3) fails too
    assert jobs.process({"Records": [record(3)]}) == {"batchItemFailures": []}
    # THEN the document fails with the reason instead of waiting in the DLQ
    final = _only_document(kb_client, tenant)
    assert (
        final["status"] == "failed"
        and final["processing_error"] == "processing failed after 3 attempts (ConnectionError)"
    )
    assert len(events_of(kb_services, tenant.company_id, "document.processed")) == 1


def test_repeated_and_malformed_messages_are_harmless(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN a processed document
    upload(kb_client, tenant.key_headers, tenant.agent_id, ("a.txt", b"Kiln day is Thursday.", "text/plain"))
    pump_ingest()
    document = _only_document(kb_client, tenant)
    worker = kb_services.ingest_worker()
    body = {"company_id": tenant.company_id, "document_id": document["id"]}
    # WHEN its message arrives again, and so do malformed and unknown ones
    assert worker.handle(body) == "skipped"
    assert worker.handle({**body, "document_id": "01a20d8b-0000-7000-8000-000000000000"}) == "skipped"
    records = [{"messageId": "bad", "body": "not json"}, {"messageId": "empty", "body": "{}"}]
    # THEN nothing is retried (the malformed ones go to the DLQ) or changed, and there is still one event
    assert ingest_jobs(worker, kb_services.settings).process({"Records": records}) == {"batchItemFailures": []}
    assert _only_document(kb_client, tenant)["version"] == document["version"]
    assert len(events_of(kb_services, tenant.company_id, "document.processed")) == 1


def test_a_second_document_rebuilds_the_index_with_both(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump, template: dict[str, Any]
) -> None:
    # GIVEN one processed document, then another
    upload(kb_client, tenant.key_headers, tenant.agent_id, ("a.txt", b"Kiln day is Thursday.", "text/plain"))
    pump_ingest()
    first = kb_services.knowledge.manifest(tenant.company_id, tenant.agent_id)
    upload(kb_client, tenant.key_headers, tenant.agent_id, ("b.txt", b"Glaze day is Friday.", "text/plain"))
    with dynamodb_calls(kb_services) as calls:
        pump_ingest()
    assert "BatchWriteItem" in calls and "TransactWriteItems" in calls
    assert missing_dynamodb_actions(template, "DocumentIngestFunction", calls) == set()  # IAM allows each call
    # WHEN the manifest is read after the second
    second = kb_services.knowledge.manifest(tenant.company_id, tenant.agent_id)
    # THEN a new version holds both documents' chunks, and a fresh process loads it from S3
    assert (first.version, first.chunk_count) == (1, 1) and (second.version, second.chunk_count) == (2, 2)
    kb_services.knowledge.cache.clear()
    found = kb_services.knowledge.retrieve(tenant.company_id, tenant.agent_id, "glaze friday kiln thursday", 5)
    assert {h.ref.document_name for h in found.hits} == {"a.txt", "b.txt"}


def test_handlers_do_not_import_the_heavy_libraries() -> None:
    # GIVEN fresh interpreters with the functions' import paths
    code = (
        "import sys; import api_documents, api_conversations, document_ingest.handler; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'bm25s', 'pypdf', 'bs4'}))"
    )
    paths = [ROOT / "functions" / d for d in ("api", "api_documents", "api_conversations", "document_ingest")]
    paths += [ROOT / "layers/core", ROOT]
    env = {"PYTHONPATH": ":".join(map(str, paths)), "POWERTOOLS_TRACE_DISABLED": "true", "PATH": ""}
    # WHEN both handlers are imported
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    # THEN pypdf, BeautifulSoup, numpy and bm25s are still not loaded (they load on first use)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
