"""What every analytics route reads: the counters of a date range, the agents with their all-time
counters, the company totals, and the per-day rows built from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.models.resources import Agent
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.analytics.metrics import COUNTED_ENDPOINTS, DateRange, Days, totals
from knowrithm_core.services.base import Service, load
from knowrithm_core.services.companies import CompanyService
from knowrithm_core.store import keys
from knowrithm_core.store.keys import STATS_SUFFIX
from knowrithm_core.store.table import Item


class AnalyticsBase(Service):
    """The counter reads every analytics route shares."""

    def __init__(self, agents: AgentService, companies: CompanyService) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents
        self.companies = companies

    # --- reads -------------------------------------------------------------------------------------------
    def _days(self, company_id: str, span: DateRange) -> Days:
        """The company's counters for the range: one Query (company days, lead sources, agent days)."""
        return Days.of(self.table.query(keys.stats_pk(company_id), sk_between=span.sk_bounds()))

    def _agent_days(self, company_id: str, agent_id: str, span: DateRange) -> Days:
        """One agent's counters for the range: one Query of its GSI3 partition (days and cited documents)."""
        index_key = keys.agent_stats_gsi(company_id, agent_id)
        return Days.of(self.table.query(index_key, index=keys.GSI3, sk_between=span.sk_bounds()))

    def _agents(self, company_id: str) -> list[tuple[Agent, Item]]:
        """Every agent (deleted ones too) with its all-time counter item: one Query."""
        items = self.table.query(keys.company_pk(company_id), sk_prefix="AGENT#")
        stats = {i["SK"][: -len(STATS_SUFFIX)]: i for i in items if i["SK"].endswith(STATS_SUFFIX)}
        rows = []
        for item in items:
            if item["SK"].endswith(STATS_SUFFIX):
                continue
            counters = stats.get(item["SK"], {})
            agent = load(
                Agent,
                {
                    **item,
                    "total_conversations": counters.get("conversations", 0),
                    "total_messages": counters.get("messages", 0),
                },
            )
            rows.append((agent, counters))
        return rows

    def _totals(self, company_id: str) -> Item:
        return self.table.get(keys.stats_pk(company_id), "TOTAL") or {}

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
