"""Analytics (``/analytic/*``) and the agent extras ``/agent/{id}/test`` and ``/clone``."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from knowrithm_py.models.agents import Agent, AgentSettings

ExportType = Literal["conversations", "leads", "agents", "usage"]
ExportFormat = Literal["json", "csv"]


class DateRange(TypedDict):
    """Inclusive UTC days the figures cover."""

    start_date: str
    end_date: str
    days: int


class CoreMetrics(TypedDict, total=False):
    document_count: int
    conversation_count: int
    lead_count: int
    connection_count: int
    total_users: int
    agent_count: int
    message_count: int
    scope: str


class DailyActivity(TypedDict, total=False):
    date: str
    conversations: int
    messages: int
    user_messages: int
    assistant_messages: int
    tokens: int
    unanswered: int
    leads: int
    agent_tests: int
    avg_response_time_seconds: float | None


class DashboardOverview(TypedDict, total=False):
    """``GET /analytic/dashboard``: company totals plus the last 30 days."""

    core_metrics: CoreMetrics
    agent_analytics: dict[str, Any]
    conversation_analytics: dict[str, Any]
    lead_analytics: dict[str, Any]
    document_analytics: dict[str, Any]
    database_analytics: dict[str, Any]
    activity_analytics: dict[str, Any]
    company_analytics: dict[str, Any]
    performance_analytics: dict[str, Any]
    security_analytics: dict[str, Any]
    system_metrics: dict[str, Any]
    user_context: dict[str, Any]
    user_management: dict[str, Any]
    generated_at: str


class MessageMetrics(TypedDict, total=False):
    total: int
    user: int
    assistant: int
    total_messages: int
    user_messages: int
    assistant_messages: int
    all_time_messages: int


class PerformanceMetrics(TypedDict, total=False):
    """Exact average; min, max and percentiles are bounds of a response-time histogram."""

    total_responses: int
    avg_response_time_seconds: float | None
    min_response_time_seconds: float | None
    max_response_time_seconds: float | None
    p50_response_time_seconds: float | None
    p95_response_time_seconds: float | None
    response_time_histogram: list[dict[str, Any]]
    min_max_precision: str


class CitedSource(TypedDict, total=False):
    document_id: str | None
    document_name: str
    citations: int


class AgentAnalytics(TypedDict, total=False):
    """``GET /analytic/agent/{id}``."""

    agent_info: dict[str, Any]
    date_range: DateRange
    conversation_metrics: dict[str, Any]
    message_metrics: MessageMetrics
    performance_metrics: PerformanceMetrics
    quality_metrics: dict[str, Any]
    token_usage: dict[str, Any]
    conversion_metrics: dict[str, Any]
    activity_trend: list[DailyActivity]
    top_sources: list[CitedSource]
    agent_tests: int
    generated_at: str


class ConversationAnalytics(TypedDict, total=False):
    """``GET /analytic/conversation/{id}``."""

    conversation_id: str
    conversation: dict[str, Any]
    message_analytics: dict[str, Any]
    message_roles: dict[str, int]
    conversation_status: dict[str, Any]
    activity_timeline: list[dict[str, Any]]
    lead_engagement: dict[str, Any]
    top_conversations: list[dict[str, Any]]
    generated_at: str


class ConsentAnalytics(TypedDict, total=False):
    """Of the leads created in the range; rates are percentages."""

    total_leads: int
    data_consent_count: int
    marketing_consent_count: int
    data_consent_rate: float
    marketing_consent_rate: float


class LeadAnalytics(TypedDict, total=False):
    """``GET /analytic/leads``: ``lead_status_distribution`` is current; the rest covers the range."""

    date_range: DateRange
    total_leads: int
    new_leads: int
    lead_status_distribution: dict[str, int]
    lead_sources: list[dict[str, Any]]
    daily_new_leads: list[dict[str, Any]]
    consent_analytics: ConsentAnalytics
    registration_channels: dict[str, int]
    generated_at: str


class ApiUsage(TypedDict, total=False):
    total_api_calls: int
    success_count: int
    error_count: int
    error_rate_percent: float
    avg_response_time_ms: float | None
    active_api_keys: int
    counted: str


class UsageMetrics(TypedDict, total=False):
    """``GET /analytic/usage``: counted write routes (see ``endpoint_usage``), tokens, storage."""

    date_range: DateRange
    api_usage: ApiUsage
    agent_usage: list[dict[str, Any]]
    token_usage: dict[str, int]
    storage_usage: dict[str, int]
    daily_usage_trend: list[dict[str, Any]]
    endpoint_usage: list[dict[str, Any]]
    top_client_ips: list[dict[str, Any]]
    generated_at: str


class ExportMetadata(TypedDict, total=False):
    company_id: str
    export_type: str
    format: str
    exported_at: str
    date_range: DateRange
    truncated: bool
    max_rows: int


class AnalyticsExport(TypedDict, total=False):
    """``POST /analytic/export`` as JSON: the rows are under the export type's key."""

    metadata: ExportMetadata
    count: int
    conversations: list[dict[str, Any]]
    leads: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    usage: list[dict[str, Any]]
    usage_logs: list[dict[str, Any]]


class LlmConfig(TypedDict, total=False):
    provider: str
    model: str
    temperature: float
    max_tokens: int


class AgentTestResult(TypedDict, total=False):
    """``POST /agent/{id}/test``: the answer (``response``/``content``), nothing stored."""

    success: bool
    message: str
    agent: dict[str, Any]
    query: str
    response: str
    content: str
    citations: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    llm_config: LlmConfig
    metadata: dict[str, Any]


class AgentCloned(TypedDict, total=False):
    """``POST /agent/{id}/clone``: the new, inactive agent."""

    success: bool
    message: str
    agent: Agent
    settings: AgentSettings | None
    clone_agent_id: str
    source_agent_id: str
