"""Website sources (Knowrithm's ``/website/source`` routes): register, list, pages, delete, crawl, re-crawl.

Registering checks the URL with the SSRF guard and fetches it once (an unreachable or refused site is a 400 and
nothing is stored). A crawl (queued to the ingest worker, or synchronous on the SDK route) reads the site with
:class:`knowrithm_core.knowledge.crawl.Crawler`; each page becomes a document whose source is its URL. A re-crawl
replaces the documents of changed pages, removes those of pages that are gone and leaves unchanged ones alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound, ServiceUnavailable, ValidationFailed
from knowrithm_core.ids import is_uuid, iso, new_id, now
from knowrithm_core.knowledge.crawl import CrawledPage, Crawler, CrawlPlan, normalized, origin_of
from knowrithm_core.knowledge.fetch import Fetcher, FetchError
from knowrithm_core.models.bodies.sources import WebsiteSourceCreate
from knowrithm_core.models.resources import Task
from knowrithm_core.models.sources import WebsitePage, WebsiteSource
from knowrithm_core.net.url_safety import UnsafeUrl, check_url
from knowrithm_core.observability import logger as log
from knowrithm_core.services.base import Service
from knowrithm_core.services.documents import DocumentService, SourcedText
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.store.repositories.tasks import TaskRepository
from knowrithm_core.store.repositories.websites import WebsiteRepository

CRAWL_KIND = "website_crawl"
SYNC_BUDGET_SECONDS = 20  # the SDK's synchronous crawl answers within API Gateway's 30 s (the worker has 80 of 120)


def crawler_principal(source: WebsiteSource) -> Principal:
    """Who a crawl acts as: the source's company, with the write scope (its documents are its own)."""
    return Principal(
        "api_key", source.company_id, source.created_by or "website-crawler", frozenset({"read", "write"}), "user"
    )


class WebsiteService(Service):
    def __init__(self, documents: DocumentService, fetcher: Fetcher, queue: MessageQueue | None) -> None:
        super().__init__(documents.table, documents.settings)
        self.documents = documents
        self.fetcher = fetcher
        self.queue = queue
        self.repository = WebsiteRepository(self.table)
        self.tasks = TaskRepository(self.table, ttl_days=self.settings.event_ttl_days)

    # --- routes ---------------------------------------------------------------------------------------
    def register(self, principal: Principal, body: WebsiteSourceCreate) -> dict[str, Any]:
        """201 ``{website_source, task_id}``: stored and its first crawl queued; 400 if the site cannot be read."""
        principal.require("write")
        agent = self.documents.agents.read(principal.company_id, body.agent_id)[1]
        base_url = normalized(body.base_url)
        self._check_site(base_url, body.seed_urls)
        stamp = iso()
        source = WebsiteSource(
            id=new_id(),
            company_id=principal.company_id,
            agent_id=agent.id,
            base_url=base_url,
            **body.model_dump(exclude={"agent_id", "base_url"}),
            created_by=principal.subject_id,
            created_at=stamp,
            updated_at=stamp,
        )
        self.repository.add(source)
        queued = self._queue_crawl(source, principal.subject_id)
        return {"website_source": queued.public(), "task_id": queued.last_crawl_task_id}

    def list_sources(self, principal: Principal, agent_id: str | None = None) -> dict[str, Any]:
        principal.require("read")
        if agent_id is not None:
            self.documents.agents.read(principal.company_id, agent_id)
        sources = [
            s.public()
            for s in self.repository.all(principal.company_id)
            if not s.deleted_at and (agent_id is None or s.agent_id == agent_id)
        ]
        return {"website_sources": sources, "total": len(sources)}

    def pages(self, principal: Principal, source_id: str) -> dict[str, Any]:
        principal.require("read")
        source = self._source(principal.company_id, source_id)
        pages = [p.model_dump(mode="json") for p in self.repository.pages(source.company_id, source.id)]
        return {"website_source_id": source.id, "pages": pages, "total": len(pages)}

    def delete(self, principal: Principal, source_id: str) -> dict[str, Any]:
        """The source, its pages and their documents (soft-deleted: search stops citing them at once)."""
        principal.require("write", "DELETE")
        source = self._source(principal.company_id, source_id)
        pages = self.repository.pages(source.company_id, source.id)
        removed = self.documents.remove_quietly(principal, [p.document_id for p in pages if p.document_id])
        self.repository.drop_pages(pages)
        stamp = iso()
        gone = source.model_copy(update={"deleted_at": stamp, "is_active": False, "updated_at": stamp})
        self.repository.remove(gone)
        return {"message": "Website source deleted.", "website_source_id": source.id, "deleted_documents": removed}

    def request_crawl(self, principal: Principal, source_id: str) -> dict[str, Any]:
        """202 ``{status, task_id, website_source_id}``: the crawl is queued for the ingest worker."""
        principal.require("write")
        source = self._queue_crawl(self._source(principal.company_id, source_id), principal.subject_id)
        return {"status": "queued", "task_id": source.last_crawl_task_id, "website_source_id": source.id}

    def crawl_now(self, principal: Principal, source_id: str, max_pages: int | None = None) -> dict[str, Any]:
        """The SDK's synchronous crawl: run it here and return its summary."""
        principal.require("write")
        source = self._source(principal.company_id, source_id)
        return self.crawl(source.company_id, source.id, max_pages=max_pages, budget_seconds=SYNC_BUDGET_SECONDS)

    # --- the crawl (ingest worker, SDK route, schedule) -----------------------------------------------
    def crawl(
        self, company_id: str, source_id: str, *, max_pages: int | None = None, budget_seconds: float = 80
    ) -> dict[str, Any]:
        """Crawl the source and bring its documents up to date; returns the crawl's summary."""
        source = self.repository.get(company_id, source_id)
        if source is None or source.deleted_at:
            return {"status": "skipped", "website_source_id": source_id}
        self._save(source, status="crawling")
        crawler = Crawler(
            self.fetcher,
            local_mode=self.settings.local_mode,
            timeout=self.settings.fetch_timeout_seconds,
            max_bytes=self.settings.max_document_bytes,
            budget_seconds=budget_seconds,
        )
        plan = CrawlPlan(
            base_url=source.base_url,
            seed_urls=tuple(source.seed_urls),
            allowed_paths=tuple(source.allowed_paths),
            disallowed_paths=tuple(source.disallowed_paths),
            max_pages=min(max_pages or source.max_pages, source.max_pages),
            max_depth=source.max_depth,
        )
        report = crawler.crawl(plan)
        changes = self._sync(source, report.pages)
        failed = not report.pages
        error = report.errors[0]["error"] if failed and report.errors else ("no page could be read" if failed else None)
        finished = self._save(
            source,
            status="failed" if failed else "completed",
            last_error=error,
            crawl_errors=report.errors[:50],
            pages_count=len(report.pages),
            last_crawled_at=iso(),
            next_crawl_at=_next(source),
        )
        summary = {"status": finished.status, "website_source_id": source.id, **changes, "errors": report.errors[:50]}
        summary["blocked_by_robots"] = report.blocked_by_robots[:50]
        self._finish_task(finished, summary, error)
        log.info("website crawled", extra={"website_source_id": source.id, **changes})
        return {**summary, "website_source": finished.public()}

    def crawl_due(self) -> int:
        """Queue a crawl of every scheduled source that is due (the scheduled re-crawl); returns how many."""
        due = self.repository.due(iso())
        for company_id, source_id in due:
            source = self.repository.get(company_id, source_id)
            if source is not None and not source.deleted_at:
                self._queue_crawl(source, None)
        return len(due)

    # --- helpers --------------------------------------------------------------------------------------
    def _check_site(self, base_url: str, seeds: list[str]) -> None:
        """400 unless the SSRF guard accepts the URL, the seeds are on the same site, and the site answers."""
        try:
            check_url(base_url, local_mode=self.settings.local_mode)
        except UnsafeUrl as exc:
            raise ValidationFailed(exc.message, details={"errors": {"base_url": [exc.message]}}) from exc
        foreign = [seed for seed in seeds if origin_of(seed) != origin_of(base_url)]
        if foreign:
            raise ValidationFailed(
                "seed_urls must be on the site of base_url.", details={"errors": {"seed_urls": foreign}}
            )
        try:
            self.fetcher.fetch(
                base_url, max_bytes=self.settings.max_document_bytes, timeout=10, local_mode=self.settings.local_mode
            )
        except FetchError as exc:
            message = f"The site could not be read: {exc}"
            raise ValidationFailed(message, details={"errors": {"base_url": [message]}}) from exc

    def _source(self, company_id: str, source_id: str) -> WebsiteSource:
        source = self.repository.get(company_id, source_id) if is_uuid(source_id) else None
        if source is None or source.deleted_at:
            raise NotFound("Website source not found.")
        return source

    def _save(self, source: WebsiteSource, **changes: Any) -> WebsiteSource:
        current = self.repository.get(source.company_id, source.id) or source
        updated = current.model_copy(update={**changes, "updated_at": iso()})
        self.repository.save(updated)
        return updated

    def _queue_crawl(self, source: WebsiteSource, owner_id: str | None) -> WebsiteSource:
        if self.queue is None:
            raise ServiceUnavailable("Crawling is not configured (INGEST_QUEUE_URL).")
        stamp = iso()
        task = Task(
            task_id=new_id(),
            company_id=source.company_id,
            owner_id=owner_id,
            kind=CRAWL_KIND,
            status="pending",
            created_at=stamp,
            updated_at=stamp,
        )
        self.table.write([self.tasks.created(task)])
        queued = self._save(source, status="queued", last_crawl_task_id=task.task_id)
        self.queue.send([{"kind": "crawl", "company_id": source.company_id, "website_source_id": source.id}])
        return queued

    def _finish_task(self, source: WebsiteSource, summary: dict[str, Any], error: str | None) -> None:
        task = self.tasks.get(source.company_id, source.last_crawl_task_id or "")
        if task is None or task.status in ("completed", "failed"):
            return
        status = "failed" if error else "completed"
        self.tasks.finish(
            task.model_copy(
                update={
                    "status": status,
                    "result": summary if not error else None,
                    "error": {"message": error, "code": "website_crawl_failed"} if error else None,
                    "updated_at": iso(),
                }
            )
        )

    def _sync(self, source: WebsiteSource, crawled: list[CrawledPage]) -> dict[str, int]:
        """New and changed pages become documents (a changed page's old document is removed); gone pages' too."""
        principal = crawler_principal(source)
        known = {page.url: page for page in self.repository.pages(source.company_id, source.id)}
        fresh = {page.url: page for page in crawled}
        changed = [p for p in crawled if p.url not in known or known[p.url].content_hash != p.content_hash]
        stale = [known[p.url] for p in changed if p.url in known]
        gone = [page for url, page in known.items() if url not in fresh]
        texts = [
            SourcedText(p.title, f"# {p.title}\n\n{p.text}", p.url, {"website_source_id": source.id, "url": p.url})
            for p in changed
        ]
        made = self.documents.add_texts(principal, source.agent_id, texts) if texts else []
        self.documents.remove_quietly(principal, [p.document_id for p in [*stale, *gone] if p.document_id])
        stamp = iso()
        pages = [
            WebsitePage(
                id=new_id(),
                company_id=source.company_id,
                website_source_id=source.id,
                url=p.url,
                title=p.title,
                document_id=d.id,
                content_hash=p.content_hash,
                depth=p.depth,
                last_crawled_at=stamp,
            )
            for p, d in zip(changed, made, strict=True)
        ]
        self.repository.put_pages(pages)
        self.repository.drop_pages(gone)
        return {
            "pages_added": len(changed) - len(stale),
            "pages_updated": len(stale),
            "pages_removed": len(gone),
            "pages_unchanged": len(crawled) - len(changed),
        }


def _next(source: WebsiteSource) -> str | None:
    if not source.crawl_frequency_minutes:
        return None
    return iso(now() + timedelta(minutes=source.crawl_frequency_minutes))
