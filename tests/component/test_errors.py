"""Bad input gets a clear 4xx JSON error with detail, error, message and error_code, and changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.stack import Tenant

ERROR_KEYS = {"detail", "error", "message", "error_code"}


def test_invalid_json_is_400(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/api/v1/agent", content=b"{not json", headers={**tenant.key_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json().keys() >= ERROR_KEYS and response.json()["error_code"] == "invalid_json"
    assert client.get("/api/v1/agent", headers=tenant.key_headers).json()["pagination"]["total"] == 1


def test_body_over_one_megabyte_is_413(client: TestClient, tenant: Tenant) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/agent", content=big, headers={**tenant.key_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["error_code"] == "payload_too_large"
    assert client.get("/api/v1/agent", headers=tenant.key_headers).json()["pagination"]["total"] == 1


def test_unknown_route_and_wrong_method_are_json(client: TestClient) -> None:
    missing = client.get("/api/v1/nope")
    assert missing.status_code == 404 and missing.json().keys() >= ERROR_KEYS
    wrong = client.patch("/api/v1/lead/register")
    assert wrong.status_code == 405 and wrong.json().keys() >= ERROR_KEYS


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        42,
        None,
        {"name": None},
        {"name": ""},
        {"name": {"a": 1}},
        {"name": "x" * 201},
        {"name": "ok", "status": "exploded"},
        {"name": "ok", "languages": "en"},
    ],
)
def test_garbage_agent_bodies_are_400_never_500(client: TestClient, tenant: Tenant, body: object) -> None:
    response = client.post("/api/v1/agent", json=body, headers=tenant.key_headers)
    assert response.status_code == 400, response.text
    assert response.json().keys() >= ERROR_KEYS
    assert "Traceback" not in response.text


def test_validation_errors_name_the_fields(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "bad"})
    assert response.status_code == 400
    errors = response.json()["details"]["errors"]
    assert {"company_id", "email", "password"} <= errors.keys()


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    assert client.get("/health").headers["X-Knowrithm-Request-Id"]
    assert client.get("/api/v1/health").json() == {"status": "healthy", "database": "connected"}
