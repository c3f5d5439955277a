"""The read-only provider catalogue."""

from typing import Any

from fastapi import APIRouter

from knowrithm_core.models.responses.providers import (
    LlmModel,
    ModelList,
    ProviderList,
    ProviderWithModels,
    SettingsProviders,
)
from rest_api.contract import ERRORS
from rest_api.deps import Caller, ServicesDep

router = APIRouter(tags=["providers"], responses=ERRORS)


@router.get("/providers", response_model=ProviderList, response_model_exclude_unset=True)
def list_providers(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.list_providers()


@router.get("/providers/{provider_id}", response_model=ProviderWithModels, response_model_exclude_unset=True)
def get_provider(provider_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """One provider (by id or name) with its models."""
    caller.require("read")
    return svc.providers.provider(provider_id)


@router.get("/providers/{provider_id}/models/{model_id}", response_model=LlmModel, response_model_exclude_unset=True)
def get_model(provider_id: str, model_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """One model (by id or name) of a provider."""
    caller.require("read")
    return svc.providers.model(provider_id, model_id)


@router.get("/providers/{provider_id}/models", response_model=ModelList, response_model_exclude_unset=True)
def list_models(provider_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.list_models(provider_id)


@router.get("/settings/providers", response_model=SettingsProviders, response_model_exclude_unset=True)
def settings_providers(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.settings_providers()
