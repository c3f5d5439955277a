"""The webhook endpoint API: register, list, read, update, delete, rotate, test, deliveries, retry, recover.

Secrets are shown only on create and rotate, and stored sealed (``webhooks.sealing``: a KMS data key per
secret). Retry and recover re-queue existing delivery records; delivery is at least once,
and receivers deduplicate on ``webhook-id`` (the event id).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.domain.stats import LIVE_ENDPOINTS
from knowrithm_core.errors import BadRequest, Conflict, NotFound, ServiceUnavailable, ValidationFailed
from knowrithm_core.events import EventType
from knowrithm_core.ids import is_uuid, iso, new_id, now
from knowrithm_core.models.events import event_types
from knowrithm_core.models.requests import parse
from knowrithm_core.models.webhooks import (
    EndpointCreate,
    EndpointUpdate,
    RecoverWindow,
    RotateSecret,
    WebhookEndpoint,
)
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.base import Service
from knowrithm_core.store import keys, listings
from knowrithm_core.store.pages import cursor_param, read_page, search_page
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.store.repositories.events import outbox_item
from knowrithm_core.store.repositories.stats import total_op
from knowrithm_core.store.table import DynamoTable, Op
from knowrithm_core.webhooks.records import deliveries_pk, endpoint_item, load_delivery, load_endpoint
from knowrithm_core.webhooks.sealing import SecretVault, is_sealed
from knowrithm_core.webhooks.signing import new_secret
from knowrithm_core.webhooks.url_safety import check_url

VALID_EVENTS = {e.value for e in EventType}


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - VALID_EVENTS - {"*"})
    if unknown:
        raise ValidationFailed(
            f"Unknown event types {unknown}. Valid: * or {sorted(VALID_EVENTS)}.",
            details={"valid": sorted(VALID_EVENTS)},
        )
    return ["*"] if "*" in events else sorted(set(events))


def _parse_time(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed(f"{field} must be an ISO 8601 date or time.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=now().tzinfo)


def live_secrets(secrets: list[dict[str, Any]], moment: datetime | None = None) -> list[dict[str, Any]]:
    """Stored secrets (sealed or legacy plaintext) that still sign: the current one first, then any whose grace
    period has not ended."""
    stamp = iso(moment)
    return [s for s in secrets if not s.get("expires_at") or s["expires_at"] > stamp]


def _delivery_filter(query: dict[str, str]) -> Callable[[dict[str, Any]], bool] | None:
    """The delivery filters of ``query`` as one predicate on stored items (None without filters)."""
    status, event_type = query.get("status"), query.get("event_type")
    since = iso(_parse_time(query["since"], "since")) if query.get("since") else None
    until = iso(_parse_time(query["until"], "until")) if query.get("until") else None
    if not (status or event_type or since or until):
        return None

    def matches(item: dict[str, Any]) -> bool:
        stamp = str(item.get("event_timestamp", ""))
        return (
            (not status or item.get("status") == status)
            and (not event_type or item.get("event_type") == event_type)
            and (not since or stamp >= since)
            and (not until or stamp <= until)
        )

    return matches


class WebhookService(Service):
    def __init__(
        self, table: DynamoTable, settings: Settings, queue: MessageQueue | None, vault: SecretVault | None = None
    ) -> None:
        super().__init__(table, settings)
        self.queue = queue
        self.vault = vault or SecretVault(settings.webhook_secrets_key_id)

    # --- endpoints -----------------------------------------------------------------
    def _load(self, principal: Principal, endpoint_id: str) -> tuple[WebhookEndpoint, list[dict[str, Any]]]:
        principal.require("read")
        item = (
            self.table.get(keys.company_pk(principal.company_id), f"WEBHOOK#{endpoint_id}")
            if is_uuid(endpoint_id)
            else None
        )
        if not item or item.get("deleted_at"):
            raise NotFound("Webhook endpoint not found.")
        return load_endpoint(item)

    def _create(self, endpoint: WebhookEndpoint, secrets: list[dict[str, Any]]) -> None:
        """The endpoint and the company's count of live endpoints (``webhooks``), in one transaction."""
        self.table.transact(
            [
                self.table.put_op(endpoint_item(endpoint, secrets), condition="attribute_not_exists(PK)"),
                self._count_op(endpoint.company_id, 1),
            ]
        )

    def _count_op(self, company_id: str, delta: int) -> Op:
        op = total_op(company_id, {LIVE_ENDPOINTS: delta})
        assert op is not None  # a non-zero delta always makes an operation
        return op

    def _change(
        self,
        current: WebhookEndpoint,
        changes: dict[str, Any],
        stamp: str | None = None,
        secrets: list[dict[str, Any]] | None = None,
    ) -> WebhookEndpoint:
        """Write only ``changes`` (``None`` removes the attribute), plus ``updated_at`` and the next ``version``;
        legacy plaintext ``secrets`` (items written before encryption) are sealed by the same write.

        An UpdateItem, not a Put of the whole item: the delivery worker updates the health fields
        (``consecutive_failures``, ``failing_since``, ``last_success_at``, ``enabled`` on 410...) in place
        without bumping ``version``, so a health update made between our read and this write passes the
        version check and survives. Returns the endpoint as stored after the write.
        """
        update, names, values = self._change_expression(current, changes, stamp, secrets)
        try:
            item = self.table.update(
                keys.company_pk(current.company_id),
                f"WEBHOOK#{current.id}",
                update,
                names=names,
                values=values,
                condition="version = :expected",
            )
        except Conflict as exc:
            raise Conflict("The webhook endpoint changed meanwhile; fetch it and try again.") from exc
        return load_endpoint(item)[0]

    def _change_expression(
        self,
        current: WebhookEndpoint,
        changes: dict[str, Any],
        stamp: str | None,
        secrets: list[dict[str, Any]] | None,
    ) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The UpdateExpression, names and values of :meth:`_change` (conditioned on ``version = :expected``)."""
        if secrets and "_secrets" not in changes and not all(is_sealed(s) for s in secrets):
            changes = {**changes, "_secrets": self.vault.seal_all(current.company_id, current.id, secrets)}
        fields = {**changes, "updated_at": stamp or iso(), "version": current.version + 1}
        names: dict[str, str] = {}
        values: dict[str, Any] = {":expected": current.version}
        sets: list[str] = []
        removes: list[str] = []
        for n, (field, value) in enumerate(fields.items()):
            names[f"#f{n}"] = field
            if value is None:
                removes.append(f"#f{n}")
            else:
                sets.append(f"#f{n} = :f{n}")
                values[f":f{n}"] = value
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return update, names, values

    def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require("write")
        request = parse(EndpointCreate, body)
        check_url(request.url, local_mode=self.settings.local_mode)
        stamp = iso()
        endpoint = WebhookEndpoint(
            id=new_id(),
            created_at=stamp,
            updated_at=stamp,
            company_id=principal.company_id,
            url=request.url,
            events=_check_events(request.events),
            description=request.description,
            enabled=True if request.enabled is None else request.enabled,
            headers=request.headers or {},
            rate_limit_per_second=request.rate_limit_per_second,
        )
        secret = new_secret()
        self._create(
            endpoint, [{"sealed": self.vault.seal(endpoint.company_id, endpoint.id, secret), "created_at": stamp}]
        )
        return {
            "message": "Webhook endpoint created. Store the secret now: it is shown only once.",
            "webhook": endpoint.public(),
            "secret": secret,
        }

    def list_endpoints(self, principal: Principal, query: dict[str, str]) -> dict[str, Any]:
        """Live endpoints oldest first: one Query of ``per_page + 1`` (sparse GSI2), the total from the counter."""
        principal.require("read")
        company_id = principal.company_id
        request = PageRequest.parse(query.get("page"), query.get("per_page"), 20)
        total = listings.company_total(self.table, company_id, LIVE_ENDPOINTS)
        page = read_page(self.table, listings.endpoints(company_id), request, total=total, cursor=cursor_param(query))
        return {"webhooks": [load_endpoint(i)[0].public() for i in page.items], "pagination": page.pagination}

    def get(self, principal: Principal, endpoint_id: str) -> dict[str, Any]:
        endpoint, secrets = self._load(principal, endpoint_id)
        return {"webhook": endpoint.public(), "active_secrets": len(live_secrets(secrets))}

    def update(self, principal: Principal, endpoint_id: str, body: Any) -> dict[str, Any]:
        principal.require("write", "PUT")
        request = parse(EndpointUpdate, body)
        current, secrets = self._load(principal, endpoint_id)
        changes = request.model_dump(exclude_none=True)
        if not changes:
            raise ValidationFailed("Nothing to update.")
        if request.url:
            check_url(request.url, local_mode=self.settings.local_mode)
        if request.events:
            changes["events"] = _check_events(request.events)
        if changes.get("enabled") is True:
            changes |= {"disabled_reason": None, "disabled_at": None, "consecutive_failures": 0, "failing_since": None}
        endpoint = self._change(current, changes, secrets=secrets)
        return {"message": "Webhook endpoint updated.", "webhook": endpoint.public()}

    def delete(self, principal: Principal, endpoint_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        current, secrets = self._load(principal, endpoint_id)
        stamp = iso()
        # soft delete, out of the live list (its sparse GSI2 keys removed), one fewer live endpoint, in one transaction;
        # a legacy plaintext secret is sealed by the same write
        changes = {"deleted_at": stamp, "enabled": False, "GSI2PK": None, "GSI2SK": None}
        update, names, values = self._change_expression(current, changes, stamp, secrets)
        pk, sk = keys.company_pk(current.company_id), f"WEBHOOK#{current.id}"
        op = self.table.update_op(pk, sk, update, names=names, values=values, condition="version = :expected")
        try:
            self.table.transact([op, self._count_op(current.company_id, -1)])
        except Conflict as exc:
            raise Conflict("The webhook endpoint changed meanwhile; fetch it and try again.") from exc
        return {"message": "Webhook endpoint deleted.", "webhook_id": current.id}

    def enable(self, principal: Principal, endpoint_id: str) -> dict[str, Any]:
        return self.update(principal, endpoint_id, {"enabled": True})

    def rotate_secret(self, principal: Principal, endpoint_id: str, body: Any) -> dict[str, Any]:
        principal.require("write")
        request = parse(RotateSecret, body)
        current, secrets = self._load(principal, endpoint_id)
        moment = now()
        grace_ends = iso(moment + timedelta(hours=request.grace_period_hours))
        kept = [
            {**s, "expires_at": min(s.get("expires_at") or grace_ends, grace_ends)}
            for s in live_secrets(secrets, moment)
        ]
        secret = new_secret()
        stored = self.vault.seal_all(
            current.company_id, current.id, [{"secret": secret, "created_at": iso(moment)}, *kept]
        )
        endpoint = self._change(current, {"_secrets": stored}, iso(moment))
        return {
            "message": "Secret rotated. The previous secret keeps signing until the grace period ends.",
            "secret": secret,
            "previous_secret_expires_at": grace_ends if kept else None,
            "webhook": endpoint.public(),
        }

    def send_test(self, principal: Principal, endpoint_id: str) -> dict[str, Any]:
        """Emit ``webhook.test`` for this endpoint only, through the outbox like any other event."""
        principal.require("write")
        endpoint, _ = self._load(principal, endpoint_id)
        data = {"message": "This is a test event from Knowrithm.", "endpoint_id": endpoint.id}
        event = outbox_item(principal.company_id, EventType.WEBHOOK_TEST, data, ttl_days=self.settings.event_ttl_days)
        event["target_endpoint_id"] = endpoint.id
        self.table.transact([self.table.put_op(event)])
        return {"message": "Test event queued.", "event_id": event["id"]}

    # --- deliveries ----------------------------------------------------------------
    def deliveries(self, principal: Principal, endpoint_id: str, query: dict[str, str]) -> dict[str, Any]:
        """Newest first: one Query of ``per_page + 1``; filters look at the newest ``SEARCH_SCAN_LIMIT``. Records
        expire by TTL, so no counter can stay exact: ``total`` is what this page and the ones before it hold,
        plus one when there is a next page (a lower bound)."""
        endpoint, _ = self._load(principal, endpoint_id)
        request = PageRequest.parse(query.get("page"), query.get("per_page"), 20)
        listing = listings.deliveries(principal.company_id, endpoint.id)
        matches = _delivery_filter(query)
        if matches:
            page = search_page(self.table, listing, request, matches)
        else:
            page = read_page(self.table, listing, request, total=0, cursor=cursor_param(query))
            seen = (request.page - 1) * request.per_page + len(page.items) + int(page.pagination["has_next"])
            pages = max(request.page + int(page.pagination["has_next"]), 1) if seen else 0
            page.pagination.update(total=seen, pages=pages)
        rows = [load_delivery(i).model_dump(mode="json") for i in page.items]
        return {"deliveries": rows, "pagination": page.pagination}

    def _requeue(self, items: list[dict[str, Any]]) -> int:
        if self.queue is None:
            raise ServiceUnavailable("Webhook delivery is not configured (DELIVERY_QUEUE_URL).")
        ops, bodies = [], []
        for item in items:
            ops.append(
                self.table.update_op(
                    item["PK"],
                    item["SK"],
                    "SET #s = :p, next_attempt_at = :n, updated_at = :n",
                    names={"#s": "status"},
                    values={":p": "pending", ":n": iso()},
                )
            )
            bodies.append(
                {
                    "company_id": item["company_id"],
                    "endpoint_id": item["endpoint_id"],
                    "event_id": item["event_id"],
                    "replay": True,
                }
            )
        for start in range(0, len(ops), 100):
            self.table.transact(ops[start : start + 100])
        self.queue.send(bodies)
        return len(bodies)

    def retry(self, principal: Principal, delivery_id: str) -> dict[str, Any]:
        principal.require("write")
        found = self.table.query(f"DELIVERY#{delivery_id}", index=keys.GSI1, limit=1) if is_uuid(delivery_id) else []
        if not found or found[0].get("company_id") != principal.company_id:
            raise NotFound("Delivery not found.")
        self._load(principal, str(found[0]["endpoint_id"]))
        if found[0].get("status") == "pending":
            raise BadRequest("This delivery is already pending.")
        self._requeue(found)
        return {"message": "Delivery re-queued.", "delivery_id": delivery_id}

    def recover(self, principal: Principal, endpoint_id: str, body: Any) -> dict[str, Any]:
        """Re-queue every failed or skipped delivery whose event happened in ``[since, until]``."""
        principal.require("write")
        window = parse(RecoverWindow, body)
        since = iso(_parse_time(window.since, "since"))
        until = iso(_parse_time(window.until, "until")) if window.until else iso()
        endpoint, _ = self._load(principal, endpoint_id)
        items = self.table.query(deliveries_pk(principal.company_id, endpoint.id), sk_prefix="DELIVERY#")
        targets = [
            i
            for i in items
            if i.get("status") in {"failed", "skipped"} and since <= str(i.get("event_timestamp", "")) <= until
        ]
        count = self._requeue(targets) if targets else 0
        return {"message": f"{count} deliveries re-queued.", "recovered": count, "since": since, "until": until}

    @staticmethod
    def event_types() -> dict[str, Any]:
        return {"event_types": event_types()}
