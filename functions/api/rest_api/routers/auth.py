"""Users, sessions and API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rest_api.deps import Body, Caller, MaybeCaller, ServicesDep
from rest_api.routing import DeferredAPIRoute

router = APIRouter(prefix="/auth", tags=["auth"], route_class=DeferredAPIRoute)


@router.post("/register", status_code=201)
def register(body: Body, caller: MaybeCaller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.register_user(body, caller)


@router.post("/login")
def login(body: Body, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.login(body)


@router.post("/refresh")
def refresh(request: Request, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.refresh(request.headers.get("authorization", ""))


@router.post("/logout")
def logout(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.accounts.logout(caller)


@router.get("/user/me")
def me(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.me(caller)


@router.get("/validate")
def validate(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.validate(caller)


@router.post("/api-keys", status_code=201)
def create_api_key(body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.create_api_key(caller, body)


@router.get("/api-keys")
def list_api_keys(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.list_api_keys(caller)


@router.delete("/api-keys/{key_id}")
def revoke_api_key(key_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.revoke_api_key(caller, key_id)
