"""The chunk routes: delete and restore one chunk or all of a document's, list deleted chunks."""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import BadRequest, NotFound
from knowrithm_core.ids import is_uuid, iso
from knowrithm_core.knowledge.records import Chunk, Document
from knowrithm_core.services.documents.base import DocumentBase, hiding, showing


class ChunksMixin(DocumentBase):
    """Soft delete and restore chunks, one or a document's."""

    def _chunk(self, principal: Principal, chunk_id: str) -> tuple[Chunk, Document]:
        found = self.repository.chunk(chunk_id) if is_uuid(chunk_id) else None
        if found is None or found.company_id != principal.company_id:
            raise NotFound("Chunk not found.")
        try:
            document = self._stored(principal.company_id, found.document_id).document
        except NotFound as exc:
            raise NotFound("Chunk not found (its document is deleted).") from exc
        return found, document

    def delete_chunk(self, principal: Principal, chunk_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        chunk, document = self._chunk(principal, chunk_id)
        if chunk.deleted_at:
            raise NotFound("Chunk not found.")
        op = self.repository.chunk_flag(chunk, iso())
        self._with_manifest(document.company_id, document.agent_id, hiding(chunks={chunk_id}), [op])
        return {"message": "Chunk deleted successfully.", "chunk_id": chunk_id, "document_id": document.id}

    def restore_chunk(self, principal: Principal, chunk_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        chunk, document = self._chunk(principal, chunk_id)
        if not chunk.deleted_at:
            raise BadRequest("The chunk is not deleted.")
        op = self.repository.chunk_flag(chunk, None)
        self._with_manifest(document.company_id, document.agent_id, showing(chunks={chunk_id}), [op])
        return {"message": "Chunk restored successfully.", "chunk_id": chunk_id, "document_id": document.id}

    def _set_chunks(self, principal: Principal, document_id: str, *, delete: bool) -> tuple[Document, int]:
        document = self._stored(principal.company_id, document_id).document
        flags = self.repository.own_chunk_flags(document, delete=delete, deleted_at=iso() if delete else None)
        if not flags:
            return document, 0
        ids = set(flags)
        ops = list(flags.values())
        change = hiding(chunks=ids) if delete else showing(chunks=ids)
        self._with_manifest(document.company_id, document.agent_id, change, ops[:99])
        for start in range(99, len(ops), 100):
            self.unit_of_work().extend(ops[start : start + 100]).commit()
        return document, len(flags)

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
        rows = [chunk.public() for chunk in self.repository.deleted_chunks(principal.company_id)]
        return {"deleted_chunks": rows, "total": len(rows)}
