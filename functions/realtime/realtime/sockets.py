"""Lambda entry point of RealtimeSocketsFunction: the WebSocket API's ``$connect``, ``$disconnect`` and ``$default``.

``$connect`` answers 200 to accept the handshake, or the refusal's 4xx (API Gateway then fails the handshake
with that status); ``$disconnect`` deletes the stored connection; ``$default`` (anything the widget sends, such
as its keep-alive ``{"action": "ping"}``) is acknowledged and otherwise ignored. The checks are
:class:`knowrithm_core.services.realtime.RealtimeService`'s.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from knowrithm_core.config import get_settings
from knowrithm_core.errors import KnowrithmError, error_response
from knowrithm_core.observability import logger, traced
from knowrithm_core.services.realtime import RealtimeService
from knowrithm_core.store.table import DynamoTable
from knowrithm_core.telemetry import metered


@lru_cache(maxsize=1)
def service() -> RealtimeService:
    settings = get_settings()
    return RealtimeService(DynamoTable(settings.table_name), settings)


def _answer(status: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body or {})}


def connect(event: dict[str, Any]) -> dict[str, Any]:
    context = event["requestContext"]
    try:
        service().connect(context["connectionId"], event.get("queryStringParameters") or {}, event.get("headers") or {})
    except KnowrithmError as exc:
        status, body, _ = error_response(exc)
        logger.info("socket refused", extra={"status": status, "error_code": body.get("error_code")})
        return _answer(status, body)
    return _answer(200)


@logger.inject_lambda_context(clear_state=True)
@metered
@traced
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    route = event.get("requestContext", {}).get("routeKey")
    if route == "$connect":
        return connect(event)
    if route == "$disconnect":
        service().disconnect(event["requestContext"]["connectionId"])
    return _answer(200)
