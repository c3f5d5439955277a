"""Settings (LLM choice, ``widget_config``, ``allowed_domains``), under ``/settings`` and ``/sdk/settings``."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from knowrithm_core.models.bodies.agents import SettingsCreate, SettingsUpdate
from knowrithm_core.models.responses.compat import ProvidersSeeded, SettingsTested
from knowrithm_core.models.responses.settings import SettingsDeleted, SettingsList, SettingsRecord
from rest_api.contract import ERRORS, body_doc, body_of
from rest_api.deps import Caller, ServicesDep

router = APIRouter(tags=["settings"], responses=ERRORS)
CreateBody = Annotated[SettingsCreate, Depends(body_of(SettingsCreate))]
UpdateBody = Annotated[SettingsUpdate, Depends(body_of(SettingsUpdate))]


@router.post(
    "/settings",
    status_code=201,
    response_model=SettingsRecord,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(SettingsCreate),
)
@router.post(
    "/sdk/settings",
    status_code=201,
    response_model=SettingsRecord,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(SettingsCreate),
)
def create_settings(caller: Caller, body: CreateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.create(caller, body)


@router.post("/settings/test/{settings_id}", response_model=SettingsTested, response_model_exclude_unset=True)
def test_settings(settings_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """Check that the settings' LLM and embedding provider and model are still offered (400 when not)."""
    return svc.llm_settings.test(caller, settings_id)


@router.post("/settings/providers/seed", response_model=ProvidersSeeded, response_model_exclude_unset=True)
def seed_providers(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """Idempotent: the provider catalogue is built in (configured by the deployment), so this only reports it."""
    caller.require("admin")
    return svc.providers.seed()


@router.get("/settings/agent/{agent_id}", response_model=SettingsRecord, response_model_exclude_unset=True)
@router.get("/sdk/settings/agent/{agent_id}", response_model=SettingsRecord, response_model_exclude_unset=True)
def agent_settings(agent_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.for_agent(caller, agent_id)


@router.get("/settings/company/{company_id}", response_model=SettingsList, response_model_exclude_unset=True)
def company_settings(company_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.for_company(caller, company_id)


@router.get("/settings/{settings_id}", response_model=SettingsRecord, response_model_exclude_unset=True)
@router.get("/sdk/settings/{settings_id}", response_model=SettingsRecord, response_model_exclude_unset=True)
def get_settings(settings_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.get(caller, settings_id)


@router.put(
    "/settings/{settings_id}",
    response_model=SettingsRecord,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(SettingsUpdate),
)
@router.put(
    "/sdk/settings/{settings_id}",
    response_model=SettingsRecord,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(SettingsUpdate),
)
def update_settings(settings_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.update(caller, settings_id, body)


@router.delete("/settings/{settings_id}", response_model=SettingsDeleted, response_model_exclude_unset=True)
@router.delete("/sdk/settings/{settings_id}", response_model=SettingsDeleted, response_model_exclude_unset=True)
def delete_settings(settings_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.llm_settings.delete(caller, settings_id)
