"""Webhooks (our extension; Knowrithm has no registration API): endpoints, deliveries, the event envelope."""

from typing import Any

from pydantic import Field

from knowrithm_core.models.responses.common import Out, Pagination


class WebhookEndpoint(Out):
    id: str | None = None
    company_id: str | None = None
    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None
    headers: dict[str, str] | None = None
    rate_limit_per_second: float | None = None
    consecutive_failures: int | None = None
    failing_since: str | None = None
    disabled_reason: str | None = None
    disabled_at: str | None = None
    last_success_at: str | None = None
    deleted_at: str | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class WebhookEndpointCreated(Out):
    """The new endpoint and its signing secret (``whsec_...``), shown only here and on rotation."""

    message: str | None = None
    webhook: WebhookEndpoint | None = None
    secret: str | None = None


class WebhookEndpointList(Out):
    webhooks: list[WebhookEndpoint] | None = None
    pagination: Pagination | None = None


class WebhookEndpointDetails(Out):
    """The endpoint and how many secrets currently sign its deliveries (2 during a rotation's grace period)."""

    webhook: WebhookEndpoint | None = None
    active_secrets: int | None = None


class WebhookEndpointUpdated(Out):
    message: str | None = None
    webhook: WebhookEndpoint | None = None


class WebhookEndpointDeleted(Out):
    message: str | None = None
    webhook_id: str | None = None


class WebhookSecretRotated(Out):
    """The new secret; the previous one keeps signing until ``previous_secret_expires_at``."""

    message: str | None = None
    secret: str | None = None
    previous_secret_expires_at: str | None = None
    webhook: WebhookEndpoint | None = None


class WebhookTestQueued(Out):
    """``webhook.test`` was queued for this endpoint; ``event_id`` is the delivery's ``webhook-id``."""

    message: str | None = None
    event_id: str | None = None


class WebhookAttempt(Out):
    attempt: int | None = None
    at: str | None = None
    outcome: str | None = None  # succeeded | failed | refused
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    response_excerpt: str | None = None
    next_attempt_at: str | None = None


class WebhookDelivery(Out):
    """One event for one endpoint, and every attempt to deliver it."""

    id: str | None = None
    company_id: str | None = None
    endpoint_id: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    status: str | None = None  # pending | succeeded | failed | skipped
    attempts: list[WebhookAttempt] | None = None
    attempt_count: int | None = None
    next_attempt_at: str | None = None
    event_timestamp: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class WebhookDeliveryList(Out):
    """Newest event first."""

    deliveries: list[WebhookDelivery] | None = None
    pagination: Pagination | None = None


class WebhookDeliveryRetried(Out):
    message: str | None = None
    delivery_id: str | None = None


class WebhookRecovery(Out):
    """How many failed or skipped deliveries in ``[since, until]`` were re-queued."""

    message: str | None = None
    recovered: int | None = None
    since: str | None = None
    until: str | None = None


class WebhookEventType(Out):
    name: str | None = None
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")  # JSON Schema of the envelope's ``data``


class WebhookEventTypes(Out):
    event_types: list[WebhookEventType] | None = None
