"""``TransactWriteItems`` for moto with a rollback snapshot of only the items a transaction touches.

moto 5's ``DynamoDBBackend.transact_write_items`` deep-copies each table a transaction names, once per
transact item, to roll back by swapping the whole table (its stream shard and every stream record
included) back in. A write then costs O(table), and under load the copies swell the process by
gigabytes. This version keeps moto's semantics (all or nothing; one ``CancellationReasons`` entry per
item, in order; ``ConditionalCheckFailed`` with ``ReturnValuesOnConditionCheckFailure``; duplicate-item
and more-than-100-item validation errors) but snapshots only each touched item before writing it, and on
cancel puts those items back and removes the stream records the transaction appended. It relies on
:mod:`local.moto_safety`'s lock: no other write runs between the snapshot and the restore.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import StreamShard, Table

MAX_ITEMS = 100
OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
Reason = tuple[str, str, dict[str, Any]] | tuple[None, None, None]


class Undo:
    """What a transaction changed: each touched item as it was, and each stream's length before it."""

    def __init__(self, backend: DynamoDBBackend) -> None:
        self.backend = backend
        self.items: list[tuple[Table, DynamoType, DynamoType | None, Item | None, bool]] = []
        self.streams: dict[int, tuple[StreamShard, int]] = {}

    def remember(self, table_name: str, key: dict[str, Any]) -> None:
        """Snapshot one item (a deep copy: an update changes the stored item in place) before it is written."""
        table = self.backend.get_table(table_name)
        hash_key, range_key = self.backend.get_keys_value(table, key)
        shard = table.stream_shard
        if shard is not None and id(shard) not in self.streams:
            self.streams[id(shard)] = (shard, len(shard.items))
        bucket_existed = range_key is not None and hash_key in table.items
        before = copy.deepcopy(table.get_item(hash_key, range_key))
        self.items.append((table, hash_key, range_key, before, bucket_existed))

    def restore(self) -> None:
        """Put every touched item back exactly as it was and drop the stream records written since."""
        for table, hash_key, range_key, before, bucket_existed in reversed(self.items):
            if range_key is None:
                if before is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = before  # type: ignore[assignment]
                continue
            bucket: dict[DynamoType, Item] = table.items.get(hash_key, {})
            if before is None:
                bucket.pop(range_key, None)
                if not bucket and not bucket_existed:
                    table.items.pop(hash_key, None)
            else:
                table.items[hash_key][range_key] = before
        for shard, length in self.streams.values():
            del shard.items[length:]


def _key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    attrs, table = op["Item"], backend.get_table(op["TableName"])
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _write(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    expression: dict[str, Any] = {
        "condition_expression": op.get("ConditionExpression"),
        "expression_attribute_names": op.get("ExpressionAttributeNames"),
        "expression_attribute_values": op.get("ExpressionAttributeValues"),
    }
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"], **expression)
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key, **expression)
    elif op_type == "Update":
        backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"], **expression)


def _apply(backend: DynamoDBBackend, item: dict[str, Any], undo: Undo, seen: set[tuple[str, str]]) -> Reason:
    """Run one transact item; its cancellation reason, or ``(None, None, None)``. Validation errors propagate."""
    old_image: dict[str, Any] | None = None
    try:
        op_type, op = next(iter(item.items()))
        if op_type not in OPERATIONS:
            raise ValueError("Unsupported transaction operation")
        key = _key(backend, op_type, op)
        target = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if target in seen:
            raise MultipleTransactionsException()
        seen.add(target)
        undo.remember(op["TableName"], key)
        current = backend.get_item(op["TableName"], key)
        condition = op.get("ConditionExpression")
        if condition is not None:
            check = get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(current):
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old_image = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=old_image)
        _write(backend, op_type, op, key)
    except MockValidationException:
        raise
    except ConditionalCheckFailed as exc:
        return ("ConditionalCheckFailed", str(exc.message), old_image)  # type: ignore[return-value]
    except Exception as exc:  # noqa: BLE001 - like moto: any other failure cancels with its type as the code
        return (type(exc).__name__, str(exc), old_image)  # type: ignore[return-value]
    return (None, None, None)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's ``DynamoDBBackend.transact_write_items`` with a per-item rollback snapshot (see the module)."""
    if len(transact_items) > MAX_ITEMS:
        raise TooManyTransactionsException()
    undo, seen = Undo(self), set[tuple[str, str]]()
    reasons: list[Reason] = []
    try:
        for item in transact_items:
            if len(item) > 1:
                raise TransactWriteSingleOpException
            reasons.append(_apply(self, item, undo, seen))
    except MockValidationException:
        undo.restore()
        raise
    if any(code is not None for code, _, _ in reasons):
        undo.restore()
        raise TransactionCanceledException(reasons)


STOCK: dict[str, Callable[..., None]] = {}  # moto's own method, kept for comparison tests


def install() -> None:
    """Patch moto's public ``DynamoDBBackend`` class: moto offers no hook for its rollback. Idempotent."""
    from moto.dynamodb.models import DynamoDBBackend

    if "transact_write_items" not in STOCK:
        STOCK["transact_write_items"] = DynamoDBBackend.transact_write_items
        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
