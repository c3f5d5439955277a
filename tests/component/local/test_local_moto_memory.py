"""The local stack's lighter moto: compact stream records and shared attribute names read back exactly as written."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamRecord

from local.moto_items import interned
from local.moto_safety import serialize_dynamodb
from local.moto_streams import CompactRecord

ITEM: dict[str, Any] = {
    "PK": {"S": "COMPANY#c1"},
    "SK": {"S": "DELIVERY#e1"},
    "status": {"S": "delivered"},
    "attempts": {"N": "3"},
    "blob": {"B": b"\x00\xffraw"},
    "_envelope": {
        "M": {
            "id": {"S": "e1"},
            "data": {"M": {"email": {"S": "a@b.example"}, "tags": {"L": [{"S": "x"}, {"N": "1.50"}]}}},
            "signature": {"B": b"\x01\x02"},
            "flags": {"SS": ["b", "a"]},
            "none": {"NULL": True},
            "ok": {"BOOL": False},
        }
    },
}


def on_the_wire(value: Any) -> Any:
    """``value`` as moto receives it: binaries base64-encoded."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: on_the_wire(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [on_the_wire(inner) for inner in value]
    return value


@pytest.fixture
def ddb() -> Iterator[Any]:
    serialize_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="streamed",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def read_stream(client: Any) -> list[dict[str, Any]]:
    arn = client.describe_table(TableName="streamed")["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return list(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def stored(key: str) -> Item:
    table = dynamodb_backends["123456789012"]["us-east-1"].tables["streamed"]
    item = table.get_item(DynamoType({"S": "COMPANY#c1"}), DynamoType({"S": key}))
    assert item is not None
    return item


def test_a_compact_record_reads_back_equal_to_moto_s_own_record_datetime_and_bytes_included() -> None:
    # GIVEN moto's own stream record of an item with binary values at the top and nested in a map
    class Table:
        hash_key_attr, range_key_attr = "PK", "SK"

    item = Item(DynamoType(ITEM["PK"]), DynamoType(ITEM["SK"]), on_the_wire(ITEM))
    record = StreamRecord(Table, "NEW_AND_OLD_IMAGES", "MODIFY", item, item, 7)  # type: ignore[arg-type]
    # WHEN it is kept compact
    compact = CompactRecord(record.to_json())
    # THEN it reads back equal, the creation time still a datetime and nested binaries still bytes
    assert compact.to_json() == record.to_json()
    assert isinstance(compact.to_json()["dynamodb"]["ApproximateCreationDateTime"], datetime)
    assert compact.to_json()["dynamodb"]["NewImage"]["_envelope"]["M"]["signature"] == {"B": b"\x01\x02"}
    assert len(compact.data) < 2_000


def test_the_shard_keeps_compact_records_and_a_reader_gets_every_image_as_written(ddb: Any) -> None:
    # GIVEN an insert, an update and a delete on a table with a NEW_AND_OLD_IMAGES stream
    before = datetime.now(UTC).timestamp()
    ddb.put_item(TableName="streamed", Item=ITEM)
    ddb.update_item(
        TableName="streamed",
        Key={"PK": ITEM["PK"], "SK": ITEM["SK"]},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "failed"}},
    )
    ddb.delete_item(TableName="streamed", Key={"PK": ITEM["PK"], "SK": ITEM["SK"]})
    # WHEN the shard is inspected and read through DynamoDB Streams
    shard = dynamodb_backends["123456789012"]["us-east-1"].tables["streamed"].stream_shard
    records = read_stream(ddb)
    # THEN moto holds compact records only, and the reader sees the three changes with their images and times
    assert shard is not None and all(isinstance(r, CompactRecord) for r in shard.items)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    first = int(records[0]["dynamodb"]["SequenceNumber"])
    assert [int(r["dynamodb"]["SequenceNumber"]) for r in records] == [first, first + 1, first + 2]
    assert records[0]["dynamodb"]["NewImage"]["_envelope"] == ITEM["_envelope"]
    assert records[0]["dynamodb"]["NewImage"]["blob"] == {"B": b"\x00\xffraw"}
    assert records[1]["dynamodb"]["OldImage"]["status"] == {"S": "delivered"}
    assert records[1]["dynamodb"]["NewImage"]["status"] == {"S": "failed"}
    assert records[2]["dynamodb"]["OldImage"]["status"] == {"S": "failed"} and "NewImage" not in records[2]["dynamodb"]
    assert all(r["dynamodb"]["ApproximateCreationDateTime"].timestamp() >= before - 1 for r in records)


def test_items_share_one_copy_of_each_attribute_name_at_any_depth(ddb: Any) -> None:
    # GIVEN two items with the same attribute names (new strings in each request)
    ddb.put_item(TableName="streamed", Item=ITEM)
    ddb.put_item(TableName="streamed", Item=ITEM | {"SK": {"S": "DELIVERY#e2"}})
    # WHEN moto has stored them
    first, second = stored("DELIVERY#e1"), stored("DELIVERY#e2")
    # THEN their names are one object each, top-level and inside nested maps
    names = {id(name) for name in first.attrs}
    assert all(id(name) in names for name in second.attrs)
    nested_first = first.attrs["_envelope"].value["data"].value
    nested_second = second.attrs["_envelope"].value["data"].value
    assert [id(k) for k in nested_first] == [id(k) for k in nested_second]


def test_an_item_with_interned_names_reads_back_exactly_as_written(ddb: Any) -> None:
    # GIVEN an item with every attribute type, nested maps and lists
    ddb.put_item(TableName="streamed", Item=ITEM)
    # WHEN it is read back
    got = ddb.get_item(TableName="streamed", Key={"PK": ITEM["PK"], "SK": ITEM["SK"]}, ConsistentRead=True)["Item"]
    # THEN every value is what was written
    assert got == ITEM


def test_interned_changes_names_not_values() -> None:
    # GIVEN DynamoDB JSON whose values look like names
    value = {"M": {"status": {"S": "status"}, "list": {"L": [{"M": {"k": {"N": "1"}}}]}}}
    # WHEN its names are interned
    result = interned(value)
    # THEN it is equal, and only the keys are the interned objects
    assert result == value
    assert next(iter(result["M"])) is next(iter(interned({"status": 1})))
