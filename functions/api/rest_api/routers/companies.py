"""Companies: public onboarding and the caller's own company."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from knowrithm_core.models.bodies.accounts import CompanyCreate
from knowrithm_core.models.responses.auth import Company, CompanyCreated
from rest_api.contract import ERRORS, body_doc, body_of
from rest_api.deps import Caller, ServicesDep

router = APIRouter(tags=["companies"], responses=ERRORS)
CompanyBody = Annotated[CompanyCreate, Depends(body_of(CompanyCreate))]


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
