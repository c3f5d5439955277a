"""The widget function's handshake."""

from __future__ import annotations

from pydantic import Field

from knowrithm_core.models.bodies.base import Request


class WidgetHandshake(Request):
    """``POST /website/handshake`` (the widget function): the page the widget runs on."""

    agent_id: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2048)
    title: str | None = Field(default=None, max_length=500)
