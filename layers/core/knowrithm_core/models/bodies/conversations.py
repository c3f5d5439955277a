"""Conversations and chat messages."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from knowrithm_core.models.bodies.base import Request


class ConversationCreate(Request):
    agent_id: str = Field(min_length=1)
    title: str = Field(default="New Conversation", max_length=200)
    metadata: dict[str, Any] = Field(default_factory=dict)
    max_context_length: int = Field(default=4000, ge=1000, le=200_000)


class ConversationUpdate(Request):
    """``PATCH /conversation/{id}``: ``metadata`` is merged into the stored metadata (a null value removes a key)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    metadata: dict[str, Any] | None = None


class ChatRequest(Request):
    message: str = Field(min_length=1, max_length=20_000)
