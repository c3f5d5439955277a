"""Bounded moto streams: records every poller has read are trimmed; sequence numbers and iterators stay valid."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams.models import dynamodbstreams_backends

from local import moto_streams
from local.moto_safety import serialize_dynamodb
from local.template import Stack
from tests.component.local.conftest import Handlers
from tests.component.local.test_local_stream_poller import Deployed, notes, poller_of, put, run, stream_stack


@pytest.fixture(autouse=True)
def bounded_streams() -> Iterator[None]:
    serialize_dynamodb()
    moto_streams.forget_readers()
    yield
    moto_streams.forget_readers()


def shard_of(stack: Stack) -> StreamShard:
    shard = dynamodb_backends["123456789012"]["us-east-1"].tables[stack.physical_name("Items")].stream_shard
    assert shard is not None
    return shard


class Reader:
    """A plain DynamoDB Streams client on the table's only shard."""

    def __init__(self, stack: Stack) -> None:
        table = stack.physical_name("Items")
        self.arn = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName=table)["Table"][
            "LatestStreamArn"
        ]
        self.client = boto3.client("dynamodbstreams", region_name="us-east-1")
        self.shard = self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]

    def iterator(self, kind: str, sequence: str | None = None) -> str:
        extra = {"SequenceNumber": sequence} if sequence else {}
        out = self.client.get_shard_iterator(StreamArn=self.arn, ShardId=self.shard, ShardIteratorType=kind, **extra)
        return str(out["ShardIterator"])

    def read(self, iterator: str) -> tuple[list[dict[str, Any]], str]:
        out = self.client.get_records(ShardIterator=iterator)
        return out["Records"], out["NextShardIterator"]


def sequences(records: list[dict[str, Any]]) -> list[str]:
    return [r["dynamodb"]["SequenceNumber"] for r in records]


def test_records_go_once_every_registered_reader_acknowledged_them(deployed: Deployed) -> None:
    # GIVEN two registered readers of a stream with 6 records, and an iterator read up to the 4th
    stack = stream_stack(deployed)
    put(stack, *(f"n{i}" for i in range(6)))
    reader = Reader(stack)
    every, _ = reader.read(reader.iterator("TRIM_HORIZON"))
    moto_streams.register(reader.arn, "one")
    moto_streams.register(reader.arn, "two")
    after_fourth = reader.iterator("AFTER_SEQUENCE_NUMBER", sequences(every)[3])
    # WHEN one reader acknowledges the 5th record: nothing goes
    assert moto_streams.acknowledge(reader.arn, "one", sequences(every)[4]) == 0
    # AND the other the 2nd: the first two go
    assert moto_streams.acknowledge(reader.arn, "two", sequences(every)[1]) == 2
    # THEN TRIM_HORIZON starts at the 3rd record, with its sequence number unchanged
    kept, following = reader.read(reader.iterator("TRIM_HORIZON"))
    assert sequences(kept) == sequences(every)[2:]
    # AND the iterator handed out before the trim still reads from where it was, and new records follow
    assert sequences(reader.read(after_fourth)[0]) == sequences(every)[4:]
    put(stack, "late")
    (late,), _ = reader.read(following)
    assert int(late["dynamodb"]["SequenceNumber"]) == int(sequences(every)[-1]) + 1
    assert late["dynamodb"]["NewImage"]["note"] == {"S": "late"}


def test_a_stream_nobody_acknowledges_keeps_the_newest_records_only(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a cap of 5 records per shard
    monkeypatch.setattr(moto_streams, "MAX_RECORDS", 5)
    stack = stream_stack(deployed)
    reader = Reader(stack)
    stale = reader.iterator("TRIM_HORIZON")
    # WHEN 12 items are written
    put(stack, *(f"n{i:02}" for i in range(12)))
    # THEN the shard holds the newest 5, read from TRIM_HORIZON in order with consecutive sequence numbers
    assert len(shard_of(stack).items) == 5
    kept, _ = reader.read(reader.iterator("TRIM_HORIZON"))
    assert notes({"Records": kept}) == [f"n{i:02}" for i in range(7, 12)]
    assert [int(s) - int(sequences(kept)[0]) for s in sequences(kept)] == [0, 1, 2, 3, 4]
    # AND an iterator from before the trim reads from the oldest kept record (AWS: TrimmedDataAccessException)
    assert sequences(reader.read(stale)[0]) == sequences(kept)
    # AND each drop was logged
    drops = [r.getMessage() for r in caplog.records if r.name == "local.streams"]
    assert len(drops) == 7 and all("dropped the oldest 1" in message for message in drops)


def test_shard_iterators_are_bounded_and_the_newest_keep_working(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a bound of 10 iterators
    monkeypatch.setattr(moto_streams, "MAX_ITERATORS", 10)
    stack = stream_stack(deployed)
    reader = Reader(stack)
    # WHEN an idle reader polls 30 times (each read hands out a new iterator)
    iterator = reader.iterator("LATEST")
    for _ in range(30):
        _, iterator = reader.read(iterator)
    # THEN at most 10 are kept, and the current one still reads new records
    assert len(dynamodbstreams_backends["123456789012"]["us-east-1"].shard_iterators) <= 10
    put(stack, "new")
    assert notes({"Records": reader.read(iterator)[0]}) == ["new"]


def test_the_poller_delivers_every_event_while_the_stream_is_trimmed(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN a stream poller (batches of 25) and 120 items written in three waves while it runs
    stack = stream_stack(deployed, BatchSize=25)
    poller = poller_of(stack)
    written: list[str] = []
    for wave in range(3):
        batch = [f"w{wave}-{i:02}" for i in range(40)]
        put(stack, *batch)
        written += batch
        run(poller, 3)
    run(poller, 4)
    # THEN every item arrived exactly once, in order
    assert [note for event in handlers.events for note in notes(event)] == written
    # AND the shard kept nothing the poller had already handled
    assert shard_of(stack).items == []
