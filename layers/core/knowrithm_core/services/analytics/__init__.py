"""Analytics: dashboard, per agent, per conversation, leads, usage, and exports.

Everything is read from the counters :mod:`knowrithm_core.store.repositories.stats` maintains on write
(one Query over a date range of day items), from the agents' counter items, or from one
partition or index with Query; nothing scans the table. Dates are UTC days; ``start_date`` and
``end_date`` take ``YYYY-MM-DD`` or an ISO-8601 timestamp (inclusive; the default is the last 30
days). Every route needs the ``read`` scope; lead tokens are refused.

One module per report, joined here into :class:`AnalyticsService`: :mod:`.dashboard`,
:mod:`.agent_metrics`, :mod:`.comparison`, :mod:`.conversation_metrics`, :mod:`.reports` (leads, usage) and
:mod:`.export`;
:mod:`.base` reads the counters and :mod:`.metrics` does the arithmetic (no I/O).
"""

from __future__ import annotations

from knowrithm_core.services.analytics.agent_metrics import AgentMetricsMixin
from knowrithm_core.services.analytics.comparison import ComparisonMixin
from knowrithm_core.services.analytics.conversation_metrics import ConversationMetricsMixin
from knowrithm_core.services.analytics.dashboard import DashboardMixin
from knowrithm_core.services.analytics.export import (
    EXPORT_COLUMNS,
    EXPORT_FORMATS,
    EXPORT_TYPES,
    ExportMixin,
    ExportResult,
)
from knowrithm_core.services.analytics.key_usage import KeyUsageMixin
from knowrithm_core.services.analytics.metrics import DateRange, Days, parse_day, response_times, totals
from knowrithm_core.services.analytics.reports import ReportsMixin


class AnalyticsService(
    DashboardMixin,
    AgentMetricsMixin,
    ComparisonMixin,
    ConversationMetricsMixin,
    ReportsMixin,
    ExportMixin,
    KeyUsageMixin,
):
    """Every ``/analytic`` route."""


__all__ = [
    "EXPORT_COLUMNS",
    "EXPORT_FORMATS",
    "EXPORT_TYPES",
    "AnalyticsService",
    "DateRange",
    "Days",
    "ExportResult",
    "parse_day",
    "response_times",
    "totals",
]
