"""Analytics counters, maintained on write.

Every change that analytics report on adds to counters **in the same TransactWriteItems as
the change** (``ADD`` updates, so concurrent writers never lose counts and a failed change
counts nothing). Reads then Query a handful of small items instead of scanning.

Items (partition ``COMPANY#c#STATS``; days are UTC dates)::

    TOTAL                       all-time company totals that can go down (active leads by status, consent)
    DAY#d                       one company day: conversations, chat turns, messages, tokens, leads, ...
    DAY#d#LEADSRC#s             leads created that day with source s (one item per source, so visitor-chosen
                                sources can never grow the day item past DynamoDB's 400 KB)
    DAY#d#AGENT#a               one agent day (also under GSI3 ``COMPANY#c#AGENT#a#STATS`` / ``DAY#d``)
    DAY#d#AGENT#a#DOC#x         citations of document x in agent a's answers that day (GSI3 ``DAY#d#DOC#x``)

A range read is one Query: ``SK BETWEEN "DAY#<start>" AND "DAY#<end>~"`` returns the company's
days with their lead sources and agent days; the agent's GSI3 partition returns one agent's.

Response times: ``rt_sum`` and ``rt_count`` give an exact average; min, max and percentiles come
from a fixed histogram (``rt_bNN``, upper bounds in :data:`RESPONSE_BUCKETS`) because ``ADD``
cannot keep a minimum or maximum.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.domain.stats import MAX_CITED_PER_TURN, bucket_attribute, bucket_of, day_of, label, lead_standing
from knowrithm_core.models.resources import Conversation, Lead, Message
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Update
from knowrithm_core.store.keys import strip_keys
from knowrithm_core.store.port import Table

Deltas = Mapping[str, int | float]


def day_sk(day: str) -> str:
    return f"DAY#{day}"


def agent_day_sk(day: str, agent_id: str) -> str:
    return f"DAY#{day}#AGENT#{agent_id}"


def add_op(pk: str, sk: str, deltas: Deltas, *, sets: Mapping[str, Any] | None = None) -> Update | None:
    """One write: ``SET`` the descriptive attributes, ``ADD`` every non-zero delta (None when nothing to add)."""
    adds = {name: value for name, value in deltas.items() if value}
    if not adds:
        return None
    return Update((pk, sk), set=dict(sets or {}), add=adds)


def day_ops(company_id: str, day: str, deltas: Deltas, *, agent_id: str | None = None) -> list[Update]:
    """Add ``deltas`` to the company's day and, with ``agent_id``, to that agent's day."""
    pk = keys.stats_pk(company_id)
    ops = [add_op(pk, day_sk(day), deltas, sets={"kind": "company_day", "date": day})]
    if agent_id:
        sets = {
            "kind": "agent_day",
            "date": day,
            "agent_id": agent_id,
            "GSI3PK": keys.agent_stats_gsi(company_id, agent_id),
            "GSI3SK": day_sk(day),
        }
        ops.append(add_op(pk, agent_day_sk(day, agent_id), deltas, sets=sets))
    return [op for op in ops if op]


def total_op(company_id: str, deltas: Deltas) -> Update | None:
    return add_op(keys.stats_pk(company_id), "TOTAL", deltas, sets={"kind": "company_total"})


# --- the changes analytics report on -----------------------------------------------------------------
def conversation_started_ops(conversation: Conversation) -> list[Update]:
    deltas = {"conversations": 1, "lead_conversations": int(conversation.entity_type == "lead")}
    return day_ops(conversation.company_id, day_of(conversation.created_at), deltas, agent_id=conversation.agent_id)


def chat_turn_ops(user: Message, assistant: Message, *, by_lead: bool = False) -> list[Update]:
    """Counters of one answered chat turn: messages, tokens, unanswered, response time, citations."""
    seconds = float(assistant.processing_time or 0.0)
    deltas: dict[str, int | float] = {
        "chat_turns": 1,
        "messages": 2,
        "user_messages": 1,
        "assistant_messages": 1,
        "tokens": user.tokens_used + assistant.tokens_used,
        "user_tokens": user.tokens_used,
        "assistant_tokens": assistant.tokens_used,
        "unanswered": int(assistant.metadata.get("answered") is False),
        "lead_turns": int(by_lead),
        "rt_count": 1,
        "rt_sum": round(seconds, 6),
        bucket_attribute(bucket_of(seconds)): 1,
        "confidence_sum": round(float(assistant.confidence_score or 0.0), 6),
        "cited_answers": int(bool(assistant.sources)),
    }
    day = day_of(assistant.created_at)
    ops = day_ops(assistant.company_id, day, deltas, agent_id=assistant.agent_id)
    seen: set[str] = set()
    for source in assistant.sources:
        document = source.document_id or label(source.document_name)
        if document in seen or len(seen) >= MAX_CITED_PER_TURN:
            continue
        seen.add(document)
        sets = {
            "kind": "agent_document_day",
            "date": day,
            "agent_id": assistant.agent_id,
            "document_id": source.document_id,
            "document_name": source.document_name[:200],
            "GSI3PK": keys.agent_stats_gsi(assistant.company_id, assistant.agent_id),
            "GSI3SK": f"{day_sk(day)}#DOC#{document}",
        }
        sk = f"{agent_day_sk(day, assistant.agent_id)}#DOC#{document}"
        op = add_op(keys.stats_pk(assistant.company_id), sk, {"citations": 1}, sets=sets)
        if op:
            ops.append(op)
    return ops


def agent_test_ops(company_id: str, agent_id: str, stamp: str) -> list[Update]:
    return day_ops(company_id, day_of(stamp), {"agent_tests": 1}, agent_id=agent_id)


def lead_change_ops(before: Lead | None, after: Lead) -> list[Update]:
    """The change of the company totals from ``before`` to ``after`` (status, consent, deleted): none or one op."""
    old, new = lead_standing(before), lead_standing(after)
    op = total_op(after.company_id, {k: new.get(k, 0) - old.get(k, 0) for k in sorted({*old, *new})})
    return [op] if op else []


def lead_created_ops(lead: Lead, *, registered: bool) -> list[Update]:
    """A new lead: the day's counts (by source, consent), the agent's day, and the company totals."""
    day = day_of(lead.created_at)
    deltas = {
        "leads": 1,
        "leads_registered" if registered else "leads_api": 1,
        "leads_consent_data": int(lead.consent_data_processing),
        "leads_consent_marketing": int(lead.consent_marketing),
    }
    ops = day_ops(lead.company_id, day, deltas, agent_id=lead.agent_id)
    source = label(lead.source)
    sets = {"kind": "lead_source_day", "date": day, "source": source}
    source_op = add_op(keys.stats_pk(lead.company_id), f"{day_sk(day)}#LEADSRC#{source}", {"leads": 1}, sets=sets)
    totals = total_op(lead.company_id, {**lead_standing(lead), "leads_created": 1})
    return ops + [op for op in (source_op, totals) if op]


def document_change_ops(company_id: str, before: Mapping[str, int], after: Mapping[str, int]) -> list[Update]:
    """The change of the company totals from one document standing to another (see
    :func:`knowrithm_core.domain.stats.document_standing`): none or one op."""
    op = total_op(company_id, {k: after.get(k, 0) - before.get(k, 0) for k in sorted({*before, *after})})
    return [op] if op else []


# --- reads (analytics, list totals) ------------------------------------------------------------------------
class StatsRepository:
    """The counter items, read back: a date range of days (company or one agent) and the company totals.

    Items come back without their keys; ``kind`` tells them apart (``company_day``, ``lead_source_day``,
    ``agent_day``, ``agent_document_day``)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def company_days(self, company_id: str, first: str, last: str) -> list[dict[str, Any]]:
        """Every counter item of the company's days ``first`` to ``last`` (inclusive ISO dates): one Query
        (company days, lead sources, agent days and their cited documents)."""
        bounds = (day_sk(first), f"{day_sk(last)}~")
        return [strip_keys(i) for i in self.table.query(keys.stats_pk(company_id), sk_between=bounds)]

    def agent_days(self, company_id: str, agent_id: str, first: str, last: str) -> list[dict[str, Any]]:
        """One agent's counter items of days ``first`` to ``last``: one Query of its GSI3 partition (its days
        and cited documents)."""
        bounds = (day_sk(first), f"{day_sk(last)}~")
        found = self.table.query(keys.agent_stats_gsi(company_id, agent_id), index=keys.GSI3, sk_between=bounds)
        return [strip_keys(i) for i in found]

    def totals(self, company_id: str) -> dict[str, Any]:
        """The company's all-time totals (one GetItem; empty when nothing was counted yet)."""
        return strip_keys(self.table.get(keys.stats_pk(company_id), "TOTAL") or {})

    def company_total(self, company_id: str, name: str) -> int:
        """One all-time company counter, never below 0 (one GetItem)."""
        value = self.totals(company_id).get(name, 0)
        return max(int(value), 0) if isinstance(value, (int, float)) else 0
