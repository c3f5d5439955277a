"""The Slack connector: settings with sealed secrets, a thread per handoff (posted off the request path by the
delivery worker through the official slack_sdk against a fake Slack on loopback), thread replies as operator
messages, and Slack's request signature checked before anything changes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from knowrithm_core.store.table import stream_item
from local.template import Stack
from tests.gateway import Gateway
from tests.slack_fake import GOOD_TOKEN, SIGNING_SECRET, FakeSlack, signed, thread_reply
from tests.stack import Tenant, new_conversation

CHANNEL = "C0SUPPORT"
EVENTS = "/api/v1/integrations/slack/events"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def slack_services(services: Services, stack: Stack, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Services:
    """Services whose Slack client talks to the fake, with the real delivery queue."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.physical_name("DeliveryQueue"))["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    monkeypatch.setenv("SLACK_API_BASE_URL", slack.base_url)
    get_settings.cache_clear()
    get_services.cache_clear()
    return get_services()


@pytest.fixture
def api(slack_services: Services, gateway: Gateway) -> TestClient:
    return TestClient(gateway, raise_server_exceptions=False)


def _connect(api: TestClient, tenant: Tenant, **overrides: str) -> Any:
    body = {"bot_token": GOOD_TOKEN, "signing_secret": SIGNING_SECRET, "channel": CHANNEL, **overrides}
    return api.post("/api/v1/integrations/slack", json=body, headers=tenant.key_headers)


def _pump(services: Services) -> list[str]:
    """Fan out the outbox events not yet seen, then run the delivery worker once over the queue."""
    from knowrithm_core.workers.delivery import delivery_jobs

    raw = services.table.client.scan(TableName=services.table.table_name)["Items"]
    for item in sorted((stream_item(i) for i in raw if i.get("_type", {}).get("S") == "event"), key=lambda e: e["id"]):
        if item["id"] not in _pump.seen:  # type: ignore[attr-defined]
            _pump.seen.add(item["id"])  # type: ignore[attr-defined]
            services.fan_out().handle(item)
    assert services.delivery_queue is not None
    queue_url = services.delivery_queue.queue_url
    got = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]} for m in got]
    jobs = delivery_jobs(services.delivery_worker(), services.settings, services.delivery_queue, services.slack_relay)
    failed = {f["itemIdentifier"] for f in jobs.process({"Records": records})["batchItemFailures"]}
    for message in got:
        if message["MessageId"] not in failed:
            boto3.client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(failed)


_pump.seen = set()  # type: ignore[attr-defined]


def _slack_items(services: Services, tenant: Tenant) -> list[dict[str, Any]]:
    return services.table.query(f"COMPANY#{tenant.company_id}#SLACK")


def test_connecting_checks_the_token_and_never_returns_or_stores_a_secret(
    api: TestClient, slack_services: Services, tenant: Tenant, slack: FakeSlack
) -> None:
    # GIVEN a bad token THEN 400 and nothing stored
    refused = _connect(api, tenant, bot_token="xoxb-wrong-token-0000")
    assert refused.status_code == 400 and "invalid_auth" in refused.json()["detail"]
    assert _slack_items(slack_services, tenant) == []
    assert _connect(api, tenant, channel="has spaces").status_code == 400
    # WHEN the right settings are sent
    connected = _connect(api, tenant)
    # THEN Slack confirmed the token, the answer is masked, and the stored item holds only sealed secrets
    assert connected.status_code == 200, connected.text
    assert [c.method for c in slack.calls][-1] == "auth.test"
    integration = connected.json()["integration"]
    assert integration["bot_token"] == "xoxb-…abcd" and integration["signing_secret"] == "********"
    assert integration["team_id"] == "T0001" and integration["events_url"].endswith(
        f"{EVENTS}?company_id={tenant.company_id}"
    )
    for text in (connected.text, api.get("/api/v1/integrations/slack", headers=tenant.key_headers).text):
        assert GOOD_TOKEN not in text and SIGNING_SECRET not in text
    stored = str(_slack_items(slack_services, tenant))
    assert GOOD_TOKEN not in stored and SIGNING_SECRET not in stored and "sealed" in stored
    # WHEN it is disconnected THEN it is gone
    assert api.delete("/api/v1/integrations/slack", headers=tenant.key_headers).status_code == 200
    assert api.get("/api/v1/integrations/slack", headers=tenant.key_headers).status_code == 404


def test_a_handoff_opens_a_thread_and_a_reply_there_reaches_the_conversation(
    api: TestClient, slack_services: Services, tenant: Tenant, slack: FakeSlack
) -> None:
    # GIVEN Slack connected and a conversation the bot answered
    assert _connect(api, tenant).status_code == 200
    conversation_id = new_conversation(api, tenant)
    api.post(
        f"/api/v1/conversation/{conversation_id}/chat", json={"message": "Where is my mug?"}, headers=tenant.key_headers
    )
    # WHEN a person takes it over and the pipeline runs
    api.post(
        f"/api/v1/conversation/{conversation_id}/handoff",
        json={"assignee": {"name": "Maya"}},
        headers=tenant.key_headers,
    )
    assert _pump(slack_services) == []
    # THEN one thread opened in the channel with the transcript
    [opening] = slack.posts()
    assert opening["channel"] == CHANNEL and "thread_ts" not in opening
    assert "handed off to Maya" in opening["text"] and "*Visitor:* Where is my mug?" in opening["text"]
    assert "*Bot:*" in opening["text"]
    first_call = [c for c in slack.calls if c.method == "chat.postMessage"][0]
    ts = _slack_thread(slack_services, tenant)["ts"]
    # WHEN the visitor writes again THEN the message follows in the thread (and the bot stays silent)
    api.post(f"/api/v1/conversation/{conversation_id}/chat", json={"message": "Hello?"}, headers=tenant.key_headers)
    _pump(slack_services)
    assert slack.posts()[-1] == {**slack.posts()[-1], "thread_ts": ts, "text": "*Visitor:* Hello?"}
    # WHEN Maya answers in the thread (a signed Events API callback)
    raw, headers = signed(thread_reply(CHANNEL, ts, "On its way!", event_id="Ev001"))
    answered = api.post(f"{EVENTS}?company_id={tenant.company_id}", content=raw, headers=headers)
    # THEN it is an operator message with her Slack name, reported as message.sent from Slack
    assert answered.status_code == 200 and answered.json()["outcome"] == "operator_message", answered.text
    messages = api.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()[
        "messages"
    ]
    assert messages[-1]["role"] == "operator" and messages[-1]["content"] == "On its way!"
    assert messages[-1]["author"]["name"] == "Maya Patel" and messages[-1]["metadata"]["source"] == "slack"
    # AND Slack's retry of the same event, a bot's message and an edit change nothing
    again = api.post(f"{EVENTS}?company_id={tenant.company_id}", content=raw, headers=headers)
    assert again.json()["outcome"] == "duplicate"
    bot = thread_reply(CHANNEL, ts, "I am a bot", event_id="Ev002")
    bot["event"]["bot_id"] = "B1"
    edit = thread_reply(CHANNEL, ts, "edited", event_id="Ev003")
    edit["event"]["subtype"] = "message_changed"
    for payload in (bot, edit):
        raw2, headers2 = signed(payload)
        assert (
            api.post(f"{EVENTS}?company_id={tenant.company_id}", content=raw2, headers=headers2).json()["outcome"]
            == "ignored"
        )
    after = api.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()["messages"]
    assert len(after) == len(messages)
    # AND the reply that came from Slack is not echoed back into the thread
    posted = len(slack.posts())
    _pump(slack_services)
    assert len(slack.posts()) == posted
    assert first_call.token == GOOD_TOKEN  # the relay opened the sealed bot token


def _slack_thread(services: Services, tenant: Tenant) -> dict[str, Any]:
    [thread] = [i for i in _slack_items(services, tenant) if str(i["SK"]).startswith("THREAD#")]
    return thread


def test_forged_or_stale_requests_get_401_and_change_nothing(
    api: TestClient, slack_services: Services, tenant: Tenant, other_tenant: Tenant
) -> None:
    # GIVEN Slack connected and a handed-off conversation with a thread
    assert _connect(api, tenant).status_code == 200
    url = f"{EVENTS}?company_id={tenant.company_id}"
    # WHEN Slack verifies the URL (signed) THEN the challenge comes back
    raw, headers = signed({"type": "url_verification", "challenge": "abc123", "token": "t"})
    assert api.post(url, content=raw, headers=headers).json() == {"challenge": "abc123"}
    before = str(slack_services.table.client.scan(TableName=slack_services.table.table_name)["Items"])
    reply = thread_reply(CHANNEL, "1700000001.000100", "hi", event_id="Ev9")
    forged = signed(reply, secret="not-the-secret")
    stale = signed(reply, at=time.time() - 6 * 60)
    unsigned = (signed(reply)[0], {"Content-Type": "application/json"})
    cases = [
        (url, *forged),
        (url, *stale),
        (url, *unsigned),
        (f"{EVENTS}?company_id={other_tenant.company_id}", *signed(reply)),
        (EVENTS, *signed(reply)),
    ]
    for target, body, sent_headers in cases:
        # WHEN the request is forged, too old, unsigned, or for a company without Slack
        response = api.post(target, content=body, headers=sent_headers)
        # THEN 401 with the shared error body
        assert response.status_code == 401, response.text
        assert response.json()["error_code"] == "unauthorized" and response.json()["detail"]
    # AND nothing changed
    assert str(slack_services.table.client.scan(TableName=slack_services.table.table_name)["Items"]) == before


def test_a_failed_post_is_retried_by_the_queue(
    api: TestClient, slack_services: Services, tenant: Tenant, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN Slack connected, failing the first post, and retries made visible at once
    assert _connect(api, tenant).status_code == 200
    queue = slack_services.delivery_queue
    assert queue is not None
    delays: list[int] = []
    hide = queue.delay
    monkeypatch.setattr(queue, "delay", lambda handle, seconds: (delays.append(seconds), hide(handle, 0)))
    slack.fail_posts = 1
    conversation_id = new_conversation(api, tenant)
    api.post(f"/api/v1/conversation/{conversation_id}/handoff", json={}, headers=tenant.key_headers)
    # WHEN the pipeline runs twice
    first = _pump(slack_services)
    second = _pump(slack_services)
    # THEN the first attempt failed and asked for a 10 s backoff, and the second opened the thread
    assert len(first) == 1 and second == [] and delays == [10]
    assert len(slack.posts()) == 2 and _slack_thread(slack_services, tenant)["conversation_id"] == conversation_id
