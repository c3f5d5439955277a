"""Users, sessions and API keys."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from knowrithm_core.models.bodies.accounts import ApiKeyCreate, Login, UserRegister
from knowrithm_core.models.responses.auth import (
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyRevoked,
    LoggedOut,
    Registered,
    Session,
    Validation,
)
from rest_api.contract import ERRORS, body_doc, body_of, query_doc
from rest_api.deps import Caller, MaybeCaller, Query, ServicesDep

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERRORS)
RegisterBody = Annotated[UserRegister, Depends(body_of(UserRegister))]
LoginBody = Annotated[Login, Depends(body_of(Login))]
ApiKeyBody = Annotated[ApiKeyCreate, Depends(body_of(ApiKeyCreate))]


@router.post(
    "/register",
    status_code=201,
    response_model=Registered,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(UserRegister),
)
def register(caller: MaybeCaller, body: RegisterBody, svc: ServicesDep) -> dict[str, Any]:
    """A user of the caller's company (an admin), or the first user of a new company (then with a session)."""
    return svc.auth.register_user(body, caller)


@router.post("/login", response_model=Session, response_model_exclude_unset=True, openapi_extra=body_doc(Login))
def login(body: LoginBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.login(body)


@router.post("/refresh", response_model=Session, response_model_exclude_unset=True)
def refresh(request: Request, svc: ServicesDep) -> dict[str, Any]:
    """New tokens for the refresh token sent as the Bearer."""
    return svc.auth.refresh(request.headers.get("authorization", ""))


@router.post("/logout", response_model=LoggedOut, response_model_exclude_unset=True)
def logout(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """Revoke every session of the calling user (API keys are refused: they have no session)."""
    return svc.auth.accounts.logout(caller)


@router.get("/user/me", response_model=Session, response_model_exclude_unset=True)
def me(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.me(caller)


@router.get("/validate", response_model=Validation, response_model_exclude_unset=True)
def validate(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.validate(caller)


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(ApiKeyCreate),
)
def create_api_key(caller: Caller, body: ApiKeyBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.create_api_key(caller, body)


@router.get(
    "/api-keys",
    response_model=ApiKeyList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "cursor"),
)
def list_api_keys(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.list_api_keys(caller, query)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRevoked, response_model_exclude_unset=True)
def revoke_api_key(key_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.auth.revoke_api_key(caller, key_id)
