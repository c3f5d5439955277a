"""Task status records (``GET /tasks/{id}/status``): ``COMPANY#c / TASK#t``, GSI1 ``TASK#t``, kept ``ttl_days``.

A task is written with the work it reports (a chat turn, a document upload): :meth:`TaskRepository.record`
returns the write for that unit of work. A queued task is created only if new and finished only while unfinished,
so a redelivered queue message cannot finish it twice.
"""

from __future__ import annotations

import contextlib
from typing import Any

from knowrithm_core.ids import iso, now
from knowrithm_core.models.resources import Task
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Cond, Put, Update, eq, missing
from knowrithm_core.store.port import Table
from knowrithm_core.store.table import TransactionConflict

UNFINISHED = eq("status", "pending") | eq("status", "processing")


def task_key(company_id: str, task_id: str) -> tuple[str, str]:
    return keys.company_pk(company_id), keys.task_sk(task_id)


class TaskRepository:
    def __init__(self, table: Table, *, ttl_days: int) -> None:
        self.table = table
        self.ttl_days = ttl_days

    def item(self, task: Task) -> dict[str, Any]:
        pk, sk = task_key(task.company_id, task.task_id)
        return {
            "PK": pk,
            "SK": sk,
            "GSI1PK": keys.global_id("TASK", task.task_id),
            "GSI1SK": "TASK",
            **task.model_dump(mode="json"),
            "expires_at_epoch": int(now().timestamp()) + self.ttl_days * 86400,
        }

    # --- reads ----------------------------------------------------------------------------------------
    def get(self, company_id: str, task_id: str) -> Task | None:
        found = self.table.get(*task_key(company_id, task_id))
        return Task.model_validate(keys.strip_keys(found)) if found else None

    # --- writes ---------------------------------------------------------------------------------------
    def record(self, task: Task, *, when: Cond | None = None) -> Put:
        """The write storing ``task`` as it is now (add it to the unit of work of the work it reports)."""
        return Put(self.item(task), when=when)

    def created(self, task: Task) -> Put:
        """A new task (queued work): only if no task has its id."""
        return self.record(task, when=missing())

    def finished(self, task: Task) -> Put:
        """``task`` in its final state, only if the stored one is still unfinished."""
        return self.record(task, when=UNFINISHED)

    def mark_processing(self, task: Task) -> bool:
        """``pending`` -> ``processing`` at once; False (nothing written) if the task moved on already."""
        key = task_key(task.company_id, task.task_id)
        op = Update(key, set={"status": "processing", "updated_at": iso()}, when=eq("status", "pending"))
        with contextlib.suppress(TransactionConflict):
            self.table.write([op])
            return True
        return False

    def finish(self, task: Task) -> bool:
        """Write ``task``'s final state on its own; False if it was finished already."""
        try:
            self.table.write([self.finished(task)])
        except TransactionConflict:
            return False
        return True
