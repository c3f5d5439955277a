"""Operator routes: the DLQ redrive's answer."""

from __future__ import annotations

from knowrithm_core.models.responses.common import Out


class DeadLetterQueue(Out):
    """A redrivable queue (``delivery``, ``ingest``, ``chat``, ``fanout-failures``) and its DLQ's messages."""

    queue: str | None = None
    messages: int | None = None


class DeadLetterQueues(Out):
    queues: list[DeadLetterQueue] | None = None


class DlqRedriven(Out):
    """``moved``: messages moved back (``move-loop``) or being moved by SQS (``move-task``, see ``task_handle``)."""

    message: str | None = None
    queue: str | None = None
    moved: int | None = None
    mode: str | None = None
    task_handle: str | None = None
