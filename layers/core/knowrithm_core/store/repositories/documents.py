"""Documents, their chunks, their ingest task records and the agents' index manifests (layout: :mod:`..keys`).

- document:  ``COMPANY#c / DOC#d``, on its list pages through sparse indexes (:func:`listings.document_index_keys`)
- chunk:     ``COMPANY#c#AGENT#a#CHUNKS / DOC#d#CHUNK#000042`` (GSI1 ``CHUNK#k``; GSI3 ``COMPANY#c#DELETED_CHUNKS``
             while deleted): one query returns an agent's chunks (an index rebuild) or, by prefix, a document's
- manifest:  ``COMPANY#c / AGENT#a#KINDEX``: the agent's index (S3 key, version) and what search must not return; its
             ``revision`` is the optimistic-concurrency token of every change
- task:      ``COMPANY#c / TASK#t`` (GSI1 ``TASK#t``), the ingest task record ``GET /tasks/{id}/status`` reads

Every document write is a whole-item Put conditional on what the writer read (new, or the same ``version``), so
the sparse index attributes always follow the status and the deleted flag.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from knowrithm_core.models.knowledge import Chunk, Document, Manifest
from knowrithm_core.models.resources import Task
from knowrithm_core.pagination import PageRequest
from knowrithm_core.store import keys, listings
from knowrithm_core.store.expressions import Put, Update, eq, missing
from knowrithm_core.store.keys import strip_keys
from knowrithm_core.store.pages import SEARCH_SCAN_LIMIT, count_bounded, read_page, search_page
from knowrithm_core.store.port import Item, Table
from knowrithm_core.store.repositories.tasks import TaskRepository
from knowrithm_core.store.soft_delete import flag_op, set_deleted
from knowrithm_core.store.unit_of_work import UnitOfWork

AWAITING_UPLOAD = "awaiting_upload"


@dataclass(frozen=True)
class StoredDocument:
    """A document as stored, with the S3 key of its file (None for a URL not fetched yet)."""

    document: Document
    blob_key: str | None


def document_item(document: Document, blob: str | None, *, expires_at_epoch: int | None = None) -> Item:
    item: Item = {
        "PK": keys.company_pk(document.company_id),
        "SK": keys.document_sk(document.id),
        "_type": "document",
        **document.model_dump(mode="json"),
        **listings.document_index_keys(
            document.company_id, document.id, document.agent_id, document.status, live=not document.deleted_at
        ),
    }
    if blob:
        item["_blob_key"] = blob
    if expires_at_epoch is not None:
        item["expires_at_epoch"] = expires_at_epoch
    return item


def chunk_item(chunk: Chunk, *, cascade: bool = False) -> Item:
    item: Item = {
        "PK": keys.agent_chunks(chunk.company_id, chunk.agent_id),
        "SK": keys.chunk_sk(chunk.document_id, chunk.chunk_index),
        "GSI1PK": keys.global_id("CHUNK", chunk.id),
        "GSI1SK": "CHUNK",
        "_type": "chunk",
        **chunk.model_dump(mode="json"),
    }
    if chunk.deleted_at:
        item |= {"GSI3PK": keys.deleted_chunks(chunk.company_id), "GSI3SK": chunk.id, "_cascade": cascade}
    return item


def manifest_item(manifest: Manifest) -> Item:
    return {
        "PK": keys.company_pk(manifest.company_id),
        "SK": keys.knowledge_index_sk(manifest.agent_id),
        "_type": "knowledge_index",
        **manifest.model_dump(mode="json"),
    }


def manifest_from(item: Item | None, company_id: str, agent_id: str) -> Manifest:
    """The manifest in ``item``; an empty one (revision 0) when the agent has none."""
    if not item:
        return Manifest(company_id=company_id, agent_id=agent_id)
    return Manifest.model_validate(strip_keys(item))


def load_document(item: Item) -> Document:
    return Document.model_validate(strip_keys(item))


def load_chunk(item: Item) -> Chunk:
    return Chunk.model_validate(strip_keys(item))


def _chunk_key(chunk: Chunk) -> Item:
    return {
        "PK": keys.agent_chunks(chunk.company_id, chunk.agent_id),
        "SK": keys.chunk_sk(chunk.document_id, chunk.chunk_index),
        "id": chunk.id,
    }


class DocumentRepository:
    def __init__(self, table: Table, *, task_ttl_days: int) -> None:
        self.table = table
        self.task_ttl_days = task_ttl_days
        self.tasks = TaskRepository(table, ttl_days=task_ttl_days)

    # --- documents ------------------------------------------------------------------------------------
    def get(self, company_id: str, document_id: str) -> StoredDocument | None:
        """One consistent GetItem."""
        item = self.table.get(keys.company_pk(company_id), keys.document_sk(document_id))
        if item is None:
            return None
        blob = item.get("_blob_key")
        return StoredDocument(load_document(item), str(blob) if blob else None)

    def all(self, company_id: str) -> list[Document]:
        """Every document of the company (deleted ones too), oldest first: one query (paged)."""
        return [load_document(i) for i in self.table.query(keys.company_pk(company_id), sk_prefix="DOC#")]

    def add(
        self, uow: UnitOfWork, document: Document, blob: str | None, *, expires_at_epoch: int | None = None
    ) -> None:
        """A new document (the write fails if the id exists)."""
        uow.add(Put(document_item(document, blob, expires_at_epoch=expires_at_epoch), when=missing()))

    def replace(self, uow: UnitOfWork, previous_version: int, document: Document, blob: str | None) -> None:
        """The document as changed by its writer, if it is still at the version the writer read."""
        uow.add(Put(document_item(document, blob), when=eq("version", previous_version)))

    def task_write(self, task: Task) -> Put:
        """The document's ingest task record (``GET /tasks/{task_id}/status``), kept ``task_ttl_days``."""
        return self.tasks.record(task)

    # --- list pages -----------------------------------------------------------------------------------
    def page(
        self,
        company_id: str,
        request: PageRequest,
        *,
        agent_id: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
        agent_total: int = 0,
        keep: Callable[[Document], bool] | None = None,
    ) -> tuple[list[Document], dict[str, Any]]:
        """Live documents newest first: one Query of ``per_page + 1`` on the list's index, the total from the
        counters (``agent_total``: the agent's own ``documents`` counter). With ``keep``, or both an agent and a
        status, the newest ``SEARCH_SCAN_LIMIT`` of the list are filtered instead (bounded, no cursor)."""
        listing = listings.documents(company_id, agent_id=agent_id, status=status)
        if keep is not None or (agent_id and status):

            def matches(item: Item) -> bool:
                wanted = not agent_id or item.get("agent_id") == agent_id
                return wanted and (keep is None or keep(load_document(item)))

            page = search_page(self.table, listing, request, matches)
        else:
            total = self._total(company_id, agent_id=agent_id, status=status, agent_total=agent_total)
            page = read_page(self.table, listing, request, total=total, cursor=cursor)
        return [load_document(i) for i in page.items], page.pagination

    def _total(self, company_id: str, *, agent_id: str | None, status: str | None, agent_total: int) -> int:
        """A list's total: the write-time counters, plus the documents awaiting their upload (never counted, as
        their records may expire unseen: counted on their own small partition, at most ``SEARCH_SCAN_LIMIT``)."""
        if status == AWAITING_UPLOAD:
            return count_bounded(self.table, listings.documents(company_id, status=AWAITING_UPLOAD))
        if status:
            return listings.company_total(self.table, company_id, f"documents_status_{status}")
        if agent_id:
            return max(agent_total, 0) + self._awaiting(company_id, agent_id)
        counted = listings.company_total(self.table, company_id, "documents")
        return counted + count_bounded(self.table, listings.documents(company_id, status=AWAITING_UPLOAD))

    def _awaiting(self, company_id: str, agent_id: str) -> int:
        listing = listings.documents(company_id, status=AWAITING_UPLOAD)
        items = self.table.query(listing.pk, index=listing.index, sk_prefix="DOC#", limit=SEARCH_SCAN_LIMIT)
        return sum(1 for item in items if item.get("agent_id") == agent_id)

    def deleted(self, company_id: str) -> list[Document]:
        """Deleted documents newest first, from their own index partition (at most ``SEARCH_SCAN_LIMIT``)."""
        listing = listings.deleted_documents(company_id)
        page = search_page(self.table, listing, PageRequest(1, SEARCH_SCAN_LIMIT), lambda i: bool(i.get("deleted_at")))
        return [load_document(i) for i in page.items]

    def live_agent_ids(self, company_id: str) -> list[str]:
        """The company's live agents, oldest first (their list partition, at most ``SEARCH_SCAN_LIMIT``): what
        search spans."""
        page = search_page(self.table, listings.agents(company_id), PageRequest(1, SEARCH_SCAN_LIMIT), lambda i: True)
        return [str(i["id"]) for i in reversed(page.items)]

    # --- chunks ---------------------------------------------------------------------------------------
    def _chunk_items(self, document: Document) -> list[Item]:
        pk = keys.agent_chunks(document.company_id, document.agent_id)
        return self.table.query(pk, sk_prefix=f"{keys.document_sk(document.id)}#")

    def live_chunks(self, document: Document) -> list[Chunk]:
        return [load_chunk(i) for i in self._chunk_items(document) if not i.get("deleted_at")]

    def chunk(self, chunk_id: str) -> Chunk | None:
        """A chunk by id alone (GSI1); the caller checks its company."""
        found = self.table.query(keys.global_id("CHUNK", chunk_id), index=keys.GSI1, limit=1)
        return load_chunk(found[0]) if found else None

    def chunk_flag(self, chunk: Chunk, deleted_at: str | None) -> Update:
        """The write soft-deleting one chunk on its own (or restoring it when ``deleted_at`` is None)."""
        index = keys.deleted_chunks(chunk.company_id)
        return flag_op(_chunk_key(chunk), deleted_at, deleted_index=index, cascade=False)

    def own_chunk_flags(self, document: Document, *, delete: bool, deleted_at: str | None) -> dict[str, Update]:
        """By chunk id, the writes deleting the document's live chunks one by one (``delete``) or restoring the
        ones deleted on their own (not by the document's deletion)."""
        items = self._chunk_items(document)
        if delete:
            targets = [i for i in items if not i.get("deleted_at")]
        else:
            targets = [i for i in items if i.get("deleted_at") and not i.get("_cascade")]
        index = keys.deleted_chunks(document.company_id)
        return {str(i["id"]): flag_op(i, deleted_at, deleted_index=index, cascade=False) for i in targets}

    def cascade_chunks(self, document: Document, deleted_at: str | None) -> int:
        """Flag the document's live chunks deleted with it (or bring back the ones its deletion took), 100 per
        request, at once; how many changed."""
        index = keys.deleted_chunks(document.company_id)
        return set_deleted(self.table, self._chunk_items(document), deleted_at, deleted_index=index, only_cascade=True)

    def deleted_chunks(self, company_id: str) -> list[Chunk]:
        """The company's soft-deleted chunks (their own index partition, at most ``SEARCH_SCAN_LIMIT``)."""
        listing = listings.deleted_chunks(company_id)
        page = search_page(self.table, listing, PageRequest(1, SEARCH_SCAN_LIMIT), lambda i: True)
        return [load_chunk(i) for i in page.items]

    def put_chunks(self, chunks: Sequence[Chunk]) -> None:
        """Batch puts, not a transaction: chunk ids are stable (a retry rewrites the same items), and search sees
        them only once a manifest points the agent's index at them."""
        self.table.batch_put([chunk_item(chunk) for chunk in chunks])

    def chunks_around(self, company_id: str, agent_id: str, document_id: str) -> tuple[list[Chunk], list[Chunk]]:
        """The agent's chunks before and after one document's range, in key order (two queries)."""
        pk, own = keys.agent_chunks(company_id, agent_id), keys.document_sk(document_id)
        before = self.table.query(pk, sk_between=("DOC#", f"{own}#"))
        after = self.table.query(pk, sk_between=(f"{own}#~", "DOC#~"))
        return [load_chunk(i) for i in before], [load_chunk(i) for i in after]

    # --- the agent's index manifest -------------------------------------------------------------------
    def manifest(self, company_id: str, agent_id: str) -> Manifest:
        """One consistent GetItem; an agent with no manifest gets an empty one (revision 0)."""
        item = self.table.get(keys.company_pk(company_id), keys.knowledge_index_sk(agent_id))
        return manifest_from(item, company_id, agent_id)

    def save_manifest(self, uow: UnitOfWork, read: Manifest, updated: Manifest) -> None:
        """``updated``, if the manifest is still at the revision ``read`` had (or still missing)."""
        when = eq("revision", read.revision) if read.revision else missing()
        uow.add(Put(manifest_item(updated), when=when))
