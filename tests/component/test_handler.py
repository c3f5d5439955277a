"""The API functions' Lambda entry points handle API Gateway HTTP API payload 2.0 events."""

from __future__ import annotations

import json
from typing import Any

from knowrithm_core.container import Services
from tests.stack import Tenant


class Context:
    function_name = "ApiConversationsFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiConversationsFunction"
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


def test_handlers_serve_health_their_routes_and_json_404s(services: Services, tenant: Tenant) -> None:
    # GIVEN the system function's and the conversations function's handlers
    from api_conversations import lambda_handler as conversations
    from api_system import lambda_handler as system

    # WHEN each gets a payload 2.0 event of its own
    health = system(_event("GET", "/health"), Context())  # type: ignore[arg-type]
    headers = {"x-api-key": tenant.api_key, "x-api-secret": tenant.api_secret, "content-type": "application/json"}
    created = conversations(
        _event("POST", "/api/v1/conversation", headers, json.dumps({"agent_id": tenant.agent_id})), Context()
    )  # type: ignore[arg-type]
    missing = system(_event("GET", "/api/v1/unknown"), Context())  # type: ignore[arg-type]
    elsewhere = conversations(_event("GET", "/api/v1/company"), Context())  # type: ignore[arg-type]
    # THEN health, the created conversation, and JSON 404s for what no route (or another function) serves
    assert health["statusCode"] == 200 and json.loads(health["body"])["status"] == "healthy"
    assert created["statusCode"] == 201 and json.loads(created["body"])["id"]
    assert missing["statusCode"] == 404 and json.loads(missing["body"])["error_code"] == "not_found"
    assert elsewhere["statusCode"] == 404 and json.loads(elsewhere["body"])["error_code"] == "not_found"
