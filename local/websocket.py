"""The WebSocket API on loopback: what API Gateway does in front of the template's WebSocket routes.

The template's ``AWS::ApiGatewayV2::Api`` (``ProtocolType: WEBSOCKET``), its routes and their integrations say
which function handles ``$connect``, ``$disconnect`` and ``$default``; this front (the ``websockets`` library,
one asyncio loop on a daemon thread) invokes it with API Gateway's event shapes: a ``$connect`` answered with a
non-2xx status fails the handshake with that status. The Management API (``POST/GET/DELETE
/{stage}/@connections/{id}``, 410 ``GoneException`` for unknown ids) is a small HTTP server on another loopback
port; the push function's boto3 client reaches it through ``REALTIME_MANAGEMENT_URL``.
Not emulated: the two-hour and ten-minute-idle limits, and route selection other than ``$default``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from local.template import Stack

log = logging.getLogger("local.websocket")
Invoke = Callable[[str, Any], Any]
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's WebSocket message limit
ROUTE_KEYS = ("$connect", "$disconnect", "$default")


def websocket_routes(stack: Stack) -> tuple[str, dict[str, str]] | None:
    """(stage name, route key -> function logical id) of the template's WebSocket API; None when it has none."""
    apis = [
        k
        for k, v in stack.of_type("AWS::ApiGatewayV2::Api").items()
        if v["Properties"].get("ProtocolType") == "WEBSOCKET"
    ]
    if not apis:
        return None
    functions = set(stack.of_type("AWS::Serverless::Function"))
    integrations: dict[str, str] = {}
    for logical_id, resource in stack.of_type("AWS::ApiGatewayV2::Integration").items():
        text = json.dumps(resource["Properties"].get("IntegrationUri"))
        target = next((name for name in sorted(functions, key=len, reverse=True) if name in text), None)
        if target:
            integrations[logical_id] = target
    routes: dict[str, str] = {}
    for resource in stack.of_type("AWS::ApiGatewayV2::Route").values():
        props = resource["Properties"]
        target = json.dumps(props.get("Target"))
        found = next((fn for integration, fn in integrations.items() if integration in target), None)
        if props.get("ApiId") == {"Ref": apis[0]} and found:
            routes[str(props["RouteKey"])] = found
    stages = [v["Properties"] for v in stack.of_type("AWS::ApiGatewayV2::Stage").values()]
    stage = str(stack.resolve(stages[0]["StageName"])) if stages else "local"
    return stage, routes


@dataclass
class RealtimeFront:
    """Serves the sockets; ``send``/``close`` are what the Management API calls (thread-safe)."""

    routes: dict[str, str]
    invoke: Invoke
    stage: str = "local"
    api_id: str = "local"
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    sockets: dict[str, Any] = field(default_factory=dict)
    port: int = 0
    _server: Any = None

    def _event(self, route: str, connection_id: str, extra: dict[str, Any]) -> dict[str, Any]:
        kinds = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}
        context = {
            "routeKey": route,
            "eventType": kinds.get(route, "MESSAGE"),
            "connectionId": connection_id,
            "stage": self.stage,
            "apiId": self.api_id,
            "domainName": f"127.0.0.1:{self.port}",
            "requestId": secrets.token_hex(8),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1"},
        }
        return {"requestContext": context, "isBase64Encoded": False, **extra}

    async def _call(self, route: str, connection_id: str, extra: dict[str, Any]) -> int:
        function = self.routes.get(route) or self.routes.get("$default")
        if function is None:
            return 200 if route != "$default" else 403
        try:
            result = await asyncio.to_thread(self.invoke, function, self._event(route, connection_id, extra))
        except Exception:  # noqa: BLE001 - a failing handler is API Gateway's 502 (the trace goes to the log)
            log.exception("%s failed on %s", function, route)
            return 502
        return int(result.get("statusCode", 200)) if isinstance(result, dict) else 200

    async def _process_request(self, connection: Any, request: Any) -> Any:
        parts = urlsplit(request.path)
        connection_id = secrets.token_urlsafe(12)
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        extra = {"headers": headers, "queryStringParameters": dict(parse_qsl(parts.query)) or None}
        status = await self._call("$connect", connection_id, extra)
        if status >= 300:
            return connection.respond(status, "Forbidden\n" if status == 403 else "Refused\n")
        self.sockets[connection_id] = connection
        connection.local_id = connection_id
        return None

    async def _handler(self, connection: Any) -> None:
        connection_id = connection.local_id
        try:
            async for message in connection:
                body = message if isinstance(message, str) else message.decode("utf-8", "replace")
                await self._call("$default", connection_id, {"body": body})
        except Exception:  # noqa: BLE001, S110 - a dropped socket ends like a closed one
            pass
        finally:
            self.sockets.pop(connection_id, None)
            await self._call("$disconnect", connection_id, {"headers": {}})

    def start(self, host: str = "127.0.0.1", port: int = 0) -> RealtimeFront:
        from websockets.asyncio.server import serve

        ready = threading.Event()

        async def main() -> None:
            self._server = await serve(
                self._handler, host, port, process_request=self._process_request, max_size=MAX_MESSAGE_BYTES
            )
            self.port = int(self._server.sockets[0].getsockname()[1])
            ready.set()
            await self._server.serve_forever()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(main())
            except (asyncio.CancelledError, RuntimeError):
                pass
            finally:
                ready.set()

        threading.Thread(target=run, name="local-websocket", daemon=True).start()
        if not ready.wait(10) or not self.port:
            raise OSError(f"the WebSocket front cannot listen on {host}:{port}")
        return self

    def send(self, connection_id: str, data: bytes) -> bool:
        """Deliver one message; False when the connection is gone."""
        connection = self.sockets.get(connection_id)
        if connection is None:
            return False
        text = data.decode("utf-8", "replace")
        try:
            asyncio.run_coroutine_threadsafe(connection.send(text), self.loop).result(timeout=5)
        except Exception:  # noqa: BLE001 - closed meanwhile: gone
            return False
        return True

    def close(self, connection_id: str) -> bool:
        connection = self.sockets.get(connection_id)
        if connection is not None:
            asyncio.run_coroutine_threadsafe(connection.close(), self.loop).result(timeout=5)
        return connection is not None

    def stop(self) -> None:
        if self._server is not None:
            self.loop.call_soon_threadsafe(self._server.close)


class _ManagementHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ManagementServer

    def _answer(self, status: int, body: dict[str, Any] | None = None, error: str | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _connection_id(self) -> str | None:
        path = urlsplit(self.path).path
        return path.split("/@connections/", 1)[1].strip("/") if "/@connections/" in path else None

    def _serve(self, act: Callable[[str], bool]) -> None:
        connection_id = self._connection_id()
        if connection_id is None:
            self._answer(404, {"message": "Not Found"}, "NotFoundException")
        elif act(connection_id):
            self._answer(200)
        else:
            self._answer(410, {"message": f"Connection {connection_id} is gone"}, "GoneException")

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._serve(lambda cid: self.server.front.send(cid, data))

    def do_GET(self) -> None:  # noqa: N802
        self._serve(lambda cid: cid in self.server.front.sockets)

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve(self.server.front.close)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug(format, *args)


class ManagementServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, front: RealtimeFront, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _ManagementHandler)
        self.front = front
        threading.Thread(target=self.serve_forever, args=(0.05,), name="local-ws-management", daemon=True).start()

    @property
    def url(self) -> str:
        """The endpoint URL for boto3's ``apigatewaymanagementapi`` client (with the stage, as in AWS)."""
        return f"http://127.0.0.1:{self.server_address[1]}/{self.front.stage}"


@dataclass
class Realtime:
    front: RealtimeFront
    management: ManagementServer

    @property
    def websocket_url(self) -> str:
        return f"ws://127.0.0.1:{self.front.port}/{self.front.stage}"

    def stop(self) -> None:
        self.management.shutdown()
        self.management.server_close()
        self.front.stop()


def start_realtime(stack: Stack, invoke: Invoke, port: int = 0, management_port: int = 0) -> Realtime | None:
    """Serve the template's WebSocket API (None when the template has none)."""
    found = websocket_routes(stack)
    if found is None:
        return None
    stage, routes = found
    front = RealtimeFront(routes, invoke, stage=stage).start(port=port)
    return Realtime(front, ManagementServer(front, port=management_port))
