"""The FastAPI application: every REST route under ``/api/v1`` plus ``/health``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from knowrithm_core.models.responses.common import Health
from rest_api.contract import ERRORS, operation_id
from rest_api.errors import install_error_handlers
from rest_api.middleware import install_middleware
from rest_api.openapi import install_openapi
from rest_api.routers import (
    agents,
    analytics,
    auth,
    companies,
    conversations,
    documents,
    leads,
    providers,
    settings,
    system,
    webhooks,
)

API_PREFIX = "/api/v1"


def create_app() -> FastAPI:
    app = FastAPI(
        title="Knowrithm-compatible API",
        version="1.0.0",
        docs_url=f"{API_PREFIX}/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    api = APIRouter()
    # settings after providers: GET /settings/providers must not be taken for a settings id
    routers = (companies, auth, agents, providers, conversations, leads, system, webhooks, settings, analytics)
    for module in (*routers, documents):
        api.include_router(module.router)
    app.include_router(api, prefix=API_PREFIX)
    app.include_router(system.router, prefix="/v1", include_in_schema=False)  # status_url variant ``/v1/tasks/…``
    for path, name in (("/health", "health"), (f"{API_PREFIX}/health", "health_v1")):
        app.add_api_route(
            path,
            system.health,
            methods=["GET"],
            tags=["system"],
            operation_id=name,
            response_model=Health,
            responses={**ERRORS, **system.UNHEALTHY},
        )
    install_middleware(app)  # request ids, body limit and CORS (the HttpApi has no CorsConfiguration)
    install_error_handlers(app)
    install_openapi(app)
    return app
