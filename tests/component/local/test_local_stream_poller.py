"""The DynamoDB stream event source: event shape, filters, checkpoints, retries, bisection, on-failure queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from local.invoker import Invoker
from local.pollers import StreamPoller, build_pollers
from local.template import Stack, functions
from tests.component.local.conftest import Handlers

TEMPLATE = """
Items:
  Type: AWS::DynamoDB::Table
  Properties:
    AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
    KeySchema: [{AttributeName: pk, KeyType: HASH}]
    BillingMode: PAY_PER_REQUEST
    StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
Failures:
  Type: AWS::SQS::Queue
Worker:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: {code}
    Handler: {module}.batch
    Events:
      Changes:
        Type: DynamoDB
        Properties:
          Stream: !GetAtt Items.StreamArn
          %(props)s
"""
Deployed = Callable[[str], Stack]


def stream_stack(deployed: Deployed, **props: Any) -> Stack:
    settings = {"StartingPosition": "TRIM_HORIZON", **props}
    lines = "\n          ".join(f"{k}: {json.dumps(v)}" for k, v in settings.items())
    return deployed(TEMPLATE % {"props": lines})


def poller_of(stack: Stack) -> StreamPoller:
    specs = functions(stack)
    (poller,) = build_pollers(stack, specs, Invoker(stack, specs).invoke)
    assert isinstance(poller, StreamPoller)
    return poller


def put(stack: Stack, *notes: str, kind: str = "order") -> None:
    table = stack.physical_name("Items")
    client = boto3.client("dynamodb", region_name="us-east-1")
    for note in notes:
        client.put_item(TableName=table, Item={"pk": {"S": note}, "note": {"S": note}, "kind": {"S": kind}})


def notes(event: Any) -> list[str]:
    return [r["dynamodb"]["NewImage"]["note"]["S"] for r in event["Records"]]


def failure_records(stack: Stack) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=stack.physical_name("Failures"))["QueueUrl"]
    return [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def run(poller: StreamPoller, times: int) -> None:
    for _ in range(times):
        poller.run_once()


def test_records_have_the_lambda_dynamodb_event_shape(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN a table with a stream and one new item
    stack = stream_stack(deployed, BatchSize=10)
    put(stack, "first")
    # WHEN the poller runs
    poller = poller_of(stack)
    assert poller.run_once() == 1
    # THEN the handler got the stream record, with the real stream ARN (not the template's synthetic one)
    (record,) = handlers.events[0]["Records"]
    real_arn = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName=stack.physical_name("Items"))[
        "Table"
    ]["LatestStreamArn"]
    assert record["eventSourceARN"] == real_arn != stack.get_att("Items", "StreamArn")
    assert record["eventSource"] == "aws:dynamodb" and record["eventName"] == "INSERT" and record["eventID"]
    dynamodb = record["dynamodb"]
    assert dynamodb["Keys"] == {"pk": {"S": "first"}}
    assert dynamodb["NewImage"]["note"] == {"S": "first"}
    assert dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert dynamodb["SequenceNumber"].isdigit()
    assert isinstance(dynamodb["ApproximateCreationDateTime"], int)
    json.dumps(record)  # JSON-safe, like the real event
    # AND the checkpoint moved: nothing is delivered twice
    assert poller.run_once() == 0


def test_batch_size_and_filter_criteria(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN BatchSize 2 and a filter on the typed NewImage (kind = order, note not starting with "skip")
    pattern = {"dynamodb": {"NewImage": {"kind": {"S": ["order"]}, "note": {"S": [{"anything-but": ["skip"]}]}}}}
    stack = stream_stack(deployed, BatchSize=2, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    put(stack, "a", "b")
    put(stack, "refund-1", kind="refund")
    put(stack, "skip", "c")
    # WHEN the poller runs until the shard is drained
    run(poller_of(stack), 4)
    # THEN non-matching records were dropped and each read held at most 2 records
    assert [notes(e) for e in handlers.events] == [["a", "b"], ["c"]]


def test_partial_failure_retries_from_the_first_failed_record_then_gives_up(
    deployed: Deployed, handlers: Handlers
) -> None:
    # GIVEN ReportBatchItemFailures, one retry, and an on-failure queue
    stack = stream_stack(
        deployed,
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": {"Fn::GetAtt": ["Failures", "Arn"]}}},
    )
    put(stack, "ok-1", "fail-2", "ok-3")
    poller = poller_of(stack)
    # WHEN the handler keeps reporting the middle record
    run(poller, 3)
    # THEN the retry starts at the failed record (checkpoint), and after the retry the rest is skipped
    assert [notes(e) for e in handlers.events] == [["ok-1", "fail-2", "ok-3"], ["fail-2", "ok-3"]]
    (failure,) = failure_records(stack)
    info = failure["DDBStreamBatchInfo"]
    sequence = [r["dynamodb"]["SequenceNumber"] for r in handlers.events[1]["Records"]]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (*sequence, 2)
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["requestContext"]["functionArn"] == stack.arn("Worker")
    # AND later records flow again
    put(stack, "ok-4")
    poller.run_once()
    assert notes(handlers.events[-1]) == ["ok-4"]


def test_bisect_isolates_the_poison_record(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN BisectBatchOnFunctionError, no retries, an on-failure queue, and a record that makes the handler raise
    stack = stream_stack(
        deployed,
        BatchSize=4,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": {"Fn::GetAtt": ["Failures", "Arn"]}}},
    )
    put(stack, "r1", "r2", "boom-3", "r4")
    # WHEN the poller runs until it settles
    run(poller_of(stack), 8)
    # THEN the batch was halved until the poison record stood alone; everything else was processed
    assert [notes(e) for e in handlers.events] == [
        ["r1", "r2", "boom-3", "r4"],
        ["r1", "r2"],
        ["boom-3", "r4"],
        ["boom-3"],
        ["r4"],
    ]
    (failure,) = failure_records(stack)
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failure["DDBStreamBatchInfo"]["startSequenceNumber"] == failure["DDBStreamBatchInfo"]["endSequenceNumber"]


def test_an_exception_retries_the_same_batch_maximum_retry_attempts_times(
    deployed: Deployed, handlers: Handlers
) -> None:
    # GIVEN two retries and no bisection
    stack = stream_stack(deployed, BatchSize=5, MaximumRetryAttempts=2)
    put(stack, "boom", "fine")
    poller = poller_of(stack)
    # WHEN the handler always raises for that batch
    run(poller, 5)
    # THEN it was tried three times (first attempt + 2 retries) and then skipped
    assert [notes(e) for e in handlers.events] == [["boom", "fine"]] * 3
    put(stack, "next")
    poller.run_once()
    assert notes(handlers.events[-1]) == ["next"]


def test_latest_starts_after_what_is_already_in_the_stream(deployed: Deployed, handlers: Handlers) -> None:
    # GIVEN StartingPosition LATEST and an item written before the poller started
    stack = stream_stack(deployed, StartingPosition="LATEST")
    put(stack, "old")
    poller = poller_of(stack)
    assert poller.run_once() == 0
    # WHEN a new item is written
    put(stack, "new")
    poller.run_once()
    # THEN only the new one is delivered
    assert [notes(e) for e in handlers.events] == [["new"]]
