"""The one observability module: Powertools Logger (with correlation id), Metrics (EMF) and Tracer.

Every handler and core module takes its logger and metrics from here, and wraps its entry point with
:func:`traced`, so the service name, namespace and correlation id are set in one place. The Tracer is
built on the first invocation, not at import: the X-Ray SDK pulls in botocore (~0.25 s), which a handler
should pay only when it really calls AWS, and which a cold start's import phase should not pay twice.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "knowrithm")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Knowrithm")

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)

Handler = TypeVar("Handler", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1)
def tracer() -> Any:
    """The process's Powertools Tracer (X-Ray), created on first use."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE_NAME)


def traced(handler: Handler) -> Handler:
    """``tracer().capture_lambda_handler``, applied on the first call."""
    wrapped: list[Callable[..., Any]] = []

    @functools.wraps(handler)
    def entry(event: Any, context: Any) -> Any:
        if not wrapped:
            wrapped.append(tracer().capture_lambda_handler(handler))
        return wrapped[0](event, context)

    return entry  # type: ignore[return-value]
