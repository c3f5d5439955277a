"""The event catalogue: what each webhook event's ``data`` holds (JSON Schema comes from these models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from knowrithm_core.events import EventType
from knowrithm_core.models.resources import Agent, Author, Conversation, Lead, Message


class MessageReceived(Message):
    conversation: Conversation


class ConversationEscalated(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    conversation: Conversation
    reason: str
    message: Message | None = None


class MessageSent(Message):
    """An operator's message (``role`` is ``operator``, ``author`` names the person)."""

    conversation: Conversation


class ConversationHandoff(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    conversation: Conversation
    assignee: Author | None = None
    reason: str | None = None
    trigger: str


class ConversationReleased(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    conversation: Conversation
    released_by: str | None = None


class DocumentProcessed(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    id: str
    agent_id: str
    status: str
    original_filename: str | None = None
    processing_error: str | None = None


class WebhookTest(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)

    message: str
    endpoint_id: str


class EndpointDisabled(BaseModel):
    """An endpoint the delivery worker disabled: it answered 410 Gone, or kept failing for 5 days."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    endpoint_id: str
    url: str
    reason: str
    disabled_at: str
    failing_since: str | None = None
    consecutive_failures: int


CATALOGUE: dict[EventType, tuple[type[BaseModel], str]] = {
    EventType.AGENT_CREATED: (Agent, "An agent was created."),
    EventType.AGENT_UPDATED: (Agent, "An agent changed (including soft delete and restore)."),
    EventType.CONVERSATION_STARTED: (Conversation, "A conversation was opened with an agent."),
    EventType.CONVERSATION_ENDED: (Conversation, "A conversation was closed or soft-deleted."),
    EventType.MESSAGE_RECEIVED: (MessageReceived, "A user message was received (with its conversation)."),
    EventType.LEAD_CREATED: (Lead, "A lead was created, by the widget or the API."),
    EventType.LEAD_REGISTERED: (Lead, "A visitor registered (or registered again) through the widget."),
    EventType.LEAD_UPDATED: (Lead, "A lead's fields or status changed (including soft delete)."),
    EventType.DOCUMENT_PROCESSED: (DocumentProcessed, "A document finished ingestion (completed or failed)."),
    EventType.CONVERSATION_ESCALATED: (
        ConversationEscalated,
        "A visitor asked for a human, or the agent could not answer.",
    ),
    EventType.CONVERSATION_HANDOFF: (
        ConversationHandoff,
        "A person took the conversation over (API, escalation setting or Slack); the bot stops answering.",
    ),
    EventType.CONVERSATION_RELEASED: (ConversationReleased, "A handed-off conversation went back to the bot."),
    EventType.MESSAGE_SENT: (MessageSent, "An operator sent a message (role operator, with its author)."),
    EventType.WEBHOOK_TEST: (WebhookTest, "Sent by POST /webhook/{id}/test."),
    EventType.WEBHOOK_ENDPOINT_DISABLED: (
        EndpointDisabled,
        "An endpoint was disabled automatically (410 Gone, or failing for 5 days); re-enable it, then recover.",
    ),
}


def event_types() -> list[dict[str, Any]]:
    """Every event type with a description and the JSON Schema of its envelope's ``data``."""
    return [
        {"name": event.value, "description": description, "schema": model.model_json_schema()}
        for event, (model, description) in CATALOGUE.items()
    ]
