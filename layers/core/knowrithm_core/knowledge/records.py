"""Documents, chunks and index manifests: their models (:mod:`knowrithm_core.models.knowledge`), stable chunk ids
and where their bytes live in S3 (``documents/c/d/original.<ext>``, ``indexes/c/a/<version>.bm25.zip``).
Where they live in the table: :mod:`knowrithm_core.store.repositories.documents`.

Chunk ids are UUIDv5 of (document, index), so a retried ingest rewrites the same items.
"""

from __future__ import annotations

import uuid

from knowrithm_core.models.knowledge import (
    EMBEDDING_MODEL,
    KNOWRITHM_STATUS,
    STATUS_ALIASES,
    Chunk,
    Document,
    DocumentStatus,
    Manifest,
)

_CHUNK_NAMESPACE = uuid.UUID("6f1f8a52-3d0b-4c61-9a59-0d7e3b2c4a10")

__all__ = [
    "EMBEDDING_MODEL",
    "KNOWRITHM_STATUS",
    "STATUS_ALIASES",
    "Chunk",
    "Document",
    "DocumentStatus",
    "Manifest",
    "blob_key",
    "chunk_id",
    "index_key",
]


def chunk_id(document_id: str, index: int) -> str:
    return str(uuid.uuid5(_CHUNK_NAMESPACE, f"{document_id}/{index}"))


def blob_key(company_id: str, document_id: str, document_type: str) -> str:
    return f"documents/{company_id}/{document_id}/original.{document_type}"


def index_key(company_id: str, agent_id: str, version: int) -> str:
    return f"indexes/{company_id}/{agent_id}/{version:08d}.bm25.zip"
