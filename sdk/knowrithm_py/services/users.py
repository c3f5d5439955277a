"""A user's profile and an admin's view of a user (``/user``), as the official client's ``users`` service."""

from __future__ import annotations

from typing import cast
from urllib.parse import quote

from knowrithm_py.models.users import ProfileEnvelope, ProfileUpdateRequest, UserEnvelope, UserList
from knowrithm_py.services._base import Headers, Service, page_params


class UserService(Service):
    def get_profile(self, *, headers: Headers = None) -> ProfileEnvelope:
        """``GET /user/profile``: the signed-in user (a user access token; API keys have no profile)."""
        return cast(ProfileEnvelope, self._core.call("GET", "/user/profile", headers=headers))

    def update_profile(self, payload: ProfileUpdateRequest, *, headers: Headers = None) -> ProfileEnvelope:
        """``PUT /user/profile``: only the fields sent change."""
        return cast(ProfileEnvelope, self._core.call("PUT", "/user/profile", json=dict(payload), headers=headers))

    def get_user(self, user_id: str, *, headers: Headers = None) -> UserEnvelope:
        """``GET /user/{id}``: a user of the caller's company (admins; anyone may read themself)."""
        return cast(UserEnvelope, self._core.call("GET", f"/user/{quote(user_id, safe='')}", headers=headers))

    def list_users(
        self,
        *,
        status: str | None = None,
        role: str | None = None,
        search: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> UserList:
        """``GET /admin/user`` (admins): the company's users, oldest first."""
        params = page_params(page, per_page, status=status, role=role, search=search, cursor=cursor)
        return cast(UserList, self._core.call("GET", "/admin/user", params=params, headers=headers))

    def admin_get_user(self, user_id: str, *, headers: Headers = None) -> UserEnvelope:
        """``GET /admin/user/{id}`` (admins)."""
        return cast(UserEnvelope, self._core.call("GET", f"/admin/user/{quote(user_id, safe='')}", headers=headers))
