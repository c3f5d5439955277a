"""The retry schedule: jitter bounds, exhaustion, overrides and SQS's 12-hour visibility cap."""

from __future__ import annotations

import random

import pytest

from knowrithm_core.webhooks.backoff import (
    DEFAULT_SCHEDULE,
    delay_after,
    max_attempts,
    max_receive_count,
    parse_schedule,
    visibility_hops,
)


def test_default_is_ten_attempts_over_about_three_days() -> None:
    assert max_attempts(DEFAULT_SCHEDULE) == 10
    assert 2.9 < sum(DEFAULT_SCHEDULE) / 86400 < 3.3


@pytest.mark.parametrize("attempt", range(1, len(DEFAULT_SCHEDULE) + 1))
def test_jitter_stays_within_twenty_percent(attempt: int) -> None:
    rng = random.Random(attempt)
    base = DEFAULT_SCHEDULE[attempt - 1]
    delays = [delay_after(attempt, DEFAULT_SCHEDULE, rng) for _ in range(500)]
    assert all(d is not None and 0.8 * base <= d <= 1.2 * base for d in delays)
    assert len({round(d or 0, 6) for d in delays}) > 400  # really jittered


def test_no_delay_once_attempts_are_exhausted() -> None:
    assert delay_after(len(DEFAULT_SCHEDULE) + 1, DEFAULT_SCHEDULE) is None
    assert delay_after(0, DEFAULT_SCHEDULE) is None


def test_schedule_override_parses_and_rejects_garbage() -> None:
    assert parse_schedule("1, 2,5") == (1, 2, 5) and parse_schedule("") == DEFAULT_SCHEDULE
    for bad in ("a,b", "-1", ","):
        with pytest.raises(ValueError):
            parse_schedule(bad)


def test_waits_over_twelve_hours_take_extra_receives() -> None:
    assert visibility_hops(5) == 1 and visibility_hops(43200) == 1 and visibility_hops(50400) == 2
    # 1 first receive + 6 steps that fit in one hop (10 h * 1.2 = 12 h exactly) + 14 h and 20 h steps
    # (2 hops each at +20 %) + the 24 h step (28.8 h at +20 %: 3 hops)
    assert max_receive_count(DEFAULT_SCHEDULE) == 1 + 6 + 2 + 2 + 3
    assert max_receive_count((1, 1, 1)) == 4
