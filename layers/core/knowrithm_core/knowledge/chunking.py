"""Chunking: pages -> chunks of about ``size`` characters that overlap by about ``overlap`` characters.

Chunks end at paragraph or sentence boundaries where possible (a sentence longer than ``size`` is
cut at word boundaries). The overlap repeats the last sentences of the previous chunk, so a fact
that straddles a boundary is found whole in one of the two. Each chunk remembers the page it starts
on (1-based; PDF pages, else 1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MIN_SIZE = 100
PARAGRAPH = re.compile(r"\n\s*\n")
SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n")


@dataclass(frozen=True)
class ChunkDraft:
    index: int
    content: str
    page: int

    @property
    def word_count(self) -> int:
        return len(self.content.split())


@dataclass(frozen=True)
class _Unit:
    text: str
    page: int
    starts_paragraph: bool


def clamp(size: int, overlap: int) -> tuple[int, int]:
    """A usable (size, overlap): size at least :data:`MIN_SIZE`, overlap below half the size."""
    size = max(MIN_SIZE, size)
    return size, max(0, min(overlap, size // 2 - 1))


def _split_long(text: str, size: int) -> list[str]:
    words, parts, current = text.split(), [], ""
    for word in words:
        while len(word) > size:  # a "word" longer than a chunk (a URL, base64): hard cut
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:size])
            word = word[size:]
        candidate = f"{current} {word}".strip()
        if len(candidate) > size and current:
            parts.append(current)
            current = word
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def _units(pages: Sequence[str], size: int) -> list[_Unit]:
    units: list[_Unit] = []
    for page_number, page in enumerate(pages, start=1):
        for paragraph in PARAGRAPH.split(page):
            first = True
            for sentence in SENTENCE_END.split(paragraph):
                sentence = sentence.strip()
                if not sentence:
                    continue
                for piece in _split_long(sentence, size) if len(sentence) > size else [sentence]:
                    units.append(_Unit(piece, page_number, first))
                    first = False
    return units


def _join(units: Sequence[_Unit]) -> str:
    text = ""
    for unit in units:
        if text:
            text += "\n\n" if unit.starts_paragraph else " "
        text += unit.text
    return text


def chunk_pages(pages: Sequence[str], size: int = 1000, overlap: int = 150) -> list[ChunkDraft]:
    """Chunks of the pages' text, in order, indexed from 0."""
    size, overlap = clamp(size, overlap)
    units = _units(pages, size)
    chunks: list[ChunkDraft] = []
    current: list[_Unit] = []
    fresh = 0  # units of ``current`` that are new (not repeated overlap)

    def emit() -> None:
        new = current[len(current) - fresh :]
        chunks.append(ChunkDraft(len(chunks), _join(current), new[0].page if new else current[0].page))

    for unit in units:
        if current and fresh and len(_join([*current, unit])) > size:
            emit()
            tail: list[_Unit] = []
            for previous in reversed(current):
                if len(_join([previous, *tail])) > overlap or len(_join([previous, *tail, unit])) > size:
                    break
                tail.insert(0, previous)
            current, fresh = tail, 0
        current.append(unit)
        fresh += 1
    if current and fresh:
        emit()
    return chunks
