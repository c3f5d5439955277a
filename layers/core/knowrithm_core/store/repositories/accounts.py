"""Companies, their users and their API keys: the items, the unique-email claims and the counts beside them.

Items::

    COMPANY#c / COMPANY                      the company (``user_count`` guards the first-user-is-admin rule)
    UNIQUE#COMPANY_EMAIL#e / UNIQUE          a company's email, unique across the deployment
    COMPANY#c / USER#u    (GSI1 USER#u)      a user (``_password_hash``, ``token_version`` seal its sessions)
    UNIQUE#EMAIL#e / UNIQUE                  a user's email, unique across the deployment (-> company, user)
    COMPANY#c / APIKEY#k  (GSI1 APIKEY#ak_…) an API key (``secret_hash``), listed by its own key range; its use
                                             counters (``usage_count``, ``rl_h…``/``rl_d…`` windows)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from knowrithm_core.domain.stats import API_KEYS_TOTAL
from knowrithm_core.ids import iso
from knowrithm_core.models.resources import ApiKeyDetails, Company, User
from knowrithm_core.pagination import PageRequest
from knowrithm_core.store import keys, listings
from knowrithm_core.store.expressions import Delete, Put, Update, eq, exists, lt, missing
from knowrithm_core.store.pages import read_page, search_page
from knowrithm_core.store.port import Item, Table
from knowrithm_core.store.repositories.stats import total_op
from knowrithm_core.store.unit_of_work import UnitOfWork


def _company_key(company_id: str) -> tuple[str, str]:
    return keys.company_pk(company_id), keys.COMPANY_SK


def _user_key(company_id: str, user_id: str) -> tuple[str, str]:
    return keys.company_pk(company_id), keys.user_sk(user_id)


def _api_key_key(company_id: str, key_id: str) -> tuple[str, str]:
    return keys.company_pk(company_id), keys.api_key_sk(key_id)


def company_is_active(item: Item | None) -> bool:
    """A company item that exists, is not deleted and not disabled."""
    return bool(item) and not (item or {}).get("deleted_at") and (item or {}).get("is_active", True) is not False


@dataclass(frozen=True)
class CompanyRecord:
    """A company with what only the store keeps beside it."""

    company: Company
    user_count: int
    fields: dict[str, Any]  # every stored attribute without keys (what analytics read)


@dataclass(frozen=True)
class UserRecord:
    """A user with the fields that seal its sessions."""

    user: User
    password_hash: str
    token_version: int
    deleted: bool

    @property
    def active(self) -> bool:
        return not self.deleted and self.user.status == "active"


@dataclass(frozen=True)
class ApiKeyRecord:
    details: ApiKeyDetails
    secret_hash: str


def _user_record(item: Item) -> UserRecord:
    return UserRecord(
        user=User.model_validate(keys.strip_keys(item)),
        password_hash=str(item.get("_password_hash", "")),
        token_version=int(item.get("token_version", 0)),
        deleted=bool(item.get("deleted_at")),
    )


class CompanyRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, company_id: str) -> CompanyRecord | None:
        item = self.table.get(*_company_key(company_id))
        if not item:
            return None
        fields = keys.strip_keys(item)
        return CompanyRecord(Company.model_validate(fields), int(item.get("user_count", 0)), fields)

    def add(self, uow: UnitOfWork, company: Company) -> None:
        """The company (no users yet) and the claim on its email; both must be new."""
        pk, sk = _company_key(company.id)
        uow.add(
            Put({"PK": pk, "SK": sk, **company.public(), "user_count": 0}, when=missing()),
            Put(
                {"PK": keys.unique_company_email(company.email), "SK": keys.UNIQUE_SK, "company_id": company.id},
                when=missing(),
            ),
        )

    def count_user(self, uow: UnitOfWork, company_id: str, seen: int) -> None:
        """One more user, if the company still has the ``seen`` count (the first user becomes its admin)."""
        uow.add(Update(_company_key(company_id), set={"user_count": seen + 1}, when=eq("user_count", seen)))

    def uncount_user(self, uow: UnitOfWork, company_id: str) -> None:
        uow.add(Update(_company_key(company_id), add={"user_count": -1}))

    def update(self, company_id: str, changes: dict[str, Any]) -> None:
        """Set ``changes`` on an existing company, one version up (``TransactionConflict`` when there is none)."""
        sets = {**changes, "updated_at": iso()}
        self.table.write([Update(_company_key(company_id), set=sets, add={"version": 1}, when=exists())])

    def set_active(self, company_id: str, active: bool) -> None:
        """Enable or disable an existing company (``TransactionConflict`` when there is none)."""
        self.table.write(
            [Update(_company_key(company_id), set={"is_active": active, "updated_at": iso()}, when=exists())]
        )


class UserRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, company_id: str, user_id: str) -> UserRecord | None:
        item = self.table.get(*_user_key(company_id, user_id))
        return _user_record(item) if item else None

    def page(
        self, company_id: str, request: PageRequest, *, total: int, cursor: str | None = None, matches: Any = None
    ) -> tuple[list[User], dict[str, Any]]:
        """Users oldest first: one Query of ``per_page + 1`` (the total is the company's ``user_count``), or,
        with ``matches``, the matching ones among the first ``SEARCH_SCAN_LIMIT``."""
        listing = listings.users(company_id)
        if matches is not None:
            page = search_page(self.table, listing, request, lambda item: bool(matches(_user_record(item).user)))
        else:
            page = read_page(self.table, listing, request, total=total, cursor=cursor)
        return [_user_record(item).user for item in page.items], page.pagination

    def email_owner(self, email: str) -> tuple[str, str] | None:
        """``(company_id, user_id)`` of the user who holds ``email``, if any."""
        claim = self.table.get(keys.unique_email(email), keys.UNIQUE_SK)
        return (str(claim["company_id"]), str(claim["user_id"])) if claim else None

    def account(self, company_id: str, user_id: str | None) -> tuple[bool, UserRecord | None]:
        """Whether the company is active, and the user (when asked for), in one BatchGetItem."""
        company = _company_key(company_id)
        wanted = [company] + ([_user_key(company_id, user_id)] if user_id else [])
        found = self.table.batch_get(wanted)
        user = found.get(_user_key(company_id, user_id)) if user_id else None
        return company_is_active(found.get(company)), _user_record(user) if user else None

    def add(self, uow: UnitOfWork, user: User, password_hash: str) -> None:
        """The user and the claim on its email (in this order: a taken email fails the second write)."""
        pk, sk = _user_key(user.company_id, user.id)
        item = {
            "PK": pk,
            "SK": sk,
            "GSI1PK": keys.global_id("USER", user.id),
            "GSI1SK": "USER",
            **user.public(),
            "_password_hash": password_hash,
        }
        claim = {"PK": keys.unique_email(user.email), "SK": keys.UNIQUE_SK, "company_id": user.company_id}
        uow.add(Put(item, when=missing()), Put({**claim, "user_id": user.id}, when=missing()))

    def delete(self, uow: UnitOfWork, company_id: str, user_id: str, email: str) -> None:
        uow.add(
            Delete(_user_key(company_id, user_id), when=exists()), Delete((keys.unique_email(email), keys.UNIQUE_SK))
        )

    def update_profile(self, company_id: str, user_id: str, changes: dict[str, Any]) -> None:
        """Set profile ``changes`` on an existing user, one version up (``TransactionConflict`` when there is none)."""
        sets = {**changes, "updated_at": iso()}
        self.table.write([Update(_user_key(company_id, user_id), set=sets, add={"version": 1}, when=exists())])

    def revoke_tokens(
        self, company_id: str, user_id: str, *, status: str | None = None, password_hash: str | None = None
    ) -> None:
        """Bump the user's token version (every earlier token stops working), with a new status or password in
        the same write; ``TransactionConflict`` when there is no such user."""
        sets: dict[str, Any] = {"updated_at": iso()}
        if status is not None:
            sets["status"] = status
        if password_hash is not None:
            sets["_password_hash"] = password_hash
        self.table.write([Update(_user_key(company_id, user_id), set=sets, add={"token_version": 1}, when=exists())])


class ApiKeyRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def find(self, api_key: str) -> ApiKeyRecord | None:
        """The key an ``ak_…`` public key names (GSI1), with its secret's hash."""
        found = self.table.query(keys.global_id("APIKEY", api_key), index=keys.GSI1, limit=1)
        if not found:
            return None
        item = found[0]
        return ApiKeyRecord(ApiKeyDetails.model_validate(keys.strip_keys(item)), str(item.get("secret_hash", "")))

    def get(self, company_id: str, key_id: str) -> ApiKeyDetails | None:
        item = self.table.get(*_api_key_key(company_id, key_id))
        return ApiKeyDetails.model_validate(keys.strip_keys(item)) if item else None

    def add(self, uow: UnitOfWork, details: ApiKeyDetails, api_key: str, secret_hash: str) -> None:
        """The key (must be new) and the company's count of keys."""
        pk, sk = _api_key_key(details.company_id, details.id)
        item = {
            "PK": pk,
            "SK": sk,
            "GSI1PK": keys.global_id("APIKEY", api_key),
            "GSI1SK": "APIKEY",
            **details.public(),
            "secret_hash": secret_hash,
        }
        uow.add(Put(item, when=missing()), total_op(details.company_id, {API_KEYS_TOTAL: 1}))

    def item(self, company_id: str, key_id: str) -> Item | None:
        """The key's stored item as it is (its window counters too)."""
        return self.table.get(*_api_key_key(company_id, key_id))

    def use(
        self, company_id: str, key_id: str, counters: Sequence[tuple[str, int]], remove: Sequence[str], stamp: str
    ) -> Item:
        """Count one use of an active key: ``usage_count``, ``last_used_at`` and each window counter (attribute,
        limit) under its limit, in one conditional UpdateItem returning the item; ``remove`` drops past windows.
        ``TransactionConflict`` when the key is not active (or gone) or a counter is at its limit."""
        when = eq("status", "active")
        for name, limit in counters:
            when = when & (missing(name) | lt(name, limit))
        op = Update(
            _api_key_key(company_id, key_id),
            set={"last_used_at": stamp},
            add={"usage_count": 1, **{name: 1 for name, _ in counters}},
            remove=tuple(remove),
            when=when,
        )
        return self.table.update_returning(op)

    def revoke(self, company_id: str, key_id: str) -> None:
        self.table.write([Update(_api_key_key(company_id, key_id), set={"status": "revoked", "updated_at": iso()})])

    def page(
        self, company_id: str, request: PageRequest, cursor: str | None
    ) -> tuple[list[ApiKeyDetails], dict[str, Any]]:
        """Keys oldest first: one Query of ``per_page + 1``, the total from the company counter."""
        total = listings.company_total(self.table, company_id, API_KEYS_TOTAL)
        page = read_page(self.table, listings.api_keys(company_id), request, total=total, cursor=cursor)
        return [ApiKeyDetails.model_validate(keys.strip_keys(item)) for item in page.items], page.pagination
