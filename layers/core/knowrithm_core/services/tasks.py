"""Task status records for asynchronous work (``GET /tasks/{id}/status``)."""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound
from knowrithm_core.ids import is_uuid, iso, now
from knowrithm_core.models.resources import Task
from knowrithm_core.services.base import Service, load
from knowrithm_core.store import keys
from knowrithm_core.store.table import TransactionConflict

STATE = {"pending": "PENDING", "processing": "STARTED", "completed": "SUCCESS", "failed": "FAILURE"}


class TaskService(Service):
    def completed_op(
        self, company_id: str, task_id: str, kind: str, result: dict[str, Any], *, owner_id: str | None
    ) -> dict[str, Any]:
        """A transaction operation recording a task that finished in the request itself."""
        return self._put_op(company_id, task_id, kind, "completed", owner_id=owner_id, result=result)

    def pending_op(self, company_id: str, task_id: str, kind: str, *, owner_id: str | None) -> dict[str, Any]:
        """A transaction operation recording queued work; a worker finishes it with :meth:`finished_op`."""
        new = "attribute_not_exists(PK)"
        return self._put_op(company_id, task_id, kind, "pending", owner_id=owner_id, condition=new)

    def finished_op(
        self,
        task: Task,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A transaction operation finishing ``task`` (completed with ``result`` or failed with ``error``).

        Conditional on the task still being unfinished, so a redelivered queue message cannot finish it twice.
        """
        status: Literal["completed", "failed"] = "failed" if error is not None else "completed"
        return self._put_op(
            task.company_id,
            task.task_id,
            task.kind,
            status,
            owner_id=task.owner_id,
            result=result,
            error=error,
            created_at=task.created_at,
            condition="#status IN (:pending, :processing)",
        )

    def get(self, company_id: str, task_id: str) -> Task | None:
        found = self.table.get(keys.company_pk(company_id), f"TASK#{task_id}") if is_uuid(task_id) else None
        return load(Task, found) if found else None

    def mark_processing(self, task: Task) -> None:
        """``pending`` -> ``processing`` (for pollers: ``state: STARTED``); a no-op if it moved on already."""
        op = self.table.update_op(
            keys.company_pk(task.company_id),
            f"TASK#{task.task_id}",
            "SET #status = :processing, updated_at = :now",
            names={"#status": "status"},
            values={":processing": "processing", ":now": iso(), ":pending": "pending"},
            condition="#status = :pending",
        )
        with contextlib.suppress(TransactionConflict):
            self.table.transact([op])

    def finish(self, task: Task, *, error: dict[str, Any]) -> bool:
        """Fail ``task`` on its own (outside a turn's transaction); False if it was finished already."""
        try:
            self.table.transact([self.finished_op(task, error=error)])
        except TransactionConflict:
            return False
        return True

    def _put_op(
        self,
        company_id: str,
        task_id: str,
        kind: str,
        status: Literal["pending", "processing", "completed", "failed"],
        *,
        owner_id: str | None,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        created_at: str | None = None,
        condition: str | None = None,
    ) -> dict[str, Any]:
        """The task record (kept ``EVENT_TTL_DAYS``) as a transaction Put."""
        stamp = iso()
        task = Task(
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
        item = {
            "PK": keys.company_pk(company_id),
            "SK": f"TASK#{task_id}",
            "GSI1PK": keys.global_id("TASK", task_id),
            "GSI1SK": "TASK",
            **task.model_dump(mode="json"),
            "expires_at_epoch": int(now().timestamp()) + self.settings.event_ttl_days * 86400,
        }
        if condition is None or "#status" not in condition:
            return self.table.put_op(item, condition=condition)
        unfinished = {":pending": "pending", ":processing": "processing"}
        return self.table.put_op(item, condition=condition, values=unfinished, names={"#status": "status"})

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
