"""API-key usage analytics (``/overview``, ``/usage-trends``, ``/top-endpoints``, ``/api-key-performance``,
``/detailed-usage/{id}``): ``{success, data}`` envelopes; ``None`` where the server records nothing."""

from __future__ import annotations

from typing import TypedDict


class KeyCounts(TypedDict, total=False):
    total: int | None
    active: int | None
    expired: int | None
    revoked: int | None


class UsageSummary(TypedDict, total=False):
    total_requests: int | None
    success_rate: float | None
    avg_response_time_ms: float | None


class OverviewData(TypedDict, total=False):
    period_days: int | None
    api_keys: KeyCounts | None
    usage: UsageSummary | None
    counted: str | None


class KeyOverview(TypedDict, total=False):
    success: bool | None
    data: OverviewData | None


class Trend(TypedDict, total=False):
    period: str | None
    total_requests: int | None
    success_rate: float | None
    avg_response_time: float | None


class TrendsData(TypedDict, total=False):
    granularity: str | None
    period_days: int | None
    trends: list[Trend] | None


class UsageTrends(TypedDict, total=False):
    success: bool | None
    data: TrendsData | None


class EndpointUse(TypedDict, total=False):
    endpoint: str | None
    method: str | None
    total_requests: int | None
    success_rate: float | None
    avg_response_time: float | None


class EndpointsData(TypedDict, total=False):
    period_days: int | None
    endpoints: list[EndpointUse] | None
    counted: str | None


class TopEndpoints(TypedDict, total=False):
    success: bool | None
    data: EndpointsData | None


class KeyUse(TypedDict, total=False):
    api_key_id: str | None
    name: str | None
    key_prefix: str | None
    status: str | None
    created_at: str | None
    last_used_at: str | None
    total_requests: int | None
    success_rate: float | None
    avg_response_time: float | None


class KeysData(TypedDict, total=False):
    period_days: int | None
    api_keys: list[KeyUse] | None


class KeyPerformance(TypedDict, total=False):
    success: bool | None
    data: KeysData | None


class KeyBrief(TypedDict, total=False):
    id: str | None
    name: str | None
    key_prefix: str | None
    status: str | None
    scopes: list[str] | None


class DetailData(TypedDict, total=False):
    period_days: int | None
    api_key: KeyBrief | None
    total_logs: int | None
    last_used_at: str | None
    endpoint_breakdown: list[EndpointUse] | None
    daily_breakdown: list[Trend] | None
    counted: str | None


class KeyDetail(TypedDict, total=False):
    success: bool | None
    data: DetailData | None
