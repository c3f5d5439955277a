"""One BM25 index per agent (bm25s, numpy only), serialized to one S3 object, cached per version.

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

import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowrithm_core.knowledge.text import tokens

if TYPE_CHECKING:
    import numpy as np

FORMAT = 1
BM25_FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "vocab.index.json")


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
    """An immutable BM25 index over an agent's chunks."""

    def __init__(self, refs: list[ChunkRef], retriever: Any, document_frequency: dict[str, int]) -> None:
        self.refs = refs
        self.retriever = retriever
        self.document_frequency = document_frequency
        self._positions_by_document: dict[str, list[int]] = {}
        self._position_of_chunk: dict[str, int] = {}
        for position, ref in enumerate(refs):
            self._positions_by_document.setdefault(ref.document_id, []).append(position)
            self._position_of_chunk[ref.chunk_id] = position
        self._masks: OrderedDict[tuple[tuple[str, ...], tuple[str, ...]], np.ndarray] = OrderedDict()

    # --- building and serializing -------------------------------------------------------
    @classmethod
    def build(cls, refs: Sequence[ChunkRef], tokenized: Sequence[list[str]] | None = None) -> AgentIndex:
        import bm25s

        corpus = [list(t) for t in tokenized] if tokenized is not None else [tokens(r.content) for r in refs]
        frequency: dict[str, int] = {}
        for chunk_tokens in corpus:
            for token in set(chunk_tokens):
                frequency[token] = frequency.get(token, 0) + 1
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
        retriever = bm25s.BM25(method="lucene", backend="numpy", csc_backend="numpy")
        if refs:
            retriever.index(corpus, show_progress=False)
        return cls(list(refs), retriever, frequency)

    def to_bytes(self) -> bytes:
        import io
        import tempfile
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bundle:
            meta = {"format": FORMAT, "refs": [asdict(r) for r in self.refs], "df": self.document_frequency}
            bundle.writestr("meta.json", json.dumps(meta, separators=(",", ":")))
            if self.refs:
                with tempfile.TemporaryDirectory() as folder:
                    self.retriever.save(folder)
                    for name in BM25_FILES + ("params.index.json",):
                        bundle.write(Path(folder) / name, f"bm25/{name}")
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> AgentIndex:
        import io
        import tempfile
        import zipfile

        import bm25s

        with zipfile.ZipFile(io.BytesIO(blob)) as bundle:
            meta = json.loads(bundle.read("meta.json"))
            if meta.get("format") != FORMAT:
                raise ValueError(f"index format {meta.get('format')} is not {FORMAT}")
            refs = [ChunkRef(**r) for r in meta["refs"]]
            if not refs:
                return cls([], bm25s.BM25(), {})
            with tempfile.TemporaryDirectory() as folder:
                for name in [n for n in bundle.namelist() if n.startswith("bm25/")]:
                    (Path(folder) / name.removeprefix("bm25/")).write_bytes(bundle.read(name))
                retriever = bm25s.BM25.load(folder)
        return cls(refs, retriever, {k: int(v) for k, v in meta["df"].items()})

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

    def _mask(self, hidden_documents: Iterable[str], hidden_chunks: Iterable[str]) -> np.ndarray | None:
        import numpy as np

        key = (tuple(sorted(hidden_documents)), tuple(sorted(hidden_chunks)))
        if not key[0] and not key[1]:
            return None
        if key in self._masks:
            self._masks.move_to_end(key)
            return self._masks[key]
        mask = np.ones(len(self.refs), dtype="float32")
        for document_id in key[0]:
            mask[self._positions_by_document.get(document_id, [])] = 0.0
        for chunk in key[1]:
            if chunk in self._position_of_chunk:
                mask[self._position_of_chunk[chunk]] = 0.0
        self._masks[key] = mask
        if len(self._masks) > 8:
            self._masks.popitem(last=False)
        return mask

    def search(
        self,
        query: str | Sequence[str],
        limit: int,
        *,
        hidden_documents: Iterable[str] = (),
        hidden_chunks: Iterable[str] = (),
    ) -> list[Scored]:
        """The ``limit`` best chunks with a positive score, best first (hidden ones never appear)."""
        import numpy as np

        query_tokens = tokens(query) if isinstance(query, str) else list(query)
        known = [t for t in dict.fromkeys(query_tokens) if t in self.retriever.vocab_dict] if self.refs else []
        if not known or limit < 1:
            return []
        scores = self.retriever.get_scores(known, weight_mask=self._mask(hidden_documents, hidden_chunks))
        count = min(limit, len(self.refs))
        top = np.argpartition(-scores, count - 1)[:count] if count < len(self.refs) else np.arange(len(self.refs))
        ranked = sorted((int(i) for i in top if scores[i] > 0), key=lambda i: (-float(scores[i]), i))
        terms = len(dict.fromkeys(query_tokens))
        return [
            Scored(self.refs[i], round(float(scores[i]), 4), *self.relevance(query_tokens, self.refs[i].content), terms)
            for i in ranked
        ]


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
