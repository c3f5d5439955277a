"""Word and Excel uploads end to end: upload -> ingest (the real handler) -> search finds their text."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.component.knowledge.conftest import Pump, upload
from tests.office_maker import make_docx, make_xlsx
from tests.stack import Tenant

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_docx_and_xlsx_are_ingested_and_searchable(kb_client: TestClient, tenant: Tenant, pump_ingest: Pump) -> None:
    # GIVEN a real Word document and a real workbook WHEN they are uploaded and ingested
    files = [("policy.docx", make_docx(), DOCX), ("prices.xlsx", make_xlsx(), XLSX)]
    response = upload(kb_client, tenant.key_headers, tenant.agent_id, *files)
    assert response.status_code == 200, response.text
    assert [d["document_type"] for d in response.json()["documents"]] == ["docx", "xlsx"]
    assert pump_ingest() == {"handled": 2, "failed": 0}
    # THEN both are completed: the workbook has a page per sheet, the Word document its title
    listed = {
        d["original_filename"]: d
        for d in kb_client.get("/api/v1/document", headers=tenant.key_headers).json()["document"]
    }
    assert {d["status"] for d in listed.values()} == {"completed"}
    assert listed["prices.xlsx"]["page_count"] == 2 and listed["policy.docx"]["title"] == "Shipping policy"
    # AND search finds text from a table cell and from a sheet
    for query, source in (("Asia shipping days", "policy.docx"), ("blue mug price", "prices.xlsx")):
        found = kb_client.post(
            "/api/v1/search/document", headers=tenant.key_headers, json={"query": query, "agent_id": tenant.agent_id}
        ).json()["results"]
        assert found and found[0]["document_name"] == source, (query, found[:1])


def test_a_fake_docx_is_refused_at_upload_and_stores_nothing(kb_client: TestClient, tenant: Tenant) -> None:
    # GIVEN text named .docx WHEN it is uploaded THEN it is a 4xx naming the file, and nothing is listed
    response = upload(kb_client, tenant.key_headers, tenant.agent_id, ("fake.docx", b"not a zip at all", DOCX))
    assert 400 <= response.status_code < 500, response.text
    assert "zip" in response.text
    assert kb_client.get("/api/v1/document", headers=tenant.key_headers).json()["document"] == []
