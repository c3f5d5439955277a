"""One chat turn: store the user's message, answer it, store the answer, report ``message.received``.

Costs three DynamoDB requests when the caller's credentials are cached: one query for
the conversation and its latest messages, one for the agent and its counters, and one
transaction that writes both messages, the counters, the outbox event (and, when the
client asked for an asynchronous answer, the completed task record).
"""

from __future__ import annotations

import time
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import Conflict, NotFound
from knowrithm_core.events import EventType
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.models.requests import ChatRequest, parse
from knowrithm_core.models.resources import Conversation, Message
from knowrithm_core.responder import Responder, Turn
from knowrithm_core.services.analytics_counters import chat_turn_ops
from knowrithm_core.services.base import load
from knowrithm_core.services.conversations import ConversationService, conversation_item, message_item, visible_to
from knowrithm_core.services.escalation import escalation_reason, unanswered_streak
from knowrithm_core.services.tasks import TaskService
from knowrithm_core.store import keys
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.widget.limits import RateLimiter


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


class ChatService:
    def __init__(
        self,
        conversations: ConversationService,
        responder: Responder,
        tasks: TaskService,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.limiter = limiter
        self.conversations = conversations
        self.agents = conversations.agents
        self.table = conversations.table
        self.settings = conversations.settings
        self.responder = responder
        self.tasks = tasks

    def _conversation_and_history(
        self, principal: Principal, conversation_id: str
    ) -> tuple[Conversation, list[Turn], tuple[int, bool]]:
        """The conversation, its recent turns (oldest first) and the current unanswered streak (see escalation)."""
        if not is_uuid(conversation_id):
            raise NotFound("Conversation not found.")
        items = self.table.query(
            keys.conversation_pk(principal.company_id, conversation_id),
            forward=False,
            limit=self.settings.context_messages + 1,
        )
        meta = next((i for i in items if i["SK"] == keys.CONVERSATION_META), None)
        if meta is None or meta.get("deleted_at"):
            raise NotFound("Conversation not found.")
        conversation = load(Conversation, meta)
        if not visible_to(principal, conversation):
            raise NotFound("Conversation not found.")
        messages = [i for i in items if i["SK"].startswith("MSG#") and not i.get("deleted_at")]  # newest first
        turns = [Turn(str(i["role"]), str(i["content"])) for i in reversed(messages)]
        return conversation, turns, unanswered_streak(messages)

    def send(
        self,
        principal: Principal,
        conversation_id: str,
        body: Any,
        *,
        as_task: bool = False,
        client_ip: str | None = None,
    ) -> dict[str, Any]:
        """Answer one message. With ``as_task`` the result is also stored as a completed task
        (for clients that poll ``/tasks/{id}/status``). Widget visitors (lead tokens) are rate limited
        per lead and per client IP (one extra request: both counters in one transaction)."""
        if not principal.is_lead:
            principal.require("write")
        request = parse(ChatRequest, body)
        if principal.is_lead and self.limiter:
            self.limiter.check("chat", {"lead": principal.subject_id, "ip": client_ip})
        conversation, history, (streak, streak_escalated) = self._conversation_and_history(principal, conversation_id)
        agent = self.agents.read(conversation.company_id, conversation.agent_id)[1]
        started = time.perf_counter()
        answer = self.responder.answer(agent, request.message, history)
        elapsed = round(time.perf_counter() - started, 4)
        escalation = escalation_reason(
            request.message, answer.answered, streak, streak_escalated, self.settings.escalate_after_unanswered
        )
        stamp = iso()
        common: dict[str, Any] = {
            "created_at": stamp,
            "updated_at": stamp,
            "company_id": conversation.company_id,
            "conversation_id": conversation.id,
            "agent_id": conversation.agent_id,
        }
        user_message = Message.model_validate(
            {
                **common,
                "id": new_id(),
                "role": "user",
                "content": request.message,
                "tokens_used": _tokens(request.message),
            }
        )
        assistant_message = Message.model_validate(
            {
                **common,
                "id": new_id(),
                "role": "assistant",
                "content": answer.text,
                "tokens_used": _tokens(answer.text),
                "processing_time": elapsed,
                "model_used": answer.model,
                "confidence_score": answer.confidence,
                "sources": answer.sources,
                "reply_to": user_message.id,
                "metadata": {
                    "answered": answer.answered,
                    "cited_sources": [s["source_number"] for s in answer.sources if s.get("cited", True)],
                    "all_sources": [s["document_name"] for s in answer.sources],
                    **({"escalated": True, "escalation_reason": escalation} if escalation else {}),
                },
            }
        )
        updated = conversation.model_copy(
            update={
                "message_count": conversation.message_count + 2,
                "last_activity": stamp,
                "updated_at": stamp,
                "total_tokens": conversation.total_tokens + user_message.tokens_used + assistant_message.tokens_used,
                "version": conversation.version + 1,
            }
        )
        result = self._result(updated, user_message, assistant_message)
        task_id = new_id() if as_task else None
        ops = [
            self.table.put_op(message_item(user_message)),
            self.table.put_op(message_item(assistant_message)),
            self.table.put_op(
                conversation_item(updated),
                condition="version = :v AND attribute_not_exists(deleted_at)",
                values={":v": conversation.version},
            ),
            self.agents.stats_op(conversation.company_id, conversation.agent_id, messages=2),
            *chat_turn_ops(self.table, user_message, assistant_message, by_lead=principal.is_lead),
            self.conversations.event_op(
                conversation.company_id,
                EventType.MESSAGE_RECEIVED,
                {**user_message.public(), "conversation": updated.public()},
            ),
        ]
        if escalation:
            ops.append(
                self.conversations.event_op(
                    conversation.company_id,
                    EventType.CONVERSATION_ESCALATED,
                    {"conversation": updated.public(), "reason": escalation, "message": user_message.public()},
                )
            )
        if task_id:
            ops.append(
                self.tasks.completed_op(conversation.company_id, task_id, "chat", result, owner_id=principal.subject_id)
            )
        try:
            self.table.transact(ops)
        except TransactionConflict as exc:
            raise Conflict("The conversation changed meanwhile (another message or a delete); send again.") from exc
        if task_id:
            return {
                "status": "queued",
                "task_id": task_id,
                "message_id": user_message.id,
                "conversation_id": conversation.id,
            }
        return result

    @staticmethod
    def _result(conversation: Conversation, user: Message, assistant: Message) -> dict[str, Any]:
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
        }
