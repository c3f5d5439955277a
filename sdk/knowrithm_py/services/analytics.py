"""Analytics (``/analytic/*``): dashboard, agent, conversation, leads, usage, export.

Method names and arguments follow the official client's ``AnalyticsService``. Dates may be
``YYYY-MM-DD`` strings, ISO-8601 timestamps, ``date`` or ``datetime`` objects.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast
from urllib.parse import quote

from knowrithm_py.models.analytics import (
    AgentAnalytics,
    AnalyticsExport,
    ConversationAnalytics,
    DashboardOverview,
    ExportFormat,
    ExportType,
    LeadAnalytics,
    UsageMetrics,
)
from knowrithm_py.models.users import AgentComparison
from knowrithm_py.services._base import Headers, Service

DateLike = str | date | datetime | None


def _day(value: DateLike) -> str | None:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _dates(start_date: DateLike, end_date: DateLike, **extra: Any) -> dict[str, Any]:
    params = {"start_date": _day(start_date), "end_date": _day(end_date), **extra}
    return {key: value for key, value in params.items() if value is not None}


class AnalyticsService(Service):
    def get_dashboard_overview(self, *, company_id: str | None = None, headers: Headers = None) -> DashboardOverview:
        """``GET /analytic/dashboard``: company totals and the last 30 days (``company_id`` is for super admins
        of the original service; this server always answers for the caller's company)."""
        params = {"company_id": company_id} if company_id else None
        return cast(DashboardOverview, self._core.call("GET", "/analytic/dashboard", params=params, headers=headers))

    def get_agent_analytics(
        self, agent_id: str, *, start_date: DateLike = None, end_date: DateLike = None, headers: Headers = None
    ) -> AgentAnalytics:
        """``GET /analytic/agent/{id}``: conversations, messages, response times, quality, conversions, trend."""
        path = f"/analytic/agent/{quote(agent_id, safe='')}"
        params = _dates(start_date, end_date)
        return cast(AgentAnalytics, self._core.call("GET", path, params=params or None, headers=headers))

    def get_agent_performance_comparison(
        self, agent_id: str, *, start_date: DateLike = None, end_date: DateLike = None, headers: Headers = None
    ) -> AgentComparison:
        """``GET /analytic/agent/{id}/performance-comparison``: the agent against the company's per-agent average."""
        path = f"/analytic/agent/{quote(agent_id, safe='')}/performance-comparison"
        params = _dates(start_date, end_date)
        return cast(AgentComparison, self._core.call("GET", path, params=params or None, headers=headers))

    def get_conversation_analytics(self, conversation_id: str, *, headers: Headers = None) -> ConversationAnalytics:
        """``GET /analytic/conversation/{id}``: messages by role, tokens, response times, timeline."""
        path = f"/analytic/conversation/{quote(conversation_id, safe='')}"
        return cast(ConversationAnalytics, self._core.call("GET", path, headers=headers))

    def get_lead_analytics(
        self,
        *,
        start_date: DateLike = None,
        end_date: DateLike = None,
        company_id: str | None = None,
        headers: Headers = None,
    ) -> LeadAnalytics:
        """``GET /analytic/leads``: status distribution, sources, daily new leads, consent rates."""
        params = _dates(start_date, end_date, company_id=company_id)
        return cast(LeadAnalytics, self._core.call("GET", "/analytic/leads", params=params or None, headers=headers))

    def get_usage_metrics(
        self, *, start_date: DateLike = None, end_date: DateLike = None, headers: Headers = None
    ) -> UsageMetrics:
        """``GET /analytic/usage``: counted API writes, tokens, storage, per agent and per day."""
        params = _dates(start_date, end_date)
        return cast(UsageMetrics, self._core.call("GET", "/analytic/usage", params=params or None, headers=headers))

    def export_analytics(
        self,
        export_type: ExportType,
        export_format: ExportFormat = "json",
        *,
        start_date: DateLike = None,
        end_date: DateLike = None,
        headers: Headers = None,
    ) -> AnalyticsExport | str:
        """``POST /analytic/export``: a dict for ``"json"``; the CSV text (header row first) for ``"csv"``."""
        body = _dates(start_date, end_date, type=export_type, format=export_format)
        result = self._core.call("POST", "/analytic/export", json=body, headers=headers)
        return result if isinstance(result, str) else cast(AnalyticsExport, result)

    def export_csv(
        self,
        export_type: ExportType,
        *,
        start_date: DateLike = None,
        end_date: DateLike = None,
        headers: Headers = None,
    ) -> str:
        """:meth:`export_analytics` as CSV, typed as ``str``."""
        result = self.export_analytics(export_type, "csv", start_date=start_date, end_date=end_date, headers=headers)
        if not isinstance(result, str):
            raise TypeError("The server answered the CSV export with JSON.")
        return result
