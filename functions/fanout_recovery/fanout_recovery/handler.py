"""Lambda entry point of FanoutRecoveryFunction (SQS: the fan-out's on-failure queue, ReportBatchItemFailures).

Each on-failure record names a range of the table's stream the fan-out gave up on; the deliveries of its
outbox events are recorded ``failed`` so ``POST /webhook/{id}/recover`` replays them.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.container import get_services
from knowrithm_core.observability import logger, traced
from knowrithm_core.telemetry import metered
from knowrithm_core.workers.fanout_recovery import fanout_recovery_jobs


@logger.inject_lambda_context(clear_state=True)
@metered
@traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    services = get_services()
    return fanout_recovery_jobs(services.missed_fan_outs(), services.settings, services.fanout_failure_queue).process(
        event, context
    )
