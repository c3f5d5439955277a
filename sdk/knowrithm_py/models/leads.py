"""Leads: widget registration (with lead tokens) and management."""

from __future__ import annotations

from typing import Any, Required, TypedDict

from knowrithm_py.models.auth import TokenPair
from knowrithm_py.models.common import Pagination


class LeadFields(TypedDict, total=False):
    phone: str
    source: str
    notes: str
    tags: list[str]
    metadata: dict[str, Any]
    consent_data_processing: bool
    consent_marketing: bool


class LeadRegisterRequest(LeadFields, total=False):
    """``POST /lead/register`` (public): the company comes from the agent."""

    agent_id: Required[str]
    first_name: Required[str]
    last_name: Required[str]
    email: Required[str]


class LeadCreateRequest(LeadFields, total=False):
    first_name: Required[str]
    last_name: Required[str]
    email: Required[str]
    agent_id: str
    status: str  # new | contacted | qualified | converted | lost


class LeadUpdateRequest(LeadFields, total=False):
    first_name: str
    last_name: str
    email: str
    status: str


class LeadCompany(TypedDict, total=False):
    id: str
    name: str
    email: str


class Lead(TypedDict, total=False):
    id: str
    company_id: str
    agent_id: str | None
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str | None
    source: str | None
    notes: str | None
    status: str
    consent_data_processing: bool
    consent_marketing: bool
    tags: list[str]
    metadata: dict[str, Any]
    ip_address: str | None
    user_agent: str | None
    is_active: bool
    last_activity: str | None
    deleted_at: str | None
    company: LeadCompany
    version: int
    created_at: str
    updated_at: str


class LeadRegistration(TokenPair, total=False):
    """A registered lead plus its lead tokens (top level and under ``tokens``)."""

    success: bool
    message: str
    created: bool
    lead: Lead
    tokens: TokenPair


class LeadEnvelope(TypedDict, total=False):
    success: bool
    message: str
    lead: Lead


class LeadDeleted(TypedDict, total=False):
    success: bool
    message: str
    lead_id: str


class LeadPage(TypedDict, total=False):
    leads: list[Lead]
    pagination: Pagination


class LeadList(TypedDict, total=False):
    success: bool
    leads: list[Lead]
    items: list[Lead]
    pagination: Pagination
    data: LeadPage
