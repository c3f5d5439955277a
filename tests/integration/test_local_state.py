"""``make dev`` keeps its data across restarts: the local stack saves its state under LOCAL_STATE_DIR (``.local``),
puts it back on start (same demo key and ids), ``make reset`` starts clean, and a corrupt snapshot is set aside
with a clear message instead of being overwritten. Each test starts stacks of its own on a temporary state dir.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.integration.conftest import ROOT, LocalStack, free_port, run_local_stack
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.integration
NOTE = "Our reading room opens at seven every Tuesday evening for the poetry circle."


def start(state: Path, *, check_exit: bool = True) -> tuple[LocalStack, Iterator[LocalStack]]:
    """A stack on ``state``; finish it (Ctrl-C, clean exit checked unless told otherwise) with ``stop``."""
    runner = run_local_stack(state, check_exit=check_exit)
    return next(runner), runner


def stop(runner: Iterator[LocalStack]) -> None:
    assert next(runner, None) is None


def sdk(stack: LocalStack) -> KnowrithmClient:
    return KnowrithmClient(stack.api_key, stack.api_secret, base_url=stack.base_url)


def test_a_restart_keeps_leads_documents_webhook_secrets_and_the_demo_key(tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        # GIVEN a stack with a lead, a document uploaded to its storage, and a webhook endpoint (sealed secret)
        stack, runner = start(tmp_path)
        with sdk(stack) as client:
            email = f"ada-{uuid.uuid4().hex[:6]}@example.com"
            lead = client.leads.create_lead({"first_name": "Ada", "last_name": "Byron", "email": email})
            upload = client.documents.upload_file_presigned(stack.agent_id, _note(tmp_path))
            document_id = upload["document"]["id"]
            client.documents.wait_until_processed([document_id], timeout=60)
            hook = client.webhooks.create_endpoint(receiver.url, ["lead.created"])
        stop(runner)
        assert (tmp_path / "state.json").exists()

        # WHEN the stack starts again on the same state directory
        again, runner = start(tmp_path)
        try:
            # THEN the demo tenant is the same: company, agent, key and secret
            assert (again.company_id, again.agent_id) == (stack.company_id, stack.agent_id)
            assert (again.api_key, again.api_secret) == (stack.api_key, stack.api_secret)
            assert "restored" in again.log_path.read_text(encoding="utf-8")
            with sdk(again) as client:
                # and the lead, the document (in the table and in the bucket) and its answers are there
                assert client.leads.get_lead(lead["lead"]["id"])["lead"]["email"] == email
                assert client.documents.get_document(document_id)["document"]["status"] == "completed"
                found = client.documents.search_documents("When does the poetry circle meet?", stack.agent_id)
                assert any(NOTE[:30] in json.dumps(result) for result in found["results"])
                assert _bucket_keys(again) != []
                # and the webhook secret sealed before the restart still signs deliveries
                client.leads.create_lead({"first_name": "Mary", "last_name": "Shelley", "email": f"m-{email}"})
                [request] = receiver.wait_for(lambda requests: len(requests) >= 1, 30)
                assert request.headers["x-knowrithm-event"] == "lead.created"
                Webhook(hook["secret"]).verify(request.body, request.headers)
        finally:
            stop(runner)
    finally:
        receiver.close()


def test_a_kill_minus_9_keeps_what_was_saved_and_make_reset_starts_clean(tmp_path: Path) -> None:
    # GIVEN a stack with a new lead, given the periodic save (every 2 s after activity) time to run
    stack, runner = start(tmp_path, check_exit=False)
    with sdk(stack) as client:
        email = f"grace-{uuid.uuid4().hex[:6]}@example.com"
        lead = client.leads.create_lead({"first_name": "Grace", "last_name": "Hopper", "email": email})
    saved = tmp_path / "state.json"
    _wait_until(lambda: saved.exists() and email in saved.read_text(encoding="utf-8"), 15)

    # WHEN the process is killed without a chance to save, and started again
    os.kill(stack.pid, signal.SIGKILL)
    stop(runner)  # started without the clean-exit check: a killed process does not exit cleanly
    again, runner = start(tmp_path)
    try:
        # THEN the lead and the demo key survived
        assert again.api_key == stack.api_key
        with sdk(again) as client:
            assert client.leads.get_lead(lead["lead"]["id"])["lead"]["email"] == email
    finally:
        stop(runner)

    # WHEN `make reset` runs for that state directory
    subprocess.run(["make", "-s", "reset", f"LOCAL_STATE_DIR={tmp_path}"], cwd=ROOT, check=True, timeout=30)

    # THEN nothing is left, and the next start is a new demo tenant: the old key no longer works
    assert not tmp_path.exists()
    tmp_path.mkdir()
    fresh, runner = start(tmp_path)
    try:
        assert fresh.company_id != stack.company_id and fresh.api_key != stack.api_key
        old_key = {"X-API-Key": stack.api_key, "X-API-Secret": stack.api_secret}
        response = httpx.get(f"{fresh.base_url}/v1/lead/company", headers=old_key, timeout=10)
        assert response.status_code == 401, response.text
    finally:
        stop(runner)


def test_a_corrupt_snapshot_is_set_aside_and_the_start_fails_clearly(tmp_path: Path) -> None:
    # GIVEN a state directory whose snapshot was cut short
    (tmp_path / "state.json").write_text('{"version": 1, "tables": {"AppTable": [', encoding="utf-8")

    # WHEN the stack starts on it
    env = {**os.environ, "PORT": str(free_port()), "MOTO_PORT": str(free_port()), "LOCAL_STATE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )

    # THEN it exits 1 saying where the bad file went, and the file is kept there (nothing was overwritten)
    assert done.returncode == 1, done.stdout + done.stderr
    [aside] = list(tmp_path.glob("state.json.corrupt-*"))
    assert aside.read_text(encoding="utf-8").startswith('{"version": 1, "tables"')
    assert str(aside) in done.stdout and "cannot be restored" in done.stdout
    assert not (tmp_path / "state.json").exists() and not (tmp_path / "demo.json").exists()


def _note(directory: Path) -> Path:
    path = directory / "reading-room.txt"
    path.write_text(NOTE, encoding="utf-8")
    return path


def _bucket_keys(stack: LocalStack) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=stack.aws_endpoint_url, region_name="us-east-1")
    [bucket] = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def _wait_until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not true within {timeout} s")
