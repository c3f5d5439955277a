"""Website sources: a site an agent learns from, its crawled pages, and crawls."""

from __future__ import annotations

from typing import TypedDict


class WebsiteSource(TypedDict, total=False):
    id: str
    company_id: str
    agent_id: str
    base_url: str
    seed_urls: list[str]
    allowed_paths: list[str]
    disallowed_paths: list[str]
    max_pages: int
    max_depth: int
    crawl_frequency_minutes: int | None
    notes: str | None
    status: str  # pending | queued | crawling | completed | failed
    is_active: bool
    pages_count: int
    last_crawl_task_id: str | None
    last_crawled_at: str | None
    next_crawl_at: str | None
    last_error: str | None
    crawl_errors: list[dict[str, str]]
    created_at: str
    updated_at: str


class WebsiteSourceCreated(TypedDict, total=False):
    website_source: WebsiteSource
    task_id: str | None


class WebsiteSourceList(TypedDict, total=False):
    website_sources: list[WebsiteSource]
    total: int


class WebsitePage(TypedDict, total=False):
    id: str
    url: str
    title: str | None
    document_id: str | None
    content_hash: str | None
    depth: int
    status: str
    last_crawled_at: str


class WebsitePageList(TypedDict, total=False):
    website_source_id: str
    pages: list[WebsitePage]
    total: int


class WebsiteSourceDeleted(TypedDict, total=False):
    message: str
    website_source_id: str
    deleted_documents: int


class CrawlQueued(TypedDict, total=False):
    status: str
    task_id: str
    website_source_id: str


class CrawlResult(TypedDict, total=False):
    """A finished crawl: what changed, what failed (``errors``: url and reason), what robots.txt kept out."""

    status: str
    website_source_id: str
    pages_added: int
    pages_updated: int
    pages_removed: int
    pages_unchanged: int
    errors: list[dict[str, str]]
    blocked_by_robots: list[str]
    website_source: WebsiteSource
