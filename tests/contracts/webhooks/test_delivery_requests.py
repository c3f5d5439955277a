"""The delivery worker's DynamoDB requests: three per attempt (one BatchGetItem, a claim that also takes the
endpoint's rate slot, a record that also updates the endpoint's health), how each merged transaction tells its
operations apart when it is cancelled, and that a write of one item is a plain UpdateItem, not a transaction."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.auth import Principal
from knowrithm_core.container import Services
from knowrithm_core.ids import iso, new_id, now
from knowrithm_core.services import delivery as delivery_module
from knowrithm_core.services.delivery import Outcome
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Update, WriteOp
from knowrithm_core.store.repositories.webhooks import deliveries_pk
from knowrithm_core.store.table import DynamoTable, TransactionConflict
from tests.component.webhooks.conftest import Receiver, Script
from tests.stack import Tenant, dynamodb_calls, missing_dynamodb_actions

# read both items; claim alone (no rate limit); record + health (a fresh endpoint's first result)
ONE_ATTEMPT = ["BatchGetItem", "UpdateItem", "TransactWriteItems"]


def _endpoint(client: TestClient, tenant: Tenant, url: str, rate: float | None = None) -> str:
    body: dict[str, Any] = {"url": url, "events": ["webhook.test"]}
    if rate is not None:
        body["rate_limit_per_second"] = rate
    response = client.post("/api/v1/webhook", json=body, headers=tenant.key_headers)
    assert response.status_code == 201, response.text
    return str(response.json()["webhook"]["id"])


def _queued(services: Services, tenant: Tenant, endpoint_id: str) -> dict[str, Any]:
    """Fan one ``webhook.test`` event out to the endpoint; returns its delivery message (left in the queue)."""
    event = {
        "id": new_id(),
        "event": "webhook.test",
        "company_id": tenant.company_id,
        "timestamp": iso(),
        "data": {"message": "probe", "endpoint_id": endpoint_id},
        "target_endpoint_id": endpoint_id,
    }
    assert services.fan_out().handle(event) == 1
    assert services.delivery_queue is not None
    got = boto3.client("sqs").receive_message(QueueUrl=services.delivery_queue.queue_url)["Messages"]
    message: dict[str, Any] = json.loads(got[0]["Body"])
    return message


def _record(services: Services, message: dict[str, Any]) -> dict[str, Any]:
    item = services.table.get(
        deliveries_pk(message["company_id"], message["endpoint_id"]), f"DELIVERY#{message['event_id']}"
    )
    assert item is not None
    return item


def _endpoint_item(services: Services, tenant: Tenant, endpoint_id: str) -> dict[str, Any] | None:
    return services.table.get(keys.company_pk(tenant.company_id), f"WEBHOOK#{endpoint_id}")


def _frozen(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The worker's clock stops now, so a rate window cannot roll over under the test."""
    moment = now()
    monkeypatch.setattr(delivery_module, "now", lambda: moment)
    return moment


def _rate_item(services: Services, message: dict[str, Any], moment: datetime, window: int) -> dict[str, Any] | None:
    slot = int(moment.timestamp()) // window
    return services.table.get(deliveries_pk(message["company_id"], message["endpoint_id"]), f"RATE#{slot}")


@pytest.mark.parametrize(
    ("rate", "claim"),
    [(None, "UpdateItem"), (100.0, "TransactWriteItems")],
    ids=["no rate limit: the claim alone", "rate limited: claim + rate slot"],
)
def test_a_successful_delivery_makes_three_dynamodb_requests(
    webhook_client: TestClient,
    webhook_services: Services,
    tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    rate: float | None,
    claim: str,
    template: dict[str, Any],
) -> None:
    # GIVEN a fresh endpoint (its first success also records its health) and one queued delivery
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url, rate)
    message = _queued(webhook_services, tenant, endpoint_id)
    moment = now() + timedelta(seconds=30)  # the worker's clock stops a little ahead: both deliveries are due
    monkeypatch.setattr(delivery_module, "now", lambda: moment)
    worker = webhook_services.delivery_worker()
    # WHEN the worker delivers it
    with dynamodb_calls(webhook_services) as calls:
        outcome = worker.process(message)
    # THEN it took three requests: read both items at once, claim (+ rate slot), record + health
    assert outcome == Outcome(done=True, attempted=True) and len(receiver.received) == 1
    assert len(calls) <= 3 and calls == ["BatchGetItem", claim, "TransactWriteItems"]
    assert missing_dynamodb_actions(template, "WebhookDeliveryFunction", calls) == set()  # and IAM allows them
    record = _record(webhook_services, message)
    assert record["status"] == "succeeded" and record["attempt_count"] == 1 and "in_flight_until" not in record
    stored = _endpoint_item(webhook_services, tenant, endpoint_id)
    assert stored is not None and stored["last_success_at"] == record["attempts"][0]["at"]
    assert stored["consecutive_failures"] == 0 and stored["version"] == 1  # health does not bump the version
    # AND WHEN a second delivery succeeds in the same minute (nothing new to say about the endpoint's health)
    second = _queued(webhook_services, tenant, endpoint_id)
    with dynamodb_calls(webhook_services) as calls:
        outcome = worker.process(second)
    # THEN the record is written alone, as a plain UpdateItem rather than a one-item transaction
    assert outcome == Outcome(done=True, attempted=True) and len(receiver.received) == 2
    assert calls == ["BatchGetItem", claim, "UpdateItem"]
    assert missing_dynamodb_actions(template, "WebhookDeliveryFunction", calls) == set()
    record = _record(webhook_services, second)
    assert record["status"] == "succeeded" and record["attempt_count"] == 1 and "in_flight_until" not in record


def test_a_failed_attempt_records_it_and_counts_the_failure_in_one_transaction(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    # GIVEN an endpoint that answers 500
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url)
    message = _queued(webhook_services, tenant, endpoint_id)
    receiver.script = [Script(500)]
    # WHEN the worker tries it
    with dynamodb_calls(webhook_services) as calls:
        outcome = webhook_services.delivery_worker().process(message)
    # THEN the attempt and the endpoint's failure were written by the same three requests
    assert outcome.attempted and not outcome.done and calls == ONE_ATTEMPT
    record = _record(webhook_services, message)
    assert record["status"] == "pending" and [a["status_code"] for a in record["attempts"]] == [500]
    stored = _endpoint_item(webhook_services, tenant, endpoint_id)
    assert stored is not None and stored["consecutive_failures"] == 1 and stored["failing_since"]
    assert stored["enabled"] is True and stored["version"] == 1


def test_over_the_rate_limit_the_attempt_is_not_claimed_and_waits_for_the_next_window(
    webhook_client: TestClient,
    webhook_services: Services,
    tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN an endpoint allowed one delivery per 5 s whose current window is already used up
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url, rate=0.2)
    message = _queued(webhook_services, tenant, endpoint_id)
    moment = _frozen(monkeypatch)
    slot = int(moment.timestamp()) // 5
    pk = deliveries_pk(tenant.company_id, endpoint_id)
    webhook_services.table.write([Update((pk, f"RATE#{slot}"), set={"sent": 1})])
    # WHEN the worker takes the delivery
    with dynamodb_calls(webhook_services) as calls:
        outcome = webhook_services.delivery_worker().process(message)
    # THEN the merged transaction was cancelled by the rate slot: retry next window, nothing claimed or sent
    assert outcome == Outcome(done=False, delay=5) and calls == ["BatchGetItem", "TransactWriteItems"]
    assert receiver.received == []
    record = _record(webhook_services, message)
    assert record["attempt_count"] == 0 and "in_flight_until" not in record and record["status"] == "pending"
    assert _rate_item(webhook_services, message, moment, 5) == {"PK": pk, "SK": f"RATE#{slot}", "sent": 1}


@pytest.mark.parametrize(
    ("rate", "window_full"),
    [(None, False), (0.2, False), (0.2, True)],
    ids=["no rate limit", "rate slot free", "rate slot also full"],
)
def test_a_claim_held_by_another_worker_backs_off_without_using_the_rate_slot(
    webhook_client: TestClient,
    webhook_services: Services,
    tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    rate: float | None,
    window_full: bool,
) -> None:
    # GIVEN an endpoint (rate-limited: one per 5 s) and a delivery another worker is sending right now
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url, rate=rate)
    message = _queued(webhook_services, tenant, endpoint_id)
    moment = _frozen(monkeypatch)
    record = _record(webhook_services, message)
    lease = iso(moment + timedelta(seconds=30))
    webhook_services.table.write([Update((record["PK"], record["SK"]), set={"in_flight_until": lease})])
    if window_full:
        slot = int(moment.timestamp()) // 5
        pk = deliveries_pk(tenant.company_id, endpoint_id)
        webhook_services.table.write([Update((pk, f"RATE#{slot}"), set={"sent": 1})])
    worker = webhook_services.delivery_worker()
    # WHEN a duplicate message of it is processed
    with dynamodb_calls(webhook_services) as calls:
        outcome = worker.process(message)
    # THEN the lost claim backs off for a POST's timeout (the full window still wins, as it was checked first)
    timeout_backoff = math.ceil(webhook_services.settings.webhook_timeout_seconds) + 5
    assert outcome == Outcome(done=False, delay=5 if window_full else timeout_backoff)
    claim = "UpdateItem" if rate is None else "TransactWriteItems"  # the claim alone is a conditional UpdateItem
    assert calls == ["BatchGetItem", claim] and receiver.received == []
    # AND the rate counter was not consumed by the lost claim, and the other worker's lease stands
    rate_item = _rate_item(webhook_services, message, moment, 5)
    assert (rate_item or {}).get("sent", 0) == (1 if window_full else 0)
    assert _record(webhook_services, message)["in_flight_until"] == lease


def test_an_endpoint_item_gone_during_the_post_still_gets_the_attempt_recorded(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    # GIVEN a delivery whose endpoint item disappears while the POST is on the wire
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url)
    message = _queued(webhook_services, tenant, endpoint_id)
    worker = webhook_services.delivery_worker()
    post = worker.poster.post

    def post_then_vanish(*args: Any, **kwargs: Any) -> Any:
        key = {"PK": {"S": keys.company_pk(tenant.company_id)}, "SK": {"S": f"WEBHOOK#{endpoint_id}"}}
        webhook_services.table.client.delete_item(TableName=webhook_services.table.table_name, Key=key)
        return post(*args, **kwargs)

    worker.poster.post = post_then_vanish  # type: ignore[method-assign]
    # WHEN the worker records the attempt
    with dynamodb_calls(webhook_services) as calls:
        outcome = worker.process(message)
    # THEN the health update's condition cancelled the merged transaction, and the record was written alone
    assert outcome == Outcome(done=True, attempted=True)
    assert calls == ["BatchGetItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "UpdateItem"]
    record = _record(webhook_services, message)
    assert record["status"] == "succeeded" and record["attempt_count"] == 1
    # AND no stray endpoint item was created by the health update
    assert _endpoint_item(webhook_services, tenant, endpoint_id) is None


def test_an_endpoint_deleted_through_the_api_during_the_post_still_gets_record_and_health_at_once(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, receiver: Receiver
) -> None:
    # GIVEN a delivery whose endpoint the user deletes (soft delete) while the POST is on the wire
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url)
    message = _queued(webhook_services, tenant, endpoint_id)
    receiver.script = [Script(500)]
    worker = webhook_services.delivery_worker()
    post = worker.poster.post

    principal = Principal("api_key", tenant.company_id, new_id(), frozenset({"read", "write"}), "api_key")

    def post_then_delete(*args: Any, **kwargs: Any) -> Any:
        webhook_services.webhooks.delete(principal, endpoint_id)  # what DELETE /webhook/{id} does
        return post(*args, **kwargs)

    worker.poster.post = post_then_delete  # type: ignore[method-assign]
    with dynamodb_calls(webhook_services) as calls:
        outcome = worker.process(message)
    # THEN the merged transaction went through (three requests; the delete's GetItem + TransactWriteItems, with the
    # company's endpoint counter, are not the worker's)
    expected = ["BatchGetItem", "UpdateItem", "GetItem", "TransactWriteItems", "TransactWriteItems"]
    assert outcome.attempted and calls == expected
    assert _record(webhook_services, message)["attempt_count"] == 1
    stored = _endpoint_item(webhook_services, tenant, endpoint_id)
    assert stored is not None and stored["deleted_at"] and stored["consecutive_failures"] == 1
    assert stored["version"] == 2  # the delete's bump only


def test_a_concurrent_transaction_on_the_endpoint_records_alone_then_retries_the_health_update(
    webhook_client: TestClient,
    webhook_services: Services,
    tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the record transaction is cancelled once because another transaction held the endpoint item
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url)
    message = _queued(webhook_services, tenant, endpoint_id)
    receiver.script = [Script(500)]
    write = DynamoTable.write
    sizes: list[int] = []

    def conflict_once(table: DynamoTable, operations: Sequence[WriteOp]) -> None:
        sizes.append(len(operations))
        if len(operations) == 2 and "attempts" in str(operations[0]) and sizes.count(2) == 1:
            raise TransactionConflict("conflict", ["None", "TransactionConflict"])
        write(table, operations)

    monkeypatch.setattr(DynamoTable, "write", conflict_once)
    # WHEN the worker records the failed attempt
    with dynamodb_calls(webhook_services) as calls:
        outcome = webhook_services.delivery_worker().process(message)
    # THEN the attempt is recorded on its own and the failure is counted once, by a second try of the update
    # (each a plain UpdateItem; the cancelled transaction was faked above, so it made no request)
    assert outcome.attempted and sizes == [1, 2, 1, 1]
    assert calls == ["BatchGetItem", "UpdateItem", "UpdateItem", "UpdateItem"]
    assert _record(webhook_services, message)["attempts"][0]["status_code"] == 500
    stored = _endpoint_item(webhook_services, tenant, endpoint_id)
    assert stored is not None and stored["consecutive_failures"] == 1 and stored["version"] == 1


def _hot(services: Services, tenant: Tenant, endpoint_id: str, moment: datetime) -> None:
    """The endpoint succeeded this minute already: a new success has nothing to add to its health."""
    key = (keys.company_pk(tenant.company_id), f"WEBHOOK#{endpoint_id}")
    services.table.write([Update(key, set={"last_success_at": iso(moment), "consecutive_failures": 0})])


@pytest.mark.parametrize(
    ("hot", "record_write"),
    [(False, "TransactWriteItems"), (True, "UpdateItem")],
    ids=["record with health (transaction)", "record alone (conditional UpdateItem)"],
)
def test_a_record_already_written_by_another_worker_is_not_written_again(
    webhook_client: TestClient,
    webhook_services: Services,
    tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    hot: bool,
    record_write: str,
) -> None:
    # GIVEN another worker records this attempt while ours is on the wire (its lease had expired); on a hot
    # endpoint our record goes alone, otherwise with the endpoint's health
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url)
    message = _queued(webhook_services, tenant, endpoint_id)
    if hot:
        _hot(webhook_services, tenant, endpoint_id, _frozen(monkeypatch))
    worker = webhook_services.delivery_worker()
    post = worker.poster.post

    def post_while_another_records(*args: Any, **kwargs: Any) -> Any:
        record = _record(webhook_services, message)
        webhook_services.table.write([Update((record["PK"], record["SK"]), set={"attempt_count": 1})])
        return post(*args, **kwargs)

    worker.poster.post = post_while_another_records  # type: ignore[method-assign]
    with dynamodb_calls(webhook_services) as calls:
        outcome = worker.process(message)
    # THEN our record write is refused by its own condition (either form means: someone else's), with no retry
    # alone and no health update (the GetItem and the second UpdateItem are the other worker's)
    assert outcome == Outcome(done=False, delay=1, attempted=True)
    assert calls == ["BatchGetItem", "UpdateItem", "GetItem", "UpdateItem", record_write]
    assert _record(webhook_services, message)["attempts"] == []
    if not hot:
        stored = _endpoint_item(webhook_services, tenant, endpoint_id)
        assert stored is not None and "last_success_at" not in stored


@pytest.mark.parametrize("write", ["claim", "record"])
def test_an_update_item_meeting_a_concurrent_transaction_is_handled_like_a_cancelled_transaction(
    webhook_client: TestClient,
    webhook_services: Services,
    tenant: Tenant,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    write: str,
) -> None:
    # GIVEN a hot endpoint (claim and record each go alone, as UpdateItem) and DynamoDB answering one of them
    # with TransactionConflictException (another transaction is changing the delivery record)
    endpoint_id = _endpoint(webhook_client, tenant, receiver.url)
    message = _queued(webhook_services, tenant, endpoint_id)
    _hot(webhook_services, tenant, endpoint_id, _frozen(monkeypatch))
    client = webhook_services.table.client
    real = client.update_item

    def is_target(names: set[str]) -> bool:  # the claim only sets the lease; the record appends the attempt
        return "attempts" in names if write == "record" else names == {"in_flight_until", "attempt_count"}

    def busy(**kwargs: Any) -> Any:
        if is_target(set(kwargs.get("ExpressionAttributeNames", {}).values())):
            error = {"Error": {"Code": "TransactionConflictException", "Message": "busy"}}
            raise client.exceptions.TransactionConflictException(error, "UpdateItem")
        return real(**kwargs)

    monkeypatch.setattr(client, "update_item", busy)
    # WHEN the worker processes the delivery
    outcome = webhook_services.delivery_worker().process(message)
    # THEN it is what a transaction cancelled with TransactionConflict led to: a lost claim backs off for a POST's
    # timeout without sending; a refused record is left to the next try of the message
    if write == "claim":
        timeout_backoff = math.ceil(webhook_services.settings.webhook_timeout_seconds) + 5
        assert outcome == Outcome(done=False, delay=timeout_backoff) and receiver.received == []
    else:
        assert outcome == Outcome(done=False, delay=1, attempted=True) and len(receiver.received) == 1
        assert _record(webhook_services, message)["attempts"] == []


def test_batch_get_returns_found_items_by_key_and_asks_again_for_unprocessed_keys(
    webhook_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN two stored items, and DynamoDB leaving one key unprocessed on the first request
    table = webhook_services.table
    table.batch_put([{"PK": "P#1", "SK": "A", "n": 1}, {"PK": "P#1", "SK": "B", "n": 2.5}])
    real = table.client.batch_get_item
    requests: list[int] = []

    def throttled(**kwargs: Any) -> dict[str, Any]:
        wanted = kwargs["RequestItems"][table.table_name]
        requests.append(len(wanted["Keys"]))
        if len(requests) > 1:
            response: dict[str, Any] = real(**kwargs)
            return response
        first: dict[str, Any] = real(RequestItems={table.table_name: {**wanted, "Keys": wanted["Keys"][:1]}})
        first["UnprocessedKeys"] = {table.table_name: {**wanted, "Keys": wanted["Keys"][1:]}}
        return first

    monkeypatch.setattr(table.client, "batch_get_item", throttled)
    # WHEN three keys (one missing, one repeated) are read
    found = table.batch_get([("P#1", "A"), ("P#1", "B"), ("P#1", "missing"), ("P#1", "A")])
    # THEN the unprocessed keys were asked again, duplicates sent once, and items come back by key
    assert requests == [3, 2]
    assert found == {("P#1", "A"): {"PK": "P#1", "SK": "A", "n": 1}, ("P#1", "B"): {"PK": "P#1", "SK": "B", "n": 2.5}}
