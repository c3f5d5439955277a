"""Conversation-aware retrieval, shared by the extractive and the Bedrock responders.

The question is always retrieved alone first. The conversation is brought in only for a follow-up that
needs it: an elliptical question ("And on Saturdays?", "In which year?", "What about shipping?"), one with
at most one topic word, or one that points back with a pronoun or a demonstrative and has at most two.
The earlier user questions' words are then added to the query, and that search wins only if its best
chunk still holds one of the question's own topic words (words like "year" or "time", which name the
kind of answer, do not count), so the previous topic never drowns a new one. A question with its own
topic words is retrieved alone. Deterministic: no network, no model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from knowrithm_core.knowledge.text import GREETINGS, stem, terms, tokens

if TYPE_CHECKING:
    from knowrithm_core.knowledge.index import Scored
    from knowrithm_core.knowledge.search import Retrieved, Search
    from knowrithm_core.responder import Turn

FOLLOW_UP_START = re.compile(r"^\W*(and|also|plus|or|what about|how about|same|what if|then)\b", re.IGNORECASE)
POINTING = frozenset(
    [
        "it",
        "its",
        "it's",
        "that",
        "this",
        "those",
        "these",
        "they",
        "them",
        "their",
        "there",
        "he",
        "she",
        "his",
        "her",
        "one",
        "ones",
    ]
)
RAW_WORD = re.compile(r"[a-z']+")
NAME_WORD = re.compile(r"[^\W\d_][\w'-]*")
SENTENCE_START = re.compile(r"[.!?]+\s+")
# words that name the kind of answer wanted, not its topic ("In which year?", "What time?")
ANSWER_TYPES = frozenset(
    stem(w)
    for w in [
        "year",
        "date",
        "time",
        "day",
        "hour",
        "price",
        "cost",
        "number",
        "amount",
        "address",
        "place",
        "location",
        "name",
        "age",
        "fast",
        "quick",
        "soon",
        "far",
        "often",
    ]
)
MAX_TURNS_BACK = 3
BORROWED_WEIGHT = 0.2


@dataclass(frozen=True)
class TurnQuery:
    """What a turn searched for: the stems and their weights (the question's 1.0, borrowed ones 0.2: they
    find the chunk, the question's own words pick its sentences)."""

    weights: dict[str, float]
    retrieved: Retrieved
    borrowed: list[str] = field(default_factory=list)
    unmatched_names: list[str] = field(default_factory=list)
    """Names in the question (capitalized words inside a sentence, like "Paris") that the best chunk lacks:
    a chunk about another store or country does not answer it."""
    matched_names: list[str] = field(default_factory=list)
    """The question's names that the best chunk holds (strong evidence even when other words differ)."""

    @property
    def top(self) -> Scored | None:
        return self.retrieved.hits[0] if self.retrieved.hits else None


def names(question: str) -> list[str]:
    """Stems of the capitalized words of ``question`` that do not start a sentence ("Paris", "Zanzibar")."""
    found: list[str] = []
    for sentence in SENTENCE_START.split(question):
        for word in NAME_WORD.findall(sentence)[1:]:
            lowered = word.lower()
            if word[0].isupper() and word != "I" and lowered not in GREETINGS and terms(lowered):
                found.append(stem(lowered))
    return list(dict.fromkeys(found))


def _with_names(query: TurnQuery, question: str) -> TurnQuery:
    top = query.top
    if top is None:
        return query
    present = set(tokens(top.ref.content))
    asked = names(question)
    missing = [n for n in asked if n not in present]
    matched = [n for n in asked if n in present]
    return TurnQuery(query.weights, query.retrieved, query.borrowed, missing, matched)


def own_stems(question: str) -> list[str]:
    """The question's topic stems, greetings left out, in order and without repeats."""
    return list(dict.fromkeys(stem(w) for w in terms(question) if w not in GREETINGS))


def is_follow_up(question: str, stems: Sequence[str]) -> bool:
    """Whether ``question`` leans on the conversation for its topic."""
    if len(stems) <= 1 or FOLLOW_UP_START.search(question):
        return True
    words = set(RAW_WORD.findall(question.lower()))
    return len(stems) <= 2 and bool(words & POINTING)


def context_stems(history: Sequence[Turn]) -> list[str]:
    """The topic of the conversation so far: the last user questions' stems, back to (and including) the
    latest one that set a topic of its own (at most three questions)."""
    collected: list[str] = []
    asked = [t.content for t in reversed(history) if t.role == "user"][:MAX_TURNS_BACK]
    for question in asked:
        stems = own_stems(question)
        collected.extend(s for s in stems if s not in collected)
        if stems and not is_follow_up(question, stems):
            break
    return collected


def retrieve_turn(
    search: Search, question: str, history: Sequence[Turn], *, limit: int = 5, min_relevance: float = 0.3
) -> TurnQuery:
    """The chunks for ``question`` in its conversation (see the module docstring); ``search`` is the agent's
    knowledge bound for this turn (:func:`knowrithm_core.knowledge.search.bind`)."""
    return _with_names(_retrieve(search, question, history, limit, min_relevance), question)


def _retrieve(search: Search, question: str, history: Sequence[Turn], limit: int, min_relevance: float) -> TurnQuery:
    own = own_stems(question)
    alone = TurnQuery(dict.fromkeys(own, 1.0), search(own, limit))
    if not alone.retrieved.indexed or not is_follow_up(question, own):
        return alone
    borrowed = [s for s in context_stems(history) if s not in own]
    if not borrowed:
        return alone
    found = search(own + borrowed, limit)
    top = found.hits[0] if found.hits else None
    if top is None or not top.answers(min_relevance):
        return alone
    topic = [s for s in own if s not in ANSWER_TYPES]
    if topic and not set(tokens(top.ref.content)) & set(topic):
        return alone
    weights = dict.fromkeys(own, 1.0) | dict.fromkeys(borrowed, BORROWED_WEIGHT)
    return TurnQuery(weights, found, borrowed)
