"""The fan-out's on-failure records -> the deliveries it missed, recorded for ``recover`` to replay.

When ``EventFanoutFunction`` gives up on stream records (after its retries), Lambda sends an invocation record
to ``FanoutFailureQueue``. For a DynamoDB stream it names the shard and the range of sequence numbers, not the
records: they are read back from the stream (kept 24 hours), the outbox events among them are picked out as the
fan-out's filter does, and each subscribed endpoint gets a ``failed`` delivery record (``skipped`` when it is
disabled). Nothing is sent: the cause of the failure may still be there. ``recover`` over the events' time
replays them; the alarm on the on-failure queue tells an operator to do so. Idempotent: records have
deterministic ids, so a repeated on-failure record changes nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowrithm_core.observability import logger as log
from knowrithm_core.services.fanout import FanOut
from knowrithm_core.store.repositories.events import EVENT_ENTITY
from knowrithm_core.store.streams import StreamReader
from knowrithm_core.store.table import stream_item
from knowrithm_core.telemetry import MISSED_DELIVERIES, count


class StreamBatchInfo(BaseModel):
    """``DDBStreamBatchInfo`` of Lambda's on-failure invocation record for a DynamoDB stream."""

    model_config = ConfigDict(extra="allow")

    shard_id: str = Field(alias="shardId")
    start_sequence_number: str = Field(alias="startSequenceNumber")
    end_sequence_number: str = Field(alias="endSequenceNumber")
    stream_arn: str = Field(alias="streamArn")
    batch_size: int | None = Field(default=None, alias="batchSize")


class NotAStreamFailure(ValueError):
    """The message is not an on-failure record of a DynamoDB stream."""


def batch_info(body: dict[str, Any]) -> StreamBatchInfo:
    """The stream range an on-failure record names; raises :class:`NotAStreamFailure`."""
    try:
        return StreamBatchInfo.model_validate(body.get("DDBStreamBatchInfo"))
    except ValidationError as exc:
        raise NotAStreamFailure("no valid DDBStreamBatchInfo") from exc


def outbox_events(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outbox events among stream records (the fan-out's filter: INSERT of an ``event`` item)."""
    events = []
    for record in records:
        image = (record.get("dynamodb") or {}).get("NewImage") or {}
        if record.get("eventName") == "INSERT" and image.get("_type", {}).get("S") == EVENT_ENTITY:
            events.append(stream_item(image))
    return events


class MissedFanOuts:
    def __init__(self, fan_out: FanOut, reader: StreamReader) -> None:
        self.fan_out = fan_out
        self.reader = reader

    def handle(self, body: dict[str, Any]) -> int:
        """Record the deliveries of every event in the failed range; returns how many are waiting for recover."""
        info = batch_info(body)
        records = self.reader.read(info.stream_arn, info.shard_id, info.start_sequence_number, info.end_sequence_number)
        missed = 0
        for event in outbox_events(records):
            recorded = self.fan_out.record_missed(event)
            missed += recorded
            log.warning(
                "fan-out missed an event; its deliveries wait for recover",
                extra={
                    "event_id": event.get("id"),
                    "event": event.get("event"),
                    "company_id": event.get("company_id"),
                    "event_timestamp": event.get("timestamp"),
                    "deliveries": recorded,
                },
            )
        if missed:
            count(MISSED_DELIVERIES, missed)
        return missed
