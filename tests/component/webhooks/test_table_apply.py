"""``DynamoTable.write``: one Put, Update or Delete is sent as its plain conditional request (half the write
capacity of a one-item transaction), failing with the same ``TransactionConflict`` a transaction would; several
writes (or a lone condition check) are still one transaction."""

from __future__ import annotations

from typing import Any

import pytest

from knowrithm_core.container import Services
from knowrithm_core.store.expressions import Check, Delete, Put, Update, WriteOp, eq, exists, missing
from knowrithm_core.store.table import TransactionConflict
from tests.stack import dynamodb_calls

ITEM = {"PK": "P#1", "SK": "A", "n": 1}


def test_a_single_update_is_one_update_item(services: Services) -> None:
    # GIVEN an item
    table = services.table
    table.write([Put(ITEM)])
    # WHEN one conditional update is written
    with dynamodb_calls(services) as calls:
        table.write([Update(("P#1", "A"), set={"n": 2}, when=eq("n", 1))])
    # THEN it was a plain UpdateItem, and it was written
    assert calls == ["UpdateItem"]
    assert table.get("P#1", "A") == {"PK": "P#1", "SK": "A", "n": 2}


def test_a_single_put_and_delete_are_put_item_and_delete_item(services: Services) -> None:
    table = services.table
    with dynamodb_calls(services) as calls:
        table.write([Put(ITEM, when=missing())])
        assert table.get("P#1", "A") == ITEM
        table.write([Delete(("P#1", "A"), when=exists())])
    assert calls == ["PutItem", "GetItem", "DeleteItem"]
    assert table.get("P#1", "A") is None


@pytest.mark.parametrize("kind", ["update", "put", "delete"])
def test_a_single_write_whose_condition_fails_raises_what_a_transaction_would(services: Services, kind: str) -> None:
    # GIVEN an item, and one write whose condition does not hold
    table = services.table
    table.write([Put(ITEM)])
    op: WriteOp = {
        "update": Update(("P#1", "A"), set={"n": 2}, when=eq("n", 0)),
        "put": Put({"PK": "P#1", "SK": "A", "n": 3}, when=missing()),
        "delete": Delete(("P#1", "A"), when=missing("n")),
    }[kind]
    # WHEN it is written, and the same write is sent as a transaction
    with dynamodb_calls(services) as calls, pytest.raises(TransactionConflict) as plain:
        table.write([op])
    with pytest.raises(TransactionConflict) as transacted:
        table.transact([op])
    # THEN one plain request failed with the transaction's reason code, and nothing was written
    assert calls == [{"update": "UpdateItem", "put": "PutItem", "delete": "DeleteItem"}[kind]]
    assert plain.value.reasons == transacted.value.reasons == ["ConditionalCheckFailed"]
    assert table.get("P#1", "A") == ITEM


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
    # WHEN one update is written
    with pytest.raises(TransactionConflict) as caught:
        table.write([Update(("P#1", "A"), set={"n": 1})])
    # THEN it is the reason a transaction cancelled by the same conflict would give
    assert caught.value.reasons == ["TransactionConflict"]


def test_several_writes_or_a_lone_condition_check_are_still_one_transaction(services: Services) -> None:
    # GIVEN an item
    table = services.table
    table.write([Put(ITEM)])
    both: list[WriteOp] = [Update(("P#1", "A"), set={"n": 2}), Put({"PK": "P#1", "SK": "B", "n": 1}, when=missing())]
    with dynamodb_calls(services) as calls:
        # WHEN two writes are sent, then the same two again (the second now fails its condition)
        table.write(both)
        with pytest.raises(TransactionConflict) as caught:
            table.write(both)
        # AND a lone condition check (no plain request does just that)
        table.write([Check(("P#1", "A"), when=eq("n", 2))])
    # THEN each was one TransactWriteItems, all or nothing, with one reason code per write
    assert calls == ["TransactWriteItems"] * 3
    assert caught.value.reasons == ["None", "ConditionalCheckFailed"]
    assert table.get("P#1", "A") == {"PK": "P#1", "SK": "A", "n": 2}
