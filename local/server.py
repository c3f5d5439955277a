"""The HTTP front: a stdlib threaded server standing in for API Gateway in front of the template's functions.

:class:`Gateway` does the work (CORS preflights, routing, invoking, error mapping) on plain
request objects; :func:`start_server` only moves bytes between sockets and the gateway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.apigw import (
    MalformedResult,
    Request,
    Response,
    apply_cors,
    build_event,
    error_response,
    is_preflight,
    preflight,
    to_response,
)
from local.invoker import Invoker
from local.routes import Cors, cors_by_api, find_route, http_routes
from local.template import FunctionSpec, Stack

log = logging.getLogger("local.http")
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API payload limit
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")  # what API Gateway routes; others: 405


class Gateway:
    """Routes requests to functions the way the template's HttpApi events say."""

    def __init__(self, stack: Stack, specs: Mapping[str, FunctionSpec], invoker: Invoker) -> None:
        self.stack = stack
        self.routes = http_routes(specs.values())
        self.cors = cors_by_api(stack)
        self.invoker = invoker

    def _cors_for(self, request: Request) -> Cors | None:
        """CORS of the API whose route matches the path (any method), else of the first API that has CORS."""
        for route in self.routes:
            if route.api in self.cors and route.match(route.method, request.segments) is not None:
                return self.cors[route.api]
        return next(iter(self.cors.values()), None)

    def _allowed(self, request: Request) -> list[str]:
        """The methods routed on the request's path (all of them under an ``ANY`` route)."""
        routed = {r.method for r in self.routes if r.match(r.method, request.segments) is not None}
        return list(METHODS) if "ANY" in routed or not routed else [m for m in METHODS if m in routed]

    def handle(self, request: Request) -> Response:
        cors = self._cors_for(request)
        if cors and is_preflight(request):
            return preflight(request, cors)
        found = find_route(self.routes, request.method, request.segments) if request.method in METHODS else None
        if request.method not in METHODS:
            response = error_response(405, "Method Not Allowed", "method_not_allowed")
            response.headers.append(("allow", ", ".join(self._allowed(request))))
        elif found is None:
            response = error_response(404, "Not Found", "not_found")
        else:
            route, params = found
            event = build_event(request, route, params, self.stack.physical_name(route.api))
            response = self._invoke(route.function, event)
        if cors:
            apply_cors(request, response, cors)
        return response

    def _invoke(self, function: str, event: dict[str, Any]) -> Response:
        try:
            return to_response(self.invoker.invoke(function, event))
        except MalformedResult as exc:
            log.error("%s returned a malformed response: %s", function, exc)
        except Exception:  # noqa: BLE001 - any handler failure is API Gateway's 5xx; the trace goes to the log only
            log.exception(
                "%s raised while handling %s %s", function, event["requestContext"]["http"]["method"], event["rawPath"]
            )
        return error_response(502, "Internal Server Error", "internal_error")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections close after a minute
    server: LocalHttpServer

    def _read_body(self) -> bytes | None:
        """The request body (Content-Length or chunked); None if it is over the size limit."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
                if sum(map(len, chunks)) > MAX_BODY_BYTES:
                    return None
            while self.rfile.readline().strip():  # trailers
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return None if length > MAX_BODY_BYTES else self.rfile.read(length)

    def _serve(self) -> None:
        started = time.perf_counter()
        body = self._read_body()
        if body is None:
            self.close_connection = True
            response = error_response(413, "Request Entity Too Large", "payload_too_large")
        else:
            request = Request(
                self.command, self.path, list(self.headers.items()), body, self.client_address[0], self.request_version
            )
            response = self.server.gateway.handle(request)
        self._send(response)
        log.info(
            "%s %s -> %d (%.0f ms)", self.command, self.path, response.status, (time.perf_counter() - started) * 1000
        )

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for key, value in response.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def __getattr__(self, name: str) -> Any:
        """Every method, known or not, goes to the gateway (the stdlib answers 501 HTML to unknown ones)."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own errors (malformed request line or headers, URI too long...) as JSON, then close."""
        if self.request_version == "HTTP/0.9":  # a request line too broken to tell: answer in HTTP/1.1
            self.request_version = "HTTP/1.1"
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self.log_error("code %d, message %s", code, message)
        response = error_response(code, message or phrase, phrase.lower().replace(" ", "_").replace("-", "_"))
        response.headers.append(("Connection", "close"))
        self._send(response)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug(format, *args)


class LocalHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the stdlib's 5 drops connections under a burst of concurrent clients

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def start_server(gateway: Gateway, host: str = "127.0.0.1", port: int = 3000) -> LocalHttpServer:
    """Bind (raises OSError if the port is taken) and serve on a daemon thread; stop with ``shutdown()``."""
    server = LocalHttpServer((host, port), gateway)
    threading.Thread(target=server.serve_forever, args=(0.05,), name="local-http", daemon=True).start()
    return server
