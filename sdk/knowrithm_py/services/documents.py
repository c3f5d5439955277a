"""Documents: upload from file paths or URLs, list, read, soft delete and restore, chunks, search."""

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
    UploadResult,
)
from knowrithm_py.services._base import Headers, Service, page_params

FINISHED = frozenset({"completed", "processed", "failed"})
MIME_TYPES = {".md": "text/markdown", ".markdown": "text/markdown", ".csv": "text/csv", ".json": "application/json"}


def _mime(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _id(value: str) -> str:
    return quote(value, safe="")


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
    ) -> UploadResult:
        """``POST /document/upload``: files as multipart ``files`` (read whole, each at most 10 MB), URLs to fetch.

        Returns the summary of a 200 (all accepted) or a 207 (some accepted; ``errors`` lists the others);
        raises :class:`KnowrithmAPIError` when none was. Processing continues in the background: see
        :meth:`wait_until_processed`.
        """
        paths = [Path(p).expanduser() for p in (file_paths or [])]
        for path in paths:
            if not path.is_file():
                raise FileNotFoundError(f"Not a file: {path}")
        extra = {k: v for k, v in (metadata or {}).items() if v is not None}
        if not paths:
            body: dict[str, Any] = {"agent_id": agent_id, **extra}
            if urls:
                body["urls"] = list(urls)
            if url:
                body["url"] = url
            return cast(UploadResult, self._core.call("POST", "/document/upload", json=body, headers=headers))
        form: dict[str, Any] = {"agent_id": agent_id, **{k: str(v) for k, v in extra.items()}}
        if urls:
            form["urls"] = list(urls)
        if url:
            form["url"] = url
        files = [("files", (path.name, path.read_bytes(), _mime(path))) for path in paths]
        result = self._core.call("POST", "/document/upload", data=form, files=files, headers=headers)
        return cast(UploadResult, result)

    def list_documents(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        status: str | None = None,
        agent_id: str | None = None,
        search: str | None = None,
        document_type: str | None = None,
        headers: Headers = None,
    ) -> DocumentList:
        """``GET /document``: newest first; ``document`` (Knowrithm's key) and ``documents`` hold the page."""
        params = page_params(
            page, per_page, status=status, agent_id=agent_id, search=search, document_type=document_type
        )
        return cast(DocumentList, self._core.call("GET", "/document", params=params, headers=headers))

    def list_agent_documents(
        self, agent_id: str, *, page: int | None = None, per_page: int | None = None, headers: Headers = None
    ) -> DocumentList:
        """``GET /document/agent/{agent_id}``."""
        path = f"/document/agent/{_id(agent_id)}"
        return cast(DocumentList, self._core.call("GET", path, params=page_params(page, per_page), headers=headers))

    def get_document(self, document_id: str, *, headers: Headers = None) -> DocumentEnvelope:
        """``GET /document/{id}``: the document with its live ``chunks``."""
        return cast(DocumentEnvelope, self._core.call("GET", f"/document/{_id(document_id)}", headers=headers))

    def wait_until_processed(
        self, document_ids: Sequence[str], *, timeout: float = 120.0, interval: float = 0.5, headers: Headers = None
    ) -> list[Document]:
        """Poll each document until it is ``completed`` or ``failed``; returns them in order (raises on timeout)."""
        deadline = time.monotonic() + timeout
        done: dict[str, Document] = {}
        while True:
            for document_id in document_ids:
                if document_id not in done:
                    document = self.get_document(document_id, headers=headers)["document"]
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
