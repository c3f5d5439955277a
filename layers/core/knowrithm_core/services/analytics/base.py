"""What every analytics route reads: the counters of a date range, the agents with their all-time
counters, the company totals, and the per-day rows built from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.models.resources import Agent
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.analytics.metrics import COUNTED_ENDPOINTS, DateRange, Days, totals
from knowrithm_core.services.base import Service
from knowrithm_core.services.companies import CompanyService
from knowrithm_core.store.repositories.analytics import AnalyticsRepository
from knowrithm_core.store.repositories.stats import StatsRepository
from knowrithm_core.store.table import Item


class AnalyticsBase(Service):
    """The counter reads every analytics route shares."""

    def __init__(self, agents: AgentService, companies: CompanyService) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents
        self.companies = companies
        self.stats = StatsRepository(agents.table)
        self.reads = AnalyticsRepository(agents.table)

    # --- reads -------------------------------------------------------------------------------------------
    def _days(self, company_id: str, span: DateRange) -> Days:
        """The company's counters for the range: one Query (company days, lead sources, agent days)."""
        return Days.of(self.stats.company_days(company_id, span.start.isoformat(), span.end.isoformat()))

    def _agent_days(self, company_id: str, agent_id: str, span: DateRange) -> Days:
        """One agent's counters for the range: one Query of its GSI3 partition (days and cited documents)."""
        return Days.of(self.stats.agent_days(company_id, agent_id, span.start.isoformat(), span.end.isoformat()))

    def _agents(self, company_id: str) -> list[tuple[Agent, Item]]:
        """Every agent (deleted ones too) with its all-time counters: one Query."""
        return [(record.agent, record.counters) for record in self.agents.repository.all(company_id)]

    def _totals(self, company_id: str) -> Item:
        return self.stats.totals(company_id)

    @staticmethod
    def _trend(span: DateRange, by_day: Mapping[str, Item]) -> list[dict[str, Any]]:
        rows = []
        for day in span.days:
            item = by_day.get(day, {})
            counts = totals([item])
            rt_count = int(item.get("rt_count", 0) or 0)
            rows.append(
                {
                    "date": day,
                    "conversations": counts["conversations"],
                    "messages": counts["messages"],
                    "user_messages": counts["user_messages"],
                    "assistant_messages": counts["assistant_messages"],
                    "tokens": counts["tokens"],
                    "unanswered": counts["unanswered"],
                    "leads": counts["leads"],
                    "agent_tests": counts["agent_tests"],
                    "avg_response_time_seconds": (
                        round(float(item.get("rt_sum", 0)) / rt_count, 4) if rt_count else None
                    ),
                }
            )
        return rows

    @staticmethod
    def _usage_rows(span: DateRange, days: Days) -> list[dict[str, Any]]:
        rows = []
        for day in span.days:
            item = days.company.get(day, {})
            counts = totals([item])
            rt_count = int(item.get("rt_count", 0) or 0)
            rows.append(
                {
                    "date": day,
                    "api_calls": sum(counts[name] for _, _, name in COUNTED_ENDPOINTS),
                    "chat_turns": counts["chat_turns"],
                    "conversations": counts["conversations"],
                    "messages": counts["messages"],
                    "user_messages": counts["user_messages"],
                    "assistant_messages": counts["assistant_messages"],
                    "tokens": counts["tokens"],
                    "unanswered": counts["unanswered"],
                    "leads": counts["leads"],
                    "agent_tests": counts["agent_tests"],
                    "avg_response_time_ms": (
                        round(float(item.get("rt_sum", 0)) / rt_count * 1000, 2) if rt_count else None
                    ),
                }
            )
        return rows
