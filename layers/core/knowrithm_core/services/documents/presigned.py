"""Pre-signed uploads (files larger than a Lambda request can carry): ``POST /document/upload-url``
and ``POST /document/{id}/complete``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import Conflict, PayloadTooLarge, ServiceUnavailable
from knowrithm_core.ids import iso, now
from knowrithm_core.knowledge import formats
from knowrithm_core.knowledge.records import Document, blob_key
from knowrithm_core.models.requests import parse
from knowrithm_core.observability import logger as log
from knowrithm_core.services.documents.base import DocumentBase
from knowrithm_core.services.documents.requests import (
    AWAITING_UPLOAD_TTL_SECONDS,
    CONTENT_CHECK_BYTES,
    UPLOAD_URL_TTL_SECONDS,
    UploadMissing,
    UploadRejected,
    UploadUrlRequest,
    clean_metadata,
    staging_key,
)
from knowrithm_core.store.blobs import BlobMissing
from knowrithm_core.store.table import TransactionConflict


class PresignedUploadMixin(DocumentBase):
    """Pre-signed uploads: the upload URL, then complete."""

    def create_upload_url(self, principal: Principal, body: Any) -> dict[str, Any]:
        """``POST /document/upload-url``: the document (``awaiting_upload``) and an S3 POST policy for its file.

        Counts as one upload request (``RATE_LIMIT_UPLOAD``). The policy signs the exact key (a staging key
        under ``uploads/``), the content type and ``content-length-range`` 1..``MAX_DOCUMENT_BYTES``, so S3
        refuses anything else.
        """
        principal.require("write")
        request = parse(UploadUrlRequest, body)
        agent = self.agents.read(principal.company_id, request.agent_id)[1]
        self._count_upload(principal)  # a malformed request, or one for an unknown agent, counts for nothing
        if self.blobs is None or self.queue is None:
            raise ServiceUnavailable("Document storage is not configured (DOCUMENT_BUCKET and INGEST_QUEUE_URL).")
        name = formats.safe_filename(request.filename)
        limit = self.settings.max_document_bytes
        try:
            kind = formats.detect_type(name, request.content_type, b"")
        except formats.UnsupportedType as exc:
            raise UploadRejected([(f"{name}: {exc}", 415)]) from exc
        if request.size < 1:
            raise UploadRejected([(f"{name}: the file is empty", 400)])
        if request.size > limit:
            raise UploadRejected([(f"{name}: the file is larger than the {limit / (1024 * 1024):g} MB limit", 413)])
        mime = formats.MIME_OF[kind]
        document = self._new_document(
            principal, agent.id, name, kind, clean_metadata(request.metadata), size=request.size
        ).model_copy(update={"status": "awaiting_upload", "content_type": mime})
        key = blob_key(principal.company_id, document.id, kind)
        staging = staging_key(principal.company_id, document.id, kind)
        post = self.blobs.presign_post(staging, mime, limit, UPLOAD_URL_TTL_SECONDS)
        issued = now()
        uow = self.unit_of_work()
        self.repository.add(uow, document, key, expires_at_epoch=int(issued.timestamp()) + AWAITING_UPLOAD_TTL_SECONDS)
        uow.add(self.task_op(document, "pending", owner_id=principal.subject_id))
        uow.commit()
        return {
            "message": "Upload the file to upload.url, then call complete_url.",
            "document": document.public(),
            "upload": {
                "url": post.url,
                "method": "POST",
                "fields": post.fields,
                "file_field": "file",
                "headers": {},
                "content_type": mime,
                "max_bytes": limit,
                "expires_in": UPLOAD_URL_TTL_SECONDS,
                "expires_at": iso(datetime.fromtimestamp(issued.timestamp() + UPLOAD_URL_TTL_SECONDS, UTC)),
            },
            "complete_url": f"/api/v1/document/{document.id}/complete",
        }

    def complete_upload(self, principal: Principal, document_id: str) -> dict[str, Any]:
        """``POST /document/{id}/complete``: the uploaded file is checked (size, cheap content checks) and
        copied server-side from its staging key to where the ingest worker reads it (the staging object is
        then removed), the document becomes ``pending`` and is queued for ingest like a direct upload.
        Idempotent: a document that is already past ``awaiting_upload`` is answered as it is, and queued only
        once; a complete that stopped after the copy finds the file at its final key when retried."""
        principal.require("write")
        stored = self._stored(principal.company_id, document_id)
        document = stored.document
        if document.status != "awaiting_upload":
            return self._completed(document)
        self.agents.read(principal.company_id, document.agent_id)
        if self.blobs is None or self.queue is None:
            raise ServiceUnavailable("Document storage is not configured (DOCUMENT_BUCKET and INGEST_QUEUE_URL).")
        key = stored.blob_key or blob_key(document.company_id, document.id, document.document_type)
        size = self._move_upload(document, key)
        stamp = iso()
        pending = document.model_copy(
            update={"status": "pending", "file_size": size, "updated_at": stamp, "version": document.version + 1}
        )
        uow = self.unit_of_work()
        self.repository.replace(uow, document.version, pending, key)
        uow.add(self.task_op(pending, "pending", owner_id=principal.subject_id))
        uow.extend(self._count_ops(document.company_id, document.agent_id, 1))
        uow.extend(self.status_ops(document.company_id, [(document, pending)]))
        try:
            uow.commit()
        except TransactionConflict:
            # A concurrent complete (or delete) won: answer with what it left; only the winner queues.
            return self._completed(self._stored(principal.company_id, document_id).document)
        unqueued = self._enqueue(principal, [pending])
        if unqueued:
            raise UploadRejected([(f"{document.original_filename}: {unqueued[0].processing_error}", 503)])
        return self._completed(pending)

    def _move_upload(self, document: Document, key: str) -> int:
        """Check the uploaded file and move it from its staging key to ``key``; its size in bytes.

        The staging object is checked (size, the cheap content checks on its first bytes), copied to ``key``
        and then removed (best effort: the bucket's lifecycle rule expires ``uploads/`` anyway). If it is gone
        but ``key`` exists, an earlier complete stopped after the copy: the file at ``key`` is checked instead.
        """
        assert self.blobs is not None  # noqa: S101 - narrows the type: presigned uploads are built with storage
        name = document.original_filename
        staging = staging_key(document.company_id, document.id, document.document_type)
        limit = self.settings.max_document_bytes
        for source in (staging, key):
            size = self.blobs.head(source)
            if size is None:
                continue
            if size > limit:
                raise PayloadTooLarge(f"{name}: the file is larger than the {limit / (1024 * 1024):g} MB limit")
            try:
                head = self.blobs.get_prefix(source, CONTENT_CHECK_BYTES)
            except BlobMissing:
                continue  # a concurrent complete moved it meanwhile: look at the final key
            try:
                formats.check_content(document.document_type, head)
            except formats.ExtractionError as exc:
                raise UploadRejected([(f"{name}: {exc}", 400)]) from exc
            break
        else:
            raise UploadMissing(
                f"{name}: the file has not been uploaded yet; POST it to the pre-signed URL, then complete again.",
                details={"document_id": document.id},
            )
        if source == staging:
            try:
                self.blobs.copy(staging, key)
            except BlobMissing:  # a concurrent complete moved it (fine), or it expired since the checks
                if self.blobs.head(key) is None:
                    raise UploadMissing(
                        f"{name}: the uploaded file is gone; POST it to the pre-signed URL again, then complete.",
                        details={"document_id": document.id},
                    ) from None
            try:
                self.blobs.delete(staging)
            except Exception:  # noqa: BLE001 - best effort: the lifecycle rule removes what is left in uploads/
                log.warning("could not remove the staging object of document %s", document.id, exc_info=True)
        assert size is not None  # noqa: S101 - narrows the type: set by the head request above
        return size

    def _completed(self, document: Document) -> dict[str, Any]:
        if document.status == "awaiting_upload":
            raise Conflict("The document changed meanwhile; complete it again.")
        body = self._summary([document.public()], [])
        return {**body, "message": "The document was accepted for processing.", "document": document.public()}
