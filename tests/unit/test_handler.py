"""ApiFunction's Lambda entry point handles API Gateway HTTP API payload 2.0 events."""

from __future__ import annotations

import json
from typing import Any

from knowrithm_core.container import Services
from tests.unit.conftest import Tenant


class Context:
    function_name = "ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 20_000


def _event(method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "ANY /api/v1/{proxy+}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "api.example.com", "x-forwarded-proto": "https", **(headers or {})},
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "test",
            },
            "requestId": "abc",
            "routeKey": "ANY /api/v1/{proxy+}",
            "stage": "$default",
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "api.example.com",
            "timeEpoch": 0,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def test_handler_serves_health_and_routes(services: Services, tenant: Tenant) -> None:
    from rest_api.handler import lambda_handler

    health = lambda_handler(_event("GET", "/health"), Context())  # type: ignore[arg-type]
    assert health["statusCode"] == 200 and json.loads(health["body"])["status"] == "healthy"
    headers = {"x-api-key": tenant.api_key, "x-api-secret": tenant.api_secret, "content-type": "application/json"}
    created = lambda_handler(
        _event("POST", "/api/v1/conversation", headers, json.dumps({"agent_id": tenant.agent_id})), Context()
    )  # type: ignore[arg-type]
    assert created["statusCode"] == 201 and json.loads(created["body"])["id"]
    missing = lambda_handler(_event("GET", "/api/v1/unknown"), Context())  # type: ignore[arg-type]
    assert missing["statusCode"] == 404 and json.loads(missing["body"])["error_code"] == "not_found"
