"""One Lambda function per resource group: the template routes every path of the full app to a function that
serves it, each function imports only its routers, the system function serves the whole document."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Match

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from local import invoke
from local.routes import Route, find_route, http_routes
from local.template import ROOT, Stack, functions, load_template
from rest_api.app import create_app

STACK = Stack(load_template())
SPECS = {name: spec for name, spec in functions(STACK).items() if name.startswith("Api")}
ROUTES = [r for r in http_routes(functions(STACK).values()) if r.api == "HttpApi"]
# the routers each function includes, by module (and nothing else of rest_api.routers)
ROUTERS = {
    "ApiAccountsFunction": {"auth", "companies", "users"},
    "ApiAgentsFunction": {"agents", "providers", "settings"},
    "ApiConversationsFunction": {"conversations", "system"},  # system: task status
    "ApiLeadsFunction": {"leads"},
    "ApiDocumentsFunction": {"documents", "websites", "databases"},  # every knowledge source
    "ApiWebhooksFunction": {"webhooks", "integrations"},
    "ApiAnalyticsFunction": {"analytics"},
    "ApiSystemFunction": {"system"},  # health
    "ApiOperationsFunction": {"operations"},  # DLQ redrive
}


def _app(function: str) -> FastAPI:
    module_name = SPECS[function].handler.rpartition(".")[0]
    app: FastAPI = importlib.import_module(module_name).app
    return app


def _served(app: FastAPI, method: str, path: str) -> bool:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)


def _full_app_routes() -> Iterator[tuple[str, str]]:
    """(method, concrete path) of every route the full app serves, path parameters filled in."""
    for context in iter_route_contexts(create_app().routes):
        path = re.sub(r"\{[^}]+\}", "id-1", context.path or "")
        for method in sorted(getattr(context, "methods", None) or ()):
            yield method, path


def _route(method: str, path: str) -> Route:
    found = find_route(ROUTES, method, [s for s in path.split("/") if s])
    assert found is not None, f"the template routes no {method} {path}"
    return found[0]


def test_every_route_of_the_full_app_reaches_a_function_that_serves_it() -> None:
    # GIVEN every (method, path) the full app serves, including /v1/tasks, /health, the document and docs page
    served = list(_full_app_routes())
    paths = {p for _, p in served}
    assert len(served) > 100
    assert {"/health", "/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs"} <= paths
    assert {"/v1/tasks/id-1/status", "/api/v1/sdk/agent/id-1/clone", "/api/v1/settings/providers"} <= paths
    for method, path in served:
        # WHEN API Gateway picks a route for it
        route = _route(method, path)
        # THEN that route's function is an API function whose app serves the request
        assert route.function in SPECS, f"{method} {path} goes to {route.function}"
        assert _served(_app(route.function), method, path), f"{route.function} does not serve {method} {path}"


def test_routing_picks_the_group_that_owns_each_overlap() -> None:
    # GIVEN paths that more than one route takes
    expected = {
        ("GET", "/api/v1/settings/providers"): "ApiAgentsFunction",
        ("POST", "/api/v1/agent/a1/test"): "ApiAnalyticsFunction",
        ("POST", "/api/v1/sdk/agent/a1/clone"): "ApiAnalyticsFunction",
        ("PATCH", "/api/v1/sdk/agent/a1/restore"): "ApiAgentsFunction",
        ("GET", "/api/v1/agent/a1/stats"): "ApiAgentsFunction",
        ("GET", "/v1/tasks/t1/status"): "ApiConversationsFunction",
        ("GET", "/api/v1/health"): "ApiSystemFunction",
        ("DELETE", "/api/v1/nothing/here"): "ApiSystemFunction",
        ("GET", "/api/v1/widget/config/a1"): "WidgetFunction",
    }
    # THEN the most specific route wins, as on API Gateway
    assert {key: _route(*key).function for key in expected} == expected


def test_a_function_answers_json_for_a_path_it_does_not_serve(services: Services) -> None:
    # GIVEN the catch-all of /api/v1 (the system function) and a group function
    system = TestClient(_app("ApiSystemFunction"), raise_server_exceptions=False)
    leads = TestClient(_app("ApiLeadsFunction"), raise_server_exceptions=False)
    # WHEN each gets a path no route of it serves, or a method its path does not take
    unknown = system.delete("/api/v1/nothing/here")
    wrong_method = leads.patch("/api/v1/lead/register")
    # THEN both answer the JSON error shape (404, 405), never a stack trace or an HTML page
    assert unknown.status_code == 404 and unknown.json()["error_code"] == "not_found"
    assert set(unknown.json()) >= {"detail", "error", "message", "error_code"}
    assert wrong_method.status_code == 405 and wrong_method.json()["error_code"] == "method_not_allowed"


def test_the_system_function_serves_the_whole_apis_document(services: Services) -> None:
    # GIVEN the system function's app
    client = TestClient(_app("ApiSystemFunction"), raise_server_exceptions=False)
    # WHEN the document, the docs page and health are requested
    document = client.get("/api/v1/openapi.json")
    docs = client.get("/api/v1/docs")
    health = client.get("/api/v1/health")
    # THEN the document is the full app's (every group's operations), the page loads it, the table is reachable
    assert document.status_code == 200 and document.json() == create_app().openapi()
    assert {"/api/v1/document/upload", "/api/v1/webhook", "/api/v1/auth/login"} <= set(document.json()["paths"])
    assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text
    assert health.json() == {"status": "healthy", "database": "connected"}


@pytest.mark.parametrize("function", sorted(ROUTERS))
def test_each_function_imports_only_its_routers(function: str) -> None:
    # GIVEN a fresh interpreter with the function's import path (code dir, layers), as on Lambda
    spec = SPECS[function]
    paths = [spec.code_dir, *spec.layer_dirs]
    code = (
        f"import sys, {spec.handler.rpartition('.')[0]}; "
        "print(sorted(m.split('.')[2] for m in sys.modules if m.startswith('rest_api.routers.'))); "
        "print('rest_api.app' in sys.modules)"
    )
    env = {"PYTHONPATH": os.pathsep.join(map(str, paths)), "POWERTOOLS_TRACE_DISABLED": "true", "PATH": ""}
    # WHEN its handler module is imported
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    # THEN only its own routers were loaded, and never the full app
    assert done.returncode == 0, done.stderr
    routers, full_app = done.stdout.split("\n")[:2]
    assert set(json.loads(routers.replace("'", '"'))) == ROUTERS[function]
    assert full_app == "False"


# every sample event, the function it belongs to, and what that function answers on in-process moto
SAMPLES = {
    "api_accounts_create_company.json": ("ApiAccountsFunction", 201, None),
    "api_agents_get_agent.json": ("ApiAgentsFunction", 404, "not_found"),  # the agent does not exist here
    "api_conversations_list.json": ("ApiConversationsFunction", 401, "unauthorized"),
    "api_leads_register.json": ("ApiLeadsFunction", 404, "not_found"),
    "api_documents_list.json": ("ApiDocumentsFunction", 401, "unauthorized"),
    "api_webhooks_event_types.json": ("ApiWebhooksFunction", 401, "unauthorized"),
    "api_analytics_dashboard.json": ("ApiAnalyticsFunction", 401, "unauthorized"),
    "api_system_health.json": ("ApiSystemFunction", 200, None),
    "api_operations_redrive.json": ("ApiOperationsFunction", 401, "unauthorized"),
}


@pytest.fixture
def clean_process() -> Iterator[None]:
    """``local.invoke`` sets the function's environment on this process: put everything back afterwards."""
    saved = dict(os.environ)
    get_settings.cache_clear()
    get_services.cache_clear()
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()
    get_services.cache_clear()


def test_every_api_function_has_a_sample_event() -> None:
    names = {p.name for p in (ROOT / "events").glob("api_*.json")}
    assert names == set(SAMPLES)
    assert {function for function, _, _ in SAMPLES.values()} == set(SPECS)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_each_sample_event_runs_through_its_function(sample: str, clean_process: None) -> None:
    # GIVEN a sample event, whose route the template gives to the function the file is named after
    function, status, error_code = SAMPLES[sample]
    event: dict[str, Any] = json.loads((ROOT / "events" / sample).read_text(encoding="utf-8"))
    assert _route(event["requestContext"]["http"]["method"], event["rawPath"]).function == function
    assert event["routeKey"] == event["requestContext"]["routeKey"] == _route_key(event)
    # WHEN local.invoke (make invoke) runs it through that function on in-process moto
    ok, result = invoke.invoke(function, event)
    # THEN the function itself answered (not a routing miss), with the expected status
    assert ok, result
    body = json.loads(result["body"])
    assert result["statusCode"] == status, body
    assert error_code is None or body["error_code"] == error_code
    assert not str(body.get("message", "")).startswith("No route")


def _route_key(event: dict[str, Any]) -> str:
    return _route(event["requestContext"]["http"]["method"], event["rawPath"]).key


def test_the_cold_start_benchmark_sends_each_function_a_request_it_serves() -> None:
    from bench.imports import FIRST_REQUESTS, HEALTH

    # GIVEN the first request the benchmark sends each API function (/health where none is listed)
    for function in SPECS:
        path = FIRST_REQUESTS.get(function, HEALTH)
        # THEN the template routes it to that function, and the function's app serves it
        assert _route("GET", path).function == function
        assert _served(_app(function), "GET", path)


def test_snapstart_is_a_parameter_off_by_default_and_on_in_prod(template: dict[str, Any]) -> None:
    import tomllib

    # GIVEN the template and samconfig.toml
    parameter = template["Parameters"]["EnableSnapStart"]
    glob = template["Globals"]["Function"]
    prod = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))["prod"]["deploy"]["parameters"]
    # THEN SnapStart follows the parameter (off unless set), on published versions behind the live alias
    assert parameter["Default"] == "false" and template["Conditions"]["SnapStartOn"] == {
        "Fn::Equals": [{"Ref": "EnableSnapStart"}, "true"]
    }
    assert glob["SnapStart"] == {"ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}}
    assert glob["AutoPublishAlias"] == "live"
    # AND every function publishes a version on any change (not only code), and prod turns SnapStart on
    for name, resource in STACK.of_type("AWS::Serverless::Function").items():
        assert resource["Properties"].get("AutoPublishAliasAllProperties") is True, name
    assert "EnableSnapStart=true" in prod["parameter_overrides"].split()


def test_the_api_layer_pins_what_it_shares_with_the_core_layer_to_the_same_version() -> None:
    # GIVEN both layers' requirements (they extract into the same /opt/python; the later layer wins)
    def pins(path: str) -> dict[str, str]:
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))

    core, api = pins("layers/core/requirements.txt"), pins("functions/api/requirements.txt")
    # THEN the API layer pins pydantic (which FastAPI needs) and every shared package exactly as the core does
    assert "pydantic" in api
    assert {name: api[name] for name in api.keys() & core.keys()} == {
        name: core[name] for name in api.keys() & core.keys()
    }
