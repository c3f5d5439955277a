"""The one batch runtime of the SQS-triggered workers: Powertools' ``BatchProcessor`` (ReportBatchItemFailures).

For each record the runtime parses the body into a :class:`Job` (the JSON object, its message id and its attempt
number from ``ApproximateReceiveCount``) and hands it to the worker's record handler, which returns an outcome
(logged with the message id) or raises:

- :class:`Retry`: the message is reported failed and hidden for ``seconds`` first (ChangeMessageVisibility), so
  it comes back when its retry is due instead of after the queue's whole visibility timeout.
- anything else: reported failed (logged with its trace); SQS redelivers it after the visibility timeout and
  the queue's redrive policy moves it to the DLQ after ``maxReceiveCount``.

**A malformed message** (a body that is not JSON, not an object, or lacks a required field) can never succeed,
so it is not retried: it is sent straight to the worker's DLQ (its body unchanged, the reason and the original
message id as message attributes), logged at error level with its message id, and deleted from the source
queue. If the DLQ is not configured or refuses it, the message is handed back at once (visibility 0) and
reported failed, so the redrive policy still takes it to the DLQ.

Records run one after the other; with ``concurrency > 1`` (the webhook delivery worker, whose POSTs wait on the
network) they all start at once in a bounded thread pool and the processor collects their results in order. Not
Powertools' ``AsyncBatchProcessor``: the record handlers are synchronous (boto3, a blocking HTTP client), and
outside Lambda it runs ``asyncio.run``, which leaves the calling thread without an event loop (the local stack
runs Mangum apps on that thread next). Delivery is at least once, so record handlers must be idempotent.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from knowrithm_core.observability import logger as log
from knowrithm_core.store.queue import MessageQueue, SqsQueue
from knowrithm_core.telemetry import MALFORMED_MESSAGES, count

DEAD_LETTERED = "dead-lettered"


@dataclass(frozen=True)
class Job:
    """One parsed queue message: its JSON object, its SQS message id and this delivery's attempt number."""

    message_id: str
    body: dict[str, Any]
    attempt: int


class Retry(Exception):  # noqa: N818 - a request to the runtime, not an error
    """Raised by a record handler: report the message failed, hidden for ``seconds`` (None: the visibility timeout)."""

    def __init__(self, seconds: int | None, reason: str = "") -> None:
        super().__init__(reason or "retry later")
        self.seconds = seconds


class Malformed(ValueError):
    """A message body no attempt can ever handle."""


RecordHandler = Callable[[Job], str]


def parse_job(record: SQSRecord, required: tuple[str, ...]) -> Job:
    """The record's job; raises :class:`Malformed` for a body that is not a JSON object whose ``required``
    fields are non-empty strings."""
    try:
        body = json.loads(record.body)
    except (TypeError, ValueError) as exc:
        raise Malformed("the body is not JSON") from exc
    if not isinstance(body, dict):
        raise Malformed("the body is not a JSON object")
    missing = [name for name in required if not isinstance(body.get(name), str) or not body[name]]
    if missing:
        raise Malformed(f"missing or not a string: {', '.join(missing)}")
    raw = record.raw_event.get("attributes") or {}
    attempt = int(raw.get("ApproximateReceiveCount") or 1)
    return Job(record.message_id, body, attempt)


class DeadLetters:
    """A worker's DLQ, for messages sent there directly (without the receives the redrive policy needs)."""

    def __init__(self, queue_url: str | None, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.sqs = SqsQueue(queue_url, client) if queue_url else None

    def send(self, record: SQSRecord, kind: str, reason: str) -> bool:
        """Copy the record's body to the DLQ with why and where it came from; False if that was not possible."""
        if self.sqs is None:
            return False
        attributes = {
            "dead_letter_reason": reason,
            "source_message_id": record.message_id,
            "source_queue_arn": str(record.raw_event.get("eventSourceARN") or "unknown"),
            "worker": kind,
        }
        try:
            self.sqs.client.send_message(
                QueueUrl=self.queue_url,
                MessageBody=record.body,
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        except Exception:  # noqa: BLE001 - the redrive policy is the fallback
            log.exception("could not send a message to the DLQ", extra={"message_id": record.message_id})
            return False
        return True


@dataclass
class SqsWorker:
    """One SQS-triggered worker: the record handler and what the runtime needs around it."""

    kind: str  # in log lines: "chat", "ingest", "delivery"
    required: tuple[str, ...]
    handle: RecordHandler
    dead_letters: DeadLetters
    queue: MessageQueue | None = None  # the source queue, for visibility changes
    concurrency: int = 1

    def process(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """Run the batch; returns the partial batch response (``batchItemFailures``)."""
        records = list(event.get("Records") or [])
        if not records:
            return {"batchItemFailures": []}  # Powertools refuses an empty batch (Lambda never sends one)
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        if self.concurrency <= 1 or len(records) <= 1:
            return dict(process_partial_response({"Records": records}, self.run, processor, context))
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(records))) as pool:
            # every record starts at once, each in a copy of the invocation's context (logging keys, tracing);
            # the processor then collects them in order, so reporting stays Powertools'
            started = {_key(r): pool.submit(contextvars.copy_context().run, self.run, SQSRecord(r)) for r in records}

            def collect(record: SQSRecord) -> str:
                return started[_key(record.raw_event)].result()  # a KeyError would only report the record failed

            return dict(process_partial_response({"Records": records}, collect, processor, context))

    def run(self, record: SQSRecord) -> str:
        """One record: parse, handle, log the outcome; raises to report the record failed."""
        try:
            job = parse_job(record, self.required)
        except Malformed as exc:
            return self._dead_letter(record, str(exc))
        try:
            outcome = self.handle(job)
        except Malformed as exc:  # a handler that checks fields per message kind
            return self._dead_letter(record, str(exc))
        except Retry as retry:
            log.info(
                f"{self.kind} message to retry",
                extra={"message_id": job.message_id, "attempt": job.attempt, "retry_in": retry.seconds},
            )
            self._hide(record, retry.seconds)
            raise
        except Exception:
            log.exception(
                f"{self.kind} message failed; will be retried",
                extra={"message_id": job.message_id, "attempt": job.attempt},
            )
            raise
        log.info(
            f"{self.kind} message handled",
            extra={"message_id": job.message_id, "attempt": job.attempt, "outcome": outcome},
        )
        return outcome

    def _dead_letter(self, record: SQSRecord, reason: str) -> str:
        count(MALFORMED_MESSAGES, worker=self.kind)
        sent = self.dead_letters.send(record, self.kind, reason)
        log.error(
            f"malformed {self.kind} message: {reason}",
            extra={"message_id": record.message_id, "outcome": DEAD_LETTERED if sent else "redrive"},
        )
        if sent:
            return DEAD_LETTERED
        self._hide(record, 0)  # back at once: the redrive policy moves it after maxReceiveCount quick receives
        raise Malformed(reason)

    def _hide(self, record: SQSRecord, seconds: int | None) -> None:
        if self.queue is None or seconds is None or not record.raw_event.get("receiptHandle"):
            return
        try:
            self.queue.delay(record.receipt_handle, seconds)
        except Exception:  # noqa: BLE001 - the visibility timeout still brings the message back
            log.warning("could not change a failed message's visibility", extra={"message_id": record.message_id})


def _key(record: Mapping[str, Any]) -> tuple[str, str]:
    """One received message of a batch (a duplicate delivery has the same id but its own receipt handle)."""
    return str(record.get("messageId", "")), str(record.get("receiptHandle", ""))
