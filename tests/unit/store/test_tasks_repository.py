"""Task status records on the in-memory table: created once, started once, finished once."""

from __future__ import annotations

import pytest

from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Task
from knowrithm_core.store import keys
from knowrithm_core.store.memory import MemoryTable
from knowrithm_core.store.repositories.tasks import TaskRepository
from knowrithm_core.store.table import TransactionConflict

COMPANY = "0190a000-0000-7000-8000-000000000001"


def task(status: str = "pending") -> Task:
    stamp = iso()
    return Task.model_validate(
        {
            "task_id": new_id(),
            "company_id": COMPANY,
            "kind": "chat",
            "status": status,
            "created_at": stamp,
            "updated_at": stamp,
        }
    )


def test_a_task_is_created_once_started_once_and_finished_once() -> None:
    # GIVEN a pending task
    tasks = TaskRepository(MemoryTable(), ttl_days=2)
    pending = task()
    tasks.table.write([tasks.created(pending)])
    # WHEN it is created again, started twice and finished twice
    with pytest.raises(TransactionConflict):
        tasks.table.write([tasks.created(pending)])
    started = [tasks.mark_processing(pending), tasks.mark_processing(pending)]
    done = pending.model_copy(update={"status": "completed", "result": {"ok": True}})
    finished = [tasks.finish(done), tasks.finish(done.model_copy(update={"status": "failed"}))]
    # THEN only the first of each went through, and the record expires after its TTL
    assert started == [True, False] and finished == [True, False]
    assert tasks.get(COMPANY, pending.task_id) == done
    raw = tasks.table.get(keys.company_pk(COMPANY), keys.task_sk(pending.task_id))
    assert raw is not None and raw["GSI1PK"] == f"TASK#{pending.task_id}" and raw["expires_at_epoch"] > 0
    assert tasks.get(COMPANY, new_id()) is None
