"""Reading, listing, soft-deleting and restoring documents (one at a time or in bulk); a document's
chunks follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound, ValidationFailed
from knowrithm_core.ids import iso
from knowrithm_core.knowledge.records import STATUS_ALIASES, Document
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.documents.base import DocumentBase, hiding, showing
from knowrithm_core.services.documents.requests import MAX_BULK_IDS, STATUSES
from knowrithm_core.store.expressions import WriteOp
from knowrithm_core.store.pages import cursor_param
from knowrithm_core.store.repositories.documents import StoredDocument


@dataclass(frozen=True)
class DocumentFilter:
    """The filters of ``GET /document`` (agent, status, type, free text over name, title and URL)."""

    agent_id: str = ""
    status: str = ""
    document_type: str = ""
    search: str = ""

    @classmethod
    def parse(cls, query: dict[str, str], agent_id: str | None) -> DocumentFilter:
        status = (query.get("status") or "").strip().lower()
        status = STATUS_ALIASES.get(status, status)
        if status and status not in STATUSES:
            raise ValidationFailed(f"status must be one of: {', '.join(STATUSES)} (or processed).")
        return cls(
            agent_id or (query.get("agent_id") or "").strip(),
            status,
            (query.get("document_type") or "").strip().lower(),
            (query.get("search") or "").strip().lower(),
        )

    def refined(self) -> bool:
        """Whether a filter no index serves (type, free text) narrows the list."""
        return bool(self.document_type or self.search)

    def matches(self, document: Document) -> bool:
        return (
            not document.deleted_at
            and self.agent_id in ("", document.agent_id)
            and self.status in ("", document.status)
            and self.document_type in ("", document.document_type)
            and (not self.search or self._found(document))
        )

    def _found(self, document: Document) -> bool:
        fields = (document.original_filename, document.title or "", document.source_url or "")
        return any(self.search in text.lower() for text in fields)


class LifecycleMixin(DocumentBase):
    """Read, list, soft delete and restore documents."""

    def list_documents(
        self, principal: Principal, query: dict[str, str], *, agent_id: str | None = None
    ) -> dict[str, Any]:
        """Live documents newest first: one Query of ``per_page + 1`` on the list's index (all, one status, or one
        agent's; ``cursor`` to go on), the total from the counters. ``document_type``, ``search``, or an agent and
        a status together look at the newest ``SEARCH_SCAN_LIMIT`` of the list."""
        principal.require("read")
        page = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=10)
        counted = 0
        if agent_id is not None:
            counted = self._agent_documents(principal.company_id, agent_id, must_exist=True)
        wanted = DocumentFilter.parse(query, agent_id)
        if wanted.agent_id and agent_id is None and not (wanted.status or wanted.refined()):  # the total needs it
            counted = self._agent_documents(principal.company_id, wanted.agent_id, must_exist=False)
        documents, pagination = self.repository.page(
            principal.company_id,
            page,
            agent_id=wanted.agent_id or None,
            status=wanted.status or None,
            cursor=cursor_param(query),
            agent_total=counted,
            keep=wanted.matches if wanted.refined() else None,
        )
        rows = [d.public() for d in documents]
        return {
            "document": rows,
            "documents": rows,
            "items": rows,
            "total": pagination["total"],
            "pages": pagination["pages"],
            "pagination": pagination,
        }

    def _agent_documents(self, company_id: str, agent_id: str, *, must_exist: bool) -> int:
        """The agent's ``documents`` counter (read with the agent: one query); 404 for an unknown agent if
        ``must_exist``, else 0."""
        try:
            counters = self.agents.read_items(company_id, agent_id, include_deleted=not must_exist)[1]
        except NotFound:
            if must_exist:
                raise
            return 0
        value = counters.get("documents", 0)
        return int(value) if isinstance(value, int | float) else 0

    def get(self, principal: Principal, document_id: str, *, include_chunks: bool = True) -> dict[str, Any]:
        """The document with its live chunks; ``include_chunks=False`` (``?include_chunks=false``) leaves them
        out, for status polls of large documents (thousands of chunks)."""
        principal.require("read")
        document = self._stored(principal.company_id, document_id).document
        if not include_chunks:
            return {"document": document.public()}
        chunks = [chunk.public() for chunk in self.repository.live_chunks(document)]
        return {"document": {**document.public(), "chunks": chunks}}

    def list_deleted(self, principal: Principal) -> dict[str, Any]:
        """Deleted documents newest first, from their own index partition (at most ``SEARCH_SCAN_LIMIT``)."""
        principal.require("read")
        rows = [d.public() for d in self.repository.deleted(principal.company_id)]
        return {"deleted_documents": rows, "total": len(rows)}

    def _cascade(self, document: Document, *, deleted_at: str | None) -> int:
        """Flag the document's live chunks deleted (or bring back the ones its deletion took), 100 per request."""
        return self.repository.cascade_chunks(document, deleted_at)

    def _document_writes(self, stored: StoredDocument, *, deleted: bool) -> tuple[Document, list[WriteOp]]:
        """The document deleted (or restored), its counters: the writes, conditional on the version read."""
        previous = stored.document
        stamp = iso()
        updated = previous.model_copy(
            update={
                "deleted_at": stamp if deleted else None,
                "is_active": not deleted,
                "updated_at": stamp,
                "version": previous.version + 1,
            }
        )
        uow = self.unit_of_work()
        self.repository.replace(uow, previous.version, updated, stored.blob_key)
        delta = int(self.counted(updated)) - int(self.counted(previous))
        uow.extend(self._count_ops(previous.company_id, previous.agent_id, delta))
        return updated, uow.writes

    def delete(self, principal: Principal, document_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        stored = self._stored(principal.company_id, document_id)
        document = stored.document
        deleted, writes = self._document_writes(stored, deleted=True)
        writes += self.status_ops(document.company_id, [(document, deleted)])
        self._with_manifest(document.company_id, document.agent_id, hiding(documents={document.id}), writes)
        count = self._cascade(deleted, deleted_at=deleted.deleted_at)
        return {"message": "Document deleted successfully.", "document_id": document.id, "deleted_chunks_count": count}

    def restore(self, principal: Principal, document_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        stored = self._stored(principal.company_id, document_id, deleted=True)
        document = stored.document
        restored, writes = self._document_writes(stored, deleted=False)
        writes += self.status_ops(document.company_id, [(document, restored)])
        self._with_manifest(document.company_id, document.agent_id, showing(documents={document.id}), writes)
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
        found: list[StoredDocument] = []
        missing: list[str] = []
        for document_id in dict.fromkeys(ids):
            try:
                found.append(self._stored(principal.company_id, document_id))
            except NotFound:
                missing.append(document_id)
        if not found:
            raise NotFound("None of the documents was found.", details={"not_found": missing})
        by_agent: dict[str, list[StoredDocument]] = {}
        for stored in found:
            by_agent.setdefault(stored.document.agent_id, []).append(stored)
        deleted_docs: list[Document] = []
        for agent_id, group_all in by_agent.items():
            for start in range(0, len(group_all), 90):
                deleted_docs += self._delete_group(principal.company_id, agent_id, group_all[start : start + 90])
        chunks = sum(self._cascade(d, deleted_at=d.deleted_at) for d in deleted_docs)
        return {
            "message": f"{len(deleted_docs)} document(s) deleted successfully.",
            "deleted_documents_count": len(deleted_docs),
            "deleted_chunks_count": chunks,
            "document_ids": [d.id for d in deleted_docs],
            "not_found": missing,
        }

    def _delete_group(self, company_id: str, agent_id: str, group: list[StoredDocument]) -> list[Document]:
        """Up to 90 documents of one agent deleted with the manifest change and the counters: one transaction."""
        writes: list[WriteOp] = []
        changes: list[tuple[Document | None, Document]] = []
        for stored in group:
            deleted, document_writes = self._document_writes(stored, deleted=True)
            writes += document_writes[:1]  # the document itself; the agent's counter once for the group below
            changes.append((stored.document, deleted))
        gone = sum(self.counted(stored.document) for stored in group)
        writes += self._count_ops(company_id, agent_id, -gone) + self.status_ops(company_id, changes)
        self._with_manifest(company_id, agent_id, hiding(documents={s.document.id for s in group}), writes)
        return [new for _, new in changes]
