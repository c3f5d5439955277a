"""Leads: public widget registration and management."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from knowrithm_core.models.bodies.leads import LeadCreate, LeadRegister, LeadUpdate
from knowrithm_core.models.responses.leads import LeadDeleted, LeadEnvelope, LeadList, LeadRegistration
from rest_api.contract import ERRORS, body_doc, body_of, query_doc
from rest_api.deps import Caller, Query, ServicesDep, client_ip, page_origin

router = APIRouter(tags=["leads"], responses=ERRORS)
RegisterBody = Annotated[LeadRegister, Depends(body_of(LeadRegister))]
CreateBody = Annotated[LeadCreate, Depends(body_of(LeadCreate))]
UpdateBody = Annotated[LeadUpdate, Depends(body_of(LeadUpdate))]


@router.post(
    "/lead/register",
    status_code=201,
    response_model=LeadRegistration,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(LeadRegister),
)
def register_lead(body: RegisterBody, request: Request, svc: ServicesDep) -> dict[str, Any]:
    """Public (the widget): the lead and its tokens; 403 from a page origin the agent does not allow."""
    return svc.leads.register(
        body, ip_address=client_ip(request), user_agent=request.headers.get("user-agent"), origin=page_origin(request)
    )


@router.post(
    "/sdk/lead",
    status_code=201,
    response_model=LeadEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(LeadCreate),
)
@router.post(
    "/lead",
    status_code=201,
    response_model=LeadEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(LeadCreate),
)
def create_lead(caller: Caller, body: CreateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.create(caller, body)


@router.get(
    "/lead/company",
    response_model=LeadList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "status", "search", "cursor"),
)
def list_company_leads(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.list_company(caller, query)


@router.get("/lead/{lead_id}", response_model=LeadEnvelope, response_model_exclude_unset=True)
def get_lead(lead_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.get(caller, lead_id)


@router.put(
    "/sdk/lead/{lead_id}",
    response_model=LeadEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(LeadUpdate),
)
@router.put(
    "/lead/{lead_id}",
    response_model=LeadEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(LeadUpdate),
)
def update_lead(lead_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.update(caller, lead_id, body)


@router.delete("/sdk/lead/{lead_id}", response_model=LeadDeleted, response_model_exclude_unset=True)
@router.delete("/lead/{lead_id}", response_model=LeadDeleted, response_model_exclude_unset=True)
def delete_lead(lead_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.leads.delete(caller, lead_id)
