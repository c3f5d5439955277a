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
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "from", "by", "with",
        "about", "as", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "i", "me", "my",
        "we", "our", "you", "your", "he", "she", "it", "its", "they", "them", "their", "this", "that", "these",
        "those", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "can", "could",
        "should", "would", "will", "shall", "may", "might", "must", "have", "has", "had", "not", "no", "yes",
        "please", "tell", "know", "there", "here", "any", "some", "just", "also", "than", "then", "so", "very",
        "more", "most", "much", "many", "get", "got", "give", "us", "am",
    ]
)
GREETINGS = frozenset(["hello", "hi", "hey", "hiya", "howdy", "greetings", "morning", "afternoon", "evening"])
IDENTITY = re.compile(r"\b(who are you|what are you|what can you do|what do you do|help me|introduce)\b")
NO_ANSWER = (
    "I'm sorry, I don't have information about that yet. Could you rephrase your question, or ask about something else?"
)


def terms(text: str) -> list[str]:
    return [w.strip("'-") for w in WORD.findall(text.lower()) if w.strip("'-") and w not in STOPWORDS]


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


class ExtractiveResponder:
    name = "extractive"

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        words = terms(question)
        introduction = f"Hello! I'm {agent.name}." + (f" {agent.description.strip()}" if agent.description else "")
        if IDENTITY.search(question.lower()) or (
            words and all(w in GREETINGS or len(w) <= 2 for w in words[:3]) and len(words) <= 5
        ):
            return Answer(introduction + " How can I help you today?", True, self.name, 1.0)
        query = {_stem(w): 1.0 for w in words}
        if len(query) <= 2:  # a short follow-up: borrow the previous question's terms, at half weight
            previous = next((t.content for t in reversed(history) if t.role == "user"), "")
            for word in terms(previous):
                query.setdefault(_stem(word), 0.5)
        knowledge = " ".join(filter(None, [agent.description, agent.instructions]))
        scored: list[tuple[float, int, str]] = []
        for index, sentence in enumerate(s.strip() for s in SENTENCE.split(knowledge)):
            if not sentence:
                continue
            stems = {_stem(w) for w in terms(sentence)}
            score = sum(weight for word, weight in query.items() if word in stems)
            if score > 0:
                scored.append((score, index, sentence))
        if not scored:
            return Answer(NO_ANSWER, False, self.name, 0.0)
        best = sorted(scored, key=lambda s: (-s[0], s[1]))[:2]
        text = " ".join(sentence for _, _, sentence in sorted(best, key=lambda s: s[1]))
        confidence = min(1.0, best[0][0] / max(1.0, sum(query.values())))
        return Answer(text, True, self.name, round(confidence, 3))
