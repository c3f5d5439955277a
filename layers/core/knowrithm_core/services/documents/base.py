"""What every document route shares: the stored documents, their ingest tasks, the documents
counters, queueing, and the agent's index manifest (what search must not return).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.domain.stats import document_standing
from knowrithm_core.errors import BadRequest, Conflict, NotFound
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.knowledge.records import Document, Manifest
from knowrithm_core.knowledge.search import KnowledgeSearch
from knowrithm_core.models.resources import Task
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.base import Service
from knowrithm_core.services.documents.requests import MAX_HIDDEN_CHUNKS
from knowrithm_core.store.blobs import BlobStore
from knowrithm_core.store.expressions import Put, WriteOp
from knowrithm_core.store.queue import MessageQueue
from knowrithm_core.store.repositories.agents import AgentRepository
from knowrithm_core.store.repositories.documents import DocumentRepository, StoredDocument
from knowrithm_core.store.repositories.stats import document_change_ops
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.widget.limits import RateLimiter

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


class DocumentBase(Service):
    """The stores, records and manifest changes every document route shares."""

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
        self.repository = DocumentRepository(self.table, task_ttl_days=settings.event_ttl_days)

    def _count_upload(self, principal: Principal) -> None:
        """One upload request of the caller's company (``RATE_LIMIT_UPLOAD``); 429 over the limit, before any change."""
        if self.limiter:
            self.limiter.check("upload", {"company": principal.company_id})

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

    def task_op(self, document: Document, status: str, *, owner_id: str | None, error: str | None = None) -> Put:
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
        return self.repository.task_write(task)

    def _commit(self, principal: Principal, accepted: list[tuple[Document, str | None]]) -> None:
        """The documents, their tasks and the document counters: one transaction (≤ 20 documents, 42 items)."""
        uow = self.unit_of_work()
        for document, key in accepted:
            self.repository.add(uow, document, key)
            uow.add(self.task_op(document, "pending", owner_id=principal.subject_id))
        documents = [document for document, _ in accepted]
        uow.extend(self._count_ops(principal.company_id, documents[0].agent_id, len(accepted)))
        uow.extend(self.status_ops(principal.company_id, [(None, d) for d in documents]))
        uow.commit()

    # --- the documents counters ---------------------------------------------------------
    @staticmethod
    def counted(document: Document) -> bool:
        """Whether ``documents_count`` includes the document: every live one whose file arrived."""
        return not document.deleted_at and document.status != "awaiting_upload"

    @staticmethod
    def _count_ops(company_id: str, agent_id: str, delta: int) -> list[WriteOp]:
        """Add ``delta`` to the agent's ``documents`` counter (``GET /agent/{id}/stats``, the agent's list total).
        Always in the transaction of the change itself, whose condition (the document's version) makes a
        repeated or racing delete or restore count nothing twice. The company's totals: :meth:`status_ops`."""
        op = AgentRepository.counters_op(company_id, agent_id, {"documents": delta}) if delta else None
        return [op] if op else []

    @staticmethod
    def status_ops(company_id: str, changes: Sequence[tuple[Document | None, Document]]) -> list[WriteOp]:
        """The company totals' change (``documents``: the dashboard and the list total; ``documents_status_<s>``:
        the status lists' totals) from each ``before`` (None: new) to its ``after``: none or one write."""
        before: dict[str, int] = {}
        after: dict[str, int] = {}
        for old, new in changes:
            for name, value in (document_standing(old.status, bool(old.deleted_at)) if old else {}).items():
                before[name] = before.get(name, 0) + value
            for name, value in document_standing(new.status, bool(new.deleted_at)).items():
                after[name] = after.get(name, 0) + value
        return list(document_change_ops(company_id, before, after))

    def _enqueue(self, principal: Principal, documents: list[Document]) -> list[Document]:
        """Queue one ingest message per document; if SQS refuses, those documents fail at once (returned)."""
        assert self.queue is not None  # noqa: S101 - narrows the type: the ingest path is built with a queue
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
        stored = self.repository.get(document.company_id, document.id)
        uow = self.unit_of_work()
        self.repository.replace(uow, document.version, failed, stored.blob_key if stored else None)
        uow.add(self.task_op(failed, "failed", owner_id=principal.subject_id, error=reason))
        uow.extend(self.status_ops(document.company_id, [(document, failed)]))
        uow.commit()
        return failed

    # --- reads ----------------------------------------------------------------------
    def _stored(self, company_id: str, document_id: str, *, deleted: bool | None = False) -> StoredDocument:
        """The stored document; ``deleted`` False = only live ones, True = only deleted ones, None = either."""
        stored = self.repository.get(company_id, document_id) if is_uuid(document_id) else None
        if stored is None or (deleted is False and stored.document.deleted_at):
            raise NotFound("Document not found.")
        if deleted is True and not stored.document.deleted_at:
            raise BadRequest("The document is not deleted.")
        return stored

    # --- the manifest ---------------------------------------------------------------
    def _with_manifest(self, company_id: str, agent_id: str, change: ManifestChange, writes: Sequence[WriteOp]) -> None:
        """Apply ``writes`` and ``change`` to the agent's manifest in one transaction (optimistic, 3 tries)."""
        for _ in range(3):
            current = self.search_index.manifest(company_id, agent_id)
            updated = change(current.model_copy(deep=True))
            if len(updated.hidden_chunks) > MAX_HIDDEN_CHUNKS:
                raise Conflict("Too many individually deleted chunks for this agent; delete whole documents instead.")
            updated = updated.model_copy(update={"revision": current.revision + 1, "updated_at": iso()})
            uow = self.unit_of_work()
            self.repository.save_manifest(uow, current, updated)
            uow.extend(writes)
            try:
                uow.commit()
                return
            except TransactionConflict as exc:
                if any(reason != "None" for reason in exc.reasons[1:]):
                    raise Conflict("The document changed meanwhile; fetch it and try again.") from exc
        raise Conflict("The agent's knowledge base is busy; try again.")
