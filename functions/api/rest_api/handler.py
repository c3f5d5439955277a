"""The Lambda entry point every API function shares: API Gateway HTTP API (payload 2.0) -> FastAPI via Mangum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from fastapi import FastAPI
from mangum import Mangum

from knowrithm_core.observability import logger, metrics, traced

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def lambda_handler_for(app: FastAPI) -> LambdaHandler:
    """The handler of one API function: logging context, metrics and tracing around Mangum."""
    asgi = Mangum(app, lifespan="off")

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @metrics.log_metrics
    @traced
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        response: dict[str, Any] = asgi(event, context)  # type: ignore[arg-type]  # Mangum types its own context
        return response

    return lambda_handler
