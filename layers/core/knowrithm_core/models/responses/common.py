"""Response shapes shared by every resource: the open base, errors, pagination, async tasks, health.

Response models document what clients read; they never drop a key a service returns (``extra="allow"``),
and the routes serialize them with ``response_model_exclude_unset`` so the wire stays what the service built.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """A response object: the documented keys, plus any other key the service returns."""

    model_config = ConfigDict(extra="allow", defer_build=True)


class ErrorBody(Out):
    """Every 4xx/5xx body (see :func:`knowrithm_core.errors.error_body`)."""

    success: bool = False
    detail: str
    error: str
    message: str
    error_code: str
    code: str
    status: int
    details: dict[str, Any] = {}


class Pagination(Out):
    page: int
    per_page: int
    total: int
    pages: int
    has_next: bool
    has_prev: bool
    next_cursor: str | None = None  # key-paged lists: pass as ``cursor`` for the next page (None at the end)


class TaskAccepted(Out):
    """A 202 acknowledgement: poll ``status_url`` (or ``/v1/tasks/{task_id}/status``)."""

    status: str | None = None  # accepted | queued | pending
    task_id: str | None = None
    status_url: str | None = None
    poll_url: str | None = None
    message: str | None = None
    message_id: str | None = None
    conversation_id: str | None = None
    estimated_time: float | None = None


class TaskError(Out):
    message: str | None = None
    code: str | None = None


class TaskStatus(Out):
    """``GET /tasks/{id}/status``: ``result`` only once completed, ``error`` only once failed."""

    task_id: str | None = None
    status: str | None = None  # pending | processing | completed | failed
    state: str | None = None  # PENDING | STARTED | SUCCESS | FAILURE
    kind: str | None = None
    status_url: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    result: Any = None
    error: TaskError | None = None


class Health(Out):
    status: str | None = None
    database: str | None = None
