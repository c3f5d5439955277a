"""Conversations and their messages: create, list, read, soft delete and restore (cascading).

A lead (widget visitor) may only create and use its own conversations with its agent.
"""

from __future__ import annotations

import json
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.domain.stats import LIVE_CONVERSATIONS
from knowrithm_core.errors import BadRequest, Conflict, Forbidden, NotFound
from knowrithm_core.events import EventType
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.models.requests import ConversationCreate, ConversationUpdate, parse
from knowrithm_core.models.resources import Conversation, Message
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.base import Service
from knowrithm_core.store.expressions import Update
from knowrithm_core.store.pages import cursor_param
from knowrithm_core.store.repositories.conversations import ConversationRepository
from knowrithm_core.store.repositories.stats import conversation_started_ops, total_op
from knowrithm_core.store.table import TransactionConflict

MAX_METADATA_BYTES = 16_384


def visible_to(principal: Principal, conversation: Conversation) -> bool:
    if principal.is_lead:
        return conversation.entity_type == "lead" and conversation.entity_id == principal.subject_id
    return True


class ConversationService(Service):
    def __init__(self, agents: AgentService) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents
        self.repository = ConversationRepository(agents.table)

    # --- helpers -----------------------------------------------------------------
    def _require_access(self, principal: Principal) -> None:
        if not principal.is_lead:
            principal.require("read")

    def load(self, principal: Principal, conversation_id: str, *, include_deleted: bool = False) -> Conversation:
        """The caller's conversation or 404 (another tenant's id, or a lead's foreign one, looks missing)."""
        conversation = self.repository.get(principal.company_id, conversation_id) if is_uuid(conversation_id) else None
        if conversation is None or (conversation.deleted_at and not include_deleted):
            raise NotFound("Conversation not found.")
        if not visible_to(principal, conversation):
            raise NotFound("Conversation not found.")
        return conversation

    def _listing(self, principal: Principal, query: dict[str, str], agent_id: str | None = None) -> dict[str, Any]:
        """One page of live conversations, newest first: the caller's list by key (company, ``agent_id``, or a
        visitor's own); ``status`` and ``search`` look at the newest ``SEARCH_SCAN_LIMIT`` of it."""
        company_id = principal.company_id
        agent_id = agent_id or (query.get("agent_id") or "").strip() or None
        lead_id = principal.subject_id if principal.is_lead else None
        listed_agent = None if lead_id else agent_id
        request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=20)
        status = (query.get("status") or "").strip().lower()
        search = (query.get("search") or "").strip().lower()
        wanted_agent = agent_id if lead_id else None
        if status or search or wanted_agent:

            def matches(conversation: Conversation) -> bool:
                return (
                    (not status or conversation.status == status)
                    and search in str(conversation.title or "").lower()
                    and (not wanted_agent or conversation.agent_id == wanted_agent)
                )

            rows, pagination = self.repository.search(
                company_id, request, matches, agent_id=listed_agent, lead_id=lead_id
            )
        else:
            total = self._total(company_id, agent_id=agent_id, lead_id=lead_id)
            rows, pagination = self.repository.page(
                company_id, request, agent_id=listed_agent, lead_id=lead_id, total=total, cursor=cursor_param(query)
            )
        data = [c.public() for c in rows]
        return {"conversations": data, "items": data, "total": pagination["total"], "pagination": pagination}

    def _live_total_op(self, company_id: str, delta: int) -> Update:
        op = total_op(company_id, {LIVE_CONVERSATIONS: delta})
        assert op is not None  # noqa: S101 - narrows the type: a non-zero delta always makes an operation
        return op

    def _total(self, company_id: str, *, agent_id: str | None, lead_id: str | None) -> int:
        """Live conversations: the company counter, the agent's ``active_conversations``, or (a visitor's, no
        counter) counted up to ``SEARCH_SCAN_LIMIT``."""
        if lead_id:
            return self.repository.count_for_lead(company_id, lead_id)
        if agent_id:
            _, stats = self.agents.read_items(company_id, agent_id)
            return max(int(stats.get("active_conversations", 0)), 0)
        return self.repository.live_total(company_id)

    # --- routes ------------------------------------------------------------------
    def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        if not principal.is_lead:
            principal.require("write")
        request = parse(ConversationCreate, body)
        if principal.is_lead and request.agent_id != principal.agent_id:
            raise Forbidden("A lead can only start conversations with the agent it registered with.")
        self.agents.read(principal.company_id, request.agent_id)  # 404 for unknown / other tenant
        stamp = iso()
        conversation = Conversation(
            id=new_id(),
            created_at=stamp,
            updated_at=stamp,
            company_id=principal.company_id,
            agent_id=request.agent_id,
            entity_type="lead" if principal.is_lead else "user",
            entity_id=principal.subject_id,
            title=request.title,
            metadata=request.metadata,
            max_context_length=request.max_context_length,
            last_activity=stamp,
        )
        uow = self.unit_of_work()
        self.repository.add(uow, conversation)
        uow.add(
            self.agents.stats_op(
                conversation.company_id, conversation.agent_id, conversations=1, active_conversations=1
            )
        )
        uow.extend(conversation_started_ops(conversation))
        uow.add(
            self._live_total_op(conversation.company_id, 1),
            self.event_op(conversation.company_id, EventType.CONVERSATION_STARTED, conversation.public()),
        )
        uow.commit()
        return {
            "message": "Conversation created successfully.",
            "id": conversation.id,
            "conversation_id": conversation.id,
            "conversation": conversation.public(),
        }

    def update(self, principal: Principal, conversation_id: str, body: Any) -> dict[str, Any]:
        """``PATCH /conversation/{id}``: a new title and/or metadata merged into the stored metadata (a null
        value removes a key). Leads may change their own conversations (the widget's ``updateMetadata``)."""
        if not principal.is_lead:
            principal.require("write", "PATCH")
        request = parse(ConversationUpdate, body)
        if request.title is None and request.metadata is None:
            raise BadRequest("Nothing to update: send metadata and/or title.")
        current = self.load(principal, conversation_id)
        metadata = {**current.metadata, **(request.metadata or {})}
        metadata = {key: value for key, value in metadata.items() if value is not None}
        if len(json.dumps(metadata, default=str)) > MAX_METADATA_BYTES:
            raise BadRequest(f"Conversation metadata must stay under {MAX_METADATA_BYTES} bytes of JSON.")
        updated = current.model_copy(
            update={
                "metadata": metadata,
                "title": request.title or current.title,
                "updated_at": iso(),
                "version": current.version + 1,
            }
        )
        uow = self.unit_of_work()
        self.repository.save(uow, updated, read_version=current.version)
        try:
            uow.commit()
        except TransactionConflict as exc:
            raise Conflict("The conversation changed meanwhile; try again.") from exc
        return {"message": "Conversation updated.", "conversation": updated.public()}

    def list(self, principal: Principal, query: dict[str, str]) -> dict[str, Any]:
        self._require_access(principal)
        return self._listing(principal, query)

    def list_by_agent(self, principal: Principal, agent_id: str, query: dict[str, str]) -> dict[str, Any]:
        self._require_access(principal)
        if principal.is_lead and agent_id != principal.agent_id:
            raise NotFound("Agent not found.")
        self.agents.read(principal.company_id, agent_id)
        return self._listing(principal, query, agent_id)

    def list_mine(self, principal: Principal, query: dict[str, str]) -> dict[str, Any]:
        from knowrithm_core.services import conversation_entities

        return conversation_entities.mine(self, principal, query)

    def list_by_entity(self, principal: Principal, entity_id: str, query: dict[str, str]) -> dict[str, Any]:
        from knowrithm_core.services import conversation_entities

        return conversation_entities.by_entity(self, principal, entity_id, query)

    def list_deleted(self, principal: Principal) -> dict[str, Any]:
        """Deleted conversations, newest first, from their own index partition (at most ``SEARCH_SCAN_LIMIT``)."""
        principal.require("read")
        rows = [c.public() for c in self.repository.deleted(principal.company_id)]
        return {"deleted_conversations": rows, "total": len(rows)}

    def messages(self, principal: Principal, conversation_id: str, query: dict[str, str]) -> dict[str, Any]:
        """Messages oldest first (ids are time-ordered): one Query of ``per_page + 1`` per page (plus any
        soft-deleted messages on the way); ``total`` is the conversation's ``message_count`` counter."""
        self._require_access(principal)
        conversation = self.load(principal, conversation_id)
        request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=50)
        rows, pagination = self.repository.message_page(conversation, request, cursor=cursor_param(query))
        data = [m.public() for m in rows]
        return {
            "messages": data,
            "items": data,
            "conversation_id": conversation.id,
            "total": pagination["total"],
            "pagination": pagination,
        }

    # --- soft delete and restore -------------------------------------------------
    def _set_messages(self, conversation: Conversation, *, deleted_at: str | None, only_cascade: bool) -> int:
        """Mark the conversation's messages deleted (or restore them), 100 per transaction (idempotent)."""
        return self.repository.set_messages(conversation, deleted_at, only_cascade=only_cascade)

    def _set_conversation(self, conversation: Conversation, *, deleted: bool) -> Conversation:
        stamp = iso()
        updated = conversation.model_copy(
            update={
                "deleted_at": stamp if deleted else None,
                "is_active": not deleted,
                "updated_at": stamp,
                "status": "deleted" if deleted else "active",
                "ended_at": stamp if deleted else conversation.ended_at,
                "version": conversation.version + 1,
            }
        )
        uow = self.unit_of_work()
        self.repository.save(uow, updated, read_version=conversation.version, live=False)
        uow.add(
            self.agents.stats_op(
                conversation.company_id, conversation.agent_id, active_conversations=-1 if deleted else 1
            ),
            self._live_total_op(conversation.company_id, -1 if deleted else 1),
        )
        if deleted:
            uow.add(self.event_op(conversation.company_id, EventType.CONVERSATION_ENDED, updated.public()))
        try:
            uow.commit()
        except TransactionConflict as exc:
            raise Conflict("The conversation changed meanwhile; try again.") from exc
        return updated

    def delete(self, principal: Principal, conversation_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        conversation = self._set_conversation(self.load(principal, conversation_id), deleted=True)
        count = self._set_messages(conversation, deleted_at=conversation.deleted_at, only_cascade=True)
        return {
            "message": "Conversation deleted successfully.",
            "conversation_id": conversation.id,
            "deleted_messages_count": count,
        }

    def restore(self, principal: Principal, conversation_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        current = self.load(principal, conversation_id, include_deleted=True)
        if not current.deleted_at:
            raise BadRequest("The conversation is not deleted.")
        conversation = self._set_conversation(current, deleted=False)
        count = self._set_messages(conversation, deleted_at=None, only_cascade=True)
        return {
            "message": "Conversation restored successfully.",
            "conversation_id": conversation.id,
            "restored_messages_count": count,
            "conversation": conversation.public(),
        }

    def delete_messages(self, principal: Principal, conversation_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        conversation = self.load(principal, conversation_id)
        count = self._set_messages(conversation, deleted_at=iso(), only_cascade=False)
        return {
            "message": "Messages deleted successfully.",
            "conversation_id": conversation.id,
            "deleted_messages_count": count,
        }

    def restore_messages(self, principal: Principal, conversation_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        conversation = self.load(principal, conversation_id)
        count = self._set_messages(conversation, deleted_at=None, only_cascade=False)
        return {
            "message": "Messages restored successfully.",
            "conversation_id": conversation.id,
            "restored_messages_count": count,
        }

    # --- single messages -----------------------------------------------------------
    def _message(self, principal: Principal, message_id: str) -> Message:
        found = self.repository.find_message(principal.company_id, message_id) if is_uuid(message_id) else None
        if found is None:
            raise NotFound("Message not found.")
        return found

    def delete_message(self, principal: Principal, message_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        message = self._message(principal, message_id)
        if message.deleted_at:
            raise NotFound("Message not found.")
        self.repository.set_message(message, iso())
        return {"message": "Message deleted successfully.", "message_id": message_id}

    def restore_message(self, principal: Principal, message_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        message = self._message(principal, message_id)
        if not message.deleted_at:
            raise BadRequest("The message is not deleted.")
        self.repository.set_message(message, None)
        return {"message": "Message restored successfully.", "message_id": message_id}

    def list_deleted_messages(self, principal: Principal) -> dict[str, Any]:
        principal.require("read")
        rows = [m.public() for m in self.repository.deleted_messages(principal.company_id)]
        return {"deleted_messages": rows, "total": len(rows)}
