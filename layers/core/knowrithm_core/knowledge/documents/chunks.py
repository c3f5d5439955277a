"""The chunk routes: delete and restore one chunk or all of a document's, list deleted chunks."""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import BadRequest, NotFound
from knowrithm_core.ids import is_uuid, iso
from knowrithm_core.knowledge.documents.base import DocumentBase, hiding, showing
from knowrithm_core.knowledge.records import Document, deleted_chunks_gsi, load_chunk, load_document
from knowrithm_core.store import keys


class ChunksMixin(DocumentBase):
    """Soft delete and restore chunks, one or a document's."""

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
