"""Shared plumbing of the integration-pattern examples (support escalation, lead generation, internal enablement).

- :func:`load_demo`: the credentials of the local stack, from ``<LOCAL_STATE_DIR or .local>/demo.json``
  (written by ``make dev``), each overridable by ``KNOWRITHM_BASE_URL``, ``KNOWRITHM_API_KEY``,
  ``KNOWRITHM_API_SECRET`` and ``KNOWRITHM_AGENT_ID``.
- :func:`run_receiver`: a verified webhook receiver on 127.0.0.1 that registers itself through the SDK as an
  endpoint for the given events on start, hands each verified delivery to a handler, and deletes the endpoint
  on exit (Ctrl-C or SIGTERM). The patterns of ``webhook_receiver.py``: verify the raw body first (a bad
  signature is answered 400 and never processed), answer 2xx to a repeat of a ``webhook-id`` (so the server
  stops retrying) without processing it twice.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.webhooks import WebhookVerificationError, verify

ROOT = Path(__file__).resolve().parents[1]
MAX_BODY_BYTES = 1024 * 1024

# ``handle(webhook_id, envelope)`` processes one verified event; returns False if that webhook-id was seen before.
Handler = Callable[[str, dict[str, Any]], bool]


class ExampleError(Exception):
    """A reason not to start, worth one line rather than a traceback."""


@dataclass(frozen=True)
class Demo:
    base_url: str
    api_key: str
    api_secret: str
    agent_id: str

    def client(self) -> KnowrithmClient:
        return KnowrithmClient(self.api_key, self.api_secret, base_url=self.base_url, max_retries=1)


def load_demo() -> Demo:
    """The local stack's demo tenant (``demo.json``), each value overridable by the environment."""
    env = os.environ
    path = Path(env.get("LOCAL_STATE_DIR") or ROOT / ".local") / "demo.json"
    demo: dict[str, Any] = {}
    try:
        demo = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass  # fine if the environment has everything
    except (OSError, ValueError) as exc:
        raise ExampleError(f"cannot read {path}: {exc}") from exc
    values: dict[str, str] = {}
    for key in ("base_url", "api_key", "api_secret", "agent_id"):
        value = env.get(f"KNOWRITHM_{key.upper()}") or demo.get(key)
        if not value:
            raise ExampleError(f"no {key}: start the local stack (make dev) or set KNOWRITHM_{key.upper()}")
        values[key] = str(value)
    return Demo(**values)


def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(payload)))
    request.end_headers()
    request.wfile.write(payload)


class Receiver:
    """An HTTP server that verifies each delivery with the endpoint's secret, then calls the handler (serially)."""

    def __init__(self, host: str, port: int, handle: Handler) -> None:
        self.secret = ""
        self.ready = threading.Event()
        self._handle = handle
        self._lock = threading.Lock()  # one event at a time: the handlers write local files
        try:
            self.server = ThreadingHTTPServer((host, port), self._handler_class())
        except OSError as exc:
            raise ExampleError(f"{host}:{port} is not free ({exc.strerror}); set PORT") from exc
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def receive(self, raw: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        if not self.ready.wait(10):
            return 503, {"error": "not registered yet"}
        try:
            envelope = verify(raw, headers, self.secret)
        except WebhookVerificationError as exc:
            print(f"rejected delivery {headers.get('webhook-id') or '-'}: {exc}", flush=True)
            return 400, {"error": str(exc)}
        webhook_id = str(headers.get("webhook-id") or envelope.get("id", ""))
        try:
            with self._lock:
                fresh = self._handle(webhook_id, envelope)
        except Exception as exc:  # noqa: BLE001 - answer 500 so the server retries later
            print(f"failed to process {webhook_id}: {exc!r}", file=sys.stderr, flush=True)
            return 500, {"error": "processing failed"}
        return 200, {"status": "accepted" if fresh else "duplicate", "webhook_id": webhook_id}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    _reply(self, 413, {"error": "body too large"})
                    return
                status, body = receiver.receive(self.rfile.read(length), self.headers)
                _reply(self, status, body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handle


def run_receiver(events: Sequence[str], handle: Handler, description: str) -> int:
    """Serve ``handle`` for ``events`` until Ctrl-C or SIGTERM, registered as an endpoint meanwhile. Exit code."""
    stop = threading.Event()

    def request_stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        demo = load_demo()
        receiver = Receiver(os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT") or 0), handle)
    except (ExampleError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    thread = threading.Thread(target=receiver.server.serve_forever, args=(0.2,), daemon=True)
    thread.start()
    print(f"listening on {receiver.url}", flush=True)
    client = demo.client()
    try:
        try:
            created = client.webhooks.create_endpoint(receiver.url, events=list(events), description=description)
        except KnowrithmAPIError as exc:
            print(f"error: cannot register {receiver.url} at {demo.base_url}: {exc.message}", file=sys.stderr)
            return 1
        endpoint_id = created["webhook"]["id"]
        receiver.secret = created["secret"]
        receiver.ready.set()
        print(f"registered endpoint {endpoint_id} for {', '.join(events)}", flush=True)
        while not stop.wait(0.2):
            pass
        try:
            client.webhooks.delete_endpoint(endpoint_id)
        except KnowrithmAPIError as exc:
            print(f"error: could not delete endpoint {endpoint_id}: {exc.message}", file=sys.stderr, flush=True)
            return 1
        print(f"deleted endpoint {endpoint_id}", flush=True)
        return 0
    finally:
        client.close()
        receiver.server.shutdown()
        receiver.server.server_close()
        print("stopped", flush=True)
