"""The transactional outbox: one event item per change, written in the change's own unit of work.

An event exists if and only if its change committed. The table's stream (filtered to ``_type = event``) drives
the webhook fan-out; delivery is at least once, so receivers deduplicate on the event ``id`` (``webhook-id``).
"""

from __future__ import annotations

from typing import Any

from knowrithm_core.events import EventType
from knowrithm_core.ids import iso, new_id, now
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Put

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


def record(company_id: str, event: EventType, data: dict[str, Any], *, ttl_days: int) -> Put:
    """The write that records ``event`` (add it to the unit of work of the change it reports)."""
    return Put(outbox_item(company_id, event, data, ttl_days=ttl_days))
