"""Lambda entry point of DocumentIngestFunction (SQS, ReportBatchItemFailures).

Each message names one uploaded document. The work (fetch, extract, chunk, index, ``document.processed``)
is :class:`knowrithm_core.services.ingest.IngestWorker`'s, run by the workers' batch runtime
(:mod:`knowrithm_core.workers`): a failed message is reported, SQS redelivers it, and after the queue's
``maxReceiveCount`` it goes to the DLQ (the last attempt marks the document failed); a malformed one goes to
the DLQ at once.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.container import get_services
from knowrithm_core.observability import logger, traced
from knowrithm_core.telemetry import metered
from knowrithm_core.workers.ingest import ingest_jobs


@logger.inject_lambda_context(clear_state=True)
@metered
@traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services = get_services()
    return ingest_jobs(services.ingest_worker(), services.settings, services.websites).process(event, context)
