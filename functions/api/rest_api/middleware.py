"""Cross-cutting HTTP behaviour: request ids, input limits, CORS, an API key's ``X-RateLimit-*`` headers.

Every request's path and query string, and every write request's JSON body, pass
:mod:`knowrithm_core.safe_json` here, before routing: a refused input is a 4xx and no route runs. The
parsed body is kept in ``request.state.json_body`` for :func:`rest_api.deps.json_body`. What the checks use
(settings, ids, the parser, CORS) is imported on the first request: building the app needs none of it.

CORS is answered here, not by API Gateway, so the widget function can answer its own preflights per
agent (see :mod:`knowrithm_core.widget.cors`). No route of this function names an agent in its path, so
every preflight is allowed; the actual requests check the page origin (lead register, lead tokens).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from knowrithm_core.errors import KnowrithmError, PayloadTooLarge, error_response

if TYPE_CHECKING:
    from knowrithm_core.config import Settings

Next = Callable[[Request], Awaitable[Response]]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def check_params(request: Request) -> None:
    """Every path segment and query-string key and value within :func:`check_param`'s limits."""
    from knowrithm_core.safe_json import check_param

    for segment in request.url.path.split("/"):
        check_param("path", segment)
    for key, value in request.query_params.multi_items():
        check_param("query key", key)
        check_param(key, value)


async def check_body(request: Request, settings: Settings) -> None:
    """The body within its size limit; a write's non-form body parsed as JSON within every limit."""
    uploading = request.url.path.endswith("/document/upload")  # files up to MAX_DOCUMENT_BYTES each
    limit = settings.max_upload_request_bytes if uploading else settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    if request.method not in WRITE_METHODS:
        return
    raw = await request.body()
    if len(raw) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    if not request.headers.get("content-type", "").lower().startswith(FORM_TYPES):
        from knowrithm_core.safe_json import parse_json

        request.state.json_body = parse_json(raw, max_bytes=settings.max_body_bytes)


def install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def limits_and_request_id(request: Request, call_next: Next) -> Response:
        from knowrithm_core.config import get_settings
        from knowrithm_core.ids import new_id
        from knowrithm_core.widget.cors import is_preflight, preflight_headers, response_headers

        request_id = request.headers.get("x-request-id") or new_id()
        if is_preflight(request.method, request.headers):
            return Response(status_code=204, headers=preflight_headers(request.headers.get("origin"), allowed=True))
        try:
            check_params(request)
            await check_body(request, get_settings())
        except KnowrithmError as exc:
            status, body, headers = error_response(exc)
            response: Response = JSONResponse(body, status_code=status, headers=headers)
        else:
            response = await call_next(request)
        response.headers["X-Knowrithm-Request-Id"] = request_id
        response.headers.update(getattr(request.state, "rate_limit_headers", {}))  # an API key's quota
        response.headers.update(response_headers())
        return response
