"""Lambda entry point of DocumentIngestFunction (SQS, ReportBatchItemFailures).

Each message names one uploaded document. The work (fetch, extract, chunk, index, ``document.processed``)
is :class:`knowrithm_core.knowledge.ingest.IngestWorker`'s; a failed message is reported, SQS redelivers
it, and after the queue's ``maxReceiveCount`` it goes to the DLQ (the last attempt marks the document failed).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.container import get_services
from knowrithm_core.knowledge.ingest import ingest_batch
from knowrithm_core.observability import logger, metrics, traced


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    failed = ingest_batch(event.get("Records", []), get_services().ingest_worker())
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
