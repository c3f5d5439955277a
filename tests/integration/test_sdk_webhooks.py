"""``client.webhooks`` against the local stack, with a real receiver on 127.0.0.1 (stdlib ``http.server``).

Every method is exercised; every delivery the receiver gets is checked with ``knowrithm_py.webhooks.verify``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import pytest

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.models import WebhookDelivery
from knowrithm_py.webhooks import WebhookVerificationError, verify

pytestmark = pytest.mark.integration
WAIT_S = 15.0


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str
    company_id: str


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def envelope(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    """Records every POST and answers 200 at once."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def of_event(self, event_id: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.headers.get("webhook-id") == event_id]

    def wait_for(self, event_id: str, count: int = 1) -> list[Received]:
        wait_until(lambda: len(self.of_event(event_id)) >= count, f"{count} deliveries of {event_id}")
        return self.of_event(event_id)


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="module")
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture
def endpoints(client: KnowrithmClient) -> Iterator[list[str]]:
    """Ids of endpoints a test made; any still there at the end are deleted."""
    made: list[str] = []
    yield made
    listed = {w["id"] for w in client.webhooks.list_endpoints(per_page=100)["webhooks"]}
    for endpoint_id in made:
        if endpoint_id in listed:
            client.webhooks.delete_endpoint(endpoint_id)


def delivery_of(client: KnowrithmClient, endpoint_id: str, event_id: str, status: str) -> WebhookDelivery:
    """The endpoint's delivery of ``event_id`` once it has ``status`` (polled)."""
    found: list[WebhookDelivery] = []

    def ready() -> bool:
        listed = client.webhooks.list_deliveries(endpoint_id, per_page=100)["deliveries"]
        found[:] = [d for d in listed if d["event_id"] == event_id and d["status"] == status]
        return bool(found)

    wait_until(ready, f"delivery of {event_id} to be {status}")
    return found[0]


def settled(client: KnowrithmClient, endpoint_id: str, event_id: str, attempts: int = 1) -> WebhookDelivery:
    """The delivery of ``event_id`` once succeeded after ``attempts`` attempts, and once the worker has recorded
    the endpoint's health for it.

    The worker's health write bumps the endpoint's ``version``; an endpoint change (PUT, DELETE, rotate)
    racing it is answered 409 by the server (reported as a server issue), so changes wait for it here.
    """
    found: list[WebhookDelivery] = []

    def done() -> bool:
        delivery = delivery_of(client, endpoint_id, event_id, "succeeded")
        if delivery["attempt_count"] < attempts:
            return False
        found[:] = [delivery]
        last_success = client.webhooks.get_endpoint(endpoint_id)["webhook"].get("last_success_at")
        return bool(last_success) and str(last_success)[:16] >= delivery["attempts"][-1]["at"][:16]

    wait_until(done, f"the delivery of {event_id} and its health record")
    return found[0]


def test_event_types_list_every_event_with_its_schema(client: KnowrithmClient) -> None:
    # WHEN the catalogue is read
    types = {t["name"]: t for t in client.webhooks.list_event_types()["event_types"]}
    # THEN it names the documented events, each with a description and a JSON Schema of its data
    assert {"lead.created", "lead.updated", "conversation.started", "message.received", "webhook.test"} <= set(types)
    assert types["lead.created"]["schema"]["type"] == "object"
    assert {"id", "email"} <= set(types["lead.created"]["schema"]["properties"])
    assert all(t["description"] for t in types.values())


def test_register_receive_verify_list_retry_update_delete(
    client: KnowrithmClient, receiver: Receiver, endpoints: list[str], local_stack: LocalStack
) -> None:
    # GIVEN an endpoint registered for two events, with a custom header
    created = client.webhooks.create_endpoint(
        receiver.url,
        events=["webhook.test", "lead.created"],
        description="sdk integration",
        headers={"X-Sdk-Test": "yes"},
    )
    endpoint, secret = created["webhook"], created["secret"]
    endpoints.append(endpoint["id"])
    assert secret.startswith("whsec_")
    assert (endpoint["url"], endpoint["events"], endpoint["enabled"]) == (
        receiver.url,
        ["lead.created", "webhook.test"],
        True,
    )
    assert endpoint["company_id"] == local_stack.company_id
    # THEN it is listed and readable, without its secret
    assert endpoint["id"] in [w["id"] for w in client.webhooks.list_endpoints(per_page=100)["webhooks"]]
    details = client.webhooks.get_endpoint(endpoint["id"])
    assert details["active_secrets"] == 1 and secret not in json.dumps(details) and "secret" not in details["webhook"]

    # WHEN a test event is sent
    test_id = client.webhooks.send_test(endpoint["id"])["event_id"]
    # THEN the receiver gets it once, verifiable with the secret (both schemes), with the custom header
    (delivery,) = receiver.wait_for(test_id)
    envelope = verify(delivery.body, delivery.headers, secret)
    assert (envelope["id"], envelope["event"], envelope["attempt"]) == (test_id, "webhook.test", 1)
    assert envelope["data"]["endpoint_id"] == endpoint["id"]
    knowrithm_only = {"X-Knowrithm-Signature": delivery.headers["x-knowrithm-signature"]}
    assert verify(delivery.body, knowrithm_only, secret) == envelope
    assert delivery.headers["x-sdk-test"] == "yes"
    assert delivery.headers["x-knowrithm-event"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        verify(delivery.body, delivery.headers, "whsec_" + secret[6:][::-1])

    # WHEN a lead is created through the API
    email = f"hook-{uuid.uuid4().hex[:8]}@example.com"
    lead_id = client.leads.create_lead({"first_name": "Hedy", "last_name": "Hook", "email": email})["lead"]["id"]
    # THEN lead.created arrives, its data mirroring the lead
    wait_until(
        lambda: any(r.envelope["data"].get("id") == lead_id for r in receiver.received), "the lead.created delivery"
    )
    (lead_delivery,) = [r for r in receiver.received if r.envelope["data"].get("id") == lead_id]
    lead_event = verify(lead_delivery.body, lead_delivery.headers, secret)
    assert (lead_event["event"], lead_event["data"]["email"]) == ("lead.created", email)

    # WHEN the delivery log is read, whole and filtered
    first = settled(client, endpoint["id"], test_id)
    settled(client, endpoint["id"], lead_event["id"])
    tests_only = client.webhooks.list_deliveries(endpoint["id"], event_type="webhook.test", status="succeeded")
    future = client.webhooks.list_deliveries(endpoint["id"], since=datetime.now(UTC) + timedelta(hours=1))
    past = client.webhooks.list_deliveries(endpoint["id"], until="2000-01-01T00:00:00Z")
    one_per_page = client.webhooks.list_deliveries(endpoint["id"], page=1, per_page=1)
    # THEN the test delivery shows its successful attempt and the filters narrow the log
    assert (first["attempt_count"], first["attempts"][0]["status_code"]) == (1, 200)
    assert [d["event_id"] for d in tests_only["deliveries"]] == [test_id]
    assert future["deliveries"] == [] and past["deliveries"] == []
    assert len(one_per_page["deliveries"]) == 1 and one_per_page["pagination"]["total"] == 2

    # WHEN the delivered test event is retried by hand
    retried = client.webhooks.retry_delivery(first["id"])
    # THEN the receiver gets it again with the same webhook-id and the next attempt number
    assert retried["delivery_id"] == first["id"]
    again = receiver.wait_for(test_id, count=2)[1]
    assert verify(again.body, again.headers, secret)["attempt"] == 2
    assert settled(client, endpoint["id"], test_id, attempts=2)["attempts"][1]["status_code"] == 200

    # WHEN the endpoint is updated
    updated = client.webhooks.update_endpoint(endpoint["id"], description="renamed", events=["webhook.test"])
    # THEN the change shows, and a bad change is refused with the server's validation error
    assert (updated["webhook"]["description"], updated["webhook"]["events"]) == ("renamed", ["webhook.test"])
    with pytest.raises(KnowrithmAPIError) as invalid:
        client.webhooks.update_endpoint(endpoint["id"], events=["no.such.event"])
    assert (invalid.value.status_code, invalid.value.error_code) == (400, "validation_error")

    # WHEN it is deleted / THEN it is gone
    assert client.webhooks.delete_endpoint(endpoint["id"])["webhook_id"] == endpoint["id"]
    with pytest.raises(KnowrithmAPIError) as gone:
        client.webhooks.get_endpoint(endpoint["id"])
    assert (gone.value.status_code, gone.value.error_code) == (404, "not_found")
    assert endpoint["id"] not in [w["id"] for w in client.webhooks.list_endpoints(per_page=100)["webhooks"]]


def test_disabled_endpoint_skips_then_enable_and_recover_replays(
    client: KnowrithmClient, receiver: Receiver, endpoints: list[str]
) -> None:
    # GIVEN an endpoint created disabled
    since = datetime.now(UTC) - timedelta(seconds=5)
    created = client.webhooks.create_endpoint(receiver.url, events=["webhook.test"], enabled=False)
    endpoint_id, secret = created["webhook"]["id"], created["secret"]
    endpoints.append(endpoint_id)
    assert created["webhook"]["enabled"] is False
    # WHEN a test event is sent while it is disabled
    skipped_id = client.webhooks.send_test(endpoint_id)["event_id"]
    # THEN the delivery is recorded as skipped and nothing is sent
    delivery_of(client, endpoint_id, skipped_id, "skipped")
    assert receiver.of_event(skipped_id) == []
    assert client.webhooks.list_deliveries(endpoint_id, status="skipped")["pagination"]["total"] == 1

    # WHEN it is enabled again
    enabled = client.webhooks.enable_endpoint(endpoint_id)
    # THEN it is enabled, but the skipped event is not sent by that alone
    assert enabled["webhook"]["enabled"] is True
    time.sleep(1.0)
    assert receiver.of_event(skipped_id) == []

    # WHEN the window is recovered
    recovered = client.webhooks.recover(endpoint_id, since=since, until=datetime.now(UTC) + timedelta(seconds=5))
    # THEN the skipped event is re-queued and delivered, verifiably
    assert recovered["recovered"] == 1
    (delivery,) = receiver.wait_for(skipped_id)
    assert verify(delivery.body, delivery.headers, secret)["event"] == "webhook.test"
    settled(client, endpoint_id, skipped_id)
    # AND recovering again finds nothing left to replay
    assert client.webhooks.recover(endpoint_id, since=since)["recovered"] == 0


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    client: KnowrithmClient, receiver: Receiver, endpoints: list[str]
) -> None:
    # GIVEN an endpoint and its first secret
    created = client.webhooks.create_endpoint(receiver.url, events=["webhook.test"])
    endpoint_id, old = created["webhook"]["id"], created["secret"]
    endpoints.append(endpoint_id)
    # WHEN its secret is rotated with a one-hour grace period
    rotated = client.webhooks.rotate_secret(endpoint_id, grace_period_hours=1)
    new = rotated["secret"]
    # THEN the new secret differs, the old one expires in about an hour, and both are active
    assert new.startswith("whsec_") and new != old
    expires = datetime.fromisoformat(str(rotated["previous_secret_expires_at"]).replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    assert client.webhooks.get_endpoint(endpoint_id)["active_secrets"] == 2

    # WHEN an event is delivered during the grace period
    event_id = client.webhooks.send_test(endpoint_id)["event_id"]
    (delivery,) = receiver.wait_for(event_id)
    # THEN it carries two v1 signatures and verifies with either secret
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    assert verify(delivery.body, delivery.headers, new)["id"] == event_id
    assert verify(delivery.body, delivery.headers, old)["id"] == event_id
    # AND X-Knowrithm-Signature is made with the new secret only
    knowrithm_only = {"X-Knowrithm-Signature": delivery.headers["x-knowrithm-signature"]}
    assert verify(delivery.body, knowrithm_only, new)["id"] == event_id
    with pytest.raises(WebhookVerificationError, match="Bad signature"):
        verify(delivery.body, knowrithm_only, old)

    settled(client, endpoint_id, event_id)
    # WHEN it is rotated again without a grace period (the default body is also accepted)
    newest = client.webhooks.rotate_secret(endpoint_id, grace_period_hours=0)["secret"]
    # THEN only the newest secret signs what follows
    assert client.webhooks.get_endpoint(endpoint_id)["active_secrets"] == 1
    second_id = client.webhooks.send_test(endpoint_id)["event_id"]
    (second,) = receiver.wait_for(second_id)
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    assert verify(second.body, second.headers, newest)["id"] == second_id
    for retired in (old, new):
        with pytest.raises(WebhookVerificationError, match="Bad signature"):
            verify(second.body, second.headers, retired)
    settled(client, endpoint_id, second_id)
    assert client.webhooks.rotate_secret(endpoint_id)["previous_secret_expires_at"] is not None


def test_errors_come_back_as_knowrithm_api_errors(client: KnowrithmClient) -> None:
    # WHEN an unknown endpoint or delivery is used / THEN 404
    missing = str(uuid.uuid4())
    for call in (
        lambda: client.webhooks.get_endpoint(missing),
        lambda: client.webhooks.send_test(missing),
        lambda: client.webhooks.retry_delivery(missing),
        lambda: client.webhooks.recover(missing, since="2026-01-01T00:00:00Z"),
    ):
        with pytest.raises(KnowrithmAPIError) as caught:
            call()
        assert (caught.value.status_code, caught.value.error_code) == (404, "not_found")
    # WHEN an endpoint names an unknown event, or a grace period is out of range / THEN a validation error
    with pytest.raises(KnowrithmAPIError) as bad_event:
        client.webhooks.create_endpoint("http://127.0.0.1:9/x", events=["lead.exploded"])
    assert (bad_event.value.status_code, bad_event.value.error_code) == (400, "validation_error")
    assert "lead.exploded" in bad_event.value.message
    with pytest.raises(KnowrithmAPIError) as bad_grace:
        client.webhooks.rotate_secret(missing, grace_period_hours=169)
    assert (bad_grace.value.status_code, bad_grace.value.error_code) == (400, "validation_error")
