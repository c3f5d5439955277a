"""Responses of the knowledge-source routes: website sources, their pages and crawls; database connections."""

from typing import Any

from knowrithm_core.models.responses.common import Out


class WebsiteSourceOut(Out):
    id: str | None = None
    company_id: str | None = None
    agent_id: str | None = None
    base_url: str | None = None
    seed_urls: list[str] | None = None
    allowed_paths: list[str] | None = None
    disallowed_paths: list[str] | None = None
    max_pages: int | None = None
    max_depth: int | None = None
    crawl_frequency_minutes: int | None = None
    notes: str | None = None
    status: str | None = None  # pending | queued | crawling | completed | failed
    is_active: bool | None = None
    pages_count: int | None = None
    last_crawl_task_id: str | None = None
    last_crawled_at: str | None = None
    next_crawl_at: str | None = None
    last_error: str | None = None
    crawl_errors: list[dict[str, str]] | None = None
    created_at: str | None = None
    updated_at: str | None = None


class WebsiteSourceCreated(Out):
    website_source: WebsiteSourceOut | None = None
    task_id: str | None = None


class WebsiteSourceList(Out):
    website_sources: list[WebsiteSourceOut] | None = None
    total: int | None = None


class WebsitePageOut(Out):
    id: str | None = None
    url: str | None = None
    title: str | None = None
    document_id: str | None = None
    content_hash: str | None = None
    depth: int | None = None
    status: str | None = None
    last_crawled_at: str | None = None


class WebsitePageList(Out):
    website_source_id: str | None = None
    pages: list[WebsitePageOut] | None = None
    total: int | None = None


class WebsiteSourceDeleted(Out):
    message: str | None = None
    website_source_id: str | None = None
    deleted_documents: int | None = None


class CrawlQueued(Out):
    status: str | None = None
    task_id: str | None = None
    website_source_id: str | None = None


class CrawlResult(Out):
    """A finished crawl: what changed, what failed (``errors``: url and reason), what robots.txt kept out."""

    status: str | None = None
    website_source_id: str | None = None
    pages_added: int | None = None
    pages_updated: int | None = None
    pages_removed: int | None = None
    pages_unchanged: int | None = None
    errors: list[dict[str, str]] | None = None
    blocked_by_robots: list[str] | None = None
    website_source: WebsiteSourceOut | None = None


class DatabaseConnectionOut(Out):
    id: str | None = None
    company_id: str | None = None
    agent_id: str | None = None
    name: str | None = None
    database_type: str | None = None
    url: str | None = None  # masked: the password is never returned
    connection_params: dict[str, Any] | None = None
    status: str | None = None
    is_active: bool | None = None
    last_error: str | None = None
    tables: list[dict[str, Any]] | None = None
    last_analyzed_at: str | None = None
    last_exported_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None


class DatabaseConnectionEnvelope(Out):
    connection: DatabaseConnectionOut | None = None
    message: str | None = None
    tables: list[dict[str, Any]] | None = None


class DatabaseConnectionList(Out):
    connections: list[DatabaseConnectionOut] | None = None
    total: int | None = None


class DatabaseConnectionTested(Out):
    success: bool | None = None
    message: str | None = None
    connection_id: str | None = None


class DatabaseTables(Out):
    connection_id: str | None = None
    tables: list[dict[str, Any]] | None = None
    total: int | None = None


class DatabaseConnectionDeleted(Out):
    message: str | None = None
    connection_id: str | None = None
    deleted_documents: int | None = None


class DatabaseExported(Out):
    message: str | None = None
    connection_id: str | None = None
    status: str | None = None
    tables: list[str] | None = None
    documents: list[dict[str, Any]] | None = None
    task_ids: list[str] | None = None


class DatabaseSearchResult(Out):
    """``mode`` ``sql`` or ``text_to_sql`` (rows of the validated SELECT, ``sql`` as run) or ``exported_rows``."""

    query: str | None = None
    mode: str | None = None
    sql: str | None = None
    results: dict[str, list[dict[str, Any]]] | None = None
    total_results: int | None = None
    execution_time: float | None = None


class DatabaseConnectionsAnalyzed(Out):
    connections: list[DatabaseConnectionOut] | None = None
    failed: list[dict[str, str]] | None = None
    message: str | None = None
