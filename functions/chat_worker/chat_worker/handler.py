"""Lambda entry point of ChatWorkerFunction (SQS, ReportBatchItemFailures).

Each message names one queued chat turn (a pending task). The work (answer, store it, finish the task) is
:class:`knowrithm_core.services.chat_worker.ChatWorker`'s, run by the workers' batch runtime
(:mod:`knowrithm_core.workers`): a failed message is reported, SQS redelivers it, and after the queue's
``maxReceiveCount`` it goes to the DLQ (the last attempt fails the task with a reason); a malformed one goes to
the DLQ at once.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.container import get_services
from knowrithm_core.observability import logger, traced
from knowrithm_core.telemetry import metered
from knowrithm_core.workers.chat import chat_jobs


@logger.inject_lambda_context(clear_state=True)
@metered
@traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services = get_services()
    return chat_jobs(services.chat_worker(), services.settings).process(event, context)
