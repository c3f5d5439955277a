"""Knowledge sources beyond uploads: website sources and their crawled pages (stored; see
:mod:`knowrithm_core.store.repositories.websites`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CrawlStatus = Literal["pending", "queued", "crawling", "completed", "failed"]


class WebsiteSource(BaseModel):
    """Knowrithm's website source: a site an agent learns from, re-crawled every ``crawl_frequency_minutes``."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str
    company_id: str
    agent_id: str
    base_url: str
    seed_urls: list[str] = Field(default_factory=list)
    allowed_paths: list[str] = Field(default_factory=list)
    disallowed_paths: list[str] = Field(default_factory=list)
    max_pages: int = 50
    max_depth: int = 3
    crawl_frequency_minutes: int | None = None
    notes: str | None = None
    status: CrawlStatus = "pending"
    is_active: bool = True
    pages_count: int = 0
    last_crawl_task_id: str | None = None
    last_crawled_at: str | None = None
    next_crawl_at: str | None = None
    last_error: str | None = None
    crawl_errors: list[dict[str, str]] = Field(default_factory=list)
    created_by: str | None = None
    created_at: str
    updated_at: str
    deleted_at: str | None = None

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"created_by"})


class WebsitePage(BaseModel):
    """One crawled page: the document holding its text, and the hash telling a re-crawl whether it changed."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str
    company_id: str
    website_source_id: str
    url: str
    title: str | None = None
    document_id: str | None = None
    content_hash: str | None = None
    depth: int = 0
    status: Literal["indexed", "failed"] = "indexed"
    error: str | None = None
    last_crawled_at: str


class DatabaseConnection(BaseModel):
    """Knowrithm's database connection; ``url`` is masked (the real one is in Secrets Manager under ``secret_name``)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str
    company_id: str
    agent_id: str
    name: str
    database_type: str
    url: str
    secret_name: str
    connection_params: dict[str, Any] = Field(default_factory=dict)
    status: Literal["connected", "failed"] = "connected"
    is_active: bool = True
    last_error: str | None = None
    tables: list[dict[str, Any]] = Field(default_factory=list)
    last_analyzed_at: str | None = None
    exported_document_ids: list[str] = Field(default_factory=list)
    last_exported_at: str | None = None
    created_at: str
    updated_at: str
    deleted_at: str | None = None

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"secret_name", "exported_document_ids"})
