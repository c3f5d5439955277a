"""Pure arithmetic over the counter items: date ranges, day items by kind, totals, ratios and
response-time summaries (no I/O).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from knowrithm_core.domain.stats import LEAD_STATUSES, RESPONSE_BUCKETS, bucket_attribute
from knowrithm_core.errors import ValidationFailed
from knowrithm_core.ids import iso, now
from knowrithm_core.store.table import Item

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 731
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


def within(span: DateRange, stamp: str) -> bool:
    return span.start.isoformat() <= stamp[:10] <= span.end.isoformat()


def expired(expires_at: str | None) -> bool:
    """Whether an API key expiring at ``expires_at`` (None: never) has expired."""
    return bool(expires_at) and str(expires_at) < iso()


def status_distribution(company_totals: Mapping[str, Any]) -> dict[str, int]:
    return {status: int(company_totals.get(f"lead_status_{status}", 0)) for status in LEAD_STATUSES}


def seconds_between(first: str | None, last: str | None) -> float | None:
    if not first or not last:
        return None
    start = datetime.fromisoformat(first)
    end = datetime.fromisoformat(last)
    return round((end - start).total_seconds(), 3)
