"""Operator notifications: one SNS topic (the template's ``AlarmTopic``, ``ALARM_TOPIC_ARN``), best effort."""

from __future__ import annotations

import json
import os
from typing import Any

from knowrithm_core.observability import logger as log


class AlarmTopic:
    """Publishes operational notices to the alarm topic; never fails the caller (the event is the record)."""

    def __init__(self, topic_arn: str | None, client: Any | None = None) -> None:
        self.topic_arn = topic_arn if topic_arn and topic_arn.startswith("arn:aws:sns:") else None
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            endpoint = os.environ.get("AWS_ENDPOINT_URL_SNS") or os.environ.get("AWS_ENDPOINT_URL")
            self._client = boto3.client("sns", endpoint_url=endpoint)
        return self._client

    def publish(self, subject: str, message: dict[str, Any]) -> bool:
        """Send ``message`` (as JSON) with ``subject``; False when there is no topic or SNS refused it."""
        if self.topic_arn is None:
            return False
        try:
            self.client.publish(TopicArn=self.topic_arn, Subject=subject[:100], Message=json.dumps(message))
        except Exception:  # noqa: BLE001 - a notice must never fail the delivery that triggered it
            log.exception("could not publish to the alarm topic", extra={"subject": subject})
            return False
        return True
