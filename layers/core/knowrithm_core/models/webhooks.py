"""Webhook endpoints, delivery records and the event envelope (what receivers get)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowrithm_core.models.bodies.base import Request
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


HEADER_NAME_FORBIDDEN = {
    "host",
    "content-length",
    "content-type",
    "user-agent",
    "x-knowrithm-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-knowrithm-event",
    "x-knowrithm-request-id",
    "transfer-encoding",
    "connection",
}


class EndpointFields(Request):
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None
    headers: dict[str, str] | None = None
    rate_limit_per_second: float | None = Field(default=None, gt=0, le=1000)

    @field_validator("headers")
    @classmethod
    def _custom_headers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        if len(value) > 20:
            raise ValueError("at most 20 custom headers")
        for name, header_value in value.items():
            if name.lower() in HEADER_NAME_FORBIDDEN or not name.replace("-", "").isalnum():
                raise ValueError(f"header '{name}' cannot be set")
            if "\n" in header_value or "\r" in header_value or len(header_value) > 1000:
                raise ValueError(f"header '{name}' has an invalid value")
        return value


class EndpointCreate(EndpointFields):
    url: str = Field(min_length=1, max_length=2000)
    events: list[str] = Field(default_factory=lambda: ["*"], min_length=1)


class EndpointUpdate(EndpointFields):
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1)


class RotateSecret(Request):
    grace_period_hours: float = Field(default=24, ge=0, le=168)


class RecoverWindow(Request):
    since: str
    until: str | None = None
