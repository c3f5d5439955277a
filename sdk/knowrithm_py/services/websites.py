"""Website sources (``/website/source``): register a site, crawl it, list its pages, delete it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import quote

from knowrithm_py.models.websites import (
    CrawlQueued,
    CrawlResult,
    WebsitePageList,
    WebsiteSourceCreated,
    WebsiteSourceDeleted,
    WebsiteSourceList,
)
from knowrithm_py.services._base import Headers, Service


def _id(value: str) -> str:
    return quote(value, safe="")


class WebsiteSourceService(Service):
    def register_source(
        self,
        agent_id: str,
        base_url: str,
        *,
        seed_urls: Sequence[str] | None = None,
        allowed_paths: Sequence[str] | None = None,
        disallowed_paths: Sequence[str] | None = None,
        max_pages: int | None = None,
        max_depth: int | None = None,
        crawl_frequency_minutes: int | None = None,
        notes: str | None = None,
        headers: Headers = None,
    ) -> WebsiteSourceCreated:
        """``POST /website/source``: register a site (fetched once to check it) and queue its first crawl.

        Paths are prefixes (``/docs``) or globs (``/blog/*/draft``); ``crawl_frequency_minutes`` (60 or more)
        re-crawls it on a schedule. 400 for a private, unreachable or malformed URL; 409 if the agent has it."""
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "base_url": base_url,
            "seed_urls": list(seed_urls) if seed_urls is not None else None,
            "allowed_paths": list(allowed_paths) if allowed_paths is not None else None,
            "disallowed_paths": list(disallowed_paths) if disallowed_paths is not None else None,
            "max_pages": max_pages,
            "max_depth": max_depth,
            "crawl_frequency_minutes": crawl_frequency_minutes,
            "notes": notes,
        }
        body = {key: value for key, value in body.items() if value is not None}
        return cast(WebsiteSourceCreated, self._core.call("POST", "/website/source", json=body, headers=headers))

    def list_sources(self, agent_id: str | None = None, *, headers: Headers = None) -> WebsiteSourceList:
        """``GET /website/source`` (or ``/website/agent/{agent_id}/sources``): the company's (or agent's) sites."""
        path = f"/website/agent/{_id(agent_id)}/sources" if agent_id else "/website/source"
        return cast(WebsiteSourceList, self._core.call("GET", path, headers=headers))

    def list_source_pages(self, source_id: str, *, headers: Headers = None) -> WebsitePageList:
        """``GET /website/source/{id}/pages``: the crawled pages and the document each became."""
        path = f"/website/source/{_id(source_id)}/pages"
        return cast(WebsitePageList, self._core.call("GET", path, headers=headers))

    def trigger_crawl(self, source_id: str, *, headers: Headers = None) -> CrawlQueued:
        """``POST /website/source/{id}/crawl``: queue a crawl (202); poll ``tasks.get_task_status(task_id)``."""
        path = f"/website/source/{_id(source_id)}/crawl"
        return cast(CrawlQueued, self._core.call("POST", path, headers=headers))

    def crawl_source(self, source_id: str, max_pages: int | None = None, *, headers: Headers = None) -> CrawlResult:
        """``POST /sdk/website/source/{id}/crawl``: crawl now and return what changed (at most 20 s of crawling)."""
        body = {"max_pages": max_pages} if max_pages is not None else {}
        path = f"/sdk/website/source/{_id(source_id)}/crawl"
        return cast(CrawlResult, self._core.call("POST", path, json=body, headers=headers))

    def delete_source(self, source_id: str, *, headers: Headers = None) -> WebsiteSourceDeleted:
        """``DELETE /website/source/{id}``: the source, its pages and their documents."""
        path = f"/website/source/{_id(source_id)}"
        return cast(WebsiteSourceDeleted, self._core.call("DELETE", path, headers=headers))
