"""Knowrithm's API-key usage analytics: ``{success, data}`` envelopes."""

from knowrithm_core.models.responses.common import Out


class KeyCounts(Out):
    total: int | None = None
    active: int | None = None
    expired: int | None = None
    revoked: int | None = None


class UsageSummary(Out):
    total_requests: int | None = None
    success_rate: float | None = None
    avg_response_time_ms: float | None = None


class OverviewData(Out):
    period_days: int | None = None
    api_keys: KeyCounts | None = None
    usage: UsageSummary | None = None
    counted: str | None = None


class KeyOverview(Out):
    success: bool | None = None
    data: OverviewData | None = None


class Trend(Out):
    period: str | None = None
    total_requests: int | None = None
    success_rate: float | None = None
    avg_response_time: float | None = None


class TrendsData(Out):
    granularity: str | None = None
    period_days: int | None = None
    trends: list[Trend] | None = None


class UsageTrends(Out):
    success: bool | None = None
    data: TrendsData | None = None


class EndpointUse(Out):
    endpoint: str | None = None
    method: str | None = None
    total_requests: int | None = None
    success_rate: float | None = None
    avg_response_time: float | None = None


class EndpointsData(Out):
    period_days: int | None = None
    endpoints: list[EndpointUse] | None = None
    counted: str | None = None


class TopEndpoints(Out):
    success: bool | None = None
    data: EndpointsData | None = None


class KeyUse(Out):
    api_key_id: str | None = None
    name: str | None = None
    key_prefix: str | None = None
    status: str | None = None
    created_at: str | None = None
    last_used_at: str | None = None
    total_requests: int | None = None
    success_rate: float | None = None
    avg_response_time: float | None = None


class KeysData(Out):
    period_days: int | None = None
    api_keys: list[KeyUse] | None = None


class KeyPerformance(Out):
    success: bool | None = None
    data: KeysData | None = None


class KeyBrief(Out):
    id: str | None = None
    name: str | None = None
    key_prefix: str | None = None
    status: str | None = None
    scopes: list[str] | None = None


class DetailData(Out):
    period_days: int | None = None
    api_key: KeyBrief | None = None
    total_logs: int | None = None
    last_used_at: str | None = None
    endpoint_breakdown: list[EndpointUse] | None = None
    daily_breakdown: list[Trend] | None = None
    counted: str | None = None


class KeyDetail(Out):
    success: bool | None = None
    data: DetailData | None = None
