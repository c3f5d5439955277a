"""The document routes end to end: upload -> ingest (the real Lambda handler) -> list, search, chat, delete, restore."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from tests.component.knowledge.conftest import Pump, events_of, upload
from tests.pdf_maker import make_pdf
from tests.stack import Tenant

POLICY_MD = (
    b"# Returns\n\nYou can return any mug within 45 days of delivery for a full refund.\n\n"
    b"# Warranty\n\nEvery mug carries a two-year glaze warranty against crazing and chipping."
)
HANDBOOK_PDF = make_pdf(
    ["Kiln schedule. The studio fires the kiln every Thursday night.", "Studio hours. Open Tuesday to Saturday."],
    title="Studio handbook",
)


class Site:
    """Pages on 127.0.0.1: path -> (status, content type, body); 3xx bodies are Location headers."""

    def __init__(self, pages: dict[str, tuple[int, str, bytes]]) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status, kind, body = site.pages.get(self.path, (404, "text/plain", b"missing"))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", body.decode())
                    body = b""
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.pages = pages
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site(
        {
            "/faq": (
                200,
                "text/html; charset=utf-8",
                b"<html><head><title>Glaze FAQ</title></head><body><p>Our glazes are lead-free and food safe.</p>"
                b"</body></html>",
            ),
            "/old-faq": (301, "text/html", b"/faq"),
        }
    )
    yield running
    running.server.shutdown()
    running.server.server_close()


def _ingested(client: TestClient, tenant: Tenant, pump: Pump, *files: tuple[str, bytes, str]) -> list[dict[str, Any]]:
    response = upload(client, tenant.key_headers, tenant.agent_id, *files)
    assert response.status_code == 200, response.text
    assert pump()["failed"] == 0
    documents: list[dict[str, Any]] = response.json()["documents"]
    return documents


def _search(client: TestClient, tenant: Tenant, query: str, **extra: Any) -> dict[str, Any]:
    body = {"query": query, "agent_id": tenant.agent_id, **extra}
    response = client.post("/api/v1/search/document", headers=tenant.key_headers, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# --- upload and ingest ---------------------------------------------------------------------
def test_upload_then_ingest_completes_and_reports_document_processed(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN a Markdown file and a two-page PDF
    files = [("policy.md", POLICY_MD, "text/markdown"), ("handbook.pdf", HANDBOOK_PDF, "application/pdf")]
    # WHEN they are uploaded
    response = upload(kb_client, tenant.key_headers, tenant.agent_id, *files)
    # THEN both are accepted as pending, each with an ingest task
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["documents_processed"] == 2 and body["errors"] == []
    assert body["errors_count"] == 0 and len(body["task_ids"]) == 2 and "task_id" not in body
    assert [d["status"] for d in body["documents"]] == ["pending", "pending"]
    assert {d["original_filename"]: d["document_type"] for d in body["documents"]} == {
        "policy.md": "md",
        "handbook.pdf": "pdf",
    }
    # WHEN the ingest function runs over the queue
    assert pump_ingest() == {"handled": 2, "failed": 0}
    # THEN both are completed (Knowrithm's word: processed), with pages, words and chunks
    listed = {
        d["original_filename"]: d
        for d in kb_client.get("/api/v1/document", headers=tenant.key_headers).json()["document"]
    }
    assert {d["status"] for d in listed.values()} == {"completed"}
    assert {d["processing_status"] for d in listed.values()} == {"processed"}
    assert listed["handbook.pdf"]["page_count"] == 2 and listed["handbook.pdf"]["title"] == "Studio handbook"
    assert all(d["chunk_count"] >= 1 and d["word_count"] > 5 for d in listed.values())
    # AND one document.processed event per document sits in the outbox, carrying the final status
    events = events_of(kb_services, tenant.company_id, "document.processed")
    assert sorted(e["data"]["original_filename"] for e in events) == ["handbook.pdf", "policy.md"]
    assert {e["data"]["status"] for e in events} == {"completed"}
    # AND each ingest task reports completion with the document
    task = kb_client.get(f"/api/v1/tasks/{body['task_ids'][0]}/status", headers=tenant.key_headers).json()
    assert task["status"] == "completed" and task["result"]["document"]["status"] == "completed"


@pytest.mark.parametrize("field", ["file", "files[]"])
def test_every_file_field_name_is_accepted(
    kb_client: TestClient, tenant: Tenant, pump_ingest: Pump, field: str
) -> None:
    response = upload(
        kb_client,
        tenant.key_headers,
        tenant.agent_id,
        ("notes.txt", b"Kiln day is Thursday.", "text/plain"),
        field=field,
    )
    assert response.status_code == 200 and response.json()["documents"][0]["original_filename"] == "notes.txt"


def test_partial_failure_is_207_with_one_error_per_file(kb_client: TestClient, tenant: Tenant) -> None:
    # GIVEN one good file, one unsupported and one empty
    files = [
        ("good.csv", b"name,price\nMug,12\n", "text/csv"),
        ("tool.exe", b"MZ\x00", "application/x-msdownload"),
        ("empty.txt", b"", "text/plain"),
    ]
    # WHEN they are uploaded together
    response = upload(kb_client, tenant.key_headers, tenant.agent_id, *files)
    # THEN the good one is accepted and the others are reported
    assert response.status_code == 207
    body = response.json()
    assert body["documents_processed"] == 1 and body["errors_count"] == 2 and body["total_submitted"] == 3
    assert body["errors"][0].startswith("tool.exe: unsupported file type '.exe'")
    assert body["errors"][1] == "empty.txt: the file is empty"


@pytest.mark.parametrize(
    ("file", "status", "code", "message"),
    [
        (("tool.exe", b"MZ", "application/octet-stream"), 415, "unsupported_media_type", "unsupported file type"),
        (("empty.md", b"", "text/markdown"), 400, "invalid_document", "the file is empty"),
        (("fake.pdf", b"just text", "application/pdf"), 400, "invalid_document", "not a PDF"),
        (("big.txt", b"x" * 2048, "text/plain"), 413, "payload_too_large", "larger than"),
    ],
)
def test_nothing_accepted_is_a_clear_4xx(
    kb_client: TestClient,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    file: tuple[str, bytes, str],
    status: int,
    code: str,
    message: str,
) -> None:
    # GIVEN a 1 KB document limit (so "too big" is cheap to test)
    monkeypatch.setenv("MAX_DOCUMENT_BYTES", "1024")
    get_settings.cache_clear()
    get_services.cache_clear()
    # WHEN a single unacceptable file is uploaded
    response = upload(kb_client, tenant.key_headers, tenant.agent_id, file)
    # THEN the status names the problem, in the error shape every client reads
    assert response.status_code == status
    body = response.json()
    assert body["error_code"] == code and message in body["detail"] and body["detail"] == body["error"]
    assert body["details"]["errors_count"] == 1


def test_uploads_may_be_larger_than_other_request_bodies(kb_client: TestClient, tenant: Tenant) -> None:
    # GIVEN a 1.5 MB text file (other routes refuse bodies over MAX_BODY_BYTES = 1 MB)
    big = ("The kiln runs hot. " * 80_000).encode()
    assert len(big) > 1024 * 1024
    # WHEN it is uploaded, and a JSON body that large is sent to another route
    accepted = upload(kb_client, tenant.key_headers, tenant.agent_id, ("big.txt", big, "text/plain"))
    refused = kb_client.post("/api/v1/conversation", headers=tenant.key_headers, content=big)
    # THEN the upload is accepted (its limit is per file, MAX_DOCUMENT_BYTES) and the other is 413
    assert accepted.status_code == 200 and accepted.json()["documents"][0]["file_size"] == len(big)
    assert refused.status_code == 413


@pytest.mark.parametrize(
    ("request_kwargs", "status", "fragment"),
    [
        ({"data": {"agent_id": ""}}, 400, "agent_id is required"),
        ({"json": {"agent_id": "x"}}, 400, "at least one file"),
        ({"json": {"agent_id": "01a20d8b-0000-7000-8000-000000000000", "url": "https://example.com"}}, 404, "Agent"),
        ({"json": {"url": "https://example.com"}}, 400, "agent_id is required"),
        ({"json": ["not", "an", "object"]}, 400, "JSON object"),
        ({"content": b"{broken", "headers": {"Content-Type": "application/json"}}, 400, "not valid JSON"),
        ({"json": {"agent_id": "A", "urls": [1, 2]}}, 400, "must be strings"),
    ],
)
def test_bad_upload_requests_are_4xx(
    kb_client: TestClient, tenant: Tenant, request_kwargs: dict[str, Any], status: int, fragment: str
) -> None:
    headers = {**tenant.key_headers, **request_kwargs.pop("headers", {})}
    response = kb_client.post("/api/v1/document/upload", headers=headers, **request_kwargs)
    assert response.status_code == status, response.text
    assert fragment.lower() in response.json()["detail"].lower()


def test_upload_needs_credentials_and_the_write_scope(kb_client: TestClient, tenant: Tenant) -> None:
    anonymous = kb_client.post(
        "/api/v1/document/upload", json={"agent_id": tenant.agent_id, "url": "https://x.example"}
    )
    assert anonymous.status_code == 401
    key = kb_client.post(
        "/api/v1/auth/api-keys", json={"name": "ro", "scopes": ["read"]}, headers=tenant.admin_headers
    ).json()
    read_only = {"X-API-Key": key["api_key"], "X-API-Secret": key["api_secret"]}
    response = upload(kb_client, read_only, tenant.agent_id, ("a.txt", b"hello there", "text/plain"))
    assert response.status_code == 403


def test_urls_are_fetched_by_the_worker_through_the_guard(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump, site: Site
) -> None:
    # GIVEN URLs in every accepted form: a JSON array string, comma-separated, and a metadata-only url
    form = {
        "agent_id": tenant.agent_id,
        "urls": f'["{site.origin}/old-faq"]',
        "url": f"{site.origin}/missing, http://169.254.169.254/latest/meta-data",
        "category": "faq",
    }
    # WHEN they are uploaded as form fields (no files)
    response = kb_client.post(
        "/api/v1/document/upload", headers=tenant.key_headers, data=form, files=[("unused", ("", b""))]
    )
    # THEN the metadata endpoint is refused at once and the two others are queued
    assert response.status_code == 207, response.text
    body = response.json()
    assert body["documents_processed"] == 2 and "169.254.169.254" in body["errors"][0]
    assert {d["metadata"]["category"] for d in body["documents"]} == {"faq"}
    # WHEN the worker runs
    pump_ingest()
    # THEN the redirected page is a completed HTML document and the missing one failed with the reason
    documents = {
        d["source_url"]: d for d in kb_client.get("/api/v1/document", headers=tenant.key_headers).json()["document"]
    }
    page = documents[f"{site.origin}/old-faq"]
    assert page["status"] == "completed" and page["document_type"] == "html" and page["title"] == "Glaze FAQ"
    missing = documents[f"{site.origin}/missing"]
    assert missing["status"] == "failed" and "HTTP 404" in missing["processing_error"]
    failed_events = [
        e for e in events_of(kb_services, tenant.company_id, "document.processed") if e["data"]["status"] == "failed"
    ]
    assert [e["data"]["id"] for e in failed_events] == [missing["id"]]
    # AND the fetched page is searchable
    assert _search(kb_client, tenant, "are the glazes lead-free?")["results"][0]["document_name"] == "old-faq"


def test_a_json_body_with_urls_is_accepted(kb_client: TestClient, tenant: Tenant, site: Site) -> None:
    body = {"agent_id": tenant.agent_id, "urls": [f"{site.origin}/faq"], "url": f"{site.origin}/faq", "tags": ["a"]}
    response = kb_client.post("/api/v1/document/upload", headers=tenant.key_headers, json=body)
    assert response.status_code == 200 and response.json()["documents_processed"] == 1  # the duplicate is merged
    assert response.json()["documents"][0]["metadata"] == {"tags": ["a"]}


def test_a_queue_failure_fails_the_documents_and_says_so(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN SQS refusing every message
    def refuse(_bodies: Any) -> None:
        raise RuntimeError("SQS is down")

    monkeypatch.setattr(kb_services.documents.queue, "send", refuse)
    # WHEN a file is uploaded
    response = upload(kb_client, tenant.key_headers, tenant.agent_id, ("a.txt", b"some words here", "text/plain"))
    # THEN the caller hears 503, and the document is recorded as failed (not stuck in pending)
    assert response.status_code == 503 and "could not be queued" in response.json()["detail"]
    listed = kb_client.get("/api/v1/document?status=failed", headers=tenant.key_headers).json()["document"]
    assert len(listed) == 1 and "could not be queued" in listed[0]["processing_error"]


# --- reads --------------------------------------------------------------------------------
def test_list_filters_paginates_and_has_both_keys(kb_client: TestClient, tenant: Tenant, pump_ingest: Pump) -> None:
    # GIVEN three processed documents of two types
    _ingested(
        kb_client,
        tenant,
        pump_ingest,
        ("a.md", POLICY_MD, "text/markdown"),
        ("b.txt", b"Kiln day is Thursday.", "text/plain"),
        ("c.txt", b"Studio opens at ten.", "text/plain"),
    )
    h = tenant.key_headers
    # WHEN listed with filters
    page = kb_client.get("/api/v1/document?per_page=2&page=1", headers=h).json()
    by_type = kb_client.get("/api/v1/document?document_type=txt", headers=h).json()
    by_status = kb_client.get("/api/v1/document?status=processed", headers=h).json()
    by_search = kb_client.get("/api/v1/document?search=B.TXT", headers=h).json()
    by_agent = kb_client.get(f"/api/v1/document/agent/{tenant.agent_id}", headers=h).json()
    # THEN each answers with the Knowrithm key, its alias, and pagination
    assert len(page["document"]) == 2 and page["documents"] == page["document"]
    cursor = page["pagination"]["next_cursor"]
    assert page["pagination"] == {
        "page": 1,
        "per_page": 2,
        "total": 3,
        "pages": 2,
        "has_next": True,
        "has_prev": False,
        "next_cursor": cursor,
    }
    following = kb_client.get(f"/api/v1/document?per_page=2&cursor={cursor}", headers=h).json()
    assert [d["original_filename"] for d in following["document"]] == ["a.md"]  # the cursor goes on
    assert page["document"][0]["original_filename"] == "c.txt"  # newest first
    assert sorted(d["original_filename"] for d in by_type["document"]) == ["b.txt", "c.txt"]
    assert by_status["total"] == 3 and [d["original_filename"] for d in by_search["document"]] == ["b.txt"]
    assert by_agent["total"] == 3
    assert kb_client.get("/api/v1/document?status=weird", headers=h).status_code == 400
    assert kb_client.get("/api/v1/document?page=0", headers=h).status_code == 400


def test_get_returns_the_document_with_its_chunks(kb_client: TestClient, tenant: Tenant, pump_ingest: Pump) -> None:
    document = _ingested(kb_client, tenant, pump_ingest, ("policy.md", POLICY_MD, "text/markdown"))[0]
    body = kb_client.get(f"/api/v1/document/{document['id']}", headers=tenant.key_headers).json()["document"]
    assert body["id"] == document["id"] and body["status"] == "completed"
    assert [c["chunk_index"] for c in body["chunks"]] == list(range(body["chunk_count"]))
    assert "45 days" in body["chunks"][0]["content"] and body["chunks"][0]["embedding_model"] == "bm25"
    assert kb_client.get("/api/v1/document/not-a-uuid", headers=tenant.key_headers).status_code == 404


# --- search and answers ----------------------------------------------------------------------
def test_search_returns_scored_results_with_snippets(kb_client: TestClient, tenant: Tenant, pump_ingest: Pump) -> None:
    _ingested(
        kb_client,
        tenant,
        pump_ingest,
        ("policy.md", POLICY_MD, "text/markdown"),
        ("handbook.pdf", HANDBOOK_PDF, "application/pdf"),
    )
    result = _search(kb_client, tenant, "When is the kiln fired?", limit=5)
    top = result["results"][0]
    assert result["matches"] == result["results"] and result["total_results"] == len(result["results"])
    assert top["document_name"] == "handbook.pdf" and "Thursday" in top["content"] and top["score"] > 0
    assert {"chunk_id", "chunk_index", "document_id", "content_snippet", "page"} <= set(top)
    assert top["page"] == 1 and result["execution_time"] >= 0
    without_content = _search(kb_client, tenant, "kiln", include_content=False)["results"][0]
    assert "content" not in without_content and "kiln" in without_content["content_snippet"].lower()
    everywhere = kb_client.post("/api/v1/search/document", headers=tenant.key_headers, json={"query": "kiln"}).json()
    assert everywhere["results"][0]["agent_id"] == tenant.agent_id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"query": "x", "limit": 51}, 400),
        ({"query": ""}, 400),
        ({"limit": 5}, 400),
        ({"query": "x", "agent_id": "nope"}, 404),
    ],
)
def test_bad_searches_are_4xx(kb_client: TestClient, tenant: Tenant, body: dict[str, Any], status: int) -> None:
    response = kb_client.post(
        "/api/v1/search/document", headers=tenant.key_headers, json={"agent_id": tenant.agent_id, **body}
    )
    assert response.status_code == status and response.json()["error_code"]


def test_chat_answers_from_documents_with_sources_and_says_when_it_does_not_know(
    kb_client: TestClient, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN two processed documents
    _ingested(
        kb_client,
        tenant,
        pump_ingest,
        ("policy.md", POLICY_MD, "text/markdown"),
        ("handbook.pdf", HANDBOOK_PDF, "application/pdf"),
    )
    h = tenant.key_headers

    def ask(question: str) -> dict[str, Any]:
        conversation = kb_client.post("/api/v1/conversation", headers=h, json={"agent_id": tenant.agent_id}).json()
        reply: dict[str, Any] = kb_client.post(
            f"/api/v1/conversation/{conversation['id']}/chat", headers=h, json={"message": question}
        ).json()
        return reply

    # WHEN asked what the PDF says
    reply = ask("How long is the glaze warranty?")
    # THEN the answer quotes it, marked [Source 1], and names the document in sources and metadata
    message = reply["assistant_message"]
    assert "two-year glaze warranty" in reply["response"] and reply["response"].endswith("[Source 1]")
    assert message["sources"] == [
        {
            "source_number": 1,
            "document_name": "policy.md",
            "document_id": message["sources"][0]["document_id"],
            "url": None,
            "cited": True,
        }
    ]
    assert message["metadata"]["cited_sources"] == [1] and message["metadata"]["all_sources"] == ["policy.md"]
    # WHEN asked about the agent's description (not in any document), it still answers from the description
    assert "3 to 5 business days" in ask("How long does shipping take?")["response"]
    # WHEN asked something neither covers, it says plainly that it does not know
    unknown = ask("Do you repair bicycles?")
    assert "don't have information" in unknown["response"] and unknown["assistant_message"]["sources"] == []


# --- delete and restore ------------------------------------------------------------------------
def test_delete_hides_the_document_from_search_at_once_and_restore_brings_it_back(
    kb_client: TestClient, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN a processed document that search finds
    document = _ingested(kb_client, tenant, pump_ingest, ("policy.md", POLICY_MD, "text/markdown"))[0]
    h = tenant.key_headers
    assert _search(kb_client, tenant, "glaze warranty")["total_results"] == 1
    # WHEN it is deleted
    deleted = kb_client.delete(f"/api/v1/document/{document['id']}", headers=h)
    # THEN its chunks go with it, search no longer finds it, and it is listed as deleted
    assert deleted.status_code == 200 and deleted.json()["deleted_chunks_count"] >= 1
    assert _search(kb_client, tenant, "glaze warranty")["total_results"] == 0
    assert kb_client.get(f"/api/v1/document/{document['id']}", headers=h).status_code == 404
    assert [d["id"] for d in kb_client.get("/api/v1/document/deleted", headers=h).json()["deleted_documents"]] == [
        document["id"]
    ]
    assert kb_client.get("/api/v1/document/chunk/deleted", headers=h).json()["total"] >= 1
    assert kb_client.get("/api/v1/document", headers=h).json()["total"] == 0
    assert kb_client.delete(f"/api/v1/document/{document['id']}", headers=h).status_code == 404
    # WHEN it is restored
    restored = kb_client.patch(f"/api/v1/document/{document['id']}/restore", headers=h)
    # THEN it and its chunks come back, in search too
    assert restored.status_code == 200 and restored.json()["filename"] == "policy.md"
    assert restored.json()["restored_chunks_count"] == deleted.json()["deleted_chunks_count"]
    assert _search(kb_client, tenant, "glaze warranty")["total_results"] == 1
    assert kb_client.get("/api/v1/document/chunk/deleted", headers=h).json()["total"] == 0
    assert kb_client.patch(f"/api/v1/document/{document['id']}/restore", headers=h).status_code == 400


def test_bulk_delete_reports_what_it_did_and_what_it_could_not_find(
    kb_client: TestClient, tenant: Tenant, pump_ingest: Pump
) -> None:
    documents = _ingested(
        kb_client,
        tenant,
        pump_ingest,
        ("a.txt", b"Kiln day is Thursday.", "text/plain"),
        ("b.txt", b"Glaze day is Friday.", "text/plain"),
    )
    unknown = "01a20d8b-0000-7000-8000-000000000000"
    ids = [d["id"] for d in documents] + [unknown]
    response = kb_client.request(
        "DELETE", "/api/v1/document/bulk-delete", headers=tenant.key_headers, json={"document_ids": ids}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["deleted_documents_count"] == 2 and body["deleted_chunks_count"] == 2 and body["not_found"] == [unknown]
    assert _search(kb_client, tenant, "kiln glaze")["total_results"] == 0
    again = kb_client.request(
        "DELETE", "/api/v1/document/bulk-delete", headers=tenant.key_headers, json={"document_ids": ids}
    )
    assert again.status_code == 404
    for bad in ({}, {"document_ids": []}, {"document_ids": "x"}, {"document_ids": ["x"] * 101}):
        response = kb_client.request("DELETE", "/api/v1/document/bulk-delete", headers=tenant.key_headers, json=bad)
        assert response.status_code == 400


def test_chunks_can_be_deleted_and_restored_one_by_one_or_all_at_once(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a document of several small chunks
    monkeypatch.setenv("CHUNK_SIZE", "100")
    monkeypatch.setenv("CHUNK_OVERLAP", "0")
    get_settings.cache_clear()
    get_services.cache_clear()
    text = " ".join(
        f"Fact {i}: the {word} kiln runs hot."
        for i, word in enumerate(["red", "blue", "green", "gold", "grey", "pink", "teal", "jade"])
    )
    document = _ingested(kb_client, tenant, pump_ingest, ("facts.txt", text.encode(), "text/plain"))[0]
    h = tenant.key_headers
    chunks = kb_client.get(f"/api/v1/document/{document['id']}", headers=h).json()["document"]["chunks"]
    assert len(chunks) >= 3
    blue = next(c for c in chunks if "blue" in c["content"])
    # WHEN one chunk is deleted
    assert kb_client.delete(f"/api/v1/document/chunk/{blue['id']}", headers=h).status_code == 200
    # THEN search no longer returns it (and only it), and it is listed as deleted
    assert all("blue" not in r["content"] for r in _search(kb_client, tenant, "blue kiln", limit=50)["results"])
    assert [c["id"] for c in kb_client.get("/api/v1/document/chunk/deleted", headers=h).json()["deleted_chunks"]] == [
        blue["id"]
    ]
    assert kb_client.delete(f"/api/v1/document/chunk/{blue['id']}", headers=h).status_code == 404
    # WHEN it is restored, it is found again
    assert kb_client.patch(f"/api/v1/document/chunk/{blue['id']}/restore", headers=h).status_code == 200
    assert any("blue" in r["content"] for r in _search(kb_client, tenant, "blue kiln")["results"])
    assert kb_client.patch(f"/api/v1/document/chunk/{blue['id']}/restore", headers=h).status_code == 400
    # WHEN every chunk of the document is deleted, then all restored
    removed = kb_client.delete(f"/api/v1/document/{document['id']}/chunk", headers=h).json()
    assert removed["deleted_chunks_count"] == len(chunks) and _search(kb_client, tenant, "kiln")["total_results"] == 0
    back = kb_client.patch(f"/api/v1/document/{document['id']}/chunk/restore-all", headers=h).json()
    assert back["restored_chunks_count"] == len(chunks) and _search(kb_client, tenant, "kiln", limit=50)[
        "total_results"
    ] == len(chunks)
    manifest = kb_services.knowledge.manifest(tenant.company_id, tenant.agent_id)
    assert manifest.hidden_chunks == [] and manifest.hidden_documents == []
