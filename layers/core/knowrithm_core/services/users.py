"""Users of a company: an admin adds one, a user reads and edits their own profile, an admin reads any user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import Forbidden, NotFound
from knowrithm_core.models.bodies.users import ProfileUpdate, UserAdd
from knowrithm_core.models.requests import UserRegister, parse
from knowrithm_core.models.resources import User
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.auth import AuthService
from knowrithm_core.store.repositories.accounts import UserRepository
from knowrithm_core.store.table import TransactionConflict


class UserService:
    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self.users: UserRepository = auth.users

    def add(self, principal: Principal, body: Any) -> dict[str, Any]:
        """A new user of the caller's company (an admin's call); done at once, unlike Knowrithm's queued task."""
        principal.require("admin")
        request = parse(UserAdd, body)
        register = UserRegister(company_id=principal.company_id, **request.model_dump())
        created = self.auth.register_user(register, principal)
        return {"status": "completed", "message": "User created successfully.", **created}

    def _user(self, company_id: str, user_id: str) -> User:
        found = self.users.get(company_id, user_id)
        if not found or found.deleted:
            raise NotFound("User not found.")
        return found.user

    @staticmethod
    def _own(principal: Principal) -> None:
        if principal.kind != "user":
            raise Forbidden("A profile belongs to a signed-in user; API keys and lead tokens have none.")

    def profile(self, principal: Principal) -> dict[str, Any]:
        self._own(principal)
        return {"user": self._user(principal.company_id, principal.subject_id).public()}

    def update_profile(self, principal: Principal, body: Any) -> dict[str, Any]:
        """Change only the fields sent; the user's sessions stay valid."""
        self._own(principal)
        changes = parse(ProfileUpdate, body).model_dump(exclude_none=True)
        if changes:
            try:
                self.users.update_profile(principal.company_id, principal.subject_id, changes)
            except TransactionConflict as exc:
                raise NotFound("User not found.") from exc
        user = self._user(principal.company_id, principal.subject_id)
        return {"message": "Profile updated successfully.", "user": user.public()}

    def get(self, principal: Principal, user_id: str) -> dict[str, Any]:
        """Any user of the caller's company (admins), or the caller themself."""
        if not (principal.kind == "user" and principal.subject_id == user_id):
            principal.require("admin")
        user = self._user(principal.company_id, user_id)
        return {"success": True, "message": "User retrieved successfully.", "data": user.public()}

    def list(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        """``GET /admin/user``: the company's users oldest first (admins); ``status``, ``role`` and ``search``
        (email, username or name) filter the first ``SEARCH_SCAN_LIMIT``."""
        principal.require("admin")
        request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=20)
        status, role = (query.get("status") or "").strip().lower(), (query.get("role") or "").strip().lower()
        search = (query.get("search") or "").strip().lower()

        def matches(user: User) -> bool:
            text = f"{user.email} {user.username} {user.first_name} {user.last_name}".lower()
            return (not status or user.status == status) and (not role or user.role == role) and search in text

        company = self.auth.companies.record(principal.company_id)
        users, pagination = self.users.page(
            principal.company_id,
            request,
            total=company.user_count,
            cursor=(query.get("cursor") or "").strip() or None,
            matches=matches if (status or role or search) else None,
        )
        rows = [user.public() for user in users]
        filters = {"status": status or None, "role": role or None, "search": search or None}
        return {
            "success": True,
            "users": rows,
            "total": pagination["total"],
            "pagination": pagination,
            "filters_applied": filters,
        }
