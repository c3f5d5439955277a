"""The one exception the SDK raises for API and network failures."""

from __future__ import annotations

from typing import Any


class KnowrithmAPIError(Exception):
    """A request failed: a non-2xx answer (after retries), a network failure, or a failed async task.

    ``status_code`` is ``None`` when no HTTP answer arrived (network failure) or a polled task
    failed or timed out. ``error_code`` is the server's ``error_code`` (or ``code``).
    ``response_data`` is the parsed JSON error body, or the raw text when the body is not JSON.
    """

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        error_code: str | None = None,
        response_data: Any = None,
        *,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.error_code = error_code
        self.response_data = response_data
        self.retry_after = retry_after
        self.request_id = request_id

    def __str__(self) -> str:
        return f"KnowrithmAPIError(status={self.status_code}, code={self.error_code}): {self.message}"


def error_from_body(status_code: int, body: Any, text: str) -> tuple[str, str | None]:
    """(message, error_code) from an error body: ``detail`` -> ``message`` -> ``error`` -> ``HTTP n``."""
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value, _code(body)
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"]), _code(body) or _code(value)
            if isinstance(value, list) and value:  # e.g. a framework's list of validation errors
                return str(value)[:500], _code(body)
        return f"HTTP {status_code}", _code(body)
    stripped = text.strip()
    return (stripped[:500] if stripped else f"HTTP {status_code}"), None


def _code(body: dict[str, Any]) -> str | None:
    code = body.get("error_code") or body.get("code")
    return str(code) if code is not None else None
