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

import re
from collections.abc import Mapping
from typing import Any

from knowrithm_core.models.resources import Conversation, Lead, Message
from knowrithm_core.store import keys
from knowrithm_core.store.table import DynamoTable

# Upper bounds (seconds) of the response-time histogram buckets; one more, open bucket follows.
RESPONSE_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MAX_CITED_PER_TURN = 5  # document counters written per chat turn, at most
LEAD_STATUSES = ("new", "contacted", "qualified", "converted", "lost")
_LABEL_UNSAFE = re.compile(r"[^a-z0-9_.:-]+")

Deltas = Mapping[str, int | float]


def day_of(stamp: str) -> str:
    """``2026-11-24`` from an ISO timestamp (UTC, as :func:`knowrithm_core.ids.iso` writes them)."""
    return stamp[:10]


def bucket_attribute(index: int) -> str:
    return f"rt_b{index:02d}"


def bucket_of(seconds: float) -> int:
    return next((i for i, bound in enumerate(RESPONSE_BUCKETS) if seconds <= bound), len(RESPONSE_BUCKETS))


def label(value: str | None, *, default: str = "unknown", limit: int = 60) -> str:
    """A short, safe key part for a free-text value (lead source, document name)."""
    cleaned = _LABEL_UNSAFE.sub("_", (value or "").strip().lower()).strip("_")[:limit]
    return cleaned or default


def day_sk(day: str) -> str:
    return f"DAY#{day}"


def agent_day_sk(day: str, agent_id: str) -> str:
    return f"DAY#{day}#AGENT#{agent_id}"


def add_op(
    table: DynamoTable, pk: str, sk: str, deltas: Deltas, *, sets: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """One transaction operation: ``SET`` the descriptive attributes, ``ADD`` every non-zero delta."""
    adds = {name: value for name, value in deltas.items() if value}
    if not adds:
        return None
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    set_parts: list[str] = []
    for i, (name, value) in enumerate((sets or {}).items()):
        names[f"#s{i}"], values[f":s{i}"] = name, value
        set_parts.append(f"#s{i} = :s{i}")
    add_parts: list[str] = []
    for i, (name, value) in enumerate(adds.items()):
        names[f"#a{i}"], values[f":a{i}"] = name, value
        add_parts.append(f"#a{i} :a{i}")
    update = (f"SET {', '.join(set_parts)} " if set_parts else "") + "ADD " + ", ".join(add_parts)
    return table.update_op(pk, sk, update, names=names, values=values)


def day_ops(
    table: DynamoTable, company_id: str, day: str, deltas: Deltas, *, agent_id: str | None = None
) -> list[dict[str, Any]]:
    """Add ``deltas`` to the company's day and, with ``agent_id``, to that agent's day."""
    pk = keys.stats_pk(company_id)
    ops = [add_op(table, pk, day_sk(day), deltas, sets={"kind": "company_day", "date": day})]
    if agent_id:
        sets = {
            "kind": "agent_day",
            "date": day,
            "agent_id": agent_id,
            "GSI3PK": keys.agent_stats_gsi(company_id, agent_id),
            "GSI3SK": day_sk(day),
        }
        ops.append(add_op(table, pk, agent_day_sk(day, agent_id), deltas, sets=sets))
    return [op for op in ops if op]


def total_op(table: DynamoTable, company_id: str, deltas: Deltas) -> dict[str, Any] | None:
    return add_op(table, keys.stats_pk(company_id), "TOTAL", deltas, sets={"kind": "company_total"})


# --- the changes analytics report on -----------------------------------------------------------------
def conversation_started_ops(table: DynamoTable, conversation: Conversation) -> list[dict[str, Any]]:
    deltas = {"conversations": 1, "lead_conversations": int(conversation.entity_type == "lead")}
    return day_ops(
        table, conversation.company_id, day_of(conversation.created_at), deltas, agent_id=conversation.agent_id
    )


def chat_turn_ops(
    table: DynamoTable, user: Message, assistant: Message, *, by_lead: bool = False
) -> list[dict[str, Any]]:
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
    ops = day_ops(table, assistant.company_id, day, deltas, agent_id=assistant.agent_id)
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
        op = add_op(table, keys.stats_pk(assistant.company_id), sk, {"citations": 1}, sets=sets)
        if op:
            ops.append(op)
    return ops


def agent_test_ops(table: DynamoTable, company_id: str, agent_id: str, stamp: str) -> list[dict[str, Any]]:
    return day_ops(table, company_id, day_of(stamp), {"agent_tests": 1}, agent_id=agent_id)


def lead_standing(lead: Lead | None) -> dict[str, int]:
    """What one lead contributes to the all-time totals (nothing once deleted)."""
    if lead is None or lead.deleted_at:
        return {}
    return {
        "leads": 1,
        f"lead_status_{lead.status}": 1,
        "consent_data": int(lead.consent_data_processing),
        "consent_marketing": int(lead.consent_marketing),
    }


def lead_change_ops(table: DynamoTable, before: Lead | None, after: Lead) -> list[dict[str, Any]]:
    """The change of the company totals from ``before`` to ``after`` (status, consent, deleted): none or one op."""
    old, new = lead_standing(before), lead_standing(after)
    op = total_op(table, after.company_id, {k: new.get(k, 0) - old.get(k, 0) for k in sorted({*old, *new})})
    return [op] if op else []


def lead_created_ops(table: DynamoTable, lead: Lead, *, registered: bool) -> list[dict[str, Any]]:
    """A new lead: the day's counts (by source, consent), the agent's day, and the company totals."""
    day = day_of(lead.created_at)
    deltas = {
        "leads": 1,
        "leads_registered" if registered else "leads_api": 1,
        "leads_consent_data": int(lead.consent_data_processing),
        "leads_consent_marketing": int(lead.consent_marketing),
    }
    ops = day_ops(table, lead.company_id, day, deltas, agent_id=lead.agent_id)
    source = label(lead.source)
    sets = {"kind": "lead_source_day", "date": day, "source": source}
    source_op = add_op(
        table, keys.stats_pk(lead.company_id), f"{day_sk(day)}#LEADSRC#{source}", {"leads": 1}, sets=sets
    )
    totals = total_op(table, lead.company_id, {**lead_standing(lead), "leads_created": 1})
    return ops + [op for op in (source_op, totals) if op]
