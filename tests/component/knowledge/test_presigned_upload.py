"""Pre-signed uploads for files larger than a Lambda request can carry: ``POST /document/upload-url`` (an S3
POST policy for a staging key under ``uploads/`` and a document ``awaiting_upload``), the client's own POST to
S3 (here: boto3 puts the object), then ``POST /document/{id}/complete`` (checked, copied to ``documents/``
where the ingest worker reads it, ``pending``, queued: the same ingest as a direct upload)."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from tests.component.knowledge.conftest import Pump, events_of
from tests.stack import Tenant

GUIDE = b"# Glazing guide\n\nEvery glaze we use is lead-free and food safe.\n\nThe kiln fires every Thursday night.\n"


def _ticket(client: TestClient, tenant: Tenant, **body: Any) -> Any:
    payload = {"agent_id": tenant.agent_id, "filename": "guide.md", "size": len(GUIDE), **body}
    return client.post("/api/v1/document/upload-url", headers=tenant.key_headers, json=payload)


def _put(services: Services, key: str, data: bytes) -> None:
    """What the client's POST to the pre-signed URL leaves in the bucket."""
    boto3.client("s3").put_object(Bucket=services.settings.document_bucket, Key=key, Body=data)


def _objects(services: Services, prefix: str) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    bucket = services.settings.document_bucket
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def _final_key(tenant: Tenant, document_id: str, kind: str = "md") -> str:
    """Where the ingest worker reads a document's file (``complete`` copies the staging object there)."""
    return f"documents/{tenant.company_id}/{document_id}/original.{kind}"


def _complete(client: TestClient, tenant: Tenant, document_id: str) -> Any:
    return client.post(f"/api/v1/document/{document_id}/complete", headers=tenant.key_headers)


def _document(client: TestClient, tenant: Tenant, document_id: str) -> dict[str, Any]:
    document: dict[str, Any] = client.get(f"/api/v1/document/{document_id}", headers=tenant.key_headers).json()[
        "document"
    ]
    return document


def _count(client: TestClient, tenant: Tenant) -> int:
    return int(
        client.get(f"/api/v1/agent/{tenant.agent_id}/stats", headers=tenant.key_headers).json()["documents_count"]
    )


def test_upload_url_returns_an_s3_post_policy_and_a_document_awaiting_upload(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # WHEN a client asks to upload a 7 MB Markdown file
    response = _ticket(kb_client, tenant, filename="handbook.md", size=7_000_000, metadata={"team": "studio"})
    # THEN it gets 201: the document, awaiting its file, and a POST policy for exactly its S3 key
    assert response.status_code == 201, response.text
    body = response.json()
    document, upload = body["document"], body["upload"]
    assert document["status"] == "awaiting_upload" and document["processing_status"] == "pending"
    assert document["original_filename"] == "handbook.md" and document["document_type"] == "md"
    assert document["file_size"] == 7_000_000 and document["metadata"] == {"team": "studio"}
    key = f"uploads/{tenant.company_id}/{document['id']}/original.md"  # a staging key (expired by lifecycle)
    assert upload["method"] == "POST" and upload["file_field"] == "file" and upload["headers"] == {}
    assert upload["url"].rstrip("/").endswith(f"/{kb_services.settings.document_bucket}")
    assert upload["fields"]["key"] == key and upload["fields"]["Content-Type"] == "text/markdown"
    assert upload["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and upload["fields"]["x-amz-signature"]
    assert upload["expires_in"] == 900 and upload["max_bytes"] == kb_services.settings.max_document_bytes
    assert body["complete_url"] == f"/api/v1/document/{document['id']}/complete"
    # AND the signed policy lets S3 itself refuse another key, another type or a larger file
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"key": key} in conditions and {"Content-Type": "text/markdown"} in conditions
    assert ["content-length-range", 1, kb_services.settings.max_document_bytes] in conditions
    # AND the document is listed (filterable by its status), not counted, and nothing is queued yet
    listed = kb_client.get("/api/v1/document?status=awaiting_upload", headers=tenant.key_headers).json()
    assert [d["id"] for d in listed["documents"]] == [document["id"]]
    assert _count(kb_client, tenant) == 0
    assert pump_ingest() == {"handled": 0, "failed": 0}
    # AND the record forgets itself (TTL) if it is never completed, and still names the final key for ingest
    item = kb_services.table.get(f"COMPANY#{tenant.company_id}", f"DOC#{document['id']}")
    assert item is not None and int(item["expires_at_epoch"]) > 0
    assert item["_blob_key"] == _final_key(tenant, document["id"])


def test_complete_checks_the_file_queues_ingest_once_and_is_idempotent(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN an upload URL whose file has not arrived yet
    ticket = _ticket(kb_client, tenant).json()
    document_id, key = ticket["document"]["id"], ticket["upload"]["fields"]["key"]
    # WHEN the client completes too early
    early = _complete(kb_client, tenant, document_id)
    # THEN it is a 409 saying so, and the document still waits
    assert early.status_code == 409 and early.json()["error_code"] == "upload_missing", early.text
    assert _document(kb_client, tenant, document_id)["status"] == "awaiting_upload"
    # WHEN the file is in the bucket and the client completes
    _put(kb_services, key, GUIDE)
    done = _complete(kb_client, tenant, document_id)
    # THEN the document is pending with the real size, counted, and its task pending
    assert done.status_code == 200, done.text
    # AND the file moved from the staging key to where the ingest worker reads it
    assert _objects(kb_services, "uploads/") == {}
    assert _objects(kb_services, "documents/") == {_final_key(tenant, document_id): GUIDE}
    body = done.json()
    assert body["document"]["status"] == "pending" and body["document"]["file_size"] == len(GUIDE)
    assert (
        body["success"] is True
        and body["documents_processed"] == 1
        and body["task_ids"] == [body["document"]["task_id"]]
    )
    assert _count(kb_client, tenant) == 1
    # WHEN the still valid policy is used again (another file) and the document is completed again
    _put(kb_services, key, b"# Replaced\n\nNot the guide.\n")
    again = _complete(kb_client, tenant, document_id)
    # THEN the answer is the same document, nothing is queued or counted twice, and the file it was
    # completed with stays (the late upload waits in uploads/ for the lifecycle rule)
    assert again.status_code == 200 and again.json()["document"]["id"] == document_id
    assert _count(kb_client, tenant) == 1
    assert _objects(kb_services, "documents/") == {_final_key(tenant, document_id): GUIDE}
    assert list(_objects(kb_services, "uploads/")) == [key]
    assert pump_ingest() == {"handled": 1, "failed": 0}
    # AND the ingest worker processes it like a direct upload: completed, searchable, document.processed
    document = _document(kb_client, tenant, document_id)
    assert document["status"] == "completed" and document["chunks"]
    hits = kb_client.post(
        "/api/v1/search/document", headers=tenant.key_headers, json={"query": "when is the kiln fired?"}
    ).json()["results"]
    assert hits and hits[0]["document_id"] == document_id
    assert [e["data"]["id"] for e in events_of(kb_services, tenant.company_id, "document.processed")] == [document_id]
    task = kb_client.get(f"/api/v1/tasks/{document['task_id']}/status", headers=tenant.key_headers).json()
    assert task["status"] == "completed"
    # AND completing a processed document still answers it as it is
    late = _complete(kb_client, tenant, document_id)
    assert late.status_code == 200 and late.json()["document"]["status"] == "completed"
    assert pump_ingest() == {"handled": 0, "failed": 0}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"filename": "tool.exe"}, 415, "unsupported_media_type"),
        ({"filename": "notes", "content_type": "application/zip"}, 415, "unsupported_media_type"),
        ({"size": 10 * 1024 * 1024 + 1}, 413, "payload_too_large"),
        ({"size": 0}, 400, "invalid_document"),
        ({"size": "lots"}, 400, "validation_error"),
        ({"filename": ""}, 400, "validation_error"),
        ({"agent_id": "0190a0a0-0000-7000-8000-000000000000"}, 404, "not_found"),
    ],
)
def test_upload_url_refuses_bad_requests_and_creates_nothing(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, body: dict[str, Any], status: int, code: str
) -> None:
    response = _ticket(kb_client, tenant, **body)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code
    assert kb_services.table.query(f"COMPANY#{tenant.company_id}", sk_prefix="DOC#") == []


def test_a_file_type_can_come_from_the_content_type(kb_client: TestClient, tenant: Tenant) -> None:
    response = _ticket(kb_client, tenant, filename="export", content_type="text/csv")
    assert response.status_code == 201 and response.json()["document"]["document_type"] == "csv"
    assert response.json()["upload"]["fields"]["key"].endswith("/original.csv")


def test_complete_refuses_a_file_that_is_not_what_it_claims(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN a "PDF" whose bytes are not a PDF, uploaded through the pre-signed URL
    ticket = _ticket(kb_client, tenant, filename="manual.pdf").json()
    _put(kb_services, ticket["upload"]["fields"]["key"], b"just some text, not a PDF")
    # WHEN it is completed
    refused = _complete(kb_client, tenant, ticket["document"]["id"])
    # THEN it is a 400 naming the problem, the document still waits (a correct file may be uploaded), nothing queued
    assert refused.status_code == 400 and refused.json()["error_code"] == "invalid_document"
    assert "not a PDF" in refused.json()["detail"]
    assert _document(kb_client, tenant, ticket["document"]["id"])["status"] == "awaiting_upload"
    assert pump_ingest() == {"handled": 0, "failed": 0} and _count(kb_client, tenant) == 0
    # AND nothing reached documents/: the refused file stays in uploads/ (the lifecycle rule expires it)
    assert _objects(kb_services, "documents/") == {}
    assert list(_objects(kb_services, "uploads/")) == [ticket["upload"]["fields"]["key"]]


def test_a_complete_retried_after_the_copy_finds_the_file_at_its_final_key(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN an uploaded file that an earlier complete copied to documents/ and removed from uploads/,
    # then stopped before writing the document (a timeout, a crash)
    ticket = _ticket(kb_client, tenant).json()
    document_id = ticket["document"]["id"]
    _put(kb_services, _final_key(tenant, document_id), GUIDE)
    assert _objects(kb_services, "uploads/") == {}
    # WHEN the client retries complete
    done = _complete(kb_client, tenant, document_id)
    # THEN it succeeds with the file's real size, queued and counted once
    assert done.status_code == 200, done.text
    assert done.json()["document"]["status"] == "pending" and done.json()["document"]["file_size"] == len(GUIDE)
    assert _count(kb_client, tenant) == 1
    assert pump_ingest() == {"handled": 1, "failed": 0}
    assert _document(kb_client, tenant, document_id)["status"] == "completed"


def test_a_complete_retried_after_the_copy_but_before_the_cleanup_moves_the_file_again(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN a file in uploads/ that an earlier complete already copied to documents/ (and stopped)
    ticket = _ticket(kb_client, tenant).json()
    document_id = ticket["document"]["id"]
    _put(kb_services, ticket["upload"]["fields"]["key"], GUIDE)
    _put(kb_services, _final_key(tenant, document_id), GUIDE)
    # WHEN it is completed
    assert _complete(kb_client, tenant, document_id).status_code == 200
    # THEN the staging object is gone and the document is queued once
    assert _objects(kb_services, "uploads/") == {}
    assert _objects(kb_services, "documents/") == {_final_key(tenant, document_id): GUIDE}
    assert pump_ingest() == {"handled": 1, "failed": 0}


def test_a_staging_object_that_cannot_be_removed_does_not_fail_complete(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an uploaded file and a bucket that refuses the removal of the staging object
    ticket = _ticket(kb_client, tenant).json()
    _put(kb_services, ticket["upload"]["fields"]["key"], GUIDE)

    def refuse(key: str) -> None:
        raise RuntimeError(f"AccessDenied on {key}")

    assert kb_services.documents.blobs is not None
    monkeypatch.setattr(kb_services.documents.blobs, "delete", refuse)
    # WHEN it is completed
    done = _complete(kb_client, tenant, ticket["document"]["id"])
    # THEN it succeeds (the lifecycle rule removes what is left in uploads/)
    assert done.status_code == 200 and done.json()["document"]["status"] == "pending", done.text
    assert _final_key(tenant, ticket["document"]["id"]) in _objects(kb_services, "documents/")


def test_the_bucket_expires_uploads_and_lets_browsers_post(kb_services: Services) -> None:
    """The template's rules, as created on moto: uploads/ expires (never-completed files), POST from anywhere."""
    s3 = boto3.client("s3")
    bucket = kb_services.settings.document_bucket
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    expiring = [r for r in rules if r.get("Expiration")]
    assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"], r["Status"]) for r in expiring] == [
        ("uploads/", 2, "Enabled")
    ]
    assert any(r.get("AbortIncompleteMultipartUpload") for r in rules)
    [cors] = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert cors["AllowedMethods"] == ["POST"] and cors["AllowedOrigins"] == ["*"]
    assert cors["AllowedHeaders"] == ["*"] and cors["MaxAgeSeconds"] == 3000 and not cors.get("ExposeHeaders")


def test_deleting_and_restoring_a_document_awaiting_upload_counts_nothing(
    kb_client: TestClient, kb_services: Services, tenant: Tenant
) -> None:
    h = tenant.key_headers
    ticket = _ticket(kb_client, tenant).json()
    document_id = ticket["document"]["id"]
    assert kb_client.delete(f"/api/v1/document/{document_id}", headers=h).status_code == 200
    assert _count(kb_client, tenant) == 0
    # AND a deleted document cannot be completed
    _put(kb_services, ticket["upload"]["fields"]["key"], GUIDE)
    assert _complete(kb_client, tenant, document_id).status_code == 404
    assert kb_client.patch(f"/api/v1/document/{document_id}/restore", headers=h).status_code == 200
    assert _count(kb_client, tenant) == 0
    # AND once restored and completed it counts
    assert _complete(kb_client, tenant, document_id).status_code == 200
    assert _count(kb_client, tenant) == 1


def test_an_ingest_message_for_a_document_awaiting_upload_is_skipped(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    ticket = _ticket(kb_client, tenant).json()
    document_id = ticket["document"]["id"]
    boto3.client("sqs").send_message(
        QueueUrl=kb_services.settings.ingest_queue_url,
        MessageBody=json.dumps(
            {"company_id": tenant.company_id, "agent_id": tenant.agent_id, "document_id": document_id}
        ),
    )
    assert pump_ingest() == {"handled": 1, "failed": 0}
    assert _document(kb_client, tenant, document_id)["status"] == "awaiting_upload"


def test_complete_needs_the_write_scope_and_a_live_agent(
    kb_client: TestClient, kb_services: Services, tenant: Tenant
) -> None:
    ticket = _ticket(kb_client, tenant).json()
    _put(kb_services, ticket["upload"]["fields"]["key"], GUIDE)
    # GIVEN a read-only API key
    read_only = kb_client.post(
        "/api/v1/auth/api-keys", json={"name": "ro", "scopes": ["read"]}, headers=tenant.admin_headers
    ).json()
    ro = {"X-API-Key": read_only["api_key"], "X-API-Secret": read_only["api_secret"]}
    assert kb_client.post(f"/api/v1/document/{ticket['document']['id']}/complete", headers=ro).status_code == 403
    wanted = {"agent_id": tenant.agent_id, "filename": "guide.md", "size": 10}  # a valid body: only the scope fails
    assert kb_client.post("/api/v1/document/upload-url", headers=ro, json=wanted).status_code == 403
    # AND once the agent is deleted, its pending upload cannot be completed
    assert kb_client.delete(f"/api/v1/agent/{tenant.agent_id}", headers=tenant.key_headers).status_code == 200
    assert _complete(kb_client, tenant, ticket["document"]["id"]).status_code == 404
