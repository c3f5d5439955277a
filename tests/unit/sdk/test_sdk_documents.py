"""``client.documents``: every route's method, path and body, multipart uploads from paths, and processing waits."""

from __future__ import annotations

from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.unit.sdk.scripted_server import MakeClient, Reply, ScriptedServer, error_body

Call = Callable[[KnowrithmClient], Any]

ROUTES: list[tuple[Call, str, str, dict[str, list[str]], Any]] = [
    (
        lambda c: c.documents.upload_documents("a1", urls=["https://x.example/a"], url="https://x.example/b"),
        "POST",
        "/document/upload",
        {},
        {"agent_id": "a1", "urls": ["https://x.example/a"], "url": "https://x.example/b"},
    ),
    (
        lambda c: c.documents.list_documents(page=2, status="completed", agent_id="a1"),
        "GET",
        "/document",
        {"page": ["2"], "status": ["completed"], "agent_id": ["a1"]},
        None,
    ),
    (
        lambda c: c.documents.list_agent_documents("a1", per_page=5),
        "GET",
        "/document/agent/a1",
        {"per_page": ["5"]},
        None,
    ),
    (lambda c: c.documents.get_document("d1"), "GET", "/document/d1", {}, None),
    (lambda c: c.documents.delete_document("d1"), "DELETE", "/document/d1", {}, None),
    (lambda c: c.documents.restore_document("d1"), "PATCH", "/document/d1/restore", {}, None),
    (
        lambda c: c.documents.bulk_delete_documents(["d1", "d2"]),
        "DELETE",
        "/document/bulk-delete",
        {},
        {"document_ids": ["d1", "d2"]},
    ),
    (lambda c: c.documents.list_deleted_documents(), "GET", "/document/deleted", {}, None),
    (lambda c: c.documents.delete_document_chunk("k1"), "DELETE", "/document/chunk/k1", {}, None),
    (lambda c: c.documents.restore_document_chunk("k1"), "PATCH", "/document/chunk/k1/restore", {}, None),
    (lambda c: c.documents.delete_document_chunks("d1"), "DELETE", "/document/d1/chunk", {}, None),
    (lambda c: c.documents.restore_all_document_chunks("d1"), "PATCH", "/document/d1/chunk/restore-all", {}, None),
    (lambda c: c.documents.list_deleted_chunks(), "GET", "/document/chunk/deleted", {}, None),
    (
        lambda c: c.documents.search_documents("refund policy", "a1", limit=5),
        "POST",
        "/search/document",
        {},
        {"query": "refund policy", "agent_id": "a1", "limit": 5},
    ),
]


@pytest.mark.parametrize(("call", "method", "path", "query", "body"), ROUTES, ids=[f"{r[1]} {r[2]}" for r in ROUTES])
def test_each_method_calls_its_route(
    server: ScriptedServer, make_client: MakeClient, call: Call, method: str, path: str, query: Any, body: Any
) -> None:
    # GIVEN a client of the scripted server
    client = make_client()
    # WHEN the method is called
    call(client)
    # THEN exactly one request went to the route, with the query and JSON body
    [seen] = server.seen
    assert (seen.method, seen.path, seen.query, seen.body) == (method, f"/api/v1{path}", query, body)
    assert seen.headers["X-API-Key"] == "ak_test"


def _form(raw: bytes, content_type: str) -> list[tuple[str, str | None, bytes, str]]:
    """(field name, file name, content, part content type) of each multipart part."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts.append((str(name), part.get_filename(), part.get_payload(decode=True), part.get_content_type()))
    return parts


def test_upload_from_paths_is_multipart_with_every_file_and_field(
    server: ScriptedServer, make_client: MakeClient, tmp_path: Path
) -> None:
    # GIVEN two files on disk and a 207 answer
    (tmp_path / "guide.md").write_text("# Guide\n\nHello.")
    (tmp_path / "terms.pdf").write_bytes(b"%PDF-1.4 fake")
    summary = {"success": True, "documents_processed": 1, "errors": ["terms.pdf: bad"], "errors_count": 1}
    server.script("POST", "/api/v1/document/upload", Reply(207, summary))
    # WHEN they are uploaded with URLs and metadata
    result = make_client().documents.upload_documents(
        "a1",
        file_paths=[tmp_path / "guide.md", str(tmp_path / "terms.pdf")],
        urls=["https://x.example/a", "https://x.example/b"],
        metadata={"category": "help"},
    )
    # THEN the 207 summary comes back as is
    assert result == summary
    # AND the body was one multipart form: files under "files", URLs repeated, metadata flat
    [seen] = server.seen
    parts = _form(seen.body, seen.headers["Content-Type"])
    fields = {(name, payload.decode()) for name, filename, payload, _ in parts if filename is None}
    assert fields == {
        ("agent_id", "a1"),
        ("urls", "https://x.example/a"),
        ("urls", "https://x.example/b"),
        ("category", "help"),
    }
    files = [(name, filename, payload, kind) for name, filename, payload, kind in parts if filename]
    assert files == [
        ("files", "guide.md", b"# Guide\n\nHello.", "text/markdown"),
        ("files", "terms.pdf", b"%PDF-1.4 fake", "application/pdf"),
    ]


def test_a_missing_path_fails_before_any_request(
    server: ScriptedServer, make_client: MakeClient, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        make_client().documents.upload_documents("a1", file_paths=[tmp_path / "nope.txt"])
    assert server.seen == []


def test_a_rejected_upload_raises_with_the_server_message(
    server: ScriptedServer, make_client: MakeClient, tmp_path: Path
) -> None:
    (tmp_path / "tool.exe").write_bytes(b"MZ")
    server.script(
        "POST",
        "/api/v1/document/upload",
        Reply(415, error_body(415, "unsupported_media_type", "tool.exe: unsupported file type")),
    )
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client().documents.upload_documents("a1", file_paths=[tmp_path / "tool.exe"])
    assert caught.value.status_code == 415 and caught.value.error_code == "unsupported_media_type"


def test_wait_until_processed_polls_until_every_document_is_finished(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    # GIVEN one document that completes on the third look and one that failed already
    server.script(
        "GET",
        "/api/v1/document/d1",
        Reply(200, {"document": {"id": "d1", "status": "pending"}}),
        Reply(200, {"document": {"id": "d1", "status": "processing"}}),
        Reply(200, {"document": {"id": "d1", "status": "completed"}}),
    )
    server.script("GET", "/api/v1/document/d2", Reply(200, {"document": {"id": "d2", "status": "failed"}}))
    # WHEN waited for
    documents = make_client().documents.wait_until_processed(["d1", "d2"], interval=0.01, timeout=5)
    # THEN both come back finished, in order, and the failed one is not asked again
    assert [(d["id"], d["status"]) for d in documents] == [("d1", "completed"), ("d2", "failed")]
    assert len(server.requests_to("GET", "/api/v1/document/d1")) == 3
    assert len(server.requests_to("GET", "/api/v1/document/d2")) == 1


def test_wait_until_processed_times_out(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script("GET", "/api/v1/document/d1", Reply(200, {"document": {"id": "d1", "status": "pending"}}))
    with pytest.raises(KnowrithmAPIError, match="Timed out"):
        make_client().documents.wait_until_processed(["d1"], interval=0.01, timeout=0.05)
