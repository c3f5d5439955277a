"""Documents, chunks and index manifests: their models and where they live in the table.

- document:  COMPANY#c / DOC#d                                  the raw file: S3 documents/c/d/original.<ext>
- chunk:     COMPANY#c#AGENT#a#CHUNKS / DOC#d#CHUNK#000042      GSI1 CHUNK#k; GSI3 COMPANY#c#DELETED_CHUNKS if deleted
- manifest:  COMPANY#c / KINDEX#a                               the agent index: S3 key, version, hidden ids

One query returns every chunk of an agent (what an index rebuild reads) or, with the ``DOC#d#``
prefix, one document's chunks in order. Chunk ids are UUIDv5 of (document, index), so a retried
ingest rewrites the same items.

Status: ``pending`` -> ``processing`` -> ``completed`` | ``failed``; a pre-signed upload starts as
``awaiting_upload`` (the record exists, the file is not in S3 yet) until ``POST /document/{id}/complete``
makes it ``pending``. Knowrithm's schema calls a finished
document ``processed``; every document also carries ``processing_status`` in that vocabulary, and
list filters accept either word.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from knowrithm_core.store import keys
from knowrithm_core.store.keys import strip_keys

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
_CHUNK_NAMESPACE = uuid.UUID("6f1f8a52-3d0b-4c61-9a59-0d7e3b2c4a10")


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


def document_sk(document_id: str) -> str:
    return f"DOC#{document_id}"


def chunks_pk(company_id: str, agent_id: str) -> str:
    return f"COMPANY#{company_id}#AGENT#{agent_id}#CHUNKS"


def chunk_sk(document_id: str, index: int) -> str:
    return f"DOC#{document_id}#CHUNK#{index:06d}"


def deleted_chunks_gsi(company_id: str) -> str:
    return f"COMPANY#{company_id}#DELETED_CHUNKS"


def manifest_sk(agent_id: str) -> str:
    return f"KINDEX#{agent_id}"


def chunk_id(document_id: str, index: int) -> str:
    return str(uuid.uuid5(_CHUNK_NAMESPACE, f"{document_id}/{index}"))


def blob_key(company_id: str, document_id: str, document_type: str) -> str:
    return f"documents/{company_id}/{document_id}/original.{document_type}"


def index_key(company_id: str, agent_id: str, version: int) -> str:
    return f"indexes/{company_id}/{agent_id}/{version:08d}.bm25.zip"


def document_item(document: Document, blob: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PK": keys.company_pk(document.company_id),
        "SK": document_sk(document.id),
        "_type": "document",
        **document.model_dump(mode="json"),
    }
    if blob:
        item["_blob_key"] = blob
    return item


def chunk_item(chunk: Chunk, *, cascade: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PK": chunks_pk(chunk.company_id, chunk.agent_id),
        "SK": chunk_sk(chunk.document_id, chunk.chunk_index),
        "GSI1PK": keys.global_id("CHUNK", chunk.id),
        "GSI1SK": "CHUNK",
        "_type": "chunk",
        **chunk.model_dump(mode="json"),
    }
    if chunk.deleted_at:
        item |= {"GSI3PK": deleted_chunks_gsi(chunk.company_id), "GSI3SK": chunk.id, "_cascade": cascade}
    return item


def manifest_item(manifest: Manifest) -> dict[str, Any]:
    return {
        "PK": keys.company_pk(manifest.company_id),
        "SK": manifest_sk(manifest.agent_id),
        "_type": "knowledge_index",
        **manifest.model_dump(mode="json"),
    }


def load_document(item: dict[str, Any]) -> Document:
    return Document.model_validate(strip_keys(item))


def load_chunk(item: dict[str, Any]) -> Chunk:
    return Chunk.model_validate(strip_keys(item))


def load_manifest(item: dict[str, Any] | None, company_id: str, agent_id: str) -> Manifest:
    if not item:
        return Manifest(company_id=company_id, agent_id=agent_id)
    return Manifest.model_validate(strip_keys(item))
