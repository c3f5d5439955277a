"""Companies (tenants): public onboarding, reading and updating one's own company, its lead statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.domain.stats import LIVE_CONVERSATIONS
from knowrithm_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from knowrithm_core.ids import iso, new_id, now
from knowrithm_core.models.bodies.users import CompanyUpdate
from knowrithm_core.models.requests import CompanyCreate, parse
from knowrithm_core.models.resources import Company
from knowrithm_core.services.base import Service
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.accounts import CompanyRecord, CompanyRepository
from knowrithm_core.store.repositories.stats import StatsRepository
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

    def _own(self, principal: Principal, company_id: str | None) -> str:
        """The caller's company; another company's id is 404 (never confirm that it exists)."""
        if company_id is not None and company_id != principal.company_id:
            raise NotFound("Company not found.")
        return principal.company_id

    def update(self, principal: Principal, company_id: str, body: Any) -> dict[str, Any]:
        """Change only the fields sent (an admin's call); done at once, unlike Knowrithm's queued task."""
        principal.require("admin")
        own = self._own(principal, company_id)
        changes = parse(CompanyUpdate, body).model_dump(exclude_none=True)
        if changes:
            try:
                self.repository.update(own, changes)
            except TransactionConflict as exc:
                raise NotFound("Company not found.") from exc
        company = self.get(own).public()
        return {**company, "company": company, "status": "completed", "message": "Company updated successfully."}

    def statistics(self, principal: Principal, company_id: str | None, days: str | None) -> dict[str, Any]:
        """Leads created in the last ``days`` (default 30, 1-365), qualified and converted now, the conversion
        rate, live conversations: one Query of the day counters and one GetItem of the totals."""
        principal.require("read")
        own = self._own(principal, company_id)
        period = _period(days)
        today = now().date()
        first = (today - timedelta(days=period - 1)).isoformat()
        stats = StatsRepository(self.table)
        created = sum(
            int(i.get("leads", 0))
            for i in stats.company_days(own, first, today.isoformat())
            if i.get("kind") == "company_day"
        )
        totals = stats.totals(own)
        standing = max(int(totals.get("leads", 0)), 0)
        converted = max(int(totals.get("lead_status_converted", 0)), 0)
        statistics = {
            "total_leads": created,
            "qualified_leads": max(int(totals.get("lead_status_qualified", 0)), 0),
            "converted_leads": converted,
            "conversion_rate": round(100.0 * converted / standing, 2) if standing else 0.0,
            "active_conversations": max(int(totals.get(LIVE_CONVERSATIONS, 0)), 0),
            "period_days": period,
        }
        return {"success": True, "company_id": own, "statistics": statistics}


def _period(days: str | None) -> int:
    if days in (None, ""):
        return 30
    if not str(days).isdigit() or not 1 <= int(str(days)) <= 365:
        raise ValidationFailed("days is a whole number from 1 to 365.")
    return int(str(days))
