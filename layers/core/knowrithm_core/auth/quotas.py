"""Per-API-key quotas: ``rate_limit_per_hour`` and ``rate_limit_per_day`` in fixed UTC windows (pure rules).

Every request a key authenticates is one use: one conditional ``UpdateItem`` on the key's own item adds 1 to
``usage_count`` and to the current hour's and day's window counters (attributes named after their window,
``rl_h<start>`` and ``rl_d<start>``) unless one of them is at its limit, and sets ``last_used_at``. The write
returns the item, so the counts behind the ``X-RateLimit-*`` headers cost no read; counters of past windows
seen in it are removed by the next write. A limit of 0 (or none) means unlimited.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

HOUR = 3600
DAY = 86400
PREFIX = "rl_"


@dataclass(frozen=True)
class Window:
    """One fixed window of a key's quota: ``limit`` uses per ``seconds``, from the UTC epoch."""

    kind: str  # "h" or "d"
    limit: int
    seconds: int

    def start(self, now: float) -> int:
        return int(now) // self.seconds * self.seconds

    def end(self, now: float) -> int:
        return self.start(now) + self.seconds

    def attribute(self, now: float) -> str:
        """The counter of the window ``now`` falls in."""
        return f"{PREFIX}{self.kind}{self.start(now)}"

    def previous(self, now: float) -> str:
        return f"{PREFIX}{self.kind}{self.start(now) - self.seconds}"


def windows(per_hour: int | None, per_day: int | None) -> list[Window]:
    """The key's limited windows (hour first); none when both limits are 0 or unset."""
    found = [Window("h", per_hour or 0, HOUR), Window("d", per_day or 0, DAY)]
    return [w for w in found if w.limit > 0]


@dataclass(frozen=True)
class Usage:
    """What the ``X-RateLimit-*`` headers say: the tighter window's limit, what is left, and when it resets."""

    limit: int
    remaining: int
    reset: int  # epoch seconds (UTC) when the window ends
    retry_after: int | None = None  # seconds until every full window has reset (what a refused request waits)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


def usage(limited: Iterable[Window], counts: dict[str, int], now: float) -> Usage | None:
    """The tighter window (fewest uses left; the sooner reset on a tie) after the counts ``counts`` (by window
    attribute); when one is full, ``retry_after`` is the wait until every full window has reset."""
    states = [(w, max(0, w.limit - int(counts.get(w.attribute(now), 0)))) for w in limited]
    if not states:
        return None
    window, remaining = min(states, key=lambda state: (state[1], state[0].seconds))
    full = [w for w, _ in states if int(counts.get(w.attribute(now), 0)) >= w.limit]
    retry = max(1, math.ceil(max(w.end(now) for w in full) - now)) if full else None
    return Usage(window.limit, remaining, window.end(now), retry)


def stale(names: Iterable[str], current: Iterable[str]) -> tuple[str, ...]:
    """The window counters among ``names`` that are not the current ones (to remove on the next write)."""
    keep = set(current)
    return tuple(sorted(n for n in names if n.startswith(PREFIX) and n not in keep))
