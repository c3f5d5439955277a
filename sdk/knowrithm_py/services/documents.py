"""Documents: upload from file paths or URLs, list, read, soft delete and restore, chunks, search.

Files larger than ``presigned_threshold`` (default 5 MB) are uploaded straight to storage with a pre-signed
URL (``POST /document/upload-url``, the storage POST, ``POST /document/{id}/complete``), because an API
Gateway + Lambda request body cannot exceed 6 MB. Smaller files and URLs go in one multipart request.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.models.documents import (
    BulkDeleted,
    ChunkAck,
    DeletedChunks,
    DeletedDocuments,
    Document,
    DocumentDeleted,
    DocumentEnvelope,
    DocumentList,
    DocumentRestored,
    SearchResult,
    UploadCompleted,
    UploadResult,
    UploadTicket,
)
from knowrithm_py.services._base import Headers, Service, page_params

FINISHED = frozenset({"completed", "processed", "failed"})
PRESIGNED_THRESHOLD = 5 * 1024 * 1024  # bytes; larger files take the pre-signed route
MIME_TYPES = {".md": "text/markdown", ".markdown": "text/markdown", ".csv": "text/csv", ".json": "application/json"}


def _mime(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _id(value: str) -> str:
    return quote(value, safe="")


def _error_lines(error: KnowrithmAPIError) -> list[str]:
    """The server's one-line-per-file reasons (``details.errors``) of a refused upload, else its message."""
    body = error.response_data
    details = body.get("details") if isinstance(body, dict) else None
    lines = details.get("errors") if isinstance(details, dict) else None
    if isinstance(lines, list) and lines and all(isinstance(line, str) for line in lines):
        return list(lines)
    return [error.message]


def _files(file_paths: Iterable[str | PathLike[str]] | None) -> list[Path]:
    """The paths to upload (``~`` expanded); FileNotFoundError for one that is not a file."""
    paths = [Path(p).expanduser() for p in (file_paths or [])]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"Not a file: {path}")
    return paths


def _with_urls(fields: dict[str, Any], urls: Sequence[str] | None, url: str | None) -> dict[str, Any]:
    """``fields`` plus the ``urls`` and ``url`` of an upload, when given."""
    if urls:
        fields["urls"] = list(urls)
    if url:
        fields["url"] = url
    return fields


class DocumentService(Service):
    def upload_documents(
        self,
        agent_id: str,
        *,
        file_paths: Iterable[str | PathLike[str]] | None = None,
        urls: Sequence[str] | None = None,
        url: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        headers: Headers = None,
        presigned_threshold: int | None = PRESIGNED_THRESHOLD,
    ) -> UploadResult:
        """``POST /document/upload``: files as multipart ``files`` (read whole, each at most 10 MB), URLs to fetch.

        Files larger than ``presigned_threshold`` bytes (default 5 MB; ``None`` never) are uploaded one by
        one through :meth:`upload_file_presigned` instead, and their documents join the summary.

        Returns the summary of a 200 (all accepted) or a 207 (some accepted; ``errors`` lists the others);
        raises :class:`KnowrithmAPIError` when none was. Processing continues in the background: see
        :meth:`wait_until_processed`.
        """
        paths = _files(file_paths)
        large = [p for p in paths if presigned_threshold is not None and p.stat().st_size > presigned_threshold]
        if large:
            small = [p for p in paths if p not in large]
            return self._upload_mixed(agent_id, small, large, urls, url, metadata, headers)
        extra = {k: v for k, v in (metadata or {}).items() if v is not None}
        if not paths:
            body = _with_urls({"agent_id": agent_id, **extra}, urls, url)
            return cast(UploadResult, self._core.call("POST", "/document/upload", json=body, headers=headers))
        form = _with_urls({"agent_id": agent_id, **{k: str(v) for k, v in extra.items()}}, urls, url)
        files = [("files", (path.name, path.read_bytes(), _mime(path))) for path in paths]
        result = self._core.call("POST", "/document/upload", data=form, files=files, headers=headers)
        return cast(UploadResult, result)

    def _upload_mixed(
        self,
        agent_id: str,
        small: list[Path],
        large: list[Path],
        urls: Sequence[str] | None,
        url: str | None,
        metadata: Mapping[str, Any] | None,
        headers: Headers,
    ) -> UploadResult:
        """Small files and URLs in one request, each large file pre-signed; one summary (raises if none worked)."""
        documents: list[Document] = []
        errors: list[str] = []
        first_error: KnowrithmAPIError | None = None
        if small or urls or url:
            try:
                result = self.upload_documents(
                    agent_id,
                    file_paths=small,
                    urls=urls,
                    url=url,
                    metadata=metadata,
                    headers=headers,
                    presigned_threshold=None,
                )
                documents += result.get("documents", [])
                errors += result.get("errors", [])
            except KnowrithmAPIError as exc:
                first_error = exc
                errors += _error_lines(exc)
        for path in large:
            try:
                done = self.upload_file_presigned(agent_id, path, metadata=metadata, headers=headers)
                documents.append(done["document"])
            except KnowrithmAPIError as exc:
                first_error = first_error or exc
                errors += _error_lines(exc)
        if not documents:
            assert first_error is not None  # noqa: S101 - narrows the type: no documents means an error was recorded
            raise first_error
        return {
            "success": True,
            "message": f"{len(documents)} document(s) accepted for processing"
            + (f", {len(errors)} rejected." if errors else "."),
            "documents_processed": len(documents),
            "total_submitted": len(documents) + len(errors),
            "documents": documents,
            "errors": errors,
            "errors_count": len(errors),
            "task_ids": [str(d.get("task_id")) for d in documents if d.get("task_id")],
        }

    def create_upload_url(
        self,
        agent_id: str,
        filename: str,
        size: int,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        headers: Headers = None,
    ) -> UploadTicket:
        """``POST /document/upload-url``: a document ``awaiting_upload`` and a pre-signed storage upload for its
        file (``upload``: url, method, fields, expires_in). Send the file with :meth:`send_to_upload_url`
        (or any HTTP client), then call :meth:`complete_upload`. Counts against the upload rate limit."""
        body: dict[str, Any] = {"agent_id": agent_id, "filename": filename, "size": size}
        if content_type:
            body["content_type"] = content_type
        if metadata:
            body["metadata"] = dict(metadata)
        return cast(UploadTicket, self._core.call("POST", "/document/upload-url", json=body, headers=headers))

    def send_to_upload_url(self, ticket: UploadTicket, data: bytes, *, filename: str | None = None) -> int:
        """Upload ``data`` to the ticket's pre-signed URL (no API credentials are sent); the storage's status."""
        target = ticket["upload"]
        document = ticket.get("document", {})
        return self._core.transport.upload_to_storage(
            target.get("method", "POST"),
            target["url"],
            data=data,
            filename=filename or str(document.get("original_filename") or "document"),
            content_type=str(target.get("content_type") or "application/octet-stream"),
            fields=target.get("fields"),
            file_field=target.get("file_field", "file"),
            headers=target.get("headers"),
        )

    def complete_upload(self, document_id: str, *, headers: Headers = None) -> UploadCompleted:
        """``POST /document/{id}/complete``: the file arrived; the document becomes ``pending`` and is processed.
        Idempotent (a repeated call answers the document as it is); ``409 upload_missing`` before the upload."""
        path = f"/document/{_id(document_id)}/complete"
        return cast(UploadCompleted, self._core.call("POST", path, headers=headers))

    def upload_file_presigned(
        self,
        agent_id: str,
        file_path: str | PathLike[str],
        *,
        metadata: Mapping[str, Any] | None = None,
        content_type: str | None = None,
        headers: Headers = None,
    ) -> UploadCompleted:
        """The whole pre-signed flow for one file of any size up to the server's limit (10 MB by default):
        :meth:`create_upload_url`, :meth:`send_to_upload_url`, :meth:`complete_upload`."""
        path = Path(file_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"Not a file: {path}")
        data = path.read_bytes()
        extra = {k: v for k, v in (metadata or {}).items() if v is not None}
        ticket = self.create_upload_url(
            agent_id, path.name, len(data), content_type=content_type or _mime(path), metadata=extra, headers=headers
        )
        self.send_to_upload_url(ticket, data, filename=path.name)
        return self.complete_upload(ticket["document"]["id"], headers=headers)

    def list_documents(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        status: str | None = None,
        agent_id: str | None = None,
        search: str | None = None,
        document_type: str | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> DocumentList:
        """``GET /document``: newest first; ``document`` (Knowrithm's key) and ``documents`` hold the page;
        ``cursor`` is the previous page's ``pagination["next_cursor"]``."""
        params = page_params(
            page, per_page, status=status, agent_id=agent_id, search=search, document_type=document_type, cursor=cursor
        )
        return cast(DocumentList, self._core.call("GET", "/document", params=params, headers=headers))

    def list_agent_documents(
        self,
        agent_id: str,
        *,
        page: int | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> DocumentList:
        """``GET /document/agent/{agent_id}`` (``cursor``: the previous page's ``pagination["next_cursor"]``)."""
        path = f"/document/agent/{_id(agent_id)}"
        params = page_params(page, per_page, cursor=cursor)
        return cast(DocumentList, self._core.call("GET", path, params=params, headers=headers))

    def get_document(
        self, document_id: str, *, include_chunks: bool | None = None, headers: Headers = None
    ) -> DocumentEnvelope:
        """``GET /document/{id}``: the document with its live ``chunks`` (``include_chunks=False``: without)."""
        params = {"include_chunks": "false"} if include_chunks is False else None
        path = f"/document/{_id(document_id)}"
        return cast(DocumentEnvelope, self._core.call("GET", path, params=params, headers=headers))

    def wait_until_processed(
        self, document_ids: Sequence[str], *, timeout: float = 120.0, interval: float = 0.5, headers: Headers = None
    ) -> list[Document]:
        """Poll each document (without its chunks) until it is ``completed`` or ``failed``; returns them in order
        (raises on timeout)."""
        deadline = time.monotonic() + timeout
        done: dict[str, Document] = {}
        while True:
            for document_id in document_ids:
                if document_id not in done:
                    document = self.get_document(document_id, include_chunks=False, headers=headers)["document"]
                    if document.get("status") in FINISHED:
                        done[document_id] = document
            if len(done) == len(document_ids):
                return [done[i] for i in document_ids]
            if time.monotonic() >= deadline:
                pending = [i for i in document_ids if i not in done]
                raise KnowrithmAPIError(
                    f"Timed out waiting for {len(pending)} document(s) to be processed.", None, "timeout"
                )
            self._core.transport.sleep(interval)

    def delete_document(self, document_id: str, *, headers: Headers = None) -> DocumentDeleted:
        """``DELETE /document/{id}`` (soft): its chunks leave search at once."""
        return cast(DocumentDeleted, self._core.call("DELETE", f"/document/{_id(document_id)}", headers=headers))

    def restore_document(self, document_id: str, *, headers: Headers = None) -> DocumentRestored:
        """``PATCH /document/{id}/restore``: the document and the chunks its deletion took."""
        path = f"/document/{_id(document_id)}/restore"
        return cast(DocumentRestored, self._core.call("PATCH", path, headers=headers))

    def bulk_delete_documents(self, document_ids: Sequence[str], *, headers: Headers = None) -> BulkDeleted:
        """``DELETE /document/bulk-delete`` with ``{document_ids}`` (at most 100); unknown ids are in ``not_found``."""
        body = {"document_ids": list(document_ids)}
        return cast(BulkDeleted, self._core.call("DELETE", "/document/bulk-delete", json=body, headers=headers))

    def list_deleted_documents(self, *, headers: Headers = None) -> DeletedDocuments:
        return cast(DeletedDocuments, self._core.call("GET", "/document/deleted", headers=headers))

    def delete_document_chunk(self, chunk_id: str, *, headers: Headers = None) -> ChunkAck:
        return cast(ChunkAck, self._core.call("DELETE", f"/document/chunk/{_id(chunk_id)}", headers=headers))

    def restore_document_chunk(self, chunk_id: str, *, headers: Headers = None) -> ChunkAck:
        path = f"/document/chunk/{_id(chunk_id)}/restore"
        return cast(ChunkAck, self._core.call("PATCH", path, headers=headers))

    def delete_document_chunks(self, document_id: str, *, headers: Headers = None) -> ChunkAck:
        """``DELETE /document/{id}/chunk``: every chunk of the document (the document stays)."""
        return cast(ChunkAck, self._core.call("DELETE", f"/document/{_id(document_id)}/chunk", headers=headers))

    def restore_all_document_chunks(self, document_id: str, *, headers: Headers = None) -> ChunkAck:
        path = f"/document/{_id(document_id)}/chunk/restore-all"
        return cast(ChunkAck, self._core.call("PATCH", path, headers=headers))

    def list_deleted_chunks(self, *, headers: Headers = None) -> DeletedChunks:
        return cast(DeletedChunks, self._core.call("GET", "/document/chunk/deleted", headers=headers))

    def search_documents(
        self,
        query: str,
        agent_id: str | None = None,
        *,
        limit: int | None = None,
        include_content: bool | None = None,
        headers: Headers = None,
    ) -> SearchResult:
        """``POST /search/document``: best chunks first (``limit`` 1..50, default 10); all agents if no ``agent_id``."""
        body: dict[str, Any] = {"query": query}
        for key, value in (("agent_id", agent_id), ("limit", limit), ("include_content", include_content)):
            if value is not None:
                body[key] = value
        return cast(SearchResult, self._core.call("POST", "/search/document", json=body, headers=headers))
