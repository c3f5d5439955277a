"""Typed request bodies read by the one JSON parser, the shared error responses, and operation ids.

A route's body is ``Annotated[Model, Depends(body_of(Model))]``: the dependency reads the body with
:func:`rest_api.deps.json_body` (the single parser, with its limits), validates it with
:func:`knowrithm_core.models.bodies.base.parse` (today's 400 ``validation_error`` shape and messages) and
returns the model, which the service accepts as it is. FastAPI does not see a body parameter, so the
route declares it with ``openapi_extra=body_doc(Model)`` (plain FastAPI; ``tests/contracts/test_openapi.py``
checks that every typed body is declared, with its model).
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import BaseModel

from knowrithm_core.models.bodies.base import parse
from knowrithm_core.models.responses.common import ErrorBody
from rest_api.deps import json_body

M = TypeVar("M", bound=BaseModel)

# each body dependency -> its model (for the test that every route declares the model it reads)
BODY_MODELS: dict[Callable[..., Any], type[BaseModel]] = {}
# models referenced by hand (``schema_ref``), added to the document's components
REFERENCED: set[type[BaseModel]] = set()


def body_of(model: type[M], *, checked_by_service: bool = False) -> Callable[[Request], Awaitable[Any]]:
    """A dependency: the JSON body validated into ``model`` (or, when the service checks the body itself
    with its own messages, the parsed JSON, with ``model`` documenting it)."""

    async def typed_body(request: Request) -> Any:
        data = await json_body(request)
        return data if checked_by_service else parse(model, data)

    BODY_MODELS[typed_body] = model
    return typed_body


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as the operation's JSON request body."""
    required = any(field.is_required() for field in model.model_fields.values())
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema_ref(model)}}}}


QUERY: dict[str, tuple[str, str]] = {
    "page": ("integer", "The page, from 1."),
    "per_page": ("integer", "Items per page."),
    "status": ("string", "Only items with this status."),
    "search": ("string", "Only items whose text contains this (case-insensitive; looks at the newest 1,000)."),
    "cursor": ("string", "Where to go on: `pagination.next_cursor` of the previous page (then `page` is ignored)."),
    "agent_id": ("string", "Only this agent's items."),
    "document_type": ("string", "Only documents of this type (txt, md, html, pdf, csv, json, docx, xlsx)."),
    "start_date": ("string", "The first day (YYYY-MM-DD; default: 30 days ago)."),
    "end_date": ("string", "The last day (YYYY-MM-DD; default: today)."),
    "days": ("integer", "How many days back, today included (default 30)."),
    "entity_type": ("string", "Only conversations of this kind of entity: user or lead."),
    "granularity": ("string", "daily (the only one kept)."),
    "limit": ("integer", "At most this many rows."),
    "role": ("string", "Only users with this role (admin, user)."),
    "force": ("boolean", "Delete even while conversations are active."),
    "include_chunks": ("boolean", "Include the document's chunks (default true)."),
    "event_type": ("string", "Only deliveries of this event type."),
    "since": ("string", "Only deliveries created at or after this ISO time."),
    "until": ("string", "Only deliveries created before this ISO time."),
}


def query_doc(*names: str) -> dict[str, Any]:
    """``openapi_extra`` documenting the optional query parameters a route reads from ``Query``."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": {"type": QUERY[name][0]},
                "description": QUERY[name][1],
            }
            for name in names
        ]
    }


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """A ``$ref`` to ``model`` for a hand-written part of an operation (``openapi_extra``)."""
    REFERENCED.add(model)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


ERROR_JSON = {"application/json": {"schema": schema_ref(ErrorBody)}}  # JSON even where the 2xx is not
ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {"content": ERROR_JSON, "description": "A client error: `detail`, `error`, `message`, `error_code`."},
    "5XX": {"content": ERROR_JSON, "description": "A server error (never a stack trace)."},
}
"""Every operation's error responses (``APIRouter(responses=ERRORS)``)."""


def operation_id(route: APIRoute) -> str:
    """The endpoint's name; the official SDK's ``/sdk/...`` aliases get ``_sdk`` appended."""
    return f"{route.name}_sdk" if "/sdk/" in route.path_format else route.name
