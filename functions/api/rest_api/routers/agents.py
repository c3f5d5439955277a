"""Agents, under both ``/agent`` and the official SDK's ``/sdk/agent`` paths."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rest_api.deps import Body, Caller, MaybeCaller, Query, ServicesDep, origin_of
from rest_api.routing import DeferredAPIRoute

router = APIRouter(tags=["agents"], route_class=DeferredAPIRoute)


@router.post("/agent", status_code=201)
@router.post("/sdk/agent", status_code=201)
def create_agent(body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.create(caller, body)


@router.get("/agent")
def list_agents(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.list(caller, query)


@router.get("/agent/{agent_id}")
def get_agent(agent_id: str, caller: MaybeCaller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.get(agent_id, caller)


@router.put("/agent/{agent_id}")
@router.put("/sdk/agent/{agent_id}")
def update_agent(agent_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.update(caller, agent_id, body)


@router.delete("/agent/{agent_id}")
@router.delete("/sdk/agent/{agent_id}")
def delete_agent(agent_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.delete(caller, agent_id, force=query.get("force", "").lower() in {"1", "true", "yes"})


@router.patch("/agent/{agent_id}/restore")
@router.patch("/sdk/agent/{agent_id}/restore")
def restore_agent(agent_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.restore(caller, agent_id)


@router.get("/agent/{agent_id}/embed-code")
def embed_code(agent_id: str, request: Request, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.embed_code(caller, agent_id, origin_of(request))


@router.get("/agent/{agent_id}/stats")
def agent_stats(agent_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.stats(caller, agent_id)
