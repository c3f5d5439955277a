"""On the local stack: a fan-out that gives up -> the on-failure queue -> FanoutRecoveryFunction (an SQS poller
from the template) records the missed delivery -> ``recover`` -> the receiver gets the event once.

The test runs on a stack of its own (``private_stack``): its delivery queue is deleted while the event is fanned
out, so no other test's events may be in flight on that stack (they would fail the same way and land in the
on-failure queue too).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import LocalStack, run_local_stack
from tests.integration.test_webhooks import (
    FANOUT_FAILURES,
    OK,
    QUEUE,
    QUEUE_ATTRIBUTES,
    Api,
    always,
    eventually,
    marker_of,
    queue_depth,
    register,
    sqs_client,
    unregister,
)

pytestmark = pytest.mark.integration
FANOUT_FAILURE_DLQ = "knowrithm-local-FanoutFailureDLQ"


@pytest.fixture
def private_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """A stack of its own: this test breaks its delivery queue on purpose."""
    yield from run_local_stack(tmp_path, check_exit=False)


def test_a_fan_out_that_gave_up_is_recovered_and_delivered_once(private_stack: LocalStack) -> None:
    api, sqs = Api(private_stack), sqs_client(private_stack)
    # GIVEN an endpoint for agent.updated and an agent
    hook = register(api, always(OK), ["agent.updated"])
    agent = api.call("POST", "/agent", {"name": "recovery probe", "description": "start"}, expect=201)["agent"]["id"]
    queue_url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    current = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    attributes = {k: v for k, v in current.items() if k in QUEUE_ATTRIBUTES}
    marker = f"recovery-{uuid.uuid4().hex[:8]}"
    # WHEN the delivery queue is gone while a change commits, until the fan-out gives up on it
    sqs.delete_queue(QueueUrl=queue_url)
    try:
        api.touch_agent(agent, marker)

        def missed() -> list[dict[str, object]] | None:
            return [d for d in api.deliveries(hook.id) if d["status"] == "failed"] or None

        # THEN FanoutRecoveryFunction recorded its delivery failed, never attempted (51 tries take about 10 s)
        failed = eventually(missed, 45, "the missed delivery to be recorded", interval=0.5)
    finally:
        sqs.create_queue(QueueName=QUEUE, Attributes=attributes)
    assert [(d["event_type"], d["attempt_count"]) for d in failed] == [("agent.updated", 0)]
    assert all(marker_of(r) != marker for r in hook.receiver.received)
    # WHEN the endpoint is recovered
    recovered = api.call("POST", f"/webhook/{hook.id}/recover", {"since": "2026-01-01T00:00:00Z"}, expect=202)
    assert recovered["recovered"] == 1
    # THEN the event arrives once, and the on-failure queue and its DLQ are empty
    got = hook.receiver.wait_for(lambda hs: any(marker_of(h) == marker for h in hs), 20)
    assert [h.json["attempt"] for h in got if marker_of(h) == marker] == [1]
    assert queue_depth(sqs, FANOUT_FAILURES) == 0 and queue_depth(sqs, FANOUT_FAILURE_DLQ) == 0
    unregister(api, hook)
    api.http.close()
