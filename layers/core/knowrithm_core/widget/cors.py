"""CORS headers, built in one place for both HTTP functions (the HttpApi has no CorsConfiguration, so
preflights reach the functions and the widget routes can answer them per agent).

Policy: actual responses carry ``Access-Control-Allow-Origin: *`` (no cookies are used anywhere, so the
wildcard leaks nothing and lets a refused page read *why* it was refused). A preflight is answered with
CORS headers when it is allowed: where the agent is known from the path (the widget config route) only for
origins in the agent's allowed domains, elsewhere for any origin, because the agent (or the caller's key)
is in the request itself, which the actual request's origin check then refuses with a readable 403.
"""

from __future__ import annotations

from collections.abc import Mapping

ALLOW_METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
ALLOW_HEADERS = "content-type,authorization,x-api-key,x-api-secret,prefer,x-request-id"
EXPOSE_HEADERS = "X-Knowrithm-Request-Id,Retry-After,ETag,X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset"
MAX_AGE_SECONDS = 600


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    return (
        method.upper() == "OPTIONS"
        and bool(headers.get("origin"))
        and bool(headers.get("access-control-request-method"))
    )


def preflight_headers(origin: str | None, *, allowed: bool, echo_origin: bool = False) -> dict[str, str]:
    """Headers of a 204 preflight answer; none at all (the browser then refuses) when not allowed."""
    if not origin or not allowed:
        return {}
    headers = {
        "Access-Control-Allow-Origin": origin if echo_origin else "*",
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
    }
    if echo_origin:
        headers["Vary"] = "Origin"
    return headers


def response_headers() -> dict[str, str]:
    """CORS headers of every actual response."""
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSE_HEADERS}
