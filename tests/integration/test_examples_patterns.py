"""The integration-pattern examples as subprocesses against the local stack: support escalation, lead
generation (a CSV CRM) and internal enablement (documents, questions, cited answers)."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from knowrithm_core.webhooks.signing import new_secret, signature_headers
from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.integration.conftest import LocalStack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


class Example:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process, self.log = process, log
        self.url, self.endpoint_id = "", ""

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the example did not stop within 15 s of SIGTERM:\n{self.output()}") from None


StartExample = Callable[[str, dict[str, str]], Example]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, example: Example | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    output = f"; example output:\n{example.output()}" if example else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{output}")


@pytest.fixture
def start_example(local_stack: LocalStack, tmp_path: Path) -> Iterator[StartExample]:
    """Start a receiver example against the stack (its demo.json via LOCAL_STATE_DIR); SIGTERM it afterwards."""
    started: list[Example] = []

    def start(script: str, env: dict[str, str]) -> Example:
        log = tmp_path / f"{script}.{len(started)}.log"
        full_env = {**os.environ, "LOCAL_STATE_DIR": str(local_stack.state_dir), "PYTHONUNBUFFERED": "1", **env}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, str(EXAMPLES / script)], cwd=tmp_path, env=full_env, stdout=out, stderr=out
            )
        example = Example(process, log)
        started.append(example)
        wait_for(
            lambda: "registered endpoint" in example.output() or process.poll() is not None,
            20,
            "the example to register its endpoint",
            example,
        )
        listening = re.search(r"listening on (http://\S+)", example.output())
        registered = re.search(r"registered endpoint (\S+) for", example.output())
        assert listening and registered, example.output()
        example.url, example.endpoint_id = listening.group(1), registered.group(1)
        return example

    yield start
    for example in started:
        example.stop()


@pytest.fixture
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


def _endpoint_ids(client: KnowrithmClient) -> set[str]:
    return {str(e["id"]) for e in client.webhooks.list_endpoints(per_page=100).get("webhooks", [])}


def _crm(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_lead_generation_upserts_a_lead_registered_twice_into_one_csv_row(
    local_stack: LocalStack, start_example: StartExample, client: KnowrithmClient, tmp_path: Path
) -> None:
    # GIVEN the lead generation example running against the stack, with an empty CSV CRM
    crm = tmp_path / "crm.csv"
    example = start_example("lead_generation.py", {"CRM_CSV": str(crm)})
    assert example.endpoint_id in _endpoint_ids(client)
    email = f"Grace-{uuid.uuid4().hex[:8]}@Example.com"
    lead = {"agent_id": local_stack.agent_id, "first_name": "Grace", "last_name": "Hopper", "email": email}

    # WHEN a visitor registers through the public API, then registers again with the same email
    first = httpx.post(f"{local_stack.origin}/api/v1/lead/register", json=lead, timeout=15)
    assert first.status_code == 201, first.text
    wait_for(lambda: len(_crm(crm)) == 1, 20, "the first registration in the CSV", example)
    again = httpx.post(f"{local_stack.origin}/api/v1/lead/register", json=lead, timeout=15)
    assert again.status_code == 201, again.text
    assert again.json()["created"] is False

    # THEN the CSV has one row for that email, counted twice, with the lead's details
    wait_for(lambda: [r["times_registered"] for r in _crm(crm)] == ["2"], 20, "times_registered to reach 2", example)
    [row] = _crm(crm)
    assert list(row) == [
        "id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "source",
        "registered_at",
        "times_registered",
    ]
    assert row["id"] == first.json()["lead"]["id"] and row["email"] == email.lower()
    assert (row["first_name"], row["last_name"]) == ("Grace", "Hopper")
    assert row["source"] == "website_chatbot" and row["registered_at"]
    webhook_ids = (tmp_path / "crm.csv.webhook-ids").read_text(encoding="utf-8").split()
    assert len(webhook_ids) == 2

    # WHEN a delivery already applied arrives again (a retry), re-signed by someone without the secret,
    # and a forged lead.registered arrives signed with another secret
    forged_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "id": forged_id,
            "event": "lead.registered",
            "timestamp": "2026-01-02T03:04:05.000Z",
            "data": {"id": "lead-x", "email": "mallory@example.com"},
            "attempt": 1,
        }
    ).encode()
    forged = httpx.post(
        example.url, content=body, headers=signature_headers([new_secret()], forged_id, int(time.time()), body)
    )
    unsigned = httpx.post(example.url, content=body, timeout=5)
    # THEN both are refused with 400 and the CSV is unchanged
    assert (forged.status_code, unsigned.status_code) == (400, 400)
    assert "signature" in forged.json()["error"].lower()
    time.sleep(0.3)
    assert [r["email"] for r in _crm(crm)] == [email.lower()] and _crm(crm)[0]["times_registered"] == "2"

    # WHEN the server redelivers a delivery already applied (a manual retry of the last one)
    items = client.webhooks.list_deliveries(example.endpoint_id).get("deliveries", [])
    applied = [d for d in items if str(d.get("event_id")) in webhook_ids]
    assert applied, items
    client.webhooks.retry_delivery(str(applied[0]["id"]))
    # THEN it is answered 200 as a duplicate and counted once
    wait_for(lambda: "duplicate delivery" in example.output(), 20, "the retried delivery", example)
    assert _crm(crm)[0]["times_registered"] == "2"

    # WHEN the example is stopped / THEN it exits 0 and its endpoint is gone
    assert example.stop() == 0, example.output()
    assert "deleted endpoint" in example.output()
    assert example.endpoint_id not in _endpoint_ids(client)


def test_support_escalation_opens_one_ticket_when_a_visitor_asks_for_a_human(
    local_stack: LocalStack, start_example: StartExample, client: KnowrithmClient, tmp_path: Path
) -> None:
    # GIVEN the support escalation example running against the stack, with an empty tickets file
    tickets = tmp_path / "tickets.sqlite3"
    example = start_example("support_escalation.py", {"TICKETS_DB": str(tickets)})

    def rows() -> list[tuple[str, str, str, str]]:
        with closing(sqlite3.connect(tickets)) as db:
            found = db.execute(
                "SELECT webhook_id, conversation_id, reason, customer_message FROM tickets ORDER BY id"
            ).fetchall()
        return [(str(a), str(b), str(c), str(d)) for a, b, c, d in found]

    # WHEN a visitor asks the demo agent for a human in a chat
    conversation = client.conversations.create_conversation(local_stack.agent_id)["id"]
    client.messages.send_message(conversation, "I want to talk to a human")

    # THEN exactly one ticket is opened for that conversation, with the reason and the visitor's message
    wait_for(lambda: len(rows()) >= 1, 20, "a ticket", example)
    time.sleep(0.5)  # room for a wrongful second ticket to show up
    [(webhook_id, conversation_id, reason, message)] = rows()
    assert (conversation_id, reason) == (conversation, "visitor_requested_human")
    assert message == "I want to talk to a human" and webhook_id
    assert f"opened for conversation {conversation}" in example.output()

    # WHEN the delivery is retried by hand / THEN it is answered as a duplicate and no second ticket is opened
    items = client.webhooks.list_deliveries(example.endpoint_id).get("deliveries", [])
    [delivery] = [d for d in items if str(d.get("event_id")) == webhook_id]
    client.webhooks.retry_delivery(str(delivery["id"]))
    wait_for(lambda: "duplicate delivery" in example.output(), 20, "the retried delivery", example)
    assert len(rows()) == 1

    # WHEN the example is stopped / THEN it exits 0 and its endpoint is gone
    assert example.stop() == 0, example.output()
    assert example.endpoint_id not in _endpoint_ids(client)


def test_internal_enablement_prints_answers_citing_the_right_documents(local_stack: LocalStack, tmp_path: Path) -> None:
    # GIVEN the local stack's demo.json
    env = {**os.environ, "LOCAL_STATE_DIR": str(local_stack.state_dir), "PYTHONUNBUFFERED": "1"}
    # WHEN the internal enablement example runs (uploads, waits, asks)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "internal_enablement.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    # THEN it exits 0, having processed its three documents
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "processed 3 documents" in out
    # AND each answer quotes its policy, with a [Source n] that names the right document
    blocks = {m.group(1): m.group(2) for m in re.finditer(r"^Q: (.+)\n((?:A: .*\n)(?:   .*\n)*)", out, re.M)}
    expected = {
        "How many days per week may employees work remotely?": ("three days per week", "remote-work-policy.md"),
        "Within how many days must I submit expense receipts after the trip?": ("thirty days", "travel-expenses.md"),
        "What should I do about a lost or stolen laptop?": ("within one hour", "security-guidelines.txt"),
    }
    assert set(blocks) == set(expected), out
    for question, (quote, document) in expected.items():
        block = blocks[question]
        assert quote in block and "[Source 1]" in block, out
        assert re.search(rf"^   \[Source 1\] {re.escape(document)}$", block, re.M), out
        cited = re.findall(r"^   \[Source \d+\] (\S+)$", block, re.M)
        assert cited == [document], out
    # AND it cleaned up after itself: its documents are deleted
    assert "deleted the 3 uploaded documents" in out
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        listed = sdk.documents.list_agent_documents(local_stack.agent_id, per_page=100)
    names = [str(d.get("original_filename")) for d in listed.get("documents", [])]
    assert not {"remote-work-policy.md", "travel-expenses.md", "security-guidelines.txt"} & set(names)
