"""One BM25 index per agent (built with bm25s; searched with the standard library), serialized to one S3
object (:mod:`knowrithm_core.knowledge.index_format`), cached per version.

The index holds every chunk of the agent's processed documents, deleted ones included; the
manifest's hidden documents and chunks are masked out at query time (a zero weight), so a delete
or a restore takes effect on the next search without a rebuild. A build writes a new object and a
new manifest version; each process keeps the last ``INDEX_CACHE_SIZE`` indexes it loaded, keyed by
(company, agent) and checked against the manifest's version on every search.

``relevance`` of a hit is the idf-weighted share of the query's terms that the chunk contains
(0..1, unknown terms count as the rarest); it is comparable across agents and corpora, unlike the
raw BM25 score. :meth:`Scored.answers` is the responder's test: relevance at least the threshold
and, for a question of two or more terms, at least two of them in the chunk (one shared word, such
as "number" in "what is your phone number?", is not an answer).
"""

from __future__ import annotations

import heapq
import logging
import math
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowrithm_core.knowledge.index_format import FORMAT, Postings, from_bm25, ids_of, pack, unpack
from knowrithm_core.knowledge.text import tokens

__all__ = ["FORMAT", "AgentIndex", "ChunkRef", "IndexCache", "Scored"]


@dataclass(frozen=True)
class ChunkRef:
    """What a search hit reports about a chunk (kept in the index, so a search reads nothing else)."""

    chunk_id: str
    document_id: str
    document_name: str
    chunk_index: int
    content: str
    word_count: int
    page: int = 1
    source_url: str | None = None
    created_at: str | None = None


@dataclass(frozen=True)
class Scored:
    ref: ChunkRef
    score: float
    relevance: float
    matched_terms: int = 0
    query_terms: int = 0

    def answers(self, min_relevance: float) -> bool:
        """Relevant enough to answer from: the threshold, and two shared terms unless the query has one."""
        return self.relevance >= min_relevance and self.matched_terms >= min(2, self.query_terms)


class AgentIndex:
    """An immutable BM25 index over an agent's chunks (scored with the standard library: no numpy to load)."""

    def __init__(self, refs: Sequence[ChunkRef], postings: Postings, document_frequency: dict[str, int]) -> None:
        self.refs = refs
        self.postings = postings
        self.document_frequency = document_frequency
        self._ids: tuple[list[str], dict[str, list[int]]] | None = None
        self._hidden: OrderedDict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[int]] = OrderedDict()

    # --- building and serializing -------------------------------------------------------
    @classmethod
    def build(cls, refs: Sequence[ChunkRef], tokenized: Sequence[list[str]] | None = None) -> AgentIndex:
        """bm25s (lucene BM25) computes each (term, chunk) score once, here; a search only adds them up."""
        import bm25s

        corpus = [list(t) for t in tokenized] if tokenized is not None else [tokens(r.content) for r in refs]
        frequency: dict[str, int] = {}
        for chunk_tokens in corpus:
            for token in set(chunk_tokens):
                frequency[token] = frequency.get(token, 0) + 1
        if not refs:
            return cls([], Postings.empty(), frequency)
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
        retriever = bm25s.BM25(method="lucene", backend="numpy", csc_backend="numpy")
        retriever.index(corpus, show_progress=False)
        return cls(list(refs), from_bm25(retriever), frequency)

    def to_bytes(self) -> bytes:
        return pack(self.refs, self.postings, self.document_frequency)

    @classmethod
    def from_bytes(cls, blob: bytes) -> AgentIndex:
        return cls(*unpack(blob))

    # --- searching ----------------------------------------------------------------------
    def idf(self, token: str) -> float:
        """Lucene's idf; a term no chunk has counts as the rarest possible (df = 0)."""
        total = len(self.refs)
        df = self.document_frequency.get(token, 0)
        return math.log(1 + (total - df + 0.5) / (df + 0.5))

    def relevance(self, query: Sequence[str], content: str) -> tuple[float, int]:
        """(idf-weighted share of the query's terms in ``content``, how many of its terms are there)."""
        unique = list(dict.fromkeys(query))
        if not unique:
            return 0.0, 0
        present = set(tokens(content))
        weights = {t: self.idf(t) for t in unique}
        total = sum(weights.values())
        matched = [t for t in unique if t in present]
        share = round(sum(weights[t] for t in matched) / total, 4) if total else 0.0
        return share, len(matched)

    def _hidden_positions(self, hidden_documents: Iterable[str], hidden_chunks: Iterable[str]) -> frozenset[int]:
        key = (tuple(sorted(hidden_documents)), tuple(sorted(hidden_chunks)))
        if not key[0] and not key[1]:
            return frozenset()
        if key in self._hidden:
            self._hidden.move_to_end(key)
            return self._hidden[key]
        if self._ids is None:
            chunk_ids, document_ids = ids_of(self.refs)
            by_document: dict[str, list[int]] = {}
            for position, document_id in enumerate(document_ids):
                by_document.setdefault(document_id, []).append(position)
            self._ids = chunk_ids, by_document
        chunk_ids, by_document = self._ids
        chunks = set(key[1])
        hidden = {p for d in key[0] for p in by_document.get(d, [])}
        hidden.update(p for p, chunk in enumerate(chunk_ids) if chunk in chunks)
        self._hidden[key] = frozenset(hidden)
        if len(self._hidden) > 8:
            self._hidden.popitem(last=False)
        return self._hidden[key]

    def scores(self, terms: Sequence[str]) -> dict[int, float]:
        """Each chunk's BM25 score for ``terms`` (known, distinct), as bm25s sums them: in float32, term by term."""
        totals = array("f", bytes(4 * len(self.refs)))
        touched: set[int] = set()
        for term in terms:
            chunks, term_scores = self.postings.term(self.postings.vocab[term])
            touched.update(chunks)
            for chunk, score in zip(chunks, term_scores, strict=True):
                totals[chunk] += score  # stored as float32, like numpy's float32 add
        return {chunk: totals[chunk] for chunk in touched}

    def search(
        self,
        query: str | Sequence[str],
        limit: int,
        *,
        hidden_documents: Iterable[str] = (),
        hidden_chunks: Iterable[str] = (),
    ) -> list[Scored]:
        """The ``limit`` best chunks with a positive score, best first (hidden ones never appear)."""
        query_tokens = tokens(query) if isinstance(query, str) else list(query)
        known = [t for t in dict.fromkeys(query_tokens) if t in self.postings.vocab]
        if not known or limit < 1:
            return []
        hidden = self._hidden_positions(hidden_documents, hidden_chunks)
        scores = self.scores(known)
        candidates = [i for i, score in scores.items() if score > 0 and i not in hidden]
        ranked = heapq.nsmallest(limit, candidates, key=lambda i: (-scores[i], i))
        terms = len(dict.fromkeys(query_tokens))
        hits = []
        for i in ranked:
            ref = self.refs[i]
            hits.append(Scored(ref, round(scores[i], 4), *self.relevance(query_tokens, ref.content), terms))
        return hits


class IndexCache:
    """The indexes this process has loaded, by (company, agent), each with the version it is."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._items: OrderedDict[tuple[str, str], tuple[int, AgentIndex]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, company_id: str, agent_id: str, version: int) -> AgentIndex | None:
        with self._lock:
            found = self._items.get((company_id, agent_id))
            if found is None or found[0] != version:
                return None
            self._items.move_to_end((company_id, agent_id))
            return found[1]

    def put(self, company_id: str, agent_id: str, version: int, index: AgentIndex) -> None:
        with self._lock:
            current = self._items.get((company_id, agent_id))
            if current is not None and current[0] > version:
                return  # never replace a newer build with an older one
            self._items[(company_id, agent_id)] = (version, index)
            self._items.move_to_end((company_id, agent_id))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
