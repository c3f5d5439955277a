"""Documents (the knowledge base), their chunks, and document search."""

from typing import Any

from knowrithm_core.models.responses.common import Out, Pagination


class Chunk(Out):
    id: str | None = None
    company_id: str | None = None
    agent_id: str | None = None
    document_id: str | None = None
    document_name: str | None = None
    chunk_index: int | None = None
    content: str | None = None
    word_count: int | None = None
    page: int | None = None
    source_url: str | None = None
    embedding_model: str | None = None
    is_active: bool | None = None
    deleted_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Document(Out):
    """``status``: pending | processing | completed | failed (``processing_status`` says ``processed``);
    a pre-signed upload is ``awaiting_upload`` until it is completed."""

    id: str | None = None
    company_id: str | None = None
    agent_id: str | None = None
    name: str | None = None
    original_filename: str | None = None
    filename: str | None = None
    document_type: str | None = None  # txt | md | html | pdf | csv | json
    content_type: str | None = None
    status: str | None = None
    processing_status: str | None = None
    file_size: int | None = None
    page_count: int | None = None
    word_count: int | None = None
    chunk_count: int | None = None
    processing_error: str | None = None
    source_url: str | None = None
    title: str | None = None
    metadata: dict[str, Any] | None = None
    task_id: str | None = None
    user: dict[str, Any] | None = None
    chunks: list[Chunk] | None = None
    is_active: bool | None = None
    deleted_at: str | None = None
    processing_started_at: str | None = None
    processed_at: str | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class UploadResult(Out):
    """``POST /document/upload``: 200 when all were accepted, 207 when some were (``errors`` says which not)."""

    success: bool | None = None
    message: str | None = None
    documents_processed: int | None = None
    total_submitted: int | None = None
    documents: list[Document] | None = None
    errors: list[str] | None = None
    errors_count: int | None = None
    task_ids: list[str] | None = None


class UploadTarget(Out):
    """Where the client sends the file itself: ``method`` POST (multipart: ``fields``, then the file as
    ``file_field``) to ``url``; no API credentials. Valid for ``expires_in`` seconds."""

    url: str | None = None
    method: str | None = None
    fields: dict[str, str] | None = None
    file_field: str | None = None
    headers: dict[str, str] | None = None
    content_type: str | None = None
    max_bytes: int | None = None
    expires_in: int | None = None
    expires_at: str | None = None


class UploadTicket(Out):
    """``POST /document/upload-url``: the document (``awaiting_upload``) and where to upload its file."""

    message: str | None = None
    document: Document | None = None
    upload: UploadTarget | None = None
    complete_url: str | None = None


class UploadCompleted(UploadResult):
    """``POST /document/{id}/complete``: the upload summary for the one document, plus ``document``."""

    document: Document | None = None


class DocumentList(Out):
    document: list[Document] | None = None
    documents: list[Document] | None = None
    items: list[Document] | None = None
    total: int | None = None
    pages: int | None = None
    pagination: Pagination | None = None


class DocumentEnvelope(Out):
    document: Document


class DocumentDeleted(Out):
    message: str | None = None
    document_id: str | None = None
    deleted_chunks_count: int | None = None


class DocumentRestored(Out):
    message: str | None = None
    document_id: str | None = None
    filename: str | None = None
    restored_chunks_count: int | None = None
    document: Document | None = None


class BulkDeleted(Out):
    message: str | None = None
    deleted_documents_count: int | None = None
    deleted_chunks_count: int | None = None
    document_ids: list[str] | None = None
    not_found: list[str] | None = None


class DeletedDocuments(Out):
    deleted_documents: list[Document] | None = None
    total: int | None = None


class DeletedChunks(Out):
    deleted_chunks: list[Chunk] | None = None
    total: int | None = None


class ChunkAck(Out):
    message: str | None = None
    chunk_id: str | None = None
    document_id: str | None = None
    deleted_chunks_count: int | None = None
    restored_chunks_count: int | None = None


class SearchHit(Out):
    id: str | None = None
    chunk_id: str | None = None
    chunk_index: int | None = None
    document_id: str | None = None
    document_name: str | None = None
    original_filename: str | None = None
    agent_id: str | None = None
    score: float | None = None  # BM25
    relevance: float | None = None  # share of the query's terms in the chunk, 0..1
    content: str | None = None
    content_snippet: str | None = None
    word_count: int | None = None
    page: int | None = None
    source_url: str | None = None
    embedding_model: str | None = None
    created_at: str | None = None


class SearchResult(Out):
    query: str | None = None
    agent_id: str | None = None
    results: list[SearchHit] | None = None
    matches: list[SearchHit] | None = None
    total_results: int | None = None
    execution_time: float | None = None
    search_type: str | None = None
