"""Where endpoints and delivery records live in the table, shared by the API, the fan-out and the worker.

- endpoint:  COMPANY#c / WEBHOOK#w                     GSI1 WEBHOOK#w; while live GSI2 COMPANY#c#WEBHOOKS / WEBHOOK#w
- delivery:  COMPANY#c#WEBHOOK#w / DELIVERY#<event id>  GSI1 DELIVERY#<delivery id>
Delivery ids are UUIDv5 of (endpoint, event), so a retried fan-out finds the record it already wrote;
sort keys use the event's UUIDv7, so an endpoint's deliveries list in event order.
"""

from __future__ import annotations

import uuid
from typing import Any

from knowrithm_core.ids import now
from knowrithm_core.models.webhooks import Delivery, WebhookEndpoint
from knowrithm_core.store import keys, listings
from knowrithm_core.store.keys import strip_keys

_NAMESPACE = uuid.UUID("0b0e7c55-5f8e-4a47-9d5f-3a8f3f1c9a01")


def delivery_id(endpoint_id: str, event_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{endpoint_id}/{event_id}"))


def deliveries_pk(company_id: str, endpoint_id: str) -> str:
    return f"COMPANY#{company_id}#WEBHOOK#{endpoint_id}"


def endpoint_item(endpoint: WebhookEndpoint, secrets: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "PK": keys.company_pk(endpoint.company_id),
        "SK": f"WEBHOOK#{endpoint.id}",
        "GSI1PK": f"WEBHOOK#{endpoint.id}",
        "GSI1SK": "WEBHOOK",
        **listings.endpoint_index_keys(endpoint.company_id, endpoint.id, live=not endpoint.deleted_at),
        **endpoint.public(),
        "_secrets": secrets,
    }


def delivery_item(delivery: Delivery, envelope: dict[str, Any], ttl_days: int) -> dict[str, Any]:
    return {
        "PK": deliveries_pk(delivery.company_id, delivery.endpoint_id),
        "SK": f"DELIVERY#{delivery.event_id}",
        "GSI1PK": f"DELIVERY#{delivery.id}",
        "GSI1SK": "DELIVERY",
        **delivery.model_dump(mode="json"),
        "_envelope": envelope,
        "expires_at_epoch": int(now().timestamp()) + ttl_days * 86400,
    }


def load_endpoint(item: dict[str, Any]) -> tuple[WebhookEndpoint, list[dict[str, Any]]]:
    return WebhookEndpoint.model_validate(strip_keys(item)), list(item.get("_secrets", []))


def load_delivery(item: dict[str, Any]) -> Delivery:
    return Delivery.model_validate(strip_keys(item))
