"""Read back a range of the table's stream: what Lambda's on-failure record for a DynamoDB stream points at.

The record carries the shard and the first and last sequence numbers of the batch it gave up on, not the
records themselves; they stay readable in the stream for 24 hours.
"""

from __future__ import annotations

import os
from typing import Any

MAX_READS = 200  # GetRecords calls per range (a batch is at most 10,000 records; 1,000 per read)


class RangeLost(Exception):  # noqa: N818 - a condition the caller reports, named for what happened
    """The stream no longer holds the start of the range (trimmed after 24 hours)."""


class StreamReader:
    """GetShardIterator at the range's first sequence number, then GetRecords until past its last one."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS") or os.environ.get("AWS_ENDPOINT_URL")
            self._client = boto3.client("dynamodbstreams", endpoint_url=endpoint)
        return self._client

    def read(self, stream_arn: str, shard_id: str, first: str, last: str) -> list[dict[str, Any]]:
        """The stream records with sequence numbers in ``[first, last]``, in order; raises :class:`RangeLost`."""
        try:
            iterator = self.client.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=first
            )["ShardIterator"]
        except self.client.exceptions.TrimmedDataAccessException as exc:
            raise RangeLost(f"{shard_id} from {first} was trimmed") from exc
        out: list[dict[str, Any]] = []
        for _ in range(MAX_READS):
            page = self.client.get_records(ShardIterator=iterator, Limit=1000)
            records = page.get("Records", [])
            if not out and records and int(_seq(records[0])) > int(first):
                raise RangeLost(f"{shard_id} starts after {first}: the range was trimmed")
            out.extend(r for r in records if int(_seq(r)) <= int(last))
            iterator = page.get("NextShardIterator")
            if (records and int(_seq(records[-1])) >= int(last)) or not iterator:
                return out
        if not out:  # an empty page may happen on AWS; only pages that never reach the range mean it is gone
            raise RangeLost(f"{shard_id} from {first}: nothing left to read")
        return out


def _seq(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])
