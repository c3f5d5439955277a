"""``python -m local.webhook_listen`` (``make webhook-listen``): print the local stack's webhooks as they arrive.

Reads ``<LOCAL_STATE_DIR or .local>/demo.json`` (written by ``make dev``), starts a receiver on
127.0.0.1, registers it through the SDK as a webhook endpoint of the demo company, and prints each
delivery as it arrives, after checking its signature with ``knowrithm_py.webhooks.verify``
(a bad one is answered 400 and reported), like ``stripe listen``. Ctrl-C or SIGTERM deletes the endpoint and exits 0.

Environment: ``WEBHOOK_LISTEN_PORT`` (default: a free port), ``WEBHOOK_LISTEN_EVENTS`` (comma-separated
event types, default ``*``), ``LOCAL_STATE_DIR``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.webhooks import WebhookVerificationError, verify
from local.seed import state_dir

MAX_BODY_BYTES = 1024 * 1024
SUMMARY_KEYS = (
    "email",
    "full_name",
    "name",
    "title",
    "status",
    "reason",
    "message",
    "content",
    "original_filename",
    "conversation_id",
    "agent_id",
    "endpoint_id",
)
SUMMARY_CHARS = 100


class ListenError(Exception):
    """A reason not to start, worth one line rather than a traceback."""


@dataclass(frozen=True)
class Settings:
    base_url: str
    api_key: str
    api_secret: str
    port: int
    events: list[str]


def load_settings() -> Settings:
    env = os.environ
    path = state_dir() / "demo.json"
    try:
        demo = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ListenError(f"{path} not found: start the local stack first (make dev)") from exc
    except (OSError, ValueError) as exc:
        raise ListenError(f"cannot read {path}: {exc}") from exc
    try:
        port = int(env.get("WEBHOOK_LISTEN_PORT") or 0)
    except ValueError as exc:
        raise ListenError("WEBHOOK_LISTEN_PORT must be a port number") from exc
    events = [e.strip() for e in (env.get("WEBHOOK_LISTEN_EVENTS") or "*").split(",") if e.strip()] or ["*"]
    try:
        return Settings(str(demo["base_url"]), str(demo["api_key"]), str(demo["api_secret"]), port, events)
    except KeyError as exc:
        raise ListenError(f"{path} has no {exc.args[0]!r}: restart the local stack (make dev)") from exc


def summary(data: Any) -> str:
    """A one-line glimpse of ``data``: its id and a few telling fields, cut to ``SUMMARY_CHARS``."""
    if not isinstance(data, dict):
        return ""
    parts = [f"id={data['id']}"] if data.get("id") else []
    for key in SUMMARY_KEYS:
        value = data.get(key)
        if value not in (None, "", [], {}):
            parts.append(f"{key}={json.dumps(value, ensure_ascii=False)}")
    text = " ".join(parts)
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


class Listener:
    """The receiver: verifies each delivery with the endpoint's secret (known once registered) and prints it."""

    def __init__(self, port: int) -> None:
        self.secret = ""
        self.ready = threading.Event()
        self._print_lock = threading.Lock()
        try:
            self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        except OSError as exc:
            raise ListenError(f"127.0.0.1:{port} is not free ({exc.strerror}); set WEBHOOK_LISTEN_PORT") from exc
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def say(self, line: str) -> None:
        with self._print_lock:
            print(line, flush=True)

    def received(self, raw: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        if not self.ready.wait(10):
            return 503, {"error": "not registered yet"}
        stamp = datetime.now().strftime("%H:%M:%S")
        try:
            envelope = verify(raw, headers, self.secret)
        except WebhookVerificationError as exc:
            self.say(f"{stamp}  ✗ rejected delivery {headers.get('webhook-id') or '-'}: {exc}")
            return 400, {"error": str(exc)}
        event, event_id = str(envelope.get("event", "?")), str(envelope.get("id", "?"))
        attempt = envelope.get("attempt", 1)
        self.say(f"{stamp}  {event:<24} {event_id}  attempt {attempt}  {summary(envelope.get('data'))}".rstrip())
        return 200, {"received": event_id}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    status, body = 413, {"error": "body too large"}
                else:
                    status, body = listener.received(self.rfile.read(length), self.headers)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def listen(settings: Settings, stop: threading.Event) -> int:
    """Register, serve until ``stop`` is set, then delete the endpoint. Returns the exit code."""
    listener = Listener(settings.port)
    thread = threading.Thread(target=listener.server.serve_forever, args=(0.2,), name="webhook-listen", daemon=True)
    thread.start()
    client = KnowrithmClient(settings.api_key, settings.api_secret, base_url=settings.base_url, max_retries=1)
    try:
        try:
            created = client.webhooks.create_endpoint(
                listener.url, events=settings.events, description=f"make webhook-listen (pid {os.getpid()})"
            )
        except KnowrithmAPIError as exc:
            raise ListenError(f"cannot register {listener.url} at {settings.base_url}: {exc.message}") from exc
        endpoint_id = created["webhook"]["id"]
        listener.secret = created["secret"]
        listener.ready.set()
        listener.say(
            f"Ready! Forwarding {', '.join(created['webhook']['events'])} events to {listener.url}\n"
            f"  endpoint {endpoint_id}, signing secret {created['secret'][:12]}… (verified on receipt)\n"
            f"  trigger one: client.webhooks.send_test({endpoint_id!r}); Ctrl-C to stop"
        )
        while not stop.wait(0.2):
            pass
        try:
            client.webhooks.delete_endpoint(endpoint_id)
        except KnowrithmAPIError as exc:
            listener.say(f"✗ could not delete endpoint {endpoint_id}: {exc.message}")
            return 1
        listener.say(f"✓ deleted endpoint {endpoint_id}")
        return 0
    finally:
        client.close()
        listener.server.shutdown()
        listener.server.server_close()


def main() -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure:
            reconfigure(line_buffering=True, errors="backslashreplace")
    stop = threading.Event()

    def request_stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        return listen(load_settings(), stop)
    except ListenError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
