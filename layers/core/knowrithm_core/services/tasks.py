"""Task status records for asynchronous work (``GET /tasks/{id}/status``)."""

from __future__ import annotations

from typing import Any, Literal

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.errors import NotFound
from knowrithm_core.ids import is_uuid, iso
from knowrithm_core.models.resources import Task
from knowrithm_core.services.base import Service
from knowrithm_core.store.expressions import Put
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.tasks import TaskRepository

STATE = {"pending": "PENDING", "processing": "STARTED", "completed": "SUCCESS", "failed": "FAILURE"}


class TaskService(Service):
    def __init__(self, table: Table, settings: Settings) -> None:
        super().__init__(table, settings)
        self.repository = TaskRepository(table, ttl_days=settings.event_ttl_days)

    def completed_op(
        self, company_id: str, task_id: str, kind: str, result: dict[str, Any], *, owner_id: str | None
    ) -> Put:
        """A write recording a task that finished in the request itself."""
        return self.repository.record(_task(company_id, task_id, kind, "completed", owner_id=owner_id, result=result))

    def pending_op(self, company_id: str, task_id: str, kind: str, *, owner_id: str | None) -> Put:
        """A write recording queued work (only if new); a worker finishes it with :meth:`finished_op`."""
        return self.repository.created(_task(company_id, task_id, kind, "pending", owner_id=owner_id))

    def finished_op(
        self,
        task: Task,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> Put:
        """A write finishing ``task`` (completed with ``result`` or failed with ``error``).

        Conditional on the task still being unfinished, so a redelivered queue message cannot finish it twice.
        """
        return self.repository.finished(_final(task, result=result, error=error))

    def get(self, company_id: str, task_id: str) -> Task | None:
        return self.repository.get(company_id, task_id) if is_uuid(task_id) else None

    def mark_processing(self, task: Task) -> None:
        """``pending`` -> ``processing`` (for pollers: ``state: STARTED``); a no-op if it moved on already."""
        self.repository.mark_processing(task)

    def finish(self, task: Task, *, error: dict[str, Any]) -> bool:
        """Fail ``task`` on its own (outside a turn's transaction); False if it was finished already."""
        return self.repository.finish(_final(task, error=error))

    def status(self, principal: Principal, task_id: str, status_url: str) -> dict[str, Any]:
        """The status body every client understands: ``status`` + Celery-style ``state`` + ``result``."""
        task = self.get(principal.company_id, task_id)
        if task is None:
            raise NotFound("Task not found.")
        if principal.is_lead and task.owner_id != principal.subject_id:
            raise NotFound("Task not found.")
        body: dict[str, Any] = {
            "task_id": task.task_id,
            "status": task.status,
            "state": STATE[task.status],
            "kind": task.kind,
            "status_url": status_url,
            "created_at": task.created_at,
            "updated_at": task.updated_at,
        }
        if task.status == "completed":
            body["result"] = task.result
        if task.status == "failed":
            body["error"] = task.error or {"message": "The task failed.", "code": "task_failed"}
        return body


def _task(
    company_id: str,
    task_id: str,
    kind: str,
    status: Literal["pending", "processing", "completed", "failed"],
    *,
    owner_id: str | None,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    created_at: str | None = None,
) -> Task:
    """The task record as of now."""
    stamp = iso()
    return Task(
        task_id=task_id,
        company_id=company_id,
        owner_id=owner_id,
        kind=kind,
        status=status,
        result=result,
        error=error,
        created_at=created_at or stamp,
        updated_at=stamp,
    )


def _final(task: Task, *, result: dict[str, Any] | None = None, error: dict[str, Any] | None = None) -> Task:
    """``task`` completed with ``result``, or failed with ``error``."""
    status: Literal["completed", "failed"] = "failed" if error is not None else "completed"
    return _task(
        task.company_id,
        task.task_id,
        task.kind,
        status,
        owner_id=task.owner_id,
        result=result,
        error=error,
        created_at=task.created_at,
    )
