"""ApiSystemFunction: health, the whole API's OpenAPI document and docs page, and JSON 404/405 for the rest.

The document describes every function's routes, so it is built from the full app
(:func:`rest_api.app.create_app`) on the first request for it, not at import: a health check's cold start
never pays for ~100 routes. It then stays cached for the life of the execution environment.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from rest_api.factory import API_PREFIX, TITLE, add_health, create_api
from rest_api.handler import lambda_handler_for

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
DOCS_PATH = f"{API_PREFIX}/docs"


@lru_cache(maxsize=1)
def full_document() -> dict[str, Any]:
    """The OpenAPI document of the whole API (every function's routes)."""
    from rest_api.app import create_app

    return create_app().openapi()


async def openapi(_: Request) -> JSONResponse:
    return JSONResponse(full_document())


async def docs(_: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title=f"{TITLE} - Swagger UI")


app = create_api([])
add_health(app)
# plain routes (GET and HEAD), as FastAPI serves its own document and docs page
app.add_route(OPENAPI_PATH, openapi, methods=["GET"], include_in_schema=False)
app.add_route(DOCS_PATH, docs, methods=["GET"], include_in_schema=False)
lambda_handler = lambda_handler_for(app)
