"""Operator routes: dead-letter queues and their redrive."""

from __future__ import annotations

from typing import TypedDict


class DeadLetterQueue(TypedDict, total=False):
    """A redrivable queue (``delivery``, ``ingest``, ``chat``, ``fanout-failures``) and its DLQ's messages."""

    queue: str
    messages: int | None


class DeadLetterQueues(TypedDict, total=False):
    queues: list[DeadLetterQueue]


class DlqRedriven(TypedDict, total=False):
    """``moved``: messages moved back (``move-loop``) or being moved by SQS (``move-task``, see ``task_handle``)."""

    message: str
    queue: str
    moved: int
    mode: str
    task_handle: str | None
