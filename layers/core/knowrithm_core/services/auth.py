"""Users, logins, tokens and API keys; turning request credentials into a :class:`Principal`."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from knowrithm_core.auth.credentials import (
    dummy_password_hash,
    hash_password,
    hash_secret,
    new_api_key,
    password_matches,
    secret_matches,
)
from knowrithm_core.auth.principal import ROLE_SCOPES, Principal
from knowrithm_core.auth.quotas import Usage
from knowrithm_core.auth.sessions import AccountStates, user_is_active
from knowrithm_core.auth.tokens import TokenIssuer
from knowrithm_core.config import Settings
from knowrithm_core.errors import Conflict, Forbidden, NotFound, Unauthorized
from knowrithm_core.ids import iso, new_id, now
from knowrithm_core.models.requests import ApiKeyCreate, Login, UserRegister, parse
from knowrithm_core.models.resources import ApiKeyDetails, User
from knowrithm_core.pagination import MAX_PER_PAGE, PageRequest
from knowrithm_core.services.accounts import Accounts
from knowrithm_core.services.base import Service
from knowrithm_core.services.companies import CompanyService
from knowrithm_core.services.key_quotas import KeyQuotas
from knowrithm_core.store.pages import cursor_param
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.accounts import (
    ApiKeyRepository,
    CompanyRepository,
    UserRecord,
    UserRepository,
)
from knowrithm_core.store.table import TransactionConflict


class _KeyCache:
    """Verified API keys, per warm container, for ``API_KEY_CACHE_SECONDS`` (0 turns it off).

    Saves a DynamoDB query on every request; a revoked key stops working in this
    container at once and in others within the cache window.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Principal | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry and entry[0] > time.monotonic():
                return entry[1]
            self._entries.pop(key, None)
            return None

    def put(self, key: tuple[str, str], principal: Principal, seconds: int) -> None:
        if seconds > 0:
            with self._lock:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[key] = (time.monotonic() + seconds, principal)

    def forget_company(self, company_id: str) -> None:
        with self._lock:
            for cache_key in [k for k, (_, p) in self._entries.items() if p.company_id == company_id]:
                del self._entries[cache_key]

    def forget_key_id(self, key_id: str) -> None:
        with self._lock:
            for cache_key in [k for k, (_, p) in self._entries.items() if p.subject_id == key_id]:
                del self._entries[cache_key]


class AuthService(Service):
    def __init__(self, table: Table, settings: Settings, companies: CompanyService) -> None:
        super().__init__(table, settings)
        self.companies = companies
        self.tokens = TokenIssuer(settings)
        self._key_cache = _KeyCache()
        self.states = AccountStates(table, settings.principal_cache_seconds)
        self.accounts = Accounts(table, self.states, self._key_cache.forget_company)
        self.company_store = CompanyRepository(table)
        self.users = UserRepository(table)
        self.key_store = ApiKeyRepository(table)
        self.quotas = KeyQuotas(self.key_store, self._key_cache.forget_key_id)

    # --- authentication ----------------------------------------------------------
    def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
        """The caller named by the headers, ``None`` if it sent no credentials, 401 if bad ones.

        A Bearer token wins over API-key headers: the official client sends its key
        headers on every request, even alongside a user's token.
        """
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return self._from_bearer(authorization[7:].strip())
        api_key, api_secret = headers.get("x-api-key", ""), headers.get("x-api-secret", "")
        if api_key or api_secret:
            if not (api_key and api_secret):
                raise Unauthorized("Send both X-API-Key and X-API-Secret.")
            return self._from_api_key(api_key, api_secret)
        return None

    def count_use(self, principal: Principal) -> Usage | None:
        """Count one request of an API key against its quotas (one write; 429 over a limit); None for a key
        without limits, a user or a lead (whose requests are not counted)."""
        if principal.kind != "api_key":
            return None
        return self.quotas.count(principal)

    def _from_bearer(self, token: str) -> Principal:
        claims = self.tokens.decode(token, expected={"access", "lead"})
        if claims["typ"] == "lead":
            return Principal(
                "lead",
                claims["cid"],
                claims["sub"],
                frozenset(),
                "lead",
                agent_id=claims.get("agent"),
                origin=claims.get("org"),
            )
        self.states.check_user_token(claims["cid"], claims["sub"], claims.get("tv"))
        role = str(claims.get("role", "user"))
        return Principal("user", claims["cid"], claims["sub"], ROLE_SCOPES.get(role, frozenset()), role)

    def _from_api_key(self, api_key: str, api_secret: str) -> Principal:
        cache_key = (api_key, hash_secret(api_secret))
        cached = self._key_cache.get(cache_key)
        if cached:
            return cached
        found = self.key_store.find(api_key)
        if not found or not secret_matches(api_secret, found.secret_hash):
            raise Unauthorized("Invalid API key or secret.")
        key = found.details
        if key.status != "active":
            raise Unauthorized("This API key has been revoked.")
        if key.expires_at and key.expires_at < iso():
            raise Unauthorized("This API key has expired.")
        self.states.check_api_key(key.company_id, key.created_by)
        limits = (key.rate_limit_per_hour, key.rate_limit_per_day)
        principal = Principal("api_key", key.company_id, key.id, frozenset(key.scopes), "api_key", rate_limits=limits)
        self._key_cache.put(cache_key, principal, self.settings.api_key_cache_seconds)
        return principal

    # --- users -------------------------------------------------------------------
    def register_user(self, body: Any, caller: Principal | None) -> dict[str, Any]:
        """Create a user. The first user of a company becomes its admin; later ones need an admin."""
        request = parse(UserRegister, body)
        user_count = self.companies.record(request.company_id).user_count
        is_admin_of_company = caller is not None and caller.company_id == request.company_id and caller.has("admin")
        if user_count > 0 and not is_admin_of_company:
            raise Forbidden("This company already has users; an admin of the company must add new ones.")
        role = "admin" if user_count == 0 else "user"
        stamp = iso()
        user = User.model_validate(
            {
                "id": new_id(),
                "created_at": stamp,
                "updated_at": stamp,
                "company_id": request.company_id,
                "email": request.email,
                "username": request.username,
                "first_name": request.first_name,
                "last_name": request.last_name,
                "role": role,
            }
        )
        uow = self.unit_of_work()
        self.users.add(uow, user, hash_password(request.password))  # writes 1 and 2: the user, its email
        self.company_store.count_user(uow, user.company_id, user_count)
        try:
            uow.commit()
        except TransactionConflict as exc:
            if exc.reasons[1:2] == ["ConditionalCheckFailed"]:
                raise Conflict("A user with this email already exists.") from exc
            raise Conflict("The company changed meanwhile; try again.") from exc
        return {"message": "User registered successfully.", "user": user.public(), "company_id": user.company_id}

    def _user(self, company_id: str, user_id: str) -> UserRecord:
        found = self.users.get(company_id, user_id)
        if not found:
            raise Unauthorized("The user no longer exists.")
        return found

    def _session(self, record: UserRecord) -> dict[str, Any]:
        user = record.user
        pair = self.tokens.user_pair(user.id, user.company_id, user.role, record.token_version)
        company = self.companies.get(user.company_id)
        if not company.is_active:
            raise Forbidden("This company is disabled.")
        return {**pair.public(), "user": user.public(), "company": company.public()}

    def login(self, body: Any) -> dict[str, Any]:
        request = parse(Login, body)
        owner = self.users.email_owner(request.email)
        if not owner:
            password_matches(request.password, dummy_password_hash())  # same cost as a wrong password
            raise Unauthorized("Invalid credentials.")
        record = self._user(*owner)
        if not password_matches(request.password, record.password_hash):
            raise Unauthorized("Invalid credentials.")
        if record.user.status != "active":
            raise Forbidden("This user is not active.")
        return {"message": "Login successful.", **self._session(record)}

    def refresh(self, authorization: str) -> dict[str, Any]:
        """New tokens for a refresh token sent as the Bearer (user or lead)."""
        if not authorization.lower().startswith("bearer "):
            raise Unauthorized("Send the refresh token as 'Authorization: Bearer <token>'.")
        claims = self.tokens.decode(authorization[7:].strip(), expected={"refresh", "lead_refresh"})
        if claims["typ"] == "lead_refresh":
            pair = self.tokens.lead_pair(claims["sub"], claims["cid"], str(claims.get("agent")), claims.get("org"))
            return pair.public()
        record = self._user(claims["cid"], claims["sub"])
        if not user_is_active(record):
            raise Unauthorized("The user is disabled or no longer exists.")
        if claims.get("tv", 0) != record.token_version:
            raise Unauthorized("This session has been revoked; sign in again.")
        return {"message": "Token refreshed.", **self._session(record)}

    def me(self, principal: Principal) -> dict[str, Any]:
        """The signed-in user with fresh tokens; for an API key, its company and key details (no user)."""
        if principal.kind == "api_key":
            principal.require("read")
            key = self.key_store.get(principal.company_id, principal.subject_id)
            if key is None:
                raise NotFound("API key not found.")
            company = self.companies.get(principal.company_id)
            return {"user": None, "company": company.public(), "api_key": key.public()}
        if principal.kind != "user":
            raise Forbidden("A lead token has no user profile.")
        return self._session(self._user(principal.company_id, principal.subject_id))

    def validate(self, principal: Principal) -> dict[str, Any]:
        company = self.companies.get(principal.company_id)
        result: dict[str, Any] = {
            "valid": True,
            "user": None,
            "api_key_info": None,
            "principal_type": principal.kind,
            "company": {"id": company.id, "name": company.name, "plan": "self-hosted"},
        }
        if principal.kind == "user":
            user = self._user(principal.company_id, principal.subject_id).user
            result["user"] = {"id": user.id, "email": user.email, "name": f"{user.first_name} {user.last_name}"}
        elif principal.kind == "api_key":
            result["api_key_info"] = {"id": principal.subject_id, "scopes": sorted(principal.scopes)}
        else:
            result["lead"] = {"id": principal.subject_id, "agent_id": principal.agent_id}
        return result

    # --- API keys ----------------------------------------------------------------
    def create_api_key(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require("admin")
        request = parse(ApiKeyCreate, body)
        api_key, api_secret = new_api_key()
        stamp = now()
        details = ApiKeyDetails(
            id=new_id(),
            created_at=iso(stamp),
            updated_at=iso(stamp),
            company_id=principal.company_id,
            name=request.name,
            key_prefix=api_key[:8],
            scopes=request.scopes,
            permissions=request.permissions,
            expires_at=iso(stamp + timedelta(days=request.expires_in_days)) if request.expires_in_days else None,
            rate_limit_per_hour=request.rate_limit_per_hour,
            rate_limit_per_day=request.rate_limit_per_day,
            created_by=self._creator(principal),
        )
        self.put_api_key(details, api_key, api_secret)
        return {
            "message": "API key created. Store the secret now: it is shown only once.",
            "api_key": api_key,
            "api_secret": api_secret,
            "details": details.public(),
        }

    def _creator(self, principal: Principal) -> str | None:
        """The user a new key answers to: the caller, or for a key made with an API key, the user behind that key
        (a key lives only as long as its user; see :meth:`AccountStates.check_api_key`)."""
        if principal.kind != "api_key":
            return principal.subject_id
        parent = self.key_store.get(principal.company_id, principal.subject_id)
        if parent is None or parent.status != "active":
            raise Unauthorized("This API key has been revoked.")
        return parent.created_by

    def put_api_key(self, details: ApiKeyDetails, api_key: str, api_secret: str) -> None:
        """The key and the company's count of keys (``api_keys``), in one transaction."""
        uow = self.unit_of_work()
        self.key_store.add(uow, details, api_key, hash_secret(api_secret))
        uow.commit()

    def list_api_keys(self, principal: Principal, query: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Keys oldest first (revoked ones too): one Query of ``per_page + 1`` (default 100, so a company with
        up to 100 keys still gets them all at once), ``cursor`` to go on, the total from the company counter."""
        principal.require("admin")
        query = query or {}
        request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=MAX_PER_PAGE)
        found, pagination = self.key_store.page(principal.company_id, request, cursor_param(dict(query)))
        return {"api_keys": [key.public() for key in found], "pagination": pagination}

    def revoke_api_key(self, principal: Principal, key_id: str) -> dict[str, Any]:
        principal.require("admin")
        key = self.key_store.get(principal.company_id, key_id)
        if not key or key.status == "revoked":
            raise NotFound("API key not found.")
        self.key_store.revoke(principal.company_id, key_id)
        self._key_cache.forget_key_id(key_id)
        return {"message": "API key revoked.", "id": key_id}
