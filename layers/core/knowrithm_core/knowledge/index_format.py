"""The agent index's object in S3 (format 2), read with the standard library only, for a fast cold start.

``MAGIC``, then length-prefixed zlib parts: a JSON header (document frequencies, the vocabulary in term-id
order, how many blocks follow), ``indptr`` (where each term's postings start), the chunk and document ids
(for hiding chunks), then the BM25 postings in blocks of ``TERMS`` terms (CSC: the chunk positions, then
the float32 scores bm25s computed at build time, unchanged), then the chunks in blocks of ``BLOCK``
(JSON rows in :class:`ChunkRef` field order). Loading reads the header and ``indptr``; a search decompresses
only the blocks of its terms and of its hits, so the load does not grow with the number of chunks. Format 1
(a zip of bm25s's numpy files, written before) is still read, through bm25s.
"""

from __future__ import annotations

import json
import sys
import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import astuple
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from knowrithm_core.knowledge.index import ChunkRef

FORMAT = 2
MAGIC = b"KWIDX2\n"
LEGACY_FORMAT = 1
TERMS = 64
"""Terms per postings block."""
BLOCK = 128
"""Chunks per chunk block."""
CACHED_BLOCKS = 256


def _little(values: array[Any]) -> bytes:
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _array(typecode: str, raw: bytes | memoryview) -> array[Any]:
    values = array(typecode)
    values.frombytes(raw)
    if sys.byteorder == "big":
        values.byteswap()
    return values


class _Blocks:
    """zlib parts of one object, each decompressed on first use (the last ``CACHED_BLOCKS`` kept)."""

    def __init__(self, parts: list[memoryview]) -> None:
        self.parts = parts
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, number: int) -> bytes:
        with self._lock:
            found = self._cache.get(number)
            if found is None:
                try:
                    found = self._cache[number] = zlib.decompress(self.parts[number])
                except zlib.error as exc:
                    raise ValueError("the agent index object is damaged") from exc
                if len(self._cache) > CACHED_BLOCKS:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(number)
            return found


class Postings:
    """BM25 scores per (term, chunk) as CSC: term ``t``'s chunks are ``indices[indptr[t]:indptr[t + 1]]``."""

    def __init__(self, vocab: dict[str, int], indptr: array[int], block: Callable[[int], bytes] | None = None) -> None:
        self.vocab = vocab
        self.indptr = indptr
        self._block = block
        self.indices: array[int] = array("I")
        self.data: array[float] = array("f")

    @classmethod
    def of(cls, vocab: dict[str, int], indptr: array[int], indices: array[int], data: array[float]) -> Postings:
        postings = cls(vocab, indptr)
        postings.indices, postings.data = indices, data
        return postings

    @classmethod
    def empty(cls) -> Postings:
        return cls({}, array("I", [0]))

    def term(self, term_id: int) -> tuple[array[int], array[float]]:
        """The chunks that hold the term and the term's score in each."""
        start, end = self.indptr[term_id], self.indptr[term_id + 1]
        if self._block is None:
            return self.indices[start:end], self.data[start:end]
        first = self.indptr[term_id - term_id % TERMS]
        count = self.indptr[min(term_id - term_id % TERMS + TERMS, len(self.indptr) - 1)] - first
        raw = memoryview(self._block(term_id // TERMS))
        indices = _array("I", raw[4 * (start - first) : 4 * (end - first)])
        return indices, _array("f", raw[4 * (count + start - first) : 4 * (count + end - first)])

    def blocks(self) -> list[bytes]:
        terms = len(self.indptr) - 1
        out = []
        for first in range(0, terms, TERMS):
            pairs = [self.term(t) for t in range(first, min(first + TERMS, terms))]
            out.append(b"".join([*(_little(i) for i, _ in pairs), *(_little(d) for _, d in pairs)]))
        return out


class Refs(Sequence["ChunkRef"]):
    """The chunks, from blocks of ``BLOCK`` rows, each parsed when one of its chunks is asked for."""

    def __init__(self, count: int, block: Callable[[int], bytes], ids: Callable[[], bytes]) -> None:
        self.size = count
        self._block = block
        self._ids = ids

    def ids(self) -> tuple[list[str], list[str]]:
        """(chunk ids, document ids) in position order."""
        found = json.loads(self._ids())
        return found["chunk_id"], found["document_id"]

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, position: int) -> ChunkRef: ...

    @overload
    def __getitem__(self, position: slice) -> list[ChunkRef]: ...

    def __getitem__(self, position: int | slice) -> ChunkRef | list[ChunkRef]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        from knowrithm_core.knowledge.index import ChunkRef

        i = range(self.size)[position]
        return ChunkRef(*json.loads(self._block(i // BLOCK))[i % BLOCK])


def ids_of(refs: Sequence[ChunkRef]) -> tuple[list[str], list[str]]:
    """(chunk ids, document ids) of ``refs`` in position order, without reading a stored chunk's text."""
    if isinstance(refs, Refs):
        return refs.ids()
    return [r.chunk_id for r in refs], [r.document_id for r in refs]


def pack(refs: Sequence[ChunkRef], postings: Postings, document_frequency: dict[str, int]) -> bytes:
    """Format 2: see the module's docstring."""
    chunk_ids, document_ids = ids_of(refs)
    postings_blocks = postings.blocks()
    chunk_blocks = [
        json.dumps([astuple(r) for r in refs[at : at + BLOCK]], separators=(",", ":")).encode()
        for at in range(0, len(refs), BLOCK)
    ]
    header = {
        "format": FORMAT,
        "count": len(refs),
        "df": document_frequency,
        "vocab": sorted(postings.vocab, key=postings.vocab.__getitem__),
        "postings_blocks": len(postings_blocks),
        "chunk_blocks": len(chunk_blocks),
    }
    parts = [
        json.dumps(header, separators=(",", ":")).encode(),
        _little(postings.indptr),
        json.dumps({"chunk_id": chunk_ids, "document_id": document_ids}, separators=(",", ":")).encode(),
        *postings_blocks,
        *chunk_blocks,
    ]
    return MAGIC + b"".join(len(z).to_bytes(8, "little") + z for z in (zlib.compress(p, 6) for p in parts))


def _parts(blob: bytes) -> list[memoryview]:
    view, at, parts = memoryview(blob), len(MAGIC), []
    while at < len(blob):
        size = int.from_bytes(view[at : at + 8], "little")
        if at + 8 + size > len(blob):
            raise ValueError("the agent index object is truncated")
        parts.append(view[at + 8 : at + 8 + size])
        at += 8 + size
    return parts


def unpack(blob: bytes) -> tuple[Sequence[ChunkRef], Postings, dict[str, int]]:
    """The chunks, postings and document frequencies of a format 2 object (or of a format 1 one)."""
    if blob[:2] == b"PK":
        return _unpack_legacy(blob)
    if not blob.startswith(MAGIC):
        raise ValueError("not an agent index object")
    blocks = _Blocks(_parts(blob))
    if len(blocks.parts) < 3:
        raise ValueError("the agent index object is truncated")
    header = json.loads(blocks(0))
    if header.get("format") != FORMAT:
        raise ValueError(f"index format {header.get('format')} is not {FORMAT}")
    postings_count = header["postings_blocks"]
    if len(blocks.parts) != 3 + postings_count + header["chunk_blocks"]:
        raise ValueError("the agent index object is truncated")
    vocab = {token: i for i, token in enumerate(header["vocab"])}
    postings = Postings(vocab, _array("I", blocks(1)), lambda n: blocks(3 + n))
    refs = Refs(header["count"], lambda n: blocks(3 + postings_count + n), lambda: blocks(2))
    return refs, postings, header["df"]


def from_bm25(retriever: Any) -> Postings:
    """The postings of a built ``bm25s.BM25`` (its precomputed float32 scores, unchanged)."""
    scores = retriever.scores
    return Postings.of(
        dict(retriever.vocab_dict),
        _array("I", scores["indptr"].astype("<u4").tobytes()),
        _array("I", scores["indices"].astype("<u4").tobytes()),
        _array("f", scores["data"].astype("<f4").tobytes()),
    )


def _unpack_legacy(blob: bytes) -> tuple[list[ChunkRef], Postings, dict[str, int]]:
    """Format 1: a zip of ``meta.json`` (chunks, document frequencies) and bm25s's saved files."""
    import io
    import tempfile
    import zipfile
    from pathlib import Path

    import bm25s

    from knowrithm_core.knowledge.index import ChunkRef

    with zipfile.ZipFile(io.BytesIO(blob)) as bundle:
        meta = json.loads(bundle.read("meta.json"))
        if meta.get("format") != LEGACY_FORMAT:
            raise ValueError(f"index format {meta.get('format')} is not {FORMAT}")
        refs = [ChunkRef(**r) for r in meta["refs"]]
        if not refs:
            return refs, Postings.empty(), {}
        with tempfile.TemporaryDirectory() as folder:
            for name in [n for n in bundle.namelist() if n.startswith("bm25/")]:
                (Path(folder) / name.removeprefix("bm25/")).write_bytes(bundle.read(name))
            retriever = bm25s.BM25.load(folder)
    return refs, from_bm25(retriever), {k: int(v) for k, v in meta["df"].items()}


__all__ = ["FORMAT", "Postings", "Refs", "from_bm25", "ids_of", "pack", "unpack"]
