"""Users and sessions (``/auth``), API keys (``/auth/api-keys``) and companies (``/company``)."""

from __future__ import annotations

from typing import cast
from urllib.parse import quote

from knowrithm_py.models.auth import (
    ApiKeyCreated,
    ApiKeyCreateRequest,
    ApiKeyList,
    ApiKeyRevoked,
    Company,
    CompanyCreated,
    CompanyCreateRequest,
    LoggedOut,
    Registered,
    RegisterRequest,
    Session,
    Validation,
)
from knowrithm_py.models.key_usage import KeyDetail, KeyOverview, KeyPerformance, TopEndpoints, UsageTrends
from knowrithm_py.models.users import (
    CompanyStatistics,
    CompanyUpdated,
    CompanyUpdateRequest,
    UserAdded,
    UserCreateRequest,
)
from knowrithm_py.services._base import Headers, Service, page_params


class AuthService(Service):
    def register(self, payload: RegisterRequest, *, headers: Headers = None) -> Registered:
        """``POST /auth/register``: the company's first user becomes its admin; later ones need an admin's token."""
        return cast(Registered, self._core.call("POST", "/auth/register", json=dict(payload), headers=headers))

    register_admin = register  # the official client's name

    def login(self, email: str, password: str, *, headers: Headers = None) -> Session:
        """``POST /auth/login``: access and refresh tokens plus the user and company."""
        body = {"email": email, "password": password}
        return cast(Session, self._core.call("POST", "/auth/login", json=body, headers=headers))

    def refresh_access_token(self, refresh_token: str, *, headers: Headers = None) -> Session:
        """``POST /auth/refresh`` with the refresh token as the Bearer: new tokens."""
        merged = {**(headers or {}), "Authorization": f"Bearer {refresh_token}"}
        return cast(Session, self._core.call("POST", "/auth/refresh", headers=merged))

    def get_current_user(self, *, headers: Headers = None) -> Session:
        """``GET /auth/user/me``: needs a user access token (the client's ``bearer_token`` or ``headers``)."""
        return cast(Session, self._core.call("GET", "/auth/user/me", headers=headers))

    def logout(self, *, headers: Headers = None) -> LoggedOut:
        """``POST /auth/logout``: revoke every session of the signed-in user (its tokens stop working at once)."""
        return cast(LoggedOut, self._core.call("POST", "/auth/logout", headers=headers))

    def validate_credentials(self, *, headers: Headers = None) -> Validation:
        """``GET /auth/validate``: who the credentials belong to."""
        return cast(Validation, self._core.call("GET", "/auth/validate", headers=headers))

    def create_user(self, payload: UserCreateRequest, *, headers: Headers = None) -> UserAdded:
        """``POST /auth/user`` (admins): a new user of the caller's company."""
        return cast(UserAdded, self._core.call("POST", "/auth/user", json=dict(payload), headers=headers))


class ApiKeyService(Service):
    """API keys; every route needs an admin (a user access token, or a key with the ``admin`` scope)."""

    def create_api_key(self, payload: ApiKeyCreateRequest | None = None, *, headers: Headers = None) -> ApiKeyCreated:
        """``POST /auth/api-keys``: the secret is in the answer only this once."""
        body = dict(payload or {})
        return cast(ApiKeyCreated, self._core.call("POST", "/auth/api-keys", json=body, headers=headers))

    def list_api_keys(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> ApiKeyList:
        """``GET /auth/api-keys``: oldest first, 100 per page unless ``per_page``; ``cursor`` is the previous
        page's ``pagination["next_cursor"]``."""
        params = page_params(page, per_page, cursor=cursor)
        return cast(ApiKeyList, self._core.call("GET", "/auth/api-keys", params=params, headers=headers))

    def delete_api_key(self, api_key_id: str, *, headers: Headers = None) -> ApiKeyRevoked:
        """``DELETE /auth/api-keys/{id}``: revokes the key (404 if unknown or already revoked)."""
        path = f"/auth/api-keys/{quote(api_key_id, safe='')}"
        return cast(ApiKeyRevoked, self._core.call("DELETE", path, headers=headers))

    def validate_credentials(self, *, headers: Headers = None) -> Validation:
        """``GET /auth/validate`` (also on :class:`AuthService`)."""
        return cast(Validation, self._core.call("GET", "/auth/validate", headers=headers))

    # --- usage analytics (counted as the server's usage report counts; see its docs) ---------------------
    def get_api_key_overview(self, *, days: int | None = None, headers: Headers = None) -> KeyOverview:
        """``GET /overview``: keys by status and the requests counted over the last ``days`` (default 30)."""
        return cast(KeyOverview, self._core.call("GET", "/overview", params=_days(days), headers=headers))

    def get_usage_trends(
        self, *, days: int | None = None, granularity: str | None = None, headers: Headers = None
    ) -> UsageTrends:
        """``GET /usage-trends``: requests per day (``granularity`` daily is the only one kept)."""
        params = {**_days(days), **({"granularity": granularity} if granularity else {})}
        return cast(UsageTrends, self._core.call("GET", "/usage-trends", params=params, headers=headers))

    def get_top_endpoints(
        self, *, days: int | None = None, limit: int | None = None, headers: Headers = None
    ) -> TopEndpoints:
        """``GET /top-endpoints``: the counted routes, most used first."""
        params = {**_days(days), **({"limit": limit} if limit else {})}
        return cast(TopEndpoints, self._core.call("GET", "/top-endpoints", params=params, headers=headers))

    def get_api_key_performance(
        self, *, days: int | None = None, limit: int | None = None, headers: Headers = None
    ) -> KeyPerformance:
        """``GET /api-key-performance``: each key's use, most used first."""
        params = {**_days(days), **({"limit": limit} if limit else {})}
        return cast(KeyPerformance, self._core.call("GET", "/api-key-performance", params=params, headers=headers))

    def get_detailed_usage(self, api_key_id: str, *, days: int | None = None, headers: Headers = None) -> KeyDetail:
        """``GET /detailed-usage/{id}``: one key's details and use."""
        path = f"/detailed-usage/{quote(api_key_id, safe='')}"
        return cast(KeyDetail, self._core.call("GET", path, params=_days(days), headers=headers))


def _days(days: int | None) -> dict[str, int]:
    return {"days": days} if days is not None else {}


class CompanyService(Service):
    def create_company(self, payload: CompanyCreateRequest, *, headers: Headers = None) -> CompanyCreated:
        """``POST /company`` (public sign-up): the company at the top level and under ``company``."""
        return cast(CompanyCreated, self._core.call("POST", "/company", json=dict(payload), headers=headers))

    def get_company(self, *, headers: Headers = None) -> Company:
        """``GET /company``: the caller's company."""
        return cast(Company, self._core.call("GET", "/company", headers=headers))

    def update_company(
        self, company_id: str, payload: CompanyUpdateRequest, *, headers: Headers = None
    ) -> CompanyUpdated:
        """``PUT /company/{id}`` (admins, their own company): only the fields sent change."""
        path = f"/company/{quote(company_id, safe='')}"
        return cast(CompanyUpdated, self._core.call("PUT", path, json=dict(payload), headers=headers))

    def patch_company(
        self, company_id: str, payload: CompanyUpdateRequest, *, headers: Headers = None
    ) -> CompanyUpdated:
        """``PATCH /company/{id}``: the same as :meth:`update_company`."""
        path = f"/company/{quote(company_id, safe='')}"
        return cast(CompanyUpdated, self._core.call("PATCH", path, json=dict(payload), headers=headers))

    def get_company_statistics(
        self, company_id: str | None = None, *, days: int | None = None, headers: Headers = None
    ) -> CompanyStatistics:
        """``GET /company/statistics`` (or ``/company/{id}/statistics``): leads of the last ``days`` (default 30),
        qualified and converted leads, the conversion rate, live conversations."""
        path = f"/company/{quote(company_id, safe='')}/statistics" if company_id else "/company/statistics"
        params = {"days": days} if days is not None else None
        return cast(CompanyStatistics, self._core.call("GET", path, params=params, headers=headers))
