"""Fixed-window counters in the table (the rate limits' storage adapter).

One hit on several counters is one ``TransactWriteItems`` of conditional ``ADD``s: either every counter
is under its limit and all of them count the hit, or none does and the first full one is reported.
Items expire by TTL a minute after their window. Keys are hashed by the caller (no raw IPs or emails).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from knowrithm_core.store.table import DynamoTable, TransactionConflict

CONTENTION_RETRIES = 3


@dataclass(frozen=True)
class Counter:
    key: str
    limit: int
    window_seconds: int

    def window_start(self, now: float) -> int:
        return int(now) // self.window_seconds * self.window_seconds


class CounterStore(Protocol):
    def hit(self, counters: Sequence[Counter], now: float) -> Counter | None:
        """Count one hit on every counter, or on none and return the first one that is full."""


class DynamoCounters:
    def __init__(self, table: DynamoTable) -> None:
        self.table = table

    def hit(self, counters: Sequence[Counter], now: float | None = None) -> Counter | None:
        if not counters:
            return None
        moment = time.time() if now is None else now
        ops = []
        for counter in counters:
            start = counter.window_start(moment)
            ops.append(
                self.table.update_op(
                    f"RATE#{counter.key}",
                    f"W#{start}",
                    "ADD hits :one SET expires_at_epoch = :ttl",
                    values={":one": 1, ":limit": counter.limit, ":ttl": start + counter.window_seconds + 60},
                    condition="attribute_not_exists(hits) OR hits < :limit",
                )
            )
        for _ in range(CONTENTION_RETRIES):
            try:
                self.table.transact(ops)
                return None
            except TransactionConflict as exc:
                full = [i for i, reason in enumerate(exc.reasons) if reason == "ConditionalCheckFailed"]
                if full:
                    return counters[full[0]]
        return None  # only contention between simultaneous hits: let the request through
