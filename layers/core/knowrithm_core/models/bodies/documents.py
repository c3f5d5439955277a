"""Documents: uploads (multipart or JSON), pre-signed uploads, search, bulk delete."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from knowrithm_core.errors import ValidationFailed
from knowrithm_core.models.bodies.base import Request

RESERVED_FIELDS = frozenset({"agent_id", "url", "urls", "urls[]", "file", "files", "files[]", "metadata"})


class DocumentIds(Request):
    """``DELETE /document/bulk-delete`` (checked by the documents service)."""

    document_ids: list[str] = Field(min_length=1)


class DocumentUpload(Request):
    """``POST /document/upload`` as JSON: URLs to fetch (files go as multipart; other keys become metadata)."""

    agent_id: str | None = None
    url: str | list[str] | None = None
    urls: str | list[str] | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class UploadRequest:
    """What ``POST /document/upload`` received, however it was encoded (multipart or JSON)."""

    agent_id: str | None
    files: list[UploadedFile] = field(default_factory=list)
    url_values: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Any) -> UploadRequest:
        if not isinstance(body, dict):
            raise ValidationFailed("The request body must be a JSON object.")
        values: list[Any] = []
        for key in ("url", "urls"):
            raw = body.get(key)
            values.extend(raw if isinstance(raw, list) else [raw] if raw is not None else [])
        if any(not isinstance(v, str) for v in values):
            raise ValidationFailed("url and urls must be strings (urls: a list of strings).")
        nested = body.get("metadata")
        metadata: dict[str, Any] = nested if isinstance(nested, dict) else {}
        extras = {k: v for k, v in body.items() if k not in RESERVED_FIELDS}
        agent_id = body.get("agent_id")
        return cls(str(agent_id) if agent_id is not None else None, [], values, {**extras, **metadata})


class UploadUrlRequest(Request):
    """``POST /document/upload-url``: the file a client is about to upload itself (pre-signed, straight to S3)."""

    agent_id: str = Field(min_length=1, max_length=100)
    filename: str = Field(min_length=1, max_length=1000)
    content_type: str | None = Field(default=None, max_length=200)
    size: int = Field(ge=0, description="bytes; 1..MAX_DOCUMENT_BYTES")
    metadata: dict[str, Any] = Field(default_factory=dict)


class SearchRequest(Request):
    query: str = Field(min_length=1, max_length=2000)
    agent_id: str | None = None
    limit: int = Field(default=10, ge=1, le=50)
    include_content: bool = True
