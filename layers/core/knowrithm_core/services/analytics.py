"""Analytics: dashboard, per agent, per conversation, leads, usage, and exports.

Everything is read from the counters :mod:`knowrithm_core.services.analytics_counters` maintains on write
(one Query over a date range of day items), from the agents' counter items, or from one
partition or index with Query; nothing scans the table. Dates are UTC days; ``start_date`` and
``end_date`` take ``YYYY-MM-DD`` or an ISO-8601 timestamp (inclusive; the default is the last 30
days). Every route needs the ``read`` scope; lead tokens are refused.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound, ValidationFailed
from knowrithm_core.ids import is_uuid, iso, now
from knowrithm_core.models.resources import Agent, Conversation, Lead, Message
from knowrithm_core.services.agents import STATS_SUFFIX, AgentService
from knowrithm_core.services.analytics_counters import LEAD_STATUSES, RESPONSE_BUCKETS, bucket_attribute
from knowrithm_core.services.base import Service, load
from knowrithm_core.services.companies import CompanyService
from knowrithm_core.store import keys
from knowrithm_core.store.table import Item

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 731
MAX_EXPORT_ROWS = 10_000
EXPORT_TYPES = ("conversations", "leads", "agents", "usage")
EXPORT_FORMATS = ("json", "csv")
DAY_FIELDS = (
    "conversations",
    "lead_conversations",
    "chat_turns",
    "messages",
    "user_messages",
    "assistant_messages",
    "tokens",
    "user_tokens",
    "assistant_tokens",
    "unanswered",
    "lead_turns",
    "cited_answers",
    "agent_tests",
    "leads",
    "leads_registered",
    "leads_api",
    "leads_consent_data",
    "leads_consent_marketing",
)
# The write routes whose calls are counted (usage analytics count these, not every request).
COUNTED_ENDPOINTS = (
    ("POST", "/api/v1/conversation/{id}/chat", "chat_turns"),
    ("POST", "/api/v1/conversation", "conversations"),
    ("POST", "/api/v1/lead/register", "leads_registered"),
    ("POST", "/api/v1/sdk/lead", "leads_api"),
    ("POST", "/api/v1/agent/{id}/test", "agent_tests"),
)
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- dates ---------------------------------------------------------------------------------------------
def parse_day(value: str, name: str) -> date:
    """``YYYY-MM-DD`` or an ISO-8601 timestamp (converted to its UTC day); anything else is a 400."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        message = f"{name} must be a date (YYYY-MM-DD) or an ISO-8601 timestamp, not '{value[:40]}'."
        raise ValidationFailed(message, details={"errors": {name: [message]}}) from exc
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @classmethod
    def parse(cls, start: Any, end: Any, *, today: date | None = None) -> DateRange:
        """Inclusive UTC days; a missing end is today, a missing start is 30 days before the end."""
        for name, value in (("start_date", start), ("end_date", end)):
            if value is not None and not isinstance(value, str):
                raise ValidationFailed(f"{name} must be a string (YYYY-MM-DD or ISO-8601).")
        last = parse_day(end, "end_date") if end and end.strip() else (today or now().date())
        first = parse_day(start, "start_date") if start and start.strip() else last - timedelta(DEFAULT_RANGE_DAYS - 1)
        if first > last:
            raise ValidationFailed("start_date must not be after end_date.")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise ValidationFailed(f"The date range may span at most {MAX_RANGE_DAYS} days.")
        return cls(first, last)

    @property
    def days(self) -> list[str]:
        return [(self.start + timedelta(i)).isoformat() for i in range((self.end - self.start).days + 1)]

    def public(self) -> dict[str, Any]:
        return {"start_date": self.start.isoformat(), "end_date": self.end.isoformat(), "days": len(self.days)}

    def sk_bounds(self, prefix: str = "DAY#") -> tuple[str, str]:
        return f"{prefix}{self.start.isoformat()}", f"{prefix}{self.end.isoformat()}~"

    def id_bounds(self) -> tuple[str, str]:
        """The lowest and highest UUIDv7 that can be made within the range (ids sort by creation time)."""

        def prefix(moment: datetime) -> str:
            hexed = f"{int(moment.timestamp() * 1000):012x}"
            return f"{hexed[:8]}-{hexed[8:]}"

        low = datetime.combine(self.start, time.min, UTC)
        high = datetime.combine(self.end, time.max, UTC)
        return f"{prefix(low)}-0000-0000-000000000000", f"{prefix(high)}-ffff-ffff-ffffffffffff"


# --- counter items -------------------------------------------------------------------------------------
@dataclass
class Days:
    """Counter items of a date range, split by kind."""

    company: dict[str, Item] = field(default_factory=dict)  # day -> company day
    agents: dict[str, dict[str, Item]] = field(default_factory=lambda: defaultdict(dict))  # agent -> day -> item
    lead_sources: Counter[str] = field(default_factory=Counter)
    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))

    @classmethod
    def of(cls, items: Iterable[Item]) -> Days:
        days = cls()
        for item in items:
            kind = item.get("kind")
            if kind == "company_day":
                days.company[str(item["date"])] = item
            elif kind == "agent_day":
                days.agents[str(item["agent_id"])][str(item["date"])] = item
            elif kind == "lead_source_day":
                days.lead_sources[str(item["source"])] += int(item.get("leads", 0))
            elif kind == "agent_document_day":
                key = str(item.get("document_id") or item.get("document_name"))
                entry = days.documents[str(item["agent_id"])].setdefault(
                    key,
                    {
                        "document_id": item.get("document_id"),
                        "document_name": item.get("document_name"),
                        "citations": 0,
                    },
                )
                entry["citations"] += int(item.get("citations", 0))
        return days


def total(items: Iterable[Mapping[str, Any]], name: str) -> int | float:
    return sum(item.get(name, 0) or 0 for item in items)


def totals(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    rows = list(items)
    return {name: int(total(rows, name)) for name in DAY_FIELDS}


def percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def ratio(part: float, whole: float, digits: int = 2) -> float:
    return round(part / whole, digits) if whole else 0.0


def response_times(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Exact average; min, max and percentiles as histogram bucket bounds (see counters.RESPONSE_BUCKETS)."""
    rows = list(items)
    count = int(total(rows, "rt_count"))
    histogram = [int(total(rows, bucket_attribute(i))) for i in range(len(RESPONSE_BUCKETS) + 1)]
    summary: dict[str, Any] = {
        "total_responses": count,
        "avg_response_time_seconds": None,
        "min_response_time_seconds": None,
        "max_response_time_seconds": None,
        "p50_response_time_seconds": None,
        "p95_response_time_seconds": None,
        "response_time_histogram": [
            {"le_seconds": RESPONSE_BUCKETS[i] if i < len(RESPONSE_BUCKETS) else None, "count": n}
            for i, n in enumerate(histogram)
        ],
        "min_max_precision": "histogram bucket bounds",
    }
    if not count:
        return summary
    average = float(total(rows, "rt_sum")) / count

    def upper(index: int) -> float:
        return RESPONSE_BUCKETS[index] if index < len(RESPONSE_BUCKETS) else max(average, RESPONSE_BUCKETS[-1])

    def quantile(q: float) -> float:
        running = 0
        for index, n in enumerate(histogram):
            running += n
            if running >= q * count:
                return upper(index)
        return upper(len(histogram) - 1)

    filled = [i for i, n in enumerate(histogram) if n]
    lowest = 0.0 if filled[0] == 0 else RESPONSE_BUCKETS[filled[0] - 1]
    single = count == 1
    summary |= {
        "avg_response_time_seconds": round(average, 4),
        "min_response_time_seconds": round(average if single else min(lowest, average), 4),
        "max_response_time_seconds": round(average if single else max(upper(filled[-1]), average), 4),
        "p50_response_time_seconds": quantile(0.5),
        "p95_response_time_seconds": quantile(0.95),
    }
    return summary


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_PREFIXES) else text  # no spreadsheet formulas


@dataclass(frozen=True)
class ExportResult:
    """A JSON body, or CSV text with its file name."""

    format: Literal["json", "csv"]
    body: dict[str, Any]
    csv_text: str = ""
    filename: str = ""


EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": (
        "id",
        "agent_id",
        "title",
        "status",
        "entity_type",
        "entity_id",
        "message_count",
        "total_tokens",
        "created_at",
        "last_activity",
        "ended_at",
    ),
    "leads": (
        "id",
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "source",
        "status",
        "agent_id",
        "consent_data_processing",
        "consent_marketing",
        "created_at",
        "last_activity",
    ),
    "agents": (
        "id",
        "name",
        "status",
        "model_name",
        "created_at",
        "total_conversations",
        "total_messages",
        "active_conversations",
        "conversations_in_range",
        "messages_in_range",
        "unanswered_in_range",
        "avg_response_time_seconds_in_range",
    ),
    "usage": (
        "date",
        "api_calls",
        "chat_turns",
        "conversations",
        "messages",
        "user_messages",
        "assistant_messages",
        "tokens",
        "unanswered",
        "leads",
        "agent_tests",
        "avg_response_time_ms",
    ),
}


class AnalyticsService(Service):
    def __init__(self, agents: AgentService, companies: CompanyService) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents
        self.companies = companies

    # --- reads -------------------------------------------------------------------------------------------
    def _days(self, company_id: str, span: DateRange) -> Days:
        """The company's counters for the range: one Query (company days, lead sources, agent days)."""
        return Days.of(self.table.query(keys.stats_pk(company_id), sk_between=span.sk_bounds()))

    def _agent_days(self, company_id: str, agent_id: str, span: DateRange) -> Days:
        """One agent's counters for the range: one Query of its GSI3 partition (days and cited documents)."""
        index_key = keys.agent_stats_gsi(company_id, agent_id)
        return Days.of(self.table.query(index_key, index=keys.GSI3, sk_between=span.sk_bounds()))

    def _agents(self, company_id: str) -> list[tuple[Agent, Item]]:
        """Every agent (deleted ones too) with its all-time counter item: one Query."""
        items = self.table.query(keys.company_pk(company_id), sk_prefix="AGENT#")
        stats = {i["SK"][: -len(STATS_SUFFIX)]: i for i in items if i["SK"].endswith(STATS_SUFFIX)}
        rows = []
        for item in items:
            if item["SK"].endswith(STATS_SUFFIX):
                continue
            counters = stats.get(item["SK"], {})
            agent = load(
                Agent,
                {
                    **item,
                    "total_conversations": counters.get("conversations", 0),
                    "total_messages": counters.get("messages", 0),
                },
            )
            rows.append((agent, counters))
        return rows

    def _totals(self, company_id: str) -> Item:
        return self.table.get(keys.stats_pk(company_id), "TOTAL") or {}

    @staticmethod
    def _trend(span: DateRange, by_day: Mapping[str, Item]) -> list[dict[str, Any]]:
        rows = []
        for day in span.days:
            item = by_day.get(day, {})
            counts = totals([item])
            rt_count = int(item.get("rt_count", 0) or 0)
            rows.append(
                {
                    "date": day,
                    "conversations": counts["conversations"],
                    "messages": counts["messages"],
                    "user_messages": counts["user_messages"],
                    "assistant_messages": counts["assistant_messages"],
                    "tokens": counts["tokens"],
                    "unanswered": counts["unanswered"],
                    "leads": counts["leads"],
                    "agent_tests": counts["agent_tests"],
                    "avg_response_time_seconds": (
                        round(float(item.get("rt_sum", 0)) / rt_count, 4) if rt_count else None
                    ),
                }
            )
        return rows

    # --- routes ------------------------------------------------------------------------------------------
    def dashboard(self, principal: Principal) -> dict[str, Any]:
        principal.require("read")
        company_id = principal.company_id
        company = self.companies.get_item(company_id)
        agents = self._agents(company_id)
        company_totals = self._totals(company_id)
        span = DateRange.parse(None, None)
        days = self._days(company_id, span)
        api_keys = self.table.query(keys.company_pk(company_id), sk_prefix="APIKEY#")
        recent = totals(days.company.values())
        live = [(a, s) for a, s in agents if not a.deleted_at]
        conversations = sum(a.total_conversations for a, _ in agents)
        active_conversations = sum(int(s.get("active_conversations", 0)) for _, s in agents)
        messages = sum(a.total_messages for a, _ in agents)
        lead_count = int(company_totals.get("leads", 0))
        documents = int(company_totals.get("documents", 0))
        users = int(company.get("user_count", 0))
        status_counts = Counter(a.status for a, _ in live)
        top_agents = sorted(live, key=lambda pair: (-pair[0].total_conversations, -pair[0].total_messages))[:5]
        performance = response_times(days.company.values())
        active_keys = [k for k in api_keys if k.get("status") == "active" and not _expired(k)]
        return {
            "core_metrics": {
                "document_count": documents,
                "conversation_count": conversations,
                "lead_count": lead_count,
                "connection_count": 0,
                "total_users": users,
                "agent_count": len(live),
                "message_count": messages,
                "scope": "company",
            },
            "agent_analytics": {
                "total_agents": len(live),
                "active_agents": status_counts.get("active", 0),
                "inactive_agents": len(live) - status_counts.get("active", 0),
                "deleted_agents": len(agents) - len(live),
                "status_distribution": dict(status_counts),
                "top_agents": [
                    {
                        "id": a.id,
                        "name": a.name,
                        "status": a.status,
                        "total_conversations": a.total_conversations,
                        "total_messages": a.total_messages,
                        "active_conversations": int(s.get("active_conversations", 0)),
                    }
                    for a, s in top_agents
                ],
            },
            "conversation_analytics": {
                "total_conversations": conversations,
                "active_conversations": active_conversations,
                "ended_conversations": max(0, conversations - active_conversations),
                "total_messages": messages,
                "avg_messages_per_conversation": ratio(messages, conversations),
                "conversations_last_30_days": recent["conversations"],
                "messages_last_30_days": recent["messages"],
                "lead_conversations_last_30_days": recent["lead_conversations"],
            },
            "lead_analytics": {
                "total_leads": lead_count,
                "new_leads_last_30_days": recent["leads"],
                "status_distribution": _status_distribution(company_totals),
                "data_consent_count": int(company_totals.get("consent_data", 0)),
                "marketing_consent_count": int(company_totals.get("consent_marketing", 0)),
            },
            "document_analytics": {"total_documents": documents},
            "database_analytics": {"total_connections": 0},
            "activity_analytics": {
                "date_range": span.public(),
                "daily_activity": self._trend(span, days.company),
            },
            "company_analytics": {
                "company_id": company_id,
                "name": company.get("name"),
                "is_active": company.get("is_active", True),
                "created_at": company.get("created_at"),
            },
            "performance_analytics": {
                "date_range": span.public(),
                "avg_response_time_seconds": performance["avg_response_time_seconds"],
                "p95_response_time_seconds": performance["p95_response_time_seconds"],
                "total_responses": performance["total_responses"],
                "unanswered_responses": recent["unanswered"],
                "answer_rate_percent": (
                    percent(recent["assistant_messages"] - recent["unanswered"], recent["assistant_messages"])
                    if recent["assistant_messages"]
                    else None
                ),
            },
            "security_analytics": {"active_api_keys": len(active_keys), "total_api_keys": len(api_keys)},
            "system_metrics": {"status": "healthy", "database": "connected"},
            "user_context": {
                "company_id": company_id,
                "principal_type": principal.kind,
                "subject_id": principal.subject_id,
                "role": principal.role,
            },
            "user_management": {"total_users": users},
            "generated_at": iso(),
        }

    def agent(self, principal: Principal, agent_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        principal.require("read")
        span = DateRange.parse(query.get("start_date"), query.get("end_date"))
        found, stats = self.agents.read_items(principal.company_id, agent_id, include_deleted=True)
        agent = load(Agent, found)
        days = self._agent_days(principal.company_id, agent.id, span)
        by_day = days.agents.get(agent.id, {})
        counts = totals(by_day.values())
        performance = response_times(by_day.values())
        answers = counts["assistant_messages"]
        return {
            "agent_info": {
                "id": agent.id,
                "name": agent.name,
                "status": agent.status,
                "model_name": agent.model_name,
                "llm_provider": agent.settings.llm_provider if agent.settings else None,
                "llm_model": agent.settings.llm_model_name if agent.settings else None,
                "created_at": agent.created_at,
                "deleted_at": agent.deleted_at,
            },
            "date_range": span.public(),
            "conversation_metrics": {
                "total_conversations": counts["conversations"],
                "active_conversations": int(stats.get("active_conversations", 0)),
                "lead_conversations": counts["lead_conversations"],
                "avg_messages_per_conversation": ratio(counts["messages"], counts["conversations"]),
                "all_time_conversations": int(stats.get("conversations", 0)),
            },
            "message_metrics": {
                "total": counts["messages"],
                "user": counts["user_messages"],
                "assistant": counts["assistant_messages"],
                "total_messages": counts["messages"],
                "user_messages": counts["user_messages"],
                "assistant_messages": counts["assistant_messages"],
                "all_time_messages": int(stats.get("messages", 0)),
            },
            "performance_metrics": performance,
            "quality_metrics": {
                "answered": answers - counts["unanswered"],
                "unanswered": counts["unanswered"],
                "answer_rate_percent": percent(answers - counts["unanswered"], answers) if answers else None,
                "avg_confidence": ratio(float(total(by_day.values(), "confidence_sum")), answers, 3)
                if answers
                else None,
                "cited_answers": counts["cited_answers"],
                "average_rating": agent.average_rating,
                "satisfaction_rating": None,
            },
            "token_usage": {
                "total_tokens": counts["tokens"],
                "user_tokens": counts["user_tokens"],
                "assistant_tokens": counts["assistant_tokens"],
                "avg_tokens_per_message": ratio(counts["tokens"], counts["messages"]),
            },
            "conversion_metrics": {
                "leads": counts["leads"],
                "conversations": counts["conversations"],
                "lead_conversations": counts["lead_conversations"],
                "conversion_rate_percent": percent(counts["leads"], counts["conversations"]),
            },
            "activity_trend": self._trend(span, by_day),
            "top_sources": sorted(
                days.documents.get(agent.id, {}).values(), key=lambda d: (-int(d["citations"]), str(d["document_name"]))
            )[:10],
            "agent_tests": counts["agent_tests"],
            "generated_at": iso(),
        }

    def conversation(self, principal: Principal, conversation_id: str) -> dict[str, Any]:
        """One conversation from its own partition (one Query: the conversation and its messages)."""
        principal.require("read")
        items = (
            self.table.query(keys.conversation_pk(principal.company_id, conversation_id))
            if is_uuid(conversation_id)
            else []
        )
        meta = next((i for i in items if i["SK"] == keys.CONVERSATION_META), None)
        if meta is None or meta.get("deleted_at"):
            raise NotFound("Conversation not found.")
        conversation = load(Conversation, meta)
        messages = [load(Message, i) for i in items if i["SK"].startswith("MSG#") and not i.get("deleted_at")]
        roles = Counter(m.role for m in messages)
        answers = [m for m in messages if m.role == "assistant"]
        times = [float(m.processing_time) for m in answers if m.processing_time is not None]
        tokens = sum(m.tokens_used for m in messages)
        timeline: dict[str, Counter[str]] = defaultdict(Counter)
        for message in messages:
            timeline[message.created_at[:10]][message.role] += 1
        first = messages[0].created_at if messages else None
        last = messages[-1].created_at if messages else None
        lead: dict[str, Any] | None = None
        if conversation.entity_type == "lead" and conversation.entity_id:
            found = self.table.get(keys.company_pk(principal.company_id), f"LEAD#{conversation.entity_id}")
            if found:
                record = load(Lead, found)
                lead = {"id": record.id, "full_name": record.full_name, "email": record.email, "status": record.status}
        return {
            "conversation_id": conversation.id,
            "conversation": conversation.public(),
            "message_analytics": {
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
            },
            "message_roles": {role: roles.get(role, 0) for role in ("user", "assistant", "system")},
            "conversation_status": {
                "status": conversation.status,
                "is_active": conversation.is_active,
                "created_at": conversation.created_at,
                "last_activity": conversation.last_activity,
                "ended_at": conversation.ended_at,
                "duration_seconds": _seconds_between(first, last),
            },
            "activity_timeline": [
                {
                    "date": day,
                    "messages": sum(counts.values()),
                    "user_messages": counts.get("user", 0),
                    "assistant_messages": counts.get("assistant", 0),
                }
                for day, counts in sorted(timeline.items())
            ],
            "lead_engagement": {
                "entity_type": conversation.entity_type,
                "is_lead": conversation.entity_type == "lead",
                "lead": lead,
                "user_messages": roles.get("user", 0),
                "first_message_at": first,
                "last_message_at": last,
            },
            "top_conversations": self._top_conversations(principal.company_id, conversation.agent_id),
            "generated_at": iso(),
        }

    def _top_conversations(self, company_id: str, agent_id: str) -> list[dict[str, Any]]:
        """The agent's busiest among its 20 most recent conversations (one bounded Query of GSI3)."""
        recent = self.table.query(
            keys.agent_conversations(company_id, agent_id), index=keys.GSI3, forward=False, limit=20
        )
        rows = [load(Conversation, i) for i in recent[:20] if not i.get("deleted_at")]
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

    def leads(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        principal.require("read")
        span = DateRange.parse(query.get("start_date"), query.get("end_date"))
        days = self._days(principal.company_id, span)
        company_totals = self._totals(principal.company_id)
        counts = totals(days.company.values())
        new_leads = counts["leads"]
        return {
            "date_range": span.public(),
            "total_leads": int(company_totals.get("leads", 0)),
            "new_leads": new_leads,
            "lead_status_distribution": _status_distribution(company_totals),
            "lead_sources": [
                {"source": source, "count": count}
                for source, count in sorted(days.lead_sources.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "daily_new_leads": [
                {"date": day, "count": int(days.company.get(day, {}).get("leads", 0))} for day in span.days
            ],
            "consent_analytics": {
                "total_leads": new_leads,
                "data_consent_count": counts["leads_consent_data"],
                "marketing_consent_count": counts["leads_consent_marketing"],
                "data_consent_rate": percent(counts["leads_consent_data"], new_leads),
                "marketing_consent_rate": percent(counts["leads_consent_marketing"], new_leads),
            },
            "registration_channels": {"widget": counts["leads_registered"], "api": counts["leads_api"]},
            "generated_at": iso(),
        }

    def usage(self, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
        principal.require("read")
        span = DateRange.parse(query.get("start_date"), query.get("end_date"))
        days = self._days(principal.company_id, span)
        agents = self._agents(principal.company_id)
        company_totals = self._totals(principal.company_id)
        api_keys = self.table.query(keys.company_pk(principal.company_id), sk_prefix="APIKEY#")
        counts = totals(days.company.values())
        calls = sum(counts[name] for _, _, name in COUNTED_ENDPOINTS)
        performance = response_times(days.company.values())
        average = performance["avg_response_time_seconds"]
        agent_rows: list[dict[str, Any]] = []
        for agent, _ in agents:
            by_day = days.agents.get(agent.id, {})
            if not by_day:
                continue
            own = totals(by_day.values())
            own_times = response_times(by_day.values())["avg_response_time_seconds"]
            agent_rows.append(
                {
                    "agent_id": agent.id,
                    "agent_name": agent.name,
                    "conversations": own["conversations"],
                    "messages": own["messages"],
                    "chat_turns": own["chat_turns"],
                    "tokens": own["tokens"],
                    "agent_tests": own["agent_tests"],
                    "avg_response_time_ms": round(own_times * 1000, 2) if own_times is not None else None,
                }
            )
        agent_rows.sort(key=lambda r: (-int(r["messages"]), str(r["agent_name"])))
        return {
            "date_range": span.public(),
            "api_usage": {
                "total_api_calls": calls,
                "success_count": calls,
                "error_count": 0,
                "error_rate_percent": 0.0,
                "avg_response_time_ms": round(average * 1000, 2) if average is not None else None,
                "active_api_keys": sum(1 for k in api_keys if k.get("status") == "active" and not _expired(k)),
                "counted": "committed writes of the routes in endpoint_usage; reads and failed calls are not counted",
            },
            "agent_usage": agent_rows,
            "token_usage": {
                "total_tokens": counts["tokens"],
                "user_tokens": counts["user_tokens"],
                "assistant_tokens": counts["assistant_tokens"],
            },
            "storage_usage": {
                "documents": int(company_totals.get("documents", 0)),
                "conversations": sum(a.total_conversations for a, _ in agents),
                "messages": sum(a.total_messages for a, _ in agents),
                "leads": int(company_totals.get("leads", 0)),
            },
            "daily_usage_trend": [
                {"date": row["date"], "api_calls": row["api_calls"], "chat_turns": row["chat_turns"]}
                | {"tokens": row["tokens"], "conversations": row["conversations"], "leads": row["leads"]}
                for row in self._usage_rows(span, days)
            ],
            "endpoint_usage": [
                {"method": method, "endpoint": path, "count": counts[name]} for method, path, name in COUNTED_ENDPOINTS
            ],
            "top_client_ips": [],
            "generated_at": iso(),
        }

    @staticmethod
    def _usage_rows(span: DateRange, days: Days) -> list[dict[str, Any]]:
        rows = []
        for day in span.days:
            item = days.company.get(day, {})
            counts = totals([item])
            rt_count = int(item.get("rt_count", 0) or 0)
            rows.append(
                {
                    "date": day,
                    "api_calls": sum(counts[name] for _, _, name in COUNTED_ENDPOINTS),
                    "chat_turns": counts["chat_turns"],
                    "conversations": counts["conversations"],
                    "messages": counts["messages"],
                    "user_messages": counts["user_messages"],
                    "assistant_messages": counts["assistant_messages"],
                    "tokens": counts["tokens"],
                    "unanswered": counts["unanswered"],
                    "leads": counts["leads"],
                    "agent_tests": counts["agent_tests"],
                    "avg_response_time_ms": (
                        round(float(item.get("rt_sum", 0)) / rt_count * 1000, 2) if rt_count else None
                    ),
                }
            )
        return rows

    # --- export --------------------------------------------------------------------------------------------
    def export(self, principal: Principal, body: Any) -> ExportResult:
        principal.require("read")
        if not isinstance(body, dict):
            raise ValidationFailed("The request body must be a JSON object.")
        kind = body.get("type", body.get("export_type"))
        fmt = body.get("format", body.get("export_format", "json"))
        if kind not in EXPORT_TYPES:
            message = f"type must be one of {', '.join(EXPORT_TYPES)}."
            raise ValidationFailed(message, details={"errors": {"type": [message]}})
        if not isinstance(fmt, str) or fmt.lower() not in EXPORT_FORMATS:
            message = f"format must be one of {', '.join(EXPORT_FORMATS)}."
            raise ValidationFailed(message, details={"errors": {"format": [message]}})
        fmt = fmt.lower()
        span = DateRange.parse(body.get("start_date"), body.get("end_date"))
        rows = {
            "conversations": self._export_conversations,
            "leads": self._export_leads,
            "agents": self._export_agents,
            "usage": self._export_usage,
        }[kind](principal.company_id, span)
        truncated = len(rows) > MAX_EXPORT_ROWS
        rows = rows[:MAX_EXPORT_ROWS]
        metadata = {
            "company_id": principal.company_id,
            "export_type": kind,
            "format": fmt,
            "exported_at": iso(),
            "date_range": span.public(),
            "truncated": truncated,
            "max_rows": MAX_EXPORT_ROWS,
        }
        if fmt == "json":
            result: dict[str, Any] = {"metadata": metadata, "count": len(rows), kind: rows}
            if kind == "usage":
                result["usage_logs"] = rows
            return ExportResult("json", result)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        columns = EXPORT_COLUMNS[kind]
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(column)) for column in columns])
        filename = f"knowrithm-{kind}-{span.start.isoformat()}-{span.end.isoformat()}.csv"
        return ExportResult("csv", {"metadata": metadata, "count": len(rows)}, buffer.getvalue(), filename)

    def _export_conversations(self, company_id: str, span: DateRange) -> list[dict[str, Any]]:
        items = self.table.query(
            keys.company_conversations(company_id),
            index=keys.GSI2,
            sk_between=span.id_bounds(),
            limit=MAX_EXPORT_ROWS + 1,
        )
        rows = [load(Conversation, i).public() for i in items if not i.get("deleted_at")]
        return [r for r in rows if _within(span, r["created_at"])]

    def _export_leads(self, company_id: str, span: DateRange) -> list[dict[str, Any]]:
        low, high = span.id_bounds()
        items = self.table.query(
            keys.company_pk(company_id), sk_between=(f"LEAD#{low}", f"LEAD#{high}"), limit=MAX_EXPORT_ROWS + 1
        )
        rows = [load(Lead, i).public() for i in items if not i.get("deleted_at")]
        return [r for r in rows if _within(span, r["created_at"])]

    def _export_agents(self, company_id: str, span: DateRange) -> list[dict[str, Any]]:
        days = self._days(company_id, span)
        rows = []
        for agent, stats in self._agents(company_id):
            if agent.deleted_at:
                continue
            by_day = days.agents.get(agent.id, {})
            counts = totals(by_day.values())
            rows.append(
                {
                    **agent.public(),
                    "active_conversations": int(stats.get("active_conversations", 0)),
                    "conversations_in_range": counts["conversations"],
                    "messages_in_range": counts["messages"],
                    "unanswered_in_range": counts["unanswered"],
                    "avg_response_time_seconds_in_range": response_times(by_day.values())["avg_response_time_seconds"],
                }
            )
        return rows

    def _export_usage(self, company_id: str, span: DateRange) -> list[dict[str, Any]]:
        return self._usage_rows(span, self._days(company_id, span))


def _within(span: DateRange, stamp: str) -> bool:
    return span.start.isoformat() <= stamp[:10] <= span.end.isoformat()


def _expired(api_key: Mapping[str, Any]) -> bool:
    expires = api_key.get("expires_at")
    return bool(expires) and str(expires) < iso()


def _status_distribution(company_totals: Mapping[str, Any]) -> dict[str, int]:
    return {status: int(company_totals.get(f"lead_status_{status}", 0)) for status in LEAD_STATUSES}


def _seconds_between(first: str | None, last: str | None) -> float | None:
    if not first or not last:
        return None
    start = datetime.fromisoformat(first)
    end = datetime.fromisoformat(last)
    return round((end - start).total_seconds(), 3)
