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
from knowrithm_core.services.base import Service, load
from knowrithm_core.services.companies import CompanyService
from knowrithm_core.store import keys, listings
from knowrithm_core.store.pages import cursor_param, read_page, search_page
from knowrithm_core.store.repositories.stats import lead_change_ops, lead_created_ops
from knowrithm_core.store.table import Op, TransactionConflict
from knowrithm_core.widget.limits import RateLimiter
from knowrithm_core.widget.origins import require_allowed


def lead_item(lead: Lead) -> dict[str, Any]:
    return {
        "PK": keys.company_pk(lead.company_id),
        "SK": f"LEAD#{lead.id}",
        "GSI1PK": keys.global_id("LEAD", lead.id),
        "GSI1SK": "LEAD",
        **listings.lead_index_keys(lead.company_id, lead.id, lead.status, live=not lead.deleted_at),
        **lead.public(),
    }


class LeadService(Service):
    def __init__(
        self, agents: AgentService, companies: CompanyService, tokens: TokenIssuer, limiter: RateLimiter | None = None
    ) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents
        self.companies = companies
        self.tokens = tokens
        self.limiter = limiter

    def _email_key(self, company_id: str, email: str) -> tuple[str, str]:
        return keys.company_pk(company_id), f"LEADEMAIL#{email.lower()}"

    def _insert(self, lead: Lead, events: list[EventType]) -> None:
        pk, sk = self._email_key(lead.company_id, lead.email)
        self.table.transact(
            [
                self.table.put_op(lead_item(lead), condition="attribute_not_exists(PK)"),
                self.table.put_op({"PK": pk, "SK": sk, "lead_id": lead.id}, condition="attribute_not_exists(PK)"),
                *[self.event_op(lead.company_id, event, lead.public()) for event in events],
                *lead_created_ops(lead, registered=EventType.LEAD_REGISTERED in events),
            ]
        )

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
        pk, sk = self._email_key(company.id, request.email)
        existing = self.table.get(pk, sk)
        if existing:
            lead = self._reregister(company.id, str(existing["lead_id"]), request)
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
        existing = self.table.get(*self._email_key(company_id, request.email))
        if not existing:
            raise Conflict("The lead changed meanwhile; try again.")
        lead = self._reregister(company_id, str(existing["lead_id"]), request)
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
        item = self.table.get(keys.company_pk(company_id), f"LEAD#{lead_id}")
        if not item:
            raise NotFound("Lead not found.")
        current = load(Lead, item)
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
        self.table.transact(
            [
                self.table.put_op(lead_item(lead), condition="version = :v", values={":v": current.version}),
                self.event_op(company_id, EventType.LEAD_REGISTERED, lead.public()),
                *lead_change_ops(current, lead),
            ]
        )
        return lead

    # --- management --------------------------------------------------------------------
    def _load(self, principal: Principal, lead_id: str) -> Lead:
        item = self.table.get(keys.company_pk(principal.company_id), f"LEAD#{lead_id}") if is_uuid(lead_id) else None
        if not item or item.get("deleted_at"):
            raise NotFound("Lead not found.")
        return load(Lead, item)

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
        listing = listings.leads(company_id, status or None)
        if search:

            def matches(item: dict[str, Any]) -> bool:
                return search in f"{item.get('full_name')} {item.get('email')} {item.get('phone') or ''}".lower()

            page = search_page(self.table, listing, request, matches)
        else:
            counter = f"lead_status_{status}" if status else "leads"
            total = listings.company_total(self.table, company_id, counter)
            page = read_page(self.table, listing, request, total=total, cursor=cursor_param(query))
        data = [load(Lead, item).public() for item in page.items]
        pagination = page.pagination
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
        ops: list[Op] = [
            self.table.put_op(lead_item(lead), condition="version = :v", values={":v": current.version}),
            self.event_op(lead.company_id, EventType.LEAD_UPDATED, lead.public()),
            *lead_change_ops(current, lead),
        ]
        if lead.email != current.email:
            old_pk, old_sk = self._email_key(lead.company_id, current.email)
            new_pk, new_sk = self._email_key(lead.company_id, lead.email)
            ops += [
                self.table.delete_op(old_pk, old_sk),
                self.table.put_op(
                    {"PK": new_pk, "SK": new_sk, "lead_id": lead.id}, condition="attribute_not_exists(PK)"
                ),
            ]
        try:
            self.table.transact(ops)
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
            self.table.transact(
                [
                    self.table.put_op(lead_item(lead), condition="version = :v", values={":v": current.version}),
                    self.event_op(lead.company_id, EventType.LEAD_UPDATED, lead.public()),
                    *lead_change_ops(current, lead),
                ]
            )
        except TransactionConflict as exc:
            raise Conflict("The lead changed meanwhile; try again.") from exc
        return {"success": True, "message": "Lead deleted successfully.", "lead_id": lead.id}
