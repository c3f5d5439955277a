"""API keys' hourly and daily quotas on the in-memory table: the windows, the counts, the refusal and the reset."""

from __future__ import annotations

from typing import Any

import pytest

from knowrithm_core.auth import Principal
from knowrithm_core.auth.quotas import DAY, HOUR, Window, usage, windows
from knowrithm_core.config import Settings
from knowrithm_core.container import Services
from knowrithm_core.errors import QuotaExceeded, Unauthorized
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Company, User
from knowrithm_core.store.memory import MemoryTable

MIDNIGHT = 1_796_083_200.0  # a UTC day's start (2026-12-01)


@pytest.fixture
def services() -> Services:
    table = MemoryTable()
    return Services(Settings(table_name=table.table_name, jwt_secret="s" * 32, api_key_cache_seconds=0), table)


def admin(services: Services) -> Principal:
    stamp = iso()
    company = Company(id=new_id(), created_at=stamp, updated_at=stamp, name="Acme", email="owner@acme.example")
    uow = services.auth.unit_of_work()
    services.auth.company_store.add(uow, company)
    uow.commit()
    user = User(
        id=new_id(),
        created_at=stamp,
        updated_at=stamp,
        company_id=company.id,
        email="ada@acme.example",
        username="ada",
        first_name="Ada",
        last_name="Admin",
    )
    uow = services.auth.unit_of_work()
    services.auth.users.add(uow, user, "hash")
    uow.commit()
    return Principal("user", company.id, user.id, frozenset({"read", "write", "admin"}), "admin")


def new_key(services: Services, caller: Principal, **limits: int) -> Principal:
    made: dict[str, Any] = services.auth.create_api_key(caller, {"name": "ci", **limits})
    found = services.auth.authenticate({"x-api-key": made["api_key"], "x-api-secret": made["api_secret"]})
    assert found is not None
    return found


def stored(services: Services, key: Principal) -> dict[str, Any]:
    item = services.auth.key_store.item(key.company_id, key.subject_id)
    assert item is not None
    return item


def test_the_tighter_window_names_the_headers_and_a_full_one_the_wait() -> None:
    # GIVEN 10 an hour and 12 a day, 30 minutes into a day
    limited = windows(10, 12)
    now = MIDNIGHT + 1800
    hour, day = (w.attribute(now) for w in limited)
    # WHEN 9 were used this hour and 9 today THEN the hour (1 left, sooner reset) is the tighter
    state = usage(limited, {hour: 9, day: 9}, now)
    assert state is not None and (state.limit, state.remaining, state.reset) == (10, 1, int(MIDNIGHT) + HOUR)
    assert state.retry_after is None
    # WHEN the day has fewer left THEN the day is the tighter, and full it makes a refused request wait a day
    state = usage(limited, {hour: 2, day: 12}, now)
    assert state is not None and (state.limit, state.remaining, state.reset) == (12, 0, int(MIDNIGHT) + DAY)
    assert state.retry_after == DAY - 1800
    assert state.headers() == {
        "X-RateLimit-Limit": "12",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(MIDNIGHT) + DAY),
    }
    # AND 0 is no limit
    assert windows(0, 0) == [] and usage([], {}, now) is None
    assert windows(0, 5) == [Window("d", 5, DAY)]


def test_a_key_is_counted_exactly_refused_past_its_hour_and_served_again_the_next(services: Services) -> None:
    # GIVEN a key allowed 3 requests an hour, 5 minutes into an hour
    key = new_key(services, admin(services), rate_limit_per_hour=3, rate_limit_per_day=100)
    now = MIDNIGHT + 300
    # WHEN it makes 3 requests THEN each is counted and what is left goes down
    left = [services.auth.quotas.count(key, now) for _ in range(3)]
    assert [(u.limit, u.remaining) for u in left if u] == [(3, 2), (3, 1), (3, 0)]
    assert stored(services, key)["usage_count"] == 3
    # WHEN it makes a fourth THEN it is refused until the hour ends, and nothing is counted
    before = stored(services, key)
    with pytest.raises(QuotaExceeded) as refused:
        services.auth.quotas.count(key, now + 60)
    assert refused.value.retry_after == HOUR - 360
    assert refused.value.headers["X-RateLimit-Remaining"] == "0"
    assert stored(services, key) == before
    # WHEN the next hour begins THEN it is served again, and the past hour's counter is dropped
    again = services.auth.quotas.count(key, MIDNIGHT + HOUR)
    assert again is not None and again.remaining == 2
    item = stored(services, key)
    assert item["usage_count"] == 4 and item[f"rl_d{int(MIDNIGHT)}"] == 4
    assert f"rl_h{int(MIDNIGHT)}" not in item


def test_a_day_limit_holds_across_hours_and_two_keys_count_apart(services: Services) -> None:
    # GIVEN two keys allowed 100 an hour but 2 a day
    caller = admin(services)
    first, second = (new_key(services, caller, rate_limit_per_hour=100, rate_limit_per_day=2) for _ in range(2))
    # WHEN the first uses its 2 in two different hours
    services.auth.quotas.count(first, MIDNIGHT + 10)
    services.auth.quotas.count(first, MIDNIGHT + 3 * HOUR)
    # THEN it is refused until the day ends, while the second still has its own 2
    with pytest.raises(QuotaExceeded) as refused:
        services.auth.quotas.count(first, MIDNIGHT + 5 * HOUR)
    assert refused.value.retry_after == DAY - 5 * HOUR
    state = services.auth.quotas.count(second, MIDNIGHT + 5 * HOUR)
    assert state is not None and (state.limit, state.remaining) == (2, 1)
    # AND the next day the first is served again
    assert services.auth.quotas.count(first, MIDNIGHT + DAY) is not None


def test_a_key_without_limits_is_never_refused_but_still_counted(services: Services) -> None:
    # GIVEN a key with no limits
    key = new_key(services, admin(services), rate_limit_per_hour=0, rate_limit_per_day=0)
    # WHEN it makes 50 requests in one second THEN none is refused or limited, and all 50 are counted
    assert [services.auth.count_use(key) for _ in range(50)] == [None] * 50
    item = stored(services, key)
    assert item["usage_count"] == 50 and item["last_used_at"]
    assert not [name for name in item if name.startswith("rl_")]


def test_a_key_revoked_meanwhile_is_refused_with_401_and_uncounted(services: Services) -> None:
    # GIVEN a key another container still holds as verified
    caller = admin(services)
    key = new_key(services, caller)
    services.auth.key_store.revoke(key.company_id, key.subject_id)
    # WHEN it is used THEN it is a 401 and its usage does not move
    with pytest.raises(Unauthorized, match="revoked"):
        services.auth.count_use(key)
    assert stored(services, key).get("usage_count", 0) == 0
    # AND users' and leads' requests are not counted at all
    assert services.auth.count_use(caller) is None
