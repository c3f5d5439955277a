"""Leads: public widget registration and management."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rest_api.deps import Body, Caller, Query, ServicesDep, client_ip, page_origin
from rest_api.routing import DeferredAPIRoute

router = APIRouter(tags=["leads"], route_class=DeferredAPIRoute)


@router.post("/lead/register", status_code=201)
def register_lead(body: Body, request: Request, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.register(
        body, ip_address=client_ip(request), user_agent=request.headers.get("user-agent"), origin=page_origin(request)
    )


@router.post("/sdk/lead", status_code=201)
@router.post("/lead", status_code=201)
def create_lead(body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.create(caller, body)


@router.get("/lead/company")
def list_company_leads(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.list_company(caller, query)


@router.get("/lead/{lead_id}")
def get_lead(lead_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.get(caller, lead_id)


@router.put("/sdk/lead/{lead_id}")
@router.put("/lead/{lead_id}")
def update_lead(lead_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.update(caller, lead_id, body)


@router.delete("/sdk/lead/{lead_id}")
@router.delete("/lead/{lead_id}")
def delete_lead(lead_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.delete(caller, lead_id)
