"""Leads: public widget registration and management (``/lead``, ``/sdk/lead``)."""

from __future__ import annotations

from typing import cast
from urllib.parse import quote

from knowrithm_py.models.leads import (
    LeadCreateRequest,
    LeadDeleted,
    LeadEnvelope,
    LeadList,
    LeadRegisterRequest,
    LeadRegistration,
    LeadUpdateRequest,
)
from knowrithm_py.services._base import Headers, Service, page_params


class LeadService(Service):
    def register_lead(self, payload: LeadRegisterRequest, *, headers: Headers = None) -> LeadRegistration:
        """``POST /lead/register`` (public): the lead and its lead tokens (for widget-style calls)."""
        return cast(LeadRegistration, self._core.call("POST", "/lead/register", json=dict(payload), headers=headers))

    def create_lead(self, payload: LeadCreateRequest, *, headers: Headers = None) -> LeadEnvelope:
        """``POST /sdk/lead``: 409 if the company already has a lead with this email."""
        return cast(LeadEnvelope, self._core.call("POST", "/sdk/lead", json=dict(payload), headers=headers))

    def get_lead(self, lead_id: str, *, headers: Headers = None) -> LeadEnvelope:
        """``GET /lead/{id}``: the lead with its company."""
        return cast(LeadEnvelope, self._core.call("GET", f"/lead/{quote(lead_id, safe='')}", headers=headers))

    def list_company_leads(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        status: str | None = None,
        search: str | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> LeadList:
        """``GET /lead/company``: newest first; ``leads`` at the top level and under ``data``; ``cursor`` is the
        previous page's ``pagination["next_cursor"]``."""
        params = page_params(page, per_page, status=status, search=search, cursor=cursor)
        return cast(LeadList, self._core.call("GET", "/lead/company", params=params, headers=headers))

    def update_lead(self, lead_id: str, payload: LeadUpdateRequest, *, headers: Headers = None) -> LeadEnvelope:
        """``PUT /sdk/lead/{id}``: only the given fields change."""
        path = f"/sdk/lead/{quote(lead_id, safe='')}"
        return cast(LeadEnvelope, self._core.call("PUT", path, json=dict(payload), headers=headers))

    def delete_lead(self, lead_id: str, *, headers: Headers = None) -> LeadDeleted:
        """``DELETE /sdk/lead/{id}`` (soft)."""
        return cast(LeadDeleted, self._core.call("DELETE", f"/sdk/lead/{quote(lead_id, safe='')}", headers=headers))
