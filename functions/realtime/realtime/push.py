"""Lambda entry point of RealtimePushFunction (the table's stream, filtered to what widgets must see at once).

New assistant and operator messages and handoff/release notices go to the conversation's open sockets through
API Gateway's Management API at ``REALTIME_MANAGEMENT_URL`` (the WebSocket stage's https URL; the local stack's
own endpoint when run locally). See :mod:`knowrithm_core.services.realtime_push`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.config import get_settings
from knowrithm_core.observability import logger, traced
from knowrithm_core.services.realtime_push import Pusher
from knowrithm_core.store.table import DynamoTable, stream_item
from knowrithm_core.telemetry import metered

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@lru_cache(maxsize=4)
def pusher(endpoint_url: str) -> Pusher:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=16
    )
    client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint_url, config=config)
    return Pusher(DynamoTable(get_settings().table_name), client)


def push_record(record: DynamoDBRecord) -> None:
    item = stream_item(record.raw_event["dynamodb"]["NewImage"])
    sent = pusher(os.environ["REALTIME_MANAGEMENT_URL"]).handle(item)
    logger.debug("pushed", extra={"sk": item.get("SK"), "connections": sent})


@logger.inject_lambda_context(clear_state=True)
@metered
@traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=push_record, processor=processor, context=context))
