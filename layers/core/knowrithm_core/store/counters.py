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

from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Update, lt, missing
from knowrithm_core.store.port import Table
from knowrithm_core.store.table import TransactionConflict

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


def hit_op(counter: Counter, now: float) -> Update:
    """One more hit in the counter's current window, unless it is full (the item expires a minute after it)."""
    start = counter.window_start(now)
    return Update(
        (keys.rate_pk(counter.key), keys.rate_window_sk(start)),
        set={"expires_at_epoch": start + counter.window_seconds + 60},
        add={"hits": 1},
        when=missing("hits") | lt("hits", counter.limit),
    )


class DynamoCounters:
    """The counters on any :class:`~knowrithm_core.store.port.Table` (DynamoDB, or the in-memory one)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def hit(self, counters: Sequence[Counter], now: float | None = None) -> Counter | None:
        if not counters:
            return None
        moment = time.time() if now is None else now
        ops = [hit_op(counter, moment) for counter in counters]
        for _ in range(CONTENTION_RETRIES):
            try:
                self.table.write(ops)
                return None
            except TransactionConflict as exc:
                full = [i for i, reason in enumerate(exc.reasons) if reason == "ConditionalCheckFailed"]
                if full:
                    return counters[full[0]]
        return None  # only contention between simultaneous hits: let the request through
