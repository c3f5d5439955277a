"""Knowrithm's settings test, provider seed and agent performance comparison."""

from knowrithm_core.models.responses.analytics import DateRange
from knowrithm_core.models.responses.common import Out


class ComponentCheck(Out):
    provider: str | None = None
    model: str | None = None
    available: bool | None = None


class SettingsTested(Out):
    """``POST /settings/test/{id}``: done at once (``status`` completed)."""

    status: str | None = None
    success: bool | None = None
    message: str | None = None
    settings_id: str | None = None
    llm: ComponentCheck | None = None
    embedding: ComponentCheck | None = None


class ProvidersSeeded(Out):
    """``POST /settings/providers/seed``: the catalogue is built in, so seeding only reports it."""

    status: str | None = None
    message: str | None = None
    providers: int | None = None
    models: int | None = None


class Comparison(Out):
    agent_value: float | None = None
    company_average: float | None = None
    performance_vs_average_percent: float | None = None


class PerformanceComparison(Out):
    conversations: Comparison | None = None
    total_messages: Comparison | None = None
    satisfaction_rating: Comparison | None = None
    response_time: Comparison | None = None
    conversions: Comparison | None = None


class AgentInfo(Out):
    id: str | None = None
    name: str | None = None
    status: str | None = None


class AgentComparison(Out):
    """``GET /analytic/agent/{id}/performance-comparison``."""

    agent_info: AgentInfo | None = None
    date_range: DateRange | None = None
    performance_comparison: PerformanceComparison | None = None
    agents_compared: int | None = None
