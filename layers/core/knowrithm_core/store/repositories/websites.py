"""Website sources and their crawled pages (key layout in :mod:`knowrithm_core.store.keys`).

A source and its URL claim are written in one transaction, so one agent cannot register one site twice (409).
While a source is scheduled, GSI2 lists it under ``SCHEDULE#WEBSITES`` by its next crawl time: the scheduled
re-crawl reads only the sources that are due.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from knowrithm_core.errors import Conflict
from knowrithm_core.models.sources import WebsitePage, WebsiteSource
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Delete, Put, missing
from knowrithm_core.store.port import Table
from knowrithm_core.store.table import TransactionConflict


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:40]


class WebsiteRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _item(self, source: WebsiteSource) -> dict[str, Any]:
        item: dict[str, Any] = {
            "PK": keys.company_pk(source.company_id),
            "SK": keys.website_sk(source.id),
            "GSI1PK": keys.global_id("WEBSITE", source.id),
            "GSI1SK": "WEBSITE",
            **source.model_dump(mode="json"),
        }
        if source.next_crawl_at and source.is_active and not source.deleted_at:
            item["GSI2PK"] = keys.SCHEDULED_WEBSITES
            item["GSI2SK"] = f"{source.next_crawl_at}#{source.company_id}#{source.id}"
        return item

    def _claim_key(self, source: WebsiteSource) -> tuple[str, str]:
        return keys.company_pk(source.company_id), keys.website_url_sk(source.agent_id, url_hash(source.base_url))

    # --- sources ----------------------------------------------------------------------------------------
    def add(self, source: WebsiteSource) -> None:
        """The new source and its URL claim; :class:`Conflict` if the agent has this site already."""
        pk, sk = self._claim_key(source)
        claim = Put({"PK": pk, "SK": sk, "website_source_id": source.id}, when=missing())
        try:
            self.table.write([Put(self._item(source), when=missing()), claim])
        except TransactionConflict as exc:
            raise Conflict("This agent already has a website source for this URL.") from exc

    def save(self, source: WebsiteSource) -> None:
        self.table.write([Put(self._item(source))])

    def get(self, company_id: str, source_id: str) -> WebsiteSource | None:
        found = self.table.get(keys.company_pk(company_id), keys.website_sk(source_id))
        return WebsiteSource.model_validate(keys.strip_keys(found)) if found else None

    def all(self, company_id: str) -> list[WebsiteSource]:
        items = self.table.query(keys.company_pk(company_id), sk_prefix=keys.website_sk(""))
        return [WebsiteSource.model_validate(keys.strip_keys(item)) for item in items]

    def remove(self, source: WebsiteSource) -> None:
        """Keep the (soft-deleted) source, drop its URL claim (the site may be registered again) and schedule."""
        self.table.write([Put(self._item(source)), Delete(self._claim_key(source))])

    def due(self, now: str, limit: int = 100) -> list[tuple[str, str]]:
        """(company id, source id) of scheduled sources whose next crawl is at or before ``now``."""
        items = self.table.query(keys.SCHEDULED_WEBSITES, index=keys.GSI2, sk_between=("0", f"{now}~"), limit=limit)
        return [(str(item["company_id"]), str(item["id"])) for item in items]

    # --- pages ------------------------------------------------------------------------------------------
    def pages(self, company_id: str, source_id: str) -> list[WebsitePage]:
        items = self.table.query(keys.website_pages(company_id, source_id), sk_prefix=keys.website_page_sk(""))
        return [WebsitePage.model_validate(keys.strip_keys(item)) for item in items]

    def put_pages(self, pages: Sequence[WebsitePage]) -> None:
        items = [
            {
                "PK": keys.website_pages(page.company_id, page.website_source_id),
                "SK": keys.website_page_sk(url_hash(page.url)),
                **page.model_dump(mode="json"),
            }
            for page in pages
        ]
        if items:
            self.table.batch_put(items)

    def drop_pages(self, pages: Sequence[WebsitePage]) -> None:
        ops = [
            Delete((keys.website_pages(p.company_id, p.website_source_id), keys.website_page_sk(url_hash(p.url))))
            for p in pages
        ]
        for start in range(0, len(ops), 25):
            for op in ops[start : start + 25]:
                self.table.write([op])
