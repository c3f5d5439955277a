"""DeferredAPIRoute: the same route settings as FastAPI's APIRoute, with the heavy parts built only when used."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from rest_api.app import create_app
from rest_api.routing import DEFERRED, DeferredAPIRoute


def _app_routes(app: FastAPI) -> list[APIRoute]:
    return [rc.original_route for rc in iter_route_contexts(app.routes) if isinstance(rc.original_route, APIRoute)]


def _deferred(route: APIRoute) -> bool:
    return "_deferred" in vars(route)


def test_every_deferred_route_has_the_settings_an_eager_route_computes() -> None:
    # GIVEN every route the app serves through a router declared with DeferredAPIRoute
    routes = [r for r in _app_routes(create_app()) if isinstance(r, DeferredAPIRoute)]
    assert len(routes) > 60 and all(_deferred(r) for r in routes)
    for route in routes:
        plain = {k: v for k, v in vars(route).items() if k != "_deferred"}
        # WHEN a copy of it is built in full (the first read of a deferred attribute runs APIRoute.__init__)
        built = copy.copy(route)
        assert built.dependant is not None
        # THEN the plain settings it had are exactly what APIRoute computed, and only the deferred ones were missing
        full = vars(built)
        assert set(full) - set(plain) == DEFERRED, route.path
        assert {k: full[k] for k in plain} == plain, route.path
        assert _deferred(route)  # the original is untouched


def test_the_app_serves_and_documents_its_routes_without_building_them(client: TestClient) -> None:
    # GIVEN the app (routers are included under /api/v1 and /v1, which serve through per-inclusion copies)
    routes = [r for r in _app_routes(client.app) if isinstance(r, DeferredAPIRoute)]  # type: ignore[arg-type]
    # WHEN it serves requests through included routers and its OpenAPI document
    assert client.get("/api/v1/webhook/event-types").status_code == 401
    assert client.get("/v1/tasks/00000000-0000-0000-0000-000000000000/status").status_code == 401
    document = client.get("/api/v1/openapi.json").json()
    # THEN the documented routes are all there, and none of the declared routes had to be built
    assert "/api/v1/sdk/agent/{agent_id}" in document["paths"] and "/api/v1/webhook/{endpoint_id}" in document["paths"]
    assert all(_deferred(r) for r in routes)


def test_a_deferred_route_used_directly_builds_itself_and_answers_like_an_eager_one() -> None:
    # GIVEN the same endpoint mounted directly (no inclusion) as an eager and as a deferred route
    def item(item_id: int, q: str = "x") -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    answers = []
    for route_class in (APIRoute, DeferredAPIRoute):
        app = FastAPI()
        app.router.add_api_route("/items/{item_id}", item, route_class_override=route_class)
        client = TestClient(app)
        # WHEN it is called, with valid and invalid parameters
        answers.append(
            [(r.status_code, r.json()) for r in (client.get("/items/3?q=y"), client.get("/items/not-a-number"))]
        )
        answers.append(app.openapi())
    # THEN both answer and document it identically
    assert answers[0] == answers[2] and answers[1] == answers[3]
    assert answers[0][0] == (200, {"item_id": 3, "q": "y"}) and answers[0][1][0] == 422


def test_routes_it_cannot_defer_are_built_at_once() -> None:
    # GIVEN a generator endpoint (FastAPI derives a stream item type from it while building)
    def lines() -> Any:
        yield "a"

    router = APIRouter(route_class=DeferredAPIRoute)
    router.add_api_route("/lines", lines)
    # THEN it is an ordinary, fully built route
    (route,) = router.routes
    assert isinstance(route, DeferredAPIRoute) and not _deferred(route) and "dependant" in vars(route)
