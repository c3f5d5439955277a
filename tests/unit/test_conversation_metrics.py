"""GET /analytic/conversation/{id}'s message figures (pure functions split out of the route)."""

from __future__ import annotations

from typing import Any

from knowrithm_core.models.resources import Message
from knowrithm_core.services.analytics.conversation_metrics import activity_timeline, message_analytics


def _message(role: str, day: str, **fields: Any) -> Message:
    stamp = f"2026-03-{day}T10:00:00Z"
    values = {"id": f"{role}-{day}-{len(fields)}", "company_id": "c", "conversation_id": "v", "agent_id": "a"}
    return Message.model_validate(
        values | {"role": role, "content": "x", "created_at": stamp, "updated_at": stamp} | fields
    )


def test_message_analytics_of_a_conversation() -> None:
    # GIVEN two questions and two answers (one unanswered, one cited)
    messages = [
        _message("user", "01", tokens_used=10),
        _message("assistant", "01", tokens_used=30, processing_time=0.5, confidence_score=0.9, sources=[]),
        _message("user", "02", tokens_used=5),
        _message(
            "assistant",
            "02",
            tokens_used=15,
            processing_time=1.5,
            confidence_score=0.1,
            metadata={"answered": False},
            sources=[{"source_number": 1, "document_id": "d", "document_name": "n"}],
        ),
    ]
    # WHEN summarised
    figures = message_analytics(messages)
    # THEN the counts, averages and extremes are those of the messages
    assert figures["total_messages"] == 4
    assert figures["total_tokens"] == 60
    assert figures["average_tokens_per_message"] == 15.0
    assert figures["average_response_time_seconds"] == 1.0
    assert (figures["min_response_time_seconds"], figures["max_response_time_seconds"]) == (0.5, 1.5)
    assert figures["average_confidence"] == 0.5
    assert (figures["unanswered"], figures["cited_answers"]) == (1, 1)


def test_an_empty_conversation_has_no_averages() -> None:
    # GIVEN no messages WHEN summarised THEN zeros, and no averages rather than a division by zero
    figures = message_analytics([])
    assert figures["total_messages"] == 0
    assert figures["average_tokens_per_message"] == 0.0
    assert figures["average_response_time_seconds"] is None
    assert figures["average_confidence"] is None
    assert activity_timeline([]) == []


def test_activity_timeline_counts_each_day_by_role() -> None:
    # GIVEN messages over two days, out of order WHEN put on a timeline THEN one row per day, oldest first
    messages = [_message("user", "05"), _message("user", "03"), _message("assistant", "03")]
    assert activity_timeline(messages) == [
        {"date": "2026-03-03", "messages": 2, "user_messages": 1, "assistant_messages": 1},
        {"date": "2026-03-05", "messages": 1, "user_messages": 1, "assistant_messages": 0},
    ]
