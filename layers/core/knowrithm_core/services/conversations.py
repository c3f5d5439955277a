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
from knowrithm_core.services.base import Service, load
from knowrithm_core.store import keys, listings
from knowrithm_core.store.pages import SEARCH_SCAN_LIMIT, Listing, count_bounded, cursor_param, read_page, search_page
from knowrithm_core.store.repositories.stats import conversation_started_ops, total_op
from knowrithm_core.store.soft_delete import flag_op, set_deleted
from knowrithm_core.store.table import Op, TransactionConflict

NOT_DELETED = "attribute_not_exists(deleted_at)"
MAX_METADATA_BYTES = 16_384


def conversation_item(conversation: Conversation) -> dict[str, Any]:
    cid, vid = conversation.company_id, conversation.id
    return {
        "PK": keys.conversation_pk(cid, vid),
        "SK": keys.CONVERSATION_META,
        "GSI1PK": keys.global_id("CONV", vid),
        "GSI1SK": "CONV",
        **listings.conversation_index_keys(
            cid,
            vid,
            conversation.agent_id,
            conversation.entity_id if conversation.entity_type == "lead" else None,
            live=not conversation.deleted_at,
        ),
        **conversation.public(),
    }


def message_item(message: Message) -> dict[str, Any]:
    return {
        "PK": keys.conversation_pk(message.company_id, message.conversation_id),
        "SK": f"MSG#{message.id}",
        "GSI1PK": keys.global_id("MSG", message.id),
        "GSI1SK": "MSG",
        **message.public(),
    }


def deleted_messages_index(company_id: str) -> str:
    return f"COMPANY#{company_id}#DELETED_MSGS"


def visible_to(principal: Principal, conversation: Conversation) -> bool:
    if principal.is_lead:
        return conversation.entity_type == "lead" and conversation.entity_id == principal.subject_id
    return True


class ConversationService(Service):
    def __init__(self, agents: AgentService) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents

    # --- helpers -----------------------------------------------------------------
    def _require_access(self, principal: Principal) -> None:
        if not principal.is_lead:
            principal.require("read")

    def load(self, principal: Principal, conversation_id: str, *, include_deleted: bool = False) -> Conversation:
        """The caller's conversation or 404 (another tenant's id, or a lead's foreign one, looks missing)."""
        item = (
            self.table.get(keys.conversation_pk(principal.company_id, conversation_id), keys.CONVERSATION_META)
            if is_uuid(conversation_id)
            else None
        )
        if not item or (item.get("deleted_at") and not include_deleted):
            raise NotFound("Conversation not found.")
        conversation = load(Conversation, item)
        if not visible_to(principal, conversation):
            raise NotFound("Conversation not found.")
        return conversation

    def _listing(self, principal: Principal, query: dict[str, str], agent_id: str | None = None) -> dict[str, Any]:
        """One page of live conversations, newest first: the caller's list by key (company, ``agent_id``, or a
        visitor's own); ``status`` and ``search`` look at the newest ``SEARCH_SCAN_LIMIT`` of it."""
        company_id = principal.company_id
        agent_id = agent_id or (query.get("agent_id") or "").strip() or None
        lead_id = principal.subject_id if principal.is_lead else None
        listing = listings.conversations(company_id, agent_id=None if lead_id else agent_id, lead_id=lead_id)
        request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=20)
        status = (query.get("status") or "").strip().lower()
        search = (query.get("search") or "").strip().lower()
        wanted_agent = agent_id if lead_id else None
        if status or search or wanted_agent:

            def matches(item: dict[str, Any]) -> bool:
                return (
                    (not status or item.get("status") == status)
                    and search in str(item.get("title") or "").lower()
                    and (not wanted_agent or item.get("agent_id") == wanted_agent)
                )

            page = search_page(self.table, listing, request, matches)
        else:
            total = self._total(company_id, agent_id=agent_id, lead_listing=listing if lead_id else None)
            page = read_page(self.table, listing, request, total=total, cursor=cursor_param(query))
        data = [load(Conversation, i).public() for i in page.items]
        pagination = page.pagination
        return {"conversations": data, "items": data, "total": pagination["total"], "pagination": pagination}

    def _live_total_op(self, company_id: str, delta: int) -> Op:
        op = total_op(company_id, {LIVE_CONVERSATIONS: delta})
        assert op is not None  # a non-zero delta always makes an operation
        return op

    def _total(self, company_id: str, *, agent_id: str | None, lead_listing: Listing | None) -> int:
        """Live conversations: the company counter, the agent's ``active_conversations``, or (a visitor's, no
        counter) counted up to ``SEARCH_SCAN_LIMIT``."""
        if lead_listing:
            return count_bounded(self.table, lead_listing)
        if agent_id:
            _, stats = self.agents.read_items(company_id, agent_id)
            return max(int(stats.get("active_conversations", 0)), 0)
        return listings.company_total(self.table, company_id, LIVE_CONVERSATIONS)

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
        self.table.transact(
            [
                self.table.put_op(conversation_item(conversation), condition="attribute_not_exists(PK)"),
                self.agents.stats_op(
                    conversation.company_id, conversation.agent_id, conversations=1, active_conversations=1
                ),
                *conversation_started_ops(conversation),
                self._live_total_op(conversation.company_id, 1),
                self.event_op(conversation.company_id, EventType.CONVERSATION_STARTED, conversation.public()),
            ]
        )
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
        try:
            self.table.transact(
                [
                    self.table.put_op(
                        conversation_item(updated),
                        condition=f"version = :v AND {NOT_DELETED}",
                        values={":v": current.version},
                    )
                ]
            )
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

    def list_deleted(self, principal: Principal) -> dict[str, Any]:
        """Deleted conversations, newest first, from their own index partition (at most ``SEARCH_SCAN_LIMIT``)."""
        principal.require("read")
        listing = listings.deleted_conversations(principal.company_id)
        page = search_page(self.table, listing, PageRequest(1, SEARCH_SCAN_LIMIT), lambda i: bool(i.get("deleted_at")))
        rows = [load(Conversation, i).public() for i in page.items]
        return {"deleted_conversations": rows, "total": len(rows)}

    def messages(self, principal: Principal, conversation_id: str, query: dict[str, str]) -> dict[str, Any]:
        """Messages oldest first (ids are time-ordered): one Query of ``per_page + 1`` per page (plus any
        soft-deleted messages on the way); ``total`` is the conversation's ``message_count`` counter."""
        self._require_access(principal)
        conversation = self.load(principal, conversation_id)
        request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=50)
        listing = listings.messages(principal.company_id, conversation.id)
        page = read_page(self.table, listing, request, total=conversation.message_count, cursor=cursor_param(query))
        data = [load(Message, i).public() for i in page.items]
        pagination = page.pagination
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
        items = self.table.query(keys.conversation_pk(conversation.company_id, conversation.id), sk_prefix="MSG#")
        index = deleted_messages_index(conversation.company_id)
        return set_deleted(self.table, items, deleted_at, deleted_index=index, only_cascade=only_cascade)

    def _message_flag_op(self, item: dict[str, Any], deleted_at: str | None, *, cascade: bool) -> Op:
        """Soft-delete or restore one message; deleted ones join a sparse index of deleted messages."""
        index = deleted_messages_index(str(item["company_id"]))
        return flag_op(item, deleted_at, deleted_index=index, cascade=cascade)

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
        ops: list[Op] = [
            self.table.put_op(
                conversation_item(updated), condition="version = :v", values={":v": conversation.version}
            ),
            self.agents.stats_op(
                conversation.company_id, conversation.agent_id, active_conversations=-1 if deleted else 1
            ),
            self._live_total_op(conversation.company_id, -1 if deleted else 1),
        ]
        if deleted:
            ops.append(self.event_op(conversation.company_id, EventType.CONVERSATION_ENDED, updated.public()))
        try:
            self.table.transact(ops)
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
    def _message_item(self, principal: Principal, message_id: str) -> dict[str, Any]:
        found = (
            self.table.query(keys.global_id("MSG", message_id), index=keys.GSI1, limit=1) if is_uuid(message_id) else []
        )
        if not found or found[0].get("company_id") != principal.company_id:
            raise NotFound("Message not found.")
        return found[0]

    def delete_message(self, principal: Principal, message_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        item = self._message_item(principal, message_id)
        if item.get("deleted_at"):
            raise NotFound("Message not found.")
        self.table.transact([self._message_flag_op(item, iso(), cascade=False)])
        return {"message": "Message deleted successfully.", "message_id": message_id}

    def restore_message(self, principal: Principal, message_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        item = self._message_item(principal, message_id)
        if not item.get("deleted_at"):
            raise BadRequest("The message is not deleted.")
        self.table.transact([self._message_flag_op(item, None, cascade=False)])
        return {"message": "Message restored successfully.", "message_id": message_id}

    def list_deleted_messages(self, principal: Principal) -> dict[str, Any]:
        principal.require("read")
        items = self.table.query(deleted_messages_index(principal.company_id), index=keys.GSI3)
        rows = [load(Message, i).public() for i in items]
        return {"deleted_messages": rows, "total": len(rows)}
