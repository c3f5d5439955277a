"""A user's profile, an admin's view of a user, a company's lead statistics."""

from typing import Any

from knowrithm_core.models.responses.auth import Company, User
from knowrithm_core.models.responses.common import Out, Pagination


class Profile(User):
    language: str | None = None
    timezone: str | None = None
    preferences: dict[str, Any] | None = None


class ProfileEnvelope(Out):
    """``GET``/``PUT /user/profile``."""

    message: str | None = None
    user: Profile | None = None


class UserEnvelope(Out):
    """``GET /user/{id}``."""

    success: bool | None = None
    message: str | None = None
    data: Profile | None = None


class UserFilters(Out):
    status: str | None = None
    role: str | None = None
    search: str | None = None


class UserList(Out):
    """``GET /admin/user``."""

    success: bool | None = None
    users: list[Profile] | None = None
    total: int | None = None
    pagination: Pagination | None = None
    filters_applied: UserFilters | None = None


class UserAdded(Out):
    """``POST /auth/user``: done at once (``status`` completed), the new user included."""

    status: str | None = None
    message: str | None = None
    user: Profile | None = None
    company_id: str | None = None


class CompanyUpdated(Company):
    """The company fields at the top level, and again under ``company``."""

    status: str | None = None
    message: str | None = None
    company: Company | None = None


class LeadStatistics(Out):
    total_leads: int | None = None
    qualified_leads: int | None = None
    converted_leads: int | None = None
    conversion_rate: float | None = None
    active_conversations: int | None = None
    period_days: int | None = None


class CompanyStatistics(Out):
    success: bool | None = None
    company_id: str | None = None
    statistics: LeadStatistics | None = None
