"""Companies: public onboarding and the caller's own company."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rest_api.deps import Body, Caller, ServicesDep
from rest_api.routing import DeferredAPIRoute

router = APIRouter(tags=["companies"], route_class=DeferredAPIRoute)


@router.post("/company", status_code=201)
def create_company(body: Body, svc: ServicesDep) -> dict[str, Any]:
    company = svc.companies.create(body).public()
    return {**company, "company": company, "message": "Company created successfully."}


@router.get("/company")
def get_company(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.companies.mine(caller).public()
