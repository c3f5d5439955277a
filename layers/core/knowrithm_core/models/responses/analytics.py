"""Analytics (``/analytic/*``) and the agent extras ``/agent/{id}/test`` and ``/clone``."""

from typing import Any, Literal

from knowrithm_core.models.responses.agents import Agent, AgentSettings
from knowrithm_core.models.responses.common import Out

ExportType = Literal["conversations", "leads", "agents", "usage"]
ExportFormat = Literal["json", "csv"]


class DateRange(Out):
    """Inclusive UTC days the figures cover."""

    start_date: str
    end_date: str
    days: int


class CoreMetrics(Out):
    document_count: int | None = None
    conversation_count: int | None = None
    lead_count: int | None = None
    connection_count: int | None = None
    total_users: int | None = None
    agent_count: int | None = None
    message_count: int | None = None
    scope: str | None = None


class DailyActivity(Out):
    date: str | None = None
    conversations: int | None = None
    messages: int | None = None
    user_messages: int | None = None
    assistant_messages: int | None = None
    tokens: int | None = None
    unanswered: int | None = None
    leads: int | None = None
    agent_tests: int | None = None
    avg_response_time_seconds: float | None = None


class DashboardOverview(Out):
    """``GET /analytic/dashboard``: company totals plus the last 30 days."""

    core_metrics: CoreMetrics | None = None
    agent_analytics: dict[str, Any] | None = None
    conversation_analytics: dict[str, Any] | None = None
    lead_analytics: dict[str, Any] | None = None
    document_analytics: dict[str, Any] | None = None
    database_analytics: dict[str, Any] | None = None
    activity_analytics: dict[str, Any] | None = None
    company_analytics: dict[str, Any] | None = None
    performance_analytics: dict[str, Any] | None = None
    security_analytics: dict[str, Any] | None = None
    system_metrics: dict[str, Any] | None = None
    user_context: dict[str, Any] | None = None
    user_management: dict[str, Any] | None = None
    generated_at: str | None = None


class MessageMetrics(Out):
    total: int | None = None
    user: int | None = None
    assistant: int | None = None
    total_messages: int | None = None
    user_messages: int | None = None
    assistant_messages: int | None = None
    all_time_messages: int | None = None


class PerformanceMetrics(Out):
    """Exact average; min, max and percentiles are bounds of a response-time histogram."""

    total_responses: int | None = None
    avg_response_time_seconds: float | None = None
    min_response_time_seconds: float | None = None
    max_response_time_seconds: float | None = None
    p50_response_time_seconds: float | None = None
    p95_response_time_seconds: float | None = None
    response_time_histogram: list[dict[str, Any]] | None = None
    min_max_precision: str | None = None


class CitedSource(Out):
    document_id: str | None = None
    document_name: str | None = None
    citations: int | None = None


class AgentAnalytics(Out):
    """``GET /analytic/agent/{id}``."""

    agent_info: dict[str, Any] | None = None
    date_range: DateRange | None = None
    conversation_metrics: dict[str, Any] | None = None
    message_metrics: MessageMetrics | None = None
    performance_metrics: PerformanceMetrics | None = None
    quality_metrics: dict[str, Any] | None = None
    token_usage: dict[str, Any] | None = None
    conversion_metrics: dict[str, Any] | None = None
    activity_trend: list[DailyActivity] | None = None
    top_sources: list[CitedSource] | None = None
    agent_tests: int | None = None
    generated_at: str | None = None


class ConversationAnalytics(Out):
    """``GET /analytic/conversation/{id}``."""

    conversation_id: str | None = None
    conversation: dict[str, Any] | None = None
    message_analytics: dict[str, Any] | None = None
    message_roles: dict[str, int] | None = None
    conversation_status: dict[str, Any] | None = None
    activity_timeline: list[dict[str, Any]] | None = None
    lead_engagement: dict[str, Any] | None = None
    top_conversations: list[dict[str, Any]] | None = None
    generated_at: str | None = None


class ConsentAnalytics(Out):
    """Of the leads created in the range; rates are percentages."""

    total_leads: int | None = None
    data_consent_count: int | None = None
    marketing_consent_count: int | None = None
    data_consent_rate: float | None = None
    marketing_consent_rate: float | None = None


class LeadAnalytics(Out):
    """``GET /analytic/leads``: ``lead_status_distribution`` is current; the rest covers the range."""

    date_range: DateRange | None = None
    total_leads: int | None = None
    new_leads: int | None = None
    lead_status_distribution: dict[str, int] | None = None
    lead_sources: list[dict[str, Any]] | None = None
    daily_new_leads: list[dict[str, Any]] | None = None
    consent_analytics: ConsentAnalytics | None = None
    registration_channels: dict[str, int] | None = None
    generated_at: str | None = None


class ApiUsage(Out):
    total_api_calls: int | None = None
    success_count: int | None = None
    error_count: int | None = None
    error_rate_percent: float | None = None
    avg_response_time_ms: float | None = None
    active_api_keys: int | None = None
    counted: str | None = None


class UsageMetrics(Out):
    """``GET /analytic/usage``: counted write routes (see ``endpoint_usage``), tokens, storage."""

    date_range: DateRange | None = None
    api_usage: ApiUsage | None = None
    agent_usage: list[dict[str, Any]] | None = None
    token_usage: dict[str, int] | None = None
    storage_usage: dict[str, int] | None = None
    daily_usage_trend: list[dict[str, Any]] | None = None
    endpoint_usage: list[dict[str, Any]] | None = None
    top_client_ips: list[dict[str, Any]] | None = None
    generated_at: str | None = None


class ExportMetadata(Out):
    company_id: str | None = None
    export_type: str | None = None
    format: str | None = None
    exported_at: str | None = None
    date_range: DateRange | None = None
    truncated: bool | None = None
    max_rows: int | None = None


class AnalyticsExport(Out):
    """``POST /analytic/export`` as JSON: the rows are under the export type's key."""

    metadata: ExportMetadata | None = None
    count: int | None = None
    conversations: list[dict[str, Any]] | None = None
    leads: list[dict[str, Any]] | None = None
    agents: list[dict[str, Any]] | None = None
    usage: list[dict[str, Any]] | None = None
    usage_logs: list[dict[str, Any]] | None = None


class LlmConfig(Out):
    provider: str | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None


class AgentTestResult(Out):
    """``POST /agent/{id}/test``: the answer (``response``/``content``), nothing stored."""

    success: bool | None = None
    message: str | None = None
    agent: dict[str, Any] | None = None
    query: str | None = None
    response: str | None = None
    content: str | None = None
    citations: list[dict[str, Any]] | None = None
    sources: list[dict[str, Any]] | None = None
    llm_config: LlmConfig | None = None
    metadata: dict[str, Any] | None = None


class AgentCloned(Out):
    """``POST /agent/{id}/clone``: the new, inactive agent."""

    success: bool | None = None
    message: str | None = None
    agent: Agent | None = None
    settings: AgentSettings | None = None
    clone_agent_id: str | None = None
    source_agent_id: str | None = None
