"""Settings (LLM choice, ``widget_config``, ``allowed_domains``), under ``/settings`` and ``/sdk/settings``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rest_api.deps import Body, Caller, ServicesDep
from rest_api.routing import DeferredAPIRoute

router = APIRouter(tags=["settings"], route_class=DeferredAPIRoute)


@router.post("/settings", status_code=201)
@router.post("/sdk/settings", status_code=201)
def create_settings(body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.create(caller, body)


@router.get("/settings/agent/{agent_id}")
@router.get("/sdk/settings/agent/{agent_id}")
def agent_settings(agent_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.for_agent(caller, agent_id)


@router.get("/settings/company/{company_id}")
def company_settings(company_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.for_company(caller, company_id)


@router.get("/settings/{settings_id}")
@router.get("/sdk/settings/{settings_id}")
def get_settings(settings_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.get(caller, settings_id)


@router.put("/settings/{settings_id}")
@router.put("/sdk/settings/{settings_id}")
def update_settings(settings_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.update(caller, settings_id, body)


@router.delete("/settings/{settings_id}")
@router.delete("/sdk/settings/{settings_id}")
def delete_settings(settings_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.delete(caller, settings_id)
