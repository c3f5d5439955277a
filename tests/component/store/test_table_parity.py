"""The in-memory table behaves as DynamoDB (moto) does for every typed write and read repositories use.

Each test runs twice: on the table the stack creates in moto, and on :class:`MemoryTable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from knowrithm_core.errors import PayloadTooComplex, PayloadTooLarge, ValidationFailed
from knowrithm_core.store.expressions import Check, Delete, Put, Update, eq, exists, lt, missing, ne
from knowrithm_core.store.memory import MemoryTable
from knowrithm_core.store.port import Table
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork


@pytest.fixture(params=["dynamodb", "memory"])
def table(request: pytest.FixtureRequest) -> Iterator[Table]:
    if request.param == "memory":
        yield MemoryTable()
        return
    services = request.getfixturevalue("services")  # the template's table, in moto
    yield services.table


def item(pk: str, sk: str, **fields: Any) -> dict[str, Any]:
    return {"PK": pk, "SK": sk, **fields}


def test_put_then_get_round_trips_values_as_dynamodb_does(table: Table) -> None:
    # GIVEN an item with nested values, a float, a tuple, a set and a None attribute
    table.write([Put(item("P", "A", n=1, f=0.5, t=(1, 2), s={"b", "a"}, gone=None, m={"x": [1, {"y": True}]}))])
    # WHEN it is read back
    found = table.get("P", "A")
    # THEN None is left out, tuples and sets come back as lists, numbers keep their type
    assert found == {"PK": "P", "SK": "A", "n": 1, "f": 0.5, "t": [1, 2], "s": ["a", "b"], "m": {"x": [1, {"y": True}]}}
    assert table.get("P", "missing") is None


def test_a_failed_condition_writes_nothing_and_reports_each_write(table: Table) -> None:
    # GIVEN an existing item
    table.write([Put(item("P", "A", v=1))])
    # WHEN a transaction's second write requires it not to exist
    with pytest.raises(TransactionConflict) as caught:
        UnitOfWork(table).add(Put(item("P", "B", v=1)), Put(item("P", "A", v=2), when=missing())).commit()
    # THEN nothing is written and the reasons are in order
    assert caught.value.reasons == ["None", "ConditionalCheckFailed"]
    assert table.get("P", "B") is None
    assert table.get("P", "A") == item("P", "A", v=1)


def test_a_lone_write_with_a_failed_condition_raises_the_same_conflict(table: Table) -> None:
    with pytest.raises(TransactionConflict) as caught:
        table.write([Update(("P", "A"), set={"v": 1}, when=exists())])
    assert caught.value.reasons == ["ConditionalCheckFailed"]
    assert table.get("P", "A") is None


def test_update_creates_sets_adds_appends_and_removes(table: Table) -> None:
    # GIVEN no item
    key = ("P", "U")
    # WHEN updates create it and change it
    table.write([Update(key, set={"name": "a", "status": "x"}, add={"hits": 2}, append={"log": [1]})])
    after = table.update_returning(
        Update(
            key,
            set_default={"name": "ignored", "first": "kept"},
            add={"hits": 3},
            append={"log": [2]},
            remove=("status",),
        )
    )
    # THEN each clause did what DynamoDB does
    assert after == {"PK": "P", "SK": "U", "name": "a", "first": "kept", "hits": 5, "log": [1, 2]}
    assert table.get(*key) == after


def test_conditions_compare_exist_and_combine(table: Table) -> None:
    table.write([Put(item("P", "C", version=3, status="live"))])
    key = ("P", "C")
    table.write([Update(key, set={"version": 4}, when=eq("version", 3) & missing("deleted_at"))])
    table.write([Update(key, add={"n": 1}, when=missing("n") | lt("n", 5))])
    with pytest.raises(TransactionConflict):
        table.write([Update(key, set={"version": 5}, when=eq("version", 3))])
    with pytest.raises(TransactionConflict):  # a missing attribute compares false
        table.write([Update(key, set={"x": 1}, when=eq("absent", 1))])
    table.write([Update(key, set={"y": 1}, when=ne("status", "gone"))])
    # a condition check guards the other writes of a transaction
    with pytest.raises(TransactionConflict) as caught:
        table.write([Check(key, when=eq("status", "dead")), Put(item("P", "D"))])
    assert caught.value.reasons == ["ConditionalCheckFailed", "None"]
    assert table.get(*key) == item("P", "C", version=4, status="live", n=1, y=1)
    assert table.get("P", "D") is None


def test_delete_with_condition(table: Table) -> None:
    table.write([Put(item("P", "D", v=1))])
    with pytest.raises(TransactionConflict):
        table.write([Delete(("P", "D"), when=eq("v", 2))])
    table.write([Delete(("P", "D"), when=eq("v", 1))])
    assert table.get("P", "D") is None


def test_queries_on_the_table_and_a_sparse_index(table: Table) -> None:
    # GIVEN items in one partition, some of them on GSI2
    writes = [
        Put(item("T", f"LEAD#{i:02d}", n=i, **({"GSI2PK": "LIST", "GSI2SK": f"{i:02d}"} if i % 2 else {})))
        for i in range(10)
    ]
    UnitOfWork(table).extend(writes).commit()
    table.write([Put(item("T", "OTHER#1"))])
    # WHEN queried
    everything = table.query("T", sk_prefix="LEAD#")
    backwards = table.query("T", sk_prefix="LEAD#", forward=False, limit=3)
    ranged = table.query("T", sk_between=("LEAD#02", "LEAD#04"))
    listed = table.query("LIST", index="GSI2")
    # THEN order, prefix, range, limit and the sparse index match DynamoDB
    assert [i["n"] for i in everything] == list(range(10))
    assert [i["n"] for i in backwards] == [9, 8, 7]
    assert [i["n"] for i in ranged] == [2, 3, 4]
    assert [i["n"] for i in listed] == [1, 3, 5, 7, 9]


def test_one_page_at_a_time_with_start_keys(table: Table) -> None:
    writes = [
        Put(item("T", f"I#{i:02d}", GSI2PK="L", GSI2SK=f"{i:02d}", **({"deleted_at": "x"} if i == 3 else {})))
        for i in range(7)
    ]
    UnitOfWork(table).extend(writes).commit()
    seen: list[str] = []
    start: dict[str, Any] | None = None
    pages = 0
    while True:
        items, start = table.query_once("L", limit=3, index="GSI2", forward=False, start_key=start, live_only=True)
        seen += [i["SK"] for i in items]
        pages += 1
        if start is None:
            break
        assert set(start) == {"PK", "SK", "GSI2PK", "GSI2SK"}
    assert seen == ["I#06", "I#05", "I#04", "I#02", "I#01", "I#00"]
    keys, _ = table.query_once("L", limit=2, index="GSI2", keys_only=True)
    assert keys == [
        {"PK": "T", "SK": "I#00", "GSI2PK": "L", "GSI2SK": "00"},
        {"PK": "T", "SK": "I#01", "GSI2PK": "L", "GSI2SK": "01"},
    ]
    assert pages == 3


def test_a_start_key_without_the_key_attributes_is_a_validation_error_on_the_memory_table() -> None:
    table = MemoryTable()
    table.write([Put(item("T", "A"))])
    with pytest.raises(ValidationFailed):
        table.query_once("L", limit=1, index="GSI2", start_key={"PK": "T", "SK": "A"})


def test_a_page_resumes_after_a_start_key_whose_item_is_gone(table: Table) -> None:
    # GIVEN a list, a page of it read, and the page's last item deleted before the next page is asked for
    UnitOfWork(table).extend(Put(item("T", f"I#{i}", GSI2PK="L", GSI2SK=f"{i}")) for i in range(5)).commit()
    first, start = table.query_once("L", limit=2, index="GSI2")
    assert start is not None
    table.write([Delete(("T", "I#1"))])
    # WHEN the next pages are read, forward and backward
    rest, _ = table.query_once("L", limit=10, index="GSI2", start_key=start)
    before, _ = table.query_once("L", limit=10, index="GSI2", start_key=start, forward=False)
    # THEN they continue just past the missing key, as DynamoDB does
    assert [i["SK"] for i in first] == ["I#0", "I#1"]
    assert [i["SK"] for i in rest] == ["I#2", "I#3", "I#4"]
    assert [i["SK"] for i in before] == ["I#0"]


def test_batch_get_and_batch_put(table: Table) -> None:
    table.batch_put([item("B", f"{i}", v=i) for i in range(30)])
    found = table.batch_get([("B", "3"), ("B", "3"), ("B", "29"), ("B", "none")])
    assert found == {("B", "3"): item("B", "3", v=3), ("B", "29"): item("B", "29", v=29)}


def test_scan_pages_through_every_item(table: Table) -> None:
    table.batch_put([item("S", f"{i:02d}") for i in range(5)])
    seen: list[str] = []
    start = None
    for _ in range(10):
        items, start = table.scan_once(limit=2, start_key=start)
        seen += [i["SK"] for i in items if i["PK"] == "S"]
        if start is None:
            break
    assert sorted(seen) == [f"{i:02d}" for i in range(5)]


def test_items_too_large_are_the_clients_4xx(table: Table) -> None:
    with pytest.raises(PayloadTooLarge):
        table.write([Put(item("X", "big", blob="x" * 420_000))])
    assert table.get("X", "big") is None


def test_items_nested_deeper_than_dynamodb_allows_are_the_clients_4xx() -> None:
    # moto does not enforce DynamoDB's 32 nesting levels (hostile tests cover the API's own limit), so memory only
    table = MemoryTable()
    deep: Any = "leaf"
    for _ in range(40):
        deep = {"d": deep}
    with pytest.raises(PayloadTooComplex):
        table.write([Put(item("X", "deep", nested=deep))])
    assert table.get("X", "deep") is None


def test_a_unit_of_work_is_spent_once_committed(table: Table) -> None:
    uow = UnitOfWork(table).add(Put(item("W", "1")), None)
    assert len(uow) == 1
    uow.commit()
    uow.commit()  # nothing left: no second write
    assert table.get("W", "1") == item("W", "1")
