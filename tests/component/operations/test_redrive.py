"""``POST /api/v1/operations/dlq/{queue}/redrive``: an operator moves a DLQ's messages back to their queue
(ApiOperationsFunction; the move loop, as on the local stack, against moto's queues)."""

from __future__ import annotations

import json

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from local.template import Stack
from tests.stack import Tenant

REDRIVE = "/api/v1/operations/dlq/{}/redrive"
QUEUES = {
    "DELIVERY_QUEUE_URL": "DeliveryQueue",
    "DELIVERY_DLQ_URL": "DeliveryDLQ",
    "CHAT_QUEUE_URL": "ChatQueue",
    "CHAT_DLQ_URL": "ChatDLQ",
}


@pytest.fixture
def queues(services: Services, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The queue variables with moto's real URLs; local mode (any admin is an operator) unless a test says not."""
    sqs = boto3.client("sqs")
    urls = {var: sqs.get_queue_url(QueueName=stack.physical_name(name))["QueueUrl"] for var, name in QUEUES.items()}
    for variable, url in urls.items():
        monkeypatch.setenv(variable, url)
    monkeypatch.setenv("LOCAL_MODE", "true")
    get_settings.cache_clear()
    get_services.cache_clear()
    return urls


def _bodies(url: str) -> list[dict[str, object]]:
    got = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return sorted((json.loads(m["Body"]) for m in got.get("Messages", [])), key=lambda b: str(b["n"]))


def _dead_letter(url: str, count: int) -> None:
    sqs = boto3.client("sqs")
    for n in range(count):
        attributes = {"dead_letter_reason": {"DataType": "String", "StringValue": "test"}}
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}), MessageAttributes=attributes)


def test_an_admin_moves_every_dead_letter_back_to_its_queue(
    client: TestClient, tenant: Tenant, queues: dict[str, str]
) -> None:
    # GIVEN 12 messages in the delivery DLQ (more than one receive of 10)
    _dead_letter(queues["DELIVERY_DLQ_URL"], 12)
    listed = client.get("/api/v1/operations/dlq", headers=tenant.admin_headers).json()["queues"]
    assert {q["queue"]: q["messages"] for q in listed}["delivery"] == 12
    # WHEN an admin redrives the delivery DLQ
    response = client.post(REDRIVE.format("delivery"), headers=tenant.admin_headers)
    # THEN all 12 moved, bodies unchanged, and the DLQ is empty
    assert response.status_code == 200, response.text
    assert response.json() | {"message": ""} == {
        "message": "",
        "queue": "delivery",
        "moved": 12,
        "mode": "move-loop",
        "task_handle": None,
    }
    sqs = boto3.client("sqs")
    moved = sqs.get_queue_attributes(QueueUrl=queues["DELIVERY_QUEUE_URL"], AttributeNames=["All"])["Attributes"]
    assert int(moved["ApproximateNumberOfMessages"]) == 12
    assert _bodies(queues["DELIVERY_DLQ_URL"]) == []
    # AND a second redrive finds nothing
    again = client.post(REDRIVE.format("delivery"), headers=tenant.admin_headers)
    assert again.json()["moved"] == 0


def test_max_messages_bounds_the_move_and_other_queues_are_untouched(
    client: TestClient, tenant: Tenant, queues: dict[str, str]
) -> None:
    # GIVEN 3 dead chat turns and 1 dead delivery
    _dead_letter(queues["CHAT_DLQ_URL"], 3)
    _dead_letter(queues["DELIVERY_DLQ_URL"], 1)
    # WHEN the chat DLQ is redriven with max_messages 2
    response = client.post(REDRIVE.format("chat"), json={"max_messages": 2}, headers=tenant.admin_headers)
    # THEN 2 moved to the chat queue, 1 stays, and the delivery DLQ is untouched
    assert response.status_code == 200 and response.json()["moved"] == 2
    assert len(_bodies(queues["CHAT_QUEUE_URL"])) == 2 and len(_bodies(queues["CHAT_DLQ_URL"])) == 1
    assert len(_bodies(queues["DELIVERY_DLQ_URL"])) == 1


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (REDRIVE.format("nope"), None, 404, "not_found"),
        (REDRIVE.format("delivery"), {"max_messages": 0}, 400, "validation_error"),
        (REDRIVE.format("delivery"), {"max_messages": "many"}, 400, "validation_error"),
    ],
)
def test_bad_requests_get_a_json_4xx_and_move_nothing(
    client: TestClient, tenant: Tenant, queues: dict[str, str], path: str, body: object, status: int, code: str
) -> None:
    _dead_letter(queues["DELIVERY_DLQ_URL"], 1)
    response = client.post(path, json=body, headers=tenant.admin_headers)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["error_code"] == code and {"detail", "error", "message"} <= set(error)
    assert len(_bodies(queues["DELIVERY_DLQ_URL"])) == 1


def test_only_admins_and_outside_local_mode_only_operator_companies(
    client: TestClient, tenant: Tenant, queues: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _dead_letter(queues["DELIVERY_DLQ_URL"], 1)
    # GIVEN no credentials, then an API key without the admin scope
    assert client.post(REDRIVE.format("delivery")).status_code == 401
    key = client.post(
        "/api/v1/auth/api-keys", json={"name": "rw", "scopes": ["read", "write"]}, headers=tenant.admin_headers
    ).json()
    limited = {"X-API-Key": key["api_key"], "X-API-Secret": key["api_secret"]}
    assert client.post(REDRIVE.format("delivery"), headers=limited).status_code == 403
    # WHEN deployed (not local mode): an admin of a company that is not an operator is refused
    monkeypatch.setenv("LOCAL_MODE", "false")
    monkeypatch.setenv("OPERATOR_COMPANY_IDS", "someone-else")
    get_settings.cache_clear()
    get_services.cache_clear()
    refused = client.post(REDRIVE.format("delivery"), headers=tenant.admin_headers)
    assert refused.status_code == 403 and refused.json()["error_code"] == "forbidden"
    # THEN nothing moved
    assert len(_bodies(queues["DELIVERY_DLQ_URL"])) == 1
