"""The local stack's TransactWriteItems (a per-item rollback snapshot) behaves like moto's whole-table copy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from local.moto_safety import locked, serialize_dynamodb
from local.moto_transactions import STOCK

TABLE = "items"
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


@pytest.fixture
def ddb() -> Iterator[Any]:
    serialize_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification=STREAM,
        )
        yield client


def key(pk: str, sk: str = "a") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def put(pk: str, sk: str = "a", **extra: str) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {**key(pk, sk), **{k: {"S": v} for k, v in extra.items()}}}}


def seed(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={**key("a"), "n": {"N": "1"}})
    client.put_item(TableName=TABLE, Item={**key("b"), "n": {"N": "2"}})
    client.put_item(TableName=TABLE, Item={**key("k"), "n": {"N": "3"}})


def everything(client: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.scan(TableName=TABLE)["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def stream(client: Any) -> list[dict[str, Any]]:
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return records


def cancelled(client: Any, items: list[dict[str, Any]]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        client.transact_write_items(TransactItems=items)
    return caught.value


MIXED = [
    {
        "Update": {
            "TableName": TABLE,
            "Key": key("a"),
            "UpdateExpression": "SET n = n + :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    },
    {"Delete": {"TableName": TABLE, "Key": key("b")}},
    put("c", "new-bucket", note="new"),
]
FAILING_CHECK = {
    "ConditionCheck": {
        "TableName": TABLE,
        "Key": key("k"),
        "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
}


def test_a_transaction_that_succeeds_writes_every_item_and_its_stream_records(ddb: Any) -> None:
    # GIVEN three items
    seed(ddb)
    before = len(stream(ddb))
    # WHEN one transaction updates one, deletes another and puts a new one
    ddb.transact_write_items(TransactItems=MIXED)
    # THEN all three writes happened, each with its stream record
    assert [(i["pk"]["S"], i.get("n", {}).get("N")) for i in everything(ddb)] == [("a", "2"), ("c", None), ("k", "3")]
    assert [r["eventName"] for r in stream(ddb)[before:]] == ["MODIFY", "REMOVE", "INSERT"]


def test_a_cancelled_transaction_leaves_every_item_and_the_stream_as_before(ddb: Any) -> None:
    # GIVEN three items and their stream records
    seed(ddb)
    items, records = everything(ddb), stream(ddb)
    # WHEN a transaction writes three items, then fails a condition check on a fourth item
    error = cancelled(ddb, [*MIXED, FAILING_CHECK])
    # THEN it is cancelled with one reason per item, in order, the failed one with the item's old image
    assert error.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = error.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert reasons[3]["Item"]["n"] == {"N": "3"}
    # AND the table and its stream are exactly as they were
    assert everything(ddb) == items
    assert stream(ddb) == records


def test_the_check_of_a_duplicate_item_rolls_back_too(ddb: Any) -> None:
    # GIVEN three items
    seed(ddb)
    items, records = everything(ddb), stream(ddb)
    # WHEN a transaction writes an item twice
    error = cancelled(ddb, [put("a", note="x"), put("z"), put("a", note="y")])
    # THEN it is a validation error and nothing was written
    assert error.response["Error"]["Code"] == "ValidationException"
    assert "multiple operations on one item" in error.response["Error"]["Message"]
    assert (everything(ddb), stream(ddb)) == (items, records)


def run_scenarios(client: Any) -> list[Any]:
    """Outcomes of transactions covering every path: success, cancel, validation errors, a missing table."""
    seed(client)
    outcomes: list[Any] = []
    scenarios = [
        MIXED,
        [put("d"), FAILING_CHECK],
        [put("e"), put("e")],
        [put(f"f{i}") for i in range(101)],
        [put("g"), {"Put": {"TableName": "missing", "Item": key("g")}}],
        [{"Put": {"TableName": TABLE, "Item": key("h"), "ConditionExpression": "attribute_exists(pk)"}}],
        [put("i"), put("j", "b", note="ok")],
    ]
    for items in scenarios:
        try:
            client.transact_write_items(TransactItems=items)
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append((exc.response["Error"], exc.response.get("CancellationReasons")))
        outcomes.append(everything(client))
    return outcomes


def test_it_answers_like_moto_s_own_transaction_in_every_case(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the same transactions run by the patched backend and (on a fresh table) by moto's own method
    patched = run_scenarios(ddb)
    ddb.delete_table(TableName=TABLE)
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", locked(STOCK["transact_write_items"]))
    # WHEN moto's method runs them
    stock = run_scenarios(ddb)
    # THEN every answer (codes, messages, reasons) and every table state after it are the same
    assert patched == stock


def test_a_rollback_never_loses_a_write_another_thread_made(ddb: Any) -> None:
    # GIVEN a thread writing 150 items of its own
    written: list[str] = []

    def writer() -> None:
        client = boto3.client("dynamodb", region_name="us-east-1")
        for i in range(150):
            client.put_item(TableName=TABLE, Item=key(f"other-{i:03}"))
            written.append(f"other-{i:03}")

    seed(ddb)
    thread = threading.Thread(target=writer)
    thread.start()
    # WHEN 30 transactions are cancelled meanwhile
    for i in range(30):
        cancelled(ddb, [put(f"mine-{i}"), FAILING_CHECK])
    thread.join(timeout=60)
    # THEN every write of the other thread is there, and none of the cancelled ones
    assert not thread.is_alive()
    keys = [i["pk"]["S"] for i in everything(ddb)]
    assert keys == ["a", "b", "k", *written]
