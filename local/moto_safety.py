"""One lock around moto's DynamoDB operations, so the emulator stays correct (and bounded) under load.

moto is not thread-safe: a cancelled ``TransactWriteItems`` restores what it snapshotted, so a write
another thread made meanwhile would be lost. A real table has no such problem; this only keeps the local
stack faithful when the HTTP front, the pollers and the delivery worker's threads write at the same time.

With the lock in place, :func:`serialize_dynamodb` also swaps in a transaction that snapshots only the items
it touches (:mod:`local.moto_transactions`; moto deep-copies whole tables, stream included, per item),
bounds the streams and keeps their records compact (:mod:`local.moto_streams`), queries without sorting
the whole table (:mod:`local.moto_queries`), shares attribute names between items (:mod:`local.moto_items`)
and stops moto's model registry from keeping every object it ever built (:mod:`local.moto_tracking`).
These patch moto's public classes at start because moto offers no hook for them; they are checked against
moto's own semantics in ``tests/component/local``.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

OPERATIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "transact_write_items",
    "batch_write_item",
    "batch_get_item",
    "transact_get_items",
)
STREAM_OPERATIONS = ("get_shard_iterator", "get_records", "describe_stream")
LOCK = threading.RLock()
_installed = False


def locked(method: Any) -> Any:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with LOCK:
            return method(*args, **kwargs)

    return call


def serialize_dynamodb() -> None:
    """Wrap moto's DynamoDB (and Streams) backend operations in one process-wide lock, with the narrow
    transaction and bounded streams inside it. Idempotent."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    from local import moto_items, moto_queries, moto_streams, moto_tracking, moto_transactions

    moto_transactions.install()
    moto_streams.install()
    moto_queries.install()
    moto_items.install()
    moto_tracking.install()

    for backend, names in ((DynamoDBBackend, OPERATIONS), (DynamoDBStreamsBackend, STREAM_OPERATIONS)):
        for name in names:
            if hasattr(backend, name):
                setattr(backend, name, locked(getattr(backend, name)))
    _installed = True
