"""One delivery attempt: sign, POST, record the attempt, decide what happens next.

Outcomes: 2xx -> succeeded (message deleted). 410 -> the endpoint is disabled and the delivery fails.
Anything else (status, timeout, connection error, refused address) -> the next attempt is scheduled by
hiding the message for the next backoff step (``Retry-After`` wins for 429/503); waits over SQS's
12-hour cap are served in hops. After the last attempt the record is marked ``failed`` and the message is
handed back at once on every receive until the queue's redrive policy moves it to the DLQ.
Delivery is at least once; ``webhook-id`` (the event id) is stable across attempts for deduplication.

DynamoDB requests per attempt: one BatchGetItem (the delivery record and its endpoint), one conditional write
that claims the attempt (a transaction with a slot of the endpoint's rate window when it has a limit), and one
that records the attempt (a transaction with the endpoint's health when there is something new to say). A write
of one item is a plain UpdateItem, not a one-item transaction (``DynamoTable.write``): half the write capacity.
Three in all; more only when the endpoint item vanished or a concurrent transaction touched it while the
attempt was being recorded (the record is then written on its own).
"""

from __future__ import annotations

import contextlib
import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from knowrithm_core.config import Settings
from knowrithm_core.errors import Conflict, KnowrithmError
from knowrithm_core.ids import iso, new_id, now
from knowrithm_core.models.webhooks import Attempt, Delivery, WebhookEndpoint
from knowrithm_core.net.http import HttpResult, Poster
from knowrithm_core.net.url_safety import check_url
from knowrithm_core.services.webhooks import live_secrets
from knowrithm_core.store.expressions import Put, Update
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.webhooks import DeliveryRepository, EndpointRepository, StoredDelivery
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.topic import AlarmTopic
from knowrithm_core.store.unit_of_work import UnitOfWork
from knowrithm_core.telemetry import DELIVERIES, DELIVERY_LATENCY, count, timing
from knowrithm_core.webhooks.backoff import SQS_MAX_VISIBILITY, delay_after, parse_schedule
from knowrithm_core.webhooks.sealing import SecretVault
from knowrithm_core.webhooks.signing import signature_headers

USER_AGENT = "Knowrithm-Webhooks/1.0 (+https://github.com/standard-webhooks/standard-webhooks)"


@dataclass(frozen=True)
class Outcome:
    """``done``: delete the message. Otherwise hide it for ``delay`` seconds and report it as failed."""

    done: bool
    delay: int = 0
    attempted: bool = False


def retry_after_seconds(headers: dict[str, str], moment: datetime) -> float | None:
    raw = headers.get("retry-after")
    if not raw:
        return None
    if raw.strip().isdigit():
        return float(raw.strip())
    try:
        return max(0.0, (parsedate_to_datetime(raw) - moment).total_seconds())
    except (TypeError, ValueError):
        return None


class DeliveryWorker:
    def __init__(
        self,
        table: Table,
        settings: Settings,
        poster: Poster,
        rng: random.Random | None = None,
        vault: SecretVault | None = None,
        alarms: AlarmTopic | None = None,
    ) -> None:
        self.table = table
        self.settings = settings
        self.records = DeliveryRepository(table, settings.delivery_ttl_days)
        self.poster = poster
        self.rng = rng or random.Random()  # noqa: S311 - jitter of retry delays, not a secret
        self.vault = vault or SecretVault(settings.webhook_secrets_key_id)
        self.schedule = parse_schedule(settings.webhook_retry_schedule)
        self.alarms = alarms or AlarmTopic(None)

    def process(self, message: dict[str, Any]) -> Outcome:
        company_id, endpoint_id, event_id = message["company_id"], message["endpoint_id"], message["event_id"]
        stored, owner = self.records.with_endpoint(company_id, endpoint_id, event_id)  # one request for both
        if stored is None:
            return Outcome(done=True)  # expired or never recorded: nothing to deliver
        delivery = stored.delivery
        if delivery.status in {"succeeded", "skipped"}:
            return Outcome(done=True)
        if delivery.status == "failed":
            return Outcome(done=False, delay=0)  # drain towards the DLQ through the redrive policy
        moment = now()
        if delivery.next_attempt_at and delivery.next_attempt_at > iso(moment):
            wait = (datetime.fromisoformat(delivery.next_attempt_at.replace("Z", "+00:00")) - moment).total_seconds()
            return Outcome(done=False, delay=max(1, min(SQS_MAX_VISIBILITY, math.ceil(wait))))
        endpoint, secrets = owner if owner else (None, [])
        if endpoint is None or endpoint.deleted_at or not endpoint.enabled:
            self.records.finish(delivery, "skipped", iso())
            count(DELIVERIES, outcome="skipped")
            return Outcome(done=True)
        # the live secrets, opened before the attempt is claimed (a KMS Decrypt per secret on a cold cache only)
        signing = self.vault.open_all(company_id, endpoint_id, live_secrets(secrets, moment))
        return self._attempt(stored, endpoint, signing, moment)

    def _attempt(
        self,
        stored: StoredDelivery,
        endpoint: WebhookEndpoint,
        secrets: list[str],
        moment: datetime,
    ) -> Outcome:
        delivery = stored.delivery
        refused = self._claim(delivery, endpoint, moment)
        if refused is not None:
            return refused
        number = delivery.attempt_count + 1
        envelope = {**stored.envelope, "attempt": number}
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        headers = {
            **endpoint.headers,
            **signature_headers(secrets, envelope["id"], int(moment.timestamp()), body),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Knowrithm-Event": delivery.event_type,
            "X-Knowrithm-Request-Id": new_id(),
        }
        posted = False
        try:
            target = check_url(endpoint.url, local_mode=self.settings.local_mode)
            result = self.poster.post(target, headers, body, self.settings.webhook_timeout_seconds)
            posted = True
        except KnowrithmError as exc:
            result = HttpResult(None, 0.0, error=f"refused: {exc.message}")
        succeeded = result.status is not None and 200 <= result.status < 300
        gone = result.status == 410
        delay: float | None = None
        if not succeeded and not gone:
            delay = delay_after(number, self.schedule, self.rng)
            hinted = retry_after_seconds(result.headers, moment) if result.status in {429, 503} else None
            if delay is not None and hinted is not None:
                delay = min(max(hinted, 1.0), 24 * 3600.0)
        next_at = iso(moment + timedelta(seconds=delay)) if delay is not None else None
        attempt = Attempt(
            attempt=number,
            at=iso(moment),
            outcome="succeeded" if succeeded else "failed",
            status_code=result.status,
            latency_ms=result.latency_ms,
            error=result.error,
            response_excerpt=result.excerpt[:1000] or None,
            next_attempt_at=next_at,
        )
        status = "succeeded" if succeeded else ("pending" if delay is not None else "failed")
        health = self._health_op(endpoint, succeeded, gone, moment)
        notice = self._disabled_event(endpoint, succeeded, gone, moment)
        recorded, reported = self._record(delivery, attempt, status, next_at, health, notice)
        if not recorded:
            return Outcome(done=False, delay=1, attempted=True)  # someone else recorded this attempt first
        self._report(endpoint, status, gone, moment, result.latency_ms if posted else None)
        if notice is not None and reported:
            self.alarms.publish(f"Webhook endpoint disabled: {endpoint.url}", notice.item["data"])
        return _outcome(status, delay)

    def _report(
        self, endpoint: WebhookEndpoint, status: str, gone: bool, moment: datetime, latency_ms: float | None
    ) -> None:
        """The recorded attempt's metrics: its outcome (``disabled`` when it disabled the endpoint) and, when a POST
        was made, its latency."""
        disabled = status != "succeeded" and self._disables(endpoint, gone, moment)
        count(DELIVERIES, outcome="disabled" if disabled else {"pending": "retried"}.get(status, status))
        if latency_ms is not None:
            timing(DELIVERY_LATENCY, latency_ms)

    def _rate_op(self, endpoint: WebhookEndpoint, moment: datetime) -> tuple[Update, int] | None:
        """The write taking one delivery of the current window under ``rate_limit_per_second``, and the
        window's length in seconds; None for an endpoint without a limit.

        A fixed window counter in the table (atomic ADD with a condition), shared by every concurrent worker.
        """
        rate = endpoint.rate_limit_per_second
        if not rate:
            return None
        window = max(1, math.ceil(1 / rate))
        allowed = max(1, math.floor(rate * window))
        slot = int(moment.timestamp()) // window
        return self.records.rate_slot_op(endpoint, slot, allowed, (slot + 2) * window), window

    def _claim(self, delivery: Delivery, endpoint: WebhookEndpoint, moment: datetime) -> Outcome | None:
        """Take this attempt for ourselves, so duplicate messages of one delivery never POST twice at once, and
        (for a rate-limited endpoint) one delivery of the current window: one transaction, so both or neither
        (without a limit, the claim alone is one conditional UpdateItem).

        None when the attempt is ours. Over the rate: try again next window, nothing claimed. Claimed by someone
        else (or already recorded): back off for a POST's timeout, the rate window untouched.
        """
        lease = iso(moment + timedelta(seconds=self.settings.webhook_timeout_seconds + 30))
        rate = self._rate_op(endpoint, moment)
        uow = UnitOfWork(self.table).add(self.records.claim_op(delivery, lease=lease, stamp=iso(moment)))
        uow.add(rate[0] if rate is not None else None)
        try:
            uow.commit()
        except TransactionConflict as exc:
            if rate is not None and _cancelled_by(exc, 1):
                return Outcome(done=False, delay=rate[1])  # over the endpoint's rate: try again next window
            return Outcome(done=False, delay=math.ceil(self.settings.webhook_timeout_seconds) + 5)
        return None

    def _record(
        self,
        delivery: Delivery,
        attempt: Attempt,
        status: str,
        next_at: str | None,
        health: Update | None = None,
        notice: Put | None = None,
    ) -> tuple[bool, bool]:
        """Append the attempt, conditional on nobody else having done so (duplicate messages), in one transaction
        with the endpoint's ``health`` update when there is one (alone, one conditional UpdateItem) and, when that
        update disables the endpoint, the ``webhook.endpoint.disabled`` event (``notice``).

        The health update only requires the endpoint item to exist, so a deleted or disabled endpoint never
        stops the record. If it stopped the transaction anyway (the item is gone, or a concurrent transaction
        touched it), the attempt is recorded on its own; the health update is then tried once more on its own
        unless the endpoint item is gone (as before the two were merged: nothing to track) or was disabled meanwhile
        (another worker disabled it and reported it). Returns whether the attempt was recorded, and whether the
        ``notice`` was written with the endpoint's update.
        """
        record = self.records.record_op(delivery, attempt, status, next_at)
        try:
            UnitOfWork(self.table).add(record, health, notice).commit()
        except TransactionConflict as exc:
            if health is None or _cancelled_by(exc, 0):
                return False, False
            stopped = exc
        else:
            return True, notice is not None
        try:  # the record's own condition held: only the endpoint's update stopped the transaction
            UnitOfWork(self.table).add(record).commit()
        except Conflict:
            return False, False
        if _reason(stopped, 1) == "ConditionalCheckFailed":  # the endpoint vanished, or was disabled meanwhile
            return True, False
        try:  # a concurrent transaction touched the endpoint: its update once more, on its own
            UnitOfWork(self.table).add(health, notice).commit()
        except Conflict:
            return True, False
        return True, notice is not None

    def _health_op(self, endpoint: WebhookEndpoint, succeeded: bool, gone: bool, moment: datetime) -> Update | None:
        """Track consecutive failures; disable on 410 or after failing for ``WEBHOOK_DISABLE_AFTER_DAYS``.

        Health fields are updated in place, without bumping the endpoint's ``version``, so a user editing
        the endpoint right after a delivery never gets a 409 because of it. The failure count is an atomic
        increment in the update itself (no read-modify-write), so concurrent workers add up. None when there is
        nothing new to say. The only condition is that the endpoint item exists (never create a stray one): a
        deleted (soft) or disabled endpoint still passes, so the update can share the attempt's record transaction.
        """
        stamp = iso(moment)
        if succeeded:
            if endpoint.consecutive_failures == 0 and (endpoint.last_success_at or "")[:16] == stamp[:16]:
                return None  # nothing new to say: keep hot endpoints from rewriting their item on every success
            return EndpointRepository.succeeded_op(endpoint, stamp)
        reason = None
        if self._disables(endpoint, gone, moment):
            reason = "The endpoint answered 410 Gone." if gone else "The endpoint kept failing."
        return EndpointRepository.failed_op(endpoint, stamp, reason)

    def _disabled_event(self, endpoint: WebhookEndpoint, succeeded: bool, gone: bool, moment: datetime) -> Put | None:
        """The ``webhook.endpoint.disabled`` event when this failed attempt disables the endpoint, else None."""
        if succeeded or not self._disables(endpoint, gone, moment):
            return None
        reason = "The endpoint answered 410 Gone." if gone else "The endpoint kept failing."
        return EndpointRepository.disabled_event(endpoint, reason, iso(moment), ttl_days=self.settings.event_ttl_days)

    def _disables(self, endpoint: WebhookEndpoint, gone: bool, moment: datetime) -> bool:
        """Whether a failed attempt disables the endpoint: 410 Gone, or failing for ``WEBHOOK_DISABLE_AFTER_DAYS``."""
        started = datetime.fromisoformat((endpoint.failing_since or iso(moment)).replace("Z", "+00:00"))
        return gone or moment - started > timedelta(days=self.settings.webhook_disable_after_days)

    def _update_health(self, endpoint: WebhookEndpoint, succeeded: bool, gone: bool, moment: datetime) -> None:
        """The health update on its own (one conditional UpdateItem)."""
        health = self._health_op(endpoint, succeeded, gone, moment)
        if health is not None:
            with contextlib.suppress(Conflict):  # the endpoint was deleted meanwhile: nothing to track
                UnitOfWork(self.table).add(health).commit()


def _outcome(status: str, delay: float | None) -> Outcome:
    """What the queue does with the message of a recorded attempt."""
    if status == "succeeded":
        return Outcome(done=True, attempted=True)
    if status == "failed":
        return Outcome(done=False, delay=0, attempted=True)
    return Outcome(done=False, delay=min(SQS_MAX_VISIBILITY, math.ceil(delay or 0)), attempted=True)


def _reason(exc: TransactionConflict, index: int) -> str:
    """The cancellation reason code of the transaction's ``index``-th operation ("None" if it did not fail)."""
    return exc.reasons[index] if index < len(exc.reasons) else "None"


def _cancelled_by(exc: TransactionConflict, index: int) -> bool:
    return _reason(exc, index) != "None"
