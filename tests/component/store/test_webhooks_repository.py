"""Webhook endpoints and deliveries on the in-memory table: the repositories' reads, writes and refusals, and the
API, fan-out and delivery worker end to end (a real loopback receiver; KMS from moto for the sealed secrets)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.errors import Conflict, NotFound
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.webhooks import Attempt, Delivery, WebhookEndpoint
from knowrithm_core.net.http import PinnedPoster
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.delivery import DeliveryWorker, Outcome
from knowrithm_core.services.fanout import FanOut
from knowrithm_core.services.webhooks import WebhookService
from knowrithm_core.store.memory import MemoryTable
from knowrithm_core.store.repositories.webhooks import (
    DeliveryFilter,
    DeliveryRepository,
    EndpointRepository,
    delivery_id,
    delivery_key,
)
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork
from knowrithm_core.webhooks.sealing import SecretVault
from knowrithm_core.webhooks.signing import signature_headers
from tests.webhook_receiver import OK, Receiver, always, scripted, status

COMPANY = "0190a000-0000-7000-8000-000000000001"


@dataclass
class ListQueue:
    """The delivery queue as a list (the ``MessageQueue`` protocol: nothing here is SQS-specific)."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, bodies: Sequence[dict[str, Any]]) -> None:
        self.sent.extend(bodies)

    def delay(self, receipt_handle: str, seconds: int) -> None:
        raise AssertionError("nothing is received from this queue")


def _endpoint(**fields: Any) -> WebhookEndpoint:
    stamp = iso()
    values: dict[str, Any] = {"id": new_id(), "created_at": stamp, "updated_at": stamp, "company_id": COMPANY}
    return WebhookEndpoint(**{**values, "url": "http://127.0.0.1:9/hooks", "events": ["*"], **fields})


def _delivery(endpoint: WebhookEndpoint, **fields: Any) -> Delivery:
    event_id, stamp = new_id(), iso()
    values: dict[str, Any] = {
        "id": delivery_id(endpoint.id, event_id),
        "company_id": endpoint.company_id,
        "endpoint_id": endpoint.id,
        "event_id": event_id,
        "event_type": "webhook.test",
        "status": "pending",
        "event_timestamp": stamp,
        "created_at": stamp,
        "updated_at": stamp,
    }
    return Delivery(**{**values, **fields})


def _added(table: MemoryTable, endpoint: WebhookEndpoint) -> EndpointRepository:
    endpoints = EndpointRepository(table)
    uow = UnitOfWork(table)
    endpoints.add(uow, endpoint, [{"secret": "whsec_AAAA", "created_at": endpoint.created_at}])
    uow.commit()
    return endpoints


# --- EndpointRepository -----------------------------------------------------------------------------------
def test_an_added_endpoint_reads_back_counts_as_live_and_lists_and_its_id_cannot_be_taken_twice() -> None:
    # GIVEN an endpoint added in a unit of work
    table = MemoryTable()
    endpoint = _endpoint(description="crm")
    endpoints = _added(table, endpoint)
    # THEN it reads back as the model with its stored secrets, and page 1 lists it with the counter's total
    found = endpoints.get(COMPANY, endpoint.id)
    assert found is not None and found[0] == endpoint and found[1][0]["secret"] == "whsec_AAAA"
    listed, pagination = endpoints.page(COMPANY, PageRequest.parse(None, None, 20), {})
    assert [e.id for e in listed] == [endpoint.id] and pagination["total"] == 1
    # AND adding the same id again writes nothing: the whole unit of work is refused by the endpoint's condition
    uow = UnitOfWork(table)
    endpoints.add(uow, endpoint, [])
    with pytest.raises(TransactionConflict) as refused:
        uow.commit()
    assert refused.value.reasons == ["ConditionalCheckFailed", "None"]
    assert endpoints.page(COMPANY, PageRequest.parse(None, None, 20), {})[1]["total"] == 1


def test_a_change_bumps_the_version_keeps_health_written_meanwhile_and_a_stale_one_is_refused() -> None:
    # GIVEN an endpoint read at version 1, then a failure recorded by the worker (health: no version bump)
    table = MemoryTable()
    endpoint = _endpoint(description="crm")
    endpoints = _added(table, endpoint)
    table.write([EndpointRepository.failed_op(endpoint, iso())])
    # WHEN the read copy is changed (a None removes the attribute)
    changed = endpoints.change(endpoint, {"description": None, "headers": {"X-Team": "a"}}, stamp=iso())
    # THEN the change and the failure both stand, and the version moved on by one
    assert changed.version == 2 and changed.description is None and changed.headers == {"X-Team": "a"}
    assert changed.consecutive_failures == 1 and changed.failing_since
    # AND the same stale copy cannot be written again
    with pytest.raises(TransactionConflict):
        endpoints.change(endpoint, {"description": "late"}, stamp=iso())
    stored = endpoints.get(COMPANY, endpoint.id)
    assert stored is not None and stored[0].description is None


def test_health_counts_failures_disables_with_a_reason_and_a_success_resets_it_but_never_creates_an_item() -> None:
    # GIVEN an endpoint
    table = MemoryTable()
    endpoint = _endpoint()
    endpoints = _added(table, endpoint)
    first, later = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"
    # WHEN two failures are recorded, the second one disabling it
    table.write([EndpointRepository.failed_op(endpoint, first)])
    table.write([EndpointRepository.failed_op(endpoint, later, "The endpoint answered 410 Gone.")])
    stored = endpoints.get(COMPANY, endpoint.id)
    # THEN failures add up, failing_since keeps the first one, and it is disabled with the reason
    assert stored is not None and stored[0].consecutive_failures == 2 and stored[0].failing_since == first
    assert stored[0].enabled is False and stored[0].disabled_at == later and "410" in str(stored[0].disabled_reason)
    # AND a success resets the count and the failing streak
    table.write([EndpointRepository.succeeded_op(endpoint, later)])
    healed = endpoints.get(COMPANY, endpoint.id)
    assert healed is not None and healed[0].consecutive_failures == 0 and healed[0].failing_since is None
    # AND a health update of an endpoint that is not stored is refused (no stray item)
    ghost = _endpoint()
    with pytest.raises(TransactionConflict):
        table.write([EndpointRepository.succeeded_op(ghost, later)])
    assert endpoints.get(COMPANY, ghost.id) is None


def test_a_removed_endpoint_leaves_the_list_and_the_count_but_stays_readable_for_the_fan_out() -> None:
    # GIVEN two endpoints
    table = MemoryTable()
    kept, gone = _endpoint(), _endpoint()
    endpoints = _added(table, kept)
    _added(table, gone)
    # WHEN one is removed
    uow = UnitOfWork(table)
    endpoints.remove(uow, gone, stamp=iso())
    uow.commit()
    # THEN only the other one is listed and counted; the removed one is stored as deleted and disabled
    listed, pagination = endpoints.page(COMPANY, PageRequest.parse(None, None, 20), {})
    assert [e.id for e in listed] == [kept.id] and pagination["total"] == 1
    stored = endpoints.get(COMPANY, gone.id)
    assert stored is not None and stored[0].deleted_at and stored[0].enabled is False and stored[0].version == 2
    assert {e.id for e in endpoints.of_company(COMPANY)} == {kept.id, gone.id}


# --- DeliveryRepository -----------------------------------------------------------------------------------
def test_a_delivery_is_written_once_and_read_with_its_endpoint_in_one_request() -> None:
    # GIVEN an endpoint and a new delivery record
    table = MemoryTable()
    endpoint = _endpoint()
    _added(table, endpoint)
    records = DeliveryRepository(table, ttl_days=90)
    delivery = _delivery(endpoint)
    envelope = {"id": delivery.event_id, "event": "webhook.test", "timestamp": iso(), "data": {}}
    # WHEN it is added twice (a repeated event)
    assert records.add(delivery, envelope) is True
    assert records.add(delivery.model_copy(update={"status": "skipped"}), envelope) is False
    # THEN the first write stands, and the record comes back with its envelope and its endpoint
    assert records.status(COMPANY, endpoint.id, delivery.event_id) == "pending"
    stored, owner = records.with_endpoint(COMPANY, endpoint.id, delivery.event_id)
    assert stored is not None and stored.delivery == delivery and stored.envelope == envelope
    assert owner is not None and owner[0].id == endpoint.id
    assert records.with_endpoint(COMPANY, endpoint.id, new_id()) == (None, owner)
    assert records.by_id(delivery.id) == delivery and records.by_id(delivery_id(endpoint.id, new_id())) is None


def test_a_claim_is_refused_while_leased_or_once_recorded_and_the_rate_slot_stops_at_its_limit() -> None:
    # GIVEN a pending delivery claimed by one worker
    table = MemoryTable()
    endpoint = _endpoint(rate_limit_per_second=1.0)
    _added(table, endpoint)
    records = DeliveryRepository(table, ttl_days=90)
    delivery = _delivery(endpoint)
    records.add(delivery, {"id": delivery.event_id})
    now_, lease = "2026-01-01T00:00:00.000Z", "2026-01-01T00:01:00.000Z"
    table.write([records.claim_op(delivery, lease=lease, stamp=now_)])
    # WHEN a second worker claims it before the lease ends, THEN it is refused
    with pytest.raises(TransactionConflict):
        table.write([records.claim_op(delivery, lease=lease, stamp=now_)])
    # AND WHEN the first one records its attempt, the lease is released and the attempt appended
    attempt = Attempt(attempt=1, at=now_, outcome="failed", status_code=500)
    table.write([records.record_op(delivery, attempt, "pending", None)])
    stored, _ = records.with_endpoint(COMPANY, endpoint.id, delivery.event_id)
    assert stored is not None and stored.delivery.attempt_count == 1 and stored.delivery.attempts == [attempt]
    assert "in_flight_until" not in (table.get(*_key(delivery)) or {})
    # THEN a duplicate record of the same attempt, or a claim made from the stale copy, is refused
    with pytest.raises(TransactionConflict):
        table.write([records.record_op(delivery, attempt, "pending", None)])
    with pytest.raises(TransactionConflict):
        table.write([records.claim_op(delivery, lease=lease, stamp="2026-01-01T00:02:00.000Z")])
    # AND the rate slot takes ``allowed`` deliveries of its window, then refuses (a claim + slot: both or neither)
    table.write([records.rate_slot_op(endpoint, 7, 1, 99)])
    fresh = stored.delivery
    with pytest.raises(TransactionConflict) as over:
        UnitOfWork(table).add(
            records.claim_op(fresh, lease=lease, stamp=now_), records.rate_slot_op(endpoint, 7, 1, 99)
        ).commit()
    assert over.value.reasons == ["None", "ConditionalCheckFailed"]
    assert "in_flight_until" not in (table.get(*_key(delivery)) or {})


def _key(delivery: Delivery) -> tuple[str, str]:
    return delivery_key(delivery.company_id, delivery.endpoint_id, delivery.event_id)


def test_deliveries_page_newest_first_filter_and_requeue() -> None:
    # GIVEN three deliveries of an endpoint, one failed
    table = MemoryTable()
    endpoint = _endpoint()
    _added(table, endpoint)
    records = DeliveryRepository(table, ttl_days=90)
    made = [_delivery(endpoint) for _ in range(3)]
    made[1] = made[1].model_copy(update={"status": "failed"})
    for delivery in made:
        records.add(delivery, {"id": delivery.event_id})
    request = PageRequest.parse(None, "2", 20)
    # WHEN the pages are read, with and without a filter
    page, pagination = records.page(COMPANY, endpoint.id, request, {}, DeliveryFilter())
    failed, _ = records.page(COMPANY, endpoint.id, request, {}, DeliveryFilter(status="failed"))
    # THEN newest event first, two per page with a cursor; the filter finds the failed one
    assert [d.id for d in page] == [made[2].id, made[1].id] and pagination["next_cursor"]
    assert [d.id for d in failed] == [made[1].id]
    # AND WHEN the failed one is re-queued, it is pending again and due now
    records.requeue([made[1]], "2026-01-01T00:00:00.000Z")
    again = records.by_id(made[1].id)
    assert again is not None and again.status == "pending" and again.next_attempt_at == "2026-01-01T00:00:00.000Z"
    assert {d.id for d in records.of_endpoint(COMPANY, endpoint.id)} == {d.id for d in made}


# --- the use cases end to end on memory -----------------------------------------------------------------
@dataclass
class Webhooks:
    table: MemoryTable
    api: WebhookService
    fan_out: FanOut
    worker: DeliveryWorker
    queue: ListQueue
    principal: Principal


@pytest.fixture
def webhooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhooks]:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():  # KMS only: the table is in memory
        kms = boto3.client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        settings = Settings(
            table_name="memory",
            local_mode=True,
            webhook_retry_schedule="0,0,0",
            webhook_timeout_seconds=2,
            webhook_secrets_key_id=key_id,
        )
        table, queue = MemoryTable(), ListQueue()
        vault = SecretVault(key_id, client=kms)
        principal = Principal("api_key", COMPANY, new_id(), frozenset({"read", "write"}), "api_key")
        yield Webhooks(
            table,
            WebhookService(table, settings, queue, vault=vault),
            FanOut(table, settings, queue),
            DeliveryWorker(table, settings, PinnedPoster(), vault=vault),
            queue,
            principal,
        )


def _test_event(hooks: Webhooks, endpoint_id: str) -> dict[str, Any]:
    """Emit ``webhook.test`` through the API and return the outbox event it wrote (what the stream hands over)."""
    event_id = hooks.api.send_test(hooks.principal, endpoint_id)["event_id"]
    (event,) = [i for i in hooks.table.query(f"COMPANY#{COMPANY}#EVENTS") if i["id"] == event_id]
    return event


def test_register_send_test_fan_out_and_deliver_signed_on_memory(webhooks: Webhooks) -> None:
    # GIVEN an endpoint registered through the API at a real local receiver
    receiver = Receiver(scripted(status(500), then=OK))
    try:
        created = webhooks.api.create(webhooks.principal, {"url": receiver.url, "events": ["webhook.test"]})
        endpoint_id = created["webhook"]["id"]
        # WHEN a test event is sent, fanned out, and the worker takes its message twice (500, then 200)
        assert webhooks.fan_out.handle(_test_event(webhooks, endpoint_id)) == 1
        (message,) = webhooks.queue.sent
        first = webhooks.worker.process(message)
        second = webhooks.worker.process(message)
        # THEN the first attempt failed and was rescheduled at once, the second one succeeded
        assert first == Outcome(done=False, delay=0, attempted=True) and second == Outcome(done=True, attempted=True)
        # AND the receiver got both, signed with the secret shown at creation
        posts = receiver.hooks()
        assert len(posts) == 2
        last = posts[-1]
        expected = signature_headers(
            [created["secret"]], message["event_id"], int(last.headers["webhook-timestamp"]), last.body
        )
        assert last.headers["webhook-signature"] == expected["webhook-signature"] and last.json["attempt"] == 2
        # AND the deliveries list shows the record with both attempts; the endpoint's health is back to good
        listed = webhooks.api.deliveries(webhooks.principal, endpoint_id, {})
        (row,) = listed["deliveries"]
        assert row["status"] == "succeeded" and [a["status_code"] for a in row["attempts"]] == [500, 200]
        endpoint = webhooks.api.get(webhooks.principal, endpoint_id)["webhook"]
        assert endpoint["consecutive_failures"] == 0 and endpoint["last_success_at"] and endpoint["version"] == 1
        # AND a repeat of the event by the stream sends nothing new
        assert webhooks.fan_out.handle(_test_event_again(webhooks, message)) == 0
        # AND a succeeded delivery can be re-queued through retry
        webhooks.api.retry(webhooks.principal, row["id"])
        assert webhooks.queue.sent[-1] == {**message, "replay": True}
    finally:
        receiver.close()


def _test_event_again(hooks: Webhooks, message: dict[str, Any]) -> dict[str, Any]:
    (event,) = [i for i in hooks.table.query(f"COMPANY#{COMPANY}#EVENTS") if i["id"] == message["event_id"]]
    return event


def test_edits_rotation_and_delete_through_the_api_on_memory(webhooks: Webhooks) -> None:
    # GIVEN a registered endpoint
    created = webhooks.api.create(webhooks.principal, {"url": "http://127.0.0.1:9/hooks", "description": "crm"})
    endpoint_id = created["webhook"]["id"]
    # WHEN it is edited and its secret rotated
    updated = webhooks.api.update(webhooks.principal, endpoint_id, {"description": "billing", "enabled": False})
    rotated = webhooks.api.rotate_secret(webhooks.principal, endpoint_id, {"grace_period_hours": 1})
    # THEN each write moved the version on, and two secrets sign during the grace period
    assert updated["webhook"]["description"] == "billing" and updated["webhook"]["version"] == 2
    assert rotated["webhook"]["version"] == 3 and rotated["previous_secret_expires_at"]
    assert webhooks.api.get(webhooks.principal, endpoint_id)["active_secrets"] == 2
    assert webhooks.api.list_endpoints(webhooks.principal, {})["pagination"]["total"] == 1
    # AND WHEN it is deleted, it is gone from reads and from the list and its count
    webhooks.api.delete(webhooks.principal, endpoint_id)
    with pytest.raises(NotFound):
        webhooks.api.get(webhooks.principal, endpoint_id)
    listed = webhooks.api.list_endpoints(webhooks.principal, {})
    assert listed["webhooks"] == [] and listed["pagination"]["total"] == 0


def test_a_stale_api_edit_is_a_conflict_on_memory(webhooks: Webhooks) -> None:
    # GIVEN an endpoint read by one request, then edited by another
    created = webhooks.api.create(webhooks.principal, {"url": "http://127.0.0.1:9/hooks"})
    stale = WebhookEndpoint.model_validate(created["webhook"])
    webhooks.api.update(webhooks.principal, stale.id, {"description": "first"})
    # WHEN the first request writes from its stale copy, THEN it is refused and the other edit stands
    with pytest.raises(Conflict):
        webhooks.api._change(stale, {"description": "second"})
    assert webhooks.api.get(webhooks.principal, stale.id)["webhook"]["description"] == "first"


def test_a_disabled_endpoint_gets_its_deliveries_skipped_and_recover_requeues_them(webhooks: Webhooks) -> None:
    # GIVEN a disabled endpoint and an event for it
    created = webhooks.api.create(webhooks.principal, {"url": "http://127.0.0.1:9/hooks", "enabled": False})
    endpoint_id = created["webhook"]["id"]
    event = _test_event(webhooks, endpoint_id)
    # WHEN it is fanned out, THEN no message is sent and the record is kept as skipped
    assert webhooks.fan_out.handle(event) == 0
    (row,) = webhooks.api.deliveries(webhooks.principal, endpoint_id, {"status": "skipped"})["deliveries"]
    # AND WHEN the window is recovered, the skipped record is re-queued
    recovered = webhooks.api.recover(webhooks.principal, endpoint_id, {"since": "2000-01-01T00:00:00Z"})
    assert recovered["recovered"] == 1 and webhooks.queue.sent[-1]["event_id"] == row["event_id"]
    assert webhooks.api.deliveries(webhooks.principal, endpoint_id, {})["deliveries"][0]["status"] == "pending"


def test_a_gone_endpoint_skips_the_delivery_without_a_post(webhooks: Webhooks) -> None:
    # GIVEN a delivery queued for an endpoint that is then deleted
    receiver = Receiver(always(OK))
    try:
        created = webhooks.api.create(webhooks.principal, {"url": receiver.url})
        endpoint_id = created["webhook"]["id"]
        webhooks.fan_out.handle(_test_event(webhooks, endpoint_id))
        webhooks.api.delete(webhooks.principal, endpoint_id)
        # WHEN the worker takes the message
        outcome = webhooks.worker.process(webhooks.queue.sent[-1])
        # THEN nothing is posted and the record is skipped
        assert outcome == Outcome(done=True) and receiver.hooks() == []
        stored, _ = webhooks.worker.records.with_endpoint(COMPANY, endpoint_id, webhooks.queue.sent[-1]["event_id"])
        assert stored is not None and stored.delivery.status == "skipped"
    finally:
        receiver.close()
