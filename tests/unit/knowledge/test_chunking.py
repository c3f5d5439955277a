"""Chunks respect the size, overlap by whole sentences, break at paragraphs, and remember their page."""

from __future__ import annotations

from knowrithm_core.knowledge.chunking import MIN_SIZE, chunk_pages, clamp


def _sentences(count: int) -> str:
    return " ".join(f"Sentence number {i} talks about topic {i}." for i in range(count))


def test_short_text_is_one_chunk() -> None:
    chunks = chunk_pages(["One short paragraph."], size=500, overlap=50)
    assert [(c.index, c.content, c.page) for c in chunks] == [(0, "One short paragraph.", 1)]


def test_chunks_stay_within_size_and_overlap_by_whole_sentences() -> None:
    # GIVEN 60 sentences of about 40 characters
    text = _sentences(60)
    # WHEN chunked at 300 characters with 80 of overlap
    chunks = chunk_pages([text], size=300, overlap=80)
    # THEN no chunk is over the size, every sentence survives, and neighbours share whole sentences
    assert len(chunks) > 5 and all(len(c.content) <= 300 for c in chunks)
    assert all(f"topic {i}." in " ".join(c.content for c in chunks) for i in range(60))
    for left, right in zip(chunks, chunks[1:], strict=False):
        first_of_right = right.content.split(". ")[0] + "."
        assert first_of_right in left.content
        assert right.content.endswith(".") and right.content[0].isupper()


def test_no_overlap_means_no_repeated_sentences() -> None:
    chunks = chunk_pages([_sentences(30)], size=200, overlap=0)
    joined = " ".join(c.content for c in chunks)
    assert joined.count("topic 7.") == 1


def test_paragraphs_are_kept_apart_and_pages_remembered() -> None:
    pages = ["Intro paragraph.\n\nSecond paragraph on page one.", "Page two opens here. " + _sentences(20)]
    chunks = chunk_pages(pages, size=250, overlap=0)
    assert chunks[0].content.startswith("Intro paragraph.\n\nSecond paragraph on page one.")
    assert chunks[0].page == 1 and chunks[-1].page == 2


def test_a_giant_sentence_is_cut_at_word_boundaries() -> None:
    sentence = " ".join(["word"] * 400)  # 2,000 characters, no full stop
    chunks = chunk_pages([sentence], size=300, overlap=0)
    assert all(len(c.content) <= 300 for c in chunks)
    assert sum(c.word_count for c in chunks) == 400


def test_an_unbroken_token_longer_than_a_chunk_is_hard_cut() -> None:
    chunks = chunk_pages(["x" * 1000], size=300, overlap=0)
    assert [len(c.content) for c in chunks] == [300, 300, 300, 100]


def test_settings_are_clamped_to_something_usable() -> None:
    assert clamp(10, 500) == (MIN_SIZE, MIN_SIZE // 2 - 1)
    assert clamp(1000, 150) == (1000, 150)
    assert clamp(1000, -5) == (1000, 0)
