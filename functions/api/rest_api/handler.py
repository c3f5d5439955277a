"""Lambda entry point of ApiFunction: API Gateway HTTP API (payload 2.0) -> FastAPI via Mangum."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def _long_lived() -> Iterator[None]:
    """Create the objects that live as long as the process without the cyclic GC watching, then freeze them.

    Importing and building the app creates ~60k objects (modules, classes, pydantic schemas, routes), nearly
    all of them kept until the execution environment ends. With the collector on, the import runs dozens of
    collections, including a full one, that scan this growing heap and find almost nothing to free (a sizeable
    share of the cold start). Paused instead, then frozen into the permanent generation (which later
    collections skip), and the collector resumes for what requests allocate.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


with _long_lived():
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
