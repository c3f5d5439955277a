"""Event types and the transactional outbox.

An event item is written in the same ``TransactWriteItems`` as the change it reports, so
an event exists if and only if its change committed. The table's stream (filtered to
``_type = event``) drives the webhook fan-out; delivery is at least once, so
receivers deduplicate on the event ``id`` (also sent as ``webhook-id``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from knowrithm_core.ids import iso, new_id, now
from knowrithm_core.store import keys


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
    WEBHOOK_TEST = "webhook.test"


EVENT_ENTITY = "event"  # value of the `_type` attribute the stream filter matches


def outbox_item(company_id: str, event: EventType, data: dict[str, Any], *, ttl_days: int) -> dict[str, Any]:
    """The outbox item for one event; put it in the same transaction as the change."""
    event_id = new_id()
    moment = now()
    return {
        "PK": keys.events_pk(company_id),
        "SK": f"EVENT#{event_id}",
        "_type": EVENT_ENTITY,
        "id": event_id,
        "event": event.value,
        "company_id": company_id,
        "timestamp": iso(moment),
        "resource_version": data.get("version", 1),
        "data": data,
        "expires_at_epoch": int(moment.timestamp()) + ttl_days * 86400,
    }
