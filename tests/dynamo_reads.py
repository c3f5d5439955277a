"""What list pages cost: every DynamoDB Query a block makes (its ``Limit``, index and items read), and a fast
pre-fill of many items with BatchWriteItem (the real item builders, no API round trip per item)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from knowrithm_core.container import Services
from knowrithm_core.store.expressions import Update
from knowrithm_core.store.table import DynamoTable


@dataclass
class QueryCall:
    limit: int | None
    index: str | None
    keys_only: bool
    pk: str
    items_read: int = 0


@contextmanager
def recorded_queries(services: Services, partition: str) -> Iterator[list[QueryCall]]:
    """Every Query of a partition containing ``partition`` the table's client sends inside the block, with the
    number of items it read (ScannedCount); the request's other look-ups (API key, session) are left out."""
    calls: list[QueryCall] = []

    def before(params: dict[str, Any], **_: Any) -> None:
        pk = str(params.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S", ""))
        calls.append(QueryCall(params.get("Limit"), params.get("IndexName"), "ProjectionExpression" in params, pk))

    def after(parsed: dict[str, Any], **_: Any) -> None:
        calls[-1].items_read = int(parsed.get("ScannedCount", parsed.get("Count", 0)))

    events = services.table.client.meta.events
    events.register("provide-client-params.dynamodb.Query", before)
    events.register("after-call.dynamodb.Query", after)
    every: list[QueryCall] = []
    try:
        yield every
    finally:
        events.unregister("provide-client-params.dynamodb.Query", before)
        events.unregister("after-call.dynamodb.Query", after)
        every.extend(call for call in calls if partition in call.pk)


def fill(table: DynamoTable, items: Sequence[dict[str, Any]], counters: dict[tuple[str, str], dict[str, int]]) -> None:
    """Put ``items`` (25 per BatchWriteItem) and add ``counters`` (``(PK, SK) -> {attribute: delta}``)."""
    table.batch_put(items)
    for (pk, sk), deltas in counters.items():
        table.write([Update((pk, sk), add=dict(deltas))])
