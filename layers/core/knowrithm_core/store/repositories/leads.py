"""Leads: the lead item, the claim on its email within the company, and the list pages.

Items::

    COMPANY#c / LEAD#l        (GSI1 LEAD#l)  the lead; while live also GSI2 COMPANY#c#LEADS and
                                             GSI3 COMPANY#c#LEADS#STATUS#s (both LEAD#l: the list pages)
    COMPANY#c / LEADEMAIL#e                  the lead that holds email e in the company (``lead_id``)

Every change of a lead is a Put of the whole item on the version it read (``version = v``), so a concurrent
change fails instead of being lost.
"""

from __future__ import annotations

from typing import Any

from knowrithm_core.models.resources import Lead
from knowrithm_core.pagination import PageRequest
from knowrithm_core.store import keys, listings
from knowrithm_core.store.expressions import Delete, Put, eq, missing
from knowrithm_core.store.pages import Page, read_page, search_page
from knowrithm_core.store.port import Table
from knowrithm_core.store.unit_of_work import UnitOfWork


def lead_item(lead: Lead) -> dict[str, Any]:
    """The stored item of a lead (with its list index attributes while it is live)."""
    return {
        "PK": keys.company_pk(lead.company_id),
        "SK": keys.lead_sk(lead.id),
        "GSI1PK": keys.global_id("LEAD", lead.id),
        "GSI1SK": "LEAD",
        **listings.lead_index_keys(lead.company_id, lead.id, lead.status, live=not lead.deleted_at),
        **lead.public(),
    }


def _email_key(company_id: str, email: str) -> tuple[str, str]:
    return keys.company_pk(company_id), keys.lead_email_sk(email)


def _claim(lead: Lead) -> Put:
    pk, sk = _email_key(lead.company_id, lead.email)
    return Put({"PK": pk, "SK": sk, "lead_id": lead.id}, when=missing())


class LeadRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, company_id: str, lead_id: str) -> Lead | None:
        """The lead (deleted ones too)."""
        item = self.table.get(keys.company_pk(company_id), keys.lead_sk(lead_id))
        return Lead.model_validate(keys.strip_keys(item)) if item else None

    def email_owner(self, company_id: str, email: str) -> str | None:
        """The id of the company's lead that holds ``email`` (any case), if any."""
        claim = self.table.get(*_email_key(company_id, email))
        return str(claim["lead_id"]) if claim else None

    def add(self, uow: UnitOfWork, lead: Lead) -> None:
        """A new lead and the claim on its email (in this order; both must be new)."""
        uow.add(Put(lead_item(lead), when=missing()), _claim(lead))

    def replace(self, uow: UnitOfWork, before: Lead, after: Lead) -> None:
        """The lead as changed, if it is still at ``before``'s version; a new email moves its claim."""
        uow.add(Put(lead_item(after), when=eq("version", before.version)))
        if after.email != before.email:
            uow.add(Delete(_email_key(before.company_id, before.email)), _claim(after))

    def page(
        self, company_id: str, status: str | None, request: PageRequest, cursor: str | None
    ) -> tuple[list[Lead], dict[str, Any]]:
        """Live leads newest first (one status, or all): one Query of ``per_page + 1``, the total from the
        company counters."""
        counter = f"lead_status_{status}" if status else "leads"
        total = listings.company_total(self.table, company_id, counter)
        page = read_page(self.table, listings.leads(company_id, status), request, total=total, cursor=cursor)
        return _leads(page)

    def search(
        self, company_id: str, status: str | None, request: PageRequest, text: str
    ) -> tuple[list[Lead], dict[str, Any]]:
        """Live leads whose name, email or phone contain ``text`` (lower case), among the newest
        ``SEARCH_SCAN_LIMIT`` of the list."""

        def matches(item: dict[str, Any]) -> bool:
            return text in f"{item.get('full_name')} {item.get('email')} {item.get('phone') or ''}".lower()

        return _leads(search_page(self.table, listings.leads(company_id, status), request, matches))


def _leads(page: Page) -> tuple[list[Lead], dict[str, Any]]:
    return [Lead.model_validate(keys.strip_keys(item)) for item in page.items], page.pagination
