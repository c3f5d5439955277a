"""Webhooks end to end on the local stack: real HTTP, real SQS (moto server), a real scripted receiver.

The session's stack retries after 1, 1, 1 and 2 s (5 attempts) with a 2 s POST timeout (see conftest).
Every test registers its own endpoint and deletes it afterwards; events are told apart by a marker in
their data or by being ``webhook.test`` events aimed at one endpoint. The always-failing scenario takes
about 30 s to reach the DLQ (20 receives), so a module fixture starts it first and a late test checks it.
The fan-out test deletes a delivery queue for a moment, so it does so on a stack of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.integration.conftest import (
    WEBHOOK_RETRY_SCHEDULE,
    WEBHOOK_TIMEOUT_SECONDS,
    LocalStack,
    run_local_stack,
)
from tests.webhook_receiver import (
    OK,
    Received,
    Receiver,
    Responder,
    always,
    flaky,
    in_order,
    reset,
    scripted,
    slow,
    status,
)

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

pytestmark = pytest.mark.integration

T = TypeVar("T")
MAX_ATTEMPTS = len(WEBHOOK_RETRY_SCHEDULE.split(",")) + 1
QUEUE = "knowrithm-local-DeliveryQueue"
DLQ = "knowrithm-local-DeliveryDLQ"
FANOUT_FAILURES = "knowrithm-local-FanoutFailureQueue"
# What the queue is created with, from template.yaml (read back before deleting it, written again after).
QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


def eventually(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.25) -> T:
    """Poll ``check`` until it returns something other than None or False; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(interval)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Api:
    """``/api/v1`` of the local stack with the demo tenant's API key."""

    def __init__(self, stack: LocalStack) -> None:
        headers = {"X-API-Key": stack.api_key, "X-API-Secret": stack.api_secret}
        self.http = httpx.Client(base_url=f"{stack.origin}/api/v1", headers=headers, timeout=15)

    def call(self, method: str, path: str, body: Any = None, expect: int = 200, **params: str) -> dict[str, Any]:
        response = self.http.request(method, path, json=body, params=params or None)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        parsed: dict[str, Any] = response.json()
        return parsed

    def deliveries(self, endpoint_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.call("GET", f"/webhook/{endpoint_id}/deliveries", per_page="100")[
            "deliveries"
        ]
        return rows

    def delivery(self, endpoint_id: str, event_id: str) -> dict[str, Any] | None:
        return next((d for d in self.deliveries(endpoint_id) if d["event_id"] == event_id), None)

    def touch_agent(self, agent_id: str, marker: str) -> None:
        """Change the agent (one ``agent.updated`` event whose data carries ``marker``)."""
        self.call("PUT", f"/agent/{agent_id}", {"description": marker})


@dataclass
class Hook:
    id: str
    secret: str
    receiver: Receiver


def register(api: Api, responder: Responder, events: list[str]) -> Hook:
    receiver = Receiver(responder)
    created = api.call("POST", "/webhook", {"url": receiver.url, "events": events}, expect=201)
    return Hook(created["webhook"]["id"], created["secret"], receiver)


def unregister(api: Api, hook: Hook) -> None:
    api.call("DELETE", f"/webhook/{hook.id}")
    hook.receiver.close()


def marker_of(request: Received) -> str:
    return str(request.json["data"].get("description", ""))


def dlq_message(sqs: SQSClient, endpoint_id: str, event_id: str) -> dict[str, Any] | None:
    """The DLQ message of this delivery, if there is one (scans the whole DLQ once)."""
    url = sqs.get_queue_url(QueueName=DLQ)["QueueUrl"]
    seen: set[str] = set()
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=2, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            return None
        for message in fresh:
            seen.add(message["MessageId"])
            body = json.loads(message["Body"])
            if body.get("endpoint_id") == endpoint_id and body.get("event_id") == event_id:
                return dict(message)


def queue_depth(sqs: SQSClient, name: str) -> int:
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return sum(
        int(attributes.get(name) or 0)
        for name in (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
    )


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(local_stack: LocalStack) -> Iterator[Api]:
    client = Api(local_stack)
    yield client
    client.http.close()


def sqs_client(stack: LocalStack) -> SQSClient:
    return boto3.client(
        "sqs",
        endpoint_url=stack.aws_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def sqs(local_stack: LocalStack) -> SQSClient:
    return sqs_client(local_stack)


@pytest.fixture
def private_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """A stack of its own, like the session's, for a test that breaks its infrastructure on purpose."""
    yield from run_local_stack(tmp_path, check_exit=False)


@pytest.fixture
def hooks(api: Api) -> Iterator[Callable[[Responder, list[str]], Hook]]:
    """Register endpoints backed by fresh receivers; all deleted (and receivers closed) after the test."""
    made: list[Hook] = []

    def make(responder: Responder, events: list[str]) -> Hook:
        made.append(register(api, responder, events))
        return made[-1]

    yield make
    for hook in made:
        unregister(api, hook)


@pytest.fixture(scope="module")
def agent_id(api: Api) -> str:
    """An agent of our own to change (the demo agent's description is what other tests chat about)."""
    created = api.call("POST", "/agent", {"name": "webhook test agent", "description": "start"}, expect=201)
    return str(created["agent"]["id"])


@dataclass
class Doomed:
    hook: Hook
    event_id: str
    since: str


@pytest.fixture(scope="module", autouse=True)
def always_failing(api: Api) -> Iterator[Doomed]:
    """Started before the first test: a receiver that always answers 500 and one test event for it."""
    since = iso(datetime.now(UTC) - timedelta(seconds=5))
    hook = register(api, always(status(500)), ["webhook.test"])
    event_id = api.call("POST", f"/webhook/{hook.id}/test", expect=202)["event_id"]
    yield Doomed(hook, str(event_id), since)
    unregister(api, hook)


# --- tests ---------------------------------------------------------------------------------------


def test_registered_lead_arrives_with_both_signatures_valid(
    api: Api, hooks: Callable[[Responder, list[str]], Hook], local_stack: LocalStack
) -> None:
    # GIVEN an endpoint subscribed to lead.registered
    hook = hooks(always(OK), ["lead.registered"])
    email = f"lead-{uuid.uuid4().hex[:10]}@example.com"
    # WHEN a visitor registers as a lead through the public API
    registered = httpx.post(
        f"{local_stack.origin}/api/v1/lead/register",
        json={"agent_id": local_stack.agent_id, "first_name": "Ada", "last_name": "Lovelace", "email": email},
        timeout=15,
    )
    assert registered.status_code == 201, registered.text
    # THEN the receiver gets the event for that lead
    got = hook.receiver.wait_for(lambda hs: any(h.json["data"].get("email") == email for h in hs), 15)
    request = next(h for h in got if h.json["data"].get("email") == email)
    envelope = request.json
    assert set(envelope) == {"id", "event", "timestamp", "data", "attempt"}
    assert envelope["event"] == "lead.registered" and envelope["attempt"] == 1
    assert envelope["data"]["id"] == registered.json()["lead"]["id"]
    assert request.headers["webhook-id"] == envelope["id"]
    assert request.headers["x-knowrithm-event"] == "lead.registered"
    assert request.headers["content-type"] == "application/json" and request.headers["user-agent"]
    # AND the Standard Webhooks signature verifies with the reference library
    verified = Webhook(hook.secret).verify(request.body, request.headers)
    assert verified["id"] == envelope["id"]
    # AND the Knowrithm signature is sha256=<hex HMAC of the raw body keyed with the secret string>
    expected = "sha256=" + hmac.new(hook.secret.encode("utf-8"), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-knowrithm-signature"], expected)
    # AND a tampered body fails both checks
    tampered = request.body.replace(email.encode(), b"mallory@example.com")
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(hook.secret).verify(tampered, request.headers)
    wrong = "sha256=" + hmac.new(hook.secret.encode("utf-8"), tampered, hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(request.headers["x-knowrithm-signature"], wrong)


def test_receiver_failing_twice_gets_the_same_webhook_id_three_times(
    api: Api, hooks: Callable[[Responder, list[str]], Hook]
) -> None:
    # GIVEN a receiver that answers 500, then resets the connection, then 200
    hook = hooks(scripted(status(500), reset()), ["webhook.test"])
    # WHEN a test event is sent to it
    event_id = api.call("POST", f"/webhook/{hook.id}/test", expect=202)["event_id"]
    # THEN it arrives three times with the same webhook-id and attempts 1, 2, 3
    got = hook.receiver.wait_for(lambda hs: any(h.answered_ok for h in hs), 20)
    assert [h.webhook_id for h in got] == [event_id] * 3
    assert [h.json["attempt"] for h in got] == [1, 2, 3]
    assert [h.json["id"] for h in got] == [event_id] * 3
    assert len({h.headers["x-knowrithm-request-id"] for h in got}) == 3  # each attempt is its own request
    # AND the attempt log says the same: failed (500), failed (reset), succeeded
    delivery = eventually(
        lambda: (d := api.delivery(hook.id, event_id)) and d["status"] == "succeeded" and d, 5, "delivery succeeded"
    )
    attempts = delivery["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["outcome"] for a in attempts] == ["failed", "failed", "succeeded"]
    assert attempts[0]["status_code"] == 500
    assert attempts[1]["status_code"] is None and "reset" in attempts[1]["error"].lower()
    assert attempts[2]["status_code"] == 200


def test_retry_after_is_honoured_and_timeouts_and_redirects_are_failures(
    api: Api, hooks: Callable[[Responder, list[str]], Hook]
) -> None:
    # GIVEN a receiver that answers 429 (Retry-After: 3), then hangs past the timeout, then redirects to
    # another path of its own (a relative Location resolves there), then 200
    hint = 3
    hang = slow(WEBHOOK_TIMEOUT_SECONDS + 1.5)
    hook = hooks(
        scripted(status(429, Retry_After=str(hint)), hang, status(302, Location="/redirect-target")), ["webhook.test"]
    )
    # WHEN a test event is sent
    event_id = api.call("POST", f"/webhook/{hook.id}/test", expect=202)["event_id"]
    # THEN the fourth attempt succeeds
    got = hook.receiver.wait_for(lambda hs: any(h.answered_ok for h in hs), 30)
    assert [h.json["attempt"] for h in got] == [1, 2, 3, 4]
    assert {h.webhook_id for h in got} == {event_id}
    # AND the attempt after the 429 came no earlier than the hint (the schedule alone would say 1 s)
    assert got[1].at - got[0].at >= hint - 0.1, f"retried {got[1].at - got[0].at:.2f} s after the 429"
    delivery = eventually(
        lambda: (d := api.delivery(hook.id, event_id)) and d["status"] == "succeeded" and d, 5, "delivery succeeded"
    )
    first, hung, redirected, last = delivery["attempts"]
    assert first["status_code"] == 429 and first["outcome"] == "failed"
    assert (parse_iso(first["next_attempt_at"]) - parse_iso(first["at"])).total_seconds() >= hint
    assert parse_iso(hung["at"]) >= parse_iso(first["next_attempt_at"])
    # AND the hang counted as a timeout failure, the 302 as a failure, and the redirect was never followed
    assert hung["outcome"] == "failed" and hung["status_code"] is None and "timeout" in hung["error"].lower()
    assert hung["latency_ms"] < (WEBHOOK_TIMEOUT_SECONDS + 1) * 1000
    assert redirected["outcome"] == "failed" and redirected["status_code"] == 302
    assert last["outcome"] == "succeeded"
    assert [r.path for r in hook.receiver.received if r.path != "/hooks"] == []


def test_410_disables_the_endpoint_and_recover_replays_what_was_skipped(
    api: Api, hooks: Callable[[Responder, list[str]], Hook], agent_id: str
) -> None:
    # GIVEN an endpoint whose receiver answers its very first request 410 Gone, then 200
    since = iso(datetime.now(UTC) - timedelta(seconds=1))
    hook = hooks(in_order(status(410)), ["agent.updated"])
    tag = uuid.uuid4().hex[:8]
    # WHEN an event is delivered
    api.touch_agent(agent_id, f"gone-{tag}-1")
    # THEN the endpoint is disabled and that delivery failed
    eventually(lambda: not api.call("GET", f"/webhook/{hook.id}")["webhook"]["enabled"], 15, "endpoint disabled")
    endpoint = api.call("GET", f"/webhook/{hook.id}")["webhook"]
    assert "410" in endpoint["disabled_reason"]
    # WHEN two more events happen while it is disabled
    api.touch_agent(agent_id, f"gone-{tag}-2")
    api.touch_agent(agent_id, f"gone-{tag}-3")

    # THEN they are recorded as skipped, and nothing more is sent
    def statuses() -> list[str] | None:
        rows = api.deliveries(hook.id)
        settled = len(rows) == 3 and all(d["status"] != "pending" for d in rows)
        return sorted(d["status"] for d in rows) if settled else None

    assert eventually(statuses, 15, "three settled deliveries") == ["failed", "skipped", "skipped"]
    assert len(hook.receiver.hooks()) == 1
    # WHEN the endpoint is enabled again and the window is recovered
    assert api.call("POST", f"/webhook/{hook.id}/enable")["webhook"]["enabled"] is True
    recovered = api.call("POST", f"/webhook/{hook.id}/recover", {"since": since}, expect=202)
    assert recovered["recovered"] == 3
    # THEN all three events arrive, and every delivery ends succeeded
    wanted = {f"gone-{tag}-{i}" for i in (1, 2, 3)}
    hook.receiver.wait_for(lambda hs: wanted <= {marker_of(h) for h in hs if h.answered_ok}, 20)
    eventually(lambda: {d["status"] for d in api.deliveries(hook.id)} == {"succeeded"}, 10, "all succeeded")


def test_no_event_is_lost_with_a_flaky_receiver(
    api: Api, hooks: Callable[[Responder, list[str]], Hook], sqs: SQSClient, agent_id: str
) -> None:
    # GIVEN a receiver failing about 30 % of attempts (seeded: the same decision for an event's n-th attempt)
    hook = hooks(flaky(0.3, seed=20261124), ["agent.updated"])
    tag = uuid.uuid4().hex[:8]
    markers = {f"flaky-{tag}-{i:02d}" for i in range(20)}
    # WHEN 20 changes happen
    for marker in sorted(markers):
        api.touch_agent(agent_id, marker)

    # THEN every event settles: delivered, or failed after the last attempt
    last: list[list[dict[str, Any]]] = [[]]

    def settled() -> list[dict[str, Any]] | None:
        last[0] = rows = api.deliveries(hook.id)
        done = len(rows) == len(markers) and all(d["status"] in {"succeeded", "failed"} for d in rows)
        return rows if done else None

    try:
        deliveries = eventually(settled, 45, "20 deliveries settled", interval=0.5)
    except pytest.fail.Exception:
        summary = [(d["event_id"][-6:], d["status"], d["attempt_count"], d["next_attempt_at"]) for d in last[0]]
        pytest.fail(f"{len(last[0])} deliveries, not all settled: {summary}")
    requests = hook.receiver.hooks()
    # AND the receiver saw every event (dedup by webhook-id), each with the attempts the log records
    assert {marker_of(r) for r in requests} == markers
    for delivery in deliveries:
        mine = [r for r in requests if r.webhook_id == delivery["event_id"]]
        assert [r.json["attempt"] for r in mine] == [a["attempt"] for a in delivery["attempts"]]
        assert [r.answered_ok for r in mine] == [a["outcome"] == "succeeded" for a in delivery["attempts"]]
        if delivery["status"] == "succeeded":
            assert mine[-1].answered_ok
        else:  # failed every attempt: in the attempt log and in the DLQ
            assert len(delivery["attempts"]) == MAX_ATTEMPTS
            event_id = str(delivery["event_id"])
            eventually(partial(dlq_message, sqs, hook.id, event_id), 40, f"{event_id} in the DLQ", interval=1)
    assert any(not r.answered_ok for r in requests), "the receiver never failed: the test proved nothing"


def test_always_failing_receiver_ends_in_the_dlq_and_the_attempt_log_and_recovers(
    api: Api, sqs: SQSClient, always_failing: Doomed
) -> None:
    # GIVEN the receiver started at the beginning of the module, answering 500 to everything
    hook, event_id = always_failing.hook, always_failing.event_id

    # WHEN every attempt has failed
    def failed() -> dict[str, Any] | None:
        delivery = api.delivery(hook.id, event_id)
        return delivery if delivery and delivery["status"] == "failed" else None

    delivery = eventually(failed, 30, "the delivery to be marked failed")
    # THEN the attempt log holds every attempt, each a failure, with no next attempt after the last
    attempts = delivery["attempts"]
    assert [a["attempt"] for a in attempts] == list(range(1, MAX_ATTEMPTS + 1))
    assert {a["outcome"] for a in attempts} == {"failed"} and {a["status_code"] for a in attempts} == {500}
    assert attempts[-1]["next_attempt_at"] is None
    assert [r.json["attempt"] for r in hook.receiver.attempts(event_id)] == list(range(1, MAX_ATTEMPTS + 1))
    # AND the queue's redrive policy moved the message to the DLQ
    message = eventually(lambda: dlq_message(sqs, hook.id, event_id), 40, "the message in the DLQ", interval=1)
    assert int(message["Attributes"]["ApproximateReceiveCount"]) >= 20  # maxReceiveCount in template.yaml
    # WHEN the receiver is healthy again and the window is recovered
    hook.receiver.responder = always(OK)
    recovered = api.call("POST", f"/webhook/{hook.id}/recover", {"since": always_failing.since}, expect=202)
    assert recovered["recovered"] == 1
    # THEN the event arrives with the same webhook-id, and the log ends succeeded
    hook.receiver.wait_for(lambda hs: any(h.webhook_id == event_id and h.answered_ok for h in hs), 15)
    final = eventually(
        lambda: (d := api.delivery(hook.id, event_id)) and d["status"] == "succeeded" and d, 5, "delivery succeeded"
    )
    assert final["attempts"][-1]["outcome"] == "succeeded"
    assert final["attempts"][-1]["attempt"] == MAX_ATTEMPTS + 1
    replayed = dlq_message(sqs, hook.id, event_id)  # the operator's last step: drop what was replayed
    if replayed:
        sqs.delete_message(
            QueueUrl=sqs.get_queue_url(QueueName=DLQ)["QueueUrl"], ReceiptHandle=replayed["ReceiptHandle"]
        )


def test_fanout_failing_after_the_commit_still_delivers(private_stack: LocalStack) -> None:
    # GIVEN a stack of its own (its delivery queue is about to be deleted) with an endpoint for agent.updated
    api, sqs = Api(private_stack), sqs_client(private_stack)
    hook = register(api, always(OK), ["agent.updated"])
    agent = api.call("POST", "/agent", {"name": "fan-out probe", "description": "start"}, expect=201)["agent"]["id"]
    queue_url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    current = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    attributes = {k: v for k, v in current.items() if k in QUEUE_ATTRIBUTES}
    assert "RedrivePolicy" in attributes
    log = private_stack.log_path.open(encoding="utf-8", errors="replace")
    log.seek(0, 2)
    marker = f"fanout-{uuid.uuid4().hex[:8]}"
    text: list[str] = []
    # WHEN the delivery queue disappears (the fan-out's send fails) and then a change commits
    sqs.delete_queue(QueueUrl=queue_url)
    try:
        api.touch_agent(agent, marker)
        assert api.call("GET", f"/agent/{agent}")["agent"]["description"] == marker  # committed

        def fanout_failed() -> bool:
            text.append(log.read())
            joined = "".join(text)
            return "EventFanoutFunction failed a batch" in joined and "QueueDoesNotExist" in joined

        # THEN the fan-out fails (the stream poller retries the record; 50 retries take about 10 s)
        eventually(fanout_failed, 8, "the fan-out to fail on the missing queue", interval=0.1)
    finally:
        # WHEN the queue comes back with the same name and attributes
        recreated = sqs.create_queue(QueueName=QUEUE, Attributes=attributes)["QueueUrl"]
    assert recreated == queue_url
    again = sqs.get_queue_attributes(QueueUrl=recreated, AttributeNames=["All"])["Attributes"]
    assert json.loads(again["RedrivePolicy"]) == json.loads(attributes["RedrivePolicy"])
    # THEN the event is still delivered, once, on its first attempt
    got = hook.receiver.wait_for(lambda hs: any(marker_of(h) == marker for h in hs), 20)
    mine = [h for h in got if marker_of(h) == marker]
    assert [h.json["attempt"] for h in mine] == [1]
    # AND it was the stream's retry that delivered it: nothing went to the on-failure destination
    text.append(log.read())
    log.close()
    assert f"event_id={mine[0].webhook_id}" in "".join(text)  # the "fanned out" line of the retry (compact log format)
    assert queue_depth(sqs, FANOUT_FAILURES) == 0
    unregister(api, hook)
    api.http.close()
