"""Conversations and their messages: one partition per conversation.

``COMPANY#c#CONV#v`` holds the conversation (``~META``, GSI1 ``CONV#v``) and its messages (``MSG#m``, GSI1
``MSG#m``); ids are time-ordered and ``~META`` sorts last, so one descending query returns a conversation with
its latest messages. A live conversation is on its company's, agent's and visitor's list indexes; a deleted one
on its company's deleted list only (see :func:`~knowrithm_core.store.listings.conversation_index_keys`). A
conversation is written whole, conditioned on the ``version`` it was read at; deleted messages keep their data
and join the sparse ``COMPANY#c#DELETED_MSGS`` index (see :mod:`knowrithm_core.store.soft_delete`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from knowrithm_core.domain.stats import LIVE_CONVERSATIONS
from knowrithm_core.models.resources import Conversation, Message
from knowrithm_core.pagination import PageRequest
from knowrithm_core.store import keys, listings
from knowrithm_core.store.expressions import Put, Update, eq, missing
from knowrithm_core.store.pages import SEARCH_SCAN_LIMIT, count_bounded, read_page, search_page
from knowrithm_core.store.port import Item, Table
from knowrithm_core.store.soft_delete import flag_op, set_deleted
from knowrithm_core.store.unit_of_work import UnitOfWork

Paged = tuple[list[Conversation], dict[str, Any]]  # a page's conversations and its pagination envelope
Messages = tuple[list[Message], dict[str, Any]]


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
        "SK": keys.message_sk(message.id),
        "GSI1PK": keys.global_id("MSG", message.id),
        "GSI1SK": "MSG",
        **message.public(),
    }


def _conversation(item: Item) -> Conversation:
    return Conversation.model_validate(keys.strip_keys(item))


def _message(item: Item) -> Message:
    return Message.model_validate(keys.strip_keys(item))


class ConversationRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- reads --------------------------------------------------------------------------------------------
    def get(self, company_id: str, conversation_id: str) -> Conversation | None:
        """The conversation, deleted or not (None when missing)."""
        item = self.table.get(keys.conversation_pk(company_id, conversation_id), keys.CONVERSATION_META)
        return _conversation(item) if item else None

    def recent(self, company_id: str, conversation_id: str, limit: int) -> tuple[Conversation | None, list[Message]]:
        """One query: the conversation (None when missing) and up to ``limit - 1`` of its latest messages,
        deleted ones too, newest first."""
        items = self.table.query(keys.conversation_pk(company_id, conversation_id), forward=False, limit=limit)
        meta = next((i for i in items if i["SK"] == keys.CONVERSATION_META), None)
        messages = [_message(i) for i in items if str(i["SK"]).startswith("MSG#")]
        return (_conversation(meta) if meta else None), messages

    def message(self, company_id: str, conversation_id: str, message_id: str) -> Message | None:
        item = self.table.get(keys.conversation_pk(company_id, conversation_id), keys.message_sk(message_id))
        return _message(item) if item else None

    def find_message(self, company_id: str, message_id: str) -> Message | None:
        """A message by id alone (GSI1); None when missing or another company's."""
        found = self.table.query(keys.global_id("MSG", message_id), index=keys.GSI1, limit=1)
        if not found or found[0].get("company_id") != company_id:
            return None
        return _message(found[0])

    def deleted_messages(self, company_id: str) -> list[Message]:
        return [_message(i) for i in self.table.query(keys.deleted_messages(company_id), index=keys.GSI3)]

    def page(
        self,
        company_id: str,
        request: PageRequest,
        *,
        agent_id: str | None = None,
        lead_id: str | None = None,
        total: int,
        cursor: str | None = None,
    ) -> Paged:
        """One page of live conversations newest first (company's, one agent's, or one visitor's list)."""
        listing = listings.conversations(company_id, agent_id=agent_id, lead_id=lead_id)
        page = read_page(self.table, listing, request, total=total, cursor=cursor)
        return [_conversation(i) for i in page.items], page.pagination

    def search(
        self,
        company_id: str,
        request: PageRequest,
        matches: Callable[[Conversation], bool],
        *,
        agent_id: str | None = None,
        lead_id: str | None = None,
    ) -> Paged:
        """Page ``request.page`` of those among the newest ``SEARCH_SCAN_LIMIT`` live conversations that match."""
        listing = listings.conversations(company_id, agent_id=agent_id, lead_id=lead_id)
        page = search_page(self.table, listing, request, lambda item: matches(_conversation(item)))
        return [_conversation(i) for i in page.items], page.pagination

    def count_for_lead(self, company_id: str, lead_id: str) -> int:
        """A visitor's live conversations (no counter: counted up to ``SEARCH_SCAN_LIMIT``)."""
        return count_bounded(self.table, listings.conversations(company_id, lead_id=lead_id))

    def live_total(self, company_id: str) -> int:
        """The company's live conversations (its all-time counter)."""
        return listings.company_total(self.table, company_id, LIVE_CONVERSATIONS)

    def deleted(self, company_id: str) -> list[Conversation]:
        """Deleted conversations newest first, from their own index partition (at most ``SEARCH_SCAN_LIMIT``)."""
        listing = listings.deleted_conversations(company_id)
        page = search_page(self.table, listing, PageRequest(1, SEARCH_SCAN_LIMIT), lambda i: bool(i.get("deleted_at")))
        return [_conversation(i) for i in page.items]

    def message_page(self, conversation: Conversation, request: PageRequest, *, cursor: str | None) -> Messages:
        """One page of the conversation's live messages, oldest first; ``total`` is its ``message_count``."""
        listing = listings.messages(conversation.company_id, conversation.id)
        page = read_page(self.table, listing, request, total=conversation.message_count, cursor=cursor)
        return [_message(i) for i in page.items], page.pagination

    # --- writes -------------------------------------------------------------------------------------------
    def add(self, uow: UnitOfWork, conversation: Conversation) -> None:
        """A new conversation (only if its id is new)."""
        uow.add(Put(conversation_item(conversation), when=missing()))

    def save(self, uow: UnitOfWork, updated: Conversation, *, read_version: int, live: bool = True) -> None:
        """The conversation's new state, only if nobody changed it since ``read_version`` (and, with ``live``,
        nobody deleted it)."""
        condition = eq("version", read_version)
        uow.add(Put(conversation_item(updated), when=condition & missing("deleted_at") if live else condition))

    def add_message(self, uow: UnitOfWork, message: Message) -> None:
        uow.add(Put(message_item(message)))

    def set_message(self, message: Message, deleted_at: str | None) -> None:
        """Soft-delete one message at ``deleted_at`` (or restore it when None), at once."""
        self.table.write([self._flag(message, deleted_at, cascade=False)])

    def set_messages(self, conversation: Conversation, deleted_at: str | None, *, only_cascade: bool) -> int:
        """Mark the conversation's messages deleted (or restore them: with ``only_cascade`` just those the
        conversation's deletion took), 100 per transaction; returns how many changed."""
        items = self.table.query(keys.conversation_pk(conversation.company_id, conversation.id), sk_prefix="MSG#")
        index = keys.deleted_messages(conversation.company_id)
        return set_deleted(self.table, items, deleted_at, deleted_index=index, only_cascade=only_cascade)

    @staticmethod
    def _flag(message: Message, deleted_at: str | None, *, cascade: bool) -> Update:
        item = {
            "PK": keys.conversation_pk(message.company_id, message.conversation_id),
            "SK": keys.message_sk(message.id),
            "id": message.id,
        }
        return flag_op(item, deleted_at, deleted_index=keys.deleted_messages(message.company_id), cascade=cascade)
