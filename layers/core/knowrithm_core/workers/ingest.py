"""DocumentIngestFunction's record handler: one uploaded document per message (:mod:`knowrithm_core.services.ingest`).

A failure is retried after the queue's visibility timeout; the last attempt (``INGEST_MAX_ATTEMPTS``, the queue's
``maxReceiveCount``) marks the document failed. Malformed messages go to ``IngestDLQ`` (the runtime).
"""

from __future__ import annotations

from knowrithm_core.config import Settings
from knowrithm_core.services.ingest import IngestWorker
from knowrithm_core.store.queue import SqsQueue
from knowrithm_core.workers.runtime import DeadLetters, Job, SqsWorker

INGEST_FIELDS = ("company_id", "document_id")


def ingest_jobs(worker: IngestWorker, settings: Settings) -> SqsWorker:
    """The ingest queue's worker."""

    def handle(job: Job) -> str:
        return worker.handle(job.body, job.attempt)

    queue = SqsQueue(settings.ingest_queue_url) if settings.ingest_queue_url else None
    return SqsWorker("ingest", INGEST_FIELDS, handle, DeadLetters(settings.ingest_dlq_url), queue=queue)
