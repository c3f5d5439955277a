"""The SQS workers' one batch runtime (``knowrithm_core.workers``) on moto in process, with the template's queues.

Every worker sends a malformed message (not JSON, not an object, without its fields) straight to its own DLQ and
logs it at error level with its message id; a failing record is reported in ``batchItemFailures`` while its
neighbours succeed; a record asking to be retried is hidden for its delay; the delivery worker's records run
concurrently. The real Lambda handlers run under the ``aws_calls`` fixture, so every AWS call they make is checked
against their template policies.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from typing import Any

import boto3
import pytest

from knowrithm_core.container import Services
from knowrithm_core.store.queue import SqsQueue
from knowrithm_core.workers.runtime import DEAD_LETTERED, DeadLetters, Job, Retry, SqsWorker
from local.template import Stack
from tests.gateway import AwsCalls, serving
from tests.sqs_pump import pump

WORKERS = {  # function -> (handler module, its queue, its DLQ)
    "ChatWorkerFunction": ("chat_worker.handler", "ChatQueue", "ChatDLQ"),
    "DocumentIngestFunction": ("document_ingest.handler", "IngestQueue", "IngestDLQ"),
    "WebhookDeliveryFunction": ("webhook_delivery.handler", "DeliveryQueue", "DeliveryDLQ"),
}
MALFORMED = {  # body -> the start of the reason recorded with it
    "not json": "the body is not JSON",
    "[1, 2]": "the body is not a JSON object",
    '{"company_id": "c1"}': "missing or not a string",
}


def _url(stack: Stack, logical_id: str) -> str:
    url: str = boto3.client("sqs").get_queue_url(QueueName=stack.physical_name(logical_id))["QueueUrl"]
    return url


def _drain(url: str) -> list[dict[str, Any]]:
    sqs, out = boto3.client("sqs"), []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", []
    ):
        out += got
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return out


def _records(url: str, bodies: list[str], hide: int = 60) -> list[dict[str, Any]]:
    """Send ``bodies``, then receive them as Lambda's SQS event records (hidden for ``hide`` seconds)."""
    sqs = boto3.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=hide)
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m["Attributes"],
        }
        for m in got.get("Messages", [])
    ]


@pytest.mark.parametrize("function", WORKERS)
def test_every_kind_of_malformed_message_goes_to_the_workers_dlq_at_once_logged_with_its_id(
    function: str, services: Services, stack: Stack, aws_calls: AwsCalls, caplog: pytest.LogCaptureFixture
) -> None:
    module, queue, dlq = WORKERS[function]
    handler = importlib.import_module(module).lambda_handler
    # GIVEN the worker's queue holding a body that is not JSON, one that is not an object, one without its fields
    url, sqs = _url(stack, queue), boto3.client("sqs")
    sent = {sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]: body for body in MALFORMED}
    # WHEN the real handler runs over the queue, as the event source mapping does
    with serving(function), caplog.at_level(logging.INFO, logger="knowrithm"):
        outcome = pump(url, handler, function, rounds=2)
    # THEN each was handled once, not retried: nothing is reported failed and the queue is empty
    assert outcome == {"handled": 3, "failed": 0}
    assert _drain(url) == []
    # AND each is in the worker's own DLQ, its body unchanged, with its message id and why
    dead = {m["MessageAttributes"]["source_message_id"]["StringValue"]: m for m in _drain(_url(stack, dlq))}
    assert {message_id: m["Body"] for message_id, m in dead.items()} == sent
    for message_id, message in dead.items():
        reason = message["MessageAttributes"]["dead_letter_reason"]["StringValue"]
        assert reason.startswith(MALFORMED[sent[message_id]]), reason
    # AND each was logged at error level with its message id
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.getMessage().startswith("malformed")]
    assert sorted(getattr(r, "message_id", None) for r in errors) == sorted(sent)
    assert {getattr(r, "outcome", None) for r in errors} == {DEAD_LETTERED}
    # AND the function's template policies allow the DLQ send (the fixture checks every call at the end)
    assert ("sqs:SendMessage", f"queue:{dlq}") in aws_calls.by_function[function]


def test_a_failing_record_is_reported_while_its_neighbours_succeed(
    services: Services, stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a batch of three whose second record's handler fails
    url = _url(stack, "ChatQueue")

    def handle(job: Job) -> str:
        if job.body["n"] == "2":
            raise RuntimeError("boom")
        return f"done {job.body['n']}"

    worker = SqsWorker("probe", ("n",), handle, DeadLetters(None), queue=SqsQueue(url))
    records = _records(url, [json.dumps({"n": str(n)}) for n in (1, 2, 3)])
    second = next(r["messageId"] for r in records if json.loads(r["body"])["n"] == "2")
    # WHEN the runtime processes it
    with caplog.at_level(logging.INFO, logger="knowrithm"):
        response = worker.process({"Records": records})
    # THEN only the failing record is reported, and each record's outcome is logged with its message id
    assert response == {"batchItemFailures": [{"itemIdentifier": second}]}
    logged = {getattr(r, "message_id", None): (r.levelno, getattr(r, "outcome", None)) for r in caplog.records}
    assert logged[second][0] == logging.ERROR
    assert sorted(outcome for level, outcome in logged.values() if level == logging.INFO) == ["done 1", "done 3"]


def test_a_whole_batch_failing_is_still_a_partial_response(services: Services, stack: Stack) -> None:
    # GIVEN a batch whose every record fails
    url = _url(stack, "ChatQueue")

    def handle(job: Job) -> str:
        raise RuntimeError("down")

    records = _records(url, ['{"n": "1"}', '{"n": "2"}'])
    # WHEN the runtime processes it
    response = SqsWorker("probe", ("n",), handle, DeadLetters(None)).process({"Records": records})
    # THEN each is reported (Lambda deletes nothing), instead of the invocation failing
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(r["messageId"] for r in records)


def test_a_record_asking_to_be_retried_is_hidden_for_its_delay_and_counts_its_attempts(
    services: Services, stack: Stack
) -> None:
    # GIVEN records hidden for 60 s when received: one asks to come back at once, one after the visibility timeout
    url = _url(stack, "ChatQueue")
    attempts: dict[str, int] = {}

    def handle(job: Job) -> str:
        attempts[job.body["n"]] = job.attempt
        raise Retry(0 if job.body["n"] == "soon" else None, "not yet")

    worker = SqsWorker("probe", ("n",), handle, DeadLetters(None), queue=SqsQueue(url))
    records = _records(url, ['{"n": "soon"}', '{"n": "later"}'])
    # WHEN the runtime processes them
    failed = worker.process({"Records": records})["batchItemFailures"]
    # THEN both are reported, and only the one asking for 0 s is visible again
    assert len(failed) == 2
    again = _records(url, [])
    assert [json.loads(r["body"])["n"] for r in again] == ["soon"]
    # AND its attempt number is the receive count
    worker.process({"Records": again})
    assert attempts == {"soon": 2, "later": 1}


def test_a_dlq_that_refuses_leaves_the_message_to_the_redrive_policy(services: Services, stack: Stack) -> None:
    # GIVEN a worker whose DLQ does not exist, and a malformed message hidden for 60 s when received
    url = _url(stack, "IngestQueue")
    missing = url.rsplit("/", 1)[0] + "/no-such-dlq"
    worker = SqsWorker("probe", ("n",), lambda job: "done", DeadLetters(missing), queue=SqsQueue(url))
    records = _records(url, ["not json"])
    # WHEN the runtime meets it
    response = worker.process({"Records": records})
    # THEN it is reported failed and visible again at once: the queue's redrive policy takes it to the DLQ
    assert response == {"batchItemFailures": [{"itemIdentifier": records[0]["messageId"]}]}
    assert [r["messageId"] for r in _records(url, [])] == [records[0]["messageId"]]


def test_with_concurrency_the_records_of_a_batch_run_at_the_same_time(services: Services, stack: Stack) -> None:
    # GIVEN five records whose handlers each wait until all five are running (a barrier)
    url = _url(stack, "DeliveryQueue")
    barrier = threading.Barrier(5, timeout=30)

    def handle(job: Job) -> str:
        barrier.wait()
        return "together"

    records = _records(url, [json.dumps({"n": str(n)}) for n in range(5)])
    # WHEN the runtime processes them with a concurrency of 5
    response = SqsWorker("probe", ("n",), handle, DeadLetters(None), concurrency=5).process({"Records": records})
    # THEN every record passed the barrier: they ran at once
    assert response == {"batchItemFailures": []}
    assert not barrier.broken
