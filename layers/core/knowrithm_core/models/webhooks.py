"""Webhook endpoints, delivery records and the event envelope (what receivers get); the request bodies are in
:mod:`knowrithm_core.models.bodies.webhooks`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from knowrithm_core.models.resources import Resource

DeliveryStatus = Literal["pending", "succeeded", "failed", "skipped"]


class EndpointSecret(BaseModel):
    model_config = ConfigDict(defer_build=True)

    secret: str
    created_at: str
    expires_at: str | None = None  # set on the old secret when rotated: it keeps signing until then


class WebhookEndpoint(Resource):
    company_id: str
    url: str
    events: list[str]
    description: str | None = None
    enabled: bool = True
    headers: dict[str, str] = Field(default_factory=dict)
    rate_limit_per_second: float | None = None
    consecutive_failures: int = 0
    failing_since: str | None = None
    disabled_reason: str | None = None
    disabled_at: str | None = None
    last_success_at: str | None = None
    deleted_at: str | None = None

    def subscribed(self, event: str) -> bool:
        return "*" in self.events or event in self.events


class Attempt(BaseModel):
    model_config = ConfigDict(defer_build=True)

    attempt: int
    at: str
    outcome: Literal["succeeded", "failed", "refused"]
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    response_excerpt: str | None = None
    next_attempt_at: str | None = None


class Delivery(BaseModel):
    """One event for one endpoint, and every attempt to deliver it."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str
    company_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: list[Attempt] = Field(default_factory=list)
    attempt_count: int = 0
    next_attempt_at: str | None = None
    event_timestamp: str
    created_at: str
    updated_at: str


class Envelope(BaseModel):
    """The JSON body of every delivery: ``{id, event, timestamp, data, attempt}``."""

    model_config = ConfigDict(defer_build=True)

    id: str
    event: str
    timestamp: str
    data: dict[str, Any]
    attempt: int = 1
