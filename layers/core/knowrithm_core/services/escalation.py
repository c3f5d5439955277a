"""When a chat turn hands the conversation to a human: ``conversation.escalated``.

Two triggers, both decided from what the chat turn already has in memory (no extra request):
the visitor asks for a person (a phrase list, case-insensitive, on word boundaries), or the
responder could not answer ``ESCALATE_AFTER_UNANSWERED`` times in a row. The second fires once
per streak: on the turn that makes the streak exactly N long.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

VISITOR_REQUESTED_HUMAN = "visitor_requested_human"
UNANSWERED_QUESTIONS = "unanswered_questions"

HUMAN_PHRASES = (
    "talk to a human",
    "talk to someone",
    "talk to a person",
    "talk to a real person",
    "speak to a human",
    "speak to a person",
    "speak to someone",
    "speak with a human",
    "speak with a person",
    "speak with someone",
    "real person",
    "live person",
    "live agent",
    "human agent",
    "agent please",
    "human",
    "representative",
)
_HUMAN = re.compile(r"\b(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in HUMAN_PHRASES) + r")\b", re.I)


def asks_for_human(message: str) -> bool:
    return bool(_HUMAN.search(message))


def unanswered_streak(items_newest_first: Iterable[Mapping[str, Any]]) -> tuple[int, bool]:
    """Consecutive unanswered assistant messages, newest first, and whether that streak was escalated already."""
    streak, escalated = 0, False
    for item in items_newest_first:
        if item.get("role") != "assistant":
            continue
        metadata = item.get("metadata") or {}
        if metadata.get("answered", True):
            break
        streak += 1
        escalated = escalated or bool(metadata.get("escalated"))
    return streak, escalated


def escalation_reason(
    message: str, answered: bool, previous_streak: int, streak_escalated: bool, threshold: int
) -> str | None:
    """Why this turn escalates, or None."""
    if asks_for_human(message):
        return VISITOR_REQUESTED_HUMAN
    if not answered and threshold > 0 and previous_streak + 1 == threshold and not streak_escalated:
        return UNANSWERED_QUESTIONS
    return None
