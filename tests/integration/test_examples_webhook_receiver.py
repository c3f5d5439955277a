"""examples/webhook_receiver.py as a subprocess: verified, answered at once, each ``webhook-id`` processed once."""

from __future__ import annotations

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
from typing import Protocol

import httpx
import pytest

from knowrithm_core.webhooks.signing import new_secret, signature_headers
from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.integration.test_sdk_webhooks import settled

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "webhook_receiver.py"


class Receiver:
    def __init__(self, process: subprocess.Popen[bytes], log: Path, db: Path, url: str) -> None:
        self.process, self.log, self.db, self.url = process, log, db, url

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def processed(self, event_id: str) -> int:
        return len(re.findall(rf"^processed \S+ {re.escape(event_id)} ", self.output(), flags=re.MULTILINE))


StartReceiver = Callable[[str], Receiver]


def wait_for(
    predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition", receiver: Receiver | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    output = f"; receiver output:\n{receiver.output()}" if receiver else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{output}")


@pytest.fixture
def start_receiver(tmp_path: Path) -> Iterator[StartReceiver]:
    """Start the example with a given secret on a free port, a fresh SQLite file; stop it with SIGTERM."""
    started: list[Receiver] = []

    def start(secret: str) -> Receiver:
        log, db = tmp_path / f"receiver-{len(started)}.log", tmp_path / "seen.sqlite3"
        env = {**os.environ, "WEBHOOK_SECRET": secret, "PORT": "0", "WEBHOOK_DB": str(db), "PYTHONUNBUFFERED": "1"}
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, stdout=out, stderr=out)
        receiver = Receiver(process, log, db, "")
        started.append(receiver)
        wait_for(
            lambda: "listening on" in receiver.output() or process.poll() is not None,
            what="the receiver",
            receiver=receiver,
        )
        match = re.search(r"listening on (http://\S+)", receiver.output())
        assert match, receiver.output()
        receiver.url = match.group(1)
        return receiver

    yield start
    for receiver in started:
        if receiver.process.poll() is None:
            receiver.process.send_signal(signal.SIGTERM)
            try:
                receiver.process.wait(10)
            except subprocess.TimeoutExpired:
                receiver.process.kill()
                receiver.process.wait()


def envelope(event_id: str) -> bytes:
    body = {
        "id": event_id,
        "event": "lead.created",
        "timestamp": "2026-01-02T03:04:05.000Z",
        "data": {"id": "lead-1", "email": "ada@example.com"},
        "attempt": 1,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def test_same_delivery_twice_is_processed_once_and_a_forged_one_is_400(start_receiver: StartReceiver) -> None:
    # GIVEN the example receiver running with an endpoint's secret
    secret = new_secret()
    receiver = start_receiver(secret)
    event_id = str(uuid.uuid4())
    body = envelope(event_id)
    headers = signature_headers([secret], event_id, int(time.time()), body)

    # WHEN the same signed delivery arrives twice (a retry after a lost answer)
    first = httpx.post(receiver.url, content=body, headers=headers, timeout=5)
    second = httpx.post(receiver.url, content=body, headers=headers, timeout=5)
    # THEN both are answered 2xx (so the server stops retrying), the second recognised as a duplicate
    assert (first.status_code, first.json()["status"]) == (200, "accepted")
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    # AND the event is processed exactly once
    wait_for(lambda: receiver.processed(event_id) >= 1, what="the event to be processed", receiver=receiver)
    time.sleep(0.5)  # give a wrongful second processing the time to show up
    assert receiver.processed(event_id) == 1, receiver.output()

    # WHEN deliveries signed with another secret, tampered, or unsigned arrive
    forged_id = str(uuid.uuid4())
    forged_body = envelope(forged_id)
    forged = httpx.post(
        receiver.url,
        content=forged_body,
        headers=signature_headers([new_secret()], forged_id, int(time.time()), forged_body),
        timeout=5,
    )
    tampered = httpx.post(receiver.url, content=body.replace(b"ada@", b"eve@"), headers=headers, timeout=5)
    unsigned = httpx.post(receiver.url, content=forged_body, timeout=5)
    # THEN each is refused with 400 and a reason, and none is stored or processed
    assert [r.status_code for r in (forged, tampered, unsigned)] == [400, 400, 400]
    assert "Bad signature" in forged.json()["error"] and "Bad signature" in tampered.json()["error"]
    assert "Missing signature headers" in unsigned.json()["error"]
    assert receiver.processed(forged_id) == 0

    # WHEN it is stopped with SIGTERM / THEN it exits 0, with one row, processed, in its SQLite file
    receiver.process.send_signal(signal.SIGTERM)
    assert receiver.process.wait(10) == 0, receiver.output()
    with closing(sqlite3.connect(receiver.db)) as db:
        rows = db.execute("SELECT webhook_id, event, processed_at IS NOT NULL FROM webhook_events").fetchall()
    assert rows == [(event_id, "lead.created", 1)]


def test_events_stored_but_not_processed_are_processed_on_restart(start_receiver: StartReceiver) -> None:
    # GIVEN a receiver that stored an event and stopped before processing it (a crash)
    secret = new_secret()
    first = start_receiver(secret)
    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(10) == 0
    event_id = str(uuid.uuid4())
    with closing(sqlite3.connect(first.db)) as db, db:
        db.execute(
            "INSERT INTO webhook_events (webhook_id, event, body, received_at) VALUES (?, ?, ?, ?)",
            (event_id, "lead.created", envelope(event_id).decode(), "2026-01-02T03:04:05.000+00:00"),
        )
    # WHEN it starts again / THEN the stored event is processed, once
    second = start_receiver(secret)
    wait_for(lambda: second.processed(event_id) == 1, what="the stored event to be processed", receiver=second)


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str


@pytest.mark.integration
def test_a_real_redelivery_from_the_stack_is_processed_once(
    local_stack: LocalStack, start_receiver: StartReceiver
) -> None:
    # GIVEN the example receiver registered on the local stack
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as client:
        created = client.webhooks.create_endpoint(
            "http://127.0.0.1:1/", events=["webhook.test"], description="example receiver test"
        )
        endpoint_id = created["webhook"]["id"]
        try:
            receiver = start_receiver(created["secret"])
            client.webhooks.update_endpoint(endpoint_id, url=receiver.url)
            # WHEN a test event is delivered, then the same delivery is retried by hand
            event_id = client.webhooks.send_test(endpoint_id)["event_id"]
            wait_for(lambda: receiver.processed(event_id) == 1, what="the test event", receiver=receiver)
            client.webhooks.retry_delivery(settled(client, endpoint_id, event_id)["id"])
            retried = settled(client, endpoint_id, event_id, attempts=2)
            # THEN the receiver answered both attempts 200, the second as a duplicate, and processed the event once
            assert [a["status_code"] for a in retried["attempts"]] == [200, 200]
            assert '"duplicate"' in str(retried["attempts"][1]["response_excerpt"])
            time.sleep(0.5)
            assert receiver.processed(event_id) == 1, receiver.output()
            with closing(sqlite3.connect(receiver.db)) as db:
                assert db.execute("SELECT COUNT(*) FROM webhook_events").fetchone() == (1,)
        finally:
            client.webhooks.delete_endpoint(endpoint_id)
