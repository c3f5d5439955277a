"""The retry schedule: about ten attempts over about three days, with ±20 % jitter.

Delays are seconds to wait after a failed attempt before the next one; ``WEBHOOK_RETRY_SCHEDULE``
(comma-separated seconds) replaces the default so the local stack and tests can use short steps.
SQS cannot hide a message for more than 12 hours, so longer waits are served in hops (``visibility_hops``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

DEFAULT_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.2
SQS_MAX_VISIBILITY = 43200


def parse_schedule(raw: str | None) -> tuple[int, ...]:
    """``"1,2,5"`` -> (1, 2, 5); empty -> the default. Raises ValueError on bad input."""
    if raw is None or not raw.strip():
        return DEFAULT_SCHEDULE
    steps = tuple(int(part) for part in raw.split(",") if part.strip())
    if not steps or any(step < 0 for step in steps):
        raise ValueError("WEBHOOK_RETRY_SCHEDULE must be comma-separated non-negative seconds")
    return steps


def max_attempts(schedule: Sequence[int]) -> int:
    """The first attempt plus one per step."""
    return len(schedule) + 1


def delay_after(attempt: int, schedule: Sequence[int], rng: random.Random | None = None) -> float | None:
    """Seconds to wait after failed ``attempt`` (1-based), jittered; ``None`` when no attempt is left."""
    if attempt < 1 or attempt > len(schedule):
        return None
    base = schedule[attempt - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return max(0.0, base * factor)


def visibility_hops(delay: float) -> int:
    """How many SQS receives a wait of ``delay`` seconds costs (1 unless it exceeds 12 hours)."""
    return max(1, math.ceil(delay / SQS_MAX_VISIBILITY))


def max_receive_count(schedule: Sequence[int]) -> int:
    """Receives needed to make every attempt, with the worst-case (+20 %) hops for long waits."""
    return 1 + sum(visibility_hops(step * (1 + JITTER)) for step in schedule)
