"""Website sources through the API and the ingest worker, against a real site on 127.0.0.1 (local mode)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.store.queue import SqsQueue
from knowrithm_core.store.repositories.websites import WebsiteRepository
from tests.component.knowledge.conftest import Pump
from tests.site_server import LocalSite, page, serve_site
from tests.stack import Tenant


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with serve_site() as running:
        yield running


def _register(client: TestClient, tenant: Tenant, base_url: str, **extra: Any) -> Any:
    body = {"agent_id": tenant.agent_id, "base_url": base_url, "max_pages": 20, "max_depth": 3, **extra}
    return client.post("/api/v1/website/source", headers=tenant.key_headers, json=body)


def _sources(client: TestClient, tenant: Tenant) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = client.get("/api/v1/website/source", headers=tenant.key_headers).json()[
        "website_sources"
    ]
    return sources


def _search(client: TestClient, tenant: Tenant, query: str) -> list[dict[str, Any]]:
    body = {"query": query, "agent_id": tenant.agent_id}
    response = client.post("/api/v1/search/document", headers=tenant.key_headers, json=body)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_a_registered_site_is_crawled_into_documents_cited_by_url(
    kb_client: TestClient, tenant: Tenant, pump_ingest: Pump, site: LocalSite
) -> None:
    # GIVEN a registered site
    response = _register(kb_client, tenant, site.url("/"), crawl_frequency_minutes=1440, disallowed_paths=["/loop-*"])
    assert response.status_code == 201, response.text
    source = response.json()["website_source"]
    assert source["status"] == "queued" and response.json()["task_id"]
    # WHEN the ingest worker runs the queued crawl, then ingests the pages
    assert pump_ingest(rounds=4)["failed"] == 0
    # THEN the source completed with its pages, robots.txt and the SSRF guard applied
    [done] = _sources(kb_client, tenant)
    assert done["status"] == "completed" and done["pages_count"] == 4 and done["next_crawl_at"]
    assert [e["url"] for e in done["crawl_errors"]] == [site.url("/to-metadata")]
    pages = kb_client.get(f"/api/v1/website/source/{source['id']}/pages", headers=tenant.key_headers).json()["pages"]
    assert site.url("/pricing") in {p["url"] for p in pages} and site.url("/private") not in {p["url"] for p in pages}
    # AND each page is a processed document whose source is its URL, found by search
    [hit] = _search(kb_client, tenant, "How much does the pro plan cost?")[:1]
    document = kb_client.get(f"/api/v1/document/{hit['document_id']}", headers=tenant.key_headers).json()["document"]
    assert document["source_url"] == site.url("/pricing") and document["status"] == "completed"
    task = kb_client.get(f"/api/v1/tasks/{response.json()['task_id']}/status", headers=tenant.key_headers).json()
    assert task["status"] == "completed" and task["result"]["pages_added"] == 4
    # AND the agent's sources list it
    listed = kb_client.get(f"/api/v1/website/agent/{tenant.agent_id}/sources", headers=tenant.key_headers).json()
    assert [s["id"] for s in listed["website_sources"]] == [source["id"]]


def test_the_schedule_recrawls_sources_that_are_due(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump, site: LocalSite
) -> None:
    # GIVEN a crawled source with a re-crawl frequency, whose next crawl time has come
    body = {"crawl_frequency_minutes": 60, "max_depth": 0, "disallowed_paths": ["/about", "/hidden-*"]}
    source = _register(kb_client, tenant, site.url("/"), **body).json()["website_source"]
    pump_ingest(rounds=3)
    repository = WebsiteRepository(kb_services.table)
    crawled = repository.get(tenant.company_id, source["id"])
    assert crawled is not None and crawled.next_crawl_at and crawled.next_crawl_at > crawled.last_crawled_at
    repository.save(crawled.model_copy(update={"next_crawl_at": "2020-01-01T00:00:00.000Z"}))
    # WHEN the schedule's message (make recrawl locally) reaches the ingest worker
    SqsQueue(kb_services.settings.ingest_queue_url or "").send([{"kind": "crawl_due"}])
    pump_ingest(rounds=3)
    # THEN the source was crawled again (a new task, nothing changed) and is scheduled again
    [again] = _sources(kb_client, tenant)
    assert again["last_crawl_task_id"] != crawled.last_crawl_task_id and again["status"] == "completed"
    assert again["next_crawl_at"] > crawled.last_crawled_at
    task = kb_client.get(f"/api/v1/tasks/{again['last_crawl_task_id']}/status", headers=tenant.key_headers).json()
    assert task["result"]["pages_unchanged"] == 1 and task["result"]["pages_added"] == 0


def test_a_recrawl_updates_changed_pages_and_removes_gone_ones_and_delete_removes_the_rest(
    kb_client: TestClient, tenant: Tenant, pump_ingest: Pump, site: LocalSite
) -> None:
    # GIVEN a crawled site (its start pages only), whose glaze page then changes and whose about page disappears
    source = _register(kb_client, tenant, site.url("/"), max_depth=0).json()["website_source"]
    pump_ingest(rounds=4)
    site.pages["/hidden-from-links"] = page("Hidden", "Our new glaze recipe uses wood ash and feldspar.")
    del site.pages["/about"]
    # WHEN the SDK's synchronous crawl runs, and the changed page is ingested
    url = f"/api/v1/sdk/website/source/{source['id']}/crawl"
    result = kb_client.post(url, headers=tenant.key_headers, json={}).json()
    pump_ingest(rounds=2)
    # THEN one page was updated, one removed, one left alone
    assert (result["pages_added"], result["pages_updated"], result["pages_removed"]) == (0, 1, 1)
    assert result["pages_unchanged"] == 1
    # AND search finds the new text, and not the old one nor the removed page
    hits = _search(kb_client, tenant, "glaze recipe wood ash")
    assert "wood ash" in hits[0]["content"] and not any("Only the sitemap" in h["content"] for h in hits)
    assert not any("four kilns" in h["content"] for h in _search(kb_client, tenant, "kilns back room"))
    # WHEN the source is deleted
    deleted = kb_client.delete(f"/api/v1/website/source/{source['id']}", headers=tenant.key_headers).json()
    # THEN its documents are gone from search and the source from the list
    assert deleted["deleted_documents"] == 2
    assert _search(kb_client, tenant, "glaze recipe wood ash") == [] and _sources(kb_client, tenant) == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "base_url",
    ["http://10.0.0.7/", "http://169.254.169.254/latest/", "not a url", "ftp://example.com/", "CLOSED"],
)
def test_bad_sites_are_400_and_store_nothing(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, base_url: str
) -> None:
    # GIVEN a private, metadata, malformed, non-http or unreachable site
    if base_url == "CLOSED":
        base_url = f"http://127.0.0.1:{_closed_port()}/"
    # WHEN registered
    response = _register(kb_client, tenant, base_url)
    # THEN it is a 400 with the error shape, and nothing was stored
    assert response.status_code == 400, response.text
    assert {"detail", "error", "message", "error_code"} <= set(response.json())
    assert _sources(kb_client, tenant) == []


def test_a_site_registered_twice_is_409_and_unknown_sources_404(
    kb_client: TestClient, tenant: Tenant, site: LocalSite
) -> None:
    assert _register(kb_client, tenant, site.url("/")).status_code == 201
    assert _register(kb_client, tenant, site.url("/")).status_code == 409
    unknown = "0190a0a0-0000-7000-8000-000000000000"
    assert kb_client.post(f"/api/v1/website/source/{unknown}/crawl", headers=tenant.key_headers).status_code == 404
    assert kb_client.get("/api/v1/website/source", headers={}).status_code == 401
