"""Companies: public onboarding, the caller's own company (read, update) and its lead statistics."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from knowrithm_core.models.bodies.accounts import CompanyCreate
from knowrithm_core.models.bodies.users import CompanyUpdate
from knowrithm_core.models.responses.auth import Company, CompanyCreated
from knowrithm_core.models.responses.users import CompanyStatistics, CompanyUpdated
from rest_api.contract import ERRORS, body_doc, body_of, query_doc
from rest_api.deps import Caller, Query, ServicesDep

router = APIRouter(tags=["companies"], responses=ERRORS)
CompanyBody = Annotated[CompanyCreate, Depends(body_of(CompanyCreate))]
UpdateBody = Annotated[CompanyUpdate, Depends(body_of(CompanyUpdate))]


@router.post(
    "/company",
    status_code=201,
    response_model=CompanyCreated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(CompanyCreate),
)
def create_company(body: CompanyBody, svc: ServicesDep) -> dict[str, Any]:
    company = svc.companies.create(body).public()
    return {**company, "company": company, "message": "Company created successfully."}


@router.get("/company", response_model=Company, response_model_exclude_unset=True)
def get_company(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.companies.mine(caller).public()


@router.put(
    "/company/{company_id}",
    response_model=CompanyUpdated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(CompanyUpdate),
)
def update_company(company_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    """Change only the fields sent (admins, their own company)."""
    return svc.companies.update(caller, company_id, body)


@router.patch(
    "/company/{company_id}",
    response_model=CompanyUpdated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(CompanyUpdate),
)
def patch_company(company_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    """The same as ``PUT``: only the fields sent change."""
    return svc.companies.update(caller, company_id, body)


@router.get(
    "/company/statistics",
    response_model=CompanyStatistics,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("days"),
)
def my_statistics(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.companies.statistics(caller, None, query.get("days"))


@router.get(
    "/company/{company_id}/statistics",
    response_model=CompanyStatistics,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("days"),
)
def statistics(company_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    """Lead statistics of the caller's own company (another id is 404)."""
    return svc.companies.statistics(caller, company_id, query.get("days"))
