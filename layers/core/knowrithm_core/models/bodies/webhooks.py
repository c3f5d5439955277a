"""Webhook endpoints: create, update, rotate the secret, recover missed deliveries (request bodies only, so the
webhooks function's routes import no resource model at cold start)."""

from __future__ import annotations

from pydantic import Field, field_validator

from knowrithm_core.models.bodies.base import Request

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
