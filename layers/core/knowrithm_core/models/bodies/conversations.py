"""Conversations and chat messages."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from knowrithm_core.models.bodies.base import Request, check_email


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


class AuthorBody(Request):
    """An operator: a display name and, optionally, an email."""

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else check_email(value)


class HandoffRequest(Request):
    """``POST /conversation/{id}/handoff``: a person takes the conversation over (again, to reassign it)."""

    reason: str | None = Field(default=None, max_length=1000)
    assignee: AuthorBody | None = None


class OperatorReplyRequest(Request):
    """``POST /conversation/{id}/reply``: an operator's message (``author`` defaults to the assignee)."""

    message: str = Field(min_length=1, max_length=20_000)
    author: AuthorBody | None = None
