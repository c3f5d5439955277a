"""Sealed sessions: a per-user token version, checked against a per-container account cache.

Every user JWT carries the user's ``token_version`` (claim ``tv``). Deleting or disabling the user, changing
the password and logging out bump the version, so every token issued before stops working. The check reads
the user and its company once per ``PRINCIPAL_CACHE_SECONDS`` per warm container (one BatchGetItem on a miss,
no call on a hit); the container that made the change forgets its entry at once, others within the window.
API keys go through the same check for their company and the user who created them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from knowrithm_core.errors import Unauthorized
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.accounts import UserRecord, UserRepository

CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class AccountState:
    """What an authenticated request needs to know about its user and company."""

    token_version: int
    user_active: bool
    company_active: bool


def user_is_active(user: UserRecord | None) -> bool:
    return user is not None and user.active


class AccountStates:
    """The account cache: ``(company_id, user_id) -> AccountState`` for ``seconds`` (0 turns it off)."""

    def __init__(self, table: Table, seconds: int) -> None:
        self._users = UserRepository(table)
        self._seconds = seconds
        self._entries: dict[tuple[str, str | None], tuple[float, AccountState]] = {}
        self._lock = threading.Lock()

    def get(self, company_id: str, user_id: str | None) -> AccountState:
        """The state, from the cache or one BatchGetItem of the user and company items."""
        key = (company_id, user_id)
        with self._lock:
            entry = self._entries.get(key)
            if entry and entry[0] > time.monotonic():
                return entry[1]
        company_active, user = self._users.account(company_id, user_id)
        state = AccountState(
            token_version=user.token_version if user else 0,
            user_active=user_is_active(user) if user_id else True,
            company_active=company_active,
        )
        if self._seconds > 0:
            with self._lock:
                if len(self._entries) >= CACHE_LIMIT:
                    self._entries.clear()
                self._entries[key] = (time.monotonic() + self._seconds, state)
        return state

    def forget(self, company_id: str, user_id: str | None = None) -> None:
        """Drop the user's entry (or, without ``user_id``, every entry of the company) in this container."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == company_id and (user_id is None or k[1] == user_id)]:
                del self._entries[key]

    def check_user_token(self, company_id: str, user_id: str, claimed_version: Any) -> None:
        """Raise 401 unless the user and company are active and the token carries the current version."""
        state = self.get(company_id, user_id)
        if not (state.user_active and state.company_active):
            raise Unauthorized("The user is disabled or no longer exists.")
        claimed = claimed_version if isinstance(claimed_version, int) else 0 if claimed_version is None else -1
        if claimed != state.token_version:
            raise Unauthorized("This session has been revoked; sign in again.")

    def check_api_key(self, company_id: str, creator_id: str | None) -> None:
        """Raise 401 if the key's company, or the user who created it, is gone or disabled."""
        state = self.get(company_id, creator_id)
        if not state.company_active:
            raise Unauthorized("The company of this API key is disabled or no longer exists.")
        if not state.user_active:
            raise Unauthorized("The user who created this API key is disabled or no longer exists.")
