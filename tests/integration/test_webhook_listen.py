"""``python -m local.webhook_listen`` (``make webhook-listen``) against the local stack, as a subprocess."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from knowrithm_core.webhooks.signing import new_secret, signature_headers
from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.integration.test_sdk_webhooks import settled

ROOT = Path(__file__).resolve().parents[2]


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str
    state_dir: Path


class Listen:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process, self.log = process, log
        self.endpoint_id = self.url = ""

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def start_listen(tmp_path: Path) -> Iterator[Callable[..., Listen]]:
    """Start the listener with extra environment; wait for its Ready line; kill it if a test left it running."""
    started: list[Listen] = []

    def start(**env: str) -> Listen:
        log = tmp_path / f"listen-{len(started)}.log"
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "local.webhook_listen"], cwd=ROOT, env=full_env, stdout=out, stderr=out
            )
        listen = Listen(process, log)
        started.append(listen)
        wait_for(lambda: "Ready!" in listen.output() or process.poll() is not None, what="the listener")
        ready = re.search(r"to (http://127\.0\.0\.1:\d+/)\n\s+endpoint (\S+),", listen.output())
        assert ready, listen.output()
        listen.url, listen.endpoint_id = ready.group(1), ready.group(2)
        return listen

    yield start
    for listen in started:
        if listen.process.poll() is None:
            listen.process.kill()
            listen.process.wait()


@pytest.fixture(scope="module")
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


@pytest.mark.integration
def test_listen_prints_verified_events_and_deletes_its_endpoint_on_ctrl_c(
    local_stack: LocalStack, client: KnowrithmClient, start_listen: Callable[..., Listen]
) -> None:
    # GIVEN the listener started against the stack's demo.json
    listen = start_listen(LOCAL_STATE_DIR=str(local_stack.state_dir))
    # THEN it registered itself for every event, on loopback, and shows only a prefix of the secret
    endpoint = client.webhooks.get_endpoint(listen.endpoint_id)["webhook"]
    assert (endpoint["url"], endpoint["events"], endpoint["enabled"]) == (listen.url, ["*"], True)
    assert re.search(r"signing secret whsec_\S{6}… ", listen.output()), listen.output()

    # WHEN a test event is sent, then a lead is created
    test_id = client.webhooks.send_test(listen.endpoint_id)["event_id"]
    wait_for(lambda: test_id in listen.output(), what="the test event printed")
    email = f"listen-{uuid.uuid4().hex[:8]}@example.com"
    lead_id = client.leads.create_lead({"first_name": "Lis", "last_name": "Ten", "email": email})["lead"]["id"]
    # THEN each is printed with its time, event, id, attempt and a data summary
    wait_for(lambda: test_id in listen.output() and lead_id in listen.output(), what="both events printed")
    lines = listen.output().splitlines()
    (test_line,) = [line for line in lines if test_id in line]
    (lead_line,) = [line for line in lines if f"id={lead_id}" in line]
    assert re.match(rf"\d\d:\d\d:\d\d  webhook\.test\s+{test_id}  attempt 1  .*endpoint_id=", test_line), test_line
    assert re.match(r"\d\d:\d\d:\d\d  lead\.created\s+\S+  attempt 1  ", lead_line), lead_line
    assert f'email="{email}"' in lead_line

    # WHEN a forged delivery reaches it
    body = b'{"id":"forged","event":"lead.created","timestamp":"2026-01-01T00:00:00Z","data":{},"attempt":1}'
    forged = httpx.post(
        listen.url, content=body, headers=signature_headers([new_secret()], "forged", int(time.time()), body)
    )
    # THEN it is refused with 400 and reported, not printed as an event
    assert forged.status_code == 400
    wait_for(lambda: "rejected delivery forged" in listen.output(), what="the rejection line")

    # WHEN it gets Ctrl-C (once the worker has recorded both deliveries)
    settled(client, listen.endpoint_id, test_id)
    settled(client, listen.endpoint_id, lead_line.split()[2])
    listen.process.send_signal(signal.SIGINT)
    # THEN it deletes its endpoint and exits 0
    assert listen.process.wait(15) == 0, listen.output()
    assert f"deleted endpoint {listen.endpoint_id}" in listen.output()
    with pytest.raises(KnowrithmAPIError) as gone:
        client.webhooks.get_endpoint(listen.endpoint_id)
    assert gone.value.status_code == 404
    assert listen.endpoint_id not in [w["id"] for w in client.webhooks.list_endpoints(per_page=100)["webhooks"]]


@pytest.mark.integration
def test_listen_filters_events_and_stops_on_sigterm(
    local_stack: LocalStack, client: KnowrithmClient, start_listen: Callable[..., Listen]
) -> None:
    # GIVEN the listener limited to two event types
    listen = start_listen(
        LOCAL_STATE_DIR=str(local_stack.state_dir), WEBHOOK_LISTEN_EVENTS="webhook.test, lead.updated"
    )
    # THEN its endpoint is subscribed to exactly those
    assert client.webhooks.get_endpoint(listen.endpoint_id)["webhook"]["events"] == ["lead.updated", "webhook.test"]
    # WHEN a test event is sent / THEN it is printed
    test_id = client.webhooks.send_test(listen.endpoint_id)["event_id"]
    wait_for(lambda: test_id in listen.output(), what="the test event")
    # WHEN it gets SIGTERM / THEN it deletes its endpoint and exits 0
    settled(client, listen.endpoint_id, test_id)
    listen.process.send_signal(signal.SIGTERM)
    assert listen.process.wait(15) == 0, listen.output()
    with pytest.raises(KnowrithmAPIError) as gone:
        client.webhooks.get_endpoint(listen.endpoint_id)
    assert gone.value.status_code == 404


def test_listen_without_a_running_stack_says_what_to_do(tmp_path: Path) -> None:
    # GIVEN a state directory without demo.json (make dev not running)
    env = {**os.environ, "LOCAL_STATE_DIR": str(tmp_path)}
    # WHEN the listener starts
    done = subprocess.run(
        [sys.executable, "-m", "local.webhook_listen"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    # THEN it exits 1 with a one-line hint, no traceback
    assert done.returncode == 1
    assert "demo.json not found: start the local stack first (make dev)" in done.stderr
    assert "Traceback" not in done.stderr
