"""The agent index's object in S3 (format 2), read with the standard library only, for a fast cold start.

``MAGIC``, then length-prefixed zlib parts: a JSON header (the chunks' fields as columns, all but their
text; document frequencies; the vocabulary in term-id order), the little-endian arrays (the BM25 postings
as CSC: ``indptr`` per term, ``indices`` of chunks, ``data`` the float32 scores bm25s computed at build
time, unchanged; the UTF-8 offsets of each chunk's text), then the texts in blocks of ``BLOCK`` chunks.
Loading decompresses the header and the arrays; a text block only when one of its chunks is a hit
(:class:`BlockTexts`). Format 1 (a zip of bm25s's files, written before) is still read, through bm25s.
"""

from __future__ import annotations

import json
import sys
import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from knowrithm_core.knowledge.index import ChunkRef

FORMAT = 2
MAGIC = b"KWIDX2\n"
LEGACY_FORMAT = 1
BLOCK = 128
"""Chunk texts are compressed in blocks of this many chunks, each decompressed when one of its chunks is a hit."""
CACHED_BLOCKS = 64
ARRAYS = (("indptr", "I"), ("indices", "I"), ("data", "f"), ("offsets", "Q"))


@dataclass(frozen=True)
class Postings:
    """BM25 scores per (term, chunk) as CSC: the chunks of term ``t`` are ``indices[indptr[t]:indptr[t + 1]]``."""

    vocab: dict[str, int]
    indptr: array[int]
    indices: array[int]
    data: array[float]

    @classmethod
    def empty(cls) -> Postings:
        return cls({}, array("I", [0]), array("I"), array("f"))


class BlockTexts:
    """Chunk texts from zlib blocks of ``BLOCK`` chunks (``offsets``: UTF-8 byte offsets over all texts)."""

    def __init__(self, offsets: array[int], blocks: list[bytes]) -> None:
        self.offsets = offsets
        self.blocks = blocks
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _block(self, number: int) -> bytes:
        with self._lock:
            found = self._cache.get(number)
            if found is None:
                found = self._cache[number] = zlib.decompress(self.blocks[number])
                if len(self._cache) > CACHED_BLOCKS:
                    self._cache.popitem(last=False)
            return found

    def __getitem__(self, i: int) -> str:
        number = i // BLOCK
        base = self.offsets[number * BLOCK]
        return self._block(number)[self.offsets[i] - base : self.offsets[i + 1] - base].decode("utf-8")


class Refs(Sequence["ChunkRef"]):
    """The chunks' fields as columns; a :class:`ChunkRef` (its text decoded) is made when asked for."""

    def __init__(self, columns: dict[str, list[Any]], texts: Sequence[str] | BlockTexts) -> None:
        self.columns = columns
        self.texts = texts
        self.document_ids: list[str] = columns["document_id"]
        self.chunk_ids: list[str] = columns["chunk_id"]

    @classmethod
    def of(cls, refs: Sequence[ChunkRef]) -> Refs:
        if isinstance(refs, Refs):
            return refs
        names = [f.name for f in _ref_fields() if f.name != "content"]
        return cls({name: [getattr(r, name) for r in refs] for name in names}, [r.content for r in refs])

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @overload
    def __getitem__(self, position: int) -> ChunkRef: ...

    @overload
    def __getitem__(self, position: slice) -> list[ChunkRef]: ...

    def __getitem__(self, position: int | slice) -> ChunkRef | list[ChunkRef]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        from knowrithm_core.knowledge.index import ChunkRef

        i = range(len(self))[position]
        return ChunkRef(content=self.texts[i], **{name: values[i] for name, values in self.columns.items()})

    def __iter__(self) -> Iterator[ChunkRef]:
        return (self[i] for i in range(len(self)))


def _ref_fields() -> tuple[Any, ...]:
    from knowrithm_core.knowledge.index import ChunkRef

    return fields(ChunkRef)


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


def _text_blocks(refs: Refs) -> tuple[array[int], list[bytes]]:
    encoded = [refs.texts[i].encode("utf-8") for i in range(len(refs))]
    offsets = array("Q", [0])
    for text in encoded:
        offsets.append(offsets[-1] + len(text))
    blocks = [zlib.compress(b"".join(encoded[at : at + BLOCK]), 6) for at in range(0, len(encoded), BLOCK)]
    return offsets, blocks


def pack(refs: Refs, postings: Postings, document_frequency: dict[str, int]) -> bytes:
    """Format 2: ``MAGIC``, then length-prefixed zlib parts: the JSON header, the arrays, each text block."""
    offsets, blocks = _text_blocks(refs)
    arrays: dict[str, array[Any]] = {
        "indptr": postings.indptr,
        "indices": postings.indices,
        "data": postings.data,
        "offsets": offsets,
    }
    body = [_little(arrays[name]) for name, _ in ARRAYS]
    header = {
        "format": FORMAT,
        "columns": refs.columns,
        "df": document_frequency,
        "vocab": sorted(postings.vocab, key=postings.vocab.__getitem__),
        "sizes": [len(part) for part in body],
        "blocks": len(blocks),
    }
    parts = [zlib.compress(json.dumps(header, separators=(",", ":")).encode("utf-8"), 6)]
    parts.append(zlib.compress(b"".join(body), 6))
    return MAGIC + b"".join(len(part).to_bytes(8, "little") + part for part in [*parts, *blocks])


def _parts(blob: bytes) -> Iterator[bytes]:
    view, at = memoryview(blob), len(MAGIC)
    while at < len(blob):
        size = int.from_bytes(view[at : at + 8], "little")
        if at + 8 + size > len(blob):
            raise ValueError("the agent index object is truncated")
        yield blob[at + 8 : at + 8 + size]
        at += 8 + size


def unpack(blob: bytes) -> tuple[Refs, Postings, dict[str, int]]:
    """The chunks, postings and document frequencies of a format 2 object (or of a format 1 one)."""
    if blob[:2] == b"PK":
        return _unpack_legacy(blob)
    if not blob.startswith(MAGIC):
        raise ValueError("not an agent index object")
    parts = _parts(blob)
    try:
        header = json.loads(zlib.decompress(next(parts)))
        body, at = memoryview(zlib.decompress(next(parts))), 0
    except (zlib.error, StopIteration) as exc:
        raise ValueError("the agent index object is damaged") from exc
    arrays: dict[str, array[Any]] = {}
    for (name, typecode), size in zip(ARRAYS, header["sizes"], strict=True):
        arrays[name] = _array(typecode, body[at : at + size])
        at += size
    blocks = list(parts)
    if len(blocks) != header["blocks"]:
        raise ValueError("the agent index object is truncated")
    refs = Refs(header["columns"], BlockTexts(arrays["offsets"], blocks))
    vocab = {token: i for i, token in enumerate(header["vocab"])}
    return refs, Postings(vocab, arrays["indptr"], arrays["indices"], arrays["data"]), header["df"]


def from_bm25(retriever: Any) -> Postings:
    """The postings of a built ``bm25s.BM25`` (its precomputed float32 scores, unchanged)."""
    scores = retriever.scores
    return Postings(
        dict(retriever.vocab_dict),
        _array("I", scores["indptr"].astype("<u4").tobytes()),
        _array("I", scores["indices"].astype("<u4").tobytes()),
        _array("f", scores["data"].astype("<f4").tobytes()),
    )


def _unpack_legacy(blob: bytes) -> tuple[Refs, Postings, dict[str, int]]:
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
        refs = Refs.of([ChunkRef(**r) for r in meta["refs"]])
        if not len(refs):
            return refs, Postings.empty(), {}
        with tempfile.TemporaryDirectory() as folder:
            for name in [n for n in bundle.namelist() if n.startswith("bm25/")]:
                (Path(folder) / name.removeprefix("bm25/")).write_bytes(bundle.read(name))
            retriever = bm25s.BM25.load(folder)
    return refs, from_bm25(retriever), {k: int(v) for k, v in meta["df"].items()}


__all__ = ["FORMAT", "Postings", "Refs", "from_bm25", "pack", "unpack"]
