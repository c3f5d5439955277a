"""Conversations, messages and chat results."""

from __future__ import annotations

from typing import Any, TypedDict

from knowrithm_py.models.common import Pagination


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
    role: str  # user | assistant | system
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
    version: int
    created_at: str
    updated_at: str


class HistoryEntry(TypedDict, total=False):
    """The legacy synchronous chat format: ``reply["history"][-1]["assistant_response"]``."""

    user_message: str
    assistant_response: str
    message_id: str
    assistant_message_id: str
    created_at: str


class ChatResult(TypedDict, total=False):
    """One answered chat turn (the superset every Knowrithm client reads)."""

    conversation_id: str
    message_id: str  # the stored user message
    status: str
    user_message: Message
    assistant_message: Message
    response: str
    content: str
    sources: list[MessageSource]
    history: list[HistoryEntry]


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
