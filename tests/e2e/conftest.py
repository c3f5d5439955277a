"""Browser fixtures: the local stack with its demo page, headless Chromium, and a server for test pages.

``widget_stack`` starts ``python -m local`` (API on one port, demo page on another origin) once per
session. ``pages`` serves extra pages from a third origin (attributes, refusals, hostile content), each
under a strict Content-Security-Policy. Chromium is Debian's ``/usr/bin/chromium`` (``make chromium``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.demo_page import csp

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class WidgetStack:
    origin: str  # the API: http://127.0.0.1:PORT
    demo_url: str  # the demo page, on another origin
    api_key: str
    api_secret: str
    company_id: str
    agent_id: str
    aws_endpoint_url: str
    log_path: Path
    websocket_url: str = ""  # the widget's WebSocket API (demo.json)

    @property
    def key_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key, "X-API-Secret": self.api_secret}

    def create_agent(self, name: str, description: str, **settings: Any) -> str:
        body = {"name": name, "description": description, **settings}
        response = httpx.post(f"{self.origin}/api/v1/agent", json=body, headers=self.key_headers, timeout=10)
        assert response.status_code == 201, response.text
        return str(response.json()["agent"]["id"])

    def outbox_events(self) -> list[dict[str, Any]]:
        import boto3

        client = boto3.client("dynamodb", endpoint_url=self.aws_endpoint_url, region_name="us-east-1")
        table = next(name for name in client.list_tables()["TableNames"] if "AppTable" in name)
        items = client.query(
            TableName=table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"COMPANY#{self.company_id}#EVENTS"}},
        )["Items"]
        return [{"event": i["event"]["S"], "data": i["data"]["M"]} for i in items]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def widget_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WidgetStack]:
    state = tmp_path_factory.mktemp("widget-stack")
    log_path = state / "local.log"
    port, moto_port, demo_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "MOTO_PORT": str(moto_port),
        "DEMO_PORT": str(demo_port),
        "LOCAL_STATE_DIR": str(state),
    }
    env.pop("AWS_ENDPOINT_URL", None)
    origin = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            demo_json = state / "demo.json"
            while not (demo_json.exists() and _ready(f"{origin}/health")):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the local stack did not start:\n{log_path.read_text(errors='replace')}")
                time.sleep(0.2)
            demo = json.loads(demo_json.read_text(encoding="utf-8"))
            assert _ready(demo["demo_url"]), "the demo page is not served"
            yield WidgetStack(
                origin=origin,
                demo_url=demo["demo_url"],
                api_key=demo["api_key"],
                api_secret=demo["api_secret"],
                company_id=demo["company_id"],
                agent_id=demo["agent_id"],
                aws_endpoint_url=f"http://127.0.0.1:{moto_port}",
                log_path=log_path,
                websocket_url=demo.get("websocket_url", ""),
            )
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class PageServer:
    """Serves registered HTML pages from its own origin (a third one), with a strict CSP for the API origin."""

    api_origin: str
    pages: dict[str, str] = field(default_factory=dict)
    origin: str = ""

    def add(self, path: str, agent_id: str, attributes: str = "", title: str = "Test page") -> str:
        tag = f'<script src="{self.api_origin}/widget.js" data-agent-id="{agent_id}" {attributes} async></script>'
        self.pages[path] = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><main><h1>{title}</h1><p>Some page content.</p>"
            f'<button type="button" id="page-button">A page button</button></main>{tag}</body></html>'
        )
        return self.origin + path


@pytest.fixture(scope="session")
def pages(widget_stack: WidgetStack) -> Iterator[PageServer]:
    server_state = PageServer(widget_stack.origin)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = server_state.pages.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", csp(widget_stack.origin, widget_stack.websocket_url))
            data = (body or "not found").encode("utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server_state.origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield server_state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make chromium` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


# Every knowrithm:* window event, CSP violations and uncaught errors, recorded from the first script on.
RECORDER = """
window.__events = [];
window.__csp = [];
window.__errors = [];
for (const name of ['ready', 'widget.opened', 'widget.closed', 'conversation.started', 'message.received', 'error']) {
  window.addEventListener('knowrithm:' + name, (e) =>
    window.__events.push({name, detail: JSON.parse(JSON.stringify(e.detail || {}))}));
}
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
"""


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(RECORDER)
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
