"""The default responder: answers from what the agent knows, with no network calls besides its own index.

With documents, the question is searched in the agent's BM25 index (:mod:`knowrithm_core.knowledge`);
if the best chunk is relevant enough (:meth:`knowrithm_core.knowledge.index.Scored.answers`: the
idf-weighted share of the question's terms it holds reaches ``ANSWER_MIN_SCORE``, and it shares at least
two of them), the answer is the best-matching sentences of the top chunks, each
followed by a ``[Source n]`` marker, with ``sources[]`` naming the documents. Otherwise (and for an
agent without documents) the agent's name, description and instructions are the knowledge:
sentences are scored by overlap with the question (plus, for short follow-ups, the previous
question). When nothing matches it says plainly that it has no answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from knowrithm_core.knowledge.text import GENERIC, GREETINGS, STOPWORDS, sentences, stem, terms
from knowrithm_core.models.resources import Agent
from knowrithm_core.observability import logger as log
from knowrithm_core.responder import Answer, Turn

if TYPE_CHECKING:
    from knowrithm_core.knowledge.index import Scored
    from knowrithm_core.knowledge.search import Retriever

__all__ = ["GENERIC", "NO_ANSWER", "STOPWORDS", "ExtractiveResponder", "terms"]

SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
IDENTITY = re.compile(r"\b(who are you|what are you|what can you do|what do you do|help me|introduce)\b")
NO_ANSWER = (
    "I'm sorry, I don't have information about that yet. Could you rephrase your question, or ask about something else?"
)
MAX_CHUNKS = 3
MAX_SENTENCES = 3


class ExtractiveResponder:
    name = "extractive"
    slow = False

    def __init__(self, retriever: Retriever | None = None, *, min_relevance: float = 0.3) -> None:
        self.retriever = retriever
        self.min_relevance = min_relevance

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        words = terms(question)
        greeted = bool(words) and words[0] in GREETINGS
        content = [w for w in words if w not in GREETINGS]
        introduction = f"Hello! I'm {agent.name}." + (f" {agent.description.strip()}" if agent.description else "")
        if IDENTITY.search(question.lower()) or not content and greeted:
            return Answer(introduction + " How can I help you today?", True, self.name, 1.0)
        query = _weighted_query(content, history, greeted=greeted)
        cited = self._from_documents(agent, query) if self.retriever is not None and query else None
        if cited is not None:
            prefix = "Hello! " if greeted else ""
            return Answer(prefix + cited.text, True, self.name, cited.confidence, cited.sources)
        return self._from_description(agent, query, introduction, greeted=greeted)

    def _from_description(self, agent: Agent, query: dict[str, float], introduction: str, *, greeted: bool) -> Answer:
        """The best sentences of the agent's own description, its introduction for a bare greeting, or no answer."""
        best = self._best_sentences(agent, query)
        if best:
            text, score = best
            confidence = round(min(1.0, score / max(1.0, sum(query.values()))), 3)
            return Answer(("Hello! " if greeted else "") + text, True, self.name, confidence)
        if greeted:
            return Answer(introduction + " How can I help you today?", True, self.name, 0.5)
        return Answer(NO_ANSWER, False, self.name, 0.0)

    # --- from documents ---------------------------------------------------------------
    def _from_documents(self, agent: Agent, query: dict[str, float]) -> Answer | None:
        """A cited answer from the agent's top chunks, or None (no documents, or none relevant enough)."""
        assert self.retriever is not None
        try:
            found = self.retriever.retrieve(agent.company_id, agent.id, list(query), limit=5)
        except Exception:  # noqa: BLE001 - a broken index must not break chat: answer from the description
            log.exception("document retrieval failed for agent %s", agent.id)
            return None
        if not found.indexed or not found.hits or not found.hits[0].answers(self.min_relevance):
            return None
        top = found.hits[0]
        chunks = [h for h in found.hits if h.answers(self.min_relevance) and h.score >= 0.5 * top.score]
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
        return Answer(" ".join(parts), True, self.name, round(min(1.0, top.relevance), 3), sources)

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


def _weighted_query(content: Sequence[str], history: Sequence[Turn], *, greeted: bool) -> dict[str, float]:
    """The question's stems (weight 1); a short follow-up borrows the previous question's at half weight."""
    query = {stem(w): 1.0 for w in content}
    if len(query) <= 2 and not greeted:
        previous = next((t.content for t in reversed(history) if t.role == "user"), "")
        for word in terms(previous):
            query.setdefault(stem(word), 0.5)
    return query


def _pick_sentences(chunks: Sequence[Scored], query: dict[str, float]) -> list[tuple[str, Scored]]:
    """The best sentences of the chunks (at most two per chunk), in chunk rank then text order."""
    scored: list[tuple[float, int, int, str, Scored]] = []
    for rank, hit in enumerate(chunks):
        for position, sentence in enumerate(sentences(hit.ref.content)):
            stems = {stem(w) for w in terms(sentence)}
            score = sum(weight for word, weight in query.items() if word in stems)
            if score <= 0:
                continue
            if len(sentence.split()) < 4:  # a heading or a label says little on its own
                score *= 0.5
            scored.append((score - 0.01 * rank, rank, position, sentence, hit))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    chosen: list[tuple[float, int, int, str, Scored]] = []
    per_chunk: dict[int, int] = {}
    seen: set[str] = set()
    for entry in scored:
        if len(chosen) == MAX_SENTENCES:
            break
        key = entry[3].lower()
        if per_chunk.get(entry[1], 0) >= 2 or key in seen:
            continue
        if chosen and entry[0] < 0.5 * chosen[0][0]:
            break
        chosen.append(entry)
        seen.add(key)
        per_chunk[entry[1]] = per_chunk.get(entry[1], 0) + 1
    chosen.sort(key=lambda s: (s[1], s[2]))
    return [(sentence, hit) for _, _, _, sentence, hit in chosen]
