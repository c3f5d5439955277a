"""API Gateway HTTP API emulation: requests to payload 2.0 events, handler results to responses, CORS.

Pure functions over plain data, so the server stays a thin socket loop and the shapes are
testable without one.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.routes import Cors, Route
from local.template import ACCOUNT_ID

TEXT_TYPES = ("text/", "json", "xml", "javascript", "x-www-form-urlencoded", "graphql", "yaml")
HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}


@dataclass
class Request:
    """One HTTP request as the server read it."""

    method: str
    target: str  # path and query as sent
    headers: list[tuple[str, str]]
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    @property
    def raw_path(self) -> str:
        return self.target.split("?", 1)[0] or "/"

    @property
    def raw_query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    @property
    def segments(self) -> list[str]:
        return [unquote(s) for s in self.raw_path.split("/") if s]

    def header(self, name: str) -> str:
        return ", ".join(v for k, v in self.headers if k.lower() == name.lower())


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class MalformedResult(ValueError):
    """The handler returned something API Gateway could not turn into a response."""


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def _is_text(content_type: str) -> bool:
    return any(marker in content_type.lower() for marker in TEXT_TYPES)


def build_event(request: Request, route: Route, path_params: dict[str, str], api_id: str) -> dict[str, Any]:
    """The payload 2.0 event API Gateway would send for ``request`` on ``route``."""
    headers = _joined((k.lower(), v) for k, v in request.headers if k.lower() != "cookie")
    host = headers.get("host", "127.0.0.1")
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-forwarded-port", host.rpartition(":")[2] if ":" in host else "80")
    cookies = [c.strip() for c in request.header("cookie").split(";") if c.strip()]
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "domainName": host,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "http": {
                "method": request.method.upper(),
                "path": unquote(request.raw_path),
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    query = _joined(parse_qsl(request.raw_query, keep_blank_values=True))
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if request.body:
        try:
            text = request.body.decode("utf-8") if _is_text(headers.get("content-type", "text/plain")) else None
        except UnicodeDecodeError:
            text = None
        event["body"] = text if text is not None else base64.b64encode(request.body).decode("ascii")
        event["isBase64Encoded"] = text is None
    return event


def to_response(result: Any) -> Response:
    """Turn a handler's result into the HTTP response (payload 2.0 rules, including the inferred format)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return Response(200, [("content-type", "application/json")], json.dumps(result).encode("utf-8"))
    status = result["statusCode"]
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResult(f"statusCode {status!r} is not an HTTP status")
    headers: list[tuple[str, str]] = []
    for key, value in (result.get("headers") or {}).items():
        headers.append((str(key), str(value)))
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(key), str(v)) for v in values)
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise MalformedResult("body must be a string")
    if result.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise MalformedResult("body is not valid base64") from exc
    else:
        raw = body.encode("utf-8")
    return Response(status, [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP], raw)


def error_response(status: int, message: str, code: str) -> Response:
    """API Gateway's own JSON error (``message``), with the keys our clients read (detail, error, error_code)."""
    body = {"message": message, "detail": message, "error": message, "error_code": code}
    return Response(status, [("content-type", "application/json")], json.dumps(body).encode("utf-8"))


def is_preflight(request: Request) -> bool:
    return (
        request.method.upper() == "OPTIONS"
        and bool(request.header("origin"))
        and bool(request.header("access-control-request-method"))
    )


def preflight(request: Request, cors: Cors) -> Response:
    """API Gateway's answer to a CORS preflight: 204, with CORS headers only if origin, method and headers pass."""
    response = Response(204)
    origin = cors.allowed_origin(request.header("origin"))
    method = request.header("access-control-request-method").upper()
    wanted = [h.strip().lower() for h in request.header("access-control-request-headers").split(",") if h.strip()]
    method_ok = "*" in cors.allow_methods or method in cors.allow_methods
    headers_ok = "*" in cors.allow_headers or all(h in cors.allow_headers for h in wanted)
    if origin is None or not method_ok or not headers_ok:
        return response
    methods = method if "*" in cors.allow_methods else ",".join(cors.allow_methods)
    allowed_headers = ",".join(wanted) if "*" in cors.allow_headers else ",".join(cors.allow_headers)
    response.headers += [("access-control-allow-origin", origin), ("access-control-allow-methods", methods)]
    if allowed_headers:
        response.headers.append(("access-control-allow-headers", allowed_headers))
    if cors.max_age is not None:
        response.headers.append(("access-control-max-age", str(cors.max_age)))
    if cors.allow_credentials:
        response.headers.append(("access-control-allow-credentials", "true"))
    if origin != "*":
        response.headers.append(("vary", "Origin"))
    return response


def apply_cors(request: Request, response: Response, cors: Cors) -> None:
    """With CORS configured, API Gateway replaces the integration's CORS headers with its own."""
    origin = request.header("origin")
    response.headers = [(k, v) for k, v in response.headers if not k.lower().startswith("access-control-")]
    allowed = cors.allowed_origin(origin) if origin else None
    if allowed is None:
        return
    response.headers.append(("access-control-allow-origin", allowed))
    if cors.expose_headers:
        response.headers.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    if cors.allow_credentials:
        response.headers.append(("access-control-allow-credentials", "true"))
