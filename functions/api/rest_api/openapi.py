"""The served OpenAPI 3.1 document: FastAPI's, plus the typed request bodies, one error schema, the widget, rate
limits (429 and an API key's ``X-RateLimit-*`` headers).

``python -m rest_api.openapi openapi.json`` writes the full app's document (``make openapi``; ``make test`` fails
when the committed ``openapi.json`` differs from it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from rest_api.contract import REFERENCED
from rest_api.widget_schema import router as widget_router

REF = "#/components/schemas/{model}"
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")  # our validation errors are 400 ErrorBody


def _add_referenced(document: dict[str, Any]) -> None:
    """The models that routes reference by hand (request bodies), into the document's components."""
    models = sorted(REFERENCED, key=lambda model: model.__name__)
    _, schemas = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in schemas.get("$defs", {}).items():
        if name in components and components[name] != schema:
            raise ValueError(f"two different schemas are named {name}")
        components[name] = schema


def _drop_fastapi_validation(document: dict[str, Any]) -> None:
    """FastAPI documents 422 ``HTTPValidationError``; this API answers 400 with the shared error schema."""
    for operations in document["paths"].values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    for name in FASTAPI_VALIDATION:
        document.get("components", {}).get("schemas", {}).pop(name, None)


RATE_HEADERS = {
    "X-RateLimit-Limit": "The tighter quota window's limit (per hour or per day) of the API key that made the request.",
    "X-RateLimit-Remaining": "Requests left in that window.",
    "X-RateLimit-Reset": "When that window ends, in UTC epoch seconds.",
}
TOO_MANY = (
    "Too many requests: an API key over its `rate_limit_per_hour` or `rate_limit_per_day` (error_code "
    "`rate_limited`), or one of the widget's and uploads' limits. Wait `Retry-After` seconds."
)


def _header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _add_rate_limits(document: dict[str, Any]) -> None:
    """An API key's ``X-RateLimit-*`` headers on every 2xx (sent when a key with limits authenticated the
    request) and a 429 with ``Retry-After`` on every operation, from shared ``components.headers``."""
    headers = document.setdefault("components", {}).setdefault("headers", {})
    for name, description in RATE_HEADERS.items():
        headers[name] = {"description": description, "schema": {"type": "integer"}}
    headers["Retry-After"] = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
    document["components"].setdefault("responses", {})["TooManyRequests"] = {
        "description": TOO_MANY,
        "headers": {name: _header_ref(name) for name in ("Retry-After", *RATE_HEADERS)},
        "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorBody")}}},
    }
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if str(status).startswith("2"):
                    response.setdefault("headers", {}).update({name: _header_ref(name) for name in RATE_HEADERS})
            responses["429"] = {"$ref": "#/components/responses/TooManyRequests"}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document for ``app``'s routes and the widget function's public routes."""
    routes = [*app.routes, *widget_router.routes]
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=routes,
        tags=app.openapi_tags,
    )
    _add_referenced(document)
    _drop_fastapi_validation(document)
    _add_rate_limits(document)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`build_openapi`'s document (built once, on the first request for it)."""
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not cache:
            cache.update(build_openapi(app))
        return cache

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customize the schema


def render(app: FastAPI) -> str:
    """The document as committed: stable key order, two-space indent, a final newline."""
    return json.dumps(build_openapi(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    from rest_api.app import create_app

    text = render(create_app())
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
