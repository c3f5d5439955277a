"""The one observability module: Powertools Logger (with correlation id), Metrics (EMF) and Tracer.

Every handler and core module takes its logger and metrics from here, and wraps its entry point with
:func:`traced` (or the whole stack with :func:`observed`), so the service name, namespace and correlation id
are set in one place (the system's own metrics are recorded through :mod:`knowrithm_core.telemetry`). Nothing
of Powertools is imported until it is used: ``logger`` and ``metrics`` are built on first access
(``from knowrithm_core.observability import logger`` is such an access), the Tracer on the first invocation.
The X-Ray SDK pulls in botocore (~0.25 s), and Powertools' logging and metrics ~45 modules; an API function
pays for them on its first request (:func:`observed`), not in its import phase.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics, Tracer

    logger: Logger  # built on first access (module ``__getattr__``)
    metrics: Metrics

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "knowrithm")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Knowrithm")

Handler = TypeVar("Handler", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1)
def get_logger() -> Logger:
    """The process's Powertools Logger, created on first use."""
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE_NAME)


@functools.lru_cache(maxsize=1)
def get_metrics() -> Metrics:
    """The process's Powertools Metrics (EMF), created on first use."""
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE_NAME)


@functools.lru_cache(maxsize=1)
def tracer() -> Tracer:
    """The process's Powertools Tracer (X-Ray), created on first use."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE_NAME)


def __getattr__(name: str) -> Any:
    """``logger`` and ``metrics``: the Powertools objects, built on first access."""
    if name == "logger":
        return get_logger()
    if name == "metrics":
        return get_metrics()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def traced(handler: Handler) -> Handler:
    """``tracer().capture_lambda_handler``, applied on the first call."""
    wrapped: list[Callable[..., Any]] = []

    @functools.wraps(handler)
    def entry(event: Any, context: Any) -> Any:
        if not wrapped:
            wrapped.append(tracer().capture_lambda_handler(handler))
        return wrapped[0](event, context)

    return entry  # type: ignore[return-value]


def observed(handler: Handler, *, correlation_path: str | None = None) -> Handler:
    """The handler with Powertools' logging context, metrics and tracing, as these decorators would stack::

        @logger.inject_lambda_context(correlation_id_path=..., clear_state=True)
        @metered  # knowrithm_core.telemetry: flushes what the invocation recorded
        @traced

    but applied on the first call, so importing the handler imports nothing of Powertools.
    ``correlation_path`` names a constant of ``aws_lambda_powertools.logging.correlation_paths``
    (``"API_GATEWAY_HTTP"``): the request's correlation id in every log line.
    """
    wrapped: list[Callable[..., Any]] = []

    def wrap() -> Callable[..., Any]:
        from aws_lambda_powertools.logging import correlation_paths

        from knowrithm_core.telemetry import metered

        path = getattr(correlation_paths, correlation_path) if correlation_path else None
        inject = get_logger().inject_lambda_context(correlation_id_path=path, clear_state=True)
        return inject(metered(tracer().capture_lambda_handler(handler)))

    @functools.wraps(handler)
    def entry(event: Any, context: Any) -> Any:
        if not wrapped:
            wrapped.append(wrap())
        return wrapped[0](event, context)

    return entry  # type: ignore[return-value]
