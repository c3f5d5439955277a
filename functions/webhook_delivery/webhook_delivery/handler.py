"""Lambda entry point of WebhookDeliveryFunction (SQS, ReportBatchItemFailures).

The POSTs of a batch run concurrently in the workers' batch runtime (:mod:`knowrithm_core.workers`); each failed
message is re-hidden for its next backoff step and reported, and after the last attempt the queue's redrive
policy moves it to the DLQ; a malformed one goes to the DLQ at once.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.container import get_services
from knowrithm_core.observability import logger, traced
from knowrithm_core.telemetry import metered
from knowrithm_core.workers.delivery import delivery_jobs


@logger.inject_lambda_context(clear_state=True)
@metered
@traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services = get_services()
    if services.delivery_queue is None:
        raise RuntimeError("DELIVERY_QUEUE_URL is not set")
    jobs = delivery_jobs(services.delivery_worker(), services.settings, services.delivery_queue, services.slack_relay)
    return jobs.process(event, context)
