"""Companies, users, sessions and API keys."""

from typing import Any

from knowrithm_core.models.responses.common import Out, Pagination


class Company(Out):
    id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    logo: str | None = None
    address: dict[str, Any] | None = None
    is_active: bool | None = None
    is_verified: bool | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class CompanyCreated(Company):
    """The company fields at the top level, and again under ``company``."""

    company: Company | None = None
    message: str | None = None


class User(Out):
    id: str | None = None
    company_id: str | None = None
    email: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None  # admin | user
    status: str | None = None
    email_verified: bool | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Registered(Out):
    message: str | None = None
    user: User | None = None
    company_id: str | None = None


class TokenPair(Out):
    access_token: str | None = None
    refresh_token: str | None = None
    token_type: str | None = None
    expires_in: int | None = None


class Session(TokenPair):
    """Login, refresh and ``/auth/user/me``: tokens plus the user and company."""

    message: str | None = None
    user: User | None = None
    company: Company | None = None


class ValidatedUser(Out):
    id: str | None = None
    email: str | None = None
    name: str | None = None


class ValidatedCompany(Out):
    id: str | None = None
    name: str | None = None
    plan: str | None = None


class ApiKeyInfo(Out):
    id: str | None = None
    scopes: list[str] | None = None


class Validation(Out):
    valid: bool | None = None
    principal_type: str | None = None  # user | api_key | lead
    user: ValidatedUser | None = None
    company: ValidatedCompany | None = None
    api_key_info: ApiKeyInfo | None = None
    lead: dict[str, Any] | None = None


class ApiKeyDetails(Out):
    id: str | None = None
    company_id: str | None = None
    name: str | None = None
    key_prefix: str | None = None
    scopes: list[str] | None = None
    permissions: dict[str, Any] | None = None
    status: str | None = None  # active | inactive | revoked | expired
    rate_limit_per_hour: int | None = None
    rate_limit_per_day: int | None = None
    usage_count: int | None = None
    last_used_at: str | None = None
    expires_at: str | None = None
    created_by: str | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class ApiKeyCreated(Out):
    """The new key; ``api_secret`` is shown only once."""

    message: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    details: ApiKeyDetails | None = None


class ApiKeyList(Out):
    api_keys: list[ApiKeyDetails] | None = None
    pagination: Pagination | None = None


class ApiKeyRevoked(Out):
    message: str | None = None
    id: str | None = None


class LoggedOut(Out):
    """Every session of the user is revoked (its refresh and access tokens stop working)."""

    message: str | None = None
    status: str | None = None
