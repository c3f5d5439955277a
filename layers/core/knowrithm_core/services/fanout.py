"""Outbox event -> one delivery record and one queue message per subscribed endpoint.

At least once: the stream may hand the same event over again (a retry after a partial failure). The
delivery record is written with a deterministic id, so a repeat finds it and re-sends only what is still
pending; the worker skips records that already finished, so nothing is delivered twice by the fan-out.
Events that arrive while an endpoint is disabled are recorded as ``skipped`` so ``recover`` can replay them.
An event may name one endpoint it is only for (``target_endpoint_id``: ``webhook.test``) or one it is not for
(``excluded_endpoint_id``: ``webhook.endpoint.disabled`` goes to the other endpoints, not the disabled one).
"""

from __future__ import annotations

from typing import Any

from knowrithm_core.config import Settings
from knowrithm_core.connectors.slack_jobs import slack_job
from knowrithm_core.ids import iso
from knowrithm_core.models.webhooks import Delivery, DeliveryStatus, WebhookEndpoint
from knowrithm_core.store.port import Table
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.store.repositories.slack import SlackRepository
from knowrithm_core.store.repositories.webhooks import DeliveryRepository, EndpointRepository, delivery_id
from knowrithm_core.telemetry import FANOUT_MESSAGES, count


class FanOut:
    def __init__(self, table: Table, settings: Settings, queue: MessageQueue) -> None:
        self.table = table
        self.settings = settings
        self.queue = queue
        self.endpoints = EndpointRepository(table)
        self.records = DeliveryRepository(table, settings.delivery_ttl_days)
        self.slack = SlackRepository(table)

    def _chosen(self, event: dict[str, Any]) -> list[WebhookEndpoint]:
        """The live endpoints this event goes to."""
        name = str(event["event"])
        target, excluded = event.get("target_endpoint_id"), event.get("excluded_endpoint_id")
        return [
            e
            for e in self.endpoints.of_company(str(event["company_id"]))
            if not e.deleted_at and e.subscribed(name) and (not target or e.id == target) and e.id != excluded
        ]

    @staticmethod
    def _delivery(event: dict[str, Any], endpoint: WebhookEndpoint, status: DeliveryStatus) -> Delivery:
        stamp = iso()
        return Delivery(
            id=delivery_id(endpoint.id, str(event["id"])),
            company_id=str(event["company_id"]),
            endpoint_id=endpoint.id,
            event_id=str(event["id"]),
            event_type=str(event["event"]),
            status=status,
            event_timestamp=str(event["timestamp"]),
            next_attempt_at=stamp,
            created_at=stamp,
            updated_at=stamp,
        )

    @staticmethod
    def _envelope(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": event["id"],
            "event": event["event"],
            "timestamp": event["timestamp"],
            "data": event.get("data", {}),
        }

    def handle(self, event: dict[str, Any]) -> int:
        """Fan one outbox event out; returns how many delivery messages were sent."""
        company_id, envelope = str(event["company_id"]), self._envelope(event)
        bodies = []
        for endpoint in self._chosen(event):
            delivery = self._delivery(event, endpoint, "pending" if endpoint.enabled else "skipped")
            status: str = delivery.status
            if not self.records.add(delivery, envelope):  # a repeat of this event: keep what the first pass recorded
                status = self.records.status(company_id, endpoint.id, delivery.event_id) or "pending"
            if status == "pending":
                bodies.append({"company_id": company_id, "endpoint_id": endpoint.id, "event_id": event["id"]})
        job = slack_job(event)  # handoffs and escalations (and what follows) for a company that connected Slack
        if job is not None and self.slack.get(company_id) is not None:
            bodies.append(job)
        if bodies:
            self.queue.send(bodies)
            count(FANOUT_MESSAGES, len(bodies))
        return len(bodies)

    def record_missed(self, event: dict[str, Any]) -> int:
        """An event the fan-out gave up on: its deliveries are recorded ``failed`` (``skipped`` for a disabled
        endpoint), nothing is queued, so ``recover`` replays them once the cause is fixed. A record the failed
        fan-out wrote but may not have queued (pending, never attempted) is marked ``failed`` too; records that
        were attempted are left as they are. Returns how many deliveries are now waiting for ``recover``."""
        envelope, missed = self._envelope(event), 0
        for endpoint in self._chosen(event):
            delivery = self._delivery(event, endpoint, "failed" if endpoint.enabled else "skipped")
            if self.records.add(delivery, envelope) or self.records.mark_missed(
                delivery.company_id, endpoint.id, delivery.event_id, iso()
            ):
                missed += 1
        return missed
