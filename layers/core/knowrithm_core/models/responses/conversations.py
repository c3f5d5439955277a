"""Conversations, messages and chat results."""

from typing import Any

from knowrithm_core.models.responses.common import Out, Pagination


class Author(Out):
    name: str | None = None
    email: str | None = None


class Handoff(Out):
    """Present while a person has the conversation: the bot does not answer."""

    handed_off: bool | None = None
    assignee: Author | None = None
    since: str | None = None
    reason: str | None = None
    trigger: str | None = None  # api | escalation | slack


class Conversation(Out):
    id: str | None = None
    company_id: str | None = None
    agent_id: str | None = None
    entity_type: str | None = None  # user | lead
    entity_id: str | None = None
    title: str | None = None
    status: str | None = None  # active | archived | deleted | ended
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    max_context_length: int | None = None
    context_strategy: str | None = None
    message_count: int | None = None
    total_tokens: int | None = None
    last_activity: str | None = None
    ended_at: str | None = None
    is_active: bool | None = None
    deleted_at: str | None = None
    handoff: Handoff | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class MessageSource(Out):
    source_number: int | None = None
    document_name: str | None = None
    document_id: str | None = None
    url: str | None = None
    cited: bool | None = None


class Message(Out):
    id: str | None = None
    company_id: str | None = None
    conversation_id: str | None = None
    agent_id: str | None = None
    role: str | None = None  # user | assistant | system | operator
    content: str | None = None
    content_type: str | None = None
    tokens_used: int | None = None
    processing_time: float | None = None
    model_used: str | None = None
    confidence_score: float | None = None
    sources: list[MessageSource] | None = None
    metadata: dict[str, Any] | None = None
    reply_to: str | None = None
    is_active: bool | None = None
    deleted_at: str | None = None
    author: Author | None = None  # who wrote an operator message
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class HistoryEntry(Out):
    """The legacy synchronous chat format: ``reply["history"][-1]["assistant_response"]``."""

    user_message: str | None = None
    assistant_response: str | None = None
    message_id: str | None = None
    assistant_message_id: str | None = None
    created_at: str | None = None


class ChatResult(Out):
    """One answered chat turn (the superset every Knowrithm client reads). While a person has the conversation,
    ``response`` is null, there is no ``assistant_message`` and ``handoff`` says who has it."""

    conversation_id: str | None = None
    message_id: str | None = None  # the stored user message
    status: str | None = None
    user_message: Message | None = None
    assistant_message: Message | None = None
    response: str | None = None
    content: str | None = None
    sources: list[MessageSource] | None = None
    history: list[HistoryEntry] | None = None
    handoff: Handoff | None = None


class ConversationList(Out):
    conversations: list[Conversation] | None = None
    items: list[Conversation] | None = None
    total: int | None = None
    pagination: Pagination | None = None


class MessageList(Out):
    """Messages oldest first."""

    messages: list[Message] | None = None
    items: list[Message] | None = None
    conversation_id: str | None = None
    total: int | None = None
    pagination: Pagination | None = None


class ConversationDeleted(Out):
    message: str | None = None
    conversation_id: str | None = None
    deleted_messages_count: int | None = None


class ConversationRestored(Out):
    message: str | None = None
    conversation_id: str | None = None
    restored_messages_count: int | None = None
    conversation: Conversation | None = None


class DeletedConversations(Out):
    deleted_conversations: list[Conversation] | None = None
    total: int | None = None


class MessageAck(Out):
    message: str | None = None
    message_id: str | None = None


class DeletedMessages(Out):
    deleted_messages: list[Message] | None = None
    total: int | None = None


class ConversationCreated(Out):
    """``POST /conversation``: the new conversation, and its id at the top level."""

    message: str | None = None
    id: str | None = None
    conversation_id: str | None = None
    conversation: Conversation


class ConversationEnvelope(Out):
    """``GET /conversation/{id}`` and ``PATCH /conversation/{id}``."""

    message: str | None = None
    conversation: Conversation


class HandoffResult(Out):
    """``POST /conversation/{id}/handoff`` and ``/release``: the conversation's new state."""

    message: str | None = None
    conversation_id: str | None = None
    handoff: Handoff | None = None
    conversation: Conversation | None = None


class OperatorReply(Out):
    """``POST /conversation/{id}/reply``: the stored operator message."""

    message: str | None = None
    conversation_id: str | None = None
    message_id: str | None = None
    operator_message: Message | None = None
