"""The SQS event source: receive a batch, invoke, delete only what succeeded.

Like Lambda: a handler exception fails the whole batch (nothing is deleted, the messages
come back after the visibility timeout, and the queue's RedrivePolicy moves them to the
DLQ after ``maxReceiveCount``); with ``ReportBatchItemFailures`` only the messages named in
``batchItemFailures`` stay; messages that no filter matches are deleted without an invocation.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from local.batch import Invoke, failed_identifiers
from local.filters import passes, sqs_view

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

log = logging.getLogger("local.pollers")


@dataclass(frozen=True)
class SqsSource:
    """One ``Type: SQS`` event of a function."""

    function: str
    event_name: str
    queue_arn: str
    batch_size: int = 10
    window_seconds: float = 0.0
    report_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)


def _attribute(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return out


def sqs_record(message: MessageTypeDef, queue_arn: str, region: str) -> dict[str, Any]:
    """One record of the SQS event Lambda sends."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {k: _attribute(v) for k, v in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class SqsPoller:
    def __init__(
        self, source: SqsSource, invoke: Invoke, sqs: SQSClient, region: str = "us-east-1", wait_seconds: int = 0
    ) -> None:
        self.source = source
        self.invoke = invoke
        self.sqs = sqs
        self.region = region
        self.wait_seconds = wait_seconds
        self._queue_url: str | None = None

    @property
    def name(self) -> str:
        return f"{self.source.function}.{self.source.event_name}"

    @property
    def queue_url(self) -> str:
        if self._queue_url is None:
            self._queue_url = self.sqs.get_queue_url(QueueName=self.source.queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
        return self._queue_url

    def _receive(self) -> list[MessageTypeDef]:
        """Up to ``BatchSize`` messages: one (long) poll, then more until the batching window closes."""
        messages: dict[str, MessageTypeDef] = {}  # by id: a message seen again keeps only its newest receipt
        deadline = time.monotonic() + self.source.window_seconds
        wait = self.wait_seconds
        while len(messages) < self.source.batch_size:
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.source.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages.update((m["MessageId"], m) for m in received)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not messages:
                break
            if not received:
                time.sleep(min(remaining, 0.1))
            wait = min(int(remaining), self.wait_seconds)
        return list(messages.values())

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)],
            )

    def run_once(self) -> int:
        messages = self._receive()
        if not messages:
            return 0
        records = [sqs_record(m, self.source.queue_arn, self.region) for m in messages]
        batch = [r for r in records if passes(self.source.filters, sqs_view(r))]
        dropped = [r for r in records if r not in batch]
        failed: set[str] | None = set()
        if batch:
            try:
                result = self.invoke(self.source.function, {"Records": batch})
            except Exception:  # noqa: BLE001 - Lambda's rule: an error fails the whole batch
                log.exception(
                    "%s failed a batch of %d SQS messages; they return after the visibility timeout",
                    self.source.function,
                    len(batch),
                )
                failed = None
            else:
                if self.source.report_failures:
                    failed = failed_identifiers(result, {r["messageId"] for r in batch})
        done = dropped if failed is None else dropped + [r for r in batch if r["messageId"] not in failed]
        if done:
            self._delete(done)
        return len(records)
