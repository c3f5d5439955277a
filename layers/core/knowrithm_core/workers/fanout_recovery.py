"""FanoutRecoveryFunction's record handler: one on-failure record of the fan-out per message
(:mod:`knowrithm_core.services.fanout_recovery`).

A message that is not an on-failure record of a stream goes to ``FanoutFailureDLQ`` at once (the runtime); a
range the stream no longer holds fails, and after the queue's receives it lands in the DLQ too (the alarm).
"""

from __future__ import annotations

from knowrithm_core.config import Settings
from knowrithm_core.services.fanout_recovery import MissedFanOuts
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.workers.runtime import DeadLetters, Job, SqsWorker

RECORD_FIELDS = ("version", "timestamp")  # Lambda's invocation record; DDBStreamBatchInfo is checked by the service


def fanout_recovery_jobs(missed: MissedFanOuts, settings: Settings, queue: MessageQueue | None) -> SqsWorker:
    """The on-failure queue's worker."""

    def handle(job: Job) -> str:
        return f"{missed.handle(job.body)} deliveries recorded for recover"

    dead_letters = DeadLetters(settings.fanout_failure_dlq_url)
    return SqsWorker("fanout-recovery", RECORD_FIELDS, handle, dead_letters, queue=queue)
