"""The default responder: answers from what the agent knows, with no network calls besides its own index.

With documents, the turn is retrieved by :func:`knowrithm_core.knowledge.conversation.retrieve_turn` (the
question alone; its conversation only for a follow-up that needs it). A relevant chunk
(:meth:`knowrithm_core.knowledge.index.Scored.answers` at ``ANSWER_MIN_SCORE``) gives the best-matching
sentences of the top chunks, each followed by a ``[Source n]`` marker, with ``sources[]`` naming the
documents; a weak match (from half the threshold) gives the same with :data:`HEDGE` in front. The agent's
description answers only what no document speaks of (so it never contradicts one); otherwise the answer is
:data:`NO_ANSWER_FROM_DOCUMENTS`, which offers a person. Greetings, thanks and goodbyes get a short reply
(:mod:`knowrithm_core.responder.small_talk`). Without documents the agent's name, description and
instructions are the knowledge, as before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from knowrithm_core.knowledge.conversation import TurnQuery, retrieve_turn
from knowrithm_core.knowledge.text import GENERIC, GREETINGS, STOPWORDS, sentences, stem, terms, tokens
from knowrithm_core.models.resources import Agent
from knowrithm_core.observability import logger as log
from knowrithm_core.responder import Answer, Turn
from knowrithm_core.responder.small_talk import introduction, small_talk, welcome

if TYPE_CHECKING:
    from knowrithm_core.knowledge.index import Scored
    from knowrithm_core.knowledge.search import Retriever, Search

__all__ = ["GENERIC", "HEDGE", "NO_ANSWER", "NO_ANSWER_FROM_DOCUMENTS", "STOPWORDS", "ExtractiveResponder", "terms"]

SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
IDENTITY = re.compile(r"\b(who are you|what are you|what can you do|what do you do|help me|introduce)\b")
NO_ANSWER = (
    "I'm sorry, I don't have information about that yet. Could you rephrase your question, or ask about something else?"
)
NO_ANSWER_FROM_DOCUMENTS = (
    "I'm sorry, I don't have information about that in my documents, so I'd rather not guess. "
    'Would you like to talk to a person? Just say "talk to a person".'
)
HEDGE = "I'm not completely sure, but this is what I found: "
HEDGE_SHARE = 0.5
"""A weak match (relevance from ``HEDGE_SHARE`` x ``ANSWER_MIN_SCORE`` up to the threshold, two shared
words) is answered from the documents with :data:`HEDGE` in front."""
MAX_CHUNKS = 3
MAX_SENTENCES = 3
PER_CHUNK = 3


class ExtractiveResponder:
    name = "extractive"
    slow = False

    def __init__(self, retriever: Retriever | None = None, *, min_relevance: float = 0.3) -> None:
        self.retriever = retriever
        self.min_relevance = min_relevance
        self.hedge_relevance = round(HEDGE_SHARE * min_relevance, 4)

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        words = terms(question)
        greeted = bool(words) and words[0] in GREETINGS
        content = [w for w in words if w not in GREETINGS]
        if IDENTITY.search(question.lower()):
            return Answer(introduction(agent) + " How can I help you today?", True, self.name, 1.0)
        small = small_talk(agent, words)
        if small is not None:
            return Answer(small, True, self.name, 1.0)
        retrieved = self._retrieve(agent, question, history)
        if retrieved is not None and retrieved[0].retrieved.indexed:
            return self._grounded(agent, *retrieved, greeted=greeted)
        query = _weighted_query(content, history, greeted=greeted)
        return self._from_description(agent, query, greeted=greeted)

    def _retrieve(self, agent: Agent, question: str, history: Sequence[Turn]) -> tuple[TurnQuery, Search] | None:
        if self.retriever is None:
            return None
        from knowrithm_core.knowledge.search import bind

        try:
            search = bind(self.retriever, agent.company_id, agent.id)
            return retrieve_turn(search, question, history, min_relevance=self.min_relevance), search
        except Exception:  # noqa: BLE001 - a broken index must not break chat: answer from the description
            log.exception("document retrieval failed for agent %s", agent.id)
            return None

    def _grounded(self, agent: Agent, turn: TurnQuery, search: Search, *, greeted: bool) -> Answer:
        """For an agent with documents: a cited answer, a hedged one for a weak match, the description only
        where no document speaks of its topic, else "I don't know" with a person on offer."""
        prefix = "Hello! " if greeted else ""
        top = None if turn.unmatched_names else turn.top
        if top is not None and top.answers(self.min_relevance):
            cited = self._cited(_answering(turn.retrieved.hits, self.min_relevance), turn.weights)
            if cited is not None:
                return Answer(prefix + cited.text, True, self.name, cited.confidence, cited.sources)
        if top is not None and top.relevance >= self.hedge_relevance and (top.answers(0) or turn.matched_names):
            cited = self._cited([top], turn.weights)
            if cited is not None:
                text = prefix + HEDGE + cited.text
                return Answer(text, True, self.name, round(cited.confidence / 2, 3), cited.sources)
        best = self._best_sentences(agent, turn.weights)
        if best is not None and not self._documents_cover(search, best[0]):
            text, score = best
            confidence = round(min(1.0, score / max(1.0, sum(turn.weights.values()))), 3)
            return Answer(prefix + text, True, self.name, confidence)
        if greeted and len(turn.weights) <= 1:  # "Hello from our integration!": a greeting, not a question
            return Answer(welcome(agent), True, self.name, 0.5)
        return Answer(NO_ANSWER_FROM_DOCUMENTS, False, self.name, 0.0)

    def _documents_cover(self, search: Search, text: str) -> bool:
        """Whether a document speaks of what ``text`` (from the description) says: then the description
        must not answer, since it could contradict the document."""
        found = search(tokens(text), 1)
        top = found.hits[0] if found.hits else None
        return top is not None and (top.matched_terms >= 2 or top.answers(self.hedge_relevance))

    def _from_description(self, agent: Agent, query: dict[str, float], *, greeted: bool) -> Answer:
        """The best sentences of the agent's own description, its welcome for a bare greeting, or no answer."""
        best = self._best_sentences(agent, query)
        if best:
            text, score = best
            confidence = round(min(1.0, score / max(1.0, sum(query.values()))), 3)
            return Answer(("Hello! " if greeted else "") + text, True, self.name, confidence)
        if greeted:
            return Answer(welcome(agent), True, self.name, 0.5)
        return Answer(NO_ANSWER, False, self.name, 0.0)

    # --- from documents ---------------------------------------------------------------
    @staticmethod
    def _cited(chunks: Sequence[Scored], query: dict[str, float]) -> Answer | None:
        """A cited answer from ``chunks`` (best first), or None (no sentence matches)."""
        top = chunks[0]
        picked = _pick_sentences(chunks[:MAX_CHUNKS], query)
        if not picked:
            return None
        numbers: dict[str, int] = {}
        sources: list[dict[str, Any]] = []
        parts: list[str] = []
        for position, (sentence, hit) in enumerate(picked):
            document_id = hit.ref.document_id
            if document_id not in numbers:
                numbers[document_id] = len(numbers) + 1
                sources.append(
                    {
                        "source_number": numbers[document_id],
                        "document_id": document_id,
                        "document_name": hit.ref.document_name,
                        "url": hit.ref.source_url,
                        "cited": True,
                    }
                )
            following = picked[position + 1][1].ref.document_id if position + 1 < len(picked) else None
            parts.append(sentence if following == document_id else f"{sentence} [Source {numbers[document_id]}]")
        return Answer(" ".join(parts), True, "extractive", round(min(1.0, top.relevance), 3), sources)

    # --- from the agent's own description ------------------------------------------------
    @staticmethod
    def _best_sentences(agent: Agent, query: dict[str, float]) -> tuple[str, float] | None:
        """The two best-scoring sentences of the agent's knowledge, in their original order."""
        knowledge = " ".join(filter(None, [agent.description, agent.instructions]))
        scored: list[tuple[float, int, str]] = []
        for index, sentence in enumerate(s.strip() for s in SENTENCE.split(knowledge)):
            stems = {stem(w) for w in terms(sentence)}
            score = sum(weight for word, weight in query.items() if word in stems)
            if sentence and score > 0:
                scored.append((score, index, sentence))
        if not scored:
            return None
        best = sorted(scored, key=lambda s: (-s[0], s[1]))[:2]
        return " ".join(sentence for _, _, sentence in sorted(best, key=lambda s: s[1])), best[0][0]


def _answering(hits: Sequence[Scored], floor: float) -> list[Scored]:
    """The hits that clear ``floor`` and score at least half the best."""
    return [h for h in hits if h.answers(floor) and h.score >= 0.5 * hits[0].score]


def _weighted_query(content: Sequence[str], history: Sequence[Turn], *, greeted: bool) -> dict[str, float]:
    """The question's stems (weight 1); a short follow-up borrows the previous question's at half weight."""
    query = {stem(w): 1.0 for w in content}
    if len(query) <= 2 and not greeted:
        previous = next((t.content for t in reversed(history) if t.role == "user"), "")
        for word in terms(previous):
            query.setdefault(stem(word), 0.5)
    return query


def _pick_sentences(chunks: Sequence[Scored], query: dict[str, float]) -> list[tuple[str, Scored]]:
    """The best sentences of the chunks, in chunk rank then text order.

    A word counts by its query weight times its rarity among these sentences (so "founded" outweighs
    "store" in a chunk about a store), and when some sentence holds one of the question's own words
    (weight 1), sentences with only borrowed words are left out."""
    candidates = [
        (rank, position, sentence, hit, {stem(w) for w in terms(sentence)})
        for rank, hit in enumerate(chunks)
        for position, sentence in enumerate(sentences(hit.ref.content))
    ]
    rarity = _rarity([c[4] for c in candidates], query)
    own = {word for word, weight in query.items() if weight >= 1.0}
    needs_own = any(c[4] & own for c in candidates)
    scored: list[tuple[float, int, int, str, Scored]] = []
    for rank, position, sentence, hit, stems in candidates:
        score = sum(weight * rarity[word] for word, weight in query.items() if word in stems)
        if score <= 0 or (needs_own and not stems & own):
            continue
        if _is_heading(sentence):  # a heading or a label says little on its own
            score *= 0.5
        scored.append((score - 0.01 * rank, rank, position, sentence, hit))
    return _choose(scored)


def _is_heading(sentence: str) -> bool:
    words = sentence.split()
    return len(words) < 4 or (len(words) <= 6 and not sentence.rstrip().endswith((".", "!", "?", ";", ")")))


def _rarity(sentence_stems: Sequence[set[str]], query: dict[str, float]) -> dict[str, float]:
    """Each query word's idf over the candidate sentences."""
    total = len(sentence_stems)
    return {word: math.log(1 + total / (1 + sum(word in s for s in sentence_stems))) ** 2 for word in query}


def _choose(scored: list[tuple[float, int, int, str, Scored]]) -> list[tuple[str, Scored]]:
    """At most ``MAX_SENTENCES`` (no repeats, none under half the best), in text order."""
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    chosen: list[tuple[float, int, int, str, Scored]] = []
    per_chunk: dict[int, int] = {}
    seen: set[str] = set()
    for entry in scored:
        if len(chosen) == MAX_SENTENCES:
            break
        key = entry[3].lower()
        if per_chunk.get(entry[1], 0) >= PER_CHUNK or key in seen:
            continue
        if chosen and entry[0] < 0.5 * chosen[0][0]:
            break
        chosen.append(entry)
        seen.add(key)
        per_chunk[entry[1]] = per_chunk.get(entry[1], 0) + 1
    chosen.sort(key=lambda s: (s[1], s[2]))
    return [(sentence, hit) for _, _, _, sentence, hit in chosen]
