"""Operator routes: the DLQ redrive's request body."""

from __future__ import annotations

from pydantic import Field

from knowrithm_core.models.bodies.base import Request


class RedriveRequest(Request):
    """``max_messages``: move at most this many (the local loop; a move task on AWS always moves all)."""

    max_messages: int | None = Field(default=None, ge=1, le=10_000)
