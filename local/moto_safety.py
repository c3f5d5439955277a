"""One lock around moto's DynamoDB operations, so the emulator stays correct under concurrent requests.

moto is not thread-safe: ``TransactWriteItems`` deep-copies the table and puts the copy back when a
transaction is cancelled, so a write another thread made meanwhile is lost (or the copy fails with
"dictionary changed size during iteration"). A real table has no such problem; this only keeps the local
stack faithful when the HTTP front, the pollers and the delivery worker's threads write at the same time.
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
_lock = threading.RLock()
_installed = False


def _locked(method: Any) -> Any:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return call


def serialize_dynamodb() -> None:
    """Wrap moto's DynamoDB (and DynamoDB Streams) backend operations in one process-wide lock. Idempotent."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    for backend, names in ((DynamoDBBackend, OPERATIONS), (DynamoDBStreamsBackend, STREAM_OPERATIONS)):
        for name in names:
            if hasattr(backend, name):
                setattr(backend, name, _locked(getattr(backend, name)))
    _installed = True
