"""``client.analytics`` and the agent extras send the method, path, query and body of their server routes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.unit.sdk.scripted_server import MakeClient, Reply, ScriptedServer, error_body

Call = Callable[[KnowrithmClient], Any]

# (call, method, path below /api/v1, query, JSON body)
ROUTES: list[tuple[Call, str, str, dict[str, list[str]], Any]] = [
    (lambda c: c.analytics.get_dashboard_overview(), "GET", "/analytic/dashboard", {}, None),
    (
        lambda c: c.analytics.get_dashboard_overview(company_id="c1"),
        "GET",
        "/analytic/dashboard",
        {"company_id": ["c1"]},
        None,
    ),
    (lambda c: c.analytics.get_agent_analytics("a1"), "GET", "/analytic/agent/a1", {}, None),
    (
        lambda c: c.analytics.get_agent_analytics("a1", start_date="2026-01-01", end_date=date(2026, 1, 31)),
        "GET",
        "/analytic/agent/a1",
        {"start_date": ["2026-01-01"], "end_date": ["2026-01-31"]},
        None,
    ),
    (
        lambda c: c.analytics.get_agent_analytics("a1", start_date=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        "GET",
        "/analytic/agent/a1",
        {"start_date": ["2026-01-02T03:04:05+00:00"]},
        None,
    ),
    (lambda c: c.analytics.get_conversation_analytics("v1"), "GET", "/analytic/conversation/v1", {}, None),
    (
        lambda c: c.analytics.get_lead_analytics(start_date="2026-01-01"),
        "GET",
        "/analytic/leads",
        {"start_date": ["2026-01-01"]},
        None,
    ),
    (lambda c: c.analytics.get_usage_metrics(), "GET", "/analytic/usage", {}, None),
    (
        lambda c: c.analytics.get_usage_metrics(end_date="2026-02-01"),
        "GET",
        "/analytic/usage",
        {"end_date": ["2026-02-01"]},
        None,
    ),
    (
        lambda c: c.analytics.export_analytics("leads", "json"),
        "POST",
        "/analytic/export",
        {},
        {"type": "leads", "format": "json"},
    ),
    (
        lambda c: c.analytics.export_analytics("usage", "csv", start_date="2026-01-01", end_date="2026-01-31"),
        "POST",
        "/analytic/export",
        {},
        {"type": "usage", "format": "csv", "start_date": "2026-01-01", "end_date": "2026-01-31"},
    ),
    (lambda c: c.agents.test_agent("a1"), "POST", "/agent/a1/test", {}, None),
    (lambda c: c.agents.test_agent("a1", query="Hi?"), "POST", "/agent/a1/test", {}, {"query": "Hi?"}),
    (lambda c: c.agents.clone_agent("a1"), "POST", "/agent/a1/clone", {}, None),
    (
        lambda c: c.agents.clone_agent("a1", name="Copy", llm_settings_id="s1"),
        "POST",
        "/agent/a1/clone",
        {},
        {"name": "Copy", "llm_settings_id": "s1"},
    ),
]


@pytest.mark.parametrize(("call", "method", "path", "query", "body"), ROUTES, ids=[r[2] + " " + r[1] for r in ROUTES])
def test_method_hits_its_route(
    server: ScriptedServer, make_client: MakeClient, call: Call, method: str, path: str, query: Any, body: Any
) -> None:
    # GIVEN a client of the scripted server / WHEN the SDK method is called
    call(make_client())
    # THEN exactly one request went to the route, with its query and body
    (seen,) = server.seen
    assert (seen.method, seen.path) == (method, "/api/v1" + path)
    assert seen.query == query
    assert seen.body == body


def test_csv_export_comes_back_as_text(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a server answering the export with CSV
    server.script("POST", "/api/v1/analytic/export", Reply(200, "date,api_calls\r\n2026-01-01,3\r\n"))
    client = make_client()
    # WHEN it is asked for as CSV / THEN the text parses with the csv module
    text = client.analytics.export_csv("usage")
    assert list(csv.DictReader(io.StringIO(text))) == [{"date": "2026-01-01", "api_calls": "3"}]


def test_json_export_and_agent_results_are_the_server_bodies(server: ScriptedServer, make_client: MakeClient) -> None:
    exported = {"metadata": {"export_type": "leads", "format": "json"}, "count": 1, "leads": [{"id": "l1"}]}
    tested = {"agent": {"name": "Bot"}, "query": "q", "response": "an answer", "llm_config": {"provider": "x"}}
    server.script("POST", "/api/v1/analytic/export", Reply(200, exported))
    server.script("POST", "/api/v1/agent/a1/test", Reply(200, tested))
    server.script("POST", "/api/v1/agent/a1/clone", Reply(201, {"agent": {"id": "a2", "status": "inactive"}}))
    client = make_client()
    assert client.analytics.export_analytics("leads") == exported
    assert client.agents.test_agent("a1", query="q")["response"] == "an answer"
    assert client.agents.clone_agent("a1")["agent"]["status"] == "inactive"
    with pytest.raises(TypeError):
        client.analytics.export_csv("leads")  # the server answered JSON


def test_errors_carry_the_server_message(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(
        "GET",
        "/api/v1/analytic/leads",
        Reply(400, error_body(400, "validation_error", "start_date must be a date (YYYY-MM-DD)")),
    )
    with pytest.raises(KnowrithmAPIError) as raised:
        make_client().analytics.get_lead_analytics(start_date="yesterday")
    assert raised.value.status_code == 400 and "start_date" in str(raised.value)


def test_ids_are_url_escaped(server: ScriptedServer, make_client: MakeClient) -> None:
    make_client().analytics.get_agent_analytics("a/../b")
    assert server.seen[0].path == "/api/v1/analytic/agent/a%2F..%2Fb"
