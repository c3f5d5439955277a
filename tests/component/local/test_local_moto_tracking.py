"""moto's model registry holds objects weakly: what DynamoDB and SQS no longer use is freed, the rest still listed."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.sqs.models import Message

from local.moto_safety import serialize_dynamodb
from local.moto_tracking import LiveInstances, registry


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    serialize_dynamodb()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="leads",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        yield ddb, boto3.client("sqs", region_name="us-east-1")


def alive(kind: type) -> list[Any]:
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is kind]


def stored_items() -> list[Item]:
    return list(dynamodb_backends["123456789012"]["us-east-1"].tables["leads"].all_items())


def test_copies_moto_makes_per_request_are_freed_and_stored_items_stay_listed(aws: tuple[Any, Any]) -> None:
    ddb, _ = aws
    # GIVEN 40 items written, each read back by a query of the whole partition, updated and written in a
    # transaction with a counter (every one of these makes deep copies of items)
    for i in range(40):
        key = {"PK": {"S": "COMPANY#c"}, "SK": {"S": f"LEAD#{i:02}"}}
        ddb.put_item(TableName="leads", Item=key | {"n": {"N": "0"}})
        ddb.query(TableName="leads", KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": key["PK"]})
        ddb.update_item(
            TableName="leads", Key=key, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}}
        )
        counter = {"PK": {"S": "COMPANY#c"}, "SK": {"S": "TOTAL"}}
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "leads", "Item": key | {"SK": {"S": f"MAIL#{i:02}"}}}},
                {
                    "Update": {
                        "TableName": "leads",
                        "Key": counter,
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    # WHEN the garbage is collected
    stored = stored_items()
    # THEN the only items alive are the 81 stored ones (moto alone kept ~1,000 copies), and moto's registry
    # lists exactly those
    assert len(stored) == 81
    assert {id(o) for o in alive(Item)} == {id(o) for o in stored}
    assert isinstance(Item.instances_tracked, LiveInstances)  # type: ignore[attr-defined]
    assert {id(o) for o in Item.instances_tracked} == {id(o) for o in stored}  # type: ignore[attr-defined]
    assert len(Item.instances_tracked) == 81  # type: ignore[attr-defined]
    # AND the data is intact
    got = ddb.get_item(TableName="leads", Key={"PK": {"S": "COMPANY#c"}, "SK": {"S": "TOTAL"}})["Item"]
    assert got["n"] == {"N": "40"}


def test_deleted_queue_messages_are_freed(aws: tuple[Any, Any]) -> None:
    _, sqs = aws
    # GIVEN 30 messages sent, received and deleted, and 5 left in the queue
    url = sqs.create_queue(QueueName="deliveries")["QueueUrl"]
    for i in range(30):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"kept{i}")
    # WHEN the garbage is collected
    # THEN only the 5 queued messages are alive, and they still arrive
    assert len(alive(Message)) == 5
    bodies = {m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]}
    assert bodies == {f"kept{i}" for i in range(5)}


def test_a_reset_registry_is_replaced_again_and_unweakrefable_objects_are_kept() -> None:
    # GIVEN moto's reset putting a plain list back on a model class
    serialize_dynamodb()
    Item.instances_tracked = []  # type: ignore[attr-defined]
    # WHEN the next item is built
    item = Item(DynamoType({"S": "k"}), None, {"a": {"S": "v"}})
    # THEN the registry is weak again and lists it
    assert isinstance(Item.instances_tracked, LiveInstances)  # type: ignore[attr-defined]
    assert any(o is item for o in Item.instances_tracked)  # type: ignore[attr-defined]
    # AND an object that refuses weak references is held, like moto does
    holder = registry(type("Slotted", (), {}))
    value = 12345678901234567890
    holder.append(value)
    assert list(holder) == [value] and len(holder) == 1 and holder
