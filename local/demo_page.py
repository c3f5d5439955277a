"""The demo page of ``make dev``: a page on another origin (127.0.0.1:$DEMO_PORT) with only the widget's tag.

Served with a strict Content-Security-Policy (no inline script or style, connections only to the API), so
the demo also proves the widget works under one. The page origin differs from the API's, so CORS and the
agent's allowed domains are exercised for real.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<main>
<h1>{title}</h1>
<p>A page on {origin}, another origin than the API ({api}). The chat bubble comes from one tag:</p>
<pre><code>{snippet}</code></pre>
</main>
{tag}
</body>
</html>
"""


def csp(api_origin: str, websocket_url: str = "") -> str:
    """The strictest policy the widget needs: its script and API origin (and its WebSocket's), nothing inline."""
    sockets = f" {websocket_origin(websocket_url)}" if websocket_url else ""
    return (
        f"default-src 'none'; script-src {api_origin}; connect-src {api_origin}{sockets}; img-src {api_origin} data:; "
        "style-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def websocket_origin(url: str) -> str:
    """``ws://127.0.0.1:3002/dev`` -> ``ws://127.0.0.1:3002`` (what a CSP source names)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def render(api_origin: str, page_origin: str, agent_id: str, title: str = "Harbour Lane Books (demo page)") -> str:
    tag = f'<script src="{html.escape(api_origin)}/widget.js" data-agent-id="{html.escape(agent_id)}" async></script>'
    return PAGE.format(
        title=html.escape(title),
        origin=html.escape(page_origin),
        api=html.escape(api_origin),
        snippet=html.escape(tag),
        tag=tag,
    )


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, api_origin: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.api_origin = api_origin
        self.agent_id = ""  # set once the demo agent exists
        self.websocket_url = ""  # the widget's WebSocket API, allowed by the page's CSP

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path.split("?")[0] not in ("/", "/index.html"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = render(self.server.api_origin, self.server.origin, self.server.agent_id).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Security-Policy", csp(self.server.api_origin, self.server.websocket_url))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass


def start_demo(port: int, api_origin: str) -> DemoServer:
    """Bind 127.0.0.1:``port`` (0 = any free port) and serve on a daemon thread; stop with ``shutdown()``."""
    server = DemoServer(port, api_origin)
    threading.Thread(target=server.serve_forever, args=(0.05,), name="local-demo", daemon=True).start()
    return server
