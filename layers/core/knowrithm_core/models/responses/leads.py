"""Leads: widget registration (with lead tokens) and management."""

from typing import Any

from knowrithm_core.models.responses.auth import TokenPair
from knowrithm_core.models.responses.common import Out, Pagination


class LeadCompany(Out):
    id: str | None = None
    name: str | None = None
    email: str | None = None


class Lead(Out):
    id: str | None = None
    company_id: str | None = None
    agent_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    notes: str | None = None
    status: str | None = None
    consent_data_processing: bool | None = None
    consent_marketing: bool | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    is_active: bool | None = None
    last_activity: str | None = None
    deleted_at: str | None = None
    company: LeadCompany | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class LeadRegistration(TokenPair):
    """A registered lead plus its lead tokens (top level and under ``tokens``)."""

    success: bool | None = None
    message: str | None = None
    created: bool | None = None
    lead: Lead | None = None
    tokens: TokenPair | None = None


class LeadEnvelope(Out):
    success: bool | None = None
    message: str | None = None
    lead: Lead | None = None


class LeadDeleted(Out):
    success: bool | None = None
    message: str | None = None
    lead_id: str | None = None


class LeadPage(Out):
    leads: list[Lead] | None = None
    pagination: Pagination | None = None


class LeadList(Out):
    success: bool | None = None
    leads: list[Lead] | None = None
    items: list[Lead] | None = None
    pagination: Pagination | None = None
    data: LeadPage | None = None
