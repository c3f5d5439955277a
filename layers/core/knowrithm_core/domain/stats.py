"""What analytics count: the response-time histogram, safe labels, and what each resource adds to its company's
all-time totals (the "standing" rules the write path and the backfill share)."""

from __future__ import annotations

import re

from knowrithm_core.models.resources import Lead

# Upper bounds (seconds) of the response-time histogram buckets; one more, open bucket follows.
RESPONSE_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MAX_CITED_PER_TURN = 5  # document counters written per chat turn, at most
LEAD_STATUSES = ("new", "contacted", "qualified", "converted", "lost")
_LABEL_UNSAFE = re.compile(r"[^a-z0-9_.:-]+")

# Company TOTAL counters that list pages report
API_KEYS_TOTAL = "api_keys"  # +1 per key created (revoked keys stay listed)
LIVE_CONVERSATIONS = "conversations_live"  # created +1, deleted -1, restored +1
LIVE_ENDPOINTS = "webhooks"  # created +1, deleted -1


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


def agent_standing(status: str | None, deleted: bool) -> dict[str, int]:
    """What one agent adds to the company totals its list pages report."""
    if status is None:
        return {}
    if deleted:
        return {"agents_deleted": 1}
    return {"agents": 1, f"agents_status_{status}": 1}


def document_standing(status: str | None, deleted: bool) -> dict[str, int]:
    """What one document adds to the company totals (``documents`` is also the dashboard's count): every live
    document whose file arrived (an ``awaiting_upload`` one may expire unseen, so it is never counted)."""
    if status is None or deleted or status == "awaiting_upload":
        return {}
    return {"documents": 1, f"documents_status_{status}": 1}
