"""``DynamoTable.apply``: one Put, Update or Delete is sent as its plain conditional request (half the write capacity
of a one-item transaction), failing with the same ``TransactionConflict`` a transaction would; several operations
(or a lone condition check) are still one transaction."""

from __future__ import annotations

from typing import Any

import pytest

from knowrithm_core.container import Services
from knowrithm_core.store.table import TransactionConflict
from tests.stack import dynamodb_calls


def test_a_single_update_is_one_update_item(services: Services) -> None:
    # GIVEN an item
    table = services.table
    table.put({"PK": "P#1", "SK": "A", "n": 1})
    # WHEN one conditional update is applied
    with dynamodb_calls(services) as calls:
        table.apply([table.update_op("P#1", "A", "SET n = :two", values={":two": 2, ":one": 1}, condition="n = :one")])
    # THEN it was a plain UpdateItem, and it was written
    assert calls == ["UpdateItem"]
    assert table.get("P#1", "A") == {"PK": "P#1", "SK": "A", "n": 2}


def test_a_single_put_and_delete_are_put_item_and_delete_item(services: Services) -> None:
    table = services.table
    with dynamodb_calls(services) as calls:
        table.apply([table.put_op({"PK": "P#1", "SK": "A", "n": 1}, condition="attribute_not_exists(PK)")])
        assert table.get("P#1", "A") == {"PK": "P#1", "SK": "A", "n": 1}
        table.apply([table.delete_op("P#1", "A", condition="attribute_exists(PK)")])
    assert calls == ["PutItem", "GetItem", "DeleteItem"]
    assert table.get("P#1", "A") is None


@pytest.mark.parametrize("kind", ["update", "put", "delete"])
def test_a_single_operation_whose_condition_fails_raises_what_a_transaction_would(
    services: Services, kind: str
) -> None:
    # GIVEN an item, and one operation whose condition does not hold
    table = services.table
    table.put({"PK": "P#1", "SK": "A", "n": 1})
    op = {
        "update": table.update_op("P#1", "A", "SET n = :two", values={":two": 2, ":zero": 0}, condition="n = :zero"),
        "put": table.put_op({"PK": "P#1", "SK": "A", "n": 3}, condition="attribute_not_exists(PK)"),
        "delete": table.delete_op("P#1", "A", condition="attribute_not_exists(n)"),
    }[kind]
    # WHEN it is applied, and the same operation is sent as a transaction
    with dynamodb_calls(services) as calls, pytest.raises(TransactionConflict) as plain:
        table.apply([op])
    with pytest.raises(TransactionConflict) as transacted:
        table.transact([op])
    # THEN one plain request failed with the transaction's reason code, and nothing was written
    assert calls == [{"update": "UpdateItem", "put": "PutItem", "delete": "DeleteItem"}[kind]]
    assert plain.value.reasons == transacted.value.reasons == ["ConditionalCheckFailed"]
    assert table.get("P#1", "A") == {"PK": "P#1", "SK": "A", "n": 1}


def test_a_single_update_meeting_a_concurrent_transaction_raises_a_transaction_conflict(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN DynamoDB refusing the UpdateItem because another transaction is changing the item
    table = services.table
    client = table.client

    def busy(**_: Any) -> Any:
        error = {"Error": {"Code": "TransactionConflictException", "Message": "busy"}}
        raise client.exceptions.TransactionConflictException(error, "UpdateItem")

    monkeypatch.setattr(client, "update_item", busy)
    # WHEN one update is applied
    with pytest.raises(TransactionConflict) as caught:
        table.apply([table.update_op("P#1", "A", "SET n = :one", values={":one": 1})])
    # THEN it is the reason a transaction cancelled by the same conflict would give
    assert caught.value.reasons == ["TransactionConflict"]


def test_several_operations_or_a_lone_condition_check_are_still_one_transaction(services: Services) -> None:
    # GIVEN an item
    table = services.table
    table.put({"PK": "P#1", "SK": "A", "n": 1})
    both = [
        table.update_op("P#1", "A", "SET n = :two", values={":two": 2}),
        table.put_op({"PK": "P#1", "SK": "B", "n": 1}, condition="attribute_not_exists(PK)"),
    ]
    with dynamodb_calls(services) as calls:
        # WHEN two operations are applied, then the same two again (the second now fails its condition)
        table.apply(both)
        with pytest.raises(TransactionConflict) as caught:
            table.apply(both)
        # AND a lone condition check (no plain request does just that)
        table.apply([table.check_op("P#1", "A", "n = :two", values={":two": 2})])
    # THEN each was one TransactWriteItems, all or nothing, with one reason code per operation
    assert calls == ["TransactWriteItems"] * 3
    assert caught.value.reasons == ["None", "ConditionalCheckFailed"]
    assert table.get("P#1", "A") == {"PK": "P#1", "SK": "A", "n": 2}
