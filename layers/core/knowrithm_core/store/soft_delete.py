"""Soft delete of child items (a conversation's messages, a document's chunks), shared by their services.

A deleted item keeps its data, gets ``deleted_at`` and joins a sparse index of deleted items (GSI3 under
``deleted_index``); ``_cascade`` records whether its parent's deletion took it, so restoring the parent
brings back exactly those and leaves the ones deleted on their own. Idempotent: already-flagged items are
skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from knowrithm_core.ids import iso
from knowrithm_core.store.table import DynamoTable

TRANSACTION_LIMIT = 100


def flag_op(
    table: DynamoTable, item: dict[str, Any], deleted_at: str | None, *, deleted_index: str, cascade: bool
) -> dict[str, Any]:
    """A transaction operation soft-deleting ``item`` at ``deleted_at`` (or restoring it when None)."""
    if deleted_at:
        return table.update_op(
            item["PK"],
            item["SK"],
            "SET deleted_at = :d, is_active = :f, updated_at = :d, GSI3PK = :g, GSI3SK = :id, #c = :c",
            names={"#c": "_cascade"},
            values={":d": deleted_at, ":f": False, ":g": deleted_index, ":id": item["id"], ":c": cascade},
        )
    return table.update_op(
        item["PK"],
        item["SK"],
        "SET is_active = :t, updated_at = :now REMOVE deleted_at, GSI3PK, GSI3SK, #c",
        names={"#c": "_cascade"},
        values={":t": True, ":now": iso()},
    )


def set_deleted(
    table: DynamoTable,
    items: Iterable[dict[str, Any]],
    deleted_at: str | None,
    *,
    deleted_index: str,
    only_cascade: bool,
) -> int:
    """Flag the live ``items`` deleted (or restore the deleted ones: with ``only_cascade`` just those a parent's
    deletion took), 100 per transaction; returns how many changed."""
    if deleted_at:
        targets = [i for i in items if not i.get("deleted_at")]
    else:
        targets = [i for i in items if i.get("deleted_at") and (not only_cascade or i.get("_cascade"))]
    ops = [flag_op(table, i, deleted_at, deleted_index=deleted_index, cascade=only_cascade) for i in targets]
    for start in range(0, len(ops), TRANSACTION_LIMIT):
        table.transact(ops[start : start + TRANSACTION_LIMIT])
    return len(targets)
