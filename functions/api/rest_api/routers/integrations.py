"""Connectors: Slack (``/integrations/slack``) and Slack's Events API callback."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from knowrithm_core.models.bodies.integrations import SlackEvent, SlackIntegrationRequest
from knowrithm_core.models.responses.integrations import SlackEventAck, SlackIntegrationEnvelope
from rest_api.contract import ERRORS, body_doc, body_of
from rest_api.deps import Caller, ServicesDep, origin_of

router = APIRouter(prefix="/integrations", tags=["integrations"], responses=ERRORS)
SlackBody = Annotated[SlackIntegrationRequest, Depends(body_of(SlackIntegrationRequest))]
EVENTS_DOC = {
    "parameters": [
        {
            "name": "company_id",
            "in": "query",
            "required": True,
            "schema": {"type": "string"},
            "description": "The company whose signing secret signs the request (part of `events_url`).",
        }
    ],
    **body_doc(SlackEvent),
}


def _events_url(request: Request, company_id: str) -> str:
    return f"{origin_of(request)}/api/v1/integrations/slack/events?company_id={company_id}"


@router.post(
    "/slack",
    response_model=SlackIntegrationEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(SlackIntegrationRequest),
)
def connect_slack(request: Request, caller: Caller, body: SlackBody, svc: ServicesDep) -> dict[str, Any]:
    """Connect (or reconnect) Slack: the token is checked with ``auth.test``; secrets are stored sealed."""
    return svc.slack.configure(caller, body, _events_url(request, caller.company_id))


@router.get("/slack", response_model=SlackIntegrationEnvelope, response_model_exclude_unset=True)
def get_slack(request: Request, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """The connector's settings; secrets masked."""
    return svc.slack.read(caller, _events_url(request, caller.company_id))


@router.delete("/slack", response_model=SlackIntegrationEnvelope, response_model_exclude_unset=True)
def disconnect_slack(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.slack.remove(caller)


@router.post("/slack/events", response_model=SlackEventAck, response_model_exclude_unset=True, openapi_extra=EVENTS_DOC)
async def slack_events(request: Request, svc: ServicesDep) -> dict[str, Any]:
    """Slack's Events API: verified with the company's signing secret (v0, 5 minutes) before anything else."""
    raw = await request.body()
    return svc.slack.receive(request.query_params.get("company_id"), raw, dict(request.headers))
