"""Companies (tenants): public onboarding and reading one's own company."""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.errors import Conflict, Forbidden, NotFound
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.requests import CompanyCreate, parse
from knowrithm_core.models.resources import Company
from knowrithm_core.services.base import Service
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.accounts import CompanyRecord, CompanyRepository
from knowrithm_core.store.table import TransactionConflict


class CompanyService(Service):
    def __init__(self, table: Table, settings: Settings) -> None:
        super().__init__(table, settings)
        self.repository = CompanyRepository(table)

    def create(self, body: Any) -> Company:
        """Onboard a tenant. The company email is unique across the deployment."""
        if not self.settings.allow_public_signup:
            raise Forbidden("Public sign-up is turned off on this deployment.")
        request = parse(CompanyCreate, body)
        stamp = iso()
        company = Company(
            id=new_id(),
            created_at=stamp,
            updated_at=stamp,
            name=request.name,
            email=request.email,
            phone=request.phone,
            address=request.address,
        )
        uow = self.unit_of_work()
        self.repository.add(uow, company)
        try:
            uow.commit()
        except TransactionConflict as exc:
            raise Conflict("A company with this email already exists.") from exc
        return company

    def record(self, company_id: str) -> CompanyRecord:
        """The company with its user count; 404 when there is none."""
        found = self.repository.get(company_id)
        if not found:
            raise NotFound("Company not found.")
        return found

    def get_item(self, company_id: str) -> dict[str, Any]:
        """Every stored attribute of the company (``user_count`` too), without the key attributes."""
        return self.record(company_id).fields

    def get(self, company_id: str) -> Company:
        return self.record(company_id).company

    def mine(self, principal: Principal) -> Company:
        principal.require("read")
        return self.get(principal.company_id)
