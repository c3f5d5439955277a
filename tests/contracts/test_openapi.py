"""The served OpenAPI document: valid 3.1, typed, committed, and honest about request bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from rest_api.app import create_app
from rest_api.contract import BODY_MODELS
from rest_api.openapi import render
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
    users,
    webhooks,
)

ROOT = Path(__file__).resolve().parents[2]
ROUTERS = (
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
    users,
    webhooks,
)
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    body: dict[str, Any] = TestClient(create_app()).get("/api/v1/openapi.json").json()
    return body


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, m, op) for path, item in document["paths"].items() for m, op in item.items() if m in METHODS]


def typed(schema: dict[str, Any] | None) -> bool:
    """A schema that says something: a reference, or a type other than a bare object."""
    if not schema:
        return False
    if "$ref" in schema or "anyOf" in schema or "oneOf" in schema:
        return True
    return schema.get("type") not in (None, "object") or bool(schema.get("properties"))


def has_typed_2xx(operation: dict[str, Any]) -> bool:
    ok = [r for code, r in operation["responses"].items() if code.startswith("2")]
    return any(typed(media.get("schema")) for r in ok for media in r.get("content", {}).values())


def test_the_served_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    # GIVEN the app WHEN its document is fetched THEN it is OpenAPI 3.1 and passes the validator
    assert document["openapi"].startswith("3.1")
    validate(document)
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)), "operation ids are unique"


def test_at_least_95_percent_of_operations_are_typed(document: dict[str, Any]) -> None:
    # GIVEN every operation WHEN its 2xx responses and (for routes that read one) its request body are checked
    ops = operations(document)
    typed_responses = [op for _, _, op in ops if has_typed_2xx(op)]
    bodies = [op for _, _, op in ops if "requestBody" in op]
    typed_bodies = [op for op in bodies if all(typed(m.get("schema")) for m in op["requestBody"]["content"].values())]
    # THEN (nearly) all are typed: counted, not sampled
    assert len(ops) >= 100
    assert len(typed_responses) / len(ops) >= 0.95, [p for p, _, op in ops if not has_typed_2xx(op)]
    assert len(bodies) >= 30 and len(typed_bodies) == len(bodies)


def test_errors_share_one_documented_schema(document: dict[str, Any]) -> None:
    # GIVEN every operation THEN its 4xx responses point at ErrorBody, and FastAPI's 422 shape is gone
    schemas = document["components"]["schemas"]
    assert {"detail", "error", "message", "error_code"} <= set(schemas["ErrorBody"]["required"])
    assert "HTTPValidationError" not in schemas
    for path, method, op in operations(document):
        assert op["responses"]["4XX"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }, (method, path)
        assert "422" not in op["responses"]


def test_widget_routes_are_documented(document: dict[str, Any]) -> None:
    # THEN WidgetFunction's public routes are part of the one contract
    paths = document["paths"]
    assert "/api/v1/widget/config/{agent_id}" in paths
    handshake = paths["/api/v1/website/handshake"]["post"]
    assert handshake["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/WidgetHandshake")
    assert "application/javascript" in paths["/widget.js"]["get"]["responses"]["200"]["content"]


def test_the_committed_openapi_json_is_current() -> None:
    # GIVEN the committed document WHEN it is regenerated from create_app() THEN nothing differs (make openapi)
    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(render(create_app())), "run `make openapi` and commit openapi.json"


def test_every_typed_body_is_declared_with_the_model_it_reads() -> None:
    # GIVEN each route that reads a typed body (a body_of dependency)
    checked = 0
    for module in ROUTERS:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            read = [BODY_MODELS[d.call] for d in route.dependant.dependencies if d.call in BODY_MODELS]
            if not read:
                continue
            # THEN its OpenAPI request body names exactly that model
            content = (route.openapi_extra or {})["requestBody"]["content"]["application/json"]
            assert content["schema"]["$ref"].rsplit("/", 1)[1] == read[0].__name__, route.path
            checked += 1
    assert checked >= 30


def test_query_parameters_routes_read_are_documented(document: dict[str, Any]) -> None:
    # GIVEN the listing routes (they read ``page``/``per_page`` from the query string) THEN the document names them
    for path in (
        "/api/v1/agent",
        "/api/v1/conversation",
        "/api/v1/document",
        "/api/v1/lead/company",
        "/api/v1/webhook",
    ):
        names = {p["name"] for p in document["paths"][path]["get"].get("parameters", []) if p["in"] == "query"}
        assert {"page", "per_page"} <= names, path
