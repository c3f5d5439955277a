"""Documents: bulk delete and URL uploads."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from knowrithm_core.models.bodies.base import Request


class DocumentIds(Request):
    """``DELETE /document/bulk-delete`` (checked by the documents service)."""

    document_ids: list[str] = Field(min_length=1)


class DocumentUpload(Request):
    """``POST /document/upload`` as JSON: URLs to fetch (files go as multipart; other keys become metadata)."""

    agent_id: str | None = None
    url: str | list[str] | None = None
    urls: str | list[str] | None = None
    metadata: dict[str, Any] | None = None
