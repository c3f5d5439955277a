"""Knowrithm's API-key usage analytics (``/overview``, ``/usage-trends``, ``/top-endpoints``,
``/api-key-performance``, ``/detailed-usage/{id}``), from what is counted already.

Requests are counted as the usage report counts them: the committed writes of the routes in
:data:`~knowrithm_core.services.analytics.metrics.COUNTED_ENDPOINTS`, per UTC day (one Query over the range);
a key's own count is its ``usage_count`` (authentications of the key: a warm container reuses a verified key
for ``API_KEY_CACHE_SECONDS``). Failed calls and per-request latency are not recorded, so ``success_rate`` and
per-endpoint response times are ``None``; ``avg_response_time_ms`` is the chat answers' average.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound, ValidationFailed
from knowrithm_core.ids import now
from knowrithm_core.services.analytics.base import AnalyticsBase
from knowrithm_core.services.analytics.metrics import COUNTED_ENDPOINTS, DateRange, expired, response_times, totals

COUNTED = (
    "committed writes of the routes in top-endpoints, per UTC day; failed calls and per-request latency "
    "are not recorded"
)


def _bounded(query: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = (query.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise ValidationFailed(f"{name} is a whole number from 1 to {high}.")
    return int(raw)


def _key_status(status: str, expires_at: str | None) -> str:
    return "expired" if status == "active" and expired(expires_at) else status


class KeyUsageMixin(AnalyticsBase):
    """API-key usage analytics."""

    def _span(self, principal: Principal, query: Mapping[str, str]) -> tuple[int, DateRange]:
        principal.require("read")
        days = _bounded(query, "days", 30, 365)
        today = now().date()
        return days, DateRange.parse((today - timedelta(days=days - 1)).isoformat(), today.isoformat())

    def key_overview(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        days, span = self._span(principal, query)
        keys = self.reads.api_keys(principal.company_id)
        statuses = [_key_status(k.status, k.expires_at) for k in keys]
        company_days = list(self._days(principal.company_id, span).company.values())
        counts = totals(company_days)
        average = response_times(company_days)["avg_response_time_seconds"]
        return {
            "success": True,
            "data": {
                "period_days": days,
                "api_keys": {
                    "total": len(keys),
                    "active": statuses.count("active"),
                    "expired": statuses.count("expired"),
                    "revoked": statuses.count("revoked"),
                },
                "usage": {
                    "total_requests": sum(counts[name] for _, _, name in COUNTED_ENDPOINTS),
                    "success_rate": None,
                    "avg_response_time_ms": round(average * 1000, 2) if average is not None else None,
                },
                "counted": COUNTED,
            },
        }

    def usage_trends(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        days, span = self._span(principal, query)
        granularity = (query.get("granularity") or "daily").strip().lower()
        if granularity != "daily":
            raise ValidationFailed("Only daily usage is kept: granularity is daily.")
        rows = self._usage_rows(span, self._days(principal.company_id, span))
        trends = [
            {
                "period": row["date"],
                "total_requests": row["api_calls"],
                "success_rate": None,
                "avg_response_time": row["avg_response_time_ms"],
            }
            for row in rows
        ]
        return {"success": True, "data": {"granularity": "daily", "period_days": days, "trends": trends}}

    def top_endpoints(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        days, span = self._span(principal, query)
        limit = _bounded(query, "limit", 10, 100)
        counts = totals(self._days(principal.company_id, span).company.values())
        endpoints = [
            {
                "endpoint": path,
                "method": method,
                "total_requests": counts[name],
                "success_rate": None,
                "avg_response_time": None,
            }
            for method, path, name in COUNTED_ENDPOINTS
        ]
        endpoints.sort(key=lambda e: (-int(e["total_requests"] or 0), str(e["endpoint"])))
        return {"success": True, "data": {"period_days": days, "endpoints": endpoints[:limit], "counted": COUNTED}}

    def key_performance(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        days, _ = self._span(principal, query)
        limit = _bounded(query, "limit", 20, 100)
        keys = sorted(self.reads.api_keys(principal.company_id), key=lambda k: (-k.usage_count, k.created_at))
        rows = [
            {
                "api_key_id": k.id,
                "name": k.name,
                "key_prefix": k.key_prefix,
                "status": _key_status(k.status, k.expires_at),
                "created_at": k.created_at,
                "last_used_at": k.last_used_at,
                "total_requests": k.usage_count,
                "success_rate": None,
                "avg_response_time": None,
            }
            for k in keys[:limit]
        ]
        return {"success": True, "data": {"period_days": days, "api_keys": rows}}

    def key_detail(self, principal: Principal, key_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        days, _ = self._span(principal, query)
        found = next((k for k in self.reads.api_keys(principal.company_id) if k.id == key_id), None)
        if found is None:
            raise NotFound("API key not found or access denied.")
        return {
            "success": True,
            "data": {
                "period_days": days,
                "api_key": {
                    "id": found.id,
                    "name": found.name,
                    "key_prefix": found.key_prefix,
                    "status": _key_status(found.status, found.expires_at),
                    "scopes": list(found.scopes),
                },
                "total_logs": found.usage_count,
                "last_used_at": found.last_used_at,
                "endpoint_breakdown": [],
                "daily_breakdown": [],
                "counted": "the key's authentications; per-key requests by endpoint or day are not recorded",
            },
        }
