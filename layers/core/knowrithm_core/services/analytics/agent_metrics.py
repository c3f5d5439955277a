"""``GET /analytic/agent/{id}``: one agent's counters over a date range."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.ids import iso
from knowrithm_core.services.analytics.base import AnalyticsBase
from knowrithm_core.services.analytics.metrics import DateRange, percent, ratio, response_times, total, totals


class AgentMetricsMixin(AnalyticsBase):
    """One agent's analytics."""

    def agent(self, principal: Principal, agent_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        principal.require("read")
        span = DateRange.parse(query.get("start_date"), query.get("end_date"))
        found = self.agents.record(principal.company_id, agent_id, include_deleted=True)
        agent, stats = found.agent, found.counters
        days = self._agent_days(principal.company_id, agent.id, span)
        by_day = days.agents.get(agent.id, {})
        counts = totals(by_day.values())
        performance = response_times(by_day.values())
        answers = counts["assistant_messages"]
        return {
            "agent_info": {
                "id": agent.id,
                "name": agent.name,
                "status": agent.status,
                "model_name": agent.model_name,
                "llm_provider": agent.settings.llm_provider if agent.settings else None,
                "llm_model": agent.settings.llm_model_name if agent.settings else None,
                "created_at": agent.created_at,
                "deleted_at": agent.deleted_at,
            },
            "date_range": span.public(),
            "conversation_metrics": {
                "total_conversations": counts["conversations"],
                "active_conversations": int(stats.get("active_conversations", 0)),
                "lead_conversations": counts["lead_conversations"],
                "avg_messages_per_conversation": ratio(counts["messages"], counts["conversations"]),
                "all_time_conversations": int(stats.get("conversations", 0)),
            },
            "message_metrics": {
                "total": counts["messages"],
                "user": counts["user_messages"],
                "assistant": counts["assistant_messages"],
                "total_messages": counts["messages"],
                "user_messages": counts["user_messages"],
                "assistant_messages": counts["assistant_messages"],
                "all_time_messages": int(stats.get("messages", 0)),
            },
            "performance_metrics": performance,
            "quality_metrics": {
                "answered": answers - counts["unanswered"],
                "unanswered": counts["unanswered"],
                "answer_rate_percent": percent(answers - counts["unanswered"], answers) if answers else None,
                "avg_confidence": ratio(float(total(by_day.values(), "confidence_sum")), answers, 3)
                if answers
                else None,
                "cited_answers": counts["cited_answers"],
                "average_rating": agent.average_rating,
                "satisfaction_rating": None,
            },
            "token_usage": {
                "total_tokens": counts["tokens"],
                "user_tokens": counts["user_tokens"],
                "assistant_tokens": counts["assistant_tokens"],
                "avg_tokens_per_message": ratio(counts["tokens"], counts["messages"]),
            },
            "conversion_metrics": {
                "leads": counts["leads"],
                "conversations": counts["conversations"],
                "lead_conversations": counts["lead_conversations"],
                "conversion_rate_percent": percent(counts["leads"], counts["conversations"]),
            },
            "activity_trend": self._trend(span, by_day),
            "top_sources": sorted(
                days.documents.get(agent.id, {}).values(), key=lambda d: (-int(d["citations"]), str(d["document_name"]))
            )[:10],
            "agent_tests": counts["agent_tests"],
            "generated_at": iso(),
        }
