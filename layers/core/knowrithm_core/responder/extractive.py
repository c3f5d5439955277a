"""The default responder: answers from what the agent knows, with no network calls.

Until documents exist the agent's knowledge is its name, description and instructions.
Sentences are scored by overlap with the question (plus, for short follow-ups, the
previous question); when nothing overlaps it says plainly that it has no answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowrithm_core.models.resources import Agent
from knowrithm_core.responder import Answer, Turn

WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "have",
        "has",
        "had",
        "not",
        "no",
        "yes",
        "please",
        "tell",
        "know",
        "there",
        "here",
        "any",
        "some",
        "just",
        "also",
        "than",
        "then",
        "so",
        "very",
        "more",
        "most",
        "much",
        "many",
        "get",
        "got",
        "give",
        "us",
        "am",
    ]
)
# Verbs and fillers that appear in most questions but say nothing about the topic.
GENERIC = frozenset(
    [
        "sell",
        "sells",
        "buy",
        "take",
        "takes",
        "long",
        "need",
        "want",
        "like",
        "make",
        "use",
        "find",
        "go",
        "see",
        "look",
        "thing",
        "things",
        "good",
        "well",
        "ok",
        "okay",
        "really",
        "one",
        "anything",
        "something",
        "offer",
    ]
)
GREETINGS = frozenset(["hello", "hi", "hey", "hiya", "howdy", "greetings", "morning", "afternoon", "evening"])
IDENTITY = re.compile(r"\b(who are you|what are you|what can you do|what do you do|help me|introduce)\b")
NO_ANSWER = (
    "I'm sorry, I don't have information about that yet. Could you rephrase your question, or ask about something else?"
)


def terms(text: str) -> list[str]:
    words = (w.strip("'-") for w in WORD.findall(text.lower()))
    return [w for w in words if w and w not in STOPWORDS and w not in GENERIC]


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class ExtractiveResponder:
    name = "extractive"

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        words = terms(question)
        greeted = bool(words) and words[0] in GREETINGS
        content = [w for w in words if w not in GREETINGS]
        introduction = f"Hello! I'm {agent.name}." + (f" {agent.description.strip()}" if agent.description else "")
        if IDENTITY.search(question.lower()) or not content and greeted:
            return Answer(introduction + " How can I help you today?", True, self.name, 1.0)
        query = {_stem(w): 1.0 for w in content}
        if len(query) <= 2 and not greeted:  # a short follow-up: borrow the previous question's terms, half weight
            previous = next((t.content for t in reversed(history) if t.role == "user"), "")
            for word in terms(previous):
                query.setdefault(_stem(word), 0.5)
        best = self._best_sentences(agent, query)
        if best:
            text, score = best
            confidence = round(min(1.0, score / max(1.0, sum(query.values()))), 3)
            return Answer(("Hello! " if greeted else "") + text, True, self.name, confidence)
        if greeted:
            return Answer(introduction + " How can I help you today?", True, self.name, 0.5)
        return Answer(NO_ANSWER, False, self.name, 0.0)

    @staticmethod
    def _best_sentences(agent: Agent, query: dict[str, float]) -> tuple[str, float] | None:
        """The two best-scoring sentences of the agent's knowledge, in their original order."""
        knowledge = " ".join(filter(None, [agent.description, agent.instructions]))
        scored: list[tuple[float, int, str]] = []
        for index, sentence in enumerate(s.strip() for s in SENTENCE.split(knowledge)):
            stems = {_stem(w) for w in terms(sentence)}
            score = sum(weight for word, weight in query.items() if word in stems)
            if sentence and score > 0:
                scored.append((score, index, sentence))
        if not scored:
            return None
        best = sorted(scored, key=lambda s: (-s[0], s[1]))[:2]
        return " ".join(sentence for _, _, sentence in sorted(best, key=lambda s: s[1])), best[0][0]
