"""The shared loop of the SQS-driven workers (ReportBatchItemFailures).

Each record's JSON body is handed to ``handle`` with its attempt number (``ApproximateReceiveCount``).
A body that is not a JSON object with the required fields can never succeed, so it is dropped (logged),
not retried into the DLQ. Any exception from ``handle`` reports the record as failed: SQS redelivers it,
and after the queue's ``maxReceiveCount`` moves it to the DLQ. Delivery is at least once, so ``handle``
must be idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from knowrithm_core.observability import logger as log
from knowrithm_core.store.queue import MessageQueue

Handle = Callable[[dict[str, Any], int], str]
RetryDelay = Callable[[Exception, int], int | None]


def handle_batch(
    records: Iterable[Mapping[str, Any]],
    handle: Handle,
    *,
    required: tuple[str, ...],
    kind: str,
    queue: MessageQueue | None = None,
    retry_delay: RetryDelay | None = None,
) -> list[str]:
    """Run ``handle`` over an SQS batch; returns the ids of the messages to retry.

    With ``queue`` and ``retry_delay``, a failed message is hidden for ``retry_delay(error, attempt)``
    seconds (None: the queue's visibility timeout) instead of the whole visibility timeout, so a failure
    that passes quickly (throttling) is retried in seconds.
    """
    failed: list[str] = []
    for record in records:
        message_id = str(record.get("messageId", ""))
        try:
            body = json.loads(record["body"])
            if not isinstance(body, dict) or not all(field in body for field in required):
                raise ValueError(f"a {kind} message needs {', '.join(required)}")
        except (KeyError, TypeError, ValueError):
            log.error(f"dropping a malformed {kind} message", extra={"message_id": message_id})
            continue
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1") or 1)
        try:
            outcome = handle(body, attempt)
            log.info(f"{kind} message handled", extra={"message_id": message_id, "outcome": outcome})
        except Exception as exc:  # noqa: BLE001 - any failure: report the item, SQS redelivers it (then the DLQ)
            log.exception(
                f"{kind} message failed; will be retried", extra={"message_id": message_id, "attempt": attempt}
            )
            failed.append(message_id)
            _hide(record, exc, attempt, queue, retry_delay)
    return failed


def _hide(
    record: Mapping[str, Any], error: Exception, attempt: int, queue: MessageQueue | None, delay: RetryDelay | None
) -> None:
    seconds = delay(error, attempt) if delay else None
    if queue is None or seconds is None or not record.get("receiptHandle"):
        return
    try:
        queue.delay(str(record["receiptHandle"]), seconds)
    except Exception:  # noqa: BLE001 - the visibility timeout still brings the message back
        log.warning("could not shorten a failed message's visibility", extra={"message_id": record.get("messageId")})
