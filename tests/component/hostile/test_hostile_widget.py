"""Hostile input on the widget function's public write routes (listed from its own OpenAPI document), through
its Lambda entry point: each answer is a 4xx JSON error, and nothing changes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.component.hostile.conftest import World, changes, snapshot
from tests.component.hostile.payloads import ALL, Payload
from widget_api import handler

CONTEXT = SimpleNamespace(
    function_name="WidgetFunction",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:WidgetFunction",
    aws_request_id="req-1",
    get_remaining_time_in_millis=lambda: 5_000,
)
DOCUMENT = handler.app.get_openapi_schema()
PATHS = {
    path: [m for m in ("get", "post", "put", "patch", "delete") if getattr(ops, m)]
    for path, ops in DOCUMENT.paths.items()
}
WRITES = [(m.upper(), path) for path, methods in PATHS.items() for m in methods if m != "get"]


@pytest.fixture(autouse=True)
def widget(world: World) -> Iterator[None]:
    handler.public.cache_clear()
    yield
    handler.public.cache_clear()


def invoke(
    method: str, path: str, body: bytes | None = None, content_type: str = "application/json", *, raw: str | None = None
) -> dict[str, Any]:
    """A payload 2.0 event as API Gateway sends it (a body it cannot pass as text arrives base64-encoded)."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "api.example.com", "content-type": content_type, "origin": "https://shop.example.com"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1", "userAgent": "t"},
            "requestId": "abc",
            "routeKey": f"{method} {path}",
            "stage": "$default",
        },
        "isBase64Encoded": body is not None or raw is not None,
    }
    if body is not None or raw is not None:
        event["body"] = raw if raw is not None else base64.b64encode(body or b"").decode()
    result: dict[str, Any] = handler.lambda_handler(event, CONTEXT)
    return result


def problems(result: dict[str, Any]) -> list[str]:
    found = [] if 400 <= result["statusCode"] < 500 else [f"status {result['statusCode']}"]
    try:
        body = json.loads(result["body"])
    except ValueError:
        return [*found, "not JSON"]
    missing = [k for k in ("detail", "error", "message", "error_code") if k not in body]
    return found + ([f"missing {missing}"] if missing else [])


def test_the_widget_write_routes_are_listed() -> None:
    assert ("POST", "/api/v1/website/handshake") in WRITES


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_hostile_bodies_are_4xx_and_change_nothing(world: World, method: str, path: str) -> None:
    # GIVEN a tenant's agent and a snapshot of every item, object and queue
    before = snapshot(world.services)
    failures: dict[str, list[str]] = {}
    # WHEN each hostile body is sent (and one with a valid shape but a NUL in the agent id)
    nul_agent = Payload(
        "nul-agent", json.dumps({"agent_id": world.tenant.agent_id + "\x00", "url": "https://a.b"}).encode()
    )
    for payload in [*ALL, nul_agent]:
        found = problems(invoke(method, path, payload.body, payload.content_type))
        if found:
            failures[payload.name] = found
    # THEN each is a 4xx JSON error with the four fields, and nothing changed
    assert failures == {}
    assert changes(before, snapshot(world.services)) == []


def test_unknown_methods_and_bad_base64_are_json_4xx(world: World) -> None:
    # GIVEN every documented widget path  WHEN a method it does not serve is sent
    failures = {}
    for path, methods in PATHS.items():
        concrete = path.replace("{agent_id}", world.tenant.agent_id)
        for verb in [
            "TRACE",
            "FOO",
            *(v for v in ("GET", "POST", "PUT", "PATCH", "DELETE") if v.lower() not in methods),
        ]:
            found = problems(invoke(verb, concrete))
            if found:
                failures[f"{verb} {path}"] = found
    # THEN each is a 4xx JSON error
    assert failures == {}
    # AND a body that claims to be base64 but is not is a 400 invalid_json
    result = invoke("POST", "/api/v1/website/handshake", raw="{not base64!}")
    assert (result["statusCode"], json.loads(result["body"])["error_code"]) == (400, "invalid_json")
