"""Lambda entry point of ChatWorkerFunction (SQS, ReportBatchItemFailures).

Each message names one queued chat turn (a pending task). The work (answer, store it, finish the task) is
:class:`knowrithm_core.services.chat_worker.ChatWorker`'s; a failed message is reported, SQS redelivers it,
and after the queue's ``maxReceiveCount`` it goes to the DLQ (the last attempt fails the task with a reason).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.container import get_services
from knowrithm_core.observability import logger, metrics, traced
from knowrithm_core.services.chat_worker import chat_batch


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    failed = chat_batch(event.get("Records", []), get_services().chat_worker())
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
