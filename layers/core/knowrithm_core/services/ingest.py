"""The ingest worker: one queued document -> text -> chunks -> the agent's rebuilt index -> ``document.processed``.

Status goes ``pending`` -> ``processing`` -> ``completed`` or ``failed`` (with the reason). The final
status, the task record, the ``document.processed`` outbox event and (when completed) the agent's
new index manifest are one ``TransactWriteItems``: the event exists if and only if the status did
change. A document that cannot be read (bad PDF, no text, a refused or failing URL) fails at once;
an infrastructure error is raised so SQS retries it, and on the last attempt
(``INGEST_MAX_ATTEMPTS``, the queue's ``maxReceiveCount``) the document fails with that error
instead of waiting in the DLQ. Repeated messages are harmless: a finished document is skipped, and
chunk ids are derived from (document, index).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from knowrithm_core.config import Settings
from knowrithm_core.errors import Conflict
from knowrithm_core.events import EventType
from knowrithm_core.ids import iso
from knowrithm_core.knowledge import formats
from knowrithm_core.knowledge.chunking import ChunkDraft, chunk_pages
from knowrithm_core.knowledge.fetch import Fetcher, FetchError
from knowrithm_core.knowledge.index import AgentIndex, ChunkRef
from knowrithm_core.knowledge.records import Chunk, Document, blob_key, chunk_id, index_key
from knowrithm_core.knowledge.search import KnowledgeSearch
from knowrithm_core.observability import logger as log
from knowrithm_core.services.documents import DocumentService
from knowrithm_core.store.blobs import BlobStore
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories import events
from knowrithm_core.store.repositories.documents import DocumentRepository, StoredDocument
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork
from knowrithm_core.telemetry import DOCUMENTS_INGESTED, INGEST_FAILURES, INGEST_PAGES, count

PERMANENT = (formats.ExtractionError, FetchError)


class IngestWorker:
    def __init__(
        self,
        table: Table,
        settings: Settings,
        blobs: BlobStore,
        fetcher: Fetcher,
        search: KnowledgeSearch,
        documents: DocumentService,
    ) -> None:
        self.table = table
        self.settings = settings
        self.blobs = blobs
        self.fetcher = fetcher
        self.search = search
        self.documents = documents
        self.repository = DocumentRepository(table, task_ttl_days=settings.event_ttl_days)

    def handle(self, message: Mapping[str, Any], attempt: int = 1) -> str:
        """Process one ingest message; returns ``completed``, ``failed`` or ``skipped``; raises to be retried."""
        company_id, document_id = str(message["company_id"]), str(message["document_id"])
        stored = self.repository.get(company_id, document_id)
        if stored is None or stored.document.status in ("completed", "failed", "awaiting_upload"):
            return "skipped"  # finished already, or a pre-signed upload that was never completed
        document = self._start(stored)
        try:
            document, blob = self._content(document, stored.blob_key)
            extracted = formats.extract(document.document_type, self.blobs.get(blob))
            drafts = chunk_pages(extracted.pages, self.settings.chunk_size, self.settings.chunk_overlap)
            if not drafts:
                raise formats.ExtractionError("the document has no text")
            document = document.model_copy(
                update={
                    "page_count": extracted.page_count,
                    "word_count": extracted.word_count,
                    "chunk_count": len(drafts),
                    "title": (extracted.title or "")[:500] or None,
                }
            )
            own = self._write_chunks(document, drafts)
            return self._finish(document, blob, error=None, own=own)
        except PERMANENT as exc:
            return self._finish(document, stored.blob_key, error=str(exc))
        except Exception as exc:
            if attempt < self.settings.ingest_max_attempts:
                raise
            log.exception("ingest of %s failed on its last attempt", document_id)
            reason = f"processing failed after {attempt} attempts ({type(exc).__name__})"
            return self._finish(document, stored.blob_key, error=reason)

    # --- steps ------------------------------------------------------------------------
    def _start(self, stored: StoredDocument) -> Document:
        """``processing``, and the status counters moved, in one transaction (tried again at once, up to three
        times, when only a concurrent transaction on the counters got in the way; a changed document raises)."""
        document = stored.document
        if document.status == "processing":  # a retry: already marked
            return document
        stamp = iso()
        started = document.model_copy(
            update={
                "status": "processing",
                "processing_started_at": stamp,
                "updated_at": stamp,
                "version": document.version + 1,
            }
        )
        uow = UnitOfWork(self.table)
        self.repository.replace(uow, document.version, started, stored.blob_key)
        uow.extend(self.documents.status_ops(document.company_id, [(document, started)]))
        _commit(uow)
        return started

    def _content(self, document: Document, blob: str | None) -> tuple[Document, str]:
        """The S3 key of the document's bytes; a URL document is fetched (through the SSRF guard) and stored."""
        if blob:
            return document, blob
        if not document.source_url:
            raise formats.ExtractionError("the document has neither a file nor a URL")
        fetched = self.fetcher.fetch(
            document.source_url,
            max_bytes=self.settings.max_document_bytes,
            timeout=self.settings.fetch_timeout_seconds,
            local_mode=self.settings.local_mode,
        )
        kind = (
            formats.content_type_type(fetched.content_type)
            or formats.extension_type(urlsplit(fetched.url).path)
            or formats.sniff(fetched.data[:1024])
        )
        if kind is None:
            raise formats.ExtractionError(f"unsupported content type '{fetched.content_type or 'unknown'}'")
        key = blob_key(document.company_id, document.id, kind)
        self.blobs.put(key, fetched.data, formats.MIME_OF[kind])
        updated = document.model_copy(
            update={"document_type": kind, "file_size": len(fetched.data), "content_type": formats.MIME_OF[kind]}
        )
        return updated, key

    def _write_chunks(self, document: Document, drafts: list[ChunkDraft]) -> list[ChunkRef]:
        """Batch puts, not transactions (the writes were never one transaction anyway): chunk ids are stable, so a
        retry rewrites the same items, and search sees the chunks only once the final transaction points the
        agent's index at them. Returns them as index entries (the index build need not read them back)."""
        stamp = iso()
        chunks = [
            Chunk(
                id=chunk_id(document.id, draft.index),
                company_id=document.company_id,
                agent_id=document.agent_id,
                document_id=document.id,
                document_name=document.original_filename,
                chunk_index=draft.index,
                content=draft.content,
                word_count=draft.word_count,
                page=draft.page,
                source_url=document.source_url,
                created_at=stamp,
                updated_at=stamp,
            )
            for draft in drafts
        ]
        self.repository.put_chunks(chunks)
        return [_ref(chunk) for chunk in chunks]

    def _refs(self, document: Document, own: list[ChunkRef]) -> list[ChunkRef]:
        """Every chunk the agent's index holds: chunks of its processed documents (read from the table, in key
        order, skipping this document's range) with this document's ``own`` chunks in their place."""
        documents = {d.id: d for d in self.repository.all(document.company_id)}
        before, after = self.repository.chunks_around(document.company_id, document.agent_id, document.id)

        def processed(chunks: list[Chunk]) -> list[ChunkRef]:
            refs = []
            for chunk in chunks:
                owner = documents.get(chunk.document_id)
                if owner is not None and owner.status == "completed" and owner.id != document.id:
                    refs.append(_ref(chunk))
            return refs

        return [*processed(before), *own, *processed(after)]

    def _finish(
        self, document: Document, blob: str | None, *, error: str | None, own: list[ChunkRef] | None = None
    ) -> str:
        """The final status, task, event and (if completed) the new index, in one transaction (3 tries)."""
        for _ in range(3):
            stored = self.repository.get(document.company_id, document.id)
            if stored is None:
                return "skipped"
            current = stored.document
            stamp = iso()
            carried = document.model_dump(
                include={
                    "document_type",
                    "file_size",
                    "content_type",
                    "page_count",
                    "word_count",
                    "chunk_count",
                    "title",
                }
            )
            final = current.model_copy(
                update={
                    **carried,
                    "status": "failed" if error else "completed",
                    "processing_error": error[:1000] if error else None,
                    "processed_at": stamp,
                    "updated_at": stamp,
                    "version": current.version + 1,
                }
            )
            uow = UnitOfWork(self.table)
            self.repository.replace(uow, current.version, final, blob or stored.blob_key)
            uow.add(
                self.documents.task_op(final, final.status, owner_id=_owner(final), error=error),
                events.record(
                    final.company_id,
                    EventType.DOCUMENT_PROCESSED,
                    final.public(),
                    ttl_days=self.settings.event_ttl_days,
                ),
            )
            built = None if error else self._new_index(uow, final, own or [], stamp)
            uow.extend(self.documents.status_ops(final.company_id, [(current, final)]))
            try:
                _commit(uow)
            except TransactionConflict:
                log.info("document %s or its agent's index changed meanwhile; finishing again", document.id)
                continue
            if built is not None:
                self.search.cache.put(final.company_id, final.agent_id, *built)
            log.info("document processed", extra={"document_id": final.id, "status": final.status})
            record_ingest(final)
            return final.status
        raise Conflict("The document or its agent's index kept changing; the message will be retried.")

    def _new_index(self, uow: UnitOfWork, final: Document, own: list[ChunkRef], stamp: str) -> tuple[int, AgentIndex]:
        """Build the agent's index with ``final``'s chunks, store it in S3, and queue the manifest pointing at it
        (conditional on the manifest's revision read here)."""
        manifest = self.search.manifest(final.company_id, final.agent_id)
        index = AgentIndex.build(self._refs(final, own))
        version = manifest.version + 1
        key = index_key(final.company_id, final.agent_id, version)
        self.blobs.put(key, index.to_bytes(), "application/zip")
        updated = manifest.model_copy(
            update={
                "version": version,
                "revision": manifest.revision + 1,
                "blob_key": key,
                "chunk_count": len(index.refs),
                "updated_at": stamp,
            }
        )
        self.repository.save_manifest(uow, manifest, updated)
        return version, index


def record_ingest(document: Document) -> None:
    """The metrics of a finished document: ingested with its pages, or failed."""
    if document.status == "completed":
        count(DOCUMENTS_INGESTED)
        count(INGEST_PAGES, document.page_count or 0)
    else:
        count(INGEST_FAILURES)


def _commit(uow: UnitOfWork, tries: int = 3) -> None:
    """Commit ``uow``; again at once (the same writes) while only concurrent transactions cancelled it, as on the
    company totals every ingest step counts on. A failed condition (the document or manifest changed) raises."""
    writes = list(uow.writes)
    for attempt in range(tries):
        try:
            UnitOfWork(uow.table).extend(writes).commit()
            return
        except TransactionConflict as exc:
            if "ConditionalCheckFailed" in exc.reasons or attempt == tries - 1:
                raise


def _ref(chunk: Chunk) -> ChunkRef:
    return ChunkRef(
        chunk.id,
        chunk.document_id,
        chunk.document_name,
        chunk.chunk_index,
        chunk.content,
        chunk.word_count,
        chunk.page,
        chunk.source_url,
        chunk.created_at,
    )


def _owner(document: Document) -> str | None:
    owner = document.user.get("id")
    return str(owner) if owner else None
