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
from knowrithm_core.store.expressions import Update
from knowrithm_core.store.port import Table

TRANSACTION_LIMIT = 100


def flag_op(item: dict[str, Any], deleted_at: str | None, *, deleted_index: str, cascade: bool) -> Update:
    """A write soft-deleting ``item`` at ``deleted_at`` (or restoring it when None)."""
    key = (str(item["PK"]), str(item["SK"]))
    if deleted_at:
        fields = {"deleted_at": deleted_at, "is_active": False, "updated_at": deleted_at}
        index = {"GSI3PK": deleted_index, "GSI3SK": item["id"], "_cascade": cascade}
        return Update(key, set={**fields, **index})
    return Update(
        key, set={"is_active": True, "updated_at": iso()}, remove=("deleted_at", "GSI3PK", "GSI3SK", "_cascade")
    )


def set_deleted(
    table: Table,
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
    ops = [flag_op(i, deleted_at, deleted_index=deleted_index, cascade=only_cascade) for i in targets]
    for start in range(0, len(ops), TRANSACTION_LIMIT):
        table.write(ops[start : start + TRANSACTION_LIMIT])
    return len(targets)
