"""The widget's WebSocket through RealtimeSocketsFunction's entry point: who may connect, what is stored, cleanup.

Every AWS call the handler makes is checked against the function's template policies (the ``aws_calls``
fixture), so the least-privilege IAM of the new function is exercised, not only declared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.store import keys
from realtime import sockets
from tests.gateway import serving
from tests.stack import Tenant, make_tenant

SHOP = "https://shop.example.com"
VISITOR = {"first_name": "Vera", "last_name": "Visitor", "email": "vera@example.com"}
FUNCTION = "RealtimeSocketsFunction"


class Context:
    function_name = FUNCTION
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 5_000


@pytest.fixture(autouse=True)
def fresh_service(services: Services) -> Iterator[None]:
    sockets.service.cache_clear()
    yield
    sockets.service.cache_clear()


def socket_event(route: str, connection_id: str, query: dict[str, str] | None = None, origin: str | None = SHOP) -> Any:
    event: dict[str, Any] = {
        "requestContext": {"routeKey": route, "connectionId": connection_id, "stage": "dev", "apiId": "abc"},
        "headers": {"Origin": origin} if origin else {},
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query
    with serving(FUNCTION):
        return sockets.lambda_handler(event, Context())


def allow(client: TestClient, tenant: Tenant, agent_id: str | None = None) -> None:
    agent = agent_id or tenant.agent_id
    settings_id = client.get(f"/api/v1/settings/agent/{agent}", headers=tenant.key_headers).json()["id"]
    body = {"allowed_domains": ["shop.example.com"]}
    assert client.put(f"/api/v1/settings/{settings_id}", json=body, headers=tenant.key_headers).status_code == 200


def visitor(client: TestClient, agent_id: str, email: str = "vera@example.com") -> tuple[str, str]:
    """A lead registered on SHOP and its first conversation: (lead token, conversation id)."""
    registered = client.post(
        "/api/v1/lead/register", json={**VISITOR, "email": email, "agent_id": agent_id}, headers={"Origin": SHOP}
    )
    assert registered.status_code == 201, registered.text
    token = registered.json()["access_token"]
    created = client.post(
        "/api/v1/conversation",
        json={"agent_id": agent_id},
        headers={"Authorization": f"Bearer {token}", "Origin": SHOP},
    )
    assert created.status_code == 201, created.text
    return token, str(created.json()["id"])


def stored(services: Services, tenant: Tenant, conversation_id: str) -> list[dict[str, Any]]:
    return services.table.query(keys.conversation_sockets(tenant.company_id, conversation_id))


def test_a_visitor_connects_with_its_token_and_conversation_and_disconnecting_removes_it(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN an agent allowed on shop.example.com and a visitor registered there, with a conversation
    allow(client, tenant)
    token, conversation_id = visitor(client, tenant.agent_id)
    # WHEN its widget connects from the shop's page
    query = {"token": token, "conversation_id": conversation_id, "agent_id": tenant.agent_id}
    answer = socket_event("$connect", "conn-1", query)
    # THEN the handshake is accepted and the connection is stored in the conversation's partition
    assert answer["statusCode"] == 200
    (item,) = stored(services, tenant, conversation_id)
    assert item["connection_id"] == "conn-1" and item["origin"] == SHOP
    # AND it expires on its own a little after API Gateway's 2-hour limit (the table's TTL attribute)
    assert 2 * 3600 < item["expires_at_epoch"] - time.time() <= 3 * 3600
    # WHEN the socket closes
    assert socket_event("$disconnect", "conn-1")["statusCode"] == 200
    # THEN the connection is gone; a second $disconnect and a $default message are harmless
    assert stored(services, tenant, conversation_id) == []
    assert socket_event("$disconnect", "conn-1")["statusCode"] == 200
    assert socket_event("$default", "conn-2")["statusCode"] == 200


def test_a_missing_or_forged_token_is_refused_with_401_and_nothing_is_stored(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN a visitor's conversation
    allow(client, tenant)
    _, conversation_id = visitor(client, tenant.agent_id)
    # WHEN sockets open with no token, an empty one, or a forged one
    for query in (
        {"conversation_id": conversation_id},
        {"token": "", "conversation_id": conversation_id},
        {"token": "not-a-jwt", "conversation_id": conversation_id},
    ):
        answer = socket_event("$connect", "conn-x", query)
        # THEN each is refused with a 401 error body, and nothing is stored
        assert answer["statusCode"] == 401, query
        assert all(f'"{name}"' in answer["body"] for name in ("detail", "error", "message", "error_code"))
    assert stored(services, tenant, conversation_id) == []


def test_a_page_outside_the_allowed_domains_is_refused_with_403(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN a visitor's valid token
    allow(client, tenant)
    token, conversation_id = visitor(client, tenant.agent_id)
    query = {"token": token, "conversation_id": conversation_id}
    # WHEN a copycat page (or a page without the token's origin) opens the socket with it
    refused = socket_event("$connect", "conn-x", query, origin="https://copycat.example")
    # THEN it is refused (origin_not_allowed) and nothing is stored
    assert refused["statusCode"] == 403 and "origin_not_allowed" in refused["body"]
    assert stored(services, tenant, conversation_id) == []


def test_another_agents_token_or_another_visitors_conversation_is_refused(
    client: TestClient, tenant: Tenant, services: Services
) -> None:
    # GIVEN two agents of one company, a visitor of each
    allow(client, tenant)
    second = client.post("/api/v1/agent", json={"name": "Second"}, headers=tenant.key_headers).json()["agent"]["id"]
    allow(client, tenant, second)
    token_a, conversation_a = visitor(client, tenant.agent_id)
    token_b, conversation_b = visitor(client, second, email="bo@example.com")
    # WHEN the second agent's visitor names the first agent, or the first visitor's conversation
    named = socket_event(
        "$connect", "c1", {"token": token_b, "conversation_id": conversation_b, "agent_id": tenant.agent_id}
    )
    foreign = socket_event("$connect", "c2", {"token": token_b, "conversation_id": conversation_a})
    # THEN both are refused: another agent's token (403), a conversation that is not the visitor's (404)
    assert named["statusCode"] == 403
    assert foreign["statusCode"] == 404 and "not_found" in foreign["body"]
    assert stored(services, tenant, conversation_a) == [] and stored(services, tenant, conversation_b) == []
    # AND the first visitor still connects to its own
    assert socket_event("$connect", "c3", {"token": token_a, "conversation_id": conversation_a})["statusCode"] == 200


def test_another_tenants_conversation_looks_missing(client: TestClient, tenant: Tenant, services: Services) -> None:
    allow(client, tenant)
    token, _ = visitor(client, tenant.agent_id)
    other = make_tenant(client, "globex")
    theirs = client.post("/api/v1/conversation", json={"agent_id": other.agent_id}, headers=other.key_headers).json()
    answer = socket_event("$connect", "c1", {"token": token, "conversation_id": theirs["id"]})
    assert answer["statusCode"] == 404
    assert stored(services, other, theirs["id"]) == []
