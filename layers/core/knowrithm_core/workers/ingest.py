"""DocumentIngestFunction's record handler: one uploaded document per message (:mod:`knowrithm_core.services.ingest`).

A failure is retried after the queue's visibility timeout; the last attempt (``INGEST_MAX_ATTEMPTS``, the queue's
``maxReceiveCount``) marks the document failed. Malformed messages go to ``IngestDLQ`` (the runtime).
"""

from __future__ import annotations

from typing import Any

from knowrithm_core.config import Settings
from knowrithm_core.services.ingest import IngestWorker
from knowrithm_core.services.websites import WebsiteService
from knowrithm_core.store.queue import SqsQueue
from knowrithm_core.workers.runtime import DeadLetters, Job, Malformed, SqsWorker

INGEST_FIELDS = ("company_id", "document_id")
CRAWL_FIELDS = ("company_id", "website_source_id")


def ingest_jobs(worker: IngestWorker, settings: Settings, websites: WebsiteService | None = None) -> SqsWorker:
    """The ingest queue's worker: documents, and (``kind``) website crawls and the scheduled re-crawl."""

    def handle(job: Job) -> str:
        kind = job.body.get("kind")
        if kind in ("crawl", "crawl_due") and websites is not None:
            return crawl(job.body, websites)
        missing = [name for name in INGEST_FIELDS if not isinstance(job.body.get(name), str) or not job.body[name]]
        if missing:
            raise Malformed(f"missing or not a string: {', '.join(missing)}")
        return worker.handle(job.body, job.attempt)

    queue = SqsQueue(settings.ingest_queue_url) if settings.ingest_queue_url else None
    return SqsWorker("ingest", (), handle, DeadLetters(settings.ingest_dlq_url), queue=queue)


def crawl(body: dict[str, Any], websites: WebsiteService) -> str:
    """One website crawl, or (``crawl_due``, from the schedule) queue the crawls that are due."""
    if body.get("kind") == "crawl_due":
        websites.crawl_due()
        return "completed"
    missing = [name for name in CRAWL_FIELDS if not isinstance(body.get(name), str) or not body[name]]
    if missing:
        raise Malformed(f"missing or not a string: {', '.join(missing)}")
    return str(websites.crawl(body["company_id"], body["website_source_id"])["status"])
