"""The one place where errors become HTTP responses (never a stack trace to the client)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from knowrithm_core.errors import KnowrithmError, error_body, error_response
from knowrithm_core.observability import get_logger

HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KnowrithmError)
    async def domain_error(_: Request, exc: KnowrithmError) -> JSONResponse:
        status, body, headers = error_response(exc)
        if status >= 500:
            get_logger().error("service error", extra={"error_code": exc.error_code})
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        body = error_body(
            400,
            "validation_error",
            "Validation failed: " + "; ".join(f"{k}: {v}" for k, v in fields.items()),
            {"errors": fields},
        )
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = (
            f"No route for {request.method} {request.url.path}." if exc.status_code in (404, 405) else str(exc.detail)
        )
        return JSONResponse(
            error_body(exc.status_code, code, message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, __: Exception) -> JSONResponse:
        get_logger().exception("unhandled error")
        return JSONResponse(error_body(500, "internal_error", "Internal server error."), status_code=500)
