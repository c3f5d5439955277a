"""DLQ redrive for operators: move a dead-letter queue's messages back to the queue they came from.

Queues by name: ``delivery`` (DeliveryDLQ -> DeliveryQueue), ``ingest``, ``chat`` and ``fanout-failures``
(FanoutFailureDLQ -> FanoutFailureQueue). Only an admin of an operator company (``OPERATOR_COMPANY_IDS``) may
redrive: the queues hold every tenant's messages. The local stack (``LOCAL_MODE``) lets any admin do it, and
moves with a receive -> send -> delete loop (moto has no ``StartMessageMoveTask``); on AWS a move task runs.
Redrive after the cause is fixed: a message that fails again goes back to the DLQ after its retries.
"""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.errors import Forbidden, NotFound, ServiceUnavailable
from knowrithm_core.models.bodies.operations import RedriveRequest
from knowrithm_core.models.requests import parse
from knowrithm_core.store.dlq import MessageMover, MoveLoop, SqsMoveTask, depth

# name -> (the DLQ's settings attribute, its source queue's)
QUEUES: dict[str, tuple[str, str]] = {
    "delivery": ("delivery_dlq_url", "delivery_queue_url"),
    "ingest": ("ingest_dlq_url", "ingest_queue_url"),
    "chat": ("chat_dlq_url", "chat_queue_url"),
    "fanout-failures": ("fanout_failure_dlq_url", "fanout_failure_queue_url"),
}


class RedriveService:
    def __init__(self, settings: Settings, mover: MessageMover | None = None) -> None:
        self.settings = settings
        self._mover = mover

    @property
    def mover(self) -> MessageMover:
        if self._mover is None:
            self._mover = MoveLoop() if self.settings.local_mode else SqsMoveTask()
        return self._mover

    def _authorize(self, principal: Principal) -> None:
        principal.require("admin")
        if not self.settings.local_mode and principal.company_id not in self.settings.operator_company_ids:
            raise Forbidden("Only an admin of an operator company (OPERATOR_COMPANY_IDS) may redrive a queue.")

    def dead_letter_queues(self, principal: Principal) -> dict[str, Any]:
        """Every redrivable queue with the messages its DLQ holds (null when it is not configured here)."""
        self._authorize(principal)
        rows = []
        for name, (dlq_attr, _) in QUEUES.items():
            url = getattr(self.settings, dlq_attr)
            rows.append({"queue": name, "messages": depth(url) if url else None})
        return {"queues": rows}

    def redrive(self, principal: Principal, queue: str, body: Any) -> dict[str, Any]:
        """Move ``queue``'s DLQ back to its source; the count moved (or, for a move task, being moved)."""
        self._authorize(principal)
        if queue not in QUEUES:
            raise NotFound(f"Unknown queue {queue!r}. Valid: {', '.join(QUEUES)}.", details={"valid": list(QUEUES)})
        request = parse(RedriveRequest, body)
        dlq_attr, source_attr = QUEUES[queue]
        dlq_url, source_url = getattr(self.settings, dlq_attr), getattr(self.settings, source_attr)
        if not dlq_url or not source_url:
            raise ServiceUnavailable(f"The {queue} queue or its DLQ is not configured.")
        moved = self.mover.move(dlq_url, source_url, request.max_messages)
        verb = "being moved" if moved.mode == "move-task" else "moved"
        return {
            "message": f"{moved.messages} messages {verb} from the {queue} DLQ back to its queue.",
            "queue": queue,
            "moved": moved.messages,
            "mode": moved.mode,
            "task_handle": moved.task_handle,
        }
