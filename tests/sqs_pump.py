"""Run a Lambda's SQS handler over the messages of a queue, the way the event source mapping does.

Messages the handler reports in ``batchItemFailures`` stay on the queue (visible again at once, so a
later round sees them as another receive, with ``ApproximateReceiveCount`` counting up); the others
are deleted. Works against moto in process or the moto server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "test-request"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:knowrithm-local-{self.function_name}"


def pump(queue_url: str, handler: Handler, function_name: str, *, rounds: int = 3, batch: int = 10) -> dict[str, int]:
    """At most ``rounds`` receive-and-handle rounds; returns how many messages were handled and failed."""
    import boto3

    sqs = boto3.client("sqs")
    handled, failures = 0, 0
    for _ in range(rounds):
        received = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=batch, AttributeNames=["All"], VisibilityTimeout=0
        ).get("Messages", [])
        if not received:
            break
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
            }
            for m in received
        ]
        result = handler({"Records": records}, LambdaContext(function_name))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for m in received:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        handled += len(received) - len(failed)
        failures += len(failed)
    return {"handled": handled, "failed": failures}
