"""Backfill for items written before list pages read sparse indexes and company counters, or before agents'
index manifests moved beside their agents.

Scans the table page by page, gives each lead, agent, conversation, webhook endpoint and document the sparse index
attributes its current write path sets (the same :mod:`knowrithm_core.store.listings` builders), then sets each
company's list totals (``COMPANY#c#STATS / TOTAL``) to what it counted. Idempotent: a second run writes nothing.

Run it while writes are paused, or accept a small race: a lead, agent, conversation, endpoint or key created,
deleted or restored during the scan can leave its counter off by one (run it again once writes are quiet).

    python -m knowrithm_core.store.backfill --table NAME [--page-size 100] [--start JSON]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from knowrithm_core.domain.stats import (
    API_KEYS_TOTAL,
    LIVE_CONVERSATIONS,
    LIVE_ENDPOINTS,
    agent_standing,
    document_standing,
    lead_standing,
)
from knowrithm_core.errors import Conflict
from knowrithm_core.models.resources import Lead
from knowrithm_core.store import keys, listings
from knowrithm_core.store.expressions import Delete, Put, Update, exists, missing
from knowrithm_core.store.keys import strip_keys
from knowrithm_core.store.port import Table
from knowrithm_core.store.table import DynamoTable, Item, TransactionConflict

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
TOTAL_SK = "TOTAL"
# every counter the backfill owns: these names, and any name starting with one of the prefixes
COUNTERS: tuple[str, ...] = (
    "leads",
    "consent_data",
    "consent_marketing",
    "agents",
    "agents_deleted",
    LIVE_CONVERSATIONS,
    LIVE_ENDPOINTS,
    API_KEYS_TOTAL,
    "documents",
)
COUNTER_PREFIXES = ("lead_status_", "agents_status_", "documents_status_")
LISTING_ATTRIBUTES = {
    "lead": ("GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"),
    "agent": ("GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK"),
    "conversation": ("GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK"),
    "endpoint": ("GSI2PK", "GSI2SK"),
    "api_key": (),
    "document": ("GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK"),
}


@dataclass
class Report:
    """What one run read and wrote."""

    pages: int = 0
    items_scanned: int = 0
    items_updated: int = 0
    totals_written: int = 0
    counters_skipped: bool = False
    last_key: Item | None = None
    totals: dict[str, dict[str, int]] = field(default_factory=dict)


def _kind(item: Item) -> tuple[str, str] | None:
    """(kind, company id) of an item the list pages show, None for any other item."""
    company_id, pk, sk = item.get("company_id"), str(item["PK"]), str(item["SK"])
    if not isinstance(company_id, str):
        return None
    if sk == keys.CONVERSATION_META and pk == keys.conversation_pk(company_id, str(item.get("id"))):
        return "conversation", company_id
    if pk != keys.company_pk(company_id):
        return None
    for prefix, kind in (("LEAD#", "lead"), ("WEBHOOK#", "endpoint"), ("APIKEY#", "api_key"), ("DOC#", "document")):
        if sk.startswith(prefix):
            return kind, company_id
    if keys.is_agent_sk(sk):
        return "agent", company_id
    return None


def index_attributes(kind: str, company_id: str, item: Item) -> dict[str, str]:
    """The sparse index attributes the current write path gives this item."""
    item_id, live = str(item.get("id")), not item.get("deleted_at")
    if kind == "lead":
        return listings.lead_index_keys(company_id, item_id, str(item.get("status")), live=live)
    if kind == "agent":
        return listings.agent_index_keys(company_id, item_id, str(item.get("status")), live=live)
    if kind == "conversation":
        lead_id = str(item["entity_id"]) if item.get("entity_type") == "lead" and item.get("entity_id") else None
        return listings.conversation_index_keys(company_id, item_id, str(item.get("agent_id")), lead_id, live=live)
    if kind == "endpoint":
        return listings.endpoint_index_keys(company_id, item_id, live=live)
    if kind == "document":
        agent_id, status = str(item.get("agent_id")), str(item.get("status"))
        return listings.document_index_keys(company_id, item_id, agent_id, status, live=live)
    return {}


def standing(kind: str, item: Item) -> dict[str, int]:
    """What the item adds to its company's list totals (the write paths' own rules)."""
    live = not item.get("deleted_at")
    if kind == "lead":
        return lead_standing(Lead.model_validate(strip_keys(item)))
    if kind == "agent":
        status = item.get("status")
        return agent_standing(str(status) if status is not None else None, not live)
    if kind == "conversation":
        return {LIVE_CONVERSATIONS: 1} if live else {}
    if kind == "endpoint":
        return {LIVE_ENDPOINTS: 1} if live else {}
    if kind == "document":
        status = item.get("status")
        return document_standing(str(status) if status is not None else None, not live)
    return {API_KEYS_TOTAL: 1}


def _fix_item(table: Table, kind: str, company_id: str, item: Item) -> bool:
    """Set the missing or stale index attributes (and remove ones the write path would not set); True if written."""
    wanted = index_attributes(kind, company_id, item)
    sets = {name: value for name, value in wanted.items() if item.get(name) != value}
    removes = [name for name in LISTING_ATTRIBUTES[kind] if name not in wanted and name in item]
    if not sets and not removes:
        return False
    try:
        table.write([Update((str(item["PK"]), str(item["SK"])), set=sets, remove=tuple(removes), when=exists())])
    except Conflict:
        return False  # deleted meanwhile
    return True


def move_manifest(table: Table, item: Item) -> bool:
    """Move an agent's index manifest from its old key (``KINDEX#a``) beside its agent (``AGENT#a#KINDEX``), in
    one transaction; when the new key already has one (written since), the old one is only deleted. True if
    written."""
    pk, sk = str(item["PK"]), str(item["SK"])
    owner = keys.company_of(pk)
    if not sk.startswith(keys.LEGACY_KINDEX_PREFIX) or owner is None or pk != keys.company_pk(owner):
        return False
    moved = {**item, "SK": keys.knowledge_index_sk(sk.removeprefix(keys.LEGACY_KINDEX_PREFIX))}
    try:
        table.write([Put(moved, when=missing()), Delete((pk, sk), when=exists())])
    except TransactionConflict as exc:
        if exc.reasons[:1] != ["ConditionalCheckFailed"]:
            return False  # deleted meanwhile
        table.write([Delete((pk, sk))])
    return True


def _owned(name: str) -> bool:
    return name in COUNTERS or name.startswith(COUNTER_PREFIXES)


def _write_totals(table: Table, company_id: str, counted: Mapping[str, int]) -> bool:
    """Set the company's owned counters to ``counted`` (owned counters it no longer has go to 0); True if written."""
    current = table.get(keys.stats_pk(company_id), TOTAL_SK) or {}
    wanted = {name: 0 for name in current if _owned(name)} | {name: int(v) for name, v in counted.items()}
    changes = {name: value for name, value in sorted(wanted.items()) if current.get(name, 0) != value}
    if not changes:
        return False
    table.write([Update((keys.stats_pk(company_id), TOTAL_SK), set={"kind": "company_total", **changes})])
    return True


def backfill(
    table: Table,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    start_key: Mapping[str, Any] | None = None,
    on_page: Callable[[Report], None] | None = None,
) -> Report:
    """Scan ``page_size`` items per request, fix each item's index attributes, then write the recounted totals.

    With ``start_key`` (a previous run's ``last_key``) it resumes the item fixes only: totals need a whole pass,
    so they are skipped (run once more from the start to write them; fixed items cost no writes then)."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    report = Report(counters_skipped=start_key is not None)
    counted: dict[str, Counter[str]] = {}
    key: Mapping[str, Any] | None = start_key
    while True:
        items, last = table.scan_once(limit=page_size, start_key=key)
        for item in items:
            report.items_scanned += 1
            pk = str(item["PK"])
            owner = keys.company_of(pk)
            if owner and item["SK"] == TOTAL_SK and pk == keys.stats_pk(owner):
                counted.setdefault(owner, Counter())
            report.items_updated += move_manifest(table, item)
            found = _kind(item)
            if found is None:
                continue
            kind, company_id = found
            report.items_updated += _fix_item(table, kind, company_id, item)
            counted.setdefault(company_id, Counter()).update(standing(kind, item))
        report.pages += 1
        report.last_key = last
        if on_page:
            on_page(report)
        if last is None:
            break
        key = last
    if not report.counters_skipped:
        for company_id, counts in sorted(counted.items()):
            totals = {name: value for name, value in counts.items() if _owned(name)}
            report.totals[company_id] = totals
            report.totals_written += _write_totals(table, company_id, totals)
    return report


def main(argv: list[str] | None = None) -> int:
    """The CLI: run the backfill against ``--table`` (``AWS_ENDPOINT_URL`` for a local stack) and print a report."""
    parser = argparse.ArgumentParser(
        prog="python -m knowrithm_core.store.backfill", description="Backfill list index attributes and company totals."
    )
    parser.add_argument("--table", default=os.environ.get("TABLE_NAME"), help="table name (default: $TABLE_NAME)")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE, help="items per Scan request")
    parser.add_argument("--start", type=json.loads, default=None, help="resume after this key (JSON, item fixes only)")
    args = parser.parse_args(argv)
    if not args.table:
        parser.error("--table or TABLE_NAME is required")

    def progress(report: Report) -> None:
        sys.stderr.write(
            json.dumps(
                {
                    "pages": report.pages,
                    "scanned": report.items_scanned,
                    "updated": report.items_updated,
                    "resume": report.last_key,
                }
            )
            + "\n"
        )

    report = backfill(DynamoTable(args.table), page_size=args.page_size, start_key=args.start, on_page=progress)
    summary = {k: v for k, v in vars(report).items() if k != "totals"}
    sys.stdout.write(json.dumps(summary | {"companies": len(report.totals)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
