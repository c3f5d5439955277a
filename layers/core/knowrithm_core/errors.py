"""One exception hierarchy for the whole product, and its one mapping to an HTTP error body.

Every handler maps ``KnowrithmError`` with :func:`error_response`; anything else is a 500
whose body never carries a stack trace.
"""

from __future__ import annotations

from typing import Any


class KnowrithmError(Exception):
    """Base of every error the API reports to a client."""

    status_code = 500
    error_code = "internal_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadRequest(KnowrithmError):
    status_code = 400
    error_code = "bad_request"


class ValidationFailed(BadRequest):
    error_code = "validation_error"


class InvalidJson(BadRequest):
    error_code = "invalid_json"


class InvalidText(BadRequest):
    """A string no client or store can carry: a NUL character or an unpaired surrogate."""

    error_code = "invalid_text"


class StringTooLong(BadRequest):
    error_code = "string_too_long"


class NumberOutOfRange(BadRequest):
    """A number DynamoDB cannot store (more than 38 digits, magnitude outside 1e-130..1e126)."""

    error_code = "number_out_of_range"


class PayloadTooComplex(BadRequest):
    """Nested too deep, or too many keys or values."""

    error_code = "payload_too_complex"


class MetadataTooLarge(BadRequest):
    error_code = "metadata_too_large"


class InvalidParameter(BadRequest):
    """A query-string value or path segment that is too long or holds a NUL or an unpaired surrogate."""

    error_code = "invalid_parameter"


class Unauthorized(KnowrithmError):
    status_code = 401
    error_code = "unauthorized"


class Forbidden(KnowrithmError):
    status_code = 403
    error_code = "forbidden"


class NotFound(KnowrithmError):
    status_code = 404
    error_code = "not_found"


class Conflict(KnowrithmError):
    status_code = 409
    error_code = "conflict"


class ConversationBusy(Conflict):
    """A chat turn that could not get its turn within the bounded wait (answered 409 with ``Retry-After``)."""

    error_code = "conversation_busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class PayloadTooLarge(KnowrithmError):
    status_code = 413
    error_code = "payload_too_large"


class RateLimited(KnowrithmError):
    status_code = 429
    error_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class QuotaExceeded(RateLimited):
    """An API key over its ``rate_limit_per_hour`` or ``rate_limit_per_day``; ``headers`` are its
    ``X-RateLimit-*`` headers (see :mod:`knowrithm_core.auth.quotas`)."""

    def __init__(self, message: str, *, retry_after: int, headers: dict[str, str]) -> None:
        super().__init__(message, retry_after=retry_after)
        self.headers = headers


class ServiceUnavailable(KnowrithmError):
    status_code = 503
    error_code = "service_unavailable"


class StreamingNotConfigured(ServiceUnavailable):
    """Knowrithm's documented answer of a deployment without a streaming backend (clients then poll)."""

    error_code = "streaming_not_configured"


def error_body(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error shape every client reads (PY: detail, CLI: error, widget: error/message)."""
    return {
        "success": False,
        "detail": message,
        "error": message,
        "message": message,
        "error_code": code,
        "code": code,
        "details": details or {},
        "status": status,
    }


def error_response(error: KnowrithmError) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Map a domain error to (status, body, extra headers)."""
    headers: dict[str, str] = {}
    if isinstance(error, RateLimited | ConversationBusy):
        headers["Retry-After"] = str(error.retry_after)
    body = error_body(error.status_code, error.error_code, error.message, error.details)
    return error.status_code, body, headers
