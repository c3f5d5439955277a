"""Search over an agent's knowledge: one consistent GetItem of the manifest, then the cached index.

Used by ``POST /search/document`` and by the responders (through :class:`Retriever`). An agent with
no manifest has no knowledge base, which the responders tell apart from "nothing matched". A chat turn reads
the manifest with its agent (one query) and hands it over with :func:`manifest_known`, so it costs no GetItem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from knowrithm_core.config import Settings
from knowrithm_core.knowledge.index import AgentIndex, IndexCache, Scored
from knowrithm_core.knowledge.records import Manifest
from knowrithm_core.observability import logger as log
from knowrithm_core.store.blobs import BlobMissing, BlobStore
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.documents import DocumentRepository


@dataclass(frozen=True)
class Retrieved:
    """Hits of one search; ``indexed`` is false when the agent has no processed documents."""

    hits: list[Scored]
    indexed: bool
    chunk_count: int = 0


class Retriever(Protocol):
    def retrieve(self, company_id: str, agent_id: str, query: str | Sequence[str], limit: int = 5) -> Retrieved:
        """The best chunks for ``query`` (text, or tokens from :func:`knowrithm_core.knowledge.text.tokens`)."""
        ...


_KNOWN: ContextVar[Manifest | None] = ContextVar("knowledge_manifest", default=None)


@contextmanager
def manifest_known(manifest: Manifest) -> Iterator[None]:
    """Inside the block, searches of ``manifest``'s agent use it instead of reading it again (a chat turn read it
    with its agent, in the same consistent query)."""
    token = _KNOWN.set(manifest)
    try:
        yield
    finally:
        _KNOWN.reset(token)


Search = Callable[[Sequence[str], int], Retrieved]
"""Searches of one agent's knowledge within one chat turn: ``search(tokens, limit)``."""


def bind(retriever: Retriever, company_id: str, agent_id: str) -> Search:
    """``retriever`` bound to one agent for one turn: a :class:`KnowledgeSearch` reads the manifest once, however
    many searches the turn makes (the question alone, with its conversation, a description check)."""
    if isinstance(retriever, KnowledgeSearch):
        return retriever.bound(company_id, agent_id)
    return lambda query, limit: retriever.retrieve(company_id, agent_id, query, limit=limit)


class KnowledgeSearch:
    def __init__(self, table: Table, settings: Settings, blobs: BlobStore | None, cache: IndexCache) -> None:
        self.table = table
        self.repository = DocumentRepository(table, task_ttl_days=settings.event_ttl_days)
        self.settings = settings
        self.blobs = blobs
        self.cache = cache

    def manifest(self, company_id: str, agent_id: str) -> Manifest:
        """The agent's manifest: the one :func:`manifest_known` handed over, else one consistent GetItem."""
        known = _KNOWN.get()
        if known is not None and (known.company_id, known.agent_id) == (company_id, agent_id):
            return known
        return self.repository.manifest(company_id, agent_id)

    def index_for(self, manifest: Manifest) -> AgentIndex | None:
        """The manifest's index: from this process's cache, else loaded from S3 (then cached)."""
        if not manifest.blob_key or self.blobs is None:
            return None
        cached = self.cache.get(manifest.company_id, manifest.agent_id, manifest.version)
        if cached is not None:
            return cached
        try:
            index = AgentIndex.from_bytes(self.blobs.get(manifest.blob_key))
        except BlobMissing:
            log.warning("index object %s is missing", manifest.blob_key)
            return None
        self.cache.put(manifest.company_id, manifest.agent_id, manifest.version, index)
        return index

    def retrieve(self, company_id: str, agent_id: str, query: str | Sequence[str], limit: int = 5) -> Retrieved:
        return self.bound(company_id, agent_id)(query, limit)

    def bound(self, company_id: str, agent_id: str) -> Callable[[str | Sequence[str], int], Retrieved]:
        """Searches of the agent's current index, its manifest read once (one GetItem)."""
        manifest = self.manifest(company_id, agent_id)
        index = self.index_for(manifest)

        def search(query: str | Sequence[str], limit: int) -> Retrieved:
            if index is None:
                return Retrieved([], indexed=False)
            hidden_documents, hidden_chunks = manifest.hidden_documents, manifest.hidden_chunks
            hits = index.search(query, limit, hidden_documents=hidden_documents, hidden_chunks=hidden_chunks)
            return Retrieved(hits, indexed=True, chunk_count=len(index.refs))

        return search
