"""Account changes that end sessions: logout, disabling or deleting a user, a new password, a disabled company.

Each bumps the user's token version (see :mod:`knowrithm_core.auth.sessions`) in the same write as the change,
and forgets the account in this container's cache; other warm containers notice within the cache window.
"""

from __future__ import annotations

from collections.abc import Callable

from knowrithm_core.auth.credentials import hash_password, password_matches
from knowrithm_core.auth.principal import Principal
from knowrithm_core.auth.sessions import AccountStates
from knowrithm_core.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.accounts import CompanyRepository, UserRepository
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork

USER_STATUSES = frozenset({"active", "disabled"})
MIN_PASSWORD_LENGTH = 8


class Accounts:
    """The writes that revoke a user's tokens."""

    def __init__(
        self, table: Table, states: AccountStates, forget_keys: Callable[[str], None] = lambda _: None
    ) -> None:
        self.table = table
        self.companies = CompanyRepository(table)
        self.users = UserRepository(table)
        self.states = states
        self.forget_keys = forget_keys  # drops the company's verified API keys from this container's key cache

    def _forget(self, company_id: str, user_id: str | None = None) -> None:
        self.states.forget(company_id, user_id)
        self.forget_keys(company_id)

    def _bump(
        self, company_id: str, user_id: str, *, status: str | None = None, password_hash: str | None = None
    ) -> None:
        try:
            self.users.revoke_tokens(company_id, user_id, status=status, password_hash=password_hash)
        except TransactionConflict as exc:
            raise NotFound("User not found.") from exc
        self._forget(company_id, user_id)

    def logout(self, principal: Principal) -> dict[str, str]:
        """End every session of the signed-in user (access and refresh tokens alike)."""
        if principal.kind != "user":
            raise Forbidden("Only a signed-in user can log out; revoke an API key instead.")
        self._bump(principal.company_id, principal.subject_id)
        return {"message": "Logged out. Every session of this user has been revoked.", "status": "completed"}

    def set_user_status(self, company_id: str, user_id: str, status: str) -> None:
        """Disable (or re-enable) a user; disabling revokes its tokens and its API keys' access."""
        if status not in USER_STATUSES:
            raise ValidationFailed(f"A user status is one of {sorted(USER_STATUSES)}.")
        self._bump(company_id, user_id, status=status)

    def delete_user(self, company_id: str, user_id: str) -> None:
        """Delete a user: its item goes, with the unique-email claim; its tokens and API keys stop working."""
        found = self.users.get(company_id, user_id)
        if not found:
            raise NotFound("User not found.")
        uow = UnitOfWork(self.table)
        self.users.delete(uow, company_id, user_id, found.user.email)
        self.companies.uncount_user(uow, company_id)
        uow.commit()
        self._forget(company_id, user_id)

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        """A new password for the signed-in user; every earlier token stops working (sign in again)."""
        if principal.kind != "user":
            raise Forbidden("Only a signed-in user can change a password.")
        if len(new) < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
        found = self.users.get(principal.company_id, principal.subject_id)
        if not password_matches(current, found.password_hash if found else ""):
            raise Unauthorized("The current password is wrong.")
        self._bump(principal.company_id, principal.subject_id, password_hash=hash_password(new))

    def set_company_active(self, company_id: str, active: bool) -> None:
        """Disable (or re-enable) a company: its users' tokens and its API keys stop (or resume) working."""
        try:
            self.companies.set_active(company_id, active)
        except TransactionConflict as exc:
            raise NotFound("Company not found.") from exc
        self._forget(company_id)
