"""Cross-cutting HTTP behaviour: request ids, the request body size limit, CORS.

CORS is answered here, not by API Gateway, so the widget function can answer its own preflights per
agent (see :mod:`knowrithm_core.widget.cors`). No route of this function names an agent in its path, so
every preflight is allowed; the actual requests check the page origin (lead register, lead tokens).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from knowrithm_core.config import get_settings
from knowrithm_core.errors import error_body
from knowrithm_core.ids import new_id
from knowrithm_core.widget.cors import is_preflight, preflight_headers, response_headers

Next = Callable[[Request], Awaitable[Response]]


def install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def limits_and_request_id(request: Request, call_next: Next) -> Response:
        request_id = request.headers.get("x-request-id") or new_id()
        if is_preflight(request.method, request.headers):
            return Response(status_code=204, headers=preflight_headers(request.headers.get("origin"), allowed=True))
        settings = get_settings()
        uploading = request.url.path.endswith("/document/upload")  # files up to MAX_DOCUMENT_BYTES each
        limit = settings.max_upload_request_bytes if uploading else settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        too_big = declared.isdigit() and int(declared) > limit
        if not too_big and request.method in {"POST", "PUT", "PATCH", "DELETE"}:
            too_big = len(await request.body()) > limit
        if too_big:
            body = error_body(413, "payload_too_large", f"The request body is larger than {limit} bytes.")
            response: Response = JSONResponse(body, status_code=413)
        else:
            response = await call_next(request)
        response.headers["X-Knowrithm-Request-Id"] = request_id
        response.headers.update(response_headers())
        return response
