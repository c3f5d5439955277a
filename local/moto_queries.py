"""moto's ``Query`` without sorting the whole table first.

moto 5's ``Table.query`` starts from ``Table.all_items()``, which sorts every item of the table, then keeps
the queried partition (or, on an index, the items with the index's key) and sorts those again. With 5,000
items a query costs about 0.2 s, whatever it returns. Here, for the duration of one query (under
:mod:`local.moto_safety`'s lock), ``all_items`` of that table is the base table's partition alone, or, on an
index, the items whose index hash key matches, unsorted: moto's own filtering, sorting, paging and projection
then run as before, and the result is the same (the final sort covers every key attribute). An index query
still compares every item's hash key once (about 1 ms per 5,000 items), where DynamoDB reads the index.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table

INDEX_NAME_POSITION = 6  # Table.query(hash_key, range_comparison, range_objs, limit, start, forward, projection, index)
STOCK: dict[str, Callable[..., Any]] = {}


def candidates(
    table: Table, hash_key: DynamoType | None, index_name: str | None, conditions: list[tuple[str, DynamoType]]
) -> list[Item]:
    """The items moto's query needs to look at, in any order: the partition, or the index's key matches."""
    if index_name is None and hash_key is not None:
        found: Any = table.items.get(hash_key)
        if found is None:
            return []
        return list(found.values()) if table.range_key_attr else [found]
    if table.range_key_attr:
        every = [item for partition in table.items.values() for item in partition.values()]
    else:
        every = list(table.items.values())
    return [item for item in every if all(_equal(item.attrs.get(name), value) for name, value in conditions)]


def _equal(found: DynamoType | None, wanted: DynamoType) -> bool:
    return found is not None and found.type == wanted.type and found.value == wanted.value


def _fast(query: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(query)
    def call(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
        index_name = args[INDEX_NAME_POSITION] if len(args) > INDEX_NAME_POSITION else kwargs.get("index_name")
        items = candidates(self, hash_key, index_name, list(kwargs.get("hash_key_conditions") or []))
        self.all_items = lambda: items  # type: ignore[method-assign]  # this table, this query only
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    return call


def install() -> None:
    """Patch moto's public ``Table`` class (moto offers no hook for its query). Idempotent."""
    from moto.dynamodb.models.table import Table

    if "query" not in STOCK:
        STOCK["query"] = Table.query
        Table.query = _fast(Table.query)  # type: ignore[method-assign]
