"""Conversations, messages and chat."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from tests.stack import Tenant, new_conversation


def _chat(client: TestClient, tenant: Tenant, conversation_id: str, message: str) -> dict[str, object]:
    response = client.post(
        f"/api/v1/conversation/{conversation_id}/chat", json={"message": message}, headers=tenant.key_headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_chat_stores_both_messages_and_returns_the_superset(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant, title="Orders", metadata={"page": "/cart"})
    result = _chat(client, tenant, conversation_id, "Can I return a mug?")
    assert result["status"] == "completed" and result["conversation_id"] == conversation_id
    assert "30 days" in str(result["response"])
    messages = client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()
    roles = [(m["role"], m["content"]) for m in messages["messages"]]
    assert roles[0] == ("user", "Can I return a mug?") and roles[1][0] == "assistant"
    assert messages["messages"][0]["id"] == result["message_id"]
    conversation = client.get(f"/api/v1/conversation/{conversation_id}", headers=tenant.key_headers).json()
    assert conversation["conversation"]["message_count"] == 2
    assert conversation["conversation"]["metadata"] == {"page": "/cart"}


def test_unknown_questions_get_a_plain_no_answer(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    result = _chat(client, tenant, conversation_id, "What is the airspeed of an unladen swallow?")
    assert "don't have information" in str(result["response"])
    assert result["assistant_message"]["metadata"]["answered"] is False  # type: ignore[index]


def test_messages_are_ascending_and_paginated(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    for index in range(3):
        _chat(client, tenant, conversation_id, f"question {index} about shipping")
    page = client.get(
        f"/api/v1/conversation/{conversation_id}/messages?per_page=4&page=2", headers=tenant.key_headers
    ).json()
    assert page["pagination"]["total"] == 6 and page["pagination"]["pages"] == 2
    assert [m["content"] for m in page["messages"] if m["role"] == "user"] == ["question 2 about shipping"]
    everything = client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()
    stamps = [m["created_at"] for m in everything["messages"]]
    assert stamps == sorted(stamps)


def test_listing_by_company_and_agent(client: TestClient, tenant: Tenant) -> None:
    first = new_conversation(client, tenant, title="first")
    second = new_conversation(client, tenant, title="second")
    listed = client.get("/api/v1/conversation", headers=tenant.key_headers).json()
    assert [c["id"] for c in listed["conversations"]] == [second, first]  # newest first
    by_agent = client.get(f"/api/v1/conversation/agent/{tenant.agent_id}", headers=tenant.key_headers).json()
    assert by_agent["pagination"]["total"] == 2
    searched = client.get("/api/v1/conversation?search=sec", headers=tenant.key_headers).json()
    assert [c["id"] for c in searched["conversations"]] == [second]


def test_soft_delete_cascades_and_restore_brings_everything_back(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    _chat(client, tenant, conversation_id, "hello")
    deleted = client.delete(f"/api/v1/conversation/{conversation_id}", headers=tenant.key_headers)
    assert deleted.status_code == 200 and deleted.json()["deleted_messages_count"] == 2
    assert client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).status_code == 404
    chat_on_deleted = client.post(
        f"/api/v1/conversation/{conversation_id}/chat", json={"message": "hi"}, headers=tenant.key_headers
    )
    assert chat_on_deleted.status_code == 404
    listed = client.get("/api/v1/conversation/deleted", headers=tenant.key_headers).json()
    assert [c["id"] for c in listed["deleted_conversations"]] == [conversation_id]
    restored = client.patch(f"/api/v1/conversation/{conversation_id}/restore", headers=tenant.key_headers)
    assert restored.status_code == 200 and restored.json()["restored_messages_count"] == 2
    messages = client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()
    assert messages["pagination"]["total"] == 2


def test_message_delete_restore_and_bulk(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    result = _chat(client, tenant, conversation_id, "hello")
    message_id = str(result["message_id"])
    assert client.delete(f"/api/v1/message/{message_id}", headers=tenant.key_headers).status_code == 200
    assert client.delete(f"/api/v1/message/{message_id}", headers=tenant.key_headers).status_code == 404
    deleted = client.get("/api/v1/message/deleted", headers=tenant.key_headers).json()["deleted_messages"]
    assert [m["id"] for m in deleted] == [message_id]
    assert client.patch(f"/api/v1/message/{message_id}/restore", headers=tenant.key_headers).status_code == 200
    assert client.get("/api/v1/message/deleted", headers=tenant.key_headers).json()["deleted_messages"] == []
    bulk = client.delete(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()
    assert bulk["deleted_messages_count"] == 2
    back = client.patch(f"/api/v1/conversation/{conversation_id}/message/restore-all", headers=tenant.key_headers)
    assert back.json()["restored_messages_count"] == 2


def test_prefer_respond_async_inline_returns_a_finished_task_that_polls_to_the_result(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    # GIVEN CHAT_MODE=inline (the queued path is in test_chat_async.py)
    services.chat.settings = replace(services.chat.settings, chat_mode="inline")
    conversation_id = new_conversation(client, tenant)
    ack = client.post(
        f"/api/v1/conversation/{conversation_id}/chat",
        json={"message": "shipping time?"},
        headers={**tenant.key_headers, "Prefer": "respond-async"},
    )
    assert ack.status_code == 202
    body = ack.json()
    assert body["status"] == "queued" and body["status_url"].startswith("http")
    assert body["status_url"].endswith(f"/api/v1/tasks/{body['task_id']}/status")
    for path in (f"/api/v1/tasks/{body['task_id']}/status", f"/v1/tasks/{body['task_id']}/status"):
        status = client.get(path, headers=tenant.key_headers).json()
        assert status["status"] == "completed" and status["state"] == "SUCCESS" and "error" not in status
        assert "business days" in status["result"]["history"][-1]["assistant_response"]
    assert client.get(f"/api/v1/tasks/{body['task_id']}/status").status_code == 401


def test_bad_chat_input_is_rejected_without_writing(client: TestClient, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    for payload in ({}, {"message": ""}, {"message": 42}, []):
        response = client.post(f"/api/v1/conversation/{conversation_id}/chat", json=payload, headers=tenant.key_headers)
        assert response.status_code == 400, payload
    messages = client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()
    assert messages["messages"] == []
    assert client.post("/api/v1/conversation", json={"agent_id": "nope"}, headers=tenant.key_headers).status_code == 404


def test_the_message_stream_answers_the_documented_not_configured_503(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # GIVEN a conversation
    conversation_id = new_conversation(client, tenant)
    path = f"/api/v1/conversation/{conversation_id}/messages/stream"
    # WHEN a client asks for its server-sent events
    response = client.get(path, headers={**tenant.key_headers, "Accept": "text/event-stream"})
    # THEN it is told plainly that streaming is not configured here (clients then poll), as JSON
    assert response.status_code == 503
    body = response.json()
    assert body["error_code"] == "streaming_not_configured" and "poll" in body["message"]
    assert set(body) >= {"detail", "error", "message", "error_code"}
    # AND the usual checks come first: no credentials 401, another tenant's conversation 404
    assert client.get(path).status_code == 401
    assert client.get(path, headers=other_tenant.key_headers).status_code == 404
