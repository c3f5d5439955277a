"""A real local HTTP receiver with scripted answers, and webhook-ready services (local mode, fast retries)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from local.template import Stack
from tests.gateway import Gateway


@dataclass
class Script:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    sleep: float = 0.0
    body: str = "ok"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    """Answers each POST with the next scripted response (then 200s), and records what it got."""

    def __init__(self) -> None:
        self.script: list[Script] = []
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                step = receiver.script.pop(0) if receiver.script else Script()
                time.sleep(step.sleep)
                self.send_response(step.status)
                for name, value in step.headers.items():
                    self.send_header(name, value)
                payload = step.body.encode()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def webhook_services(services: Services, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Services:
    """Services in local mode (loopback receivers allowed), retrying at once, with a 1 s POST timeout.

    The worker's POSTs run on threads; moto's DynamoDB is not thread-safe (a cancelled transaction restores a
    copy of the table), so its operations are serialized like the local stack does. Real DynamoDB needs no lock.
    """
    import boto3

    from local.moto_safety import serialize_dynamodb

    serialize_dynamodb()

    sqs = boto3.client("sqs")
    monkeypatch.setenv(
        "DELIVERY_QUEUE_URL", sqs.get_queue_url(QueueName=stack.physical_name("DeliveryQueue"))["QueueUrl"]
    )
    monkeypatch.setenv("LOCAL_MODE", "true")
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "0,0,0")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    get_services.cache_clear()
    return get_services()


@pytest.fixture
def webhook_client(webhook_services: Services, gateway: Gateway) -> TestClient:
    return TestClient(gateway, raise_server_exceptions=False)
