"""Documents (the knowledge base), their chunks, and document search."""

from __future__ import annotations

from typing import Any, TypedDict

from knowrithm_py.models.common import Pagination


class Chunk(TypedDict, total=False):
    id: str
    company_id: str
    agent_id: str
    document_id: str
    document_name: str
    chunk_index: int
    content: str
    word_count: int
    page: int
    source_url: str | None
    embedding_model: str
    is_active: bool
    deleted_at: str | None
    created_at: str
    updated_at: str


class Document(TypedDict, total=False):
    """``status``: pending | processing | completed | failed (``processing_status`` says ``processed``);
    a pre-signed upload is ``awaiting_upload`` until it is completed."""

    id: str
    company_id: str
    agent_id: str
    name: str
    original_filename: str
    filename: str
    document_type: str  # txt | md | html | pdf | csv | json
    content_type: str | None
    status: str
    processing_status: str
    file_size: int
    page_count: int
    word_count: int
    chunk_count: int
    processing_error: str | None
    source_url: str | None
    title: str | None
    metadata: dict[str, Any]
    task_id: str | None
    user: dict[str, Any]
    chunks: list[Chunk]
    is_active: bool
    deleted_at: str | None
    processing_started_at: str | None
    processed_at: str | None
    version: int
    created_at: str
    updated_at: str


class UploadResult(TypedDict, total=False):
    """``POST /document/upload``: 200 when all were accepted, 207 when some were (``errors`` says which not)."""

    success: bool
    message: str
    documents_processed: int
    total_submitted: int
    documents: list[Document]
    errors: list[str]
    errors_count: int
    task_ids: list[str]


class UploadTarget(TypedDict, total=False):
    """Where the client sends the file itself: ``method`` POST (multipart: ``fields``, then the file as
    ``file_field``) to ``url``; no API credentials. Valid for ``expires_in`` seconds."""

    url: str
    method: str
    fields: dict[str, str]
    file_field: str
    headers: dict[str, str]
    content_type: str
    max_bytes: int
    expires_in: int
    expires_at: str


class UploadTicket(TypedDict, total=False):
    """``POST /document/upload-url``: the document (``awaiting_upload``) and where to upload its file."""

    message: str
    document: Document
    upload: UploadTarget
    complete_url: str


class UploadCompleted(UploadResult, total=False):
    """``POST /document/{id}/complete``: the upload summary for the one document, plus ``document``."""

    document: Document


class DocumentList(TypedDict, total=False):
    document: list[Document]
    documents: list[Document]
    items: list[Document]
    total: int
    pages: int
    pagination: Pagination


class DocumentEnvelope(TypedDict):
    document: Document


class DocumentDeleted(TypedDict, total=False):
    message: str
    document_id: str
    deleted_chunks_count: int


class DocumentRestored(TypedDict, total=False):
    message: str
    document_id: str
    filename: str
    restored_chunks_count: int
    document: Document


class BulkDeleted(TypedDict, total=False):
    message: str
    deleted_documents_count: int
    deleted_chunks_count: int
    document_ids: list[str]
    not_found: list[str]


class DeletedDocuments(TypedDict, total=False):
    deleted_documents: list[Document]
    total: int


class DeletedChunks(TypedDict, total=False):
    deleted_chunks: list[Chunk]
    total: int


class ChunkAck(TypedDict, total=False):
    message: str
    chunk_id: str
    document_id: str
    deleted_chunks_count: int
    restored_chunks_count: int


class SearchHit(TypedDict, total=False):
    id: str
    chunk_id: str
    chunk_index: int
    document_id: str
    document_name: str
    original_filename: str
    agent_id: str
    score: float  # BM25
    relevance: float  # share of the query's terms in the chunk, 0..1
    content: str
    content_snippet: str
    word_count: int
    page: int
    source_url: str | None
    embedding_model: str
    created_at: str | None


class SearchResult(TypedDict, total=False):
    query: str
    agent_id: str | None
    results: list[SearchHit]
    matches: list[SearchHit]
    total_results: int
    execution_time: float
    search_type: str
