"""Cold start by importing less: an API function's import loads no service it does not serve, and the container
builds (and imports) each service on its first use, once, shared by the services built on it."""

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
CHAT_ANALYTICS_DOCUMENTS = (
    "knowrithm_core.services.chat",
    "knowrithm_core.services.analytics",
    "knowrithm_core.services.agent_tools",
    "knowrithm_core.services.documents",
    "knowrithm_core.responder",
)
# the request-body modules (``knowrithm_core.models.bodies.*``, besides ``base``) each function's routers read
BODIES = {
    "ApiAccountsFunction": {"accounts"},
    "ApiAgentsFunction": {"agents"},
    "ApiConversationsFunction": {"conversations"},
    "ApiLeadsFunction": {"leads"},
    "ApiDocumentsFunction": {"documents"},
    "ApiWebhooksFunction": set(),  # its bodies are in models.webhooks
    "ApiAnalyticsFunction": {"analytics"},
    "ApiSystemFunction": set(),
}


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in packages)


def _fresh_modules(function: str, code: str) -> list[str]:
    """The ``knowrithm_core`` modules loaded after ``code`` runs in a fresh interpreter with the function's path."""
    spec = SPECS[function]
    paths = [spec.code_dir, *spec.layer_dirs]
    env = {"PYTHONPATH": os.pathsep.join(map(str, paths)), "POWERTOOLS_TRACE_DISABLED": "true", "PATH": ""}
    env |= {"AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": "cold-imports"}
    report = "import json, sys; print(json.dumps(sorted(m for m in sys.modules if m.startswith('knowrithm_core'))))"
    done = subprocess.run(
        [sys.executable, "-P", "-c", f"{code}\n{report}"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize("function", sorted(SPECS))
def test_importing_a_function_loads_no_service_module(function: str) -> None:
    # GIVEN a fresh interpreter with the function's import path, as on Lambda
    module = SPECS[function].handler.rpartition(".")[0]
    # WHEN its handler module is imported (the cold start's import phase)
    loaded = _fresh_modules(function, f"import {module}")
    # THEN no service module was loaded: the container builds each on first use
    services = {m for m in loaded if m.startswith(SERVICE_PREFIXES)}
    assert services == set(), f"{function} imports {sorted(services)}"
    assert "knowrithm_core.container" in loaded  # the routes' dependencies do name the container


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
