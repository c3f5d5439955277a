"""Leads: public registration from the widget (with lead tokens) and management over the API.

A lead's email is unique within its company; registering again with the same email
returns the same lead with fresh tokens (the widget re-registers silently on a 401).
"""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.auth.tokens import TokenIssuer
from knowrithm_core.errors import Conflict, NotFound, ValidationFailed
from knowrithm_core.events import EventType
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.models.requests import LeadCreate, LeadRegister, LeadUpdate, parse
from knowrithm_core.models.resources import Lead
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.base import Service
from knowrithm_core.services.companies import CompanyService
from knowrithm_core.store.pages import cursor_param
from knowrithm_core.store.repositories.leads import LeadRepository
from knowrithm_core.store.repositories.stats import lead_change_ops, lead_created_ops
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.widget.limits import RateLimiter
from knowrithm_core.widget.origins import require_allowed


class LeadService(Service):
    def __init__(
        self, agents: AgentService, companies: CompanyService, tokens: TokenIssuer, limiter: RateLimiter | None = None
    ) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents
        self.companies = companies
        self.tokens = tokens
        self.limiter = limiter
        self.repository = LeadRepository(self.table)

    def _insert(self, lead: Lead, events: list[EventType]) -> None:
        uow = self.unit_of_work()
        self.repository.add(uow, lead)
        uow.extend(self.event_op(lead.company_id, event, lead.public()) for event in events)
        uow.extend(lead_created_ops(lead, registered=EventType.LEAD_REGISTERED in events))
        uow.commit()

    def _change(self, before: Lead, after: Lead, event: EventType) -> None:
        """The changed lead, its event and the company totals' change, in one transaction."""
        uow = self.unit_of_work()
        self.repository.replace(uow, before, after)
        uow.add(self.event_op(after.company_id, event, after.public()))
        uow.extend(lead_change_ops(before, after))
        uow.commit()

    def _new_lead(self, company_id: str, fields: dict[str, Any]) -> Lead:
        stamp = iso()
        return Lead.model_validate(
            {
                **fields,
                "id": new_id(),
                "created_at": stamp,
                "updated_at": stamp,
                "last_activity": stamp,
                "company_id": company_id,
                "full_name": f"{fields['first_name']} {fields['last_name']}",
            }
        )

    # --- public registration ---------------------------------------------------------
    def register(
        self, body: Any, *, ip_address: str | None, user_agent: str | None, origin: str | None = None
    ) -> dict[str, Any]:
        """Register (or welcome back) a visitor; the lead tokens are bound to the page ``origin``.

        Refused with 403 when the agent's allowed domains exclude ``origin``, 429 over the rate limits
        (per client IP and per email), 400 without consent when the widget asks for it.
        """
        request = parse(LeadRegister, body)
        agent = self.agents.find_public(request.agent_id)
        widget = agent.settings.widget_config if agent.settings else {}
        require_allowed(origin, agent.settings.allowed_domains if agent.settings else [])
        if agent.status != "active":
            raise ValidationFailed("This agent is not accepting visitors right now.")
        if widget.get("consentCheckbox") and not request.consent_data_processing:
            raise ValidationFailed("Please agree to the processing of your data to start the chat.")
        if self.limiter:
            self.limiter.check("register", {"ip": ip_address, "email": request.email})
        company = self.companies.get(agent.company_id)
        if not company.is_active:
            raise ValidationFailed("This company is not active.")
        existing = self.repository.email_owner(company.id, request.email)
        if existing:
            lead = self._reregister(company.id, existing, request)
            created = False
        else:
            fields = request.model_dump(exclude_none=True)
            fields.setdefault("source", "website_chatbot")
            lead = self._new_lead(company.id, {**fields, "ip_address": ip_address, "user_agent": user_agent})
            try:
                self._insert(lead, [EventType.LEAD_CREATED, EventType.LEAD_REGISTERED])
            except TransactionConflict:  # registered concurrently: use the winner
                return self._welcome_back(company.id, request, agent.id, origin)
            created = True
        pair = self.tokens.lead_pair(lead.id, company.id, agent.id, origin)
        return {
            "success": True,
            "message": "Lead registered successfully." if created else "Welcome back.",
            "created": created,
            "lead": {**lead.public(), "company": {"id": company.id, "name": company.name}},
            "tokens": pair.public(),
            **pair.public(),
        }

    def _welcome_back(
        self, company_id: str, request: LeadRegister, agent_id: str, origin: str | None
    ) -> dict[str, Any]:
        existing = self.repository.email_owner(company_id, request.email)
        if not existing:
            raise Conflict("The lead changed meanwhile; try again.")
        lead = self._reregister(company_id, existing, request)
        company = self.companies.get(company_id)
        pair = self.tokens.lead_pair(lead.id, company_id, agent_id, origin)
        return {
            "success": True,
            "message": "Welcome back.",
            "created": False,
            "lead": {**lead.public(), "company": {"id": company.id, "name": company.name}},
            "tokens": pair.public(),
            **pair.public(),
        }

    def _reregister(self, company_id: str, lead_id: str, request: LeadRegister) -> Lead:
        current = self.repository.get(company_id, lead_id)
        if not current:
            raise NotFound("Lead not found.")
        stamp = iso()
        lead = current.model_copy(
            update={
                "last_activity": stamp,
                "updated_at": stamp,
                "version": current.version + 1,
                "agent_id": request.agent_id,
                "deleted_at": None,
                "is_active": True,
            }
        )
        self._change(current, lead, EventType.LEAD_REGISTERED)
        return lead

    # --- management --------------------------------------------------------------------
    def _load(self, principal: Principal, lead_id: str) -> Lead:
        lead = self.repository.get(principal.company_id, lead_id) if is_uuid(lead_id) else None
        if not lead or lead.deleted_at:
            raise NotFound("Lead not found.")
        return lead

    def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require("write")
        request = parse(LeadCreate, body)
        if request.agent_id:
            self.agents.read(principal.company_id, request.agent_id)
        lead = self._new_lead(
            principal.company_id, {**request.model_dump(exclude_none=True), "source": request.source or "api"}
        )
        try:
            self._insert(lead, [EventType.LEAD_CREATED])
        except TransactionConflict as exc:
            raise Conflict("A lead with this email already exists.") from exc
        return {"success": True, "message": "Lead created successfully.", "lead": lead.public()}

    def get(self, principal: Principal, lead_id: str) -> dict[str, Any]:
        principal.require("read")
        lead = self._load(principal, lead_id)
        company = self.companies.get(principal.company_id)
        return {"success": True, "lead": {**lead.public(), "company": company.public()}}

    def list_company(self, principal: Principal, query: dict[str, str]) -> dict[str, Any]:
        """Live leads newest first: one Query of ``per_page + 1`` per page (status by index, ``cursor`` to go
        on), the total from the company counters; ``search`` looks at the newest ``SEARCH_SCAN_LIMIT`` only."""
        principal.require("read")
        company_id = principal.company_id
        status = (query.get("status") or "").strip().lower()
        search = (query.get("search") or "").strip().lower()
        request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=20)
        if search:
            found, pagination = self.repository.search(company_id, status or None, request, search)
        else:
            found, pagination = self.repository.page(company_id, status or None, request, cursor_param(query))
        data = [lead.public() for lead in found]
        return {
            "success": True,
            "leads": data,
            "items": data,
            "pagination": pagination,
            "data": {"leads": data, "pagination": pagination},
        }

    def update(self, principal: Principal, lead_id: str, body: Any) -> dict[str, Any]:
        principal.require("write", "PUT")
        request = parse(LeadUpdate, body)
        changes = request.model_dump(exclude_none=True)
        if not changes:
            raise ValidationFailed("Nothing to update: send at least one lead field.")
        current = self._load(principal, lead_id)
        merged = {**current.public(), **changes}
        lead = Lead.model_validate(
            {
                **merged,
                "full_name": f"{merged['first_name']} {merged['last_name']}",
                "updated_at": iso(),
                "version": current.version + 1,
            }
        )
        try:
            self._change(current, lead, EventType.LEAD_UPDATED)
        except TransactionConflict as exc:
            raise Conflict("Another lead has this email, or the lead changed meanwhile.") from exc
        return {"success": True, "message": "Lead updated successfully.", "lead": lead.public()}

    def delete(self, principal: Principal, lead_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        current = self._load(principal, lead_id)
        stamp = iso()
        lead = current.model_copy(
            update={"deleted_at": stamp, "is_active": False, "updated_at": stamp, "version": current.version + 1}
        )
        try:
            self._change(current, lead, EventType.LEAD_UPDATED)
        except TransactionConflict as exc:
            raise Conflict("The lead changed meanwhile; try again.") from exc
        return {"success": True, "message": "Lead deleted successfully.", "lead_id": lead.id}
