"""Users and profiles, company updates and statistics, and the other routes Knowrithm users hit first."""

from __future__ import annotations

from typing import Any, Required, TypedDict

from knowrithm_py.models.analytics import DateRange
from knowrithm_py.models.auth import Company, User
from knowrithm_py.models.common import Pagination


class Profile(User, total=False):
    language: str
    timezone: str
    preferences: dict[str, Any]


class UserCreateRequest(TypedDict):
    email: str
    username: str
    password: str
    first_name: str
    last_name: str


class UserFilters(TypedDict, total=False):
    status: str | None
    role: str | None
    search: str | None


class UserList(TypedDict, total=False):
    success: bool
    users: list[Profile]
    total: int
    pagination: Pagination
    filters_applied: UserFilters


class UserAdded(TypedDict, total=False):
    status: str
    message: str
    user: Profile
    company_id: str


class ProfileUpdateRequest(TypedDict, total=False):
    first_name: str
    last_name: str
    language: str
    timezone: str
    preferences: dict[str, Any]


class ProfileEnvelope(TypedDict, total=False):
    message: str
    user: Profile


class UserEnvelope(TypedDict, total=False):
    success: bool
    message: str
    data: Profile


class CompanyUpdateRequest(TypedDict, total=False):
    name: str
    phone: str
    logo: str
    address: dict[str, Any]


class CompanyUpdated(Company, total=False):
    status: str
    message: str
    company: Company


class LeadStatistics(TypedDict, total=False):
    total_leads: int
    qualified_leads: int
    converted_leads: int
    conversion_rate: float
    active_conversations: int
    period_days: int


class CompanyStatistics(TypedDict, total=False):
    success: bool
    company_id: str
    statistics: LeadStatistics


class ComponentCheck(TypedDict, total=False):
    provider: str
    model: str
    available: bool


class SettingsTested(TypedDict, total=False):
    status: str
    success: bool
    message: str
    settings_id: str
    llm: ComponentCheck
    embedding: ComponentCheck


class ProvidersSeeded(TypedDict, total=False):
    status: str
    message: str
    providers: int
    models: int


class Comparison(TypedDict, total=False):
    agent_value: float
    company_average: float
    performance_vs_average_percent: float


class PerformanceComparison(TypedDict, total=False):
    conversations: Comparison
    total_messages: Comparison
    satisfaction_rating: Comparison
    response_time: Comparison
    conversions: Comparison


class AgentInfo(TypedDict, total=False):
    id: Required[str]
    name: str
    status: str


class AgentComparison(TypedDict, total=False):
    agent_info: AgentInfo
    date_range: DateRange
    performance_comparison: PerformanceComparison
    agents_compared: int
