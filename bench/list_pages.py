"""List pages cost what they hold: ``GET /lead/company`` page 1 (``per_page=20``) for a tenant with 20 leads vs
one with 10,000, through :meth:`LeadService.list_company` on moto in process (pre-filled with BatchWriteItem).

Each call is timed (median of ``CALLS``) and its DynamoDB requests and items read (``ScannedCount``) counted;
the goal is page 1 at 10,000 ≤ 1.5× page 1 at 20. A deep page (page 50 by number, no cursor) is reported
beside it: it walks the 980 keys before it (key attributes only) and then reads its page.
``python -m bench.list_pages`` prints the section alone.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench.common import AWS_ENV, SCRUBBED_ENV, load_stack
from local.template import functions

SMALL, LARGE = 20, 10_000
CALLS = 30
RATIO_GOAL = 1.5
DEEP_PAGE = 50


@dataclass(frozen=True)
class PageCost:
    label: str
    items: int
    page: int
    median_ms: float
    median_outside_ms: float  # the call minus its DynamoDB requests (request building, parsing, our code)
    requests: int
    items_read: int


class _Reads:
    """Counts DynamoDB requests, the items Queries read (``ScannedCount``) and the seconds spent in requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.items_read = 0
        self.seconds = 0.0
        self._started = 0.0

    def before(self, **_: Any) -> None:
        self.requests += 1
        self._started = time.perf_counter()

    def done(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started

    def after(self, parsed: dict[str, Any], **_: Any) -> None:
        self.items_read += int(parsed.get("ScannedCount", parsed.get("Count", 0)))


def _fill(services: Any, company_id: str, count: int) -> None:
    from knowrithm_core.ids import iso, new_id
    from knowrithm_core.models.resources import Lead
    from knowrithm_core.store import keys
    from knowrithm_core.store.expressions import Update
    from knowrithm_core.store.repositories.leads import lead_item

    items = []
    for n in range(count):
        stamp = iso()
        lead = Lead(
            id=new_id(),
            created_at=stamp,
            updated_at=stamp,
            company_id=company_id,
            first_name="Lee",
            last_name=f"Number{n}",
            full_name=f"Lee Number{n}",
            email=f"lee{n}@example.com",
        )
        items.append(lead_item(lead))
    services.table.batch_put(items)
    services.table.write([Update((keys.stats_pk(company_id), "TOTAL"), add={"leads": count})])


def _measure(services: Any, principal: Any, label: str, items: int, page: int) -> PageCost:
    query = {"per_page": "20", "page": str(page)}
    services.leads.list_company(principal, query)  # warm
    reads = _Reads()
    events = services.table.client.meta.events
    events.register("before-call.dynamodb", reads.before)
    events.register("after-call.dynamodb.Query", reads.after)
    try:
        body = services.leads.list_company(principal, query)
    finally:
        events.unregister("before-call.dynamodb", reads.before)
        events.unregister("after-call.dynamodb.Query", reads.after)
    assert len(body["leads"]) == min(20, max(items - (page - 1) * 20, 0))
    samples, outside = [], []
    for _ in range(CALLS):
        timer = _Reads()
        events.register("before-call.dynamodb", timer.before)
        events.register("after-call.dynamodb", timer.done)
        started = time.perf_counter()
        services.leads.list_company(principal, query)
        elapsed = time.perf_counter() - started
        events.unregister("before-call.dynamodb", timer.before)
        events.unregister("after-call.dynamodb", timer.done)
        samples.append(elapsed * 1000)
        outside.append((elapsed - timer.seconds) * 1000)
    return PageCost(
        label, items, page, statistics.median(samples), statistics.median(outside), reads.requests, reads.items_read
    )


def run() -> list[PageCost]:
    from moto import mock_aws

    from knowrithm_core.auth.principal import Principal
    from knowrithm_core.config import get_settings
    from knowrithm_core.container import get_services
    from knowrithm_core.ids import new_id
    from local.resources import create_all

    saved = dict(os.environ)
    for key in SCRUBBED_ENV:
        os.environ.pop(key, None)
    try:
        with mock_aws():
            stack = load_stack()
            create_all(stack)
            os.environ.update({**AWS_ENV, **functions(stack)["ApiLeadsFunction"].environment})
            get_settings.cache_clear()
            get_services.cache_clear()
            services = get_services()
            tenants = {}
            for count in (SMALL, LARGE):
                company_id = new_id()
                _fill(services, company_id, count)
                tenants[count] = Principal("api_key", company_id, new_id(), frozenset({"read"}), "api_key")
            return [
                _measure(services, tenants[SMALL], "page 1", SMALL, 1),
                _measure(services, tenants[LARGE], "page 1", LARGE, 1),
                _measure(services, tenants[LARGE], f"page {DEEP_PAGE} by number", LARGE, DEEP_PAGE),
            ]
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        get_services.cache_clear()


def _timed_ms(services: Any, principal: Any, page: int) -> float:
    query = {"per_page": "20", "page": str(page)}
    services.leads.list_company(principal, query)  # warm
    samples = []
    for _ in range(CALLS):
        started = time.perf_counter()
        services.leads.list_company(principal, query)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run_memory() -> list[float]:
    """The same three calls on the in-memory table (the repositories and services, no emulator): median ms."""
    from knowrithm_core.auth.principal import Principal
    from knowrithm_core.config import Settings
    from knowrithm_core.container import Services
    from knowrithm_core.ids import new_id
    from knowrithm_core.store.memory import MemoryTable

    services = Services(Settings(table_name="memory", jwt_secret="b" * 32), MemoryTable())
    tenants = {}
    for count in (SMALL, LARGE):
        company_id = new_id()
        _fill(services, company_id, count)
        tenants[count] = Principal("api_key", company_id, new_id(), frozenset({"read"}), "api_key")
    return [
        _timed_ms(services, tenants[SMALL], 1),
        _timed_ms(services, tenants[LARGE], 1),
        _timed_ms(services, tenants[LARGE], DEEP_PAGE),
    ]


def section(results: list[PageCost] | None = None, error: str | None = None, memory: list[float] | None = None) -> str:
    head = f"""
## List pages: `GET /lead/company` page 1 (per_page=20), {SMALL} vs {LARGE:,} leads in one tenant

Goal: page 1 with {LARGE:,} leads ≤ {RATIO_GOAL}× page 1 with {SMALL} (median of {CALLS} calls each, the service on
moto in process, the table pre-filled with BatchWriteItem). Requests and items read are those of one call (the
counter GetItem included); a deep page by number walks the keys before it, key attributes only. moto answers a
Query by scanning every item of the table and sorting the partition's matches before it applies `Limit`
(`moto/dynamodb/models/table.py`), so its wall time grows with the partition although the request reads
`per_page + 1` items; the goal is judged on what DynamoDB charges and on our side of the call (the call minus
its requests), and the wall time on moto is reported beside them.
"""
    if results is None:
        return head + f"\nNot measured: {error}\n"
    small, large = results[0], results[1]
    reads_ratio = large.items_read / small.items_read if small.items_read else float("inf")
    ours_ratio = large.median_outside_ms / small.median_outside_ms if small.median_outside_ms else float("inf")
    wall_ratio = large.median_ms / small.median_ms if small.median_ms else float("inf")
    verdict = "**PASS**" if max(reads_ratio, ours_ratio) <= RATIO_GOAL else "**FAIL**"
    rows = "\n".join(
        f"| {r.label} | {r.items:,} | {r.requests} | {r.items_read} | {r.median_outside_ms:.1f} | {r.median_ms:.1f} |"
        for r in results
    )
    return (
        head
        + f"""
| Page | Leads in the tenant | DynamoDB requests | Items read | Our side, median ms | Wall on moto, median ms |
|---|---:|---:|---:|---:|---:|
{rows}

Page 1, {LARGE:,} vs {SMALL}: items read **{reads_ratio:.2f}×**, our side **{ours_ratio:.2f}×** (goal ≤ {RATIO_GOAL}×)
{verdict}; wall time on moto {wall_ratio:.2f}× (moto's own scan and sort of the partition).
"""
        + _memory_line(memory)
    )


def _memory_line(memory: list[float] | None) -> str:
    if not memory:
        return ""
    small, large, deep = memory
    ratio = large / small if small else float("inf")
    verdict = "**PASS**" if ratio <= RATIO_GOAL else "**FAIL**"
    return (
        f"\nOn the in-memory table (the same repositories and services, no emulator; `store/memory.py` finds a page "
        f"by binary search): page 1 {small:.2f} ms with {SMALL} leads, {large:.2f} ms with {LARGE:,}: "
        f"**{ratio:.2f}×** {verdict}; page {DEEP_PAGE} by number {deep:.2f} ms.\n"
    )


def run_section() -> str:
    try:
        return section(run(), memory=run_memory())
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        return section(None, repr(exc))


if __name__ == "__main__":
    print(run_section())
