"""The read-only provider catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rest_api.deps import Caller, ServicesDep
from rest_api.routing import DeferredAPIRoute

router = APIRouter(tags=["providers"], route_class=DeferredAPIRoute)


@router.get("/providers")
def list_providers(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.list_providers()


@router.get("/providers/{provider_id}/models")
def list_models(provider_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.list_models(provider_id)


@router.get("/settings/providers")
def settings_providers(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.providers.settings_providers()
