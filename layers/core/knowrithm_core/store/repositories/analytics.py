"""What analytics reports read besides the counters (:class:`.stats.StatsRepository`): a read model across
aggregates, each read one request on the key layout the aggregate's own repository writes.

A conversation with its messages, a lead's summary, an agent's recent conversations, the company's API keys,
and the conversations or leads created within a range of ids (UUIDv7 ids sort by creation time).
"""

from __future__ import annotations

from knowrithm_core.models.resources import ApiKeyDetails, Conversation, Lead, Message
from knowrithm_core.store import keys
from knowrithm_core.store.port import Table


class AnalyticsRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def conversation_with_messages(
        self, company_id: str, conversation_id: str
    ) -> tuple[Conversation, list[Message]] | None:
        """The live conversation and its live messages, oldest first (one Query of its partition); None if it
        is unknown or deleted."""
        items = self.table.query(keys.conversation_pk(company_id, conversation_id))
        meta = next((i for i in items if i["SK"] == keys.CONVERSATION_META), None)
        if meta is None or meta.get("deleted_at"):
            return None
        messages = [
            Message.model_validate(keys.strip_keys(i))
            for i in items
            if str(i["SK"]).startswith(keys.message_sk("")) and not i.get("deleted_at")
        ]
        return Conversation.model_validate(keys.strip_keys(meta)), messages

    def lead(self, company_id: str, lead_id: str) -> Lead | None:
        """A lead by id, deleted or not (one GetItem)."""
        found = self.table.get(keys.company_pk(company_id), keys.lead_sk(lead_id))
        return Lead.model_validate(keys.strip_keys(found)) if found else None

    def recent_conversations(self, company_id: str, agent_id: str, *, limit: int) -> list[Conversation]:
        """The agent's ``limit`` most recent live conversations (one bounded Query of its GSI3 list)."""
        recent = self.table.query(
            keys.agent_conversations(company_id, agent_id), index=keys.GSI3, forward=False, limit=limit
        )
        return [Conversation.model_validate(keys.strip_keys(i)) for i in recent[:limit] if not i.get("deleted_at")]

    def api_keys(self, company_id: str) -> list[ApiKeyDetails]:
        """Every API key of the company, revoked ones too (one Query)."""
        found = self.table.query(keys.company_pk(company_id), sk_prefix=keys.api_key_sk(""))
        return [ApiKeyDetails.model_validate(keys.strip_keys(i)) for i in found]

    def conversations_created(self, company_id: str, low_id: str, high_id: str, *, limit: int) -> list[Conversation]:
        """Live conversations with ids from ``low_id`` to ``high_id`` (at most ``limit`` read; one Query of the
        company's GSI2 list)."""
        items = self.table.query(
            keys.company_conversations(company_id), index=keys.GSI2, sk_between=(low_id, high_id), limit=limit
        )
        return [Conversation.model_validate(keys.strip_keys(i)) for i in items if not i.get("deleted_at")]

    def leads_created(self, company_id: str, low_id: str, high_id: str, *, limit: int) -> list[Lead]:
        """Live leads with ids from ``low_id`` to ``high_id`` (at most ``limit`` read; one Query)."""
        bounds = (keys.lead_sk(low_id), keys.lead_sk(high_id))
        items = self.table.query(keys.company_pk(company_id), sk_between=bounds, limit=limit)
        return [Lead.model_validate(keys.strip_keys(i)) for i in items if not i.get("deleted_at")]
