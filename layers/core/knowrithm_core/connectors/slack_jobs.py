"""Which outbox events become Slack jobs (light: the fan-out imports it, never ``slack_sdk``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.events import EventType

SLACK_ENDPOINT = "slack"  # the delivery queue's endpoint_id for Slack jobs
OPENING = (EventType.CONVERSATION_HANDOFF.value, EventType.CONVERSATION_ESCALATED.value)
FOLLOWING = (
    EventType.MESSAGE_RECEIVED.value,
    EventType.MESSAGE_SENT.value,
    EventType.CONVERSATION_RELEASED.value,
)


def slack_job(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The delivery-queue job for an outbox event Slack should see, or None (ordinary bot turns never are)."""
    name = str(event.get("event"))
    data: Mapping[str, Any] = event.get("data") or {}
    conversation: Mapping[str, Any] = data.get("conversation") or {}
    if name not in OPENING + FOLLOWING or not conversation.get("id"):
        return None
    if name == EventType.MESSAGE_RECEIVED.value and not conversation.get("handoff"):
        return None  # the bot has it: Slack hears only about conversations people have
    if name == EventType.MESSAGE_SENT.value and (data.get("metadata") or {}).get("source") == SLACK_ENDPOINT:
        return None  # it came from the thread
    message_id = data.get("id") if name in FOLLOWING else (data.get("message") or {}).get("id")
    return {
        "company_id": str(event["company_id"]),
        "endpoint_id": SLACK_ENDPOINT,
        "event_id": str(event["id"]),
        "event": name,
        "conversation_id": str(conversation["id"]),
        "message_id": message_id,
        "reason": data.get("reason"),
    }
