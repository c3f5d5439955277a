"""One chat turn: store the user's message, answer it, store the answer, report ``message.received``.

Inline (the default for the extractive responder) a turn costs three DynamoDB requests when the caller's
credentials are cached: one query for the conversation and its latest messages, one for the agent, its
counters and its knowledge manifest (which retrieval then uses), and one transaction that writes both messages,
the counters, the outbox events (and, with ``Prefer: respond-async``, a completed task record). An API key's
request adds the one write that counts it against its quotas (:mod:`knowrithm_core.services.key_quotas`).

Queued (a slow responder such as Bedrock, ``CHAT_MODE=async``, or ``Prefer: respond-async`` when the chat
queue exists) the request stores the user's message with a *pending* task in one transaction, sends one
message to the chat queue and answers 202; :mod:`knowrithm_core.services.chat_worker` answers later.

Concurrent turns on one conversation are serialized by its version: see :mod:`knowrithm_core.services.turn_order`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound, ServiceUnavailable
from knowrithm_core.events import EventType
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.knowledge.search import manifest_known
from knowrithm_core.models.requests import ChatRequest, parse
from knowrithm_core.models.resources import Agent, Conversation, Message
from knowrithm_core.observability import logger as log
from knowrithm_core.responder import Answer, Responder, Turn, answers_slowly, chosen_for
from knowrithm_core.services.conversations import ConversationService, visible_to
from knowrithm_core.services.escalation import (
    VISITOR_REQUESTED_HUMAN,
    asks_for_human,
    escalation_reason,
    unanswered_streak,
)
from knowrithm_core.services.handoff import escalated_to_person, handed_off, handoff_data, held_result
from knowrithm_core.services.tasks import TaskService
from knowrithm_core.services.turn_order import TurnConflict, TurnLocks, in_turn
from knowrithm_core.store.expressions import WriteOp
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.store.repositories.conversations import ConversationRepository
from knowrithm_core.store.repositories.stats import chat_turn_ops
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork
from knowrithm_core.telemetry import ANSWER_LATENCY, CHAT_TURNS, ESCALATIONS, HANDOFFS, UNANSWERED, count, timing
from knowrithm_core.widget.limits import RateLimiter

CHAT_TASK = "chat"


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


@dataclass(frozen=True)
class TurnContext:
    """What answering needs: the conversation, the turns before the question (oldest first), the
    unanswered streak before it (see escalation) and every message read, newest first (deleted ones too)."""

    conversation: Conversation
    history: list[Turn]
    streak: tuple[int, bool]
    messages: list[Message]


def load_turn_context(
    conversations: ConversationRepository,
    company_id: str,
    conversation_id: str,
    window: int,
    *,
    before: str | None = None,
) -> TurnContext | None:
    """One query: the conversation and its ``window`` latest messages (those older than message ``before``
    when given). None when the conversation does not exist or is deleted."""
    extra = 10 if before else 0  # room for messages sent after ``before`` while it waited in the queue
    conversation, read = conversations.recent(company_id, conversation_id, window + 1 + extra)
    if conversation is None or conversation.deleted_at:
        return None
    messages = [m for m in read if not m.deleted_at and (before is None or m.id < before)][:window]  # newest first
    turns = [Turn("assistant" if m.role == "operator" else m.role, m.content) for m in reversed(messages)]
    streak = unanswered_streak(m.model_dump(include={"role", "metadata"}) for m in messages)
    return TurnContext(conversation, turns, streak, read)


def user_message_for(conversation: Conversation, text: str, stamp: str) -> Message:
    return Message.model_validate(
        {
            **_common(conversation, stamp),
            "id": new_id(),
            "role": "user",
            "content": text,
            "tokens_used": _tokens(text),
        }
    )


def assistant_message_for(
    conversation: Conversation, user: Message, answer: Answer, elapsed: float, escalation: str | None, stamp: str
) -> Message:
    return Message.model_validate(
        {
            **_common(conversation, stamp),
            "id": new_id(),
            "role": "assistant",
            "content": answer.text,
            "tokens_used": _tokens(answer.text),
            "processing_time": elapsed,
            "model_used": answer.model,
            "confidence_score": answer.confidence,
            "sources": answer.sources,
            "reply_to": user.id,
            "metadata": {
                "answered": answer.answered,
                "cited_sources": [s["source_number"] for s in answer.sources if s.get("cited", True)],
                "all_sources": [s["document_name"] for s in answer.sources],
                **({"escalated": True, "escalation_reason": escalation} if escalation else {}),
            },
        }
    )


def record_turn(responder: Responder, agent: Agent, answer: Answer, elapsed: float, escalation: str | None) -> None:
    """The metrics of one answered (and written) turn: count, latency and "don't know" per responder, and the
    escalation it reported, by reason."""
    name = getattr(chosen_for(responder, agent), "name", "unknown")
    count(CHAT_TURNS, responder=name)
    timing(ANSWER_LATENCY, round(elapsed * 1000, 1), responder=name)
    if not answer.answered:
        count(UNANSWERED, responder=name)
    if escalation:
        count(ESCALATIONS, reason=escalation)


def record_handoff(before: Conversation, after: Conversation) -> None:
    """Count a handoff the turn's escalation made (the agent's ``handoff_on_escalation``)."""
    if not handed_off(before) and handed_off(after):
        count(HANDOFFS, trigger="escalation")


def _common(conversation: Conversation, stamp: str) -> dict[str, Any]:
    return {
        "created_at": stamp,
        "updated_at": stamp,
        "company_id": conversation.company_id,
        "conversation_id": conversation.id,
        "agent_id": conversation.agent_id,
    }


def advanced(conversation: Conversation, stamp: str, *messages: Message) -> Conversation:
    """``conversation`` after ``messages`` were added (counters, activity, next version)."""
    return conversation.model_copy(
        update={
            "message_count": conversation.message_count + len(messages),
            "last_activity": stamp,
            "updated_at": stamp,
            "total_tokens": conversation.total_tokens + sum(m.tokens_used for m in messages),
            "version": conversation.version + 1,
        }
    )


def turn_result(conversation: Conversation, user: Message, assistant: Message) -> dict[str, Any]:
    """The superset every client reads (legacy ``history``, CLI ``response``/``content``, widget ids)."""
    return {
        "conversation_id": conversation.id,
        "message_id": user.id,
        "status": "completed",
        "user_message": user.public(),
        "assistant_message": assistant.public(),
        "response": assistant.content,
        "content": assistant.content,
        "sources": assistant.public()["sources"],
        "history": [
            {
                "user_message": user.content,
                "assistant_response": assistant.content,
                "message_id": user.id,
                "assistant_message_id": assistant.id,
                "created_at": user.created_at,
            }
        ],
        **({"handoff": conversation.handoff.model_dump(mode="json")} if conversation.handoff else {}),
    }


class ChatService:
    def __init__(
        self,
        conversations: ConversationService,
        responder: Responder,
        tasks: TaskService,
        limiter: RateLimiter | None = None,
        queue: MessageQueue | None = None,
    ) -> None:
        self.limiter = limiter
        self.conversations = conversations
        self.agents = conversations.agents
        self.repository = conversations.repository
        self.settings = conversations.settings
        self.responder = responder
        self.tasks = tasks
        self.queue = queue
        self.turn_locks = TurnLocks()

    def send(
        self,
        principal: Principal,
        conversation_id: str,
        body: Any,
        *,
        as_task: bool = False,
        client_ip: str | None = None,
    ) -> dict[str, Any]:
        """Answer one message, inline or through the chat queue (see :meth:`queues`).

        Inline with ``as_task`` the result is also stored as a completed task (for clients that poll
        ``/tasks/{id}/status``). Queued, the body is the 202 acknowledgement ``{status: "queued", task_id,
        message_id, conversation_id}``. Widget visitors (lead tokens) are rate limited per lead and per client
        IP (one extra request: both counters in one transaction)."""
        if not principal.is_lead:
            principal.require("write")
        request = parse(ChatRequest, body)
        if principal.is_lead and self.limiter:
            self.limiter.check("chat", {"lead": principal.subject_id, "ip": client_ip})
        return in_turn(
            lambda: self._turn(principal, conversation_id, request.message, as_task),
            self.settings.chat_turn_wait_seconds,
            self.turn_locks,
            key=f"{principal.company_id}/{conversation_id}",
        )

    def _turn(self, principal: Principal, conversation_id: str, text: str, as_task: bool) -> dict[str, Any]:
        """One attempt: read the conversation, answer (inline) or store the question (queued), commit."""
        context = self._context(principal, conversation_id)
        conversation = context.conversation
        if handed_off(conversation):
            return self._hold(conversation, text)
        record = self.agents.record(conversation.company_id, conversation.agent_id)
        agent = record.agent
        if self.queues(agent, as_task=as_task):
            return self._enqueue(principal, conversation, text, agent)
        started = time.perf_counter()
        with manifest_known(record.manifest):
            answer = self.responder.answer(agent, text, context.history)
        elapsed = round(time.perf_counter() - started, 4)
        streak, streak_escalated = context.streak
        escalation = escalation_reason(
            text, answer.answered, streak, streak_escalated, self.settings.escalate_after_unanswered
        )
        stamp = iso()
        user_message = user_message_for(conversation, text, stamp)
        assistant_message = assistant_message_for(conversation, user_message, answer, elapsed, escalation, stamp)
        updated = advanced(conversation, stamp, user_message, assistant_message)
        updated = escalated_to_person(updated, agent, escalation, stamp)
        result = turn_result(updated, user_message, assistant_message)
        task_id = new_id() if as_task else None
        uow = self.conversations.unit_of_work()
        self.repository.add_message(uow, user_message)
        self.repository.add_message(uow, assistant_message)
        self.repository.save(uow, updated, read_version=conversation.version)
        uow.add(self.agents.stats_op(conversation.company_id, conversation.agent_id, messages=2))
        uow.extend(chat_turn_ops(user_message, assistant_message, by_lead=principal.is_lead))
        uow.add(self._event_op(EventType.MESSAGE_RECEIVED, updated, user_message))
        if escalation:
            uow.add(self._event_op(EventType.CONVERSATION_ESCALATED, updated, user_message, reason=escalation))
        uow.add(self._handoff_op(conversation, updated))
        if task_id:
            owner = principal.subject_id
            uow.add(self.tasks.completed_op(conversation.company_id, task_id, CHAT_TASK, result, owner_id=owner))
        self._commit(uow)
        record_turn(self.responder, agent, answer, elapsed, escalation)
        record_handoff(conversation, updated)
        if task_id:
            return self._acknowledgement(task_id, user_message)
        return result

    def queues(self, agent: Agent, *, as_task: bool) -> bool:
        """Whether this turn goes through the chat queue: never without one or with ``CHAT_MODE=inline``;
        always with ``CHAT_MODE=async``; otherwise (``auto``) when the client asked for a task or the agent's
        responder is slow (Bedrock), so a model call never holds an API request open."""
        mode = self.settings.chat_mode
        if self.queue is None or mode == "inline":
            return False
        return mode == "async" or as_task or answers_slowly(self.responder, agent)

    def _enqueue(self, principal: Principal, conversation: Conversation, text: str, agent: Agent) -> dict[str, Any]:
        """Store the question with a pending task (one transaction), then queue it (at least once: the
        worker skips tasks already finished). If the queue refuses, the task is failed and the caller gets 503;
        the stored question stays (nothing said is lost)."""
        stamp = iso()
        user_message = user_message_for(conversation, text, stamp)
        escalated = asks_for_human(text)  # needs no answer: hand over now, even if the model is down
        reason = VISITOR_REQUESTED_HUMAN if escalated else None
        updated = escalated_to_person(advanced(conversation, stamp, user_message), agent, reason, stamp)
        task_id = new_id()
        company_id = conversation.company_id
        uow = self.conversations.unit_of_work()
        self.repository.add_message(uow, user_message)
        self.repository.save(uow, updated, read_version=conversation.version)
        uow.add(
            self.agents.stats_op(company_id, conversation.agent_id, messages=1),
            self._event_op(EventType.MESSAGE_RECEIVED, updated, user_message),
            self.tasks.pending_op(company_id, task_id, CHAT_TASK, owner_id=principal.subject_id),
        )
        if escalated:
            uow.add(self._event_op(EventType.CONVERSATION_ESCALATED, updated, user_message, reason=reason))
        uow.add(self._handoff_op(conversation, updated))
        self._commit(uow)
        if escalated:
            count(ESCALATIONS, reason=VISITOR_REQUESTED_HUMAN)
        record_handoff(conversation, updated)
        job = {
            "company_id": company_id,
            "conversation_id": conversation.id,
            "message_id": user_message.id,
            "task_id": task_id,
            "by_lead": principal.is_lead,
        }
        try:
            assert self.queue is not None
            self.queue.send([job])
        except Exception as exc:
            log.exception("the chat queue refused a turn", extra={"task_id": task_id})
            task = self.tasks.get(company_id, task_id)
            if task is not None:
                self.tasks.finish(task, error={"message": "The answer could not be queued.", "code": "queue_error"})
            raise ServiceUnavailable("The answer could not be queued; please send the message again.") from exc
        return self._acknowledgement(task_id, user_message)

    def _hold(self, conversation: Conversation, text: str) -> dict[str, Any]:
        """A visitor's message while a person has the conversation: stored and reported, never answered."""
        stamp = iso()
        user_message = user_message_for(conversation, text, stamp)
        updated = advanced(conversation, stamp, user_message)
        uow = self.conversations.unit_of_work()
        self.repository.add_message(uow, user_message)
        self.repository.save(uow, updated, read_version=conversation.version)
        uow.add(
            self.agents.stats_op(conversation.company_id, conversation.agent_id, messages=1),
            self._event_op(EventType.MESSAGE_RECEIVED, updated, user_message),
        )
        self._commit(uow)
        return held_result(updated, user_message)

    def _handoff_op(self, before: Conversation, after: Conversation) -> WriteOp | None:
        """``conversation.handoff`` when this turn handed the conversation to a person (the agent's setting)."""
        if handed_off(before) or not handed_off(after):
            return None
        return self.conversations.event_op(after.company_id, EventType.CONVERSATION_HANDOFF, handoff_data(after))

    def _context(self, principal: Principal, conversation_id: str) -> TurnContext:
        if not is_uuid(conversation_id):
            raise NotFound("Conversation not found.")
        window = self.settings.context_messages
        context = load_turn_context(self.repository, principal.company_id, conversation_id, window)
        if context is None or not visible_to(principal, context.conversation):
            raise NotFound("Conversation not found.")
        return context

    def _event_op(
        self, event: EventType, conversation: Conversation, message: Message, *, reason: str | None = None
    ) -> WriteOp:
        return event_op_for(self.conversations, event, conversation, message, reason=reason)

    def _commit(self, uow: UnitOfWork) -> None:
        """Write the turn; a lost race (another turn or a delete) raises :class:`TurnConflict` to try again."""
        try:
            uow.commit()
        except TransactionConflict as exc:
            raise TurnConflict(str(exc)) from exc

    @staticmethod
    def _acknowledgement(task_id: str, user_message: Message) -> dict[str, Any]:
        return {
            "status": "queued",
            "task_id": task_id,
            "message_id": user_message.id,
            "conversation_id": user_message.conversation_id,
        }


def event_op_for(
    conversations: ConversationService,
    event: EventType,
    conversation: Conversation,
    message: Message,
    *,
    reason: str | None = None,
) -> WriteOp:
    """``message.received`` (the user's message) or ``conversation.escalated`` (with its ``reason``)."""
    if event is EventType.CONVERSATION_ESCALATED:
        data = {"conversation": conversation.public(), "reason": reason, "message": message.public()}
    else:
        data = {**message.public(), "conversation": conversation.public()}
    return conversations.event_op(conversation.company_id, event, data)
