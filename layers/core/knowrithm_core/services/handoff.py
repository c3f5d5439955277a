"""Human handoff: a person takes a conversation over, answers as an ``operator``, and gives it back.

While ``conversation.handoff`` is set the bot stays silent: visitor messages are stored and reported as
``message.received`` (see :mod:`knowrithm_core.services.chat`) but get no answer. Every change is one
transaction with its outbox event (``conversation.handoff``, ``message.sent``, ``conversation.released``),
conditioned on the conversation's version, so a lost race changes nothing and answers 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import Conflict
from knowrithm_core.events import EventType
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.bodies.base import parse
from knowrithm_core.models.bodies.conversations import AuthorBody, HandoffRequest, OperatorReplyRequest
from knowrithm_core.models.resources import Agent, Author, Conversation, Handoff, Message
from knowrithm_core.services.conversations import ConversationService
from knowrithm_core.store.expressions import WriteOp
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.telemetry import HANDOFF_RELEASES, HANDOFFS, OPERATOR_MESSAGES, count

API, ESCALATION, SLACK = "api", "escalation", "slack"
MAX_MESSAGE = 20_000  # what a chat or reply body accepts; longer Slack messages are cut


def handed_off(conversation: Conversation) -> bool:
    return conversation.handoff is not None and conversation.handoff.handed_off


def handoff_state(stamp: str, *, assignee: Author | None, reason: str | None, trigger: str) -> Handoff:
    return Handoff.model_validate({"assignee": assignee, "since": stamp, "reason": reason, "trigger": trigger})


def handoff_data(conversation: Conversation) -> dict[str, Any]:
    """``conversation.handoff``'s data: the conversation (already handed off), who has it and why."""
    state = conversation.handoff
    assert state is not None  # noqa: S101 - narrows the type: called only for a handed-off conversation
    return {
        "conversation": conversation.public(),
        "assignee": state.assignee.model_dump(mode="json") if state.assignee else None,
        "reason": state.reason,
        "trigger": state.trigger,
    }


def _author(body: AuthorBody | None) -> Author | None:
    return Author(name=body.name, email=body.email) if body else None


class HandoffService:
    """The handoff routes, and the operator messages Slack replies become."""

    def __init__(self, conversations: ConversationService) -> None:
        self.conversations = conversations
        self.repository = conversations.repository
        self.agents = conversations.agents

    def handoff(self, principal: Principal, conversation_id: str, body: Any) -> dict[str, Any]:
        """Hand the conversation to a person (again, to reassign it)."""
        principal.require("write")
        request = parse(HandoffRequest, body)
        current = self.conversations.load(principal, conversation_id)
        updated = self.take_over(current, assignee=_author(request.assignee), reason=request.reason, trigger=API)
        return self._state("The conversation was handed off to a person.", updated)

    def take_over(
        self, current: Conversation, *, assignee: Author | None, reason: str | None, trigger: str
    ) -> Conversation:
        """Store the handoff with ``conversation.handoff`` (one transaction); 409 when the conversation changed."""
        stamp = iso()
        state = handoff_state(stamp, assignee=assignee, reason=reason, trigger=trigger)
        updated = self._next(current, stamp, handoff=state)
        self._commit(current, updated, self.event_op(EventType.CONVERSATION_HANDOFF, updated, handoff_data(updated)))
        count(HANDOFFS, trigger=trigger)
        return updated

    def reply(self, principal: Principal, conversation_id: str, body: Any) -> dict[str, Any]:
        """An operator's message; only while the conversation is handed off (409 otherwise)."""
        principal.require("write")
        request = parse(OperatorReplyRequest, body)
        current = self.conversations.load(principal, conversation_id)
        message = self.post(current, request.message, _author(request.author))
        return {
            "message": "The operator message was sent.",
            "conversation_id": current.id,
            "message_id": message.id,
            "operator_message": message.public(),
        }

    def post(
        self, current: Conversation, text: str, author: Author | None, *, extra: Sequence[WriteOp] = (), **metadata: Any
    ) -> Message:
        """Store an operator message with ``message.sent`` (and the ``extra`` writes, in the same transaction);
        ``author`` defaults to the assignee; ``metadata`` is stored on the message (``source``: where it came from)."""
        state = current.handoff
        if state is None or not state.handed_off:
            raise Conflict("The conversation is not handed off: hand it off before replying as a person.")
        stamp = iso()
        message = Message.model_validate(
            {
                "id": new_id(),
                "created_at": stamp,
                "updated_at": stamp,
                "company_id": current.company_id,
                "conversation_id": current.id,
                "agent_id": current.agent_id,
                "role": "operator",
                "content": text[:MAX_MESSAGE],
                "tokens_used": max(1, len(text.split())),
                "author": author or state.assignee or Author(name="Support"),
                "metadata": metadata,
            }
        )
        updated = self._next(current, stamp, handoff=state, messages=1, tokens=message.tokens_used)
        data = {**message.public(), "conversation": updated.public()}
        uow_ops = [
            self.agents.stats_op(current.company_id, current.agent_id, messages=1),
            self.event_op(EventType.MESSAGE_SENT, updated, data),
            *extra,
        ]
        self._commit(current, updated, *uow_ops, message=message)
        count(OPERATOR_MESSAGES)
        return message

    def release(self, principal: Principal, conversation_id: str) -> dict[str, Any]:
        """Give the conversation back to the bot; 409 when it is not handed off."""
        principal.require("write")
        current = self.conversations.load(principal, conversation_id)
        if not handed_off(current):
            raise Conflict("The conversation is not handed off.")
        updated = self._next(current, iso(), handoff=None)
        data = {"conversation": updated.public(), "released_by": principal.subject_id}
        self._commit(current, updated, self.event_op(EventType.CONVERSATION_RELEASED, updated, data))
        count(HANDOFF_RELEASES)
        return self._state("The conversation is back with the bot.", updated)

    # --- helpers ------------------------------------------------------------------------------------------
    def event_op(self, event: EventType, conversation: Conversation, data: dict[str, Any]) -> WriteOp:
        return self.conversations.event_op(conversation.company_id, event, data)

    @staticmethod
    def _next(
        current: Conversation, stamp: str, *, handoff: Handoff | None, messages: int = 0, tokens: int = 0
    ) -> Conversation:
        changes: dict[str, Any] = {"handoff": handoff, "updated_at": stamp, "version": current.version + 1}
        if messages:
            changes |= {
                "message_count": current.message_count + messages,
                "total_tokens": current.total_tokens + tokens,
                "last_activity": stamp,
            }
        return current.model_copy(update=changes)

    def _commit(
        self, current: Conversation, updated: Conversation, *ops: WriteOp, message: Message | None = None
    ) -> None:
        uow = self.conversations.unit_of_work()
        if message is not None:
            self.repository.add_message(uow, message)
        self.repository.save(uow, updated, read_version=current.version)
        uow.add(*ops)
        try:
            uow.commit()
        except TransactionConflict as exc:
            raise Conflict("The conversation changed meanwhile; try again.") from exc

    @staticmethod
    def _state(text: str, conversation: Conversation) -> dict[str, Any]:
        handoff = conversation.handoff.model_dump(mode="json") if conversation.handoff else None
        return {
            "message": text,
            "conversation_id": conversation.id,
            "handoff": handoff,
            "conversation": conversation.public(),
        }


def held_result(conversation: Conversation, user: Message) -> dict[str, Any]:
    """A chat turn while a person has the conversation: stored, not answered (``response`` null)."""
    state = conversation.handoff
    return {
        "conversation_id": conversation.id,
        "message_id": user.id,
        "status": "completed",
        "user_message": user.public(),
        "assistant_message": None,
        "response": None,
        "content": None,
        "sources": [],
        "history": [
            {
                "user_message": user.content,
                "assistant_response": None,
                "message_id": user.id,
                "assistant_message_id": None,
                "created_at": user.created_at,
            }
        ],
        "handoff": state.model_dump(mode="json") if state else None,
    }


def escalated_to_person(conversation: Conversation, agent: Agent, escalation: str | None, stamp: str) -> Conversation:
    """``conversation`` handed off when this turn escalates and the agent hands escalations to a person."""
    if not escalation or not agent.handoff_on_escalation or handed_off(conversation):
        return conversation
    state = handoff_state(stamp, assignee=None, reason=escalation, trigger=ESCALATION)
    return conversation.model_copy(update={"handoff": state})
