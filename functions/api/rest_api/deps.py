"""Request helpers shared by every router: services, caller, JSON body, query string."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request

from knowrithm_core.auth import Principal
from knowrithm_core.container import Services, get_services
from knowrithm_core.errors import InvalidJson, Unauthorized


def services() -> Services:
    return get_services()


ServicesDep = Annotated[Services, Depends(services)]


def optional_principal(request: Request, svc: ServicesDep) -> Principal | None:
    return svc.auth.authenticate(request.headers)


def principal(caller: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if caller is None:
        raise Unauthorized("Authentication required: send X-API-Key and X-API-Secret, or a Bearer token.")
    return caller


Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]


async def json_body(request: Request) -> Any:
    """The parsed JSON body; an empty body is ``{}``; anything unparsable is a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidJson("The request body is not valid JSON.") from exc


Body = Annotated[Any, Depends(json_body)]


def query_params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


Query = Annotated[dict[str, str], Depends(query_params)]


def origin_of(request: Request) -> str:
    """The public origin the caller used (API Gateway's Host plus forwarded scheme)."""
    proto = request.headers.get("x-forwarded-proto") or request.url.scheme
    host = request.headers.get("host") or request.url.netloc
    return f"{proto}://{host}"
