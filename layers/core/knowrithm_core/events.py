"""Event types (the outbox items live in :mod:`knowrithm_core.store.repositories.events`).

An event item is written in the same ``TransactWriteItems`` as the change it reports, so
an event exists if and only if its change committed. The table's stream (filtered to
``_type = event``) drives the webhook fan-out; delivery is at least once, so
receivers deduplicate on the event ``id`` (also sent as ``webhook-id``).
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    AGENT_CREATED = "agent.created"
    AGENT_UPDATED = "agent.updated"
    CONVERSATION_STARTED = "conversation.started"
    CONVERSATION_ENDED = "conversation.ended"
    MESSAGE_RECEIVED = "message.received"
    LEAD_CREATED = "lead.created"
    LEAD_REGISTERED = "lead.registered"
    LEAD_UPDATED = "lead.updated"
    DOCUMENT_PROCESSED = "document.processed"
    CONVERSATION_ESCALATED = "conversation.escalated"
    CONVERSATION_HANDOFF = "conversation.handoff"
    CONVERSATION_RELEASED = "conversation.released"
    MESSAGE_SENT = "message.sent"
    WEBHOOK_TEST = "webhook.test"
    WEBHOOK_ENDPOINT_DISABLED = "webhook.endpoint.disabled"
