"""Cold start by importing less: an API function's import loads its routes and their models, nothing a request
needs only once it runs (the container, settings, store, JSON parser, Powertools, botocore); the first request
loads them, and logs with its correlation id as before; the container builds (and imports) each service on its
first use, once, shared by the services built on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from knowrithm_core.container import Services
from local.template import Stack, functions, load_template

SPECS = {name: spec for name, spec in functions(Stack(load_template())).items() if name.startswith("Api")}
# the domain modules that hold services and their machinery (everything a router does not need to be defined)
SERVICE_PREFIXES = (
    "knowrithm_core.services.",
    "knowrithm_core.knowledge.",
    "knowrithm_core.responder",
    "knowrithm_core.webhooks.",
    "knowrithm_core.services.auth",
    "knowrithm_core.widget.limits",
    "knowrithm_core.store.queue",
    "knowrithm_core.store.blobs",
)
# what only a running request needs: imported on the first one, never by the handler module's import
DEFERRED = (
    "knowrithm_core.container",
    "knowrithm_core.config",
    "knowrithm_core.store",
    "knowrithm_core.auth",
    "knowrithm_core.safe_json",
    "knowrithm_core.widget",
    "knowrithm_core.ids",
    "aws_lambda_powertools",
    "aws_xray_sdk",
    "jmespath",
    "botocore",
    "boto3",
)
CHAT_ANALYTICS_DOCUMENTS = (
    "knowrithm_core.services.chat",
    "knowrithm_core.services.analytics",
    "knowrithm_core.services.agent_tools",
    "knowrithm_core.services.documents",
    "knowrithm_core.responder",
)
# the request-body modules (``knowrithm_core.models.bodies.*``, besides ``base``) each function's routers read
BODIES = {
    "ApiAccountsFunction": {"accounts", "users"},
    "ApiAgentsFunction": {"agents"},
    "ApiConversationsFunction": {"conversations"},
    "ApiLeadsFunction": {"leads"},
    "ApiDocumentsFunction": {"documents", "sources"},
    "ApiWebhooksFunction": {"webhooks", "integrations"},
    "ApiAnalyticsFunction": {"analytics"},
    "ApiSystemFunction": set(),
    "ApiOperationsFunction": {"operations"},
}


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def _run_fresh(function: str, code: str) -> tuple[list[str], list[str]]:
    """Every module loaded after ``code`` runs in a fresh interpreter with the function's path, and what it printed
    before (one line each)."""
    spec = SPECS[function]
    paths = [spec.code_dir, *spec.layer_dirs]
    env = {"PYTHONPATH": os.pathsep.join(map(str, paths)), "POWERTOOLS_TRACE_DISABLED": "true", "PATH": ""}
    env |= {"AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": "cold-imports", "POWERTOOLS_SERVICE_NAME": "cold"}
    report = "import json, sys; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-P", "-c", f"{code}\n{report}"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    *printed, modules = done.stdout.splitlines()
    return json.loads(modules), printed


def _fresh_modules(function: str, code: str) -> list[str]:
    """The ``knowrithm_core`` modules loaded after ``code`` runs in a fresh interpreter with the function's path."""
    return [m for m in _run_fresh(function, code)[0] if m.startswith("knowrithm_core")]


@pytest.mark.parametrize("function", sorted(SPECS))
def test_importing_a_function_loads_no_service_module(function: str) -> None:
    # GIVEN a fresh interpreter with the function's import path, as on Lambda
    module = SPECS[function].handler.rpartition(".")[0]
    # WHEN its handler module is imported (the cold start's import phase)
    loaded = _fresh_modules(function, f"import {module}")
    # THEN no service module was loaded: the container builds each on first use
    services = {m for m in loaded if m.startswith(SERVICE_PREFIXES)}
    assert services == set(), f"{function} imports {sorted(services)}"


@pytest.mark.parametrize("function", sorted(SPECS))
def test_importing_a_function_leaves_what_only_a_request_needs_to_the_first_request(function: str) -> None:
    # GIVEN a fresh interpreter with the function's import path, as on Lambda
    module = SPECS[function].handler.rpartition(".")[0]
    # WHEN its handler module is imported
    loaded, _ = _run_fresh(function, f"import {module}")
    # THEN its routes are built, but neither the container, settings and store, nor the request checks' helpers,
    # nor Powertools (logging, metrics, tracing) or botocore were imported
    assert module in loaded and "fastapi" in loaded
    assert [m for m in loaded if _within(m, DEFERRED)] == []


@pytest.mark.parametrize("function", sorted(BODIES))
def test_a_function_builds_only_its_own_request_bodies(function: str) -> None:
    # GIVEN a fresh interpreter WHEN the function's handler module is imported
    loaded = _fresh_modules(function, f"import {SPECS[function].handler.rpartition('.')[0]}")
    # THEN of the request-body modules only its own groups' (and the shared base) were loaded, not all of them
    prefix = "knowrithm_core.models.bodies."
    assert {m.removeprefix(prefix) for m in loaded if m.startswith(prefix)} == BODIES[function] | {"base"}
    assert "knowrithm_core.models.requests" not in loaded


def test_the_leads_service_loads_without_chat_analytics_or_documents() -> None:
    # GIVEN a fresh leads-function interpreter with its handler imported
    code = (
        "import api_leads\n"
        "from knowrithm_core.container import get_services\n"
        # WHEN the leads service is built (what a leads request asks the container for), with the auth it uses
        "services = get_services(); services.leads; services.auth\n"
    )
    loaded = _fresh_modules("ApiLeadsFunction", code)
    # THEN the lead, auth and agent services were imported, and nothing of chat, analytics or documents
    assert {"knowrithm_core.services.leads", "knowrithm_core.services.auth", "knowrithm_core.services.agents"} <= set(
        loaded
    )
    assert [m for m in loaded if _within(m, CHAT_ANALYTICS_DOCUMENTS)] == []


FIRST_REQUEST = """
import api_leads
class Context:
    function_name = "ApiLeadsFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiLeadsFunction"
    aws_request_id = "lambda-request-1"
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/api/v1/lead/company", "rawQueryString": "",
    "headers": {"host": "api.example.com"}, "isBase64Encoded": False,
    "requestContext": {"http": {"method": "GET", "path": "/api/v1/lead/company", "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1", "userAgent": "test"}, "requestId": "api-request-42", "routeKey": "$default",
        "stage": "$default", "accountId": "123456789012", "apiId": "local", "domainName": "api.example.com",
        "timeEpoch": 0},
}
response = api_leads.lambda_handler(event, Context())
print(json.dumps(response))
from knowrithm_core.observability import logger
logger.info("after the request")
"""


def test_the_first_request_loads_what_the_import_left_and_logs_with_its_correlation_id() -> None:
    # GIVEN a fresh leads-function interpreter WHEN its handler serves one request (no credentials: 401, no AWS call)
    loaded, printed = _run_fresh("ApiLeadsFunction", "import json\n" + FIRST_REQUEST)
    response = json.loads(printed[0])
    # THEN the request ran the whole path: middleware, routing, the auth dependency, the JSON error
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error_code"] == "unauthorized"
    # AND it loaded the container, settings, parser and Powertools' logging and metrics on the way
    deferred = ("knowrithm_core.container", "knowrithm_core.config", "knowrithm_core.safe_json")
    assert set(deferred) | {"aws_lambda_powertools.logging.logger", "aws_lambda_powertools.metrics"} <= set(loaded)
    # AND Powertools' Logger carries the request's context: its API Gateway request id as correlation id
    line = json.loads(printed[-1])
    assert line["message"] == "after the request" and line["service"] == "cold"
    assert line["correlation_id"] == "api-request-42"
    assert line["function_request_id"] == "lambda-request-1" and line["cold_start"] is True


def test_each_service_is_built_once_even_when_threads_race(services: Services) -> None:
    # GIVEN a fresh container around the test table (nothing built yet)
    fresh = Services.build(services.settings, services.table)
    assert "chat" not in vars(fresh)
    seen: list[object] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        seen.append(fresh.chat)

    # WHEN eight threads ask for the chat service at once
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # THEN they all got the one service, built on the one conversations (and agents) service of the container
    assert len(seen) == 8 and all(chat is fresh.chat for chat in seen)
    assert fresh.chat.conversations is fresh.conversations
    assert fresh.conversations.agents is fresh.agents
    assert fresh.leads.limiter is fresh.limiter is fresh.chat.limiter
