"""The local stack's Query (only the queried partition, no whole-table sort) answers exactly like moto's."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from local.moto_queries import STOCK
from local.moto_safety import serialize_dynamodb

KEYS = [("PK", "HASH"), ("SK", "RANGE")]
INDEX = {
    "IndexName": "GSI1",
    "KeySchema": [{"AttributeName": "G1PK", "KeyType": "HASH"}, {"AttributeName": "G1SK", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "ALL"},
}


@pytest.fixture
def ddb() -> Iterator[Any]:
    serialize_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="pairs",
            KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in KEYS],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "G1PK", "G1SK")],
            GlobalSecondaryIndexes=[INDEX],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="single",
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def fill(client: Any) -> None:
    rng = random.Random(7)
    for i in range(300):
        item = {"PK": {"S": f"p{rng.randrange(12)}"}, "SK": {"S": f"s{rng.randrange(1000):03}"}, "n": {"N": str(i)}}
        if rng.random() < 0.7:
            item |= {"G1PK": {"S": f"g{rng.randrange(4)}"}, "G1SK": {"S": f"t{rng.randrange(50):02}"}}
        client.put_item(TableName="pairs", Item=item)
        client.put_item(TableName="single", Item={"PK": {"S": f"k{i % 40}"}, "n": {"N": str(i)}})


QUERIES: list[dict[str, Any]] = [
    {"TableName": "pairs", "KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "p3"}}},
    {"TableName": "pairs", "KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "none"}}},
    {
        "TableName": "pairs",
        "KeyConditionExpression": "PK = :p AND begins_with(SK, :s)",
        "ExpressionAttributeValues": {":p": {"S": "p5"}, ":s": {"S": "s1"}},
        "ScanIndexForward": False,
        "Limit": 3,
    },
    {
        "TableName": "pairs",
        "KeyConditionExpression": "PK = :p",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {":p": {"S": "p1"}, ":n": {"N": "150"}},
        "Limit": 5,
    },
    {
        "TableName": "pairs",
        "IndexName": "GSI1",
        "KeyConditionExpression": "G1PK = :g",
        "ExpressionAttributeValues": {":g": {"S": "g2"}},
        "Limit": 7,
    },
    {
        "TableName": "pairs",
        "IndexName": "GSI1",
        "KeyConditionExpression": "G1PK = :g AND G1SK BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":g": {"S": "g0"}, ":a": {"S": "t10"}, ":b": {"S": "t30"}},
        "ScanIndexForward": False,
    },
    {"TableName": "single", "KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "k7"}}},
    {"TableName": "single", "KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "no"}}},
]


def every_page(client: Any) -> list[list[dict[str, Any]]]:
    """Each query's pages (following LastEvaluatedKey, at most 50 pages)."""
    answers = []
    for query in QUERIES:
        pages, start = [], None
        for _ in range(50):
            page = client.query(**query, **({"ExclusiveStartKey": start} if start else {}))
            pages.append({k: page.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        answers.append(pages)
    return answers


def test_every_query_answers_like_moto_s_own(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN tables with many partitions, a sparse index, and a hash-only table
    fill(ddb)
    # WHEN the same queries (conditions, filters, limits, pages, both directions, indexes) run patched and stock
    patched = every_page(ddb)
    monkeypatch.setattr(Table, "query", STOCK["query"])
    stock = every_page(ddb)
    # THEN every page is the same, and the queries did return items
    assert patched == stock
    assert sum(page["Count"] for pages in patched for page in pages) > 50
