"""The read-only provider catalogue."""

from typing import Any

from fastapi import APIRouter

from knowrithm_core.models.responses.providers import ModelList, ProviderList, SettingsProviders
from rest_api.contract import ERRORS
from rest_api.deps import Caller, ServicesDep

router = APIRouter(tags=["providers"], responses=ERRORS)


@router.get("/providers", response_model=ProviderList, response_model_exclude_unset=True)
def list_providers(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.list_providers()


@router.get("/providers/{provider_id}/models", response_model=ModelList, response_model_exclude_unset=True)
def list_models(provider_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.list_models(provider_id)


@router.get("/settings/providers", response_model=SettingsProviders, response_model_exclude_unset=True)
def settings_providers(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.settings_providers()
