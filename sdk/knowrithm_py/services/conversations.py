"""Conversations (``/conversation``) and messages, including chat."""

from __future__ import annotations

from typing import Any, Literal, cast, overload
from urllib.parse import quote

from knowrithm_py.models.common import TaskAccepted
from knowrithm_py.models.conversations import (
    Author,
    ChatResult,
    Conversation,
    ConversationDeleted,
    ConversationList,
    ConversationRestored,
    DeletedConversations,
    DeletedMessages,
    HandoffResult,
    MessageAck,
    MessageList,
    OperatorReply,
)
from knowrithm_py.services._base import Headers, Service, page_params


def _conv(conversation_id: str) -> str:
    return f"/conversation/{quote(conversation_id, safe='')}"


class ConversationService(Service):
    def create_conversation(
        self,
        agent_id: str,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
        max_context_length: int | None = None,
        *,
        headers: Headers = None,
    ) -> Conversation:
        """``POST /conversation``. Returns the conversation object itself, so ``conversation["id"]`` works."""
        body: dict[str, Any] = {"agent_id": agent_id}
        optional = {"title": title, "metadata": metadata, "max_context_length": max_context_length}
        body.update({key: value for key, value in optional.items() if value is not None})
        answer = self._core.call("POST", "/conversation", json=body, headers=headers)
        return cast(Conversation, answer.get("conversation", answer) if isinstance(answer, dict) else answer)

    def list_conversations(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        status: str | None = None,
        agent_id: str | None = None,
        search: str | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> ConversationList:
        """``GET /conversation``: newest first; ``cursor`` is the previous page's ``pagination["next_cursor"]``."""
        params = page_params(page, per_page, status=status, agent_id=agent_id, search=search, cursor=cursor)
        return cast(ConversationList, self._core.call("GET", "/conversation", params=params, headers=headers))

    def list_conversations_by_agent(
        self,
        agent_id: str,
        *,
        status: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> ConversationList:
        """``GET /conversation/agent/{agent_id}``; ``cursor`` as in :meth:`list_conversations`."""
        path = f"/conversation/agent/{quote(agent_id, safe='')}"
        params = page_params(page, per_page, status=status, cursor=cursor)
        return cast(ConversationList, self._core.call("GET", path, params=params, headers=headers))

    def get_conversation(self, conversation_id: str, *, headers: Headers = None) -> Conversation:
        """``GET /conversation/{id}``; like :meth:`create_conversation`, returns the object itself."""
        answer = self._core.call("GET", _conv(conversation_id), headers=headers)
        return cast(Conversation, answer.get("conversation", answer) if isinstance(answer, dict) else answer)

    def update_conversation(
        self,
        conversation_id: str,
        *,
        title: str | None = None,
        metadata: dict[str, Any] | None = None,
        headers: Headers = None,
    ) -> Conversation:
        """``PATCH /conversation/{id}``: a new title and/or metadata merged into the stored metadata (a ``None``
        value removes a key). Returns the conversation itself."""
        body: dict[str, Any] = {}
        if title is not None:
            body["title"] = title
        if metadata is not None:
            body["metadata"] = metadata
        answer = self._core.call("PATCH", _conv(conversation_id), json=body, headers=headers)
        return cast(Conversation, answer.get("conversation", answer) if isinstance(answer, dict) else answer)

    def list_conversation_messages(
        self,
        conversation_id: str,
        *,
        page: int | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> MessageList:
        """``GET /conversation/{id}/messages``: oldest first; ``cursor`` as in :meth:`list_conversations`."""
        params = page_params(page, per_page, cursor=cursor)
        path = f"{_conv(conversation_id)}/messages"
        return cast(MessageList, self._core.call("GET", path, params=params, headers=headers))

    def delete_conversation(self, conversation_id: str, *, headers: Headers = None) -> ConversationDeleted:
        """``DELETE /conversation/{id}``: soft delete, cascading to its messages."""
        return cast(ConversationDeleted, self._core.call("DELETE", _conv(conversation_id), headers=headers))

    def restore_conversation(self, conversation_id: str, *, headers: Headers = None) -> ConversationRestored:
        """``PATCH /conversation/{id}/restore`` (with the messages the delete took along)."""
        path = f"{_conv(conversation_id)}/restore"
        return cast(ConversationRestored, self._core.call("PATCH", path, headers=headers))

    def delete_conversation_messages(self, conversation_id: str, *, headers: Headers = None) -> ConversationDeleted:
        """``DELETE /conversation/{id}/messages``: soft-delete every message."""
        path = f"{_conv(conversation_id)}/messages"
        return cast(ConversationDeleted, self._core.call("DELETE", path, headers=headers))

    def restore_all_messages(self, conversation_id: str, *, headers: Headers = None) -> ConversationRestored:
        """``PATCH /conversation/{id}/message/restore-all``."""
        path = f"{_conv(conversation_id)}/message/restore-all"
        return cast(ConversationRestored, self._core.call("PATCH", path, headers=headers))

    def list_deleted_conversations(self, *, headers: Headers = None) -> DeletedConversations:
        """``GET /conversation/deleted``."""
        return cast(DeletedConversations, self._core.call("GET", "/conversation/deleted", headers=headers))

    def handoff(
        self,
        conversation_id: str,
        *,
        assignee: Author | None = None,
        reason: str | None = None,
        headers: Headers = None,
    ) -> HandoffResult:
        """``POST /conversation/{id}/handoff``: a person takes the conversation over and the bot stops answering
        (call again to reassign). ``assignee`` is ``{"name": ..., "email": ...}``."""
        body: dict[str, Any] = {key: value for key, value in {"assignee": assignee, "reason": reason}.items() if value}
        path = f"{_conv(conversation_id)}/handoff"
        return cast(HandoffResult, self._core.call("POST", path, json=body, headers=headers))

    def reply(
        self, conversation_id: str, message: str, *, author: Author | None = None, headers: Headers = None
    ) -> OperatorReply:
        """``POST /conversation/{id}/reply``: an operator message (``author`` defaults to the assignee).
        Raises a 409 error unless the conversation is handed off. Never retried (it is a POST)."""
        body: dict[str, Any] = {"message": message, **({"author": author} if author else {})}
        path = f"{_conv(conversation_id)}/reply"
        return cast(OperatorReply, self._core.call("POST", path, json=body, headers=headers))

    def release(self, conversation_id: str, *, headers: Headers = None) -> HandoffResult:
        """``POST /conversation/{id}/release``: the bot answers again (409 unless handed off)."""
        path = f"{_conv(conversation_id)}/release"
        return cast(HandoffResult, self._core.call("POST", path, headers=headers))

    def list_conversations_for_entity(
        self,
        *,
        status: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        headers: Headers = None,
    ) -> ConversationList:
        """``GET /conversation/entity``: the caller's own conversations (a user's, an API key's or a visitor's);
        ``status`` active (default), archived, deleted or all."""
        params = page_params(page, per_page, status=status)
        return cast(ConversationList, self._core.call("GET", "/conversation/entity", params=params, headers=headers))

    def list_conversations_by_entity(
        self,
        entity_id: str,
        *,
        entity_type: str | None = None,
        status: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        headers: Headers = None,
    ) -> ConversationList:
        """``GET /conversation/entity/{id}``: one user's or visitor's conversations (``entity_type`` user|lead)."""
        params = page_params(page, per_page, entity_type=entity_type, status=status)
        path = f"/conversation/entity/{quote(entity_id, safe='')}"
        return cast(ConversationList, self._core.call("GET", path, params=params, headers=headers))


class MessageService(Service):
    @overload
    def send_message(
        self,
        conversation_id: str,
        message: str,
        *,
        wait: Literal[True] = ...,
        prefer_async: bool = ...,
        headers: Headers = ...,
    ) -> ChatResult: ...

    @overload
    def send_message(
        self,
        conversation_id: str,
        message: str,
        *,
        wait: Literal[False],
        prefer_async: bool = ...,
        headers: Headers = ...,
    ) -> ChatResult | TaskAccepted: ...

    def send_message(
        self,
        conversation_id: str,
        message: str,
        *,
        wait: bool = True,
        prefer_async: bool = False,
        headers: Headers = None,
    ) -> ChatResult | TaskAccepted:
        """``POST /conversation/{id}/chat``: the answered turn (``reply["history"][-1]["assistant_response"]``).

        If the server answers 202 with a task, it is polled to its result unless ``wait=False``
        (then the acknowledgement is returned). ``prefer_async`` asks for that (``Prefer: respond-async``).
        Chat is a POST, so it is never retried after a 5xx or a timeout (it may have been answered).
        """
        extra = {"Prefer": "respond-async"} if prefer_async else {}
        merged = {**(headers or {}), **extra} or None
        path = f"{_conv(conversation_id)}/chat"
        answer = self._core.call("POST", path, json={"message": message}, headers=merged, wait=wait)
        return cast(ChatResult, answer)

    def delete_message(self, message_id: str, *, headers: Headers = None) -> MessageAck:
        """``DELETE /message/{id}`` (soft)."""
        return cast(MessageAck, self._core.call("DELETE", f"/message/{quote(message_id, safe='')}", headers=headers))

    def restore_message(self, message_id: str, *, headers: Headers = None) -> MessageAck:
        """``PATCH /message/{id}/restore``."""
        path = f"/message/{quote(message_id, safe='')}/restore"
        return cast(MessageAck, self._core.call("PATCH", path, headers=headers))

    def list_deleted_messages(self, *, headers: Headers = None) -> DeletedMessages:
        """``GET /message/deleted``."""
        return cast(DeletedMessages, self._core.call("GET", "/message/deleted", headers=headers))
