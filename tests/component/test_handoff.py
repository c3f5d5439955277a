"""Human handoff: ``POST /conversation/{id}/handoff``, ``/reply`` and ``/release``, and the bot's silence meanwhile."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chat_worker.handler import lambda_handler
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.observability import SERVICE_NAME
from tests.component.test_handler import Context, _event
from tests.emf import Metric, named
from tests.sqs_pump import pump
from tests.stack import Tenant, new_conversation

MAYA = {"name": "Maya", "email": "maya@acme.example"}
SHOP = "https://shop.example.com"


def _post(client: TestClient, tenant: Tenant, conversation_id: str, action: str, body: Any = None) -> Any:
    return client.post(f"/api/v1/conversation/{conversation_id}/{action}", json=body or {}, headers=tenant.key_headers)


def _chat(client: TestClient, headers: dict[str, str], conversation_id: str, message: str, **extra: str) -> Any:
    return client.post(
        f"/api/v1/conversation/{conversation_id}/chat", json={"message": message}, headers={**headers, **extra}
    )


def _through_handler(tenant: Tenant, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST through ApiConversationsFunction's real Lambda handler (which prints the invocation's metrics)."""
    from api_conversations import lambda_handler

    headers = {**tenant.key_headers, "content-type": "application/json"}
    response: dict[str, Any] = lambda_handler(_event("POST", path, headers, json.dumps(body)), Context())
    assert response["statusCode"] == 200, response["body"]
    return response


def _events(services: Services, company_id: str, event: str) -> list[dict[str, Any]]:
    return [e for e in services.table.query(f"COMPANY#{company_id}#EVENTS") if e["event"] == event]


def _messages(client: TestClient, tenant: Tenant, conversation_id: str) -> list[dict[str, Any]]:
    page = client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()
    messages: list[dict[str, Any]] = page["messages"]
    return messages


def _conversation(client: TestClient, tenant: Tenant, conversation_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/conversation/{conversation_id}", headers=tenant.key_headers).json()
    return body["conversation"]


def test_handoff_reply_release_round_trip(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN a conversation the bot has answered once
    conversation_id = new_conversation(client, tenant)
    assert _chat(client, tenant.key_headers, conversation_id, "How long is shipping?").json()["response"]
    # WHEN Maya takes it over
    taken = _post(client, tenant, conversation_id, "handoff", {"reason": "VIP", "assignee": MAYA})
    # THEN the conversation says so and conversation.handoff carries the assignee
    assert taken.status_code == 200, taken.text
    state = taken.json()["handoff"]
    assert state["handed_off"] is True and state["assignee"] == MAYA and state["reason"] == "VIP" and state["since"]
    assert _conversation(client, tenant, conversation_id)["handoff"]["assignee"]["name"] == "Maya"
    [event] = _events(services, tenant.company_id, "conversation.handoff")
    assert event["data"]["assignee"] == MAYA and event["data"]["trigger"] == "api"
    # WHEN the visitor writes
    held = _chat(client, tenant.key_headers, conversation_id, "Are you there?")
    # THEN it is stored and reported, but the bot stays silent (Knowrithm shape: response null + handoff)
    assert held.status_code == 200
    body = held.json()
    assert body["response"] is None and body["assistant_message"] is None and body["handoff"]["assignee"] == MAYA
    assert body["history"][-1]["assistant_response"] is None
    received = _events(services, tenant.company_id, "message.received")
    assert received[-1]["data"]["content"] == "Are you there?"
    # WHEN Maya replies (author defaults to the assignee)
    reply = _post(client, tenant, conversation_id, "reply", {"message": "Hi, Maya here."})
    # THEN an operator message is stored with its author and message.sent reports it
    assert reply.status_code == 200, reply.text
    stored = _messages(client, tenant, conversation_id)
    assert [m["role"] for m in stored] == ["user", "assistant", "user", "operator"]
    assert stored[-1]["author"] == MAYA and stored[-1]["content"] == "Hi, Maya here."
    [sent] = _events(services, tenant.company_id, "message.sent")
    assert sent["data"]["id"] == reply.json()["message_id"] and sent["data"]["author"]["name"] == "Maya"
    assert sent["data"]["conversation"]["message_count"] == 4
    # WHEN she releases it
    released = _post(client, tenant, conversation_id, "release")
    # THEN the bot answers again and conversation.released is reported
    assert released.status_code == 200 and released.json()["handoff"] is None
    assert len(_events(services, tenant.company_id, "conversation.released")) == 1
    again = _chat(client, tenant.key_headers, conversation_id, "How long is shipping?").json()
    assert "business days" in again["response"] and "handoff" not in again


def test_a_widget_visitor_gets_no_bot_answer_while_handed_off(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a widget visitor's conversation (lead token) that a person took over
    lead = client.post(
        "/api/v1/lead/register",
        json={"first_name": "Vera", "last_name": "V", "email": "vera@example.com", "agent_id": tenant.agent_id},
        headers={"Origin": SHOP},
    ).json()
    visitor = {"Authorization": f"Bearer {lead['access_token']}", "Origin": SHOP}
    conversation_id = client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=visitor).json()[
        "id"
    ]
    assert _post(client, tenant, conversation_id, "handoff", {"assignee": {"name": "Maya"}}).status_code == 200
    # WHEN the visitor writes from the widget
    held = _chat(client, visitor, conversation_id, "shipping?")
    # THEN the message is stored without an answer
    assert held.status_code == 200 and held.json()["response"] is None
    assert [m["role"] for m in _messages(client, tenant, conversation_id)] == ["user"]
    # AND a visitor cannot hand off, reply or release
    for action in ("handoff", "reply", "release"):
        response = client.post(
            f"/api/v1/conversation/{conversation_id}/{action}", json={"message": "x"}, headers=visitor
        )
        assert response.status_code in (401, 403), (action, response.text)


def test_queued_turns_are_held_too(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN a question queued for the worker, then a handoff before the worker runs
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant.key_headers, conversation_id, "shipping?", Prefer="respond-async")
    assert ack.status_code == 202
    assert _post(client, tenant, conversation_id, "handoff", {"assignee": MAYA}).status_code == 200
    # WHEN the worker runs
    assert services.settings.chat_queue_url
    pump(services.settings.chat_queue_url, lambda_handler, "ChatWorkerFunction")
    # THEN the task completes without a bot answer
    status = client.get(f"/api/v1/tasks/{ack.json()['task_id']}/status", headers=tenant.key_headers).json()
    assert status["status"] == "completed" and status["result"]["response"] is None
    assert [m["role"] for m in _messages(client, tenant, conversation_id)] == ["user"]
    # AND a queued turn sent while handed off is answered at once, unanswered, with no task
    held = _chat(client, tenant.key_headers, conversation_id, "hello?", Prefer="respond-async")
    assert held.status_code == 200 and held.json()["handoff"]["assignee"] == MAYA


def test_an_agent_can_hand_off_automatically_on_escalation(
    client: TestClient, services: Services, tenant: Tenant, emf: Callable[[], list[Metric]]
) -> None:
    # GIVEN an agent set to hand escalations to a person
    updated = client.put(
        f"/api/v1/agent/{tenant.agent_id}", json={"handoff_on_escalation": True}, headers=tenant.key_headers
    )
    assert updated.status_code == 200 and updated.json()["agent"]["handoff_on_escalation"] is True
    conversation_id = new_conversation(client, tenant)
    # WHEN the visitor asks for a person
    emf()
    path = f"/api/v1/conversation/{conversation_id}/chat"
    first = json.loads(_through_handler(tenant, path, {"message": "Can I talk to a human?"})["body"])
    # THEN this turn is answered, the conversation is handed off and both events are reported
    assert first["response"] and first["handoff"]["trigger"] == "escalation"
    assert first["handoff"]["reason"] == "visitor_requested_human"
    [event] = _events(services, tenant.company_id, "conversation.handoff")
    assert event["data"]["trigger"] == "escalation" and event["data"]["assignee"] is None
    assert len(_events(services, tenant.company_id, "conversation.escalated")) == 1
    assert [d["trigger"] for _, d, _ in named(emf(), "Handoffs")] == ["escalation"]
    # AND the next message gets no bot answer
    assert _chat(client, tenant.key_headers, conversation_id, "hello?").json()["response"] is None


def test_escalation_without_the_setting_does_not_hand_off(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    first = _chat(client, tenant.key_headers, conversation_id, "Can I talk to a human?").json()
    assert "handoff" not in first
    assert _chat(client, tenant.key_headers, conversation_id, "shipping?").json()["response"]


def test_handoff_is_counted(client: TestClient, tenant: Tenant, emf: Callable[[], list[Metric]]) -> None:
    conversation_id = new_conversation(client, tenant)
    emf()
    _through_handler(tenant, f"/api/v1/conversation/{conversation_id}/handoff", {"assignee": MAYA})
    assert named(emf(), "Handoffs") == [("Count", {"service": SERVICE_NAME, "trigger": "api"}, [1.0])]


def _snapshot(services: Services, tenant: Tenant, conversation_id: str) -> list[dict[str, Any]]:
    partition = services.table.query(f"COMPANY#{tenant.company_id}#CONV#{conversation_id}")
    return [*partition, *services.table.query(f"COMPANY#{tenant.company_id}#EVENTS")]


BAD_REQUESTS: list[tuple[str, dict[str, Any], int, str]] = [
    ("reply", {"message": "hi"}, 409, "conflict"),  # not handed off
    ("release", {}, 409, "conflict"),  # not handed off
    ("handoff", {"assignee": {"name": ""}}, 400, "validation_error"),
    ("handoff", {"assignee": {"name": "Maya", "email": "not-an-email"}}, 400, "validation_error"),
]


def test_bad_requests_change_nothing(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN a conversation the bot has
    conversation_id = new_conversation(client, tenant)
    before = _snapshot(services, tenant, conversation_id)
    for action, body, status, code in BAD_REQUESTS:
        # WHEN the request is wrong for its state or shape
        response = _post(client, tenant, conversation_id, action, body)
        # THEN a clear 4xx error
        assert response.status_code == status, (action, response.text)
        error = response.json()
        assert error["error_code"] == code and error["detail"] and error["message"] and error["error"]
    # AND nothing changed
    assert _snapshot(services, tenant, conversation_id) == before


def test_empty_or_oversized_replies_change_nothing(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN a handed-off conversation
    conversation_id = new_conversation(client, tenant)
    assert _post(client, tenant, conversation_id, "handoff", {"assignee": MAYA}).status_code == 200
    before = _snapshot(services, tenant, conversation_id)
    for message in ("", "   ", "x" * 20_001):
        # WHEN an operator sends an empty or oversized message THEN 400, and nothing changed
        response = _post(client, tenant, conversation_id, "reply", {"message": message})
        assert response.status_code == 400 and response.json()["error_code"] == "validation_error"
    assert _snapshot(services, tenant, conversation_id) == before


def test_unknown_and_foreign_conversations_are_404(
    client: TestClient, services: Services, tenant: Tenant, other_tenant: Tenant
) -> None:
    # GIVEN another company's conversation
    theirs = new_conversation(client, other_tenant)
    before = _snapshot(services, other_tenant, theirs)
    for conversation_id in (theirs, "0190f0f0-0000-7000-8000-000000000000", "not-an-id"):
        for action, body in (("handoff", {}), ("reply", {"message": "hi"}), ("release", {})):
            # WHEN this tenant acts on it
            response = _post(client, tenant, conversation_id, action, body)
            # THEN it looks missing, and nothing changed
            assert response.status_code == 404, (action, response.text)
            assert response.json()["error_code"] == "not_found"
    assert _snapshot(services, other_tenant, theirs) == before


def test_a_read_only_key_cannot_hand_off(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    key = client.post(
        "/api/v1/auth/api-keys", json={"name": "ro", "scopes": ["read"]}, headers=tenant.admin_headers
    ).json()
    headers = {"X-API-Key": key["api_key"], "X-API-Secret": key["api_secret"]}
    response = client.post(f"/api/v1/conversation/{conversation_id}/handoff", json={}, headers=headers)
    assert response.status_code == 403


def test_a_jwt_user_can_hand_off_and_reply(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    headers = tenant.admin_headers
    url = f"/api/v1/conversation/{conversation_id}"
    assert client.post(f"{url}/handoff", json={"assignee": MAYA}, headers=headers).status_code == 200
    reply = client.post(f"{url}/reply", json={"message": "Hello", "author": {"name": "Sam"}}, headers=headers)
    assert reply.status_code == 200 and reply.json()["operator_message"]["author"]["name"] == "Sam"
