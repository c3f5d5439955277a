"""The documents repository and the document services on the in-memory table: no moto, no AWS.

Reads return models, writes carry their conditions (a stale version or manifest revision writes nothing), list
pages come from the sparse indexes with totals from the write-time counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.errors import Conflict, NotFound
from knowrithm_core.ids import iso, new_id
from knowrithm_core.knowledge.fetch import PinnedFetcher
from knowrithm_core.knowledge.index import IndexCache
from knowrithm_core.knowledge.records import Chunk, Document, Manifest, chunk_id
from knowrithm_core.knowledge.search import KnowledgeSearch
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.documents import DocumentService, UploadedFile, UploadRequest
from knowrithm_core.services.ingest import IngestWorker
from knowrithm_core.services.providers import ProviderCatalogue
from knowrithm_core.store import keys, listings
from knowrithm_core.store.blobs import MemoryBlobs
from knowrithm_core.store.expressions import Put
from knowrithm_core.store.memory import MemoryTable
from knowrithm_core.store.repositories.documents import DocumentRepository
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork

COMPANY = new_id()


@dataclass
class ListQueue:
    """The ingest queue, in memory: what was sent."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, bodies: Sequence[dict[str, Any]]) -> None:
        self.sent.extend(bodies)

    def delay(self, receipt_handle: str, seconds: int) -> None:  # pragma: no cover - not used by uploads
        pass


def _document(agent_id: str = "a1", **fields: Any) -> Document:
    stamp = iso()
    values: dict[str, Any] = {
        "id": new_id(),
        "company_id": COMPANY,
        "agent_id": agent_id,
        "original_filename": "notes.txt",
        "filename": "notes.txt",
        "document_type": "txt",
        "created_at": stamp,
        "updated_at": stamp,
    }
    return Document.model_validate(values | fields)


def _chunk(document: Document, index: int) -> Chunk:
    stamp = iso()
    return Chunk(
        id=chunk_id(document.id, index),
        company_id=document.company_id,
        agent_id=document.agent_id,
        document_id=document.id,
        document_name=document.original_filename,
        chunk_index=index,
        content=f"chunk {index}",
        word_count=2,
        created_at=stamp,
        updated_at=stamp,
    )


def _added(repository: DocumentRepository, table: MemoryTable, *documents: Document) -> None:
    for document in documents:
        uow = UnitOfWork(table)
        repository.add(uow, document, f"documents/{document.id}")
        uow.commit()


# --- the repository ---------------------------------------------------------------------------------------
def test_a_document_round_trips_as_a_model_with_its_blob_key() -> None:
    # GIVEN an empty table and a new document
    table = MemoryTable()
    repository = DocumentRepository(table, task_ttl_days=7)
    document = _document()
    # WHEN it is added
    _added(repository, table, document)
    # THEN it reads back as the same model (no keys), with the S3 key of its file
    stored = repository.get(COMPANY, document.id)
    assert stored is not None and stored.document == document and stored.blob_key == f"documents/{document.id}"
    assert repository.get(COMPANY, new_id()) is None
    # AND it sits on its company's, status's and agent's list partitions
    item = table.get(keys.company_pk(COMPANY), keys.document_sk(document.id))
    assert item is not None
    assert (item["GSI2PK"], item["GSI3PK"], item["GSI4PK"]) == (
        keys.company_documents(COMPANY),
        keys.company_documents_by_status(COMPANY, "pending"),
        keys.agent_documents(COMPANY, "a1"),
    )


def test_adding_an_existing_id_or_replacing_a_stale_version_writes_nothing() -> None:
    # GIVEN a stored document
    table = MemoryTable()
    repository = DocumentRepository(table, task_ttl_days=7)
    document = _document()
    _added(repository, table, document)
    # WHEN the same id is added again
    # THEN the write conflicts
    with pytest.raises(TransactionConflict):
        _added(repository, table, document)
    # WHEN one writer moves it on and a second writes from the version both had read
    moved = document.model_copy(update={"status": "processing", "version": 2})
    uow = UnitOfWork(table)
    repository.replace(uow, 1, moved, None)
    uow.commit()
    stale = UnitOfWork(table)
    repository.replace(stale, 1, document.model_copy(update={"status": "failed", "version": 2}), None)
    with pytest.raises(TransactionConflict) as conflict:
        stale.commit()
    # THEN the second wrote nothing
    assert conflict.value.reasons == ["ConditionalCheckFailed"]
    stored = repository.get(COMPANY, document.id)
    assert stored is not None and stored.document.status == "processing"


def test_the_manifest_is_written_only_at_the_revision_read() -> None:
    # GIVEN no manifest yet (an empty one reads back)
    table = MemoryTable()
    repository = DocumentRepository(table, task_ttl_days=7)
    empty = repository.manifest(COMPANY, "a1")
    assert empty == Manifest(company_id=COMPANY, agent_id="a1")
    first = empty.model_copy(update={"revision": 1, "version": 1, "blob_key": "indexes/x"})
    uow = UnitOfWork(table)
    repository.save_manifest(uow, empty, first)
    uow.commit()
    assert repository.manifest(COMPANY, "a1") == first
    # WHEN a second writer still holds the empty read (or the first revision twice)
    for read in (empty, first):
        uow = UnitOfWork(table)
        repository.save_manifest(uow, read, read.model_copy(update={"revision": read.revision + 1}))
        if read is empty:
            # THEN the write from the stale read conflicts
            with pytest.raises(TransactionConflict):
                uow.commit()
        else:
            uow.commit()
    assert repository.manifest(COMPANY, "a1").revision == 2


def test_chunks_cascade_with_their_document_and_only_those_come_back() -> None:
    # GIVEN a document with three chunks, one deleted on its own
    table = MemoryTable()
    repository = DocumentRepository(table, task_ttl_days=7)
    document = _document()
    repository.put_chunks([_chunk(document, i) for i in range(3)])
    own = repository.chunk(chunk_id(document.id, 0))
    assert own is not None and own.chunk_index == 0
    UnitOfWork(table).add(repository.chunk_flag(own, iso())).commit()
    # WHEN the document's deletion takes the others, then its restore brings back what it took
    assert repository.cascade_chunks(document, iso()) == 2
    assert repository.live_chunks(document) == [] and len(repository.deleted_chunks(COMPANY)) == 3
    assert repository.cascade_chunks(document, None) == 2
    # THEN the chunk deleted on its own stays deleted until restored on its own
    assert [c.chunk_index for c in repository.live_chunks(document)] == [1, 2]
    flags = repository.own_chunk_flags(document, delete=False, deleted_at=None)
    assert list(flags) == [own.id]


def test_list_pages_read_the_index_and_follow_the_cursor() -> None:
    # GIVEN five documents of two agents, one of them awaiting its upload
    table = MemoryTable()
    repository = DocumentRepository(table, task_ttl_days=7)
    documents = [_document("a1") for _ in range(3)] + [_document("a2"), _document("a2", status="awaiting_upload")]
    _added(repository, table, *documents)
    newest_first = [d.id for d in reversed(documents)]
    # WHEN the company's list is read two per page
    first, pagination = repository.page(COMPANY, PageRequest(1, 2))
    second, _ = repository.page(COMPANY, PageRequest(1, 2), cursor=pagination["next_cursor"])
    # THEN the pages are newest first and the cursor goes on (no counters written: only the upload is counted)
    assert [d.id for d in first] == newest_first[:2] and [d.id for d in second] == newest_first[2:4]
    assert pagination["total"] == 1 and pagination["has_next"] is True
    # AND one agent's list and one status's list come from their own partitions
    mine, _ = repository.page(COMPANY, PageRequest(1, 10), agent_id="a2", agent_total=1)
    assert [d.id for d in mine] == newest_first[:2]
    waiting, waiting_page = repository.page(COMPANY, PageRequest(1, 10), status="awaiting_upload")
    assert [d.id for d in waiting] == [documents[-1].id] and waiting_page["total"] == 1
    both, _ = repository.page(COMPANY, PageRequest(1, 10), agent_id="a1", status="pending")
    assert [d.id for d in both] == newest_first[2:]


# --- the services, end to end on memory ----------------------------------------------------------------
@dataclass
class Kit:
    table: MemoryTable
    documents: DocumentService
    worker: IngestWorker
    queue: ListQueue
    principal: Principal
    agent_id: str


@pytest.fixture
def kit() -> Kit:
    table = MemoryTable()
    settings = Settings(table_name="memory")
    agents = AgentService(table, settings, ProviderCatalogue(settings))
    blobs, queue = MemoryBlobs(), ListQueue()
    search = KnowledgeSearch(table, settings, blobs, IndexCache(4))
    documents = DocumentService(agents, settings, search, blobs, queue)
    worker = IngestWorker(table, settings, blobs, PinnedFetcher(), search, documents)
    agent_id, stamp = new_id(), iso()
    agent = {"id": agent_id, "company_id": COMPANY, "name": "Helper", "created_at": stamp, "updated_at": stamp}
    index = listings.agent_index_keys(COMPANY, agent_id, "active", live=True)
    table.write([Put({"PK": keys.company_pk(COMPANY), "SK": f"AGENT#{agent_id}", **agent, **index})])
    principal = Principal("api_key", COMPANY, new_id(), frozenset({"full_access"}), "admin")
    return Kit(table, documents, worker, queue, principal, agent_id)


def _upload(kit: Kit, *texts: str) -> list[dict[str, Any]]:
    files = [UploadedFile(f"note{i}.txt", "text/plain", text.encode()) for i, text in enumerate(texts)]
    status, body = kit.documents.upload(kit.principal, UploadRequest(kit.agent_id, files))
    assert status == 200
    for message in kit.queue.sent:
        kit.worker.handle(message)
    kit.queue.sent.clear()
    documents: list[dict[str, Any]] = body["documents"]
    return documents


def _totals(kit: Kit) -> dict[str, Any]:
    return kit.table.get(keys.stats_pk(COMPANY), "TOTAL") or {}


def test_upload_ingest_search_delete_and_restore_on_memory(kit: Kit) -> None:
    # GIVEN two uploaded text files, ingested
    first, second = _upload(kit, "The kiln fires on Thursday.", "Glaze day is Friday.")
    # THEN both are completed, counted per status, listed newest first, and searchable
    listed = kit.documents.list_documents(kit.principal, {})
    assert [d["id"] for d in listed["documents"]] == [second["id"], first["id"]]
    assert {d["status"] for d in listed["documents"]} == {"completed"} and listed["total"] == 2
    assert _totals(kit)["documents"] == 2 and _totals(kit)["documents_status_completed"] == 2
    assert _totals(kit)["documents_status_pending"] == 0 and _totals(kit)["documents_status_processing"] == 0
    found = kit.documents.search(kit.principal, {"query": "kiln thursday"})
    assert [r["document_id"] for r in found["results"]] == [first["id"]]
    # WHEN the first is deleted
    kit.documents.delete(kit.principal, first["id"])
    # THEN search, the list and the counters drop it, and the deleted list has it
    assert kit.documents.search(kit.principal, {"query": "kiln thursday"})["results"] == []
    assert kit.documents.list_documents(kit.principal, {"status": "completed"})["total"] == 1
    deleted = kit.documents.list_deleted(kit.principal)["deleted_documents"]
    assert [d["id"] for d in deleted] == [first["id"]]
    assert len(kit.documents.list_deleted_chunks(kit.principal)["deleted_chunks"]) == 1
    # WHEN it is restored
    kit.documents.restore(kit.principal, first["id"])
    # THEN it is back everywhere
    agent_list = kit.documents.list_documents(kit.principal, {}, agent_id=kit.agent_id)
    assert agent_list["total"] == 2 and len(agent_list["documents"]) == 2
    by_query = kit.documents.list_documents(kit.principal, {"agent_id": kit.agent_id, "per_page": "1"})
    assert by_query["total"] == 2 and by_query["pagination"]["next_cursor"] and len(by_query["documents"]) == 1
    assert kit.documents.list_documents(kit.principal, {"agent_id": new_id()})["total"] == 0
    assert [r["document_id"] for r in kit.documents.search(kit.principal, {"query": "kiln"})["results"]] == [
        first["id"]
    ]


def test_a_second_delete_from_a_stale_read_conflicts_and_counts_nothing(kit: Kit, monkeypatch: Any) -> None:
    # GIVEN an ingested document and the stored state a racing delete read
    [document] = _upload(kit, "Studio opens at ten.")
    stale = kit.documents._stored(COMPANY, document["id"])
    kit.documents.delete(kit.principal, document["id"])
    # WHEN the second delete writes from that read
    monkeypatch.setattr(kit.documents, "_stored", lambda *args, **kwargs: stale)
    # THEN it conflicts and the counters stay at what the first left
    with pytest.raises(Conflict):
        kit.documents.delete(kit.principal, document["id"])
    assert _totals(kit)["documents"] == 0 and _totals(kit)["documents_status_completed"] == 0


def test_chunk_routes_hide_and_show_one_chunk_on_memory(kit: Kit) -> None:
    # GIVEN an ingested document
    [document] = _upload(kit, "Kiln day is Thursday.")
    [chunk] = kit.documents.get(kit.principal, document["id"])["document"]["chunks"]
    # WHEN its chunk is deleted on its own
    kit.documents.delete_chunk(kit.principal, chunk["id"])
    # THEN search stops returning it, and a second delete is a 404
    assert kit.documents.search(kit.principal, {"query": "kiln"})["results"] == []
    with pytest.raises(NotFound):
        kit.documents.delete_chunk(kit.principal, chunk["id"])
    # WHEN all of the document's own deletions are undone
    assert kit.documents.restore_chunks(kit.principal, document["id"])["restored_chunks_count"] == 1
    # THEN it is found again
    assert len(kit.documents.search(kit.principal, {"query": "kiln"})["results"]) == 1


class ContendedTable(MemoryTable):
    """A table where the next ``conflicts`` transactions touching the company totals are cancelled, as DynamoDB
    cancels one that meets a concurrent transaction on the same item."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts = 0

    def write(self, ops: Sequence[Any]) -> None:
        if self.conflicts and any(op.key == (keys.stats_pk(COMPANY), "TOTAL") for op in ops):
            self.conflicts -= 1
            raise TransactionConflict("cancelled", ["TransactionConflict" for _ in ops])
        super().write(ops)


def test_ingest_steps_commit_again_at_once_when_only_a_concurrent_counter_write_got_in_the_way() -> None:
    # GIVEN an uploaded document, and a table whose next transaction on the company totals is cancelled
    table = ContendedTable()
    settings = Settings(table_name="memory")
    agents = AgentService(table, settings, ProviderCatalogue(settings))
    blobs, queue = MemoryBlobs(), ListQueue()
    search = KnowledgeSearch(table, settings, blobs, IndexCache(4))
    documents = DocumentService(agents, settings, search, blobs, queue)
    worker = IngestWorker(table, settings, blobs, PinnedFetcher(), search, documents)
    agent_id, stamp = new_id(), iso()
    agent = {"id": agent_id, "company_id": COMPANY, "name": "Helper", "created_at": stamp, "updated_at": stamp}
    table.write([Put({"PK": keys.company_pk(COMPANY), "SK": f"AGENT#{agent_id}", **agent})])
    principal = Principal("api_key", COMPANY, new_id(), frozenset({"full_access"}), "admin")
    files = [UploadedFile("note.txt", "text/plain", b"Kiln day is Thursday.")]
    documents.upload(principal, UploadRequest(agent_id, files))
    table.conflicts = 2  # the start of processing and the finish each meet one
    # WHEN the worker handles it
    outcome = worker.handle(queue.sent[0])
    # THEN it completed on this delivery, counted once
    assert outcome == "completed" and table.conflicts == 0
    totals = table.get(keys.stats_pk(COMPANY), "TOTAL") or {}
    assert (totals["documents"], totals["documents_status_completed"], totals["documents_status_pending"]) == (1, 1, 0)
