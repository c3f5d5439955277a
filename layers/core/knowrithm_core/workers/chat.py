"""ChatWorkerFunction's record handler: one queued chat turn per message (:mod:`knowrithm_core.services.chat_worker`).

A turn that asks to be retried (a throttled model, a busy conversation) comes back after
:func:`~knowrithm_core.services.chat_worker.retry_delay` (5 s, 10 s, ... at most 60 s), not the queue's visibility
timeout; an unexpected failure waits the visibility timeout. Malformed messages go to ``ChatDLQ`` (the runtime).
"""

from __future__ import annotations

from knowrithm_core.config import Settings
from knowrithm_core.services.chat_worker import JOB_FIELDS, ChatWorker, RetryLater, retry_delay
from knowrithm_core.workers.runtime import DeadLetters, Job, Retry, SqsWorker


def chat_jobs(worker: ChatWorker, settings: Settings) -> SqsWorker:
    """The chat queue's worker."""

    def handle(job: Job) -> str:
        try:
            return worker.handle(job.body, job.attempt)
        except RetryLater as exc:
            raise Retry(retry_delay(exc, job.attempt), str(exc)) from exc

    return SqsWorker("chat", JOB_FIELDS, handle, DeadLetters(settings.chat_dlq_url), queue=worker.queue)
