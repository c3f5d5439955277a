"""Request bodies of the knowledge-source routes: website sources (and the SDK's synchronous crawl)."""

from __future__ import annotations

from pydantic import Field

from knowrithm_core.models.bodies.base import Request

PathList = list[str]


class WebsiteSourceCreate(Request):
    """``POST /website/source``: Knowrithm's fields; paths are prefixes (``/docs``) or globs (``/blog/*/draft``)."""

    agent_id: str = Field(min_length=1, max_length=100)
    base_url: str = Field(min_length=1, max_length=2000)
    seed_urls: list[str] = Field(default_factory=list, max_length=50)
    allowed_paths: PathList = Field(default_factory=list, max_length=50)
    disallowed_paths: PathList = Field(default_factory=list, max_length=50)
    max_pages: int = Field(default=50, ge=1, le=500)
    max_depth: int = Field(default=3, ge=0, le=10)
    crawl_frequency_minutes: int | None = Field(default=None, ge=60, le=60 * 24 * 90)
    notes: str | None = Field(default=None, max_length=2000)


class CrawlNow(Request):
    """``POST /sdk/website/source/{id}/crawl``: at most this many pages this time (the source's limit otherwise)."""

    max_pages: int | None = Field(default=None, ge=1, le=500)
