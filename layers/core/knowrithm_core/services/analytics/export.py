"""``POST /analytic/export``: conversations, leads, agents or usage of a date range as JSON or CSV
(at most 10,000 rows; CSV cells never start a spreadsheet formula).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Literal

from knowrithm_core.auth import Principal
from knowrithm_core.errors import ValidationFailed
from knowrithm_core.ids import iso
from knowrithm_core.services.analytics.base import AnalyticsBase
from knowrithm_core.services.analytics.metrics import DateRange, response_times, totals, within

MAX_EXPORT_ROWS = 10_000
EXPORT_TYPES = ("conversations", "leads", "agents", "usage")
EXPORT_FORMATS = ("json", "csv")
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


class ExportMixin(AnalyticsBase):
    """Exports as JSON or CSV."""

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
        low, high = span.id_bounds()
        found = self.reads.conversations_created(company_id, low, high, limit=MAX_EXPORT_ROWS + 1)
        rows = [conversation.public() for conversation in found]
        return [r for r in rows if within(span, r["created_at"])]

    def _export_leads(self, company_id: str, span: DateRange) -> list[dict[str, Any]]:
        low, high = span.id_bounds()
        rows = [lead.public() for lead in self.reads.leads_created(company_id, low, high, limit=MAX_EXPORT_ROWS + 1)]
        return [r for r in rows if within(span, r["created_at"])]

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
