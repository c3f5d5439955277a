"""The demo tenant, ``local.invoke`` and the merged function environment."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import get_services
from local import invoke
from local.environment import merged_environment, with_queue_urls
from local.seed import DEMO_DESCRIPTION, seed, state_dir, write_demo
from local.template import ROOT, FunctionSpec, Stack, functions

EVENTS = ROOT / "events"


def test_the_seeded_key_has_every_scope_and_the_agent_answers(client: TestClient, tmp_path: Path) -> None:
    # GIVEN the demo tenant seeded through the core services
    demo = seed("http://127.0.0.1:3000/api")
    headers = {"X-API-Key": demo.api_key, "X-API-Secret": demo.api_secret}
    # WHEN the API is used with its key
    agent = client.get(f"/api/v1/agent/{demo.agent_id}", headers=headers)
    keys = client.get("/api/v1/auth/api-keys", headers=headers)
    conversation = client.post("/api/v1/conversation", json={"agent_id": demo.agent_id}, headers=headers).json()
    reply = client.post(
        f"/api/v1/conversation/{conversation['id']}/chat", json={"message": "When are you open?"}, headers=headers
    )
    # THEN the key reads, writes and administers, and the agent answers from its description
    assert agent.status_code == 200 and agent.json()["agent"]["description"] == DEMO_DESCRIPTION
    assert keys.status_code == 200 and keys.json()["api_keys"][0]["scopes"] == ["read", "write", "admin"]
    assert "Sunday 11am to 4pm" in reply.json()["response"]
    # AND demo.json holds exactly what the SDK and the tests read
    written = json.loads(write_demo(demo, tmp_path).read_text(encoding="utf-8"))
    assert written == {
        "base_url": "http://127.0.0.1:3000/api",
        "api_key": demo.api_key,
        "api_secret": demo.api_secret,
        "company_id": demo.company_id,
        "agent_id": demo.agent_id,
    }


def test_state_dir_follows_local_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path))
    assert state_dir() == tmp_path
    monkeypatch.delenv("LOCAL_STATE_DIR")
    assert state_dir() == ROOT / ".local"


def spec(name: str, **environment: str) -> FunctionSpec:
    return FunctionSpec(name, ROOT, "h.handler", environment, 3, (), {})


def test_merged_environment_reports_conflicts_and_adds_local_flags() -> None:
    merged, warnings = merged_environment([spec("A", TABLE="t", ONLY_A="1"), spec("B", TABLE="other", ONLY_B="2")])
    assert merged["TABLE"] == "t" and merged["ONLY_A"] == "1" and merged["ONLY_B"] == "2"
    assert merged["LOCAL_MODE"] == "true" and merged["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert len(warnings) == 1 and "B sets TABLE='other'" in warnings[0]


def test_queue_refs_become_the_real_queue_urls(stack: Stack) -> None:
    # GIVEN the template's functions, whose environment names a queue by !Ref (a placeholder before it exists)
    variables, _ = merged_environment(functions(stack).values())
    queue_refs = {k: v for k, v in variables.items() if v.startswith("http://localhost/")}
    # WHEN the real endpoint is known
    resolved = with_queue_urls(variables, stack, invoke.IN_PROCESS)
    # THEN each such variable holds the URL moto gives that queue
    sqs = boto3.client("sqs", region_name="us-east-1")
    for key, placeholder in queue_refs.items():
        name = placeholder.rsplit("/", 1)[-1]
        assert resolved[key] == sqs.get_queue_url(QueueName=name)["QueueUrl"]


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


def test_every_function_has_a_sample_event() -> None:
    from local.template import load_template

    names = {p.stem for p in EVENTS.glob("*.json")}
    for logical_id in functions(Stack(load_template())):
        prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id.removesuffix("Function")).lower()
        assert any(n.startswith(prefix) for n in names), f"no events/{prefix}_*.json for {logical_id}"


def test_invoke_runs_a_handler_on_in_process_moto(clean_process: None, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN no AWS_ENDPOINT_URL (so moto runs in process with the template's resources)
    assert "AWS_ENDPOINT_URL" not in os.environ
    # WHEN the health event is invoked
    code = invoke.main(["--function", "ApiSystemFunction", "--event", str(EVENTS / "api_system_health.json")])
    # THEN the handler's result is printed as JSON
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["statusCode"] == 200
    assert json.loads(result["body"]) == {"status": "healthy", "database": "connected"}


def test_invoke_rejects_an_unknown_function(clean_process: None) -> None:
    with pytest.raises(SystemExit, match="unknown function 'Nope'"):
        invoke.main(["--function", "Nope", "--event", str(EVENTS / "api_system_health.json")])
