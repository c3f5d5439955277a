"""Move the messages of a dead-letter queue back to its source queue (a redrive), one interface, two ways.

* :class:`SqsMoveTask` (AWS): SQS ``StartMessageMoveTask``; SQS moves the messages in the background and the
  call returns at once with a task handle and the number of messages the DLQ held.
* :class:`MoveLoop` (the local stack: moto has no message move tasks): receive -> send to the source -> delete,
  ten at a time, until the DLQ is empty or ``limit`` messages moved. Bodies and message attributes are kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

MOVE_LOOP_LIMIT = 10_000  # messages per call of the local loop


@dataclass(frozen=True)
class Moved:
    """What a redrive did: ``messages`` moved (the loop) or being moved (a move task, as the DLQ counted them)."""

    messages: int
    mode: str  # "move-task" | "move-loop"
    task_handle: str | None = None


class MessageMover(Protocol):
    def move(self, dlq_url: str, source_url: str, limit: int | None = None) -> Moved:
        """Move the DLQ's messages back to ``source_url`` (at most ``limit``; None: all)."""
        ...


def _sqs(client: Any | None) -> Any:
    if client is not None:
        return client
    import boto3

    return boto3.client(
        "sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SQS") or os.environ.get("AWS_ENDPOINT_URL")
    )


def depth(url: str, client: Any | None = None) -> int:
    """The messages a queue holds (visible, in flight, delayed), as SQS approximates them."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = _sqs(client).get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in names)


class SqsMoveTask:
    """``StartMessageMoveTask`` from the DLQ to its source (``limit`` is ignored: a task moves everything)."""

    def __init__(self, client: Any | None = None) -> None:
        self.client = _sqs(client)

    def _attributes(self, url: str) -> dict[str, str]:
        names = ["QueueArn", "ApproximateNumberOfMessages"]
        return dict(self.client.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"])

    def move(self, dlq_url: str, source_url: str, limit: int | None = None) -> Moved:
        dlq, source = self._attributes(dlq_url), self._attributes(source_url)
        started = self.client.start_message_move_task(SourceArn=dlq["QueueArn"], DestinationArn=source["QueueArn"])
        return Moved(int(dlq.get("ApproximateNumberOfMessages", 0)), "move-task", str(started["TaskHandle"]))


class MoveLoop:
    """Receive -> send -> delete, ten at a time (what a move task does, for queues without move tasks)."""

    def __init__(self, client: Any | None = None) -> None:
        self.client = _sqs(client)

    def move(self, dlq_url: str, source_url: str, limit: int | None = None) -> Moved:
        budget, moved = min(limit or MOVE_LOOP_LIMIT, MOVE_LOOP_LIMIT), 0
        while moved < budget:
            got = self.client.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=min(10, budget - moved),
                MessageAttributeNames=["All"],
                VisibilityTimeout=60,
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not got:
                break
            moved += self._move_batch(dlq_url, source_url, got)
        return Moved(moved, "move-loop")

    def _move_batch(self, dlq_url: str, source_url: str, messages: list[dict[str, Any]]) -> int:
        """Send the batch to the source, then delete from the DLQ what was sent; returns how many moved."""
        entries = []
        for n, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(n), "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = message["MessageAttributes"]
            entries.append(entry)
        sent = self.client.send_message_batch(QueueUrl=source_url, Entries=entries).get("Successful", [])
        done = [messages[int(s["Id"])] for s in sent]
        if done:
            receipts = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)]
            self.client.delete_message_batch(QueueUrl=dlq_url, Entries=receipts)
        if len(done) < len(messages):
            raise RuntimeError(f"SQS refused {len(messages) - len(done)} of {len(messages)} messages")
        return len(done)
