"""``GET /analytic/agent/{id}/performance-comparison``: one agent against its company's per-agent average.

Two reads: the company's counters of the range (one Query, agent days included) and the agents (one Query).
The company average is the company's total over the live agents; ``response_time`` compares average seconds
per answer (lower is better, so a negative percent is good there); ``conversions`` counts leads captured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.services.analytics.base import AnalyticsBase
from knowrithm_core.services.analytics.metrics import DateRange, total, totals


def _entry(agent_value: float, company_average: float, digits: int = 2) -> dict[str, float]:
    versus = round(100.0 * (agent_value - company_average) / company_average, 2) if company_average else 0.0
    return {
        "agent_value": agent_value,
        "company_average": round(company_average, digits),
        "performance_vs_average_percent": versus,
    }


def _seconds(rows: Sequence[Mapping[str, Any]]) -> float:
    count = total(rows, "rt_count")
    return round(float(total(rows, "rt_sum")) / count, 4) if count else 0.0


class ComparisonMixin(AnalyticsBase):
    """One agent against the company average."""

    def performance_comparison(self, principal: Principal, agent_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        principal.require("read")
        span = DateRange.parse(query.get("start_date"), query.get("end_date"))
        agent = self.agents.record(principal.company_id, agent_id, include_deleted=True).agent
        days = self._days(principal.company_id, span)
        live = [a for a, _ in self._agents(principal.company_id) if not a.deleted_at]
        agents = max(len(live), 1)
        mine_rows = list(days.agents.get(agent.id, {}).values())
        company_rows = list(days.company.values())
        mine, company = totals(mine_rows), totals(company_rows)
        ratings = [a.average_rating for a in live]
        return {
            "agent_info": {"id": agent.id, "name": agent.name, "status": agent.status},
            "date_range": span.public(),
            "performance_comparison": {
                "conversations": _entry(mine["conversations"], company["conversations"] / agents),
                "total_messages": _entry(mine["messages"], company["messages"] / agents),
                "satisfaction_rating": _entry(agent.average_rating, sum(ratings) / len(ratings) if ratings else 0.0),
                "response_time": _entry(_seconds(mine_rows), _seconds(company_rows), 4),
                "conversions": _entry(mine["leads"], company["leads"] / agents),
            },
            "agents_compared": len(live),
        }
