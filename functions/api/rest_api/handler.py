"""The Lambda entry point every API function shares: API Gateway HTTP API (payload 2.0) -> FastAPI via Mangum."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from mangum import Mangum

from knowrithm_core.observability import observed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

LambdaHandler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]


def lambda_handler_for(app: FastAPI) -> LambdaHandler:
    """The handler of one API function: logging context (the request id as correlation id), metrics and
    tracing around Mangum; Powertools is imported on the first invocation (:func:`observed`)."""
    asgi = Mangum(app, lifespan="off")

    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        response: dict[str, Any] = asgi(event, context)  # type: ignore[arg-type]  # Mangum types its own context
        return response

    return observed(lambda_handler, correlation_path="API_GATEWAY_HTTP")
