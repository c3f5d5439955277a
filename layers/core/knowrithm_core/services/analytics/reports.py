"""``GET /analytic/leads`` and ``GET /analytic/usage``: lead and usage reports over a date range."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.ids import iso
from knowrithm_core.services.analytics.base import AnalyticsBase
from knowrithm_core.services.analytics.metrics import (
    COUNTED_ENDPOINTS,
    DateRange,
    expired,
    percent,
    response_times,
    status_distribution,
    totals,
)


class ReportsMixin(AnalyticsBase):
    """The lead and usage reports."""

    def leads(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        principal.require("read")
        span = DateRange.parse(query.get("start_date"), query.get("end_date"))
        days = self._days(principal.company_id, span)
        company_totals = self._totals(principal.company_id)
        counts = totals(days.company.values())
        new_leads = counts["leads"]
        return {
            "date_range": span.public(),
            "total_leads": int(company_totals.get("leads", 0)),
            "new_leads": new_leads,
            "lead_status_distribution": status_distribution(company_totals),
            "lead_sources": [
                {"source": source, "count": count}
                for source, count in sorted(days.lead_sources.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "daily_new_leads": [
                {"date": day, "count": int(days.company.get(day, {}).get("leads", 0))} for day in span.days
            ],
            "consent_analytics": {
                "total_leads": new_leads,
                "data_consent_count": counts["leads_consent_data"],
                "marketing_consent_count": counts["leads_consent_marketing"],
                "data_consent_rate": percent(counts["leads_consent_data"], new_leads),
                "marketing_consent_rate": percent(counts["leads_consent_marketing"], new_leads),
            },
            "registration_channels": {"widget": counts["leads_registered"], "api": counts["leads_api"]},
            "generated_at": iso(),
        }

    def usage(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        principal.require("read")
        span = DateRange.parse(query.get("start_date"), query.get("end_date"))
        days = self._days(principal.company_id, span)
        agents = self._agents(principal.company_id)
        company_totals = self._totals(principal.company_id)
        api_keys = self.reads.api_keys(principal.company_id)
        counts = totals(days.company.values())
        calls = sum(counts[name] for _, _, name in COUNTED_ENDPOINTS)
        performance = response_times(days.company.values())
        average = performance["avg_response_time_seconds"]
        agent_rows: list[dict[str, Any]] = []
        for agent, _ in agents:
            by_day = days.agents.get(agent.id, {})
            if not by_day:
                continue
            own = totals(by_day.values())
            own_times = response_times(by_day.values())["avg_response_time_seconds"]
            agent_rows.append(
                {
                    "agent_id": agent.id,
                    "agent_name": agent.name,
                    "conversations": own["conversations"],
                    "messages": own["messages"],
                    "chat_turns": own["chat_turns"],
                    "tokens": own["tokens"],
                    "agent_tests": own["agent_tests"],
                    "avg_response_time_ms": round(own_times * 1000, 2) if own_times is not None else None,
                }
            )
        agent_rows.sort(key=lambda r: (-int(r["messages"]), str(r["agent_name"])))
        return {
            "date_range": span.public(),
            "api_usage": {
                "total_api_calls": calls,
                "success_count": calls,
                "error_count": 0,
                "error_rate_percent": 0.0,
                "avg_response_time_ms": round(average * 1000, 2) if average is not None else None,
                "active_api_keys": sum(1 for k in api_keys if k.status == "active" and not expired(k.expires_at)),
                "counted": "committed writes of the routes in endpoint_usage; reads and failed calls are not counted",
            },
            "agent_usage": agent_rows,
            "token_usage": {
                "total_tokens": counts["tokens"],
                "user_tokens": counts["user_tokens"],
                "assistant_tokens": counts["assistant_tokens"],
            },
            "storage_usage": {
                "documents": int(company_totals.get("documents", 0)),
                "conversations": sum(a.total_conversations for a, _ in agents),
                "messages": sum(a.total_messages for a, _ in agents),
                "leads": int(company_totals.get("leads", 0)),
            },
            "daily_usage_trend": [
                {"date": row["date"], "api_calls": row["api_calls"], "chat_turns": row["chat_turns"]}
                | {"tokens": row["tokens"], "conversations": row["conversations"], "leads": row["leads"]}
                for row in self._usage_rows(span, days)
            ],
            "endpoint_usage": [
                {"method": method, "endpoint": path, "count": counts[name]} for method, path, name in COUNTED_ENDPOINTS
            ],
            "top_client_ips": [],
            "generated_at": iso(),
        }
