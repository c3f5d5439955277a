"""The system's own metrics (CloudWatch EMF, through Powertools): their names, and ``count``/``timing``.

Services record with ``count(CHAT_TURNS, responder="extractive")`` or ``timing(ANSWER_LATENCY, ms)``; values are
buffered per dimension set (thread-safe: the delivery worker records from its threads) and written by
:func:`flush` at the end of every invocation (:func:`metered` wraps each handler), one EMF document per
dimension set, in the namespace of :mod:`knowrithm_core.observability`. Nothing is written when nothing was
recorded (so Powertools never warns "No application metrics to publish"), and with metrics disabled
(``POWERTOOLS_METRICS_DISABLED``, or ``POWERTOOLS_DEV``) ``count``/``timing`` return at once.

Dimensions stay few and low-cardinality (a responder, an outcome, a reason, a worker), never a tenant's id.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from knowrithm_core.observability import NAMESPACE, SERVICE_NAME

if TYPE_CHECKING:
    from aws_lambda_powertools.metrics import EphemeralMetrics

# chat (dimension ``Responder``: extractive, bedrock)
CHAT_TURNS = "ChatTurns"
ANSWER_LATENCY = "AnswerLatency"
UNANSWERED = "UnansweredAnswers"
ESCALATIONS = "Escalations"  # dimension ``Reason``: visitor_requested_human, unanswered_questions
CHAT_TURNS_FAILED = "ChatTurnsFailed"
# handoff (dimension ``Trigger``: api, escalation, slack)
HANDOFFS = "Handoffs"
OPERATOR_MESSAGES = "OperatorMessages"
HANDOFF_RELEASES = "HandoffReleases"
# webhooks
DELIVERIES = "WebhookDeliveries"  # dimension ``Outcome``: succeeded, retried, failed, disabled, skipped
DELIVERY_LATENCY = "WebhookDeliveryLatency"
FANOUT_MESSAGES = "FanoutMessages"
MISSED_DELIVERIES = "MissedDeliveries"  # recorded from the fan-out's on-failure queue, for `recover`
# documents
DOCUMENTS_INGESTED = "DocumentsIngested"
INGEST_PAGES = "IngestPages"
INGEST_FAILURES = "IngestFailures"
# any SQS worker (dimension ``Worker``: chat, ingest, delivery)
MALFORMED_MESSAGES = "MalformedMessages"
# the widget's WebSocket (``Outcome``: sent, gone, failed; ``Reason``: the refusal's error code)
SOCKETS_OPENED = "SocketsOpened"
SOCKETS_REFUSED = "SocketsRefused"
SOCKET_PUSHES = "SocketPushes"

COUNT, MILLISECONDS = "Count", "Milliseconds"

Handler = TypeVar("Handler", bound=Callable[..., Any])
Dimensions = tuple[tuple[str, str], ...]

_lock = threading.Lock()
_pending: dict[Dimensions, EphemeralMetrics] = {}


def disabled() -> bool:
    """Powertools' own rule: ``POWERTOOLS_METRICS_DISABLED`` true, or ``POWERTOOLS_DEV`` true without it."""
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    return bool(is_metrics_disabled())


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Add ``value`` (a count) to metric ``name`` under ``dimensions``."""
    record(name, COUNT, value, dimensions)


def timing(name: str, milliseconds: float, **dimensions: str) -> None:
    """Record one duration in milliseconds."""
    record(name, MILLISECONDS, milliseconds, dimensions)


def record(name: str, unit: str, value: float, dimensions: dict[str, str]) -> None:
    """Buffer one value until :func:`flush`; nothing at all when metrics are disabled."""
    if disabled():
        return
    key = tuple(sorted(dimensions.items()))
    with _lock:
        group = _pending.get(key)
        if group is None:
            group = _pending[key] = _group(key)
        group.add_metric(name=name, unit=unit, value=value)


def _group(dimensions: Dimensions) -> EphemeralMetrics:
    from aws_lambda_powertools.metrics import EphemeralMetrics

    group = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE_NAME)
    for name, value in dimensions:
        group.add_dimension(name=name, value=value)
    return group


def flush() -> None:
    """Write what was recorded (one EMF document per dimension set) and forget it; also flushes the
    Powertools ``metrics`` object of :mod:`knowrithm_core.observability` if anything was added to it directly."""
    with _lock:
        groups = list(_pending.values())
        _pending.clear()
    for group in groups:
        group.flush_metrics()
    from knowrithm_core.observability import get_metrics

    shared = get_metrics()
    if shared.metric_set:
        if disabled():
            shared.clear_metrics()  # Powertools keeps them when disabled: never let them pile up
        else:
            shared.flush_metrics()


def metered(handler: Handler) -> Handler:
    """The handler, with what it recorded flushed when it returns or raises (Powertools' ``log_metrics`` without
    its warning for invocations that recorded nothing)."""

    @functools.wraps(handler)
    def entry(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            flush()

    return entry  # type: ignore[return-value]
