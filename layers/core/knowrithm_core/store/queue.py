"""A small adapter over one SQS queue (client created lazily; boto3 imported on first use)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any, Protocol


class MessageQueue(Protocol):
    def send(self, bodies: Sequence[dict[str, Any]]) -> None:
        """Send every body as one message (raises if any could not be sent)."""
        ...

    def delay(self, receipt_handle: str, seconds: int) -> None:
        """Hide a received message for ``seconds`` (0 to 43200)."""
        ...


class SqsQueue:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SQS") or os.environ.get("AWS_ENDPOINT_URL")
            )
        return self._client

    def send(self, bodies: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(bodies), 10):
            chunk = bodies[start : start + 10]
            entries = [{"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(chunk)]
            response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused {len(response['Failed'])} of {len(entries)} messages")

    def delay(self, receipt_handle: str, seconds: int) -> None:
        self.client.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(43200, seconds))
        )
