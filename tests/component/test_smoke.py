from fastapi.testclient import TestClient

from tests.stack import Tenant


def test_chat_turn_answers_from_agent_description(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a conversation with the tenant's agent
    conv = client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=tenant.key_headers)
    assert conv.status_code == 201, conv.text
    conversation_id = conv.json()["id"]
    # WHEN a visitor asks about shipping
    reply = client.post(
        f"/api/v1/conversation/{conversation_id}/chat",
        json={"message": "How long does shipping take?"},
        headers=tenant.key_headers,
    )
    # THEN the answer comes from the description, in every compatible key
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert "3 to 5 business days" in body["history"][-1]["assistant_response"]
    assert body["response"] == body["content"] == body["assistant_message"]["content"]
    assert "task_id" not in body
