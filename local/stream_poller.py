"""The DynamoDB stream event source: read each shard in order, invoke, checkpoint, retry like Lambda.

Per shard the poller keeps a checkpoint (the last sequence number handled) and retries from it:

* success (or every record filtered out): the checkpoint moves past the records read;
* ``batchItemFailures`` (with ``ReportBatchItemFailures``): records before the first failed
  sequence number are done, the rest is retried from there;
* an exception: with ``BisectBatchOnFunctionError`` the read size halves until the failing
  record is alone (splits do not use up retries); otherwise the batch is retried as is;
* after ``MaximumRetryAttempts`` failed retries (-1 = until it succeeds) the failed records are
  skipped and, with ``DestinationConfig.OnFailure``, an invocation record goes to that SQS queue.

One retry happens per ``run_once()``; the template's stream ARN is synthetic, so the real one is
read from ``describe_table``. Not emulated: ``MaximumBatchingWindowInSeconds`` (records are read as
soon as they exist), ``MaximumRecordAgeInSeconds``, ``ParallelizationFactor`` and SNS destinations.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from local.batch import Invoke, failed_identifiers, jsonable
from local.filters import passes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from mypy_boto3_sqs.client import SQSClient

log = logging.getLogger("local.pollers")
Acknowledge = Callable[[str, str, str], object]  # (stream ARN, reader, checkpoint): records up to it may go
Hold = Callable[[str, str, str], object]  # (stream ARN, reader, first sequence): keep the records from it on a while


@dataclass(frozen=True)
class StreamSource:
    """One ``Type: DynamoDB`` event of a function."""

    function: str
    event_name: str
    stream_arn: str
    function_arn: str = ""
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    window_seconds: float = 0.0
    report_failures: bool = False
    bisect: bool = False
    max_retries: int = -1
    on_failure: str | None = None
    filters: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Shard:
    shard_id: str
    iterator: str | None = None  # positioned just after ``checkpoint``
    checkpoint: str | None = None
    attempts: int = 0  # failed retries of the records after the checkpoint
    limit: int = 0  # records per read; below BatchSize while bisecting
    split_until: int | None = None  # bisecting until the checkpoint reaches this sequence number


def _seq(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


class StreamPoller:
    def __init__(
        self,
        source: StreamSource,
        invoke: Invoke,
        dynamodb: DynamoDBClient,
        streams: DynamoDBStreamsClient,
        sqs: SQSClient,
        region: str = "us-east-1",
        acknowledge: Acknowledge | None = None,
        hold: Hold | None = None,
    ) -> None:
        self.source = source
        self.acknowledge = acknowledge
        self.hold = hold
        self.invoke = invoke
        self.dynamodb = dynamodb
        self.streams = streams
        self.sqs = sqs
        self.region = region
        self.stream_arn: str | None = None
        self.shards: dict[str, Shard] = {}

    @property
    def name(self) -> str:
        return f"{self.source.function}.{self.source.event_name}"

    def start(self) -> None:
        """Find the real stream and its shards; LATEST pins the position now (records written later are read)."""
        table = self.source.stream_arn.split(":table/", 1)[1].split("/", 1)[0]
        self.stream_arn = self.dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._discover()

    def _discover(self) -> None:
        assert self.stream_arn is not None  # noqa: S101 - narrows the type: set before the poller starts
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self.shards:
                self.shards[shard_id] = Shard(shard_id, limit=self.source.batch_size)
                if self.source.starting_position == "LATEST":
                    self.shards[shard_id].iterator = self._iterator(shard_id, "LATEST")

    def _iterator(self, shard_id: str, kind: str, sequence: str | None = None) -> str:
        assert self.stream_arn is not None  # noqa: S101 - narrows the type: set before the poller starts
        args: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard_id, "ShardIteratorType": kind}
        if sequence is not None:
            args["SequenceNumber"] = sequence
        return str(self.streams.get_shard_iterator(**args)["ShardIterator"])

    def run_once(self) -> int:
        if self.stream_arn is None:
            self.start()
        else:
            self._discover()
        return sum(self._step(shard) for shard in self.shards.values())

    def _record(self, raw: Any) -> dict[str, Any]:
        record: dict[str, Any] = jsonable(dict(raw))
        record.setdefault("eventVersion", "1.1")
        record.update(eventSource="aws:dynamodb", awsRegion=self.region, eventSourceARN=self.stream_arn)
        return record

    def _step(self, shard: Shard) -> int:
        if shard.iterator is None:
            shard.iterator = (
                self._iterator(shard.shard_id, "AFTER_SEQUENCE_NUMBER", shard.checkpoint)
                if shard.checkpoint
                else self._iterator(shard.shard_id, "TRIM_HORIZON")
            )
        out = self.streams.get_records(ShardIterator=shard.iterator, Limit=shard.limit)
        records = [self._record(r) for r in out.get("Records", [])]
        if not records:
            # Reopen from the checkpoint next time: stock moto swaps in a copy of the table when it rolls back a
            # cancelled transaction (local.moto_transactions does not), and an old iterator never sees the copy.
            # (Without a checkpoint a TRIM_HORIZON reopen reads the same empty shard; a LATEST one keeps its iterator.)
            if shard.checkpoint or self.source.starting_position != "LATEST":
                shard.iterator = None
            return 0
        batch = [r for r in records if passes(self.source.filters, r)]
        failed, errored = self._deliver(batch) if batch else (set(), False)
        if not failed:
            self._advance(shard, _seq(records[-1]), out.get("NextShardIterator"))
            return len(records)
        first = next(i for i, r in enumerate(records) if _seq(r) in failed)
        if first:
            self._advance(shard, _seq(records[first - 1]), None)
        remaining = [r for r in records[first:] if _seq(r) in failed]
        if errored and self.source.bisect and len(remaining) > 1:
            shard.limit = max(1, (len(records) - first) // 2)
            shard.split_until = int(_seq(records[-1]))
            return first
        shard.attempts += 1
        if 0 <= self.source.max_retries < shard.attempts:
            self._on_failure(shard, remaining)
            self._advance(shard, _seq(records[-1]), None)
            return len(records)
        return first

    def _deliver(self, batch: list[dict[str, Any]]) -> tuple[set[str], bool]:
        """Sequence numbers to retry, and whether the whole batch errored (exception or invalid response)."""
        every = {_seq(r) for r in batch}
        try:
            result = self.invoke(self.source.function, {"Records": batch})
        except Exception:  # noqa: BLE001 - Lambda's rule: an error fails the whole batch
            log.exception("%s failed a batch of %d stream records", self.source.function, len(batch))
            return every, True
        if not self.source.report_failures:
            return set(), False
        failed = failed_identifiers(result, every)
        if failed is None:
            return every, True
        if not failed:
            return set(), False
        lowest = min(int(s) for s in failed)  # checkpoint semantics: retry from the lowest failed record on
        return {s for s in every if int(s) >= lowest}, False

    def _advance(self, shard: Shard, sequence: str, next_iterator: str | None) -> None:
        shard.checkpoint, shard.iterator, shard.attempts = sequence, next_iterator, 0
        if self.acknowledge is not None and self.stream_arn is not None:
            self.acknowledge(self.stream_arn, self.name, sequence)
        if shard.split_until is not None and int(sequence) >= shard.split_until:
            shard.limit, shard.split_until = self.source.batch_size, None

    def _on_failure(self, shard: Shard, records: list[dict[str, Any]]) -> None:
        log.warning(
            "%s: skipping %d stream record(s) after %d failed attempts", self.name, len(records), shard.attempts
        )
        destination = self.source.on_failure
        if not destination or not records:
            return
        if not destination.startswith("arn:aws:sqs:"):
            log.warning(
                "%s: on-failure destination %s is not an SQS queue; not supported locally", self.name, destination
            )
            return
        arrivals = [r["dynamodb"].get("ApproximateCreationDateTime") for r in records]
        body = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.source.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": shard.attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": _seq(records[0]),
                "endSequenceNumber": _seq(records[-1]),
                "approximateArrivalOfFirstRecord": _iso(arrivals[0]),
                "approximateArrivalOfLastRecord": _iso(arrivals[-1]),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }
        if self.hold is not None and self.stream_arn is not None:  # readable by the on-failure queue's consumer
            self.hold(self.stream_arn, self.name, _seq(records[0]))
        queue_url = self.sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[-1])["QueueUrl"]
        self.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))


def _iso(epoch: Any) -> str | None:
    if not isinstance(epoch, int | float):
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
