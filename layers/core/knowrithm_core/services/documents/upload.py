"""``POST /document/upload``: files (multipart or JSON) and URLs, stored and queued for ingest."""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import ServiceUnavailable, ValidationFailed
from knowrithm_core.knowledge import formats
from knowrithm_core.knowledge.records import Document, blob_key
from knowrithm_core.net.url_safety import UnsafeUrl, check_url
from knowrithm_core.services.documents.base import DocumentBase
from knowrithm_core.services.documents.requests import (
    MAX_ITEMS_PER_UPLOAD,
    Refused,
    UploadedFile,
    UploadRejected,
    UploadRequest,
    clean_metadata,
    parse_url_values,
)


class UploadMixin(DocumentBase):
    """Direct uploads: files and URLs in one request."""

    def upload(self, principal: Principal, request: UploadRequest) -> tuple[int, dict[str, Any]]:
        """(200 | 207, the Knowrithm upload summary); raises :class:`UploadRejected` if nothing was accepted."""
        principal.require("write")
        agent_id, urls = self._check_upload(request)
        agent = self.agents.read(principal.company_id, agent_id)[1]
        self._count_upload(principal)  # a malformed request, or one for an unknown agent, counts for nothing
        if self.blobs is None or self.queue is None:
            raise ServiceUnavailable("Document storage is not configured (DOCUMENT_BUCKET and INGEST_QUEUE_URL).")
        metadata = clean_metadata(request.metadata)
        errors: list[tuple[str, int]] = []
        accepted = self._accept_files(principal, agent.id, request.files, metadata, errors)
        accepted += self._accept_urls(principal, agent.id, urls, metadata, errors)
        if not accepted:
            raise UploadRejected(errors)
        self._commit(principal, accepted)
        unqueued = self._enqueue(principal, [d for d, _ in accepted])
        errors += [(f"{d.original_filename}: {d.processing_error}", 503) for d in unqueued]
        failed = {d.id for d in unqueued}
        documents = [d.public() for d, _ in accepted if d.id not in failed]
        if not documents:
            raise UploadRejected(errors)
        return (200 if not errors else 207), self._summary(documents, errors)

    @staticmethod
    def _check_upload(request: UploadRequest) -> tuple[str, list[str]]:
        """The agent id and the URLs of a well-formed upload (a 400 otherwise, before anything is counted)."""
        agent_id = (request.agent_id or "").strip()
        if not agent_id:
            raise ValidationFailed("agent_id is required.", details={"errors": {"agent_id": ["Field required"]}})
        urls = parse_url_values(request.url_values)
        if not request.files and not urls:
            raise ValidationFailed("Send at least one file (files, file or files[]) or a URL (url, urls).")
        if len(request.files) + len(urls) > MAX_ITEMS_PER_UPLOAD:
            raise ValidationFailed(f"At most {MAX_ITEMS_PER_UPLOAD} files and URLs per upload.")
        return agent_id, urls

    def _accept_files(
        self,
        principal: Principal,
        agent_id: str,
        files: list[UploadedFile],
        metadata: dict[str, Any],
        errors: list[tuple[str, int]],
    ) -> list[tuple[Document, str | None]]:
        """Store each acceptable file in S3 (its document and blob key); refusals are added to ``errors``."""
        assert self.blobs is not None  # noqa: S101 - narrows the type: uploads are built with storage
        accepted: list[tuple[Document, str | None]] = []
        for upload in files:
            name = formats.safe_filename(upload.filename)
            try:
                kind = self._vet_file(name, upload)
            except Refused as refused:
                errors.append((f"{name}: {refused}", refused.status))
                continue
            document = self._new_document(principal, agent_id, name, kind, metadata, size=len(upload.data))
            key = blob_key(principal.company_id, document.id, kind)
            self.blobs.put(key, upload.data, formats.MIME_OF[kind])
            accepted.append((document.model_copy(update={"content_type": formats.MIME_OF[kind]}), key))
        return accepted

    def _accept_urls(
        self,
        principal: Principal,
        agent_id: str,
        urls: list[str],
        metadata: dict[str, Any],
        errors: list[tuple[str, int]],
    ) -> list[tuple[Document, str | None]]:
        """A document per URL the SSRF guard lets through (fetched later by the ingest worker)."""
        accepted: list[tuple[Document, str | None]] = []
        for url in urls:
            try:
                check_url(url, local_mode=self.settings.local_mode)
            except UnsafeUrl as exc:
                errors.append((f"{url}: {exc.message}", 400))
                continue
            name = formats.safe_filename(url.split("?")[0].rstrip("/").rsplit("/", 1)[-1], fallback=url[:255])
            kind = formats.extension_type(url.split("?")[0]) or "html"
            accepted.append((self._new_document(principal, agent_id, name, kind, metadata, source_url=url), None))
        return accepted

    def _vet_file(self, name: str, upload: UploadedFile) -> str:
        try:
            kind = formats.detect_type(name, upload.content_type, upload.data[:1024])
        except formats.UnsupportedType as exc:
            raise Refused(str(exc), 415) from exc
        if not upload.data:
            raise Refused("the file is empty", 400)
        limit = self.settings.max_document_bytes
        if len(upload.data) > limit:
            raise Refused(f"the file is larger than the {limit / (1024 * 1024):g} MB limit", 413)
        try:
            formats.check_content(kind, upload.data)
        except formats.ExtractionError as exc:
            raise Refused(str(exc), 400) from exc
        if kind in formats.TEXT_TYPES and not formats.decode_text(upload.data).strip():
            raise Refused("the file has no text", 400)
        return kind
