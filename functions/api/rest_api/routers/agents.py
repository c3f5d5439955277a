"""Agents, under both ``/agent`` and the official SDK's ``/sdk/agent`` paths."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from knowrithm_core.models.bodies.agents import AgentCreate, AgentUpdate
from knowrithm_core.models.responses.agents import (
    AgentCreated,
    AgentDeleted,
    AgentEnvelope,
    AgentList,
    AgentStats,
    EmbedCode,
)
from rest_api.contract import ERRORS, body_doc, body_of, query_doc
from rest_api.deps import Caller, MaybeCaller, Query, ServicesDep, origin_of

router = APIRouter(tags=["agents"], responses=ERRORS)
CreateBody = Annotated[AgentCreate, Depends(body_of(AgentCreate))]
UpdateBody = Annotated[AgentUpdate, Depends(body_of(AgentUpdate))]


@router.post(
    "/agent",
    status_code=201,
    response_model=AgentCreated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(AgentCreate),
)
@router.post(
    "/sdk/agent",
    status_code=201,
    response_model=AgentCreated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(AgentCreate),
)
def create_agent(caller: Caller, body: CreateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.create(caller, body)


@router.get(
    "/agent",
    response_model=AgentList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "status", "search", "cursor"),
)
def list_agents(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.list(caller, query)


@router.get("/agent/by-name/{name}", response_model=AgentEnvelope, response_model_exclude_unset=True)
def get_agent_by_name(name: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """The caller's company's live agent with this name (case-insensitive; 404 when none)."""
    return svc.agents.by_name(caller, name)


@router.get("/agent/{agent_id}", response_model=AgentEnvelope, response_model_exclude_unset=True)
def get_agent(agent_id: str, caller: MaybeCaller, svc: ServicesDep) -> dict[str, Any]:
    """Without credentials, only the agent's public fields."""
    return svc.agents.get(agent_id, caller)


@router.put(
    "/agent/{agent_id}",
    response_model=AgentEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(AgentUpdate),
)
@router.put(
    "/sdk/agent/{agent_id}",
    response_model=AgentEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(AgentUpdate),
)
def update_agent(agent_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.update(caller, agent_id, body)


@router.delete(
    "/agent/{agent_id}",
    response_model=AgentDeleted,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("force"),
)
@router.delete(
    "/sdk/agent/{agent_id}",
    response_model=AgentDeleted,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("force"),
)
def delete_agent(agent_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.delete(caller, agent_id, force=query.get("force", "").lower() in {"1", "true", "yes"})


@router.patch("/agent/{agent_id}/restore", response_model=AgentEnvelope, response_model_exclude_unset=True)
@router.patch("/sdk/agent/{agent_id}/restore", response_model=AgentEnvelope, response_model_exclude_unset=True)
def restore_agent(agent_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.restore(caller, agent_id)


@router.get("/agent/{agent_id}/embed-code", response_model=EmbedCode, response_model_exclude_unset=True)
def embed_code(agent_id: str, request: Request, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.embed_code(caller, agent_id, origin_of(request))


@router.get("/agent/{agent_id}/stats", response_model=AgentStats, response_model_exclude_unset=True)
def agent_stats(agent_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agents.stats(caller, agent_id)
