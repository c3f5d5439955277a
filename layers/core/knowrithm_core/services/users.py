"""Users of a company: an admin adds one, a user reads and edits their own profile, an admin reads any user."""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import Forbidden, NotFound
from knowrithm_core.models.bodies.users import ProfileUpdate, UserAdd
from knowrithm_core.models.requests import UserRegister, parse
from knowrithm_core.models.resources import User
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
