"""Ingest metrics as DocumentIngestFunction writes them (EMF on stdout): documents, pages and failures."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.observability import SERVICE_NAME
from tests.component.knowledge.conftest import Pump, upload
from tests.emf import named
from tests.pdf_maker import make_pdf
from tests.stack import Tenant


def test_an_ingest_counts_documents_pages_and_failures(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump, emf: Any
) -> None:
    # GIVEN a two-page PDF and a broken one, uploaded
    good = make_pdf(["Page one about kettles.", "Page two about teapots."])
    files = [("guide.pdf", good, "application/pdf"), ("broken.pdf", b"%PDF-1.4 not really", "application/pdf")]
    response = upload(kb_client, tenant.key_headers, tenant.agent_id, *files)
    assert response.status_code in (200, 201, 202), response.text
    emf()
    # WHEN DocumentIngestFunction processes them
    pump_ingest()
    metrics = emf()
    # THEN one document ingested with its two pages, and one failure
    service = {"service": SERVICE_NAME}
    assert named(metrics, "DocumentsIngested") == [("Count", service, [1.0])]
    assert named(metrics, "IngestPages") == [("Count", service, [2.0])]
    assert named(metrics, "IngestFailures") == [("Count", service, [1.0])]
