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


class AnalyzeAll(Request):
    """``POST /database-connection/analyze``: every live connection of the company, or only ``agent_id``'s. The
    body is optional (Knowrithm's route takes none)."""

    agent_id: str | None = Field(default=None, max_length=64)


class DatabaseConnectionCreate(Request):
    """``POST /database-connection``: Knowrithm's fields; ``url`` is a SQLAlchemy URL with its password."""

    name: str = Field(min_length=1, max_length=200)
    database_type: str = Field(min_length=1, max_length=20)
    url: str = Field(min_length=1, max_length=2000)
    agent_id: str = Field(min_length=1, max_length=100)
    connection_params: dict[str, str] = Field(default_factory=dict, max_length=20)


class DatabaseExport(Request):
    """``POST /database-connection/export``: the connection, optionally its tables, and rows per table."""

    connection_id: str = Field(min_length=1, max_length=100)
    table_names: list[str] | None = Field(default=None, max_length=100)
    limit_per_table: int = Field(default=1000, ge=1, le=5000)


class DatabaseSearch(Request):
    """``POST /search/database``: a read-only SELECT, or words searched in the exported rows."""

    query: str = Field(min_length=1, max_length=5000)
    connection_id: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=50, ge=1, le=500)


class DatabaseConnectionUpdate(Request):
    """``PUT``/``PATCH /database-connection/{id}``: only the given fields change; a new ``url`` is connected first."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    database_type: str | None = Field(default=None, min_length=1, max_length=20)
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    connection_params: dict[str, str] | None = Field(default=None, max_length=20)
