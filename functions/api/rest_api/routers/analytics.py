"""Analytics (``/analytic/*``) and the agent extras ``POST /agent/{id}/test`` and ``/clone``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from rest_api.deps import Body, Caller, Query, ServicesDep
from rest_api.routing import DeferredAPIRoute

router = APIRouter(tags=["analytics"], route_class=DeferredAPIRoute)


@router.get("/analytic/dashboard")
def dashboard(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.dashboard(caller)


@router.get("/analytic/agent/{agent_id}")
def agent_analytics(agent_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.agent(caller, agent_id, query)


@router.get("/analytic/conversation/{conversation_id}")
def conversation_analytics(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.conversation(caller, conversation_id)


@router.get("/analytic/leads")
def lead_analytics(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.leads(caller, query)


@router.get("/analytic/usage")
def usage_analytics(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.usage(caller, query)


@router.post("/analytic/export", response_model=None)
def export_analytics(body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any] | Response:
    """JSON (``{metadata, count, <type>: [...]}``) or CSV text with a header row."""
    result = svc.analytics.export(caller, body)
    if result.format == "json":
        return result.body
    return Response(
        result.csv_text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{result.filename}"',
            "X-Export-Count": str(result.body["count"]),
            "X-Export-Truncated": str(result.body["metadata"]["truncated"]).lower(),
        },
    )


@router.post("/agent/{agent_id}/test")
def test_agent(agent_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agent_tools.test(caller, agent_id, body)


@router.post("/agent/{agent_id}/clone", status_code=201)
@router.post("/sdk/agent/{agent_id}/clone", status_code=201)
def clone_agent(agent_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.agent_tools.clone(caller, agent_id, body)
