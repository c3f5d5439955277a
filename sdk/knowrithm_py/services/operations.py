"""Operator routes (``/operations``; an admin of an operator company): dead-letter queues and their redrive."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

from knowrithm_py.models.operations import DeadLetterQueues, DlqRedriven
from knowrithm_py.services._base import Headers, Service


class OperationsService(Service):
    def list_dead_letter_queues(self, *, headers: Headers = None) -> DeadLetterQueues:
        """``GET /operations/dlq``: the messages each dead-letter queue holds."""
        return cast(DeadLetterQueues, self._core.call("GET", "/operations/dlq", headers=headers))

    def redrive_dead_letter_queue(
        self, queue: str, *, max_messages: int | None = None, headers: Headers = None
    ) -> DlqRedriven:
        """``POST /operations/dlq/{queue}/redrive``: move a DLQ's messages back to their queue (``delivery``,
        ``ingest``, ``chat``, ``fanout-failures``); ``max_messages`` bounds the local stack's move loop."""
        body: dict[str, Any] = {} if max_messages is None else {"max_messages": max_messages}
        path = f"/operations/dlq/{quote(queue, safe='')}/redrive"
        return cast(DlqRedriven, self._core.call("POST", path, json=body, headers=headers, wait=False))
