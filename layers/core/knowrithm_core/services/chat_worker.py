"""ChatWorkerFunction's work: answer a queued chat turn and finish its task.

Delivery is at least once. Each queue message names one pending task; the worker answers the user's
message and writes, in one transaction, the assistant's message, the conversation's counters, the turn's
analytics counters, ``conversation.escalated`` when the answer makes the unanswered streak long enough,
and the completed task (conditional on the task still being unfinished, so a redelivered message or a
second worker cannot answer twice). A model failure that may pass (throttling, network) is retried by
SQS; on the last attempt its apology answer is stored as the answer. Anything else that fails on every
attempt fails the task with a reason (``GET /tasks/{id}/status`` shows it) before the message reaches the DLQ.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from knowrithm_core.errors import NotFound
from knowrithm_core.events import EventType
from knowrithm_core.ids import iso
from knowrithm_core.knowledge.search import manifest_known
from knowrithm_core.models.resources import Conversation, Message, Task
from knowrithm_core.services.chat import (
    ChatService,
    advanced,
    assistant_message_for,
    event_op_for,
    load_turn_context,
    record_handoff,
    record_turn,
    turn_result,
)
from knowrithm_core.services.escalation import VISITOR_REQUESTED_HUMAN, escalation_reason
from knowrithm_core.services.handoff import escalated_to_person, handed_off, handoff_data, held_result
from knowrithm_core.store.repositories.stats import chat_turn_ops
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.telemetry import CHAT_TURNS_FAILED, count

JOB_FIELDS = ("company_id", "conversation_id", "message_id", "task_id")
WRITE_ATTEMPTS = 3  # re-reads of the conversation when another message changed it meanwhile
GAVE_UP = "The answer could not be produced; please send the message again."


class RetryLater(Exception):
    """The turn should be tried again by SQS (a transient model failure, or a busy conversation)."""


class ChatWorker:
    """The second half of a queued turn; shares the chat service's responder, settings and stores."""

    def __init__(self, chat: ChatService) -> None:
        self.conversations = chat.conversations
        self.agents = chat.agents
        self.repository = chat.repository
        self.responder = chat.responder
        self.tasks = chat.tasks
        self.settings = chat.settings
        self.queue = chat.queue

    def handle(self, job: Mapping[str, Any], attempt: int = 1) -> str:
        """Answer one queued turn; returns ``completed``, ``failed`` or ``skipped``; raises to be retried."""
        company_id, task_id = str(job["company_id"]), str(job["task_id"])
        task = self.tasks.get(company_id, task_id)
        if task is None or task.status in ("completed", "failed"):
            return "skipped"
        last_attempt = attempt >= self.settings.chat_max_attempts
        try:
            return self._answer(task, job, last_attempt=last_attempt)
        except NotFound as exc:
            self.tasks.finish(task, error={"message": exc.message, "code": "not_found"})
            count(CHAT_TURNS_FAILED)
            return "failed"
        except Exception:
            if last_attempt:
                self.tasks.finish(task, error={"message": GAVE_UP, "code": "chat_failed"})
                count(CHAT_TURNS_FAILED)
            raise

    def _answer(self, task: Task, job: Mapping[str, Any], *, last_attempt: bool) -> str:
        company_id, conversation_id, message_id = task.company_id, str(job["conversation_id"]), str(job["message_id"])
        window = self.settings.context_messages
        context = load_turn_context(self.repository, company_id, conversation_id, window, before=message_id)
        if context is None:
            raise NotFound("The conversation was deleted before it could be answered.")
        user = self._user_message(context.messages, company_id, conversation_id, message_id)
        if handed_off(context.conversation):
            return self._hold(task, context.conversation, user)
        self.tasks.mark_processing(task)
        record = self.agents.record(company_id, context.conversation.agent_id)
        agent = record.agent
        started = time.perf_counter()
        with manifest_known(record.manifest):
            answer = self.responder.answer(agent, user.content, context.history)
        elapsed = round(time.perf_counter() - started, 4)
        if answer.transient and not last_attempt:
            raise RetryLater(f"the responder failed transiently ({answer.model})")
        streak, streak_escalated = context.streak
        limit = self.settings.escalate_after_unanswered
        escalation = escalation_reason(user.content, answer.answered, streak, streak_escalated, limit)
        conversation = context.conversation
        for _ in range(WRITE_ATTEMPTS):
            stamp = iso()
            assistant = assistant_message_for(conversation, user, answer, elapsed, escalation, stamp)
            new = escalation if escalation != VISITOR_REQUESTED_HUMAN else None  # that one was handled when asked
            updated = escalated_to_person(advanced(conversation, stamp, assistant), agent, new, stamp)
            uow = self.conversations.unit_of_work()
            self.repository.add_message(uow, assistant)
            self.repository.save(uow, updated, read_version=conversation.version)
            uow.add(self.agents.stats_op(company_id, conversation.agent_id, messages=1))
            uow.extend(chat_turn_ops(user, assistant, by_lead=bool(job.get("by_lead"))))
            uow.add(self.tasks.finished_op(task, result=turn_result(updated, user, assistant)))
            if new:  # a visitor asking for a person was reported when they asked
                uow.add(event_op_for(self.conversations, EventType.CONVERSATION_ESCALATED, updated, user, reason=new))
            if handed_off(updated) and not handed_off(conversation):
                uow.add(self.conversations.event_op(company_id, EventType.CONVERSATION_HANDOFF, handoff_data(updated)))
            try:
                uow.commit()
                record_turn(self.responder, agent, answer, elapsed, new)
                record_handoff(conversation, updated)
                return "completed"
            except TransactionConflict:
                current = self.tasks.get(company_id, task.task_id)
                if current is None or current.status in ("completed", "failed"):
                    return "skipped"  # another delivery of this message finished it
                reread = self.repository.get(company_id, conversation_id)
                if reread is None or reread.deleted_at:
                    raise NotFound("The conversation was deleted before it could be answered.") from None
                conversation = reread
        raise RetryLater("the conversation kept changing while the answer was written")

    def _hold(self, task: Task, conversation: Conversation, user: Message) -> str:
        """A person took the conversation over while the turn waited: finish the task with no answer."""
        uow = self.conversations.unit_of_work()
        uow.add(self.tasks.finished_op(task, result=held_result(conversation, user)))
        try:
            uow.commit()
        except TransactionConflict:
            return "skipped"  # another delivery finished it
        return "completed"

    def _user_message(self, read: list[Message], company_id: str, conversation_id: str, message_id: str) -> Message:
        found = next((m for m in read if m.id == message_id), None)
        found = found or self.repository.message(company_id, conversation_id, message_id)
        if found is None or found.deleted_at:
            raise NotFound("The message was deleted before it could be answered.")
        return found


def retry_delay(error: Exception, attempt: int) -> int | None:
    """Seconds before a turn that asked to be retried comes back: 5, 10, 20 … (at most 60); None (the
    queue's visibility timeout) for unexpected failures, which are unlikely to pass that quickly."""
    return min(60, 5 * 2 ** max(0, attempt - 1)) if isinstance(error, RetryLater) else None
