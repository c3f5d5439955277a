"""``GET /analytic/conversation/{id}``: one conversation from its own partition."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound
from knowrithm_core.ids import is_uuid, iso
from knowrithm_core.models.resources import Conversation, Message
from knowrithm_core.services.analytics.base import AnalyticsBase
from knowrithm_core.services.analytics.metrics import ratio, seconds_between


def message_analytics(messages: list[Message]) -> dict[str, Any]:
    """Tokens, response times, confidence and answer counts of a conversation's messages."""
    answers = [m for m in messages if m.role == "assistant"]
    times = [float(m.processing_time) for m in answers if m.processing_time is not None]
    tokens = sum(m.tokens_used for m in messages)
    return {
        "total_messages": len(messages),
        "total_tokens": tokens,
        "average_tokens_per_message": ratio(tokens, len(messages)),
        "average_response_time_seconds": round(sum(times) / len(times), 4) if times else None,
        "min_response_time_seconds": round(min(times), 4) if times else None,
        "max_response_time_seconds": round(max(times), 4) if times else None,
        "average_confidence": (
            round(sum(m.confidence_score or 0.0 for m in answers) / len(answers), 3) if answers else None
        ),
        "unanswered": sum(1 for m in answers if m.metadata.get("answered") is False),
        "cited_answers": sum(1 for m in answers if m.sources),
    }


def activity_timeline(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages per UTC day, by role, oldest day first."""
    timeline: dict[str, Counter[str]] = defaultdict(Counter)
    for message in messages:
        timeline[message.created_at[:10]][message.role] += 1
    return [
        {
            "date": day,
            "messages": sum(counts.values()),
            "user_messages": counts.get("user", 0),
            "assistant_messages": counts.get("assistant", 0),
        }
        for day, counts in sorted(timeline.items())
    ]


class ConversationMetricsMixin(AnalyticsBase):
    """One conversation's analytics."""

    def conversation(self, principal: Principal, conversation_id: str) -> dict[str, Any]:
        """One conversation from its own partition (one Query: the conversation and its messages)."""
        principal.require("read")
        conversation, messages = self._conversation(principal.company_id, conversation_id)
        roles = Counter(m.role for m in messages)
        first = messages[0].created_at if messages else None
        last = messages[-1].created_at if messages else None
        return {
            "conversation_id": conversation.id,
            "conversation": conversation.public(),
            "message_analytics": message_analytics(messages),
            "message_roles": {role: roles.get(role, 0) for role in ("user", "assistant", "system")},
            "conversation_status": {
                "status": conversation.status,
                "is_active": conversation.is_active,
                "created_at": conversation.created_at,
                "last_activity": conversation.last_activity,
                "ended_at": conversation.ended_at,
                "duration_seconds": seconds_between(first, last),
            },
            "activity_timeline": activity_timeline(messages),
            "lead_engagement": {
                "entity_type": conversation.entity_type,
                "is_lead": conversation.entity_type == "lead",
                "lead": self._lead(principal.company_id, conversation),
                "user_messages": roles.get("user", 0),
                "first_message_at": first,
                "last_message_at": last,
            },
            "top_conversations": self._top_conversations(principal.company_id, conversation.agent_id),
            "generated_at": iso(),
        }

    def _conversation(self, company_id: str, conversation_id: str) -> tuple[Conversation, list[Message]]:
        """The live conversation and its live messages (oldest first); 404 if it is unknown or deleted."""
        found = self.reads.conversation_with_messages(company_id, conversation_id) if is_uuid(conversation_id) else None
        if found is None:
            raise NotFound("Conversation not found.")
        return found

    def _lead(self, company_id: str, conversation: Conversation) -> dict[str, Any] | None:
        """The lead a lead conversation belongs to (id, name, email, status), if it still exists."""
        if conversation.entity_type != "lead" or not conversation.entity_id:
            return None
        record = self.reads.lead(company_id, conversation.entity_id)
        if record is None:
            return None
        return {"id": record.id, "full_name": record.full_name, "email": record.email, "status": record.status}

    def _top_conversations(self, company_id: str, agent_id: str) -> list[dict[str, Any]]:
        """The agent's busiest among its 20 most recent conversations (one bounded Query of GSI3)."""
        rows = self.reads.recent_conversations(company_id, agent_id, limit=20)
        rows.sort(key=lambda c: (-c.message_count, c.id))
        return [
            {
                "id": c.id,
                "title": c.title,
                "message_count": c.message_count,
                "total_tokens": c.total_tokens,
                "last_activity": c.last_activity,
            }
            for c in rows[:5]
        ]
