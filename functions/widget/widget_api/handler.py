"""Lambda entry point of WidgetFunction (Powertools' HTTP API resolver, no web framework: a light cold start).

Routes: ``GET /widget.js``, ``/api/widget.js``, ``/api/v1/widget.js`` (ETag, long caching, 304, gzip);
``GET /api/v1/widget/config/{agent_id}`` and ``POST /api/v1/website/handshake`` (public, allowed domains
checked), each with its ``OPTIONS`` preflight. The work happens in :mod:`knowrithm_core.widget`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.config import get_settings
from knowrithm_core.errors import InvalidJson, KnowrithmError, error_body, error_response
from knowrithm_core.observability import logger, traced
from knowrithm_core.safe_json import parse_json
from knowrithm_core.services.widget import WidgetPublic
from knowrithm_core.store.table import DynamoTable
from knowrithm_core.telemetry import metered
from knowrithm_core.widget.cors import preflight_headers, response_headers
from widget_api.assets import load_script

app = APIGatewayHttpResolver()
script = load_script()


@lru_cache(maxsize=1)
def public() -> WidgetPublic:
    return WidgetPublic(DynamoTable(get_settings().table_name), os.environ.get("REALTIME_WEBSOCKET_URL") or None)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(status, "application/json", json.dumps(body), {**response_headers(), **(headers or {})})


@app.get("/widget.js", compress=True)
@app.get("/api/widget.js", compress=True)
@app.get("/api/v1/widget.js", compress=True)
def widget_script() -> Response[str]:
    event = app.current_event
    headers = script.headers(event.query_string_parameters or {})
    if script.not_modified(event.headers.get("if-none-match")):
        return Response(304, None, "", headers)
    return Response(200, "application/javascript; charset=utf-8", script.text, headers)


@app.get("/api/v1/widget/config/<agent_id>")
def widget_config(agent_id: str) -> Response[str]:
    return _json(200, public().config(agent_id, app.current_event.headers))


def raw_body() -> bytes | str | None:
    """The request body as sent (bytes when API Gateway base64-encoded it), not yet decoded as text."""
    event = app.current_event
    if event.body is None or not event.is_base64_encoded:
        return event.body
    try:
        return base64.b64decode(event.body, validate=True)
    except binascii.Error as exc:
        raise InvalidJson("The request body is not valid base64.") from exc


@app.post("/api/v1/website/handshake")
def handshake() -> Response[str]:
    body = parse_json(raw_body(), max_bytes=get_settings().max_body_bytes)
    return _json(200, public().handshake(body, app.current_event.headers))


@app.route("/api/v1/widget/config/<agent_id>", method="OPTIONS")
def config_preflight(agent_id: str) -> Response[str]:
    return Response(204, None, "", public().config_preflight(agent_id, app.current_event.headers))


@app.route("/api/v1/website/handshake", method="OPTIONS")
def handshake_preflight() -> Response[str]:
    return Response(204, None, "", preflight_headers(app.current_event.headers.get("origin"), allowed=True))


def domain_error(exc: KnowrithmError) -> Response[str]:
    status, body, headers = error_response(exc)
    return _json(status, body, headers)


@app.not_found
def no_route(_: Exception) -> Response[str]:
    event = app.current_event
    return _json(404, error_body(404, "not_found", f"No route for {event.http_method} {event.path}."))


def unexpected(_: Exception) -> Response[str]:
    logger.exception("unhandled error")
    return _json(500, error_body(500, "internal_error", "Internal server error."))


# Registered by call: Powertools' exception_handler decorator is untyped.
app.exception_handler(KnowrithmError)(domain_error)
app.exception_handler(Exception)(unexpected)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metered
@traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
