"""Analytics (``/analytic/*``) and the agent extras ``POST /agent/{id}/test`` and ``/clone``."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from knowrithm_core.models.bodies.analytics import AgentClone, AgentTest, ExportRequest
from knowrithm_core.models.responses.analytics import (
    AgentAnalytics,
    AgentCloned,
    AgentTestResult,
    AnalyticsExport,
    ConversationAnalytics,
    DashboardOverview,
    LeadAnalytics,
    UsageMetrics,
)
from knowrithm_core.models.responses.compat import AgentComparison
from knowrithm_core.models.responses.key_usage import KeyDetail, KeyOverview, KeyPerformance, TopEndpoints, UsageTrends
from rest_api.contract import ERRORS, body_doc, body_of, query_doc
from rest_api.deps import Caller, Query, ServicesDep

router = APIRouter(tags=["analytics"], responses=ERRORS)
ExportBody = Annotated[Any, Depends(body_of(ExportRequest, checked_by_service=True))]
TestBody = Annotated[AgentTest, Depends(body_of(AgentTest))]
CloneBody = Annotated[AgentClone, Depends(body_of(AgentClone))]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV with a header"}
}


@router.get("/analytic/dashboard", response_model=DashboardOverview, response_model_exclude_unset=True)
def dashboard(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.dashboard(caller)


@router.get(
    "/analytic/agent/{agent_id}",
    response_model=AgentAnalytics,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("start_date", "end_date"),
)
def agent_analytics(agent_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.agent(caller, agent_id, query)


@router.get(
    "/analytic/agent/{agent_id}/performance-comparison",
    response_model=AgentComparison,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("start_date", "end_date"),
)
def performance_comparison(agent_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    """The agent's conversations, messages, rating, response time and leads against the company's per-agent
    average."""
    return svc.analytics.performance_comparison(caller, agent_id, query)


@router.get(
    "/analytic/conversation/{conversation_id}", response_model=ConversationAnalytics, response_model_exclude_unset=True
)
def conversation_analytics(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.conversation(caller, conversation_id)


@router.get(
    "/analytic/leads",
    response_model=LeadAnalytics,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("start_date", "end_date"),
)
def lead_analytics(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.leads(caller, query)


@router.get(
    "/analytic/usage",
    response_model=UsageMetrics,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("start_date", "end_date"),
)
def usage_analytics(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.usage(caller, query)


@router.post(
    "/analytic/export",
    response_model=AnalyticsExport,
    response_model_exclude_unset=True,
    responses=CSV,
    openapi_extra=body_doc(ExportRequest),
)
def export_analytics(caller: Caller, body: ExportBody, svc: ServicesDep) -> dict[str, Any] | Response:
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


@router.post(
    "/agent/{agent_id}/test",
    response_model=AgentTestResult,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(AgentTest),
)
def test_agent(agent_id: str, caller: Caller, body: TestBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.agent_tools.test(caller, agent_id, body)


@router.post(
    "/agent/{agent_id}/clone",
    status_code=201,
    response_model=AgentCloned,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(AgentClone),
)
@router.post(
    "/sdk/agent/{agent_id}/clone",
    status_code=201,
    response_model=AgentCloned,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(AgentClone),
)
def clone_agent(agent_id: str, caller: Caller, body: CloneBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.agent_tools.clone(caller, agent_id, body)


# --- API-key usage (Knowrithm's top-level paths; see knowrithm_core.services.analytics.key_usage) -------------
@router.get("/overview", response_model=KeyOverview, response_model_exclude_unset=True, openapi_extra=query_doc("days"))
def key_overview(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    """API keys by status and the requests counted over the last ``days``."""
    return svc.analytics.key_overview(caller, query)


@router.get(
    "/usage-trends",
    response_model=UsageTrends,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("days", "granularity"),
)
def usage_trends(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.usage_trends(caller, query)


@router.get(
    "/top-endpoints",
    response_model=TopEndpoints,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("days", "limit"),
)
def top_endpoints(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.top_endpoints(caller, query)


@router.get(
    "/api-key-performance",
    response_model=KeyPerformance,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("days", "limit"),
)
def api_key_performance(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.key_performance(caller, query)


@router.get(
    "/detailed-usage/{api_key_id}",
    response_model=KeyDetail,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("days"),
)
def detailed_usage(api_key_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.analytics.key_detail(caller, api_key_id, query)
