"""An in-memory table with the semantics the repositories rely on (for fast unit tests and benchmarks).

Same reads as :class:`~knowrithm_core.store.table.DynamoTable` (get, batch get, queries on the table and the
sparse GSIs, one-page queries with ``Limit`` and ``ExclusiveStartKey``, scans) and the same typed writes
(:mod:`.expressions`): conditions, all-or-nothing transactions with one cancellation reason per write, UpdateItem
that creates a missing item, the 400 KB item size and 32 nesting levels. Values round-trip as DynamoDB's would
(no ``None`` attributes, tuples and sets become lists). One lock makes every call atomic. A parity test runs the
same operations against moto and this table.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from knowrithm_core.errors import PayloadTooComplex, PayloadTooLarge, ValidationFailed
from knowrithm_core.store.expressions import (
    All,
    AnyOf,
    Check,
    Compare,
    Cond,
    Delete,
    Exists,
    Key,
    Missing,
    Put,
    Update,
    WriteOp,
)
from knowrithm_core.store.table import ITEM_REFUSALS, TransactionConflict, from_dynamo, to_dynamo

Item = dict[str, Any]
INDEXES = ("GSI1", "GSI2", "GSI3", "GSI4")
MAX_ITEM_BYTES = 400 * 1024
MAX_DEPTH = 32
MAX_TRANSACTION = 100
_COMPARE = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def plain(value: Any) -> Any:
    """A value as DynamoDB would give it back (and a private copy of it)."""
    return from_dynamo(to_dynamo(value))


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def refuse_oversize(item: Item) -> None:
    if depth(item) > MAX_DEPTH:
        raise PayloadTooComplex(ITEM_REFUSALS[1][2])
    if len(json.dumps(item, default=str)) > MAX_ITEM_BYTES:
        raise PayloadTooLarge(ITEM_REFUSALS[0][2])


def comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or type(a) is type(b)


def holds(cond: Cond | None, item: Item | None) -> bool:
    """Whether ``cond`` holds for ``item`` (None: the item does not exist)."""
    if cond is None:
        return True
    current = item or {}
    if isinstance(cond, Exists):
        return cond.name in current
    if isinstance(cond, Missing):
        return cond.name not in current
    if isinstance(cond, Compare):
        if cond.name not in current:
            return False
        left, right = current[cond.name], plain(cond.value)
        if not comparable(left, right):
            return cond.op == "<>"
        return bool(_COMPARE[cond.op](left, right))
    if isinstance(cond, All):
        return all(holds(part, item) for part in cond.parts)
    if isinstance(cond, AnyOf):
        return any(holds(part, item) for part in cond.parts)
    raise TypeError(f"not a condition: {cond!r}")


def updated(op: Update, item: Item | None) -> Item:
    """The item after ``op`` (a new one when missing)."""
    new: Item = dict(item) if item else {"PK": op.key[0], "SK": op.key[1]}
    for name in op.remove:
        new.pop(name, None)
    for name, value in op.set.items():
        new[name] = plain(value)
    for name, value in op.set_default.items():
        new.setdefault(name, plain(value))
    for name, values in op.append.items():
        new[name] = [*new.get(name, []), *plain(values)]
    for name, delta in op.add.items():
        new[name] = plain(new.get(name, 0) + delta)
    return {k: v for k, v in new.items() if v is not None}


class MemoryTable:
    """One table in memory: items by key, and each partition's sort keys (table and GSIs) kept sorted."""

    def __init__(self, table_name: str = "memory") -> None:
        self.table_name = table_name
        self._items: dict[Key, Item] = {}
        self._parts: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        self._lock = threading.RLock()

    # --- index upkeep -------------------------------------------------------------------------------------
    @staticmethod
    def _entries(item: Item) -> list[tuple[tuple[str, str], tuple[str, str, str]]]:
        pk, sk = str(item["PK"]), str(item["SK"])
        entries = [(("", pk), (sk, pk, sk))]
        for index in INDEXES:
            ipk, isk = item.get(f"{index}PK"), item.get(f"{index}SK")
            if isinstance(ipk, str) and isinstance(isk, str):
                entries.append(((index, ipk), (isk, pk, sk)))
        return entries

    def _store(self, key: Key, item: Item | None) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            for part, entry in self._entries(old):
                rows = self._parts[part]
                rows.pop(bisect.bisect_left(rows, entry))
                if not rows:
                    del self._parts[part]
        if item is not None:
            self._items[key] = item
            for part, entry in self._entries(item):
                bisect.insort(self._parts.setdefault(part, []), entry)

    # --- reads --------------------------------------------------------------------------------------------
    def get(self, pk: str, sk: str) -> Item | None:
        with self._lock:
            item = self._items.get((pk, sk))
            return plain(item) if item is not None else None

    def batch_get(self, item_keys: Sequence[Key], *, attempts: int = 8) -> dict[Key, Item]:
        with self._lock:
            return {key: plain(self._items[key]) for key in dict.fromkeys(item_keys) if key in self._items}

    def _bounds(
        self, pk: str, index: str | None, sk_prefix: str | None, sk_between: tuple[str, str] | None
    ) -> tuple[list[tuple[str, str, str]], int, int]:
        """The partition's sorted rows and the key range ``[low, high)``, by binary search."""
        rows = self._parts.get((index or "", pk), [])
        low, high = 0, len(rows)
        if sk_prefix is not None:
            low = bisect.bisect_left(rows, (sk_prefix,))
            high = bisect.bisect_left(rows, (sk_prefix + "\U0010ffff",))
        elif sk_between is not None:
            low = bisect.bisect_left(rows, (sk_between[0],))
            high = bisect.bisect_left(rows, (sk_between[1] + "\x00",))
        return rows, low, high

    def _rows(
        self, pk: str, index: str | None, sk_prefix: str | None, sk_between: tuple[str, str] | None, forward: bool
    ) -> list[tuple[str, str, str]]:
        rows, low, high = self._bounds(pk, index, sk_prefix, sk_between)
        window = rows[low:high]
        return window if forward else window[::-1]

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str | None = None,
        index: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        sk_between: tuple[str, str] | None = None,
    ) -> list[Item]:
        with self._lock:
            rows = self._rows(pk, index, sk_prefix, sk_between, forward)
            return [plain(self._items[(row[1], row[2])]) for row in rows[:limit]]

    def query_once(
        self,
        pk: str,
        *,
        limit: int,
        index: str | None = None,
        sk_prefix: str | None = None,
        forward: bool = True,
        start_key: Mapping[str, str] | None = None,
        keys_only: bool = False,
        live_only: bool = False,
    ) -> tuple[list[Item], Item | None]:
        """One page of at most ``limit`` items after ``start_key``, and the key to resume from (None at the end)."""
        with self._lock:
            rows, low, high = self._bounds(pk, index, sk_prefix, None)
            if start_key:  # resume just past it, present or not (a page costs what it holds: binary search, a slice)
                after, before = self._around(rows, start_key, index)
                low, high = (max(low, after), high) if forward else (low, min(high, before))
            if forward:
                page, more = rows[low : min(high, low + limit)], high - low > limit
            else:
                page, more = rows[max(low, high - limit) : high][::-1], high - low > limit
            items = [self._items[(row[1], row[2])] for row in page]
            last = self._key_of(items[-1], index) if more and items else None
            if live_only:
                items = [item for item in items if "deleted_at" not in item]
            if keys_only:
                items = [self._key_of(item, index) for item in items]
            return [plain(item) for item in items], last

    @staticmethod
    def _around(rows: list[tuple[str, str, str]], start_key: Mapping[str, str], index: str | None) -> tuple[int, int]:
        """Where rows after and before ``start_key`` begin; it need not exist any more (as in DynamoDB)."""
        sort_name = f"{index}SK" if index else "SK"
        try:
            wanted = (str(start_key[sort_name]), str(start_key["PK"]), str(start_key["SK"]))
        except KeyError as exc:
            raise ValidationFailed("The cursor does not belong to this list.") from exc
        return bisect.bisect_right(rows, wanted), bisect.bisect_left(rows, wanted)

    @staticmethod
    def _key_of(item: Item, index: str | None) -> Item:
        names = ["PK", "SK"] + ([f"{index}PK", f"{index}SK"] if index else [])
        return {name: item[name] for name in names if name in item}

    def scan_once(self, *, limit: int, start_key: Mapping[str, Any] | None = None) -> tuple[list[Item], Item | None]:
        with self._lock:
            ordered = sorted(self._items)
            if start_key:
                ordered = [key for key in ordered if key > (str(start_key["PK"]), str(start_key["SK"]))]
            page = ordered[:limit]
            last = {"PK": page[-1][0], "SK": page[-1][1]} if len(ordered) > limit else None
            return [plain(self._items[key]) for key in page], last

    # --- writes -------------------------------------------------------------------------------------------
    def write(self, ops: Sequence[WriteOp]) -> None:
        """Every write or none; a failed condition raises ``TransactionConflict`` with one reason per write."""
        if not ops:
            return
        if len(ops) > MAX_TRANSACTION or len({op.key for op in ops}) != len(ops):
            raise ValueError("a transaction holds at most 100 writes, each on a different item")
        with self._lock:
            reasons = ["None" if holds(op.when, self._items.get(op.key)) else "ConditionalCheckFailed" for op in ops]
            if any(reason != "None" for reason in reasons):
                raise TransactionConflict("The change conflicted with the current state; nothing was written.", reasons)
            results = [(op.key, self._result(op)) for op in ops if not isinstance(op, Check)]
            for key, item in results:
                self._store(key, item)

    def _result(self, op: WriteOp) -> Item | None:
        if isinstance(op, Put):
            item = {k: v for k, v in plain(dict(op.item)).items() if v is not None}
        elif isinstance(op, Update):
            item = updated(op, self._items.get(op.key))
        elif isinstance(op, Delete):
            return None
        else:  # pragma: no cover - Check is filtered out by the caller
            raise TypeError(f"not a write: {op!r}")
        refuse_oversize(item)
        return item

    def update_returning(self, op: Update) -> Item:
        with self._lock:
            self.write([op])
            return dict(plain(self._items[op.key]))

    def batch_put(self, items: Sequence[Mapping[str, Any]], *, attempts: int = 8) -> None:
        with self._lock:
            for raw in items:
                item = {k: v for k, v in plain(dict(raw)).items() if v is not None}
                refuse_oversize(item)
                self._store((str(item["PK"]), str(item["SK"])), item)

    def __len__(self) -> int:
        return len(self._items)
