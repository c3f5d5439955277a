"""Lambda entry point of EventFanoutFunction (DynamoDB stream, filtered to outbox event items).

Partial batch response with checkpoint semantics: a failed record is reported, Lambda retries from it
(bisecting on error) and, after its retries, sends it to the on-failure destination. Nothing is dropped
silently, and a repeat of an event is harmless (see :mod:`knowrithm_core.services.fanout`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.container import get_services
from knowrithm_core.observability import logger, traced
from knowrithm_core.store.table import stream_item
from knowrithm_core.telemetry import metered

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def fan_out_record(record: DynamoDBRecord) -> None:
    services = get_services()
    event = stream_item(record.raw_event["dynamodb"]["NewImage"])
    sent = services.fan_out().handle(event)
    logger.info("fanned out", extra={"event_id": event.get("id"), "event": event.get("event"), "messages": sent})


@logger.inject_lambda_context(clear_state=True)
@metered
@traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=fan_out_record, processor=processor, context=context)
    )
