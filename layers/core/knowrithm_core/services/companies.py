"""Companies (tenants): public onboarding and reading one's own company."""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import Conflict, Forbidden, NotFound
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.requests import CompanyCreate, parse
from knowrithm_core.models.resources import Company
from knowrithm_core.services.base import Service, load
from knowrithm_core.store import keys
from knowrithm_core.store.table import TransactionConflict


class CompanyService(Service):
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
        item = {"PK": keys.company_pk(company.id), "SK": "COMPANY", **company.public(), "user_count": 0}
        unique = {"PK": f"UNIQUE#COMPANY_EMAIL#{company.email}", "SK": "UNIQUE", "company_id": company.id}
        try:
            self.table.transact(
                [
                    self.table.put_op(item, condition="attribute_not_exists(PK)"),
                    self.table.put_op(unique, condition="attribute_not_exists(PK)"),
                ]
            )
        except TransactionConflict as exc:
            raise Conflict("A company with this email already exists.") from exc
        return company

    def get_item(self, company_id: str) -> dict[str, Any]:
        item = self.table.get(keys.company_pk(company_id), "COMPANY")
        if not item:
            raise NotFound("Company not found.")
        return item

    def get(self, company_id: str) -> Company:
        return load(Company, self.get_item(company_id))

    def mine(self, principal: Principal) -> Company:
        principal.require("read")
        return self.get(principal.company_id)
