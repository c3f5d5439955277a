"""Shapes shared by several services: pagination, async tasks, simple acknowledgements."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class Pagination(TypedDict):
    page: int
    per_page: int
    total: int
    pages: int
    has_next: bool
    has_prev: bool
    next_cursor: NotRequired[str | None]  # key-paged lists: pass as ``cursor`` for the next page


class TaskAccepted(TypedDict, total=False):
    """A 202 acknowledgement: poll ``status_url`` (or ``/v1/tasks/{task_id}/status``)."""

    status: str  # accepted | queued | pending
    task_id: str
    status_url: str
    poll_url: str
    message: str
    message_id: str
    conversation_id: str
    estimated_time: float


class TaskError(TypedDict, total=False):
    message: str
    code: str


class TaskStatus(TypedDict, total=False):
    """``GET /tasks/{id}/status``: ``result`` only once completed, ``error`` only once failed."""

    task_id: str
    status: str  # pending | processing | completed | failed
    state: str  # PENDING | STARTED | SUCCESS | FAILURE
    kind: str
    status_url: str
    created_at: str
    updated_at: str
    result: Any
    error: TaskError


class Health(TypedDict, total=False):
    status: str
    database: str
