"""Webhooks (our extension; Knowrithm has no registration API): endpoints, deliveries, the event envelope."""

from __future__ import annotations

from typing import Any, TypedDict

from knowrithm_py.models.common import Pagination


class WebhookEndpoint(TypedDict, total=False):
    id: str
    company_id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    headers: dict[str, str]
    rate_limit_per_second: float | None
    consecutive_failures: int
    failing_since: str | None
    disabled_reason: str | None
    disabled_at: str | None
    last_success_at: str | None
    deleted_at: str | None
    version: int
    created_at: str
    updated_at: str


class WebhookEndpointCreated(TypedDict, total=False):
    """The new endpoint and its signing secret (``whsec_...``), shown only here and on rotation."""

    message: str
    webhook: WebhookEndpoint
    secret: str


class WebhookEndpointList(TypedDict, total=False):
    webhooks: list[WebhookEndpoint]
    pagination: Pagination


class WebhookEndpointDetails(TypedDict, total=False):
    """The endpoint and how many secrets currently sign its deliveries (2 during a rotation's grace period)."""

    webhook: WebhookEndpoint
    active_secrets: int


class WebhookEndpointUpdated(TypedDict, total=False):
    message: str
    webhook: WebhookEndpoint


class WebhookEndpointDeleted(TypedDict, total=False):
    message: str
    webhook_id: str


class WebhookSecretRotated(TypedDict, total=False):
    """The new secret; the previous one keeps signing until ``previous_secret_expires_at``."""

    message: str
    secret: str
    previous_secret_expires_at: str | None
    webhook: WebhookEndpoint


class WebhookTestQueued(TypedDict, total=False):
    """``webhook.test`` was queued for this endpoint; ``event_id`` is the delivery's ``webhook-id``."""

    message: str
    event_id: str


class WebhookAttempt(TypedDict, total=False):
    attempt: int
    at: str
    outcome: str  # succeeded | failed | refused
    status_code: int | None
    latency_ms: float | None
    error: str | None
    response_excerpt: str | None
    next_attempt_at: str | None


class WebhookDelivery(TypedDict, total=False):
    """One event for one endpoint, and every attempt to deliver it."""

    id: str
    company_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: str  # pending | succeeded | failed | skipped
    attempts: list[WebhookAttempt]
    attempt_count: int
    next_attempt_at: str | None
    event_timestamp: str
    created_at: str
    updated_at: str


class WebhookDeliveryList(TypedDict, total=False):
    """Newest event first."""

    deliveries: list[WebhookDelivery]
    pagination: Pagination


class WebhookDeliveryRetried(TypedDict, total=False):
    message: str
    delivery_id: str


class WebhookRecovery(TypedDict, total=False):
    """How many failed or skipped deliveries in ``[since, until]`` were re-queued."""

    message: str
    recovered: int
    since: str
    until: str


class WebhookEventType(TypedDict, total=False):
    name: str
    description: str
    schema: dict[str, Any]  # JSON Schema of the envelope's ``data``


class WebhookEventTypes(TypedDict, total=False):
    event_types: list[WebhookEventType]


class WebhookEnvelope(TypedDict, total=False):
    """The JSON body of every delivery; ``id`` is also the ``webhook-id`` header (stable across retries)."""

    id: str
    event: str
    timestamp: str
    data: dict[str, Any]
    attempt: int
