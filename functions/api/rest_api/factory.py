"""The one app factory every API function shares: error handlers, middleware, and the routers it is given.

Each API Lambda function (``functions/api_*/``) builds its app from the router modules of its resource group
only, so a cold start imports and builds just those routes; :func:`rest_api.app.create_app` builds the full
app (every router) for the OpenAPI document and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI

from knowrithm_core.models.responses.common import Health
from rest_api.contract import ERRORS, operation_id
from rest_api.errors import install_error_handlers
from rest_api.middleware import install_middleware

API_PREFIX = "/api/v1"
LEGACY_PREFIX = "/v1"  # the status_url variant ``/v1/tasks/…``
TITLE = "Knowrithm-compatible API"
VERSION = "1.0.0"
HEALTH_PATHS = ("/health", f"{API_PREFIX}/health")


def create_api(
    routers: Iterable[APIRouter],
    *,
    legacy: Iterable[APIRouter] = (),
    documented: bool = False,
) -> FastAPI:
    """An app serving ``routers`` under ``/api/v1`` (in order: the first match wins) and ``legacy`` under ``/v1``.

    ``documented`` serves ``/api/v1/openapi.json`` and ``/api/v1/docs`` for exactly these routes (the full app);
    a group app serves no document of its own (the system function serves the whole API's).
    """
    app = FastAPI(
        title=TITLE,
        version=VERSION,
        docs_url=f"{API_PREFIX}/docs" if documented else None,
        openapi_url=f"{API_PREFIX}/openapi.json" if documented else None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,  # no OAuth2 flows here: API keys and bearer tokens
        generate_unique_id_function=operation_id,
    )
    api = APIRouter()
    for router in routers:
        api.include_router(router)
    app.include_router(api, prefix=API_PREFIX)
    for router in legacy:
        app.include_router(router, prefix=LEGACY_PREFIX, include_in_schema=False)
    install_middleware(app)  # request ids, body limit and CORS (the HttpApi has no CorsConfiguration)
    install_error_handlers(app)
    if documented:
        from rest_api.openapi import install_openapi  # the full app only: group apps serve no document

        install_openapi(app)  # typed bodies, one error schema, the widget's routes
    return app


def add_health(app: FastAPI) -> None:
    """``GET /health`` and ``/api/v1/health``: the table's reachability (200 or 503)."""
    from rest_api.routers.system import UNHEALTHY, health  # only the apps that serve it import the system router

    for path, name in zip(HEALTH_PATHS, ("health", "health_v1"), strict=True):
        app.add_api_route(
            path,
            health,
            methods=["GET"],
            tags=["system"],
            operation_id=name,
            response_model=Health,
            responses={**ERRORS, **UNHEALTHY},
        )
