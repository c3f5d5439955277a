"""The knowledge base's resources: documents, their chunks, and an agent's index manifest.

Status: ``pending`` -> ``processing`` -> ``completed`` | ``failed``; a pre-signed upload starts as
``awaiting_upload`` (the record exists, the file is not in S3 yet) until ``POST /document/{id}/complete``
makes it ``pending``. Knowrithm's schema calls a finished document ``processed``; every document also carries
``processing_status`` in that vocabulary, and list filters accept either word. Where they are stored:
:mod:`knowrithm_core.store.repositories.documents`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DocumentStatus = Literal["awaiting_upload", "pending", "processing", "completed", "failed"]
KNOWRITHM_STATUS = {
    "awaiting_upload": "pending",
    "pending": "pending",
    "processing": "processing",
    "completed": "processed",
    "failed": "failed",
}
STATUS_ALIASES = {"processed": "completed", "queued": "pending", "done": "completed", "success": "completed"}
EMBEDDING_MODEL = "bm25"


class Document(BaseModel):
    """Knowrithm's Document, plus ``agent_id``, ``chunk_count``, ``source_url`` and ``processing_status``."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str
    company_id: str
    agent_id: str
    original_filename: str
    filename: str
    document_type: str
    content_type: str | None = None
    status: DocumentStatus = "pending"
    file_size: int = 0
    page_count: int = 0
    word_count: int = 0
    chunk_count: int = 0
    processing_error: str | None = None
    source_url: str | None = None
    title: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    task_id: str | None = None
    user: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str
    processing_started_at: str | None = None
    processed_at: str | None = None
    is_active: bool = True
    deleted_at: str | None = None
    version: int = 1

    def public(self) -> dict[str, Any]:
        body = self.model_dump(mode="json")
        body["processing_status"] = KNOWRITHM_STATUS[self.status]
        body["name"] = self.original_filename
        return body


class Chunk(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str
    company_id: str
    agent_id: str
    document_id: str
    document_name: str
    chunk_index: int
    content: str
    word_count: int
    page: int = 1
    source_url: str | None = None
    embedding_model: str = EMBEDDING_MODEL
    created_at: str
    updated_at: str
    is_active: bool = True
    deleted_at: str | None = None

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Manifest(BaseModel):
    """An agent's index: which S3 object holds it, and what is hidden from results until restored."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    company_id: str
    agent_id: str
    version: int = 0  # the build; a new one is written on every ingest
    revision: int = 0  # any change (build, delete, restore); optimistic-concurrency token
    blob_key: str | None = None
    chunk_count: int = 0
    hidden_documents: list[str] = Field(default_factory=list)
    hidden_chunks: list[str] = Field(default_factory=list)
    updated_at: str | None = None
