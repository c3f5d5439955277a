"""``GET /analytic/dashboard``: the company at a glance (all-time totals and the last 30 days)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.ids import iso
from knowrithm_core.services.analytics.base import AnalyticsBase
from knowrithm_core.services.analytics.metrics import (
    DateRange,
    expired,
    percent,
    ratio,
    response_times,
    status_distribution,
    totals,
)


class DashboardMixin(AnalyticsBase):
    """The company dashboard."""

    def dashboard(self, principal: Principal) -> dict[str, Any]:
        principal.require("read")
        company_id = principal.company_id
        company = self.companies.get_item(company_id)
        agents = self._agents(company_id)
        company_totals = self._totals(company_id)
        span = DateRange.parse(None, None)
        days = self._days(company_id, span)
        api_keys = self.reads.api_keys(company_id)
        recent = totals(days.company.values())
        live = [(a, s) for a, s in agents if not a.deleted_at]
        conversations = sum(a.total_conversations for a, _ in agents)
        active_conversations = sum(int(s.get("active_conversations", 0)) for _, s in agents)
        messages = sum(a.total_messages for a, _ in agents)
        lead_count = int(company_totals.get("leads", 0))
        documents = int(company_totals.get("documents", 0))
        users = int(company.get("user_count", 0))
        status_counts = Counter(a.status for a, _ in live)
        top_agents = sorted(live, key=lambda pair: (-pair[0].total_conversations, -pair[0].total_messages))[:5]
        performance = response_times(days.company.values())
        active_keys = [k for k in api_keys if k.status == "active" and not expired(k.expires_at)]
        return {
            "core_metrics": {
                "document_count": documents,
                "conversation_count": conversations,
                "lead_count": lead_count,
                "connection_count": 0,
                "total_users": users,
                "agent_count": len(live),
                "message_count": messages,
                "scope": "company",
            },
            "agent_analytics": {
                "total_agents": len(live),
                "active_agents": status_counts.get("active", 0),
                "inactive_agents": len(live) - status_counts.get("active", 0),
                "deleted_agents": len(agents) - len(live),
                "status_distribution": dict(status_counts),
                "top_agents": [
                    {
                        "id": a.id,
                        "name": a.name,
                        "status": a.status,
                        "total_conversations": a.total_conversations,
                        "total_messages": a.total_messages,
                        "active_conversations": int(s.get("active_conversations", 0)),
                    }
                    for a, s in top_agents
                ],
            },
            "conversation_analytics": {
                "total_conversations": conversations,
                "active_conversations": active_conversations,
                "ended_conversations": max(0, conversations - active_conversations),
                "total_messages": messages,
                "avg_messages_per_conversation": ratio(messages, conversations),
                "conversations_last_30_days": recent["conversations"],
                "messages_last_30_days": recent["messages"],
                "lead_conversations_last_30_days": recent["lead_conversations"],
            },
            "lead_analytics": {
                "total_leads": lead_count,
                "new_leads_last_30_days": recent["leads"],
                "status_distribution": status_distribution(company_totals),
                "data_consent_count": int(company_totals.get("consent_data", 0)),
                "marketing_consent_count": int(company_totals.get("consent_marketing", 0)),
            },
            "document_analytics": {"total_documents": documents},
            "database_analytics": {"total_connections": 0},
            "activity_analytics": {
                "date_range": span.public(),
                "daily_activity": self._trend(span, days.company),
            },
            "company_analytics": {
                "company_id": company_id,
                "name": company.get("name"),
                "is_active": company.get("is_active", True),
                "created_at": company.get("created_at"),
            },
            "performance_analytics": {
                "date_range": span.public(),
                "avg_response_time_seconds": performance["avg_response_time_seconds"],
                "p95_response_time_seconds": performance["p95_response_time_seconds"],
                "total_responses": performance["total_responses"],
                "unanswered_responses": recent["unanswered"],
                "answer_rate_percent": (
                    percent(recent["assistant_messages"] - recent["unanswered"], recent["assistant_messages"])
                    if recent["assistant_messages"]
                    else None
                ),
            },
            "security_analytics": {"active_api_keys": len(active_keys), "total_api_keys": len(api_keys)},
            "system_metrics": {"status": "healthy", "database": "connected"},
            "user_context": {
                "company_id": company_id,
                "principal_type": principal.kind,
                "subject_id": principal.subject_id,
                "role": principal.role,
            },
            "user_management": {"total_users": users},
            "generated_at": iso(),
        }
