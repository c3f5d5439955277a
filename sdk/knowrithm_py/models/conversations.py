"""Conversations, messages and chat results."""

from __future__ import annotations

from typing import Any, TypedDict

from knowrithm_py.models.common import Pagination


class Author(TypedDict, total=False):
    """An operator: who wrote an ``operator`` message, or who has a handed-off conversation."""

    name: str
    email: str | None


class Handoff(TypedDict, total=False):
    """Present while a person has the conversation (the bot does not answer)."""

    handed_off: bool
    assignee: Author | None
    since: str
    reason: str | None
    trigger: str  # api | escalation | slack


class Conversation(TypedDict, total=False):
    id: str
    company_id: str
    agent_id: str
    entity_type: str  # user | lead
    entity_id: str | None
    title: str
    status: str  # active | archived | deleted | ended
    metadata: dict[str, Any]
    tags: list[str]
    max_context_length: int
    context_strategy: str
    message_count: int
    total_tokens: int
    last_activity: str | None
    ended_at: str | None
    is_active: bool
    deleted_at: str | None
    handoff: Handoff | None
    version: int
    created_at: str
    updated_at: str


class MessageSource(TypedDict, total=False):
    source_number: int
    document_name: str
    document_id: str | None
    url: str | None
    cited: bool


class Message(TypedDict, total=False):
    id: str
    company_id: str
    conversation_id: str
    agent_id: str
    role: str  # user | assistant | system | operator
    content: str
    content_type: str
    tokens_used: int
    processing_time: float | None
    model_used: str | None
    confidence_score: float | None
    sources: list[MessageSource]
    metadata: dict[str, Any]
    reply_to: str | None
    is_active: bool
    deleted_at: str | None
    author: Author | None  # who wrote an operator message
    version: int
    created_at: str
    updated_at: str


class HistoryEntry(TypedDict, total=False):
    """The legacy synchronous chat format: ``reply["history"][-1]["assistant_response"]``."""

    user_message: str
    assistant_response: str | None  # None while handed off
    message_id: str
    assistant_message_id: str | None
    created_at: str


class ChatResult(TypedDict, total=False):
    """One answered chat turn (the superset every Knowrithm client reads). While a person has the conversation
    ``response`` is None, ``assistant_message`` is None and ``handoff`` says who has it."""

    conversation_id: str
    message_id: str  # the stored user message
    status: str
    user_message: Message
    assistant_message: Message | None
    response: str | None
    content: str | None
    sources: list[MessageSource]
    history: list[HistoryEntry]
    handoff: Handoff | None


class ConversationList(TypedDict, total=False):
    conversations: list[Conversation]
    items: list[Conversation]
    total: int
    pagination: Pagination


class MessageList(TypedDict, total=False):
    """Messages oldest first."""

    messages: list[Message]
    items: list[Message]
    conversation_id: str
    total: int
    pagination: Pagination


class ConversationDeleted(TypedDict, total=False):
    message: str
    conversation_id: str
    deleted_messages_count: int


class ConversationRestored(TypedDict, total=False):
    message: str
    conversation_id: str
    restored_messages_count: int
    conversation: Conversation


class DeletedConversations(TypedDict, total=False):
    deleted_conversations: list[Conversation]
    total: int


class MessageAck(TypedDict, total=False):
    message: str
    message_id: str


class DeletedMessages(TypedDict, total=False):
    deleted_messages: list[Message]
    total: int


class HandoffResult(TypedDict, total=False):
    """``handoff`` and ``release``: the conversation's new state (``handoff`` None once released)."""

    message: str
    conversation_id: str
    handoff: Handoff | None
    conversation: Conversation


class OperatorReply(TypedDict, total=False):
    """``reply``: the stored operator message."""

    message: str
    conversation_id: str
    message_id: str
    operator_message: Message
