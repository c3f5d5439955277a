"""Every ``client.webhooks`` method sends the method, path, query and body of its server route."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.unit.sdk.scripted_server import MakeClient, Reply, ScriptedServer

Call = Callable[[KnowrithmClient], Any]
SINCE = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# (call, method, path below /api/v1, query, JSON body)
ROUTES: list[tuple[Call, str, str, dict[str, list[str]], Any]] = [
    (
        lambda c: c.webhooks.create_endpoint("https://crm.example/hook"),
        "POST",
        "/webhook",
        {},
        {"url": "https://crm.example/hook"},
    ),
    (
        lambda c: c.webhooks.create_endpoint(
            "https://crm.example/hook",
            events=["lead.created", "lead.updated"],
            description="CRM",
            enabled=False,
            headers={"X-Tenant": "acme"},
            rate_limit_per_second=5,
        ),
        "POST",
        "/webhook",
        {},
        {
            "url": "https://crm.example/hook",
            "events": ["lead.created", "lead.updated"],
            "description": "CRM",
            "enabled": False,
            "headers": {"X-Tenant": "acme"},
            "rate_limit_per_second": 5,
        },
    ),
    (lambda c: c.webhooks.list_endpoints(), "GET", "/webhook", {}, None),
    (
        lambda c: c.webhooks.list_endpoints(page=2, per_page=5),
        "GET",
        "/webhook",
        {"page": ["2"], "per_page": ["5"]},
        None,
    ),
    (lambda c: c.webhooks.get_endpoint("w1"), "GET", "/webhook/w1", {}, None),
    (
        lambda c: c.webhooks.update_endpoint("w1", events=["*"], enabled=True, headers={"X-A": "b"}),
        "PUT",
        "/webhook/w1",
        {},
        {"events": ["*"], "enabled": True, "headers": {"X-A": "b"}},
    ),
    (lambda c: c.webhooks.update_endpoint("w1", enabled=False), "PUT", "/webhook/w1", {}, {"enabled": False}),
    (lambda c: c.webhooks.delete_endpoint("w1"), "DELETE", "/webhook/w1", {}, None),
    (lambda c: c.webhooks.rotate_secret("w1"), "POST", "/webhook/w1/rotate-secret", {}, {}),
    (
        lambda c: c.webhooks.rotate_secret("w1", grace_period_hours=0),
        "POST",
        "/webhook/w1/rotate-secret",
        {},
        {"grace_period_hours": 0},
    ),
    (lambda c: c.webhooks.send_test("w1"), "POST", "/webhook/w1/test", {}, None),
    (lambda c: c.webhooks.list_deliveries("w1"), "GET", "/webhook/w1/deliveries", {}, None),
    (
        lambda c: c.webhooks.list_deliveries(
            "w1", status="failed", event_type="lead.created", since=SINCE, until="2026-02-01", page=1, per_page=50
        ),
        "GET",
        "/webhook/w1/deliveries",
        {
            "status": ["failed"],
            "event_type": ["lead.created"],
            "since": ["2026-01-02T03:04:05+00:00"],
            "until": ["2026-02-01"],
            "page": ["1"],
            "per_page": ["50"],
        },
        None,
    ),
    (lambda c: c.webhooks.retry_delivery("d1"), "POST", "/webhook/deliveries/d1/retry", {}, None),
    (
        lambda c: c.webhooks.recover("w1", since=SINCE),
        "POST",
        "/webhook/w1/recover",
        {},
        {"since": "2026-01-02T03:04:05+00:00"},
    ),
    (
        lambda c: c.webhooks.recover("w1", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),
        "POST",
        "/webhook/w1/recover",
        {},
        {"since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"},
    ),
    (lambda c: c.webhooks.enable_endpoint("w1"), "POST", "/webhook/w1/enable", {}, None),
    (lambda c: c.webhooks.list_event_types(), "GET", "/webhook/event-types", {}, None),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "query", "body"), ROUTES, ids=[f"{r[2]} {r[1]} #{i}" for i, r in enumerate(ROUTES)]
)
def test_webhook_method_hits_its_route(
    server: ScriptedServer, make_client: MakeClient, call: Call, method: str, path: str, query: Any, body: Any
) -> None:
    # GIVEN a client of the scripted server
    client = make_client()
    # WHEN the webhooks method is called
    call(client)
    # THEN exactly one request went to the route, with its query and body
    (seen,) = server.seen
    assert (seen.method, seen.path) == (method, "/api/v1" + path)
    assert seen.query == query
    assert seen.body == body


def test_endpoint_headers_go_in_the_body_and_request_headers_on_the_request(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    # GIVEN custom delivery headers and a per-call request header
    client = make_client()
    # WHEN an endpoint is created and updated with both
    client.webhooks.create_endpoint(
        "https://crm.example/hook", headers={"X-Tenant": "acme"}, request_headers={"X-Trace": "t1"}
    )
    client.webhooks.update_endpoint("w1", description="d", request_headers={"X-Trace": "t2"})
    # THEN the delivery headers are part of the endpoint, the request headers travel with the call
    create, update = server.seen
    assert create.body["headers"] == {"X-Tenant": "acme"}
    assert (create.headers.get("X-Trace"), update.headers.get("X-Trace")) == ("t1", "t2")
    assert "X-Tenant" not in create.headers


def test_responses_come_back_as_the_servers_body(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN the server's answers to create and to a test event (202 with an event id, not a task)
    created = {
        "message": "created",
        "webhook": {"id": "w1", "url": "https://x.example", "events": ["*"]},
        "secret": "whsec_x",
    }
    server.script("POST", "/api/v1/webhook", Reply(201, created))
    server.script("POST", "/api/v1/webhook/w1/test", Reply(202, {"message": "Test event queued.", "event_id": "e1"}))
    client = make_client()
    # WHEN they are called
    made = client.webhooks.create_endpoint("https://x.example")
    queued = client.webhooks.send_test("w1")
    # THEN the bodies come back unchanged, and the 202 is not polled as a task
    assert made == created
    assert (made["secret"], made["webhook"]["id"]) == ("whsec_x", "w1")
    assert queued["event_id"] == "e1"
    assert len(server.seen) == 2


def test_ids_are_url_escaped(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN ids containing slashes / WHEN they are used in paths / THEN they cannot reach another route
    client = make_client()
    client.webhooks.get_endpoint("w/../event-types")
    client.webhooks.retry_delivery("d/../../w1")
    assert [s.path for s in server.seen] == [
        "/api/v1/webhook/w%2F..%2Fevent-types",
        "/api/v1/webhook/deliveries/d%2F..%2F..%2Fw1/retry",
    ]
