"""``conversation.escalated``: a visitor asking for a person, or the agent failing to answer N times in a row."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.services.escalation import asks_for_human
from tests.stack import Tenant, new_conversation

UNKNOWN = "What is the airspeed of an unladen swallow?"


def _chat(client: TestClient, tenant: Tenant, conversation_id: str, message: str) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/conversation/{conversation_id}/chat", json={"message": message}, headers=tenant.key_headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _escalations(services: Services, company_id: str) -> list[dict[str, Any]]:
    events = services.table.query(f"COMPANY#{company_id}#EVENTS")
    return [e for e in events if e["event"] == "conversation.escalated"]


@pytest.mark.parametrize(
    "message",
    ["Can I talk to a human?", "I want to SPEAK TO A PERSON", "real person please", "Agent please", "representative!"],
)
def test_phrases_asking_for_a_person_are_recognised(message: str) -> None:
    assert asks_for_human(message)


@pytest.mark.parametrize("message", ["How long is shipping?", "humanity is great", "I represent a company"])
def test_ordinary_questions_are_not_escalations(message: str) -> None:
    assert not asks_for_human(message)


def test_a_visitor_asking_for_a_human_escalates_in_the_same_transaction(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    # GIVEN a conversation
    conversation_id = new_conversation(client, tenant)
    # WHEN the visitor asks for a person
    result = _chat(client, tenant, conversation_id, "Can I please talk to a human?")
    # THEN the answer is marked and one event carries the conversation, the reason and the user's message
    metadata = result["assistant_message"]["metadata"]
    assert metadata["escalated"] is True and metadata["escalation_reason"] == "visitor_requested_human"
    events = _escalations(services, tenant.company_id)
    assert len(events) == 1
    data = events[0]["data"]
    assert data["reason"] == "visitor_requested_human"
    assert data["conversation"]["id"] == conversation_id and data["conversation"]["message_count"] == 2
    assert data["message"]["id"] == result["message_id"]
    assert data["message"]["content"] == "Can I please talk to a human?"


def test_n_unanswered_questions_in_a_row_escalate_once_per_streak(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    # GIVEN a conversation and the default threshold of 3
    conversation_id = new_conversation(client, tenant)
    # WHEN the agent cannot answer twice
    for _ in range(2):
        assert _chat(client, tenant, conversation_id, UNKNOWN)["assistant_message"]["metadata"]["answered"] is False
    # THEN nothing is escalated yet
    assert _escalations(services, tenant.company_id) == []
    # WHEN it fails a third time
    third = _chat(client, tenant, conversation_id, UNKNOWN)
    # THEN exactly one escalation is reported, with the reason and the message that tipped it
    assert third["assistant_message"]["metadata"]["escalated"] is True
    events = _escalations(services, tenant.company_id)
    assert [e["data"]["reason"] for e in events] == ["unanswered_questions"]
    assert events[0]["data"]["message"]["id"] == third["message_id"]
    # WHEN the streak goes on
    fourth = _chat(client, tenant, conversation_id, UNKNOWN)
    # THEN it is not reported again
    assert "escalated" not in fourth["assistant_message"]["metadata"]
    assert len(_escalations(services, tenant.company_id)) == 1
    # WHEN an answer breaks the streak and three more questions go unanswered
    assert _chat(client, tenant, conversation_id, "How long does shipping take?")["assistant_message"]["metadata"][
        "answered"
    ]
    for _ in range(3):
        _chat(client, tenant, conversation_id, UNKNOWN)
    # THEN the new streak is reported once more
    assert len(_escalations(services, tenant.company_id)) == 2


def test_the_threshold_is_configurable(
    client: TestClient, services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN ESCALATE_AFTER_UNANSWERED=1
    monkeypatch.setattr(services.chat, "settings", replace(services.chat.settings, escalate_after_unanswered=1))
    conversation_id = new_conversation(client, tenant)
    # WHEN a single question goes unanswered
    _chat(client, tenant, conversation_id, UNKNOWN)
    # THEN it escalates at once
    assert [e["data"]["reason"] for e in _escalations(services, tenant.company_id)] == ["unanswered_questions"]


def test_answered_questions_never_escalate(client: TestClient, services: Services, tenant: Tenant) -> None:
    conversation_id = new_conversation(client, tenant)
    for _ in range(4):
        _chat(client, tenant, conversation_id, "Can I return a mug?")
    assert _escalations(services, tenant.company_id) == []
