"""The agent index's S3 object (format 2): what is loaded searches exactly like what was built, and format 1
objects written before still load."""

from __future__ import annotations

import io
import json
import random
import tempfile
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest

from knowrithm_core.knowledge.index import AgentIndex, ChunkRef
from knowrithm_core.knowledge.index_format import BLOCK, MAGIC
from knowrithm_core.knowledge.text import tokens

WORDS = [
    *("mug", "kiln", "glaze", "clay", "ship", "return", "refund", "zanzibar"),
    *("sunday", "hour", "caf\u00e9", "na\u00efve", "47", "days", "order", "track"),
]


def corpus(count: int, seed: int = 5) -> list[ChunkRef]:
    rng = random.Random(seed)
    return [
        ChunkRef(
            f"c{i}", f"d{i // 7}", f"doc-{i // 7}.md", i % 7, " ".join(rng.choices(WORDS, k=rng.randint(3, 40))) + ".",
            40, page=1 + i % 3, source_url=f"https://example.com/{i}" if i % 5 == 0 else None,
        )
        for i in range(count)
    ]  # fmt: skip


def results(index: AgentIndex, **hidden: list[str]) -> list[list[tuple[str, float, float, int]]]:
    rng = random.Random(9)
    queries = [" ".join(rng.choices(WORDS, k=rng.randint(1, 5))) for _ in range(60)]
    return [
        [(h.ref.chunk_id, h.score, h.relevance, h.matched_terms) for h in index.search(q, 8, **hidden)] for q in queries
    ]


def legacy_object(index: AgentIndex, refs: list[ChunkRef]) -> bytes:
    """A format 1 object, as ``AgentIndex.to_bytes`` wrote it before format 2: a zip of meta.json and bm25s's files."""
    import bm25s

    retriever = bm25s.BM25(method="lucene", backend="numpy", csc_backend="numpy")
    retriever.index([tokens(r.content) for r in refs], show_progress=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle, tempfile.TemporaryDirectory() as folder:
        meta = {"format": 1, "refs": [asdict(r) for r in refs], "df": index.document_frequency}
        bundle.writestr("meta.json", json.dumps(meta))
        retriever.save(folder)
        for path in Path(folder).iterdir():
            bundle.write(path, f"bm25/{path.name}")
    return buffer.getvalue()


def test_a_loaded_index_has_the_same_chunks_and_searches_exactly_alike() -> None:
    # GIVEN an index over more chunks than one text block holds (non-ASCII text included)
    refs = corpus(BLOCK * 2 + 17)
    built = AgentIndex.build(refs)
    # WHEN it is serialized and loaded
    blob = built.to_bytes()
    loaded = AgentIndex.from_bytes(blob)
    # THEN it is a format 2 object with every chunk intact, and every search gives the same hits and scores
    assert blob.startswith(MAGIC)
    assert list(loaded.refs) == refs and loaded.refs[-1] == refs[-1] and loaded.refs[3:5] == refs[3:5]
    assert results(loaded) == results(built)
    hidden = {"hidden_documents": ["d2", "d9"], "hidden_chunks": ["c1", "c40", "c41"]}
    assert results(loaded, **hidden) == results(built, **hidden)
    assert not {h[0] for hits in results(loaded, **hidden) for h in hits} & {"c1", "c40", "c41", "c14", "c63"}


def test_scores_are_bm25s_float32_scores() -> None:
    import bm25s

    # GIVEN the chunks indexed by bm25s directly (lucene BM25, float32)
    refs = corpus(120)
    retriever = bm25s.BM25(method="lucene", backend="numpy", csc_backend="numpy")
    retriever.index([tokens(r.content) for r in refs], show_progress=False)
    index = AgentIndex.from_bytes(AgentIndex.build(refs).to_bytes())
    for query in (["mug", "kiln"], ["zanzibar", "sunday", "hour", "return"], ["caf\u00e9"]):
        # WHEN the loaded index scores a query (no numpy involved)
        ours = index.scores(query)
        theirs = retriever.get_scores(query)
        # THEN every chunk's score is bm25s's, bit for bit
        assert {i: theirs[i] for i in range(len(refs)) if theirs[i]} == {i: s for i, s in ours.items() if s}


def test_ties_rank_by_position_and_the_limit_holds() -> None:
    refs = [ChunkRef(f"c{i}", "d", "same.md", i, "glaze kiln firing", 3) for i in range(12)]
    hits = AgentIndex.build(refs).search("glaze", 5)
    assert [h.ref.chunk_id for h in hits] == ["c0", "c1", "c2", "c3", "c4"]
    assert len({h.score for h in hits}) == 1


def test_an_object_written_in_format_1_still_loads_and_searches_alike() -> None:
    # GIVEN an index object an earlier version wrote (format 1)
    refs = corpus(90)
    built = AgentIndex.build(refs)
    legacy = legacy_object(built, refs)
    # WHEN it is loaded THEN it searches exactly like a fresh build, and re-serializes as format 2
    loaded = AgentIndex.from_bytes(legacy)
    assert list(loaded.refs) == refs and results(loaded) == results(built)
    assert AgentIndex.from_bytes(loaded.to_bytes()).refs[7] == refs[7]


def test_an_empty_index_loads_and_finds_nothing() -> None:
    loaded = AgentIndex.from_bytes(AgentIndex.build([]).to_bytes())
    assert len(loaded.refs) == 0 and loaded.search("mug", 5) == []


@pytest.mark.parametrize("damage", [lambda b: b[:-10], lambda b: b"KWIDX9\n" + b[7:], lambda b: b"not an index"])
def test_a_damaged_object_is_refused(damage: object) -> None:
    blob = AgentIndex.build(corpus(BLOCK + 3)).to_bytes()
    with pytest.raises(ValueError):
        AgentIndex.from_bytes(damage(blob))  # type: ignore[operator]
