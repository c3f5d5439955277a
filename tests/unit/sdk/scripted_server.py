"""A real HTTP server on 127.0.0.1 (stdlib, in a thread) that answers from a script and records requests."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from knowrithm_py.knowrithm.client import KnowrithmClient

MakeClient = Callable[..., KnowrithmClient]


@dataclass
class Reply:
    """One scripted answer; ``reset`` drops the connection (TCP RST) without answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float


class ScriptedServer:
    """Routes are ``(METHOD, path)``; each answers its replies in order, repeating the last.
    Unscripted routes answer ``200 {"ok": true}``."""

    def __init__(self) -> None:
        self._script: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        self._script[(method, path)].extend(replies)

    def requests_to(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path == path]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self._script.get((method, path))
            if not queue:
                return Reply(200, {"ok": True})
            return queue.popleft() if len(queue) > 1 else queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw  # multipart uploads and other non-JSON bodies stay bytes
                seen = Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers), body, time.monotonic())
                with server._lock:
                    server.seen.append(seen)
                reply = server._next(self.command, parts.path)
                if reply.reset:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if isinstance(reply.body, str):
                    payload, content_type = reply.body.encode(), "text/plain"
                else:
                    payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                    content_type = "application/json"
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

            def log_message(self, *_: Any) -> None:
                return

        return Handler


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """The server's error shape (knowrithm_core.errors.error_body)."""
    return {
        "success": False,
        "detail": message,
        "error": message,
        "message": message,
        "error_code": code,
        "code": code,
        "details": {},
        "status": status,
    }
