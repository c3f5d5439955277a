"""The webhook endpoint API: register, list, read, update, delete, rotate, test, deliveries, retry, recover.

Secrets are shown only on create and rotate, and stored sealed (``webhooks.sealing``: a KMS data key per
secret). Retry and recover re-queue existing delivery records; delivery is at least once,
and receivers deduplicate on ``webhook-id`` (the event id).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.errors import BadRequest, Conflict, NotFound, ServiceUnavailable, ValidationFailed
from knowrithm_core.events import EventType
from knowrithm_core.ids import is_uuid, iso, new_id, now
from knowrithm_core.models.bodies.webhooks import EndpointCreate, EndpointUpdate, RecoverWindow, RotateSecret
from knowrithm_core.models.events import event_types
from knowrithm_core.models.requests import parse
from knowrithm_core.models.webhooks import Delivery, WebhookEndpoint
from knowrithm_core.net.url_safety import check_url
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.base import Service
from knowrithm_core.store.port import Table
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.store.repositories.webhooks import DeliveryFilter, DeliveryRepository, EndpointRepository
from knowrithm_core.webhooks.sealing import SecretVault, is_sealed
from knowrithm_core.webhooks.signing import new_secret

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


def _delivery_filter(query: dict[str, str]) -> DeliveryFilter:
    """The delivery filters of ``query`` (a 422 for a time that is not ISO 8601)."""
    return DeliveryFilter(
        status=query.get("status") or None,
        event_type=query.get("event_type") or None,
        since=iso(_parse_time(query["since"], "since")) if query.get("since") else None,
        until=iso(_parse_time(query["until"], "until")) if query.get("until") else None,
    )


class WebhookService(Service):
    def __init__(
        self, table: Table, settings: Settings, queue: MessageQueue | None, vault: SecretVault | None = None
    ) -> None:
        super().__init__(table, settings)
        self.queue = queue
        self.vault = vault or SecretVault(settings.webhook_secrets_key_id)
        self.endpoints = EndpointRepository(table)
        self.records = DeliveryRepository(table, settings.delivery_ttl_days)

    # --- endpoints -----------------------------------------------------------------
    def _load(self, principal: Principal, endpoint_id: str) -> tuple[WebhookEndpoint, list[dict[str, Any]]]:
        principal.require("read")
        found = self.endpoints.get(principal.company_id, endpoint_id) if is_uuid(endpoint_id) else None
        if not found or found[0].deleted_at:
            raise NotFound("Webhook endpoint not found.")
        return found

    def _resealed(self, current: WebhookEndpoint, secrets: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        """``secrets`` sealed when some are legacy plaintext (items written before encryption), else None (keep)."""
        if secrets and not all(is_sealed(s) for s in secrets):
            return self.vault.seal_all(current.company_id, current.id, secrets)
        return None

    def _change(
        self,
        current: WebhookEndpoint,
        changes: dict[str, Any],
        stamp: str | None = None,
        secrets: list[dict[str, Any]] | None = None,
        *,
        store_secrets: list[dict[str, Any]] | None = None,
    ) -> WebhookEndpoint:
        """Write only ``changes`` (``None`` removes the attribute), plus ``updated_at`` and the next ``version``;
        ``store_secrets`` replace the stored secrets, and legacy plaintext ``secrets`` are sealed by the same write.

        An UpdateItem conditioned on the version read, not a Put of the whole item: the delivery worker updates
        the health fields in place without bumping ``version``, so a health update made between our read and
        this write survives. Returns the endpoint as stored after the write.
        """
        sealed = store_secrets if store_secrets is not None else self._resealed(current, secrets)
        try:
            return self.endpoints.change(current, changes, stamp=stamp or iso(), secrets=sealed)
        except Conflict as exc:
            raise Conflict("The webhook endpoint changed meanwhile; fetch it and try again.") from exc

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
        sealed = [{"sealed": self.vault.seal(endpoint.company_id, endpoint.id, secret), "created_at": stamp}]
        uow = self.unit_of_work()
        self.endpoints.add(uow, endpoint, sealed)  # with one more live endpoint on the company's counter
        uow.commit()
        return {
            "message": "Webhook endpoint created. Store the secret now: it is shown only once.",
            "webhook": endpoint.public(),
            "secret": secret,
        }

    def list_endpoints(self, principal: Principal, query: dict[str, str]) -> dict[str, Any]:
        """Live endpoints oldest first: one Query of ``per_page + 1`` (sparse GSI2), the total from the counter."""
        principal.require("read")
        request = PageRequest.parse(query.get("page"), query.get("per_page"), 20)
        endpoints, pagination = self.endpoints.page(principal.company_id, request, query)
        return {"webhooks": [endpoint.public() for endpoint in endpoints], "pagination": pagination}

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
        # soft delete, out of the live list, one fewer live endpoint, in one transaction; a legacy plaintext
        # secret is sealed by the same write
        uow = self.unit_of_work()
        self.endpoints.remove(uow, current, stamp=iso(), secrets=self._resealed(current, secrets))
        try:
            uow.commit()
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
        endpoint = self._change(current, {}, iso(moment), store_secrets=stored)
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
        write, event_id = self.endpoints.test_event(
            principal.company_id, endpoint.id, data, ttl_days=self.settings.event_ttl_days
        )
        self.unit_of_work().add(write).commit()
        return {"message": "Test event queued.", "event_id": event_id}

    # --- deliveries ----------------------------------------------------------------
    def deliveries(self, principal: Principal, endpoint_id: str, query: dict[str, str]) -> dict[str, Any]:
        """Newest first: one Query of ``per_page + 1``; filters look at the newest ``SEARCH_SCAN_LIMIT``. Records
        expire by TTL, so no counter can stay exact: ``total`` is what this page and the ones before it hold,
        plus one when there is a next page (a lower bound)."""
        endpoint, _ = self._load(principal, endpoint_id)
        request = PageRequest.parse(query.get("page"), query.get("per_page"), 20)
        where = _delivery_filter(query)
        deliveries, pagination = self.records.page(principal.company_id, endpoint.id, request, query, where)
        if not where:
            seen = (request.page - 1) * request.per_page + len(deliveries) + int(pagination["has_next"])
            pages = max(request.page + int(pagination["has_next"]), 1) if seen else 0
            pagination.update(total=seen, pages=pages)
        rows = [delivery.model_dump(mode="json") for delivery in deliveries]
        return {"deliveries": rows, "pagination": pagination}

    def _requeue(self, deliveries: list[Delivery]) -> int:
        if self.queue is None:
            raise ServiceUnavailable("Webhook delivery is not configured (DELIVERY_QUEUE_URL).")
        self.records.requeue(deliveries, iso())
        self.queue.send(
            [
                {"company_id": d.company_id, "endpoint_id": d.endpoint_id, "event_id": d.event_id, "replay": True}
                for d in deliveries
            ]
        )
        return len(deliveries)

    def retry(self, principal: Principal, delivery_id: str) -> dict[str, Any]:
        principal.require("write")
        found = self.records.by_id(delivery_id) if is_uuid(delivery_id) else None
        if found is None or found.company_id != principal.company_id:
            raise NotFound("Delivery not found.")
        self._load(principal, found.endpoint_id)
        if found.status == "pending":
            raise BadRequest("This delivery is already pending.")
        self._requeue([found])
        return {"message": "Delivery re-queued.", "delivery_id": delivery_id}

    def recover(self, principal: Principal, endpoint_id: str, body: Any) -> dict[str, Any]:
        """Re-queue every failed or skipped delivery whose event happened in ``[since, until]``."""
        principal.require("write")
        window = parse(RecoverWindow, body)
        since = iso(_parse_time(window.since, "since"))
        until = iso(_parse_time(window.until, "until")) if window.until else iso()
        endpoint, _ = self._load(principal, endpoint_id)
        targets = [
            d
            for d in self.records.of_endpoint(principal.company_id, endpoint.id)
            if d.status in {"failed", "skipped"} and since <= d.event_timestamp <= until
        ]
        count = self._requeue(targets) if targets else 0
        return {"message": f"{count} deliveries re-queued.", "recovered": count, "since": since, "until": until}

    @staticmethod
    def event_types() -> dict[str, Any]:
        return {"event_types": event_types()}
