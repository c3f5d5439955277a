"""Task status records for asynchronous work (``GET /tasks/{id}/status``)."""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound
from knowrithm_core.ids import is_uuid, iso, now
from knowrithm_core.models.resources import Task
from knowrithm_core.services.base import Service, load
from knowrithm_core.store import keys

STATE = {"pending": "PENDING", "processing": "STARTED", "completed": "SUCCESS", "failed": "FAILURE"}


class TaskService(Service):
    def completed_op(
        self, company_id: str, task_id: str, kind: str, result: dict[str, Any], *, owner_id: str
    ) -> dict[str, Any]:
        """A transaction operation recording a finished task (kept ``EVENT_TTL_DAYS``)."""
        stamp = iso()
        task = Task(
            task_id=task_id,
            company_id=company_id,
            owner_id=owner_id,
            kind=kind,
            status="completed",
            result=result,
            created_at=stamp,
            updated_at=stamp,
        )
        return self.table.put_op(
            {
                "PK": keys.company_pk(company_id),
                "SK": f"TASK#{task_id}",
                "GSI1PK": keys.global_id("TASK", task_id),
                "GSI1SK": "TASK",
                **task.model_dump(mode="json"),
                "expires_at_epoch": int(now().timestamp()) + self.settings.event_ttl_days * 86400,
            }
        )

    def status(self, principal: Principal, task_id: str, status_url: str) -> dict[str, Any]:
        """The status body every client understands: ``status`` + Celery-style ``state`` + ``result``."""
        found = self.table.get(keys.company_pk(principal.company_id), f"TASK#{task_id}") if is_uuid(task_id) else None
        if not found:
            raise NotFound("Task not found.")
        task = load(Task, found)
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
