"""The FastAPI application: every REST route under ``/api/v1`` plus ``/health``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from rest_api.errors import install_error_handlers
from rest_api.middleware import install_middleware
from rest_api.routers import agents, auth, companies, conversations, leads, providers, system, webhooks

API_PREFIX = "/api/v1"


def create_app() -> FastAPI:
    app = FastAPI(
        title="Knowrithm-compatible API",
        version="1.0.0",
        docs_url=f"{API_PREFIX}/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
        redoc_url=None,
    )
    api = APIRouter()
    for module in (companies, auth, agents, providers, conversations, leads, system, webhooks):
        api.include_router(module.router)
    app.include_router(api, prefix=API_PREFIX)
    app.include_router(system.router, prefix="/v1", include_in_schema=False)  # status_url variant ``/v1/tasks/…``
    for path in ("/health", f"{API_PREFIX}/health"):
        app.add_api_route(path, system.health, methods=["GET"], tags=["system"])
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        max_age=600,
        allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-API-Secret", "Prefer", "X-Request-Id"],
        expose_headers=["X-Knowrithm-Request-Id", "Retry-After"],
    )
    install_middleware(app)
    install_error_handlers(app)
    return app
