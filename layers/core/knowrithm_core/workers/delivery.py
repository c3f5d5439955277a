"""WebhookDeliveryFunction's record handler: one (event, endpoint) delivery per message
(see :mod:`knowrithm_core.services.delivery`).

The POSTs of a batch run concurrently (up to ``CONCURRENCY``, the event source's batch size): the runtime starts
every record at once in a bounded thread pool, because a POST mostly waits on the network.
A delivery that is not done is reported failed and hidden for its next backoff step (``Outcome.delay``), so it
reappears only when its next attempt is due; after the last attempt the queue's redrive policy moves it to
``DeliveryDLQ``. Malformed messages go to ``DeliveryDLQ`` at once (the runtime).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from knowrithm_core.config import Settings
from knowrithm_core.connectors.slack_jobs import SLACK_ENDPOINT
from knowrithm_core.services.delivery import DeliveryWorker
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.workers.runtime import DeadLetters, Job, Retry, SqsWorker

DELIVERY_FIELDS = ("company_id", "endpoint_id", "event_id")
CONCURRENCY = 10
SLACK_MAX_DELAY = 300  # seconds between attempts at most (10, 20, 40 ... 300)

if TYPE_CHECKING:
    from knowrithm_core.services.slack_relay import SlackRelay


def delivery_jobs(
    worker: DeliveryWorker, settings: Settings, queue: MessageQueue, slack: Callable[[], SlackRelay] | None = None
) -> SqsWorker:
    """The delivery queue's worker (webhook deliveries, and the Slack connector's posts: ``endpoint_id`` slack)."""

    def handle(job: Job) -> str:
        if job.body.get("endpoint_id") == SLACK_ENDPOINT and slack is not None:
            try:
                return slack().process(job.body)
            except Exception as exc:  # Slack down, throttled, a bad token: try again later, then the DLQ
                raise Retry(min(SLACK_MAX_DELAY, 10 * 2 ** max(0, job.attempt - 1)), f"slack: {exc}") from exc
        outcome = worker.process(job.body)
        if not outcome.done:
            raise Retry(outcome.delay, "the next attempt is due later")
        return "delivered" if outcome.attempted else "nothing to send"

    dead_letters = DeadLetters(settings.delivery_dlq_url)
    return SqsWorker("delivery", DELIVERY_FIELDS, handle, dead_letters, queue=queue, concurrency=CONCURRENCY)
