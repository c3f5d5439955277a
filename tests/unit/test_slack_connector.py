"""The Slack connector's pure parts: Slack's v0 request signature (signed here with the real algorithm), and
which outbox events become Slack jobs."""

from __future__ import annotations

import time
from typing import Any

from knowrithm_core.connectors.slack import signature_ok
from knowrithm_core.connectors.slack_jobs import slack_job
from tests.slack_fake import SIGNING_SECRET, signed


class FixedClock:
    def __init__(self, now: float) -> None:
        self.moment = now

    def now(self) -> float:
        return self.moment


def test_a_fresh_signed_request_is_valid_and_any_change_breaks_it() -> None:
    # GIVEN a request signed now with the company's secret
    at = time.time()
    raw, headers = signed({"type": "url_verification", "challenge": "c"}, at=at)
    clock = FixedClock(at + 10)
    # THEN it verifies; a changed body, another secret, or no signature does not
    assert signature_ok(SIGNING_SECRET, raw, headers, clock)
    assert not signature_ok(SIGNING_SECRET, raw.replace(b'"c"', b'"d"'), headers, clock)
    assert not signature_ok("another-secret", raw, headers, clock)
    assert not signature_ok(SIGNING_SECRET, raw, {"X-Slack-Request-Timestamp": headers["X-Slack-Request-Timestamp"]})


def test_the_window_is_five_minutes() -> None:
    at = time.time()
    raw, headers = signed({"type": "event_callback"}, at=at)
    assert signature_ok(SIGNING_SECRET, raw, headers, FixedClock(at + 299))
    assert not signature_ok(SIGNING_SECRET, raw, headers, FixedClock(at + 301))


def _event(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": "e1", "company_id": "c1", "event": name, "timestamp": "t", "data": data}


def test_only_what_people_handle_becomes_a_slack_job() -> None:
    bot = {"id": "v1", "handoff": None}
    person = {"id": "v1", "handoff": {"handed_off": True}}
    # a handoff or an escalation opens a thread
    job = slack_job(_event("conversation.handoff", {"conversation": person}))
    assert job is not None and job["endpoint_id"] == "slack" and job["conversation_id"] == "v1"
    escalated = slack_job(
        _event("conversation.escalated", {"conversation": bot, "reason": "r", "message": {"id": "m"}})
    )
    assert escalated is not None and escalated["reason"] == "r" and escalated["message_id"] == "m"
    # visitor messages only while a person has the conversation
    assert slack_job(_event("message.received", {"id": "m", "conversation": bot})) is None
    assert slack_job(_event("message.received", {"id": "m", "conversation": person})) is not None
    # an operator reply from the API follows in the thread, one from Slack is not echoed
    assert slack_job(_event("message.sent", {"id": "m", "conversation": person, "metadata": {}})) is not None
    assert (
        slack_job(_event("message.sent", {"id": "m", "conversation": person, "metadata": {"source": "slack"}})) is None
    )
    # anything else never reaches Slack
    assert slack_job(_event("lead.created", {"id": "l"})) is None
