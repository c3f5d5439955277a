"""The document routes: upload, list, read, soft delete and restore (with their chunks), chunk routes, search.

Upload stores each file in S3, writes the document (``pending``) and its ingest task in one
transaction, and queues one ingest message per document; URLs are vetted by the SSRF guard here and
fetched by the ingest worker (again through the guard). Deletes and restores change the document or
chunk and the agent's index manifest in one transaction, so search stops (or starts) returning them
at once; a document's chunks follow it (flagged as cascaded, so restoring the document brings back
exactly the chunks its deletion took).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.errors import (
    BadRequest,
    Conflict,
    KnowrithmError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationFailed,
)
from knowrithm_core.ids import is_uuid, iso, new_id, now
from knowrithm_core.knowledge import formats
from knowrithm_core.knowledge.index import Scored
from knowrithm_core.knowledge.records import (
    EMBEDDING_MODEL,
    STATUS_ALIASES,
    Chunk,
    Document,
    Manifest,
    blob_key,
    chunks_pk,
    deleted_chunks_gsi,
    document_item,
    document_sk,
    load_chunk,
    load_document,
    manifest_item,
)
from knowrithm_core.knowledge.search import KnowledgeSearch
from knowrithm_core.knowledge.text import tokens
from knowrithm_core.models.requests import Request, parse
from knowrithm_core.models.resources import Task
from knowrithm_core.pagination import PageRequest, paginate
from knowrithm_core.safe_json import parse_json
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.analytics_counters import total_op
from knowrithm_core.services.base import Service
from knowrithm_core.store import keys
from knowrithm_core.store.blobs import BlobMissing, BlobStore
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.store.soft_delete import flag_op, set_deleted
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.webhooks.url_safety import UnsafeUrl, check_url
from knowrithm_core.widget.limits import RateLimiter

log = logging.getLogger(__name__)

MAX_ITEMS_PER_UPLOAD = 20
MAX_METADATA_KEYS = 20
MAX_HIDDEN_CHUNKS = 8000
MAX_BULK_IDS = 100
RESERVED_FIELDS = frozenset({"agent_id", "url", "urls", "urls[]", "file", "files", "files[]", "metadata"})
STATUSES = ("awaiting_upload", "pending", "processing", "completed", "failed")
UPLOAD_URL_TTL_SECONDS = 900  # how long a pre-signed upload (POST policy) stays valid
# A pre-signed upload never completed is forgotten (the record's TTL) a day after its URL expired.
AWAITING_UPLOAD_TTL_SECONDS = UPLOAD_URL_TTL_SECONDS + 24 * 3600
CONTENT_CHECK_BYTES = 8192  # what ``complete`` reads of an uploaded file for the cheap content checks
UPLOADS_PREFIX = "uploads/"  # the bucket's lifecycle rule (template.yaml) expires what is left here


def staging_key(company_id: str, document_id: str, document_type: str) -> str:
    """Where a pre-signed upload lands: ``complete`` copies it to :func:`blob_key` (read by the ingest worker);
    a file never completed is expired by the bucket's lifecycle rule on ``uploads/``."""
    return f"{UPLOADS_PREFIX}{company_id}/{document_id}/original.{document_type}"


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


class UploadRejected(KnowrithmError):
    """Nothing in the upload was accepted; ``details.errors`` lists why, one line per file or URL."""

    def __init__(self, errors: list[tuple[str, int]]) -> None:
        statuses = {status for _, status in errors}
        self.status_code = statuses.pop() if len(statuses) == 1 else 400
        self.error_code = {413: "payload_too_large", 415: "unsupported_media_type", 503: "service_unavailable"}.get(
            self.status_code, "invalid_document"
        )
        lines = [message for message, _ in errors]
        summary = lines[0] if len(lines) == 1 else f"No document was accepted ({len(lines)} problems): {lines[0]}"
        super().__init__(
            summary, details={"errors": lines, "errors_count": len(lines), "documents_processed": 0, "documents": []}
        )


class UploadMissing(Conflict):
    """``complete`` before the file is in the bucket."""

    error_code = "upload_missing"


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


def parse_url_values(values: Sequence[str]) -> list[str]:
    """``url``/``urls`` values -> URLs: each value may be one URL, a JSON array, or comma-separated."""
    urls: list[str] = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        if text.startswith("["):
            try:
                parsed = parse_json(text)
            except KnowrithmError as exc:  # any refusal of the hardened parser (depth, numbers, NUL, ...)
                raise ValidationFailed("urls is not a valid JSON array.") from exc
            if not isinstance(parsed, list) or not all(isinstance(p, str) for p in parsed):
                raise ValidationFailed("urls must be a JSON array of strings.")
            urls.extend(p.strip() for p in parsed if p.strip())
        else:
            urls.extend(part.strip() for part in text.split(",") if part.strip())
    return list(dict.fromkeys(urls))


def clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """At most 20 keys of scalars (strings cut at 1,000 characters); anything else is dropped."""
    clean: dict[str, Any] = {}
    for key, value in list(metadata.items())[:MAX_METADATA_KEYS]:
        if isinstance(value, bool | int | float) or value is None:
            clean[str(key)[:100]] = value
        elif isinstance(value, str):
            clean[str(key)[:100]] = value[:1000]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            clean[str(key)[:100]] = [v[:200] for v in value[:20]]
    return clean


def snippet(content: str, query_tokens: Sequence[str], width: int = 240) -> str:
    """About ``width`` characters of ``content`` around its first query term, with ellipses where cut."""
    if len(content) <= width:
        return content
    wanted = set(query_tokens)
    start = 0
    for match in re.finditer(r"[^\W_][\w'-]*", content):
        if tokens(match.group(0)) and tokens(match.group(0))[0] in wanted:
            start = max(0, match.start() - width // 4)
            break
    end = min(len(content), start + width)
    start = max(0, end - width)
    if start > 0:
        space = content.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(content):
        space = content.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return ("…" if start > 0 else "") + content[start:end].strip() + ("…" if end < len(content) else "")


def hit_body(hit: Scored, query_tokens: Sequence[str], agent_id: str, *, include_content: bool) -> dict[str, Any]:
    ref = hit.ref
    body: dict[str, Any] = {
        "id": ref.chunk_id,
        "chunk_id": ref.chunk_id,
        "chunk_index": ref.chunk_index,
        "document_id": ref.document_id,
        "document_name": ref.document_name,
        "original_filename": ref.document_name,
        "agent_id": agent_id,
        "score": hit.score,
        "relevance": hit.relevance,
        "content_snippet": snippet(ref.content, query_tokens),
        "word_count": ref.word_count,
        "page": ref.page,
        "source_url": ref.source_url,
        "embedding_model": EMBEDDING_MODEL,
        "created_at": ref.created_at,
    }
    if include_content:
        body["content"] = ref.content
    return body


ManifestChange = Callable[[Manifest], Manifest]


def hiding(
    *, documents: set[str] | frozenset[str] = frozenset(), chunks: set[str] | frozenset[str] = frozenset()
) -> ManifestChange:
    """A manifest change adding ``documents`` and ``chunks`` to what search must not return."""

    def change(manifest: Manifest) -> Manifest:
        return manifest.model_copy(
            update={
                "hidden_documents": sorted({*manifest.hidden_documents, *documents}),
                "hidden_chunks": sorted({*manifest.hidden_chunks, *chunks}),
            }
        )

    return change


def showing(
    *, documents: set[str] | frozenset[str] = frozenset(), chunks: set[str] | frozenset[str] = frozenset()
) -> ManifestChange:
    """A manifest change letting search return ``documents`` and ``chunks`` again."""

    def change(manifest: Manifest) -> Manifest:
        return manifest.model_copy(
            update={
                "hidden_documents": [d for d in manifest.hidden_documents if d not in documents],
                "hidden_chunks": [c for c in manifest.hidden_chunks if c not in chunks],
            }
        )

    return change


class DocumentService(Service):
    def __init__(
        self,
        agents: AgentService,
        settings: Settings,
        search: KnowledgeSearch,
        blobs: BlobStore | None,
        queue: MessageQueue | None,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(agents.table, settings)
        self.agents = agents
        self.search_index = search
        self.blobs = blobs
        self.queue = queue
        self.limiter = limiter

    def _count_upload(self, principal: Principal) -> None:
        """One upload request of the caller's company (``RATE_LIMIT_UPLOAD``); 429 over the limit, before any change."""
        if self.limiter:
            self.limiter.check("upload", {"company": principal.company_id})

    # --- upload ---------------------------------------------------------------------
    def upload(self, principal: Principal, request: UploadRequest) -> tuple[int, dict[str, Any]]:
        """(200 | 207, the Knowrithm upload summary); raises :class:`UploadRejected` if nothing was accepted."""
        principal.require("write")
        agent_id = (request.agent_id or "").strip()
        if not agent_id:
            raise ValidationFailed("agent_id is required.", details={"errors": {"agent_id": ["Field required"]}})
        urls = parse_url_values(request.url_values)
        if not request.files and not urls:
            raise ValidationFailed("Send at least one file (files, file or files[]) or a URL (url, urls).")
        if len(request.files) + len(urls) > MAX_ITEMS_PER_UPLOAD:
            raise ValidationFailed(f"At most {MAX_ITEMS_PER_UPLOAD} files and URLs per upload.")
        agent = self.agents.read(principal.company_id, agent_id)[1]
        self._count_upload(principal)  # a malformed request, or one for an unknown agent, counts for nothing
        if self.blobs is None or self.queue is None:
            raise ServiceUnavailable("Document storage is not configured (DOCUMENT_BUCKET and INGEST_QUEUE_URL).")
        metadata = clean_metadata(request.metadata)
        accepted: list[tuple[Document, str | None]] = []
        errors: list[tuple[str, int]] = []
        for upload in request.files:
            name = formats.safe_filename(upload.filename)
            try:
                kind = self._vet_file(name, upload)
            except _Refused as refused:
                errors.append((f"{name}: {refused}", refused.status))
                continue
            document = self._new_document(principal, agent.id, name, kind, metadata, size=len(upload.data))
            key = blob_key(principal.company_id, document.id, kind)
            self.blobs.put(key, upload.data, formats.MIME_OF[kind])
            accepted.append((document.model_copy(update={"content_type": formats.MIME_OF[kind]}), key))
        for url in urls:
            try:
                check_url(url, local_mode=self.settings.local_mode)
            except UnsafeUrl as exc:
                errors.append((f"{url}: {exc.message}", 400))
                continue
            name = formats.safe_filename(url.split("?")[0].rstrip("/").rsplit("/", 1)[-1], fallback=url[:255])
            kind = formats.extension_type(url.split("?")[0]) or "html"
            accepted.append((self._new_document(principal, agent.id, name, kind, metadata, source_url=url), None))
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
    def _summary(documents: list[dict[str, Any]], errors: list[tuple[str, int]]) -> dict[str, Any]:
        return {
            "success": bool(documents),
            "message": f"{len(documents)} document(s) accepted for processing"
            + (f", {len(errors)} rejected." if errors else "."),
            "documents_processed": len(documents),
            "total_submitted": len(documents) + len(errors),
            "documents": documents,
            "errors": [message for message, _ in errors],
            "errors_count": len(errors),
            "task_ids": [d["task_id"] for d in documents],
        }

    def _vet_file(self, name: str, upload: UploadedFile) -> str:
        try:
            kind = formats.detect_type(name, upload.content_type, upload.data[:1024])
        except formats.UnsupportedType as exc:
            raise _Refused(str(exc), 415) from exc
        if not upload.data:
            raise _Refused("the file is empty", 400)
        limit = self.settings.max_document_bytes
        if len(upload.data) > limit:
            raise _Refused(f"the file is larger than the {limit / (1024 * 1024):g} MB limit", 413)
        try:
            formats.check_content(kind, upload.data)
        except formats.ExtractionError as exc:
            raise _Refused(str(exc), 400) from exc
        if kind in formats.TEXT_TYPES and not formats.decode_text(upload.data).strip():
            raise _Refused("the file has no text", 400)
        return kind

    # --- pre-signed uploads (files larger than a Lambda request can carry) -------------------
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
        item = document_item(document, key) | {
            "expires_at_epoch": int(issued.timestamp()) + AWAITING_UPLOAD_TTL_SECONDS
        }
        self.table.transact(
            [
                self.table.put_op(item, condition="attribute_not_exists(PK)"),
                self.task_op(document, "pending", owner_id=principal.subject_id),
            ]
        )
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
        item = self._document_item(principal.company_id, document_id)
        document = load_document(item)
        if document.status != "awaiting_upload":
            return self._completed(document)
        self.agents.read(principal.company_id, document.agent_id)
        if self.blobs is None or self.queue is None:
            raise ServiceUnavailable("Document storage is not configured (DOCUMENT_BUCKET and INGEST_QUEUE_URL).")
        key = str(item.get("_blob_key") or blob_key(document.company_id, document.id, document.document_type))
        size = self._move_upload(document, key)
        stamp = iso()
        pending = document.model_copy(
            update={"status": "pending", "file_size": size, "updated_at": stamp, "version": document.version + 1}
        )
        ops = [
            self.table.put_op(document_item(pending, key), condition="version = :v", values={":v": document.version}),
            self.task_op(pending, "pending", owner_id=principal.subject_id),
            *self._count_ops(document.company_id, document.agent_id, 1),
        ]
        try:
            self.table.transact(ops)
        except TransactionConflict:
            # A concurrent complete (or delete) won: answer with what it left; only the winner queues.
            return self._completed(load_document(self._document_item(principal.company_id, document_id)))
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
        assert self.blobs is not None
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
        assert size is not None
        return size

    def _completed(self, document: Document) -> dict[str, Any]:
        if document.status == "awaiting_upload":
            raise Conflict("The document changed meanwhile; complete it again.")
        body = self._summary([document.public()], [])
        return {**body, "message": "The document was accepted for processing.", "document": document.public()}

    @staticmethod
    def _new_document(
        principal: Principal,
        agent_id: str,
        name: str,
        kind: str,
        metadata: dict[str, Any],
        *,
        size: int = 0,
        source_url: str | None = None,
    ) -> Document:
        stamp = iso()
        return Document(
            id=new_id(),
            company_id=principal.company_id,
            agent_id=agent_id,
            original_filename=name,
            filename=name,
            document_type=kind,
            file_size=size,
            source_url=source_url,
            metadata=metadata,
            task_id=new_id(),
            user={"id": principal.subject_id, "type": principal.kind},
            created_at=stamp,
            updated_at=stamp,
        )

    def task_op(
        self, document: Document, status: str, *, owner_id: str | None, error: str | None = None
    ) -> dict[str, Any]:
        """The document's ingest task record (``GET /tasks/{task_id}/status``), written with the document."""
        stamp = iso()
        task = Task(
            task_id=document.task_id or document.id,
            company_id=document.company_id,
            owner_id=owner_id,
            kind="document_ingest",
            status=status,  # type: ignore[arg-type]  # one of Task's literals, checked by pydantic
            result={"document_id": document.id, "status": document.status, "document": document.public()}
            if status == "completed"
            else None,
            error={"message": error, "code": "document_processing_failed"} if error else None,
            created_at=document.created_at,
            updated_at=stamp,
        )
        return self.table.put_op(
            {
                "PK": keys.company_pk(document.company_id),
                "SK": f"TASK#{task.task_id}",
                "GSI1PK": keys.global_id("TASK", task.task_id),
                "GSI1SK": "TASK",
                **task.model_dump(mode="json"),
                "expires_at_epoch": int(now().timestamp()) + self.settings.event_ttl_days * 86400,
            }
        )

    def _commit(self, principal: Principal, accepted: list[tuple[Document, str | None]]) -> None:
        """The documents, their tasks and the document counters: one transaction (≤ 20 documents, 42 items)."""
        ops: list[dict[str, Any]] = []
        for document, key in accepted:
            ops.append(self.table.put_op(document_item(document, key), condition="attribute_not_exists(PK)"))
            ops.append(self.task_op(document, "pending", owner_id=principal.subject_id))
        ops += self._count_ops(principal.company_id, accepted[0][0].agent_id, len(accepted))
        self.table.transact(ops)

    # --- the documents counters ---------------------------------------------------------
    @staticmethod
    def counted(document: Document) -> bool:
        """Whether ``documents_count`` includes the document: every live one whose file arrived."""
        return not document.deleted_at and document.status != "awaiting_upload"

    def _count_ops(self, company_id: str, agent_id: str, delta: int) -> list[dict[str, Any]]:
        """Add ``delta`` to the agent's ``documents`` counter (``GET /agent/{id}/stats``) and the company's
        (``GET /analytic/dashboard``). Always in the transaction of the change itself, whose condition
        (the document's version) makes a repeated or racing delete or restore count nothing twice."""
        if not delta:
            return []
        totals = total_op(self.table, company_id, {"documents": delta})
        return [self.agents.stats_op(company_id, agent_id, documents=delta), *([totals] if totals else [])]

    def _enqueue(self, principal: Principal, documents: list[Document]) -> list[Document]:
        """Queue one ingest message per document; if SQS refuses, those documents fail at once (returned)."""
        assert self.queue is not None
        bodies = [{"company_id": d.company_id, "agent_id": d.agent_id, "document_id": d.id} for d in documents]
        try:
            self.queue.send(bodies)
        except Exception as exc:  # noqa: BLE001 - any queue failure: record it on the documents, report it
            reason = f"the document could not be queued for processing ({type(exc).__name__}); upload it again"
            return [self._fail_unqueued(principal, document, reason) for document in documents]
        return []

    def _fail_unqueued(self, principal: Principal, document: Document, reason: str) -> Document:
        failed = document.model_copy(
            update={
                "status": "failed",
                "processing_error": reason,
                "updated_at": iso(),
                "version": document.version + 1,
            }
        )
        stored = self.table.get(keys.company_pk(document.company_id), document_sk(document.id)) or {}
        self.table.transact(
            [
                self.table.put_op(
                    document_item(failed, stored.get("_blob_key")),
                    condition="version = :v",
                    values={":v": document.version},
                ),
                self.task_op(failed, "failed", owner_id=principal.subject_id, error=reason),
            ]
        )
        return failed

    # --- reads ----------------------------------------------------------------------
    def _documents(self, company_id: str) -> list[Document]:
        return [load_document(i) for i in self.table.query(keys.company_pk(company_id), sk_prefix="DOC#")]

    def _document_item(self, company_id: str, document_id: str, *, deleted: bool | None = False) -> dict[str, Any]:
        """The stored document; ``deleted`` False = only live ones, True = only deleted ones, None = either."""
        item = self.table.get(keys.company_pk(company_id), document_sk(document_id)) if is_uuid(document_id) else None
        if item is None or (deleted is False and item.get("deleted_at")):
            raise NotFound("Document not found.")
        if deleted is True and not item.get("deleted_at"):
            raise BadRequest("The document is not deleted.")
        return item

    def _chunk_items(self, document: Document) -> list[dict[str, Any]]:
        return self.table.query(chunks_pk(document.company_id, document.agent_id), sk_prefix=f"DOC#{document.id}#")

    def list_documents(
        self, principal: Principal, query: dict[str, str], *, agent_id: str | None = None
    ) -> dict[str, Any]:
        principal.require("read")
        page = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=10)
        if agent_id is not None:
            self.agents.read(principal.company_id, agent_id)
        agent_filter = agent_id or (query.get("agent_id") or "").strip()
        status = (query.get("status") or "").strip().lower()
        status = STATUS_ALIASES.get(status, status)
        if status and status not in STATUSES:
            raise ValidationFailed(f"status must be one of: {', '.join(STATUSES)} (or processed).")
        kind = (query.get("document_type") or "").strip().lower()
        search = (query.get("search") or "").strip().lower()
        documents = [
            d
            for d in self._documents(principal.company_id)
            if not d.deleted_at
            and (not agent_filter or d.agent_id == agent_filter)
            and (not status or d.status == status)
            and (not kind or d.document_type == kind)
            and (
                not search
                or search in d.original_filename.lower()
                or search in (d.title or "").lower()
                or search in (d.source_url or "").lower()
            )
        ]
        documents.reverse()  # newest first
        window, pagination = paginate(documents, page)
        rows = [d.public() for d in window]
        return {
            "document": rows,
            "documents": rows,
            "items": rows,
            "total": pagination["total"],
            "pages": pagination["pages"],
            "pagination": pagination,
        }

    def get(self, principal: Principal, document_id: str, *, include_chunks: bool = True) -> dict[str, Any]:
        """The document with its live chunks; ``include_chunks=False`` (``?include_chunks=false``) leaves them
        out, for status polls of large documents (thousands of chunks)."""
        principal.require("read")
        document = load_document(self._document_item(principal.company_id, document_id))
        if not include_chunks:
            return {"document": document.public()}
        chunks = [load_chunk(i).public() for i in self._chunk_items(document) if not i.get("deleted_at")]
        return {"document": {**document.public(), "chunks": chunks}}

    def list_deleted(self, principal: Principal) -> dict[str, Any]:
        principal.require("read")
        rows = [d.public() for d in self._documents(principal.company_id) if d.deleted_at]
        return {"deleted_documents": rows, "total": len(rows)}

    # --- the manifest ---------------------------------------------------------------
    def _with_manifest(self, company_id: str, agent_id: str, change: ManifestChange, ops: list[dict[str, Any]]) -> None:
        """Apply ``ops`` and ``change`` to the agent's manifest in one transaction (optimistic, 3 tries)."""
        for _ in range(3):
            current = self.search_index.manifest(company_id, agent_id)
            updated = change(current.model_copy(deep=True))
            if len(updated.hidden_chunks) > MAX_HIDDEN_CHUNKS:
                raise Conflict("Too many individually deleted chunks for this agent; delete whole documents instead.")
            updated = updated.model_copy(update={"revision": current.revision + 1, "updated_at": iso()})
            condition, values = (
                ("revision = :r", {":r": current.revision}) if current.revision else ("attribute_not_exists(PK)", None)
            )
            try:
                self.table.transact(
                    [self.table.put_op(manifest_item(updated), condition=condition, values=values), *ops]
                )
                return
            except TransactionConflict as exc:
                if any(reason != "None" for reason in exc.reasons[1:]):
                    raise Conflict("The document changed meanwhile; fetch it and try again.") from exc
        raise Conflict("The agent's knowledge base is busy; try again.")

    # --- soft delete and restore ----------------------------------------------------
    def _chunk_flag_op(self, item: dict[str, Any], deleted_at: str | None, *, cascade: bool) -> dict[str, Any]:
        index = deleted_chunks_gsi(str(item["company_id"]))
        return flag_op(self.table, item, deleted_at, deleted_index=index, cascade=cascade)

    def _cascade(self, document: Document, *, deleted_at: str | None) -> int:
        """Flag the document's live chunks deleted (or bring back the ones its deletion took), 100 per request."""
        index = deleted_chunks_gsi(document.company_id)
        return set_deleted(self.table, self._chunk_items(document), deleted_at, deleted_index=index, only_cascade=True)

    def _document_op(self, item: dict[str, Any], *, deleted: bool) -> tuple[Document, dict[str, Any]]:
        previous = load_document(item)
        stamp = iso()
        updated = previous.model_copy(
            update={
                "deleted_at": stamp if deleted else None,
                "is_active": not deleted,
                "updated_at": stamp,
                "version": previous.version + 1,
            }
        )
        op = self.table.put_op(
            document_item(updated, item.get("_blob_key")), condition="version = :v", values={":v": previous.version}
        )
        return updated, op

    def delete(self, principal: Principal, document_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        item = self._document_item(principal.company_id, document_id)
        document = load_document(item)
        deleted, op = self._document_op(item, deleted=True)
        ops = [op, *self._count_ops(document.company_id, document.agent_id, -int(self.counted(document)))]
        self._with_manifest(document.company_id, document.agent_id, hiding(documents={document.id}), ops)
        count = self._cascade(deleted, deleted_at=deleted.deleted_at)
        return {"message": "Document deleted successfully.", "document_id": document.id, "deleted_chunks_count": count}

    def restore(self, principal: Principal, document_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        item = self._document_item(principal.company_id, document_id, deleted=True)
        document = load_document(item)
        restored, op = self._document_op(item, deleted=False)
        ops = [op, *self._count_ops(document.company_id, document.agent_id, int(self.counted(restored)))]
        self._with_manifest(document.company_id, document.agent_id, showing(documents={document.id}), ops)
        count = self._cascade(restored, deleted_at=None)
        return {
            "message": "Document restored successfully.",
            "document_id": document.id,
            "filename": document.original_filename,
            "restored_chunks_count": count,
            "document": restored.public(),
        }

    def bulk_delete(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require("write", "DELETE")
        ids = body.get("document_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise ValidationFailed("document_ids must be a non-empty list of document ids.")
        if len(ids) > MAX_BULK_IDS:
            raise ValidationFailed(f"At most {MAX_BULK_IDS} document ids per request.")
        found: list[dict[str, Any]] = []
        missing: list[str] = []
        for document_id in dict.fromkeys(ids):
            try:
                found.append(self._document_item(principal.company_id, document_id))
            except NotFound:
                missing.append(document_id)
        if not found:
            raise NotFound("None of the documents was found.", details={"not_found": missing})
        by_agent: dict[str, list[dict[str, Any]]] = {}
        for item in found:
            by_agent.setdefault(str(item["agent_id"]), []).append(item)
        deleted_docs: list[Document] = []
        for agent_id, items in by_agent.items():
            for start in range(0, len(items), 90):
                group = items[start : start + 90]
                pairs = [self._document_op(i, deleted=True) for i in group]
                hidden = {str(i["id"]) for i in group}
                gone = sum(self.counted(load_document(i)) for i in group)
                ops = [op for _, op in pairs] + self._count_ops(principal.company_id, agent_id, -gone)
                self._with_manifest(principal.company_id, agent_id, hiding(documents=hidden), ops)
                deleted_docs += [d for d, _ in pairs]
        chunks = sum(self._cascade(d, deleted_at=d.deleted_at) for d in deleted_docs)
        return {
            "message": f"{len(deleted_docs)} document(s) deleted successfully.",
            "deleted_documents_count": len(deleted_docs),
            "deleted_chunks_count": chunks,
            "document_ids": [d.id for d in deleted_docs],
            "not_found": missing,
        }

    # --- chunks -----------------------------------------------------------------------
    def _chunk(self, principal: Principal, chunk_id: str) -> tuple[dict[str, Any], Document]:
        found = (
            self.table.query(keys.global_id("CHUNK", chunk_id), index=keys.GSI1, limit=1) if is_uuid(chunk_id) else []
        )
        if not found or found[0].get("company_id") != principal.company_id:
            raise NotFound("Chunk not found.")
        try:
            document = load_document(self._document_item(principal.company_id, found[0]["document_id"]))
        except NotFound as exc:
            raise NotFound("Chunk not found (its document is deleted).") from exc
        return found[0], document

    def delete_chunk(self, principal: Principal, chunk_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        item, document = self._chunk(principal, chunk_id)
        if item.get("deleted_at"):
            raise NotFound("Chunk not found.")
        op = self._chunk_flag_op(item, iso(), cascade=False)
        self._with_manifest(document.company_id, document.agent_id, hiding(chunks={chunk_id}), [op])
        return {"message": "Chunk deleted successfully.", "chunk_id": chunk_id, "document_id": document.id}

    def restore_chunk(self, principal: Principal, chunk_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        item, document = self._chunk(principal, chunk_id)
        if not item.get("deleted_at"):
            raise BadRequest("The chunk is not deleted.")
        op = self._chunk_flag_op(item, None, cascade=False)
        self._with_manifest(document.company_id, document.agent_id, showing(chunks={chunk_id}), [op])
        return {"message": "Chunk restored successfully.", "chunk_id": chunk_id, "document_id": document.id}

    def _set_chunks(self, principal: Principal, document_id: str, *, delete: bool) -> tuple[Document, int]:
        document = load_document(self._document_item(principal.company_id, document_id))
        items = self._chunk_items(document)
        targets = (
            [i for i in items if not i.get("deleted_at")]
            if delete
            else [i for i in items if i.get("deleted_at") and not i.get("_cascade")]
        )
        if not targets:
            return document, 0
        ids = {str(i["id"]) for i in targets}
        stamp = iso() if delete else None
        ops = [self._chunk_flag_op(i, stamp, cascade=False) for i in targets]
        change = hiding(chunks=ids) if delete else showing(chunks=ids)
        self._with_manifest(document.company_id, document.agent_id, change, ops[:99])
        for start in range(99, len(ops), 100):
            self.table.transact(ops[start : start + 100])
        return document, len(targets)

    def delete_chunks(self, principal: Principal, document_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        document, count = self._set_chunks(principal, document_id, delete=True)
        return {"message": "Chunks deleted successfully.", "document_id": document.id, "deleted_chunks_count": count}

    def restore_chunks(self, principal: Principal, document_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        document, count = self._set_chunks(principal, document_id, delete=False)
        return {"message": "Chunks restored successfully.", "document_id": document.id, "restored_chunks_count": count}

    def list_deleted_chunks(self, principal: Principal) -> dict[str, Any]:
        principal.require("read")
        items = self.table.query(deleted_chunks_gsi(principal.company_id), index=keys.GSI3)
        rows = [load_chunk(i).public() for i in items]
        return {"deleted_chunks": rows, "total": len(rows)}

    # --- search -----------------------------------------------------------------------
    def search(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require("read")
        request = parse(SearchRequest, body)
        started = time.perf_counter()
        if request.agent_id:
            agent_ids = [self.agents.read(principal.company_id, request.agent_id)[1].id]
        else:
            items = self.table.query(keys.company_pk(principal.company_id), sk_prefix="AGENT#")
            agent_ids = [str(i["id"]) for i in items if not i["SK"].endswith("#STATS") and not i.get("deleted_at")]
        query_tokens = tokens(request.query)
        scored: list[tuple[Scored, str]] = []
        for agent_id in agent_ids:
            found = self.search_index.retrieve(principal.company_id, agent_id, request.query, request.limit)
            scored += [(hit, agent_id) for hit in found.hits]
        scored.sort(key=lambda pair: -pair[0].score)
        results = [
            hit_body(hit, query_tokens, agent_id, include_content=request.include_content)
            for hit, agent_id in scored[: request.limit]
        ]
        return {
            "query": request.query,
            "agent_id": request.agent_id,
            "results": results,
            "matches": results,
            "total_results": len(results),
            "execution_time": round(time.perf_counter() - started, 4),
            "search_type": "bm25",
        }


class _Refused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


__all__ = ["Chunk", "DocumentService", "SearchRequest", "UploadRejected", "UploadRequest", "UploadedFile"]
