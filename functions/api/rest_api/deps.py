"""Request helpers shared by every router: services, caller, JSON body, query string.

Nothing here imports the container, the settings, the store or the JSON parser: a route's dependencies
are resolved on a request, so what they use is imported on the first one, not in the import phase. Each helper is one
FastAPI dependency with only ``Request`` as parameter (no chain of sub-dependencies), which is also what
FastAPI analyses per route when the routers are built.
"""

from typing import TYPE_CHECKING, Annotated, Any, cast

from fastapi import Depends, Request

from knowrithm_core.errors import Unauthorized

if TYPE_CHECKING:
    from knowrithm_core.auth import Principal
    from knowrithm_core.container import Services
    from knowrithm_core.services.auth import AuthService
else:  # FastAPI reads these annotations for every route; the modules are imported on the first request
    Principal = Services = AuthService = Any


UNRESOLVED = object()


def services() -> Services:
    """The process's services (:func:`knowrithm_core.container.get_services`), imported on first use."""
    from knowrithm_core.container import get_services

    return get_services()


ServicesDep = Annotated[Services, Depends(services)]


def optional_principal(request: Request) -> Principal | None:
    """The caller; a lead token is refused (403) from any page origin but the one it was registered on.

    An API key's request is counted against its quotas once per request (429 over one); the
    ``X-RateLimit-*`` headers it earns are kept in ``request.state.rate_limit_headers`` for the middleware.
    """
    known = getattr(request.state, "caller", UNRESOLVED)  # resolved (and counted) once per request
    if known is not UNRESOLVED:
        return cast("Principal | None", known)
    auth = services().auth
    caller = auth.authenticate(request.headers)
    if caller is not None and caller.is_lead:
        from knowrithm_core.widget.origins import request_origin, require_bound_origin

        require_bound_origin(caller.origin, request_origin(request.headers))
    if caller is not None and caller.kind == "api_key":
        meter(request, auth, caller)
    request.state.caller = caller
    return caller


def meter(request: Request, auth: AuthService, caller: Principal) -> None:
    """Count the key's request (:meth:`knowrithm_core.services.auth.AuthService.count_use`), keeping its headers."""
    from knowrithm_core.errors import QuotaExceeded

    try:
        used = auth.count_use(caller)
    except QuotaExceeded as exc:
        request.state.rate_limit_headers = exc.headers
        raise
    if used is not None:
        request.state.rate_limit_headers = used.headers()


def principal(request: Request) -> Principal:
    caller = optional_principal(request)
    if caller is None:
        raise Unauthorized("Authentication required: send X-API-Key and X-API-Secret, or a Bearer token.")
    return caller


Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]


async def json_body(request: Request) -> Any:
    """The JSON body through :func:`knowrithm_core.safe_json.parse_json` (the middleware's parse, when it ran);
    an empty body is ``{}``; anything refused is a 4xx."""
    parsed = getattr(request.state, "json_body", None)
    if parsed is not None:
        return parsed
    from knowrithm_core.config import get_settings
    from knowrithm_core.safe_json import parse_json

    return parse_json(await request.body(), max_bytes=get_settings().max_body_bytes)


Body = Annotated[Any, Depends(json_body)]


def query_params(request: Request) -> dict[str, str]:
    return dict(request.query_params)


Query = Annotated[dict[str, str], Depends(query_params)]


def client_ip(request: Request) -> str | None:
    """The caller's IP as API Gateway saw it (``requestContext.http.sourceIp``; X-Forwarded-For can be forged)."""
    event = request.scope.get("aws.event")
    if isinstance(event, dict):
        source = event.get("requestContext", {}).get("http", {}).get("sourceIp")
        if source:
            return str(source)
    return request.client.host if request.client else None


def page_origin(request: Request) -> str | None:
    """The calling page's origin (``Origin``, else ``Referer``), for allowed-domain checks."""
    from knowrithm_core.widget.origins import request_origin

    return request_origin(request.headers)


def origin_of(request: Request) -> str:
    """The public origin the caller used (API Gateway's Host plus forwarded scheme)."""
    proto = request.headers.get("x-forwarded-proto") or request.url.scheme
    host = request.headers.get("host") or request.url.netloc
    return f"{proto}://{host}"
