"""The SQS event source: batch size, partial batch failures, whole-batch failures, DLQ redrive, filters."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from local.invoker import Invoker
from local.pollers import Poller, PollerGroup, SqsPoller, build_pollers
from local.template import Stack, functions
from tests.component.local.conftest import Handlers

QUEUES = """
Jobs:
  Type: AWS::SQS::Queue
  Properties:
    VisibilityTimeout: 0
    RedrivePolicy: {deadLetterTargetArn: !GetAtt JobsDlq.Arn, maxReceiveCount: 2}
JobsDlq:
  Type: AWS::SQS::Queue
Worker:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: {code}
    Handler: {module}.batch
    Timeout: 5
    Events:
      Jobs:
        Type: SQS
        Properties:
          Queue: !GetAtt Jobs.Arn
          BatchSize: %(batch)s
          MaximumBatchingWindowInSeconds: %(window)s
          FunctionResponseTypes: [%(response_types)s]
          %(extra)s
"""


def queue_template(batch: int = 10, window: int = 0, report: bool = True, extra: str = "") -> str:
    response_types = "ReportBatchItemFailures" if report else ""
    return QUEUES % {"batch": batch, "window": window, "response_types": response_types, "extra": extra}


def only_poller(stack: Stack) -> Poller:
    specs = functions(stack)
    (poller,) = build_pollers(stack, specs, Invoker(stack, specs).invoke)
    assert isinstance(poller, SqsPoller)
    return poller


def send(stack: Stack, *bodies: str, queue: str = "Jobs") -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=stack.physical_name(queue))["QueueUrl"]
    for body in bodies:
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageAttributes={"kind": {"DataType": "String", "StringValue": "job"}}
        )


def drain(stack: Stack, queue: str) -> list[str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=stack.physical_name(queue))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def bodies(event: Any) -> list[str]:
    return sorted(r["body"] for r in event["Records"])


Deployed = Callable[[str], Stack]


def test_each_invocation_gets_at_most_batch_size_messages(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN a queue whose event source has BatchSize 3, holding 7 messages
    stack = deployed(queue_template(batch=3))
    send(stack, *[f"job-{i}" for i in range(7)])
    poller = only_poller(stack)
    # WHEN the poller runs until the queue is empty
    consumed = [poller.run_once() for _ in range(4)]
    # THEN the handler saw batches of 3, 3 and 1, and every message was deleted
    assert consumed == [3, 3, 1, 0]
    assert [len(e["Records"]) for e in handlers.events] == [3, 3, 1]
    assert sorted(b for e in handlers.events for b in bodies(e)) == [f"job-{i}" for i in range(7)]
    assert drain(stack, "Jobs") == []


def test_records_have_the_lambda_sqs_event_shape(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN one message with an attribute
    stack = deployed(queue_template())
    send(stack, "hello")
    # WHEN it is delivered
    only_poller(stack).run_once()
    # THEN the record looks like the one Lambda sends
    (record,) = handlers.events[0]["Records"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.arn("Jobs")
    assert record["awsRegion"] == "us-east-1"
    assert record["body"] == "hello" and record["messageId"] and record["receiptHandle"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "job",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }


def test_partial_batch_failure_keeps_only_failed_messages_until_the_dlq(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN ReportBatchItemFailures and a queue that redrives to its DLQ after 2 receives
    stack = deployed(queue_template())
    send(stack, "ok-1", "fail-me", "ok-2")
    poller = only_poller(stack)
    # WHEN the handler reports one message as failed
    poller.run_once()
    # THEN the others are deleted and only the failed one comes back, with its receive count raised
    poller.run_once()
    assert bodies(handlers.events[0]) == ["fail-me", "ok-1", "ok-2"]
    assert bodies(handlers.events[1]) == ["fail-me"]
    assert handlers.events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    # AND after maxReceiveCount receives it lands in the DLQ instead of being delivered again
    assert poller.run_once() == 0
    assert len(handlers.events) == 2
    assert drain(stack, "JobsDlq") == ["fail-me"]
    assert drain(stack, "Jobs") == []


def test_an_exception_fails_the_whole_batch(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN a batch in which one message makes the handler raise
    stack = deployed(queue_template())
    send(stack, "ok", "boom")
    poller = only_poller(stack)
    # WHEN it is delivered twice
    poller.run_once()
    poller.run_once()
    # THEN nothing was deleted in between: both messages came back, and then both went to the DLQ
    assert [bodies(e) for e in handlers.events] == [["boom", "ok"], ["boom", "ok"]]
    assert poller.run_once() == 0
    assert drain(stack, "JobsDlq") == ["boom", "ok"]


def test_failure_reports_are_ignored_without_report_batch_item_failures(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN an event source without FunctionResponseTypes
    stack = deployed(queue_template(report=False))
    send(stack, "fail-me")
    poller = only_poller(stack)
    # WHEN the handler returns batchItemFailures anyway
    poller.run_once()
    # THEN Lambda treats the batch as a success and deletes it
    assert poller.run_once() == 0
    assert drain(stack, "Jobs") == [] and drain(stack, "JobsDlq") == []


def test_filter_criteria_drop_messages_without_invoking(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN a filter on the JSON body
    pattern = json.dumps({"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}})
    stack = deployed(queue_template(extra=f"FilterCriteria: {{Filters: [{{Pattern: '{pattern}'}}]}}"))
    send(stack, json.dumps({"kind": "order", "total": 12}), json.dumps({"kind": "order", "total": 3}))
    send(stack, json.dumps({"kind": "refund", "total": 50}), "not json at all")
    # WHEN the poller runs
    poller = only_poller(stack)
    assert poller.run_once() == 4
    # THEN only the matching message reached the handler, and the others were deleted too
    assert [bodies(e) for e in handlers.events] == [[json.dumps({"kind": "order", "total": 12})]]
    assert poller.run_once() == 0
    assert drain(stack, "Jobs") == [] and drain(stack, "JobsDlq") == []


def test_batching_window_collects_more_than_ten_messages(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN BatchSize 15 with a 1 s batching window and 12 messages waiting
    stack = deployed(queue_template(batch=15, window=1))
    send(stack, *[f"m-{i:02}" for i in range(12)])
    # WHEN the poller runs once
    only_poller(stack).run_once()
    # THEN one invocation got all 12 (SQS returns at most 10 per receive)
    assert [len(e["Records"]) for e in handlers.events] == [12]


@pytest.mark.parametrize("result", [{"batchItemFailures": [{"itemIdentifier": ""}]}, {"batchItemFailures": "x"}])
def test_an_invalid_partial_response_fails_the_whole_batch(result: Any) -> None:
    from local.batch import failed_identifiers

    # GIVEN / WHEN an identifier Lambda cannot use / THEN the whole batch fails (None)
    assert failed_identifiers(result, {"id-1"}) is None
    assert failed_identifiers({"batchItemFailures": [{"itemIdentifier": "nope"}]}, {"id-1"}) is None
    assert failed_identifiers(None, {"id-1"}) == set()
    assert failed_identifiers({"batchItemFailures": []}, {"id-1"}) == set()


def test_the_poller_group_works_in_the_background_and_stops(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN the pollers running on their threads
    stack = deployed(queue_template())
    group = PollerGroup([only_poller(stack)], interval=0.05)
    group.start()
    try:
        # WHEN a message arrives
        send(stack, "background")
        deadline = time.monotonic() + 5
        while not handlers.events and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        group.stop(timeout=5)
    # THEN it was delivered without anyone calling run_once, and stop() ended every thread
    assert [bodies(e) for e in handlers.events] == [["background"]]
    assert not any(t.name.startswith("poller-") for t in threading.enumerate())
