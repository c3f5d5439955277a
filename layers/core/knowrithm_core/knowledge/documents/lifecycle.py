"""Reading, listing, soft-deleting and restoring documents (one at a time or in bulk); a document's
chunks follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound, ValidationFailed
from knowrithm_core.ids import iso
from knowrithm_core.knowledge.documents.base import DocumentBase, hiding, showing
from knowrithm_core.knowledge.documents.requests import MAX_BULK_IDS, STATUSES
from knowrithm_core.knowledge.records import (
    STATUS_ALIASES,
    Document,
    deleted_chunks_gsi,
    document_item,
    load_chunk,
    load_document,
)
from knowrithm_core.pagination import PageRequest, paginate
from knowrithm_core.store.soft_delete import set_deleted


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
        principal.require("read")
        page = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=10)
        if agent_id is not None:
            self.agents.read(principal.company_id, agent_id)
        wanted = DocumentFilter.parse(query, agent_id)
        documents = [d for d in self._documents(principal.company_id) if wanted.matches(d)]
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
