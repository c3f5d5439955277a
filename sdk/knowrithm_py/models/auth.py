"""Companies, users, sessions and API keys."""

from __future__ import annotations

from typing import Any, Required, TypedDict

from knowrithm_py.models.common import Pagination


class Company(TypedDict, total=False):
    id: str
    name: str
    email: str
    phone: str | None
    logo: str | None
    address: dict[str, Any]
    is_active: bool
    is_verified: bool
    version: int
    created_at: str
    updated_at: str


class CompanyCreateRequest(TypedDict, total=False):
    name: Required[str]
    email: Required[str]
    phone: str
    address: dict[str, Any]


class CompanyCreated(Company, total=False):
    """The company fields at the top level, and again under ``company``."""

    company: Company
    message: str


class User(TypedDict, total=False):
    id: str
    company_id: str
    email: str
    username: str
    first_name: str
    last_name: str
    role: str  # admin | user
    status: str
    email_verified: bool
    version: int
    created_at: str
    updated_at: str


class RegisterRequest(TypedDict):
    company_id: str
    email: str
    username: str
    password: str
    first_name: str
    last_name: str


class Registered(TypedDict, total=False):
    message: str
    user: User
    company_id: str


class TokenPair(TypedDict, total=False):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class Session(TokenPair, total=False):
    """Login, refresh and ``/auth/user/me``: tokens plus the user and company."""

    message: str
    user: User
    company: Company


class ValidatedUser(TypedDict, total=False):
    id: str
    email: str
    name: str


class ValidatedCompany(TypedDict, total=False):
    id: str
    name: str
    plan: str


class ApiKeyInfo(TypedDict, total=False):
    id: str
    scopes: list[str]


class Validation(TypedDict, total=False):
    valid: bool
    principal_type: str  # user | api_key | lead
    user: ValidatedUser | None
    company: ValidatedCompany
    api_key_info: ApiKeyInfo | None
    lead: dict[str, Any]


class ApiKeyCreateRequest(TypedDict, total=False):
    name: str
    scopes: list[str]  # read, write, update, delete, admin, full_access
    permissions: dict[str, Any]
    expires_in_days: int
    rate_limit_per_hour: int  # requests per UTC hour (default 1000; 0: no limit)
    rate_limit_per_day: int  # requests per UTC day (default 10000; 0: no limit)


class ApiKeyDetails(TypedDict, total=False):
    id: str
    company_id: str
    name: str
    key_prefix: str
    scopes: list[str]
    permissions: dict[str, Any]
    status: str  # active | inactive | revoked | expired
    rate_limit_per_hour: int
    rate_limit_per_day: int
    usage_count: int
    last_used_at: str | None
    expires_at: str | None
    created_by: str | None
    version: int
    created_at: str
    updated_at: str


class ApiKeyCreated(TypedDict, total=False):
    """The new key; ``api_secret`` is shown only once."""

    message: str
    api_key: str
    api_secret: str
    details: ApiKeyDetails


class ApiKeyList(TypedDict, total=False):
    api_keys: list[ApiKeyDetails]
    pagination: Pagination


class ApiKeyRevoked(TypedDict, total=False):
    message: str
    id: str


class LoggedOut(TypedDict, total=False):
    """``POST /auth/logout``: every session of the user is revoked."""

    message: str
    status: str
