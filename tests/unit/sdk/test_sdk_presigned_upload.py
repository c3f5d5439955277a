"""``client.documents``: pre-signed uploads. Files above the threshold go upload-url -> storage POST -> complete
(the storage request carries no API credentials); smaller ones stay in the one multipart request."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest

from knowrithm_py.errors import KnowrithmAPIError
from tests.unit.sdk.scripted_server import MakeClient, Reply, ScriptedServer, error_body

FIELDS = {
    "key": "uploads/c1/d1/original.md",
    "Content-Type": "text/markdown",
    "policy": "cG9saWN5",
    "x-amz-signature": "sig",
}


def _parts(raw: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    return [
        (str(p.get_param("name", header="content-disposition")), p.get_filename(), p.get_payload(decode=True))
        for p in message.iter_parts()
    ]


def _ticket(server: ScriptedServer, document_id: str = "d1", name: str = "big.md") -> dict[str, Any]:
    return {
        "document": {"id": document_id, "original_filename": name, "status": "awaiting_upload"},
        "upload": {
            "url": f"{server.origin}/storage/docs",
            "method": "POST",
            "fields": FIELDS,
            "file_field": "file",
            "headers": {},
            "content_type": "text/markdown",
            "expires_in": 900,
        },
        "complete_url": f"/api/v1/document/{document_id}/complete",
    }


def _completed(document_id: str = "d1", name: str = "big.md") -> dict[str, Any]:
    document = {"id": document_id, "original_filename": name, "status": "pending", "task_id": f"t-{document_id}"}
    return {"success": True, "documents_processed": 1, "documents": [document], "document": document}


def test_a_file_above_the_threshold_is_uploaded_through_a_presigned_url(
    server: ScriptedServer, make_client: MakeClient, tmp_path: Path
) -> None:
    # GIVEN a 2 KB file, a 1 KB threshold, and a server that hands out an upload URL on the scripted host
    big = tmp_path / "big.md"
    big.write_bytes(b"# Big\n\n" + b"x" * 2048)
    small = tmp_path / "small.txt"
    small.write_text("small")
    server.script("POST", "/api/v1/document/upload-url", Reply(201, _ticket(server)))
    server.script("POST", "/storage/docs", Reply(204, None))
    server.script("POST", "/api/v1/document/d1/complete", Reply(200, _completed()))
    server.script(
        "POST",
        "/api/v1/document/upload",
        Reply(200, {"success": True, "documents": [{"id": "d2", "task_id": "t-d2"}], "errors": []}),
    )
    # WHEN both are uploaded with upload_documents
    result = make_client().documents.upload_documents(
        "a1", file_paths=[small, big], metadata={"team": "studio"}, presigned_threshold=1024
    )
    # THEN the small file went in the multipart request and the big one through the pre-signed flow
    [multipart] = server.requests_to("POST", "/api/v1/document/upload")
    assert [f for _, f, _ in _parts(multipart.body, multipart.headers["Content-Type"]) if f] == ["small.txt"]
    [asked] = server.requests_to("POST", "/api/v1/document/upload-url")
    assert asked.body == {
        "agent_id": "a1",
        "filename": "big.md",
        "size": big.stat().st_size,
        "content_type": "text/markdown",
        "metadata": {"team": "studio"},
    }
    [stored] = server.requests_to("POST", "/storage/docs")
    parts = _parts(stored.body, stored.headers["Content-Type"])
    # AND the storage POST is the policy's fields, then the file last, with no API credentials
    assert [(n, v.decode()) for n, f, v in parts if f is None] == list(FIELDS.items())
    assert parts[-1] == ("file", "big.md", big.read_bytes())
    assert not {"x-api-key", "x-api-secret", "authorization"} & {h.lower() for h in stored.headers}
    assert len(server.requests_to("POST", "/api/v1/document/d1/complete")) == 1
    # AND one summary names both documents
    assert result["documents_processed"] == 2 and [d["id"] for d in result["documents"]] == ["d2", "d1"]
    assert result["task_ids"] == ["t-d2", "t-d1"] and result["errors"] == []


def test_files_under_the_default_threshold_stay_multipart(
    server: ScriptedServer, make_client: MakeClient, tmp_path: Path
) -> None:
    path = tmp_path / "notes.md"
    path.write_bytes(b"n" * 4096)
    make_client().documents.upload_documents("a1", file_paths=[path])
    assert [s.path for s in server.seen] == ["/api/v1/document/upload"]


def test_the_explicit_steps(server: ScriptedServer, make_client: MakeClient, tmp_path: Path) -> None:
    server.script("POST", "/api/v1/document/upload-url", Reply(201, _ticket(server, "d9", "data.csv")))
    server.script("POST", "/storage/docs", Reply(204, None))
    server.script("POST", "/api/v1/document/d9/complete", Reply(200, _completed("d9", "data.csv")))
    client = make_client()
    ticket = client.documents.create_upload_url("a1", "data.csv", 12, content_type="text/csv")
    assert server.seen[-1].body == {"agent_id": "a1", "filename": "data.csv", "size": 12, "content_type": "text/csv"}
    assert client.documents.send_to_upload_url(ticket, b"a,b\n1,2\n3,4\n") == 204
    done = client.documents.complete_upload("d9")
    assert done["document"]["status"] == "pending"
    # AND upload_file_presigned does all three for one path
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert client.documents.upload_file_presigned("a1", path)["document"]["id"] == "d9"
    assert len(server.requests_to("POST", "/storage/docs")) == 2


def test_a_storage_refusal_is_an_error_with_the_storage_code(
    server: ScriptedServer, make_client: MakeClient, tmp_path: Path
) -> None:
    # GIVEN storage that refuses the file (as S3 does above the policy's content-length-range)
    path = tmp_path / "big.md"
    path.write_bytes(b"x" * 2048)
    server.script("POST", "/api/v1/document/upload-url", Reply(201, _ticket(server)))
    xml = "<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum.</Message></Error>"
    server.script("POST", "/storage/docs", Reply(400, xml))
    # WHEN it is uploaded
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client().documents.upload_documents("a1", file_paths=[path], presigned_threshold=1024)
    # THEN the error names the storage's reason, and complete was never called
    assert caught.value.status_code == 400 and caught.value.error_code == "EntityTooLarge"
    assert "exceeds the maximum" in caught.value.message
    assert server.requests_to("POST", "/api/v1/document/d1/complete") == []


def test_storage_5xx_is_retried(server: ScriptedServer, make_client: MakeClient, tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"x" * 2048)
    server.script("POST", "/api/v1/document/upload-url", Reply(201, _ticket(server)))
    server.script("POST", "/storage/docs", Reply(503, "<Error><Code>SlowDown</Code></Error>"), Reply(204, None))
    server.script("POST", "/api/v1/document/d1/complete", Reply(200, _completed()))
    result = make_client().documents.upload_documents("a1", file_paths=[path], presigned_threshold=1024)
    assert result["documents_processed"] == 1 and len(server.requests_to("POST", "/storage/docs")) == 2


def test_a_refused_large_file_is_an_error_line_when_others_were_accepted(
    server: ScriptedServer, make_client: MakeClient, tmp_path: Path
) -> None:
    # GIVEN a small file that is accepted and a large one whose upload URL is refused (415)
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "huge.exe").write_bytes(b"x" * 2048)
    server.script(
        "POST", "/api/v1/document/upload", Reply(200, {"success": True, "documents": [{"id": "d2"}], "errors": []})
    )
    refusal = error_body(415, "unsupported_media_type", "huge.exe: unsupported file type '.exe'")
    refusal["details"] = {"errors": ["huge.exe: unsupported file type '.exe'"]}
    server.script("POST", "/api/v1/document/upload-url", Reply(415, refusal))
    # WHEN both are uploaded
    result = make_client().documents.upload_documents(
        "a1", file_paths=[tmp_path / "ok.txt", tmp_path / "huge.exe"], presigned_threshold=1024
    )
    # THEN the summary is Knowrithm's partial success: one document, one error line
    assert result["documents_processed"] == 1 and result["errors"] == ["huge.exe: unsupported file type '.exe'"]
    assert result["total_submitted"] == 2 and result["errors_count"] == 1
