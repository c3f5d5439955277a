"""Webhook endpoints and their delivery records: where they live in the table, how they change.

- endpoint:  COMPANY#c / WEBHOOK#w                     GSI1 WEBHOOK#w; while live GSI2 COMPANY#c#WEBHOOKS / WEBHOOK#w
- delivery:  COMPANY#c#WEBHOOK#w / DELIVERY#<event id>  GSI1 DELIVERY#<delivery id>
- rate slot: COMPANY#c#WEBHOOK#w / RATE#<window number> (``sent``; TTL two windows on)

Delivery ids are UUIDv5 of (endpoint, event), so a retried fan-out finds the record it already wrote; sort keys
use the event's UUIDv7, so an endpoint's deliveries list in event order. Secrets are stored sealed in the
endpoint's ``_secrets`` (never part of the model). Health fields (``consecutive_failures``, ``failing_since``,
``last_success_at``, ``enabled`` on 410...) are written in place without bumping ``version``, so a user's edit
(conditioned on ``version``) and the worker's health update never overwrite each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowrithm_core.domain.stats import LIVE_ENDPOINTS
from knowrithm_core.events import EventType
from knowrithm_core.ids import now
from knowrithm_core.models.webhooks import Attempt, Delivery, WebhookEndpoint
from knowrithm_core.pagination import PageRequest
from knowrithm_core.store import keys, listings
from knowrithm_core.store.expressions import Cond, Key, Put, Update, eq, exists, lt, missing
from knowrithm_core.store.keys import strip_keys
from knowrithm_core.store.pages import cursor_param, read_page, search_page
from knowrithm_core.store.port import Item, Table
from knowrithm_core.store.repositories.events import outbox_item
from knowrithm_core.store.repositories.stats import total_op
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork

Secrets = list[dict[str, Any]]  # stored secrets: sealed (or legacy plaintext), newest first
Pagination = dict[str, Any]
REQUEUE_CHUNK = 100  # writes per transaction

_NAMESPACE = uuid.UUID("0b0e7c55-5f8e-4a47-9d5f-3a8f3f1c9a01")


def delivery_id(endpoint_id: str, event_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{endpoint_id}/{event_id}"))


def deliveries_pk(company_id: str, endpoint_id: str) -> str:
    return keys.webhook_deliveries(company_id, endpoint_id)


def endpoint_key(company_id: str, endpoint_id: str) -> Key:
    return keys.company_pk(company_id), keys.webhook_sk(endpoint_id)


def delivery_key(company_id: str, endpoint_id: str, event_id: str) -> Key:
    return deliveries_pk(company_id, endpoint_id), keys.delivery_sk(event_id)


def endpoint_item(endpoint: WebhookEndpoint, secrets: Secrets) -> Item:
    return {
        "PK": keys.company_pk(endpoint.company_id),
        "SK": keys.webhook_sk(endpoint.id),
        "GSI1PK": keys.global_id("WEBHOOK", endpoint.id),
        "GSI1SK": "WEBHOOK",
        **listings.endpoint_index_keys(endpoint.company_id, endpoint.id, live=not endpoint.deleted_at),
        **endpoint.public(),
        "_secrets": secrets,
    }


def delivery_item(delivery: Delivery, envelope: dict[str, Any], ttl_days: int) -> Item:
    return {
        "PK": deliveries_pk(delivery.company_id, delivery.endpoint_id),
        "SK": keys.delivery_sk(delivery.event_id),
        "GSI1PK": keys.global_id("DELIVERY", delivery.id),
        "GSI1SK": "DELIVERY",
        **delivery.model_dump(mode="json"),
        "_envelope": envelope,
        "expires_at_epoch": int(now().timestamp()) + ttl_days * 86400,
    }


def load_endpoint(item: Mapping[str, Any]) -> tuple[WebhookEndpoint, Secrets]:
    return WebhookEndpoint.model_validate(strip_keys(dict(item))), list(item.get("_secrets", []))


def load_delivery(item: Mapping[str, Any]) -> Delivery:
    return Delivery.model_validate(strip_keys(dict(item)))


@dataclass(frozen=True)
class StoredDelivery:
    """A delivery record and the envelope it delivers (the event as the receiver sees it, without ``attempt``)."""

    delivery: Delivery
    envelope: dict[str, Any]


@dataclass(frozen=True)
class DeliveryFilter:
    """The filters of the deliveries list (all optional; times as ISO strings, bounds included)."""

    status: str | None = None
    event_type: str | None = None
    since: str | None = None
    until: str | None = None

    def __bool__(self) -> bool:
        return any((self.status, self.event_type, self.since, self.until))

    def matches(self, item: Mapping[str, Any]) -> bool:
        stamp = str(item.get("event_timestamp", ""))
        return (
            (not self.status or item.get("status") == self.status)
            and (not self.event_type or item.get("event_type") == self.event_type)
            and (not self.since or stamp >= self.since)
            and (not self.until or stamp <= self.until)
        )


class EndpointRepository:
    """Webhook endpoints of a company, their sealed secrets and health, and the company's count of live ones."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, company_id: str, endpoint_id: str) -> tuple[WebhookEndpoint, Secrets] | None:
        """The endpoint (deleted ones too) and its stored secrets; None when there is no such item."""
        item = self.table.get(*endpoint_key(company_id, endpoint_id))
        return load_endpoint(item) if item else None

    def of_company(self, company_id: str) -> list[WebhookEndpoint]:
        """Every endpoint of the company (soft-deleted ones too), one Query of its partition's WEBHOOK# range."""
        items = self.table.query(keys.company_pk(company_id), sk_prefix=keys.webhook_sk(""))
        return [load_endpoint(item)[0] for item in items]

    def page(
        self, company_id: str, request: PageRequest, query: Mapping[str, str]
    ) -> tuple[list[WebhookEndpoint], Pagination]:
        """Live endpoints oldest first: one Query of ``per_page + 1`` (sparse GSI2), the total from the counter."""
        total = listings.company_total(self.table, company_id, LIVE_ENDPOINTS)
        page = read_page(
            self.table, listings.endpoints(company_id), request, total=total, cursor=cursor_param(dict(query))
        )
        return [load_endpoint(item)[0] for item in page.items], page.pagination

    def add(self, uow: UnitOfWork, endpoint: WebhookEndpoint, secrets: Secrets) -> None:
        """A new endpoint (refused if its id exists) and one more live endpoint on the company's counter."""
        uow.add(Put(endpoint_item(endpoint, secrets), when=missing()), _count(endpoint.company_id, 1))

    def change(
        self, current: WebhookEndpoint, changes: Mapping[str, Any], *, stamp: str, secrets: Secrets | None = None
    ) -> WebhookEndpoint:
        """Write only ``changes`` (``None`` removes the attribute), ``updated_at`` and the next ``version``, and
        ``secrets`` when given: one UpdateItem conditioned on the version read, so health fields written
        meanwhile survive. Returns the endpoint as stored. A changed version raises ``TransactionConflict``."""
        item = self.table.update_returning(self._versioned(current, changes, stamp, secrets))
        return load_endpoint(item)[0]

    def remove(self, uow: UnitOfWork, current: WebhookEndpoint, *, stamp: str, secrets: Secrets | None = None) -> None:
        """Soft delete: ``deleted_at``, disabled, out of the live list (its sparse GSI2 keys removed), one fewer
        live endpoint on the counter; conditioned on the version read."""
        changes = {"deleted_at": stamp, "enabled": False, "GSI2PK": None, "GSI2SK": None}
        uow.add(self._versioned(current, changes, stamp, secrets), _count(current.company_id, -1))

    @staticmethod
    def _versioned(current: WebhookEndpoint, changes: Mapping[str, Any], stamp: str, secrets: Secrets | None) -> Update:
        fields = {**changes, "updated_at": stamp, "version": current.version + 1}
        if secrets is not None:
            fields["_secrets"] = secrets
        return Update(
            endpoint_key(current.company_id, current.id),
            set={name: value for name, value in fields.items() if value is not None},
            remove=tuple(name for name, value in fields.items() if value is None),
            when=eq("version", current.version),
        )

    @staticmethod
    def succeeded_op(endpoint: WebhookEndpoint, stamp: str) -> Update:
        """Health after a success: no failures, ``last_success_at``, no ``failing_since`` (item must exist)."""
        return Update(
            endpoint_key(endpoint.company_id, endpoint.id),
            set={"consecutive_failures": 0, "last_success_at": stamp},
            remove=("failing_since",),
            when=exists(),
        )

    @staticmethod
    def failed_op(endpoint: WebhookEndpoint, stamp: str, disabled_reason: str | None = None) -> Update:
        """Health after a failure: one more consecutive failure (an atomic ADD, so concurrent workers add up),
        ``failing_since`` unless already failing; disabled with ``disabled_reason`` when given. The item must
        exist (never a stray one), but a deleted or disabled endpoint still passes; a disabling update also needs
        the endpoint still enabled, so of two workers disabling it at once only one does (and reports it)."""
        disable = {"enabled": False, "disabled_reason": disabled_reason, "disabled_at": stamp}
        return Update(
            endpoint_key(endpoint.company_id, endpoint.id),
            add={"consecutive_failures": 1},
            set_default={"failing_since": stamp},
            set=disable if disabled_reason else {},
            when=exists() & eq("enabled", True) if disabled_reason else exists(),
        )

    @staticmethod
    def disabled_event(endpoint: WebhookEndpoint, reason: str, stamp: str, *, ttl_days: int) -> Put:
        """The outbox write of ``webhook.endpoint.disabled`` (in the transaction of the update that disables), for
        the company's other endpoints (the disabled one would only record it as skipped)."""
        data = {
            "endpoint_id": endpoint.id,
            "url": endpoint.url,
            "reason": reason,
            "disabled_at": stamp,
            "failing_since": endpoint.failing_since or stamp,
            "consecutive_failures": endpoint.consecutive_failures + 1,
        }
        event = outbox_item(endpoint.company_id, EventType.WEBHOOK_ENDPOINT_DISABLED, data, ttl_days=ttl_days)
        return Put({**event, "excluded_endpoint_id": endpoint.id})

    @staticmethod
    def test_event(company_id: str, endpoint_id: str, data: dict[str, Any], *, ttl_days: int) -> tuple[Put, str]:
        """The outbox write of a ``webhook.test`` event aimed at one endpoint only, and the event id."""
        event = outbox_item(company_id, EventType.WEBHOOK_TEST, data, ttl_days=ttl_days)
        return Put({**event, "target_endpoint_id": endpoint_id}), str(event["id"])


def _count(company_id: str, delta: int) -> Update:
    op = total_op(company_id, {LIVE_ENDPOINTS: delta})
    assert op is not None  # noqa: S101 - narrows the type: a non-zero delta always makes an operation
    return op


class DeliveryRepository:
    """Delivery records of endpoints: written by the fan-out, claimed and recorded by the worker, listed and
    re-queued by the API. Records expire ``ttl_days`` after they are written."""

    def __init__(self, table: Table, ttl_days: int) -> None:
        self.table = table
        self.ttl_days = ttl_days

    # --- fan-out --------------------------------------------------------------------------------------------
    def add(self, delivery: Delivery, envelope: dict[str, Any]) -> bool:
        """Write a new record (one conditional PutItem); False when it exists already (a repeated event)."""
        try:
            self.table.write([Put(delivery_item(delivery, envelope, self.ttl_days), when=missing())])
        except TransactionConflict:
            return False
        return True

    def status(self, company_id: str, endpoint_id: str, event_id: str) -> str | None:
        item = self.table.get(*delivery_key(company_id, endpoint_id, event_id))
        return str(item["status"]) if item and "status" in item else None

    def mark_missed(self, company_id: str, endpoint_id: str, event_id: str, stamp: str) -> bool:
        """A record the fan-out wrote but never queued (no attempt yet) becomes ``failed``, for ``recover`` to
        replay (one conditional UpdateItem); False when it was attempted or finished meanwhile."""
        key = delivery_key(company_id, endpoint_id, event_id)
        try:
            when = eq("status", "pending") & eq("attempt_count", 0)
            self.table.write([Update(key, set={"status": "failed", "updated_at": stamp}, when=when)])
        except TransactionConflict:
            return False
        return True

    # --- the worker -----------------------------------------------------------------------------------------
    def with_endpoint(
        self, company_id: str, endpoint_id: str, event_id: str
    ) -> tuple[StoredDelivery | None, tuple[WebhookEndpoint, Secrets] | None]:
        """The record and its endpoint, in one BatchGetItem (None for either one missing)."""
        record_key, owner_key = delivery_key(company_id, endpoint_id, event_id), endpoint_key(company_id, endpoint_id)
        found = self.table.batch_get([record_key, owner_key])
        item, owner = found.get(record_key), found.get(owner_key)
        stored = StoredDelivery(load_delivery(item), dict(item.get("_envelope", {}))) if item else None
        return stored, (load_endpoint(owner) if owner else None)

    @staticmethod
    def claim_op(delivery: Delivery, *, lease: str, stamp: str) -> Update:
        """Take the next attempt: nobody recorded it yet (``attempt_count`` as read) and no other worker holds an
        unexpired lease (``in_flight_until``)."""
        free: Cond = missing("in_flight_until") | lt("in_flight_until", stamp)
        return Update(
            delivery_key(delivery.company_id, delivery.endpoint_id, delivery.event_id),
            set={"in_flight_until": lease},
            when=eq("attempt_count", delivery.attempt_count) & free,
        )

    @staticmethod
    def rate_slot_op(endpoint: WebhookEndpoint, slot: int, allowed: int, expires_at_epoch: int) -> Update:
        """One delivery of rate window ``slot``: a counter shared by every worker, refused at ``allowed``."""
        return Update(
            (deliveries_pk(endpoint.company_id, endpoint.id), f"RATE#{slot}"),
            add={"sent": 1},
            set={"expires_at_epoch": expires_at_epoch},
            when=missing("sent") | lt("sent", allowed),
        )

    @staticmethod
    def record_op(delivery: Delivery, attempt: Attempt, status: str, next_at: str | None) -> Update:
        """Append ``attempt``, set the status and next attempt, release the lease; only if nobody else recorded
        this attempt (``attempt_count`` as read)."""
        return Update(
            delivery_key(delivery.company_id, delivery.endpoint_id, delivery.event_id),
            set={
                "attempt_count": attempt.attempt,
                "status": status,
                "next_attempt_at": next_at,
                "updated_at": attempt.at,
            },
            append={"attempts": [attempt.model_dump(mode="json")]},
            remove=("in_flight_until",),
            when=eq("attempt_count", delivery.attempt_count),
        )

    def finish(self, delivery: Delivery, status: str, stamp: str) -> None:
        """Set the final status without an attempt (one UpdateItem; ``skipped`` for a gone or disabled endpoint)."""
        key = delivery_key(delivery.company_id, delivery.endpoint_id, delivery.event_id)
        self.table.write([Update(key, set={"status": status, "updated_at": stamp})])

    # --- the API --------------------------------------------------------------------------------------------
    def by_id(self, delivery_id: str) -> Delivery | None:
        """The record with this id (GSI1), whatever its company: the caller checks ownership."""
        found = self.table.query(keys.global_id("DELIVERY", delivery_id), index=keys.GSI1, limit=1)
        return load_delivery(found[0]) if found else None

    def of_endpoint(self, company_id: str, endpoint_id: str) -> list[Delivery]:
        """Every record of the endpoint still stored (records expire)."""
        pk = deliveries_pk(company_id, endpoint_id)
        return [load_delivery(item) for item in self.table.query(pk, sk_prefix=keys.delivery_sk(""))]

    def page(
        self, company_id: str, endpoint_id: str, request: PageRequest, query: Mapping[str, str], where: DeliveryFilter
    ) -> tuple[list[Delivery], Pagination]:
        """Newest first: one Query of ``per_page + 1``; with filters, the matches among the newest
        ``SEARCH_SCAN_LIMIT`` (``total`` then counts those). Without, ``total`` is left at 0 for the caller."""
        listing = listings.deliveries(company_id, endpoint_id)
        if where:
            page = search_page(self.table, listing, request, where.matches)
        else:
            page = read_page(self.table, listing, request, total=0, cursor=cursor_param(dict(query)))
        return [load_delivery(item) for item in page.items], page.pagination

    def requeue(self, deliveries: Sequence[Delivery], stamp: str) -> None:
        """Mark the records pending again, due at ``stamp`` (100 per transaction; one alone is an UpdateItem)."""
        writes = [
            Update(
                delivery_key(d.company_id, d.endpoint_id, d.event_id),
                set={"status": "pending", "next_attempt_at": stamp, "updated_at": stamp},
            )
            for d in deliveries
        ]
        for start in range(0, len(writes), REQUEUE_CHUNK):
            self.table.write(writes[start : start + REQUEUE_CHUNK])
