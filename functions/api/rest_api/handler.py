"""Lambda entry point of ApiFunction: API Gateway HTTP API (payload 2.0) -> FastAPI via Mangum."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum

from knowrithm_core.observability import logger, metrics, traced
from rest_api.app import create_app

app = create_app()
_asgi = Mangum(app, lifespan="off")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response: dict[str, Any] = _asgi(event, context)  # type: ignore[arg-type]  # Mangum types its own context
    return response
